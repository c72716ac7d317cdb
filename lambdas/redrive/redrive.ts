/**
 * The redrive: replays each request waiting in a resource's dead-letter queue through the resource's own
 * state machine (StartSyncExecution, input `{...request, replay: true, queuedBecause, queuedAt}`, see
 * `replayInput`). The state machine records the
 * request's outcome and answers an already-final request from that record, so a replay is idempotent and a
 * message seen twice is harmless (docs/pitfalls.md #6). Used by the redrive Lambda (index.ts), the
 * operator CLI (local/cli/commands/dlq.ts) and the local console (local/console/dlq.ts).
 *
 * The contract
 *
 * 1. Classification (classify.ts, `classifyReplay` and `parseQueuedMessage`):
 *    - StartSyncExecution throws (throttled, service error, network) → `kept`;
 *    - execution FAILED or TIMED_OUT → `kept`;
 *    - SUCCEEDED with `{statusCode, headers}`: final iff statusCode < 500, not 408/429 and no Retry-After
 *      header → `applied` (2xx) or `rejected` (4xx: the state machine recorded why); otherwise `kept`
 *      (5xx, 408, 429, any answer with Retry-After such as "readOnly is still on" 503 or "in progress" 409,
 *      1xx/3xx, an output that is no response);
 *    - a body that is not JSON or has no request (or no requestId) → `poison`: never replayed, never
 *      deleted, released for an operator (the queue's age alarm pages) and reported.
 *    Only `applied` and `rejected` delete the message. Receive counts play no part: a transient cause never
 *    makes a request poison, however long it lasts (docs/pitfalls.md #14).
 * 2. Never crash, never lose a result: after the first ReceiveMessage, every SQS call (DeleteMessage,
 *    ChangeMessageVisibility, SendMessage) is caught; its error is recorded on that message's outcome
 *    (`deleteError`, `visibilityError`, `requeueError`) and the run goes on. A message whose delete failed
 *    comes back and its replay is answered from the request record. A ReceiveMessage failing later ends the
 *    run with `stoppedBecause: 'error'` and the results so far. `onOutcome` is called after each message.
 * 3. Receipts stay within their visibility (docs/pitfalls.md #18): messages are received 10 at a time with 60 s
 *    visibility, and only when a replay slot is free (at most MAX_PENDING waiting). A receipt older than
 *    20 s is extended (ChangeMessageVisibility, 60 s from now) before its replay starts, and so are those of
 *    messages waiting for a slot, at every scheduling step; before a delete or a requeue it is extended when
 *    less than 10 s remain. A receipt whose visibility ended is never used without extending it first; if
 *    that fails the message is left alone (it is visible again: a waiting message takes the receipt of a
 *    later receive of this run, or comes back in the next run). Messages received but not handled in this
 *    run (stop, deadline, limit, an earlier message of the same item kept, not asked for), kept ones and
 *    poison are released (visibility 0) at the end.
 * 4. Stop while the cause holds: after `stopAfterConsecutiveKept` (3) `kept` replays in a row the queue's
 *    run stops (`stoppedBecause: 'transient'`). No replay starts after `deadline` (`'deadline'`) or once
 *    `maxMessages` are handled (`'limit'`).
 * 5. Throughput: up to `concurrency` (8) replays at once, opened like a slow start: one replay probes, each
 *    final outcome doubles the window, each kept one shrinks it back to 1 (so an outage that holds costs
 *    exactly 3 executions a run). Messages of the same item (same `request.resource` + `request.id`, or a
 *    POST without id with the same non-empty Idempotency-Key) run one after another, oldest first (the
 *    first SentTimestamp, kept across requeues); once one of them is kept, the later ones are not replayed
 *    in this run (a PUT must not overtake its POST). Ordering holds among the messages one run has
 *    received: a standard queue may hand an older message of an item out after a newer one was replayed.
 * 6. Never lost: SQS drops a message after the queue's retention (14 days). A kept message whose
 *    SentTimestamp is older than `requeueAfterSeconds` (7 days) is sent again (same body and message
 *    attributes, plus `requeueCount`, `firstSentTimestamp` and `priorReceiveCount`) and only then deleted;
 *    if the send fails the old one stays. The same applies to a message left unreplayed in this run for
 *    one of the reasons of 3 (reported as `kept` with `notReplayed`), so a long outage, or an item stuck
 *    behind a kept message, cannot starve a request past the retention. Poison is never requeued.
 * 7. Execution names: `executionName(requestId, n)` with n = priorReceiveCount + ApproximateReceiveCount,
 *    which grows with every receive (and across requeues), so each attempt has its own name.
 * 8. Time is `Date.now()` (the local cloud moves Lambdas' Date with its clock); nothing sleeps.
 * 9. Deferred events (`{"kind": "event", "entry": {...}}`, the state machine's DeferEvent: EventBridge failed or
 *    the events circuit was open) are never replayed as requests: each is published with PutEvents as it
 *    is. No failed entry → `applied` (counted in `published` too), deleted; an error or a failed entry →
 *    `kept` (transient). A resource's events go one after another, oldest first, and once one is kept the
 *    later ones wait for the next run (one PutEvents a run while EventBridge fails); they do not count
 *    towards the requests' consecutive kept replays or window. Receipts, requeues and releases as above.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  Message,
  MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { PublishResult, QueuedEvent, QueuedRequest, ReplayResult, classifyPublish, classifyReplay, itemKey, parseQueuedMessage } from './classify';

export { classifyPublish, classifyReplay, itemKey, parseQueuedMessage, retryAfterOf } from './classify';
export type { ParsedMessage, PublishResult, QueuedEvent, QueuedRequest, ReplayClassification, ReplayResult } from './classify';

/** Where one resource's failed requests wait, and the state machine that replays them. */
export interface RedriveTarget {
  resource: string;
  queueUrl: string;
  stateMachineArn: string;
}

