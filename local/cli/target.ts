/**
 * Where the CLI works: the local cloud (`npm start`, default) or a deployed stack (`--aws`). Both give
 * the commands the same things; SQS and Step Functions are always reached through their AWS APIs with
 * SDK v3 clients, so the DLQ and redrive code is the same for both.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { CircuitChange, CircuitClose, CircuitName, CircuitStatus, ExecutionDetail, ExecutionFilter, ExecutionSummary, FlagChange, FlagsState, RequestDetail, RequestFilter, RequestList, StackInfo } from './types';

export interface Target {
  /** "local cloud at http://127.0.0.1:4566" / "stack CrudApi in eu-west-1": for messages. */
  readonly description: string;
  /** Resources, flags location and outputs (cached after the first call). */
  stack(): Promise<StackInfo>;
  /** SDK clients for the DLQ and the redrive. */
  clients(): { sqs: SQSClient; sfn: SFNClient; events?: EventBridgeClient };
  /** Newest first. `truncated`: the search stopped before reading everything it could have. */
  listExecutions(filter: ExecutionFilter): Promise<{ items: ExecutionSummary[]; truncated?: boolean; note?: string }>;
  /** The executions of a request id (the original and its DLQ replays), oldest first, with their history. */
  executionsOfRequest(requestId: string, options: { resource?: string; since?: Date }): Promise<{ items: ExecutionDetail[]; truncated?: boolean; note?: string }>;
  /** Request records (the requests table's `request#<id>` items), newest first. */
  listRequests(filter: RequestFilter): Promise<RequestList>;
  /** One request record (with its Idempotency-Key record), or undefined when there is none (yet). */
  getRequest(requestId: string): Promise<RequestDetail | undefined>;
  /** The write circuit (or with 'events' the events circuit) of every resource, in the stack's order (no item reads as CLOSED). */
  listCircuits(circuit?: CircuitName): Promise<CircuitStatus[]>;
  /** OPEN for `forSeconds`, lastTransition written with reason "operator". */
  openCircuit(resource: string, forSeconds: number, circuit?: CircuitName): Promise<CircuitChange>;
  /** CLOSED (failures 0, no probe, no window), then the resource's redrive started, or the command that starts it. */
  closeCircuit(resource: string, circuit?: CircuitName): Promise<CircuitClose>;
  getFlags(): Promise<FlagsState>;
  setFlag(flag: string, enabled: boolean): Promise<FlagChange>;
  /** Converts a low-level failure of this target (network, credentials, HTTP) into a CliError, or returns undefined. */
  explain(error: unknown): Error | undefined;
  close(): void;
}

export interface TargetOptions {
  local?: boolean;
  aws?: boolean;
  endpoint?: string;
  stack?: string;
  region?: string;
}

export const DEFAULT_ENDPOINT = 'http://127.0.0.1:4566';
export const DEFAULT_STACK = 'CrudApi';
