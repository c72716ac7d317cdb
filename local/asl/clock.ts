/**
 * Time seams: the real clock, a time-scaled clock, a fake clock that never really waits, and the local
 * cloud's controllable clock (real time plus an offset that only grows).
 */
import type { Clock } from './types';

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new Error('aborted');
}

/** setTimeout's longest delay (about 24.8 days); longer ones fire at once with a TimeoutOverflowWarning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** setTimeout in chunks setTimeout can hold; returns the function that cancels it. */
function realTimer(ms: number, fn: () => void): () => void {
  if (ms <= MAX_TIMER_MS) {
    const t = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(t);
  }
  const deadline = Date.now() + ms;
  let t: NodeJS.Timeout;
  const arm = () => {
    const left = deadline - Date.now();
    if (left <= 0) return fn();
    t = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
  };
  t = setTimeout(arm, MAX_TIMER_MS);
  return () => clearTimeout(t);
}

/**
 * Calls `fn` after `ms` on `clock` unless the returned function is called first: the clock's own timer()
 * when it has one, else a sleep() cancelled through an AbortController.
 */
export function startTimer(clock: Clock, ms: number, fn: () => void): () => void {
  if (clock.timer) return clock.timer(ms, fn);
  const ac = new AbortController();
  clock.sleep(ms, ac.signal).then(fn, () => undefined);
  return () => ac.abort('settled'); // a reason avoids building a DOMException
}

