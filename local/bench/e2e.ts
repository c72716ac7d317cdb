/**
 * End-to-end benchmark: GET /orders/{id} and POST /orders through the local API (HTTP → API Gateway emulation and
 * the template's request VTL → StartSyncExecution → ASL engine → flags Lambda in-process → DynamoDB (dynalite in
 * memory) → response VTL), side by side with a bare node:http handler doing the same store operation on the same
 * DynamoDB implementation (bare-server.ts).
 *
 * Both servers run in this (main) thread; the load generator runs in a worker thread (load-worker.ts), closed loop,
 * `concurrency` keep-alive connections. Each scenario runs `rounds` times alternating the systems (A/B/A/B...), each
 * run being a warm-up then a measured window; the median of the runs is reported, and the ratio local / bare.
 */
import * as fs from 'node:fs';
import { Session } from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { signRequest } from '../auth/sign-request';
import { startLocalCloud } from '../cloud';
import { startBareServer } from './bare-server';
import { LoadGenerator, type LoadJob, type LoadRequest, type LoadResult } from './load';
import { formatProfileSummary, summarizeProfile, type CpuProfile } from './profile-summary';
import { median, round } from './stats';

export type SystemName = 'local' | 'bare';
export type ScenarioName = 'GET' | 'POST';

/** Target: the local API does at least this fraction of the bare handler's requests per second. */
export const E2E_TARGET_RATIO = 0.5;

/** A valid body for the orders model (cdk/schemas/order.schema.json). */
export const ORDER_BODY = JSON.stringify({ customer: 'Ada', items: [{ pizza: 'margherita', size: 'large', quantity: 2 }, { pizza: 'diavola', quantity: 1 }] });

export interface E2eOptions {
  concurrency: number;
  /** Measured window of each run. */
  durationMs: number;
  /** Unrecorded warm-up at the start of each run. */
  warmupMs: number;
  /** Runs per system and scenario (alternating the systems). */
  rounds: number;
  /** Items created (through each system's own POST) before the GET scenario; GETs cycle through them. */
  seedItems: number;
  scenarios?: ScenarioName[];
  systems?: SystemName[];
  /** Write a CPU profile of the server (main) thread for each run's measured window into this folder. */
  profileDir?: string;
  log?: (line: string) => void;
}

export interface E2eRun extends LoadResult {
  round: number;
  /** Event-loop utilisation of the server (main) thread during the measured window. */
  serverElu: number;
  /**
   * CPU time of the server (main) thread per request in the measured window, µs (Linux: /proc/self/task/<pid>/stat,
   * 10 ms ticks). Unlike req/s and ELU it does not count the time other processes held the core.
   */
  serverCpuUsPerRequest: number;
  /** 1-minute load average at the end of the run (this benchmark alone accounts for about 2). */
  loadAvg1m: number;
  /** V8 heap in use on the server (main) thread at the end of the run, MB (the local cloud keeps up to 10,000 executions with their history). */
  heapUsedMb: number;
  /** The run's CPU profile (with `profileDir`). */
  profile?: string;
}

export interface E2eSystemSummary {
  /** Medians over the runs. */
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  serverElu: number;
  clientElu: number;
  /** Median server-thread CPU per request, µs. */
  serverCpuUsPerRequest: number;
  runs: E2eRun[];
}

export interface E2eScenarioResult {
  scenario: ScenarioName;
  /** e.g. 'GET /orders/{id}' */
  route: string;
  expectStatus: number;
  local?: E2eSystemSummary;
  bare?: E2eSystemSummary;
  /**
   * Local API req/s ÷ bare req/s, when both ran: the median of the per-round ratios (each round's two runs are
   * adjacent in time, so a burst of load from other processes hits both of a pair more often than not).
   */
  ratio?: number;
  /** The ratio per round (local run i / bare run i). */
  roundRatios?: number[];
  /** local.requestsPerSec / bare.requestsPerSec (ratio of the medians). */
  ratioOfMedians?: number;
  /**
   * bare / local server-thread CPU per request (medians): the throughput ratio both would reach if each had a core to
   * itself and were CPU-bound. Other processes do not move it, unlike the req/s ratio.
   */
  cpuCostRatio?: number;
  target: number;
  meetsTarget?: boolean;
}

export interface E2eResult {
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  rounds: number;
  seedItems: number;
  apiUrl?: string;
  scenarios: E2eScenarioResult[];
  /** Lines the in-process Lambdas (the flags reader) wrote with console.log/info/warn/debug during the e2e part, kept out of the table. */
  consoleLines: number;
  /** The first few distinct ones. */
  consoleSample: string[];
  /** Start-up of the local cloud (synth or cache, template load, servers), ms. */
  localCloudStartMs?: number;
}

interface SystemUnderTest {
  name: SystemName;
  origin: string;
  /** Path of the orders collection, e.g. /v1/orders */
  collectionPath: string;
  ids: string[];
  /** Sent with every request: the local cloud's API key (its usage plan's x-api-key). */
  headers: Record<string, string>;
  /** SigV4-sign each request (the local cloud's AWS_IAM methods); the bare handler needs none. */
  sign?: boolean;
}

