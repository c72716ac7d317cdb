/**
 * History events in the GetExecutionHistory shape, with ids and previousEventId chained as AWS does:
 * each "thread" (the execution, a Parallel branch, a Map iteration) chains its own events; the first
 * state entered of an execution points at 0, not at ExecutionStarted (as recorded on AWS).
 */
import { systemClock } from './clock';
import type { Clock, HistoryEvent } from './types';

export const NOT_TRUNCATED = Object.freeze({ truncated: false });

export class EventRecorder {
  readonly events: HistoryEvent[] = [];
  private nextId = 1;
  /** Id of the most recent event, whatever its thread. */
  latest = 0;
  /** Timestamp of the most recent event. */
  latestTime: Date = new Date(0);
  /** Once closed (the execution ended), late events from abandoned branches are dropped. */
  closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onEvent?: (event: HistoryEvent) => void,
  ) {}

  private lastMs = -1;
  private lastDate: Date = new Date(0);

  /** The event time; on the real clock, events of the same millisecond share one Date. */
  private now(): Date {
    if (this.clock !== systemClock) return this.clock.now();
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastDate = new Date(ms);
    }
    return this.lastDate;
  }

  add(type: string, previousEventId: number, detailsKey?: string, details?: unknown): number {
    if (this.closed) return 0;
    const id = this.nextId++;
    const timestamp = this.now();
    this.latestTime = timestamp;
    const ev: HistoryEvent = { timestamp, type, id, previousEventId };
    if (detailsKey) ev[detailsKey] = details;
    this.events.push(ev);
    this.latest = id;
    if (this.onEvent) this.onEvent(ev);
    return id;
  }
}

/** One chain of events. */
export class Thread {
  constructor(
    readonly recorder: EventRecorder,
    public last: number,
  ) {}

  /** Adds an event after this thread's last one, and makes it the last. */
  emit(type: string, detailsKey?: string, details?: unknown): number {
    const id = this.recorder.add(type, this.last, detailsKey, details);
    if (id) this.last = id;
    return id;
  }

  /** Adds an event after this thread's last one without moving the chain (e.g. MapIterationSucceeded). */
  note(type: string, detailsKey?: string, details?: unknown): number {
    return this.recorder.add(type, this.last, detailsKey, details);
  }

  child(): Thread {
    return new Thread(this.recorder, this.last);
  }
}
