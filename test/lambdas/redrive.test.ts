import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MessageOutcome, RedriveTarget, ReplayResult, classifyReplay, executionName, itemKey, parseQueuedMessage, redriveQueue as redriveSummary } from '../../lambdas/redrive/redrive';
import { awsClientConfig } from '../../lambdas/shared/aws-client-config';
import { FakeSqsSfn, startFakeSqsSfn } from '../helpers/fake-sqs-sfn';
import { LOCAL_CLIENT_CONFIG } from '../helpers/http-server';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:orders';

/** What SendToDeadLetterQueue stores (statemachines/crud-resource.asl.json). */
function queuedRequest(requestId: string, overrides: Record<string, unknown> = {}): string {
  const request = {
    method: 'POST',
    resource: 'orders',
    path: '/orders',
    id: '',
    query: { limit: '', next: '' },
    headers: { ifMatch: '', ifNoneMatch: '', idempotencyKey: '' },
    requestId,
    receivedAt: 1767225600000,
    rejected: '',
    body: { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] },
    ...overrides,
  };
  return JSON.stringify({ request, error: 'DynamoDB.ProvisionedThroughputExceededException', cause: 'throttled', executionArn: 'arn:x', requestId, resource: 'orders', queuedAt: '2026-01-01T00:00:00Z' });
}

const succeeded = (statusCode: number, headers: Record<string, string> = {}) => ({ status: 'SUCCEEDED' as const, output: { statusCode, headers, body: '' } });

/** The outcomes only, as most tests of one queue read them. */
const redriveQueue = async (...args: Parameters<typeof redriveSummary>) => (await redriveSummary(...args)).outcomes;

let fake: FakeSqsSfn;
let target: RedriveTarget;
let clients: { sqs: SQSClient; sfn: SFNClient; events: EventBridgeClient };

beforeEach(async () => {
  fake = await startFakeSqsSfn();
  target = { resource: 'orders', queueUrl: fake.queueUrl('orders-dlq'), stateMachineArn: STATE_MACHINE_ARN };
  clients = {
    sqs: new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url }),
    // Without disableHostPrefix the SDK would call http://sync-127.0.0.1 (docs/pitfalls.md #13).
    sfn: new SFNClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url, disableHostPrefix: true }),
    events: new EventBridgeClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url }),
  };
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fake.close();
});

describe('executionName', () => {
  test('is the request id plus the receive count, so each replay has its own findable name', () => {
    expect(executionName('c0ffee-1234', 2)).toBe('c0ffee-1234-redrive-2');
  });

  test('is at most 80 characters, keeping the suffix, even for a very long request id', () => {
    const name = executionName('a'.repeat(200), 12345);
    expect(name).toHaveLength(80);
    expect(name.endsWith('-redrive-12345')).toBe(true);
  });

  test('uses only characters allowed in execution names (letters, digits, - and _)', () => {
    const name = executionName('req id/with:odd*chars{}[]?é', 1);
    expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(name).toBe(`req_id_with_odd_chars${'_'.repeat(6)}-redrive-1`);
  });
});

describe('redriveQueue against SQS and Step Functions endpoints', () => {
  test('a replay answered 2xx is applied and its message deleted', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(201);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'applied', statusCode: 201, requestId: 'req-1', receiveCount: 1 })]);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('a replay answered 4xx can never succeed: rejected, and its message deleted', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(409);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'rejected', statusCode: 409 })]);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('a replay answered 5xx is kept, visible again at once for the next redrive', async () => {
    const message = fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(503);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'kept', statusCode: 503 })]);
    expect(fake.messages('orders-dlq')).toEqual([message]);
    expect(fake.calls('ChangeMessageVisibility')).toEqual([expect.objectContaining({ VisibilityTimeout: 0 })]);
    expect(message.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test.each(['FAILED', 'TIMED_OUT'] as const)('a %s execution is kept with its error, visible again', async (status) => {
    const message = fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => ({ status, error: 'States.TaskFailed', cause: 'boom' });

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'kept', error: expect.stringContaining(status) })]);
    expect(fake.messages('orders-dlq')).toEqual([message]);
    expect(message.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('StartSyncExecution itself failing (5xx) keeps the message and goes on with the next one', async () => {
    const first = fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.enqueue('orders-dlq', queuedRequest('req-2'));
    fake.script = (call) =>
      JSON.parse(call.input).requestId === 'req-1'
        ? { apiError: { httpStatus: 500, type: 'ServiceUnavailable', message: 'try later' } }
        : succeeded(200);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes.map((o) => [o.requestId, o.outcome])).toEqual([
      ['req-1', 'kept'],
      ['req-2', 'applied'],
    ]);
    expect(outcomes[0].error).toContain('ServiceUnavailable');
    expect(fake.messages('orders-dlq')).toEqual([first]);
    expect(first.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('an unreadable message is poison: not replayed, not deleted, released for an operator', async () => {
    const message = fake.enqueue('orders-dlq', 'this is not JSON {');
    fake.enqueue('orders-dlq', JSON.stringify({ hello: 'no request here' }));

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes.map((o) => o.outcome)).toEqual(['poison', 'poison']);
    expect(outcomes[0].error).toMatch(/^unreadable message/);
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toHaveLength(2);
    expect(message.receiveCount).toBe(1);
    expect(fake.calls('DeleteMessage')).toEqual([]);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);

    // And again at the next run: poison stays poison, still not replayed nor deleted.
    const again = await redriveSummary(target, clients);
    expect(again).toMatchObject({ poison: 2, applied: 0, kept: 0 });
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toHaveLength(2);
  });

  test('receive counts do not matter: a message received 500 times is replayed like any other', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'), 499);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'applied', receiveCount: 500 })]);
    expect(fake.executions.map((e) => e.name)).toEqual(['req-1-redrive-500']);
  });

  test("the replay is the original request marked replay:true, on the resource's state machine, named after the request", async () => {
    const body = queuedRequest('req-7', { method: 'PUT', id: 'o-1', path: '/orders/o-1', headers: { ifMatch: '"3"', ifNoneMatch: '', idempotencyKey: 'k-1' } });
    fake.enqueue('orders-dlq', body, 1);

    await redriveQueue(target, clients);

    expect(fake.executions).toHaveLength(1);
    const [call] = fake.executions;
    expect(call.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(call.name).toBe('req-7-redrive-2');
    // With why and when it was queued, for the request record.
    expect(JSON.parse(call.input)).toEqual({ ...JSON.parse(body).request, replay: true, queuedBecause: 'DynamoDB.ProvisionedThroughputExceededException', queuedAt: '2026-01-01T00:00:00Z' });
    // disableHostPrefix: the call reached this host, not sync-127.0.0.1
    expect(call.host).toBe(`127.0.0.1:${fake.server.port}`);
  });

  test('drains several batches, stopping at maxMessages, and reports each outcome as it goes', async () => {
    for (let i = 1; i <= 12; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    const seen: MessageOutcome[] = [];

    const outcomes = await redriveQueue(target, clients, { maxMessages: 11, onOutcome: (o) => seen.push(o) });

    expect(outcomes).toHaveLength(11);
    expect(seen).toEqual(outcomes);
    expect(new Set(outcomes.map((o) => o.requestId)).size).toBe(11);
    expect(fake.messages('orders-dlq')).toHaveLength(1);
  });

  test('does not replay the same message twice in one run when it becomes visible again', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(500);

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toHaveLength(1);
    expect(fake.executions).toHaveLength(1);
  });

  test('each run is a new receive, so each replay of a kept message has its own execution name', async () => {
    const message = fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(503);

    const first = await redriveQueue(target, clients);
    const second = await redriveQueue(target, clients);

    expect([first[0].receiveCount, second[0].receiveCount]).toEqual([1, 2]);
    expect(fake.executions.map((e) => e.name)).toEqual(['req-1-redrive-1', 'req-1-redrive-2']);
    expect(message.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('an output that is not a {statusCode} response is kept, not counted as applied', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => ({ status: 'SUCCEEDED', output: 'just a string' });

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'kept' })]);
    expect(fake.messages('orders-dlq')).toHaveLength(1);
  });

  test('an empty queue is a no-op', async () => {
    expect(await redriveQueue(target, clients)).toEqual([]);
    expect(fake.executions).toEqual([]);
  });

  test('a queue that does not exist is an error, not a silent no-op', async () => {
    const missing = { ...target, queueUrl: `${fake.url}/000000000000/no-such-queue` };
    await expect(redriveQueue(missing, clients)).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });
});

