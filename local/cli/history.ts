/**
 * An execution's history (GetExecutionHistory shape, from the local console API or rebuilt from
 * CloudWatch Logs) as a readable timeline: time offset, state, event, abbreviated input/output,
 * errors with their causes, and retries with their attempt number and the delay before them.
 */
import { abbreviate, duration, offset } from './format';
import type { ExecutionDetail, HistoryEvent } from './types';

export interface TimelineRow {
  id: number;
  /** Milliseconds since the first event. */
  offsetMs: number;
  /** The state the event belongs to ('' for execution-level events). */
  state: string;
  type: string;
  /** One line: input/output/resource, abbreviated. */
  detail: string;
  error?: string;
  cause?: string;
  /** On a task (re)scheduled after a failure: its attempt number (2 = first retry) and the wait before it. */
  attempt?: number;
  retryDelayMs?: number;
}

const FAILURE_TYPES = /(Failed|TimedOut|Aborted)$/;
const SCHEDULE_TYPES = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);

/** The `…EventDetails` object of an event, whatever its type. */
export function detailsOf(event: HistoryEvent): Record<string, any> {
  for (const [key, value] of Object.entries(event)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, any>;
  }
  return {};
}

/** The GetExecutionHistory key of a type's details: TaskFailed → taskFailedEventDetails, PassStateEntered → stateEnteredEventDetails. */
export function detailsKeyOf(type: string): string {
  if (/StateEntered$/.test(type) || type === 'FailStateEntered') return 'stateEnteredEventDetails';
  if (/StateExited$/.test(type)) return 'stateExitedEventDetails';
  return `${type[0].toLowerCase()}${type.slice(1)}EventDetails`;
}

export function buildTimeline(events: HistoryEvent[]): TimelineRow[] {
  const sorted = [...events].sort((a, b) => a.id - b.id);
  const start = sorted.length ? sorted[0].timestamp.getTime() : 0;
  const stateOfId = new Map<number, string>();
  const attempts = new Map<string, number>();
  const lastFailure = new Map<string, number>();
  const rows: TimelineRow[] = [];
  for (const event of sorted) {
    const details = detailsOf(event);
    let state = '';
    if (/StateEntered$|StateExited$/.test(event.type) || /^MapIteration/.test(event.type)) state = String(details.name ?? '');
    else if (!event.type.startsWith('Execution')) state = stateOfId.get(event.previousEventId ?? 0) ?? '';
    stateOfId.set(event.id, state);
    const at = event.timestamp.getTime();
    const row: TimelineRow = { id: event.id, offsetMs: at - start, state, type: event.type, detail: describe(event.type, details) };
    if (/StateEntered$/.test(event.type)) {
      attempts.set(state, 0);
      lastFailure.delete(state);
    }
    if (SCHEDULE_TYPES.has(event.type)) {
      const attempt = (attempts.get(state) ?? 0) + 1;
      attempts.set(state, attempt);
      if (attempt > 1) {
        row.attempt = attempt;
        const failedAt = lastFailure.get(state);
        if (failedAt !== undefined) row.retryDelayMs = at - failedAt;
      }
    }
    if (FAILURE_TYPES.test(event.type) || event.type === 'EvaluationFailed') {
      if (details.error !== undefined) row.error = String(details.error);
      if (details.cause !== undefined) row.cause = String(details.cause);
      if (!event.type.startsWith('Execution')) lastFailure.set(state, at);
    }
    rows.push(row);
  }
  return rows;
}

function describe(type: string, d: Record<string, any>): string {
  const resource = d.resourceType && d.resource ? `${d.resourceType}:${d.resource}` : '';
  if (type === 'ExecutionStarted') return `input ${abbreviate(d.input)}`;
  if (type === 'ExecutionSucceeded') return `output ${abbreviate(d.output)}`;
  if (/StateEntered$/.test(type)) return d.input === undefined ? '' : `input ${abbreviate(d.input, 60)}`;
  if (/StateExited$/.test(type)) {
    const assigned = d.assignedVariables ? Object.keys(d.assignedVariables) : [];
    return [d.output === undefined ? '' : `output ${abbreviate(d.output, 60)}`, assigned.length ? `assigned ${assigned.join(', ')}` : ''].filter(Boolean).join('; ');
  }
  if (type === 'TaskScheduled') return `${resource} ${abbreviate(d.parameters, 60)}`.trim();
  if (type === 'LambdaFunctionScheduled') return `lambda ${abbreviate(d.input, 60)}`;
  if (type === 'TaskStarted' || type === 'TaskSubmitted') return resource;
  if (/Succeeded$/.test(type)) return d.output === undefined ? resource : `output ${abbreviate(d.output, 60)}`;
  if (type === 'MapStateStarted') return `${d.length ?? '?'} items`;
  if (/^MapIteration/.test(type)) return `iteration ${d.index ?? '?'}`;
  if (FAILURE_TYPES.test(type) || type === 'EvaluationFailed') return [d.error, resource].filter(Boolean).join('  ');
  return resource;
}

