/**
 * The storage-first behaviour of statemachines/crud-resource.asl.json, run on the local ASL engine against
 * the local DynamoDB (dynalite) and SQS, set up as test/statemachines/execution.test.ts does:
 *
 * - Idempotency-Key (IETF draft, docs/pitfalls.md #19): fingerprints, answers replayed after later writes, queued
 *   and in-progress keys, abandoned claims, keys scoped to the resource.
 * - Request records (`request#<id>` in the requests table) written when a write is queued, and completed
 *   by its replays (docs/pitfalls.md #6, #14).
 * - Feature flags never read blind (docs/pitfalls.md #17), and never read by GETs.
 * - List pages bounded by UTF-8 size, not only count (docs/pitfalls.md #15, #16).
 * - The retry budget guard, and which DynamoDB errors are retried.
 *
 * The real clock runs, with jitter drawn as 0 so retries do not wait.
 */
import { createHash } from 'node:crypto';
import { systemClock, TaskError, type Clock, type TaskHandler } from '../../local/asl';
import type { LocalServices } from '../../local/services';
import { Api, CrudMachineHarness, Flags, LAMBDA_INVOKE, PUT_ITEM, REQUESTS_TABLE, UPDATE_ITEM, tableOf, type Response } from '../helpers/crud-machine';

const PAGE_BYTES = 102_400;
const PAYLOAD_QUOTA = 262_144;
const THIRTY_DAYS = 2_592_000;
/** The caller the request template names ($context.identity.userArn with auth iam): keys are scoped by it. */
const CALLER = 'arn:aws:iam::123456789012:user/ada';

const harness = new CrudMachineHarness(CALLER);
const { request, replayOf, run, real, onTable, watchTable } = harness;
type Input = ReturnType<typeof request>;
const { deploy } = harness;
let services: LocalServices;
let orders: Api;

beforeAll(async () => {
  await harness.open();
  services = harness.services;
  orders = await deploy('orders', 'orderId');
});
afterAll(harness.close);
// Each test starts with every circuit closed (circuit-breaker.test.ts covers the breaker itself).
beforeEach(harness.closeCircuits);

/** The flags Lambda: `answer(call)` returns the flags or throws; counts its invocations. */
function flagsLambda(answer: (call: number) => Flags): { faults: Record<string, TaskHandler>; calls: () => number } {
  let calls = 0;
  const handler: TaskHandler = async () => ({ StatusCode: 200, Payload: { readOnly: false, softDelete: false, publishEvents: false, ...answer(++calls) } });
  return { faults: { [LAMBDA_INVOKE]: handler }, calls: () => calls };
}

async function stored(api: Api, id: string): Promise<any> {
  return (await services.dynamodb.call('GetItem', { TableName: api.table, Key: { [api.key]: { S: id } }, ConsistentRead: true })).Item;
}
async function requestsItem(pk: string): Promise<any> {
  return (await services.dynamodb.call('GetItem', { TableName: REQUESTS_TABLE, Key: { pk: { S: pk } }, ConsistentRead: true })).Item;
}
const requestRecord = (requestId: string) => requestsItem(`request#${requestId}`);
const keyRecord = (api: Api, key: string, caller = CALLER) => requestsItem(`idempotency#${api.resource}#${caller}#${key}`);

function dlqMessages(api: Api, requestId: string): any[] {
  return services.sqs
    .peekMessages(api.queue, 1000)
    .map((m) => JSON.parse(m.body))
    .filter((m) => m.requestId === requestId);
}

/** The fingerprint ClaimIdempotencyKey stores: SHA-256 of "METHOD path body". */
function fingerprint(method: string, path: string, body: unknown): string {
  return createHash('sha256').update(`${method} ${path} ${JSON.stringify(body)}`, 'utf8').digest('hex');
}
/** The id PrepareCreate derives from an Idempotency-Key when the body has none. */
const idFromKey = (key: string, caller = CALLER) => createHash('sha256').update(`${caller} ${key}`, 'utf8').digest('hex').slice(0, 32);

let ids = 0;
const order = () => ({ customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }], status: 'placed' });
/** A fresh order at version 1. */
async function created(api: Api = orders): Promise<string> {
  const id = `${api.resource}-${++ids}`;
  const response = await run(api, request(api, 'POST', '', { [api.key]: id, ...order() }));
  expect(response.statusCode).toBe(201);
  return id;
}

