/**
 * The console's circuits: `GET /console/api/circuits` and `POST /console/api/circuits/<resource>/open|close` on a
 * local cloud (the circuit table read and written through the local DynamoDB service, on the cloud's clock), the
 * recent transitions put together from the executions' histories, and the store they share with
 * `crud-ops --aws` (local/console/circuit-records.ts) against a scripted GetItem/UpdateItem port.
 */
import type { LocalCloud } from '../../../local/cloud-types';
import { CircuitBusy, CircuitStore, CircuitTablePort, Item, decodeCircuit } from '../../../local/console/circuit-records';
import { transitionsOf } from '../../../local/console/circuits';
import { getJson, openStream, postJson, sendToApi, startCloud } from './helpers';

const ORDER = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };
const T0 = Date.parse('2026-11-23T16:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

let cloud: LocalCloud;
const api = (p: string) => `${cloud.consoleUrl}api/${p}`;
const key = (resource: string) => ({ pk: { S: `circuit#${resource}#writes` } });
const eventsKey = (resource: string) => ({ pk: { S: `circuit#${resource}#events` } });

beforeAll(async () => {
  cloud = await startCloud();
}, 60_000);
afterAll(() => cloud?.stop());
afterEach(async () => {
  cloud.services.faults.clear();
  for (const r of cloud.resources) {
    for (const k of [key(r.name), eventsKey(r.name)]) await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: k });
  }
});

async function item(resource: string): Promise<Item | undefined> {
  return (await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: key(resource), ConsistentRead: true })).Item;
}

async function circuits(): Promise<Record<string, any>> {
  const { status, body } = await getJson(api('circuits'));
  expect(status).toBe(200);
  return Object.fromEntries(body.circuits.map((c: any) => [c.resource, c]));
}

async function move(resource: string, action: 'open' | 'close', body: unknown = {}): Promise<{ status: number; body: any }> {
  const res = await postJson(api(`circuits/${resource}/${action}`), body);
  return { status: res.status, body: await res.json() };
}

async function postOrder(): Promise<{ status: number; json: any; requestId: string }> {
  const res = await sendToApi(`${cloud.apiUrl}/orders`, ORDER);
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, requestId: res.headers.get('x-request-id')! };
}

