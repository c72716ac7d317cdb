/**
 * The CloudWatch API of the local cloud, protocol-agnostic: requests and responses in the API's PascalCase shapes
 * (./protocol.ts reads and writes them as AWS JSON 1.0, Smithy RPC v2 CBOR or the query protocol). Request numbers
 * and booleans may arrive as strings (query protocol); timestamps as Dates, epoch seconds or ISO text. Responses
 * hold Dates for timestamps.
 *
 *   DescribeAlarms, DescribeAlarmHistory, SetAlarmState, PutMetricAlarm, DeleteAlarms,
 *   PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics
 *
 * Errors are {@link CloudWatchError}s carrying the modelled shape name, the query error code and the HTTP status.
 */
import { ALARM_STATES, AlarmConfigError, AlarmStateValue, dimensionsOf, toQuery } from './alarms';
import { AlarmNotFoundError, AlarmRecord, LocalCloudWatch } from './index';
import { MetricId, StatisticError, statisticValue, validateStatistic } from './metrics';
import { MetricMathError, runQueries } from './queries';

/** A CloudWatch error: `shape` is the modelled exception (`__type`), `code` the query error code. */
export class CloudWatchError extends Error {
  constructor(
    readonly shape: string,
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = shape;
  }

  get fault(): 'Sender' | 'Receiver' {
    return this.httpStatus >= 500 ? 'Receiver' : 'Sender';
  }

  static invalidParameter(message: string): CloudWatchError {
    return new CloudWatchError('InvalidParameterValueException', 'InvalidParameterValue', message);
  }
  static missingParameter(name: string): CloudWatchError {
    return new CloudWatchError('MissingRequiredParameterException', 'MissingParameter', `The parameter ${name} is required.`);
  }
  static combination(message: string): CloudWatchError {
    return new CloudWatchError('InvalidParameterCombinationException', 'InvalidParameterCombination', message);
  }
  static notFound(message: string): CloudWatchError {
    return new CloudWatchError('ResourceNotFound', 'ResourceNotFound', message, 404);
  }
  static validation(message: string): CloudWatchError {
    // Member constraint violations come back as InvalidParameterValue on the query protocol.
    return new CloudWatchError('InvalidParameterValueException', 'InvalidParameterValue', message);
  }
  static unknownOperation(action: string): CloudWatchError {
    return new CloudWatchError('InvalidAction', 'InvalidAction', `The action ${action} is not valid for this web service (or not supported by the local CloudWatch).`);
  }
}

type Req = Record<string, any>;

const OPERATIONS = [
  'DescribeAlarms',
  'DescribeAlarmHistory',
  'SetAlarmState',
  'PutMetricAlarm',
  'DeleteAlarms',
  'PutMetricData',
  'GetMetricData',
  'GetMetricStatistics',
  'ListMetrics',
] as const;
export type CloudWatchOperation = (typeof OPERATIONS)[number];
export const CLOUDWATCH_OPERATIONS: readonly string[] = OPERATIONS;

/** Runs one operation. */
export function handleCloudWatch(cw: LocalCloudWatch, action: string, request: Req, now: () => number): unknown {
  const r = request ?? {};
  switch (action as CloudWatchOperation) {
    case 'DescribeAlarms':
      return describeAlarms(cw, r);
    case 'DescribeAlarmHistory':
      return describeAlarmHistory(cw, r);
    case 'SetAlarmState':
      return setAlarmState(cw, r);
    case 'PutMetricAlarm':
      return putMetricAlarm(cw, r);
    case 'DeleteAlarms':
      return deleteAlarms(cw, r);
    case 'PutMetricData':
      return putMetricData(cw, r, now());
    case 'GetMetricData':
      return getMetricData(cw, r);
    case 'GetMetricStatistics':
      return getMetricStatistics(cw, r);
    case 'ListMetrics':
      return listMetrics(cw, r);
    default:
      throw CloudWatchError.unknownOperation(action);
  }
}

// ---- alarms --------------------------------------------------------------------------------