describe('Idempotency-Key (IETF draft): a retry answers as the first request did', () => {
  test('a retry with the same Idempotency-Key and body answers the original 201 even after a later PATCH', async () => {
    const key = 'idem-same-1';
    const first = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));
    expect(first.statusCode).toBe(201);
    const id = idFromKey(key);
    expect(first.headers).toMatchObject({ Location: `/v1/orders/${id}`, ETag: '"1"' });

    const patched = await run(orders, request(orders, 'PATCH', id, { status: 'baking' }));
    expect(patched).toMatchObject({ statusCode: 200, headers: { ETag: '"2"' } });

    const retry = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));

    expect(retry.statusCode).toBe(201);
    expect(retry.headers).toEqual(first.headers);
    expect(retry.body).toEqual(first.body);
    expect(retry.body).toMatchObject({ status: 'placed', version: 1 });
    // The retry wrote nothing: the item is still the patched version 2.
    expect((await stored(orders, id)).version.N).toBe('2');
  });

  test('the key record holds the fingerprint, the first request id and its outcome, apart from the item', async () => {
    const key = 'idem-record-1';
    const input = request(orders, 'POST', '', order(), { idempotencyKey: key });
    const first = await run(orders, input);

    const record = await keyRecord(orders, key);
    expect(record.fingerprint.S).toBe(fingerprint('POST', '/v1/orders', order()));
    expect(record.requestId.S).toBe(input.requestId);
    expect(record.status.S).toBe('applied');
    expect(Number(record.claimedAt.N)).toBeGreaterThan(Date.now() - 60_000);
    expect(Number(record.expiresAt.N)).toBe(Math.floor(input.receivedAt / 1000) + THIRTY_DAYS);
    expect(JSON.parse(record.outcome.S)).toEqual({ statusCode: 201, headers: first.headers, body: first.body });
  });

  test('the same key with another body answers 422 problem JSON and writes nothing', async () => {
    const key = 'idem-body-1';
    const first = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));
    expect(first.statusCode).toBe(201);
    const id = idFromKey(key);
    const before = await stored(orders, id);

    const other = await run(orders, request(orders, 'POST', '', { ...order(), customer: 'Grace' }, { idempotencyKey: key }));

    expect(other.statusCode).toBe(422);
    expect(other.headers['Content-Type']).toBe('application/problem+json');
    expect(other.body).toMatchObject({ type: 'about:blank', title: 'Unprocessable Content', status: 422 });
    expect(other.body.detail).toMatch(/Idempotency-Key/);
    expect(await stored(orders, id)).toEqual(before);
    // The key still answers the first request.
    expect((await keyRecord(orders, key)).status.S).toBe('applied');
  });

  test('the same key with another path (PUT on another id) answers 422 and writes nothing', async () => {
    const a = await created();
    const b = await created();
    const key = 'idem-path-1';
    const body = { customer: 'Grace', items: [] };
    expect((await run(orders, request(orders, 'PUT', a, body, { idempotencyKey: key }))).statusCode).toBe(200);
    const before = await stored(orders, b);

    const other = await run(orders, request(orders, 'PUT', b, body, { idempotencyKey: key }));

    expect(other.statusCode).toBe(422);
    expect(other.headers['Content-Type']).toBe('application/problem+json');
    expect(await stored(orders, b)).toEqual(before);
  });

  test('the same key with another method (PATCH after PUT, same path and body) answers 422 and writes nothing', async () => {
    const id = await created();
    const key = 'idem-method-1';
    const body = { customer: 'Grace' };
    expect((await run(orders, request(orders, 'PUT', id, body, { idempotencyKey: key }))).statusCode).toBe(200);
    const before = await stored(orders, id);

    const other = await run(orders, request(orders, 'PATCH', id, body, { idempotencyKey: key }));

    expect(other.statusCode).toBe(422);
    expect(await stored(orders, id)).toEqual(before);
  });

  test('a retry with the key of a request queued because DynamoDB kept failing answers the same 202 and Location', async () => {
    const key = 'idem-queued-ddb-1';
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.ProvisionedThroughputExceededException');
    const input = request(orders, 'POST', '', order(), { idempotencyKey: key });
    const first = await run(orders, input, {}, { [PUT_ITEM]: put.handler });
    expect(first.statusCode).toBe(202);
    expect(first.headers.Location).toBe(`/v1/requests/${input.requestId}`);
    expect((await keyRecord(orders, key)).status.S).toBe('queued');

    // DynamoDB is healthy again, but the first request is still in the queue: the retry must not apply it twice.
    const retry = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));

    expect(retry.statusCode).toBe(202);
    expect(retry.headers.Location).toBe(`/v1/requests/${input.requestId}`);
    expect(retry.headers['Retry-After']).toBeDefined();
    expect(retry.body).toMatchObject({ requestId: input.requestId, status: 'queued' });
    expect(await stored(orders, idFromKey(key))).toBeUndefined();
  });

  // The key is claimed before the readOnly check, so a request queued by maintenance owns its key too.
  test('a retry with the key of a request queued by readOnly answers the same 202 and Location (readOnly still on)', async () => {
    const key = 'idem-queued-ro-1';
    const input = request(orders, 'POST', '', order(), { idempotencyKey: key });
    const first = await run(orders, input, { readOnly: true });
    expect(first.statusCode).toBe(202);
    expect(first.headers.Location).toBe(`/v1/requests/${input.requestId}`);

    const retryInput = request(orders, 'POST', '', order(), { idempotencyKey: key });
    const retry = await run(orders, retryInput, { readOnly: true });

    expect(retry.statusCode).toBe(202);
    expect(retry.headers.Location).toBe(`/v1/requests/${input.requestId}`);
    expect(dlqMessages(orders, retryInput.requestId)).toHaveLength(0);
  });

  test('a retry with the key of a queued request answers the same 202 body as the first answer', async () => {
    const key = 'idem-queued-body-1';
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
    const first = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }), {}, { [PUT_ITEM]: put.handler });
    expect(first.statusCode).toBe(202);

    const retry = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));

    expect(retry.body).toEqual(first.body);
  });

  test('once the queued request is replayed, a retry with its key answers the replay\'s 201', async () => {
    const key = 'idem-queued-replayed-1';
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
    const input = request(orders, 'POST', '', order(), { idempotencyKey: key });
    expect((await run(orders, input, {}, { [PUT_ITEM]: put.handler })).statusCode).toBe(202);

    const replay = await run(orders, replayOf(input, 'DynamoDB.InternalServerErrorException'));
    expect(replay.statusCode).toBe(201);
    expect((await keyRecord(orders, key)).status.S).toBe('applied');

    const retry = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));

    expect(retry).toEqual(replay);
    expect((await requestRecord(input.requestId)).status.S).toBe('applied');
  });

  test('two requests with one key both queued by readOnly are written once when replayed', async () => {
    const key = 'idem-queued-ro-2';
    const first = request(orders, 'POST', '', order(), { idempotencyKey: key });
    const second = request(orders, 'POST', '', order(), { idempotencyKey: key });
    expect((await run(orders, first, { readOnly: true })).statusCode).toBe(202);
    expect((await run(orders, second, { readOnly: true })).statusCode).toBe(202);
    const put = onTable(PUT_ITEM, orders.table);

    const a = await run(orders, replayOf(first, 'ReadOnlyMode'), {}, { [PUT_ITEM]: put.handler });
    const b = await run(orders, replayOf(second, 'ReadOnlyMode'), {}, { [PUT_ITEM]: put.handler });

    expect(a.statusCode).toBe(201);
    expect(b).toEqual(a);
    expect(put.calls()).toBe(1);
    expect((await stored(orders, idFromKey(key))).version.N).toBe('1');
    expect((await requestRecord(first.requestId)).status.S).toBe('applied');
    expect((await requestRecord(second.requestId)).status.S).toBe('applied');
  });

  test('a key claimed by a request still in progress answers 409 with Retry-After, and writes nothing', async () => {
    const key = 'idem-in-progress-1';
    const body = order();
    await services.dynamodb.call('PutItem', {
      TableName: REQUESTS_TABLE,
      Item: {
        pk: { S: `idempotency#orders#${CALLER}#${key}` },
        fingerprint: { S: fingerprint('POST', '/v1/orders', body) },
        requestId: { S: 'request-still-running' },
        status: { S: 'in-progress' },
        claimedAt: { N: String(Date.now() - 2_000) },
      },
    });

    const response = await run(orders, request(orders, 'POST', '', body, { idempotencyKey: key }));

    expect(response.statusCode).toBe(409);
    expect(response.headers['Retry-After']).toBeDefined();
    expect(response.headers['Content-Type']).toBe('application/problem+json');
    expect(await stored(orders, idFromKey(key))).toBeUndefined();
    expect(await keyRecord(orders, key)).toMatchObject({ requestId: { S: 'request-still-running' }, status: { S: 'in-progress' } });
  });

  test('an abandoned claim (claimedAt older than 30 s) does not block: the request goes on and is applied', async () => {
    const key = 'idem-abandoned-1';
    const body = order();
    await services.dynamodb.call('PutItem', {
      TableName: REQUESTS_TABLE,
      Item: {
        pk: { S: `idempotency#orders#${CALLER}#${key}` },
        fingerprint: { S: fingerprint('POST', '/v1/orders', body) },
        requestId: { S: 'request-that-died' },
        status: { S: 'in-progress' },
        claimedAt: { N: String(Date.now() - 31_000) },
      },
    });

    const response = await run(orders, request(orders, 'POST', '', body, { idempotencyKey: key }));

    expect(response.statusCode).toBe(201);
    const id = idFromKey(key);
    expect((await stored(orders, id)).version.N).toBe('1');
    const record = await keyRecord(orders, key);
    expect(record.status.S).toBe('applied');
    expect(JSON.parse(record.outcome.S)).toMatchObject({ statusCode: 201, headers: { Location: `/v1/orders/${id}` } });
  });

  test('a retry whose key record never got its outcome (that write failed), after a later write, is not applied twice: the item knows its token', async () => {
    const created = await run(orders, request(orders, 'POST', '', order()));
    const id = created.body.orderId;
    const key = 'idem-lost-outcome-1';
    // The PATCH is applied, but recording its answer on the key fails every time.
    const recordFails: TaskHandler = async (invocation) => {
      if (tableOf(invocation) === REQUESTS_TABLE) throw new TaskError('DynamoDB.InternalServerErrorException', 'injected');
      return real(UPDATE_ITEM)(invocation);
    };
    const first = await run(orders, request(orders, 'PATCH', id, { status: 'baking' }, { idempotencyKey: key }), {}, { [UPDATE_ITEM]: recordFails });
    expect(first).toMatchObject({ statusCode: 200, headers: { ETag: '"2"' } });
    expect((await keyRecord(orders, key)).status.S).toBe('in-progress');
    // Another client writes; later (the claim looks abandoned) the first client retries with its key.
    expect((await run(orders, request(orders, 'PATCH', id, { status: 'delivering' }))).statusCode).toBe(200);
    await services.dynamodb.call('UpdateItem', {
      TableName: REQUESTS_TABLE,
      Key: { pk: { S: `idempotency#orders#${CALLER}#${key}` } },
      UpdateExpression: 'SET claimedAt = :old',
      ExpressionAttributeValues: { ':old': { N: String(Date.now() - 31_000) } },
    });
    const retry = await run(orders, request(orders, 'PATCH', id, { status: 'baking' }, { idempotencyKey: key }));
    expect(retry).toMatchObject({ statusCode: 200, headers: { ETag: '"2"' } });
    const item = await stored(orders, id);
    expect(item.version.N).toBe('3');
    expect(JSON.parse(item.data.S).status).toBe('delivering');
  });

  test('keys are scoped to the resource: the same key on another resource is independent', async () => {
    const customers = await deploy('customers', 'customerId');
    const key = 'idem-scoped-1';

    const order1 = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));
    const customer = await run(customers, request(customers, 'POST', '', { name: 'Ada' }, { idempotencyKey: key }));

    // Another body under the same key would be a 422 on the same resource; on another resource it is a new request.
    expect(order1.statusCode).toBe(201);
    expect(customer.statusCode).toBe(201);
    expect(customer.body).toMatchObject({ customerId: idFromKey(key), name: 'Ada' });
    expect((await keyRecord(orders, key)).fingerprint.S).toBe(fingerprint('POST', '/v1/orders', order()));
    expect((await keyRecord(customers, key)).fingerprint.S).toBe(fingerprint('POST', '/v1/customers', { name: 'Ada' }));
  });

  test('keys are scoped to the caller: another caller with the same key and another body gets its own item, not a 422', async () => {
    const key = 'idem-caller-1';
    const grace = 'arn:aws:iam::123456789012:user/grace';
    const mine = await run(orders, request(orders, 'POST', '', order(), { idempotencyKey: key }));
    const theirs = await run(orders, { ...request(orders, 'POST', '', { ...order(), customer: 'Grace' }, { idempotencyKey: key }), caller: grace });
    expect([mine.statusCode, theirs.statusCode]).toEqual([201, 201]);
    expect(mine.body).toMatchObject({ orderId: idFromKey(key) });
    expect(theirs.body).toMatchObject({ orderId: idFromKey(key, grace), customer: 'Grace' });
    expect((await keyRecord(orders, key, grace)).requestId.S).not.toBe((await keyRecord(orders, key)).requestId.S);
    // The item's token names the caller too: the other caller's write is not taken for a replay of mine.
    expect((await stored(orders, idFromKey(key, grace))).requestToken.S).toBe(`${grace} ${key}`);
  });

  test('an input without a caller (a message queued before callers existed) runs as anonymous', async () => {
    const key = 'idem-anonymous-1';
    const { caller: _caller, ...input } = request(orders, 'POST', '', order(), { idempotencyKey: key });
    expect((await run(orders, input as Input)).statusCode).toBe(201);
    expect((await keyRecord(orders, key, 'anonymous')).status.S).toBe('applied');
  });
});

