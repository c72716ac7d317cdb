/**
 * `npm run bench` — performance of the local cloud. See docs/performance.md.
 *
 *   npx tsx local/bench/index.ts [--quick] [--only engine|e2e] [--duration <s>] [--concurrency <n>]
 *                                [--rounds <n>] [--warmup <s>] [--scenario get|post] [--system local|bare]
 *                                [--out <file>] [--profile <dir>]
 *
 * 1. Engine: ASL state transitions per second (JSONPath and JSONata CRUD-shaped machines, in-memory handlers), and
 *    the same on the app's own machine (statemachines/crud-resource.asl.json).
 * 2. End to end: GET and POST req/s, p50/p99 through the local API vs a bare node:http handler on the same DynamoDB.
 * Prints a table and writes the results as JSON (default .bench/results.json).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
// e2e.ts (and with it the whole local cloud) is loaded only when the e2e part runs: `--only engine` works without it.
import type { E2eResult, ScenarioName, SystemName } from './e2e';
import { ENGINE_TARGET_TRANSITIONS_PER_SEC, REFERENCE_AWS_LOCAL_STEPFUNCTIONS, runEngineBench, type EngineResult } from './engine';
import { formatNumber, round, table } from './stats';

export interface BenchOptions {
  quick: boolean;
  only?: 'engine' | 'e2e';
  /** Engine: ms per language per round. */
  engineDurationMs: number;
  engineRounds: number;
  e2eDurationMs: number;
  warmupMs: number;
  rounds: number;
  concurrency: number;
  seedItems: number;
  scenarios: ScenarioName[];
  systems: SystemName[];
  out: string;
  /** Folder for CPU profiles of the server thread, one per e2e run (--profile). */
  profileDir?: string;
}

export interface BenchResults {
  startedAt: string;
  machine: { node: string; platform: string; cpus: number; cpuModel: string; commit?: string };
  /** 1/5/15-minute load averages when the run started and ended: other work on the machine makes the figures noisy. */
  loadAverage: { start: number[]; end?: number[] };
  options: BenchOptions;
  engine?: EngineResult;
  e2e?: E2eResult;
}

const USAGE = `usage: npx tsx local/bench/index.ts [options]   (npm run bench -- [options])
  --quick              short runs (smoke test): 0.3 s engine rounds, one 0.5 s e2e round per system
  --only engine|e2e    run one part only (default both)
  --duration <s>       measured seconds per run (engine: per language and round; default 2 / e2e: default 5)
  --concurrency <n>    keep-alive connections of the e2e load generator (default 8)
  --rounds <n>         rounds (engine) and A/B runs per system and scenario (e2e) (default 3)
  --warmup <s>         unrecorded warm-up at the start of each e2e run (default 1)
  --scenario get|post  e2e: one scenario only (default both)
  --system local|bare  e2e: one system only (default both; no ratio then)
  --out <file>         JSON results file (default .bench/results.json)
  --profile <dir>      e2e: write a CPU profile of the server thread for each measured window into <dir>
                       (summarize one with: npx tsx local/bench/profile-summary.ts <dir>/get-local-1.cpuprofile)`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      duration: { type: 'string' },
      concurrency: { type: 'string' },
      rounds: { type: 'string' },
      warmup: { type: 'string' },
      scenario: { type: 'string' },
      system: { type: 'string' },
      out: { type: 'string' },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < min) throw new Error(`--${name} must be a number ≥ ${min}, got ${v}`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'engine' && only !== 'e2e') throw new Error(`--only must be engine or e2e, got ${only}`);
  const scenario = values.scenario?.toUpperCase();
  if (scenario !== undefined && scenario !== 'GET' && scenario !== 'POST') throw new Error(`--scenario must be get or post, got ${values.scenario}`);
  const system = values.system;
  if (system !== undefined && system !== 'local' && system !== 'bare') throw new Error(`--system must be local or bare, got ${system}`);

  const quick = values.quick ?? false;
  const duration = num('duration', values.duration, 0.05);
  const rounds = num('rounds', values.rounds, 1);
  const warmup = num('warmup', values.warmup, 0);
  return {
    quick,
    only,
    engineDurationMs: Math.round((duration ?? (quick ? 0.3 : 2)) * 1000),
    engineRounds: Math.round(rounds ?? (quick ? 1 : 3)),
    e2eDurationMs: Math.round((duration ?? (quick ? 0.5 : 5)) * 1000),
    warmupMs: Math.round((warmup ?? (quick ? 0.2 : 1)) * 1000),
    rounds: Math.round(rounds ?? (quick ? 1 : 3)),
    concurrency: Math.round(num('concurrency', values.concurrency, 1) ?? 8),
    seedItems: quick ? 20 : 200,
    scenarios: scenario ? [scenario as ScenarioName] : ['GET', 'POST'],
    systems: system ? [system as SystemName] : ['local', 'bare'],
    out: path.resolve(values.out ?? '.bench/results.json'),
    profileDir: values.profile === undefined ? undefined : path.resolve(values.profile),
  };
}

