/**
 * AWS's payload limits, end to end: bodies are limited in UTF-8 bytes (102,400), not characters; a body at
 * the limit is stored, queued and replayed without hitting Step Functions' 256 KiB quota (escaping can
 * double it); list pages are bounded by size, so a page of large items is never a 500.
 */
import { Api, HttpResponse, LocalCloud, deadLetters, expectProblem, functionName, startTestCloud } from './helpers';

const LIMIT = 102_400;

let cloud: LocalCloud;
let api: Api;
beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
});
afterEach(() => cloud.services.faults.clear());
afterAll(async () => cloud?.stop());

/** A valid order whose JSON text is exactly `bytes` bytes of UTF-8, padded with `fill` (1 or 3 bytes a character). */
function orderOfSize(bytes: number, fill = 'x'): Record<string, unknown> {
  const base = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }], notes: '' };
  const room = bytes - Buffer.byteLength(JSON.stringify(base));
  const unit = Buffer.byteLength(JSON.stringify(fill)) - 2; // as it appears in the JSON text
  const body = { ...base, notes: fill.repeat(Math.floor(room / unit)) + 'x'.repeat(room % unit) };
  expect(Buffer.byteLength(JSON.stringify(body))).toBe(bytes);
  return body;
}
const post = (body: unknown): Promise<HttpResponse> => api.post('/orders', body);

describe('request bodies are limited in UTF-8 bytes', () => {
  it(`a body of exactly ${LIMIT} bytes is stored (201); one byte more is 413 problem JSON and nothing is stored`, async () => {
    expect((await post(orderOfSize(LIMIT))).status).toBe(201);
    const tooLarge = await post(orderOfSize(LIMIT + 1));
    expectProblem(tooLarge, 413, 'Payload Too Large');
    expect(tooLarge.json.detail).toMatch(/102,400 bytes/);
  });

  it('90,000 CJK characters (270,000 bytes, but only 90,000 characters) are 413, not a 502 from Step Functions', async () => {
    const res = await post({ customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }], notes: '比'.repeat(90_000) });
    expectProblem(res, 413, 'Payload Too Large');
  });

  it('a 3-byte-character body just under the limit is stored, and reads back whole', async () => {
    const body = orderOfSize(LIMIT - 10, '€');
    const created = await post(body);
    expect(created.status).toBe(201);
    expect((await api.get(`/orders/${created.json.orderId}`)).json.notes).toBe(body.notes);
  });
});

describe('a body at the limit survives the whole storage-first path', () => {
  it('queued (202, the DLQ message under 256 KiB), replayed and applied, with quotes and backslashes that double when escaped', async () => {
    const body = orderOfSize(LIMIT, '"\\');
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError', count: 3 });
    const queued = await post(body);
    expect(queued.status).toBe(202);
    const [message] = deadLetters(cloud, 'orders').filter((m) => m.requestId === queued.requestId);
    expect(Buffer.byteLength(JSON.stringify(message.request))).toBeLessThan(262_144);

    const run: any = await cloud.invokeFunction(functionName(cloud, /redrive/i), { resource: 'orders' });
    expect(run.orders.applied).toBeGreaterThanOrEqual(1);
    const record = await api.get(`/requests/${queued.requestId}`);
    expect(record.json).toMatchObject({ status: 'applied', outcome: { statusCode: 201 } });
    expect((await api.get(`/orders/${queued.requestId}`)).json.notes).toBe(body.notes);
  });
});

describe('list pages are bounded by size as well as count', () => {
  it('12 items of ~60 KB: ?limit=100 pages hold at most ~100 KiB of items, never a 500, and walking them returns every item once', async () => {
    const created = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const res = await post({ ...orderOfSize(60_000), customer: `big-${i}` });
      expect(res.status).toBe(201);
      created.add(res.json.orderId);
    }
    const seen: string[] = [];
    let next: string | null = '';
    for (let page = 0; page < 200 && next !== null; page++) {
      const res: HttpResponse = await api.get(`/orders?limit=100${next ? `&next=${next}` : ''}`);
      expect(res.status).toBe(200);
      const bytes = res.json.items.reduce((n: number, item: unknown) => n + Buffer.byteLength(JSON.stringify(item)), 0);
      if (res.json.items.length > 1) expect(bytes).toBeLessThanOrEqual(LIMIT);
      seen.push(...res.json.items.map((i: { orderId: string }) => i.orderId));
      next = res.json.next;
    }
    expect(next).toBeNull();
    for (const id of created) expect(seen.filter((x) => x === id)).toHaveLength(1);
  });
});
