/**
 * CloudWatch metrics in memory, on the cloud's clock: one time series per metric (namespace, name and the exact
 * set of dimensions, as CloudWatch identifies them), kept at 1-minute resolution for `retentionMs` (default 24 h).
 *
 * Each minute bucket holds what CloudWatch keeps for a statistic set: sum, sample count, minimum and maximum, plus
 * the raw values (up to {@link MAX_VALUES_PER_BUCKET}) for percentiles. Statistics over a period aggregate the
 * buckets of that period; periods are aligned to multiples of their length since the epoch.
 *
 * Not kept: high resolution (a StorageResolution of 1 is stored at 1 minute), units other than the first one put.
 */

export interface MetricId {
  namespace: string;
  name: string;
  /** Dimension name → value. Order does not matter; the set must match exactly, as on CloudWatch. */
  dimensions: Record<string, string>;
}

export interface StatisticSet {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

/** One period of a metric, aggregated. */
export interface PeriodStatistics extends StatisticSet {
  /** Start of the period, epoch ms. */
  timestamp: number;
  /** Raw values when every one was kept (percentiles); undefined when some were put as statistic sets or dropped. */
  values?: number[];
}

interface Bucket extends StatisticSet {
  values: number[] | undefined;
}

interface Series {
  id: MetricId;
  unit?: string;
  /** Minute start (epoch ms) → bucket. */
  buckets: Map<number, Bucket>;
}

export const MINUTE_MS = 60_000;
/** Raw values kept per minute and metric for percentiles; past that, percentiles of that minute are not computed. */
export const MAX_VALUES_PER_BUCKET = 10_000;

/** Statistic names CloudWatch accepts in Statistic/Stat, and percentiles (p0-p100). */
export const STATISTICS = ['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum'] as const;
const PERCENTILE = /^p(\d{1,2}(?:\.\d{1,10})?|100)$/;

export class StatisticError extends Error {
  override name = 'StatisticError';
}

/** Throws {@link StatisticError} for a statistic the local CloudWatch cannot compute (trimmed means, IQM, ...). */
export function validateStatistic(stat: string): void {
  if ((STATISTICS as readonly string[]).includes(stat)) return;
  const p = PERCENTILE.exec(stat);
  if (p && Number(p[1]) <= 100) return;
  throw new StatisticError(`The statistic ${JSON.stringify(stat)} is not supported by the local CloudWatch (SampleCount, Average, Sum, Minimum, Maximum, pNN)`);
}

/** The value of a statistic for one period, or undefined (no samples, or a percentile without raw values). */
export function statisticValue(stats: PeriodStatistics, stat: string): number | undefined {
  if (stats.sampleCount <= 0) return undefined;
  switch (stat) {
    case 'SampleCount':
      return stats.sampleCount;
    case 'Sum':
      return stats.sum;
    case 'Average':
      return stats.sum / stats.sampleCount;
    case 'Minimum':
      return stats.minimum;
    case 'Maximum':
      return stats.maximum;
  }
  const p = PERCENTILE.exec(stat);
  if (!p || !stats.values?.length) return undefined;
  return percentile(stats.values, Number(p[1]));
}

/** Nearest-rank percentile. */
function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (p <= 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function metricKey(id: MetricId): string {
  const dims = Object.keys(id.dimensions)
    .sort()
    .map((k) => `${k}=${id.dimensions[k]}`)
    .join(',');
  return `${id.namespace}\u0000${id.name}\u0000${dims}`;
}

export interface MetricStoreOptions {
  /** The clock's time, epoch ms (for pruning). */
  now: () => number;
  /** How long minute buckets are kept (default 24 hours). */
  retentionMs?: number;
}

export interface PutOptions {
  unit?: string;
}

export class MetricStore {
  private readonly series = new Map<string, Series>();
  readonly retentionMs: number;

  constructor(private readonly options: MetricStoreOptions) {
    this.retentionMs = options.retentionMs ?? 24 * 3_600_000;
  }

  /** Records one value (or several) at `time` (epoch ms). */
  put(id: MetricId, value: number | number[], time: number, options: PutOptions = {}): void {
    const values = Array.isArray(value) ? value : [value];
    const finite = values.filter((v) => Number.isFinite(v));
    if (!finite.length) return;
    const bucket = this.bucket(id, time, options.unit);
    for (const v of finite) {
      bucket.sampleCount++;
      bucket.sum += v;
      bucket.minimum = Math.min(bucket.minimum, v);
      bucket.maximum = Math.max(bucket.maximum, v);
      if (bucket.values && bucket.values.length < MAX_VALUES_PER_BUCKET) bucket.values.push(v);
      else bucket.values = undefined;
    }
  }

  /** Records a statistic set (PutMetricData's StatisticValues): no raw values, so no percentiles for that minute. */
  putStatistics(id: MetricId, stats: StatisticSet, time: number, options: PutOptions = {}): void {
    if (!(stats.sampleCount > 0)) return;
    const bucket = this.bucket(id, time, options.unit);
    bucket.sampleCount += stats.sampleCount;
    bucket.sum += stats.sum;
    bucket.minimum = Math.min(bucket.minimum, stats.minimum);
    bucket.maximum = Math.max(bucket.maximum, stats.maximum);
    bucket.values = undefined;
  }

  /** Every metric, optionally filtered (ListMetrics): a filter dimension without a value matches any value. */
  list(filter: { namespace?: string; name?: string; dimensions?: { name: string; value?: string }[] } = {}): (MetricId & { unit?: string })[] {
    const out: (MetricId & { unit?: string })[] = [];
    for (const s of this.series.values()) {
      if (filter.namespace !== undefined && s.id.namespace !== filter.namespace) continue;
      if (filter.name !== undefined && s.id.name !== filter.name) continue;
      if (filter.dimensions?.some((d) => !(d.name in s.id.dimensions) || (d.value !== undefined && s.id.dimensions[d.name] !== d.value))) continue;
      out.push({ ...s.id, dimensions: { ...s.id.dimensions }, unit: s.unit });
    }
    return out.sort((a, b) => metricKey(a).localeCompare(metricKey(b)));
  }

  has(id: MetricId): boolean {
    return this.series.has(metricKey(id));
  }

  /**
   * The statistics of every period of `periodMs` that starts in [start, end) and has data, oldest first.
   * `periodMs` is a multiple of a minute.
   */
  statistics(id: MetricId, start: number, end: number, periodMs: number): PeriodStatistics[] {
    const series = this.series.get(metricKey(id));
    if (!series) return [];
    const byPeriod = new Map<number, PeriodStatistics>();
    // A short range (an alarm's few periods) looks its minutes up; a long one walks the buckets.
    const first = Math.ceil(start / periodMs) * periodMs;
    const minutes = (end - first) / MINUTE_MS;
    const buckets: Iterable<[number, Bucket]> =
      minutes < series.buckets.size ? rangeBuckets(series.buckets, first, end) : series.buckets;
    for (const [t, b] of buckets) {
      const periodStart = Math.floor(t / periodMs) * periodMs;
      if (periodStart < start || periodStart >= end) continue;
      const p = byPeriod.get(periodStart);
      if (!p) {
        byPeriod.set(periodStart, { timestamp: periodStart, sampleCount: b.sampleCount, sum: b.sum, minimum: b.minimum, maximum: b.maximum, values: b.values && [...b.values] });
        continue;
      }
      p.sampleCount += b.sampleCount;
      p.sum += b.sum;
      p.minimum = Math.min(p.minimum, b.minimum);
      p.maximum = Math.max(p.maximum, b.maximum);
      p.values = p.values && b.values ? p.values.concat(b.values) : undefined;
    }
    return [...byPeriod.values()].sort((a, b) => a.timestamp - b.timestamp);
  }

  /** One statistic per period (as {@link statistics}), periods without a value left out. */
  datapoints(id: MetricId, start: number, end: number, periodMs: number, stat: string): { timestamp: number; value: number }[] {
    const out: { timestamp: number; value: number }[] = [];
    for (const p of this.statistics(id, start, end, periodMs)) {
      const value = statisticValue(p, stat);
      if (value !== undefined) out.push({ timestamp: p.timestamp, value });
    }
    return out;
  }

  /** Drops buckets older than the retention. */
  prune(): void {
    const oldest = this.options.now() - this.retentionMs;
    for (const [key, s] of this.series) {
      for (const t of s.buckets.keys()) if (t < oldest) s.buckets.delete(t);
      if (s.buckets.size === 0) this.series.delete(key);
    }
  }

  private bucket(id: MetricId, time: number, unit: string | undefined): Bucket {
    const key = metricKey(id);
    let series = this.series.get(key);
    if (!series) {
      series = { id: { namespace: id.namespace, name: id.name, dimensions: { ...id.dimensions } }, unit, buckets: new Map() };
      this.series.set(key, series);
    }
    const minute = Math.floor(time / MINUTE_MS) * MINUTE_MS;
    let bucket = series.buckets.get(minute);
    if (!bucket) {
      bucket = { sampleCount: 0, sum: 0, minimum: Infinity, maximum: -Infinity, values: [] };
      series.buckets.set(minute, bucket);
    }
    return bucket;
  }
}

function* rangeBuckets(buckets: Map<number, Bucket>, start: number, end: number): Iterable<[number, Bucket]> {
  for (let t = Math.floor(start / MINUTE_MS) * MINUTE_MS; t < end; t += MINUTE_MS) {
    const b = buckets.get(t);
    if (b) yield [t, b];
  }
}
