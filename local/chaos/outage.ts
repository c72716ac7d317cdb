/**
 * The outage scenario (`npm run chaos -- --scenario outage`): what a client sees of the circuit breaker
 * (docs/circuit-breaker.md) when a table fails outright, measured on the local cloud as a child process.
 *
 *   before   writes against a healthy table
 *   during   every call to the orders table fails (`table` outage), or every DynamoDB call (`dynamodb`):
 *            the first writes spend their retries and open the circuit, the rest are queued at once
 *   after    the faults are cleared; writes go on while the clock runs 10x (5 s every 500 ms) until a write
 *            answers 201 again (the cool-down is over and the circuit closed), then at real speed until the
 *            dead-letter queue is empty; every queued write must be applied
 *
 * Reported per phase: write latency p50/p99/max and the answers; the calls the failing table received
 * during the outage (the fault rule's hits) and how many of them came after the circuit opened; after the
 * healing, the simulated and wall time to the first 201 and to an empty queue.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudAdmin } from './admin';
import { CloudProcess } from './cloud-process';
import { HttpClient } from './http';
import { apiRequest } from './api-client';

export type OutageKind = 'table' | 'dynamodb';

export interface OutageOptions {
  /** Writes per phase (before, during, after). */
  writes: number;
  concurrency: number;
  kinds: OutageKind[];
  log: (line: string) => void;
  workDir?: string;
}

export interface PhaseFigures {
  name: string;
  writes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** e.g. { '201': 290, '202 CircuitOpen': 10 } */
  answers: Record<string, number>;
}

export interface OutageFigures {
  kind: OutageKind;
  phases: PhaseFigures[];
  /** Calls that reached the orders table during the outage (each one failed). */
  tableCalls: number;
  /** Of those, after the circuit had opened. */
  tableCallsWhileOpen: number;
  /** Whole-DynamoDB outage: calls to the other tables (circuit, request records), each one failed. */
  otherDynamoDbCalls: number;
  /** Writes that spent their retries before the circuit opened. */
  writesBeforeOpen: number;
  heal: { firstCreatedSimulatedS: number; firstCreatedWallS: number; emptyQueueSimulatedS: number; emptyQueueWallS: number; queued: number; applied: number; notApplied: number };
}

const percentile = (sorted: number[], p: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]);

function figures(name: string, answers: { ms: number; status: number; reason?: string }[]): PhaseFigures {
  const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = a.reason ? `${a.status} ${a.reason}` : String(a.status);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return { name, writes: answers.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), maxMs: sorted.at(-1) ?? 0, answers: counts };
}

export async function runOutage(options: OutageOptions): Promise<OutageFigures[]> {
  const workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-outage-'));
  const results: OutageFigures[] = [];
  for (const kind of options.kinds) {
    const dataDir = path.join(workDir, `data-${kind}`);
    fs.rmSync(dataDir, { recursive: true, force: true });
    const cloud = new CloudProcess({ dataDir, schedules: true });
    const http = new HttpClient(options.concurrency * 2);
    try {
      const urls = await cloud.start();
      if (urls.apiKey) http.defaultHeaders['x-api-key'] = urls.apiKey;
      const admin = new CloudAdmin(http, urls);
      results.push(await measure(kind, admin, http, options));
    } finally {
      http.close();
      await cloud.stop();
    }
  }
  return results;
}

interface Answer {
  ms: number;
  status: number;
  reason?: string;
  requestId?: string;
  at: number;
}

