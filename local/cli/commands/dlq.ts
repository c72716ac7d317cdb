/**
 * `dlq list <resource>` and `dlq redrive <resource>`: the requests waiting in a resource's dead-letter
 * queue, and their replay through the resource's state machine with the redrive Lambda's own code
 * (lambdas/redrive/redrive.ts), run here with the operator's credentials.
 */
import { MessageOutcome, Outcome, StopReason, redriveQueue } from '../../../lambdas/redrive/redrive';
import { CommandContext, parseLimit } from '../context';
import { DeadLetter, listDeadLetters, queueDepth } from '../dead-letters';
import { NotFoundError, OperationFailedError, UsageError } from '../errors';
import { abbreviate, ago, table } from '../format';
import { requireResource } from '../stack-outputs';

/** Without --all or --message, a redrive replays at most this many messages (one SQS batch). */
export const DEFAULT_REDRIVE_BATCH = 10;

export async function dlqList(ctx: CommandContext, resourceName: string, options: { limit?: string }): Promise<number> {
  const limit = parseLimit(options.limit, 100);
  const resource = requireResource(await ctx.target.stack(), resourceName);
  const { sqs } = ctx.target.clients();
  const depth = await queueDepth(sqs, resource.deadLetterQueueUrl);
  const messages = depth.visible > 0 ? await listDeadLetters(sqs, resource.deadLetterQueueUrl, limit) : [];
  if (ctx.json) {
    ctx.printJson({ resource: resource.name, queueUrl: resource.deadLetterQueueUrl, ...depth, messages });
    return 0;
  }
  ctx.out(`${resource.name} dead-letter queue: ${depth.visible} waiting${depth.inFlight ? `, ${depth.inFlight} in flight (being redriven now)` : ''}`);
  if (messages.length) {
    ctx.out(table(['MESSAGE ID', 'REQUEST ID', 'REQUEST', 'ERROR', 'QUEUED', 'RECEIVES'], messages.map(row)));
    if (messages.length < depth.visible) ctx.out(`(first ${messages.length} of ${depth.visible}; --limit <n> for more)`);
    ctx.note('Listing received each message once (SQS has no peek): RECEIVES includes it. Receive counts do not matter to the redrive: only an unreadable message is poison.');
  }
  return 0;
}

function row(m: DeadLetter): string[] {
  const receives = `${m.receiveCount}${m.unreadable ? ' (unreadable: poison)' : ''}`;
  return [m.messageId, m.requestId ?? '', m.event ? `event ${m.event.detailType ?? '?'}` : [m.method, m.path].filter(Boolean).join(' '), abbreviate(m.error ?? '', 48), m.queuedAt ? `${m.queuedAt.toISOString()} (${ago(m.queuedAt)})` : '', receives];
}

export interface RedriveOptions {
  all?: boolean;
  message?: string[];
  limit?: string;
}

const KINDS: Outcome[] = ['applied', 'rejected', 'kept', 'poison'];

const STOPPED: Record<StopReason, string> = {
  transient: 'Stopped: 3 replays in a row were kept, the cause still holds; the rest waits for the next redrive.',
  deadline: 'Stopped: out of time.',
  limit: '', // the operator's own --limit: the summary says what is left
  error: 'Stopped: receiving from the queue failed.',
};

