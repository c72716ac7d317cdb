/**
 * Executions for the console: summaries for the list (status, start, duration, request id = execution
 * name, HTTP status answered) with the filters of the page, and one execution's detail (history in
 * GetExecutionHistory order plus the per-state analysis of ./outcomes.ts and the machine's graph).
 * Express executions included: on AWS the console reads them from CloudWatch Logs.
 */
import type { LocalResource } from '../cloud-types';
import type { ExecutionRecord, StateMachineRecord } from '../stepfunctions/service';
import { GraphLayout, layoutDefinition } from './graph';
import { HistoryAnalysis, analyzeHistory } from './outcomes';

export const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ExecutionSummary {
  executionArn: string;
  /** The execution name: the API's X-Request-Id, or `<request id>-redrive-<n>` for a replay. */
  name: string;
  /** The request id the execution serves (the name without a redrive suffix). */
  requestId: string;
  /** Set on a redrive replay: which receive of the DLQ message it replayed. */
  redrive?: number;
  resource?: string;
  stateMachineArn: string;
  stateMachineName: string;
  status: string;
  startDate: string;
  stopDate?: string;
  durationMs?: number;
  /** The HTTP status the workflow answered (its output's statusCode). */
  statusCode?: number;
  error?: string;
  cause?: string;
  /** The HTTP method of the request (from the input's `method`); only with `include: ['method']`. */
  method?: string;
}

export interface ExecutionDetail extends ExecutionSummary {
  input: string;
  output?: string;
  /** GetExecutionHistory's events, in order, timestamps as ISO strings. */
  events: Record<string, unknown>[];
  analysis: HistoryAnalysis;
  graph?: GraphLayout;
}

export interface ExecutionQuery {
  status?: string;
  resource?: string;
  requestId?: string;
  limit?: number;
  /** Extra summary fields: 'method' (the request's HTTP method, read from each listed execution's input). */
  include?: string[];
}

export class BadQuery extends Error {}

