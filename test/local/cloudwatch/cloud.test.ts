/**
 * The app's own alarms on the local cloud (the synthesized template): a write queued while DynamoDB throttles
 * puts the dead-letter queue's depth alarm in ALARM one minute later, and back to OK once the redrive applied it;
 * the throttles themselves are AWS/DynamoDB metrics; the redrive Lambda's EMF line drives the queued-age alarm;
 * SetAlarmState works on the endpoint. All on the cloud's clock.
 */
import { Api, LocalCloud, RESOURCE_CASES, deadLetters, functionName, startTestCloud } from '../../e2e/helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const SIX_HOURS = 6 * 3_600_000;

let cloud: LocalCloud;
let api: Api;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
  // Loads the redrive bundle now: a concurrent synthesis of changed sources may replace the cached assembly later.
  await cloud.invokeFunction(functionName(cloud, /redrive/i), { resource: 'orders' });
});

afterEach(() => cloud.services.faults.clear());

afterAll(async () => {
  await cloud?.stop();
});

/** The template alarm whose logical id contains `fragment` (generated names: <stack>-<logicalId>). */
function alarm(fragment: string) {
  const found = cloud.cloudWatch.listAlarms().find((a) => a.config.name.includes(fragment));
  if (!found) throw new Error(`no alarm with ${fragment}: ${cloud.cloudWatch.listAlarms().map((a) => a.config.name).join(', ')}`);
  return found;
}

function alarmEvents(name: string): { previous: string; state: string }[] {
  return cloud.services.events
    .listEvents('default')
    .filter((e) => e.source === 'aws.cloudwatch' && (e.detail as any).alarmName === name)
    .map((e) => ({ previous: (e.detail as any).previousState.value, state: (e.detail as any).state.value }));
}

async function cloudWatchApi(action: string, body: unknown) {
  const res = await fetch(cloud.endpointUrl, { method: 'POST', headers: { 'x-amz-target': `GraniteServiceVersion20100801.${action}`, 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
  return { status: res.status, body: JSON.parse((await res.text()) || '{}') };
}

test('every alarm of the template is evaluated; nothing says "alarms are not evaluated"', () => {
  expect(cloud.warnings.join('\n')).not.toMatch(/AWS::CloudWatch::Alarm|alarm not evaluated|not produced by the local cloud/);
  const names = cloud.cloudWatch.listAlarms().map((a) => a.config.name);
  expect(names.some((n) => n.includes('ordersDeadLetterAlarm'))).toBe(true);
  expect(names.some((n) => n.includes('QueuedAgeAlarmorders'))).toBe(true);
  expect(names.some((n) => n.includes('QueueAgeAlarmorders'))).toBe(true);
  expect(alarm('ordersDeadLetterAlarm').config.arn).toBe(`arn:aws:cloudwatch:us-east-1:000000000000:alarm:${alarm('ordersDeadLetterAlarm').config.name}`);
});

test('a write queued during a DynamoDB outage: the DLQ alarm goes to ALARM a minute later, the age alarms after 6 hours, and the DLQ alarm back to OK once redriven', async () => {
  const dlqAlarm = alarm('ordersDeadLetterAlarm').config.name;
  const queuedAge = alarm('QueuedAgeAlarmorders').config.name;
  const queueAge = alarm('QueueAgeAlarmorders').config.name;
  const { tableName } = cloud.resources.find((r) => r.name === 'orders')!;

  // Settle the initial INSUFFICIENT_DATA → OK (notBreaching, no data).
  await cloud.clock.advance(60_000);
  expect(alarm('ordersDeadLetterAlarm').state.value).toBe('OK');

  cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException' });
  const res = await api.post('/orders', orders.sample(1));
  expect(res.status).toBe(202);
  cloud.services.faults.clear();
  expect(deadLetters(cloud, 'orders')).toHaveLength(1);

  // The throttles the state machine met are DynamoDB metrics of the orders table, per operation.
  const throttles = cloud.cloudWatch.metrics.list({ namespace: 'AWS/DynamoDB', name: 'ThrottledRequests' });
  expect(throttles.map((m) => m.dimensions)).toContainEqual({ TableName: tableName, Operation: 'PutItem' });

  // One period (a minute) after the message arrived: ALARM, published on the default bus.
  expect(alarm('ordersDeadLetterAlarm').state.value).toBe('OK');
  await cloud.clock.advance(60_000);
  expect(alarm('ordersDeadLetterAlarm').state.value).toBe('ALARM');
  expect(alarmEvents(dlqAlarm).slice(-1)).toEqual([{ previous: 'OK', state: 'ALARM' }]);

  // Six hours later SQS reports the message's age above the threshold (5-minute periods).
  await cloud.clock.advance(SIX_HOURS + 10 * 60_000);
  expect(alarm('QueueAgeAlarmorders').state.value).toBe('ALARM');
  expect(alarmEvents(queueAge).slice(-1)).toEqual([{ previous: 'OK', state: 'ALARM' }]);

  // The redrive runs while Step Functions throttles: the message is kept, and its EMF line reports the age.
  expect(alarm('QueuedAgeAlarmorders').state.value).toBe('OK');
  cloud.services.faults.add({ service: 'stepfunctions', operation: 'StartSyncExecution', error: 'ThrottlingException' });
  const kept: any = await cloud.invokeFunction(functionName(cloud, /redrive/i), { resource: 'orders' });
  cloud.services.faults.clear();
  expect(kept.orders).toMatchObject({ applied: 0, kept: 1 });
  const reported = cloud.cloudWatch.metrics.list({ namespace: 'CrudApi/Redrive', name: 'OldestQueuedRequestAgeSeconds' });
  expect(reported.map((m) => m.dimensions)).toEqual([{ Resource: 'orders' }]);
  await cloud.clock.advance(5 * 60_000);
  expect(alarm('QueuedAgeAlarmorders').state.value).toBe('ALARM');
  expect(alarm('QueuedAgeAlarmorders').state.reason).toMatch(/was greater than the threshold \(21600\.0\)/);
  expect(alarmEvents(queuedAge).slice(-1)).toEqual([{ previous: 'OK', state: 'ALARM' }]);

  // The outage is over: the redrive applies the write, the queue empties, the DLQ alarm returns to OK.
  const applied: any = await cloud.invokeFunction(functionName(cloud, /redrive/i), { resource: 'orders' });
  expect(applied.orders).toMatchObject({ applied: 1 });
  expect(deadLetters(cloud, 'orders')).toEqual([]);
  await cloud.clock.advance(60_000);
  expect(alarm('ordersDeadLetterAlarm').state.value).toBe('OK');
  expect(alarmEvents(dlqAlarm).slice(-1)).toEqual([{ previous: 'ALARM', state: 'OK' }]);
});

test('SetAlarmState on the endpoint forces a state until the next evaluation, and DescribeAlarms reads it', async () => {
  const name = alarm('customersDeadLetterAlarm').config.name;
  expect((await cloudWatchApi('SetAlarmState', { AlarmName: name, StateValue: 'ALARM', StateReason: 'drill' })).status).toBe(200);
  const described = await cloudWatchApi('DescribeAlarms', { AlarmNames: [name] });
  expect(described.body.MetricAlarms[0]).toMatchObject({ AlarmName: name, StateValue: 'ALARM', StateReason: 'drill' });
  expect(alarmEvents(name).slice(-1)).toEqual([{ previous: 'OK', state: 'ALARM' }]);
  // The queue is empty: the next minute's evaluation puts it back.
  await cloud.clock.advance(60_000);
  expect(alarm('customersDeadLetterAlarm').state.value).toBe('OK');
});
