/**
 * An execution's history (GetExecutionHistory order) → what happened to each state: its outcome
 * (succeeded, failed, caught, retried, not reached…), input and output, the error that failed or was
 * caught, and every retry with its attempt number, the observed delay (TaskFailed → next TaskScheduled)
 * and the delay the state's Retry rule allows.
 *
 * Events are attributed to states by following previousEventId back to a *StateEntered (each Parallel
 * branch and Map iteration chains its own events), so nested and concurrent states are told apart.
 */
import type { HistoryEvent } from '../asl/types';
import { AslState, statesByName } from './graph';

export type StateOutcome = 'succeeded' | 'failed' | 'caught' | 'retried' | 'not-reached' | 'running' | 'aborted';

export interface RetryRule {
  /** Index in the state's Retry array. */
  index: number;
  errorEquals: string[];
  intervalSeconds: number;
  backoffRate: number;
  maxAttempts: number;
  maxDelaySeconds?: number;
  jitterStrategy?: string;
  /** The delay this rule prescribes before this retry: IntervalSeconds × BackoffRate^(n-1), capped by MaxDelaySeconds; with FULL jitter, the upper bound. */
  nominalDelaySeconds: number;
}

export interface RetryInfo {
  /** 1 for the first retry (the state's second attempt). */
  retry: number;
  /** The attempt this retry started (2 for the first retry). */
  attempt: number;
  error?: string;
  cause?: string;
  failedAt: string;
  retriedAt: string;
  /** Observed wait between the failure and the new attempt. */
  delayMs: number;
  rule?: RetryRule;
}

export interface StateFailure {
  error?: string;
  cause?: string;
  at: string;
}

export interface StateRun {
  state: string;
  outcome: StateOutcome;
  /** How often the state was entered (loops, Map iterations). */
  visits: number;
  /** Task attempts over all visits (1 + retries when run once). */
  attempts: number;
  retries: RetryInfo[];
  input?: string;
  output?: string;
  /** The failure that failed the state or was caught. */
  error?: string;
  cause?: string;
  /** With outcome 'caught': the state the Catch went to. */
  caughtBy?: string;
  enteredAt?: string;
  exitedAt?: string;
  durationMs?: number;
}

/** Per event: the state it belongs to, its offset from the start, and for a retried task its attempt and wait. */
export interface EventNote {
  state?: string;
  elapsedMs: number;
  attempt?: number;
  retryDelayMs?: number;
}

export interface HistoryAnalysis {
  states: Record<string, StateRun>;
  /** Notes by event id. */
  events: Record<number, EventNote>;
  /** The execution's own failure (FAILED, TIMED_OUT, ABORTED) and the state where it happened. */
  failure?: { state?: string; error?: string; cause?: string; type: string };
  /** Errors caught on the way (the execution may still have succeeded, e.g. a write queued to the DLQ). */
  caught: { state: string; error?: string; cause?: string; next?: string }[];
  /** The transitions taken (state → next state entered), once each, in order; `caught` when through a Catch. */
  transitions: { from: string; to: string; caught?: boolean }[];
}

const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled', 'ParallelStateStarted', 'MapStateStarted']);
const SUCCEEDED = new Set(['TaskSucceeded', 'LambdaFunctionSucceeded', 'ActivitySucceeded', 'ParallelStateSucceeded', 'MapStateSucceeded']);
const FAILED = new Set([
  'TaskFailed',
  'TaskTimedOut',
  'TaskStartFailed',
  'TaskSubmitFailed',
  'LambdaFunctionFailed',
  'LambdaFunctionTimedOut',
  'LambdaFunctionStartFailed',
  'LambdaFunctionScheduleFailed',
  'ActivityFailed',
  'ActivityTimedOut',
  'ActivityScheduleFailed',
  'EvaluationFailed',
  'ParallelStateFailed',
  'MapStateFailed',
]);
const EXECUTION_FAILED = new Set(['ExecutionFailed', 'ExecutionTimedOut', 'ExecutionAborted']);
const PRIORITY: StateOutcome[] = ['failed', 'aborted', 'caught', 'running', 'retried', 'succeeded', 'not-reached'];

interface Visit {
  enteredId: number;
  enteredAt: Date;
  input?: string;
  attempts: number;
  retries: RetryInfo[];
  /** The last failure not yet followed by a success or a new attempt. */
  pending?: StateFailure & { time: number };
  lastFailure?: StateFailure;
  exitedId?: number;
  exitedAt?: Date;
  output?: string;
  caught?: StateFailure;
  caughtBy?: string;
  aborted?: boolean;
  /** Uses of each Retry rule so far (for the nominal delay). */
  ruleUses: number[];
}

/** The `…EventDetails` object of an event, whatever its type. */
export function detailsOf(event: HistoryEvent): Record<string, any> {
  for (const key of Object.keys(event)) {
    if (key.endsWith('EventDetails')) {
      const value = event[key];
      if (value && typeof value === 'object') return value as Record<string, any>;
    }
  }
  return {};
}

