/**
 * The Step Functions service over the local ASL engine: state machines, executions and their history.
 *
 * Two faces:
 * - `handle(action, request)`: the AWS JSON API behind the endpoint, answering as AWS does (./api.ts).
 *   On AWS, Express executions are invisible to DescribeExecution, GetExecutionHistory, StopExecution
 *   (InvalidArn) and ListExecutions (StateMachineTypeNotSupported); so they are here.
 * - the TypeScript methods (`listExecutions`, `getExecution`, ...): for the local console, which shows
 *   Express executions too, since that is the app's main path (on AWS one reads them from CloudWatch Logs).
 *
 * State machines come from the template at each start (like a deployment) and are not persisted;
 * executions are (./store.ts).
 */
import { randomUUID } from 'node:crypto';
import { DefinitionError, compileStateMachine, systemClock } from '../asl';
import type { AbortSignalLike, Clock, CompiledStateMachine, TaskHandlerTable } from '../asl/types';
import { handleApi } from './api';
import { expressDefinitionProblem } from './express';
import { ExecutionRecord, ExecutionStore } from './store';
import { testState } from './test-state';
import { Tag, normalizeTags } from './tags';
import { fail, parseInput, requireArn, requireEnum, requireName } from './validate';

export type { ExecutionRecord } from './store';

export interface LoggingConfiguration {
  level: 'ALL' | 'ERROR' | 'FATAL' | 'OFF';
  includeExecutionData: boolean;
  destinations?: unknown[];
}

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  creationDate: Date;
  loggingConfiguration: LoggingConfiguration;
  tracingConfiguration: { enabled: boolean };
  /** ListTagsForResource's answer. */
  tags: Tag[];
}

export interface CreateStateMachineRequest {
  name: string;
  /** ASL JSON text (an object is serialized). */
  definition: string | object;
  roleArn?: string;
  type?: string;
  /** The API's camelCase shape, or the template's PascalCase one. */
  loggingConfiguration?: Record<string, any>;
  tracingConfiguration?: Record<string, any>;
  /** `[{key, value}]` (the API) or `[{Key, Value}]` (the template). Like roleArn, ignored when the machine exists. */
  tags?: unknown;
}

export interface StartExecutionRequest {
  stateMachineArn: string;
  name?: string;
  input?: string;
}

export interface StepFunctionsServiceOptions {
  region: string;
  account: string;
  taskHandlers: TaskHandlerTable;
  /** Folder for executions.jsonl; omitted = in memory. */
  dataDir?: string;
  clock?: Clock;
  /** Closed executions kept, oldest forgotten first (default 10,000). */
  maxExecutions?: number;
  /** Told when an execution starts and when it ends (console, logs). */
  onExecution?: (execution: ExecutionRecord) => void;
}

interface Machine {
  record: StateMachineRecord;
  compiled: CompiledStateMachine;
}

/**
 * StopExecution's switch, handed to the engine as its `signal`: an AbortSignal's members without an
 * AbortController (which costs microseconds per execution, and almost none are ever stopped).
 */
class StopSignal implements AbortSignalLike {
  aborted = false;
  reason: unknown = undefined;
  private listeners?: (() => void)[];

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const i = this.listeners?.indexOf(listener) ?? -1;
    if (i >= 0) this.listeners!.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners ?? [];
    this.listeners = undefined;
    for (const fn of listeners) fn();
  }
}

interface Running {
  abort: StopSignal;
  done: Promise<void>;
  /** StopExecution's error and cause, for the ExecutionAborted event. */
  stop?: { error?: string; cause?: string };
}

export class StepFunctionsService {
  private readonly machines = new Map<string, Machine>();
  private readonly store: ExecutionStore;
  private readonly running = new Map<string, Running>();
  private readonly clock: Clock;

  constructor(private readonly options: StepFunctionsServiceOptions) {
    this.clock = options.clock ?? systemClock;
    this.store = new ExecutionStore({ dataDir: options.dataDir, maxExecutions: options.maxExecutions, now: () => this.clock.now() });
  }

