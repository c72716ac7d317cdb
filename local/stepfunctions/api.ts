/**
 * The Step Functions JSON API: request validation and response shapes as AWS answers them (field sets
 * from the API reference and from recordings of real AWS). Dates stay Date objects; the endpoint
 * renders them as epoch seconds with a fractional part.
 */
import type { HistoryEvent } from '../asl/types';
import { paginate } from './paging';
import type { StateMachineRecord, StepFunctionsService } from './service';
import type { ExecutionRecord } from './store';
import { validateStateMachineDefinition } from './validate-definition';
import { EXECUTION_STATUSES, checkTokenLength, fail, pageSize, requireArn, requireEnum, requireString } from './validate';

export async function handleApi(service: StepFunctionsService, action: string, request: any): Promise<unknown> {
  switch (action) {
    case 'CreateStateMachine': {
      for (const field of ['name', 'definition', 'roleArn']) requireString(request[field], field);
      const machine = service.createStateMachine(request);
      return { stateMachineArn: machine.stateMachineArn, creationDate: machine.creationDate };
    }
    case 'DescribeStateMachine':
      return describeStateMachine(service.requireStateMachine(request.stateMachineArn));
    case 'DescribeStateMachineForExecution': {
      const machine = service.requireStateMachine(standardExecution(service, request.executionArn).stateMachineArn);
      const { status: _status, type: _type, creationDate, ...fields } = describeStateMachine(machine);
      return { ...fields, updateDate: creationDate };
    }
    case 'ListStateMachines': {
      const size = pageSize(request.maxResults);
      const page = paginate(service.stateMachines(), (m) => m.stateMachineArn, size, checkTokenLength(request.nextToken, 1024));
      const stateMachines = page.items.map((m) => ({ stateMachineArn: m.stateMachineArn, name: m.name, type: m.type, creationDate: m.creationDate }));
      return { stateMachines, nextToken: page.nextToken };
    }
    case 'ListStateMachineVersions': {
      // Versions are never published locally (no PublishStateMachineVersion): an empty list, after the same checks.
      service.requireStateMachine(request.stateMachineArn);
      pageSize(request.maxResults);
      checkTokenLength(request.nextToken, 1024);
      if (request.nextToken !== undefined) fail('InvalidToken', `Invalid Token: '${request.nextToken}'`);
      return { stateMachineVersions: [] };
    }
    case 'ListTagsForResource':
      return { tags: tagsOf(service, request.resourceArn) };
    case 'DeleteStateMachine':
      service.deleteStateMachine(request.stateMachineArn);
      return {};
    case 'StartExecution': {
      const execution = service.startExecution(request);
      return { executionArn: execution.executionArn, startDate: execution.startDate };
    }
    case 'StartSyncExecution':
      return describeSync(await service.startSyncExecution(request));
    case 'DescribeExecution':
      return describeExecution(standardExecution(service, request.executionArn));
    case 'ListExecutions':
      return listExecutions(service, request);
    case 'GetExecutionHistory':
      return executionHistory(standardExecution(service, request.executionArn), request);
    case 'StopExecution': {
      const execution = standardExecution(service, request.executionArn);
      service.stopExecution({ executionArn: execution.executionArn, error: request.error, cause: request.cause });
      await service.settled(execution.executionArn);
      return { stopDate: execution.stopDate };
    }
    case 'TestState':
      return service.testState(request);
    case 'ValidateStateMachineDefinition':
      return validateStateMachineDefinition(request);
    default:
      fail('UnknownOperationException', `Operation ${action} is not supported by the local Step Functions`);
  }
}

/** The tags of a state machine (the only taggable resource here); another ARN is ResourceNotFound, as AWS names it. */
function tagsOf(service: StepFunctionsService, resourceArn: unknown) {
  const arn = requireString(resourceArn, 'resourceArn');
  if (!/^arn:aws[a-z-]*:states:/.test(arn)) fail('InvalidArn', `Invalid Arn: 'Invalid ARN prefix: ${arn}'`);
  const machine = service.getStateMachine(arn);
  if (!machine) fail('ResourceNotFound', `Resource not found: '${arn}'`);
  return machine.tags.map((t) => ({ key: t.key, value: t.value }));
}