async function eventually(what: string, probe: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

describe('GET /console/api/circuits on a local cloud', () => {
  it('lists every resource CLOSED while the circuit table has no item for it, with the table and the cloud’s clock', async () => {
    const { body } = await getJson(api('circuits'));
    expect(body).toEqual({
      tableName: cloud.outputs.CircuitTableName,
      now: expect.stringMatching(/Z$/),
      circuits: cloud.resources.map((r) => ({
        resource: r.name,
        state: 'CLOSED',
        recorded: false,
        failures: 0,
        transitions: [],
        events: { resource: r.name, circuit: 'events', state: 'CLOSED', recorded: false, failures: 0 },
      })),
    });
  });

  it('open: OPEN for the given seconds on the cloud’s clock, lastTransition "operator", a live event; a write is then queued at once (202 CircuitOpen)', async () => {
    const stream = await openStream(api('stream'));
    try {
      const before = cloud.clock.nowMs();
      const { status, body } = await move('orders', 'open', { for: 120, by: 'crud-ops' });
      const after = cloud.clock.nowMs();
      expect(status).toBe(200);
      expect(body).toMatchObject({ resource: 'orders', changed: true, before: { state: 'CLOSED', recorded: false }, after: { state: 'OPEN', coolDownSeconds: 120, coolDownOver: false, failures: 0 } });
      expect(body.transition).toEqual({ from: 'CLOSED', to: 'OPEN', at: body.after.since, reason: 'operator', by: 'crud-ops' });

      const stored = (await item('orders'))!;
      expect(stored.state).toEqual({ S: 'OPEN' });
      const openedAt = Number(stored.openedAt.N);
      expect(openedAt >= before && openedAt <= after).toBe(true);
      expect(Number(stored.coolDownUntil.N) - openedAt).toBe(120_000);
      expect([stored.since.S, stored.coolDownSeconds.N, stored.failures.N]).toEqual([new Date(openedAt).toISOString(), '120', '0']);
      expect(JSON.parse(stored.lastTransition.S)).toEqual(body.transition);
      expect((await stream.next((e) => e.event === 'circuit')).data).toEqual({ resource: 'orders', state: 'OPEN', by: 'crud-ops', transition: body.transition });

      const queued = await postOrder();
      expect([queued.status, queued.json.reason]).toEqual([202, 'CircuitOpen']);
      const { orders, customers } = await circuits();
      expect(orders).toMatchObject({ state: 'OPEN', recorded: true, coolDownUntil: new Date(openedAt + 120_000).toISOString(), lastTransition: body.transition });
      expect(orders.transitions).toEqual([{ ...body.transition, source: 'operator' }]);
      expect(customers).toMatchObject({ state: 'CLOSED', recorded: false });
    } finally {
      stream.close();
    }
  }, 30_000);

  it('open drops a probe in progress, so that its CloseCircuit (conditional on probeRequestId) cannot undo the operator', async () => {
    const now = cloud.clock.nowMs();
    await cloud.services.dynamodb.call('PutItem', {
      TableName: cloud.outputs.CircuitTableName,
      Item: { ...key('orders'), state: { S: 'HALF_OPEN' }, since: { S: new Date(now).toISOString() }, probeRequestId: { S: 'probe-1' }, probeStartedAt: { N: String(now) }, coolDownSeconds: { N: '30' } },
    });
    expect((await circuits()).orders.probe).toEqual({ requestId: 'probe-1', startedAt: new Date(now).toISOString(), abandoned: false });
    const { body } = await move('orders', 'open', {});
    expect(body.after).toMatchObject({ state: 'OPEN', coolDownSeconds: 300 });
    expect(body.transition).toMatchObject({ from: 'HALF_OPEN', to: 'OPEN', reason: 'operator', by: 'console' });
    const stored = (await item('orders'))!;
    expect([stored.probeRequestId, stored.probeStartedAt]).toEqual([undefined, undefined]);
  });

  it('close: CLOSED with no failures, probe or window, and the resource’s redrive started: a write queued while open is applied', async () => {
    await move('orders', 'open', { for: 600 });
    const queued = await postOrder();
    expect([queued.status, queued.json.reason]).toEqual([202, 'CircuitOpen']);

    const { status, body } = await move('orders', 'close', {});
    expect(status).toBe(200);
    expect(body).toMatchObject({ resource: 'orders', changed: true, before: { state: 'OPEN' }, after: { state: 'CLOSED', failures: 0 }, transition: { from: 'OPEN', to: 'CLOSED', reason: 'operator', by: 'console' } });
    expect(body.redrive).toEqual({ started: true, functionName: cloud.functions.RedriveFunction, invocationType: 'Event' });
    const stored = (await item('orders'))!;
    expect([stored.state.S, stored.failures.N, stored.probeRequestId, stored.windowStart]).toEqual(['CLOSED', '0', undefined, undefined]);

    await eventually('the redrive applies the queued write', async () => {
      const record = await getJson(api(`requests/${queued.requestId}`));
      expect(record.body.status).toBe('applied');
    });
    const { orders } = await circuits();
    expect(orders.transitions.map((t: any) => [t.from, t.to, t.source])).toEqual([
      ['OPEN', 'CLOSED', 'operator'],
      ['CLOSED', 'OPEN', 'operator'],
      // The earlier tests' moves (kept by the console since it started), newest first.
      ['HALF_OPEN', 'OPEN', 'operator'],
      ['CLOSED', 'OPEN', 'operator'],
    ]);
  }, 30_000);

  it('close of a closed circuit writes no transition (only resets a count) and still starts the redrive', async () => {
    const nothing = await move('customers', 'close', {});
    expect(nothing.body).toMatchObject({ changed: false, before: { state: 'CLOSED', recorded: false }, after: { state: 'CLOSED', recorded: false }, redrive: { started: true } });
    expect(nothing.body.transition).toBeUndefined();
    expect(await item('customers')).toBeUndefined();

    const now = cloud.clock.nowMs();
    await cloud.services.dynamodb.call('PutItem', { TableName: cloud.outputs.CircuitTableName, Item: { ...key('customers'), state: { S: 'CLOSED' }, failures: { N: '3' }, windowStart: { N: String(now) } } });
    expect((await circuits()).customers).toMatchObject({ failures: 3, windowStart: new Date(now).toISOString() });
    const reset = await move('customers', 'close', {});
    expect(reset.body).toMatchObject({ changed: true, before: { failures: 3 }, after: { state: 'CLOSED', failures: 0 } });
    expect(reset.body.transition).toBeUndefined();
    expect((await item('customers'))!.lastTransition).toBeUndefined();
  });

  it('{"circuit": "events"} moves the events circuit instead (circuit#<resource>#events), shown under each resource as `events`', async () => {
    const transitionsBefore = (await circuits()).orders.transitions;
    const opened = await move('orders', 'open', { for: 60, circuit: 'events' });
    expect(opened.status).toBe(200);
    expect(opened.body).toMatchObject({ resource: 'orders', changed: true, after: { circuit: 'events', state: 'OPEN', coolDownSeconds: 60 } });
    const listed = await circuits();
    expect([listed.orders.state, listed.orders.events.state, listed.customers.events.state]).toEqual(['CLOSED', 'OPEN', 'CLOSED']);
    // The recent transitions are the write circuit's.
    expect(listed.orders.transitions).toEqual(transitionsBefore);
    expect((await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: eventsKey('orders'), ConsistentRead: true })).Item.state.S).toBe('OPEN');
    const closed = await move('orders', 'close', { circuit: 'events' });
    expect(closed.body).toMatchObject({ after: { circuit: 'events', state: 'CLOSED' }, redrive: { started: true } });
    expect((await move('orders', 'open', { circuit: 'reads' })).status).toBe(400);
  });

  it('refuses an unknown resource (404), a cool-down out of range or not a number, a bad "by" or body (400)', async () => {
    expect(await move('pizzas', 'open', {})).toEqual({ status: 404, body: { error: 'No resource "pizzas"; known: orders, customers' } });
    expect(await move('orders', 'open', { for: 0 })).toEqual({ status: 400, body: { error: 'The cool-down must be from 1 s to 604800 s (a week), got 0' } });
    for (const body of [{ for: '60' }, { by: 'a'.repeat(41) }, { by: '<script>' }, []]) expect({ body, status: (await move('orders', 'open', body)).status }).toEqual({ body, status: 400 });
    const bad = await fetch(api('circuits/orders/close'), { method: 'POST', body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await item('orders')).toBeUndefined();
    expect((await getJson(api('circuits/orders/reset'))).status).toBe(404);
  });

  it('recent transitions from the executions: five exhausted writes open it (OpenCircuit), after the cool-down a write probes (ClaimProbe) and closes it (CloseCircuit)', async () => {
    const ordersTable = cloud.resources.find((r) => r.name === 'orders')!.tableName;
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', table: ordersTable, error: 'InternalServerError' });
    const failed = await Promise.all([1, 2, 3, 4, 5].map(() => postOrder()));
    cloud.services.faults.clear();
    expect(failed.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect((await circuits()).orders).toMatchObject({ state: 'OPEN', coolDownSeconds: 30, lastTransition: { from: 'CLOSED', to: 'OPEN', reason: expect.stringMatching(/^5 writes exhausted their retries within 60 s/) } });

    await cloud.clock.advance(31_000);
    const probe = await postOrder();
    expect(probe.status).toBe(201);
    const { orders } = await circuits();
    expect(orders).toMatchObject({ state: 'CLOSED', lastTransition: { from: 'HALF_OPEN', to: 'CLOSED', reason: 'probe succeeded (201)', requestId: probe.requestId } });
    const fromExecutions = orders.transitions.filter((t: any) => t.source === 'execution');
    expect(fromExecutions.map((t: any) => [t.state, t.from, t.to])).toEqual([
      ['CloseCircuit', 'HALF_OPEN', 'CLOSED'],
      ['ClaimProbe', 'OPEN', 'HALF_OPEN'],
      ['OpenCircuit', 'CLOSED', 'OPEN'],
    ]);
    expect(fromExecutions[0]).toMatchObject({ execution: probe.requestId, requestId: probe.requestId, executionArn: expect.stringContaining(probe.requestId) });
    expect(failed.map((r) => r.requestId)).toContain(fromExecutions[2].requestId);
    // The item's lastTransition is the newest one, read from its execution too: listed once.
    expect(orders.transitions.filter((t: any) => t.at === orders.lastTransition.at)).toHaveLength(1);
    // The closing probe announced it: the redrive it started applies the five queued writes.
    const queue = cloud.resources.find((r) => r.name === 'orders')!.deadLetterQueueUrl.split('/').pop()!;
    await eventually('the queue is drained', async () => expect(cloud.services.sqs.peekMessages(queue, 100)).toEqual([]));
  }, 60_000);
});

describe('transitionsOf (an execution history → its circuit moves)', () => {
  const transition = (to: string) => JSON.stringify({ from: 'CLOSED', to, at: iso(0), reason: 'r', requestId: 'req-1' });
  const scheduled = (id: number, value: string) => ({
    id,
    previousEventId: id - 1,
    type: 'TaskScheduled',
    timestamp: new Date(T0),
    taskScheduledEventDetails: { parameters: JSON.stringify({ TableName: 't', ExpressionAttributeValues: { ':transition': { S: value } } }) },
  });
  const event = (id: number, type: string, extra: Record<string, unknown> = {}) => ({ id, previousEventId: id - 1, type, timestamp: new Date(T0), ...extra });
  const entered = (id: number, name: string) => event(id, 'TaskStateEntered', { stateEnteredEventDetails: { name } });

  it('takes the tasks that succeeded, not those whose conditional write failed, nor other states', () => {
    const events = [
      entered(1, 'OpenCircuit'),
      scheduled(2, transition('OPEN')),
      event(3, 'TaskStarted'),
      event(4, 'TaskFailed', { taskFailedEventDetails: { error: 'DynamoDB.ConditionalCheckFailedException' } }),
      entered(5, 'PutNewItem'),
      scheduled(6, transition('NOPE')),
      event(7, 'TaskStarted'),
      event(8, 'TaskSucceeded'),
      entered(9, 'ReopenCircuit'),
      scheduled(10, transition('OPEN')),
      event(11, 'TaskStarted'),
      event(12, 'TaskSucceeded'),
    ];
    expect(transitionsOf({ executionArn: 'arn:x', name: 'req-1', events })).toEqual([
      { from: 'CLOSED', to: 'OPEN', at: iso(0), reason: 'r', requestId: 'req-1', source: 'execution', execution: 'req-1', executionArn: 'arn:x', state: 'ReopenCircuit' },
    ]);
  });
});

describe('CircuitStore (shared with crud-ops --aws)', () => {
  /** A port over one in-memory item; `conflicts` UpdateItems fail their condition first (a write moved the circuit meanwhile). */
  function scripted(initial: Item | undefined, conflicts = 0) {
    let stored = initial;
    const updates: Record<string, any>[] = [];
    const port: CircuitTablePort = {
      getItem: async () => ({ Item: stored }),
      updateItem: async (input) => {
        updates.push(input);
        if (updates.length <= conflicts) throw Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
        stored = { ...(stored ?? { pk: (input.Key as Item).pk }), state: (input.ExpressionAttributeValues as Item)[':open'] ?? (input.ExpressionAttributeValues as Item)[':closed'] ?? stored?.state };
        return { Attributes: stored };
      },
    };
    return { port, updates };
  }

  it('open writes on the condition that the state is the one it read, and reads again when a write moved it meanwhile', async () => {
    const { port, updates } = scripted({ pk: { S: 'circuit#orders#writes' }, state: { S: 'CLOSED' } }, 2);
    const change = await new CircuitStore(port, 'circuits').open('orders', { forSeconds: 60, now: T0, by: 'crud-ops' });
    expect(change.after.state).toBe('OPEN');
    expect(updates).toHaveLength(3);
    expect(updates[0]).toMatchObject({
      TableName: 'circuits',
      Key: { pk: { S: 'circuit#orders#writes' } },
      ConditionExpression: '#state = :before',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':before': { S: 'CLOSED' }, ':cd': { N: '60' }, ':until': { N: String(T0 + 60_000) }, ':now': { N: String(T0) }, ':iso': { S: iso(0) } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updates[0].UpdateExpression).toBe(
      'SET #state = :open, since = :iso, openedAt = :now, coolDownSeconds = :cd, coolDownUntil = :until, failures = :zero, lastTransition = :transition REMOVE probeRequestId, probeStartedAt',
    );
  });

  it('gives up after three conflicts in a row (CircuitBusy); a missing item is written only if still missing', async () => {
    await expect(new CircuitStore(scripted({ pk: { S: 'p' }, state: { S: 'OPEN' } }, 3).port, 't').close('orders', { now: T0, by: 'x' })).rejects.toThrow(CircuitBusy);
    const { port, updates } = scripted(undefined);
    await new CircuitStore(port, 't').open('orders', { now: T0, by: 'x' });
    expect(updates[0]).toMatchObject({ ConditionExpression: 'attribute_not_exists(pk)', ExpressionAttributeValues: { ':cd': { N: '300' } } });
    expect(updates[0].ExpressionAttributeValues[':before']).toBeUndefined();
  });

  it('decodes an item as of now: failures only within the window, the cool-down over or not, an abandoned probe, unreadable JSON kept as text', () => {
    const base = { pk: { S: 'circuit#orders#writes' } };
    expect(decodeCircuit('orders', undefined, T0)).toEqual({ resource: 'orders', state: 'CLOSED', recorded: false, failures: 0 });
    const counting = { ...base, state: { S: 'CLOSED' }, failures: { N: '4' }, windowStart: { N: String(T0 - 59_000) } };
    expect(decodeCircuit('orders', counting, T0)).toMatchObject({ failures: 4, windowStart: iso(-59_000) });
    expect(decodeCircuit('orders', counting, T0 + 1_000)).toMatchObject({ failures: 0 });
    expect(decodeCircuit('orders', counting, T0 + 1_000).windowStart).toBeUndefined();
    const open = { ...base, state: { S: 'OPEN' }, coolDownUntil: { N: String(T0 + 1) }, lastTransition: { S: '{broken' } };
    expect(decodeCircuit('orders', open, T0)).toMatchObject({ coolDownUntil: iso(1), coolDownOver: false, unreadable: { lastTransition: '{broken' } });
    expect(decodeCircuit('orders', open, T0 + 1).coolDownOver).toBe(true);
    const probing = { ...base, state: { S: 'HALF_OPEN' }, probeRequestId: { S: 'p1' }, probeStartedAt: { N: String(T0) } };
    expect(decodeCircuit('orders', probing, T0 + 29_999).probe).toEqual({ requestId: 'p1', startedAt: iso(0), abandoned: false });
    expect(decodeCircuit('orders', probing, T0 + 30_000).probe?.abandoned).toBe(true);
  });

  it('refuses a cool-down under 1 s or over a week before reading anything', async () => {
    const { port, updates } = scripted(undefined);
    await expect(new CircuitStore(port, 't').open('orders', { forSeconds: 0.4, now: T0, by: 'x' })).rejects.toThrow('The cool-down must be from 1 s to 604800 s');
    await expect(new CircuitStore(port, 't').open('orders', { forSeconds: 604_801, now: T0, by: 'x' })).rejects.toThrow('604800');
    expect(updates).toEqual([]);
  });
});