/** Creates `count` orders through the system's POST (8 at a time) and returns their ids (from Location). */
async function seed(system: SystemUnderTest, count: number): Promise<string[]> {
  const ids: string[] = [];
  let made = 0;
  const worker = async () => {
    while (made < count) {
      made++;
      const url = system.origin + system.collectionPath;
      const headers = { ...system.headers, 'content-type': 'application/json' };
      const res = await fetch(url, { method: 'POST', headers: system.sign ? await signRequest({ method: 'POST', url, headers, body: ORDER_BODY }) : headers, body: ORDER_BODY });
      const text = await res.text();
      const location = res.headers.get('location');
      if (res.status !== 201 || !location) throw new Error(`seeding ${system.name}: POST ${system.collectionPath} → ${res.status} ${text.slice(0, 300)}`);
      ids.push(decodeURIComponent(location.slice(location.lastIndexOf('/') + 1)));
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}

function jobFor(system: SystemUnderTest, scenario: ScenarioName, options: E2eOptions): LoadJob {
  const requests: LoadRequest[] =
    scenario === 'GET'
      ? system.ids.map((id) => ({ method: 'GET', path: `${system.collectionPath}/${encodeURIComponent(id)}`, headers: system.headers }))
      : [{ method: 'POST', path: system.collectionPath, body: ORDER_BODY, headers: { ...system.headers, 'content-type': 'application/json' } }];
  return {
    origin: system.origin,
    requests,
    concurrency: options.concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    expectStatus: scenario === 'GET' ? 200 : 201,
    sign: system.sign,
  };
}

/** Runs one load job while measuring the event-loop utilisation (and, with `profile`, a CPU profile) of this thread over the measured window. */
async function measuredRun(load: LoadGenerator, job: LoadJob, roundNo: number, profile?: ProfileTarget): Promise<E2eRun> {
  let eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let eluEnd: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let profiling: Promise<void> | undefined;
  let cpuStart: number | undefined;
  let cpuEnd: number | undefined;
  const t1 = setTimeout(() => {
    eluStart = performance.eventLoopUtilization();
    cpuStart = mainThreadCpuMs();
    if (profile) profiling = post(profile.session, 'Profiler.start');
  }, job.warmupMs);
  const t2 = setTimeout(() => {
    eluEnd = performance.eventLoopUtilization();
    cpuEnd = mainThreadCpuMs();
  }, job.warmupMs + job.durationMs);
  try {
    const result = await load.run(job);
    const end = eluEnd ?? performance.eventLoopUtilization();
    const serverElu = eluStart ? performance.eventLoopUtilization(end, eluStart).utilization : NaN;
    cpuEnd ??= mainThreadCpuMs();
    // The window's requests: those started in it; the CPU window is the same (timer-based) interval.
    const serverCpuUsPerRequest = cpuStart !== undefined && cpuEnd !== undefined && result.requests > 0 ? Math.round(((cpuEnd - cpuStart) * 1000) / result.requests) : NaN;
    const run: E2eRun = { ...result, round: roundNo, serverElu: round(serverElu, 3), serverCpuUsPerRequest, loadAvg1m: round(os.loadavg()[0], 2), heapUsedMb: Math.round(process.memoryUsage().heapUsed / 2 ** 20) };
    if (profile && profiling) {
      await profiling;
      const { profile: data } = await post<{ profile: CpuProfile }>(profile.session, 'Profiler.stop');
      fs.mkdirSync(path.dirname(profile.file), { recursive: true });
      fs.writeFileSync(profile.file, JSON.stringify(data));
      const summary = formatProfileSummary(summarizeProfile(data), 40, result.requests);
      fs.writeFileSync(profile.file.replace(/\.cpuprofile$/, '.summary.txt'), summary + '\n');
      run.profile = profile.file;
    }
    return run;
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
  }
}

/** CPU time (user + system) of this process's main thread, ms, from /proc (Linux); undefined elsewhere. */
function mainThreadCpuMs(): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime + stime, in USER_HZ (100/s) ticks
  } catch {
    return undefined;
  }
}

interface ProfileTarget {
  session: Session;
  file: string;
}

function post<T = void>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
}

function summarize(runs: E2eRun[]): E2eSystemSummary {
  return {
    requestsPerSec: Math.round(median(runs.map((r) => r.requestsPerSec))),
    p50Ms: round(median(runs.map((r) => r.latencyMs.p50)), 3),
    p99Ms: round(median(runs.map((r) => r.latencyMs.p99)), 3),
    errors: runs.reduce((n, r) => n + r.errors, 0),
    serverElu: round(median(runs.map((r) => r.serverElu)), 3),
    clientElu: round(median(runs.map((r) => r.clientElu)), 3),
    serverCpuUsPerRequest: Math.round(median(runs.map((r) => r.serverCpuUsPerRequest))),
    runs,
  };
}

