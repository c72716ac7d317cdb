/**
 * What the endpoint needs from the Step Functions implementation (the lead's wrapper around the ASL engine).
 *
 * The endpoint routes every `X-Amz-Target: AWSStepFunctions.<Action>` request here with the parsed JSON body, e.g.
 * `handle('StartSyncExecution', {stateMachineArn, name, input})`, and answers 200 with the returned object as AWS
 * JSON 1.0 (Date values become epoch seconds, Uint8Arrays base64). Throw an `AwsError` (service 'stepfunctions')
 * for API errors — e.g. `AwsError.of('stepfunctions', 'StateMachineDoesNotExist', 'State Machine Does Not Exist: ...')`
 * — and it renders as `{"__type": "...", "message": "..."}` with HTTP 400 and `x-amzn-ErrorType`. An Error whose
 * `name` is a known Step Functions error code is rendered the same way; anything else becomes a 500 InternalFailure.
 *
 * SDK clients must set `disableHostPrefix: true` for StartSyncExecution against a custom endpoint (docs/pitfalls.md #13);
 * the endpoint itself answers whatever Host header arrives (e.g. `sync-localhost:4566`).
 */
export interface StepFunctionsBackend {
  handle(action: string, request: any): Promise<any>;
}
