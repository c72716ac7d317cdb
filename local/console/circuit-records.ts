/**
 * The write circuits (storage first + circuit breaker): one item per resource in the circuit table (stack
 * output CircuitTableName), read at the start of every write and moved by the state machine
 * (statemachines/crud-resource.asl.json: ReadCircuit, CheckCircuit, ClaimProbe, CountCircuitFailure,
 * OpenCircuit, ReopenCircuit, CloseCircuit):
 *
 *   pk = circuit#<resource>#writes   state (CLOSED | OPEN | HALF_OPEN; no item reads as CLOSED), since (ISO),
 *                                    failures, windowStart, openedAt, coolDownSeconds, coolDownUntil (epoch ms),
 *                                    probeRequestId, probeStartedAt (epoch ms),
 *                                    lastTransition (JSON text {from, to, at, reason, requestId})
 *   pk = circuit#<resource>#events   the events circuit (publishEvents: ReadEventsCircuit, OpenEventsCircuit,
 *                                    CloseEventsCircuit): CLOSED | OPEN, since, coolDownSeconds, coolDownUntil,
 *                                    lastTransition; never HALF_OPEN, no failures counted
 *
 * This module reads them and moves them as an operator would (`open`, `close`) through a two-call port
 * (GetItem, UpdateItem in DynamoDB's wire shapes), so that the console (the local DynamoDB service) and
 * `crud-ops --aws` (@aws-sdk/client-dynamodb) share one implementation, as ./request-records.ts does for the
 * request records. Only the last transition is kept on the item; the console adds the earlier ones from the
 * executions' histories (./circuits.ts).
 */
import type { AttributeValue, Item } from './request-records';

export type { AttributeValue, Item } from './request-records';

/** The two DynamoDB calls of the store. */
export interface CircuitTablePort {
  getItem(input: Record<string, unknown>): Promise<{ Item?: Item }>;
  updateItem(input: Record<string, unknown>): Promise<{ Attributes?: Item }>;
}