async function measure(kind: OutageKind, admin: CloudAdmin, http: HttpClient, options: OutageOptions): Promise<OutageFigures> {
  const names = await admin.names();
  const ordersTable = names.tables.orders;
  let n = 0;
  const write = async (): Promise<Answer> => {
    const body = JSON.stringify({ customer: `Outage ${kind} ${++n}`, items: [{ pizza: 'margherita', quantity: 1 }] });
    const started = performance.now();
    const res = await apiRequest(http, admin.apiUrl, { method: 'POST', path: '/orders', body });
    const ms = performance.now() - started;
    let json: any;
    try {
      json = JSON.parse(res.text);
    } catch {
      json = undefined;
    }
    return { ms, status: res.status, reason: res.status === 202 ? json?.reason : undefined, requestId: res.headers['x-request-id'], at: Date.now() };
  };
  /** `count` writes by `concurrency` clients. */
  const load = async (count: number): Promise<Answer[]> => {
    const answers: Answer[] = [];
    let issued = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (issued < count) {
          issued++;
          answers.push(await write());
        }
      }),
    );
    return answers;
  };

  options.log(`[${kind}] warm-up and before`);
  await load(options.concurrency * 2);
  const before = await load(options.writes);

  options.log(`[${kind}] outage: ${kind === 'table' ? `every call to ${ordersTable}` : 'every DynamoDB call'} fails`);
  // The first rule catches the orders table's calls, the second (whole-DynamoDB outage) every other table's.
  const outageRules = () =>
    admin.setFaults([
      { service: 'dynamodb', error: 'InternalServerError', table: ordersTable },
      ...(kind === 'dynamodb' ? [{ service: 'dynamodb', error: 'InternalServerError' }] : []),
    ]);
  const hits = async (rules: { id: string }[]) => {
    const active = await admin.listFaults();
    return rules.map((r) => active.find((f) => f.id === r.id)?.fired ?? 0);
  };
  const first = await outageRules();
  const during = await load(options.writes);
  // The first CircuitOpen answer marks the opening; the writes answered before it spent their retries.
  const firstOpen = [...during].sort((a, b) => a.at - b.at).findIndex((a) => a.reason === 'CircuitOpen');
  const writesBeforeOpen = firstOpen === -1 ? during.length : firstOpen;
  const [tableCalls, otherCalls = 0] = await hits(first);
  // Counted again with fresh rules while the circuit is surely open: every call now is one made while OPEN.
  const again = await outageRules();
  during.push(...(await load(Math.max(1, Math.floor(options.writes / 4)))));
  const [tableCallsOpen, otherCallsOpen = 0] = await hits(again);

  options.log(`[${kind}] healed: the clock runs 10x until a write answers 201, then at real speed until the queue is empty`);
  await admin.clearFaults();
  const healWall = Date.now();
  const healSim = Date.parse((await admin.clock()).now);
  let firstCreated: { sim: number; wall: number } | undefined;
  let empty: { sim: number; wall: number } | undefined;
  const after: Answer[] = [];
  let ticking = true;
  // The clock runs 10x only to get through the cool-down: once a write is created again (the circuit closed), it
  // runs at real speed, so the backlog's drain is timed as it happens.
  const ticker = (async () => {
    while (ticking && !firstCreated) {
      await admin.advance(5);
      await new Promise((r) => setTimeout(r, 500));
    }
  })();
  const queued = [...before, ...during].filter((a) => a.status === 202);
  const deadline = Date.now() + 10 * 60_000;
  while (!empty && Date.now() < deadline) {
    for (const answer of await load(options.concurrency)) {
      after.push(answer);
      if (!firstCreated && answer.status === 201) firstCreated = { sim: Date.parse((await admin.clock()).now) - healSim, wall: Date.now() - healWall };
    }
    const waiting = (await admin.queues()).filter((q) => q.name === names.queues.orders).reduce((s, q) => s + q.visible + q.inFlight + q.delayed, 0);
    if (firstCreated && waiting === 0) empty = { sim: Date.parse((await admin.clock()).now) - healSim, wall: Date.now() - healWall };
  }
  ticking = false;
  await ticker;

  let applied = 0;
  let notApplied = 0;
  for (const a of [...queued, ...after.filter((x) => x.status === 202)]) {
    const record = await admin.requestRecord(`${new URL(admin.apiUrl).pathname}/requests/${a.requestId}`);
    if (record.body?.status === 'applied') applied++;
    else notApplied++;
  }
  return {
    kind,
    phases: [figures('before', before), figures('during', during), figures('after', after)],
    tableCalls: tableCalls + tableCallsOpen,
    tableCallsWhileOpen: tableCallsOpen,
    otherDynamoDbCalls: otherCalls + otherCallsOpen,
    writesBeforeOpen,
    heal: {
      firstCreatedSimulatedS: (firstCreated?.sim ?? NaN) / 1000,
      firstCreatedWallS: (firstCreated?.wall ?? NaN) / 1000,
      emptyQueueSimulatedS: (empty?.sim ?? NaN) / 1000,
      emptyQueueWallS: (empty?.wall ?? NaN) / 1000,
      queued: queued.length + after.filter((x) => x.status === 202).length,
      applied,
      notApplied,
    },
  };
}

export function renderOutageReport(results: OutageFigures[], command: string): string {
  const lines = [`# Outage: the circuit breaker as a client sees it`, '', `\`${command}\``, ''];
  for (const r of results) {
    lines.push(`## ${r.kind === 'table' ? 'The orders table fails every call' : 'Every DynamoDB call fails (the circuit table too)'}`, '');
    lines.push('| phase | writes | p50 | p99 | max | answers |', '| --- | --- | --- | --- | --- | --- |');
    for (const p of r.phases) {
      const answers = Object.entries(p.answers).map(([k, v]) => `${k}: ${v}`).join(', ');
      lines.push(`| ${p.name} | ${p.writes} | ${p.p50Ms.toFixed(0)} ms | ${p.p99Ms.toFixed(0)} ms | ${p.maxMs.toFixed(0)} ms | ${answers} |`);
    }
    lines.push(
      '',
      `- Calls the orders table received during the outage: ${r.tableCalls} (${r.writesBeforeOpen} writes spent their retries before the circuit opened); while it was open: ${r.tableCallsWhileOpen}.` +
        (r.kind === 'dynamodb' ? ` Calls to the other tables (the circuit, the request records): ${r.otherDynamoDbCalls}.` : ''),
      `- After healing: the first 201 after ${r.heal.firstCreatedSimulatedS.toFixed(0)} s simulated (${r.heal.firstCreatedWallS.toFixed(1)} s wall); the dead-letter queue empty after ${r.heal.emptyQueueSimulatedS.toFixed(0)} s simulated (${r.heal.emptyQueueWallS.toFixed(1)} s wall); ${r.heal.applied} of ${r.heal.queued} queued writes applied${r.heal.notApplied ? `, ${r.heal.notApplied} not` : ''}.`,
      '',
    );
  }
  return lines.join('\n');
}
