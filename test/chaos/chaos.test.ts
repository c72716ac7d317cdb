/**
 * The chaos run (local/chaos) with small numbers: the local cloud as a child process, 400 writes from 32
 * clients under injected DynamoDB/SQS/AppConfigData faults, a 2-simulated-hour DynamoDB outage with the
 * redrive schedule running through it, a readOnly window, kill -9 during load and during a redrive with
 * restarts on the same data folder, then quiescence and every check of `npm run chaos`.
 *
 * Differences from the full run (docs/reliability.md): the clock ticks are quiet (they wait for the requests
 * in flight; Task timeouts come from the injected slow calls only), and the outage's few writes come in its
 * last 28 minutes (7 clock steps, so their messages are received by more than 5 scheduled runs even when a
 * busy machine drops some ticks): each scheduled redrive run that finds them while the outage holds waits for
 * the replays' retries in real time (~2–7 s a run), so a whole outage with a backlog would cost ~15 minutes.
 *
 * Known product defects make some checks fail with a given kind of failure: those kinds are allowed (and
 * printed), any other failure fails the test. Remove an entry once its defect is fixed.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { renderReport } from '../../local/chaos/report';
import { ChaosResult, runChaos } from '../../local/chaos/scenario';

const D1 =
  'D1: RecordIdempotentOutcome is best effort (one retry): when both attempts fail the key stays "in-progress" and, 30 s later, a retry ' +
  'runs the write again. A write that was applied is found by its token on the item and answered with the version it wrote (never applied ' +
  'twice), but a write first refused (e.g. a PATCH answered 404 before its item existed) may now succeed ("redone", "changed-table"), and a ' +
  'create whose item was hard-deleted since is created again (docs/idempotency.md).';
const D2 =
  'D2: a replay that applied its write but could not record the outcome (RecordReplayOutcome failed) stays queued; the next replay finds ' +
  'its token on the item, but a replayed POST whose item the client hard-deleted meanwhile re-creates it ("deleted-item-back").';

const D3 =
  'D3: a write whose Task timed out although the call landed, then queued (its retries failed): answered 202 while stored; once the client ' +
  'has deleted the item, its replay records "rejected" (404) although it was applied (later answers then show one version more than the ' +
  'records account for: "answer-mismatch"), or a POST creates the deleted item again.';

/** Per check: the failure kinds a known defect produces (local/chaos/verify.ts names them). */
const KNOWN: Record<string, { kinds: string[]; defect: string }> = {
  idempotency: { kinds: ['in-progress-after-finish', 'redone', 'changed-table'], defect: D1 },
  table: { kinds: ['applied-although-rejected', 'applied-twice-or-out-of-order'], defect: `${D2} / ${D3}` },
  'exactly-once': { kinds: ['applied-twice-or-out-of-order'], defect: `${D2} / ${D3}` },
  stored: { kinds: ['deleted-item-back'], defect: `${D2} / ${D3}` },
  answers: { kinds: ['answer-mismatch'], defect: D3 },
};

const CHECKS = ['stored', 'records', 'exactly-once', 'table', 'not-stored', 'unanswered', 'answers', 'idempotency'];

describe('chaos: storage first under faults, an outage, readOnly and kill -9', () => {
  let result: ChaosResult | undefined;
  let failure: unknown;
  // Kept with CHAOS_KEEP=1 (data folder, cloud.log, writes.jsonl), else removed.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chaos-test-'));

  afterAll(() => {
    if (process.env.CHAOS_KEEP) console.log(`chaos work folder kept: ${workDir}`);
    else fs.rmSync(workDir, { recursive: true, force: true });
  });

  beforeAll(async () => {
    try {
      result = await runChaos({
        workDir,
        writes: 400,
        concurrency: 32,
        seed: 7,
        outage: { hours: 2, stepMinutes: 4, share: 0.005, loadFromMinute: 92 },
        readOnlyShare: 0.06,
        tick: { everyMs: 1500, seconds: 20, quiet: true },
        idempotencySample: 40,
        quiesce: { timeoutMs: 60_000, maxRounds: 30 },
        phaseTimeoutMs: 120_000,
        log: process.env.CHAOS_LOG ? (line) => console.log(line) : () => undefined,
      });
    } catch (error) {
      failure = error;
    }
    if (result && (!result.passed || process.env.CHAOS_REPORT)) console.log(renderReport(result, 'test/chaos/chaos.test.ts'));
  }, 240_000);

  it('runs to the end and reaches quiescence: both dead-letter queues empty, every 202 final', () => {
    expect(failure).toBeUndefined();
    expect(result!.quiescence).toMatchObject({ quiescent: true, depth: 0, notFinal: 0 });
  });

  it('went through the whole scenario: 400 writes, a 2 h outage, readOnly, two kills and restarts', () => {
    const r = result!;
    expect(r.stats.issued).toBe(400);
    expect(r.outage.simulatedMs).toBeGreaterThanOrEqual(2 * 3_600_000);
    expect(r.phases.map((p) => p.name)).toEqual(['calm', 'outage', 'recovery', 'transient', 'readOnly', 'transient-2', 'calm-2']);
    expect(r.kills.map((k) => k.reason)).toEqual(['kill -9 during a redrive', 'kill -9 during load']);
    expect(r.stats.byStatus['202']).toBeGreaterThan(0);
    expect(r.verification.figures.recordReasons).toHaveProperty('ReadOnlyMode');
    // The outage's messages were received by many scheduled runs and never became poison (docs/pitfalls.md #14).
    expect(r.redriveLog.maxReceiveCount).toBeGreaterThan(5);
    expect(r.redriveLog.outcomes.poison ?? 0).toBe(0);
    expect(Object.keys(r.faultsFired).filter((k) => k.startsWith('dynamodb')).length).toBeGreaterThanOrEqual(4);
  });

  for (const name of CHECKS) {
    const known = KNOWN[name];
    it(`check "${name}" passes${known ? ', but for the failures of a known defect' : ''}`, () => {
      const check = result!.verification.checks.find((c) => c.name === name)!;
      expect(check).toBeDefined();
      const allowed = check.failures.filter((f) => known?.kinds.includes(f.kind));
      if (allowed.length) console.warn(`chaos check "${name}": ${allowed.length} failures of a known defect (${known!.defect})\n  ${allowed.slice(0, 3).map((f) => f.detail).join('\n  ')}`);
      const other = check.failures.filter((f) => !known?.kinds.includes(f.kind));
      expect({ name, summary: check.summary, failures: other }).toEqual({ name, summary: check.summary, failures: [] });
    });
  }
});
