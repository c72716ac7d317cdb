/**
 * Retry timing arithmetic, asserted on the delays the engine asks the (fake) clock for.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-retrying-after-an-error
 * "IntervalSeconds ... default 1; MaxAttempts ... default 3 ... 0 never retried; BackoffRate ... default 2.0;
 *  MaxDelaySeconds caps the interval; JitterStrategy FULL randomizes the interval."
 */
import { fakeClock, TaskError, TaskHandlerRegistry } from '../../../local/asl';
import { run } from './harness';

function failing(times: number, error = 'Transient') {
  let n = 0;
  const seenRetryCounts: number[] = [];
  const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
    seenRetryCounts.push(inv.context.State.RetryCount);
    if (n++ < times) throw new TaskError(error, `failure ${n}`);
    return { done: n };
  });
  return { registry, seenRetryCounts, calls: () => n };
}

function task(retry: object[]) {
  return { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: retry, End: true } } };
}

describe('retry timing', () => {
  test('defaults: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3', async () => {
    const clock = fakeClock();
    const h = failing(10);
    const r = await run(task([{ ErrorEquals: ['States.ALL'] }]), {}, { handlers: h.registry, clock });
    expect(r.status).toBe('FAILED');
    expect(h.calls()).toBe(4);
    expect(clock.sleeps).toEqual([1000, 2000, 4000]);
  });

  test('IntervalSeconds and BackoffRate multiply per attempt; MaxDelaySeconds caps', async () => {
    const clock = fakeClock();
    const h = failing(10);
    await run(task([{ ErrorEquals: ['Transient'], IntervalSeconds: 3, BackoffRate: 1.5, MaxAttempts: 5, MaxDelaySeconds: 8 }]), {}, { handlers: h.registry, clock });
    expect(clock.sleeps).toEqual([3000, 4500, 6750, 8000, 8000]);
  });

  test('JitterStrategy FULL draws the delay in [0, delay) from the injected random', async () => {
    const clock = fakeClock();
    const h = failing(10);
    await run(task([{ ErrorEquals: ['Transient'], IntervalSeconds: 2, MaxAttempts: 3, JitterStrategy: 'FULL' }]), {}, { handlers: h.registry, clock, random: () => 0.25 });
    expect(clock.sleeps).toEqual([500, 1000, 2000]);
  });

  test('the clock time advances by the backoff (no real waiting) and history timestamps follow it', async () => {
    const clock = fakeClock('2024-05-01T00:00:00Z');
    const h = failing(2);
    const r = await run(task([{ ErrorEquals: ['Transient'], IntervalSeconds: 10 }]), {}, { handlers: h.registry, clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(r.stopDate.getTime() - r.startDate.getTime()).toBe(30000);
  });

  test('each retrier counts its own attempts; the first matching retrier is used', async () => {
    const clock = fakeClock();
    let n = 0;
    const errors = ['A', 'B', 'A', 'B', 'A'];
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => {
      const e = errors[n++];
      if (e) throw new TaskError(e, e);
      return 'ok';
    });
    const r = await run(
      task([
        { ErrorEquals: ['A'], IntervalSeconds: 1, MaxAttempts: 3 },
        { ErrorEquals: ['B'], IntervalSeconds: 5, MaxAttempts: 2 },
      ]),
      {},
      { handlers: registry, clock },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(clock.sleeps).toEqual([1000, 5000, 2000, 10000, 4000]);
  });

  test('a retrier whose attempts are used up does not let a later retrier take over', async () => {
    const clock = fakeClock();
    const h = failing(10, 'A');
    const r = await run(
      task([
        { ErrorEquals: ['A'], MaxAttempts: 1 },
        { ErrorEquals: ['States.ALL'], MaxAttempts: 5 },
      ]),
      {},
      { handlers: h.registry, clock },
    );
    expect(r.status).toBe('FAILED');
    expect(h.calls()).toBe(2);
    expect(clock.sleeps).toEqual([1000]);
  });

  test('$$.State.RetryCount counts the retries of the state', async () => {
    const h = failing(2);
    await run(task([{ ErrorEquals: ['States.ALL'] }]), {}, { handlers: h.registry });
    expect(h.seenRetryCounts).toEqual([0, 1, 2]);
  });

  test('States.Timeout is not matched by States.TaskFailed', async () => {
    const clock = fakeClock();
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', (inv) => new Promise((_, rej) => inv.signal.addEventListener('abort', () => rej(new Error('aborted')))));
    const def = {
      StartAt: 'T',
      States: {
        T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 5, Retry: [{ ErrorEquals: ['States.TaskFailed'] }], End: true },
      },
    };
    const r = await run(def, {}, { handlers: registry, clock });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Timeout');
    expect(clock.sleeps).toEqual([5000]);
  });
});
