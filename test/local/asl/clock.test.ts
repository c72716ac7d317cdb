/** The time seams: tests never wait on real backoff. */
import { fakeClock, scaledClock, systemClock } from '../../../local/asl';
import { startTimer } from '../../../local/asl/clock';

describe('clocks', () => {
  test('fakeClock: sleeps resolve in deadline order, now() jumps, every request is recorded', async () => {
    const clock = fakeClock('2024-01-01T00:00:00Z');
    const order: number[] = [];
    await Promise.all([clock.sleep(3000).then(() => order.push(3)), clock.sleep(1000).then(() => order.push(1)), clock.sleep(2000).then(() => order.push(2))]);
    expect(order).toEqual([1, 2, 3]);
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:03.000Z');
    expect(clock.sleeps).toEqual([3000, 1000, 2000]);
  });

  test('fakeClock: an aborted sleep rejects and never fires', async () => {
    const clock = fakeClock();
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    await clock.sleep(1);
    expect(clock.now().getTime()).toBe(new Date('2024-01-01T00:00:00.000Z').getTime() + 1);
  });

  test('scaledClock: a 10 s sleep at scale 0.001 takes ~10 ms of real time', async () => {
    const clock = scaledClock(0.001);
    const t0 = Date.now();
    await clock.sleep(10_000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  test('systemClock sleep honours abort', async () => {
    const ac = new AbortController();
    const p = systemClock.sleep(60_000, ac.signal);
    ac.abort(new Error('bye'));
    await expect(p).rejects.toThrow('bye');
  });
});

describe('systemClock with delays beyond setTimeout', () => {
  it('does not fire a 30-day sleep at once (setTimeout overflows past 2^31-1 ms)', async () => {
    const controller = new AbortController();
    let settled = false;
    const sleeping = systemClock.sleep(30 * 24 * 3600 * 1000, controller.signal).then(
      () => (settled = true),
      () => 'aborted',
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false);
    controller.abort();
    await expect(sleeping).resolves.toBe('aborted');
  });
});

describe('timers (the cheap cancellable timeout behind Task and machine TimeoutSeconds)', () => {
  test('fakeClock.timer fires at its virtual deadline, is recorded like a sleep, and a cancelled one never fires', async () => {
    const clock = fakeClock('2024-01-01T00:00:00Z');
    const fired: string[] = [];
    const cancel = clock.timer(5000, () => fired.push('cancelled'));
    clock.timer(2000, () => fired.push(`two at ${clock.now().toISOString()}`));
    cancel();
    await clock.sleep(3000);
    expect(fired).toEqual(['two at 2024-01-01T00:00:02.000Z']);
    expect(clock.sleeps).toEqual([5000, 2000, 3000]);
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:03.000Z');
  });

  test('startTimer uses sleep() and an AbortController on a clock without timer()', async () => {
    const seen: (AbortSignal | undefined)[] = [];
    const clock = {
      now: () => new Date(),
      sleep: (ms: number, signal?: AbortSignal) => {
        seen.push(signal);
        return new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, ms);
          signal?.addEventListener('abort', () => {
            clearTimeout(t);
            reject(signal.reason);
          });
        });
      },
    };
    let fired = 0;
    startTimer(clock, 5, () => fired++);
    const cancel = startTimer(clock, 5, () => fired++);
    cancel();
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(1);
    expect(seen.every((s) => s instanceof AbortSignal)).toBe(true);
    expect(seen[1]!.aborted).toBe(true);
  });

  test('systemClock.timer: cancelled before its time, it does not fire; a long one is chunked', async () => {
    let fired = 0;
    const cancel = systemClock.timer!(10, () => fired++);
    cancel();
    const cancelLong = systemClock.timer!(30 * 24 * 3600 * 1000, () => fired++);
    systemClock.timer!(5, () => fired++);
    await new Promise((r) => setTimeout(r, 40));
    cancelLong();
    expect(fired).toBe(1);
  });
});