describe('request records: a queued write is recorded, and its replays complete the record', () => {
  /** A POST queued because PutNewItem keeps failing with a throughput error. */
  async function queuedPost(): Promise<{ input: Input; id: string; response: Response; putCalls: number }> {
    const id = `order-queued-${++ids}`;
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.ProvisionedThroughputExceededException');
    const input = request(orders, 'POST', '', { orderId: id, ...order() });
    const response = await run(orders, input, {}, { [PUT_ITEM]: put.handler });
    return { input, id, response, putCalls: put.calls() };
  }
  const REASON = 'DynamoDB.ProvisionedThroughputExceededException';

  test('a write queued because DynamoDB PutItem keeps failing answers 202 with Location, Retry-After and the request', async () => {
    const { input, id, response, putCalls } = await queuedPost();

    expect(putCalls).toBe(3);
    expect(response.statusCode).toBe(202);
    expect(response.headers).toMatchObject({ Location: `/v1/requests/${input.requestId}`, 'Retry-After': expect.any(String) });
    expect(response.body).toEqual({ requestId: input.requestId, status: 'queued', reason: REASON, location: `/v1/requests/${input.requestId}` });
    expect(await stored(orders, id)).toBeUndefined();
  });

  test('the dead-letter queue holds the request and why it failed', async () => {
    const { input } = await queuedPost();

    const messages = dlqMessages(orders, input.requestId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ request: input, error: REASON, resource: 'orders', requestId: input.requestId });
    expect(messages[0].cause).toMatch(/injected/);
  });

  test('a queued write with a ~100 KB body keeps its DLQ message under SQS\'s 256 KiB', async () => {
    const put = onTable(PUT_ITEM, orders.table, REASON);
    // Quotes and backslashes are escaped again inside the message body; CJK is 3 bytes a character.
    const body = { orderId: `order-big-${++ids}`, note: '"\\'.repeat(12_000), text: '水'.repeat(18_000) };
    expect(Buffer.byteLength(JSON.stringify(body), 'utf8')).toBeLessThanOrEqual(PAGE_BYTES);
    const input = request(orders, 'POST', '', body);

    const response = await run(orders, input, {}, { [PUT_ITEM]: put.handler });

    expect(response.statusCode).toBe(202);
    const message = services.sqs.peekMessages(orders.queue, 1000).find((m) => JSON.parse(m.body).requestId === input.requestId)!;
    expect(Buffer.byteLength(message.body, 'utf8')).toBeLessThan(PAYLOAD_QUOTA);
    expect(JSON.parse(message.body).request).toEqual(input);
  });

  test('the request record is queued, with its reason and 0 attempts', async () => {
    const { input } = await queuedPost();

    const record = await requestRecord(input.requestId);
    expect(record).toMatchObject({
      requestId: { S: input.requestId },
      resource: { S: 'orders' },
      method: { S: 'POST' },
      path: { S: '/v1/orders' },
      status: { S: 'queued' },
      reason: { S: REASON },
      attempts: { N: '0' },
      receivedAt: { S: new Date(input.receivedAt).toISOString() },
      expiresAt: { N: String(Math.floor(input.receivedAt / 1000) + THIRTY_DAYS) },
    });
    expect(record.cause.S).toMatch(/injected/);
    expect(Number.isNaN(Date.parse(record.queuedAt.S))).toBe(false);
    expect(record.outcome).toBeUndefined();
  });

  test('a replay with DynamoDB healthy answers 201 and records the outcome as applied, attempts 1', async () => {
    const { input, id } = await queuedPost();

    const replay = await run(orders, replayOf(input, REASON));

    expect(replay.statusCode).toBe(201);
    expect(replay.headers).toMatchObject({ Location: `/v1/orders/${id}`, ETag: '"1"' });
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('applied');
    expect(record.attempts.N).toBe('1');
    expect(JSON.parse(record.outcome.S)).toEqual({ statusCode: 201, headers: replay.headers, body: replay.body });
    expect(JSON.parse(record.outcome.S).body).toEqual(JSON.parse((await stored(orders, id)).data.S));
    expect(record.finishedAt).toBeDefined();
    expect(JSON.parse(record.lastAttempt.S)).toMatchObject({ statusCode: 201, final: true });
    expect(record.reason.S).toBe(REASON);
  });

  test('a second replay of an applied request answers from the record: same 201, no second write, attempts unchanged', async () => {
    const { input, id } = await queuedPost();
    const firstReplay = await run(orders, replayOf(input, REASON));
    const item = await stored(orders, id);
    const data = watchTable(orders.table);

    const secondReplay = await run(orders, replayOf(input, REASON), {}, data.faults);

    expect(secondReplay).toEqual(firstReplay);
    expect(data.calls()).toBe(0);
    expect(await stored(orders, id)).toEqual(item);
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('applied');
    expect(record.attempts.N).toBe('1');
  });

  test('a replay while readOnly is on answers 503 with Retry-After; the record stays queued and counts the attempt', async () => {
    const { input, id } = await queuedPost();

    const replay = await run(orders, replayOf(input, REASON), { readOnly: true });

    expect(replay.statusCode).toBe(503);
    expect(replay.headers['Retry-After']).toBeDefined();
    let record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('queued');
    expect(record.attempts.N).toBe('1');
    expect(record.outcome).toBeUndefined();
    expect(JSON.parse(record.lastAttempt.S)).toMatchObject({ statusCode: 503, final: false });
    expect(await stored(orders, id)).toBeUndefined();
    // Not queued a second time: the redrive keeps its message.
    expect(dlqMessages(orders, input.requestId)).toHaveLength(1);

    await run(orders, replayOf(input, REASON), { readOnly: true });
    record = await requestRecord(input.requestId);
    expect(record.attempts.N).toBe('2');

    // Once readOnly is off, the replay applies it.
    expect((await run(orders, replayOf(input, REASON))).statusCode).toBe(201);
    record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('applied');
    expect(record.attempts.N).toBe('3');
  });

  test('a replay whose request record was never written creates it, applied', async () => {
    const { input, id } = await queuedPost();
    await services.dynamodb.call('DeleteItem', { TableName: REQUESTS_TABLE, Key: { pk: { S: `request#${input.requestId}` } } });

    const replay = await run(orders, replayOf(input, REASON));

    expect(replay.statusCode).toBe(201);
    expect((await stored(orders, id)).version.N).toBe('1');
    const record = await requestRecord(input.requestId);
    expect(record).toMatchObject({
      requestId: { S: input.requestId },
      resource: { S: 'orders' },
      method: { S: 'POST' },
      path: { S: '/v1/orders' },
      status: { S: 'applied' },
      reason: { S: REASON },
      attempts: { N: '1' },
      receivedAt: { S: new Date(input.receivedAt).toISOString() },
      expiresAt: { N: String(Math.floor(input.receivedAt / 1000) + THIRTY_DAYS) },
    });
    expect(JSON.parse(record.outcome.S)).toMatchObject({ statusCode: 201 });
  });

  test('a PUT replayed after the item was deleted ends 404: the record is rejected with that outcome', async () => {
    const id = await created();
    const write = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
    const input = request(orders, 'PUT', id, { customer: 'Grace', items: [] });
    expect((await run(orders, input, {}, { [PUT_ITEM]: write.handler })).statusCode).toBe(202);
    expect((await run(orders, request(orders, 'DELETE', id))).statusCode).toBe(204);

    const replay = await run(orders, replayOf(input, 'DynamoDB.InternalServerErrorException'));

    expect(replay.statusCode).toBe(404);
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('rejected');
    expect(record.attempts.N).toBe('1');
    const outcome = JSON.parse(record.outcome.S);
    expect(outcome).toEqual({ statusCode: 404, headers: replay.headers, body: replay.body });
    expect(outcome.body).toMatchObject({ status: 404, title: 'Not Found' });
    expect(await stored(orders, id)).toBeUndefined();
  });

  test('a POST replayed after another request created its id ends 409: the record is rejected', async () => {
    const { input, id } = await queuedPost();
    // Someone else creates the same id meanwhile.
    expect((await run(orders, request(orders, 'POST', '', { orderId: id, customer: 'Someone else' }))).statusCode).toBe(201);

    const replay = await run(orders, replayOf(input, REASON));

    expect(replay.statusCode).toBe(409);
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('rejected');
    expect(JSON.parse(record.outcome.S)).toMatchObject({ statusCode: 409 });
    expect(JSON.parse((await stored(orders, id)).data.S).customer).toBe('Someone else');
  });

  test('a PUT with a stale If-Match replayed ends 412: the record is rejected', async () => {
    const id = await created();
    const write = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
    const input = request(orders, 'PUT', id, { customer: 'Grace' }, { ifMatch: '"7"' });
    // The precondition is checked before the write: a stale If-Match is a 412 at once, not queued.
    expect((await run(orders, input, {}, { [PUT_ITEM]: write.handler })).statusCode).toBe(412);

    const replay = await run(orders, replayOf(input, 'DynamoDB.InternalServerErrorException'));

    expect(replay.statusCode).toBe(412);
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('rejected');
    expect(JSON.parse(record.outcome.S)).toMatchObject({ statusCode: 412, body: { status: 412 } });
  });

  test('a replay of an invalid body ends 422: the record is rejected', async () => {
    const input = request(orders, 'POST', '', { ...order(), version: 3 });

    const replay = await run(orders, replayOf(input, 'Unknown'));

    expect(replay.statusCode).toBe(422);
    const record = await requestRecord(input.requestId);
    expect(record.status.S).toBe('rejected');
    expect(JSON.parse(record.outcome.S)).toMatchObject({ statusCode: 422 });
  });

  test('a replay that fails again is not queued a second time: 503, the record stays queued', async () => {
    const { input, id } = await queuedPost();
    const put = onTable(PUT_ITEM, orders.table, REASON);

    const replay = await run(orders, replayOf(input, REASON), {}, { [PUT_ITEM]: put.handler });

    expect(replay.statusCode).toBe(503);
    expect(replay.headers['Retry-After']).toBeDefined();
    expect(dlqMessages(orders, input.requestId)).toHaveLength(1);
    const record = await requestRecord(input.requestId);
    expect(record).toMatchObject({ status: { S: 'queued' }, attempts: { N: '1' } });
    expect(await stored(orders, id)).toBeUndefined();
  });
});

