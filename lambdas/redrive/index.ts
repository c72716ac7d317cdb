import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { awsClientConfig } from '../shared/aws-client-config';
import { MessageOutcome, RedriveTarget, redriveQueue } from './redrive';

const clients = { sqs: new SQSClient(awsClientConfig()), sfn: new SFNClient(awsClientConfig()) };

export interface RedriveEvent {
  /** One resource (e.g. "orders"); all resources when omitted (the schedule's case). */
  resource?: string;
  maxMessages?: number;
  /** Only these SQS message ids (needs `resource`); see RedriveOptions.messageIds. */
  messageIds?: string[];
}

export type RedriveResult = Record<string, { applied: number; rejected: number; kept: number; poison: number; outcomes: MessageOutcome[] }>;

/** On demand (`aws lambda invoke ... --payload '{"resource":"orders"}'`) or on its schedule. */
export async function handler(event: RedriveEvent = {}, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<RedriveResult> {
  const targets: RedriveTarget[] = JSON.parse(process.env.REDRIVE_TARGETS ?? '[]');
  const selected = event.resource ? targets.filter((t) => t.resource === event.resource) : targets;
  if (event.resource && selected.length === 0) {
    throw new Error(`Unknown resource "${event.resource}"; known: ${targets.map((t) => t.resource).join(', ')}`);
  }
  if (event.messageIds && !event.resource) throw new Error('"messageIds" needs "resource": message ids belong to one queue');
  // Leave a full StartSyncExecution (up to 30 s) of margin before the Lambda timeout.
  const deadline = context ? Date.now() + context.getRemainingTimeInMillis() - 35_000 : undefined;
  const result: RedriveResult = {};
  for (const target of selected) {
    const outcomes = await redriveQueue(target, clients, {
      maxMessages: event.maxMessages,
      messageIds: event.messageIds,
      deadline,
      onOutcome: (o) => console.log(JSON.stringify({ resource: target.resource, ...o })),
    });
    const count = (kind: MessageOutcome['outcome']) => outcomes.filter((o) => o.outcome === kind).length;
    result[target.resource] = { applied: count('applied'), rejected: count('rejected'), kept: count('kept'), poison: count('poison'), outcomes };
  }
  return result;
}
