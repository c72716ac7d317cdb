/**
 * Where the local metrics come from: what each AWS service would publish, computed from the local services.
 *
 *   AWS/SQS       ApproximateNumberOfMessagesVisible, ...NotVisible, ...Delayed, ApproximateAgeOfOldestMessage
 *                 (QueueName), sampled once a minute. As on AWS, the age skips messages received 3 times or more.
 *   AWS/DynamoDB  ThrottledRequests, SystemErrors (TableName, Operation); ReadThrottleEvents, WriteThrottleEvents,
 *                 ConditionalCheckFailedRequests (TableName); UserErrors (no dimension) — one per failed call.
 *   AWS/States    ExecutionsStarted, ExecutionsSucceeded, ExecutionsFailed, ExecutionsTimedOut, ExecutionsAborted,
 *                 ExecutionTime (StateMachineArn).
 *   custom        embedded metric format (EMF) lines a Lambda logs.
 */
import type { MetricId, MetricStore } from './metrics';

// ---------------------------------------------------------------------------------------------
// SQS
// ---------------------------------------------------------------------------------------------

export interface QueueSample {
  name: string;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Every message's send time (epoch ms) and receive count. */
  messages: { sent: number; receives: number }[];
}

/** AWS: "After a message is received three times (or more) and not processed, ... ApproximateAgeOfOldestMessage points at the second-oldest message that hasn't been received more than three times." */
export const AGE_EXCLUDES_RECEIVES = 3;

/**
 * Records one minute's SQS gauges, as SQS publishes them, with the timestamp of the minute that ended; the age is
 * as of `at` (the boundary), over the messages sent by then.
 */