function describeAlarms(cw: LocalCloudWatch, r: Req) {
  const names = optionalStrings(r.AlarmNames, 'AlarmNames');
  if (names && r.AlarmNamePrefix !== undefined) throw CloudWatchError.combination('AlarmNames and AlarmNamePrefix cannot be specified together.');
  const state = r.StateValue === undefined ? undefined : stateValue(r.StateValue, 'StateValue');
  const types = optionalStrings(r.AlarmTypes, 'AlarmTypes') ?? ['MetricAlarm'];
  let alarms = cw.listAlarms();
  if (names) alarms = alarms.filter((a) => names.includes(a.config.name));
  if (r.AlarmNamePrefix !== undefined) alarms = alarms.filter((a) => a.config.name.startsWith(String(r.AlarmNamePrefix)));
  if (state) alarms = alarms.filter((a) => a.state.value === state);
  if (r.ActionPrefix !== undefined) {
    const prefix = String(r.ActionPrefix);
    alarms = alarms.filter((a) => [...a.config.alarmActions, ...a.config.okActions, ...a.config.insufficientDataActions].some((x) => x.startsWith(prefix)));
  }
  if (!types.includes('MetricAlarm')) alarms = [];
  const { page, next } = paginate(alarms, r.NextToken, intIn(r.MaxRecords, 'MaxRecords', 1, 100) ?? 50);
  return {
    MetricAlarms: page.map(metricAlarm),
    ...(types.includes('CompositeAlarm') ? { CompositeAlarms: [] } : {}),
    ...(next ? { NextToken: next } : {}),
  };
}

function metricAlarm(a: AlarmRecord): Record<string, unknown> {
  const c = a.config;
  return {
    AlarmName: c.name,
    AlarmArn: c.arn,
    ...(c.description !== undefined ? { AlarmDescription: c.description } : {}),
    AlarmConfigurationUpdatedTimestamp: new Date(a.configuredAt),
    ActionsEnabled: c.actionsEnabled,
    OKActions: c.okActions,
    AlarmActions: c.alarmActions,
    InsufficientDataActions: c.insufficientDataActions,
    StateValue: a.state.value,
    StateReason: a.state.reason,
    ...(a.state.reasonData !== undefined ? { StateReasonData: a.state.reasonData } : {}),
    StateUpdatedTimestamp: new Date(a.state.updatedAt),
    StateTransitionedTimestamp: new Date(a.transitionedAt),
    ...(c.metric
      ? {
          MetricName: c.metric.id.name,
          Namespace: c.metric.id.namespace,
          ...(c.metric.statistic ? { Statistic: c.metric.statistic } : { ExtendedStatistic: c.metric.extendedStatistic }),
          Dimensions: dimensionList(c.metric.id.dimensions),
          Period: c.metric.period,
          ...(c.metric.unit ? { Unit: c.metric.unit } : {}),
        }
      : {}),
    EvaluationPeriods: c.evaluationPeriods,
    DatapointsToAlarm: c.datapointsToAlarm,
    Threshold: c.threshold,
    ComparisonOperator: c.comparisonOperator,
    TreatMissingData: c.treatMissingData,
    ...(c.evaluateLowSampleCountPercentile ? { EvaluateLowSampleCountPercentile: c.evaluateLowSampleCountPercentile } : {}),
    ...(c.metrics
      ? {
          Metrics: c.metrics.map((m) => ({
            Id: m.id,
            ...(m.expression ? { Expression: m.expression } : {}),
            ...(m.label ? { Label: m.label } : {}),
            ...(m.metricStat
              ? {
                  MetricStat: {
                    Metric: { Namespace: m.metricStat.metric.namespace, MetricName: m.metricStat.metric.name, Dimensions: dimensionList(m.metricStat.metric.dimensions) },
                    Period: m.metricStat.period,
                    Stat: m.metricStat.stat,
                    ...(m.metricStat.unit ? { Unit: m.metricStat.unit } : {}),
                  },
                }
              : {}),
            ReturnData: m.returnData !== false,
            ...(m.period ? { Period: m.period } : {}),
          })),
        }
      : {}),
  };
}

function describeAlarmHistory(cw: LocalCloudWatch, r: Req) {
  const name = r.AlarmName === undefined ? undefined : String(r.AlarmName);
  const type = r.HistoryItemType === undefined ? undefined : String(r.HistoryItemType);
  const start = r.StartDate === undefined ? -Infinity : timestamp(r.StartDate, 'StartDate');
  const end = r.EndDate === undefined ? Infinity : timestamp(r.EndDate, 'EndDate');
  let items = type && type !== 'StateUpdate' ? [] : cw.listAlarms().flatMap((a) => (name === undefined || a.config.name === name ? a.history : []));
  items = items.filter((h) => h.timestamp >= start && h.timestamp <= end).sort((a, b) => b.timestamp - a.timestamp);
  if (r.ScanBy === 'TimestampAscending') items.reverse();
  const { page, next } = paginate(items, r.NextToken, intIn(r.MaxRecords, 'MaxRecords', 1, 100) ?? 100);
  return {
    AlarmHistoryItems: page.map((h) => ({ AlarmName: h.alarmName, AlarmType: 'MetricAlarm', Timestamp: new Date(h.timestamp), HistoryItemType: 'StateUpdate', HistorySummary: h.summary, HistoryData: h.data })),
    ...(next ? { NextToken: next } : {}),
  };
}

