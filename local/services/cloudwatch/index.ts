/**
 * A small CloudWatch for the local cloud: metrics in memory (./metrics.ts) fed by the local services
 * (./sources.ts), and metric alarms (./alarms.ts) evaluated once a minute of the cloud's clock, each state
 * change published as AWS does, a "CloudWatch Alarm State Change" event on the account's default event bus.
 *
 * Time: at every minute boundary of the clock (a timer on it, so an advance fires the boundaries it skipped,
 * each in turn, at most one day of them) the SQS gauges are sampled and every alarm evaluated as of that
 * minute. The API (DescribeAlarms, SetAlarmState, PutMetricData, GetMetricData, ...) is in ./api.ts, its
 * HTTP protocols in ./protocol.ts.
 */
import { startTimer } from '../../asl/clock';
import type { Clock } from '../../asl/types';
import {
  AlarmConfig,
  AlarmConfigError,
  AlarmStateValue,
  evaluateAlarm,
  evaluationRange,
  metricQueryId,
  namespacesOf,
  parseAlarm,
  periodOf,
  stateTimestamp,
} from './alarms';
import { MINUTE_MS, MetricId, MetricStore } from './metrics';
import type { ResolvedTemplate } from '../../cloudformation/template';
import { DynamoDbFailure, QueueSample, parseEmf, recordDynamoDbFailure, recordExecution, recordQueueSample, tablesOf } from './sources';

/** What the CloudWatch reads from the local DynamoDB: its failed calls. */
export interface DynamoDbSource {
  onCallFailed(listener: (failure: { operation: string; request: object; error: { code: string; httpStatus: number } }) => void): () => void;
}

/** What the CloudWatch samples from the local SQS each minute. */
export interface SqsSource {
  listQueues(): { name: string; visible: number; inFlight: number; delayed: number }[];
  peekMessages(queueName: string, limit?: number): { sentTimestamp: number; receiveCount: number }[];
}

export interface AlarmState {
  value: AlarmStateValue;
  reason: string;
  /** JSON text, when the evaluation (or SetAlarmState) gave some. */
  reasonData?: string;
  /** Last update of the state, epoch ms. */
  updatedAt: number;
}

export interface AlarmHistoryItem {
  alarmName: string;
  timestamp: number;
  summary: string;
  /** JSON text: {version, oldState, newState}. */
  data: string;
}

export interface AlarmRecord {
  config: AlarmConfig;
  state: AlarmState;
  /** When the state value last changed, epoch ms. */
  transitionedAt: number;
  configuredAt: number;
  /** Newest last, at most {@link MAX_HISTORY}. */
  history: AlarmHistoryItem[];
}

/** An EventBridge entry the CloudWatch service puts (on the default bus, as AWS does, past any PutEvents fault). */
export interface ServiceEventEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  Resources: string[];
  /** Epoch ms. */
  Time: number;
}

export interface LocalCloudWatchOptions {
  clock: Clock;
  /** Where alarm state changes go (the local EventBridge's default bus). */
  publish?: (entry: ServiceEventEntry) => void;
  region?: string;
  account?: string;
  /** Progress lines (state changes). */
  log?: (line: string) => void;
  /** How long metrics are kept (default 24 hours). */
  retentionMs?: number;
}

