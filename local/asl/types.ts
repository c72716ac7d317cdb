/**
 * The contract between the ASL engine (local/asl) and the rest of the local cloud
 * (the Step Functions API, the service integrations, the console).
 * Shapes follow the Step Functions API (GetExecutionHistory, DescribeExecution).
 */

export type QueryLanguage = 'JSONPath' | 'JSONata';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One event as GetExecutionHistory returns it, e.g. { type: 'TaskStateEntered', stateEnteredEventDetails: {...} }. */
export interface HistoryEvent {
  timestamp: Date;
  type: string;
  id: number;
  previousEventId: number;
  [detailsKey: string]: unknown;
}

/** The Context object ($$ in JSONPath, $states.context in JSONata). */
export interface ContextObject {
  Execution: {
    Id: string;
    Input: unknown;
    Name: string;
    RoleArn: string;
    StartTime: string;
    /** Standard executions only: an Express execution's context object has none. */
    RedriveCount?: number;
  };
  State: { EnteredTime: string; Name: string; RetryCount: number };
  StateMachine: { Id: string; Name: string };
  Task?: { Token?: string };
  Map?: { Item: { Index: number; Value: unknown; Key?: string; Source?: string } };
}

/** What a Task state hands to a service integration, after Parameters/Arguments were evaluated. */
export interface TaskInvocation {
  /** The state's Resource, e.g. 'arn:aws:states:::dynamodb:putItem' or a Lambda ARN. */
  resource: string;
  /** The evaluated Parameters (JSONPath) or Arguments (JSONata). */
  input: unknown;
  stateName: string;
  context: ContextObject;
  /** Aborted when the state times out or the execution is stopped. */
  signal: AbortSignal;
  /** Resets the HeartbeatSeconds timer (like SendTaskHeartbeat). */
  heartbeat?: () => void;
  /** The task token, for `.waitForTaskToken` resources. */
  taskToken?: string;
  /**
   * For `.waitForTaskToken` / `.sync` resources: call with the service's response once the request was
   * accepted (before the callback or the job's end) to record TaskSubmitted, as AWS does.
   */
  submitted?: (output: unknown) => void;
}

export type TaskHandler = (invocation: TaskInvocation) => Promise<unknown>;

/** Maps a Task's Resource ARN to the handler that runs it; undefined means "not supported". */
export interface TaskHandlerTable {
  resolve(resource: string): TaskHandler | undefined;
}

/** Time seam: tests and benchmarks inject a clock that does not really wait. */
export interface Clock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Optional, cheaper than sleep() with an AbortSignal for a timeout that is usually cancelled (Task
   * TimeoutSeconds, the machine's TimeoutSeconds): calls `fn` after `ms` unless the returned function was
   * called first. Same timing as sleep(). Without it the engine uses sleep() and an AbortController.
   */
  timer?(ms: number, fn: () => void): () => void;
}

/**
 * What the engine needs of an AbortSignal: a real one, or any object with these members (cheaper to make
 * than an AbortController when it is almost never aborted).
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface ExecuteOptions {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  /** The execution input as a JSON string (as StartExecution receives it). */
  input: string;
  /**
   * Optional: `JSON.parse(input)` when the caller already parsed it (to validate it); the execution takes it
   * over (it must not be used elsewhere).
   */
  inputValue?: unknown;
  roleArn?: string;
  taskHandlers: TaskHandlerTable;
  clock?: Clock;
  /** Aborting stops the execution with status ABORTED. */
  signal?: AbortSignal | AbortSignalLike;
  /** Called for every history event as it happens (console, logs, persistence). */
  onEvent?: (event: HistoryEvent) => void;
  /** Source of randomness in [0, 1) for retry jitter (JitterStrategy FULL); defaults to Math.random. */
  random?: () => number;
  /** Redrive count shown in the context object ($$.Execution.RedriveCount); default 0. */
  redriveCount?: number;
}

export interface ExecutionResult {
  status: Exclude<ExecutionStatus, 'RUNNING'>;
  /** JSON string, present when SUCCEEDED. */
  output?: string;
  error?: string;
  cause?: string;
  startDate: Date;
  stopDate: Date;
  events: HistoryEvent[];
}

export interface CompiledStateMachine {
  readonly definition: unknown;
  execute(options: ExecuteOptions): Promise<ExecutionResult>;
}