describe('the dead-letter queue unreachable too: 503, and the answer says whether the write may have landed', () => {
  const SEND = 'arn:aws:states:::sqs:sendMessage';
  const sqsDown: Record<string, TaskHandler> = {
    [SEND]: async () => {
      throw new TaskError('SQS.InternalError', 'injected by the test');
    },
  };

  test('after a failed data call: "may or may not have been applied", retry with the same key', async () => {
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
    const response = await run(orders, request(orders, 'POST', '', order()), {}, { ...sqsDown, [PUT_ITEM]: put.handler });
    expect(response.statusCode).toBe(503);
    expect(response.headers['Retry-After']).toBeDefined();
    expect(response.body.detail).toMatch(/may or may not have been applied.*same Idempotency-Key/);
    expect(response.body.detail).not.toMatch(/nothing was written/);
  });

  test('stopped before any data call (flags unavailable): "nothing was written"', async () => {
    const lambda = flagsLambda(() => {
      throw new TaskError('FlagsUnavailable', 'No feature flags known');
    });
    const data = watchTable(orders.table);
    const response = await run(orders, request(orders, 'POST', '', order()), {}, { ...sqsDown, ...lambda.faults, ...data.faults });
    expect(response.statusCode).toBe(503);
    expect(response.body.detail).toMatch(/nothing was written/);
    expect(data.calls()).toBe(0);
  });
});

