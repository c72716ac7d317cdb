/**
 * Requests as resources, end to end through the local cloud: every 202 answers a Location that can be
 * followed (GET /v1/requests/{id}) from queued to applied or rejected, never a 404; an hour of maintenance
 * (readOnly on while the every-minute redrive keeps running) loses nothing; the clock is advanced, not waited.
 */
import { randomUUID } from 'node:crypto';
import { Api, HttpResponse, LocalCloud, RESOURCE_CASES, deadLetters, functionName, resourceOf, startTestCloud, storedItem } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const MINUTE = 60_000;
/** Faults on the data table only: the circuit and the request records stay readable. */
const ordersTable = () => resourceOf(cloud, 'orders').tableName;

let cloud: LocalCloud;
let api: Api;

beforeAll(async () => {
  // The redrive's every-minute schedule runs (on the cloud's clock, which the tests advance).
  cloud = await startTestCloud({ schedules: true });
  api = new Api(cloud.apiUrl);
});
afterEach(() => cloud.services.faults.clear());
afterAll(async () => cloud?.stop());

function setFlag(flag: string, enabled: boolean): unknown {
  return cloud.services.appConfig.setFeatureFlag({ ...cloud.flags, flag, enabled });
}
function redrive(): Promise<any> {
  return cloud.invokeFunction(functionName(cloud, /redrive/i), {});
}
/** Follows a 202's Location as a client would: the path is the stage path plus /requests/{id}. */
function follow(res: HttpResponse): Promise<HttpResponse> {
  const location = res.headers.get('location')!;
  return api.get(location.replace(/^\/v1/, ''));
}
function expectQueued(res: HttpResponse, reason: string): void {
  expect(res.status).toBe(202);
  expect(res.headers.get('location')).toBe(`/v1/requests/${res.requestId}`);
  expect(res.headers.get('retry-after')).toBe('60');
  expect(res.json).toEqual({ requestId: res.requestId, status: 'queued', reason, location: `/v1/requests/${res.requestId}` });
}

describe('a 202 can be followed to its outcome', () => {
  it('a PUT queued because the table cannot be read is recorded at once: queued, with why; after the redrive: applied with the 200, its ETag and body', async () => {
    const created = await api.post('/orders', orders.sample(1));
    const id = created.json.orderId;
    cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', table: ordersTable(), error: 'InternalServerError', count: 3 });
    const replacement = orders.sample(2);
    const queued = await api.put(`/orders/${id}`, replacement);
    expectQueued(queued, 'DynamoDB.InternalServerErrorException');

    const pending = await follow(queued);
    expect(pending.status).toBe(200);
    expect(pending.headers.get('retry-after')).toBe('60');
    expect(pending.json).toMatchObject({ requestId: queued.requestId, resource: 'orders', method: 'PUT', path: `/v1/orders/${id}`, status: 'queued', reason: 'DynamoDB.InternalServerErrorException', attempts: 0, outcome: null });
    expect(pending.json.receivedAt).toMatch(/^\d{4}-/);

    const run = await redrive();
    expect(run.orders.applied).toBe(1);
    const done = await follow(queued);
    expect(done.headers.get('retry-after')).toBeNull();
    expect(done.json).toMatchObject({ status: 'applied', attempts: 1, outcome: { statusCode: 200, headers: { ETag: '"2"' }, body: { ...replacement, orderId: id, version: 2 } } });
    expect(done.json.lastAttempt).toMatchObject({ statusCode: 200, final: true, execution: `${queued.requestId}-redrive-1` });
  });

  it('when the table itself failed, the record may not exist yet: the request reads as "unknown" (200, Retry-After), never 404, until its replay writes it', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError' });
    const queued = await api.post('/orders', orders.sample(3));
    expectQueued(queued, 'DynamoDB.InternalServerErrorException');
    const unknown = await follow(queued);
    expect(unknown.status).toBe(200);
    expect(unknown.headers.get('retry-after')).toBe('60');
    expect(unknown.json).toMatchObject({ requestId: queued.requestId, status: 'unknown' });

    cloud.services.faults.clear();
    await redrive();
    const done = await follow(queued);
    expect(done.json).toMatchObject({ status: 'applied', method: 'POST', reason: 'DynamoDB.InternalServerErrorException', outcome: { statusCode: 201, headers: { Location: `/v1/orders/${queued.requestId}`, ETag: '"1"' } } });
    expect(done.json.queuedAt).toMatch(/^\d{4}-/);
  });

  it('a replay that can never succeed is recorded as rejected with its problem, not deleted silently', async () => {
    const created = await api.post('/orders', orders.sample(4));
    const id = created.json.orderId;
    cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', table: ordersTable(), error: 'InternalServerError', count: 3 });
    const queued = await api.put(`/orders/${id}`, orders.sample(5));
    expect(queued.status).toBe(202);
    expect((await api.delete(`/orders/${id}`)).status).toBe(204);

    const run = await redrive();
    expect(run.orders.rejected).toBe(1);
    expect(deadLetters(cloud, 'orders')).toEqual([]);
    const done = await follow(queued);
    expect(done.json).toMatchObject({ status: 'rejected', outcome: { statusCode: 404, body: { title: 'Not Found' } } });
  });
});

