/**
 * Metric alarms: their configuration (from an `AWS::CloudWatch::Alarm` of the template or a PutMetricAlarm call,
 * which share their PascalCase shape) and the evaluation CloudWatch documents
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation):
 *
 * - each evaluation looks at the most recent complete periods: EvaluationPeriods (N) of them, out of an
 *   evaluation range of N + 2 periods retrieved;
 * - with at least N datapoints in the range, the newest N decide: DatapointsToAlarm (M) or more breaching →
 *   ALARM, else OK; TreatMissingData is not consulted;
 * - with fewer, the missing ones are filled as TreatMissingData says, as few as needed to make N:
 *   `breaching` and `notBreaching` fill with breaching / good points; `missing` and `ignore` decide on the
 *   existing points when they can (M breaching → ALARM, any good point → OK) and otherwise go to
 *   INSUFFICIENT_DATA (`missing`) or keep the current state (`ignore`);
 * - alarms on AWS/DynamoDB metrics always treat missing data as `ignore`, whatever TreatMissingData says
 *   (PutMetricAlarm API reference), so a throttling alarm stays in ALARM until a datapoint says otherwise.
 *
 * One documented quirk is not reproduced: the table's `X - - - -` row (only the oldest of five points,
 * breaching, 3 of 3) goes to ALARM with `missing` on AWS; here it is INSUFFICIENT_DATA.
 */
import { createHash } from 'node:crypto';
import { MetricId, MetricStore, StatisticError, validateStatistic } from './metrics';
import { MetricDataQuery, MetricMathError, compileQueries, runQueries } from './queries';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export const ALARM_STATES: readonly AlarmStateValue[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA'];

export type ComparisonOperator = 'GreaterThanOrEqualToThreshold' | 'GreaterThanThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
export type TreatMissingData = 'missing' | 'ignore' | 'breaching' | 'notBreaching';

const COMPARISONS: Record<ComparisonOperator, { test: (v: number, t: number) => boolean; text: string }> = {
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, text: 'greater than or equal to' },
  GreaterThanThreshold: { test: (v, t) => v > t, text: 'greater than' },
  LessThanThreshold: { test: (v, t) => v < t, text: 'less than' },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, text: 'less than or equal to' },
};
const ANOMALY_OPERATORS = ['LessThanLowerOrGreaterThanUpperThreshold', 'LessThanLowerThreshold', 'GreaterThanUpperThreshold'];

export interface AlarmConfig {
  name: string;
  arn: string;
  description?: string;
  actionsEnabled: boolean;
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  /** A single-metric alarm. */
  metric?: { id: MetricId; period: number; statistic?: string; extendedStatistic?: string; unit?: string };
  /** A metric-math alarm: its queries (exactly one returns data). */
  metrics?: MetricDataQuery[];
  comparisonOperator: ComparisonOperator;
  threshold: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  treatMissingData: TreatMissingData;
  evaluateLowSampleCountPercentile?: string;
  /** Where it was declared: the template's logical id, or 'api'. */
  source: string;
}

/** An alarm the local CloudWatch cannot evaluate (anomaly detection, unsupported math...), with why. */
export class AlarmConfigError extends Error {
  override name = 'AlarmConfigError';
}

/**
 * Reads an alarm from `AWS::CloudWatch::Alarm` properties or a PutMetricAlarm request (the same PascalCase
 * members; numbers may be strings). Throws {@link AlarmConfigError} saying what is missing or unsupported.
 */