/**
 * Analyses a history. `definition` is the state machine's ASL (object or JSON text): every state of it is
 * in the result ('not-reached' when never entered) and Retry rules are matched to the errors retried.
 */
export function analyzeHistory(definition: string | { States: Record<string, AslState>; StartAt: string }, events: HistoryEvent[], status: string): HistoryAnalysis {
  const program = typeof definition === 'string' ? JSON.parse(definition) : definition;
  const definitions = statesByName(program);
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const start = sorted.length ? time(sorted[0].timestamp) : 0;
  const stateOfEvent = new Map<number, string | undefined>();
  const visits = new Map<string, Visit[]>();
  const openVisit = new Map<string, Visit>();
  const notes: Record<number, EventNote> = {};
  let executionFailure: HistoryAnalysis['failure'];

  for (const event of sorted) {
    const details = detailsOf(event);
    const at = time(event.timestamp);
    let state: string | undefined;
    if (/State(Entered|Exited)$/.test(event.type) || event.type.startsWith('MapIteration')) state = typeof details.name === 'string' ? details.name : undefined;
    else if (!event.type.startsWith('Execution')) state = stateOfEvent.get(event.previousEventId);
    stateOfEvent.set(event.id, state);
    const note: EventNote = { elapsedMs: at - start, ...(state !== undefined ? { state } : {}) };
    notes[event.id] = note;

    if (EXECUTION_FAILED.has(event.type)) {
      executionFailure = { type: event.type, error: details.error, cause: details.cause };
      continue;
    }
    if (state === undefined) continue;
    if (event.type.endsWith('StateEntered')) {
      const visit: Visit = { enteredId: event.id, enteredAt: new Date(at), input: details.input, attempts: 0, retries: [], ruleUses: [] };
      visits.set(state, [...(visits.get(state) ?? []), visit]);
      openVisit.set(state, visit);
      continue;
    }
    const visit = openVisit.get(state);
    if (!visit) continue;
    if (SCHEDULED.has(event.type)) {
      visit.attempts++;
      if (visit.attempts > 1) {
        note.attempt = visit.attempts;
        const failure = visit.pending ?? visit.lastFailure;
        const retry: RetryInfo = {
          retry: visit.attempts - 1,
          attempt: visit.attempts,
          ...(failure?.error !== undefined ? { error: failure.error } : {}),
          ...(failure?.cause !== undefined ? { cause: failure.cause } : {}),
          failedAt: failure?.at ?? new Date(at).toISOString(),
          retriedAt: new Date(at).toISOString(),
          delayMs: visit.pending ? at - visit.pending.time : 0,
        };
        note.retryDelayMs = retry.delayMs;
        const rule = matchRetryRule(definitions.get(state), failure?.error, visit.ruleUses);
        if (rule) retry.rule = rule;
        visit.retries.push(retry);
      }
      visit.pending = undefined;
    } else if (FAILED.has(event.type)) {
      const failure = { error: details.error, cause: details.cause, at: new Date(at).toISOString() };
      visit.pending = { ...failure, time: at };
      visit.lastFailure = failure;
    } else if (SUCCEEDED.has(event.type)) {
      visit.pending = undefined;
    } else if (event.type.endsWith('StateExited')) {
      visit.exitedId = event.id;
      visit.exitedAt = new Date(at);
      visit.output = details.output;
      if (visit.pending) visit.caught = stripTime(visit.pending);
      openVisit.delete(state);
    } else if (event.type.endsWith('StateAborted')) {
      visit.aborted = true;
      openVisit.delete(state);
    }
  }

  // Where a Catch went: the state entered right after the caught state's exit. And every transition taken.
  const enteredAfter = new Map<number, string>();
  const caughtExits = new Set<number>();
  for (const list of visits.values()) for (const v of list) if (v.caught && v.exitedId !== undefined) caughtExits.add(v.exitedId);
  const transitions = new Map<string, { from: string; to: string; caught?: boolean }>();
  for (const event of sorted) {
    if (!event.type.endsWith('StateEntered')) continue;
    const to = detailsOf(event).name;
    enteredAfter.set(event.previousEventId, to);
    const from = stateOfEvent.get(event.previousEventId);
    if (from === undefined || from === to) continue;
    const caught = caughtExits.has(event.previousEventId);
    transitions.set(`${from}→${to}:${caught}`, { from, to, ...(caught ? { caught } : {}) });
  }

  const running = status === 'RUNNING';
  const states: Record<string, StateRun> = {};
  const caught: HistoryAnalysis['caught'] = [];
  let failedState: { name: string; at: number } | undefined;
  for (const name of new Set([...definitions.keys(), ...visits.keys()])) {
    const list = visits.get(name) ?? [];
    if (list.length === 0) {
      states[name] = { state: name, outcome: 'not-reached', visits: 0, attempts: 0, retries: [] };
      continue;
    }
    const outcomes = list.map((v): StateOutcome => {
      if (v.aborted) return v.pending ? 'failed' : 'aborted';
      if (v.exitedAt === undefined) {
        if (running) return 'running';
        return executionFailure?.type === 'ExecutionAborted' && !v.pending ? 'aborted' : 'failed';
      }
      if (v.caught) return 'caught';
      return v.retries.length ? 'retried' : 'succeeded';
    });
    const outcome = PRIORITY.find((o) => outcomes.includes(o)) ?? 'succeeded';
    const decisive = list[outcomes.indexOf(outcome)];
    const failure = decisive.caught ?? (outcome === 'failed' ? decisive.pending ?? decisive.lastFailure : undefined);
    const first = list[0];
    const last = list[list.length - 1];
    const exited = [...list].reverse().find((v) => v.output !== undefined);
    const run: StateRun = {
      state: name,
      outcome,
      visits: list.length,
      attempts: list.reduce((sum, v) => sum + v.attempts, 0),
      retries: list.flatMap((v) => v.retries),
      ...(first.input !== undefined ? { input: first.input } : {}),
      ...(exited?.output !== undefined ? { output: exited.output } : {}),
      ...(failure?.error !== undefined ? { error: failure.error } : {}),
      ...(failure?.cause !== undefined ? { cause: failure.cause } : {}),
      enteredAt: first.enteredAt.toISOString(),
      ...(last.exitedAt ? { exitedAt: last.exitedAt.toISOString(), durationMs: last.exitedAt.getTime() - first.enteredAt.getTime() } : {}),
    };
    if (outcome === 'caught' && decisive.exitedId !== undefined) {
      const next = enteredAfter.get(decisive.exitedId);
      if (next) run.caughtBy = next;
    }
    for (const v of list) {
      if (!v.caught) continue;
      const next = v.exitedId !== undefined ? enteredAfter.get(v.exitedId) : undefined;
      caught.push({ state: name, error: v.caught.error, cause: v.caught.cause, ...(next ? { next } : {}) });
    }
    if (outcome === 'failed') {
      const at = time(decisive.pending?.at ?? decisive.lastFailure?.at ?? decisive.enteredAt);
      if (!failedState || at >= failedState.at) failedState = { name, at };
    }
    states[name] = run;
  }

  const analysis: HistoryAnalysis = { states, events: notes, caught, transitions: [...transitions.values()] };
  if (executionFailure) {
    // The state that failed it: the last one to fail, else the one that was running when it ended.
    const stuck = failedState?.name ?? [...openVisit.keys()].pop();
    analysis.failure = { ...executionFailure, ...(stuck ? { state: stuck } : {}) };
  }
  return analysis;
}

