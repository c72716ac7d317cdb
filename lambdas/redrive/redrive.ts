import { SFNClient, StartSyncExecutionCommand, StartSyncExecutionCommandOutput } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';

/** Where one resource's failed requests wait, and the state machine that replays them. */
export interface RedriveTarget {
  resource: string;
  queueUrl: string;
  stateMachineArn: string;
}

export type Outcome =
  /** Replayed and answered 2xx: the write is stored (or was already). Message deleted. */
  | 'applied'
  /** Replayed and answered 4xx (e.g. 404, 409 superseded, 422): it can never succeed. Message deleted. */
  | 'rejected'
  /** Replay failed again (5xx, FAILED or TIMED_OUT execution): message kept for a later redrive. */
  | 'kept'
  /** Unreadable, or received more than maxReceives times: not replayed, kept with its receive count. */
  | 'poison';

export interface MessageOutcome {
  messageId: string;
  requestId?: string;
  receiveCount: number;
  outcome: Outcome;
  statusCode?: number;
  executionArn?: string;
  error?: string;
}

export interface RedriveOptions {
  /** Stop after this many messages (default 100). */
  maxMessages?: number;
  /** Messages received more often than this are poison and are not replayed (default 5). */
  maxReceives?: number;
  /** Epoch ms after which no new message is started (Lambda's remaining time). */
  deadline?: number;
  /** Called after each message (progress for the CLI and logs). */
  onOutcome?: (outcome: MessageOutcome) => void;
  /**
   * Only these messages (SQS MessageIds) are replayed. Other messages received on the way are not
   * replayed, not counted (maxMessages, outcomes) and not deleted: they are released
   * (ChangeMessageVisibility 0) as soon as the search ends — every requested id handled, or the queue
   * exhausted — instead of staying hidden for the receive's 60 s. They cannot be released while the search
   * goes on: visible again, the next ReceiveMessage would hand them back and the search would never get
   * past them. SQS still counts the receive (ApproximateReceiveCount). An empty list replays nothing.
   * Ids not in the queue are simply absent from the outcomes.
   */
  messageIds?: readonly string[];
}

/** What the state machine puts on the queue (statemachines/crud-resource.asl.json, SendToDeadLetterQueue). */
interface QueuedRequest {
  request: Record<string, unknown> & { requestId: string };
  requestId: string;
  error?: string;
}

/**
 * Replays each queued request through the resource's own state machine (StartSyncExecution) and
 * deletes a message only on a terminal outcome. Replays are safe: every write is idempotent
 * (docs/idempotency.md), and a replay that fails again is not re-queued by the state machine.
 */