function setAlarmState(cw: LocalCloudWatch, r: Req) {
  const name = requiredString(r.AlarmName, 'AlarmName');
  const value = stateValue(r.StateValue, 'StateValue');
  const reason = requiredString(r.StateReason, 'StateReason');
  if (reason.length > 1023) throw CloudWatchError.validation("1 validation error detected: Value at 'stateReason' failed to satisfy constraint: Member must have length less than or equal to 1023");
  let reasonData: string | undefined;
  if (r.StateReasonData !== undefined) {
    reasonData = String(r.StateReasonData);
    try {
      JSON.parse(reasonData);
    } catch {
      throw new CloudWatchError('InvalidFormatFault', 'InvalidFormat', 'StateReasonData is not valid JSON.');
    }
  }
  try {
    cw.setAlarmState(name, value, reason, reasonData);
  } catch (error) {
    if (error instanceof AlarmNotFoundError) throw CloudWatchError.notFound(`Alarm ${name} not found`);
    throw error;
  }
  return {};
}

function putMetricAlarm(cw: LocalCloudWatch, r: Req) {
  const name = requiredString(r.AlarmName, 'AlarmName');
  if (name.length > 255) throw CloudWatchError.validation("1 validation error detected: Value at 'alarmName' failed to satisfy constraint: Member must have length less than or equal to 255");
  try {
    const metrics = Array.isArray(r.Metrics) ? r.Metrics : undefined;
    cw.putAlarm({ ...r, ...(metrics ? { Metrics: metrics } : {}) }, { name, source: 'api' });
  } catch (error) {
    if (error instanceof AlarmConfigError) throw CloudWatchError.invalidParameter(error.message);
    throw error;
  }
  return {};
}

function deleteAlarms(cw: LocalCloudWatch, r: Req) {
  const names = optionalStrings(r.AlarmNames, 'AlarmNames') ?? [];
  const unknown = names.filter((n) => !cw.getAlarm(n));
  if (unknown.length) throw CloudWatchError.notFound(`${unknown.length === 1 ? 'Alarm' : 'Alarms'} ${unknown.join(', ')} not found`);
  for (const n of names) cw.deleteAlarm(n);
  return {};
}

// ---- metrics -------------------------------------------------------------------------------

const TWO_WEEKS_MS = 14 * 86_400_000;
const TWO_HOURS_MS = 2 * 3_600_000;