export function parseAlarm(p: Record<string, any>, where: { name: string; arn: string; source: string }): AlarmConfig {
  const fail = (message: string): never => {
    throw new AlarmConfigError(`${where.source === 'api' ? where.name : where.source}: ${message}`);
  };
  const operator = String(p.ComparisonOperator ?? '');
  if (ANOMALY_OPERATORS.includes(operator) || p.ThresholdMetricId !== undefined) fail('anomaly detection alarms (ThresholdMetricId, band operators) are not evaluated');
  if (!(operator in COMPARISONS)) fail(`ComparisonOperator ${JSON.stringify(p.ComparisonOperator)} is not one of ${Object.keys(COMPARISONS).join(', ')}`);
  const evaluationPeriods = positiveInt(p.EvaluationPeriods) ?? fail(`EvaluationPeriods must be a positive integer, got ${JSON.stringify(p.EvaluationPeriods)}`);
  const datapointsToAlarm = p.DatapointsToAlarm === undefined ? evaluationPeriods : (positiveInt(p.DatapointsToAlarm) ?? fail(`DatapointsToAlarm must be a positive integer, got ${JSON.stringify(p.DatapointsToAlarm)}`));
  if (datapointsToAlarm > evaluationPeriods) fail(`DatapointsToAlarm (${datapointsToAlarm}) must not exceed EvaluationPeriods (${evaluationPeriods})`);
  const threshold = Number(p.Threshold);
  if (p.Threshold === undefined || !Number.isFinite(threshold)) fail(`Threshold must be a number, got ${JSON.stringify(p.Threshold)}`);
  const treatMissingData = (p.TreatMissingData ?? 'missing') as TreatMissingData;
  if (!['missing', 'ignore', 'breaching', 'notBreaching'].includes(treatMissingData)) fail(`TreatMissingData ${JSON.stringify(p.TreatMissingData)} is not one of missing, ignore, breaching, notBreaching`);

  let metric: AlarmConfig['metric'];
  let metrics: AlarmConfig['metrics'];
  if (Array.isArray(p.Metrics) && p.Metrics.length) {
    if (p.MetricName !== undefined) fail('an alarm has MetricName or Metrics, not both');
    metrics = p.Metrics.map((m: Record<string, any>) => toQuery(m));
    try {
      compileQueries(metrics!);
    } catch (error) {
      fail(`its metric math is not evaluated locally: ${(error as Error).message}`);
    }
    if (metrics!.filter((m) => m.returnData !== false).length !== 1) fail('exactly one of Metrics must have ReturnData true');
    for (const m of metrics!) if (m.metricStat && m.metricStat.period % 60 !== 0) fail(`period ${m.metricStat.period} s: only multiples of 60 s are evaluated locally`);
  } else {
    if (typeof p.MetricName !== 'string' || typeof p.Namespace !== 'string') fail('MetricName and Namespace (or Metrics) are required');
    const period = positiveInt(p.Period) ?? fail(`Period must be a positive integer, got ${JSON.stringify(p.Period)}`);
    if (period % 60 !== 0) fail(`period ${period} s: only multiples of 60 s are evaluated locally (high-resolution alarms are not)`);
    if ((p.Statistic === undefined) === (p.ExtendedStatistic === undefined)) fail('exactly one of Statistic and ExtendedStatistic is required');
    try {
      validateStatistic(String(p.Statistic ?? p.ExtendedStatistic));
    } catch (error) {
      if (error instanceof StatisticError) fail(error.message);
      throw error;
    }
    metric = {
      id: { namespace: p.Namespace, name: p.MetricName, dimensions: dimensionsOf(p.Dimensions) },
      period,
      statistic: p.Statistic,
      extendedStatistic: p.ExtendedStatistic,
      unit: p.Unit,
    };
  }
  return {
    name: where.name,
    arn: where.arn,
    description: p.AlarmDescription,
    actionsEnabled: p.ActionsEnabled === undefined ? true : p.ActionsEnabled === true || p.ActionsEnabled === 'true',
    alarmActions: list(p.AlarmActions),
    okActions: list(p.OKActions),
    insufficientDataActions: list(p.InsufficientDataActions),
    metric,
    metrics,
    comparisonOperator: operator as ComparisonOperator,
    threshold,
    evaluationPeriods,
    datapointsToAlarm,
    treatMissingData,
    evaluateLowSampleCountPercentile: p.EvaluateLowSampleCountPercentile,
    source: where.source,
  };
}

/** `[{Name, Value}]` → `{Name: Value}`. */
export function dimensionsOf(dimensions: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(dimensions)) for (const d of dimensions) if (d && typeof d.Name === 'string') out[d.Name] = String(d.Value ?? '');
  return out;
}

