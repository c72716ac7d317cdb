/**
 * The circuit breaker of statemachines/crud-resource.asl.json (docs/circuit-breaker.md), run on the local ASL
 * engine against the local DynamoDB and SQS like storage-first.test.ts: opening after failureThreshold
 * exhausted writes in windowSeconds, queueing at once while OPEN without touching the table, exactly one
 * half-open probe after the cool-down, closing (and announcing it) on success, reopening with a doubled
 * cool-down on failure, an unreadable circuit counting as OPEN, and the circuitBreaker flag's overrides.
 */
import { TaskError, type TaskHandler } from '../../local/asl';
import { setJsonataTimeSource } from '../../local/asl/jsonata';
import type { LocalServices } from '../../local/services';
import { buildIntegrations } from '../../local/stepfunctions/integrations';
import { Api, CIRCUIT_TABLE, CrudMachineHarness, GET_ITEM, PUT_ITEM, type Response, UPDATE_ITEM, tableOf } from '../helpers/crud-machine';

const harness = new CrudMachineHarness();
const { request, replayOf, run, real, onTable, watchTable } = harness;
let services: LocalServices;
let orders: Api;

beforeAll(async () => {
  await harness.open();
  services = harness.services;
  orders = await harness.deploy('orders', 'orderId');
});
afterAll(harness.close);
beforeEach(harness.closeCircuits);

const CIRCUIT_KEY = { pk: { S: 'circuit#orders#writes' } };
async function circuit(): Promise<Record<string, any> | undefined> {
  return (await services.dynamodb.call('GetItem', { TableName: CIRCUIT_TABLE, Key: CIRCUIT_KEY, ConsistentRead: true })).Item;
}
/** Puts the circuit in a state directly (as an operator or a test would). */
async function setCircuit(attributes: Record<string, unknown>): Promise<void> {
  await services.dynamodb.call('PutItem', { TableName: CIRCUIT_TABLE, Item: { ...CIRCUIT_KEY, ...attributes } });
}
const order = (n: number) => ({ customer: `Ada ${n}`, items: [{ pizza: 'margherita', quantity: 1 }] });
const putFailing = () => onTable(PUT_ITEM, orders.table, 'DynamoDB.InternalServerErrorException');
const now = () => Date.now();

describe('opening', () => {
  test('5 writes that exhausted their retries within 60 s open the circuit (the 5th opens it); each was queued 202', async () => {
    const put = putFailing();
    for (let i = 1; i <= 5; i++) {
      const res = await run(orders, request(orders, 'POST', '', order(i)), {}, { [PUT_ITEM]: put.handler });
      expect(res.statusCode).toBe(202);
      expect(res.body.reason).toBe('DynamoDB.InternalServerErrorException');
      expect((await circuit())?.state.S).toBe(i < 5 ? 'CLOSED' : 'OPEN');
    }
    const c = await circuit();
    expect(Number(c!.coolDownSeconds.N)).toBe(30);
    expect(Number(c!.coolDownUntil.N)).toBeGreaterThan(now() + 25_000);
    expect(JSON.parse(c!.lastTransition.S)).toMatchObject({ from: 'CLOSED', to: 'OPEN' });
  });

  test('failures outside the window start a new one instead of adding up', async () => {
    await setCircuit({ state: { S: 'CLOSED' }, failures: { N: '4' }, windowStart: { N: String(now() - 61_000) } });
    const put = putFailing();
    await run(orders, request(orders, 'POST', '', order(1)), {}, { [PUT_ITEM]: put.handler });
    expect(await circuit()).toMatchObject({ state: { S: 'CLOSED' }, failures: { N: '1' } });
  });

  test('maintenance, unavailable flags and conflicts do not count: only the table failing does', async () => {
    await run(orders, request(orders, 'POST', '', order(1)), { readOnly: true });
    const created = await run(orders, request(orders, 'POST', '', { ...order(2), orderId: 'dup-1' }));
    expect(created.statusCode).toBe(201);
    expect((await run(orders, request(orders, 'POST', '', { ...order(3), orderId: 'dup-1' }))).statusCode).toBe(409);
    expect((await circuit())?.failures).toBeUndefined();
  });

  test('the thresholds come from the circuitBreaker flag: failureThreshold 2 opens after two', async () => {
    const put = putFailing();
    const flags = { circuit: { failureThreshold: 2, coolDownSeconds: 10 } };
    await run(orders, request(orders, 'POST', '', order(1)), flags, { [PUT_ITEM]: put.handler });
    await run(orders, request(orders, 'POST', '', order(2)), flags, { [PUT_ITEM]: put.handler });
    expect(await circuit()).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '10' } });
  });
});

