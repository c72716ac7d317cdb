import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MessageOutcome, RedriveTarget, executionName, redriveQueue } from '../../lambdas/redrive/redrive';
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

const succeeded = (statusCode: number) => ({ status: 'SUCCEEDED' as const, output: { statusCode, headers: {}, body: '' } });

let fake: FakeSqsSfn;
let target: RedriveTarget;
let clients: { sqs: SQSClient; sfn: SFNClient };

beforeEach(async () => {
  fake = await startFakeSqsSfn();
  target = { resource: 'orders', queueUrl: fake.queueUrl('orders-dlq'), stateMachineArn: STATE_MACHINE_ARN };
  clients = {
    sqs: new SQSClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url }),
    // Without disableHostPrefix the SDK would call http://sync-127.0.0.1 (PITFALLS #13).
    sfn: new SFNClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url, disableHostPrefix: true }),
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

  test('an unreadable message is poison: not replayed, kept with its receive count', async () => {
    const message = fake.enqueue('orders-dlq', 'this is not JSON {');
    fake.enqueue('orders-dlq', JSON.stringify({ hello: 'no request here' }));

    const outcomes = await redriveQueue(target, clients);

    expect(outcomes.map((o) => o.outcome)).toEqual(['poison', 'poison']);
    expect(outcomes[0].error).toMatch(/^unreadable message/);
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toHaveLength(2);
    expect(message.receiveCount).toBe(1);
  });

  test('a message received more than maxReceives times is poison and NOT replayed', async () => {
    const message = fake.enqueue('orders-dlq', queuedRequest('req-1'), 5); // the next receive is the 6th

    const outcomes = await redriveQueue(target, clients, { maxReceives: 5 });

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'poison', receiveCount: 6, requestId: 'req-1', error: 'received 6 times (max 5)' })]);
    expect(fake.executions).toEqual([]);
    expect(fake.messages('orders-dlq')).toEqual([message]);
  });

  test('a message at exactly maxReceives is still replayed', async () => {
    fake.enqueue('orders-dlq', queuedRequest('req-1'), 4);

    const outcomes = await redriveQueue(target, clients, { maxReceives: 5 });

    expect(outcomes).toEqual([expect.objectContaining({ outcome: 'applied', receiveCount: 5 })]);
  });

  test("the replay is the original request marked replay:true, on the resource's state machine, named after the request", async () => {
    const body = queuedRequest('req-7', { method: 'PUT', id: 'o-1', path: '/orders/o-1', headers: { ifMatch: '"3"', ifNoneMatch: '', idempotencyKey: 'k-1' } });
    fake.enqueue('orders-dlq', body, 1);

    await redriveQueue(target, clients);

    expect(fake.executions).toHaveLength(1);
    const [call] = fake.executions;
    expect(call.stateMachineArn).toBe(STATE_MACHINE_ARN);
    expect(call.name).toBe('req-7-redrive-2');
    expect(JSON.parse(call.input)).toEqual({ ...JSON.parse(body).request, replay: true });
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

  test('a kept message counts one receive per run, so maxReceives means that many redrives', async () => {
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

  test('awsClientConfig turns host prefixes off exactly when an endpoint is configured (PITFALLS #13)', () => {
    expect(awsClientConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566' })).toEqual({ endpoint: 'http://localhost:4566', disableHostPrefix: true });
    expect(awsClientConfig({})).toEqual({});
  });
});
