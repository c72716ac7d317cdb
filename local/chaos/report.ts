/**
 * The markdown report of a chaos run: what ran, what the clients got, what was injected, the kills, the
 * clock, quiescence, and one line per check.
 */
import * as os from 'node:os';
import type { ChaosResult } from './scenario';

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const min = (ms: number) => `${(ms / 60_000).toFixed(1)} min`;
const n = (x: number) => x.toLocaleString('en-US');

function table(headers: string[], rows: (string | number)[][]): string {
  return [`| ${headers.join(' | ')} |`, `| ${headers.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function sorted(map: Record<string, number>): [string, number][] {
  return Object.entries(map).sort((a, b) => b[1] - a[1]);
}

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

export function renderReport(r: ChaosResult, command: string): string {
  const o = r.options;
  const writes = r.stats.issued;
  const attempts = r.stats.attempts;
  const v = r.verification;
  const all = [...v.verdicts.keys()];
  const reasons202: Record<string, number> = {};
  let answered202 = 0;
  for (const w of all) {
    for (const a of w.attempts) {
      if (a.status !== 202) continue;
      answered202++;
      const reason = String(a.body?.reason ?? 'none');
      reasons202[reason] = (reasons202[reason] ?? 0) + 1;
    }
  }
  const finals: Record<string, number> = {};
  for (const w of all) {
    const last = w.attempts[w.attempts.length - 1];
    const key = last ? (last.transport ?? String(last.status)) : 'not sent';
    finals[key] = (finals[key] ?? 0) + 1;
  }
  const lines: string[] = [];
  lines.push(`# Chaos run ${r.startedAt}`, '');
  lines.push(`**${r.passed ? 'PASSED' : 'FAILED'}**: ${v.checks.filter((c) => c.pass).length}/${v.checks.length} checks passed, quiescence ${r.quiescence.quiescent ? 'reached' : 'NOT reached'}.`, '');
  lines.push(`- Command: \`${command}\`; code ${r.code}`);
  lines.push(`- Machine: ${machine()}; load average at the end ${os.loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
  lines.push(`- Workload: ${n(writes)} writes (seed ${o.seed}) from ${o.concurrency} concurrent clients on orders and customers, ${n(attempts)} requests (${n(attempts - writes)} retries), ${n(v.figures.items)} items`);
  lines.push(`- Time: ${s(r.wallMs)} in all; load ${s(r.loadWallMs)} (**${(writes / (r.loadWallMs / 1000)).toFixed(0)} writes/s**); quiescence ${s(r.quiescence.wallMs)} wall, ${min(r.quiescence.simulatedMs)} simulated; the clock was advanced ${n(r.clock.advances)} times, ${(r.clock.advancedMs / 3_600_000).toFixed(2)} h in all`);
  lines.push(`- Work folder: \`${r.workDir}\` (cloud.log, writes.jsonl)`, '');

  lines.push('## Checks', '');
  lines.push(table(['check', 'result', 'counts'], v.checks.map((c) => [c.name, c.pass ? 'pass' : '**FAIL**', c.summary.replace(/\|/g, '\\|')])), '');
  for (const c of v.checks.filter((c) => c.details.length)) {
    lines.push(`${c.name}:`, '', ...c.details.map((d) => `- ${d.replace(/\|/g, '\\|').slice(0, 600)}`), '');
  }

  lines.push('## Phases', '');
  lines.push(table(['phase', 'writes', 'wall', 'simulated'], r.phases.map((p) => [p.name, `${n(p.fromWrite)}–${n(p.toWrite)}`, s(p.wallMs), min(p.simulatedMs)])), '');

  lines.push('## Answers', '');
  lines.push('Every request (attempt) by status, or by transport failure:', '');
  lines.push(table(['status', 'requests'], sorted(r.stats.byStatus).map(([k, x]) => [k, n(x)])), '');
  lines.push('The last answer of each write:', '');
  lines.push(table(['last answer', 'writes'], sorted(finals).map(([k, x]) => [k, n(x)])), '');
  lines.push('Fate of each write (model.ts), by method:', '');
  lines.push(table(['method and fate', 'writes'], sorted(v.figures.fates).map(([k, x]) => [k, n(x)])), '');
  lines.push(`Reasons of the ${n(answered202)} answers 202 (body \`reason\`):`, '');
  lines.push(table(['reason', '202 answers'], sorted(reasons202).map(([k, x]) => [k, n(x)])), '');
  lines.push('Request records of the 202s after quiescence (`GET /v1/requests/{id}`):', '');
  lines.push(
    table(
      ['record', 'requests'],
      [...sorted(v.figures.recordStatus).map(([k, x]) => [`status ${k}`, n(x)]), ...sorted(v.figures.recordOutcomes).map(([k, x]) => [`outcome ${k}`, n(x)]), ...sorted(v.figures.recordReasons).map(([k, x]) => [`reason ${k}`, n(x)])],
    ),
    '',
  );
  lines.push(`Most replays of one request: ${v.figures.maxRecordAttempts}. Writes of unknown outcome (no answer, 5xx other than "nothing was written"): ${n(v.figures.unknownWrites)}, of which ${n(v.figures.unknownApplied)} were applied (once) and ${n(v.figures.unknownNotApplied)} not.`, '');

  lines.push('## Faults injected', '');
  lines.push(
    `Rates in the transient phases: DynamoDB ${o.faults.dynamodb} of calls failed (${['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable'].join(', ')}) and ${o.faults.slow ?? 0.03} slowed by ${o.faults.slowMs ?? 1500} ms (over the Tasks' 1 s timeout; the call still runs), SQS SendMessage ${o.faults.sqsSendMessage} failed, AppConfigData ${o.faults.appConfigData} failed; during the outage every DynamoDB call fails. "slow" below counts delayed calls, the others failed ones.`,
    '',
  );
  lines.push(table(['service and error', 'calls failed'], sorted(r.faultsFired).map(([k, x]) => [k, n(x)])), '');
  lines.push(`Outage: ${r.outage.steps} steps, ${(r.outage.simulatedMs / 3_600_000).toFixed(2)} simulated hours in ${s(r.outage.wallMs)}${r.outage.errors.length ? `; ${r.outage.errors.length} steps reported errors` : ''}.`, '');

  lines.push('## Kills', '');
  lines.push(
    table(
      ['when', 'phase', 'requests in flight', 'messages being replayed', 'restart', 'clock lost', 'restoring it took'],
      r.kills.map((k) => [k.reason, k.phase, k.inFlight, k.dlqInFlight ?? '', s(k.restartMs), s(k.lostOffsetMs), s(k.restoreMs)]),
    ),
    '',
  );

  lines.push('## Quiescence', '');
  const q = r.quiescence;
  lines.push(
    `The redrive logged ${r.redriveLog.runs} queue runs (${r.redriveLog.failedRuns} ended with an error) and these replays: ${JSON.stringify(r.redriveLog.outcomes)}; highest receive count of a replayed message ${r.redriveLog.maxReceiveCount}, ${r.redriveLog.keptAfterFiveReceives} replays kept after more than 5 receives, ${r.redriveLog.outcomes.poison ?? 0} poison.`,
    '',
    `${q.quiescent ? 'Reached' : '**Not reached**'} after ${q.rounds} rounds: ${s(q.wallMs)} wall, ${min(q.simulatedMs)} simulated; ${q.depth} messages left, ${q.notFinal} requests not final. Redrive invocations of the run: ${JSON.stringify(r.redriveDuringRun)}; while quiescing: ${JSON.stringify(q.redrive)}.`,
    '',
  );

  if (r.findings.length || r.clock.errors.length) {
    lines.push('## Findings', '');
    for (const f of r.findings) lines.push(`- ${f}`);
    for (const e of r.clock.errors.slice(0, 5)) lines.push(`- clock: ${e.slice(0, 400)}`);
    lines.push('');
  }
  return lines.join('\n');
}