function putMetricData(cw: LocalCloudWatch, r: Req, now: number) {
  const namespace = requiredString(r.Namespace, 'Namespace');
  if (namespace.startsWith('AWS/') || namespace.length > 255) throw CloudWatchError.invalidParameter(`The value ${namespace} for parameter Namespace is invalid.`);
  if (!Array.isArray(r.MetricData) || r.MetricData.length === 0) throw CloudWatchError.missingParameter('MetricData');
  if (r.MetricData.length > 1000) throw CloudWatchError.invalidParameter('The collection MetricData must not have a size greater than 1000.');
  const puts: (() => void)[] = [];
  r.MetricData.forEach((d: Req, i: number) => {
    const at = `MetricData.member.${i + 1}`;
    const name = requiredString(d.MetricName, `${at}.MetricName`);
    const dims = Array.isArray(d.Dimensions) ? d.Dimensions : [];
    if (dims.length > 30) throw CloudWatchError.invalidParameter(`The collection ${at}.Dimensions must not have a size greater than 30.`);
    const id: MetricId = { namespace, name, dimensions: dimensionsOf(dims) };
    const time = d.Timestamp === undefined ? now : timestamp(d.Timestamp, `${at}.Timestamp`);
    if (time < now - TWO_WEEKS_MS || time > now + TWO_HOURS_MS) throw CloudWatchError.invalidParameter(`The parameter ${at}.Timestamp must specify a time no more than two weeks in the past or two hours in the future.`);
    const unit = d.Unit === undefined ? undefined : String(d.Unit);
    const given = [d.Value !== undefined, d.StatisticValues !== undefined, Array.isArray(d.Values) && d.Values.length > 0].filter(Boolean).length;
    if (given > 1) throw CloudWatchError.combination(`The parameters ${at}.Value, ${at}.StatisticValues and ${at}.Values are mutually exclusive and you have specified more than one.`);
    if (given === 0) throw CloudWatchError.combination(`At least one of the parameters ${at}.Value, ${at}.StatisticValues or ${at}.Values must be specified.`);
    if (d.Value !== undefined) {
      const v = finite(d.Value, `${at}.Value`);
      puts.push(() => cw.metrics.put(id, v, time, { unit }));
    } else if (d.StatisticValues !== undefined) {
      const s = d.StatisticValues;
      const stats = { sampleCount: finite(s.SampleCount, `${at}.StatisticValues.SampleCount`), sum: finite(s.Sum, `${at}.StatisticValues.Sum`), minimum: finite(s.Minimum, `${at}.StatisticValues.Minimum`), maximum: finite(s.Maximum, `${at}.StatisticValues.Maximum`) };
      puts.push(() => cw.metrics.putStatistics(id, stats, time, { unit }));
    } else {
      const values = (d.Values as unknown[]).map((v, j) => finite(v, `${at}.Values.member.${j + 1}`));
      const counts = Array.isArray(d.Counts) ? (d.Counts as unknown[]).map((c, j) => finite(c, `${at}.Counts.member.${j + 1}`)) : undefined;
      if (counts && counts.length !== values.length) throw CloudWatchError.invalidParameter(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
      const expanded = counts ? values.flatMap((v, j) => Array(Math.max(0, Math.round(counts[j]))).fill(v)) : values;
      puts.push(() => cw.metrics.put(id, expanded, time, { unit }));
    }
  });
  // All or nothing, as PutMetricData validates the whole request first.
  for (const put of puts) put();
  return {};
}

function getMetricStatistics(cw: LocalCloudWatch, r: Req) {
  const namespace = requiredString(r.Namespace, 'Namespace');
  const name = requiredString(r.MetricName, 'MetricName');
  const start = timestamp(required(r.StartTime, 'StartTime'), 'StartTime');
  const end = timestamp(required(r.EndTime, 'EndTime'), 'EndTime');
  const period = intIn(required(r.Period, 'Period'), 'Period', 1, Infinity)!;
  if (period % 60 !== 0) throw CloudWatchError.invalidParameter('The parameter Period must be a multiple of 60 (the local CloudWatch keeps 1-minute resolution).');
  if (end <= start) throw CloudWatchError.invalidParameter('The parameter StartTime must be less than the parameter EndTime.');
  const statistics = optionalStrings(r.Statistics, 'Statistics') ?? [];
  const extended = optionalStrings(r.ExtendedStatistics, 'ExtendedStatistics') ?? [];
  if (!statistics.length && !extended.length) throw CloudWatchError.missingParameter('Statistics or ExtendedStatistics');
  for (const s of [...statistics, ...extended]) checkStatistic(s);
  const id: MetricId = { namespace, name, dimensions: dimensionsOf(r.Dimensions) };
  const unit = cw.metrics.list({ namespace, name }).find((m) => sameDimensions(m.dimensions, id.dimensions))?.unit;
  const datapoints = cw.metrics.statistics(id, start, end, period * 1000).map((p) => {
    const point: Record<string, unknown> = { Timestamp: new Date(p.timestamp) };
    for (const s of statistics) point[s] = statisticValue(p, s);
    if (extended.length) point.ExtendedStatistics = Object.fromEntries(extended.map((s) => [s, statisticValue(p, s)]).filter(([, v]) => v !== undefined));
    point.Unit = unit ?? 'None';
    return point;
  });
  return { Label: name, Datapoints: datapoints };
}

function getMetricData(cw: LocalCloudWatch, r: Req) {
  if (!Array.isArray(r.MetricDataQueries) || !r.MetricDataQueries.length) throw CloudWatchError.missingParameter('MetricDataQueries');
  if (r.MetricDataQueries.length > 500) throw CloudWatchError.invalidParameter('The collection MetricDataQueries must not have a size greater than 500.');
  const start = timestamp(required(r.StartTime, 'StartTime'), 'StartTime');
  const end = timestamp(required(r.EndTime, 'EndTime'), 'EndTime');
  if (end <= start) throw CloudWatchError.invalidParameter('The parameter StartTime must be less than the parameter EndTime.');
  const queries = r.MetricDataQueries.map((q: Req) => toQuery(q));
  for (const q of queries) {
    if (q.metricStat && (!(q.metricStat.period > 0) || q.metricStat.period % 60 !== 0)) throw CloudWatchError.invalidParameter(`The value ${q.metricStat.period} for parameter MetricDataQueries.member.MetricStat.Period is invalid: a multiple of 60 is required locally.`);
  }
  let results;
  try {
    results = runQueries(cw.metrics, queries, start, end);
  } catch (error) {
    if (error instanceof MetricMathError || error instanceof StatisticError) throw CloudWatchError.validation(error.message);
    throw error;
  }
  const ascending = r.ScanBy === 'TimestampAscending';
  const max = intIn(r.MaxDatapoints, 'MaxDatapoints', 1, Infinity) ?? 100_800;
  return {
    MetricDataResults: results
      .filter((res) => res.returnData)
      .map((res) => {
        let points = [...res.series.entries()].sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
        points = points.slice(0, max);
        return { Id: res.id, Label: res.label, Timestamps: points.map(([t]) => new Date(t)), Values: points.map(([, v]) => v), StatusCode: 'Complete' };
      }),
    Messages: [],
  };
}

function listMetrics(cw: LocalCloudWatch, r: Req) {
  const dims = Array.isArray(r.Dimensions) ? r.Dimensions.map((d: Req) => ({ name: String(d.Name), value: d.Value === undefined ? undefined : String(d.Value) })) : undefined;
  const metrics = cw.metrics.list({ namespace: r.Namespace, name: r.MetricName, dimensions: dims });
  const { page, next } = paginate(metrics, r.NextToken, 500);
  return {
    Metrics: page.map((m) => ({ Namespace: m.namespace, MetricName: m.name, Dimensions: dimensionList(m.dimensions) })),
    ...(next ? { NextToken: next } : {}),
  };
}

// ---- helpers -------------------------------------------------------------------------------

function dimensionList(dims: Record<string, string>): { Name: string; Value: string }[] {
  return Object.entries(dims).map(([Name, Value]) => ({ Name, Value }));
}

function sameDimensions(a: Record<string, string>, b: Record<string, string>): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
}

