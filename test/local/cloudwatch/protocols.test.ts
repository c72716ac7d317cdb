/**
 * The CloudWatch API on the local endpoint, in the three protocols clients speak: AWS JSON 1.0
 * (@aws-sdk/client-cloudwatch v3), Smithy RPC v2 CBOR (botocore ≥ 1.42: the AWS CLI, boto3) and the query
 * protocol (older CLIs and SDKs). CBOR requests are encoded with the SDK's own codec (@smithy/core/cbor),
 * independent of ours.
 */
import { cbor as smithyCbor, dateToTag } from '@smithy/core/cbor';
import { ControllableClock } from '../../../local/asl/clock';
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import { LocalServices } from '../../../local/services';
import { LocalCloudWatch } from '../../../local/services/cloudwatch';
import { decodeCbor, encodeCbor } from '../../../local/services/cloudwatch/cbor';
import { cloudWatchRoute } from '../../../local/services/cloudwatch/protocol';

const TARGET = 'GraniteServiceVersion20100801';

let clock: ControllableClock;
let services: LocalServices;
let cloudWatch: LocalCloudWatch;
let endpoint: RunningEndpoint;

beforeAll(async () => {
  clock = new ControllableClock();
  services = await LocalServices.open({ inMemory: true, clock });
  cloudWatch = new LocalCloudWatch({ clock, publish: (e) => services.events.putServiceEvent({ ...e, Time: new Date(e.Time) }) });
  endpoint = await startEndpoint({ services, port: 0, routes: [cloudWatchRoute(cloudWatch)] });
});

afterAll(async () => {
  await endpoint.close();
  await services.close();
});

const ALARM = {
  AlarmName: 'queue-depth',
  AlarmDescription: 'messages are waiting',
  Namespace: 'App',
  MetricName: 'Depth',
  Dimensions: [{ Name: 'Queue', Value: 'q1' }],
  Statistic: 'Maximum',
  Period: 60,
  EvaluationPeriods: 2,
  DatapointsToAlarm: 1,
  Threshold: 5,
  ComparisonOperator: 'GreaterThanThreshold',
  TreatMissingData: 'notBreaching',
};

async function json(action: string, body: unknown) {
  const res = await fetch(endpoint.url, { method: 'POST', headers: { 'x-amz-target': `${TARGET}.${action}`, 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: JSON.parse((await res.text()) || '{}') };
}

/** The SDK codec's view of dates: tag-1 objects. */
function toTags(v: unknown): unknown {
  if (v instanceof Date) return dateToTag(v);
  if (Array.isArray(v)) return v.map(toTags);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toTags(x)]));
  return v;
}
function fromTags(v: unknown): unknown {
  if (v && typeof v === 'object' && (v as { tag?: unknown }).tag === 1 && 'value' in v) return new Date((v as { value: number }).value * 1000);
  if (Array.isArray(v)) return v.map(fromTags);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fromTags(x)]));
  return v;
}

async function cborCall(action: string, body: unknown) {
  const res = await fetch(`${endpoint.url}/service/${TARGET}/operation/${action}`, {
    method: 'POST',
    headers: { 'smithy-protocol': 'rpc-v2-cbor', 'content-type': 'application/cbor', accept: 'application/cbor' },
    body: Buffer.from(smithyCbor.serialize(toTags(body))),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, body: bytes.length ? (fromTags(smithyCbor.deserialize(bytes)) as any) : {} };
}

async function query(params: Record<string, string>) {
  const res = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }, body: new URLSearchParams(params).toString() });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

