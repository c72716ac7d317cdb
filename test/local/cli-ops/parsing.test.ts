/** Pure parsing and formatting of the CLI: options, flag assignments, stack outputs, DLQ bodies, errors. */
import { parseLimit, parseSince, parseStatus } from '../../../local/cli/context';
import { parseDeadLetter } from '../../../local/cli/dead-letters';
import { EXIT, UsageError, isMissingCredentials, networkErrorCode } from '../../../local/cli/errors';
import { abbreviate, duration, parseDuration, table } from '../../../local/cli/format';
import { parseAssignment } from '../../../local/cli/commands/flags';
import { outputsToRecord, requireResource, stackInfoFromOutputs } from '../../../local/cli/stack-outputs';

/** The outputs of cdk/stack.ts as DescribeStacks returns them (values shaped like a deployment's). */
const OUTPUTS = [
  { OutputKey: 'ordersStateMachineArn', OutputValue: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ResourceordersStateMachine2739D9DA-x1' },
  { OutputKey: 'ordersDeadLetterQueueUrl', OutputValue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/CrudApi-ResourceordersDeadLetterQueueF1B463A8-y2' },
  { OutputKey: 'ordersTableName', OutputValue: 'CrudApi-ResourceordersTable43092AAF-z3' },
  { OutputKey: 'customersStateMachineArn', OutputValue: 'arn:aws:states:eu-west-1:123456789012:stateMachine:ResourcecustomersStateMachine-a' },
  { OutputKey: 'customersDeadLetterQueueUrl', OutputValue: 'https://sqs.eu-west-1.amazonaws.com/123456789012/customers-dlq' },
  { OutputKey: 'customersTableName', OutputValue: 'customers-table' },
  { OutputKey: 'ApiUrl', OutputValue: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1/' },
  { OutputKey: 'RedriveFunctionName', OutputValue: 'CrudApi-RedriveFunctionCBF4F39B-r' },
  { OutputKey: 'FlagsApplicationId', OutputValue: 'app1234' },
  { OutputKey: 'FlagsEnvironmentId', OutputValue: 'env5678' },
  { OutputKey: 'FlagsProfileId', OutputValue: 'prof9012' },
];

describe('stack outputs', () => {
  test('every <name>StateMachineArn with its DLQ makes a resource; flags and redrive function come along', () => {
    const stack = stackInfoFromOutputs(outputsToRecord(OUTPUTS));
    expect(stack.resources).toEqual([
      { name: 'orders', stateMachineArn: OUTPUTS[0].OutputValue, deadLetterQueueUrl: OUTPUTS[1].OutputValue, tableName: OUTPUTS[2].OutputValue },
      { name: 'customers', stateMachineArn: OUTPUTS[3].OutputValue, deadLetterQueueUrl: OUTPUTS[4].OutputValue, tableName: 'customers-table' },
    ]);
    expect(stack.flags).toEqual({ application: 'app1234', environment: 'env5678', configurationProfile: 'prof9012' });
    expect(stack.redriveFunctionName).toBe('CrudApi-RedriveFunctionCBF4F39B-r');
  });

  test('an unknown resource is a not-found error (exit 3) that names the known ones', () => {
    const stack = stackInfoFromOutputs(outputsToRecord(OUTPUTS));
    expect(() => requireResource(stack, 'pizzas')).toThrow('Unknown resource "pizzas"; known resources: orders, customers');
    try {
      requireResource(stack, 'pizzas');
    } catch (e) {
      expect((e as UsageError).exitCode).toBe(EXIT.NOT_FOUND);
    }
  });
});

describe('command-line values', () => {
  test('flag assignments: name=true|false for a flag of lambdas/flags/definitions.ts', () => {
    expect(parseAssignment('readOnly=true')).toEqual({ flag: 'readOnly', enabled: true });
    expect(parseAssignment('softDelete=false')).toEqual({ flag: 'softDelete', enabled: false });
  });

  test.each([
    ['readOnly', 'Expected <name>=<true|false>, got "readOnly"'],
    ['readOnly=yes', 'The value of readOnly must be true or false, got "yes"'],
    ['readOnly=', 'The value of readOnly must be true or false, got ""'],
    ['=true', 'Expected <name>=<true|false>'],
    ['maintenance=true', 'Unknown flag "maintenance"; known flags: readOnly, softDelete, publishEvents'],
  ])('%s is a usage error (exit 2): %s', (text, message) => {
    expect(() => parseAssignment(text)).toThrow(message);
    expect(() => parseAssignment(text)).toThrow(UsageError);
  });

  test('--limit takes whole numbers ≥ 1', () => {
    expect(parseLimit(undefined, 20)).toBe(20);
    expect(parseLimit('5', 20)).toBe(5);
    for (const bad of ['0', '-1', '2.5', 'ten', '']) expect(() => parseLimit(bad, 20)).toThrow(UsageError);
  });

  test('--status is case-insensitive and checked against the Express statuses', () => {
    expect(parseStatus('failed')).toBe('FAILED');
    expect(parseStatus('timed-out')).toBe('TIMED_OUT');
    expect(parseStatus(undefined)).toBeUndefined();
    expect(() => parseStatus('broken')).toThrow('Unknown status "broken"; one of: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED');
  });

  test('--since takes a duration or an ISO date', () => {
    const now = Date.parse('2026-11-23T12:00:00Z');
    expect(parseSince('15m', now)).toEqual(new Date('2026-11-23T11:45:00Z'));
    expect(parseSince('2h', now)).toEqual(new Date('2026-11-23T10:00:00Z'));
    expect(parseSince('7d', now)).toEqual(new Date('2026-11-16T12:00:00Z'));
    expect(parseSince('2026-11-01T00:00:00Z', now)).toEqual(new Date('2026-11-01T00:00:00Z'));
    expect(() => parseSince('yesterday', now)).toThrow(UsageError);
    expect(parseDuration('90')).toBe(90_000);
  });
});

describe('dead-letter messages', () => {
  /** What SendToDeadLetterQueue stores (statemachines/crud-resource.asl.json), as ReceiveMessage returns it. */
  const message = (body: string, receives = '1') => ({
    MessageId: 'm-1',
    ReceiptHandle: 'rh',
    Body: body,
    Attributes: { ApproximateReceiveCount: receives, SentTimestamp: '1767225601000' },
  });

  test('a queued request shows its request id, method and path, error, queuedAt and receive count', () => {
    const body = JSON.stringify({
      request: { method: 'PUT', path: '/v1/orders/o-1', requestId: 'req-1', body: {} },
      error: 'DynamoDB.ProvisionedThroughputExceededException',
      cause: 'throttled',
      executionArn: 'arn:aws:states:us-east-1:000000000000:express:m:req-1:u',
      requestId: 'req-1',
      resource: 'orders',
      queuedAt: '2026-01-01T00:00:00.000Z',
    });
    expect(parseDeadLetter(message(body, '3'))).toEqual({
      messageId: 'm-1',
      requestId: 'req-1',
      method: 'PUT',
      path: '/v1/orders/o-1',
      error: 'DynamoDB.ProvisionedThroughputExceededException',
      cause: 'throttled',
      executionArn: 'arn:aws:states:us-east-1:000000000000:express:m:req-1:u',
      queuedAt: new Date('2026-01-01T00:00:00.000Z'),
      receiveCount: 3,
      unreadable: false,
    });
  });

  test('a body the redrive cannot replay is flagged unreadable, with SQS’s sent time', () => {
    expect(parseDeadLetter(message('not json {'))).toMatchObject({ messageId: 'm-1', unreadable: true, receiveCount: 1, queuedAt: new Date(1767225601000) });
    expect(parseDeadLetter(message(JSON.stringify({ hello: 'no request' })))).toMatchObject({ unreadable: true });
  });
});

describe('formatting', () => {
  test('abbreviate compacts JSON text to one line and cuts it with an ellipsis', () => {
    expect(abbreviate('{ "a": 1,\n  "b": [1, 2] }')).toBe('{"a":1,"b":[1,2]}');
    expect(abbreviate({ text: 'x'.repeat(100) }, 20)).toBe('{"text":"xxxxxxxxxx…');
    expect(abbreviate('plain text')).toBe('plain text');
  });

  test('durations read naturally', () => {
    expect([duration(850), duration(1234), duration(12_300), duration(125_000), duration(7_500_000)]).toEqual(['850 ms', '1.23 s', '12.3 s', '2 min 5 s', '2 h 5 min']);
  });

  test('tables align columns and leave the last one unpadded', () => {
    expect(table(['A', 'BB'], [['xyz', '1'], ['', '22']])).toBe('A    BB\nxyz  1\n     22\n');
  });
});

describe('error classification', () => {
  test('network codes are found through fetch’s cause chain and AggregateErrors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:4566'), { code: 'ECONNREFUSED' });
    expect(networkErrorCode(new TypeError('fetch failed', { cause: refused }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(new TypeError('fetch failed', { cause: new AggregateError([refused]) }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(Object.assign(new Error('getaddrinfo ENOTFOUND x'), { code: 'ENOTFOUND' }))).toBe('ENOTFOUND');
    expect(networkErrorCode(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:4566'))).toBe('ECONNREFUSED');
    expect(networkErrorCode(new Error('ValidationError'))).toBeUndefined();
    expect(networkErrorCode(new Error('Stack ECONNREFUSED-test does not exist'))).toBeUndefined();
  });

  test('missing AWS credentials are recognised by the SDK error name', () => {
    expect(isMissingCredentials(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }))).toBe(true);
    expect(isMissingCredentials(new Error('other'))).toBe(false);
  });
});
