/**
 * Alarm evaluation as CloudWatch documents it: M out of N, the evaluation range of N + 2 periods, and
 * TreatMissingData. The cases are the two tables of "How alarm state is evaluated when data is missing"
 * (AlarmThatSendsEmail.html), as data: datapoints oldest first, 0 good, X breaching, - missing.
 */
import { AlarmConfig, evaluateAlarm, evaluationRange, javaDouble, parseAlarm } from '../../../local/services/cloudwatch/alarms';
import { MetricStore } from '../../../local/services/cloudwatch/metrics';

type Expected = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'retain';
interface Row {
  points: string;
  missing: Expected;
  ignore: Expected;
  breaching: Expected;
  notBreaching: Expected;
}

const PERIOD = 300;
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function alarm(n: number, m: number, treat: string, extra: Record<string, unknown> = {}): AlarmConfig {
  return parseAlarm(
    {
      Namespace: 'App',
      MetricName: 'Errors',
      Statistic: 'Maximum',
      Period: PERIOD,
      EvaluationPeriods: n,
      DatapointsToAlarm: m,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: treat,
      ...extra,
    },
    { name: 'A', arn: 'arn:aws:cloudwatch:us-east-1:000000000000:alarm:A', source: 'test' },
  );
}

/** Evaluates `points` (oldest first, one per period, the newest ending at T0). */
function evaluate(config: AlarmConfig, points: string): Expected {
  const store = new MetricStore({ now: () => T0 });
  const values = points.split(/\s+/);
  values.forEach((p, i) => {
    const periodStart = T0 - (values.length - i) * PERIOD * 1000;
    if (p !== '-') store.put(config.metric!.id, p === 'X' ? 5 : 0, periodStart + 60_000);
  });
  const range = evaluationRange(store, config, T0 + 30_000);
  expect(range).toHaveLength(config.evaluationPeriods + 2);
  return evaluateAlarm(config, range, T0 + 30_000)?.state ?? 'retain';
}

