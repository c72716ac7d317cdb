/** The local metric store, metric math, what the services feed it, and embedded metric format lines. */
import { MetricStore } from '../../../local/services/cloudwatch/metrics';
import { runQueries } from '../../../local/services/cloudwatch/queries';
import { parseEmf, recordDynamoDbFailure, recordQueueSample } from '../../../local/services/cloudwatch/sources';

const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);
const id = { namespace: 'App', name: 'Latency', dimensions: { Svc: 'a' } };

describe('MetricStore', () => {
  test('statistics per period, aligned to the period; a metric is its namespace, name and exact dimensions', () => {
    const store = new MetricStore({ now: () => T0 });
    store.put(id, [10, 20], T0 + 5_000);
    store.put(id, 30, T0 + 65_000);
    store.put(id, 100, T0 + 125_000);
    store.put({ ...id, dimensions: { Svc: 'a', Op: 'x' } }, 1000, T0 + 5_000);
    expect(store.datapoints(id, T0, T0 + 180_000, 60_000, 'Sum')).toEqual([
      { timestamp: T0, value: 30 },
      { timestamp: T0 + 60_000, value: 30 },
      { timestamp: T0 + 120_000, value: 100 },
    ]);
    const [five] = store.statistics(id, T0, T0 + 300_000, 300_000);
    expect(five).toMatchObject({ timestamp: T0, sampleCount: 4, sum: 160, minimum: 10, maximum: 100 });
    expect(store.datapoints(id, T0, T0 + 300_000, 300_000, 'Average')).toEqual([{ timestamp: T0, value: 40 }]);
    expect(store.datapoints(id, T0, T0 + 300_000, 300_000, 'p50')).toEqual([{ timestamp: T0, value: 20 }]);
    expect(store.datapoints(id, T0, T0 + 300_000, 300_000, 'p100')).toEqual([{ timestamp: T0, value: 100 }]);
    expect(store.list({ namespace: 'App', dimensions: [{ name: 'Op' }] }).map((m) => m.dimensions)).toEqual([{ Op: 'x', Svc: 'a' }]);
  });

  test('statistic sets have no percentiles; old minutes are pruned', () => {
    let now = T0;
    const store = new MetricStore({ now: () => now, retentionMs: 3_600_000 });
    store.putStatistics(id, { sampleCount: 4, sum: 40, minimum: 1, maximum: 20 }, T0);
    expect(store.datapoints(id, T0, T0 + 60_000, 60_000, 'Maximum')).toEqual([{ timestamp: T0, value: 20 }]);
    expect(store.datapoints(id, T0, T0 + 60_000, 60_000, 'p99')).toEqual([]);
    now = T0 + 2 * 3_600_000;
    store.prune();
    expect(store.has(id)).toBe(false);
  });
});

describe('metric math', () => {
  const store = new MetricStore({ now: () => T0 });
  const a = { namespace: 'App', name: 'A', dimensions: {} };
  const b = { namespace: 'App', name: 'B', dimensions: {} };
  store.put(a, 1, T0);
  store.put(a, 2, T0 + 60_000);
  store.put(b, 10, T0 + 60_000);
  const stat = (metric: typeof a) => ({ metric, period: 60, stat: 'Sum' });
  const run = (expression: string) =>
    runQueries(store, [{ id: 'm1', metricStat: stat(a), returnData: false }, { id: 'm2', metricStat: stat(b), returnData: false }, { id: 'e1', expression }], T0, T0 + 180_000).find((r) => r.id === 'e1')!.series;

  test('series arithmetic counts a missing value as 0 and drops divisions by zero; FILL gives every period a value', () => {
    expect([...run('m1 + m2')]).toEqual([[T0, 1], [T0 + 60_000, 12]]);
    expect([...run('m2 / m1')]).toEqual([[T0, 0], [T0 + 60_000, 5]]);
    expect([...run('m1 / m2')]).toEqual([[T0 + 60_000, 0.2]]);
    expect([...run('m1 ^ 2 * 10')]).toEqual([[T0, 10], [T0 + 60_000, 40]]);
    expect([...run('SUM([m1, m2] * 2)')]).toEqual([[T0, 2], [T0 + 60_000, 24]]);
    expect([...run('FILL(m1, 0) + FILL(m2, 0)')]).toEqual([[T0, 1], [T0 + 60_000, 12], [T0 + 120_000, 0]]);
    expect([...run('FILL(m1, REPEAT)')]).toEqual([[T0, 1], [T0 + 60_000, 2], [T0 + 120_000, 2]]);
    expect([...run('(m1 * 2 - 1) / 1')]).toEqual([[T0, 1], [T0 + 60_000, 3]]);
    expect([...run('-m1')]).toEqual([[T0, -1], [T0 + 60_000, -2]]);
  });

  test('SUM/MAX/AVG of an array per timestamp; METRICS() is every metric query', () => {
    expect([...run('SUM(METRICS())')]).toEqual([[T0, 1], [T0 + 60_000, 12]]);
    expect([...run('MAX([m1, m2])')]).toEqual([[T0, 1], [T0 + 60_000, 10]]);
    expect([...run('AVG([m1, m2])')]).toEqual([[T0, 0.5], [T0 + 60_000, 6]]); // a missing value counts as 0
    // Of one series: a single value, spread over the range.
    expect([...run('SUM(m1)')]).toEqual([[T0, 3], [T0 + 60_000, 3], [T0 + 120_000, 3]]);
  });

  test('unknown ids and functions are named', () => {
    expect(() => run('m3 + 1')).toThrow('Error in expression e1: Unrecognized token m3');
    expect(() => run('DIFF(m1)')).toThrow('The function DIFF is not supported by the local CloudWatch');
  });
});

