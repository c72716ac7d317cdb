/**
 * Executions with their history, kept in memory and (with a data folder) in `executions.jsonl`.
 *
 * Durability: a Standard (or asynchronous Express) execution is written when it starts, since
 * StartExecution acknowledged it, and again when it ends; a synchronous Express execution only when it
 * ends (nothing was acknowledged before). Every write is a write(2) before the call returns.
 *
 * Crash recovery: the engine cannot resume an execution half-way (it keeps no per-state checkpoint),
 * and running it again from the start could repeat side effects (a second SQS message, a second write).
 * So an execution still RUNNING in the log was cut short by the process dying: it comes back ABORTED,
 * like after a StopExecution, with an ExecutionAborted event whose cause says so. Its history holds
 * what was saved at its start (ExecutionStarted) and the abort.
 */
import * as path from 'node:path';
import type { ExecutionStatus, HistoryEvent } from '../asl/types';
import { NULL_LOG, RecordLog, compactAndOpen, readRecords } from '../services/storage';

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  /** JSON text. */
  input: string;
  /** JSON text, when SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  /** GetExecutionHistory's events, growing while the execution runs. */
  events: HistoryEvent[];
}

export const RECOVERED_ABORT_CAUSE = 'The local cloud stopped while this execution was running; it cannot be resumed.';

export interface ExecutionStoreOptions {
  /** Folder for executions.jsonl; omitted = memory only. */
  dataDir?: string;
  /** Closed executions beyond this many are forgotten, oldest first (default 10,000). */
  maxExecutions?: number;
  now?: () => Date;
}

export class ExecutionStore {
  private readonly byArn = new Map<string, ExecutionRecord>();
  /**
   * The executions in byArn's order (oldest first), for pruning without iterating the Map from its start,
   * which skips every entry deleted since V8 last compacted it (thousands at 10,000 executions): `queue`
   * from `head` on, after `oldRunning` (executions that were still running when they were the oldest).
   */
  private queue: ExecutionRecord[] = [];
  private head = 0;
  private oldRunning: ExecutionRecord[] = [];
  private log: RecordLog = NULL_LOG;
  private readonly max: number;
  private readonly now: () => Date;

  constructor(options: ExecutionStoreOptions = {}) {
    this.max = options.maxExecutions ?? 10_000;
    this.now = options.now ?? (() => new Date());
    if (!options.dataDir) return;
    const file = path.join(options.dataDir, 'executions.jsonl');
    // Later lines are newer versions of the same execution.
    for (const raw of readRecords<ExecutionRecord>(file)) {
      this.byArn.delete(raw.executionArn);
      this.byArn.set(raw.executionArn, revive(raw));
    }
    for (const e of this.byArn.values()) if (e.status === 'RUNNING') this.abortRecovered(e);
    this.queue = [...this.byArn.values()];
    this.prune();
    this.log = compactAndOpen(file, [...this.byArn.values()]);
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.byArn.get(executionArn);
  }

  all(): IterableIterator<ExecutionRecord> {
    return this.byArn.values();
  }

  /** Registers a new execution (in memory; `save` persists it). */
  add(execution: ExecutionRecord): void {
    const existing = this.byArn.get(execution.executionArn);
    this.byArn.set(execution.executionArn, execution);
    // A replaced execution keeps its place in the Map's order: it is pruned from there.
    if (existing === undefined) this.queue.push(execution);
    else this.replace(existing, execution);
    this.prune();
  }

  save(execution: ExecutionRecord): void {
    this.log.append(execution);
  }

  close(): void {
    this.log.close();
    this.log = NULL_LOG;
  }

  private abortRecovered(e: ExecutionRecord): void {
    const stopDate = this.now();
    if (e.events.length === 0) {
      e.events.push({
        timestamp: e.startDate,
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: { input: e.input, inputDetails: { truncated: false }, roleArn: e.roleArn },
      });
    }
    const last = e.events[e.events.length - 1];
    e.events.push({
      timestamp: stopDate,
      type: 'ExecutionAborted',
      id: last.id + 1,
      previousEventId: last.id,
      executionAbortedEventDetails: { cause: RECOVERED_ABORT_CAUSE },
    });
    Object.assign(e, { status: 'ABORTED', stopDate });
  }

  /** Forgets the oldest closed executions beyond the cap (Map order is start order); running ones stay. */
  private prune(): void {
    if (this.byArn.size <= this.max) return;
    // The oldest first: those that were running when they were the oldest (still in order), then the queue.
    if (this.oldRunning.length > 0) {
      const still: ExecutionRecord[] = [];
      for (const e of this.oldRunning) {
        if (this.byArn.get(e.executionArn) !== e) continue; // no longer in the Map
        if (this.byArn.size > this.max && e.status !== 'RUNNING') this.byArn.delete(e.executionArn);
        else still.push(e);
      }
      this.oldRunning = still;
    }
    while (this.byArn.size > this.max && this.head < this.queue.length) {
      const e = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as ExecutionRecord;
      if (this.byArn.get(e.executionArn) !== e) continue; // no longer in the Map
      if (e.status === 'RUNNING') this.oldRunning.push(e);
      else this.byArn.delete(e.executionArn);
    }
    // Drop the consumed part of the queue now and then.
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** `existing` was replaced by `execution` under the same ARN: the newer record takes its place in the order. */
  private replace(existing: ExecutionRecord, execution: ExecutionRecord): void {
    const i = this.queue.indexOf(existing, this.head);
    if (i >= 0) this.queue[i] = execution;
    const j = this.oldRunning.indexOf(existing);
    if (j >= 0) this.oldRunning[j] = execution;
  }
}

function revive(raw: ExecutionRecord): ExecutionRecord {
  return {
    ...raw,
    startDate: new Date(raw.startDate),
    stopDate: raw.stopDate ? new Date(raw.stopDate) : undefined,
    events: (raw.events ?? []).map((e) => ({ ...e, timestamp: new Date(e.timestamp) })),
  };
}
