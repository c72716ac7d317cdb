/**
 * `executions list` and `executions show <requestId>`: the Express executions of the app, newest
 * first, and one request's history as a timeline (its original execution and any DLQ replays).
 */
import { CommandContext, parseLimit, parseSince, parseStatus } from '../context';
import { NotFoundError } from '../errors';
import { duration, table, when } from '../format';
import { buildTimeline, renderExecutionHeader, renderTimeline } from '../history';
import { requireResource } from '../stack-outputs';

export interface ListOptions {
  resource?: string;
  status?: string;
  limit?: string;
  since?: string;
}

export async function executionsList(ctx: CommandContext, options: ListOptions): Promise<number> {
  const limit = parseLimit(options.limit, 20);
  const status = parseStatus(options.status);
  const since = parseSince(options.since);
  if (options.resource) requireResource(await ctx.target.stack(), options.resource);
  const result = await ctx.target.listExecutions({ resource: options.resource, status, limit, since });
  if (ctx.json) {
    ctx.printJson({ executions: result.items, truncated: Boolean(result.truncated) });
    return 0;
  }
  if (result.items.length === 0) {
    ctx.out(`No executions${status ? ` with status ${status}` : ''}${options.resource ? ` of ${options.resource}` : ''} on the ${ctx.target.description}.`);
  } else {
    const rows = result.items.map((e) => [
      when(e.startDate),
      e.resource ?? '',
      String(e.status),
      e.statusCode === undefined ? '' : String(e.statusCode),
      e.startDate && e.stopDate ? duration(e.stopDate.getTime() - e.startDate.getTime()) : '',
      e.name,
    ]);
    ctx.out(table(['STARTED', 'RESOURCE', 'STATUS', 'HTTP', 'DURATION', 'REQUEST ID (execution name)'], rows));
  }
  if (result.note) ctx.note(`(${result.note})`);
  if (result.truncated) ctx.note('The search stopped before the end of the window: narrow it with --since or --resource.');
  return 0;
}

export interface ShowOptions {
  resource?: string;
  full?: boolean;
  since?: string;
}

export async function executionsShow(ctx: CommandContext, requestId: string, options: ShowOptions): Promise<number> {
  const since = parseSince(options.since);
  if (options.resource) requireResource(await ctx.target.stack(), options.resource);
  const result = await ctx.target.executionsOfRequest(requestId, { resource: options.resource, since });
  if (result.items.length === 0) {
    throw new NotFoundError(`No execution for request id ${requestId} on the ${ctx.target.description}${result.note ? ` (${result.note})` : ''}`, [
      'The request id is the X-Request-Id response header (= the execution name); `executions list` shows recent ones.',
    ]);
  }
  if (ctx.json) {
    ctx.printJson({ requestId, executions: result.items.map((e) => ({ ...e, timeline: buildTimeline(e.events) })), truncated: Boolean(result.truncated) });
    return 0;
  }
  result.items.forEach((execution, i) => {
    if (i > 0) ctx.out('');
    ctx.out(renderExecutionHeader(execution));
    ctx.out(renderTimeline(execution.events, { full: options.full }) || '  (no history events)\n');
  });
  if (result.items.length > 1) ctx.note(`${result.items.length} executions: the request and its replays from the dead-letter queue.`);
  if (result.truncated) ctx.note('The log search stopped before the end of the window: narrow it with --since or --resource.');
  return 0;
}
