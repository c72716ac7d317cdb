/**
 * A deployed stack as the target (`--aws`): outputs from CloudFormation DescribeStacks, executions from
 * the state machines' CloudWatch log groups (Express executions are not in ListExecutions), flags through
 * the AppConfig control plane, the DLQ and the redrive through SQS and Step Functions, request records
 * from the requests table (output RequestsTableName) with DynamoDB Scan and GetItem, the write circuits
 * in the circuit table (output CircuitTableName) with GetItem and UpdateItem.
 *
 * A `circuit close` does not start the redrive Lambda itself: @aws-sdk/client-lambda is not a dependency
 * of this project, so it prints the `aws lambda invoke` command that does (InvocationType Event).
 *
 * Credentials and region come from the SDK's usual chain (environment, profile, SSO, instance role);
 * `--region` overrides the region.
 */
import { AppConfigClient } from '@aws-sdk/client-appconfig';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient, GetItemCommand, GetItemCommandInput, ScanCommand, ScanCommandInput, UpdateItemCommand, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { awsClientConfig } from '../../lambdas/shared/aws-client-config';
import { CircuitStore } from '../console/circuit-records';
import { Item, RequestRecordsReader } from '../console/request-records';
import { getFlags, setFlag } from './appconfig-flags';
import { CliError, NotFoundError, OperationFailedError, UnreachableError, UsageError, isMissingCredentials, networkErrorCode } from './errors';
import { ExpressExecutionLogs, LogGroupRef, executionLogGroupName } from './express-logs';
import { outputsToRecord, requireResource, stackInfoFromOutputs } from './stack-outputs';
import type { Target } from './target';
import type {
  CircuitChange,
  CircuitClose,
  CircuitName,
  CircuitStatus,
  ExecutionDetail,
  ExecutionFilter,
  ExecutionSummary,
  FlagChange,
  FlagsState,
  RedriveStart,
  RequestDetail,
  RequestFilter,
  RequestList,
  StackInfo,
} from './types';

export interface AwsClients {
  cloudFormation: CloudFormationClient;
  appConfig: AppConfigClient;
  logs: CloudWatchLogsClient;
  sqs: SQSClient;
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
  /** For `dlq redrive`: deferred events (kind "event") are published with PutEvents. */
  events?: EventBridgeClient;
}

/** SDK clients for a region (the SDK's default region when undefined). AWS_ENDPOINT_URL, if set, is honoured by the SDK. */
export function defaultAwsClients(region: string | undefined, env: NodeJS.ProcessEnv = process.env): AwsClients {
  const config = { ...(region ? { region } : {}), ...awsClientConfig(env) };
  return {
    cloudFormation: new CloudFormationClient(config),
    appConfig: new AppConfigClient(config),
    logs: new CloudWatchLogsClient(config),
    sqs: new SQSClient(config),
    sfn: new SFNClient(config),
    dynamodb: new DynamoDBClient(config),
    events: new EventBridgeClient(config),
  };
}

/** How far back `executions list` and `executions show` search the logs when --since is not given. */
export const DEFAULT_LIST_WINDOW_MS = 24 * 3_600_000;
export const DEFAULT_SHOW_WINDOW_MS = 30 * 86_400_000; // the log groups' retention

export class AwsTarget implements Target {
  readonly description: string;
  private stackInfo?: Promise<StackInfo>;
  private reader?: RequestRecordsReader;
  private circuits?: CircuitStore;
  private readonly logs: ExpressExecutionLogs;

  constructor(
    readonly stackName: string,
    private readonly sdk: AwsClients,
    private readonly options: { region?: string; now?: () => number; maxLogPages?: number } = {},
  ) {
    this.description = `stack ${stackName}${options.region ? ` in ${options.region}` : ''}`;
    this.logs = new ExpressExecutionLogs(sdk.logs, { now: options.now, maxPages: options.maxLogPages });
  }