/**
 * The Retry rule a state applies to an error (the first whose ErrorEquals matches, as the engine does),
 * with the delay it prescribes for its next use. Counts the use in `uses`.
 */
export function matchRetryRule(state: AslState | undefined, error: string | undefined, uses: number[]): RetryRule | undefined {
  const rules: Record<string, any>[] = Array.isArray(state?.Retry) ? state!.Retry : [];
  const index = rules.findIndex((r) => errorMatches(r.ErrorEquals ?? [], error));
  if (index < 0) return undefined;
  const r = rules[index];
  uses[index] = (uses[index] ?? 0) + 1;
  const intervalSeconds = numberOr(r.IntervalSeconds, 1);
  const backoffRate = numberOr(r.BackoffRate, 2);
  const maxDelaySeconds = typeof r.MaxDelaySeconds === 'number' ? r.MaxDelaySeconds : undefined;
  let nominal = intervalSeconds * Math.pow(backoffRate, uses[index] - 1);
  if (maxDelaySeconds !== undefined) nominal = Math.min(nominal, maxDelaySeconds);
  return {
    index,
    errorEquals: r.ErrorEquals ?? [],
    intervalSeconds,
    backoffRate,
    maxAttempts: numberOr(r.MaxAttempts, 3),
    ...(maxDelaySeconds !== undefined ? { maxDelaySeconds } : {}),
    ...(typeof r.JitterStrategy === 'string' ? { jitterStrategy: r.JitterStrategy } : {}),
    nominalDelaySeconds: Math.round(nominal * 1000) / 1000,
  };
}

/** ErrorEquals semantics: the name itself, States.ALL for anything, States.TaskFailed for anything but States.Timeout. */
function errorMatches(errorEquals: string[], error: string | undefined): boolean {
  if (errorEquals.includes('States.ALL')) return true;
  if (error === undefined) return false;
  if (errorEquals.includes(error)) return true;
  return errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout' && !error.startsWith('States.Runtime');
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

function time(value: Date | string | number): number {
  return value instanceof Date ? value.getTime() : new Date(value).getTime();
}

function stripTime(failure: StateFailure & { time: number }): StateFailure {
  return { error: failure.error, cause: failure.cause, at: failure.at };
}
