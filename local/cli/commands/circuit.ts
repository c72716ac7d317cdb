/**
 * `circuit list`, `circuit open <resource> [--for <duration>]` and `circuit close <resource>`: each resource's
 * write circuit (storage first + circuit breaker, statemachines/crud-resource.asl.json), read from and written to
 * the circuit table (output CircuitTableName) through local/console/circuit-records.ts — locally through the
 * console's routes, with --aws with DynamoDB GetItem/UpdateItem. A close also starts the resource's redrive
 * (locally: the redrive Lambda, asynchronously; with --aws: the command that does).
 * `--circuit events` does the same with each resource's events circuit (publishEvents: while it is open,
 * change events wait in the dead-letter queue and the redrive publishes them).
 */
import { CIRCUIT_NAMES, DEFAULT_OPEN_SECONDS, MAX_OPEN_SECONDS } from '../../console/circuit-records';
import { CommandContext } from '../context';
import { OperationFailedError, UsageError } from '../errors';
import { abbreviate, ago, duration, parseDuration, table, when } from '../format';
import { requireResource } from '../stack-outputs';
import type { CircuitChange, CircuitName, CircuitStatus, CircuitTransition } from '../types';

/** --circuit: writes (the default) or events. */
export function parseCircuitName(text: string | undefined): CircuitName {
  if (text === undefined) return 'writes';
  if (!(CIRCUIT_NAMES as readonly string[]).includes(text)) throw new UsageError(`--circuit takes ${CIRCUIT_NAMES.join(' or ')}, got "${text}"`);
  return text as CircuitName;
}

/** --for: 300, 90s, 15m, 1h (plain numbers are seconds) → whole seconds, from 1 s to a week. */
export function parseOpenFor(text: string | undefined): number {
  if (text === undefined) return DEFAULT_OPEN_SECONDS;
  const ms = parseDuration(text);
  if (ms === undefined || ms < 1000 || ms > MAX_OPEN_SECONDS * 1000) {
    throw new UsageError(`--for takes a duration from 1 s to 7 d (300, 90s, 15m, 1h; plain numbers are seconds), got "${text}"`);
  }
  return Math.round(ms / 1000);
}

export async function circuitList(ctx: CommandContext, options: { circuit?: string } = {}): Promise<number> {
  const name = parseCircuitName(options.circuit);
  const circuits = await ctx.target.listCircuits(name);
  if (ctx.json) {
    ctx.printJson({ circuits });
    return 0;
  }
  if (circuits.length === 0) {
    ctx.out(`No resources on the ${ctx.target.description}.`);
    return 0;
  }
  const now = ctx.clock.now();
  const rows = circuits.map((c) => [c.resource, c.state, c.since ? `${when(new Date(c.since))} (${ago(new Date(c.since), now)})` : '', String(c.failures), coolDown(c, now), probe(c, now), c.lastTransition ? abbreviate(transitionText(c.lastTransition, now), 90) : '']);
  if (name === 'events') ctx.out('Events circuits (publishEvents): OPEN defers change events to the dead-letter queue without calling EventBridge.');
  ctx.out(table(['RESOURCE', 'STATE', 'SINCE', 'FAILURES', 'COOL-DOWN UNTIL', 'PROBE', 'LAST TRANSITION'], rows));
  if (circuits.some((c) => !c.recorded)) ctx.note('A circuit with no item in the circuit table has never opened: it reads as CLOSED.');
  return 0;
}