describe('while OPEN', () => {
  test('a write is queued at once (202, CircuitOpen) without calling the table: no retries, no wait', async () => {
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    const watch = watchTable(orders.table);
    const started = Date.now();
    const res = await run(orders, request(orders, 'POST', '', order(1)), {}, watch.faults);
    expect(Date.now() - started).toBeLessThan(100);
    expect(res.statusCode).toBe(202);
    expect(res.body).toMatchObject({ status: 'queued', reason: 'CircuitOpen' });
    expect(res.headers.Location).toMatch(/^\/v1\/requests\//);
    expect(watch.calls()).toBe(0);
  });

  test('reads still go to the table', async () => {
    const created = await run(orders, request(orders, 'POST', '', order(1)));
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    expect((await run(orders, request(orders, 'GET', created.body.orderId))).statusCode).toBe(200);
  });

  test('a replay is kept (503 + Retry-After) without calling the table', async () => {
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    const watch = watchTable(orders.table);
    const res = await run(orders, replayOf(request(orders, 'POST', '', order(1)), 'CircuitOpen'), {}, watch.faults);
    expect(res.statusCode).toBe(503);
    expect(res.headers['Retry-After']).toBeDefined();
    expect(watch.calls()).toBe(0);
  });

  test('a circuit that cannot be read counts as OPEN', async () => {
    const failingCircuit: TaskHandler = async (invocation) => {
      if (tableOf(invocation) === CIRCUIT_TABLE) throw new TaskError('DynamoDB.InternalServerErrorException', 'injected');
      return real(GET_ITEM)(invocation);
    };
    const watch = watchTable(orders.table);
    const res = await run(orders, request(orders, 'POST', '', order(1)), {}, { ...watch.faults, [GET_ITEM]: failingCircuit });
    expect(res.body).toMatchObject({ status: 'queued', reason: 'CircuitOpen' });
    expect(watch.calls()).toBe(0);
  });

  test('a circuit read that fails once is retried: the write goes through', async () => {
    const circuitReads = onTable(GET_ITEM, CIRCUIT_TABLE, 'DynamoDB.InternalServerErrorException', 1);
    const res = await run(orders, request(orders, 'POST', '', order(1)), {}, { [GET_ITEM]: circuitReads.handler });
    expect(res.statusCode).toBe(201);
    expect(circuitReads.calls()).toBe(2);
  });

  test('maintenance comes first: with readOnly on, a write says ReadOnlyMode while the circuit is OPEN, and the circuit is not read', async () => {
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    const circuitReads = onTable(GET_ITEM, CIRCUIT_TABLE);
    const res = await run(orders, request(orders, 'POST', '', order(1)), { readOnly: true }, { [GET_ITEM]: circuitReads.handler });
    expect(res.body).toMatchObject({ status: 'queued', reason: 'ReadOnlyMode' });
    expect(circuitReads.calls()).toBe(0);
  });

  test('the circuitBreaker flag forces it: force "closed" writes through an OPEN circuit, force "open" queues with it CLOSED', async () => {
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    expect((await run(orders, request(orders, 'POST', '', order(1)), { circuit: { force: 'closed' } })).statusCode).toBe(201);
    await setCircuit({ state: { S: 'CLOSED' } });
    expect((await run(orders, request(orders, 'POST', '', order(2)), { circuit: { force: 'open' } })).body.reason).toBe('CircuitOpen');
  });
});

describe('half-open and closing', () => {
  const cooledDown = () => setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() - 1) } });

  test('after the cool-down one write probes; it succeeds: the circuit closes and "Circuit closed" is announced on the bus', async () => {
    await cooledDown();
    const before = services.events.listEvents('crud-events').length;
    const res = await run(orders, request(orders, 'POST', '', order(1)));
    expect(res.statusCode).toBe(201);
    const c = await circuit();
    expect(c).toMatchObject({ state: { S: 'CLOSED' }, failures: { N: '0' } });
    expect(c!.probeRequestId).toBeUndefined();
    expect(JSON.parse(c!.lastTransition.S)).toMatchObject({ from: 'HALF_OPEN', to: 'CLOSED' });
    const events = services.events.listEvents('crud-events');
    expect(events.length).toBeGreaterThan(before);
    expect(events.at(-1)).toMatchObject({ source: 'crud-api.circuit', detailType: 'Circuit closed', detail: { resource: 'orders', circuit: 'writes' } });
  });

  test('while one probe is running, other writes are queued (exactly one probe)', async () => {
    await setCircuit({ state: { S: 'HALF_OPEN' }, probeRequestId: { S: 'someone' }, probeStartedAt: { N: String(now()) }, coolDownSeconds: { N: '30' } });
    const watch = watchTable(orders.table);
    const res = await run(orders, request(orders, 'POST', '', order(1)), {}, watch.faults);
    expect(res.body.reason).toBe('CircuitOpen');
    expect(watch.calls()).toBe(0);
  });

  test('the probe fails: OPEN again with the cool-down doubled, capped at maxCoolDownSeconds', async () => {
    await cooledDown();
    const put = putFailing();
    const res = await run(orders, request(orders, 'POST', '', order(1)), {}, { [PUT_ITEM]: put.handler });
    expect(res.statusCode).toBe(202);
    expect(await circuit()).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '60' } });
    await setCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '200' }, coolDownUntil: { N: String(now() - 1) } });
    await run(orders, request(orders, 'POST', '', order(2)), {}, { [PUT_ITEM]: put.handler });
    expect(await circuit()).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '300' } });
  });

  test('a replay can be the probe: the redrive closes the circuit by itself', async () => {
    await cooledDown();
    const res = await run(orders, replayOf(request(orders, 'POST', '', order(1)), 'CircuitOpen'));
    expect(res.statusCode).toBe(201);
    expect((await circuit())?.state.S).toBe('CLOSED');
  });
});

