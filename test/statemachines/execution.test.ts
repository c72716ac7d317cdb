/**
 * Runs statemachines/crud-resource.asl.json on the local ASL engine against the local DynamoDB (dynalite),
 * SQS and EventBridge, for what the static checks of asl.test.ts cannot see: what a request answers when a
 * write is retried after its first attempt landed, and what a JSON merge patch stores.
 *
 * The real clock runs (a fake clock could fire a Task's 1 s timeout while dynalite is still working), with
 * jitter drawn as 0 so retries do not wait.
 */
import { TaskError, type TaskHandler } from '../../local/asl';
import type { LocalServices } from '../../local/services';
import { Api, CrudMachineHarness, DELETE_ITEM, EVENT_BUS as BUS, Flags, GET_ITEM, PUT_ITEM } from '../helpers/crud-machine';

const KEY = 'orderId';
const harness = new CrudMachineHarness();
const { real } = harness;
let services: LocalServices;
let orders: Api;
/** The orders table, as harness.deploy names it. */
const TABLE = 'orders-table';

beforeAll(async () => {
  await harness.open();
  services = harness.services;
  orders = await harness.deploy('orders', KEY);
});
afterAll(harness.close);
// Each test starts with every circuit closed: tests that inject repeated failures would otherwise open it.
beforeEach(harness.closeCircuits);

/** The execution input the request template builds, for orders. */
const request = (method: string, id: string, body: unknown = null, headers: Record<string, string> = {}) => harness.request(orders, method, id, body, headers);
/** Runs one request on the orders machine; `faults` replace integrations by resource ARN, and LoadFlags answers `flags`. */
const run = (input: object, flags: Flags = {}, faults: Record<string, TaskHandler> = {}) => harness.run(orders, input, flags, faults);

/** A write whose first attempt is applied, but whose answer never comes back: the Task times out and is retried. */
function landsThenTimesOut(resource: string): { handler: TaskHandler; calls: () => number } {
  let calls = 0;
  const handler: TaskHandler = async (invocation) => {
    const first = ++calls === 1;
    const result = await real(resource)(invocation);
    if (first) throw new TaskError('States.Timeout', 'Task timed out.');
    return result;
  };
  return { handler, calls: () => calls };
}

/** Another request writes the item between ReadCurrent and this write, so the write's condition fails. */
function anotherWriterFirst(resource: string): TaskHandler {
  let first = true;
  return async (invocation) => {
    if (first) {
      first = false;
      const item = await stored((invocation.input as { Key?: any; Item?: any }).Key?.[KEY]?.S ?? (invocation.input as any).Item[KEY].S);
      const version = Number(item.version.N) + 1;
      const data = { ...JSON.parse(item.data.S), customer: 'Someone else', version };
      await services.dynamodb.call('PutItem', {
        TableName: TABLE,
        Item: { ...item, version: { N: String(version) }, data: { S: JSON.stringify(data) }, requestToken: { S: 'other-request' } },
      });
    }
    return real(resource)(invocation);
  };
}

async function stored(id: string): Promise<any> {
  return (await services.dynamodb.call('GetItem', { TableName: TABLE, Key: { [KEY]: { S: id } }, ConsistentRead: true })).Item;
}

let ids = 0;
/** A fresh order at version 1. */
async function created(): Promise<string> {
  const id = `order-${++ids}`;
  const response = await run(request('POST', '', { [KEY]: id, customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }], status: 'placed' }));
  expect(response.statusCode).toBe(201);
  return id;
}