describe('redriveQueue with messageIds (only the messages asked for)', () => {
  const fill = (n: number) => Array.from({ length: n }, (_, i) => fake.enqueue('orders-dlq', queuedRequest(`req-${i + 1}`)));

  test('replays only the requested messages; the others stay queued, visible at once, and are not in the outcomes', async () => {
    const messages = fill(5);
    const seen: MessageOutcome[] = [];

    const outcomes = await redriveQueue(target, clients, { messageIds: [messages[1].messageId, messages[3].messageId], onOutcome: (o) => seen.push(o) });

    expect(outcomes.map((o) => [o.messageId, o.requestId, o.outcome])).toEqual([
      [messages[1].messageId, 'req-2', 'applied'],
      [messages[3].messageId, 'req-4', 'applied'],
    ]);
    expect(seen).toEqual(outcomes);
    expect(fake.executions.map((e) => e.name)).toEqual(['req-2-redrive-1', 'req-4-redrive-1']);
    expect(fake.messages('orders-dlq')).toEqual([messages[0], messages[2], messages[4]]);
    for (const m of fake.messages('orders-dlq')) expect(m.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('finds a message several batches deep: the ones before it stay hidden during the search, then are released', async () => {
    const messages = fill(25);
    const wanted = messages[22];

    const outcomes = await redriveQueue(target, clients, { messageIds: [wanted.messageId] });

    expect(outcomes).toEqual([expect.objectContaining({ messageId: wanted.messageId, requestId: 'req-23', outcome: 'applied' })]);
    expect(fake.executions).toHaveLength(1);
    expect(fake.calls('ReceiveMessage')).toHaveLength(3); // 10 + 10 + 5: the third batch holds it
    expect(fake.calls('ReceiveMessage').every((c) => c.MaxNumberOfMessages === 10)).toBe(true);
    expect(fake.messages('orders-dlq')).toHaveLength(24);
    expect(fake.calls('ChangeMessageVisibility')).toHaveLength(24);
    expect(fake.calls('ChangeMessageVisibility').every((c) => c.VisibilityTimeout === 0)).toBe(true);
    for (const m of fake.messages('orders-dlq')) expect(m.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('stops receiving as soon as every requested id is handled', async () => {
    const messages = fill(30);

    await redriveQueue(target, clients, { messageIds: [messages[1].messageId] });

    expect(fake.calls('ReceiveMessage')).toHaveLength(1);
    expect(fake.messages('orders-dlq')).toHaveLength(29);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);
  });

  test('an id that is not in the queue is absent from the outcomes once the queue is exhausted; nothing is replayed', async () => {
    const messages = fill(12);

    const outcomes = await redriveQueue(target, clients, { messageIds: ['no-such-message'] });

    expect(outcomes).toEqual([]);
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toEqual(messages);
    expect(messages.every((m) => m.receiveCount === 1 && m.visibleAt <= Date.now())).toBe(true);
  });

  test('an empty list replays nothing and does not even receive', async () => {
    fill(3);

    expect(await redriveQueue(target, clients, { messageIds: [] })).toEqual([]);
    expect(fake.calls('ReceiveMessage')).toEqual([]);
  });

  test('a requested message that fails again is kept and visible again, like any other kept message', async () => {
    const messages = fill(3);
    fake.script = () => succeeded(503);

    const outcomes = await redriveQueue(target, clients, { messageIds: [messages[2].messageId] });

    expect(outcomes).toEqual([expect.objectContaining({ messageId: messages[2].messageId, outcome: 'kept', statusCode: 503 })]);
    expect(fake.messages('orders-dlq')).toEqual(messages);
    expect(messages.every((m) => m.visibleAt <= Date.now())).toBe(true);
  });

  test('maxMessages still bounds the replays; requested messages over the limit are released untouched', async () => {
    const messages = fill(4);

    const outcomes = await redriveQueue(target, clients, { messageIds: messages.map((m) => m.messageId), maxMessages: 2 });

    expect(outcomes.map((o) => o.requestId)).toEqual(['req-1', 'req-2']);
    expect(fake.messages('orders-dlq')).toEqual([messages[2], messages[3]]);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);
  });
});

describe('the redrive Lambda handler', () => {
  test('with AWS_ENDPOINT_URL set, its clients reach the endpoint (host prefix off) and it redrives every target', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.enqueue('customers-dlq', queuedRequest('req-2', { resource: 'customers' }));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      REDRIVE_TARGETS: JSON.stringify([
        target,
        { resource: 'customers', queueUrl: fake.queueUrl('customers-dlq'), stateMachineArn: STATE_MACHINE_ARN.replace('orders', 'customers') },
      ]),
    });
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      let handler!: typeof import('../../lambdas/redrive/index').handler;
      jest.isolateModules(() => {
        handler = require('../../lambdas/redrive/index').handler;
      });
      const result = await handler({});
      expect(result.orders).toMatchObject({ applied: 1, rejected: 0, kept: 0, poison: 0 });
      expect(result.customers).toMatchObject({ applied: 1 });
      await expect(handler({ resource: 'pizzas' })).rejects.toThrow('Unknown resource "pizzas"; known: orders, customers');

      fake.enqueue('orders-dlq', queuedRequest('req-3'));
      const wanted = fake.enqueue('orders-dlq', queuedRequest('req-4'));
      const only = await handler({ resource: 'orders', messageIds: [wanted.messageId] });
      expect(only.orders.outcomes.map((o) => o.requestId)).toEqual(['req-4']);
      expect(fake.messages('orders-dlq').map((m) => JSON.parse(m.body).requestId)).toEqual(['req-3']);
      await expect(handler({ messageIds: [wanted.messageId] })).rejects.toThrow('"messageIds" needs "resource"');
    } finally {
      process.env = saved;
    }
  });

  test('awsClientConfig turns host prefixes off exactly when an endpoint is configured (docs/pitfalls.md #13)', () => {
    expect(awsClientConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toEqual({ endpoint: 'http://localhost:4566', disableHostPrefix: true });
    expect(awsClientConfig({})).toEqual({});
  });
});

// ---------------------------------------------------------------------------------------------------
// The contract of lambdas/redrive/redrive.ts's header.
// ---------------------------------------------------------------------------------------------------

const DAY_MS = 24 * 3600 * 1000;
const unavailable = (retryAfter = '60') => succeeded(503, { 'Content-Type': 'application/problem+json', 'Retry-After': retryAfter });

/** Date.now() under the test's control: the fake's visibility timeouts and the redrive's receipts follow it. */
function mockClock(start = Date.now()) {
  let now = start;
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  return {
    get now() {
      return now;
    },
    advance(ms: number) {
      now += ms;
    },
  };
}

/** Minimal execution record for classifyReplay. */
const execution = (output: unknown, status = 'SUCCEEDED') => ({ execution: { status, output: typeof output === 'string' ? output : JSON.stringify(output) } });

describe('classification of a replay (classifyReplay, parseQueuedMessage)', () => {
  const response = (statusCode: unknown, headers: Record<string, unknown> = {}) => execution({ statusCode, headers, body: '' });

  test.each([
    ['StartSyncExecution throttled', 'kept', { thrown: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) }],
    ['StartSyncExecution network error', 'kept', { thrown: Object.assign(new Error('socket hang up'), { name: 'Error' }) }],
    ['FAILED execution', 'kept', { execution: { status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' } }],
    ['TIMED_OUT execution', 'kept', { execution: { status: 'TIMED_OUT' } }],
    ['200', 'applied', response(200)],
    ['201', 'applied', response(201)],
    ['204', 'applied', response(204)],
    ['400', 'rejected', response(400)],
    ['404', 'rejected', response(404)],
    ['409 superseded', 'rejected', response(409)],
    ['412', 'rejected', response(412)],
    ['422', 'rejected', response(422)],
    ['408 Request Timeout', 'kept', response(408)],
    ['429 Too Many Requests', 'kept', response(429)],
    ['409 in progress + Retry-After', 'kept', response(409, { 'Retry-After': '1' })],
    ['2xx + Retry-After', 'kept', response(202, { 'Retry-After': '5' })],
    ['retry-after in lower case', 'kept', response(400, { 'retry-after': 2 })],
    ['empty Retry-After is no Retry-After', 'rejected', response(404, { 'Retry-After': '' })],
    ['500', 'kept', response(500)],
    ['502', 'kept', response(502)],
    ['503 readOnly still on (Retry-After: 60)', 'kept', response(503, { 'Retry-After': '60' })],
    ['503 without Retry-After (replay failed again)', 'kept', response(503)],
    ['504', 'kept', response(504)],
    ['3xx is not final', 'kept', response(304)],
    ['statusCode as a numeric string', 'applied', response('201')],
    ['output not JSON', 'kept', execution('not json')],
    ['output without statusCode', 'kept', execution({ hello: 1 })],
    ['output a plain string', 'kept', execution('"just a string"')],
  ] as const)('%s → %s', (_name, expected, result) => {
    expect(classifyReplay(result as ReplayResult).outcome).toBe(expected);
  });

  test('a kept answer says why: the status, its Retry-After, or the error', () => {
    expect(classifyReplay(response(503, { 'Retry-After': '60' }))).toEqual({ outcome: 'kept', statusCode: 503, retryAfter: '60' });
    expect(classifyReplay({ execution: { status: 'FAILED', error: 'States.TaskFailed', cause: 'boom' } })).toEqual({ outcome: 'kept', error: 'FAILED: States.TaskFailed: boom' });
    expect(classifyReplay({ thrown: Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }) })).toEqual({
      outcome: 'kept',
      error: 'StartSyncExecution failed: ThrottlingException: Rate exceeded',
    });
    expect(classifyReplay(response(201))).toEqual({ outcome: 'applied', statusCode: 201 });
  });

  test.each([
    ['not JSON', 'this is not JSON {'],
    ['JSON without request', JSON.stringify({ hello: 'no request here' })],
    ['request not an object', JSON.stringify({ request: 'POST /orders', requestId: 'r' })],
    ['no requestId anywhere', JSON.stringify({ request: { method: 'POST' } })],
    ['null', 'null'],
    ['empty body', ''],
  ])('a message that is %s is poison', (_name, body) => {
    expect(parseQueuedMessage(body)).toEqual({ poison: expect.stringMatching(/^unreadable message/) });
  });

  test('a message of the state machine is readable; the requestId may come from the request', () => {
    expect(parseQueuedMessage(queuedRequest('req-1'))).toEqual({ queued: expect.objectContaining({ requestId: 'req-1', request: expect.objectContaining({ method: 'POST' }) }) });
    expect(parseQueuedMessage(JSON.stringify({ request: { requestId: 'req-2' } }))).toEqual({ queued: expect.objectContaining({ requestId: 'req-2' }) });
  });

  test('item keys: same resource + id, or a POST without id with the same Idempotency-Key; anything else is independent', () => {
    const key = (overrides: Record<string, unknown>, messageId = 'm-1') => itemKey(JSON.parse(queuedRequest('r', overrides)), messageId, 'orders');
    const headers = (idempotencyKey: string) => ({ ifMatch: '', ifNoneMatch: '', idempotencyKey });
    expect(key({ method: 'PUT', id: 'o-1' })).toBe(key({ method: 'DELETE', id: 'o-1' }, 'm-2'));
    expect(key({ method: 'PUT', id: 'o-1' })).not.toBe(key({ method: 'PUT', id: 'o-1', resource: 'customers' }));
    expect(key({ headers: headers('k-1') })).toBe(key({ headers: headers('k-1') }, 'm-2'));
    expect(key({ headers: headers('k-1') })).not.toBe(key({ headers: headers('k-2') }, 'm-2'));
    expect(key({ headers: headers('') })).not.toBe(key({ headers: headers('') }, 'm-2'));
    expect(key({ headers: headers('') })).toBe('message:m-1');
  });
});

describe('transient causes never make a request poison, however long they last', () => {
  test('one hour of maintenance (60 runs answering 503 + Retry-After), then 201: every message is applied, none poison, none lost', async () => {
    const clock = mockClock();
    const requestIds = Array.from({ length: 11 }, (_, i) => `req-${i + 1}`);
    for (const id of requestIds) fake.enqueue('orders-dlq', queuedRequest(id));
    const maintenanceEnds = clock.now + 3600_000;
    fake.script = () => (Date.now() < maintenanceEnds ? unavailable('60') : succeeded(201));
    const runs = [];

    for (let minute = 0; minute < 60; minute++) {
      runs.push(await redriveSummary(target, clients));
      clock.advance(60_000);
    }
    // An hour of runs: each stopped after 3 kept replays, nothing poison, nothing deleted.
    expect(runs.every((r) => r.stoppedBecause === 'transient' && r.kept === 3 && r.poison === 0 && r.applied === 0)).toBe(true);
    expect(fake.executions).toHaveLength(180);
    expect(fake.messages('orders-dlq')).toHaveLength(11);
    expect(Math.max(...fake.messages('orders-dlq').map((m) => m.receiveCount))).toBeGreaterThanOrEqual(60);

    const after = await redriveSummary(target, clients);

    expect(after).toMatchObject({ applied: 11, rejected: 0, kept: 0, poison: 0, requeued: 0 });
    expect(after.stoppedBecause).toBeUndefined();
    expect(after.outcomes.map((o) => o.requestId).sort()).toEqual([...requestIds].sort());
    expect(fake.messages('orders-dlq')).toEqual([]);
    // Every execution had its own name.
    expect(new Set(fake.executions.map((e) => e.name)).size).toBe(fake.executions.length);
  });

  test('3 consecutive kept replays stop the queue after 3 executions while 50 messages wait; all are released', async () => {
    for (let i = 1; i <= 50; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    fake.script = () => unavailable();

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ applied: 0, kept: 3, poison: 0, requeued: 0, stoppedBecause: 'transient' });
    expect(fake.executions).toHaveLength(3);
    expect(fake.messages('orders-dlq')).toHaveLength(50);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);
  });

  test('StartSyncExecution throwing is transient too: the queue stops after 3', async () => {
    for (let i = 1; i <= 20; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    fake.script = () => ({ apiError: { httpStatus: 400, type: 'ThrottlingException', message: 'Rate exceeded' } });

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ kept: 3, stoppedBecause: 'transient' });
    expect(run.outcomes.every((o) => o.error?.includes('ThrottlingException'))).toBe(true);
    expect(fake.messages('orders-dlq')).toHaveLength(20);
  });

  test('a final outcome resets the count: kept, kept, applied, kept, kept goes on', async () => {
    for (let i = 1; i <= 6; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    const answers = [503, 503, 201, 503, 503, 201];
    fake.script = () => succeeded(answers.shift()!);

    const run = await redriveSummary(target, clients, { concurrency: 1 });

    expect(run.outcomes.map((o) => o.outcome)).toEqual(['kept', 'kept', 'applied', 'kept', 'kept', 'applied']);
    expect(run.stoppedBecause).toBeUndefined();
  });

  test('a 4xx with Retry-After (409 in progress) is kept, not deleted', async () => {
    const message = fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.script = () => succeeded(409, { 'Retry-After': '1' });

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'kept', statusCode: 409, retryAfter: '1' })]);
    expect(fake.messages('orders-dlq')).toEqual([message]);
  });

  test('no replay starts after the deadline; what was received is released', async () => {
    const clock = mockClock();
    for (let i = 1; i <= 5; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    const deadline = clock.now + 10_000;
    fake.script = () => {
      clock.advance(15_000);
      return succeeded(201);
    };

    const run = await redriveSummary(target, clients, { deadline, concurrency: 1 });

    expect(run).toMatchObject({ applied: 1, stoppedBecause: 'deadline' });
    expect(fake.messages('orders-dlq')).toHaveLength(4);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);
  });
});

