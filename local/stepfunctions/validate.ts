/**
 * Request validation with the error codes and message texts Step Functions returns. Texts come from
 * recordings of real AWS (LocalStack's `tests/aws/services/stepfunctions/v2/*.snapshot.json`) and the
 * API reference; where neither shows a text, the Coral validation format is used.
 */
import { AwsError } from '../services/errors';

export function fail(code: string, message: string): never {
  throw new AwsError(code, message, { service: 'stepfunctions' });
}

/** Coral's input validation message, e.g. "1 validation error detected: Value '1001' at 'maxResults' failed to ...". */
export function validationError(field: string, value: unknown, constraint: string): never {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  fail('ValidationException', `1 validation error detected: Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`);
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') validationError(field, undefined, 'Member must not be null');
  return value;
}

export function requireEnum<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) validationError(field, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return value as T;
}

/**
 * Names of state machines and executions: 1–80 characters, none of: white space, brackets < > { } [ ],
 * wildcards ? *, special characters " # % \ ^ | ~ ` $ & , ; : /, control characters (U+0000-001F,
 * U+007F-009F, U+FFFE-FFFF), lone surrogates (CreateStateMachine / StartExecution API reference).
 */
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function isValidName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  const length = codePoints(name);
  return length >= 1 && length <= 80 && !FORBIDDEN_IN_NAME.test(name);
}

/** `[...s].length` without the array: a surrogate pair counts once, a lone surrogate once. */
function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function requireName(name: unknown): string {
  if (!isValidName(name)) fail('InvalidName', `Invalid Name: '${String(name)}'`);
  return name;
}

export type ResourceType = 'stateMachine' | 'execution' | 'express';

/**
 * Checks an ARN given to the API and returns it. Recorded AWS answers:
 * "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'" and
 * "Invalid Arn: 'Resource type not valid in this context: express'" (an Express execution ARN given to
 * DescribeExecution, GetExecutionHistory or StopExecution).
 */
export function requireArn(arn: unknown, field: string, expected: ResourceType): string {
  // The same ARN comes again and again (a state machine's, on every StartSyncExecution): checked once.
  if (typeof arn === 'string' && arn === lastValidArn && expected === lastValidType) return arn;
  const text = requireString(arn, field);
  if (!/^arn:aws[a-z-]*:states:/.test(text)) fail('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${text}'`);
  const type = text.split(':')[5] ?? '';
  if (type !== expected) fail('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${type}'`);
  lastValidArn = text;
  lastValidType = expected;
  return text;
}

let lastValidArn: string | undefined;
let lastValidType: ResourceType | undefined;

/** maxResults: 0 (or absent) means the default page size of 100; at most 1000. */
export function pageSize(maxResults: unknown): number {
  if (maxResults === undefined || maxResults === null) return 100;
  const n = Number(maxResults);
  if (!Number.isInteger(n)) validationError('maxResults', maxResults, 'Member must be an integer');
  if (n > 1000) validationError('maxResults', n, 'Member must have value less than or equal to 1000');
  if (n < 0) validationError('maxResults', n, 'Member must have value greater than or equal to 0');
  return n === 0 ? 100 : n;
}

/** The largest nextToken each operation accepts (1024 for ListStateMachines, 3096 for ListExecutions/GetExecutionHistory). */
export function checkTokenLength(token: unknown, max: number): string | undefined {
  if (token === undefined || token === null) return undefined;
  const text = String(token);
  if (text.length > max) validationError('nextToken', text, `Member must have length less than or equal to ${max}`);
  return text;
}

export const EXECUTION_STATUSES = ['SUCCEEDED', 'TIMED_OUT', 'PENDING_REDRIVE', 'ABORTED', 'FAILED', 'RUNNING'] as const;

/** 256 KiB of UTF-8: the execution input quota. */
export const MAX_INPUT_BYTES = 262144;

/**
 * The execution input: JSON text (any JSON value), "{}" when omitted. Recorded answer for an empty
 * string: "Invalid State Machine Execution Input: 'Invalid execution input.'".
 */
export function requireInput(input: unknown): string {
  return parseInput(input).text;
}

/** requireInput, also giving the parsed value (so the execution does not parse the input again). */
export function parseInput(input: unknown): { text: string; value: unknown } {
  if (input === undefined || input === null) return { text: '{}', value: {} };
  const text = String(input);
  if (text.trim() === '') fail('InvalidExecutionInput', "Invalid State Machine Execution Input: 'Invalid execution input.'");
  if (text.length * 3 > MAX_INPUT_BYTES && Buffer.byteLength(text) > MAX_INPUT_BYTES) {
    // The input is a sensitive member: Coral leaves its value out of the message.
    fail('ValidationException', `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${MAX_INPUT_BYTES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fail('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(error as Error).message}'`);
  }
  return { text, value };
}
