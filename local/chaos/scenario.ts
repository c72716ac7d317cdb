/**
 * The chaos scenario: the local cloud as a child process, a workload of concurrent clients, and a
 * sequence of phases, each releasing a share of the writes under its faults:
 *
 *   calm        no fault
 *   outage      every DynamoDB operation fails (the error kind changes every step) for `outage.hours`
 *               simulated hours: the clock advances `outage.stepMinutes` at a time, so the every-minute
 *               redrive schedule runs throughout; the outage's writes start at `outage.loadFromMinute`
 *   recovery    the outage ends; the redrive replays its backlog and the cloud is killed (-9) during it,
 *               then restarted on the same data folder
 *   transient   DynamoDB fails 30% of calls (every throttling and 5xx kind), the DLQ's SendMessage and
 *               AppConfigData fail too; the clock ticks forward during load (Task timeouts, retries,
 *               schedules); the cloud is killed (-9) during load halfway and restarted
 *   readOnly    the readOnly flag on, then off (the flags Lambda polls every 15 s: the clock is advanced)
 *   transient   again, then calm
 *
 * then quiescence (quiesce.ts), the checks (verify.ts) and the report (report.ts).
 *
 * Each jump of a quiet step (outage steps, flag polls) holds new requests and lets those in flight finish
 * first; ticks during the transient phases do not (that is how requests get their Task timeouts).
 *
 * A restart loses the cloud's clock offset (local/main.ts starts at real time): the run advances the
 * new process by what was lost before letting clients in, and reports it (report.ts, "findings").
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CloudAdmin, CloudNames, FaultRuleInput, QueueState } from './admin';
import { RedriveLog, readRedriveLog } from './cloud-log';
import { CloudProcess } from './cloud-process';
import { DYNAMODB_TRANSIENT_ERRORS, FaultTally, TransientFaultOptions, outageFaults, transientFaults } from './faults';
import { HttpClient, sleep } from './http';
import type { RequestRecord } from './model';
import { QuiescenceResult, RedriveTotals, emptyTotals, invokeRedrive, quiesce } from './quiesce';
import { queuedLocations } from './records';
import { VerifyResult, verify } from './verify';
import { Gate, Workload, WorkloadStats } from './workload';

export interface ChaosOptions {
  writes: number;
  concurrency: number;
  seed: number;
  /** Where the run keeps its data folder, journal and report (default: a new temp folder). */
  workDir?: string;
  /** Keep the work folder (default: only when the run fails). */
  keep: boolean;
  faults: TransientFaultOptions;
  outage: {
    hours: number;
    stepMinutes: number;
    /** Share of the writes issued during the outage. */
    share: number;
    /** The outage's writes start at this minute of the outage. */
    loadFromMinute: number;
  };
  /** Share of the writes issued while readOnly is on. */
  readOnlyShare: number;
  /**
   * Clock ticks during the transient and readOnly phases: `seconds` every `everyMs` of real time; `quiet`
   * ticks hold new requests and let those in flight finish first (no Task timeouts).
   */
  tick: { everyMs: number; seconds: number; quiet: boolean };
  /**
   * kill -9 during load (at `loadAt` of the first transient phase) and during the redrive of the outage's
   * backlog. Early by default: a restart reads the Step Functions execution log whole, and fails once it
   * holds more than 512 MB (~12,000 executions; docs/reliability.md, defect L2).
   */
  kills: { duringLoad: boolean; duringRedrive: boolean; loadAt: number };
  /** Keyed writes retried at the end to check idempotency. */
  idempotencySample: number;
  quiesce: { timeoutMs: number; maxRounds: number };
  /** Longest wait for a phase's writes to be issued. */
  phaseTimeoutMs: number;
  log: (line: string) => void;
}

