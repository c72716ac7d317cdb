/**
 * `requests list`, `requests show <requestId>` and `requests wait <requestId>`: the request records a
 * `202 Accepted` points to (`Location: /v1/requests/{id}`), read from the requests table — queued until a
 * replay applies or rejects the request — and a poll until one is final, for scripts.
 */
import { REQUEST_STATUSES, isFinal } from '../../console/request-records';
import { CommandContext, parseLimit } from '../context';
import { NotFoundError, OperationFailedError, UsageError, WAIT_EXIT, WaitTimeoutError } from '../errors';
import { abbreviate, ago, duration, parseDuration, table, when } from '../format';
import { requireResource } from '../stack-outputs';
import type { RequestDetail } from '../types';

export const DEFAULT_WAIT_TIMEOUT_MS = 300_000;
export const DEFAULT_WAIT_INTERVAL_MS = 2_000;
/** Body lines `show` prints without --full. */
const BODY_LINES = 40;

export function parseRequestStatus(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const status = text.toLowerCase();
  if (!(REQUEST_STATUSES as readonly string[]).includes(status)) throw new UsageError(`Unknown request status "${text}"; one of: ${REQUEST_STATUSES.join(', ')}`);
  return status;
}

/** --timeout / --interval: 90s, 15m, 2h or plain seconds → ms. */
export function parseSeconds(text: string | undefined, fallbackMs: number, option: string, { allowZero = false } = {}): number {
  if (text === undefined) return fallbackMs;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 0 || (!allowZero && ms === 0)) throw new UsageError(`${option} takes a duration (30, 90s, 15m, 1h; plain numbers are seconds), got "${text}"`);
  return ms;
}

export interface RequestsListOptions {
  resource?: string;
  status?: string;
  limit?: string;
}

export async function requestsList(ctx: CommandContext, options: RequestsListOptions): Promise<number> {
  const limit = parseLimit(options.limit, 20);
  if (limit > 1000) throw new UsageError(`--limit takes at most 1000, got "${options.limit}"`);
  const status = parseRequestStatus(options.status);
  if (options.resource) requireResource(await ctx.target.stack(), options.resource);
  const result = await ctx.target.listRequests({ resource: options.resource, status, limit });
  if (ctx.json) {
    ctx.printJson({ requests: result.items, total: result.total, truncated: result.truncated, capped: result.capped });
    return 0;
  }
  if (result.items.length === 0) {
    ctx.out(`No request records${status ? ` with status ${status}` : ''}${options.resource ? ` of ${options.resource}` : ''} on the ${ctx.target.description}.`);
    if (!status && !options.resource) ctx.note('Only writes answered 202 Accepted have one (readOnly on, DynamoDB throttled, …).');
    return 0;
  }
  const rows = result.items.map((r) => [
    when(date(r.receivedAt)),
    r.resource ?? '',
    [r.method, r.path].filter(Boolean).join(' '),
    r.status,
    r.statusCode === undefined ? '' : String(r.statusCode),
    String(r.attempts),
    abbreviate(r.reason ?? '', 48),
    when(date(r.finishedAt)),
    r.requestId,
  ]);
  ctx.out(table(['RECEIVED', 'RESOURCE', 'REQUEST', 'STATUS', 'HTTP', 'ATTEMPTS', 'REASON', 'FINISHED', 'REQUEST ID'], rows));
  if (result.truncated) ctx.note(`(newest ${result.items.length} of ${result.total}; --limit <n> for more)`);
  if (result.capped) ctx.note('The scan stopped after the first 5,000 records: older ones may be missing. Narrow it with --status or --resource.');
  return 0;
}

export interface RequestsShowOptions {
  full?: boolean;
}

export async function requestsShow(ctx: CommandContext, requestId: string, options: RequestsShowOptions): Promise<number> {
  const record = await ctx.target.getRequest(requestId);
  if (!record) throw notRecorded(ctx, requestId);
  if (ctx.json) {
    ctx.printJson(record);
    return 0;
  }
  ctx.out(renderRequest(record, { full: options.full, now: ctx.clock.now() }));
  return 0;
}

export interface RequestsWaitOptions {
  timeout?: string;
  interval?: string;
}

/**
 * Polls the record until it is applied (exit 0) or rejected (exit 1); still queued — or not recorded yet —
 * at the timeout: exit 2. Changes are noted on stderr as they are seen; the final line (or --json record) on stdout.
 */
export async function requestsWait(ctx: CommandContext, requestId: string, options: RequestsWaitOptions): Promise<number> {
  const timeoutMs = parseSeconds(options.timeout, DEFAULT_WAIT_TIMEOUT_MS, '--timeout', { allowZero: true });
  const intervalMs = parseSeconds(options.interval, DEFAULT_WAIT_INTERVAL_MS, '--interval');
  const { clock } = ctx;
  const start = clock.now();
  const deadline = start + timeoutMs;
  let last = '';
  for (;;) {
    const record = await ctx.target.getRequest(requestId);
    const state = record ? `${record.status}, ${record.attempts} attempt${record.attempts === 1 ? '' : 's'}${record.statusCode ? `, last answer HTTP ${record.statusCode}` : ''}` : 'no record yet';
    if (record && isFinal(record.status)) return finish(ctx, record);
    if (state !== last) {
      ctx.note(`${requestId}: ${state}`);
      last = state;
    }
    const left = deadline - clock.now();
    if (left <= 0) {
      if (ctx.json) ctx.printJson(record ?? { requestId, status: 'unknown' });
      throw new WaitTimeoutError(`${requestId} is ${record ? `still ${record.status}` : 'still not recorded'} after ${duration(clock.now() - start) || '0 ms'} (--timeout ${duration(timeoutMs) || '0 ms'})`, [
        record ? `It is replayed by the scheduled redrive Lambda or \`crud-ops dlq redrive ${record.resource ?? '<resource>'}\`; \`crud-ops requests show ${requestId}\` says why it waits.` : 'A request has a record once it was answered 202; an id that never was stays unknown.',
      ]);
    }
    await clock.sleep(Math.min(intervalMs, left));
  }
}