export type Outcome =
  /** Replayed and answered 2xx: the write is stored (or was already). Message deleted. */
  | 'applied'
  /** Replayed and answered 4xx without Retry-After (not 408/429): it can never succeed, recorded by the state machine. Message deleted. */
  | 'rejected'
  /** Still transient (5xx, 408, 429, Retry-After, FAILED/TIMED_OUT, StartSyncExecution error), or not replayed: stays queued (or requeued). */
  | 'kept'
  /** Unreadable (not JSON, no request): never replayed, never deleted, left for an operator. */
  | 'poison';

export type StopReason =
  /** `stopAfterConsecutiveKept` kept replays in a row: the cause still holds. */
  | 'transient'
  /** The deadline (Lambda time left) passed. */
  | 'deadline'
  /** `maxMessages` handled. */
  | 'limit'
  /** ReceiveMessage failed after the run had begun (see `error`). */
  | 'error';

export interface MessageOutcome {
  messageId: string;
  requestId?: string;
  /** 'event': a deferred event, published with PutEvents (not replayed). */
  kind?: 'event';
  /** ApproximateReceiveCount of this receive (informative only). */
  receiveCount: number;
  outcome: Outcome;
  statusCode?: number;
  /** The answer's Retry-After header (such an answer is always kept). */
  retryAfter?: string;
  executionArn?: string;
  /** Why it was kept or poison. */
  error?: string;
  /** Set when the message was not replayed in this run, with why (it is `kept`). */
  notReplayed?: string;
  /** DeleteMessage failed (or the receipt had expired): the message comes back, and its replay is answered from the record. */
  deleteError?: string;
  /** ChangeMessageVisibility (extension before the replay, or the release) failed. */
  visibilityError?: string;
  /** Sent again before the retention ends: the new message's id. */
  requeuedAs?: string;
  /** The requeue failed: the old message stays. */
  requeueError?: string;
}

