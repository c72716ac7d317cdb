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
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalCloud } from '../cloud';
import { startBareServer } from './bare-server';
import { LoadGenerator, type LoadJob, type LoadRequest, type LoadResult } from './load';
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
  runs: E2eRun[];
}

export interface E2eScenarioResult {
  scenario: ScenarioName;
  /** e.g. 'GET /orders/{id}' */
  route: string;
  expectStatus: number;
  local?: E2eSystemSummary;
  bare?: E2eSystemSummary;
  /** local.requestsPerSec / bare.requestsPerSec (medians), when both ran. */
  ratio?: number;
  /** The same ratio per round (local run i / bare run i). */
  roundRatios?: number[];
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
  /** Start-up of the local cloud (synth or cache, template load, servers), ms. */
  localCloudStartMs?: number;
}

interface SystemUnderTest {
  name: SystemName;
  origin: string;
  /** Path of the orders collection, e.g. /v1/orders */
  collectionPath: string;
  ids: string[];
}

/** Creates `count` orders through the system's POST (8 at a time) and returns their ids (from Location). */
async function seed(system: SystemUnderTest, count: number): Promise<string[]> {
  const ids: string[] = [];
  let made = 0;
  const worker = async () => {
    while (made < count) {
      made++;
      const res = await fetch(system.origin + system.collectionPath, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ORDER_BODY });
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
      ? system.ids.map((id) => ({ method: 'GET', path: `${system.collectionPath}/${encodeURIComponent(id)}` }))
      : [{ method: 'POST', path: system.collectionPath, body: ORDER_BODY, headers: { 'content-type': 'application/json' } }];
  return {
    origin: system.origin,
    requests,
    concurrency: options.concurrency,
    warmupMs: options.warmupMs,
    durationMs: options.durationMs,
    expectStatus: scenario === 'GET' ? 200 : 201,
  };
}

/** Runs one load job while measuring the event-loop utilisation (and, with `profile`, a CPU profile) of this thread over the measured window. */
async function measuredRun(load: LoadGenerator, job: LoadJob, roundNo: number, profile?: ProfileTarget): Promise<E2eRun> {
  let eluStart: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let eluEnd: ReturnType<typeof performance.eventLoopUtilization> | undefined;
  let profiling: Promise<void> | undefined;
  const t1 = setTimeout(() => {
    eluStart = performance.eventLoopUtilization();
    if (profile) profiling = post(profile.session, 'Profiler.start');
  }, job.warmupMs);
  const t2 = setTimeout(() => (eluEnd = performance.eventLoopUtilization()), job.warmupMs + job.durationMs);
  try {
    const result = await load.run(job);
    const end = eluEnd ?? performance.eventLoopUtilization();
    const serverElu = eluStart ? performance.eventLoopUtilization(end, eluStart).utilization : NaN;
    const run: E2eRun = { ...result, round: roundNo, serverElu: round(serverElu, 3) };
    if (profile && profiling) {
      await profiling;
      const { profile: data } = await post<{ profile: unknown }>(profile.session, 'Profiler.stop');
      fs.mkdirSync(path.dirname(profile.file), { recursive: true });
      fs.writeFileSync(profile.file, JSON.stringify(data));
      run.profile = profile.file;
    }
    return run;
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
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
  };

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
        const cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {} });
        closers.push(() => cloud.stop());
        result.localCloudStartMs = Math.round(performance.now() - t0);
        result.apiUrl = cloud.apiUrl;
        const api = new URL(cloud.apiUrl);
        systems.push({ name, origin: api.origin, collectionPath: `${api.pathname.replace(/\/$/, '')}/orders`, ids: [] });
        log(`local cloud up in ${result.localCloudStartMs} ms at ${cloud.apiUrl}`);
      } else {
        const bare = await startBareServer({ resource: 'orders' });
        closers.push(() => bare.close());
        systems.push({ name, origin: bare.url, collectionPath: '/orders', ids: [] });
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
            `${scenario} ${system.name.padEnd(5)} round ${r + 1}/${options.rounds}: ${run.requestsPerSec} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms` +
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
        entry.ratio = round(entry.local.requestsPerSec / entry.bare.requestsPerSec, 3);
        entry.roundRatios = runs.local.map((l, i) => round(l.requestsPerSec / runs.bare[i].requestsPerSec, 3));
        entry.meetsTarget = entry.ratio >= E2E_TARGET_RATIO;
      }
      result.scenarios.push(entry);
    }
    return result;
  } finally {
    for (const close of closers.reverse()) await close().catch((err) => log(`close failed: ${(err as Error).message}`));
  }
}