export async function runE2eBench(options: E2eOptions): Promise<E2eResult> {
  const log = options.log ?? (() => {});
  const scenarios = options.scenarios ?? ['GET', 'POST'];
  const systemNames = options.systems ?? ['local', 'bare'];
  const result: E2eResult = {
    concurrency: options.concurrency,
    durationMs: options.durationMs,
    warmupMs: options.warmupMs,
    rounds: options.rounds,
    seedItems: options.seedItems,
    scenarios: [],
    consoleLines: 0,
    consoleSample: [],
  };
  // The Lambdas run in this process and log to its console (the flags reader logs each configuration load):
  // count those lines instead of interleaving them with the progress log. console.error is left alone.
  const original = { log: console.log, info: console.info, warn: console.warn, debug: console.debug };
  const capture = (...args: unknown[]) => {
    result.consoleLines++;
    const line = args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ').slice(0, 300);
    if (result.consoleSample.length < 5 && !result.consoleSample.includes(line)) result.consoleSample.push(line);
  };
  Object.assign(console, { log: capture, info: capture, warn: capture, debug: capture });

  const closers: (() => Promise<void>)[] = [];
  const systems: SystemUnderTest[] = [];
  const load = new LoadGenerator();
  closers.push(() => load.close());
  let session: Session | undefined;
  try {
    if (options.profileDir) {
      session = new Session();
      session.connect();
      const s = session;
      closers.push(async () => s.disconnect());
      await post(session, 'Profiler.enable');
      await post(session, 'Profiler.setSamplingInterval', { interval: 500 });
    }
    for (const name of systemNames) {
      if (name === 'local') {
        const t0 = performance.now();
        // Throughput is measured past the stage's and the clients' throttles (100 and 50 requests/s), which would answer 429.
        const cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, throttling: false, log: () => {} });
        closers.push(() => cloud.stop());
        result.localCloudStartMs = Math.round(performance.now() - t0);
        result.apiUrl = cloud.apiUrl;
        const api = new URL(cloud.apiUrl);
        const apiKey = cloud.apiKeys[0]?.value;
        systems.push({ name, origin: api.origin, collectionPath: `${api.pathname.replace(/\/$/, '')}/orders`, ids: [], headers: apiKey ? { 'x-api-key': apiKey } : {}, sign: true });
        log(`local cloud up in ${result.localCloudStartMs} ms at ${cloud.apiUrl}`);
      } else {
        const bare = await startBareServer({ resource: 'orders' });
        closers.push(() => bare.close());
        systems.push({ name, origin: bare.url, collectionPath: '/orders', ids: [], headers: {} });
        log(`bare handler up at ${bare.url}`);
      }
    }
    for (const system of systems) {
      const t0 = performance.now();
      system.ids = await seed(system, options.seedItems);
      log(`seeded ${system.ids.length} orders through ${system.name} in ${Math.round(performance.now() - t0)} ms`);
    }

    for (const scenario of scenarios) {
      const runs: Record<SystemName, E2eRun[]> = { local: [], bare: [] };
      for (let r = 0; r < options.rounds; r++) {
        for (const system of systems) {
          const profile = session ? { session, file: path.resolve(options.profileDir!, `${scenario.toLowerCase()}-${system.name}-${r + 1}.cpuprofile`) } : undefined;
          const run = await measuredRun(load, jobFor(system, scenario, options), r + 1, profile);
          runs[system.name].push(run);
          log(
            `${scenario} ${system.name.padEnd(5)} round ${r + 1}/${options.rounds}: ${run.requestsPerSec} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms, server CPU ${run.serverCpuUsPerRequest} µs/req, heap ${run.heapUsedMb} MB, load ${run.loadAvg1m}` +
              (run.errors ? `, ${run.errors} errors (first: ${run.firstError})` : '') +
              (run.profile ? ` (profile: ${path.relative(process.cwd(), run.profile)})` : ''),
          );
        }
      }
      const entry: E2eScenarioResult = {
        scenario,
        route: scenario === 'GET' ? 'GET /orders/{id}' : 'POST /orders',
        expectStatus: scenario === 'GET' ? 200 : 201,
        target: E2E_TARGET_RATIO,
      };
      if (runs.local.length) entry.local = summarize(runs.local);
      if (runs.bare.length) entry.bare = summarize(runs.bare);
      if (entry.local && entry.bare && entry.bare.requestsPerSec > 0) {
        entry.roundRatios = runs.local.map((l, i) => round(l.requestsPerSec / runs.bare[i].requestsPerSec, 3));
        entry.ratio = round(median(entry.roundRatios), 3);
        entry.ratioOfMedians = round(entry.local.requestsPerSec / entry.bare.requestsPerSec, 3);
        if (entry.local.serverCpuUsPerRequest > 0) entry.cpuCostRatio = round(entry.bare.serverCpuUsPerRequest / entry.local.serverCpuUsPerRequest, 3);
        entry.meetsTarget = entry.ratio >= E2E_TARGET_RATIO;
      }
      result.scenarios.push(entry);
    }
    return result;
  } finally {
    for (const close of closers.reverse()) await close().catch((err) => log(`close failed: ${(err as Error).message}`));
    Object.assign(console, original);
  }
}
