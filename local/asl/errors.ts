/**
 * Named errors whose `name` is the ASL error name (States.Timeout, States.TaskFailed,
 * DynamoDB.ConditionalCheckFailedException...). See "Error names" in
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */

/** Base of every error raised while running a state machine. `name` is the ASL error, `cause` its cause. */
export class AslError extends Error {
  /** The ASL error name, e.g. 'States.Timeout' or 'DynamoDB.ConditionalCheckFailedException'. */
  override name: string;
  /** The ASL cause (Step Functions shows it verbatim; undefined when the error carries none). */
  readonly aslCause: string | undefined;
  /** Whether a Retrier may retry it. */
  readonly retryable: boolean = true;
  /** Whether a Catcher may catch it (States.Runtime cannot be caught, not even by States.ALL). */
  readonly catchable: boolean = true;

  constructor(name: string, cause?: string) {
    super(cause ?? name);
    this.name = name;
    this.aslCause = cause;
  }

  /**
   * The error output handed to a Catcher (and kept for tolerated Map failures): {Error, Cause}. A missing
   * cause is bound as "" (a caught States.Timeout gives {"Error":"States.Timeout","Cause":""}), while the
   * ExecutionFailed event and DescribeExecution leave the key out.
   */
  toErrorOutput(): { Error: string; Cause: string } {
    return { Error: this.name, Cause: this.aslCause ?? '' };
  }
}

/** A task (service integration) reported an error, e.g. 'DynamoDB.ConditionalCheckFailedException'. */
export class TaskError extends AslError {}

/** `States.TaskFailed`: a handler threw something that is not an AslError. */
export class TaskFailedError extends AslError {
  constructor(cause?: string) {
    super('States.TaskFailed', cause);
  }
}

/** `States.Timeout`: a Task ran longer than TimeoutSeconds, or the execution longer than its TimeoutSeconds. */
export class TimeoutError extends AslError {
  constructor(cause?: string) {
    super('States.Timeout', cause);
  }
}

/**
 * A Task sent no heartbeat for longer than HeartbeatSeconds. AWS reports it as `States.Timeout` (recorded:
 * TaskTimedOut and ExecutionFailed both carry "States.Timeout"); Retry/Catch on `States.HeartbeatTimeout`
 * match it too.
 */
export class HeartbeatTimeoutError extends AslError {
  readonly heartbeat = true;
  constructor(cause?: string) {
    super('States.Timeout', cause);
  }
}

/**
 * `States.Runtime`: an execution failed on something it could not process (invalid path, wrong type...).
 * "Errors of type States.Runtime are not retriable, and will always cause the execution to fail.
 *  A retry or catch on States.ALL won't catch States.Runtime errors." (concepts-error-handling)
 */
export class RuntimeError extends AslError {
  override readonly retryable = false;
  override readonly catchable = false;
  constructor(cause?: string) {
    super('States.Runtime', cause);
  }
}

/** `States.QueryEvaluationError`: a JSONata expression failed (type error, undefined result...). */
export class QueryEvaluationError extends AslError {
  /**
   * `beforeEntered`: its EvaluationFailed event chains from the event before the state's Entered event, as recorded
   * on AWS for a Map's Items (LocalStack test_base_scenarios.snapshot.json, test_map_state_items_*).
   */
  constructor(
    cause?: string,
    readonly location?: string,
    readonly beforeEntered = false,
  ) {
    super('States.QueryEvaluationError', cause);
  }
}

/** `States.IntrinsicFailure`: an intrinsic function got invalid arguments. */
export class IntrinsicFailureError extends AslError {
  constructor(cause?: string) {
    super('States.IntrinsicFailure', cause);
  }
}

/** `States.NoChoiceMatched`: no Choice rule matched and there is no Default. */
export class NoChoiceMatchedError extends AslError {
  constructor(cause?: string) {
    super('States.NoChoiceMatched', cause);
  }
}

/** `States.ResultPathMatchFailure`: ResultPath cannot be applied to the state input. */
export class ResultPathMatchFailureError extends AslError {
  constructor(cause?: string) {
    super('States.ResultPathMatchFailure', cause);
  }
}

/** `States.ParameterPathFailure`: a `.$` field of Parameters could not be resolved. */
export class ParameterPathFailureError extends AslError {
  constructor(cause?: string) {
    super('States.ParameterPathFailure', cause);
  }
}

