/**
 * What an inline Map and a Map Run share: the pool that starts items in order under MaxConcurrency, and the
 * tolerated-failure rule.
 */

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The cause of States.ExceedToleratedFailureThreshold. */
export const TOLERATED_FAILURE_EXCEEDED = 'The specified tolerated failure threshold was exceeded';

/** Whether `failed` failures out of `n` items stay within the tolerated count or percentage (none set: none). */
export function isTolerated(failed: number, n: number, tol: { count?: number; percent?: number }): boolean {
  if (failed === 0) return true;
  if (tol.count === undefined && tol.percent === undefined) return false;
  if (tol.count !== undefined && failed <= tol.count) return true;
  if (tol.percent !== undefined && n > 0 && (failed * 100) / n <= tol.percent) return true;
  return false;
}

/**
 * Runs `run(i)` for i = 0..n-1 in index order, at most `maxConc` at a time (0 = no limit). The next one starts as
 * soon as the current one completes or really waits (timer, I/O): items that finish at once keep AWS's
 * sequential-looking history, slow ones overlap. Stops starting new ones once `stop()` or the token says so.
 */
export async function runPool(
  n: number,
  maxConc: number,
  ac: { aborted: boolean; detach(): void },
  stop: () => boolean,
  run: (i: number) => Promise<void>,
): Promise<void> {
  try {
    const active = new Set<Promise<void>>();
    for (let i = 0; i < n && !stop() && !ac.aborted; i++) {
      while (maxConc > 0 && active.size >= maxConc) await Promise.race(active);
      if (stop() || ac.aborted) break;
      const p = run(i);
      active.add(p);
      void p.then(() => active.delete(p));
      await Promise.race([p, yieldTurn()]);
    }
    await Promise.all(active);
  } finally {
    ac.detach();
  }
}