  /**
   * CreateStateMachine, idempotent as AWS documents it: the same name with the same definition, type,
   * logging and tracing configuration returns the existing machine (a different roleArn is ignored and
   * not updated); any other difference is StateMachineAlreadyExists.
   */
  createStateMachine(request: CreateStateMachineRequest): StateMachineRecord {
    const name = requireName(request.name);
    const type = requireEnum(request.type ?? 'STANDARD', 'type', ['STANDARD', 'EXPRESS'] as const);
    const definition = typeof request.definition === 'string' ? request.definition : JSON.stringify(request.definition);
    const stateMachineArn = `${this.arnPrefix()}:stateMachine:${name}`;
    const loggingConfiguration = normalizeLogging(request.loggingConfiguration);
    const tracingConfiguration = normalizeTracing(request.tracingConfiguration);
    const tags = normalizeTags(request.tags);
    const existing = this.machines.get(stateMachineArn)?.record;
    if (existing) {
      const same =
        existing.definition === definition &&
        existing.type === type &&
        JSON.stringify(existing.loggingConfiguration) === JSON.stringify(loggingConfiguration) &&
        existing.tracingConfiguration.enabled === tracingConfiguration.enabled;
      if (same) return existing;
      fail('StateMachineAlreadyExists', `State Machine Already Exists: '${stateMachineArn}'`);
    }
    let compiled: CompiledStateMachine;
    try {
      compiled = compileStateMachine(definition);
    } catch (error) {
      if (error instanceof DefinitionError) fail('InvalidDefinition', error.message);
      throw error;
    }
    if (type === 'EXPRESS') {
      const problem = expressDefinitionProblem(compiled.definition);
      if (problem) fail('InvalidDefinition', problem);
    }
    const record: StateMachineRecord = {
      stateMachineArn,
      name,
      type,
      definition,
      roleArn: request.roleArn ?? `arn:aws:iam::${this.options.account}:role/local`,
      creationDate: this.clock.now(),
      loggingConfiguration,
      tracingConfiguration,
      tags,
    };
    this.machines.set(stateMachineArn, { record, compiled });
    return record;
  }

  /** DeleteStateMachine: deleting an unknown machine is not an error (as on AWS). Running executions finish. */
  deleteStateMachine(stateMachineArn: string): void {
    this.machines.delete(requireArn(stateMachineArn, 'stateMachineArn', 'stateMachine'));
  }

  getStateMachine(stateMachineArn: string): StateMachineRecord | undefined {
    return this.machines.get(stateMachineArn)?.record;
  }

  /** A machine by ARN, or the AWS error (InvalidArn, StateMachineDoesNotExist). */
  requireStateMachine(stateMachineArn: unknown): StateMachineRecord {
    return this.machine(stateMachineArn).record;
  }

