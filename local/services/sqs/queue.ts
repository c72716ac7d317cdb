/**
 * One standard SQS queue: its attributes and messages, and the log records that make every change durable.
 * Pure state + persistence; validation and the API surface live in ./index.ts.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { NULL_LOG, RecordLog } from '../storage';
import { MessageAttributeValue } from './md5';

export interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  attrs?: Record<string, MessageAttributeValue>;
  sysAttrs?: Record<string, MessageAttributeValue>;
  /** SentTimestamp, epoch ms. */
  sent: number;
  /** The message can be received from this time on (delay, visibility timeout). */
  visibleAt: number;
  /** ApproximateReceiveCount. */
  receives: number;
  /** ApproximateFirstReceiveTimestamp, epoch ms. */
  firstReceive?: number;
  /** Nonce of the latest receipt handle; only the latest handle deletes. */
  handle?: string;
  /** DeadLetterQueueSourceArn, when moved here by a redrive policy. */
  dlqSource?: string;
}

export interface QueueRecord {
  name: string;
  /** Epoch ms. */
  created: number;
  modified: number;
  /** Settable attributes, as strings (the API's form). */
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

export type QueueLogRecord =
  | ({ op: 'queue' } & QueueRecord)
  | { op: 'send'; m: StoredMessage }
  | { op: 'recv'; id: string; visibleAt: number; receives: number; firstReceive?: number; handle: string }
  | { op: 'vis'; id: string; visibleAt: number }
  | { op: 'del'; id: string }
  | { op: 'purge'; at: number };

export const DEFAULT_ATTRIBUTES: Readonly<Record<string, string>> = {
  DelaySeconds: '0',
  MaximumMessageSize: '262144',
  MessageRetentionPeriod: '345600',
  ReceiveMessageWaitTimeSeconds: '0',
  VisibilityTimeout: '30',
  SqsManagedSseEnabled: 'true',
};

export class Queue {
  readonly messages = new Map<string, StoredMessage>();
  lastPurge?: number;
  private nextSweepAt = 0;
  private waiters = new Set<() => void>();

  constructor(
    public record: QueueRecord,
    private log: RecordLog = NULL_LOG,
  ) {}

  get name(): string {
    return this.record.name;
  }

  attr(name: string): number {
    return Number(this.record.attributes[name] ?? DEFAULT_ATTRIBUTES[name] ?? 0);
  }

  /** Replays a log into a queue; returns undefined when the log holds no queue record. */
  static replay(records: QueueLogRecord[]): Queue | undefined {
    let queue: Queue | undefined;
    for (const r of records) {
      if (r.op === 'queue') {
        if (!queue) queue = new Queue(stripOp(r));
        else queue.record = stripOp(r);
        continue;
      }
      if (!queue) continue;
      switch (r.op) {
        case 'send':
          queue.messages.set(r.m.id, r.m);
          break;
        case 'recv': {
          const m = queue.messages.get(r.id);
          if (m) Object.assign(m, { visibleAt: r.visibleAt, receives: r.receives, firstReceive: r.firstReceive, handle: r.handle });
          break;
        }
        case 'vis': {
          const m = queue.messages.get(r.id);
          if (m) m.visibleAt = r.visibleAt;
          break;
        }
        case 'del':
          queue.messages.delete(r.id);
          break;
        case 'purge':
          queue.messages.clear();
          queue.lastPurge = r.at;
          break;
      }
    }
    return queue;
  }

  /** The records that rebuild this queue's current state (for compaction). */
  snapshot(): QueueLogRecord[] {
    return [{ op: 'queue', ...this.record }, ...[...this.messages.values()].map((m): QueueLogRecord => ({ op: 'send', m }))];
  }

  attachLog(log: RecordLog): void {
    this.log = log;
  }

  closeLog(): void {
    this.log.close();
    this.log = NULL_LOG;
  }

  updateRecord(change: Partial<QueueRecord>, now: number): void {
    this.record = { ...this.record, ...change, modified: now };
    this.nextSweepAt = 0;
    this.log.append({ op: 'queue', ...this.record });
  }

  enqueue(message: Omit<StoredMessage, 'id' | 'receives'> & { id?: string; receives?: number }): StoredMessage {
    const m: StoredMessage = { ...message, id: message.id ?? randomUUID(), receives: message.receives ?? 0 };
    this.log.append({ op: 'send', m });
    this.messages.set(m.id, m);
    this.nextSweepAt = Math.min(this.nextSweepAt, m.sent + this.attr('MessageRetentionPeriod') * 1000);
    this.notify();
    return m;
  }

  /** Marks a message received: new receipt nonce, hidden for `visibilitySeconds`. */
  markReceived(m: StoredMessage, now: number, visibilitySeconds: number): string {
    const handle = randomBytes(12).toString('base64url');
    const receives = m.receives + 1;
    const firstReceive = m.firstReceive ?? now;
    const visibleAt = now + visibilitySeconds * 1000;
    this.log.append({ op: 'recv', id: m.id, visibleAt, receives, firstReceive, handle });
    Object.assign(m, { receives, firstReceive, visibleAt, handle });
    return handle;
  }

  setVisibleAt(m: StoredMessage, visibleAt: number): void {
    this.log.append({ op: 'vis', id: m.id, visibleAt });
    m.visibleAt = visibleAt;
    this.notify();
  }

  remove(id: string): void {
    if (!this.messages.has(id)) return;
    this.log.append({ op: 'del', id });
    this.messages.delete(id);
  }

  purge(now: number): void {
    this.log.append({ op: 'purge', at: now });
    this.messages.clear();
    this.lastPurge = now;
  }

  /** Drops messages older than MessageRetentionPeriod. Cheap when nothing can have expired yet. */
  sweep(now: number): void {
    if (now < this.nextSweepAt) return;
    const retentionMs = this.attr('MessageRetentionPeriod') * 1000;
    let next = Infinity;
    for (const m of this.messages.values()) {
      const expiresAt = m.sent + retentionMs;
      if (expiresAt <= now) this.remove(m.id);
      else next = Math.min(next, expiresAt);
    }
    this.nextSweepAt = next;
  }

  counts(now: number): { visible: number; inFlight: number; delayed: number } {
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const m of this.messages.values()) {
      if (m.visibleAt <= now) visible++;
      else if (m.receives > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }

  /** Whole seconds since the oldest message was sent (0 when the queue is empty), as CloudWatch reports it. */
  ageOfOldestMessage(now: number): number {
    let oldest = now;
    for (const m of this.messages.values()) if (m.sent < oldest) oldest = m.sent;
    return Math.floor((now - oldest) / 1000);
  }

  /** Milliseconds until the next hidden message becomes visible (Infinity if none). */
  nextVisibleIn(now: number): number {
    let next = Infinity;
    for (const m of this.messages.values()) if (m.visibleAt > now) next = Math.min(next, m.visibleAt - now);
    return next;
  }

  /** Resolves on the next send or visibility change, or after `ms`. */
  waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  /** Wakes every long poll (new message, visibility change, shutdown). */
  notify(): void {
    for (const w of [...this.waiters]) w();
  }
}

function stripOp(r: { op: 'queue' } & QueueRecord): QueueRecord {
  const { op: _op, ...rest } = r;
  return rest;
}