describe('never crash, never lose a result', () => {
  const fill = (n: number) => Array.from({ length: n }, (_, i) => fake.enqueue('orders-dlq', queuedRequest(`req-${i + 1}`)));

  test('a replay longer than the visibility: its delete is refused, recorded, and the other results are kept', async () => {
    const clock = mockClock();
    fill(3);
    fake.script = (call) => {
      if (JSON.parse(call.input).requestId === 'req-2') clock.advance(70_000); // every receipt of the batch has expired
      return succeeded(201);
    };
    const seen: MessageOutcome[] = [];

    const run = await redriveSummary(target, clients, { concurrency: 1, onOutcome: (o) => seen.push(o) });

    expect(run.outcomes.map((o) => [o.requestId, o.outcome])).toEqual([
      ['req-1', 'applied'],
      ['req-2', 'applied'],
      ['req-3', 'applied'],
    ]);
    expect(seen).toEqual(run.outcomes);
    expect(run.outcomes[1].deleteError).toMatch(/^receipt expired, not deleted: MessageNotInflight/);
    expect(run.outcomes[0].deleteError).toBeUndefined();
    // req-3 waited with an expired receipt: it was not used; a new receive of the run handed a fresh one.
    expect(run.outcomes[2].deleteError).toBeUndefined();
    expect(fake.messages('orders-dlq').map((m) => JSON.parse(m.body).requestId)).toEqual(['req-2']);

    // It comes back, and its replay (answered from the request record) deletes it.
    clock.advance(60_000);
    fake.script = () => succeeded(201);
    const again = await redriveSummary(target, clients);
    expect(again.outcomes).toEqual([expect.objectContaining({ requestId: 'req-2', outcome: 'applied' })]);
    expect(again.outcomes[0].deleteError).toBeUndefined();
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('a receipt invalidated during the replay: DeleteMessage throws ReceiptHandleIsInvalid, recorded, run goes on', async () => {
    const [, second] = fill(3);
    fake.script = (call) => {
      if (JSON.parse(call.input).requestId === 'req-2') fake.expireReceipt(second.messageId);
      return succeeded(201);
    };

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ applied: 3 });
    expect(run.outcomes.find((o) => o.requestId === 'req-2')!.deleteError).toMatch(/^ReceiptHandleIsInvalid/);
    expect(fake.messages('orders-dlq')).toEqual([second]);
  });

  test('DeleteMessage failing is recorded on that outcome and the run goes on', async () => {
    const [first] = fill(3);
    fake.sqsFault = (operation, input) =>
      operation === 'DeleteMessage' && String(input.ReceiptHandle).startsWith(`rh-${first.messageId}-`) ? { httpStatus: 500, type: 'InternalError', message: 'boom' } : undefined;

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ applied: 3, kept: 0 });
    expect(run.outcomes[0]).toMatchObject({ requestId: 'req-1', outcome: 'applied', deleteError: 'InternalError: boom' });
    expect(fake.messages('orders-dlq')).toEqual([first]);
  });

  test('a release (ChangeMessageVisibility 0) failing is recorded on the kept outcome', async () => {
    fill(1);
    fake.script = () => unavailable();
    fake.sqsFault = (operation) => (operation === 'ChangeMessageVisibility' ? { httpStatus: 500, type: 'InternalError', message: 'boom' } : undefined);

    const run = await redriveSummary(target, clients);

    expect(run.outcomes).toEqual([expect.objectContaining({ outcome: 'kept', visibilityError: 'InternalError: boom' })]);
  });

  test('ReceiveMessage failing after the run began ends it with the results so far', async () => {
    fill(15);
    let receives = 0;
    fake.sqsFault = (operation) => (operation === 'ReceiveMessage' && ++receives === 2 ? { httpStatus: 500, type: 'InternalError', message: 'down' } : undefined);

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ applied: 10, stoppedBecause: 'error', error: 'ReceiveMessage failed: InternalError: down' });
    expect(fake.messages('orders-dlq')).toHaveLength(5);
  });

  test('receipts older than 20 s are extended to 60 s before the replay starts (replays of 25 s each)', async () => {
    const clock = mockClock();
    fill(4);
    fake.script = () => {
      clock.advance(25_000);
      return succeeded(201);
    };

    const run = await redriveSummary(target, clients, { concurrency: 1 });

    expect(run).toMatchObject({ applied: 4 });
    expect(run.outcomes.every((o) => !o.deleteError && !o.visibilityError)).toBe(true);
    const extensions = fake.calls('ChangeMessageVisibility').filter((c) => c.VisibilityTimeout === 60);
    expect(extensions.length).toBeGreaterThanOrEqual(3);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });
});