export async function redriveQueue(
  target: RedriveTarget,
  clients: { sqs: SQSClient; sfn: SFNClient },
  options: RedriveOptions = {},
): Promise<MessageOutcome[]> {
  const maxMessages = options.maxMessages ?? 100;
  const maxReceives = options.maxReceives ?? 5;
  const wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  const outcomes: MessageOutcome[] = [];
  const seen = new Set<string>();
  /** Messages not deleted (kept, poison) → their latest receipt handle; made visible again when the run ends. */
  const unfinished = new Map<string, string>();
  /** With messageIds: messages received but not asked for → their latest receipt handle; released when the search ends. */
  const skipped = new Map<string, string>();
  const pending = () => (wanted ? [...wanted].some((id) => !seen.has(id)) : true);
  while (outcomes.length < maxMessages && pending() && !(options.deadline && Date.now() > options.deadline)) {
    const { Messages: messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: target.queueUrl,
        // While searching for given ids, a batch may hold none of them: always ask for a full one.
        MaxNumberOfMessages: wanted ? 10 : Math.min(10, maxMessages - outcomes.length),
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    // A message handled earlier in this run may come back after its visibility timeout: only its newest handle is valid.
    for (const m of messages) {
      if (unfinished.has(m.MessageId!)) unfinished.set(m.MessageId!, m.ReceiptHandle!);
      if (skipped.has(m.MessageId!)) skipped.set(m.MessageId!, m.ReceiptHandle!);
    }
    const fresh = messages.filter((m) => !seen.has(m.MessageId!));
    if (fresh.length === 0) break;
    for (const message of fresh) {
      seen.add(message.MessageId!);
      if (wanted && !wanted.has(message.MessageId!)) {
        skipped.set(message.MessageId!, message.ReceiptHandle!);
        continue;
      }
      if (outcomes.length >= maxMessages) {
        // Received in this batch but over the limit: not replayed, released with the others.
        skipped.set(message.MessageId!, message.ReceiptHandle!);
        continue;
      }
      const outcome = await replay(target, clients, message, maxReceives);
      if (outcome.outcome === 'applied' || outcome.outcome === 'rejected') {
        await clients.sqs.send(new DeleteMessageCommand({ QueueUrl: target.queueUrl, ReceiptHandle: message.ReceiptHandle }));
      } else {
        unfinished.set(message.MessageId!, message.ReceiptHandle!);
      }
      outcomes.push(outcome);
      options.onOutcome?.(outcome);
    }
  }
  // Visible again for the next redrive or an operator, but only now: made visible at once, the next
  // ReceiveMessage of this very run would take it back (hidden 60 s more, one more receive counted).
  for (const receiptHandle of [...skipped.values(), ...unfinished.values()]) {
    await clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: target.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }));
  }
  return outcomes;
}

async function replay(
  target: RedriveTarget,
  clients: { sfn: SFNClient },
  message: Message,
  maxReceives: number,
): Promise<MessageOutcome> {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '1');
  const base = { messageId: message.MessageId!, receiveCount };
  let queued: QueuedRequest;
  try {
    queued = JSON.parse(message.Body ?? '');
    if (!queued?.request || typeof queued.requestId !== 'string') throw new Error('no request in message');
  } catch (error) {
    return { ...base, outcome: 'poison', error: `unreadable message: ${(error as Error).message}` };
  }
  if (receiveCount > maxReceives) {
    return { ...base, requestId: queued.requestId, outcome: 'poison', error: `received ${receiveCount} times (max ${maxReceives})` };
  }
  let execution: StartSyncExecutionCommandOutput;
  try {
    execution = await clients.sfn.send(
      new StartSyncExecutionCommand({
        stateMachineArn: target.stateMachineArn,
        name: executionName(queued.requestId, receiveCount),
        input: JSON.stringify({ ...queued.request, replay: true }),
      }),
    );
  } catch (error) {
    // Throttled, unavailable, or misconfigured: nothing ran; keep the message and go on with the next one.
    return { ...base, requestId: queued.requestId, outcome: 'kept', error: `StartSyncExecution failed: ${(error as Error).name}: ${(error as Error).message}` };
  }
  const common = { ...base, requestId: queued.requestId, executionArn: execution.executionArn };
  if (execution.status !== 'SUCCEEDED') return { ...common, outcome: 'kept', error: `${execution.status}: ${execution.error ?? ''}` };
  const statusCode = responseStatus(execution.output);
  if (statusCode >= 200 && statusCode < 300) return { ...common, outcome: 'applied', statusCode };
  if (statusCode >= 400 && statusCode < 500) return { ...common, outcome: 'rejected', statusCode };
  return { ...common, outcome: 'kept', ...(Number.isNaN(statusCode) ? { error: 'output is not a {statusCode, ...} response' } : { statusCode }) };
}

/** The statusCode of the workflow's {statusCode, headers, body} output; NaN when it is not one. */
function responseStatus(output: string | undefined): number {
  try {
    return Number(JSON.parse(output ?? '{}').statusCode);
  } catch {
    return NaN;
  }
}

/** Execution names: at most 80 characters of [A-Za-z0-9-_]; the request id stays findable in the console. */
export function executionName(requestId: string, receiveCount: number): string {
  const suffix = `-redrive-${receiveCount}`;
  return requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - suffix.length) + suffix;
}