describe('an hour of maintenance', () => {
  it('11 writes made with readOnly on, an hour of every-minute redrives, readOnly off: all 11 applied once, none poisoned', async () => {
    await setFlag('readOnly', true);
    await cloud.clock.advance(16_000); // past the flags Lambda's 15 s cache
    const writes: HttpResponse[] = [];
    for (let i = 0; i < 11; i++) writes.push(await api.post('/orders', orders.sample(100 + i), { 'Idempotency-Key': randomUUID() }));
    for (const w of writes) expectQueued(w, 'ReadOnlyMode');

    // One hour: the schedule fires every minute; every run finds readOnly still on.
    for (let m = 0; m < 60; m += 10) await cloud.clock.advance(10 * MINUTE);
    for (const w of writes) expect((await follow(w)).json.status).toBe('queued');
    expect(deadLetters(cloud, 'orders')).toHaveLength(11);

    await setFlag('readOnly', false);
    await cloud.clock.advance(2 * MINUTE);
    for (const w of writes) {
      const record = (await follow(w)).json;
      expect(record).toMatchObject({ status: 'applied', outcome: { statusCode: 201 } });
      const item = await storedItem(cloud, orders, record.outcome.body.orderId);
      expect(item?.version).toEqual({ N: '1' });
    }
    expect(deadLetters(cloud, 'orders')).toEqual([]);
  });
});

describe('flags that cannot be read', () => {
  it('a throttled flags Lambda is retried once (201); throttled twice, the write is queued as FlagsUnavailable (202), never applied blind; reads never call it', async () => {
    cloud.services.faults.add({ service: 'lambda', operation: 'Invoke', error: 'TooManyRequestsException', count: 1 });
    expect((await api.post('/orders', orders.sample(20))).status).toBe(201);

    cloud.services.faults.add({ service: 'lambda', operation: 'Invoke', error: 'TooManyRequestsException', count: 2 });
    const queued = await api.post('/orders', orders.sample(21));
    expectQueued(queued, 'FlagsUnavailable');
    expect(await storedItem(cloud, orders, queued.requestId!)).toBeUndefined();

    cloud.services.faults.add({ service: 'lambda', operation: 'Invoke', error: 'ServiceException' });
    expect((await api.get('/orders?limit=1')).status).toBe(200);
    expect((await api.get(`/orders/${queued.requestId}`)).status).toBe(404);
    cloud.services.faults.clear();

    await redrive();
    expect((await follow(queued)).json).toMatchObject({ status: 'applied', reason: 'FlagsUnavailable' });
  });
});

describe('the redrive', () => {
  it('runs one at a time: an invocation while a run is going is throttled (reserved concurrency 1)', async () => {
    const name = functionName(cloud, /redrive/i);
    cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', table: ordersTable(), error: 'InternalServerError', count: 3 });
    const created = await api.post('/orders', orders.sample(30));
    await api.put(`/orders/${created.json.orderId}`, orders.sample(31));
    const [a, b] = await Promise.allSettled([cloud.invokeFunction(name, {}), cloud.invokeFunction(name, {})]);
    expect([a.status, b.status].sort()).toEqual(['fulfilled', 'rejected']);
    const throttled = (a.status === 'rejected' ? a : b) as PromiseRejectedResult;
    expect(throttled.reason).toMatchObject({ code: 'TooManyRequestsException' });
  });
});