const THREE_OF_THREE: Row[] = [
  { points: '0 - X - X', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
  { points: '0 - - - -', missing: 'OK', ignore: 'OK', breaching: 'OK', notBreaching: 'OK' },
  { points: '- - - - -', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '0 X X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '- - - - X', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
  // AWS's table says ALARM for `missing` here ("the oldest evaluated data point is breaching"); not reproduced.
  { points: 'X - - - -', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
];

const TWO_OF_THREE: Row[] = [
  { points: '0 - X - X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '0 0 X 0 X', missing: 'ALARM', ignore: 'ALARM', breaching: 'ALARM', notBreaching: 'ALARM' },
  { points: '0 - X - -', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '- - - - 0', missing: 'OK', ignore: 'OK', breaching: 'ALARM', notBreaching: 'OK' },
  { points: '- - - - X', missing: 'INSUFFICIENT_DATA', ignore: 'retain', breaching: 'ALARM', notBreaching: 'OK' },
];

describe.each([
  ['3 out of 3', 3, 3, THREE_OF_THREE],
  ['2 out of 3', 3, 2, TWO_OF_THREE],
])('%s, as the documented table', (_title, n, m, rows) => {
  for (const row of rows) {
    for (const treat of ['missing', 'ignore', 'breaching', 'notBreaching'] as const) {
      test(`${row.points} with TreatMissingData ${treat} → ${row[treat]}`, () => {
        expect(evaluate(alarm(n, m, treat), row.points)).toBe(row[treat]);
      });
    }
  }
});

describe('M out of N', () => {
  test('2 of 3 breaching go to ALARM; 1 of 3 does not, whatever the order', () => {
    const config = alarm(3, 2, 'missing');
    expect(evaluate(config, '0 0 X 0 X')).toBe('ALARM');
    expect(evaluate(config, '0 0 X X 0')).toBe('ALARM');
    expect(evaluate(config, '0 0 0 0 X')).toBe('OK');
    expect(evaluate(config, 'X X 0 0 X')).toBe('OK'); // the two older breaches are outside the newest 3
  });

  test('DatapointsToAlarm defaults to EvaluationPeriods; more than it is refused', () => {
    expect(alarm(3, undefined as unknown as number, 'missing').datapointsToAlarm).toBe(3);
    expect(() => alarm(2, 3, 'missing')).toThrow('DatapointsToAlarm (3) must not exceed EvaluationPeriods (2)');
  });
});

describe('AWS/DynamoDB alarms always ignore missing data (PutMetricAlarm API reference)', () => {
  test('a throttling alarm with notBreaching keeps ALARM once the throttles stop reporting', () => {
    const config = parseAlarm(
      { Namespace: 'AWS/DynamoDB', MetricName: 'ThrottledRequests', Dimensions: [{ Name: 'TableName', Value: 't' }, { Name: 'Operation', Value: 'PutItem' }], Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' },
      { name: 'T', arn: 'arn', source: 'test' },
    );
    const store = new MetricStore({ now: () => T0 });
    // Throttles in the last minute: ALARM. Then nothing for 3 minutes (the whole range): the state is kept.
    store.put(config.metric!.id, 4, T0 - 30_000);
    expect(evaluateAlarm(config, evaluationRange(store, config, T0 + 1000), T0 + 1000)?.state).toBe('ALARM');
    expect(evaluateAlarm(config, evaluationRange(store, config, T0 + 4 * 60_000), T0 + 4 * 60_000)).toBeUndefined();
    // The same alarm on a custom metric goes back to OK.
    const custom = { ...config, metric: { ...config.metric!, id: { ...config.metric!.id, namespace: 'App' } } };
    expect(evaluateAlarm(custom, evaluationRange(store, custom, T0 + 4 * 60_000), T0 + 4 * 60_000)?.state).toBe('OK');
  });
});

describe('comparison operators and reasons', () => {
  test.each([
    ['GreaterThanThreshold', 1, 'OK', 2, 'ALARM'],
    ['GreaterThanOrEqualToThreshold', 0, 'OK', 1, 'ALARM'],
    ['LessThanThreshold', 1, 'OK', 0, 'ALARM'],
    ['LessThanOrEqualToThreshold', 2, 'OK', 1, 'ALARM'],
  ])('%s against 1: %d is %s, %d is %s', (op, good, goodState, bad, badState) => {
    const config = alarm(1, 1, 'missing', { ComparisonOperator: op });
    const at = (value: number) => {
      const store = new MetricStore({ now: () => T0 });
      store.put(config.metric!.id, value, T0 - 60_000);
      return evaluateAlarm(config, evaluationRange(store, config, T0 + 1), T0 + 1)!.state;
    };
    expect(at(good)).toBe(goodState);
    expect(at(bad)).toBe(badState);
  });

  test('the reason and reason data read like CloudWatch’s', () => {
    const config = alarm(1, 1, 'notBreaching', { Period: 60 });
    const store = new MetricStore({ now: () => T0 });
    store.put(config.metric!.id, 99.5, T0 - 60_000);
    const result = evaluateAlarm(config, evaluationRange(store, config, T0 + 4_000), T0 + 4_000)!;
    expect(result.reason).toBe('Threshold Crossed: 1 out of the last 1 datapoints [99.5 (01/01/24 11:59:00)] was greater than or equal to the threshold (1.0) (minimum 1 datapoint for OK -> ALARM transition).');
    expect(JSON.parse(result.reasonData)).toEqual({
      version: '1.0',
      queryDate: '2024-01-01T12:00:04.000+0000',
      startDate: '2024-01-01T11:59:00.000+0000',
      statistic: 'Maximum',
      period: 60,
      recentDatapoints: [99.5],
      threshold: 1,
      evaluatedDatapoints: [{ timestamp: '2024-01-01T11:59:00.000+0000', value: 99.5 }],
    });
    const empty = evaluateAlarm(config, evaluationRange(new MetricStore({ now: () => T0 }), config, T0), T0)!;
    expect(empty.reason).toBe('Threshold Crossed: no datapoints were received for 1 period and 1 missing datapoint was treated as [NonBreaching].');
    expect(javaDouble(21600)).toBe('21600.0');
    expect(javaDouble(0.25)).toBe('0.25');
  });

  test('what cannot be evaluated locally is refused with its reason', () => {
    const base = { Namespace: 'App', MetricName: 'E', Statistic: 'Sum', Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: 'GreaterThanThreshold' };
    const where = { name: 'A', arn: 'arn', source: 'MyAlarm' };
    expect(() => parseAlarm({ ...base, ComparisonOperator: 'LessThanLowerOrGreaterThanUpperThreshold', ThresholdMetricId: 'ad1' }, where)).toThrow('MyAlarm: anomaly detection alarms');
    expect(() => parseAlarm({ ...base, Period: 10 }, where)).toThrow('MyAlarm: period 10 s: only multiples of 60 s are evaluated locally (high-resolution alarms are not)');
    expect(() => parseAlarm({ ...base, Statistic: 'tm99' }, where)).toThrow('The statistic "tm99" is not supported');
    const math = { ...base, MetricName: undefined, Namespace: undefined, Statistic: undefined, Period: undefined };
    expect(() => parseAlarm({ ...math, Metrics: [{ Id: 'e1', Expression: 'RATE(m1)', ReturnData: true }, { Id: 'm1', MetricStat: { Metric: { Namespace: 'App', MetricName: 'E' }, Period: 60, Stat: 'Sum' }, ReturnData: false }] }, where)).toThrow(
      'MyAlarm: its metric math is not evaluated locally: The function RATE is not supported by the local CloudWatch',
    );
  });
});

describe('metric math alarms', () => {
  test.each(['putitem + updateitem', 'SUM([FILL(putitem, 0), FILL(updateitem, 0)])'])('%s (per-operation throttles, as CDK sums them) goes to ALARM on any one operation', (expression) => {
    const dims = (op: string) => [{ Name: 'TableName', Value: 't' }, { Name: 'Operation', Value: op }];
    const config = parseAlarm(
      {
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        Metrics: [
          { Id: 'e1', Expression: expression, ReturnData: true },
          { Id: 'putitem', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Throttles', Dimensions: dims('PutItem') }, Period: 60, Stat: 'Sum' }, ReturnData: false },
          { Id: 'updateitem', MetricStat: { Metric: { Namespace: 'App', MetricName: 'Throttles', Dimensions: dims('UpdateItem') }, Period: 60, Stat: 'Sum' }, ReturnData: false },
        ],
      },
      { name: 'M', arn: 'arn', source: 'test' },
    );
    const store = new MetricStore({ now: () => T0 });
    expect(evaluateAlarm(config, evaluationRange(store, config, T0), T0)!.state).toBe('OK');
    store.put({ namespace: 'App', name: 'Throttles', dimensions: { TableName: 't', Operation: 'UpdateItem' } }, 2, T0 - 30_000);
    expect(evaluateAlarm(config, evaluationRange(store, config, T0), T0)!.state).toBe('ALARM');
  });
});