/** What the local CloudWatch evaluates and publishes: metrics the services produce. */
export const PRODUCED_METRICS: Record<string, string[]> = {
  'AWS/SQS': ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed', 'ApproximateAgeOfOldestMessage'],
  'AWS/DynamoDB': ['ThrottledRequests', 'SystemErrors', 'UserErrors', 'ReadThrottleEvents', 'WriteThrottleEvents', 'ConditionalCheckFailedRequests'],
  'AWS/States': ['ExecutionsStarted', 'ExecutionsSucceeded', 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionTime'],
};

/** Dimension sets AWS publishes the DynamoDB metrics with: an alarm on another set never gets data. */
const DYNAMODB_DIMENSIONS: Record<string, string> = {
  ThrottledRequests: 'TableName,Operation',
  SystemErrors: 'TableName,Operation',
  UserErrors: '',
  ReadThrottleEvents: 'TableName',
  WriteThrottleEvents: 'TableName',
  ConditionalCheckFailedRequests: 'TableName',
};

export const MAX_HISTORY = 100;
/** Minute boundaries evaluated per catch-up (one day); older skipped ones are not. */
const MAX_CATCH_UP_MINUTES = 1440;

export class LocalCloudWatch {
  readonly metrics: MetricStore;
  readonly region: string;
  readonly account: string;
  private readonly alarms = new Map<string, AlarmRecord>();
  /** Gauges sampled at minute boundaries (the services' state now stands for every minute of a catch-up). */
  private readonly samplers: ((minutes: number[]) => void)[] = [];
  private readonly clock: Clock;
  private cancel: () => void = () => undefined;
  private running = false;
  /** The last minute boundary processed (epoch ms). */
  private lastBoundary: number;

  constructor(private readonly options: LocalCloudWatchOptions) {
    this.clock = options.clock;
    this.region = options.region ?? 'us-east-1';
    this.account = options.account ?? '000000000000';
    this.metrics = new MetricStore({ now: () => this.now(), retentionMs: options.retentionMs });
    this.lastBoundary = Math.floor(this.now() / MINUTE_MS) * MINUTE_MS;
  }

  // ---- alarms ------------------------------------------------------------------------------

  alarmArn(name: string): string {
    return `arn:aws:cloudwatch:${this.region}:${this.account}:alarm:${name}`;
  }

  /**
   * Adds an alarm (PutMetricAlarm, or the template's), or replaces one of that name keeping its state.
   * Throws {@link AlarmConfigError} when it cannot be evaluated locally.
   */
  putAlarm(properties: Record<string, any>, where: { name: string; source: string }): AlarmRecord {
    const config = parseAlarm(properties, { name: where.name, arn: this.alarmArn(where.name), source: where.source });
    const now = this.now();
    const existing = this.alarms.get(config.name);
    const record: AlarmRecord = existing
      ? { ...existing, config, configuredAt: now }
      : { config, configuredAt: now, transitionedAt: now, state: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation', updatedAt: now }, history: [] };
    this.alarms.set(config.name, record);
    return record;
  }

  deleteAlarm(name: string): boolean {
    return this.alarms.delete(name);
  }

  getAlarm(name: string): AlarmRecord | undefined {
    return this.alarms.get(name);
  }

  listAlarms(): AlarmRecord[] {
    return [...this.alarms.values()].sort((a, b) => a.config.name.localeCompare(b.config.name));
  }

  /**
   * Why an alarm will never leave INSUFFICIENT_DATA (or its treat-missing state) locally: it watches an AWS
   * metric the local services do not produce, or with dimensions AWS does not publish it with.
   */
  unproducedMetrics(config: AlarmConfig): string[] {
    const ids: MetricId[] = config.metric ? [config.metric.id] : (config.metrics ?? []).flatMap((m) => (m.metricStat ? [m.metricStat.metric] : []));
    const problems: string[] = [];
    for (const id of ids) {
      if (!id.namespace.startsWith('AWS/')) continue;
      const produced = PRODUCED_METRICS[id.namespace];
      if (!produced?.includes(id.name)) {
        problems.push(`${id.namespace} ${id.name} is not produced by the local cloud`);
        continue;
      }
      const expected = DYNAMODB_DIMENSIONS[id.name];
      const actual = Object.keys(id.dimensions).sort().join(',');
      if (id.namespace === 'AWS/DynamoDB' && expected !== undefined && actual !== expected.split(',').filter(Boolean).sort().join(',')) {
        problems.push(`AWS publishes ${id.name} with dimensions [${expected}], not [${actual}]: this alarm gets no data on AWS either`);
      }
    }
    return problems;
  }

  /** SetAlarmState: the state until the next evaluation changes it again. Throws when there is no such alarm. */
  setAlarmState(name: string, value: AlarmStateValue, reason: string, reasonData?: string): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new AlarmNotFoundError(name);
    this.transition(alarm, { value, reason, reasonData, updatedAt: this.now() });
  }

  /**
   * The template's `AWS::CloudWatch::Alarm`s: each gets its name (AlarmName, or the generated one) and ARN in the
   * template (so rules and outputs that refer to it resolve), and is evaluated from now on. What cannot be
   * evaluated, or can never get data locally, is said in `warnings`.
   */
  loadTemplateAlarms(template: Pick<ResolvedTemplate, 'resourcesOfType' | 'ref' | 'setPhysical'>, warnings: string[]): void {
    for (const { logicalId, properties } of template.resourcesOfType('AWS::CloudWatch::Alarm')) {
      const name = typeof properties.AlarmName === 'string' && properties.AlarmName ? properties.AlarmName : template.ref(logicalId);
      template.setPhysical(logicalId, { ref: name, attributes: { Arn: this.alarmArn(name) } });
      try {
        const record = this.putAlarm(properties, { name, source: logicalId });
        for (const problem of this.unproducedMetrics(record.config)) warnings.push(`${logicalId}: ${problem}`);
      } catch (error) {
        if (!(error instanceof AlarmConfigError)) throw error;
        warnings.push(`${error.message} (alarm not evaluated)`);
      }
    }
  }

  // ---- metric sources ----------------------------------------------------------------------

  /**
   * Feeds the metrics from the local services: DynamoDB's failed calls as they happen, SQS's gauges every minute.
   * Returns the function that stops listening.
   */
  watch(services: { dynamodb?: DynamoDbSource; sqs?: SqsSource }): () => void {
    const stops: (() => void)[] = [];
    const { dynamodb, sqs } = services;
    if (dynamodb) {
      stops.push(
        dynamodb.onCallFailed((f) => this.recordDynamoDbFailure({ operation: f.operation, tableNames: tablesOf(f.request), code: f.error.code, httpStatus: f.error.httpStatus })),
      );
    }
    if (sqs) {
      this.sampleQueues(() =>
        sqs.listQueues().map((q) => ({
          name: q.name,
          visible: q.visible,
          inFlight: q.inFlight,
          delayed: q.delayed,
          messages: sqs.peekMessages(q.name, Infinity).map((m) => ({ sent: m.sentTimestamp, receives: m.receiveCount })),
        })),
      );
    }
    return () => stops.forEach((stop) => stop());
  }

  /** Samples these queues at every minute boundary (AWS/SQS gauges). */
  sampleQueues(list: () => QueueSample[]): void {
    this.samplers.push((minutes) => {
      const queues = list();
      for (const minute of minutes) for (const q of queues) recordQueueSample(this.metrics, q, minute - MINUTE_MS, minute);
    });
  }

  /** A DynamoDB call that failed (fault injection or DynamoDB's own error). */
  recordDynamoDbFailure(failure: DynamoDbFailure): void {
    recordDynamoDbFailure(this.metrics, failure, this.now());
  }

  /** A Step Functions execution that started or ended. */
  recordExecution(execution: { stateMachineArn: string; status: string; startDate: Date; stopDate?: Date }): void {
    recordExecution(this.metrics, execution);
  }

  /** One line a Lambda logged: embedded-metric-format lines become metrics. */
  recordLogLine(line: string): void {
    for (const m of parseEmf(line, this.now())) this.metrics.put(m.id, m.values, m.time, { unit: m.unit });
  }

  // ---- time --------------------------------------------------------------------------------

  /** Starts the minute ticks. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    this.cancel();
  }

  /**
   * Processes every minute boundary up to now not yet processed (sampling, then evaluating each alarm as of that
   * minute). Called by the clock's timer; callable directly (tests, after a PutMetricData).
   */
  tick(): void {
    const now = this.now();
    const boundary = Math.floor(now / MINUTE_MS) * MINUTE_MS;
    if (boundary <= this.lastBoundary) return;
    const first = Math.max(this.lastBoundary + MINUTE_MS, boundary - (MAX_CATCH_UP_MINUTES - 1) * MINUTE_MS);
    this.lastBoundary = boundary;
    const minutes: number[] = [];
    for (let minute = first; minute <= boundary; minute += MINUTE_MS) minutes.push(minute);
    for (const sample of this.samplers) sample(minutes);
    for (const minute of minutes) this.evaluateAll(minute);
    this.metrics.prune();
  }

  /** Evaluates every alarm as of `at` (epoch ms) and publishes the state changes. */
  evaluateAll(at: number = this.now()): void {
    for (const alarm of this.alarms.values()) {
      let result;
      try {
        result = evaluateAlarm(alarm.config, evaluationRange(this.metrics, alarm.config, at), at);
      } catch (error) {
        this.options.log?.(`alarm ${alarm.config.name}: not evaluated: ${(error as Error).message}`);
        continue;
      }
      if (result && result.state !== alarm.state.value) this.transition(alarm, { value: result.state, reason: result.reason, reasonData: result.reasonData, updatedAt: at });
    }
  }

  private transition(alarm: AlarmRecord, next: AlarmState): void {
    const previous = alarm.state;
    alarm.state = next;
    const name = alarm.config.name;
    const stateJson = (s: AlarmState) => ({ stateValue: s.value, stateReason: s.reason, ...(s.reasonData ? { stateReasonData: JSON.parse(s.reasonData) } : {}) });
    alarm.history.push({
      alarmName: name,
      timestamp: next.updatedAt,
      summary: `Alarm updated from ${previous.value} to ${next.value}`,
      data: JSON.stringify({ version: '1.0', oldState: stateJson(previous), newState: stateJson(next) }),
    });
    if (alarm.history.length > MAX_HISTORY) alarm.history.splice(0, alarm.history.length - MAX_HISTORY);
    if (previous.value === next.value) return;
    alarm.transitionedAt = next.updatedAt;
    this.options.log?.(`alarm ${name}: ${previous.value} → ${next.value}: ${next.reason}`);
    const eventState = (s: AlarmState) => ({ value: s.value, reason: s.reason, ...(s.reasonData ? { reasonData: s.reasonData } : {}), timestamp: stateTimestamp(s.updatedAt) });
    this.publish({
      Source: 'aws.cloudwatch',
      DetailType: 'CloudWatch Alarm State Change',
      Resources: [alarm.config.arn],
      Time: next.updatedAt,
      Detail: JSON.stringify({
        alarmName: name,
        state: eventState(next),
        previousState: eventState(previous),
        configuration: { ...(alarm.config.description ? { description: alarm.config.description } : {}), metrics: eventMetrics(alarm.config) },
      }),
    });
  }

  /** Puts a state change on the bus; a failure there is logged, never thrown into the clock's advance. */
  private publish(entry: ServiceEventEntry): void {
    try {
      this.options.publish?.(entry);
    } catch (error) {
      this.options.log?.(`alarm ${JSON.parse(entry.Detail).alarmName}: state change not published: ${(error as Error).message}`);
    }
  }

  private arm(): void {
    if (!this.running) return;
    const now = this.now();
    const next = Math.floor(now / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    this.cancel = startTimer(this.clock, next - now, () => {
      try {
        this.tick();
      } finally {
        this.arm();
      }
    });
  }

  /** The clock's time, epoch ms. */
  now(): number {
    return this.clock.now().getTime();
  }
}

export class AlarmNotFoundError extends Error {
  override name = 'AlarmNotFoundError';
  constructor(readonly alarmName: string) {
    super(`Alarm ${alarmName} not found`);
  }
}

/** `configuration.metrics` of the state change events (camelCase, dimensions as a map). */
function eventMetrics(config: AlarmConfig): unknown[] {
  const stat = (metric: MetricId, period: number, s: string) => ({ metric: { namespace: metric.namespace, name: metric.name, dimensions: metric.dimensions }, period, stat: s });
  if (config.metric) {
    return [{ id: metricQueryId(config), metricStat: stat(config.metric.id, config.metric.period, config.metric.statistic ?? config.metric.extendedStatistic!), returnData: true }];
  }
  return (config.metrics ?? []).map((m) => ({
    id: m.id,
    ...(m.expression ? { expression: m.expression } : {}),
    ...(m.label ? { label: m.label } : {}),
    ...(m.metricStat ? { metricStat: stat(m.metricStat.metric, m.metricStat.period, m.metricStat.stat) } : {}),
    returnData: m.returnData !== false,
  }));
}

export { AlarmConfigError, namespacesOf, periodOf };
export type { AlarmConfig, AlarmStateValue } from './alarms';
export { MetricStore } from './metrics';
export type { MetricId } from './metrics';
