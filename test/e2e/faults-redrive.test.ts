/**
 * Storage first under failure: injected DynamoDB faults are retried; when retries are exhausted the
 * original request goes to the dead-letter queue and the client gets 202; the redrive Lambda replays
 * it later, and the item ends up stored exactly once.
 */
import { randomUUID } from 'node:crypto';
import {
  Api,
  HttpResponse,
  LocalCloud,
  RESOURCE_CASES,
  deadLetters,
  expectExecution,
  expectProblem,
  functionName,
  startTestCloud,
  storedIds,
  storedItem,
} from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const customers = RESOURCE_CASES.find((r) => r.name === 'customers')!;
const THROTTLED = 'ProvisionedThroughputExceededException';

let cloud: LocalCloud;
let api: Api;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
});

afterEach(() => cloud.services.faults.clear());

afterAll(async () => {
  await cloud?.stop();
});

function redrive(event: object = {}): Promise<any> {
  return cloud.invokeFunction(functionName(cloud, /redrive/i), event);
}

/** The TaskFailed / TaskSucceeded events of one DynamoDB/SQS integration in an execution's history. */
function taskOutcomes(execution: { events: any[] }, resource: string): string[] {
  return execution.events
    .filter((e) => (e.type === 'TaskFailed' && e.taskFailedEventDetails?.resource === resource) || (e.type === 'TaskSucceeded' && e.taskSucceededEventDetails?.resource === resource))
    .map((e) => (e.type === 'TaskFailed' ? `failed:${e.taskFailedEventDetails.error}` : 'succeeded'));
}

describe('transient DynamoDB faults', () => {
  it('two throttled PutItems are retried: POST still answers 201, the history shows two TaskFailed then the success', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 2 });
    const body = orders.sample(1);
    const res = await api.post('/orders', body);
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ ...body, orderId: res.requestId, version: 1 });
    const execution = expectExecution(cloud, res, 'orders');
    expect(taskOutcomes(execution, 'putItem')).toEqual([`failed:DynamoDB.${THROTTLED}`, `failed:DynamoDB.${THROTTLED}`, 'succeeded']);
    expect(cloud.services.faults.list()).toEqual([]);
    expect(deadLetters(cloud, 'orders')).toEqual([]);
  });

  it('a read that keeps failing answers 503 with Retry-After, and queues nothing', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', error: THROTTLED });
    const res = await api.get('/orders/whatever');
    expectProblem(res, 503, 'Service Unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    const execution = expectExecution(cloud, res, 'orders');
    // One attempt and two retries (the retry budget of docs/architecture.md).
    expect(taskOutcomes(execution, 'getItem')).toEqual(Array(3).fill(`failed:DynamoDB.${THROTTLED}`));
    expect(deadLetters(cloud, 'orders')).toEqual([]);
  });

  it('a write that can neither be stored nor queued answers 503 with Retry-After, and nothing is written', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    cloud.services.faults.add({ service: 'sqs', operation: 'SendMessage', error: 'InternalError' });
    const id = `order-${randomUUID()}`;
    const res = await api.post('/orders', { ...orders.sample(2), orderId: id });
    expectProblem(res, 503, 'Service Unavailable');
    expect(res.headers.get('retry-after')).toBe('1');
    expectExecution(cloud, res, 'orders');
    expect(await storedItem(cloud, orders, id)).toBeUndefined();
    expect(deadLetters(cloud, 'orders')).toEqual([]);
  });
});