function finish(ctx: CommandContext, record: RequestDetail): number {
  const code = record.statusCode === undefined ? '' : ` → HTTP ${record.statusCode}`;
  if (ctx.json) ctx.printJson(record);
  else ctx.out(`${record.requestId} ${record.status}${code}`);
  if (record.status === 'applied') return WAIT_EXIT.APPLIED;
  throw new OperationFailedError(`${record.requestId} was rejected${code}: a replay's answer was final and not a success; it will not be tried again.`, [`\`crud-ops requests show ${record.requestId}\` prints the answer it got.`]);
}

function notRecorded(ctx: CommandContext, requestId: string): NotFoundError {
  return new NotFoundError(`No request record for ${requestId} on the ${ctx.target.description}`, [
    'A request has one once it was answered 202 Accepted (queued); if the requests table was what failed, its first replay writes it.',
    `\`crud-ops requests list\` shows recent ones; \`crud-ops executions show ${requestId}\` finds its executions.`,
  ]);
}

/** The readable summary of `requests show`. */
export function renderRequest(r: RequestDetail, options: { full?: boolean; now?: number } = {}): string {
  const lines: string[] = [];
  const row = (label: string, value: string | undefined) => {
    if (value !== undefined && value !== '') lines.push(`  ${label.padEnd(13)} ${value}`);
  };
  const at = (iso: string | undefined) => (iso ? `${iso}  (${ago(date(iso), options.now)})` : undefined);
  lines.push(`Request ${r.requestId}${r.resource ? `  (${r.resource})` : ''}`);
  row('Request', [r.method, r.path].filter(Boolean).join(' '));
  row('Status', `${r.status}${r.statusCode !== undefined && r.status !== 'queued' ? ` → HTTP ${r.statusCode}` : r.status === 'queued' ? ' (waiting for a replay)' : ''}`);
  row('Received', at(r.receivedAt));
  row('Queued', r.queuedAt);
  row('Reason', r.reason);
  row('Cause', r.cause === undefined ? undefined : options.full ? r.cause : abbreviate(r.cause, 160));
  row('Attempts', `${r.attempts} replay${r.attempts === 1 ? '' : 's'} tried`);
  const last = r.lastAttempt;
  if (last) {
    row('Last attempt', [last.at ?? r.lastAttemptAt, last.execution ? `execution ${last.execution}` : '', last.statusCode !== undefined ? `→ HTTP ${last.statusCode}` : '', last.final ? '(final)' : '(not final: tried again)'].filter(Boolean).join('  '));
  } else if (r.lastAttemptAt) {
    row('Last attempt', r.lastAttemptAt);
  }
  if (r.finishedAt) row('Finished', `${r.finishedAt}${r.queuedAt ? `  (${duration(Date.parse(r.finishedAt) - Date.parse(r.queuedAt))} after it was queued)` : ''}`);
  if (r.idempotency) row('Idempotency', `key ${r.idempotency.key} (${r.idempotency.status ?? 'unknown'})`);
  else row('Idempotency', r.idempotencyKey ? `key ${r.idempotencyKey}` : undefined);
  row('Expires', r.expiresAt ? `${r.expiresAt} (TTL)` : undefined);
  for (const [field, text] of Object.entries(r.unreadable ?? {})) row(`${field} (raw)`, options.full ? text : abbreviate(text, 160));

  if (r.outcome) {
    const o = r.outcome;
    lines.push(`Outcome${o.statusCode !== undefined ? `  HTTP ${o.statusCode}` : ''}`);
    for (const [name, value] of Object.entries(o.headers ?? {})) lines.push(`  ${name}: ${value}`);
    if (o.body !== undefined && o.body !== null && o.body !== '') {
      lines.push('');
      const body = (typeof o.body === 'string' ? o.body : JSON.stringify(o.body, null, 2)).split('\n');
      const shown = options.full ? body : body.slice(0, BODY_LINES);
      lines.push(...shown.map((l) => `  ${l}`));
      if (shown.length < body.length) lines.push(`  … ${body.length - shown.length} more lines (--full)`);
    } else {
      lines.push('  (no body)');
    }
  } else if (r.status === 'queued') {
    lines.push('Outcome  none yet: the replay that applies or rejects it records the answer');
  }
  lines.push(`Executions: crud-ops executions show ${r.requestId}${r.status === 'queued' ? `   Waiting: crud-ops dlq list ${r.resource ?? '<resource>'}, crud-ops requests wait ${r.requestId}` : ''}`);
  return lines.join('\n') + '\n';
}

function date(iso: string | undefined): Date | undefined {
  if (!iso) return undefined;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? undefined : d;
}
