/**
 * The CRUD state machine (statemachines/crud-resource.asl.json) on the local ASL engine, against the local
 * DynamoDB (dynalite) and SQS, set up as CrudResource, RequestRecords and CircuitBreaker deploy it: shared by
 * the state machine tests (execution, storage-first, circuit-breaker). The real clock runs, with jitter drawn
 * as 0 so retries do not wait.
 */
import * as fs from 'node:fs';
import { STATE_MACHINE_FILE } from '../../cdk/paths';
import { compileStateMachine, systemClock, TaskError, type Clock, type CompiledStateMachine, type TaskHandler, type TaskInvocation } from '../../local/asl';
import { LocalServices } from '../../local/services';
import { buildIntegrations } from '../../local/stepfunctions/integrations';

export const REQUESTS_TABLE = 'requests-table';
export const CIRCUIT_TABLE = 'circuit-table';
export const EVENT_BUS = 'crud-events';
export const PUT_ITEM = 'arn:aws:states:::dynamodb:putItem';
export const GET_ITEM = 'arn:aws:states:::dynamodb:getItem';
export const DELETE_ITEM = 'arn:aws:states:::dynamodb:deleteItem';
export const UPDATE_ITEM = 'arn:aws:states:::dynamodb:updateItem';
export const SCAN = 'arn:aws:states:::aws-sdk:dynamodb:scan';
export const BATCH_GET = 'arn:aws:states:::aws-sdk:dynamodb:batchGetItem';
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

/** What the flags Lambda answers (LoadFlags merges it over safe defaults). */
export interface Flags {
  readOnly?: boolean;
  softDelete?: boolean;
  publishEvents?: boolean;
  circuit?: Record<string, unknown>;
}
export interface Response {
  statusCode: number;
  headers: Record<string, string>;
  body: any;
  /** The execution output as the engine returned it (a JSON string). */
  raw: string;
}
/** One resource's state machine, data table and dead-letter queue. */
export interface Api {
  resource: string;
  key: string;
  table: string;
  queue: string;
  machine: CompiledStateMachine;
}

const pkTable = (TableName: string) => ({
  TableName,
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
  BillingMode: 'PAY_PER_REQUEST',
});

export class CrudMachineHarness {
  services!: LocalServices;
  integrations!: ReturnType<typeof buildIntegrations>;
  private seq = 0;

  /** `caller`: the caller the request template names (keys are scoped by it); none: the workflow's anonymous. */
  constructor(private readonly caller?: string) {}

  /** The services with the requests and circuit tables (shared by every resource). */
  async open(): Promise<void> {
    this.services = await LocalServices.open({ inMemory: true });
    await this.services.dynamodb.createTableFromCloudFormation(pkTable(CIRCUIT_TABLE));
    await this.services.dynamodb.createTableFromCloudFormation(pkTable(REQUESTS_TABLE));
    this.integrations = buildIntegrations({ dynamodb: this.services.dynamodb, sqs: this.services.sqs, events: this.services.events, lambdas: new Map() });
  }

  close = async (): Promise<void> => this.services?.close();

  /** Every circuit closed: tests that inject repeated failures would otherwise open it for the next ones. */
  closeCircuits = async (): Promise<void> => {
    const { Items = [] } = await this.services.dynamodb.call('Scan', { TableName: CIRCUIT_TABLE });
    for (const item of Items) await this.services.dynamodb.call('DeleteItem', { TableName: CIRCUIT_TABLE, Key: { pk: item.pk } });
  };

