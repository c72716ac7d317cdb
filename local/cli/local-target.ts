/**
 * The local cloud as a target. SQS and Step Functions are reached through their AWS APIs on the
 * endpoint (SDK v3, as on AWS); what AWS keeps elsewhere comes from the local cloud's own JSON routes:
 *
 *   stack outputs and resources  GET  /console/api/outputs            (CloudFormation DescribeStacks on AWS)
 *   executions                   GET  /console/api/executions?…        (CloudWatch Logs on AWS)
 *   one execution's history      GET  /console/api/executions/<arn>    (GetExecutionHistory shape)
 *   request records              GET  /console/api/requests?…, /console/api/requests/<id>
 *                                     (the same reader as --aws, over the local DynamoDB)
 *   write circuits               GET  /console/api/circuits, POST /console/api/circuits/<resource>/open|close
 *                                     (the same store as --aws, over the local DynamoDB and the cloud's
 *                                     clock; a close starts the redrive Lambda asynchronously)
 *   feature flags                GET/POST /_local/appconfig/flags      (AppConfig control plane on AWS)
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { flagValues } from './appconfig-flags';
import { CliError, NotFoundError, OperationFailedError, UnreachableError, UsageError, networkErrorCode } from './errors';
import { reviveEvents, statusCodeOf, toDate } from './history';
import { resourceOfStateMachine, stackInfoFromOutputs } from './stack-outputs';
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
  RequestDetail,
  RequestFilter,
  RequestList,
  ResourceInfo,
  StackInfo,
} from './types';

const REQUEST_TIMEOUT_MS = 30_000;

export class LocalTarget implements Target {
  readonly description: string;
  private stackInfo?: Promise<StackInfo>;
  private sdk?: { sqs: SQSClient; sfn: SFNClient; events: EventBridgeClient };

  constructor(
    readonly endpoint: string,
    private readonly region = 'us-east-1',
  ) {
    this.endpoint = endpoint.replace(/\/+$/, '');
    this.description = `local cloud at ${this.endpoint}`;
  }

  stack(): Promise<StackInfo> {
    this.stackInfo ??= this.getJson('/console/api/outputs', 'the stack outputs').then((body) => {
      const info = stackInfoFromOutputs(body.outputs ?? {});
      if (Array.isArray(body.resources)) {
        info.resources = body.resources.map((r: ResourceInfo) => ({ name: r.name, stateMachineArn: r.stateMachineArn, tableName: r.tableName, deadLetterQueueUrl: r.deadLetterQueueUrl }));
      }
      if (body.flags?.application) info.flags = body.flags;
      return info;
    });
    return this.stackInfo;
  }

  clients(): { sqs: SQSClient; sfn: SFNClient; events: EventBridgeClient } {
    // The endpoint does not check signatures: any credentials do, and none are looked up.
    const config = {
      endpoint: this.endpoint,
      region: this.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      // StartSyncExecution's `sync-` host prefix would resolve to sync-127.0.0.1 (docs/pitfalls.md #13).
      disableHostPrefix: true,
      maxAttempts: 2,
    };
    // events: deferred change events (kind "event") are published by `dlq redrive`, not replayed.
    this.sdk ??= { sqs: new SQSClient(config), sfn: new SFNClient(config), events: new EventBridgeClient(config) };
    return this.sdk;
  }

  async listExecutions(filter: ExecutionFilter): Promise<{ items: ExecutionSummary[] }> {
    const stack = await this.stack();
    const query = new URLSearchParams();
    if (filter.status) query.set('status', filter.status);
    if (filter.resource) query.set('resource', filter.resource);
    if (filter.requestId) query.set('requestId', filter.requestId);
    query.set('limit', String(filter.limit));
    const body = await this.getJson(`/console/api/executions?${query}`, 'the executions');
    let items = listOf(body).map((raw) => summaryOf(raw, stack));
    if (filter.since) items = items.filter((e) => !e.startDate || e.startDate >= filter.since!);
    return { items: items.slice(0, filter.limit) };
  }

  async executionsOfRequest(requestId: string, options: { resource?: string; since?: Date }): Promise<{ items: ExecutionDetail[] }> {
    const stack = await this.stack();
    const { items } = await this.listExecutions({ requestId, resource: options.resource, since: options.since, limit: 100 });
    const details: ExecutionDetail[] = [];
    for (const summary of items) {
      const body = await this.getJson(`/console/api/executions/${encodeURIComponent(summary.executionArn)}`, `execution ${summary.executionArn}`);
      details.push(detailOf(body, summary, stack));
    }
    details.sort((a, b) => (a.startDate?.getTime() ?? 0) - (b.startDate?.getTime() ?? 0));
    return { items: details };
  }

  async listRequests(filter: RequestFilter): Promise<RequestList> {
    const query = new URLSearchParams();
    if (filter.resource) query.set('resource', filter.resource);
    if (filter.status) query.set('status', filter.status);
    query.set('limit', String(filter.limit));
    const body = await this.getJson(`/console/api/requests?${query}`, 'the request records');
    return { items: Array.isArray(body.requests) ? body.requests : [], total: Number(body.total ?? 0), truncated: Boolean(body.truncated), capped: Boolean(body.capped) };
  }

  async getRequest(requestId: string): Promise<RequestDetail | undefined> {
    const path = `/console/api/requests/${encodeURIComponent(requestId)}`;
    const answer = await this.send('GET', path);
    // 404 with status "unknown": no record (yet). Any other 404 (e.g. a local cloud without the route) is an error.
    if (answer.status === 404 && answer.json?.status === 'unknown') return undefined;
    const record = { ...this.check(answer, path, `request ${requestId}`) };
    // What the console adds for its page (the executions, the DLQ message) is not part of the record.
    delete record.executions;
    delete record.deadLetter;
    return record as RequestDetail;
  }

  async listCircuits(circuit: CircuitName = 'writes'): Promise<CircuitStatus[]> {
    const body = await this.getJson('/console/api/circuits', 'the circuits');
    const circuits: ({ transitions?: unknown; events?: CircuitStatus } & CircuitStatus)[] = Array.isArray(body.circuits) ? body.circuits : [];
    if (circuit === 'events') return circuits.flatMap((c) => (c.events ? [c.events] : []));
    // The recent transitions the console adds (from the executions' histories) are not part of the circuit.
    return circuits.map(({ transitions: _transitions, events: _events, ...writes }) => writes);
  }

  async openCircuit(resource: string, forSeconds: number, circuit: CircuitName = 'writes'): Promise<CircuitChange> {
    return this.request('POST', `/console/api/circuits/${encodeURIComponent(resource)}/open`, `the ${resource} circuit`, { for: forSeconds, by: 'crud-ops', ...(circuit === 'events' ? { circuit } : {}) });
  }

  async closeCircuit(resource: string, circuit: CircuitName = 'writes'): Promise<CircuitClose> {
    return this.request('POST', `/console/api/circuits/${encodeURIComponent(resource)}/close`, `the ${resource} circuit`, { by: 'crud-ops', ...(circuit === 'events' ? { circuit } : {}) });
  }

  async getFlags(): Promise<FlagsState> {
    const body = await this.getJson('/_local/appconfig/flags', 'the feature flags');
    // The deployed values in AppConfigData's form: {"readOnly": {"enabled": true}, …}
    const values = flagValues({ version: '1', flags: {}, values: body.values ?? {} });
    return { values, source: `local AppConfig ${body.application}/${body.environment}/${body.configurationProfile}` };
  }

  async setFlag(flag: string, enabled: boolean): Promise<FlagChange> {
    const before = await this.getFlags();
    const body = await this.request('POST', '/_local/appconfig/flags', 'the feature flags', { flag, enabled });
    return { flag, enabled, previous: before.values[flag], versionNumber: body.versionNumber, deploymentNumber: body.deploymentNumber, state: 'COMPLETE' };
  }

  explain(error: unknown): Error | undefined {
    if (error instanceof CliError) return error;
    const code = networkErrorCode(error);
    if (code) return this.unreachable(code);
    return undefined;
  }

  close(): void {
    this.sdk?.sqs.destroy();
    this.sdk?.sfn.destroy();
    this.sdk?.events.destroy();
  }

  private unreachable(code: string): UnreachableError {
    return new UnreachableError(`Cannot reach the local cloud at ${this.endpoint} (${code}).`, [
      'Start it with `npm start` (it listens on http://127.0.0.1:4566 by default),',
      'or point the CLI at it with --endpoint <url> / AWS_ENDPOINT_URL; for a deployed stack use --aws.',
    ]);
  }

  private getJson(path: string, what: string): Promise<any> {
    return this.request('GET', path, what);
  }

  private async request(method: string, path: string, what: string, body?: unknown): Promise<any> {
    return this.check(await this.send(method, path, body), path, what);
  }

  /** One HTTP exchange: the status and the body (parsed when JSON); only an unreachable endpoint throws. */
  private async send(method: string, path: string, body?: unknown): Promise<{ ok: boolean; status: number; json: any; text: string }> {
    let res: Response;
    try {
      res = await fetch(this.endpoint + path, {
        method,
        headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const e = error as Error & { cause?: Error };
      throw this.unreachable(networkErrorCode(e) ?? (e.name === 'TimeoutError' ? 'no answer in 30 s' : [e.message, e.cause?.message].filter(Boolean).join(': ')));
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    return { ok: res.ok, status: res.status, json, text };
  }

  /** The body of a successful answer; the error the CLI reports for any other. */
  private check(answer: { ok: boolean; status: number; json: any; text: string }, path: string, what: string): any {
    const { json, text } = answer;
    if (answer.ok && json !== undefined) return json;
    const detail = json?.error ?? json?.message ?? text.slice(0, 200);
    if (answer.status === 404 && path.startsWith('/console/api/outputs')) {
      throw new UnreachableError(`${this.endpoint} is not a local cloud of this project: GET ${path} answered 404.`, [
        'Start the local cloud with `npm start`, or pass --endpoint <url> of the one running.',
      ]);
    }
    if (answer.status === 400) throw new UsageError(`The local cloud refused the request for ${what}: ${detail}`);
    if (answer.status === 404) throw new NotFoundError(`Not found: ${what} (${detail || `GET ${path} answered 404`})`);
    throw new OperationFailedError(`The local cloud could not give ${what}: HTTP ${answer.status}${detail ? ` ${detail}` : ''}`);
  }
}

/** The list in a console answer: an array, or {executions}/{items}. */
function listOf(body: any): any[] {
  if (Array.isArray(body)) return body;
  if (Array.isArray(body?.executions)) return body.executions;
  if (Array.isArray(body?.items)) return body.items;
  return [];
}

function summaryOf(raw: any, stack: StackInfo): ExecutionSummary {
  const summary: ExecutionSummary = {
    executionArn: String(raw.executionArn),
    name: String(raw.name ?? raw.executionArn?.split(':')[7] ?? ''),
    status: String(raw.status ?? ''),
    stateMachineArn: raw.stateMachineArn,
    resource: raw.resource ?? resourceOfStateMachine(stack, raw.stateMachineArn),
    startDate: toDate(raw.startDate),
    stopDate: toDate(raw.stopDate),
  };
  const code = raw.statusCode ?? raw.httpStatus ?? statusCodeOf(raw.output);
  if (code !== undefined && Number.isInteger(Number(code))) summary.statusCode = Number(code);
  if (raw.error) summary.error = raw.error;
  if (raw.cause) summary.cause = raw.cause;
  return summary;
}

/** A console execution answer ({execution, events} or the execution with its events) → detail. */
function detailOf(body: any, fallback: ExecutionSummary, stack: StackInfo): ExecutionDetail {
  const execution = body?.execution && typeof body.execution === 'object' ? body.execution : body;
  const summary = execution?.executionArn ? summaryOf(execution, stack) : fallback;
  const events = reviveEvents(Array.isArray(body?.events) ? body.events : Array.isArray(execution?.events) ? execution.events : []);
  const output = execution?.output ?? (events.find((e) => e.type === 'ExecutionSucceeded')?.executionSucceededEventDetails as any)?.output;
  const detail: ExecutionDetail = { ...fallback, ...stripUndefined(summary), input: execution?.input, output, events };
  if (detail.statusCode === undefined) {
    const code = statusCodeOf(output);
    if (code !== undefined) detail.statusCode = code;
  }
  return detail;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
