/** The local cloud's clock: real time plus an offset that only grows; advancing fires what came due. */
import { ControllableClock, startTimer } from '../../../local/asl/clock';

const HOUR = 3_600_000;

describe('ControllableClock', () => {
  test('runs at real time until advanced, then is ahead by the offset', async () => {
    const clock = new ControllableClock();
    expect(Math.abs(clock.nowMs() - Date.now())).toBeLessThan(50);
    await clock.advance(2 * HOUR);
    expect(clock.offsetMs).toBe(2 * HOUR);
    expect(clock.now().getTime() - Date.now()).toBeGreaterThanOrEqual(2 * HOUR - 50);
  });

  test('an advance fires every timer that came due, in deadline order, and re-arms the others for the time left', async () => {
    const clock = new ControllableClock();
    const fired: string[] = [];
    clock.timer(3 * HOUR, () => fired.push('3h'));
    clock.timer(1 * HOUR, () => fired.push('1h'));
    clock.timer(2 * HOUR, () => fired.push('2h'));
    const later = clock.timer(5 * HOUR, () => fired.push('5h'));
    await clock.advance(3 * HOUR);
    expect(fired).toEqual(['1h', '2h', '3h']);
    expect(clock.pendingTimers).toBe(1);
    // The 5 h timer has 2 h left: an hour more does not fire it, two more do.
    await clock.advance(HOUR);
    expect(fired).toHaveLength(3);
    await clock.advance(HOUR);
    expect(fired).toEqual(['1h', '2h', '3h', '5h']);
    later(); // cancelling a fired timer is harmless
  });

  test('a re-armed timer still fires on real time', async () => {
    const clock = new ControllableClock();
    const fired = new Promise<number>((resolve) => clock.timer(HOUR + 30, () => resolve(clock.nowMs())));
    await clock.advance(HOUR);
    const at = await fired;
    expect(at - Date.now()).toBeGreaterThanOrEqual(HOUR - 50);
  });

  test('advance() resolves after the Promises returned by the timers it fired have settled', async () => {
    const clock = new ControllableClock();
    const steps: string[] = [];
    clock.timer(60_000, async () => {
      await new Promise((r) => setTimeout(r, 20));
      steps.push('timer work done');
    });
    await clock.advance(60_000);
    steps.push('advance resolved');
    expect(steps).toEqual(['timer work done', 'advance resolved']);
  });

  test('listeners run on every advance, before the due timers', async () => {
    const clock = new ControllableClock();
    const seen: string[] = [];
    clock.timer(1000, () => seen.push('timer'));
    const off = clock.onAdvance(async (ms) => {
      await Promise.resolve();
      seen.push(`listener ${ms}`);
    });
    await clock.advance(1000);
    off();
    await clock.advance(1000);
    expect(seen).toEqual(['listener 1000', 'timer']);
  });

  test('sleep() ends on advance and honours abort; a cancelled timer never fires', async () => {
    const clock = new ControllableClock();
    const ac = new AbortController();
    const aborted = clock.sleep(HOUR, ac.signal);
    ac.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
    let fired = false;
    startTimer(clock, HOUR, () => (fired = true))();
    const sleeping = clock.sleep(HOUR);
    await clock.advance(HOUR);
    await sleeping;
    expect(fired).toBe(false);
    expect(clock.pendingTimers).toBe(0);
  });

  test('only moves forward, and reports what its timers threw after running all of them', async () => {
    const clock = new ControllableClock();
    await expect(clock.advance(-1)).rejects.toThrow(RangeError);
    await expect(clock.advance(NaN)).rejects.toThrow(RangeError);
    expect(() => new ControllableClock(-5)).toThrow(RangeError);
    let second = false;
    clock.timer(10, () => {
      throw new Error('boom');
    });
    clock.timer(20, () => (second = true));
    await expect(clock.advance(100)).rejects.toThrow('boom');
    expect(second).toBe(true);
    expect(clock.offsetMs).toBe(100);
  });
});
