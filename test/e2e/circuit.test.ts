/**
 * The circuit breaker end to end (docs/circuit-breaker.md): an outage of the orders table opens the write
 * circuit; further writes are queued at once (202 CircuitOpen) without calling the table; once the table
 * is back and the cool-down is over, the every-minute redrive's first replay probes, the circuit closes
 * and every queued write is applied, with no manual step. And the events circuit: EventBridge failing never
 * changes a write's answer; its events wait in the dead-letter queue until the redrive publishes them.
 */
import { ListStateMachinesCommand, SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { LOCAL_CLIENT_CONFIG } from '../helpers/http-server';
import { Api, HttpResponse, LocalCloud, RESOURCE_CASES, deadLetters, resourceOf, startTestCloud } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;

let cloud: LocalCloud;
let api: Api;
beforeAll(async () => {
  cloud = await startTestCloud({ schedules: true });
  api = new Api(cloud.apiUrl);
});
afterAll(async () => cloud?.stop());

async function circuit(): Promise<Record<string, any> | undefined> {
  const { Item } = await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: { pk: { S: 'circuit#orders#writes' } }, ConsistentRead: true });
  return Item;
}

test('outage → open → fast 202s → heal → probe → closed → every queued write applied, none twice', async () => {
  cloud.services.faults.add({ service: 'dynamodb', table: resourceOf(cloud, 'orders').tableName, error: 'InternalServerError' });

  // Five writes exhaust their retries: the circuit opens.
  const slow = await Promise.all([1, 2, 3, 4, 5].map((n) => api.post('/orders', orders.sample(n))));
  for (const res of slow) expect(res.json).toMatchObject({ status: 'queued', reason: 'DynamoDB.InternalServerErrorException' });
  expect((await circuit())?.state.S).toBe('OPEN');

  // While open: queued at once, the table not called.
  const fast: HttpResponse[] = [];
  for (const n of [6, 7, 8]) {
    const started = Date.now();
    const res = await api.post('/orders', orders.sample(n));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(res.status).toBe(202);
    expect(res.json.reason).toBe('CircuitOpen');
    fast.push(res);
  }
  // Reads still go to the table (failing here: 503 after their retries, never queued).
  cloud.services.faults.clear();
  expect((await api.get('/orders?limit=1')).status).toBe(200);

  // The table is back. A minute later (past the 30 s cool-down) the scheduled redrive probes and closes it.
  await cloud.clock.advance(61_000);
  expect((await circuit())?.state.S).toBe('CLOSED');
  for (const res of [...slow, ...fast]) {
    const record = (await api.get(`/requests/${res.requestId}`)).json;
    expect(record).toMatchObject({ status: 'applied', outcome: { statusCode: 201 } });
    const item = await api.get(`/orders/${record.outcome.body.orderId}`);
    expect(item.json.version).toBe(1);
  }
  expect(deadLetters(cloud, 'orders')).toEqual([]);
  // Writes answer 201 again.
  expect((await api.post('/orders', orders.sample(9))).status).toBe(201);
});

test('automatic: throttles on the table put its alarm in ALARM; EventBridge starts the circuit control, which opens the circuit before any write exhausted its retries', async () => {
  await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: { pk: { S: 'circuit#orders#writes' } } });
  // 25 reads of the table throttled within the same minute (straight to the local DynamoDB, so they cannot
  // straddle a minute boundary): over the alarm's 20 a minute. No write has failed.
  const table = resourceOf(cloud, 'orders').tableName;
  cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', table, error: 'ProvisionedThroughputExceededException', count: 25 });
  for (let i = 0; i < 25; i++) {
    await expect(cloud.services.dynamodb.call('GetItem', { TableName: table, Key: { orderId: { S: 'none' } } })).rejects.toMatchObject({ code: 'ProvisionedThroughputExceededException' });
  }
  expect((await circuit())?.state?.S ?? 'CLOSED').toBe('CLOSED');
  await cloud.clock.advance(61_000);
  const opened = await circuit();
  expect(opened?.state.S).toBe('OPEN');
  expect(JSON.parse(opened!.lastTransition.S).reason).toMatch(/^alarm /);
  const res = await api.post('/orders', orders.sample(20));
  expect(res.json.reason).toBe('CircuitOpen');
  cloud.services.faults.clear();
});

test("settings at runtime: the circuitBreaker flag's attributes, changed in AppConfig, reach the breaker without a redeploy", async () => {
  await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: { pk: { S: 'circuit#orders#writes' } } });
  const endpoint = cloud.endpointUrl;
  const set = await fetch(`${endpoint}/_local/appconfig/flags`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ flag: 'circuitBreaker', attributes: { failureThreshold: 2, coolDownSeconds: 120 } }),
  });
  expect(set.status).toBe(200);
  // The flags Lambda polls AppConfig at most every 15 s.
  await cloud.clock.advance(16_000);
  cloud.services.faults.add({ service: 'dynamodb', table: resourceOf(cloud, 'orders').tableName, error: 'InternalServerError' });
  for (const n of [31, 32]) expect((await api.post('/orders', orders.sample(n))).status).toBe(202);
  expect(await circuit()).toMatchObject({ state: { S: 'OPEN' }, coolDownSeconds: { N: '120' } });
  cloud.services.faults.clear();
  await fetch(`${endpoint}/_local/appconfig/flags`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ flag: 'circuitBreaker', attributes: { failureThreshold: 5, coolDownSeconds: 30 } }),
  });
});