  /** Compiles the machine for one resource, as CrudResource deploys it, with its own table and DLQ. */
  deploy = async (resource: string, key: string): Promise<Api> => {
    const table = `${resource}-table`;
    const queue = `${resource}-dlq`;
    await this.services.dynamodb.createTableFromCloudFormation({
      TableName: table,
      KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    const queueUrl = (await this.services.sqs.call('CreateQueue', { QueueName: queue })).QueueUrl;
    const substitutions: Record<string, string> = {
      ResourceName: resource,
      KeyAttribute: key,
      TableName: table,
      QueueUrl: queueUrl,
      FlagsFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:flags',
      EventBusName: EVENT_BUS,
      RequestsTableName: REQUESTS_TABLE,
      CircuitTableName: CIRCUIT_TABLE,
    };
    let text = fs.readFileSync(STATE_MACHINE_FILE, 'utf8');
    for (const [name, value] of Object.entries(substitutions)) text = text.split('${' + name + '}').join(value);
    expect(text).not.toContain('${');
    return { resource, key, table, queue, machine: compileStateMachine(JSON.parse(text)) };
  };

  /** The execution input the request template builds (docs/architecture.md), one request id and a later receivedAt per call. */
  request = (api: Api, method: string, id: string, body: unknown = null, headers: Record<string, string> = {}, query: { limit?: string; next?: string } = {}) => {
    this.seq++;
    return {
      method,
      resource: api.resource,
      stage: 'v1',
      path: id ? `/v1/${api.resource}/${id}` : `/v1/${api.resource}`,
      id,
      query: { limit: '', next: '', ...query },
      headers: { ifMatch: '', ifNoneMatch: '', idempotencyKey: '', ...headers },
      requestId: `request-${this.seq}`,
      ...(this.caller === undefined ? {} : { caller: this.caller }),
      receivedAt: 1_763_900_000_000 + this.seq,
      rejected: '',
      body,
    };
  };

  /** What the redrive sends for a queued request: the same input, flagged as a replay, with why it was queued. */
  replayOf = <T extends object>(input: T, queuedBecause: string) => ({ ...input, replay: true, queuedBecause });

  /** Runs one request; `faults` replace integrations by resource ARN, and LoadFlags answers `flags`. */
  run = async (api: Api, input: object, flags: Flags = {}, faults: Record<string, TaskHandler> = {}, clock: Clock = systemClock): Promise<Response> => {
    const overrides: Record<string, TaskHandler> = {
      [LAMBDA_INVOKE]: async () => ({ StatusCode: 200, Payload: { readOnly: false, softDelete: false, publishEvents: false, ...flags } }),
      ...faults,
    };
    const result = await api.machine.execute({
      executionArn: `arn:aws:states:us-east-1:123456789012:express:${api.resource}:exec-${this.seq}`,
      stateMachineArn: `arn:aws:states:us-east-1:123456789012:stateMachine:${api.resource}`,
      name: `exec-${this.seq}`,
      input: JSON.stringify(input),
      taskHandlers: { resolve: (resource) => overrides[resource] ?? this.integrations.resolve(resource) },
      clock,
      random: () => 0,
    });
    if (result.status !== 'SUCCEEDED') throw new Error(`execution ${result.status}: ${result.error} ${result.cause}`);
    const output = JSON.parse(result.output!);
    return { ...output, body: output.body === '' ? null : JSON.parse(output.body), raw: result.output! };
  };

  /** The real integration of a Task resource ARN. */
  real = (resource: string): TaskHandler => this.integrations.resolve(resource)!;

  /**
   * The integration `resource`, counting its calls on `table`, and failing the first `times` of them with
   * `error` (calls on other tables, e.g. the requests table, pass through).
   */
  onTable = (resource: string, table: string, error?: string, times = Infinity): { handler: TaskHandler; calls: () => number } => {
    let calls = 0;
    const handler: TaskHandler = async (invocation) => {
      if (tableOf(invocation) === table && ++calls <= times && error) throw new TaskError(error, `${error}: injected by the test`);
      return this.real(resource)(invocation);
    };
    return { handler, calls: () => calls };
  };

  /** Counts every DynamoDB call the execution makes on `table` (BatchGetItem names its tables in RequestItems). */
  watchTable = (table: string): { faults: Record<string, TaskHandler>; calls: () => number } => {
    let calls = 0;
    const faults: Record<string, TaskHandler> = {};
    for (const resource of [PUT_ITEM, GET_ITEM, DELETE_ITEM, UPDATE_ITEM, SCAN, BATCH_GET]) {
      faults[resource] = async (invocation) => {
        const input = invocation.input as { TableName?: string; RequestItems?: Record<string, unknown> };
        if (input.TableName === table || (input.RequestItems && table in input.RequestItems)) calls++;
        return this.real(resource)(invocation);
      };
    }
    return { faults, calls: () => calls };
  };
}

export const tableOf = (invocation: TaskInvocation): string | undefined => (invocation.input as { TableName?: string }).TableName;
