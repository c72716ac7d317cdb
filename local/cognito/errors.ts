/**
 * Cognito user pools' errors on the wire (AWS JSON 1.1): HTTP 400 (500 for internal errors), the short name in
 * `__type` and `x-amzn-ErrorType`, the text in `message`, as the SDKs and the CLI parse them.
 */

export type CognitoErrorCode =
  | 'NotAuthorizedException'
  | 'UserNotFoundException'
  | 'UserNotConfirmedException'
  | 'UsernameExistsException'
  | 'InvalidParameterException'
  | 'InvalidPasswordException'
  | 'CodeMismatchException'
  | 'ExpiredCodeException'
  | 'ResourceNotFoundException'
  | 'PasswordResetRequiredException'
  | 'UnknownOperationException'
  | 'SerializationException'
  | 'InternalErrorException';

export class CognitoError extends Error {
  constructor(
    readonly code: CognitoErrorCode,
    message: string,
  ) {
    super(message);
    this.name = code;
  }

  get status(): number {
    return this.code === 'InternalErrorException' ? 500 : 400;
  }

  render(): { status: number; headers: Record<string, string>; body: string } {
    return {
      status: this.status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': this.code },
      body: JSON.stringify({ __type: this.code, message: this.message }),
    };
  }
}

/** AWS's wording for a missing required member ("1 validation error detected: ..."). */
export function requireMember(request: Record<string, unknown>, member: string): string {
  const value = request[member];
  if (typeof value === 'string' && value !== '') return value;
  const field = member.charAt(0).toLowerCase() + member.slice(1);
  throw new CognitoError('InvalidParameterException', `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null`);
}