  stack(): Promise<StackInfo> {
    this.stackInfo ??= (async () => {
      try {
        const { Stacks: stacks = [] } = await this.sdk.cloudFormation.send(new DescribeStacksCommand({ StackName: this.stackName }));
        if (!stacks[0]) throw new NotFoundError(`Stack ${this.stackName} not found`);
        return stackInfoFromOutputs(outputsToRecord(stacks[0].Outputs));
      } catch (error) {
        if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) {
          throw new NotFoundError(`Stack ${this.stackName} does not exist${this.options.region ? ` in ${this.options.region}` : ''}`, [
            'Deploy it with `npx cdk deploy`, or name it with --stack <name> / --region <region>.',
          ]);
        }
        throw error;
      }
    })();
    return this.stackInfo;
  }

  clients(): { sqs: SQSClient; sfn: SFNClient; events?: EventBridgeClient } {
    return { sqs: this.sdk.sqs, sfn: this.sdk.sfn, ...(this.sdk.events ? { events: this.sdk.events } : {}) };
  }

  async listExecutions(filter: ExecutionFilter): Promise<{ items: ExecutionSummary[]; truncated?: boolean; note?: string }> {
    const groups = await this.logGroups(filter.resource);
    const since = filter.since?.getTime() ?? this.now() - DEFAULT_LIST_WINDOW_MS;
    const result = await this.withLogGroupErrors(() => this.logs.list(groups, { status: filter.status, limit: filter.limit, since }));
    const items = filter.requestId ? result.items.filter((e) => e.name === filter.requestId) : result.items;
    return { items, truncated: result.truncated, note: `from CloudWatch Logs since ${new Date(since).toISOString()}` };
  }

  async executionsOfRequest(requestId: string, options: { resource?: string; since?: Date }): Promise<{ items: ExecutionDetail[]; truncated?: boolean; note?: string }> {
    const groups = await this.logGroups(options.resource);
    const since = options.since?.getTime() ?? this.now() - DEFAULT_SHOW_WINDOW_MS;
    const result = await this.withLogGroupErrors(() => this.logs.findByRequestId(groups, requestId, since));
    return { ...result, note: `searched ${groups.map((g) => g.logGroupName).join(', ')} since ${new Date(since).toISOString()}` };
  }

  async listRequests(filter: RequestFilter): Promise<RequestList> {
    const reader = await this.requestRecords();
    const list = await this.withTableErrors('requests', reader.tableName, () => reader.list(filter));
    return { items: list.requests, total: list.total, truncated: list.truncated, capped: list.capped };
  }

  async getRequest(requestId: string): Promise<RequestDetail | undefined> {
    const reader = await this.requestRecords();
    return this.withTableErrors('requests', reader.tableName, () => reader.get(requestId));
  }

  async listCircuits(circuit: CircuitName = 'writes'): Promise<CircuitStatus[]> {
    const store = await this.circuitStore();
    const names = (await this.stack()).resources.map((r) => r.name);
    return this.withTableErrors('circuit', store.tableName, () => store.list(names, this.now(), circuit));
  }

  async openCircuit(resource: string, forSeconds: number, circuit: CircuitName = 'writes'): Promise<CircuitChange> {
    const store = await this.circuitStore();
    return this.withTableErrors('circuit', store.tableName, () => store.open(resource, { forSeconds, now: this.now(), by: 'crud-ops', circuit }));
  }

  async closeCircuit(resource: string, circuit: CircuitName = 'writes'): Promise<CircuitClose> {
    const store = await this.circuitStore();
    const change = await this.withTableErrors('circuit', store.tableName, () => store.close(resource, { now: this.now(), by: 'crud-ops', circuit }));
    return { ...change, redrive: this.redriveCommand(resource, (await this.stack()).redriveFunctionName) };
  }

  async getFlags(): Promise<FlagsState> {
    return getFlags(this.sdk.appConfig, (await this.stack()).flags);
  }

  async setFlag(flag: string, enabled: boolean): Promise<FlagChange> {
    return setFlag(this.sdk.appConfig, (await this.stack()).flags, flag, enabled);
  }

  explain(error: unknown): Error | undefined {
    if (error instanceof CliError) return error;
    const code = networkErrorCode(error);
    if (code) {
      return new UnreachableError(`Cannot reach AWS${this.options.region ? ` in ${this.options.region}` : ''} (${code}).`, ['Check the network, the region (--region) and AWS_ENDPOINT_URL (it redirects every call when set).']);
    }
    if (isMissingCredentials(error)) {
      return new UnreachableError('No AWS credentials found for --aws.', ['Configure them (aws configure / aws sso login / AWS_PROFILE), or use the local cloud (the default, without --aws).']);
    }
    const name = (error as Error)?.name;
    if (name === 'ExpiredTokenException' || name === 'ExpiredToken' || name === 'UnrecognizedClientException' || name === 'InvalidClientTokenId') {
      return new UnreachableError(`AWS refused the credentials (${name}): ${(error as Error).message}`, ['Refresh them (e.g. aws sso login) and try again.']);
    }
    if (name === 'CircuitBusy') return new OperationFailedError((error as Error).message);
    if (/Region is missing/i.test(String((error as Error)?.message))) {
      return new UsageError('No AWS region: pass --region <region> or set AWS_REGION.');
    }
    return undefined;
  }

  close(): void {
    for (const client of Object.values(this.sdk)) client.destroy();
  }

  private async logGroups(resource: string | undefined): Promise<LogGroupRef[]> {
    const stack = await this.stack();
    const names = resource ? [requireResource(stack, resource).name] : stack.resources.map((r) => r.name);
    return names.map((name) => ({ resource: name, logGroupName: executionLogGroupName(this.stackName, name) }));
  }

  private async withLogGroupErrors<T>(search: () => Promise<T>): Promise<T> {
    try {
      return await search();
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        throw new NotFoundError(`A log group of ${this.stackName} does not exist: ${(error as Error).message}`, [
          'Executions are read from /aws/vendedlogs/states/<stack>-<resource> (cdk/crud-resource.ts).',
        ]);
      }
      throw error;
    }
  }

  /** The reader of the requests table named by the RequestsTableName output. */
  private async requestRecords(): Promise<RequestRecordsReader> {
    const tableName = (await this.stack()).requestsTableName;
    if (!tableName) {
      throw new NotFoundError(`Stack ${this.stackName} has no RequestsTableName output: it was deployed before request records.`, [
        'Deploy the current version with `npx cdk deploy`.',
      ]);
    }
    this.reader ??= new RequestRecordsReader(
      {
        scan: async (input) => (await this.sdk.dynamodb.send(new ScanCommand(input as unknown as ScanCommandInput))) as { Items?: Item[]; LastEvaluatedKey?: Item },
        getItem: async (input) => (await this.sdk.dynamodb.send(new GetItemCommand(input as unknown as GetItemCommandInput))) as { Item?: Item },
      },
      tableName,
    );
    return this.reader;
  }

  /** The store of the circuit table named by the CircuitTableName output. */
  private async circuitStore(): Promise<CircuitStore> {
    const tableName = (await this.stack()).circuitTableName;
    if (!tableName) {
      throw new NotFoundError(`Stack ${this.stackName} has no CircuitTableName output: it was deployed before the circuit breaker.`, ['Deploy the current version with `npx cdk deploy`.']);
    }
    this.circuits ??= new CircuitStore(
      {
        getItem: async (input) => (await this.sdk.dynamodb.send(new GetItemCommand(input as unknown as GetItemCommandInput))) as { Item?: Item },
        updateItem: async (input) => (await this.sdk.dynamodb.send(new UpdateItemCommand(input as unknown as UpdateItemCommandInput))) as { Attributes?: Item },
      },
      tableName,
    );
    return this.circuits;
  }

  /**
   * The redrive after a close: this CLI has no Lambda client (@aws-sdk/client-lambda is not a dependency),
   * so it says how to start it asynchronously (InvocationType Event), as the closing probe's event would.
   */
  private redriveCommand(resource: string, functionName: string | undefined): RedriveStart {
    if (!functionName) return { started: false, error: `Stack ${this.stackName} has no RedriveFunctionName output` };
    const region = this.options.region ? ` --region ${this.options.region}` : '';
    return {
      started: false,
      functionName,
      invocationType: 'Event',
      error: 'crud-ops has no Lambda client (@aws-sdk/client-lambda is not a dependency)',
      command: `aws lambda invoke --function-name ${functionName} --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{"resource":"${resource}"}'${region} /dev/null`,
    };
  }

  private async withTableErrors<T>(table: 'requests' | 'circuit', tableName: string, read: () => Promise<T>): Promise<T> {
    try {
      return await read();
    } catch (error) {
      if ((error as Error).name === 'ResourceNotFoundException') {
        throw new NotFoundError(`The ${table} table ${tableName} of ${this.stackName} does not exist: ${(error as Error).message}`);
      }
      throw error;
    }
  }

  private now(): number {
    return this.options.now ? this.options.now() : Date.now();
  }
}
