/**
 * Drive the cloud to quiescence after the load: no fault, readOnly off, then rounds of "invoke the redrive,
 * look at the dead-letter queues and the request records, advance the clock a minute" until both queues
 * are empty and every 202's record is final — bounded in rounds and in wall time.
 */
import type { CloudAdmin, CloudNames, QueueState } from './admin';
import type { RequestRecord } from './model';
import { isFinal, refreshRecords } from './records';

export interface RedriveTotals {
  invocations: number;
  failedInvocations: number;
  /** The first errors of failed invocations. */
  errors: string[];
  applied: number;
  rejected: number;
  kept: number;
  poison: number;
  requeued: number;
}

export interface QuiescenceResult {
  quiescent: boolean;
  rounds: number;
  wallMs: number;
  simulatedMs: number;
  /** Messages left in the dead-letter queues when it ended. */
  depth: number;
  /** 202s whose record is not final when it ended. */
  notFinal: number;
  queues: QueueState[];
  redrive: RedriveTotals;
}

export interface QuiesceContext {
  admin: CloudAdmin;
  names: CloudNames;
  /** Advances the cloud's clock (and keeps the run's own account of it). */
  advance(seconds: number, why: string): Promise<void>;
  offsetMs(): number;
  log(line: string): void;
}

export function emptyTotals(): RedriveTotals {
  return { invocations: 0, failedInvocations: 0, errors: [], applied: 0, rejected: 0, kept: 0, poison: 0, requeued: 0 };
}

/** Invokes the redrive Lambda once and adds its per-resource summaries to `totals`. */
export async function invokeRedrive(admin: CloudAdmin, names: CloudNames, totals: RedriveTotals, payload: object): Promise<void> {
  totals.invocations++;
  try {
    const result = (await admin.invoke(names.redriveFunction, payload)) as Record<string, Partial<Record<keyof RedriveTotals, number>>>;
    for (const summary of Object.values(result ?? {})) {
      for (const k of ['applied', 'rejected', 'kept', 'poison', 'requeued'] as const) totals[k] += Number(summary?.[k] ?? 0);
    }
  } catch (error) {
    totals.failedInvocations++;
    if (totals.errors.length < 5) totals.errors.push((error as Error).message.slice(0, 300));
  }
}

export async function quiesce(ctx: QuiesceContext, locations: readonly string[], records: Map<string, RequestRecord>, options: { timeoutMs: number; maxRounds: number }): Promise<QuiescenceResult> {
  const { admin, names } = ctx;
  const started = Date.now();
  const simStart = ctx.offsetMs();
  const redrive = emptyTotals();
  await admin.clearFaults();
  const flags = await admin.flags();
  if (flags.readOnly?.enabled) await admin.setFlag('readOnly', false);
  await ctx.advance(16, 'quiesce: flags poll');
  let queues: QueueState[] = [];
  let depth = Infinity;
  let notFinal = locations.length;
  let rounds = 0;
  let idleRounds = 0;
  const dlqs = new Set(Object.values(names.queues));
  while (rounds < options.maxRounds && Date.now() - started < options.timeoutMs) {
    rounds++;
    const handledBefore = redrive.applied + redrive.rejected;
    await invokeRedrive(admin, names, redrive, { maxMessages: 10_000 });
    const handled = redrive.applied + redrive.rejected - handledBefore;
    queues = await admin.queues();
    depth = queues.filter((q) => dlqs.has(q.name)).reduce((n, q) => n + q.visible + q.inFlight + q.delayed, 0);
    // The records are read once the queues are empty (reading them all every round costs more than the replays).
    const before = notFinal;
    if (depth === 0) {
      await refreshRecords(admin, locations, records);
      notFinal = locations.filter((l) => !isFinal(records.get(l))).length;
    }
    ctx.log(`quiesce round ${rounds}: ${depth} messages in the dead-letter queues${depth === 0 ? `, ${notFinal} requests not final` : ''}; this round's redrive handled ${handled}; so far ${JSON.stringify(redrive)}`);
    if (depth === 0 && notFinal === 0) break;
    // Empty queues and records that no longer change: nothing left that could make them final.
    idleRounds = depth === 0 && notFinal === before ? idleRounds + 1 : 0;
    if (idleRounds >= 3) break;
    // Messages kept or still invisible (received by a run that ended): a minute later they are visible again.
    if (handled === 0 || depth === 0) await ctx.advance(61, 'quiesce: visibility');
  }
  if (depth === 0 && notFinal > 0) {
    await refreshRecords(admin, locations, records);
    notFinal = locations.filter((l) => !isFinal(records.get(l))).length;
  }
  return {
    quiescent: depth === 0 && notFinal === 0,
    rounds,
    wallMs: Date.now() - started,
    simulatedMs: ctx.offsetMs() - simStart + (Date.now() - started),
    depth,
    notFinal,
    queues,
    redrive,
  };
}