export interface RenderOptions {
  /** Print causes, inputs and outputs whole instead of cut to one line. */
  full?: boolean;
}

/** The timeline as aligned text lines. */
export function renderTimeline(events: HistoryEvent[], options: RenderOptions = {}): string {
  const rows = buildTimeline(events);
  const stateWidth = Math.max(5, ...rows.map((r) => r.state.length));
  const typeWidth = Math.max(4, ...rows.map((r) => r.type.length));
  const offsetWidth = Math.max(...rows.map((r) => offset(r.offsetMs).length), 0);
  const byId = new Map(events.map((e) => [e.id, e]));
  const lines: string[] = [];
  for (const row of rows) {
    let detail = options.full ? fullDetail(row, byId.get(row.id)!) : row.detail;
    if (row.attempt) detail = `retry ${row.attempt - 1} (attempt ${row.attempt})${row.retryDelayMs === undefined ? '' : ` after ${duration(row.retryDelayMs)}`}  ${detail}`;
    lines.push(`${offset(row.offsetMs).padStart(offsetWidth)}  ${row.state.padEnd(stateWidth)}  ${row.type.padEnd(typeWidth)}  ${detail}`.trimEnd());
    if (row.cause) lines.push(`${' '.repeat(offsetWidth + 2)}${''.padEnd(stateWidth)}  ${'↳ cause'.padEnd(typeWidth)}  ${options.full ? row.cause : abbreviate(row.cause, 160)}`);
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

function fullDetail(row: TimelineRow, event: HistoryEvent): string {
  const d = detailsOf(event);
  const parts = [row.error, d.resourceType && d.resource ? `${d.resourceType}:${d.resource}` : undefined, d.parameters && `parameters ${d.parameters}`, d.input !== undefined && `input ${d.input}`, d.output !== undefined && `output ${d.output}`];
  return parts.filter(Boolean).join('  ');
}

/** Retries in an execution, per state: { PutItem: 2 }. */
export function retriesByState(events: HistoryEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const row of buildTimeline(events)) if (row.attempt) out[row.state] = (out[row.state] ?? 0) + 1;
  return out;
}

/** The header above a timeline: name, resource, status, HTTP status, duration, retries, error. */
export function renderExecutionHeader(execution: ExecutionDetail): string {
  const lines = [`Execution ${execution.name}${execution.resource ? `  (${execution.resource})` : ''}`, `  ARN       ${execution.executionArn}`];
  const took = execution.startDate && execution.stopDate ? ` in ${duration(execution.stopDate.getTime() - execution.startDate.getTime())}` : '';
  lines.push(`  Status    ${execution.status}${execution.statusCode ? ` → HTTP ${execution.statusCode}` : ''}${took}`);
  if (execution.startDate) lines.push(`  Started   ${execution.startDate.toISOString()}`);
  const retries = retriesByState(execution.events);
  const total = Object.values(retries).reduce((a, b) => a + b, 0);
  if (total) lines.push(`  Retries   ${total} (${Object.entries(retries).map(([s, n]) => `${s} ×${n}`).join(', ')})`);
  if (execution.error) lines.push(`  Error     ${execution.error}${execution.cause ? `: ${abbreviate(execution.cause, 160)}` : ''}`);
  return lines.join('\n') + '\n';
}

/** The statusCode of a workflow output ({statusCode, headers, body} as JSON text), if it is one. */
export function statusCodeOf(output: unknown): number | undefined {
  try {
    const parsed = typeof output === 'string' ? JSON.parse(output) : output;
    const code = Number(parsed?.statusCode);
    return Number.isInteger(code) ? code : undefined;
  } catch {
    return undefined;
  }
}

/** Events whose timestamp may be a Date, an ISO string or epoch seconds/ms (JSON transport) → Date timestamps. */
export function reviveEvents(events: unknown[]): HistoryEvent[] {
  return events.map((raw) => {
    const e = raw as Record<string, unknown>;
    return { ...e, id: Number(e.id), previousEventId: e.previousEventId === undefined ? undefined : Number(e.previousEventId), type: String(e.type), timestamp: toDate(e.timestamp) ?? new Date(NaN) } as HistoryEvent;
  });
}

/** A Date from a Date, an ISO string, or an epoch number (seconds, as the AWS JSON protocol sends, or ms). */
export function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value < 1e11 ? value * 1000 : value);
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return toDate(Number(value));
  const d = new Date(String(value));
  return Number.isNaN(d.getTime()) ? undefined : d;
}
