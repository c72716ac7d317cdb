/** What the commands see of a target (local cloud or deployed stack), whatever it is read from. */
import type { RequestSummary } from '../console/request-records';

export type { RequestDetail, RequestSummary } from '../console/request-records';
export type { CircuitChange, CircuitClose, CircuitName, CircuitStatus, CircuitTransition, RedriveStart } from '../console/circuit-records';

/** One REST resource of the app, from the stack outputs (`<name>StateMachineArn`, …). */
export interface ResourceInfo {
  name: string;
  stateMachineArn: string;
  tableName?: string;
  deadLetterQueueUrl: string;
}

export interface StackInfo {
  resources: ResourceInfo[];
  /** The raw outputs (OutputKey → OutputValue). */
  outputs: Record<string, string>;
  /** AppConfig identifiers of the feature flags. */
  flags: { application: string; environment: string; configurationProfile: string };
  redriveFunctionName?: string;
  /** The requests table (request records and Idempotency-Key records): the RequestsTableName output. */
  requestsTableName?: string;
  /** The circuit table (one write circuit per resource): the CircuitTableName output. */
  circuitTableName?: string;
}

/** Express executions have no PENDING_REDRIVE (RedriveExecution does not support them). */
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export const EXECUTION_STATUSES: ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionSummary {
  executionArn: string;
  /** The execution name: the request id (X-Request-Id), or `<request id>-redrive-<n>` for a replay. */
  name: string;
  status: ExecutionStatus | string;
  /** The resource (orders, customers…) whose state machine ran it, when known. */
  resource?: string;
  stateMachineArn?: string;
  startDate?: Date;
  stopDate?: Date;
  /** The HTTP status the workflow answered (its output's statusCode), when known. */
  statusCode?: number;
  error?: string;
  cause?: string;
}

/** One history event in the GetExecutionHistory shape: `<type>EventDetails` next to id/type/timestamp. */
export interface HistoryEvent {
  id: number;
  previousEventId?: number;
  type: string;
  timestamp: Date;
  [detailsKey: string]: unknown;
}

export interface ExecutionDetail extends ExecutionSummary {
  input?: string;
  output?: string;
  events: HistoryEvent[];
}

export interface ExecutionFilter {
  resource?: string;
  status?: string;
  requestId?: string;
  limit: number;
  /** Only executions started after this (AWS: the log window searched). */
  since?: Date;
}

/** The deployed flag values and where they were read. */
export interface FlagsState {
  values: Record<string, boolean>;
  /** e.g. "AppConfig app/env/profile, version 3" */
  source: string;
}

export interface FlagChange {
  flag: string;
  enabled: boolean;
  previous?: boolean;
  versionNumber?: number;
  deploymentNumber?: number;
  state?: string;
}

export interface RequestFilter {
  resource?: string;
  /** queued, applied or rejected. */
  status?: string;
  limit: number;
}

/** Request records, newest first (by receivedAt). */
export interface RequestList {
  items: RequestSummary[];
  /** How many matching records were read. */
  total: number;
  /** More matched than the limit. */
  truncated: boolean;
  /** The scan stopped before reading every record (see MAX_SCANNED_RECORDS): older ones may be missing. */
  capped: boolean;
}