describe('what the services publish', () => {
  test('SQS: the age of the oldest message skips messages received 3 times or more', () => {
    const store = new MetricStore({ now: () => T0 });
    const messages = [
      { sent: T0 - 3_600_000, receives: 3 },
      { sent: T0 - 600_000, receives: 2 },
      { sent: T0 - 60_000, receives: 0 },
    ];
    recordQueueSample(store, { name: 'dlq', visible: 3, inFlight: 0, delayed: 0, messages }, T0 - 60_000, T0);
    const value = (name: string) => store.datapoints({ namespace: 'AWS/SQS', name, dimensions: { QueueName: 'dlq' } }, T0 - 60_000, T0, 60_000, 'Maximum')[0]?.value;
    expect(value('ApproximateNumberOfMessagesVisible')).toBe(3);
    expect(value('ApproximateAgeOfOldestMessage')).toBe(600);
  });

  test('DynamoDB: throttles per table and operation, 5xx as system errors, failed conditions apart, other 4xx as user errors', () => {
    const store = new MetricStore({ now: () => T0 });
    const fail = (code: string, httpStatus: number, operation = 'PutItem', tableNames = ['orders']) => recordDynamoDbFailure(store, { operation, tableNames, code, httpStatus }, T0);
    fail('ProvisionedThroughputExceededException', 400);
    fail('ThrottlingException', 400, 'GetItem');
    fail('InternalServerError', 500);
    fail('ConditionalCheckFailedException', 400);
    fail('ValidationException', 400);
    const sum = (name: string, dimensions: Record<string, string>) => store.datapoints({ namespace: 'AWS/DynamoDB', name, dimensions }, T0, T0 + 60_000, 60_000, 'Sum')[0]?.value;
    expect(sum('ThrottledRequests', { TableName: 'orders', Operation: 'PutItem' })).toBe(1);
    expect(sum('ThrottledRequests', { TableName: 'orders', Operation: 'GetItem' })).toBe(1);
    expect(sum('WriteThrottleEvents', { TableName: 'orders' })).toBe(1);
    expect(sum('ReadThrottleEvents', { TableName: 'orders' })).toBe(1);
    expect(sum('SystemErrors', { TableName: 'orders', Operation: 'PutItem' })).toBe(1);
    expect(sum('ConditionalCheckFailedRequests', { TableName: 'orders' })).toBe(1);
    expect(sum('UserErrors', {})).toBe(1);
    // ThrottledRequests is not published per table alone (an alarm on that dimension set gets nothing on AWS either).
    expect(sum('ThrottledRequests', { TableName: 'orders' })).toBeUndefined();
  });
});

describe('embedded metric format', () => {
  test('each directive, dimension set and metric value becomes a metric at the line’s Timestamp', () => {
    const line = JSON.stringify({
      _aws: { Timestamp: T0, CloudWatchMetrics: [{ Namespace: 'CrudApi/Redrive', Dimensions: [['Resource'], []], Metrics: [{ Name: 'Applied', Unit: 'Count' }, { Name: 'OldestQueuedRequestAgeSeconds', Unit: 'Seconds' }] }] },
      Resource: 'orders',
      Applied: 2,
      OldestQueuedRequestAgeSeconds: [30, 40],
      summary: true,
    });
    expect(parseEmf(line, 0)).toEqual([
      { id: { namespace: 'CrudApi/Redrive', name: 'Applied', dimensions: { Resource: 'orders' } }, values: [2], unit: 'Count', time: T0 },
      { id: { namespace: 'CrudApi/Redrive', name: 'Applied', dimensions: {} }, values: [2], unit: 'Count', time: T0 },
      { id: { namespace: 'CrudApi/Redrive', name: 'OldestQueuedRequestAgeSeconds', dimensions: { Resource: 'orders' } }, values: [30, 40], unit: 'Seconds', time: T0 },
      { id: { namespace: 'CrudApi/Redrive', name: 'OldestQueuedRequestAgeSeconds', dimensions: {} }, values: [30, 40], unit: 'Seconds', time: T0 },
    ]);
  });

  test('other lines, invalid JSON, missing values and missing dimension values give nothing', () => {
    expect(parseEmf('plain text', T0)).toEqual([]);
    expect(parseEmf('{"_aws": {', T0)).toEqual([]);
    expect(parseEmf(JSON.stringify({ message: 'hi' }), T0)).toEqual([]);
    const directive = { Namespace: 'N', Dimensions: [['Missing']], Metrics: [{ Name: 'M' }] };
    expect(parseEmf(JSON.stringify({ _aws: { CloudWatchMetrics: [directive] }, M: 1 }), T0)).toEqual([]);
    expect(parseEmf(JSON.stringify({ _aws: { CloudWatchMetrics: [{ ...directive, Dimensions: [[]] }] }, M: 'x' }), T0)).toEqual([]);
    // Without a Timestamp, the time the line was logged.
    expect(parseEmf(JSON.stringify({ _aws: { CloudWatchMetrics: [{ ...directive, Dimensions: [[]] }] }, M: 1 }), T0)[0].time).toBe(T0);
  });
});
