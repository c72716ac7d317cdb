/**
 * Request records: the Locations of the 202s a run received, and their records (GET /v1/requests/{id}).
 */
import type { CloudAdmin } from './admin';
import type { RequestRecord } from './model';
import type { Write } from './workload';

/** Runs `fn` over `items`, at most `limit` at once. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]);
      }
    }),
  );
  return out;
}

/** The Locations of every 202 answered in the run. */
export function queuedLocations(writes: readonly Write[]): string[] {
  const set = new Set<string>();
  for (const w of writes) for (const a of w.attempts) if (a.status === 202 && a.location) set.add(a.location);
  return [...set];
}

export function isFinal(record: RequestRecord | undefined): boolean {
  return !!record && (record.status === 'applied' || record.status === 'rejected') && !!record.outcome && typeof record.outcome.statusCode === 'number';
}

/** Fetches the records of the given Locations that are not final yet (GET /v1/requests/{id}). */
export async function refreshRecords(admin: CloudAdmin, locations: readonly string[], records: Map<string, RequestRecord>): Promise<number> {
  const todo = locations.filter((l) => !isFinal(records.get(l)));
  let failures = 0;
  await mapLimit(todo, 32, async (location) => {
    try {
      const { status, body } = await admin.requestRecord(location);
      if (status === 200) records.set(location, body);
      else failures++;
    } catch {
      failures++;
    }
  });
  return failures;
}

