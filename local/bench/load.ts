/**
 * Main-thread handle on the load-generator worker (load-worker.ts). One worker serves every run of the benchmark so
 * that its JIT state is the same for both systems. The worker loads TypeScript through tsx's CommonJS hook, so this
 * works under `tsx` and under jest alike.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadJob, LoadResult } from './load-worker';

export type { LoadJob, LoadRequest, LoadResult } from './load-worker';

export class LoadGenerator {
  private readonly worker: Worker;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  constructor() {
    const tsx = require.resolve('tsx/cjs');
    const file = path.join(__dirname, 'load-worker.ts');
    this.worker = new Worker(`require(${JSON.stringify(tsx)}); require(${JSON.stringify(file)});`, {
      eval: true,
      execArgv: [],
      workerData: { benchLoadWorker: true },
    });
    this.worker.on('message', (msg: { id: number; result?: LoadResult; error?: string }) => {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.reject(new Error(`load worker: ${msg.error}`));
      else p.resolve(msg.result!);
    });
    this.worker.on('error', (err) => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
  }

  run(job: LoadJob): Promise<LoadResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, job });
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