describe('throughput: bounded concurrency, one item at a time', () => {
  test('independent messages run up to `concurrency` at once; messages of one item one after another, oldest first', async () => {
    const t0 = Date.now() - 60_000;
    const put = (requestId: string, id: string, version: number, sentTimestamp: number) =>
      fake.enqueue('orders-dlq', queuedRequest(requestId, { method: 'PUT', id, path: `/orders/${id}`, body: { version } }), 0, { sentTimestamp });
    const post = (requestId: string, idempotencyKey: string, sentTimestamp: number) =>
      fake.enqueue('orders-dlq', queuedRequest(requestId, { headers: { ifMatch: '', ifNoneMatch: '', idempotencyKey } }), 0, { sentTimestamp });
    // Item o-1 sent as a3 < a1 < a2 (received in another order), item o-2, one Idempotency-Key twice, and independents.
    put('a2', 'o-1', 2, t0 + 20);
    put('a1', 'o-1', 1, t0 + 10);
    put('a3', 'o-1', 3, t0 + 30);
    put('b1', 'o-2', 1, t0 + 11);
    put('b2', 'o-2', 2, t0 + 21);
    post('k2', 'key-k', t0 + 22);
    post('k1', 'key-k', t0 + 12);
    for (let i = 1; i <= 3; i++) post(`x${i}`, '', t0 + 5);
    for (let i = 4; i <= 9; i++) post(`x${i}`, '', t0 + 40);

    const running = new Map<string, number>();
    let now = 0;
    let max = 0;
    const overlaps: string[] = [];
    const order: string[] = [];
    const itemOf = (input: any) => (input.id ? `id:${input.id}` : input.headers.idempotencyKey ? `key:${input.headers.idempotencyKey}` : `req:${input.requestId}`);
    fake.script = async (call) => {
      const input = JSON.parse(call.input);
      const item = itemOf(input);
      if (running.has(item)) overlaps.push(item);
      running.set(item, 1);
      max = Math.max(max, ++now);
      order.push(input.requestId);
      await new Promise((resolve) => setTimeout(resolve, 15));
      now--;
      running.delete(item);
      return succeeded(201);
    };

    const run = await redriveSummary(target, clients, { concurrency: 4 });

    expect(run).toMatchObject({ applied: 16, kept: 0 });
    expect(overlaps).toEqual([]);
    expect(max).toBe(4);
    const sequence = (ids: string[]) => order.filter((id) => ids.includes(id));
    expect(sequence(['a1', 'a2', 'a3'])).toEqual(['a1', 'a2', 'a3']);
    expect(sequence(['b1', 'b2'])).toEqual(['b1', 'b2']);
    expect(sequence(['k1', 'k2'])).toEqual(['k1', 'k2']);
  });

  test('once a message of an item is kept, the later ones of that item are not replayed in this run', async () => {
    fake.enqueue('orders-dlq', queuedRequest('create', { method: 'PUT', id: 'o-1' }), 0, { sentTimestamp: Date.now() - 2000 });
    fake.enqueue('orders-dlq', queuedRequest('update', { method: 'PATCH', id: 'o-1' }), 0, { sentTimestamp: Date.now() - 1000 });
    fake.enqueue('orders-dlq', queuedRequest('other', { method: 'PUT', id: 'o-2' }), 0, { sentTimestamp: Date.now() - 1500 });
    fake.script = (call) => (JSON.parse(call.input).requestId === 'create' ? unavailable() : succeeded(200));

    const run = await redriveSummary(target, clients);

    expect(run.outcomes.map((o) => [o.requestId, o.outcome])).toEqual([
      ['create', 'kept'],
      ['other', 'applied'],
    ]);
    expect(fake.executions.map((e) => JSON.parse(e.input).requestId)).not.toContain('update');
    expect(fake.messages('orders-dlq').map((m) => JSON.parse(m.body).requestId)).toEqual(['create', 'update']);
    expect(fake.messages('orders-dlq').every((m) => m.visibleAt <= Date.now())).toBe(true);
  });

  test('a slow start: the first replay probes alone, then the window opens', async () => {
    for (let i = 1; i <= 8; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    const concurrentAtStart: number[] = [];
    let running = 0;
    fake.script = async () => {
      concurrentAtStart.push(++running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      return succeeded(201);
    };

    await redriveSummary(target, clients, { concurrency: 4 });

    expect(concurrentAtStart[0]).toBe(1);
    expect(Math.max(...concurrentAtStart)).toBeLessThanOrEqual(4);
  });
});

describe('never lost: requeue before the retention ends', () => {
  const OLD = () => Date.now() - 8 * DAY_MS;
  const attributes = { requestId: { DataType: 'String', StringValue: 'req-1' }, error: { DataType: 'String', StringValue: 'ReadOnlyMode' } };

  test('a kept message older than 7 days is sent again (same body and attributes + requeueCount), then the old one deleted', async () => {
    const body = queuedRequest('req-1');
    const old = fake.enqueue('orders-dlq', body, 3, { sentTimestamp: OLD(), attributes });
    fake.script = () => unavailable();

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ kept: 1, requeued: 1 });
    const [copy] = fake.messages('orders-dlq');
    expect(fake.messages('orders-dlq')).toHaveLength(1);
    expect(copy.messageId).not.toBe(old.messageId);
    expect(run.outcomes).toEqual([expect.objectContaining({ messageId: old.messageId, outcome: 'kept', requeuedAs: copy.messageId })]);
    expect(copy.body).toBe(body);
    expect(copy.attributes).toEqual({
      ...attributes,
      requeueCount: { DataType: 'Number', StringValue: '1' },
      firstSentTimestamp: { DataType: 'Number', StringValue: String(old.sentTimestamp) },
      priorReceiveCount: { DataType: 'Number', StringValue: '4' },
    });
    expect(copy.sentTimestamp).toBeGreaterThan(Date.now() - 60_000);
    // The run's own later receive handed the copy out: it was not replayed a second time, only released.
    expect(fake.executions).toHaveLength(1);
    expect(copy.visibleAt).toBeLessThanOrEqual(Date.now());

    // The copy is replayed later like any other, under a new execution name, and applied.
    fake.script = () => succeeded(201);
    const later = await redriveSummary(target, clients);
    expect(later).toMatchObject({ applied: 1, requeued: 0 });
    // 4 receives of the old copy + 2 of the new one (that run's receive, this one's): the name keeps growing.
    expect(fake.executions.map((e) => e.name)).toEqual(['req-1-redrive-4', 'req-1-redrive-6']);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('requeued twice: requeueCount grows and the first SentTimestamp is kept', async () => {
    const first = OLD() - DAY_MS;
    fake.enqueue('orders-dlq', queuedRequest('req-1'), 0, {
      sentTimestamp: OLD(),
      attributes: { requeueCount: { DataType: 'Number', StringValue: '1' }, firstSentTimestamp: { DataType: 'Number', StringValue: String(first) } },
    });
    fake.script = () => unavailable();

    await redriveSummary(target, clients);

    expect(fake.messages('orders-dlq')[0].attributes).toMatchObject({
      requeueCount: { StringValue: '2' },
      firstSentTimestamp: { StringValue: String(first) },
    });
  });

  test('if the send fails the old message stays (not deleted), and the failure is reported', async () => {
    const old = fake.enqueue('orders-dlq', queuedRequest('req-1'), 0, { sentTimestamp: OLD() });
    fake.script = () => unavailable();
    fake.sqsFault = (operation) => (operation === 'SendMessage' ? { httpStatus: 500, type: 'InternalError', message: 'send failed' } : undefined);

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ kept: 1, requeued: 0 });
    expect(run.outcomes[0]).toMatchObject({ outcome: 'kept', requeueError: 'InternalError: send failed' });
    expect(run.outcomes[0].requeuedAs).toBeUndefined();
    expect(fake.messages('orders-dlq')).toEqual([old]);
    expect(fake.calls('DeleteMessage')).toEqual([]);
    expect(old.visibleAt).toBeLessThanOrEqual(Date.now());
  });

  test('a message younger than requeueAfterSeconds is only released; the threshold is an option', async () => {
    const young = fake.enqueue('orders-dlq', queuedRequest('req-1'), 0, { sentTimestamp: Date.now() - 6 * DAY_MS });
    fake.script = () => unavailable();

    expect(await redriveSummary(target, clients)).toMatchObject({ requeued: 0 });
    expect(fake.messages('orders-dlq')).toEqual([young]);

    expect(await redriveSummary(target, clients, { requeueAfterSeconds: 5 * 24 * 3600 })).toMatchObject({ requeued: 1 });
    expect(fake.messages('orders-dlq')[0].messageId).not.toBe(young.messageId);
  });

  test('old messages left unreplayed by a stopped run are requeued too, so none starves past the retention', async () => {
    for (let i = 1; i <= 10; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`), 0, { sentTimestamp: OLD() + i });
    fake.script = () => unavailable();

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ stoppedBecause: 'transient', kept: 10, requeued: 10 });
    expect(fake.executions).toHaveLength(3);
    expect(run.outcomes.filter((o) => o.notReplayed)).toHaveLength(7);
    expect(fake.messages('orders-dlq')).toHaveLength(10);
    expect(fake.messages('orders-dlq').every((m) => m.attributes?.requeueCount?.StringValue === '1')).toBe(true);
  });

  test('poison is never requeued (nor deleted)', async () => {
    const poison = fake.enqueue('orders-dlq', 'not json', 0, { sentTimestamp: OLD() });

    const run = await redriveSummary(target, clients);

    expect(run).toMatchObject({ poison: 1, requeued: 0 });
    expect(fake.messages('orders-dlq')).toEqual([poison]);
  });
});

describe('the redrive Lambda handler: events, results, logs', () => {
  let handler: typeof import('../../lambdas/redrive/index').handler;
  let saved: NodeJS.ProcessEnv;
  let logs: string[];

  beforeEach(() => {
    saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      METRICS_NAMESPACE: 'CrudApi/Redrive',
      REDRIVE_TARGETS: JSON.stringify([
        target,
        { resource: 'customers', queueUrl: fake.queueUrl('customers-dlq'), stateMachineArn: STATE_MACHINE_ARN.replace('orders', 'customers') },
      ]),
    });
    logs = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
    jest.spyOn(console, 'error').mockImplementation((line: string) => void logs.push(line));
    jest.spyOn(console, 'warn').mockImplementation((line: string) => void logs.push(line));
    jest.isolateModules(() => {
      handler = require('../../lambdas/redrive/index').handler;
    });
  });

  afterEach(() => {
    process.env = saved;
  });

  const queue = () => {
    fake.enqueue('orders-dlq', queuedRequest('o-req-1'));
    fake.enqueue('orders-dlq', queuedRequest('o-req-2'));
    fake.enqueue('customers-dlq', queuedRequest('c-req-1', { resource: 'customers' }));
  };

  test('the schedule ({}) replays every resource; the result per resource has the counts, requeued and the outcomes', async () => {
    queue();

    const result = await handler({});

    expect(result).toEqual({
      orders: { applied: 2, rejected: 0, kept: 0, poison: 0, requeued: 0, published: 0, oldestSentTimestamp: expect.any(Number), outcomes: [expect.objectContaining({ outcome: 'applied' }), expect.objectContaining({ outcome: 'applied' })] },
      customers: { applied: 1, rejected: 0, kept: 0, poison: 0, requeued: 0, published: 0, oldestSentTimestamp: expect.any(Number), outcomes: [expect.objectContaining({ requestId: 'c-req-1' })] },
    });
  });

  test('logs one JSON line per outcome, and a summary per resource in embedded metric format', async () => {
    queue();

    await handler({});

    const lines = logs.map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.outcome)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ resource: 'orders', requestId: 'o-req-1', outcome: 'applied', statusCode: 200 }),
        expect.objectContaining({ resource: 'orders', requestId: 'o-req-2', outcome: 'applied' }),
        expect.objectContaining({ resource: 'customers', requestId: 'c-req-1', outcome: 'applied' }),
      ]),
    );
    expect(lines.filter((l) => l.outcome)).toHaveLength(3);
    const summary = lines.find((l) => l.summary && l.Resource === 'orders');
    expect(summary).toMatchObject({ Applied: 2, Kept: 0, OldestQueuedRequestAgeSeconds: expect.any(Number) });
    expect(summary._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'CrudApi/Redrive', Dimensions: [['Resource']] });
    expect(summary._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'OldestQueuedRequestAgeSeconds', Unit: 'Seconds' });
  });

  test('an EventBridge event replays every resource, or the one its detail names', async () => {
    queue();

    const one = await handler({ 'detail-type': 'Feature flag changed', source: 'crud.flags', detail: { resource: 'customers', flag: 'readOnly' } });
    expect(Object.keys(one)).toEqual(['customers']);
    expect(one.customers.applied).toBe(1);

    const all = await handler({ 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} });
    expect(Object.keys(all).sort()).toEqual(['customers', 'orders']);
    expect(all.orders.applied).toBe(2);

    // A detail naming an unknown resource: everything, with a warning (an event must not fail on it).
    expect(Object.keys(await handler({ 'detail-type': 'Fault cleared', detail: { resource: 'pizzas' } })).sort()).toEqual(['customers', 'orders']);
    expect(logs.map((l) => JSON.parse(l).message).filter(Boolean)).toContain('event names unknown resource "pizzas": redriving every resource');
  });

  test('{maxMessages} bounds each queue', async () => {
    queue();

    const result = await handler({ maxMessages: 1 });

    expect(result.orders).toMatchObject({ applied: 1, stoppedBecause: 'limit' });
    expect(fake.messages('orders-dlq')).toHaveLength(1);
  });

  test('one queue failing does not cost the others their run: it reports stoppedBecause "error"', async () => {
    queue();
    process.env.REDRIVE_TARGETS = JSON.stringify([{ ...target, queueUrl: `${fake.url}/000000000000/no-such-queue` }, JSON.parse(process.env.REDRIVE_TARGETS!)[1]]);

    const result = await handler({});

    expect(result.orders).toMatchObject({ applied: 0, stoppedBecause: 'error', error: expect.stringContaining('QueueDoesNotExist'), outcomes: [] });
    expect(result.customers).toMatchObject({ applied: 1 });
  });

  test('with less than 35 s left no replay starts: stoppedBecause "deadline"', async () => {
    queue();

    const result = await handler({}, { getRemainingTimeInMillis: () => 30_000 });

    expect(result.orders).toMatchObject({ applied: 0, stoppedBecause: 'deadline' });
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toHaveLength(2);
  });

  test('REQUEUE_AFTER_SECONDS sets the requeue age', async () => {
    fake.enqueue('orders-dlq', queuedRequest('o-req-1'), 0, { sentTimestamp: Date.now() - 2 * 3600_000 });
    fake.script = () => unavailable();
    process.env.REQUEUE_AFTER_SECONDS = '3600';

    const result = await handler({ resource: 'orders' });

    expect(result.orders).toMatchObject({ kept: 1, requeued: 1 });
    expect(result.orders.outcomes[0].requeuedAs).toEqual(expect.any(String));
  });
});

/** What DeferEvent stores (statemachines/crud-resource.asl.json): an event EventBridge did not take. */
function deferredEvent(requestId: string, error = 'EventsCircuitOpen'): string {
  const entry = { EventBusName: 'crud-events', Source: 'crud-api.orders', DetailType: 'orders.created', Detail: JSON.stringify({ id: 'o-1', method: 'POST', requestId, item: { orderId: 'o-1' } }) };
  return JSON.stringify({ kind: 'event', resource: 'orders', requestId, entry, error, executionArn: 'arn:x', queuedAt: '2026-01-01T00:00:00Z' });
}

describe('deferred events (kind "event"): published, never replayed as requests', () => {
  test('an event is published with PutEvents as it was stored, then deleted and counted; no execution is started', async () => {
    fake.enqueue('orders-dlq', deferredEvent('req-1'));

    const summary = await redriveSummary(target, clients);

    expect(summary).toMatchObject({ applied: 1, published: 1, kept: 0, poison: 0 });
    expect(summary.outcomes).toEqual([expect.objectContaining({ kind: 'event', outcome: 'applied', requestId: 'req-1' })]);
    expect(fake.putEventsEntries).toEqual([JSON.parse(deferredEvent('req-1')).entry]);
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('PutEvents failing keeps the event (visible again); the later events wait for the next run, the requests are still replayed', async () => {
    const first = fake.enqueue('orders-dlq', deferredEvent('ev-1'));
    fake.enqueue('orders-dlq', queuedRequest('req-1'));
    fake.enqueue('orders-dlq', deferredEvent('ev-2'));
    fake.putEvents = () => ({ apiError: { httpStatus: 500, type: 'InternalException', message: 'try later' } });

    const summary = await redriveSummary(target, clients);

    expect(summary.outcomes.map((o) => [o.requestId, o.outcome])).toEqual([
      ['ev-1', 'kept'],
      ['req-1', 'applied'],
    ]);
    expect(summary.outcomes[0].error).toContain('InternalException');
    expect(summary).toMatchObject({ applied: 1, published: 0, kept: 1 });
    // One PutEvents a run while EventBridge fails; the request went through the state machine.
    expect(fake.putEventsEntries).toHaveLength(1);
    expect(fake.executions.map((e) => JSON.parse(e.input).requestId)).toEqual(['req-1']);
    expect(fake.messages('orders-dlq').map((m) => JSON.parse(m.body).requestId)).toEqual(['ev-1', 'ev-2']);
    expect(first.visibleAt).toBeLessThanOrEqual(Date.now());

    // EventBridge is back: the next run publishes both, oldest first.
    fake.putEvents = (entries) => ({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e-${i}` })) });
    const again = await redriveSummary(target, clients);
    expect(again).toMatchObject({ applied: 2, published: 2, kept: 0 });
    expect(fake.putEventsEntries.slice(1).map((e) => JSON.parse(e.Detail as string).requestId)).toEqual(['ev-1', 'ev-2']);
    expect(fake.messages('orders-dlq')).toEqual([]);
  });

  test('an answer with FailedEntryCount > 0 is a failure: kept, with the entry\'s error code', async () => {
    fake.enqueue('orders-dlq', deferredEvent('ev-1'));
    fake.putEvents = () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    const summary = await redriveSummary(target, clients);

    expect(summary.outcomes).toEqual([expect.objectContaining({ kind: 'event', outcome: 'kept', error: 'PutEvents failed entry: InternalFailure: try again' })]);
    expect(fake.messages('orders-dlq')).toHaveLength(1);
  });

  test('kept events do not stop the requests: three kept events then requests, all requests replayed', async () => {
    for (let i = 1; i <= 3; i++) fake.enqueue('orders-dlq', deferredEvent(`ev-${i}`));
    for (let i = 1; i <= 3; i++) fake.enqueue('orders-dlq', queuedRequest(`req-${i}`));
    fake.putEvents = () => ({ apiError: { httpStatus: 500, type: 'InternalException', message: 'down' } });

    const summary = await redriveSummary(target, clients);

    expect(summary.stoppedBecause).toBeUndefined();
    expect(summary).toMatchObject({ applied: 3, published: 0, kept: 1 });
    expect(fake.messages('orders-dlq')).toHaveLength(3);
  });

  test('an event message without an entry is poison: neither published nor replayed', async () => {
    fake.enqueue('orders-dlq', JSON.stringify({ kind: 'event', requestId: 'ev-1', request: { requestId: 'ev-1', method: 'POST' } }));

    const summary = await redriveSummary(target, clients);

    expect(summary.outcomes).toEqual([expect.objectContaining({ outcome: 'poison', error: expect.stringMatching(/^unreadable event message/) })]);
    expect(fake.putEventsEntries).toEqual([]);
    expect(fake.executions).toEqual([]);
  });

  test('without an EventBridge client an event is kept and says why', async () => {
    fake.enqueue('orders-dlq', deferredEvent('ev-1'));

    const summary = await redriveSummary(target, { sqs: clients.sqs, sfn: clients.sfn });

    expect(summary.outcomes).toEqual([expect.objectContaining({ kind: 'event', outcome: 'kept', error: expect.stringContaining('no EventBridge client') })]);
    expect(fake.messages('orders-dlq')).toHaveLength(1);
  });

  test('parseQueuedMessage tells an event from a request; an object Detail is sent as JSON text', () => {
    expect(parseQueuedMessage(deferredEvent('ev-1'))).toEqual({ event: expect.objectContaining({ kind: 'event', requestId: 'ev-1', entry: expect.objectContaining({ Source: 'crud-api.orders' }) }) });
    const objectDetail = JSON.stringify({ kind: 'event', entry: { Source: 's', DetailType: 'd', Detail: { a: 1 } } });
    expect(parseQueuedMessage(objectDetail)).toEqual({ event: expect.objectContaining({ entry: { Source: 's', DetailType: 'd', Detail: '{"a":1}' } }) });
    expect(parseQueuedMessage(queuedRequest('req-1'))).toHaveProperty('queued');
  });

  test('the Lambda publishes with its own EventBridge client and reports Published in its summary line', async () => {
    fake.enqueue('orders-dlq', deferredEvent('ev-1'));
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ENDPOINT_URL: fake.url, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', METRICS_NAMESPACE: 'CrudApi/Redrive', REDRIVE_TARGETS: JSON.stringify([target]) });
    const logs: string[] = [];
    jest.spyOn(console, 'log').mockImplementation((line: string) => void logs.push(line));
    try {
      let handler!: typeof import('../../lambdas/redrive/index').handler;
      jest.isolateModules(() => {
        handler = require('../../lambdas/redrive/index').handler;
      });
      expect((await handler({})).orders).toMatchObject({ applied: 1, published: 1 });
      expect(fake.putEventsEntries).toHaveLength(1);
      const summary = logs.map((l) => JSON.parse(l)).find((l) => l.summary);
      expect(summary).toMatchObject({ Published: 1 });
      expect(summary._aws.CloudWatchMetrics[0].Metrics).toContainEqual({ Name: 'Published', Unit: 'Count' });
    } finally {
      process.env = saved;
    }
  });
});
