/**
 * CloudWatch Logs of state machine executions, as Step Functions delivers them to the log group of the
 * machine's LoggingConfiguration: one log event per history event, the level choosing which event types
 * (AWS's "Log levels" table), includeExecutionData choosing whether inputs and outputs are kept.
 *
 * The message shape is AWS's (snake_case envelope, numbers as strings; local/cli/express-logs.ts reads it back):
 *   {"id":"2","type":"TaskStateEntered","details":{...},"previous_event_id":"1","event_timestamp":"1713959670680",
 *    "execution_arn":"arn:aws:states:…:express:<machine>:<name>:<uuid>","redrive_count":"0"}
 *
 * The local cloud keeps its own full history of every execution besides (the console's, like the history AWS keeps
 * for Standard workflows); these logs are what an AWS deployment would store, so their size is what it would pay.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { HistoryEvent } from '../asl/types';
import type { LoggingConfiguration } from './service';
import type { ExecutionRecord } from './store';

/** Event types logged at ERROR (AWS's "Log levels" table); FATAL is the execution-level subset. ALL logs every type. */
export const ERROR_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ExecutionAborted',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'FailStateEntered',
  'LambdaFunctionFailed',
  'LambdaFunctionScheduleFailed',
  'LambdaFunctionStartFailed',
  'LambdaFunctionTimedOut',
  'MapIterationAborted',
  'MapIterationFailed',
  'MapStateAborted',
  'MapStateFailed',
  'ParallelStateAborted',
  'ParallelStateFailed',
  'TaskFailed',
  'TaskStartFailed',
  'TaskStateAborted',
  'TaskSubmitFailed',
  'TaskTimedOut',
  'WaitStateAborted',
]);
export const FATAL_EVENT_TYPES: ReadonlySet<string> = new Set(['ExecutionAborted', 'ExecutionFailed', 'ExecutionTimedOut']);

export function isLoggedAt(level: LoggingConfiguration['level'], type: string): boolean {
  if (level === 'ALL') return true;
  if (level === 'ERROR') return ERROR_EVENT_TYPES.has(type);
  if (level === 'FATAL') return FATAL_EVENT_TYPES.has(type);
  return false;
}

/** Execution data: the inputs and outputs of history events (and their size details). */
const EXECUTION_DATA_FIELDS = ['input', 'inputDetails', 'output', 'outputDetails'];

export interface LogEvent {
  /** ms since the epoch: the history event's time. */
  timestamp: number;
  message: string;
}

/** The log events one finished execution writes under this logging configuration (none when OFF). */
export function executionLogEvents(execution: ExecutionRecord, config: LoggingConfiguration): LogEvent[] {
  return execution.events.filter((e) => isLoggedAt(config.level, e.type)).map((e) => ({ timestamp: e.timestamp.getTime(), message: logMessage(execution, e, config.includeExecutionData) }));
}

function logMessage(execution: ExecutionRecord, event: HistoryEvent, includeExecutionData: boolean): string {
  const detailsKey = Object.keys(event).find((k) => k.endsWith('EventDetails'));
  const details = { ...((detailsKey ? event[detailsKey] : undefined) as Record<string, unknown> | undefined) };
  if (!includeExecutionData) for (const field of EXECUTION_DATA_FIELDS) delete details[field];
  return JSON.stringify({
    id: String(event.id),
    type: event.type,
    details,
    previous_event_id: String(event.previousEventId ?? 0),
    event_timestamp: String(event.timestamp.getTime()),
    execution_arn: execution.executionArn,
    redrive_count: '0',
  });
}

/** arn:aws:logs:<region>:<account>:log-group:<name>:* → name. */
export function logGroupNameOf(config: LoggingConfiguration): string | undefined {
  const destination = config.destinations?.[0] as { cloudWatchLogsLogGroup?: { logGroupArn?: unknown } } | undefined;
  const arn = destination?.cloudWatchLogsLogGroup?.logGroupArn;
  if (typeof arn !== 'string') return undefined;
  const match = /:log-group:(.+?)(:\*)?$/.exec(arn);
  return match?.[1];
}

/** Events kept in memory per log group (FilterLogEvents reads these); the files keep everything. */
export const EVENTS_KEPT_IN_MEMORY = 100_000;

/**
 * The log groups the executions write to: in memory (the last EVENTS_KEPT_IN_MEMORY events of each, so a
 * long run does not grow without bound), and with a data folder appended to
 * `<dataDir>/<group name, / as _>.jsonl` (one `{timestamp, message}` a line) so they can be grepped.
 */
export class ExecutionLogs {
  private readonly groups = new Map<string, LogEvent[]>();

  constructor(
    private readonly dataDir?: string,
    private readonly keptInMemory = EVENTS_KEPT_IN_MEMORY,
  ) {}

  /** Writes the events of a finished execution to its machine's log group. */
  record(execution: ExecutionRecord, config: LoggingConfiguration): void {
    const group = logGroupNameOf(config);
    if (!group || execution.status === 'RUNNING') return;
    const events = executionLogEvents(execution, config);
    if (!events.length) return;
    const stored = this.groups.get(group) ?? [];
    for (const event of events) stored.push(event);
    // Trimmed in steps, not on every push: one splice per ~10% of the cap.
    if (stored.length > this.keptInMemory * 1.1) stored.splice(0, stored.length - this.keptInMemory);
    this.groups.set(group, stored);
    if (this.dataDir) fs.appendFileSync(path.join(this.dataDir, `${group.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`), events.map((e) => JSON.stringify(e) + '\n').join(''));
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  events(group: string): LogEvent[] {
    return this.groups.get(group) ?? [];
  }
}
