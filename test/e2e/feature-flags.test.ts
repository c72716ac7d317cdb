/**
 * Feature flags toggled at runtime through the local AppConfig, as an operator would in the console:
 * the flags Lambda caches for its poll interval (15 s, AppConfigData's minimum), then the workflow
 * follows the new values without a redeploy.
 */
import { randomUUID } from 'node:crypto';
import {
  Api,
  HttpResponse,
  LocalCloud,
  deadLetters,
  expectExecution,
  functionName,
  idFromIdempotencyKey,
  startTestCloud,
  storedItem,
  waitFor,
  RESOURCE_CASES,
} from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const POLL_WAIT_MS = 22_000;

let cloud: LocalCloud;
let api: Api;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
});

afterAll(async () => {
  await cloud?.stop();
});

function setFlag(flag: 'readOnly' | 'softDelete' | 'publishEvents', enabled: boolean) {
  return cloud.services.appConfig.setFeatureFlag({
    application: cloud.flags.application,
    environment: cloud.flags.environment,
    configurationProfile: cloud.flags.configurationProfile,
    flag,
    enabled,
  });
}

function redrive(event: object = { resource: 'orders' }): Promise<any> {
  return cloud.invokeFunction(functionName(cloud, /redrive/i), event);
}

describe('readOnly, toggled at runtime', () => {
  /** Created before readOnly is on; deleted while it is on (→ queued). */
  let existing: HttpResponse;
  /** The write that answered 202 once readOnly took effect. */
  let queued: { res: HttpResponse; idempotencyKey: string; body: Record<string, unknown> };
  let queuedDelete: HttpResponse;
  const queuedWrites: { idempotencyKey: string; res: HttpResponse }[] = [];

  it('starts off: a POST answers 201 (this also warms the flags Lambda cache)', async () => {
    existing = await api.post('/orders', orders.sample(1));
    expect(existing.status).toBe(201);
    expect(setFlag('readOnly', true).deployment.State).toBe('COMPLETE');
  });

  it('is honoured within the poll interval: a POST answers 202 {requestId, status: "queued"}', async () => {
    const started = Date.now();
    queued = await waitFor(
      'a POST to answer 202 after readOnly was turned on',
      async () => {
        const idempotencyKey = randomUUID();
        const body = orders.sample(2);
        const res = await api.post('/orders', body, { 'Idempotency-Key': idempotencyKey });
        if (res.status === 201) return undefined; // the flags Lambda still serves its cached values
        return { res, idempotencyKey, body };
      },
      POLL_WAIT_MS,
    );
    const { res } = queued;
    expect(res.status).toBe(202);
    expect(res.json).toEqual({ requestId: res.requestId, status: 'queued', reason: 'ReadOnlyMode', location: `/v1/requests/${res.requestId}` });
    expect(res.headers.get('location')).toBe(`/v1/requests/${res.requestId}`);
    expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
    expect(res.headers.get('etag')).toBeNull();
    expectExecution(cloud, res, 'orders');
    // AppConfigData's minimum poll interval is 15 s: the change may take up to that long, not much longer.
    expect(Date.now() - started).toBeLessThan(POLL_WAIT_MS);
  }, 60_000);

  it('the queued POST is in the dead-letter queue with the original request, and not in the table', async () => {
    const { res, idempotencyKey, body } = queued;
    const id = idFromIdempotencyKey(idempotencyKey);
    expect(await storedItem(cloud, orders, id)).toBeUndefined();
    expect((await api.get(`/orders/${id}`)).status).toBe(404);

    const messages = deadLetters(cloud, 'orders').filter((m) => m.requestId === res.requestId);
    expect(messages).toEqual([
      {
        request: expect.objectContaining({ method: 'POST', resource: 'orders', id: '', requestId: res.requestId, body, headers: expect.objectContaining({ idempotencyKey }) }),
        error: 'ReadOnlyMode',
        cause: expect.any(String),
        executionArn: res.headers.get('x-execution-arn'),
        requestId: res.requestId,
        resource: 'orders',
        queuedAt: expect.any(String),
      },
    ]);
  });

  it('reads still work, and a DELETE is queued (202) without removing the item', async () => {
    const id = existing.json.orderId;
    const got = await api.get(`/orders/${id}`);
    expect(got.status).toBe(200);
    expect((await api.get('/orders')).status).toBe(200);

    queuedDelete = await api.delete(`/orders/${id}`);
    expect(queuedDelete.status).toBe(202);
    expect(queuedDelete.json).toMatchObject({ requestId: queuedDelete.requestId, status: 'queued', reason: 'ReadOnlyMode' });
    expect((await api.get(`/orders/${id}`)).status).toBe(200);
    expect(deadLetters(cloud, 'orders').map((m) => m.requestId)).toContain(queuedDelete.requestId);
  });

  it('a redrive while readOnly is on leaves every message queued', async () => {
    const before = deadLetters(cloud, 'orders').map((m) => m.requestId).sort();
    const result = await redrive();
    expect(result.orders).toMatchObject({ applied: 0, rejected: 0, kept: before.length, poison: 0 });
    expect(deadLetters(cloud, 'orders').map((m) => m.requestId).sort()).toEqual(before);
    expect(await storedItem(cloud, orders, idFromIdempotencyKey(queued.idempotencyKey))).toBeUndefined();
  });

  it('turned off again, writes answer 201 within the poll interval', async () => {
    expect(setFlag('readOnly', false).deployment.State).toBe('COMPLETE');
    const created = await waitFor(
      'a POST to answer 201 after readOnly was turned off',
      async () => {
        const idempotencyKey = randomUUID();
        const res = await api.post('/orders', orders.sample(3), { 'Idempotency-Key': idempotencyKey });
        if (res.status === 202) {
          queuedWrites.push({ idempotencyKey, res });
          return undefined;
        }
        return res;
      },
      POLL_WAIT_MS,
    );
    expect(created.status).toBe(201);
    expectExecution(cloud, created, 'orders');
  }, 60_000);

  it('a redrive then applies every queued write exactly once and empties the queue', async () => {
    const waiting = deadLetters(cloud, 'orders').length;
    expect(waiting).toBe(2 + queuedWrites.length);
    const result = await redrive();
    expect(result.orders).toMatchObject({ applied: waiting, rejected: 0, kept: 0, poison: 0 });
    expect(deadLetters(cloud, 'orders')).toEqual([]);

    const id = idFromIdempotencyKey(queued.idempotencyKey);
    const got = await api.get(`/orders/${id}`);
    expect(got.status).toBe(200);
    expect(got.json).toEqual({ ...queued.body, orderId: id, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) });
    for (const { idempotencyKey } of queuedWrites) expect((await api.get(`/orders/${idFromIdempotencyKey(idempotencyKey)}`)).status).toBe(200);
    // The queued DELETE was applied too.
    expect((await api.get(`/orders/${existing.json.orderId}`)).status).toBe(404);

    const list = await api.get('/orders?limit=100');
    expect(list.json.items.filter((item: any) => item.orderId === id)).toHaveLength(1);

    const again = await redrive();
    expect(again.orders).toMatchObject({ applied: 0, rejected: 0, kept: 0, poison: 0 });
    expect((await api.get(`/orders/${id}`)).json).toEqual(got.json);
  });
});
