/**
 * Lambda integrations: `arn:aws:states:::lambda:invoke` (result `{ExecutedVersion, Payload,
 * SdkHttpMetadata, SdkResponseMetadata, StatusCode}`) and a plain function ARN as Resource (result: the
 * payload itself).
 *
 * A function error fails the Task with the function's error payload, as recorded on AWS: error = its
 * `errorType` (e.g. "Error", "TypeError", a custom name), cause = the payload as JSON text (the Node.js
 * runtime's `{"errorType", "errorMessage", "trace"}`). A payload without an errorType is `Lambda.Unknown`,
 * the name AWS documents for unhandled errors such as running out of memory (bp-lambda-serviceexception).
 * An unknown function is `Lambda.ResourceNotFoundException`, with the Java SDK v1 cause.
 */
import { randomUUID } from 'node:crypto';
import { TaskError } from '../asl/errors';
import type { TaskHandler, TaskInvocation } from '../asl/types';
import { LambdaFunctionError } from '../lambda/runtime';
import { AwsError } from '../services/errors';
import { sdkMetadata } from './sdk-metadata';

/** What the integration needs of a function: LocalLambda, or any object with invoke(). */
export interface InvocableFunction {
  invoke(event: unknown): Promise<unknown>;
}

interface FunctionRef {
  name: string;
  qualifier?: string;
}

/** FunctionName forms: name, name:qualifier, 123456789012:function:name[:q], arn:aws:lambda:…:function:name[:q]. */
export function parseFunctionName(ref: string): FunctionRef {
  const afterFunction = ref.includes(':function:') ? ref.slice(ref.indexOf(':function:') + ':function:'.length) : ref;
  const [name, qualifier] = afterFunction.split(':');
  return qualifier ? { name, qualifier } : { name };
}

export function lambdaInvokeHandler(lambdas: Map<string, InvocableFunction>): TaskHandler {
  return async (invocation) => {
    const input = (invocation.input ?? {}) as { FunctionName?: string; Payload?: unknown };
    const ref = String(input.FunctionName ?? '');
    // The Invoke API's event is {} when no Payload is sent.
    const payload = await invoke(lambdas, ref, 'Payload' in input ? input.Payload : {}, invocation);
    const { qualifier } = parseFunctionName(ref);
    const executedVersion = qualifier && /^\d+$/.test(qualifier) ? qualifier : '$LATEST';
    return {
      ExecutedVersion: executedVersion,
      Payload: payload,
      ...sdkMetadata(payload, 'application/json', { 'X-Amz-Executed-Version': executedVersion }),
      StatusCode: 200,
    };
  };
}

/** A plain function ARN as the Task's Resource: the state input is the event, the result is the payload. */
export function lambdaArnHandler(lambdas: Map<string, InvocableFunction>): TaskHandler {
  return (invocation) => invoke(lambdas, invocation.resource, invocation.input, invocation);
}

async function invoke(lambdas: Map<string, InvocableFunction>, ref: string, event: unknown, invocation: TaskInvocation): Promise<unknown> {
  const fn = lambdas.get(parseFunctionName(ref).name);
  if (!fn) throw notFound(ref, invocation);
  try {
    return await fn.invoke(event);
  } catch (error) {
    // A service error (throttled, unavailable): Lambda.<code>, with the Java SDK v1 cause AWS shows.
    if (error instanceof AwsError && error.service === 'lambda') {
      throw new TaskError(`Lambda.${error.code}`, `${error.message} (Service: AWSLambda; Status Code: ${error.httpStatus}; Error Code: ${error.code}; Request ID: ${randomUUID()}; Proxy: null)`);
    }
    const payload = errorPayload(error);
    const name = typeof payload.errorType === 'string' && payload.errorType ? payload.errorType : 'Lambda.Unknown';
    throw new TaskError(name, JSON.stringify(payload));
  }
}

function notFound(ref: string, invocation: TaskInvocation): TaskError {
  // Region and account of the execution, as in the ARN AWS shows.
  const [, , , region, account] = invocation.context.Execution.Id.split(':');
  const arn = ref.startsWith('arn:') ? ref : `arn:aws:lambda:${region}:${account}:function:${ref.includes(':function:') ? ref.split(':function:')[1] : ref}`;
  const cause = `Function not found: ${arn} (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: ${randomUUID()}; Proxy: null)`;
  return new TaskError('Lambda.ResourceNotFoundException', cause);
}

/** The function's error payload: LocalLambda's, an {errorType, errorMessage, trace} object, or one built from an Error. */
function errorPayload(error: unknown): Record<string, unknown> {
  if (error instanceof LambdaFunctionError) return error.toPayload();
  const e = error as Record<string, unknown> | undefined;
  if (e && typeof e === 'object' && ('errorType' in e || 'errorMessage' in e) && !(error instanceof Error)) {
    return { errorType: e.errorType, errorMessage: e.errorMessage, trace: e.trace ?? [] };
  }
  if (error instanceof Error) return { errorType: error.name || 'Error', errorMessage: error.message, trace: String(error.stack ?? '').split('\n') };
  return { errorMessage: String(error) };
}
