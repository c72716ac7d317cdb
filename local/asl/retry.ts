/**
 * Retry and Catch policies.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 * - IntervalSeconds default 1, MaxAttempts default 3 (0 = never retry), BackoffRate default 2.0;
 *   MaxDelaySeconds caps the delay; JitterStrategy FULL draws the delay uniformly in [0, delay).
 * - States.ALL matches any error except States.Runtime; States.TaskFailed matches any error except
 *   States.Timeout, States.Runtime and States.QueryEvaluationError.
 * - A heartbeat timeout is reported as States.Timeout (recorded on AWS: TaskTimedOut and ExecutionFailed
 *   carry "States.Timeout"), and is also matched by States.HeartbeatTimeout.
 */
import type { AslError } from './errors';
import { compileJsonataTemplate, type JsonataTemplate } from './jsonata';
import { compileAssign, type Evaluator } from './payload';
import { compileResultPath, type CompiledResultPath } from './jsonpath';

/**
 * What `States.TaskFailed` does not match. A JSONata expression failing in a Task (its Arguments, Output...) is not
 * the task failing: "as recorded, States.TaskFailed doesn't match it, though States.ALL and its own name do"
 * (fakecloud-stepfunctions 0.52, src/error_handling.rs, https://docs.rs/crate/fakecloud-stepfunctions/0.52.0/source/src/error_handling.rs).
 * So a Retry on States.TaskFailed does not run a failing expression again (one EvaluationFailed, not one per
 * attempt).
 */
const NOT_TASK_FAILED = new Set(['States.Timeout', 'States.Runtime', 'States.HeartbeatTimeout', 'States.QueryEvaluationError']);

export function errorMatches(errorEquals: readonly string[], err: AslError): boolean {
  for (const name of errorEquals) {
    if (name === err.name) return true;
    if (name === 'States.ALL') return err.name !== 'States.Runtime';
    if (name === 'States.TaskFailed' && !NOT_TASK_FAILED.has(err.name)) return true;
    if (name === 'States.Timeout' && err.name === 'States.HeartbeatTimeout') return true;
    if (name === 'States.HeartbeatTimeout' && (err as { heartbeat?: boolean }).heartbeat === true) return true;
  }
  return false;
}

export class Retrier {
  readonly errorEquals: string[];
  readonly intervalSeconds: number;
  readonly maxAttempts: number;
  readonly backoffRate: number;
  readonly maxDelaySeconds: number | undefined;
  readonly jitter: 'FULL' | 'NONE';

  constructor(def: Record<string, unknown>) {
    this.errorEquals = def.ErrorEquals as string[];
    this.intervalSeconds = (def.IntervalSeconds as number | undefined) ?? 1;
    this.maxAttempts = (def.MaxAttempts as number | undefined) ?? 3;
    this.backoffRate = (def.BackoffRate as number | undefined) ?? 2;
    this.maxDelaySeconds = def.MaxDelaySeconds as number | undefined;
    this.jitter = def.JitterStrategy === 'FULL' ? 'FULL' : 'NONE';
  }

  matches(err: AslError): boolean {
    return errorMatches(this.errorEquals, err);
  }

  /** Delay in ms before retry number `attempt + 1` (attempt counts retries already made by this retrier). */
  delayMs(attempt: number, random: () => number): number {
    let seconds = this.intervalSeconds * Math.pow(this.backoffRate, attempt);
    if (this.maxDelaySeconds !== undefined) seconds = Math.min(seconds, this.maxDelaySeconds);
    if (this.jitter === 'FULL') seconds = random() * seconds;
    return Math.round(seconds * 1000);
  }
}

export class Catcher {
  readonly errorEquals: string[];
  readonly next: string;
  /** JSONPath: where the error output goes (default '$'; null keeps the input). */
  readonly resultPath: CompiledResultPath | null;
  readonly assignPath?: { names: string[]; fns: Evaluator[] };
  /** JSONata. */
  readonly output?: JsonataTemplate;
  readonly assignJsonata?: { names: string[]; templates: JsonataTemplate[] };

  constructor(def: Record<string, unknown>, jsonata: boolean, index = 0) {
    this.errorEquals = def.ErrorEquals as string[];
    this.next = def.Next as string;
    this.resultPath = def.ResultPath === null ? null : compileResultPath((def.ResultPath as string | undefined) ?? '$');
    if (jsonata) {
      if ('Output' in def) this.output = compileJsonataTemplate(def.Output, `Catch[${index}]/Output`);
      if (def.Assign) this.assignJsonata = compileJsonataAssign(def.Assign as Record<string, unknown>, `Catch[${index}]/Assign`);
    } else if (def.Assign) {
      this.assignPath = compileAssign(def.Assign as Record<string, unknown>);
    }
  }

  matches(err: AslError): boolean {
    return errorMatches(this.errorEquals, err);
  }
}

/** `field` names the Assign in error causes: 'Assign', 'Choices[0]/Assign', 'Catch[1]/Assign'. */
export function compileJsonataAssign(assign: Record<string, unknown>, field = 'Assign'): { names: string[]; templates: JsonataTemplate[] } {
  const names = Object.keys(assign);
  return { names, templates: names.map((n) => compileJsonataTemplate(assign[n], `${field}/${n}`)) };
}