/** An execution by a Standard execution ARN: an Express one is InvalidArn on AWS, whether it exists or not. */
function standardExecution(service: StepFunctionsService, executionArn: unknown): ExecutionRecord {
  const arn = requireArn(executionArn, 'executionArn', 'execution');
  const execution = service.getExecution(arn);
  if (!execution) fail('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return execution;
}

function describeStateMachine(m: StateMachineRecord) {
  return {
    stateMachineArn: m.stateMachineArn,
    name: m.name,
    status: 'ACTIVE',
    definition: m.definition,
    roleArn: m.roleArn,
    type: m.type,
    creationDate: m.creationDate,
    loggingConfiguration: m.loggingConfiguration,
    tracingConfiguration: m.tracingConfiguration,
  };
}

function listExecutions(service: StepFunctionsService, request: any) {
  const size = pageSize(request.maxResults);
  const token = checkTokenLength(request.nextToken, 3096);
  // Map runs (distributed Map) are not emulated.
  if (request.mapRunArn !== undefined) fail('ResourceNotFound', `Resource not found: '${request.mapRunArn}'`);
  if (request.stateMachineArn === undefined) fail('ValidationException', 'Must provide a StateMachine ARN or MapRun ARN');
  const machine = service.requireStateMachine(request.stateMachineArn);
  if (machine.type === 'EXPRESS') fail('StateMachineTypeNotSupported', 'This operation is not supported by this type of state machine');
  const status = request.statusFilter === undefined ? undefined : requireEnum(request.statusFilter, 'statusFilter', EXECUTION_STATUSES);
  const page = paginate(service.listExecutions({ stateMachineArn: machine.stateMachineArn, status }), (e) => e.executionArn, size, token);
  const executions = page.items.map((e) => ({
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: e.startDate,
    stopDate: e.stopDate,
    redriveCount: 0,
  }));
  return { executions, nextToken: page.nextToken };
}

function executionHistory(execution: ExecutionRecord, request: any) {
  const size = pageSize(request.maxResults);
  const token = checkTokenLength(request.nextToken, 3096);
  const ordered = request.reverseOrder === true ? [...execution.events].reverse() : execution.events;
  const page = paginate(ordered, (e) => String(e.id), size, token);
  const events = request.includeExecutionData === false ? page.items.map(withoutExecutionData) : page.items;
  return { events, nextToken: page.nextToken };
}

/**
 * DescribeExecution of a Standard execution. redriveStatus: SUCCEEDED and RUNNING executions are
 * NOT_REDRIVABLE with AWS's reason text. Closed unsuccessful ones would be REDRIVABLE on AWS, but the
 * local engine cannot restart from the failed state, so they say NOT_REDRIVABLE and why, rather than
 * invite a RedriveExecution that would fail.
 */
function describeExecution(e: ExecutionRecord) {
  const redriveStatusReason =
    e.status === 'SUCCEEDED' || e.status === 'RUNNING' ? `Execution is ${e.status} and cannot be redriven` : 'RedriveExecution is not supported by the local Step Functions';
  return { ...executionFields(e), redriveCount: 0, redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason };
}

function executionFields(e: ExecutionRecord) {
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
  };
}

/** StartSyncExecution's answer: DescribeExecution's fields without redrive ones, plus billing details. */
function describeSync(e: ExecutionRecord) {
  const ms = (e.stopDate ?? e.startDate).getTime() - e.startDate.getTime();
  // Express workflows bill 64 MB steps and at least 100 ms, rounded up to the next 100 ms.
  return { ...executionFields(e), billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: Math.max(100, Math.ceil(ms / 100) * 100) } };
}

/** includeExecutionData: false leaves out "execution data (input or output of a history event)". */
function withoutExecutionData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (!key.endsWith('EventDetails') || !value || typeof value !== 'object') continue;
    const { input: _input, output: _output, ...rest } = value as Record<string, unknown>;
    copy[key] = rest;
  }
  return copy;
}