/**
 * `States.DataLimitExceeded` from a task's result (the connector's output was over 256 KiB). Recorded on AWS
 * (LocalStack's `test_states_errors.snapshot.json`, `*_catch_state_all_data_limit_exceeded_*`): a TaskFailed /
 * LambdaFunctionFailed event, and a Catch on `States.ALL` catches it, as it does a named one.
 */
export class DataLimitExceededError extends AslError {
  constructor(cause?: string) {
    super('States.DataLimitExceeded', cause);
  }
}

/**
 * `States.DataLimitExceeded` of a state's own payload: its input after Parameters/Arguments (a Task's
 * parameters, a Parallel's branch input, a Map item after ItemSelector), its output after OutputPath/Output,
 * or the variables its Assign sets. A terminal error: no Retry or Catch handles it, not even `States.ALL`
 * ("The States.ALL error type can't catch the States.DataLimitExceeded terminal error",
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). Recorded on AWS for a
 * Pass state's output (LocalStack `test_start_large_input`): the state's Entered event, then ExecutionFailed.
 */
export class TerminalDataLimitExceededError extends DataLimitExceededError {
  override readonly retryable = false;
  override readonly catchable = false;
}

/** The cause AWS gives for a result over the quota: `who` is the state's name, or a task's resource (type). */
export function dataLimitCause(who: string): string {
  return `The state/task '${who}' returned a result with a size exceeding the maximum number of bytes service limit.`;
}

/** `States.ExceedToleratedFailureThreshold`: a Map state had more failed items than tolerated. */
export class ExceedToleratedFailureThresholdError extends AslError {
  constructor(cause?: string) {
    super('States.ExceedToleratedFailureThreshold', cause);
  }
}

/** `States.BranchFailed`: a branch of a Parallel state failed. */
export class BranchFailedError extends AslError {
  constructor(cause?: string) {
    super('States.BranchFailed', cause);
  }
}

/** `States.ItemReaderFailed`. */
export class ItemReaderFailedError extends AslError {
  constructor(cause?: string) {
    super('States.ItemReaderFailed', cause);
  }
}

/** An error raised by a Fail state: its Error and Cause are the user's. */
export class FailStateError extends AslError {}

/** The execution was stopped through its AbortSignal. Not an ASL error a state can catch. */
export class ExecutionAbortedError extends AslError {
  override readonly retryable = false;
  override readonly catchable = false;
  constructor(cause?: string) {
    super('States.Aborted', cause);
  }
}

/** Task resource with no handler in the TaskHandlerTable. */
export class UnsupportedResourceError extends AslError {
  constructor(resource: string) {
    super('States.Runtime', `No task handler is registered for the resource '${resource}'`);
  }
}

/** One problem found while validating a definition. */
export interface DefinitionProblem {
  /** Where, as a JSON pointer-ish path, e.g. '/States/Get/Retry/0'. */
  path: string;
  message: string;
}

/**
 * The definition is invalid. Mirrors CreateStateMachine's `InvalidDefinition` error:
 * lists every problem found, not only the first one.
 */
export class DefinitionError extends Error {
  override readonly name = 'InvalidDefinition';
  readonly code = 'InvalidDefinition';
  constructor(readonly problems: DefinitionProblem[]) {
    super(
      `Invalid State Machine Definition: ${problems.map((p) => `'${p.message}' at ${p.path || '/'}`).join(', ')}`,
    );
  }
}

const GENERIC_ERROR_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AbortError']);

/**
 * Turns whatever a task handler threw into an AslError:
 * - an AslError keeps its name and cause;
 * - an object with a string `error` field (Step Functions' {error, cause} shape) keeps both;
 * - an Error whose `name` is specific (e.g. an AWS SDK exception 'ConditionalCheckFailedException') keeps the name, message as cause;
 * - anything else (plain Error, string...) becomes States.TaskFailed with the message as cause.
 */
export function toAslError(err: unknown): AslError {
  if (err instanceof AslError) return err;
  if (err && typeof err === 'object') {
    const e = err as { error?: unknown; cause?: unknown; name?: unknown; message?: unknown };
    if (typeof e.error === 'string' && !(err instanceof Error)) {
      return new TaskError(e.error, typeof e.cause === 'string' ? e.cause : e.cause === undefined ? undefined : JSON.stringify(e.cause));
    }
    if (err instanceof Error) {
      if (typeof e.name === 'string' && e.name && !GENERIC_ERROR_NAMES.has(e.name)) return new TaskError(e.name, err.message);
      return new TaskFailedError(err.message);
    }
  }
  return new TaskFailedError(typeof err === 'string' ? err : JSON.stringify(err));
}
