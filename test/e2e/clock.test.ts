/**
 * The local cloud's clock, end to end on the synthesized app: advancing it through the admin route makes
 * the flags Lambda's 15 s cache expire at once, and runs the redrive schedule once per period skipped.
 */
import { Api, LocalCloud, RESOURCE_CASES, functionName, startTestCloud } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;

const HOUR_S = 3600;

async function advance(cloud: LocalCloud, body: object): Promise<{ now: string; offsetMs: number; advancedMs: number }> {
  const res = await fetch(`${cloud.endpointUrl}/_local/clock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(200);
  return (await res.json()) as { now: string; offsetMs: number; advancedMs: number };
}

describe('flags on the clock', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startTestCloud();
  });
  afterAll(() => cloud?.stop());

  it('a flag change reaches the workflow as soon as the clock passes the flags cache, without waiting 15 s', async () => {
    const api = new Api(cloud.apiUrl);
    const before = await api.post('/orders', orders.sample(1));
    expect(before.status).toBe(201); // warms the flags Lambda's cache
    cloud.services.appConfig.setFeatureFlag({ ...cloud.flags, flag: 'readOnly', enabled: true });
    expect((await api.post('/orders', orders.sample(2))).status).toBe(201); // still the cached flags

    const started = Date.now();
    const moved = await advance(cloud, { advanceSeconds: HOUR_S });
    expect(moved.offsetMs).toBe(HOUR_S * 1000);
    const during = await api.post('/orders', orders.sample(3));
    expect(during.status).toBe(202);
    expect(during.json).toMatchObject({ requestId: during.requestId, status: 'queued' });
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('the redrive schedule on the clock', () => {
  let cloud: LocalCloud;
  const log: string[] = [];
  beforeAll(async () => {
    cloud = await startTestCloud({ schedules: true, log: (line) => log.push(line) });
  });
  afterAll(() => cloud?.stop());

  it('runs once per period skipped, and POST /_local/clock answers after those runs', async () => {
    const redrive = functionName(cloud, /redrive/i);
    const runs = () => log.filter((l) => l.startsWith('schedule ') && l.includes(`→ ${redrive}`));
    expect(runs()).toHaveLength(0);
    await advance(cloud, { advanceSeconds: HOUR_S });
    // The template's rate (minutes) divides the hour: that many runs, all finished when the call answered.
    const count = runs().length;
    expect(count).toBeGreaterThanOrEqual(12);
    expect(60 % (60 / count)).toBe(0);
    expect(runs().filter((l) => l.includes('failed'))).toEqual([]);
    const periodS = HOUR_S / count;
    await advance(cloud, { advanceSeconds: periodS - 1 });
    expect(runs()).toHaveLength(count);
    await advance(cloud, { advanceMs: 1000 });
    expect(runs()).toHaveLength(count + 1);
  });
});

describe('two hours of maintenance, in seconds', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startTestCloud({ schedules: true });
  });
  afterAll(() => cloud?.stop());

  it('a write queued during read-only survives two hours of redrive runs (docs/pitfalls.md #14) and is applied once the flag is off', async () => {
    const api = new Api(cloud.apiUrl);
    cloud.services.appConfig.setFeatureFlag({ ...cloud.flags, flag: 'readOnly', enabled: true });
    const queued = await api.post('/orders', orders.sample(1), { 'Idempotency-Key': 'maintenance-1' });
    expect(queued.status).toBe(202);
    const started = Date.now();

    await advance(cloud, { advanceSeconds: 2 * HOUR_S });
    // Every scheduled run looked at the message (its receive count grew with each), and none gave up on it.
    expect((await api.get(`/requests/${queued.requestId}`)).json).toMatchObject({ status: 'queued' });
    const [message] = dlqMessages(cloud, 'orders').filter((m) => m.request.requestId === queued.requestId);
    expect(message.receiveCount).toBeGreaterThanOrEqual(24);

    cloud.services.appConfig.setFeatureFlag({ ...cloud.flags, flag: 'readOnly', enabled: false });
    await advance(cloud, { advanceSeconds: 5 * 60 });
    expect((await api.get(`/requests/${queued.requestId}`)).json).toMatchObject({ status: 'applied' });
    expect(dlqMessages(cloud, 'orders').filter((m) => m.request.requestId === queued.requestId)).toEqual([]);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});

/** The DLQ's messages (parsed bodies), with their receive counts. */
function dlqMessages(cloud: LocalCloud, resource: string): { request: { requestId: string }; receiveCount: number }[] {
  const queueUrl = cloud.resources.find((r) => r.name === resource)!.deadLetterQueueUrl;
  return cloud.services.sqs.peekMessages(queueUrl.split('/').pop()!, 1000).map((m) => ({ ...JSON.parse(m.body), receiveCount: m.receiveCount }));
}