describe('feature flags: writes never run on unknown flags, reads never load them', () => {
  test.each([
    ['FlagsUnavailable', () => new TaskError('FlagsUnavailable', 'No feature flags known and AppConfig failed')],
    ['any other error', () => new Error('boom')],
    ['Lambda.ServiceException after its retry', () => new TaskError('Lambda.ServiceException', 'Service unavailable')],
  ])('the flags Lambda failing (%s) queues the write with reason FlagsUnavailable, nothing written', async (_name, makeError) => {
    const lambda = flagsLambda(() => {
      throw makeError();
    });
    const id = `order-flags-${++ids}`;
    const input = request(orders, 'POST', '', { orderId: id, ...order() });
    const data = watchTable(orders.table);

    const response = await run(orders, input, {}, { ...data.faults, ...lambda.faults });

    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({ requestId: input.requestId, status: 'queued', reason: 'FlagsUnavailable' });
    expect(data.calls()).toBe(0);
    expect(await stored(orders, id)).toBeUndefined();
    expect(dlqMessages(orders, input.requestId)[0]).toMatchObject({ error: 'FlagsUnavailable', request: input });
    expect((await requestRecord(input.requestId)).reason.S).toBe('FlagsUnavailable');
  });

  test('Lambda.ServiceException is retried once before the write is queued', async () => {
    const lambda = flagsLambda(() => {
      throw new TaskError('Lambda.ServiceException', 'Service unavailable');
    });
    await run(orders, request(orders, 'POST', '', order()), {}, lambda.faults);
    expect(lambda.calls()).toBe(2);
  });

  test('Lambda.TooManyRequestsException once, then flags: the write is retried and applied', async () => {
    const lambda = flagsLambda((call) => {
      if (call === 1) throw new TaskError('Lambda.TooManyRequestsException', 'Rate exceeded');
      return {};
    });
    const id = `order-flags-${++ids}`;

    const response = await run(orders, request(orders, 'POST', '', { orderId: id, ...order() }), {}, lambda.faults);

    expect(lambda.calls()).toBe(2);
    expect(response.statusCode).toBe(201);
    expect((await stored(orders, id)).version.N).toBe('1');
  });

  test('flags without readOnly are read as readOnly (fail closed): the write is queued', async () => {
    const lambda: TaskHandler = async () => ({ StatusCode: 200, Payload: { softDelete: false } });
    const id = `order-flags-${++ids}`;

    const response = await run(orders, request(orders, 'POST', '', { orderId: id, ...order() }), {}, { [LAMBDA_INVOKE]: lambda });

    expect(response).toMatchObject({ statusCode: 202, body: { reason: 'ReadOnlyMode' } });
    expect(await stored(orders, id)).toBeUndefined();
  });

  test('GET of an item and GET of the list never invoke the flags Lambda', async () => {
    const id = await created();
    const lambda = flagsLambda(() => ({}));

    const item = await run(orders, request(orders, 'GET', id), {}, lambda.faults);
    const list = await run(orders, request(orders, 'GET', ''), {}, lambda.faults);
    const missing = await run(orders, request(orders, 'GET', 'no-such-order'), {}, lambda.faults);

    expect(item.statusCode).toBe(200);
    expect(list.statusCode).toBe(200);
    expect(missing.statusCode).toBe(404);
    expect(lambda.calls()).toBe(0);
  });

  test('with readOnly on, writes are queued (202 ReadOnlyMode) while GETs still answer 200', async () => {
    const id = await created();
    const before = await stored(orders, id);
    const newId = `order-ro-${++ids}`;

    const post = await run(orders, request(orders, 'POST', '', { orderId: newId, ...order() }), { readOnly: true });
    const patch = await run(orders, request(orders, 'PATCH', id, { status: 'baking' }), { readOnly: true });
    const del = await run(orders, request(orders, 'DELETE', id), { readOnly: true });
    const get = await run(orders, request(orders, 'GET', id), { readOnly: true });
    const list = await run(orders, request(orders, 'GET', ''), { readOnly: true });

    for (const write of [post, patch, del]) {
      expect(write.statusCode).toBe(202);
      expect(write.body).toMatchObject({ status: 'queued', reason: 'ReadOnlyMode' });
    }
    expect(get).toMatchObject({ statusCode: 200, body: JSON.parse(before.data.S) });
    expect(list.statusCode).toBe(200);
    expect(await stored(orders, newId)).toBeUndefined();
    expect(await stored(orders, id)).toEqual(before);
  });
});