const pass = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? 'PASS' : 'BELOW TARGET');
const times = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}×`);

export function formatEngine(engine: EngineResult): string {
  const ref = REFERENCE_AWS_LOCAL_STEPFUNCTIONS;
  const rows: (string | number)[][] = [['query language', 'transitions/s', 'best', 'rounds', 'target', 'vs reference', 'result']];
  for (const [name, r] of [['JSONPath', engine.jsonpath], ['JSONata', engine.jsonata]] as const) {
    rows.push([name, r.transitionsPerSec, r.best, r.rounds.map((n) => formatNumber(n)).join(' / '), `≥ ${formatNumber(r.target)}`, times(r.vsReference), pass(r.meetsTarget)]);
  }
  return [
    `Engine — CRUD-shaped machine, in-memory task handlers, one core (median and best of ${engine.jsonpath.rounds.length} round(s) × ${engine.durationMsPerRound / 1000} s per language)`,
    table(rows),
    `CPU share of the rounds: ${engine.cpuShare.join(' / ')} (process CPU time / wall time; well below 1 = other processes took the core)`,
    `reference: ${ref.package} measured ${formatNumber(ref.transitionsPerSec)} transitions/s on a ${ref.language} CRUD machine on this machine kind (quoted figure; not installed, not run here)`,
    '',
    `Engine on the app's machine (${engine.app.file}, orders, in-memory handlers; what one e2e request executes; median of ${engine.app.GET.rounds.length} round(s))`,
    table([
      ['execution', 'executions/s', 'transitions/s', 'states each', 'µs each', 'rounds (transitions/s)'],
      ...(['GET', 'POST'] as const).map((m) => {
        const r = engine.app[m];
        return [m === 'GET' ? 'GET /orders/{id}' : 'POST /orders', r.executionsPerSec, r.transitionsPerSec, r.transitionsPerExecution, r.microsPerExecution, r.rounds.map((n) => formatNumber(n)).join(' / ')];
      }),
    ]),
  ].join('\n');
}

