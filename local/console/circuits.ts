/**
 * Circuits for the console: each resource's write circuit read through the local DynamoDB service
 * (./circuit-records.ts, shared with `crud-ops --aws`), with its recent transitions, and an operator's
 * open/close (the CLI's local target calls the same routes).
 *
 * The item keeps only its last transition, so the list of recent ones is put together here from:
 * - the executions' histories: every OpenCircuit, ReopenCircuit, CloseCircuit or ClaimProbe task that
 *   succeeded, with the `:transition` value it wrote (a failed conditional write moved nothing);
 * - the operator's moves made through this console since it started (kept in memory);
 * - the item's lastTransition (an operator's move from before a restart, or from another tool).
 * On AWS there is no such history to read cheaply (Express executions live in CloudWatch Logs): `crud-ops --aws`
 * shows the item's lastTransition only.
 */
import type { LocalResource } from '../cloud-types';
import type { ExecutionRecord } from '../stepfunctions/service';
import { CircuitChange, CircuitClose, CircuitName, CircuitStatus, CircuitStore, CircuitTransition, Item, RedriveStart, parseTransition } from './circuit-records';

/** Transitions returned per circuit, newest first. */
export const TRANSITIONS_SHOWN = 20;
/** Operator moves remembered per circuit. */
const OPERATOR_LOG_SIZE = 50;
/** The task states that move a circuit, each with a `:transition` value in its arguments. */
export const TRANSITION_STATES: readonly string[] = ['OpenCircuit', 'ReopenCircuit', 'CloseCircuit', 'ClaimProbe'];

/** A transition and where it was read. */
export interface RecordedTransition extends CircuitTransition {
  /** `execution`: a task of an execution wrote it; `operator`: an open/close through this console; `item`: the item's lastTransition. */
  source: 'execution' | 'operator' | 'item';
  /** With source `execution`: the execution (its name is the request id, or `<id>-redrive-<n>`) and the state. */
  execution?: string;
  executionArn?: string;
  state?: string;
}

export interface ConsoleCircuit extends CircuitStatus {
  /** Newest first, at most TRANSITIONS_SHOWN. */
  transitions: RecordedTransition[];
  /** The resource's events circuit (publishEvents): its item only, no transitions from the histories. */
  events: CircuitStatus;
}

export interface CircuitsViewOptions {
  /** The local DynamoDB service (its `call` takes and returns the wire shapes). */
  dynamodb: { call(action: string, request: object): Promise<any> };
  /** The stack output CircuitTableName; undefined for a template without the circuit breaker. */
  tableName: string | undefined;
  resources: LocalResource[];
  executions: { listExecutions(filter?: { stateMachineArn?: string }): ExecutionRecord[] };
  /** The local cloud's clock (epoch ms): the state machines' $millis() follows it, so cool-downs must too. */
  now: () => number;
  /** Starts the redrive of one resource, asynchronously (a close does). */
  redrive: (resource: string) => Promise<RedriveStart>;
}

/** The template has no circuit table (no CircuitTableName output). */
export class NoCircuitTable extends Error {
  override name = 'NoCircuitTable';
}

export class UnknownCircuit extends Error {
  override name = 'UnknownCircuit';
}

export class CircuitsView {
  private readonly store?: CircuitStore;
  /** Transitions of ended executions by ARN (a history does not change once it ended). */
  private readonly parsed = new Map<string, RecordedTransition[]>();
  private readonly operatorLog = new Map<string, RecordedTransition[]>();

  constructor(private readonly options: CircuitsViewOptions) {
    const { dynamodb } = options;
    if (options.tableName) {
      this.store = new CircuitStore(
        {
          getItem: (input) => dynamodb.call('GetItem', input) as Promise<{ Item?: Item }>,
          updateItem: (input) => dynamodb.call('UpdateItem', input) as Promise<{ Attributes?: Item }>,
        },
        options.tableName,
      );
    }
  }

  /** Every resource's circuit with its recent transitions; `now`: the local cloud's clock (it may run ahead of the wall clock). */
  async list(): Promise<{ circuits: ConsoleCircuit[]; tableName: string; now: string }> {
    const store = this.requireStore();
    const now = this.options.now();
    const names = this.options.resources.map((r) => r.name);
    const [circuits, events] = await Promise.all([store.list(names, now), store.list(names, now, 'events')]);
    return { circuits: circuits.map((c, i) => ({ ...c, transitions: this.transitions(c), events: events[i] })), tableName: store.tableName, now: new Date(now).toISOString() };
  }

  async open(resource: string, options: { forSeconds?: number; by?: string; circuit?: CircuitName } = {}): Promise<CircuitChange> {
    const store = this.requireStore();
    const change = await store.open(this.requireResource(resource), { forSeconds: options.forSeconds, now: this.options.now(), by: options.by ?? 'console', circuit: options.circuit });
    this.remember(change);
    return change;
  }