describe('retries exhausted → dead-letter queue → 202 → redrive', () => {
  let existingOrder: HttpResponse;
  const queued: { resource: 'orders' | 'customers'; res: HttpResponse; body: Record<string, unknown>; method: string; id: string }[] = [];

  it('with PutItem always throttled, POST and PUT answer 202 {requestId, status: "queued"} and the DLQ holds the original requests', async () => {
    existingOrder = await api.post('/orders', orders.sample(3));
    expect(existingOrder.status).toBe(201);

    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const orderBody = orders.sample(4);
    const customerBody = customers.sample(4);
    const replacement = orders.replacement;
    const postOrder = await api.post('/orders', orderBody);
    const putOrder = await api.put(`/orders/${existingOrder.json.orderId}`, replacement, { 'If-Match': '"1"' });
    const postCustomer = await api.post('/customers', customerBody);
    queued.push(
      { resource: 'orders', res: postOrder, body: orderBody, method: 'POST', id: postOrder.requestId! },
      { resource: 'orders', res: putOrder, body: replacement, method: 'PUT', id: existingOrder.json.orderId },
      { resource: 'customers', res: postCustomer, body: customerBody, method: 'POST', id: postCustomer.requestId! },
    );

    for (const q of queued) {
      expect(q.res.status).toBe(202);
      expect(q.res.json).toEqual({ requestId: q.res.requestId, status: 'queued', reason: `DynamoDB.${THROTTLED}`, location: `/v1/requests/${q.res.requestId}` });
      const execution = expectExecution(cloud, q.res, q.resource);
      // 1 attempt + 3 retries, then the DLQ.
      expect(taskOutcomes(execution, 'putItem')).toEqual(Array(4).fill(`failed:DynamoDB.${THROTTLED}`));
      expect(taskOutcomes(execution, 'sendMessage')).toEqual(['succeeded']);
    }

    const orderMessages = deadLetters(cloud, 'orders');
    expect(orderMessages.map((m) => m.requestId).sort()).toEqual([postOrder.requestId, putOrder.requestId].sort());
    for (const q of queued) {
      const message = deadLetters(cloud, q.resource).find((m) => m.requestId === q.res.requestId);
      expect(message).toEqual({
        request: expect.objectContaining({ method: q.method, resource: q.resource, requestId: q.res.requestId, body: q.body }),
        error: `DynamoDB.${THROTTLED}`,
        cause: expect.any(String),
        executionArn: q.res.headers.get('x-execution-arn'),
        requestId: q.res.requestId,
        resource: q.resource,
        queuedAt: expect.any(String),
      });
    }

    // Nothing was written.
    expect(await storedItem(cloud, orders, postOrder.requestId!)).toBeUndefined();
    expect(await storedItem(cloud, customers, postCustomer.requestId!)).toBeUndefined();
    expect((await storedItem(cloud, orders, existingOrder.json.orderId))?.version).toEqual({ N: '1' });
  });

  it('a redrive while the fault persists keeps the message, and the failed replay is not queued a second time', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const result = await redrive({ resource: 'customers' });
    expect(result.customers).toMatchObject({ applied: 0, rejected: 0, kept: 1, poison: 0 });
    expect(deadLetters(cloud, 'customers').map((m) => m.requestId)).toEqual([queued[2].res.requestId]);
  });

  it('once the fault is cleared, the redrive applies every queued request and empties the DLQs', async () => {
    cloud.services.faults.clear();
    const result = await redrive({});
    expect(result).toEqual({
      orders: expect.objectContaining({ applied: 2, rejected: 0, kept: 0, poison: 0 }),
      customers: expect.objectContaining({ applied: 1, rejected: 0, kept: 0, poison: 0 }),
    });
    expect(deadLetters(cloud, 'orders')).toEqual([]);
    expect(deadLetters(cloud, 'customers')).toEqual([]);

    // The replays ran as executions named after the original request id.
    for (const q of queued) {
      const replays = cloud.stepFunctions.listExecutions().filter((e) => e.name.startsWith(`${q.res.requestId}-redrive-`));
      expect(replays.length).toBeGreaterThanOrEqual(1);
      expect(replays.every((e) => e.status === 'SUCCEEDED')).toBe(true);
    }
  });

  it('every queued item is now present exactly once, with the original request applied', async () => {
    const [postOrder, putOrder, postCustomer] = queued;

    const order = await api.get(`/orders/${postOrder.id}`);
    expect(order.status).toBe(200);
    expect(order.json).toEqual({ ...postOrder.body, orderId: postOrder.id, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) });

    const replaced = await api.get(`/orders/${putOrder.id}`);
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"2"');
    expect(replaced.json).toEqual({ ...putOrder.body, orderId: putOrder.id, version: 2, createdAt: existingOrder.json.createdAt, updatedAt: expect.any(String) });

    const customer = await api.get(`/customers/${postCustomer.id}`);
    expect(customer.status).toBe(200);
    expect(customer.json).toMatchObject({ ...postCustomer.body, customerId: postCustomer.id, version: 1 });

    for (const [resource, id] of [
      [orders, postOrder.id],
      [orders, putOrder.id],
      [customers, postCustomer.id],
    ] as const) {
      const list = await api.get(`/${resource.name}?limit=100`);
      expect(list.json.next).toBeNull();
      expect(list.json.items.filter((item: any) => item[resource.key] === id)).toHaveLength(1);
      expect((await storedIds(cloud, resource)).filter((x) => x === id)).toHaveLength(1);
    }
  });

  it('redriving again finds nothing and changes nothing', async () => {
    const before = await Promise.all(queued.map((q) => api.get(`/${q.resource}/${q.id}`)));
    const result = await redrive({});
    expect(result).toEqual({
      orders: expect.objectContaining({ applied: 0, rejected: 0, kept: 0, poison: 0 }),
      customers: expect.objectContaining({ applied: 0, rejected: 0, kept: 0, poison: 0 }),
    });
    const after = await Promise.all(queued.map((q) => api.get(`/${q.resource}/${q.id}`)));
    expect(after.map((r) => [r.status, r.json])).toEqual(before.map((r) => [r.status, r.json]));
  });

  it('a replayed message that was already applied is answered as the first time (idempotent redrive)', async () => {
    // Put a copy of an already-applied request back on the queue, as an at-least-once delivery would.
    const [postOrder] = queued;
    const { deadLetterQueueUrl } = cloud.resources.find((r) => r.name === 'orders')!;
    const original = JSON.parse(cloud.stepFunctions.getExecution(postOrder.res.headers.get('x-execution-arn')!)!.input);
    await cloud.services.sqs.call('SendMessage', {
      QueueUrl: deadLetterQueueUrl,
      MessageBody: JSON.stringify({ request: original, requestId: original.requestId, error: 'Duplicate', resource: 'orders' }),
    });
    const before = await api.get(`/orders/${postOrder.id}`);
    const result = await redrive({ resource: 'orders' });
    expect(result.orders).toMatchObject({ applied: 1, kept: 0, poison: 0 });
    expect(result.orders.outcomes[0]).toMatchObject({ outcome: 'applied', statusCode: 201 });
    expect(deadLetters(cloud, 'orders')).toEqual([]);
    expect((await api.get(`/orders/${postOrder.id}`)).json).toEqual(before.json);
  });
});