export const FULL_DEFAULTS: Omit<ChaosOptions, 'log'> = {
  writes: 100_000,
  concurrency: 256,
  seed: 1,
  keep: false,
  faults: { dynamodb: 0.3, sqsSendMessage: 0.3, appConfigData: 0.4, slow: 0.03, slowMs: 1500 },
  outage: { hours: 2, stepMinutes: 5, share: 0.02, loadFromMinute: 60 },
  readOnlyShare: 0.06,
  tick: { everyMs: 4000, seconds: 20, quiet: false },
  kills: { duringLoad: true, duringRedrive: true, loadAt: 0.02 },
  idempotencySample: 1000,
  quiesce: { timeoutMs: 15 * 60_000, maxRounds: 300 },
  phaseTimeoutMs: 30 * 60_000,
};

export interface TimelineEvent {
  /** ms since the run started. */
  at: number;
  /** The cloud clock's offset (simulated time ahead of real time), ms. */
  offsetMs: number;
  phase: string;
  event: string;
}

export interface KillRecord {
  reason: string;
  phase: string;
  inFlight: number;
  /** Messages received but not deleted (a redrive running) when killed. */
  dlqInFlight?: number;
  lostOffsetMs: number;
  restartMs: number;
  restoreMs: number;
}

export interface PhaseRecord {
  name: string;
  fromWrite: number;
  toWrite: number;
  wallMs: number;
  simulatedMs: number;
}

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log'>;
  workDir: string;
  startedAt: string;
  /** The commit the run started on, and how many files differed from it (others may be editing the tree). */
  code: string;
  wallMs: number;
  loadWallMs: number;
  names: CloudNames;
  stats: WorkloadStats;
  phases: PhaseRecord[];
  timeline: TimelineEvent[];
  kills: KillRecord[];
  faultsFired: Record<string, number>;
  clock: { advances: number; advancedMs: number; errors: string[] };
  outage: { steps: number; simulatedMs: number; wallMs: number; errors: string[] };
  quiescence: QuiescenceResult;
  redriveDuringRun: RedriveTotals;
  /** Every replay the redrive logged (scheduled runs included). */
  redriveLog: RedriveLog;
  verification: VerifyResult;
  /** Product behaviour the run had to work around or noticed. */
  findings: string[];
  passed: boolean;
}

export async function runChaos(input: Partial<ChaosOptions> & { log?: (line: string) => void }): Promise<ChaosResult> {
  const options: ChaosOptions = {
    ...FULL_DEFAULTS,
    ...input,
    faults: { ...FULL_DEFAULTS.faults, ...input.faults },
    outage: { ...FULL_DEFAULTS.outage, ...input.outage },
    tick: { ...FULL_DEFAULTS.tick, ...input.tick },
    kills: { ...FULL_DEFAULTS.kills, ...input.kills },
    quiesce: { ...FULL_DEFAULTS.quiesce, ...input.quiesce },
    log: input.log ?? ((line) => console.log(line)),
  };
  const run = new ChaosRun(options);
  try {
    return await run.run();
  } finally {
    await run.cleanup();
  }
}

class ChaosRun {
  readonly workDir: string;
  private readonly cloud: CloudProcess;
  private readonly http: HttpClient;
  private admin!: CloudAdmin;
  private names!: CloudNames;
  private readonly gate = new Gate();
  private workload!: Workload;
  private readonly tally = new FaultTally();
  private readonly timeline: TimelineEvent[] = [];
  private readonly kills: KillRecord[] = [];
  private readonly phases: PhaseRecord[] = [];
  private readonly findings = new Set<string>();
  private readonly started = Date.now();
  private readonly code = codeVersion();
  private phase = 'starting';
  private faults: FaultRuleInput[] = [];
  private offsetMs = 0;
  private clockStats = { advances: 0, advancedMs: 0, errors: [] as string[] };
  private outageStats = { steps: 0, simulatedMs: 0, wallMs: 0, errors: [] as string[] };
  private readonly redriveDuringRun = emptyTotals();
  private failed = true;
  private readonly ticks = new Set<Promise<void>>();

