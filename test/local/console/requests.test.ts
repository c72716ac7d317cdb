/**
 * The console's request records: `GET /console/api/requests` and `/requests/<id>` on a local cloud (the
 * requests table read through the local DynamoDB service), and the reader they share with `crud-ops --aws`
 * (local/console/request-records.ts) against a scripted Scan/GetItem port: filters, pagination, the cap,
 * and records whose stored JSON does not parse.
 */
import type { LocalCloud } from '../../../local/cloud-types';
import { Item, MAX_LIST_LIMIT, RequestRecordsReader, RequestsTablePort, decodeRequestRecord } from '../../../local/console/request-records';
import { getJson, sendToApi, startCloud } from './helpers';

const THROTTLED = 'ProvisionedThroughputExceededException';
const T0 = Date.parse('2026-11-23T16:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

/** A request#… item in the state machine's shape. */
function requestItem(requestId: string, fields: Record<string, string | number>): Item {
  const item: Item = { pk: { S: `request#${requestId}` }, requestId: { S: requestId } };
  for (const [name, value] of Object.entries(fields)) item[name] = typeof value === 'number' ? { N: String(value) } : { S: value };
  return item;
}

describe('GET /console/api/requests on a local cloud', () => {
  let cloud: LocalCloud;
  const api = (p: string) => `${cloud.consoleUrl}api/${p}`;
  const put = (Item: Item) => cloud.services.dynamodb.call('PutItem', { TableName: cloud.outputs.RequestsTableName, Item });

  beforeAll(async () => {
    cloud = await startCloud();
    await put(requestItem('req-old', { resource: 'orders', method: 'POST', path: '/v1/orders', status: 'applied', receivedAt: iso(1_000), reason: 'ReadOnlyMode', cause: 'maintenance', attempts: 1, outcome: '{"statusCode":201,"headers":{},"body":{"orderId":"o1"}}', lastAttempt: '{"statusCode":201,"final":true}' }));
    await put(requestItem('req-new', { resource: 'customers', method: 'DELETE', path: '/v1/customers/c1', status: 'rejected', receivedAt: iso(5_000), reason: 'FlagsUnavailable', attempts: 2, outcome: '{"statusCode":404,"headers":{},"body":null}', lastAttempt: '{"statusCode":404,"final":true}' }));
    await put({ pk: { S: 'idempotency#orders#anonymous#key-1' }, requestId: { S: 'req-old' }, status: { S: 'applied' }, fingerprint: { S: 'abc' } });
  }, 60_000);
  afterAll(() => cloud?.stop());
  afterEach(() => cloud.services.faults.clear());

  it('lists request records newest first by receivedAt, without the Idempotency-Key records, the causes or the outcomes', async () => {
    const { status, body } = await getJson(api('requests'));
    expect(status).toBe(200);
    expect(body).toEqual({ requests: expect.any(Array), total: 2, truncated: false, capped: false, tableName: cloud.outputs.RequestsTableName });
    expect(body.requests).toEqual([
      { requestId: 'req-new', resource: 'customers', method: 'DELETE', path: '/v1/customers/c1', status: 'rejected', receivedAt: iso(5_000), reason: 'FlagsUnavailable', attempts: 2, statusCode: 404 },
      { requestId: 'req-old', resource: 'orders', method: 'POST', path: '/v1/orders', status: 'applied', receivedAt: iso(1_000), reason: 'ReadOnlyMode', attempts: 1, statusCode: 201 },
    ]);
  });

  it('filters by resource and status, limits, and refuses what it cannot filter by (400)', async () => {
    const ids = async (query: string) => (await getJson(api(`requests?${query}`))).body.requests.map((r: any) => r.requestId);
    expect(await ids('resource=orders')).toEqual(['req-old']);
    expect(await ids('status=rejected')).toEqual(['req-new']);
    expect(await ids('status=queued&resource=orders')).toEqual([]);
    const limited = await getJson(api('requests?limit=1'));
    expect([limited.body.requests.map((r: any) => r.requestId), limited.body.total, limited.body.truncated]).toEqual([['req-new'], 2, true]);
    for (const bad of ['status=done', 'resource=pizzas', 'limit=0', `limit=${MAX_LIST_LIMIT + 1}`, 'limit=x']) {
      expect({ bad, status: (await getJson(api(`requests?${bad}`))).status }).toEqual({ bad, status: 400 });
    }
  });

  it('an id without a record answers 404 with status "unknown", as GET /v1/requests/{id} says it', async () => {
    expect(await getJson(api('requests/no-such-request'))).toEqual({ status: 404, body: { error: 'No request record no-such-request (yet)', requestId: 'no-such-request', status: 'unknown' } });
  });

  it('a queued write: the record with its execution and its DLQ message; after the redrive: applied, the outcome, the replay', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 3 });
    const res = await sendToApi(`${cloud.apiUrl}/orders`, { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] }, 'POST');
    await res.text();
    cloud.services.faults.clear();
    expect(res.status).toBe(202);
    const requestId = res.headers.get('x-request-id')!;

    const queued = (await getJson(api(`requests/${requestId}`))).body;
    expect(queued).toMatchObject({ requestId, resource: 'orders', method: 'POST', path: '/v1/orders', status: 'queued', reason: `DynamoDB.${THROTTLED}`, attempts: 0, cause: expect.stringContaining(THROTTLED), expiresAt: expect.stringMatching(/Z$/) });
    expect(queued.executions.map((e: any) => [e.name, e.statusCode])).toEqual([[requestId, 202]]);
    expect(queued.deadLetter).toEqual({ resource: 'orders', messageId: expect.any(String), receiveCount: 0, visible: true, queuedAt: expect.any(String), error: `DynamoDB.${THROTTLED}` });
    expect(queued.outcome).toBeUndefined();
    expect((await getJson(api('requests?status=queued'))).body.requests.map((r: any) => r.requestId)).toEqual([requestId]);

    await cloud.invokeFunction(cloud.functions.RedriveFunction, {});
    const applied = (await getJson(api(`requests/${requestId}`))).body;
    expect(applied).toMatchObject({ status: 'applied', attempts: 1, statusCode: 201, finishedAt: expect.any(String), lastAttempt: { execution: `${requestId}-redrive-1`, statusCode: 201, final: true } });
    expect(applied.outcome).toEqual({ statusCode: 201, headers: expect.objectContaining({ Location: expect.stringMatching(/^\/v1\/orders\//) }), body: expect.objectContaining({ customer: 'Ada' }) });
    expect(applied.executions.map((e: any) => [e.name, e.redrive, e.statusCode])).toEqual([
      [requestId, undefined, 202],
      [`${requestId}-redrive-1`, 1, 201],
    ]);
    expect(applied.deadLetter).toBeUndefined();
  }, 60_000);

  it('shows the Idempotency-Key record next to the request that carried the key', async () => {
    await put(requestItem('req-keyed', { resource: 'orders', status: 'queued', idempotencyKey: 'key-1', receivedAt: iso(0), attempts: 0 }));
    const { body } = await getJson(api('requests/req-keyed'));
    expect(body.idempotency).toEqual({ key: 'key-1', status: 'applied', requestId: 'req-old', fingerprint: 'abc' });
  });
});

describe('RequestRecordsReader (shared with crud-ops --aws)', () => {
  /** A port that answers Scan with the given pages in turn (LastEvaluatedKey between them) and GetItem from `items`. */
  function scripted(pages: Item[][], items: Record<string, Item> = {}) {
    const scans: Record<string, any>[] = [];
    const port: RequestsTablePort = {
      scan: async (input) => {
        scans.push(input);
        const index = input.ExclusiveStartKey ? Number((input.ExclusiveStartKey as Item).pk.S) : 0;
        return { Items: pages[index] ?? [], ...(index + 1 < pages.length ? { LastEvaluatedKey: { pk: { S: String(index + 1) } } } : {}) };
      },
      getItem: async (input) => ({ Item: items[(input.Key as Item).pk.S] }),
    };
    return { port, scans };
  }
  const record = (n: number) => requestItem(`r${n}`, { status: 'queued', receivedAt: iso(n * 1000), attempts: 0 });

  it('scans every page with the filter in the Scan (prefix, resource, status), then sorts newest first', async () => {
    const { port, scans } = scripted([[record(1), record(4)], [], [record(3), record(2)]]);
    const list = await new RequestRecordsReader(port, 'requests-table').list({ resource: 'orders', status: 'queued', limit: 3 });
    expect(list.requests.map((r) => r.requestId)).toEqual(['r4', 'r3', 'r2']);
    expect([list.total, list.truncated, list.capped]).toEqual([4, true, false]);
    expect(scans).toHaveLength(3);
    expect(scans[0]).toMatchObject({
      TableName: 'requests-table',
      FilterExpression: 'begins_with(#pk, :prefix) AND #resource = :resource AND #status = :status',
      ExpressionAttributeValues: { ':prefix': { S: 'request#' }, ':resource': { S: 'orders' }, ':status': { S: 'queued' } },
    });
    expect(scans[0].ProjectionExpression).not.toContain('outcome');
    expect(scans.slice(1).map((s) => s.ExclusiveStartKey)).toEqual([{ pk: { S: '1' } }, { pk: { S: '2' } }]);
  });

  it('stops at the cap and says so (capped), without reading further pages', async () => {
    const { port, scans } = scripted([[record(1), record(2)], [record(3), record(4)], [record(5)]]);
    const list = await new RequestRecordsReader(port, 't', { maxScanned: 3 }).list();
    expect([list.requests.map((r) => r.requestId), list.total, list.capped]).toEqual([['r3', 'r2', 'r1'], 3, true]);
    expect(scans).toHaveLength(2);
  });

  it('refuses an unknown status or a limit out of range before scanning', async () => {
    const { port, scans } = scripted([[]]);
    const reader = new RequestRecordsReader(port, 't');
    await expect(reader.list({ status: 'done' })).rejects.toThrow('status must be one of queued, applied, rejected');
    await expect(reader.list({ limit: 0 })).rejects.toThrow('limit must be an integer from 1 to 1000');
    expect(scans).toEqual([]);
  });

  it('get: undefined without a record; the Idempotency-Key record is read only when the request carries a key', async () => {
    const gets: Item[] = [];
    const { port } = scripted([], { 'request#r1': record(1) });
    const spied: RequestsTablePort = { scan: port.scan, getItem: (input) => (gets.push(input.Key as Item), port.getItem(input)) };
    const reader = new RequestRecordsReader(spied, 't');
    expect(await reader.get('nope')).toBeUndefined();
    expect(await reader.get('r1')).toMatchObject({ requestId: 'r1', status: 'queued' });
    expect(gets).toEqual([{ pk: { S: 'request#nope' } }, { pk: { S: 'request#r1' } }]);
  });

  it('decodes a record: numbers, the TTL as a date, the JSON texts parsed, unparsable ones kept as text', () => {
    const decoded = decodeRequestRecord(
      requestItem('r9', { status: 'queued', attempts: 3, expiresAt: Math.floor(T0 / 1000), lastAttempt: '{"statusCode":503,"final":false}', outcome: 'not json' }),
    );
    expect(decoded).toEqual({ requestId: 'r9', status: 'queued', attempts: 3, expiresAt: iso(0), lastAttempt: { statusCode: 503, final: false }, statusCode: 503, unreadable: { outcome: 'not json' } });
    expect(decodeRequestRecord({ pk: { S: 'request#r10' } })).toEqual({ requestId: 'r10', status: 'unknown', attempts: 0 });
  });
});