describe('a write whose first attempt landed but timed out answers as the first attempt would have', () => {
  test.each([
    ['PUT', {}],
    ['PUT with If-Match', { ifMatch: '"1"' }],
  ])('%s: 200 with the new version, not 409/412', async (_name, headers) => {
    const id = await created();
    const put = landsThenTimesOut(PUT_ITEM);
    const input = request('PUT', id, { customer: 'Grace', items: [{ pizza: 'diavola', quantity: 2 }] }, headers);

    const response = await run(input, {}, { [PUT_ITEM]: put.handler });

    expect(put.calls()).toBe(2);
    const item = await stored(id);
    expect(item.requestToken.S).toBe(input.requestId);
    expect(response.statusCode).toBe(200);
    expect(response.headers.ETag).toBe('"2"');
    expect(response.body).toEqual(JSON.parse(item.data.S));
    expect(response.body).toMatchObject({ [KEY]: id, customer: 'Grace', version: 2 });
    expect(response.body.status).toBeUndefined();
  });

  test('PATCH: 200 with the patched item', async () => {
    const id = await created();
    const put = landsThenTimesOut(PUT_ITEM);

    const response = await run(request('PATCH', id, { status: null, customer: 'Grace' }), {}, { [PUT_ITEM]: put.handler });

    expect(response.statusCode).toBe(200);
    expect(response.headers.ETag).toBe('"2"');
    expect(response.body).toEqual(JSON.parse((await stored(id)).data.S));
    expect(response.body).toMatchObject({ customer: 'Grace', version: 2 });
    expect('status' in response.body).toBe(false);
  });

  test('soft DELETE: 204, the item is tombstoned with this request token', async () => {
    const id = await created();
    const put = landsThenTimesOut(PUT_ITEM);
    const input = request('DELETE', id);

    const response = await run(input, { softDelete: true }, { [PUT_ITEM]: put.handler });

    expect(response).toMatchObject({ statusCode: 204, body: null });
    const item = await stored(id);
    expect(item.deletedAt).toBeDefined();
    expect(item.requestToken.S).toBe(input.requestId);
    expect((await run(request('GET', id))).statusCode).toBe(404);
  });

  test('hard DELETE: 204, the item is gone', async () => {
    const id = await created();
    const del = landsThenTimesOut(DELETE_ITEM);

    const response = await run(request('DELETE', id), {}, { [DELETE_ITEM]: del.handler });

    expect(del.calls()).toBe(2);
    expect(response).toMatchObject({ statusCode: 204, body: null });
    expect(await stored(id)).toBeUndefined();
  });

  test('hard DELETE with If-Match: 204, not 412', async () => {
    const id = await created();
    const del = landsThenTimesOut(DELETE_ITEM);

    const response = await run(request('DELETE', id, null, { ifMatch: '"1"' }), {}, { [DELETE_ITEM]: del.handler });

    expect(response.statusCode).toBe(204);
  });

  test('the change event is published, as after a write answered at once', async () => {
    const id = await created();
    const put = landsThenTimesOut(PUT_ITEM);

    const response = await run(request('PATCH', id, { status: 'baking' }), { publishEvents: true }, { [PUT_ITEM]: put.handler });

    expect(response.statusCode).toBe(200);
    const events = services.events.listEvents(BUS).filter((e) => (e.detail as { id?: string }).id === id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ detailType: 'orders.updated', detail: { method: 'PATCH', item: response.body } });
  });
});

describe('a write whose condition failed because another request wrote first is still a conflict', () => {
  test.each([
    ['PUT', PUT_ITEM, {}, {}, 409],
    ['PUT', PUT_ITEM, {}, { ifMatch: '"1"' }, 412],
    ['DELETE', PUT_ITEM, { softDelete: true }, {}, 409],
    ['DELETE', DELETE_ITEM, {}, {}, 409],
    ['DELETE', DELETE_ITEM, {}, { ifMatch: '"1"' }, 412],
  ] as const)('%s through %s, flags %j, headers %j: %d', async (method, resource, flags, headers, status) => {
    const id = await created();
    const body = method === 'PUT' ? { customer: 'Grace', items: [{ pizza: 'diavola', quantity: 2 }] } : null;

    const response = await run(request(method, id, body, headers), flags, { [resource]: anotherWriterFirst(resource) });

    expect(response.statusCode).toBe(status);
    // The other request's write stands.
    const item = await stored(id);
    expect(item.requestToken.S).toBe('other-request');
    expect(JSON.parse(item.data.S)).toMatchObject({ customer: 'Someone else', version: 2 });
  });
});