export async function circuitOpen(ctx: CommandContext, resourceName: string, options: { for?: string; circuit?: string }): Promise<number> {
  const forSeconds = parseOpenFor(options.for);
  const name = parseCircuitName(options.circuit);
  const resource = requireResource(await ctx.target.stack(), resourceName);
  const change = await ctx.target.openCircuit(resource.name, forSeconds, name);
  if (ctx.json) {
    ctx.printJson(change);
    return 0;
  }
  const until = change.after.coolDownUntil ? ` until ${when(new Date(change.after.coolDownUntil))}` : '';
  ctx.out(`${resource.name}${name === 'events' ? ' events' : ''}: ${change.before.state} → OPEN${until} (${duration(forSeconds * 1000)}).`);
  if (name === 'events') {
    ctx.out('Change events wait in the dead-letter queue (EventBridge not called); after the cool-down, the next publish probes EventBridge and closes the circuit if it succeeds. Writes are not affected.');
    return 0;
  }
  ctx.out('Writes are queued at once (202, reason CircuitOpen) without calling the table; after the cool-down, one write probes it and closes the circuit if it succeeds.');
  if (change.before.probe && !change.before.probe.abandoned) ctx.note(`The probe in progress (${change.before.probe.requestId ?? 'unknown request'}) was dropped: it cannot close the circuit now.`);
  return 0;
}

export async function circuitClose(ctx: CommandContext, resourceName: string, options: { circuit?: string } = {}): Promise<number> {
  const name = parseCircuitName(options.circuit);
  const resource = requireResource(await ctx.target.stack(), resourceName);
  const change = await ctx.target.closeCircuit(resource.name, name);
  if (ctx.json) ctx.printJson(change);
  else ctx.out(closedText(change));
  const { redrive } = change;
  if (redrive.started) {
    if (!ctx.json) ctx.out(`Redrive of ${resource.name} started: ${redrive.functionName ?? 'the redrive Lambda'} invoked asynchronously (InvocationType ${redrive.invocationType ?? 'Event'}). \`crud-ops dlq list ${resource.name}\` shows what is still waiting.`);
    return 0;
  }
  if (redrive.command) {
    // Not a failure: this target cannot start it (no Lambda client), and says how.
    if (!ctx.json) {
      ctx.out(`The redrive was not started (${redrive.error ?? 'no Lambda client'}). Start it with:`);
      ctx.out(`  ${redrive.command}`);
      ctx.out(`or replay from here with your credentials: crud-ops --aws dlq redrive ${resource.name} --all`);
    }
    return 0;
  }
  throw new OperationFailedError(`The ${resource.name} circuit is closed, but its redrive could not be started: ${redrive.error ?? 'unknown reason'}`, [
    `\`crud-ops dlq redrive ${resource.name} --all\` replays the queued writes now; the scheduled redrive does it on its next run.`,
  ]);
}

function closedText(change: CircuitChange): string {
  const { before } = change;
  const resource = before.circuit === 'events' ? `${change.resource} events` : change.resource;
  if (before.state !== 'CLOSED') return `${resource}: ${before.state} → CLOSED. ${before.circuit === 'events' ? 'Change events are published again; the redrive publishes the deferred ones.' : 'Writes go to the table again.'}`;
  if (!before.recorded) return `${resource}: already CLOSED (it never opened).`;
  return `${resource}: already CLOSED${before.failures ? `; the ${before.failures} failure${before.failures === 1 ? '' : 's'} counted in its window reset` : ''}.`;
}

function coolDown(c: CircuitStatus, now: number): string {
  if (c.state !== 'OPEN' || !c.coolDownUntil) return '';
  const until = new Date(c.coolDownUntil);
  if (c.coolDownOver) return `${when(until)} (over: the next write probes)`;
  return `${when(until)} (in ${duration(Math.max(0, until.getTime() - now)) || '0 ms'})`;
}

function probe(c: CircuitStatus, now: number): string {
  if (!c.probe) return '';
  const since = c.probe.startedAt ? ` since ${ago(new Date(c.probe.startedAt), now).replace(/ ago$/, '')}` : '';
  return `${c.probe.abandoned ? 'abandoned' : 'in progress'}: ${c.probe.requestId ?? '?'}${since}`;
}

/** "CLOSED → OPEN: 5 writes exhausted … (3 min ago)", "OPEN → CLOSED: operator (crud-ops) (5 s ago)". */
export function transitionText(t: CircuitTransition, now = Date.now()): string {
  const who = t.by ? ` (${t.by})` : '';
  return `${t.from ?? '?'} → ${t.to}: ${t.reason ?? ''}${who} (${ago(new Date(t.at), now)})`;
}