/** A `MetricDataQuery` (API or template shape, PascalCase) in the local shape. */
export function toQuery(m: Record<string, any>): MetricDataQuery {
  const stat = m.MetricStat;
  return {
    id: String(m.Id ?? ''),
    label: m.Label,
    returnData: m.ReturnData === undefined ? undefined : m.ReturnData === true || m.ReturnData === 'true',
    period: m.Period === undefined ? undefined : Number(m.Period),
    expression: m.Expression,
    metricStat: stat
      ? {
          metric: { namespace: stat.Metric?.Namespace, name: stat.Metric?.MetricName, dimensions: dimensionsOf(stat.Metric?.Dimensions) },
          period: Number(stat.Period),
          stat: String(stat.Stat),
          unit: stat.Unit,
        }
      : undefined,
  };
}

function positiveInt(v: unknown): number | undefined {
  const n = Number(v);
  return v !== undefined && v !== null && v !== '' && Number.isInteger(n) && n > 0 ? n : undefined;
}

function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : [];
}

/** The AWS namespaces an alarm reads. */
export function namespacesOf(config: AlarmConfig): string[] {
  if (config.metric) return [config.metric.id.namespace];
  return [...new Set((config.metrics ?? []).flatMap((m) => (m.metricStat ? [m.metricStat.metric.namespace] : [])))];
}

/** The alarm's period in seconds (a math alarm's: its queries' longest). */
export function periodOf(config: AlarmConfig): number {
  if (config.metric) return config.metric.period;
  return Math.max(60, ...(config.metrics ?? []).map((m) => m.period ?? m.metricStat?.period ?? 60));
}

// ---------------------------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------------------------

export interface Datapoint {
  /** Period start, epoch ms. */
  timestamp: number;
  value: number | undefined;
}

export interface Evaluation {
  state: AlarmStateValue;
  reason: string;
  /** JSON text. */
  reasonData: string;
}

/** The datapoints of the evaluation range at `at` (oldest first; a missing period has `value: undefined`). */
export function evaluationRange(store: MetricStore, config: AlarmConfig, at: number): Datapoint[] {
  const periodMs = periodOf(config) * 1000;
  const end = Math.floor(at / periodMs) * periodMs;
  const count = config.evaluationPeriods + 2;
  const start = end - count * periodMs;
  let values: Map<number, number>;
  if (config.metric) {
    const stat = config.metric.statistic ?? config.metric.extendedStatistic!;
    values = new Map(store.datapoints(config.metric.id, start, end, periodMs, stat).map((d) => [d.timestamp, d.value]));
  } else {
    const results = runQueries(store, config.metrics!, start, end);
    values = results.find((r) => r.returnData)!.series;
  }
  const out: Datapoint[] = [];
  for (let t = start; t < end; t += periodMs) out.push({ timestamp: t, value: values.get(t) });
  return out;
}

/**
 * The state the datapoints put the alarm in, or undefined to keep `current` (TreatMissingData `ignore`, or any
 * AWS/DynamoDB alarm, with too few datapoints to decide).
 */