describe('list pages are bounded by UTF-8 size (102,400 bytes of items), not only by count', () => {
  /** GET ?limit=100&next=… on `api`, with the output's size. */
  async function page(api: Api, next = ''): Promise<Response> {
    const response = await run(api, request(api, 'GET', '', null, {}, { limit: '100', next }));
    expect(response.statusCode).toBe(200);
    expect(Buffer.byteLength(response.raw, 'utf8')).toBeLessThan(PAYLOAD_QUOTA);
    return response;
  }
  /** Every page from the first; fails on a loop. */
  async function walk(api: Api): Promise<Response[]> {
    const pages: Response[] = [];
    let next = '';
    do {
      const p = await page(api, next);
      pages.push(p);
      next = p.body.next ?? '';
      expect(pages.length).toBeLessThan(100);
    } while (next !== '');
    return pages;
  }
  /** The table's keys and stored sizes in Scan order, read directly. */
  async function scanOrder(api: Api): Promise<{ id: string; size: number }[]> {
    const out = await services.dynamodb.call('Scan', { TableName: api.table, ConsistentRead: true });
    return out.Items.map((item: any) => ({ id: item[api.key].S, size: Number(item.size.N) }));
  }
  /** The longest prefix of `sizes` totalling at most 102,400, at least one. */
  function fits(sizes: number[]): number {
    let total = 0;
    let n = 0;
    for (const s of sizes) {
      if (n > 0 && total + s > PAGE_BYTES) break;
      total += s;
      n++;
    }
    return n;
  }
  async function post(api: Api, body: object): Promise<string> {
    const response = await run(api, request(api, 'POST', '', body));
    expect(response.statusCode).toBe(201);
    return response.body[api.key];
  }

  let notes: Api;
  const noteIds: string[] = [];

  beforeAll(async () => {
    notes = await deploy('notes', 'noteId');
    // 30 items of about 9-12 KB: ASCII, CJK (3 bytes a character) and a mix; ~330 KB in all.
    for (let i = 0; i < 30; i++) {
      const text = i % 3 === 0 ? 'x'.repeat(9_000 + i * 50) : i % 3 === 1 ? '水'.repeat(3_000 + i * 20) : 'ab€"\\'.repeat(1_500 + i * 10);
      noteIds.push(await post(notes, { noteId: `note-${String(i).padStart(2, '0')}`, text }));
    }
  });

  test('the size attribute is the UTF-8 byte length of the stored JSON (non-ASCII counted as 3)', async () => {
    for (const id of ['note-00', 'note-01']) {
      const item = await stored(notes, id);
      expect(Number(item.size.N)).toBe(Buffer.byteLength(item.data.S, 'utf8'));
    }
    // € is 3 bytes in UTF-8 as counted; the quote and backslash are stored escaped, and counted so.
    const mixed = await stored(notes, 'note-02');
    expect(Number(mixed.size.N)).toBe(Buffer.byteLength(mixed.data.S, 'utf8'));
    const total = (await scanOrder(notes)).reduce((sum, x) => sum + x.size, 0);
    expect(total).toBeGreaterThan(3 * PAGE_BYTES);
  });

  test('GET ?limit=100 returns only the prefix of the scan that fits in 102,400 bytes, at least one item', async () => {
    const order = await scanOrder(notes);
    const n = fits(order.map((x) => x.size));
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(30);

    const first = await page(notes);

    expect(first.body.items.map((item: any) => item.noteId)).toEqual(order.slice(0, n).map((x) => x.id));
    expect(first.body.next).toEqual(expect.any(String));
    const bytes = first.body.items.reduce((sum: number, item: any) => sum + Buffer.byteLength(JSON.stringify(item), 'utf8'), 0);
    expect(bytes).toBeLessThanOrEqual(PAGE_BYTES);
  });

  test('next continues exactly where the page stopped', async () => {
    const order = await scanOrder(notes);
    const n = fits(order.map((x) => x.size));
    const first = await page(notes);

    const second = await page(notes, first.body.next);

    const m = fits(order.slice(n).map((x) => x.size));
    expect(second.body.items.map((item: any) => item.noteId)).toEqual(order.slice(n, n + m).map((x) => x.id));
  });

  test('walking all pages returns every item exactly once', async () => {
    const pages = await walk(notes);

    const seen = pages.flatMap((p) => p.body.items.map((item: any) => item.noteId));
    expect(seen).toHaveLength(30);
    expect(new Set(seen).size).toBe(30);
    expect([...seen].sort()).toEqual([...noteIds].sort());
    expect(pages.length).toBeGreaterThanOrEqual(4);
    for (const p of pages.slice(0, -1)) expect(p.body.items.length).toBeGreaterThan(0);
  });

  test('a single item bigger than 102,400 bytes is returned alone on its page', async () => {
    const blobs = await deploy('blobs', 'blobId');
    await post(blobs, { blobId: 'small-a', text: 'a'.repeat(20_000) });
    // A body under the API's 102,400-byte limit, stored above it once the server's attributes are added.
    const big = { blobId: 'big', text: '漢'.repeat(34_120) };
    expect(Buffer.byteLength(JSON.stringify(big), 'utf8')).toBeLessThanOrEqual(PAGE_BYTES);
    await post(blobs, big);
    await post(blobs, { blobId: 'small-b', text: 'b'.repeat(20_000) });
    await post(blobs, { blobId: 'small-c', text: 'c'.repeat(20_000) });
    expect(Number((await stored(blobs, 'big')).size.N)).toBeGreaterThan(PAGE_BYTES);

    const pages = await walk(blobs);

    const withBig = pages.filter((p) => p.body.items.some((item: any) => item.blobId === 'big'));
    expect(withBig).toHaveLength(1);
    expect(withBig[0].body.items).toHaveLength(1);
    expect(withBig[0].body.items[0].text).toBe(big.text);
    const seen = pages.flatMap((p) => p.body.items.map((item: any) => item.blobId)).sort();
    expect(seen).toEqual(['big', 'small-a', 'small-b', 'small-c']);
  });

  test('a page of items full of quotes and backslashes (escaped twice in the output) stays under 262,144 bytes', async () => {
    const quotes = await deploy('quotes', 'quoteId');
    for (let i = 0; i < 12; i++) await post(quotes, { quoteId: `q-${i}`, text: '"\\'.repeat(12_000) });

    const pages = await walk(quotes);

    const sizes = pages.map((p) => Buffer.byteLength(p.raw, 'utf8'));
    expect(Math.max(...sizes)).toBeGreaterThan(150_000); // close to the worst case, so the bound is exercised
    expect(Math.max(...sizes)).toBeLessThan(PAYLOAD_QUOTA);
    expect(pages.flatMap((p) => p.body.items)).toHaveLength(12);
  });
});