  /**
   * Closes the circuit and starts the resource's redrive (the queued writes are replayed now, not on the
   * schedule; for the events circuit, the deferred events are published).
   */
  async close(resource: string, options: { by?: string; circuit?: CircuitName } = {}): Promise<CircuitClose> {
    const store = this.requireStore();
    const change = await store.close(this.requireResource(resource), { now: this.options.now(), by: options.by ?? 'console', circuit: options.circuit });
    this.remember(change);
    let redrive: RedriveStart;
    try {
      redrive = await this.options.redrive(resource);
    } catch (error) {
      redrive = { started: false, error: (error as Error).message };
    }
    return { ...change, redrive };
  }

  private transitions(circuit: CircuitStatus): RecordedTransition[] {
    const all: RecordedTransition[] = [...this.fromExecutions(circuit.resource), ...(this.operatorLog.get(circuit.resource) ?? [])];
    if (circuit.lastTransition) all.push({ ...circuit.lastTransition, source: 'item' });
    const seen = new Set<string>();
    const unique = all.filter((t) => {
      const key = `${t.from}>${t.to}@${t.at}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    return unique.sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0)).slice(0, TRANSITIONS_SHOWN);
  }

  private fromExecutions(resource: string): RecordedTransition[] {
    const stateMachineArn = this.options.resources.find((r) => r.name === resource)?.stateMachineArn;
    if (!stateMachineArn) return [];
    const found: RecordedTransition[] = [];
    for (const execution of this.options.executions.listExecutions({ stateMachineArn })) {
      let transitions = this.parsed.get(execution.executionArn);
      if (!transitions) {
        transitions = transitionsOf(execution);
        if (execution.status !== 'RUNNING') this.parsed.set(execution.executionArn, transitions);
      }
      found.push(...transitions);
    }
    return found;
  }

  private remember(change: CircuitChange): void {
    // The recent transitions are the write circuit's.
    if (!change.transition || change.after.circuit === 'events') return;
    const log = this.operatorLog.get(change.resource) ?? [];
    log.push({ ...change.transition, source: 'operator' });
    this.operatorLog.set(change.resource, log.slice(-OPERATOR_LOG_SIZE));
  }

  private requireResource(name: string): string {
    if (!this.options.resources.some((r) => r.name === name)) {
      throw new UnknownCircuit(`No resource "${name}"; known: ${this.options.resources.map((r) => r.name).join(', ')}`);
    }
    return name;
  }

  private requireStore(): CircuitStore {
    if (!this.store) throw new NoCircuitTable('This template has no circuit table (no CircuitTableName stack output)');
    return this.store;
  }
}

/**
 * The circuit moves of one execution, in order: each TRANSITION_STATES task that succeeded, with the
 * `:transition` value of the arguments it was scheduled with. Events are attributed to their state by
 * following previousEventId back to the TaskStateEntered (as ./outcomes.ts does).
 */
export function transitionsOf(execution: Pick<ExecutionRecord, 'executionArn' | 'name' | 'events'>): RecordedTransition[] {
  const owner = new Map<number, string>();
  const scheduled = new Map<string, CircuitTransition | undefined>();
  const out: RecordedTransition[] = [];
  for (const event of execution.events) {
    if (event.type === 'TaskStateEntered') {
      const name = (event.stateEnteredEventDetails as { name?: string } | undefined)?.name;
      if (name && TRANSITION_STATES.includes(name)) owner.set(event.id, `${name}#${event.id}`);
      continue;
    }
    const visit = owner.get(event.previousEventId);
    if (!visit) continue;
    owner.set(event.id, visit);
    if (event.type === 'TaskScheduled') {
      scheduled.set(visit, transitionArgument((event.taskScheduledEventDetails as { parameters?: string } | undefined)?.parameters));
    } else if (event.type === 'TaskSucceeded') {
      const transition = scheduled.get(visit);
      if (transition) out.push({ ...transition, source: 'execution', execution: execution.name, executionArn: execution.executionArn, state: visit.split('#')[0] });
    }
  }
  return out;
}

/** The `:transition` value of an UpdateItem's arguments (JSON text), parsed. */
function transitionArgument(parameters: string | undefined): CircuitTransition | undefined {
  if (!parameters) return undefined;
  try {
    return parseTransition(JSON.parse(parameters)?.ExpressionAttributeValues?.[':transition']);
  } catch {
    return undefined;
  }
}

/**
 * Starts a Lambda function asynchronously through the endpoint's Lambda Invoke (InvocationType Event): the
 * answer (202) comes at once, the function runs on.
 */
export async function invokeAsync(endpointUrl: string, functionName: string, payload: unknown): Promise<void> {
  const res = await fetch(`${endpointUrl.replace(/\/+$/, '')}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': 'Event' },
    body: JSON.stringify(payload),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`Lambda Invoke of ${functionName} answered HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}
