/**
 * TestState's `mock.fieldValidationMode`: a mocked Task result is checked against the output shape of the API
 * the Task calls ("TestState validates mocked responses against AWS API models with three validation modes:
 * STRICT (this is the default and validates all required fields), PRESENT (validates field types and names),
 * and NONE", AWS News Blog, Nov 2025; MockInput in the API reference).
 *
 * The models are the AWS SDK v3 clients' own (their static schemas: `PutItemOutput$`, `SendMessageResult$`...),
 * for the services the local cloud integrates: DynamoDB, SQS, EventBridge and Step Functions. Lambda Invoke's
 * output is written here (its SDK client is not a dependency). Fields are named the Step Functions way, with
 * an upper-case first letter (`ExecutionArn` for the API's `executionArn`), and fields the model does not know
 * are accepted. Messages as recorded on AWS (LocalStack's test_field_validation_mode.snapshot.json):
 *   "Mock result schema validation error: Required field 'ExecutionArn' is missing"
 *   "Mock result schema validation error: Field 'Entries' must be an array"
 * Not checked: enum values, lengths and ranges (the SDK schemas do not carry them).
 */
import { fail } from './validate';

export type FieldValidationMode = 'STRICT' | 'PRESENT' | 'NONE';

type SchemaRef = unknown;

/** A model shape, reduced to what the checks need. */
type Shape =
  | { kind: 'string' | 'number' | 'boolean' | 'document' }
  | { kind: 'list'; member: SchemaRef }
  | { kind: 'map'; value: SchemaRef }
  | { kind: 'struct'; names: string[]; members: SchemaRef[]; required: number };

/** Reads the SDK's static schema format (@smithy/core/schema: numbers for simple types, arrays for the rest). */
function shapeOf(ref: SchemaRef): Shape {
  let sc = typeof ref === 'function' ? (ref as () => unknown)() : ref;
  // A member: [schema, traits].
  if (Array.isArray(sc) && sc.length === 2) return shapeOf(sc[0]);
  if (typeof sc === 'number') {
    if (sc >= 64 && sc < 128) return { kind: 'list', member: sc & 0b0011_1111 };
    if (sc >= 128 && sc <= 255) return { kind: 'map', value: sc & 0b0011_1111 };
    if (sc === 1 || sc === 17 || sc === 19) return { kind: 'number' };
    if (sc === 2) return { kind: 'boolean' };
    if (sc === 15) return { kind: 'document' };
    // 0 string, 4-7 timestamps, 21/42 blobs: JSON strings in a Task's result.
    return { kind: 'string' };
  }
  if (!Array.isArray(sc)) return { kind: 'document' };
  switch (sc[0]) {
    case 0:
      sc = sc[4];
      return shapeOf(sc);
    case 1:
      return { kind: 'list', member: sc[4] };
    case 2:
      return { kind: 'map', value: sc[5] };
    case 3:
    case -3:
    case 4:
      return { kind: 'struct', names: sc[4] as string[], members: sc[5] as SchemaRef[], required: typeof sc[6] === 'number' ? sc[6] : 0 };
    default:
      return { kind: 'document' };
  }
}

/** Lambda Invoke's output (the optimized integration parses the Payload as JSON). */
const LAMBDA_INVOKE_OUTPUT: SchemaRef = [3, 'local', 'InvokeOutput', 0, ['StatusCode', 'FunctionError', 'LogResult', 'Payload', 'ExecutedVersion'], [1, 0, 0, 15, 0], 0];

const SDK_PACKAGES: Record<string, string> = {
  dynamodb: '@aws-sdk/client-dynamodb',
  sqs: '@aws-sdk/client-sqs',
  eventbridge: '@aws-sdk/client-eventbridge',
  sfn: '@aws-sdk/client-sfn',
};

/** The service and action a Task resource calls, for the integrations the local cloud has models of. */
function apiOf(resource: string): { service: string; action: string } | 'lambda' | undefined {
  const m = /^arn:[^:]+:states:[^:]*:[^:]*:(.+)$/.exec(resource);
  if (!m) return undefined;
  const parts = m[1].replace(/\.(waitForTaskToken|sync(:\d+)?)$/, '').split(':');
  if (parts[0] === 'aws-sdk' && parts.length === 3) return { service: parts[1], action: parts[2] };
  if (parts.length !== 2) return undefined;
  const [service, action] = parts;
  if (service === 'lambda' && action === 'invoke') return 'lambda';
  if (service === 'dynamodb' || service === 'sqs') return { service, action };
  if (service === 'events') return { service: 'eventbridge', action };
  if (service === 'states') return { service: 'sfn', action };
  return undefined;
}

function outputSchema(resource: string): SchemaRef | undefined {
  const api = apiOf(resource);
  if (api === 'lambda') return LAMBDA_INVOKE_OUTPUT;
  if (!api || !SDK_PACKAGES[api.service]) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const sdk = require(SDK_PACKAGES[api.service]) as Record<string, unknown>;
  const name = api.action.charAt(0).toUpperCase() + api.action.slice(1);
  return sdk[`${name}Output$`] ?? sdk[`${name}Result$`] ?? sdk[`${name}Response$`];
}

const sfnCased = (name: string) => name.charAt(0).toUpperCase() + name.slice(1);

function schemaError(message: string): never {
  fail('ValidationException', `Mock result schema validation error: ${message}`);
}

function check(value: unknown, ref: SchemaRef, field: string, mode: FieldValidationMode): void {
  const shape = shapeOf(ref);
  switch (shape.kind) {
    case 'document':
      return;
    case 'string':
      if (typeof value !== 'string') schemaError(`Field '${field}' must be a string`);
      return;
    case 'number':
      if (typeof value !== 'number') schemaError(`Field '${field}' must be a number`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') schemaError(`Field '${field}' must be a boolean`);
      return;
    case 'list':
      if (!Array.isArray(value)) schemaError(`Field '${field}' must be an array`);
      for (const item of value) check(item, shape.member, field, mode);
      return;
    case 'map':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) schemaError(`Field '${field}' must be an object`);
      for (const item of Object.values(value)) check(item, shape.value, field, mode);
      return;
    case 'struct': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) schemaError(`Field '${field}' must be an object`);
      const fields = value as Record<string, unknown>;
      const byName = new Map(shape.names.map((n, i) => [sfnCased(n), shape.members[i]]));
      if (mode === 'STRICT') {
        for (const n of shape.names.slice(0, shape.required)) {
          if (!(sfnCased(n) in fields)) schemaError(`Required field '${sfnCased(n)}' is missing`);
        }
      }
      for (const [k, v] of Object.entries(fields)) {
        const member = byName.get(k);
        // Fields the model does not have are accepted (forward compatibility, as on AWS).
        if (member !== undefined) check(v, member, k, mode);
      }
      return;
    }
  }
}

/** Checks a mocked Task result (already parsed) against the called API's output; throws ValidationException. */
export function validateMockResult(resource: string, result: unknown, mode: FieldValidationMode): void {
  if (mode === 'NONE' || result === null) return;
  const schema = outputSchema(resource);
  if (schema === undefined) return;
  if (typeof result !== 'object' || Array.isArray(result)) fail('ValidationException', 'Mocked result must be a JSON object.');
  check(result, schema, '', mode);
}