describe('retry budget guard', () => {
  /** Real time, but the execution started 11 s ago ($states.context.Execution.StartTime comes from clock.now()). */
  const startedLongAgo: Clock = { now: () => new Date(Date.now() - 11_000), sleep: systemClock.sleep, timer: systemClock.timer };

  test.each([
    ['POST', () => ({ method: 'POST', id: '', body: { orderId: `order-late-${++ids}`, ...order() } })],
    ['PATCH', () => ({ method: 'PATCH', id: 'order-late-existing', body: { status: 'baking' } })],
  ])('a %s after 10 s of the execution is queued with reason RetryBudgetExhausted, without touching the table', async (_name, make) => {
    const { method, id, body } = make();
    const input = request(orders, method, id, body);
    const data = watchTable(orders.table);

    const response = await run(orders, input, {}, data.faults, startedLongAgo);

    expect(response.statusCode).toBe(202);
    expect(response.body).toMatchObject({ requestId: input.requestId, status: 'queued', reason: 'RetryBudgetExhausted' });
    expect(data.calls()).toBe(0);
    expect(dlqMessages(orders, input.requestId)[0]).toMatchObject({ error: 'RetryBudgetExhausted', request: input });
    expect((await requestRecord(input.requestId)).reason.S).toBe('RetryBudgetExhausted');
  });

  test('the same write with a fresh execution is applied', async () => {
    const id = `order-late-${++ids}`;
    const response = await run(orders, request(orders, 'POST', '', { orderId: id, ...order() }));
    expect(response.statusCode).toBe(201);
  });
});