function checkStatistic(s: string): void {
  try {
    validateStatistic(s);
  } catch (error) {
    if (error instanceof StatisticError) throw CloudWatchError.invalidParameter(error.message);
    throw error;
  }
}

function required(v: unknown, name: string): unknown {
  if (v === undefined || v === null || v === '') throw CloudWatchError.missingParameter(name);
  return v;
}

function requiredString(v: unknown, name: string): string {
  return String(required(v, name));
}

function optionalStrings(v: unknown, name: string): string[] | undefined {
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) throw CloudWatchError.invalidParameter(`The parameter ${name} must be a list.`);
  return v.map(String);
}

function stateValue(v: unknown, name: string): AlarmStateValue {
  const s = String(required(v, name));
  if (!(ALARM_STATES as readonly string[]).includes(s)) {
    throw CloudWatchError.validation(`1 validation error detected: Value '${s}' at '${name[0].toLowerCase()}${name.slice(1)}' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]`);
  }
  return s as AlarmStateValue;
}

function intIn(v: unknown, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) throw CloudWatchError.invalidParameter(`The value ${String(v)} for parameter ${name} is invalid.`);
  return n;
}

function finite(v: unknown, name: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (v === undefined || v === null || v === '' || !Number.isFinite(n)) throw CloudWatchError.invalidParameter(`The value ${String(v)} for parameter ${name} is invalid.`);
  return n;
}

/** A Date, epoch seconds (JSON/CBOR numbers), or ISO 8601 text (query) → epoch ms. */
function timestamp(v: unknown, name: string): number {
  let ms: number;
  if (v instanceof Date) ms = v.getTime();
  else if (typeof v === 'number') ms = v * 1000;
  else if (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else ms = Date.parse(String(v));
  if (!Number.isFinite(ms)) throw CloudWatchError.invalidParameter(`The value ${String(v)} for parameter ${name} is invalid.`);
  return ms;
}

function paginate<T>(items: T[], token: unknown, pageSize: number): { page: T[]; next?: string } {
  let offset = 0;
  if (token !== undefined) {
    const decoded = Number(Buffer.from(String(token), 'base64').toString('utf8'));
    if (!Number.isInteger(decoded) || decoded < 0) throw new CloudWatchError('InvalidNextToken', 'InvalidNextToken', 'The service couldn’t process the NextToken.');
    offset = decoded;
  }
  const page = items.slice(offset, offset + pageSize);
  const nextOffset = offset + page.length;
  return { page, next: nextOffset < items.length ? Buffer.from(String(nextOffset)).toString('base64') : undefined };
}
