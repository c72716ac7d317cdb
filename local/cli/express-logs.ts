/**
 * Express executions on AWS, read back from CloudWatch Logs.
 *
 * Express workflows are not in ListExecutions/GetExecutionHistory (docs/pitfalls.md #4): their history exists
 * only as the log events of the state machine's log group (level ALL, includeExecutionData), here
 * `/aws/vendedlogs/states/<stack>-<resource>` (cdk/crud-resource.ts). Each log event's message is one
 * history event as JSON, with snake_case envelope fields and string numbers, e.g.
 *
 *   {"id": "2", "type": "PassStateEntered", "details": {"input": "…", "inputDetails": {"truncated": false}, "name": "LogInput"},
 *    "previous_event_id": "0", "event_timestamp": "1713959670680",
 *    "execution_arn": "arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-…",
 *    "redrive_count": "0"}
 *
 * This module turns those back into the GetExecutionHistory shape (`type`, `id`, `previousEventId`,
 * `timestamp`, `<type>EventDetails`), so one timeline renderer serves both targets.
 * Logs are delivered best effort and a few seconds late; payloads over 256 KB are truncated.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand, FilterLogEventsCommandOutput } from '@aws-sdk/client-cloudwatch-logs';
import { detailsKeyOf, statusCodeOf } from './history';
import type { ExecutionDetail, ExecutionSummary, HistoryEvent } from './types';

export interface ExpressLogRecord {
  executionArn: string;
  event: HistoryEvent;
}

/** One log message → the execution it belongs to and its history event; undefined when it is not one. */
export function parseExpressLogMessage(message: string): ExpressLogRecord | undefined {
  let raw: any;
  try {
    raw = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (!raw || typeof raw !== 'object' || typeof raw.type !== 'string' || typeof raw.execution_arn !== 'string') return undefined;
  const event: HistoryEvent = {
    id: Number(raw.id),
    previousEventId: raw.previous_event_id === undefined ? undefined : Number(raw.previous_event_id),
    type: raw.type,
    timestamp: new Date(Number(raw.event_timestamp)),
  };
  if (raw.details && typeof raw.details === 'object') event[detailsKeyOf(raw.type)] = raw.details;
  return { executionArn: raw.execution_arn, event };
}

/** arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid> (or :execution:<machine>:<name>) → name. */
export function executionNameFromArn(arn: string): string | undefined {
  const parts = arn.split(':');
  return parts[5] === 'express' || parts[5] === 'execution' ? parts[7] : undefined;
}

/** The state machine ARN of an execution ARN. */
export function stateMachineArnFromExecutionArn(arn: string): string | undefined {
  const parts = arn.split(':');
  if (parts.length < 8) return undefined;
  return [...parts.slice(0, 5), 'stateMachine', parts[6]].join(':');
}

const TERMINAL: Record<string, string> = {
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionTimedOut: 'TIMED_OUT',
  ExecutionAborted: 'ABORTED',
};

/** Groups log records by execution: each with its events in order, status, dates, input/output, error. */
export function executionsFromRecords(records: ExpressLogRecord[], resource?: string): ExecutionDetail[] {
  const byArn = new Map<string, HistoryEvent[]>();
  for (const { executionArn, event } of records) {
    const events = byArn.get(executionArn) ?? [];
    // The same event may come twice (overlapping searches): keep one per id.
    if (!events.some((e) => e.id === event.id)) events.push(event);
    byArn.set(executionArn, events);
  }
  return [...byArn].map(([executionArn, events]) => {
    events.sort((a, b) => a.id - b.id);
    const started = events.find((e) => e.type === 'ExecutionStarted');
    const ended = events.find((e) => TERMINAL[e.type]);
    const endDetails = (ended?.[detailsKeyOf(ended.type)] ?? {}) as Record<string, any>;
    const startDetails = (started?.executionStartedEventDetails ?? {}) as Record<string, any>;
    const detail: ExecutionDetail = {
      executionArn,
      name: executionNameFromArn(executionArn) ?? executionArn,
      status: ended ? TERMINAL[ended.type] : 'RUNNING',
      resource,
      stateMachineArn: stateMachineArnFromExecutionArn(executionArn),
      startDate: started?.timestamp,
      stopDate: ended?.timestamp,
      input: startDetails.input,
      output: endDetails.output,
      events,
    };
    if (endDetails.error !== undefined) detail.error = String(endDetails.error);
    if (endDetails.cause !== undefined) detail.cause = String(endDetails.cause);
    const code = statusCodeOf(endDetails.output);
    if (code !== undefined) detail.statusCode = code;
    return detail;
  });
}

/** The execution itself or one of its DLQ replays (`<request id>-redrive-<n>`, lambdas/redrive/redrive.ts). */
export function isExecutionOfRequest(name: string, requestId: string): boolean {
  return name === requestId || (name.startsWith(`${requestId}-redrive-`) && /^\d+$/.test(name.slice(requestId.length + '-redrive-'.length)));
}

/** Only execution-level events: enough to list executions without reading every state's events. */
export const EXECUTION_EVENTS_PATTERN =
  '{ ($.type = "ExecutionStarted") || ($.type = "ExecutionSucceeded") || ($.type = "ExecutionFailed") || ($.type = "ExecutionTimedOut") || ($.type = "ExecutionAborted") }';

export interface LogGroupRef {
  resource: string;
  logGroupName: string;
}

export interface LogSearchResult<T> {
  items: T[];
  /** The search stopped at maxPages before reading the whole window. */
  truncated: boolean;
}

export class ExpressExecutionLogs {
  constructor(
    private readonly client: CloudWatchLogsClient,
    private readonly options: { maxPages?: number; now?: () => number } = {},
  ) {}

  /** Every record of a log group matching a filter pattern in a time window, following nextToken. */
  async search(logGroupName: string, filterPattern: string, startTime: number): Promise<LogSearchResult<ExpressLogRecord>> {
    const items: ExpressLogRecord[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    const maxPages = this.options.maxPages ?? 50;
    do {
      const page: FilterLogEventsCommandOutput = await this.client.send(
        new FilterLogEventsCommand({ logGroupName, filterPattern, startTime, endTime: this.now(), nextToken }),
      );
      for (const e of page.events ?? []) {
        const record = e.message ? parseExpressLogMessage(e.message) : undefined;
        if (record) items.push(record);
      }
      nextToken = page.nextToken;
      pages++;
    } while (nextToken && pages < maxPages);
    return { items, truncated: Boolean(nextToken) };
  }

  /**
   * The executions named after a request id, and their replays, with full history. The term filter
   * (the id in quotes) narrows the search on the server; the names are checked here, so an event that
   * merely mentions the id elsewhere does not count.
   */
  async findByRequestId(groups: LogGroupRef[], requestId: string, since: number): Promise<LogSearchResult<ExecutionDetail>> {
    const found: ExecutionDetail[] = [];
    let truncated = false;
    for (const group of groups) {
      const result = await this.search(group.logGroupName, `"${requestId.replace(/"/g, '')}"`, since);
      truncated ||= result.truncated;
      const mine = result.items.filter((r) => isExecutionOfRequest(executionNameFromArn(r.executionArn) ?? '', requestId));
      found.push(...executionsFromRecords(mine, group.resource));
    }
    return { items: sortByStart(found, 'asc'), truncated };
  }

  /** Executions started (or ended) in the window, newest first. */
  async list(groups: LogGroupRef[], filter: { status?: string; limit: number; since: number }): Promise<LogSearchResult<ExecutionSummary>> {
    const all: ExecutionSummary[] = [];
    let truncated = false;
    for (const group of groups) {
      const result = await this.search(group.logGroupName, EXECUTION_EVENTS_PATTERN, filter.since);
      truncated ||= result.truncated;
      for (const execution of executionsFromRecords(result.items, group.resource)) {
        const { events: _events, input: _input, output: _output, ...summary } = execution;
        all.push(summary);
      }
    }
    const selected = all.filter((e) => !filter.status || e.status === filter.status);
    return { items: sortByStart(selected, 'desc').slice(0, filter.limit), truncated };
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }
}

function sortByStart<T extends ExecutionSummary>(items: T[], order: 'asc' | 'desc'): T[] {
  const key = (e: ExecutionSummary) => (e.startDate ?? e.stopDate)?.getTime() ?? 0;
  return items.sort((a, b) => (order === 'asc' ? key(a) - key(b) : key(b) - key(a)));
}

/** The log group of a resource's state machine (cdk/crud-resource.ts). */
export function executionLogGroupName(stackName: string, resource: string): string {
  return `/aws/vendedlogs/states/${stackName}-${resource}`;
}