describe('which DynamoDB errors are retried', () => {
  test('DynamoDB.ConditionalCheckFailedException on PutNewItem is attempted once (permanent), then answered 409', async () => {
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.ConditionalCheckFailedException');
    const id = `order-ccf-${++ids}`;

    const response = await run(orders, request(orders, 'POST', '', { orderId: id, ...order() }), {}, { [PUT_ITEM]: put.handler });

    expect(put.calls()).toBe(1);
    expect(response.statusCode).toBe(409);
  });

  test.each(['DynamoDB.InternalServerErrorException', 'DynamoDB.ProvisionedThroughputExceededException', 'States.Timeout'])(
    '%s on PutNewItem is attempted 3 times, then the write is queued',
    async (error) => {
      const put = onTable(PUT_ITEM, orders.table, error);
      const id = `order-transient-${++ids}`;
      const input = request(orders, 'POST', '', { orderId: id, ...order() });

      const response = await run(orders, input, {}, { [PUT_ITEM]: put.handler });

      expect(put.calls()).toBe(3);
      expect(response).toMatchObject({ statusCode: 202, body: { status: 'queued', reason: error } });
      expect(dlqMessages(orders, input.requestId)).toHaveLength(1);
    },
  );

  test('a transient error that clears on the 3rd attempt is applied without queueing', async () => {
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException', 2);
    const id = `order-transient-${++ids}`;
    const input = request(orders, 'POST', '', { orderId: id, ...order() });

    const response = await run(orders, input, {}, { [PUT_ITEM]: put.handler });

    expect(put.calls()).toBe(3);
    expect(response.statusCode).toBe(201);
    expect(dlqMessages(orders, input.requestId)).toHaveLength(0);
  });

  test('DynamoDB.ValidationException on WriteItem is attempted once and answered 422, not queued', async () => {
    const id = await created();
    const put = onTable(PUT_ITEM, orders.table, 'DynamoDB.ValidationException');
    const input = request(orders, 'PATCH', id, { status: 'baking' });

    const response = await run(orders, input, {}, { [PUT_ITEM]: put.handler });

    expect(put.calls()).toBe(1);
    expect(response.statusCode).toBe(422);
    expect(dlqMessages(orders, input.requestId)).toHaveLength(0);
  });
});
