/**
 * `npm run chaos`: the chaos run against the local cloud (scenario.ts), its report printed and written.
 *
 *   npm run chaos -- [--writes 100000] [--concurrency 256] [--seed 1] [--outage-hours 2] [--outage-step-minutes 5]
 *                    [--quiet-ticks] [--idempotency-sample 1000] [--work-dir <dir>] [--keep] [--report <file>] [--quiet]
 *   npm run chaos -- --scenario outage [--writes 300] [--concurrency 16]   (outage.ts: the circuit breaker's latency figures)
 *
 * Exit code 0 when every check passed, 1 when one failed, 2 when the run itself broke.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { renderReport } from './report';
import { renderOutageReport, runOutage } from './outage';
import { FULL_DEFAULTS, runChaos } from './scenario';

const HELP = `Usage: npm run chaos -- [options]

  --scenario <name>          full (default: every fault, an outage, readOnly, kill -9, then the checks) or
                             outage (a table outage, then all of DynamoDB: write latency before, during and
                             after, calls to the failing table, time to an empty queue; --writes per phase)

  --writes <n>               writes to issue (default ${FULL_DEFAULTS.writes})
  --concurrency <n>          concurrent clients (default ${FULL_DEFAULTS.concurrency})
  --seed <n>                 workload seed (default ${FULL_DEFAULTS.seed})
  --fault-rate <x>           share of DynamoDB calls failed in the transient phases (default ${FULL_DEFAULTS.faults.dynamodb})
  --slow-rate <x>            share of DynamoDB calls delayed past the Tasks' 1 s timeout (default ${FULL_DEFAULTS.faults.slow})
  --outage-hours <h>         simulated length of the DynamoDB outage (default ${FULL_DEFAULTS.outage.hours})
  --outage-step-minutes <m>  clock step during the outage (default ${FULL_DEFAULTS.outage.stepMinutes})
  --outage-share <x>         share of the writes issued during the outage (default ${FULL_DEFAULTS.outage.share})
  --outage-load-from <m>     minute of the outage its writes start at (default ${FULL_DEFAULTS.outage.loadFromMinute})
  --tick-seconds <s>         clock tick during the transient phases (default ${FULL_DEFAULTS.tick.seconds})
  --tick-every-ms <ms>       real time between ticks (default ${FULL_DEFAULTS.tick.everyMs})
  --quiet-ticks              ticks wait for the requests in flight (no Task timeouts)
  --idempotency-sample <n>   keyed writes retried at the end (default ${FULL_DEFAULTS.idempotencySample})
  --work-dir <dir>           keep data, cloud.log, writes.jsonl and report.md there (default: a temp folder, removed if the run passes)
  --keep                     keep the temp work folder
  --report <file>            also write the markdown report there
  --quiet                    only the report
  -h, --help                 this text`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'full' },
      writes: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'fault-rate': { type: 'string' },
      'slow-rate': { type: 'string' },
      'outage-hours': { type: 'string' },
      'outage-step-minutes': { type: 'string' },
      'outage-share': { type: 'string' },
      'outage-load-from': { type: 'string' },
      'idempotency-sample': { type: 'string' },
      'tick-seconds': { type: 'string' },
      'tick-every-ms': { type: 'string' },
      'quiet-ticks': { type: 'boolean', default: false },
      'work-dir': { type: 'string' },
      keep: { type: 'boolean', default: false },
      report: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const num = (name: keyof typeof values, fallback: number): number => {
    const text = values[name];
    if (text === undefined) return fallback;
    const x = Number(text);
    if (!Number.isFinite(x) || x < 0) throw new Error(`--${name} takes a number >= 0, got ${text}`);
    return x;
  };
  const workDir = values['work-dir'] ? path.resolve(values['work-dir']) : undefined;
  const command = `npm run chaos -- ${process.argv.slice(2).join(' ')}`.trim();
  if (values.scenario === 'outage') {
    const results = await runOutage({
      writes: Math.round(num('writes', 300)),
      concurrency: Math.max(1, Math.round(num('concurrency', 16))),
      kinds: ['table', 'dynamodb'],
      workDir,
      log: values.quiet ? () => undefined : (line) => console.error(line),
    });
    const report = renderOutageReport(results, command);
    if (values.report) fs.writeFileSync(path.resolve(values.report), report + '\n');
    console.log(report);
    return 0;
  }
  if (values.scenario !== 'full') throw new Error(`--scenario is full or outage, not ${values.scenario}`);
  const result = await runChaos({
    writes: Math.round(num('writes', FULL_DEFAULTS.writes)),
    concurrency: Math.max(1, Math.round(num('concurrency', FULL_DEFAULTS.concurrency))),
    seed: Math.round(num('seed', FULL_DEFAULTS.seed)),
    faults: { dynamodb: num('fault-rate', FULL_DEFAULTS.faults.dynamodb!), slow: num('slow-rate', FULL_DEFAULTS.faults.slow!) },
    outage: {
      hours: num('outage-hours', FULL_DEFAULTS.outage.hours),
      stepMinutes: num('outage-step-minutes', FULL_DEFAULTS.outage.stepMinutes),
      share: num('outage-share', FULL_DEFAULTS.outage.share),
      loadFromMinute: num('outage-load-from', FULL_DEFAULTS.outage.loadFromMinute),
    },
    tick: { seconds: num('tick-seconds', FULL_DEFAULTS.tick.seconds), everyMs: num('tick-every-ms', FULL_DEFAULTS.tick.everyMs), quiet: values['quiet-ticks'] },
    idempotencySample: Math.round(num('idempotency-sample', FULL_DEFAULTS.idempotencySample)),
    workDir,
    keep: values.keep,
    log: values.quiet ? () => undefined : (line) => console.error(line),
  });
  const report = renderReport(result, command);
  if (fs.existsSync(result.workDir)) fs.writeFileSync(path.join(result.workDir, 'report.md'), report + '\n');
  if (values.report) fs.writeFileSync(path.resolve(values.report), report + '\n');
  console.log(report);
  return result.passed ? 0 : 1;
}

// Ctrl-C or a kill: exit through process.exit, so the local cloud child is killed too (cloud-process.ts).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`chaos run failed: ${error instanceof Error ? (error.stack ?? error.message) : error}`);
    process.exit(2);
  },
);