describe('AWS JSON 1.0 (the JS SDK v3)', () => {
  test('PutMetricAlarm, then DescribeAlarms shows it INSUFFICIENT_DATA with its configuration', async () => {
    expect((await json('PutMetricAlarm', ALARM)).status).toBe(200);
    const { status, headers, body } = await json('DescribeAlarms', { AlarmNames: ['queue-depth'] });
    expect(status).toBe(200);
    expect(headers.get('content-type')).toBe('application/x-amz-json-1.0');
    expect(body.MetricAlarms).toHaveLength(1);
    expect(body.MetricAlarms[0]).toMatchObject({
      AlarmName: 'queue-depth',
      AlarmArn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:queue-depth',
      StateValue: 'INSUFFICIENT_DATA',
      StateReason: 'Unchecked: Initial alarm creation',
      Dimensions: [{ Name: 'Queue', Value: 'q1' }],
      Threshold: 5,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
    });
    expect(typeof body.MetricAlarms[0].StateUpdatedTimestamp).toBe('number'); // epoch seconds
  });

  test('PutMetricData drives the alarm at the next minute; GetMetricStatistics and GetMetricData read the metric', async () => {
    const now = clock.nowMs() / 1000;
    expect((await json('PutMetricData', { Namespace: 'App', MetricData: [{ MetricName: 'Depth', Dimensions: [{ Name: 'Queue', Value: 'q1' }], Value: 7, Unit: 'Count', Timestamp: now }] })).status).toBe(200);
    await clock.advance(60_000);
    cloudWatch.tick();
    const described = await json('DescribeAlarms', { StateValue: 'ALARM' });
    expect(described.body.MetricAlarms.map((a: any) => a.AlarmName)).toEqual(['queue-depth']);
    const stats = await json('GetMetricStatistics', { Namespace: 'App', MetricName: 'Depth', Dimensions: [{ Name: 'Queue', Value: 'q1' }], StartTime: now - 600, EndTime: now + 600, Period: 60, Statistics: ['Maximum', 'SampleCount'] });
    expect(stats.body).toEqual({ Label: 'Depth', Datapoints: [{ Timestamp: Math.floor(now / 60) * 60, Maximum: 7, SampleCount: 1, Unit: 'Count' }] });
    const data = await json('GetMetricData', {
      StartTime: now - 600,
      EndTime: now + 600,
      MetricDataQueries: [
        { Id: 'm1', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Depth', Dimensions: [{ Name: 'Queue', Value: 'q1' }] }, Period: 60, Stat: 'Maximum' }, ReturnData: false },
        { Id: 'e1', Expression: 'm1 * 10', Label: 'ten times' },
      ],
    });
    expect(data.body.MetricDataResults).toEqual([{ Id: 'e1', Label: 'ten times', Timestamps: [Math.floor(now / 60) * 60], Values: [70], StatusCode: 'Complete' }]);
  });

  test('SetAlarmState forces a state, recorded in the history and published on the default bus', async () => {
    const before = services.events.listEvents('default').length;
    expect((await json('SetAlarmState', { AlarmName: 'queue-depth', StateValue: 'OK', StateReason: 'testing', StateReasonData: '{"by":"test"}' })).status).toBe(200);
    const [alarm] = (await json('DescribeAlarms', { AlarmNames: ['queue-depth'] })).body.MetricAlarms;
    expect(alarm).toMatchObject({ StateValue: 'OK', StateReason: 'testing', StateReasonData: '{"by":"test"}' });
    const events = services.events.listEvents('default').slice(before);
    expect(events.map((e) => [e.source, e.detailType, (e.detail as any).previousState.value, (e.detail as any).state.value])).toEqual([['aws.cloudwatch', 'CloudWatch Alarm State Change', 'ALARM', 'OK']]);
    const history = (await json('DescribeAlarmHistory', { AlarmName: 'queue-depth' })).body.AlarmHistoryItems;
    expect(history.map((h: any) => h.HistorySummary)).toEqual(['Alarm updated from ALARM to OK', 'Alarm updated from INSUFFICIENT_DATA to ALARM']);
  });

  test('errors carry the modelled shape and the query error code (awsQueryCompatible)', async () => {
    const missing = await json('SetAlarmState', { AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ __type: 'com.amazonaws.cloudwatch#ResourceNotFound', message: 'Alarm nope not found' });
    expect(missing.headers.get('x-amzn-query-error')).toBe('ResourceNotFound;Sender');
    const badData = await json('SetAlarmState', { AlarmName: 'queue-depth', StateValue: 'OK', StateReason: 'x', StateReasonData: '{' });
    expect([badData.status, badData.body.__type]).toEqual([400, 'com.amazonaws.cloudwatch#InvalidFormatFault']);
    const badState = await json('SetAlarmState', { AlarmName: 'queue-depth', StateValue: 'RED', StateReason: 'x' });
    expect(badState.headers.get('x-amzn-query-error')).toBe('InvalidParameterValue;Sender');
    const awsNamespace = await json('PutMetricData', { Namespace: 'AWS/SQS', MetricData: [{ MetricName: 'x', Value: 1 }] });
    expect([awsNamespace.status, awsNamespace.body.message]).toEqual([400, 'The value AWS/SQS for parameter Namespace is invalid.']);
    const unknown = await json('DescribeAnomalyDetectors', {});
    expect([unknown.status, unknown.headers.get('x-amzn-query-error')]).toEqual([400, 'InvalidAction;Sender']);
  });
});

describe('Smithy RPC v2 CBOR (botocore, the AWS CLI)', () => {
  test('DescribeAlarms answers CBOR with timestamps as tag-1 dates', async () => {
    const { status, headers, body } = await cborCall('DescribeAlarms', { AlarmNamePrefix: 'queue-' });
    expect(status).toBe(200);
    expect(headers.get('smithy-protocol')).toBe('rpc-v2-cbor');
    expect(headers.get('content-type')).toBe('application/cbor');
    expect(body.MetricAlarms[0].AlarmName).toBe('queue-depth');
    expect(body.MetricAlarms[0].StateUpdatedTimestamp).toBeInstanceOf(Date);
  });

  test('PutMetricData with a tag-1 timestamp and Values/Counts; errors as CBOR with __type', async () => {
    const at = new Date(clock.nowMs());
    const put = await cborCall('PutMetricData', { Namespace: 'Cbor', MetricData: [{ MetricName: 'Latency', Timestamp: at, Values: [1, 2], Counts: [3, 1] }] });
    expect(put.status).toBe(200);
    const points = cloudWatch.metrics.statistics({ namespace: 'Cbor', name: 'Latency', dimensions: {} }, at.getTime() - 60_000, at.getTime() + 60_000, 60_000);
    expect(points.map((p) => [p.sampleCount, p.sum])).toEqual([[4, 5]]);
    const error = await cborCall('SetAlarmState', { AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' });
    expect(error.status).toBe(404);
    expect(error.body).toEqual({ __type: 'com.amazonaws.cloudwatch#ResourceNotFound', message: 'Alarm nope not found' });
    expect(error.headers.get('x-amzn-query-error')).toBe('ResourceNotFound;Sender');
  });

  test('our codec and the SDK’s read each other', () => {
    const value = { a: 1, b: -20, c: 1.5, d: 'text ✓', e: [true, false, null], f: { g: new Date(1_700_000_000_500) }, big: 2 ** 40 };
    expect(fromTags(smithyCbor.deserialize(encodeCbor(value)))).toEqual(value);
    expect(decodeCbor(Buffer.from(smithyCbor.serialize(toTags(value))))).toEqual(value);
  });
});

describe('the query protocol (older clients)', () => {
  test('DescribeAlarms with member lists answers XML', async () => {
    const { status, text } = await query({ Action: 'DescribeAlarms', Version: '2010-08-01', 'AlarmNames.member.1': 'queue-depth' });
    expect(status).toBe(200);
    expect(text).toMatch(/^<DescribeAlarmsResponse xmlns="http:\/\/monitoring.amazonaws.com\/doc\/2010-08-01\/"><DescribeAlarmsResult><MetricAlarms><member><AlarmName>queue-depth<\/AlarmName>/);
    expect(text).toContain('<Dimensions><member><Name>Queue</Name><Value>q1</Value></member></Dimensions>');
    expect(text).toMatch(/<StateUpdatedTimestamp>\d{4}-\d\d-\d\dT[\d:.]+Z<\/StateUpdatedTimestamp>/);
  });

  test('PutMetricData with nested members; errors as an ErrorResponse', async () => {
    const put = await query({
      Action: 'PutMetricData',
      Version: '2010-08-01',
      Namespace: 'Query',
      'MetricData.member.1.MetricName': 'Hits',
      'MetricData.member.1.Value': '4',
      'MetricData.member.1.Dimensions.member.1.Name': 'Page',
      'MetricData.member.1.Dimensions.member.1.Value': 'home',
    });
    expect(put.status).toBe(200);
    expect(put.text).toMatch(/^<PutMetricDataResponse xmlns="[^"]+"><ResponseMetadata><RequestId>[\w-]+<\/RequestId><\/ResponseMetadata><\/PutMetricDataResponse>$/);
    expect(cloudWatch.metrics.list({ namespace: 'Query' })).toEqual([{ namespace: 'Query', name: 'Hits', dimensions: { Page: 'home' }, unit: undefined }]);
    const error = await query({ Action: 'SetAlarmState', Version: '2010-08-01', AlarmName: 'nope', StateValue: 'OK', StateReason: 'x' });
    expect(error.status).toBe(404);
    expect(error.text).toContain('<Error><Type>Sender</Type><Code>ResourceNotFound</Code><Message>Alarm nope not found</Message></Error>');
  });

  test('SQS query requests (Version 2012-11-05) still reach SQS', async () => {
    const { status, text } = await query({ Action: 'ListQueues', Version: '2012-11-05' });
    expect(status).toBe(200);
    expect(text).toContain('<ListQueuesResponse');
  });
});