export async function dlqRedrive(ctx: CommandContext, resourceName: string, options: RedriveOptions): Promise<number> {
  const messageIds = options.message?.length ? [...new Set(options.message)] : undefined;
  if (options.all && messageIds) throw new UsageError('Use either --all or --message <id...>, not both');
  if (options.limit !== undefined && (options.all || messageIds)) throw new UsageError('--limit applies only without --all and --message');
  const batch = parseLimit(options.limit, DEFAULT_REDRIVE_BATCH);
  const resource = requireResource(await ctx.target.stack(), resourceName);
  const clients = ctx.target.clients();

  const waiting = (await queueDepth(clients.sqs, resource.deadLetterQueueUrl)).visible;
  const total = messageIds ? messageIds.length : options.all ? waiting : Math.min(batch, waiting);
  const counts: Record<Outcome, number> = { applied: 0, rejected: 0, kept: 0, poison: 0 };
  let done = 0;
  const progress = (o: MessageOutcome) => {
    done++;
    counts[o.outcome]++;
    const width = String(total || '?').length;
    const status = o.statusCode === undefined ? '' : `HTTP ${o.statusCode}`;
    const line = [`${String(done).padStart(width)}/${total || '?'}`, o.outcome.padEnd(8), o.requestId ?? `(message ${o.messageId})`, status, o.error ?? o.notReplayed ? abbreviate((o.error ?? o.notReplayed)!, 100) : '', o.requeuedAs ? `requeued as ${o.requeuedAs}` : '', o.deleteError ? `delete failed: ${abbreviate(o.deleteError, 60)}` : ''].filter(Boolean).join('  ');
    // With --json stdout is the result document only; the progress goes to stderr.
    if (ctx.json) ctx.note(line);
    else ctx.out(line);
  };
  if (!ctx.json) {
    const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
    const what = messageIds ? plural(messageIds.length, 'message') : options.all ? `all ${plural(waiting, 'waiting message')}` : `up to ${batch} of ${plural(waiting, 'waiting message')}`;
    ctx.out(`Redriving ${what} of ${resource.name} through ${resource.stateMachineArn.split(':').pop()}…`);
  }

  const summary = await redriveQueue(
    { resource: resource.name, queueUrl: resource.deadLetterQueueUrl, stateMachineArn: resource.stateMachineArn },
    clients,
    {
      maxMessages: messageIds ? messageIds.length : options.all ? Number.POSITIVE_INFINITY : batch,
      messageIds,
      // Messages named one by one are all tried, even while the cause holds.
      ...(messageIds ? { stopAfterConsecutiveKept: Number.POSITIVE_INFINITY } : {}),
      onOutcome: progress,
    },
  );
  const { outcomes, requeued, stoppedBecause } = summary;
  const found = new Set(outcomes.map((o) => o.messageId));
  const notFound = (messageIds ?? []).filter((id) => !found.has(id));
  const remaining = (await queueDepth(clients.sqs, resource.deadLetterQueueUrl)).visible;

  if (ctx.json) {
    ctx.printJson({ resource: resource.name, ...counts, requeued, ...(stoppedBecause ? { stoppedBecause } : {}), notFound, remaining, outcomes });
  } else {
    const line = KINDS.map((k) => `${counts[k]} ${k}`).join(', ');
    ctx.out(outcomes.length ? `${outcomes.length}/${total || outcomes.length} done: ${line}. ${remaining} message${remaining === 1 ? '' : 's'} left in the queue.` : `Nothing to redrive: the ${resource.name} dead-letter queue ${waiting ? 'had none of the requested messages' : 'is empty'}.`);
    if (requeued) ctx.out(`${requeued} message${requeued === 1 ? ' was' : 's were'} requeued as new messages before the queue's retention ends.`);
    if (stoppedBecause && STOPPED[stoppedBecause]) ctx.out(STOPPED[stoppedBecause] + (summary.error ? ` (${summary.error})` : ''));
  }
  if (notFound.length) {
    throw new NotFoundError(`Not in the ${resource.name} dead-letter queue: ${notFound.join(', ')}`, [`\`dlq list ${resource.name}\` shows the message ids waiting (in-flight messages being redriven by someone else are not visible).`]);
  }
  const failed = outcomes.length - counts.applied;
  if (failed > 0) {
    throw new OperationFailedError(`${failed} of ${outcomes.length} redriven message${outcomes.length === 1 ? ' was' : 's were'} not applied (${KINDS.filter((k) => k !== 'applied' && counts[k]).map((k) => `${counts[k]} ${k}`).join(', ')})`, [
      'rejected: answered 4xx, can never succeed, deleted; kept: still failing for a transient reason (5xx, 408, 429, Retry-After), still queued; poison: unreadable, left for you.',
    ]);
  }
  return 0;
}