/** Real time. */
export const systemClock: Clock = {
  now: () => new Date(),
  timer: realTimer,
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const deadline = Date.now() + Math.max(0, ms);
      let timer: NodeJS.Timeout;
      // Waits (up to a year in ASL) are slept in chunks setTimeout can hold.
      const arm = () => {
        timer = setTimeout(() => {
          const left = deadline - Date.now();
          if (left > 0) return arm();
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.min(Math.max(0, deadline - Date.now()), MAX_TIMER_MS));
      };
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      arm();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/**
 * Real time, but every sleep lasts `ms * scale` (e.g. scale 0.001 turns a 10 s backoff into 10 ms),
 * while now() advances at the virtual rate so timestamps in history stay plausible.
 */
export function scaledClock(scale: number): Clock {
  const origin = Date.now();
  return {
    now: () => new Date(origin + (Date.now() - origin) / (scale || 1)),
    sleep: (ms, signal) => systemClock.sleep(ms * scale, signal),
    timer: (ms, fn) => realTimer(ms * scale, fn),
  };
}

interface Timer {
  at: number;
  seq: number;
  resolve: () => void;
}

/**
 * Virtual time. sleep() never waits: once the process has nothing else to do (a setImmediate turn),
 * the earliest pending sleep fires and now() jumps to its deadline. Every requested delay is recorded
 * in `sleeps` (milliseconds), so tests can assert backoff arithmetic.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Timer[] = [];
  private scheduled = false;
  /** Every sleep requested, in ms, in request order. */
  readonly sleeps: number[] = [];

  constructor(start: Date | string | number = '2024-01-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.t);
  }

  /** Moves virtual time forward without firing timers early (timers due by then fire on the next turn). */
  advance(ms: number): void {
    this.t += ms;
    this.schedule();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  /** Like sleep(), without a Promise: `fn` runs when the timer fires; the returned function cancels it. */
  timer(ms: number, fn: () => void): () => void {
    this.sleeps.push(ms);
    const timer: Timer = { at: this.t + Math.max(0, ms), seq: this.seq++, resolve: fn };
    this.timers.push(timer);
    this.schedule();
    return () => {
      this.timers = this.timers.filter((x) => x !== timer);
    };
  }

  private schedule(): void {
    if (this.scheduled || this.timers.length === 0) return;
    this.scheduled = true;
    let seen = this.seq;
    const tick = () => {
      // Fire only once a whole turn went by without a new sleep: everything runnable has run.
      if (this.seq !== seen) {
        seen = this.seq;
        setImmediate(tick);
        return;
      }
      this.scheduled = false;
      if (this.timers.length === 0) return;
      let first = this.timers[0];
      for (const x of this.timers) if (x.at < first.at || (x.at === first.at && x.seq < first.seq)) first = x;
      this.timers = this.timers.filter((x) => x !== first);
      if (first.at > this.t) this.t = first.at;
      first.resolve();
      this.schedule();
    };
    setImmediate(tick);
  }
}

/** A fake clock (virtual time) starting at `start`. */
export function fakeClock(start?: Date | string | number): FakeClock {
  return new FakeClock(start);
}

interface PendingTimer {
  /** Deadline, in the clock's (virtual) epoch ms. */
  at: number;
  seq: number;
  fn: () => unknown;
  /** Cancels the real setTimeout behind it. */
  disarm: () => void;
}

/**
 * The local cloud's one clock: real time plus an offset that can only grow, `now() = Date.now() + offset`.
 * Time runs as usual until {@link advance} moves it forward: then every pending timer whose deadline has
 * passed fires at once, in deadline order, and the others are re-armed for what is left of their time.
 *
 * A timer callback may return a Promise (a schedule invoking its Lambda): `advance()` resolves once every
 * callback it fired has settled, so a caller sees the effects of the time it skipped. Timers started by
 * those callbacks count from the new now (a retry after the one that just fired waits its full interval).
 */
export class ControllableClock implements Clock {
  private offset: number;
  private seq = 0;
  private readonly pending = new Set<PendingTimer>();
  private readonly listeners = new Set<(advancedMs: number) => unknown>();
  /** Advances run one after another (the second one's timers fire after the first one's have settled). */
  private advancing: Promise<void> = Promise.resolve();

  /** `offsetMs` (>= 0): start ahead of real time. */
  constructor(offsetMs = 0) {
    if (!(Number.isFinite(offsetMs) && offsetMs >= 0)) throw new RangeError(`The clock offset must be a number >= 0, got ${offsetMs}`);
    this.offset = offsetMs;
  }

  now(): Date {
    return new Date(Date.now() + this.offset);
  }

  /** now() in epoch ms. */
  nowMs(): number {
    return Date.now() + this.offset;
  }

  /** How far ahead of real time this clock is. */
  get offsetMs(): number {
    return this.offset;
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.pending.size;
  }

  timer(ms: number, fn: () => unknown): () => void {
    const timer: PendingTimer = { at: this.nowMs() + Math.max(0, ms), seq: this.seq++, fn, disarm: noop };
    this.pending.add(timer);
    this.arm(timer);
    return () => {
      if (this.pending.delete(timer)) timer.disarm();
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        cancel();
        reject(abortReason(signal!));
      };
      const cancel = this.timer(ms, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Called on every advance (with the milliseconds skipped), before the due timers fire; a returned Promise
   * is awaited. Returns the function that unsubscribes.
   */
  onAdvance(listener: (advancedMs: number) => unknown): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Moves the clock `ms` forward (now() shows it at once). Resolves when the advance listeners and every
   * timer that came due have run and the Promises they returned have settled; rejects with the first error
   * among them (the others still ran).
   */
  advance(ms: number): Promise<void> {
    if (!(Number.isFinite(ms) && ms >= 0)) return Promise.reject(new RangeError(`The clock can only be advanced by a number of milliseconds >= 0, got ${ms}`));
    this.offset += ms;
    const step = this.advancing.then(() => this.fireDue(ms));
    this.advancing = step.catch(noop);
    return step;
  }

  private async fireDue(advancedMs: number): Promise<void> {
    const errors: unknown[] = [];
    for (const listener of [...this.listeners]) {
      try {
        await listener(advancedMs);
      } catch (error) {
        errors.push(error);
      }
    }
    const now = this.nowMs();
    const due: PendingTimer[] = [];
    for (const timer of this.pending) {
      timer.disarm();
      if (timer.at <= now) due.push(timer);
      else this.arm(timer);
    }
    due.sort((a, b) => a.at - b.at || a.seq - b.seq);
    const settling: Promise<unknown>[] = [];
    for (const timer of due) {
      this.pending.delete(timer);
      try {
        const result = timer.fn();
        if (result && typeof (result as Promise<unknown>).then === 'function') settling.push(Promise.resolve(result).catch((error) => errors.push(error)));
      } catch (error) {
        errors.push(error);
      }
    }
    await Promise.all(settling);
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `${errors.length} timers failed while the clock advanced`);
  }

  /** A real setTimeout for the time left; fires the timer unless an advance already did. */
  private arm(timer: PendingTimer): void {
    timer.disarm = realTimer(timer.at - this.nowMs(), () => {
      if (timer.at > this.nowMs()) return this.arm(timer); // Date.now() and the timer clock may disagree by a millisecond
      if (this.pending.delete(timer)) timer.fn();
    });
  }
}

function noop(): void {}