export interface RedriveSummary {
  applied: number;
  rejected: number;
  kept: number;
  poison: number;
  /** Messages sent again as new messages (their old copy deleted, or its delete failed: see deleteError). */
  requeued: number;
  /** Deferred events published (also counted in `applied`). */
  published: number;
  /** Why the run ended before the queue was exhausted. */
  stoppedBecause?: StopReason;
  /** With stoppedBecause 'error': what failed. */
  error?: string;
  /** The first SentTimestamp (epoch ms) of the oldest message received in this run. */
  oldestSentTimestamp?: number;
  outcomes: MessageOutcome[];
}

export interface RedriveOptions {
  /** Stop after this many messages (default 5,000: a run is bounded by its deadline, so a backlog drains in one run). */
  maxMessages?: number;
  /** Replays running at once (default 8); messages of the same item never overlap. */
  concurrency?: number;
  /** Stop the queue's run after this many kept replays in a row (default 3). */
  stopAfterConsecutiveKept?: number;
  /** A kept message older than this (SentTimestamp) is sent again as a new message (default 7 days). */
  requeueAfterSeconds?: number;
  /** Epoch ms after which no new replay is started (Lambda's remaining time minus a margin). */
  deadline?: number;
  /** Called after each message (progress for the CLI and logs). */
  onOutcome?: (outcome: MessageOutcome) => void;
  /**
   * Only these messages (SQS MessageIds) are replayed. Other messages received on the way are not
   * replayed, not counted (maxMessages, outcomes), not requeued and not deleted: they are released
   * (ChangeMessageVisibility 0) when the run ends. They cannot be released while the search goes on:
   * visible again, the next ReceiveMessage would hand them back and the search would never get past
   * them. An empty list replays nothing. Ids not in the queue are simply absent from the outcomes.
   */
  messageIds?: readonly string[];
}

export const DEFAULTS = {
  // A backlog (an outage, a circuit that was open) should drain in the run the "Circuit closed" event starts,
  // not at 100 a minute: the Lambda's deadline bounds the run instead.
  maxMessages: 5000,
  concurrency: 8,
  stopAfterConsecutiveKept: 3,
  requeueAfterSeconds: 7 * 24 * 3600,
} as const;
/** Visibility of a receive and of each extension. */
export const VISIBILITY_SECONDS = 60;
/** A receipt older than this is extended before it is used. */
export const EXTEND_AFTER_MS = 20_000;
/** At most this many received messages wait for a replay slot. */
const MAX_PENDING = 40;

/** Message attributes the redrive adds when it requeues a message. */
export const REQUEUE_ATTRIBUTES = { count: 'requeueCount', firstSent: 'firstSentTimestamp', priorReceives: 'priorReceiveCount' } as const;

/** The clients a run uses; without `events`, deferred events are kept (not published) and say why. */
export interface RedriveClients {
  sqs: SQSClient;
  sfn: SFNClient;
  events?: EventBridgeClient;
}

export async function redriveQueue(target: RedriveTarget, clients: RedriveClients, options: RedriveOptions = {}): Promise<RedriveSummary> {
  return new QueueRun(target, clients, options).run();
}

/** Execution names: at most 80 characters of [A-Za-z0-9-_]; the request id comes first, findable in the console. */
export function executionName(requestId: string, attempt: number): string {
  const suffix = `-redrive-${attempt}`;
  return requestId.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - suffix.length) + suffix;
}

/** One received message as the run holds it. */
interface Held {
  id: string;
  receipt: string;
  /** When the visibility of `receipt` was last set (receive or extension), taken before the call. */
  receiptAt: number;
  visibleUntil: number;
  /** ApproximateReceiveCount of this receive. */
  receiveCount: number;
  /** priorReceiveCount (receives of earlier copies) + receiveCount: grows with every receive, names the execution. */
  attempt: number;
  /** SentTimestamp of this copy (NaN when unknown): its retention runs from here. */
  sentAt: number;
  /** SentTimestamp of the first copy (across requeues): the item order. */
  firstSentAt: number;
  /** Receive order, to break ties. */
  seq: number;
  body: string;
  attributes: Record<string, MessageAttributeValue>;
  queued?: QueuedRequest;
  event?: QueuedEvent;
  poison?: string;
  key: string;
  /** Waiting for a slot, its visibility ended: not used until a receive of this run hands a new receipt. */
  stale?: boolean;
  /** Deleted (final outcome, or requeued): nothing left to release. */
  deleted?: boolean;
}