test('if the re-read after a failed condition fails too, the request is queued for redrive (202)', async () => {
  const id = await created();
  let reads = 0;
  const getItem: TaskHandler = async (invocation) => {
    // The first read of the data table is ReadCurrent; the second is the re-read after the failed condition.
    if ((invocation.input as { TableName?: string }).TableName === TABLE && ++reads === 2) throw new TaskError('DynamoDB.InternalServerErrorException', 'Internal server error');
    return real(GET_ITEM)(invocation);
  };
  const put = landsThenTimesOut(PUT_ITEM);
  const input = request('PATCH', id, { status: 'baking' });

  const response = await run(input, {}, { [PUT_ITEM]: put.handler, [GET_ITEM]: getItem });

  expect(response).toMatchObject({ statusCode: 202, body: { requestId: input.requestId, status: 'queued' } });
  const queued = services.sqs.peekMessages('orders-dlq').map((m) => JSON.parse(m.body));
  expect(queued.find((m) => m.requestId === input.requestId)).toMatchObject({ request: input, error: 'DynamoDB.InternalServerErrorException' });
});

describe('PATCH is a JSON merge patch (RFC 7396) on top-level attributes', () => {
  test('null removes an attribute, other values replace theirs, absent attributes are kept', async () => {
    const id = await created();

    const response = await run(request('PATCH', id, { status: null, customer: 'Grace', note: { door: 'blue', bell: null } }));

    expect(response.statusCode).toBe(200);
    const data = JSON.parse((await stored(id)).data.S);
    expect(data).toEqual(response.body);
    expect('status' in data).toBe(false);
    expect(data).toMatchObject({ [KEY]: id, customer: 'Grace', items: [{ pizza: 'margherita', quantity: 1 }], version: 2 });
    // Nested objects are replaced whole, as they are given (docs/architecture.md).
    expect(data.note).toEqual({ door: 'blue', bell: null });
  });

  test('a null for an attribute the item does not have is no error', async () => {
    const id = await created();
    const response = await run(request('PATCH', id, { nothingHere: null }));
    expect(response.statusCode).toBe(200);
    expect('nothingHere' in response.body).toBe(false);
  });

  test('the key cannot be removed: a null key is a mismatch with the path (422)', async () => {
    const id = await created();
    const response = await run(request('PATCH', id, { [KEY]: null }));
    expect(response.statusCode).toBe(422);
    expect((await stored(id)).version.N).toBe('1');
  });
});

describe('reads and writes of an item that does not exist', () => {
  test.each(['GET', 'PUT', 'PATCH', 'DELETE'])('%s answers 404, nothing queued', async (method) => {
    const body = method === 'PUT' || method === 'PATCH' ? { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] } : null;
    const input = request(method, 'no-such-order', body);

    const response = await run(input);

    expect(response.statusCode).toBe(404);
    expect(services.sqs.peekMessages('orders-dlq').some((m) => JSON.parse(m.body).requestId === input.requestId)).toBe(false);
    expect(await stored('no-such-order')).toBeUndefined();
  });

  test('a POST replayed with the same Idempotency-Key answers 201 again; another key on the same id gets 409', async () => {
    const body = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };
    const first = await run(request('POST', '', body, { idempotencyKey: 'key-1' }));
    const replay = await run(request('POST', '', body, { idempotencyKey: 'key-1' }));
    const other = await run(request('POST', '', { ...body, [KEY]: first.body[KEY] }, { idempotencyKey: 'key-2' }));

    expect(first.statusCode).toBe(201);
    expect(replay).toEqual(first);
    expect(other.statusCode).toBe(409);
  });
});
