/**
 * The HTTP load generator, run in a worker thread (see load.ts) so that the client has its own core and its own
 * event loop: the servers under test keep the main thread to themselves.
 *
 * Closed loop: `concurrency` loops, each sending its next request as soon as the previous answer has been read,
 * over keep-alive connections (`http.Agent({keepAlive: true, maxSockets: concurrency})`). The first `warmupMs`
 * are not recorded; then every request started in the next `durationMs` is counted and timed.
 */
import * as http from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { signRequest } from '../auth/sign-request';
import { percentileSorted, round } from './stats';

export interface LoadRequest {
  method: string;
  /** Path with query, e.g. /v1/orders/abc */
  path: string;
  body?: string;
  headers?: Record<string, string>;
}

export interface LoadJob {
  /** e.g. http://127.0.0.1:3000 */
  origin: string;
  /** Requests sent round-robin across all loops. */
  requests: LoadRequest[];
  concurrency: number;
  warmupMs: number;
  durationMs: number;
  /** Status every answer should have; any other one counts as an error. */
  expectStatus: number;
  /** SigV4-sign every request with the local credentials, as a client of the IAM-authorized API does (docs/auth.md). */
  sign?: boolean;
}

export interface LoadResult {
  /** Requests started and answered inside the measured window. */
  requests: number;
  /** Answers with another status than expected, or transport errors (measured window only). */
  errors: number;
  /** The first unexpected answer or transport error, for diagnostics. */
  firstError?: string;
  statuses: Record<string, number>;
  /** Measured window, ms (from the end of the warm-up until the last measured answer). */
  elapsedMs: number;
  requestsPerSec: number;
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
  /** Event-loop utilisation of the client thread during the measured window (≈1 means the client was the bottleneck). */
  clientElu: number;
}

async function send(agent: http.Agent, origin: URL, req: LoadRequest, sign = false): Promise<{ status: number; body: string }> {
  const given: Record<string, string> = { ...req.headers };
  if (req.body !== undefined) given['content-type'] ??= 'application/json';
  const signed = sign ? await signRequest({ method: req.method, url: new URL(req.path, origin), headers: given, body: req.body }) : given;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...signed };
    if (req.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      headers['content-length'] = Buffer.byteLength(req.body);
    }
    const r = http.request(
      { agent, host: origin.hostname, port: origin.port, method: req.method, path: req.path, headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(req.body);
  });
}

export async function runLoad(job: LoadJob): Promise<LoadResult> {
  const origin = new URL(job.origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: job.concurrency });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let firstError: string | undefined;
  let next = 0;

  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const stopAt = measureFrom + job.durationMs;
  let eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  const eluTimer = setTimeout(() => (eluStart = performance.eventLoopUtilization()), job.warmupMs);
  let lastEnd = measureFrom;

  const loop = async () => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= stopAt) return;
      const req = job.requests[next++ % job.requests.length];
      let status = 0;
      let problem: string | undefined;
      try {
        const res = await send(agent, origin, req, job.sign);
        status = res.status;
        if (status !== job.expectStatus) problem = `${req.method} ${req.path} → ${status} ${res.body.slice(0, 300)}`;
      } catch (err) {
        problem = `${req.method} ${req.path} → ${(err as Error).message}`;
      }
      const t1 = performance.now();
      if (t0 < measureFrom) continue;
      latencies.push(t1 - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (t1 > lastEnd) lastEnd = t1;
      if (problem) {
        errors++;
        firstError ??= problem;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: job.concurrency }, loop));
  } finally {
    clearTimeout(eluTimer);
    agent.destroy();
  }
  const clientElu = eluStart ? performance.eventLoopUtilization(eluStart).utilization : NaN;

  latencies.sort((a, b) => a - b);
  const elapsedMs = lastEnd - measureFrom;
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    requests: latencies.length,
    errors,
    firstError,
    statuses,
    elapsedMs: round(elapsedMs, 1),
    requestsPerSec: elapsedMs > 0 ? Math.round((latencies.length / elapsedMs) * 1000) : 0,
    latencyMs: {
      mean: round(latencies.length ? sum / latencies.length : NaN, 3),
      p50: round(percentileSorted(latencies, 50), 3),
      p90: round(percentileSorted(latencies, 90), 3),
      p99: round(percentileSorted(latencies, 99), 3),
      max: round(latencies.length ? latencies[latencies.length - 1] : NaN, 3),
    },
    clientElu: round(clientElu, 3),
  };
}

if (parentPort && (workerData as { benchLoadWorker?: boolean } | undefined)?.benchLoadWorker) {
  const port = parentPort;
  port.on('message', (msg: { id: number; job: LoadJob }) => {
    runLoad(msg.job).then(
      (result) => port.postMessage({ id: msg.id, result }),
      (err: Error) => port.postMessage({ id: msg.id, error: err.stack ?? String(err) }),
    );
  });
}