test("a late alarm does not reopen a circuit a probe closed within 2 minutes: the alarm's datapoints predate the recovery", async () => {
  const sfn = new SFNClient({ ...LOCAL_CLIENT_CONFIG, endpoint: cloud.endpointUrl, disableHostPrefix: true });
  const { stateMachines } = await sfn.send(new ListStateMachinesCommand({}));
  const control = stateMachines!.find((m) => /Circuits?Control/i.test(m.name!))!;
  const openByAlarm = () => sfn.send(new StartSyncExecutionCommand({ stateMachineArn: control.stateMachineArn, input: JSON.stringify({ resource: 'orders', reason: 'alarm test' }) }));
  const closedAgo = async (seconds: number) =>
    cloud.services.dynamodb.call('PutItem', {
      TableName: cloud.outputs.CircuitTableName,
      Item: { pk: { S: 'circuit#orders#writes' }, state: { S: 'CLOSED' }, since: { S: new Date(cloud.clock.now().getTime() - seconds * 1000).toISOString() } },
    });

  await closedAgo(90);
  expect((await openByAlarm()).status).toBe('SUCCEEDED');
  expect((await circuit())?.state.S).toBe('CLOSED');

  await closedAgo(150);
  await openByAlarm();
  expect((await circuit())?.state.S).toBe('OPEN');
  await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: { pk: { S: 'circuit#orders#writes' } } });
});

test('the events circuit: EventBridge failing → writes still 201, the events circuit opens, events wait in the DLQ; EventBridge back → the scheduled redrive publishes them, the next write closes the circuit', async () => {
  const table = cloud.outputs.CircuitTableName;
  const eventsCircuit = async () => (await cloud.services.dynamodb.call('GetItem', { TableName: table, Key: { pk: { S: 'circuit#orders#events' } }, ConsistentRead: true })).Item;
  const published = (requestId: string) => cloud.services.events.listEvents().filter((e) => e.detailType === 'orders.created' && (e.detail as { requestId?: string }).requestId === requestId);
  const setPublishEvents = (enabled: boolean) =>
    cloud.services.appConfig.setFeatureFlag({ application: cloud.flags.application, environment: cloud.flags.environment, configurationProfile: cloud.flags.configurationProfile, flag: 'publishEvents', enabled });
  await cloud.services.dynamodb.call('DeleteItem', { TableName: table, Key: { pk: { S: 'circuit#orders#writes' } } });
  setPublishEvents(true);
  await cloud.clock.advance(16_000); // the flags Lambda's poll
  try {
    cloud.services.faults.add({ service: 'events', operation: 'PutEvents', error: 'InternalException' });
    const first = await api.post('/orders', orders.sample(40));
    expect(first.status).toBe(201);
    expect((await eventsCircuit())?.state.S).toBe('OPEN');
    // While open EventBridge is not called: the event is deferred at once.
    const second = await api.post('/orders', orders.sample(41));
    expect(second.status).toBe(201);
    // (Requests an earlier test left queued may wait there too.)
    const ours = () => deadLetters(cloud, 'orders').filter((m) => m.requestId === first.requestId || m.requestId === second.requestId);
    expect(ours().map((m) => [m.kind, m.requestId, m.error])).toEqual([
      ['event', first.requestId, 'EventBridge.InternalException'],
      ['event', second.requestId, 'EventsCircuitOpen'],
    ]);
    // Nothing was queued as a request (only the two events): both writes are stored.
    for (const res of [first, second]) expect((await api.get(`/orders/${res.json.orderId}`)).status).toBe(200);

    // EventBridge is back: within a minute the scheduled redrive publishes them.
    cloud.services.faults.clear();
    await cloud.clock.advance(61_000);
    expect(ours()).toEqual([]);
    for (const res of [first, second]) expect(published(res.requestId!)).toEqual([expect.objectContaining({ source: 'crud-api.orders', detail: expect.objectContaining({ id: res.json.orderId }) })]);
    // The cool-down is over: the next write's publish is the probe, and closes the circuit.
    const third = await api.post('/orders', orders.sample(42));
    expect(third.status).toBe(201);
    expect((await eventsCircuit())?.state.S).toBe('CLOSED');
    expect(published(third.requestId!)).toHaveLength(1);
  } finally {
    cloud.services.faults.clear();
    setPublishEvents(false);
    await cloud.clock.advance(16_000);
    await cloud.services.dynamodb.call('DeleteItem', { TableName: table, Key: { pk: { S: 'circuit#orders#events' } } });
  }
});