  constructor(private readonly options: ChaosOptions) {
    this.workDir = options.workDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-'));
    fs.mkdirSync(this.workDir, { recursive: true });
    const dataDir = path.join(this.workDir, 'data');
    if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length) throw new Error(`${dataDir} is not empty: a chaos run starts from nothing`);
    this.cloud = new CloudProcess({ dataDir, logFile: path.join(this.workDir, 'cloud.log') });
    this.http = new HttpClient(options.concurrency + 48);
  }

  private log(line: string): void {
    this.options.log(`[chaos ${((Date.now() - this.started) / 1000).toFixed(1)}s ${this.phase}] ${line}`);
  }

  private event(event: string): void {
    this.timeline.push({ at: Date.now() - this.started, offsetMs: this.offsetMs, phase: this.phase, event });
    this.cloud.note(`[${this.phase}] ${event}`);
    this.log(event);
  }

  async run(): Promise<ChaosResult> {
    const o = this.options;
    const urls = await this.cloud.start();
    // The key is the same on every start (derived from the template): set once for the whole run.
    if (urls.apiKey) this.http.defaultHeaders['x-api-key'] = urls.apiKey;
    this.admin = new CloudAdmin(this.http, urls);
    this.names = await this.admin.names();
    this.offsetMs = (await this.admin.clock()).offsetMs;
    this.event(`cloud started (pid ${this.cloud.pid}): API ${urls.apiUrl}, endpoint ${urls.endpointUrl}, data ${path.join(this.workDir, 'data')}`);
    this.workload = new Workload({
      http: this.http,
      apiUrl: () => this.admin.apiUrl,
      cloudStart: () => this.cloud.starts,
      phase: () => this.phase,
      gate: this.gate,
      writes: o.writes,
      concurrency: o.concurrency,
      seed: o.seed,
    });
    const loadStarted = Date.now();
    const load = this.workload.run();
    let loadError: unknown;
    load.catch((e) => (loadError = e));
    const progress = setInterval(() => {
      const s = this.workload.stats();
      this.log(`progress: ${s.issued}/${o.writes} writes issued, ${s.completed} done, ${s.attempts} requests, ${s.inFlight} in flight; ${JSON.stringify(s.byStatus)}`);
    }, 10_000);
    let loadWallMs = 0;
    try {
      const W = o.writes;
      const share = (x: number) => Math.round(x * W);
      let at = 0;
      const calm = 0.03;
      const transientTotal = 1 - calm * 2 - o.outage.share - o.readOnlyShare;
      if (transientTotal <= 0.1) throw new Error('The outage and readOnly shares leave too few writes for the transient phases');

      at += calm;
      await this.loadPhase('calm', share(at), []);
      await this.outagePhase(share(at), share(at + o.outage.share));
      at += o.outage.share;
      await this.recoveryPhase();
      const a = transientTotal * 0.45;
      await this.loadPhase('transient', share(at + a), this.transient(), { ticks: true, killAt: o.kills.duringLoad ? Math.max(share(at) + 1, share(at + a * o.kills.loadAt)) : undefined });
      at += a;
      await this.readOnlyPhase(share(at + o.readOnlyShare));
      at += o.readOnlyShare;
      await this.loadPhase('transient-2', share(1 - calm), this.transient(), { ticks: true });
      await this.loadPhase('calm-2', W, []);
      this.phase = 'draining';
      await this.withTimeout(load, o.phaseTimeoutMs, 'the last writes did not finish');
      loadWallMs = Date.now() - loadStarted;
      if (loadError) throw loadError;
      this.event(`load done: ${W} writes in ${(loadWallMs / 1000).toFixed(1)} s`);
    } finally {
      clearInterval(progress);
      if (!loadWallMs) this.gate.abort();
    }

    this.phase = 'quiescence';
    await this.settleTicks();
    this.tally.add(await this.admin.listFaults());
    const locations = queuedLocations(this.workload.writes);
    const records = new Map<string, RequestRecord>();
    this.event(`driving to quiescence: ${locations.length} requests answered 202`);
    const quiescence = await quiesce(
      { admin: this.admin, names: this.names, advance: (s, why) => this.advance(s, why), offsetMs: () => this.offsetMs, log: (l) => this.log(l) },
      locations,
      records,
      o.quiesce,
    );
    this.event(`quiescence ${quiescence.quiescent ? 'reached' : 'NOT reached'} in ${(quiescence.wallMs / 1000).toFixed(1)} s (${(quiescence.simulatedMs / 60_000).toFixed(1)} simulated minutes, ${quiescence.rounds} rounds)`);

    this.phase = 'verification';
    const queuesAtEnd: QueueState[] = await this.admin.queues();
    const redriveLog = readRedriveLog(path.join(this.workDir, 'cloud.log'));
    const verification = await verify({
      admin: this.admin,
      http: this.http,
      names: this.names,
      items: this.workload.items,
      writes: this.workload.writes,
      records,
      queuesAtEnd,
      poison: Math.max(redriveLog.outcomes.poison ?? 0, quiescence.redrive.poison + this.redriveDuringRun.poison),
      maxReceiveCount: redriveLog.maxReceiveCount,
      seed: o.seed,
      idempotencySample: o.idempotencySample,
      log: (l) => this.log(l),
    });
    const passed = verification.checks.every((c) => c.pass) && quiescence.quiescent;
    this.failed = !passed;
    this.writeJournal();
    const { log: _log, ...plain } = o;
    return {
      options: plain,
      workDir: this.workDir,
      startedAt: new Date(this.started).toISOString(),
      code: this.code,
      wallMs: Date.now() - this.started,
      loadWallMs,
      names: this.names,
      stats: this.workload.stats(),
      phases: this.phases,
      timeline: this.timeline,
      kills: this.kills,
      faultsFired: this.tally.byError(),
      clock: this.clockStats,
      outage: this.outageStats,
      quiescence,
      redriveDuringRun: this.redriveDuringRun,
      redriveLog,
      verification,
      findings: [...this.findings],
      passed,
    };
  }

  async cleanup(): Promise<void> {
    this.gate.abort();
    await this.cloud.stop().catch(() => this.cloud.kill());
    this.http.close();
    if (!this.failed && !this.options.keep && !this.options.workDir) fs.rmSync(this.workDir, { recursive: true, force: true });
  }

  // ---- phases ----

  private transient(options: Partial<TransientFaultOptions> = {}): FaultRuleInput[] {
    return transientFaults({ ...this.options.faults, ...options });
  }

  private async loadPhase(name: string, upTo: number, faults: FaultRuleInput[], opts: { ticks?: boolean; killAt?: number } = {}): Promise<void> {
    const from = this.workload.stats().issued;
    const t0 = Date.now();
    const sim0 = this.offsetMs;
    this.phase = name;
    await this.setFaults(faults);
    this.event(`phase ${name}: writes ${from}–${upTo}, ${faults.length} fault rules`);
    this.workload.release(upTo);
    let ticker = opts.ticks ? this.startTicker() : undefined;
    if (opts.killAt !== undefined && opts.killAt < upTo) {
      await this.waitIssued(opts.killAt);
      ticker?.stop();
      await this.killAndRestart('kill -9 during load');
      await this.settleTicks();
      ticker = opts.ticks ? this.startTicker() : undefined;
    }
    await this.waitIssued(upTo);
    ticker?.stop();
    this.phases.push({ name, fromWrite: from, toWrite: upTo, wallMs: Date.now() - t0, simulatedMs: this.offsetMs - sim0 + (Date.now() - t0) });
  }

  private async outagePhase(from: number, to: number): Promise<void> {
    // The writes before the outage end first, and their queued ones are replayed: the outage starts with
    // empty dead-letter queues (the calm phase queues some: flags Lambda cold starts under load).
    await this.workload.waitCompleted(from, this.options.phaseTimeoutMs);
    for (let i = 0; i < 5 && (await this.dlqDepth()).visible > 0; i++) await invokeRedrive(this.admin, this.names, this.redriveDuringRun, { maxMessages: 2000 });
    const { hours, stepMinutes, loadFromMinute } = this.options.outage;
    const steps = Math.max(1, Math.round((hours * 60) / stepMinutes));
    const loadSteps = Array.from({ length: steps }, (_, k) => k).filter((k) => k * stepMinutes >= loadFromMinute);
    const t0 = Date.now();
    const sim0 = this.offsetMs;
    this.phase = 'outage';
    this.event(`phase outage: ${hours} h of DynamoDB failing every call, ${steps} steps of ${stepMinutes} min; writes ${from}–${to} from minute ${loadFromMinute}`);
    for (let k = 0; k < steps; k++) {
      const error = DYNAMODB_TRANSIENT_ERRORS[k % DYNAMODB_TRANSIENT_ERRORS.length];
      await this.setFaults([...outageFaults(error), ...this.transient({ dynamodb: 0, slow: 0 })]);
      const j = loadSteps.indexOf(k);
      if (j >= 0) this.workload.release(from + Math.round(((to - from) * (j + 1)) / loadSteps.length));
      // The first step's writes go in before the clock moves, so the schedule finds them queued.
      if (j === 0) await this.waitIssued(Math.min(to, from + Math.round((to - from) / loadSteps.length)));
      await this.quietAdvance(stepMinutes * 60, `outage step ${k + 1}/${steps} (${error})`, (error) => this.outageStats.errors.push(error));
      this.outageStats.steps++;
    }
    await this.waitIssued(to);
    this.outageStats.wallMs = Date.now() - t0;
    this.outageStats.simulatedMs = this.offsetMs - sim0 + (Date.now() - t0);
    this.phases.push({ name: 'outage', fromWrite: from, toWrite: to, wallMs: this.outageStats.wallMs, simulatedMs: this.outageStats.simulatedMs });
    this.event(`outage over: ${(this.outageStats.simulatedMs / 3_600_000).toFixed(2)} simulated hours in ${(this.outageStats.wallMs / 1000).toFixed(1)} s`);
  }

  /** The outage is over; its backlog is being replayed when the cloud is killed. */
  private async recoveryPhase(): Promise<void> {
    const t0 = Date.now();
    const sim0 = this.offsetMs;
    const issued = this.workload.stats().issued;
    this.phase = 'recovery';
    await this.gate.idle(60_000);
    await this.setFaults([]);
    if (!this.options.kills.duringRedrive) {
      this.event('outage cleared; the redrive replays the backlog');
      await invokeRedrive(this.admin, this.names, this.redriveDuringRun, { maxMessages: 2000 });
    } else {
      const depth = await this.dlqDepth();
      this.event(`outage cleared: ${depth.visible} messages queued; invoking the redrive and killing the cloud while it replays`);
      const invocation = invokeRedrive(this.admin, this.names, this.redriveDuringRun, { maxMessages: 5000 });
      // Kill once the run holds messages (received, not yet deleted) and has finished some of them.
      const initial = depth.visible;
      let now = await this.dlqDepth();
      for (let i = 0; i < 400 && now.inFlight === 0; i++) {
        await sleep(20);
        now = await this.dlqDepth();
      }
      for (let i = 0; i < 10 && now.inFlight > 0 && now.visible + now.inFlight > initial * 0.7; i++) {
        await sleep(20);
        now = await this.dlqDepth();
      }
      await this.killAndRestart('kill -9 during a redrive', now.inFlight);
      await invocation;
    }
    this.phases.push({ name: 'recovery', fromWrite: issued, toWrite: issued, wallMs: Date.now() - t0, simulatedMs: this.offsetMs - sim0 + (Date.now() - t0) });
  }

  private async readOnlyPhase(upTo: number): Promise<void> {
    const from = this.workload.stats().issued;
    const t0 = Date.now();
    const sim0 = this.offsetMs;
    this.phase = 'readOnly';
    await this.setFaults(this.transient());
    await this.admin.setFlag('readOnly', true);
    this.event('readOnly flag on (a new AppConfig version deployed)');
    await this.quietAdvance(16, 'readOnly on: flags poll');
    this.event(`phase readOnly: writes ${from}–${upTo}`);
    this.workload.release(upTo);
    const ticker = this.startTicker();
    await this.waitIssued(upTo);
    // Its writes must see the flag: it goes off once they are done.
    await this.workload.waitCompleted(upTo, this.options.phaseTimeoutMs);
    ticker.stop();
    await this.admin.setFlag('readOnly', false);
    this.event('readOnly flag off');
    await this.quietAdvance(16, 'readOnly off: flags poll');
    this.phases.push({ name: 'readOnly', fromWrite: from, toWrite: upTo, wallMs: Date.now() - t0, simulatedMs: this.offsetMs - sim0 + (Date.now() - t0) });
  }

  // ---- cloud control ----

  private async setFaults(rules: FaultRuleInput[]): Promise<void> {
    // The fired counts of the rules being replaced are read first (PUT answers only the new ones).
    this.tally.add(await this.admin.listFaults());
    await this.admin.setFaults(rules);
    this.faults = rules;
  }

  private async killAndRestart(reason: string, dlqInFlight?: number): Promise<void> {
    this.gate.setUp(false);
    this.tally.add(await this.admin.listFaults().catch(() => []));
    const clock = await this.admin.clock().catch(() => undefined);
    if (clock) this.offsetMs = clock.offsetMs;
    const inFlight = this.gate.inFlight;
    this.event(`${reason}: SIGKILL pid ${this.cloud.pid} with ${inFlight} requests in flight${dlqInFlight !== undefined ? `, ${dlqInFlight} messages being replayed` : ''}`);
    const t0 = Date.now();
    await this.cloud.kill();
    this.http.reset();
    const urls = await this.cloud.start();
    this.admin.setUrls(urls);
    const restartMs = Date.now() - t0;
    const restarted = await this.admin.clock();
    const lost = this.offsetMs - restarted.offsetMs;
    this.event(`restarted (pid ${this.cloud.pid}) in ${(restartMs / 1000).toFixed(1)} s; the clock came back ${(lost / 1000).toFixed(0)} s behind`);
    const t1 = Date.now();
    if (lost > 0) {
      this.findings.add(
        'A restart loses the clock: local/main.ts starts the ControllableClock at real time, so after a kill (or a stop) the cloud\'s time goes back by every second advanced before. ' +
          'SQS visibility deadlines, AppConfig poll times and TTLs persisted in the future hold for that long in real time. The chaos run advances the restarted cloud by the lost offset before letting clients in.',
      );
      const offsetBefore = this.offsetMs;
      this.offsetMs = restarted.offsetMs;
      await this.advance(lost / 1000, 'restore the clock after the restart');
      this.offsetMs = Math.max(this.offsetMs, offsetBefore);
    }
    await this.admin.setFaults(this.faults);
    this.kills.push({ reason, phase: this.phase, inFlight, dlqInFlight, lostOffsetMs: lost, restartMs, restoreMs: Date.now() - t1 });
    this.gate.setUp(true);
  }

  /** Advances the cloud's clock and waits for what came due (schedules included). */
  private async advance(seconds: number, why: string): Promise<void> {
    const t0 = Date.now();
    const out = await this.admin.advance(seconds);
    this.offsetMs = out.offsetMs;
    this.clockStats.advances++;
    this.clockStats.advancedMs += seconds * 1000;
    if (out.error) {
      this.clockStats.errors.push(`${why}: ${out.error}`);
      this.findings.add(`POST /_local/clock answered 500 "${out.error.slice(0, 300)}" (${why})`);
    }
    if (Date.now() - t0 > 2000 || seconds >= 60) this.log(`clock +${seconds} s (${why}) took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /** Holds new requests, lets those in flight finish, moves the clock, lets requests go again while what came due runs. */
  private async quietAdvance(seconds: number, why: string, onError?: (e: string) => void): Promise<void> {
    this.gate.pause();
    await this.gate.idle(60_000);
    const target = (await this.admin.clock()).offsetMs + seconds * 1000;
    const t0 = Date.now();
    const moved = this.admin.advance(seconds);
    try {
      for (let i = 0; i < 400; i++) {
        const c = await this.admin.clock();
        if (c.offsetMs >= target - 5) break;
        await sleep(25);
      }
    } finally {
      this.gate.resume();
    }
    const out = await moved;
    this.offsetMs = out.offsetMs;
    this.clockStats.advances++;
    this.clockStats.advancedMs += seconds * 1000;
    if (out.error) {
      this.clockStats.errors.push(`${why}: ${out.error}`);
      onError?.(out.error);
    }
    this.log(`clock +${seconds} s (${why}) took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  /**
   * Clock ticks while the load runs. Not quiet by default: requests in flight see their Task timeouts and
   * retry delays fire (an answer that did not come back in time). Stopping does not wait for a tick in
   * progress (it may be running a scheduled redrive): `settleTicks` does.
   */
  private startTicker(): { stop(): void } {
    let stopped = false;
    let wake: () => void = () => undefined;
    const { everyMs, seconds, quiet } = this.options.tick;
    const loop = (async () => {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, everyMs);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        if (stopped || !this.gate.isUp) continue;
        const tick = quiet ? this.quietAdvance(seconds, 'tick') : this.advance(seconds, 'tick');
        await tick.catch((e) => this.clockStats.errors.push(`tick: ${e}`));
      }
    })();
    this.ticks.add(loop);
    void loop.finally(() => this.ticks.delete(loop));
    return {
      stop: () => {
        stopped = true;
        wake();
      },
    };
  }

  /** Waits for the ticks still running (a tick may be waiting for a scheduled redrive). */
  private async settleTicks(): Promise<void> {
    await Promise.all([...this.ticks]);
  }

  private async dlqDepth(): Promise<{ visible: number; inFlight: number }> {
    const dlqs = new Set(Object.values(this.names.queues));
    const queues = (await this.admin.queues()).filter((q) => dlqs.has(q.name));
    return { visible: queues.reduce((n, q) => n + q.visible, 0), inFlight: queues.reduce((n, q) => n + q.inFlight, 0) };
  }

  private async waitIssued(n: number): Promise<void> {
    if (!(await this.workload.waitIssued(n, this.options.phaseTimeoutMs))) throw new Error(`Phase ${this.phase}: write ${n} was not issued within ${this.options.phaseTimeoutMs} ms`);
  }

  private async withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Every write and its attempts, one JSON line each, next to the report. */
  private writeJournal(): void {
    const file = path.join(this.workDir, 'writes.jsonl');
    const lines = this.workload.writes.map((w) =>
      JSON.stringify({ n: w.n, item: w.item.ref, resource: w.item.resource, id: w.item.id, method: w.method, key: w.key, marker: w.marker, body: w.body, attempts: w.attempts }),
    );
    fs.writeFileSync(file, lines.join('\n') + '\n');
  }
}

/** `<commit>` plus the number of files changed in the working tree, best effort. */
function codeVersion(): string {
  try {
    const root = path.resolve(__dirname, '..', '..');
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    const changed = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean).length;
    return changed ? `${head} + ${changed} changed files in the working tree` : head;
  } catch {
    return 'unknown';
  }
}
