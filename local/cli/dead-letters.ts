/**
 * A resource's dead-letter queue through the SQS API (the same calls on the local cloud and on AWS).
 *
 * SQS has no "peek": listing receives the messages (hidden for LIST_VISIBILITY_SECONDS while the list is
 * built) and releases them at once afterwards (ChangeMessageVisibility 0). Each listing therefore adds
 * one to every listed message's ApproximateReceiveCount; the redrive ignores receive counts (only an
 * unreadable message is poison, lambdas/redrive/redrive.ts), so listing costs nothing but the receive.
 */
import { ChangeMessageVisibilityBatchCommand, GetQueueAttributesCommand, Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

export const LIST_VISIBILITY_SECONDS = 30;

export interface DeadLetter {
  messageId: string;
  /** The original request's id (X-Request-Id), when the body is readable. */
  requestId?: string;
  method?: string;
  path?: string;
  /** Why it was queued (e.g. DynamoDB.ProvisionedThroughputExceededException, ReadOnlyMode). */
  error?: string;
  cause?: string;
  executionArn?: string;
  /** When the workflow queued it (the body's queuedAt), else when SQS got it. */
  queuedAt?: Date;
  /** ApproximateReceiveCount as SQS reports it, including this listing's receive. */
  receiveCount: number;
  /** The body is not a request the redrive can replay: it will be left as poison. */
  unreadable: boolean;
  /** A deferred change event (kind "event"): the redrive publishes it, never replays it. */
  event?: { detailType?: string };
}

export function parseDeadLetter(message: Message): DeadLetter {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '0');
  const sent = Number(message.Attributes?.SentTimestamp);
  const base: DeadLetter = { messageId: message.MessageId ?? '', receiveCount, unreadable: true, queuedAt: Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined };
  let body: any;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    return base;
  }
  if (!body || typeof body !== 'object') return base;
  const request = body.request && typeof body.request === 'object' ? body.request : undefined;
  const queuedAt = typeof body.queuedAt === 'string' && !Number.isNaN(Date.parse(body.queuedAt)) ? new Date(body.queuedAt) : base.queuedAt;
  if (body.kind === 'event' && body.entry && typeof body.entry === 'object') {
    const detailType = typeof body.entry.DetailType === 'string' ? body.entry.DetailType : undefined;
    return { ...base, requestId: typeof body.requestId === 'string' ? body.requestId : undefined, event: { detailType }, error: body.error ?? undefined, executionArn: body.executionArn, queuedAt, unreadable: false };
  }
  return {
    ...base,
    requestId: typeof body.requestId === 'string' ? body.requestId : request?.requestId,
    method: request?.method,
    path: request?.path,
    error: body.error ?? undefined,
    cause: body.cause ?? undefined,
    executionArn: body.executionArn,
    queuedAt,
    unreadable: !request || typeof body.requestId !== 'string',
  };
}

export interface QueueDepth {
  /** Messages ready to be received (ApproximateNumberOfMessages). */
  visible: number;
  /** Received by someone (a redrive running now) and not yet deleted or released. */
  inFlight: number;
}

export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes: a = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  return { visible: Number(a.ApproximateNumberOfMessages ?? 0), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0) };
}

/** Up to `limit` messages of the queue, oldest first as SQS hands them out; all visible again when it returns. */
export async function listDeadLetters(sqs: SQSClient, queueUrl: string, limit: number): Promise<DeadLetter[]> {
  const received = new Map<string, Message>();
  try {
    while (received.size < limit) {
      const { Messages: batch = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, limit - received.size),
          VisibilityTimeout: LIST_VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
        }),
      );
      const fresh = batch.filter((m) => !received.has(m.MessageId!));
      for (const m of batch) received.set(m.MessageId!, m); // newest receipt handle wins
      if (fresh.length === 0) break;
    }
  } finally {
    await release(sqs, queueUrl, [...received.values()]);
  }
  return [...received.values()]
    .map(parseDeadLetter)
    .sort((a, b) => (a.queuedAt?.getTime() ?? 0) - (b.queuedAt?.getTime() ?? 0));
}

async function release(sqs: SQSClient, queueUrl: string, messages: Message[]): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const entries = messages.slice(i, i + 10).map((m, j) => ({ Id: String(i + j), ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
    await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
  }
}
