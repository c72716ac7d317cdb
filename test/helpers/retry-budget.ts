/**
 * Worst-case duration of an ASL state machine: the longest path from StartAt to a terminal state,
 * following Next, Choices[].Next, Default and Catch[].Next, where each state costs its worst case.
 *
 * Cost model (seconds):
 * - Task: every attempt runs to its TimeoutSeconds, and every retrier uses all its MaxAttempts.
 *   attempts = 1 + Σ MaxAttempts; delays = Σ over retriers of Σ_{k<MaxAttempts} min(IntervalSeconds × BackoffRate^k, MaxDelaySeconds).
 *   Each retrier keeps its own count, so with several retriers the sum is the bound. JitterStrategy FULL only shortens a delay.
 *   Defaults per the States Language: IntervalSeconds 1, BackoffRate 2, MaxAttempts 3, no MaxDelaySeconds.
 *   A Catch edge is taken after the attempts are spent, so the catch path pays the same worst case.
 * - Parallel: the slowest branch per attempt, with the same retry rule.
 * - Wait: its Seconds. Pass, Choice, Succeed, Fail: 0.
 * Anything without a static bound (a Task without TimeoutSeconds, TimeoutSecondsPath or a JSONata timeout,
 * a Wait on a path or timestamp, a Map, a cycle) throws: its budget is not bounded by the definition.
 */
export interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  BackoffRate?: number;
  MaxAttempts?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'FULL' | 'NONE';
}

export interface AslState {
  Type: string;
  Next?: string;
  End?: boolean;
  Default?: string;
  Choices?: { Next: string }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Retry?: Retrier[];
  TimeoutSeconds?: number | string;
  TimeoutSecondsPath?: string;
  Seconds?: number | string;
  Branches?: AslDefinition[];
  [key: string]: unknown;
}

export interface AslDefinition {
  StartAt: string;
  States: Record<string, AslState>;
  TimeoutSeconds?: number;
  [key: string]: unknown;
}

export interface Budget {
  /** Worst-case seconds from StartAt to the end of the path. */
  seconds: number;
  /** The state names of the longest path, in order. */
  path: string[];
}

/** Worst-case total delay between the attempts allowed by one retrier. */
export function retrierDelaySeconds(retrier: Retrier): number {
  const interval = retrier.IntervalSeconds ?? 1;
  const backoff = retrier.BackoffRate ?? 2;
  const attempts = retrier.MaxAttempts ?? 3;
  const cap = retrier.MaxDelaySeconds ?? Infinity;
  let total = 0;
  for (let k = 0; k < attempts; k++) total += Math.min(interval * backoff ** k, cap);
  return total;
}

/** Worst case of one state, given the worst case of one of its attempts. */
function withRetries(stateName: string, state: AslState, attemptSeconds: number): number {
  const retriers = state.Retry ?? [];
  const attempts = 1 + retriers.reduce((n, r) => n + (r.MaxAttempts ?? 3), 0);
  if (!Number.isFinite(attempts)) throw new Error(`${stateName}: unbounded MaxAttempts`);
  return attempts * attemptSeconds + retriers.reduce((sum, r) => sum + retrierDelaySeconds(r), 0);
}

export function stateWorstCaseSeconds(stateName: string, state: AslState): number {
  switch (state.Type) {
    case 'Task': {
      if (typeof state.TimeoutSeconds !== 'number') {
        throw new Error(`${stateName}: a Task without a static TimeoutSeconds (${JSON.stringify(state.TimeoutSeconds ?? state.TimeoutSecondsPath ?? 'none')}) has no bounded duration`);
      }
      return withRetries(stateName, state, state.TimeoutSeconds);
    }
    case 'Parallel':
      return withRetries(stateName, state, Math.max(0, ...(state.Branches ?? []).map((b) => worstCase(b).seconds)));
    case 'Wait':
      if (typeof state.Seconds !== 'number') throw new Error(`${stateName}: a Wait without static Seconds has no bounded duration`);
      return state.Seconds;
    case 'Pass':
    case 'Choice':
    case 'Succeed':
    case 'Fail':
      return 0;
    default:
      throw new Error(`${stateName}: no worst-case model for a ${state.Type} state`);
  }
}

/** The states an execution can go to from this one. */
export function successors(state: AslState): string[] {
  const next = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next), ...(state.Catch ?? []).map((c) => c.Next)];
  return [...new Set(next.filter((n): n is string => typeof n === 'string'))];
}

/**
 * A budget guard: a Choice rule `$millis() - $toMillis($states.context.Execution.StartTime) > N` sends the execution
 * elsewhere once N ms have gone by, so every other branch of that Choice is taken only while elapsed ≤ N.
 */
const GUARD = /\$millis\(\) - \$toMillis\(\$states\.context\.Execution\.StartTime\) > (\d+)/;

export function guardSeconds(state: AslState): number | undefined {
  for (const choice of (state.Choices ?? []) as { Condition?: string }[]) {
    const m = typeof choice.Condition === 'string' ? GUARD.exec(choice.Condition) : null;
    if (m) return Number(m[1]) / 1000;
  }
  return undefined;
}

export interface WorstCaseOptions {
  /** Seconds charged for every state entered (the service's own transition time). Default 0. */
  transitionSeconds?: number;
}

/**
 * The longest (slowest) path from StartAt to any terminal state, walking forward with the time elapsed so far:
 * past a budget guard (see GUARD) the non-guard branches continue with elapsed capped at the guard's bound.
 */
export function worstCase(definition: AslDefinition, options: WorstCaseOptions = {}): Budget {
  const transition = options.transitionSeconds ?? 0;
  const memo = new Map<string, Budget>();
  const visiting = new Set<string>();
  const visit = (name: string, elapsed: number): Budget => {
    const key = `${name}@${elapsed}`;
    const known = memo.get(key);
    if (known) return known;
    const state = definition.States[name];
    if (!state) throw new Error(`Transition to unknown state ${name}`);
    if (visiting.has(name)) throw new Error(`Cycle through ${name}: the worst case is unbounded`);
    visiting.add(name);
    const here = elapsed + transition + stateWorstCaseSeconds(name, state);
    const guard = state.Type === 'Choice' ? guardSeconds(state) : undefined;
    const guarded = new Set(
      guard === undefined ? [] : ((state.Choices ?? []) as { Condition?: string; Next: string }[]).filter((c) => typeof c.Condition === 'string' && GUARD.test(c.Condition)).map((c) => c.Next),
    );
    let best: Budget | undefined;
    for (const next of successors(state)) {
      // A guard's own target may be reached at any time; the other branches only within its bound.
      const at = guard !== undefined && !guarded.has(next) ? Math.min(here, guard) : here;
      const b = visit(next, at);
      if (!best || b.seconds > best.seconds) best = b;
    }
    visiting.delete(name);
    const result = best ? { seconds: best.seconds, path: [name, ...best.path] } : { seconds: here, path: [name] };
    memo.set(key, result);
    return result;
  };
  return visit(definition.StartAt, 0);
}