const describeError = (error: unknown): string => {
  const e = error as { name?: string; message?: string } | undefined;
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`;
};

/** Before a replay (up to ~30 s) a receipt needs this much visibility left, else it is extended. */
const NEEDED_FOR_REPLAY_MS = VISIBILITY_SECONDS * 1000 - EXTEND_AFTER_MS;
/** Before a delete or a requeue (quick calls). */
const NEEDED_FOR_DELETE_MS = 10_000;

class QueueRun {
  private readonly maxMessages: number;
  private readonly concurrency: number;
  private readonly stopAfter: number;
  private readonly requeueAfterMs: number;
  private readonly wanted?: Set<string>;

  private readonly outcomes: MessageOutcome[] = [];
  /** The outcome of each message that has one, to note a later release error on. */
  private readonly outcomeOf = new Map<string, MessageOutcome>();
  /** Every message received in this run, by id (a re-receive updates the receipt in place). */
  private readonly held = new Map<string, Held>();
  /** Received, eligible, not started: oldest first. */
  private pending: Held[] = [];
  /** Keys with a replay in flight. */
  private readonly busy = new Set<string>();
  /** Keys with a message kept (or not replayed) in this run: the item's later messages wait for the next run. */
  private readonly broken = new Set<string>();
  private readonly inFlight = new Set<Promise<void>>();
  /** Eligible messages not replayed in this run, with why: requeued when old, released otherwise. */
  private readonly leftover: { held: Held; reason: string }[] = [];
  /** The copies this run sent: not replayed again in this run if a receive hands them out. */
  private readonly copies = new Set<string>();

  private started = 0;
  private seq = 0;
  private window = 1;
  private consecutiveKept = 0;
  private requeued = 0;
  private published = 0;
  private exhausted = false;
  private receivedAny = false;
  private stopped?: StopReason;
  private error?: string;

  constructor(
    private readonly target: RedriveTarget,
    private readonly clients: RedriveClients,
    private readonly options: RedriveOptions,
  ) {
    this.maxMessages = options.maxMessages ?? DEFAULTS.maxMessages;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? DEFAULTS.concurrency));
    this.stopAfter = options.stopAfterConsecutiveKept ?? DEFAULTS.stopAfterConsecutiveKept;
    this.requeueAfterMs = (options.requeueAfterSeconds ?? DEFAULTS.requeueAfterSeconds) * 1000;
    this.wanted = options.messageIds ? new Set(options.messageIds) : undefined;
  }

  async run(): Promise<RedriveSummary> {
    if (this.wanted?.size === 0) return this.summary();
    for (;;) {
      this.checkStops();
      if (!this.stopped) await this.keepAlive(); // once stopped, what waits is released (or requeued) at the end
      if (!this.stopped && this.inFlight.size < this.window && this.started < this.maxMessages) {
        const next = this.nextRunnable();
        if (next) {
          this.start(next);
          continue;
        }
        if (this.shouldReceive()) {
          await this.receive();
          continue;
        }
      }
      if (this.inFlight.size > 0) {
        await Promise.race(this.inFlight);
        continue;
      }
      break;
    }
    await this.finish();
    return this.summary();
  }

  // ---- scheduling ----

  private checkStops(): void {
    if (this.stopped) return;
    if (this.options.deadline !== undefined && Date.now() > this.options.deadline) this.stopped = 'deadline';
    else if (this.started >= this.maxMessages && (this.pending.length > 0 || this.mayFindMore())) this.stopped = 'limit';
  }

  private shouldReceive(): boolean {
    if (this.exhausted || this.pending.length >= MAX_PENDING) return false;
    // A stale message gets its new receipt from a receive.
    if (this.pending.some((h) => h.stale)) return true;
    if (!this.mayFindMore()) return false;
    return this.wanted !== undefined || this.started + this.pending.length < this.maxMessages;
  }

  /** More to receive: the queue is not exhausted and, with messageIds, some are not found yet. */
  private mayFindMore(): boolean {
    if (this.exhausted) return false;
    return this.wanted ? [...this.wanted].some((id) => !this.held.has(id)) : true;
  }

  /** The oldest pending message whose item is free; messages of an item kept in this run move to leftover. */
  private nextRunnable(): Held | undefined {
    const waiting = new Set<string>();
    for (const h of [...this.pending]) {
      if (this.broken.has(h.key)) {
        this.pending.splice(this.pending.indexOf(h), 1);
        this.leftover.push({ held: h, reason: 'an earlier message of the same item was kept in this run' });
        continue;
      }
      // A stale message still holds its item's place: a later message of the item must not overtake it.
      if (h.stale || this.busy.has(h.key) || waiting.has(h.key)) {
        waiting.add(h.key);
        continue;
      }
      return h;
    }
    return undefined;
  }

  private start(h: Held): void {
    this.pending.splice(this.pending.indexOf(h), 1);
    this.started++;
    this.busy.add(h.key);
    const task: Promise<void> = this.replay(h)
      .catch((error) => this.report(h, { ...this.base(h), outcome: 'kept', error: `redrive error: ${describeError(error)}` }))
      .finally(() => {
        this.busy.delete(h.key);
        this.inFlight.delete(task);
      });
    this.inFlight.add(task);
  }

  // ---- SQS ----

  private async receive(): Promise<void> {
    let messages: Message[];
    try {
      ({ Messages: messages = [] } = await this.clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.target.queueUrl,
          // While searching for given ids, a batch may hold none of them: always ask for a full one.
          MaxNumberOfMessages: this.wanted ? 10 : Math.max(1, Math.min(10, this.maxMessages - this.started - this.pending.length)),
          VisibilityTimeout: VISIBILITY_SECONDS,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'],
          MessageAttributeNames: ['All'],
        }),
      ));
    } catch (error) {
      if (!this.receivedAny) throw error; // nothing to lose yet: a missing queue is an error, not a no-op
      this.stopped = 'error';
      this.error = `ReceiveMessage failed: ${describeError(error)}`;
      return;
    }
    this.receivedAny ||= messages.length > 0;
    const at = Date.now();
    const fresh: Held[] = [];
    let refreshed = 0;
    for (const m of messages) {
      const known = this.held.get(m.MessageId!);
      if (known) {
        // Visible again and received anew (its visibility ended): only the newest receipt is valid.
        if (known.stale) refreshed++;
        Object.assign(known, { receipt: m.ReceiptHandle!, receiptAt: at, visibleUntil: at + VISIBILITY_SECONDS * 1000, stale: false });
        continue;
      }
      const h = this.hold(m, at);
      this.held.set(h.id, h);
      fresh.push(h);
    }
    if (fresh.length === 0 && refreshed === 0) {
      this.exhausted = true;
      return;
    }
    for (const h of fresh) {
      if ((this.wanted && !this.wanted.has(h.id)) || this.copies.has(h.id)) continue; // released at the end
      if (h.poison !== undefined) this.poison(h);
      else this.pending.push(h);
    }
    this.pending.sort((a, b) => a.firstSentAt - b.firstSentAt || a.seq - b.seq);
  }

  private hold(m: Message, at: number): Held {
    const attributes = m.MessageAttributes ?? {};
    const sentAt = Number(m.Attributes?.SentTimestamp ?? NaN);
    const firstSent = Number(attributes[REQUEUE_ATTRIBUTES.firstSent]?.StringValue ?? NaN);
    const prior = Number(attributes[REQUEUE_ATTRIBUTES.priorReceives]?.StringValue ?? 0);
    const receiveCount = Number(m.Attributes?.ApproximateReceiveCount ?? '1');
    const parsed = parseQueuedMessage(m.Body);
    const id = m.MessageId!;
    return {
      id,
      receipt: m.ReceiptHandle!,
      receiptAt: at,
      visibleUntil: at + VISIBILITY_SECONDS * 1000,
      receiveCount,
      attempt: receiveCount + (Number.isFinite(prior) ? prior : 0),
      sentAt,
      firstSentAt: Number.isFinite(firstSent) ? firstSent : Number.isFinite(sentAt) ? sentAt : Number.MAX_SAFE_INTEGER,
      seq: this.seq++,
      body: m.Body ?? '',
      attributes,
      ...('queued' in parsed
        ? { queued: parsed.queued, key: itemKey(parsed.queued, id, this.target.resource) }
        : 'event' in parsed
          ? { event: parsed.event, key: `events:${this.target.resource}` } // one after another, oldest first
          : { poison: parsed.poison, key: `message:${id}` }),
    };
  }

  /**
   * Makes sure the receipt has `neededMs` of visibility left, extending it to VISIBILITY_SECONDS from now
   * otherwise (also when it has ended: never used without that). The error when the extension fails.
   */
  private async ensureReceipt(h: Held, neededMs: number): Promise<string | undefined> {
    const now = Date.now();
    if (h.visibleUntil - now >= neededMs) return undefined;
    const receipt = h.receipt;
    try {
      await this.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.target.queueUrl, ReceiptHandle: receipt, VisibilityTimeout: VISIBILITY_SECONDS }));
    } catch (error) {
      return describeError(error);
    }
    // A receive of this very run may have handed a newer receipt meanwhile: keep the newest.
    if (h.receipt === receipt) Object.assign(h, { receiptAt: now, visibleUntil: now + VISIBILITY_SECONDS * 1000 });
    return undefined;
  }

  /** Messages waiting for a slot keep a valid receipt; one whose visibility ended waits for a new one. */
  private async keepAlive(): Promise<void> {
    for (const h of this.pending) {
      if (h.stale) continue;
      if (Date.now() >= h.visibleUntil || (await this.ensureReceipt(h, NEEDED_FOR_REPLAY_MS))) h.stale = true;
    }
  }

  private async deleteMessage(h: Held): Promise<string | undefined> {
    const expired = await this.ensureReceipt(h, NEEDED_FOR_DELETE_MS);
    if (expired) return `receipt expired, not deleted: ${expired}`;
    try {
      await this.clients.sqs.send(new DeleteMessageCommand({ QueueUrl: this.target.queueUrl, ReceiptHandle: h.receipt }));
      h.deleted = true;
      return undefined;
    } catch (error) {
      return describeError(error);
    }
  }

  /** Sends the message again (same body and attributes, plus the requeue attributes), then deletes the old copy. */
  private async requeue(h: Held, outcome: MessageOutcome): Promise<void> {
    const expired = await this.ensureReceipt(h, NEEDED_FOR_DELETE_MS);
    if (expired) {
      outcome.requeueError = `receipt expired, not requeued: ${expired}`;
      return;
    }
    try {
      const sent = await this.clients.sqs.send(new SendMessageCommand({ QueueUrl: this.target.queueUrl, MessageBody: h.body, MessageAttributes: requeueAttributes(h) }));
      outcome.requeuedAs = sent.MessageId;
      if (sent.MessageId) this.copies.add(sent.MessageId);
    } catch (error) {
      outcome.requeueError = describeError(error);
      return;
    }
    this.requeued++;
    // If this delete fails both copies wait: harmless, the second replay is answered from the record.
    const deleteError = await this.deleteMessage(h);
    if (deleteError) outcome.deleteError = deleteError;
  }

  private isOld(h: Held): boolean {
    return Number.isFinite(h.sentAt) && Date.now() - h.sentAt >= this.requeueAfterMs;
  }

  private async release(h: Held): Promise<void> {
    // Its visibility already ended: it is visible, and the receipt must not be used any more.
    if (Date.now() >= h.visibleUntil) return;
    try {
      await this.clients.sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.target.queueUrl, ReceiptHandle: h.receipt, VisibilityTimeout: 0 }));
    } catch (error) {
      const outcome = this.outcomeOf.get(h.id);
      if (outcome) outcome.visibilityError = describeError(error);
    }
  }

  // ---- one message ----

  private base(h: Held): MessageOutcome {
    const requestId = h.queued?.requestId ?? h.event?.requestId;
    return { messageId: h.id, ...(requestId ? { requestId } : {}), ...(h.event ? { kind: 'event' as const } : {}), receiveCount: h.receiveCount, outcome: 'kept' };
  }

  private poison(h: Held): void {
    if (this.started >= this.maxMessages) return; // released untouched
    this.started++;
    this.report(h, { ...this.base(h), outcome: 'poison', error: h.poison });
  }

  private async replay(h: Held): Promise<void> {
    if (h.event) return this.publish(h, h.event);
    const base = this.base(h);
    const expired = await this.ensureReceipt(h, NEEDED_FOR_REPLAY_MS);
    if (expired) {
      // Visible again: not replayed now, and the item's later messages wait for the next run.
      this.broken.add(h.key);
      this.report(h, { ...base, outcome: 'kept', notReplayed: 'its receipt expired before the replay', visibilityError: expired });
      return;
    }
    let result: ReplayResult;
    try {
      const execution = await this.clients.sfn.send(
        new StartSyncExecutionCommand({
          stateMachineArn: this.target.stateMachineArn,
          name: executionName(h.queued!.requestId, h.attempt),
          input: JSON.stringify(replayInput(h.queued!)),
        }),
      );
      result = { execution };
    } catch (error) {
      result = { thrown: error };
    }
    const c = classifyReplay(result);
    const executionArn = 'execution' in result ? result.execution.executionArn : undefined;
    const outcome: MessageOutcome = {
      ...base,
      outcome: c.outcome,
      ...(c.statusCode !== undefined ? { statusCode: c.statusCode } : {}),
      ...(c.retryAfter !== undefined ? { retryAfter: c.retryAfter } : {}),
      ...(executionArn ? { executionArn } : {}),
      ...(c.error !== undefined ? { error: c.error } : {}),
    };
    if (c.outcome === 'kept') {
      this.consecutiveKept++;
      this.window = 1;
      this.broken.add(h.key);
      if (this.consecutiveKept >= this.stopAfter && !this.stopped) this.stopped = 'transient';
      if (this.isOld(h)) await this.requeue(h, outcome);
    } else {
      this.consecutiveKept = 0;
      this.window = Math.min(this.concurrency, this.window * 2);
      const deleteError = await this.deleteMessage(h);
      if (deleteError) outcome.deleteError = deleteError;
    }
    this.report(h, outcome);
  }

  /** A deferred event: PutEvents, deleted once published; kept (and its later events held back) otherwise. */
  private async publish(h: Held, event: QueuedEvent): Promise<void> {
    const base = this.base(h);
    const expired = await this.ensureReceipt(h, NEEDED_FOR_DELETE_MS);
    if (expired) {
      this.broken.add(h.key);
      this.report(h, { ...base, outcome: 'kept', notReplayed: 'its receipt expired before publishing', visibilityError: expired });
      return;
    }
    let result: PublishResult;
    if (!this.clients.events) result = { thrown: new Error('this redrive has no EventBridge client') };
    else {
      try {
        result = { output: await this.clients.events.send(new PutEventsCommand({ Entries: [event.entry] })) };
      } catch (error) {
        result = { thrown: error };
      }
    }
    const c = classifyPublish(result);
    const outcome: MessageOutcome = { ...base, outcome: c.outcome, ...(c.error !== undefined ? { error: c.error } : {}) };
    if (c.outcome === 'kept') {
      this.broken.add(h.key);
      if (this.isOld(h)) await this.requeue(h, outcome);
    } else {
      this.published++;
      const deleteError = await this.deleteMessage(h);
      if (deleteError) outcome.deleteError = deleteError;
    }
    this.report(h, outcome);
  }

  private report(h: Held, outcome: MessageOutcome): void {
    this.outcomes.push(outcome);
    this.outcomeOf.set(h.id, outcome);
    try {
      this.options.onOutcome?.(outcome);
    } catch {
      // A progress callback must not cost a result.
    }
  }

  // ---- end of the run ----

  private async finish(): Promise<void> {
    const why = this.stopped ? `the run stopped (${this.stopped})` : 'not reached in this run';
    for (const h of this.pending) this.leftover.push({ held: h, reason: h.stale ? 'its receipt expired while it waited' : why });
    this.pending = [];
    for (const { held, reason } of this.leftover) {
      if (!this.isOld(held)) continue;
      const outcome: MessageOutcome = { ...this.base(held), outcome: 'kept', notReplayed: reason };
      await this.requeue(held, outcome);
      this.report(held, outcome);
    }
    // Visible again for the next redrive or an operator, but only now: made visible at once, the next
    // ReceiveMessage of this very run would take it back.
    for (const h of this.held.values()) if (!h.deleted) await this.release(h);
  }

  private summary(): RedriveSummary {
    const count = (kind: Outcome) => this.outcomes.filter((o) => o.outcome === kind).length;
    const firstSent = [...this.held.values()].map((h) => h.firstSentAt).filter((t) => t < Number.MAX_SAFE_INTEGER);
    return {
      applied: count('applied'),
      rejected: count('rejected'),
      kept: count('kept'),
      poison: count('poison'),
      requeued: this.requeued,
      published: this.published,
      ...(this.stopped ? { stoppedBecause: this.stopped } : {}),
      ...(this.error ? { error: this.error } : {}),
      ...(firstSent.length ? { oldestSentTimestamp: Math.min(...firstSent) } : {}),
      outcomes: this.outcomes,
    };
  }
}

/**
 * The execution input of a replay: the original request marked `replay: true`, with why and when it was
 * queued (`queuedBecause`, `queuedAt`) so the state machine's request record can say so even when the
 * first execution could not write it.
 */
export function replayInput(queued: QueuedRequest): Record<string, unknown> {
  return {
    ...queued.request,
    replay: true,
    ...(typeof queued.error === 'string' && queued.error ? { queuedBecause: queued.error } : {}),
    ...(typeof queued.queuedAt === 'string' && queued.queuedAt ? { queuedAt: queued.queuedAt } : {}),
  };
}

function requeueAttributes(h: Held): Record<string, MessageAttributeValue> {
  const copied: Record<string, MessageAttributeValue> = {};
  for (const [name, v] of Object.entries(h.attributes)) {
    copied[name] = { DataType: v.DataType, ...(v.StringValue !== undefined ? { StringValue: v.StringValue } : {}), ...(v.BinaryValue !== undefined ? { BinaryValue: v.BinaryValue } : {}) };
  }
  const count = Number(h.attributes[REQUEUE_ATTRIBUTES.count]?.StringValue ?? 0);
  const number = (n: number): MessageAttributeValue => ({ DataType: 'Number', StringValue: String(n) });
  return {
    ...copied,
    [REQUEUE_ATTRIBUTES.count]: number((Number.isFinite(count) ? count : 0) + 1),
    ...(Number.isFinite(h.firstSentAt) && h.firstSentAt < Number.MAX_SAFE_INTEGER ? { [REQUEUE_ATTRIBUTES.firstSent]: number(h.firstSentAt) } : {}),
    [REQUEUE_ATTRIBUTES.priorReceives]: number(h.attempt),
  };
}