export function formatE2e(e2e: E2eResult): string {
  const rows: (string | number)[][] = [['route', 'system', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'server CPU µs/req', 'server ELU', 'client ELU']];
  const ratioLines: string[] = [];
  for (const s of e2e.scenarios) {
    for (const [label, sum] of [['local API', s.local], ['bare http', s.bare]] as const) {
      if (!sum) continue;
      rows.push([s.route, label, sum.requestsPerSec, sum.p50Ms, sum.p99Ms, sum.errors, sum.serverCpuUsPerRequest, sum.serverElu, sum.clientElu]);
    }
    if (s.ratio !== undefined) {
      const p50 = s.local && s.bare ? round(s.local.p50Ms / s.bare.p50Ms, 2) : NaN;
      const p99 = s.local && s.bare ? round(s.local.p99Ms / s.bare.p99Ms, 2) : NaN;
      ratioLines.push(
        `${s.route.padEnd(17)} local/bare req/s ${times(s.ratio)} ${pass(s.meetsTarget)} (target ≥ ${s.target}×; median of the rounds ${s.roundRatios!.map((r) => r.toFixed(2)).join(', ')}; ratio of the medians ${times(s.ratioOfMedians)}); latency p50 ${times(p50)}, p99 ${times(p99)}; server CPU per request bare/local ${times(s.cpuCostRatio)}`,
      );
    }
  }
  return [
    `End to end — ${e2e.concurrency} keep-alive connections, closed loop; median of ${e2e.rounds} run(s) per system, A/B alternated, ${e2e.warmupMs / 1000} s warm-up + ${e2e.durationMs / 1000} s measured each`,
    table(rows),
    ...ratioLines,
    ...(e2e.localCloudStartMs !== undefined ? [`local cloud start-up: ${e2e.localCloudStartMs} ms`] : []),
    ...(e2e.consoleLines ? [`in-process Lambda console output: ${e2e.consoleLines} line(s), e.g. ${e2e.consoleSample[0]}`] : []),
  ].join('\n');
}

function gitCommit(): string | undefined {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export async function runBench(options: BenchOptions, log: (line: string) => void = (l) => console.error(l)): Promise<BenchResults> {
  const results: BenchResults = {
    startedAt: new Date().toISOString(),
    machine: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', commit: gitCommit() },
    loadAverage: { start: os.loadavg().map((n) => round(n, 2)) },
    options,
  };
  if (results.loadAverage.start[0] > 1) log(`warning: load average ${results.loadAverage.start[0]} before the run: other processes are using the CPU, expect noisy figures`);
  if (options.only !== 'e2e') {
    log(`engine: ${options.engineRounds} round(s) × ${options.engineDurationMs} ms per language (target ≥ ${ENGINE_TARGET_TRANSITIONS_PER_SEC}/s)`);
    results.engine = await runEngineBench({ durationMs: options.engineDurationMs, rounds: options.engineRounds, log });
  }
  if (options.only !== 'engine') {
    log(`e2e: concurrency ${options.concurrency}, ${options.rounds} round(s), ${options.warmupMs} ms warm-up + ${options.e2eDurationMs} ms per run`);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { runE2eBench } = require('./e2e') as typeof import('./e2e');
    results.e2e = await runE2eBench({
      concurrency: options.concurrency,
      durationMs: options.e2eDurationMs,
      warmupMs: options.warmupMs,
      rounds: options.rounds,
      seedItems: options.seedItems,
      scenarios: options.scenarios,
      systems: options.systems,
      profileDir: options.profileDir,
      log,
    });
  }
  results.loadAverage.end = os.loadavg().map((n) => round(n, 2));
  return results;
}

export function formatResults(results: BenchResults): string {
  const parts: string[] = [];
  if (results.engine) parts.push(formatEngine(results.engine));
  if (results.e2e) parts.push(formatE2e(results.e2e));
  parts.push(`machine: ${results.machine.cpus} × ${results.machine.cpuModel}, node ${results.machine.node}${results.machine.commit ? `, commit ${results.machine.commit}` : ''}`);
  const la = results.loadAverage;
  parts.push(`load average (1 min) at start ${la.start[0]}, at end ${la.end?.[0] ?? '-'}${la.start[0] > 1 ? ' — the machine was busy with other work before the run: figures are noisy' : ''}`);
  return parts.join('\n\n');
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  const results = await runBench(options);
  console.log(`\n${formatResults(results)}`);
  fs.mkdirSync(path.dirname(options.out), { recursive: true });
  fs.writeFileSync(options.out, JSON.stringify(results, null, 2) + '\n');
  console.log(`\nresults written to ${path.relative(process.cwd(), options.out) || options.out}`);
  const errors = results.e2e?.scenarios.reduce((n, s) => n + (s.local?.errors ?? 0) + (s.bare?.errors ?? 0), 0) ?? 0;
  if (errors > 0) {
    console.error(`${errors} request(s) got an unexpected answer: the e2e figures are not trustworthy (see the log above)`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