export function recordQueueSample(store: MetricStore, q: QueueSample, minute: number, at: number): void {
  const dims = { QueueName: q.name };
  const put = (name: string, value: number, unit: string) => store.put({ namespace: 'AWS/SQS', name, dimensions: dims }, value, minute, { unit });
  put('ApproximateNumberOfMessagesVisible', q.visible, 'Count');
  put('ApproximateNumberOfMessagesNotVisible', q.inFlight, 'Count');
  put('ApproximateNumberOfMessagesDelayed', q.delayed, 'Count');
  let oldest = at;
  for (const m of q.messages) if (m.receives < AGE_EXCLUDES_RECEIVES && m.sent < oldest) oldest = m.sent;
  put('ApproximateAgeOfOldestMessage', Math.floor((at - oldest) / 1000), 'Seconds');
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

const THROTTLING = new Set(['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded']);
const READS = new Set(['GetItem', 'BatchGetItem', 'Query', 'Scan', 'TransactGetItems']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

export interface DynamoDbFailure {
  operation: string;
  /** The tables the call named (BatchWriteItem/BatchGetItem: each of RequestItems). */
  tableNames: string[];
  code: string;
  httpStatus: number;
}

/** The tables a DynamoDB request names. */
export function tablesOf(request: unknown): string[] {
  const r = (request ?? {}) as { TableName?: unknown; RequestItems?: unknown };
  if (typeof r.TableName === 'string') return [r.TableName];
  if (r.RequestItems && typeof r.RequestItems === 'object') return Object.keys(r.RequestItems);
  return [];
}

/**
 * Counts a failed call as DynamoDB would: throttling codes in ThrottledRequests (and Read/WriteThrottleEvents),
 * 5xx in SystemErrors, a failed condition in ConditionalCheckFailedRequests, any other 4xx in UserErrors.
 */
export function recordDynamoDbFailure(store: MetricStore, f: DynamoDbFailure, time: number): void {
  const put = (name: string, dimensions: Record<string, string>) => store.put({ namespace: 'AWS/DynamoDB', name, dimensions }, 1, time, { unit: 'Count' });
  if (THROTTLING.has(f.code)) {
    for (const table of f.tableNames) {
      put('ThrottledRequests', { TableName: table, Operation: f.operation });
      if (READS.has(f.operation)) put('ReadThrottleEvents', { TableName: table });
      if (WRITES.has(f.operation)) put('WriteThrottleEvents', { TableName: table });
    }
  } else if (f.httpStatus >= 500) {
    for (const table of f.tableNames) put('SystemErrors', { TableName: table, Operation: f.operation });
  } else if (f.code === 'ConditionalCheckFailedException') {
    for (const table of f.tableNames) put('ConditionalCheckFailedRequests', { TableName: table });
  } else if (f.httpStatus >= 400) {
    put('UserErrors', {});
  }
}

// ---------------------------------------------------------------------------------------------
// Step Functions
// ---------------------------------------------------------------------------------------------

const END_METRICS: Record<string, string> = {
  SUCCEEDED: 'ExecutionsSucceeded',
  FAILED: 'ExecutionsFailed',
  TIMED_OUT: 'ExecutionsTimedOut',
  ABORTED: 'ExecutionsAborted',
};

/** An execution's start (status RUNNING) or end, as Step Functions counts it. */
export function recordExecution(store: MetricStore, e: { stateMachineArn: string; status: string; startDate: Date; stopDate?: Date }): void {
  const dims = { StateMachineArn: e.stateMachineArn };
  if (e.status === 'RUNNING') {
    store.put({ namespace: 'AWS/States', name: 'ExecutionsStarted', dimensions: dims }, 1, e.startDate.getTime(), { unit: 'Count' });
    return;
  }
  const name = END_METRICS[e.status];
  if (!name || !e.stopDate) return;
  store.put({ namespace: 'AWS/States', name, dimensions: dims }, 1, e.stopDate.getTime(), { unit: 'Count' });
  store.put({ namespace: 'AWS/States', name: 'ExecutionTime', dimensions: dims }, e.stopDate.getTime() - e.startDate.getTime(), e.stopDate.getTime(), { unit: 'Milliseconds' });
}

// ---------------------------------------------------------------------------------------------
// Embedded metric format
// ---------------------------------------------------------------------------------------------

export interface EmfMetric {
  id: MetricId;
  values: number[];
  unit?: string;
  /** Epoch ms. */
  time: number;
}

/**
 * The metrics of one log line in embedded metric format
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
 * a JSON object whose `_aws.CloudWatchMetrics` directives name a namespace, dimension sets (names of root members)
 * and metrics (root members holding a number or an array of numbers). Not EMF (or invalid, which CloudWatch
 * would skip too): an empty list.
 */
export function parseEmf(line: string, fallbackTime: number): EmfMetric[] {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text);
  } catch {
    return [];
  }
  const aws = doc._aws as { Timestamp?: unknown; CloudWatchMetrics?: unknown } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const time = typeof aws.Timestamp === 'number' && Number.isFinite(aws.Timestamp) ? aws.Timestamp : fallbackTime;
  const out: EmfMetric[] = [];
  for (const directive of aws.CloudWatchMetrics as Record<string, unknown>[]) {
    const namespace = directive?.Namespace;
    if (typeof namespace !== 'string' || !namespace || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) ? (directive.Dimensions as unknown[]) : [[]];
    for (const metric of directive.Metrics as Record<string, unknown>[]) {
      const name = metric?.Name;
      if (typeof name !== 'string') continue;
      const raw = doc[name];
      const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (!values.length) continue;
      for (const set of dimensionSets) {
        if (!Array.isArray(set)) continue;
        const dimensions: Record<string, string> = {};
        let complete = true;
        for (const d of set) {
          const v = typeof d === 'string' ? doc[d] : undefined;
          if (typeof v !== 'string' && typeof v !== 'number') complete = false;
          else dimensions[d as string] = String(v);
        }
        if (complete) out.push({ id: { namespace, name, dimensions }, values, unit: typeof metric.Unit === 'string' ? metric.Unit : undefined, time });
      }
    }
  }
  return out;
}