const REDRIVE_SUFFIX = /-redrive-(\d+)$/;
const INCLUDABLE = ['method'];
/** The API's workflow input starts with the method: {"method":"POST","resource":…}. */
const METHOD_FIRST = /^\s*\{\s*"method"\s*:\s*"([A-Za-z]{1,16})"/;

export class ExecutionsView {
  private readonly layouts = new Map<string, GraphLayout>();

  constructor(
    private readonly source: {
      listExecutions(filter?: { stateMachineArn?: string; status?: string }): ExecutionRecord[];
      getExecution(arn: string): ExecutionRecord | undefined;
      getStateMachine(arn: string): StateMachineRecord | undefined;
    },
    private readonly resources: LocalResource[],
  ) {}

  list(query: ExecutionQuery): { executions: ExecutionSummary[]; total: number; truncated: boolean } {
    const limit = query.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new BadQuery('limit must be an integer from 1 to 1000');
    if (query.status && !STATUSES.includes(query.status)) throw new BadQuery(`status must be one of ${STATUSES.join(', ')}`);
    const unknown = (query.include ?? []).filter((field) => !INCLUDABLE.includes(field));
    if (unknown.length) throw new BadQuery(`include takes ${INCLUDABLE.join(', ')}; not ${unknown.join(', ')}`);
    const withMethod = query.include?.includes('method') ?? false;
    let stateMachineArn: string | undefined;
    if (query.resource) {
      stateMachineArn = this.resources.find((r) => r.name === query.resource)?.stateMachineArn;
      if (!stateMachineArn) throw new BadQuery(`Unknown resource "${query.resource}"; known: ${this.resources.map((r) => r.name).join(', ')}`);
    }
    let matching = this.source.listExecutions({ stateMachineArn, status: query.status || undefined });
    const wanted = query.requestId?.trim();
    if (wanted) matching = matching.filter((e) => matchesRequestId(e, wanted));
    const executions = matching.slice(0, limit).map((e) => {
      const summary = this.summary(e);
      const method = withMethod ? methodOf(e.input) : undefined;
      return method ? { ...summary, method } : summary;
    });
    return { executions, total: matching.length, truncated: matching.length > limit };
  }

  detail(executionArn: string): ExecutionDetail | undefined {
    const execution = this.source.getExecution(executionArn);
    if (!execution) return undefined;
    const machine = this.source.getStateMachine(execution.stateMachineArn);
    const events = [...execution.events].sort((a, b) => a.id - b.id);
    const definition = machine?.definition ?? '{"StartAt":"","States":{}}';
    return {
      ...this.summary(execution),
      input: execution.input,
      ...(execution.output !== undefined ? { output: execution.output } : {}),
      events: events.map((e) => ({ ...e, timestamp: toIso(e.timestamp) })),
      analysis: analyzeHistory(definition, events, execution.status),
      ...(machine ? { graph: this.layout(machine.definition) } : {}),
    };
  }

  /** The machine's graph, laid out once per definition. */
  layout(definition: string): GraphLayout {
    let layout = this.layouts.get(definition);
    if (!layout) {
      layout = layoutDefinition(definition);
      this.layouts.set(definition, layout);
    }
    return layout;
  }

  summary(e: ExecutionRecord): ExecutionSummary {
    const redrive = REDRIVE_SUFFIX.exec(e.name);
    const resource = this.resources.find((r) => r.stateMachineArn === e.stateMachineArn)?.name;
    const statusCode = e.status === 'SUCCEEDED' ? statusCodeOf(e.output) : undefined;
    const start = new Date(e.startDate);
    return {
      executionArn: e.executionArn,
      name: e.name,
      requestId: redrive ? e.name.slice(0, redrive.index) : e.name,
      ...(redrive ? { redrive: Number(redrive[1]) } : {}),
      ...(resource ? { resource } : {}),
      stateMachineArn: e.stateMachineArn,
      stateMachineName: e.stateMachineArn.split(':').pop() ?? e.stateMachineArn,
      status: e.status,
      startDate: start.toISOString(),
      ...(e.stopDate ? { stopDate: toIso(e.stopDate), durationMs: new Date(e.stopDate).getTime() - start.getTime() } : {}),
      ...(statusCode !== undefined ? { statusCode } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }
}

/**
 * A request id finds its execution (named after it) and the redrive replays of it
 * (`<request id>-redrive-<n>`, see lambdas/redrive executionName); a full execution ARN finds that one.
 */
function matchesRequestId(e: ExecutionRecord, wanted: string): boolean {
  if (e.name === wanted || e.executionArn === wanted) return true;
  const redrive = REDRIVE_SUFFIX.exec(e.name);
  if (!redrive) return false;
  // executionName(): the request id with [^A-Za-z0-9_-] replaced, cut to leave room for the suffix.
  return e.name.slice(0, redrive.index) === wanted.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80 - redrive[0].length);
}

/** The request's HTTP method from an execution input: its leading "method" field, else its parsed top-level one. */
function methodOf(input: string | undefined): string | undefined {
  if (!input) return undefined;
  const first = METHOD_FIRST.exec(input.slice(0, 80));
  if (first) return first[1].toUpperCase();
  if (input.length > 100_000) return undefined;
  try {
    const method = JSON.parse(input)?.method;
    return typeof method === 'string' && /^[A-Za-z]{1,16}$/.test(method) ? method.toUpperCase() : undefined;
  } catch {
    return undefined;
  }
}

function statusCodeOf(output: string | undefined): number | undefined {
  if (!output || output.length > 1_000_000) return undefined;
  try {
    const code = JSON.parse(output)?.statusCode;
    return typeof code === 'number' ? code : undefined;
  } catch {
    return undefined;
  }
}

function toIso(value: Date | string): string {
  return value instanceof Date ? value.toISOString() : new Date(value).toISOString();
}
