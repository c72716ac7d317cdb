/**
 * The redrive Lambda (queued requests replayed, deferred events published): on its EventBridge schedule
 * (`{}`), on EventBridge events when a cause clears (any envelope with `detail-type`; `detail.resource`
 * picks one resource), and on demand
 * (`aws lambda invoke --payload '{"resource":"orders"}'`). The replay contract is in redrive.ts.
 *
 * The resources' queues are replayed in parallel (each with its own `concurrency`), so a long queue does
 * not eat the time of the others; one run at a time (reserved concurrency 1, cdk/redrive.ts).
 * Logs one JSON line per outcome as it happens, and per resource a summary line in CloudWatch embedded
 * metric format when METRICS_NAMESPACE is set (OldestQueuedRequestAgeSeconds feeds the queued-age alarm).
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../shared/aws-client-config';
import { DEFAULTS, RedriveSummary, RedriveTarget, redriveQueue } from './redrive';

const clients = { sqs: new SQSClient(awsClientConfig()), sfn: new SFNClient(awsClientConfig()), events: new EventBridgeClient(awsClientConfig()) };

/** Leave a full StartSyncExecution (the workflow times out at 27 s) of margin before the Lambda timeout. */
export const DEADLINE_MARGIN_MS = 35_000;

export interface RedriveRequest {
  /** One resource (e.g. "orders"); all resources when omitted (the schedule's case). */
  resource?: string;
  /** At most this many messages per queue (default 100). */
  maxMessages?: number;
  /** Only these SQS message ids (needs `resource`); see RedriveOptions.messageIds. */
  messageIds?: string[];
}

/** An EventBridge event, e.g. a flag change or a cleared fault: every resource, or `detail.resource`. */
export interface RedriveEventBridgeEvent {
  'detail-type': string;
  source?: string;
  detail?: { resource?: unknown } & Record<string, unknown>;
}

export type RedriveEvent = RedriveRequest | RedriveEventBridgeEvent;

export type RedriveResult = Record<string, RedriveSummary>;

export async function handler(event: RedriveEvent = {}, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<RedriveResult> {
  const targets: RedriveTarget[] = JSON.parse(process.env.REDRIVE_TARGETS ?? '[]');
  const request = toRequest(event ?? {}, targets);
  const selected = request.resource ? targets.filter((t) => t.resource === request.resource) : targets;
  if (request.resource && selected.length === 0) {
    throw new Error(`Unknown resource "${request.resource}"; known: ${targets.map((t) => t.resource).join(', ')}`);
  }
  if (request.messageIds && !request.resource) throw new Error('"messageIds" needs "resource": message ids belong to one queue');
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS : undefined;
  const requeueAfterSeconds = positiveNumber(process.env.REQUEUE_AFTER_SECONDS) ?? DEFAULTS.requeueAfterSeconds;
  const concurrency = positiveNumber(process.env.REDRIVE_CONCURRENCY) ?? DEFAULTS.concurrency;

  const runs = selected.map(async (target): Promise<[string, RedriveSummary]> => {
    let summary: RedriveSummary;
    try {
      summary = await redriveQueue(target, clients, {
        maxMessages: request.maxMessages,
        messageIds: request.messageIds,
        deadline,
        concurrency,
        requeueAfterSeconds,
        onOutcome: (o) => console.log(JSON.stringify({ resource: target.resource, ...o })),
      });
    } catch (error) {
      // One queue failing (e.g. it does not exist) must not cost the others their run or their results.
      const message = `${(error as Error).name}: ${(error as Error).message}`;
      console.error(JSON.stringify({ resource: target.resource, level: 'ERROR', message: `redrive failed: ${message}` }));
      summary = { applied: 0, rejected: 0, kept: 0, poison: 0, requeued: 0, published: 0, stoppedBecause: 'error', error: message, outcomes: [] };
    }
    logSummary(target.resource, summary);
    return [target.resource, summary];
  });
  return Object.fromEntries(await Promise.all(runs));
}

function toRequest(event: RedriveEvent, targets: RedriveTarget[]): RedriveRequest {
  if (!('detail-type' in event)) return event as RedriveRequest;
  const resource = event.detail?.resource;
  if (typeof resource === 'string' && resource) {
    if (targets.some((t) => t.resource === resource)) return { resource };
    console.warn(JSON.stringify({ level: 'WARN', message: `event names unknown resource "${resource}": redriving every resource`, 'detail-type': event['detail-type'] }));
  }
  return {};
}

function positiveNumber(text: string | undefined): number | undefined {
  const n = Number(text);
  return text !== undefined && text !== '' && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** One line per resource: the counts, and (EMF) the age of the oldest request seen, for the alarm in cdk/redrive.ts. */
function logSummary(resource: string, s: RedriveSummary): void {
  const now = Date.now();
  const counts = { Applied: s.applied, Rejected: s.rejected, Kept: s.kept, Poison: s.poison, Requeued: s.requeued, Published: s.published };
  const age = s.oldestSentTimestamp !== undefined ? { OldestQueuedRequestAgeSeconds: Math.max(0, Math.round((now - s.oldestSentTimestamp) / 1000)) } : {};
  const namespace = process.env.METRICS_NAMESPACE;
  const metrics = namespace
    ? {
        _aws: {
          Timestamp: now,
          CloudWatchMetrics: [
            {
              Namespace: namespace,
              Dimensions: [['Resource']],
              Metrics: [...Object.keys(counts).map((Name) => ({ Name, Unit: 'Count' })), ...Object.keys(age).map((Name) => ({ Name, Unit: 'Seconds' }))],
            },
          ],
        },
      }
    : {};
  console.log(JSON.stringify({ ...metrics, Resource: resource, summary: true, ...counts, ...age, ...(s.stoppedBecause ? { stoppedBecause: s.stoppedBecause } : {}) }));
}
