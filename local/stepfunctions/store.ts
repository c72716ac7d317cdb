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
    this.byArn.set(execution.executionArn, execution);
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

  /** Forgets the oldest closed executions beyond the cap (Map order is start order). */
  private prune(): void {
    if (this.byArn.size <= this.max) return;
    for (const [arn, e] of this.byArn) {
      if (this.byArn.size <= this.max) break;
      if (e.status !== 'RUNNING') this.byArn.delete(arn);
    }
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