export const CIRCUIT_STATES = ['CLOSED', 'OPEN', 'HALF_OPEN'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** A probe older than this is abandoned: the next write claims it again (CheckCircuit's 30000 ms). */
export const PROBE_STALE_MS = 30_000;
/** The state machine's default windowSeconds (LoadFlags: circuit.windowSeconds). */
export const DEFAULT_WINDOW_SECONDS = 60;
/** How long `open` keeps a circuit open when the operator does not say (`--for`). */
export const DEFAULT_OPEN_SECONDS = 300;
/** An operator's `open` takes at most this long a cool-down (a week). */
export const MAX_OPEN_SECONDS = 7 * 86_400;
/** Attempts of an operator change whose condition (the state read just before) failed because a write moved the circuit meanwhile. */
const CHANGE_ATTEMPTS = 3;

/** Each resource has a write circuit and an events circuit (docs/circuit-breaker.md). */
export const CIRCUIT_NAMES = ['writes', 'events'] as const;
export type CircuitName = (typeof CIRCUIT_NAMES)[number];

export function circuitKey(resource: string, circuit: CircuitName = 'writes'): string {
  return `circuit#${resource}#${circuit}`;
}

/** One move of a circuit (`lastTransition`, stored as JSON text). */
export interface CircuitTransition {
  from?: string;
  to: string;
  /** ISO time. */
  at: string;
  /** e.g. "5 writes exhausted their retries within 60 s (…)", "cool-down over: probing", "probe succeeded (201)", "operator". */
  reason?: string;
  /** The request whose execution moved it (not set for an operator's move). */
  requestId?: string;
  /** An operator's move: from where (`console`, `crud-ops`). */
  by?: string;
}

/** A circuit as the operator reads it. */
export interface CircuitStatus {
  resource: string;
  /** Set to 'events' for the events circuit; absent for the write circuit. */
  circuit?: 'events';
  /** CLOSED, OPEN or HALF_OPEN as stored; CLOSED when there is no item. */
  state: string;
  /** false: there is no item (never opened, or deleted): it reads as CLOSED. */
  recorded: boolean;
  /** Since when it is in this state (ISO). */
  since?: string;
  /** Write executions that exhausted their retries in the current window (0 once the window is over). */
  failures: number;
  /** When the current counting window started (ISO); the window lasts windowSeconds (default 60 s). */
  windowStart?: string;
  openedAt?: string;
  coolDownSeconds?: number;
  /** OPEN: until when writes are queued at once (ISO). */
  coolDownUntil?: string;
  /** OPEN and past coolDownUntil: the next write claims the probe. */
  coolDownOver?: boolean;
  /** HALF_OPEN: the one request probing the table. `abandoned` after 30 s: the next write claims it again. */
  probe?: { requestId?: string; startedAt?: string; abandoned: boolean };
  lastTransition?: CircuitTransition;
  /** Stored JSON text that does not parse (`lastTransition`), kept as text. */
  unreadable?: Record<string, string>;
}

/** What an operator's `open` or `close` did. */
export interface CircuitChange {
  resource: string;
  /** false: nothing to change (closing a circuit that is closed with no failures counted). */
  changed: boolean;
  before: CircuitStatus;
  after: CircuitStatus;
  /** The transition written as lastTransition (none when the state did not change on a close). */
  transition?: CircuitTransition;
}

/** How a close started the redrive of the resource's dead-letter queue (the queued writes are replayed now, not on the schedule). */
export interface RedriveStart {
  started: boolean;
  /** The redrive Lambda. */
  functionName?: string;
  /** `Event`: asynchronous, as Lambda Invoke with InvocationType Event (the answer does not wait for the replays). */
  invocationType?: string;
  /** Why it was not started. */
  error?: string;
  /** When it was not started: the command that starts it. */
  command?: string;
}

/** A close, and the redrive it started. */
export interface CircuitClose extends CircuitChange {
  redrive: RedriveStart;
}

export interface OpenOptions {
  /** Which circuit of the resource (default: writes). */
  circuit?: CircuitName;
  /** The cool-down: writes are queued at once for this long, then one write probes. Default 300. */
  forSeconds?: number;
  /** Epoch ms (the local cloud's clock locally). */
  now: number;
  /** Who: `console`, `crud-ops`… (stored on the transition). */
  by: string;
}

export interface CloseOptions {
  circuit?: CircuitName;
  now: number;
  by: string;
}

/** An UpdateItem planned from the circuit as read. */
interface PlannedChange {
  update: string;
  values: Item;
  transition?: CircuitTransition;
}

/** The circuit moved between the read and the write more than CHANGE_ATTEMPTS times in a row. */
export class CircuitBusy extends Error {
  override name = 'CircuitBusy';
}

/** A bad operator input (a cool-down out of range). */
export class BadCircuitInput extends Error {
  override name = 'BadCircuitInput';
}

export class CircuitStore {
  constructor(
    private readonly port: CircuitTablePort,
    readonly tableName: string,
    private readonly options: { windowSeconds?: number } = {},
  ) {}

  async get(resource: string, now: number, circuit: CircuitName = 'writes'): Promise<CircuitStatus> {
    return this.decode(resource, await this.read(resource, circuit), now, circuit);
  }

  /** One circuit per resource (its write circuit, or its events circuit), in the order given. */
  async list(resources: string[], now: number, circuit: CircuitName = 'writes'): Promise<CircuitStatus[]> {
    return Promise.all(resources.map((r) => this.get(r, now, circuit)));
  }

  /**
   * OPEN for `forSeconds` (default 300): writes are queued at once until then, after which one write probes
   * (CheckCircuit → ClaimProbe). A probe in progress is dropped (its CloseCircuit/ReopenCircuit, conditional on
   * probeRequestId, then fail), so that the operator's decision stands.
   */
  async open(resource: string, options: OpenOptions): Promise<CircuitChange> {
    const forSeconds = checkOpenSeconds(options.forSeconds ?? DEFAULT_OPEN_SECONDS);
    return this.change(resource, options.now, options.circuit ?? 'writes', (before) => {
      const transition = operatorTransition(before.state, 'OPEN', options);
      return {
        transition,
        update: 'SET #state = :open, since = :iso, openedAt = :now, coolDownSeconds = :cd, coolDownUntil = :until, failures = :zero, lastTransition = :transition REMOVE probeRequestId, probeStartedAt',
        values: {
          ':open': { S: 'OPEN' },
          ':iso': { S: new Date(options.now).toISOString() },
          ':now': { N: String(options.now) },
          ':cd': { N: String(forSeconds) },
          ':until': { N: String(options.now + forSeconds * 1000) },
          ':zero': { N: '0' },
          ':transition': { S: JSON.stringify(transition) },
        },
      };
    });
  }

  /**
   * CLOSED, failures 0, no probe, no window (as CloseCircuit leaves it). On a circuit already closed only the
   * failures counted are reset (no transition is written); with no item and nothing counted, nothing is written.
   */
  async close(resource: string, options: CloseOptions): Promise<CircuitChange> {
    return this.change(resource, options.now, options.circuit ?? 'writes', (before): PlannedChange | undefined => {
      if (before.state === 'CLOSED') {
        if (!before.recorded) return undefined;
        return { update: 'SET failures = :zero REMOVE probeRequestId, probeStartedAt, windowStart', values: { ':zero': { N: '0' } } };
      }
      const transition = operatorTransition(before.state, 'CLOSED', options);
      return {
        transition,
        update: 'SET #state = :closed, since = :iso, failures = :zero, lastTransition = :transition REMOVE probeRequestId, probeStartedAt, windowStart',
        values: { ':closed': { S: 'CLOSED' }, ':iso': { S: new Date(options.now).toISOString() }, ':zero': { N: '0' }, ':transition': { S: JSON.stringify(transition) } },
      };
    });
  }

  private get windowSeconds(): number {
    return this.options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
  }

  private async read(resource: string, circuit: CircuitName): Promise<Item | undefined> {
    const { Item: item } = await this.port.getItem({ TableName: this.tableName, Key: { pk: { S: circuitKey(resource, circuit) } }, ConsistentRead: true });
    return item;
  }

  private decode(resource: string, item: Item | undefined, now: number, circuit: CircuitName): CircuitStatus {
    const status = decodeCircuit(resource, item, now, this.windowSeconds);
    // `circuit` right after `resource`, so the events circuit reads as such in JSON.
    const { resource: name, ...rest } = status;
    return circuit === 'events' ? { resource: name, circuit, ...rest } : status;
  }

  /**
   * Reads the circuit, builds the update from what it read, and writes it on the condition that the state is still
   * the one read (a write execution may move it meanwhile: then again, up to CHANGE_ATTEMPTS times).
   */
  private async change(
    resource: string,
    now: number,
    circuit: CircuitName,
    build: (before: CircuitStatus) => PlannedChange | undefined,
  ): Promise<CircuitChange> {
    for (let attempt = 1; ; attempt++) {
      const item = await this.read(resource, circuit);
      const before = this.decode(resource, item, now, circuit);
      const planned = build(before);
      if (!planned) return { resource, changed: false, before, after: before };
      const stored = text(item?.state);
      const condition = !item ? 'attribute_not_exists(pk)' : stored === undefined ? 'attribute_not_exists(#state)' : '#state = :before';
      const values: Item = { ...planned.values, ...(stored === undefined ? {} : { ':before': { S: stored } }) };
      try {
        const { Attributes: attributes } = await this.port.updateItem({
          TableName: this.tableName,
          Key: { pk: { S: circuitKey(resource, circuit) } },
          UpdateExpression: planned.update,
          ConditionExpression: condition,
          ...(planned.update.includes('#state') || condition.includes('#state') ? { ExpressionAttributeNames: { '#state': 'state' } } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_NEW',
        });
        const after = this.decode(resource, attributes, now, circuit);
        return { resource, changed: true, before, after, ...(planned.transition ? { transition: planned.transition } : {}) };
      } catch (error) {
        if ((error as Error)?.name !== 'ConditionalCheckFailedException') throw error;
        if (attempt >= CHANGE_ATTEMPTS) throw new CircuitBusy(`The ${resource} ${circuit} circuit kept changing while it was being written (${attempt} attempts): try again`);
      }
    }
  }
}

/** The cool-down of an operator's `open`, in whole seconds from 1 to a week. */
export function checkOpenSeconds(seconds: number): number {
  if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_OPEN_SECONDS) {
    throw new BadCircuitInput(`The cool-down must be from 1 s to ${MAX_OPEN_SECONDS} s (a week), got ${seconds}`);
  }
  return Math.round(seconds);
}

function operatorTransition(from: string, to: string, options: { now: number; by: string }): CircuitTransition {
  return { from, to, at: new Date(options.now).toISOString(), reason: 'operator', by: options.by };
}

/** The item (or none) → the circuit as of `now`. */
export function decodeCircuit(resource: string, item: Item | undefined, now: number, windowSeconds = DEFAULT_WINDOW_SECONDS): CircuitStatus {
  if (!item) return { resource, state: 'CLOSED', recorded: false, failures: 0 };
  const state = text(item.state) ?? 'CLOSED';
  const unreadable: Record<string, string> = {};
  const windowStart = number(item.windowStart);
  const inWindow = windowStart !== undefined && now - windowStart < windowSeconds * 1000;
  const coolDownUntil = number(item.coolDownUntil);
  const probeStartedAt = number(item.probeStartedAt);
  const probeRequestId = text(item.probeRequestId);
  const status: CircuitStatus = {
    resource,
    state,
    recorded: true,
    ...optional('since', text(item.since)),
    failures: inWindow ? (number(item.failures) ?? 0) : 0,
    ...optional('windowStart', inWindow ? isoOf(windowStart) : undefined),
    ...optional('openedAt', isoOf(number(item.openedAt))),
    ...optional('coolDownSeconds', number(item.coolDownSeconds)),
    ...(state === 'OPEN' ? { ...optional('coolDownUntil', isoOf(coolDownUntil)), coolDownOver: coolDownUntil === undefined || now >= coolDownUntil } : {}),
    ...(state === 'HALF_OPEN' && (probeRequestId || probeStartedAt !== undefined)
      ? { probe: { ...optional('requestId', probeRequestId), ...optional('startedAt', isoOf(probeStartedAt)), abandoned: probeStartedAt === undefined || now - probeStartedAt >= PROBE_STALE_MS } }
      : {}),
    ...optional('lastTransition', parseTransition(item.lastTransition, unreadable)),
  };
  if (Object.keys(unreadable).length) status.unreadable = unreadable;
  return status;
}

/** A transition stored as JSON text (lastTransition, a task's `:transition` value), or undefined. */
export function parseTransition(value: AttributeValue | string | undefined, unreadable?: Record<string, string>): CircuitTransition | undefined {
  const raw = typeof value === 'string' ? value : text(value);
  if (raw === undefined) return undefined;
  try {
    const parsed = JSON.parse(raw);
    if (parsed && typeof parsed === 'object' && typeof parsed.to === 'string' && typeof parsed.at === 'string') {
      return Object.fromEntries(Object.entries(parsed).filter(([k, v]) => ['from', 'to', 'at', 'reason', 'requestId', 'by'].includes(k) && typeof v === 'string')) as unknown as CircuitTransition;
    }
  } catch {
    // kept as text below
  }
  if (unreadable) unreadable.lastTransition = raw;
  return undefined;
}

function isoOf(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(new Date(ms).getTime()) ? undefined : new Date(ms).toISOString();
}

function text(value: AttributeValue | undefined): string | undefined {
  return typeof value?.S === 'string' ? value.S : undefined;
}

function number(value: AttributeValue | undefined): number | undefined {
  const raw = value?.N ?? value?.S;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