export function evaluateAlarm(config: AlarmConfig, range: Datapoint[], at: number): Evaluation | undefined {
  const n = config.evaluationPeriods;
  const m = config.datapointsToAlarm;
  const { test, text } = COMPARISONS[config.comparisonOperator];
  const breaches = (v: number) => test(v, config.threshold);
  const existing = range.filter((d): d is { timestamp: number; value: number } => d.value !== undefined);
  const treat: TreatMissingData = namespacesOf(config).includes('AWS/DynamoDB') ? 'ignore' : config.treatMissingData;
  const periodS = periodOf(config);

  const evaluated = existing.slice(-n);
  const breaching = evaluated.filter((d) => breaches(d.value)).length;
  const good = evaluated.length - breaching;
  const data = (state: AlarmStateValue, reason: string): Evaluation => ({ state, reason, reasonData: reasonData(config, evaluated, at, periodS, range[0]?.timestamp ?? at) });
  const crossed = (state: 'ALARM' | 'OK', count: number, filled: number, filledAs: 'Breaching' | 'NonBreaching' | undefined) => {
    if (evaluated.length === 0) {
      return data(state, `Threshold Crossed: no datapoints were received for ${plural(filled, 'period')} and ${plural(filled, 'missing datapoint')} ${filled === 1 ? 'was' : 'were'} treated as [${filledAs}].`);
    }
    const shown = [...evaluated].reverse().map((d) => `${javaDouble(d.value)} (${reasonTime(d.timestamp)})`).join(', ');
    const verb = count === 1 ? 'was' : 'were';
    const relation = state === 'ALARM' ? text : `not ${text}`;
    const minimum = state === 'ALARM' ? `minimum ${plural(m, 'datapoint')} for OK -> ALARM transition` : `minimum ${plural(n - m + 1, 'datapoint')} for ALARM -> OK transition`;
    return data(state, `Threshold Crossed: ${count} out of the last ${n} datapoints [${shown}] ${verb} ${relation} the threshold (${javaDouble(config.threshold)}) (${minimum}).`);
  };

  if (evaluated.length >= n) return breaching >= m ? crossed('ALARM', breaching, 0, undefined) : crossed('OK', good, 0, undefined);
  const missing = n - evaluated.length;
  switch (treat) {
    case 'breaching':
      return breaching + missing >= m ? crossed('ALARM', breaching + missing, missing, 'Breaching') : crossed('OK', good, missing, 'Breaching');
    case 'notBreaching':
      return breaching >= m ? crossed('ALARM', breaching, missing, 'NonBreaching') : crossed('OK', good + missing, missing, 'NonBreaching');
    case 'missing':
    case 'ignore':
      if (breaching >= m) return crossed('ALARM', breaching, 0, undefined);
      if (good > 0) return crossed('OK', good, 0, undefined);
      if (treat === 'ignore') return undefined;
      return data('INSUFFICIENT_DATA', `Insufficient Data: ${plural(range.length - existing.length, 'datapoint')} ${range.length - existing.length === 1 ? 'was' : 'were'} unknown.`);
  }
}

function reasonData(config: AlarmConfig, evaluated: { timestamp: number; value: number }[], at: number, period: number, rangeStart: number): string {
  return JSON.stringify({
    version: '1.0',
    queryDate: stateTimestamp(at),
    startDate: stateTimestamp(evaluated[0]?.timestamp ?? rangeStart),
    ...(config.metric ? (config.metric.statistic ? { statistic: config.metric.statistic } : { extendedStatistic: config.metric.extendedStatistic }) : {}),
    ...(config.metric?.unit ? { unit: config.metric.unit } : {}),
    period,
    recentDatapoints: evaluated.map((d) => d.value),
    threshold: config.threshold,
    evaluatedDatapoints: [...evaluated].reverse().map((d) => ({ timestamp: stateTimestamp(d.timestamp), value: d.value })),
  });
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** How Java prints a double (CloudWatch's reasons do): 50 → "50.0", 0.25 → "0.25", 2.16e7 → "2.16E7". */
export function javaDouble(v: number): string {
  if (Number.isInteger(v) && Math.abs(v) < 1e7) return `${v}.0`;
  if (Math.abs(v) >= 1e7 || (v !== 0 && Math.abs(v) < 1e-3)) {
    const [mantissa, exponent] = v.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${Number(exponent)}`;
  }
  return String(v);
}

/** `dd/MM/yy HH:mm:ss` in UTC, as in CloudWatch's state reasons. */
function reasonTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCFullYear() % 100)} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

/** `2019-10-02T17:04:40.989+0000`, the alarm events' and reason data's timestamps. */
export function stateTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

/** A stable id for a single-metric alarm's metric in the events' `configuration.metrics` (AWS gives it a UUID). */
export function metricQueryId(config: AlarmConfig): string {
  const h = createHash('sha256').update(config.arn).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export { MetricMathError };
