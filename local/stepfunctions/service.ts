import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { compileStateMachine } from '../asl';
import type { Clock, CompiledStateMachine, ExecutionResult, HistoryEvent, TaskHandlerTable } from '../asl/types';
import { AwsError } from '../services/errors';
import { NULL_LOG, RecordLog, compactAndOpen, readRecords } from '../services/storage';

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  type: 'STANDARD' | 'EXPRESS';
  definition: string;
  roleArn: string;
  creationDate: Date;
  loggingConfiguration?: unknown;
  tracingConfiguration?: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionResult['status'] | 'RUNNING';
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
}

export interface StepFunctionsServiceOptions {
  region: string;
  account: string;
  taskHandlers: TaskHandlerTable;
  /** Folder for executions.jsonl; omitted = in memory. */
  dataDir?: string;
  clock?: Clock;
  /** Told when an execution starts or ends (console, logs). */
  onExecution?: (execution: ExecutionRecord) => void;
}

const NAME = /^[A-Za-z0-9_-]{1,80}$/;

function fail(code: string, message: string): never {
  throw new AwsError(code, message, { service: 'stepfunctions' });
}

/**
 * The Step Functions API over the local ASL engine. Executions (Express ones too, unlike AWS, so the
 * console can show them) are kept with their history and persisted to executions.jsonl.
 */
export class StepFunctionsService {
  private readonly machines = new Map<string, { record: StateMachineRecord; compiled: CompiledStateMachine }>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, AbortController>();
  private readonly log: RecordLog;

  constructor(private readonly options: StepFunctionsServiceOptions) {
    if (options.dataDir) {
      const file = path.join(options.dataDir, 'executions.jsonl');
      for (const raw of readRecords<ExecutionRecord>(file)) this.executions.set(raw.executionArn, reviveDates(raw));
      // An execution that was RUNNING when the process died cannot resume: it is ABORTED, as after a stop.
      for (const e of this.executions.values()) if (e.status === 'RUNNING') Object.assign(e, { status: 'ABORTED', stopDate: e.startDate });
      this.log = compactAndOpen(file, [...this.executions.values()]);
    } else {
      this.log = NULL_LOG;
    }
  }

  /** Registers a state machine from the template (no validation error is tolerated). */
  createStateMachine(request: { name: string; definition: string; roleArn?: string; type?: string; loggingConfiguration?: unknown; tracingConfiguration?: unknown }): StateMachineRecord {
    if (!NAME.test(request.name ?? '')) fail('InvalidName', `Invalid Name: '${request.name}'`);
    const type = (request.type ?? 'STANDARD') as StateMachineRecord['type'];
    if (type !== 'STANDARD' && type !== 'EXPRESS') fail('ValidationException', `Invalid type: ${type}`);
    const stateMachineArn = `arn:aws:states:${this.options.region}:${this.options.account}:stateMachine:${request.name}`;
    if (this.machines.has(stateMachineArn)) fail('StateMachineAlreadyExists', `State Machine Already Exists: '${stateMachineArn}'`);
    let compiled: CompiledStateMachine;
    try {
      compiled = compileStateMachine(request.definition);
    } catch (error) {
      fail('InvalidDefinition', (error as Error).message);
    }
    const record: StateMachineRecord = {
      stateMachineArn,
      name: request.name,
      type,
      definition: request.definition,
      roleArn: request.roleArn ?? `arn:aws:iam::${this.options.account}:role/local`,
      creationDate: new Date(),
      loggingConfiguration: request.loggingConfiguration,
      tracingConfiguration: request.tracingConfiguration,
    };
    this.machines.set(stateMachineArn, { record, compiled });
    return record;
  }

  stateMachines(): StateMachineRecord[] {
    return [...this.machines.values()].map((m) => m.record);
  }