/**
 * The events circuit (`circuit#<resource>#events`, docs/circuit-breaker.md "The event-publishing circuit"):
 * with publishEvents on, a failing EventBridge opens it, the event waits in the dead-letter queue as a
 * message of kind "event", and the write's answer never changes.
 */
describe('the events circuit', () => {
  const PUT_EVENTS = 'arn:aws:states:::events:putEvents';
  const EVENTS_KEY = { pk: { S: 'circuit#orders#events' } };
  const publishing = { publishEvents: true };
  const eventsCircuit = async () => (await services.dynamodb.call('GetItem', { TableName: CIRCUIT_TABLE, Key: EVENTS_KEY, ConsistentRead: true })).Item;
  const setEventsCircuit = (attributes: Record<string, unknown>) => services.dynamodb.call('PutItem', { TableName: CIRCUIT_TABLE, Item: { ...EVENTS_KEY, ...attributes } });
  /** The DLQ messages of one request (the body parsed, with its message attributes). */
  const queued = (requestId: string) =>
    services.sqs
      .peekMessages(orders.queue, 1000)
      .map((m) => ({ ...JSON.parse(m.body), attributes: m.messageAttributes }))
      .filter((m) => m.requestId === requestId);
  const bus = () => services.events.listEvents('crud-events');
  /** PutEvents failing with `error` (as the optimized integration names it), counting its calls. */
  function failingEvents(error = 'EventBridge.InternalException'): { handler: TaskHandler; calls: () => number } {
    let calls = 0;
    return { handler: async () => { calls++; throw new TaskError(error, `${error}: injected by the test`); }, calls: () => calls };
  }
  function countingEvents(): { handler: TaskHandler; calls: () => number } {
    let calls = 0;
    return { handler: async (invocation) => { calls++; return real(PUT_EVENTS)(invocation); }, calls: () => calls };
  }

  test('EventBridge failing: the write still answers 201, the events circuit opens, and the event waits in the DLQ as kind "event"', async () => {
    const events = failingEvents();
    const input = request(orders, 'POST', '', order(1));
    const res = await run(orders, input, publishing, { [PUT_EVENTS]: events.handler });
    expect(res.statusCode).toBe(201);
    expect(events.calls()).toBe(1);

    const c = await eventsCircuit();
    expect(c).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' } });
    expect(Number(c!.coolDownUntil.N)).toBeGreaterThan(now() + 25_000);
    expect(JSON.parse(c!.lastTransition.S)).toMatchObject({ from: 'CLOSED', to: 'OPEN', requestId: input.requestId, reason: 'publishing failed (EventBridge.InternalException)' });
    // The write circuit is another item, untouched.
    expect(await circuit()).toBeUndefined();

    // Stored, not replayed as a request: one message, the entry as PutEvents takes it (Detail as JSON text).
    const messages = queued(input.requestId);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      kind: 'event',
      resource: 'orders',
      error: 'EventBridge.InternalException',
      entry: { EventBusName: 'crud-events', Source: 'crud-api.orders', DetailType: 'orders.created' },
      attributes: { kind: { DataType: 'String', StringValue: 'event' } },
    });
    expect(messages[0].request).toBeUndefined();
    expect(JSON.parse(messages[0].entry.Detail)).toMatchObject({ id: res.body.orderId, method: 'POST', requestId: input.requestId, item: res.body });
  });

  test('while OPEN: EventBridge is not called, the event is deferred, the write answers as usual', async () => {
    await setEventsCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() + 30_000) } });
    const events = countingEvents();
    const input = request(orders, 'POST', '', order(1));
    const res = await run(orders, input, publishing, { [PUT_EVENTS]: events.handler });
    expect(res.statusCode).toBe(201);
    expect(events.calls()).toBe(0);
    expect(queued(input.requestId)).toEqual([expect.objectContaining({ kind: 'event', error: 'EventsCircuitOpen' })]);
    // A PATCH and a DELETE too: 200 and 204, each event deferred with its own detail type.
    const patch = request(orders, 'PATCH', res.body.orderId, { status: 'baking' });
    expect((await run(orders, patch, publishing, { [PUT_EVENTS]: events.handler })).statusCode).toBe(200);
    const del = request(orders, 'DELETE', res.body.orderId);
    expect((await run(orders, del, publishing, { [PUT_EVENTS]: events.handler })).statusCode).toBe(204);
    expect(queued(patch.requestId)[0].entry.DetailType).toBe('orders.updated');
    expect(queued(del.requestId)[0].entry.DetailType).toBe('orders.deleted');
    expect(events.calls()).toBe(0);
  });

  test('after the cool-down the next publish is the probe: it succeeds, the circuit closes and the event is on the bus', async () => {
    await setEventsCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '60' }, coolDownUntil: { N: String(now() - 1) } });
    const input = request(orders, 'POST', '', order(1));
    const res = await run(orders, input, publishing);
    expect(res.statusCode).toBe(201);
    const c = await eventsCircuit();
    expect(c).toMatchObject({ state: { S: 'CLOSED' }, coolDownSeconds: { N: '30' } });
    expect(JSON.parse(c!.lastTransition.S)).toMatchObject({ from: 'OPEN', to: 'CLOSED', requestId: input.requestId });
    expect(bus().at(-1)).toMatchObject({ source: 'crud-api.orders', detailType: 'orders.created', detail: { requestId: input.requestId } });
    expect(queued(input.requestId)).toEqual([]);
  });

  test('a failed probe opens it again with the cool-down doubled, capped at maxCoolDownSeconds', async () => {
    const events = failingEvents('States.Timeout');
    await setEventsCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '30' }, coolDownUntil: { N: String(now() - 1) } });
    await run(orders, request(orders, 'POST', '', order(1)), publishing, { [PUT_EVENTS]: events.handler });
    const c = await eventsCircuit();
    expect(c).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '60' } });
    expect(JSON.parse(c!.lastTransition.S)).toMatchObject({ from: 'OPEN', to: 'OPEN', reason: 'probe failed (States.Timeout)' });
    await setEventsCircuit({ state: { S: 'OPEN' }, coolDownSeconds: { N: '200' }, coolDownUntil: { N: String(now() - 1) } });
    await run(orders, request(orders, 'POST', '', order(2)), publishing, { [PUT_EVENTS]: events.handler });
    expect(await eventsCircuit()).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '300' } });
  });

  test('a PutEvents answer with FailedEntryCount > 0 is a failure (EventBridge.FailedEntry, as the optimized integration fails it)', async () => {
    // The real integration over an EventBridge that refuses the entry.
    const refusing = buildIntegrations({
      dynamodb: services.dynamodb,
      sqs: services.sqs,
      events: { call: async () => ({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'injected by the test' }] }) } as any,
      lambdas: new Map(),
    }).resolve(PUT_EVENTS)!;
    const input = request(orders, 'POST', '', order(1));
    expect((await run(orders, input, publishing, { [PUT_EVENTS]: refusing })).statusCode).toBe(201);
    expect(await eventsCircuit()).toMatchObject({ state: { S: 'OPEN' } });
    expect(queued(input.requestId)).toEqual([expect.objectContaining({ kind: 'event', error: 'EventBridge.FailedEntry' })]);
  });

  test('an events circuit that cannot be read counts as open: the event is deferred without calling EventBridge', async () => {
    const failingEventsCircuit: TaskHandler = async (invocation) => {
      const key = (invocation.input as { Key?: { pk?: { S?: string } } }).Key?.pk?.S;
      if (key === 'circuit#orders#events') throw new TaskError('DynamoDB.InternalServerErrorException', 'injected');
      return real(GET_ITEM)(invocation);
    };
    const events = countingEvents();
    const input = request(orders, 'POST', '', order(1));
    const res = await run(orders, input, publishing, { [GET_ITEM]: failingEventsCircuit, [PUT_EVENTS]: events.handler });
    expect(res.statusCode).toBe(201);
    expect(events.calls()).toBe(0);
    expect(queued(input.requestId)).toEqual([expect.objectContaining({ kind: 'event', error: 'EventsCircuitUnreadable' })]);
  });

  test('with the circuitBreaker flag disabled the events circuit is neither read nor updated, and a failed publish is still deferred', async () => {
    const reads = onTable(GET_ITEM, CIRCUIT_TABLE);
    const updates = onTable(UPDATE_ITEM, CIRCUIT_TABLE);
    const input = request(orders, 'POST', '', order(1));
    const res = await run(orders, input, { ...publishing, circuit: { enabled: false } }, { [PUT_EVENTS]: failingEvents().handler, [GET_ITEM]: reads.handler, [UPDATE_ITEM]: updates.handler });
    expect(res.statusCode).toBe(201);
    expect([reads.calls(), updates.calls()]).toEqual([0, 0]);
    expect(queued(input.requestId)).toEqual([expect.objectContaining({ kind: 'event' })]);
  });

  test('a write that reaches its publish step after 14 s defers its event at once (OutOfTime): the answer stays within TimeoutSeconds', async () => {
    // The table write takes 15 s as the workflow's $millis() sees it.
    let offset = 0;
    setJsonataTimeSource(() => Date.now() + offset);
    const slowPut: TaskHandler = async (invocation) => {
      if (tableOf(invocation) === orders.table) offset += 15_000;
      return real(PUT_ITEM)(invocation);
    };
    const events = countingEvents();
    const circuitReads = onTable(GET_ITEM, CIRCUIT_TABLE);
    const input = request(orders, 'POST', '', order(1));
    let res: Response;
    try {
      res = await run(orders, input, publishing, { [PUT_ITEM]: slowPut, [PUT_EVENTS]: events.handler, [GET_ITEM]: circuitReads.handler });
    } finally {
      setJsonataTimeSource(Date.now);
    }
    expect(res.statusCode).toBe(201);
    expect(events.calls()).toBe(0);
    // Only the write circuit was read (before the write).
    expect(circuitReads.calls()).toBe(1);
    expect(queued(input.requestId)).toEqual([expect.objectContaining({ kind: 'event', error: 'OutOfTime' })]);
  });

  test('publishEvents off: no event, no events circuit', async () => {
    const events = countingEvents();
    const input = request(orders, 'POST', '', order(1));
    expect((await run(orders, input, {}, { [PUT_EVENTS]: events.handler })).statusCode).toBe(201);
    expect(events.calls()).toBe(0);
    expect(await eventsCircuit()).toBeUndefined();
    expect(queued(input.requestId)).toEqual([]);
  });
});
