/**
 * Throughput of the in-process DynamoDB (dynalite called directly, no HTTP): PutItem and GetItem per second,
 * in memory and on disk (LevelDB), one call at a time and with concurrent callers.
 *
 *   import { benchDynamoDb, formatDynamoDbBench } from './local/services/dynamodb/bench';
 *   console.log(formatDynamoDbBench(await benchDynamoDb()));
 * or: npx tsx local/services/dynamodb/bench.ts [items]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDbService } from '.';

export interface DynamoDbBenchOptions {
  /** Items written then read per run (default 2000). */
  items?: number;
  /** Concurrency levels to try (default [1, 16]). */
  concurrency?: number[];
  /** Storage modes to try (default both). Disk runs use a fresh temporary folder, removed afterwards. */
  storage?: ('memory' | 'disk')[];
  /** Approximate item size in bytes (default 512). */
  itemBytes?: number;
}

export interface DynamoDbBenchResult {
  storage: 'memory' | 'disk';
  concurrency: number;
  items: number;
  putsPerSecond: number;
  getsPerSecond: number;
  /** Mean latency per call, ms. */
  putLatencyMs: number;
  getLatencyMs: number;
}

export async function benchDynamoDb(options: DynamoDbBenchOptions = {}): Promise<DynamoDbBenchResult[]> {
  const items = options.items ?? 2000;
  const levels = options.concurrency ?? [1, 16];
  const modes = options.storage ?? ['memory', 'disk'];
  const padding = 'x'.repeat(Math.max(0, (options.itemBytes ?? 512) - 64));
  const results: DynamoDbBenchResult[] = [];

  for (const storage of modes) {
    for (const concurrency of levels) {
      const dir = storage === 'disk' ? fs.mkdtempSync(path.join(os.tmpdir(), 'dynalite-bench-')) : undefined;
      const dynamo = await DynamoDbService.open(dir ? { path: dir } : { inMemory: true });
      try {
        await dynamo.call('CreateTable', {
          TableName: 'bench',
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        });
        const putMs = await timed(items, concurrency, (i) =>
          dynamo.call('PutItem', { TableName: 'bench', Item: { pk: { S: `item-${i}` }, n: { N: String(i) }, payload: { S: padding } } }),
        );
        const getMs = await timed(items, concurrency, (i) => dynamo.call('GetItem', { TableName: 'bench', Key: { pk: { S: `item-${i}` } } }));
        results.push({
          storage,
          concurrency,
          items,
          putsPerSecond: Math.round((items / putMs) * 1000),
          getsPerSecond: Math.round((items / getMs) * 1000),
          putLatencyMs: round((putMs * concurrency) / items),
          getLatencyMs: round((getMs * concurrency) / items),
        });
      } finally {
        await dynamo.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  return results;
}

export function formatDynamoDbBench(results: DynamoDbBenchResult[]): string {
  const header = 'storage  concurrency  items   puts/s   gets/s   put ms   get ms';
  const rows = results.map(
    (r) =>
      `${r.storage.padEnd(8)} ${String(r.concurrency).padStart(11)} ${String(r.items).padStart(6)} ${String(r.putsPerSecond).padStart(8)} ${String(r.getsPerSecond).padStart(8)} ${r.putLatencyMs
        .toFixed(3)
        .padStart(8)} ${r.getLatencyMs.toFixed(3).padStart(8)}`,
  );
  return [header, ...rows].join('\n');
}

/** Runs `fn(0..count-1)` with `concurrency` workers; returns elapsed ms. */
async function timed(count: number, concurrency: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await fn(next++);
    }),
  );
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}

if (require.main === module) {
  const items = Number(process.argv[2] ?? 2000);
  benchDynamoDb({ items })
    .then((results) => console.log(formatDynamoDbBench(results)))
    .catch((err) => {
      console.error(err);
      process.exit(1);
    });
}