  listExecutions(filter: { stateMachineArn?: string; status?: string } = {}): ExecutionRecord[] {
    return [...this.executions.values()]
      .filter((e) => (!filter.stateMachineArn || e.stateMachineArn === filter.stateMachineArn) && (!filter.status || e.status === filter.status))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  getExecution(executionArn: string): ExecutionRecord | undefined {
    return this.executions.get(executionArn);
  }

  /** Runs to completion, like StartSyncExecution (Express only on AWS). */
  async startSyncExecution(request: { stateMachineArn: string; name?: string; input?: string }): Promise<ExecutionRecord> {
    const machine = this.machine(request.stateMachineArn);
    if (machine.record.type !== 'EXPRESS') fail('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
    const execution = this.newExecution(machine.record, request, true);
    await this.run(machine.compiled, machine.record, execution);
    return execution;
  }

  /** Starts in the background and returns at once, like StartExecution. */
  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): ExecutionRecord {
    const machine = this.machine(request.stateMachineArn);
    const execution = this.newExecution(machine.record, request, machine.record.type === 'EXPRESS');
    void this.run(machine.compiled, machine.record, execution);
    return execution;
  }

  stopExecution(request: { executionArn: string; error?: string; cause?: string }): Date {
    const execution = this.executions.get(request.executionArn);
    if (!execution) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
    this.running.get(request.executionArn)?.abort({ error: request.error, cause: request.cause });
    return new Date();
  }

  /** The AWS JSON 1.0 API; dates are returned as Date objects and rendered by the endpoint. */
  async handle(action: string, request: any): Promise<any> {
    switch (action) {
      case 'CreateStateMachine': {
        const r = this.createStateMachine(request);
        return { stateMachineArn: r.stateMachineArn, creationDate: r.creationDate };
      }
      case 'DescribeStateMachine': {
        const { record } = this.machine(request.stateMachineArn);
        return { ...record, status: 'ACTIVE', label: undefined };
      }
      case 'ListStateMachines':
        return {
          stateMachines: this.stateMachines().map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: m.type, creationDate: m.creationDate })),
        };
      case 'DeleteStateMachine':
        this.machines.delete(request.stateMachineArn);
        return {};
      case 'StartExecution': {
        const e = this.startExecution(request);
        return { executionArn: e.executionArn, startDate: e.startDate };
      }
      case 'StartSyncExecution':
        return describeSync(await this.startSyncExecution(request));
      case 'DescribeExecution': {
        const e = this.executions.get(request.executionArn);
        if (!e) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
        return describe(e);
      }
      case 'ListExecutions': {
        if (request.stateMachineArn) this.machine(request.stateMachineArn);
        return paginate(
          this.listExecutions({ stateMachineArn: request.stateMachineArn, status: request.statusFilter }).map((e) => ({
            executionArn: e.executionArn,
            stateMachineArn: e.stateMachineArn,
            name: e.name,
            status: e.status,
            startDate: e.startDate,
            stopDate: e.stopDate,
          })),
          'executions',
          request.maxResults,
          request.nextToken,
        );
      }
      case 'GetExecutionHistory': {
        const e = this.executions.get(request.executionArn);
        if (!e) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${request.executionArn}'`);
        const events = request.reverseOrder ? [...e.events].reverse() : e.events;
        const page = paginate(events, 'events', request.maxResults, request.nextToken);
        if (request.includeExecutionData === false) page.events = page.events.map(stripData);
        return page;
      }
      case 'StopExecution':
        return { stopDate: this.stopExecution(request) };
      default:
        fail('UnknownOperationException', `Operation ${action} is not supported by the local Step Functions`);
    }
  }

  private machine(stateMachineArn: string) {
    if (typeof stateMachineArn !== 'string' || !stateMachineArn.startsWith('arn:aws:states:')) fail('InvalidArn', `Invalid Arn: '${stateMachineArn}'`);
    const machine = this.machines.get(stateMachineArn);
    if (!machine) fail('StateMachineDoesNotExist', `State Machine Does Not Exist: '${stateMachineArn}'`);
    return machine;
  }

  private newExecution(machine: StateMachineRecord, request: { name?: string; input?: string }, express: boolean): ExecutionRecord {
    const name = request.name ?? randomUUID();
    if (!NAME.test(name)) fail('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    try {
      JSON.parse(input);
    } catch {
      fail('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input.slice(0, 100)}'`);
    }
    if (Buffer.byteLength(input) > 262144) fail('InvalidExecutionInput', 'Execution input exceeds the maximum size of 262144 bytes');
    const prefix = `arn:aws:states:${this.options.region}:${this.options.account}`;
    const executionArn = express ? `${prefix}:express:${machine.name}:${name}:${randomUUID()}` : `${prefix}:execution:${machine.name}:${name}`;
    if (this.executions.has(executionArn)) fail('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    const execution: ExecutionRecord = { executionArn, stateMachineArn: machine.stateMachineArn, name, status: 'RUNNING', startDate: new Date(), input, events: [] };
    this.executions.set(executionArn, execution);
    return execution;
  }

  private async run(compiled: CompiledStateMachine, machine: StateMachineRecord, execution: ExecutionRecord): Promise<void> {
    const abort = new AbortController();
    this.running.set(execution.executionArn, abort);
    this.options.onExecution?.(execution);
    try {
      const result = await compiled.execute({
        executionArn: execution.executionArn,
        stateMachineArn: machine.stateMachineArn,
        name: execution.name,
        input: execution.input,
        roleArn: machine.roleArn,
        taskHandlers: this.options.taskHandlers,
        clock: this.options.clock,
        signal: abort.signal,
      });
      Object.assign(execution, {
        status: result.status,
        output: result.output,
        error: result.error,
        cause: result.cause,
        startDate: result.startDate,
        stopDate: result.stopDate,
        events: result.events,
      });
    } finally {
      this.running.delete(execution.executionArn);
    }
    this.log.append(execution);
    this.options.onExecution?.(execution);
  }

  close(): void {
    for (const abort of this.running.values()) abort.abort();
    this.log.close();
  }
}

function describe(e: ExecutionRecord) {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    stopDate: e.stopDate,
    input: e.input,
    inputDetails: { included: true },
    output: e.output,
    outputDetails: e.output === undefined ? undefined : { included: true },
    error: e.error,
    cause: e.cause,
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  };
}

/** StartSyncExecution's answer: DescribeExecution's fields without redrive ones, plus billing details. */
function describeSync(e: ExecutionRecord) {
  const { redriveCount: _count, redriveStatus: _status, ...fields } = describe(e);
  const ms = (e.stopDate?.getTime() ?? Date.now()) - e.startDate.getTime();
  return { ...fields, billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, Math.ceil(ms / 100) * 100) } };
}

function paginate<T>(items: T[], key: string, maxResults?: number, nextToken?: string): any {
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const start = nextToken ? Number(Buffer.from(nextToken, 'base64').toString('utf8')) : 0;
  if (!Number.isInteger(start) || start < 0) fail('InvalidToken', 'Invalid Token');
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(String(start + size)).toString('base64') : undefined;
  return { [key]: page, nextToken: next };
}

function stripData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [k, v] of Object.entries(copy)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') {
      const details = { ...(v as Record<string, unknown>) };
      delete details.input;
      delete details.output;
      copy[k] = details;
    }
  }
  return copy;
}

function reviveDates(raw: ExecutionRecord): ExecutionRecord {
  return {
    ...raw,
    startDate: new Date(raw.startDate),
    stopDate: raw.stopDate ? new Date(raw.stopDate) : undefined,
    events: raw.events.map((e) => ({ ...e, timestamp: new Date(e.timestamp) })),
  };
}
