/**
 * The dead-letter queues as the console shows them: each resource's messages, read with
 * `SqsService.peekMessages` (nothing is received, receive counts are untouched), and redrives through
 * `redriveQueue` from lambdas/redrive/redrive.ts with real SDK clients against the local endpoint — the
 * very code path of the redrive Lambda.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { MessageOutcome, redriveQueue } from '../../lambdas/redrive/redrive';
import type { LocalResource } from '../cloud-types';
import type { SqsService } from '../services/sqs';

export interface DlqMessage {
  messageId: string;
  requestId?: string;
  /** The request as API Gateway's template handed it to the state machine. */
  request?: { method?: string; path?: string; id?: string; body?: unknown; headers?: Record<string, unknown> };
  /** A deferred change event (kind "event", DeferEvent): the redrive publishes it, never replays it. */
  event?: { source?: string; detailType?: string; detail?: string };
  error?: string;
  cause?: string;
  /** The execution that queued it. */
  executionArn?: string;
  /** When the state machine queued it (its queuedAt), else when SQS got it. */
  queuedAt: string;
  sentAt: string;
  receiveCount: number;
  /** false while a redrive (or another consumer) has it in flight. */
  visible: boolean;
  /** Set when the body is not what the state machine sends. */
  unreadable?: string;
  body: string;
}

export interface DlqSection {
  resource: string;
  queueName: string;
  queueUrl: string;
  count: number;
  messages: DlqMessage[];
}

export interface DlqOptions {
  sqs: SqsService;
  resources: LocalResource[];
  /** The AWS-compatible endpoint the SDK clients talk to. */
  endpointUrl: string;
}

const CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  disableHostPrefix: true,
};

export class DeadLetterQueues {
  private clients?: { sqs: SQSClient; sfn: SFNClient; events: EventBridgeClient };
  /** One redrive at a time per queue: concurrent ones would take each other's messages. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly options: DlqOptions) {}

  /** Every resource's queue with its messages (oldest first). */
  sections(limit = 100): DlqSection[] {
    return this.options.resources.map((r) => this.section(r, limit));
  }

  section(resource: LocalResource, limit = 100): DlqSection {
    const queueName = queueNameOf(resource.deadLetterQueueUrl);
    let messages: DlqMessage[] = [];
    try {
      messages = this.options.sqs.peekMessages(queueName, limit).map(toDlqMessage);
    } catch {
      // The queue is gone (deleted through the API): shown empty.
    }
    return { resource: resource.name, queueName, queueUrl: resource.deadLetterQueueUrl, count: messages.length, messages };
  }

  /** Message counts by resource (cheap enough to poll every second). */
  counts(): Record<string, { count: number; ids: string }> {
    const out: Record<string, { count: number; ids: string }> = {};
    for (const r of this.options.resources) {
      try {
        const messages = this.options.sqs.peekMessages(queueNameOf(r.deadLetterQueueUrl), 1000);
        out[r.name] = { count: messages.length, ids: messages.map((m) => `${m.messageId}:${m.receiveCount}:${m.visible ? 1 : 0}`).join(',') };
      } catch {
        out[r.name] = { count: 0, ids: '' };
      }
    }
    return out;
  }

  resource(name: string): LocalResource | undefined {
    return this.options.resources.find((r) => r.name === name);
  }

  /**
   * Replays the resource's queued requests: all of them, or only `messageIds` (the others are released at
   * once, see RedriveOptions.messageIds). Resolves with one outcome per message replayed.
   */
  redrive(resource: LocalResource, options: { messageIds?: string[]; onOutcome?: (o: MessageOutcome) => void } = {}): Promise<MessageOutcome[]> {
    const target = { resource: resource.name, queueUrl: resource.deadLetterQueueUrl, stateMachineArn: resource.stateMachineArn };
    const previous = this.queues.get(resource.name) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(() => redriveQueue(target, this.sdk(), { messageIds: options.messageIds, onOutcome: options.onOutcome }))
      .then((summary) => summary.outcomes);
    const settled = run.catch(() => undefined);
    this.queues.set(resource.name, settled);
    void settled.then(() => {
      if (this.queues.get(resource.name) === settled) this.queues.delete(resource.name);
    });
    return run;
  }

  close(): void {
    this.clients?.sqs.destroy();
    this.clients?.sfn.destroy();
    this.clients?.events.destroy();
    this.clients = undefined;
  }

  private sdk(): { sqs: SQSClient; sfn: SFNClient; events: EventBridgeClient } {
    this.clients ??= {
      sqs: new SQSClient({ ...CLIENT_CONFIG, endpoint: this.options.endpointUrl }),
      sfn: new SFNClient({ ...CLIENT_CONFIG, endpoint: this.options.endpointUrl }),
      // Deferred events (kind "event") are published, not replayed.
      events: new EventBridgeClient({ ...CLIENT_CONFIG, endpoint: this.options.endpointUrl }),
    };
    return this.clients;
  }
}

export function queueNameOf(queueUrl: string): string {
  return queueUrl.replace(/\/+$/, '').split('/').pop() ?? queueUrl;
}

/** A peeked message, decoded from what SendToDeadLetterQueue writes (statemachines/crud-resource.asl.json). */
function toDlqMessage(m: { messageId: string; body: string; sentTimestamp: number; receiveCount: number; visible: boolean; messageAttributes?: Record<string, { StringValue?: string }> }): DlqMessage {
  const sentAt = new Date(m.sentTimestamp).toISOString();
  const base: DlqMessage = { messageId: m.messageId, queuedAt: sentAt, sentAt, receiveCount: m.receiveCount, visible: m.visible, body: m.body };
  let parsed: any;
  try {
    parsed = JSON.parse(m.body);
  } catch (error) {
    return { ...base, unreadable: `not JSON: ${(error as Error).message}`, requestId: m.messageAttributes?.requestId?.StringValue };
  }
  if (parsed && typeof parsed === 'object' && parsed.kind === 'event' && parsed.entry && typeof parsed.entry === 'object') {
    const { Source: source, DetailType: detailType, Detail: detail } = parsed.entry;
    return {
      ...base,
      ...(typeof parsed.requestId === 'string' ? { requestId: parsed.requestId } : {}),
      event: { source, detailType, detail: typeof detail === 'string' ? detail : JSON.stringify(detail) },
      ...(parsed.error !== undefined ? { error: String(parsed.error) } : {}),
      ...(typeof parsed.executionArn === 'string' ? { executionArn: parsed.executionArn } : {}),
      ...(typeof parsed.queuedAt === 'string' ? { queuedAt: parsed.queuedAt } : {}),
    };
  }
  if (!parsed || typeof parsed !== 'object' || !parsed.request) {
    return { ...base, unreadable: 'no "request" in the message', requestId: m.messageAttributes?.requestId?.StringValue };
  }
  const request = parsed.request;
  return {
    ...base,
    requestId: typeof parsed.requestId === 'string' ? parsed.requestId : request.requestId,
    request: { method: request.method, path: request.path, id: request.id, body: request.body, headers: request.headers },
    ...(parsed.error !== undefined ? { error: String(parsed.error) } : {}),
    ...(parsed.cause !== undefined ? { cause: String(parsed.cause) } : {}),
    ...(typeof parsed.executionArn === 'string' ? { executionArn: parsed.executionArn } : {}),
    ...(typeof parsed.queuedAt === 'string' ? { queuedAt: parsed.queuedAt } : {}),
  };
}