  /** All state machines, by name (ListStateMachines' order). */
  stateMachines(): StateMachineRecord[] {
    return [...this.machines.values()].map((m) => m.record).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Executions newest first, Express ones included (for the console; the API filters them out). */
  listExecutions(filter: { stateMachineArn?: string; status?: string } = {}): ExecutionRecord[] {
    const matching = [...this.store.all()].filter(
      (e) => (!filter.stateMachineArn || e.stateMachineArn === filter.stateMachineArn) && (!filter.status || e.status === filter.status),
    );
    // Reversed first so that, with equal start dates, the later-started one still comes first.
    return matching.reverse().sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  getExecution(executionArn: string): ExecutionRecord | undefined {
    return this.store.get(executionArn);
  }

  /**
   * StartExecution: returns at once, the execution runs in the background. For a STANDARD machine the
   * name is idempotent as documented: the same name and input while the first one runs returns it;
   * a different input, or a closed execution of that name, is ExecutionAlreadyExists.
   */
  startExecution(request: StartExecutionRequest): ExecutionRecord {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name === undefined ? randomUUID() : requireName(request.name);
    const { text: input, value } = parseInput(request.input);
    const express = machine.record.type === 'EXPRESS';
    const executionArn = this.executionArn(machine.record, name, express);
    const existing = this.store.get(executionArn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      fail('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const execution = this.newExecution(machine.record, executionArn, name, input);
    this.store.save(execution);
    void this.launch(machine, execution, value);
    return execution;
  }

  /** StartSyncExecution: EXPRESS machines only; resolves when the execution has ended, whatever its status. */
  async startSyncExecution(request: StartExecutionRequest): Promise<ExecutionRecord> {
    const machine = this.machine(request.stateMachineArn);
    if (machine.record.type !== 'EXPRESS') fail('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const name = request.name === undefined ? randomUUID() : requireName(request.name);
    const { text: input, value } = parseInput(request.input);
    const execution = this.newExecution(machine.record, this.executionArn(machine.record, name, true), name, input);
    await this.launch(machine, execution, value);
    return execution;
  }

  /**
   * StopExecution: aborts a running execution (its history ends with ExecutionAborted carrying the
   * given error and cause). A closed execution is left as it is. Use `settled()` to wait for the end.
   */
  stopExecution(request: { executionArn: string; error?: string; cause?: string }): Date {
    const execution = this.store.get(request.executionArn);
    if (!execution) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
    const run = this.running.get(request.executionArn);
    if (!run) return execution.stopDate ?? this.clock.now();
    run.stop = { error: request.error, cause: request.cause };
    run.abort.abort();
    return this.clock.now();
  }

  /** Resolves once the execution is no longer running. */
  async settled(executionArn: string): Promise<void> {
    await this.running.get(executionArn)?.done;
  }

  /** TestState (./test-state.ts): one state on its own, with the local integrations or a mock. */
  testState(request: any): Promise<Record<string, unknown>> {
    return testState(request, { region: this.options.region, account: this.options.account, taskHandlers: this.options.taskHandlers, clock: this.clock });
  }

  /** The AWS JSON 1.0 API (the endpoint's StepFunctionsBackend); dates are Date objects. */
  handle(action: string, request: any): Promise<any> {
    return handleApi(this, action, request ?? {});
  }

  /** Aborts what still runs (recorded as ABORTED) and closes the log. */
  async close(): Promise<void> {
    for (const run of this.running.values()) run.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    this.store.close();
  }

  private machine(stateMachineArn: unknown): Machine {
    const arn = requireArn(stateMachineArn, 'stateMachineArn', 'stateMachine');
    const machine = this.machines.get(arn);
    if (!machine) fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private arnPrefix(): string {
    return `arn:aws:states:${this.options.region}:${this.options.account}`;
  }

  /** Standard: …:execution:<machine>:<name>. Express: …:express:<machine>:<name>:<id>, names may repeat. */
  private executionArn(machine: StateMachineRecord, name: string, express: boolean): string {
    return express ? `${this.arnPrefix()}:express:${machine.name}:${name}:${randomUUID()}` : `${this.arnPrefix()}:execution:${machine.name}:${name}`;
  }

  private newExecution(machine: StateMachineRecord, executionArn: string, name: string, input: string): ExecutionRecord {
    const execution: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: this.clock.now(),
      input,
      roleArn: machine.roleArn,
      events: [],
    };
    this.store.add(execution);
    return execution;
  }

  private launch(machine: Machine, execution: ExecutionRecord, inputValue: unknown): Promise<void> {
    const run: Running = { abort: new StopSignal(), done: Promise.resolve() };
    run.done = this.run(machine, execution, run, inputValue).finally(() => this.running.delete(execution.executionArn));
    this.running.set(execution.executionArn, run);
    return run.done;
  }

  private async run(machine: Machine, execution: ExecutionRecord, run: Running, inputValue: unknown): Promise<void> {
    this.options.onExecution?.(execution);
    try {
      const result = await machine.compiled.execute({
        executionArn: execution.executionArn,
        stateMachineArn: machine.record.stateMachineArn,
        name: execution.name,
        input: execution.input,
        inputValue,
        roleArn: execution.roleArn,
        taskHandlers: this.options.taskHandlers,
        clock: this.clock,
        signal: run.abort,
        // Pushed as they happen, so GetExecutionHistory shows a running execution's progress.
        onEvent: (event) => execution.events.push(event),
      });
      Object.assign(execution, { status: result.status, output: result.output, error: result.error, cause: result.cause, stopDate: result.stopDate });
      if (result.status === 'ABORTED') addAbortDetails(execution, run.stop);
    } catch (error) {
      // The engine reports failures in its result; reaching here is a bug, recorded rather than lost.
      Object.assign(execution, { status: 'FAILED', error: 'States.Runtime', cause: String((error as Error)?.message ?? error), stopDate: this.clock.now() });
    }
    this.store.save(execution);
    this.options.onExecution?.(execution);
  }
}

/**
 * The API's loggingConfiguration with AWS's defaults (level OFF, no execution data). The template's
 * CloudFormation properties (Level, IncludeExecutionData, Destinations[].CloudWatchLogsLogGroup.LogGroupArn)
 * are accepted too.
 */
function normalizeLogging(config: Record<string, any> | undefined): LoggingConfiguration {
  const level = config?.level ?? config?.Level ?? 'OFF';
  const normalized: LoggingConfiguration = { level, includeExecutionData: (config?.includeExecutionData ?? config?.IncludeExecutionData) === true };
  const destinations = (config?.destinations ?? config?.Destinations ?? []) as Record<string, any>[];
  if (destinations.length) {
    normalized.destinations = destinations.map((d) => {
      const group = d.cloudWatchLogsLogGroup ?? d.CloudWatchLogsLogGroup;
      return group ? { cloudWatchLogsLogGroup: { logGroupArn: group.logGroupArn ?? group.LogGroupArn } } : d;
    });
  }
  return normalized;
}

function normalizeTracing(config: Record<string, any> | undefined): { enabled: boolean } {
  return { enabled: (config?.enabled ?? config?.Enabled) === true };
}

/** AWS records StopExecution's error and cause on ExecutionAborted (`executionAbortedEventDetails: {}` without them). */
function addAbortDetails(execution: ExecutionRecord, stop: Running['stop']): void {
  const event = [...execution.events].reverse().find((e) => e.type === 'ExecutionAborted');
  if (!event || event.executionAbortedEventDetails) return;
  const details: Record<string, string> = {};
  if (stop?.cause !== undefined) details.cause = stop.cause;
  if (stop?.error !== undefined) details.error = stop.error;
  event.executionAbortedEventDetails = details;
}
