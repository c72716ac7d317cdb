/**
 * End-to-end helpers: start the local cloud (the synthesized template on one machine) and speak plain
 * HTTP to its API like curl would, with Node's global fetch.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { localApiKeyFor } from '../../local/auth/api-keys';
import { Credentials, LOCAL_CREDENTIALS, signRequest } from '../../local/auth/sign-request';
import { startLocalCloud } from '../../local/cloud';
import type { LocalCloud, LocalCloudOptions, LocalResource } from '../../local/cloud-types';
import type { ExecutionRecord } from '../../local/stepfunctions/service';

export type { LocalCloud } from '../../local/cloud-types';

/**
 * One local cloud per test file: in memory, free ports, no schedules, quiet, and no throttling: the suites
 * send bursts no single client of the default usage plan (50 requests/s, burst 100) may send, and are not
 * about throttling. The tests that are pass `throttling: true` (test/e2e/cognito-usage-plans.test.ts).
 */
export async function startTestCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  // debugHeaders: the suites follow executions by their X-Execution-Arn (off by default in a deployment: docs/logging.md).
  const cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, throttling: false, log: () => {}, ...options, context: { debugHeaders: true, ...options.context } });
  cloudClocks.set(cloud.apiUrl, cloud.clock);
  return cloud;
}

/**
 * The clocks of the clouds startTestCloud started, by API URL: an Api signs on its cloud's clock, so a test
 * that advances that clock by an hour still sends signatures within the 5 minutes API Gateway allows (on AWS
 * the client's and the service's clocks move together; the AWS SDKs correct a skew the same way).
 */
const cloudClocks = new Map<string, { now(): Date }>();

export function tempDir(prefix = 'e2e-cloud-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

export interface HttpResponse {
  status: number;
  headers: Headers;
  /** The raw body text ('' when none). */
  text: string;
  /** The body parsed as JSON, undefined when empty or not JSON. */
  json: any;
  /** The X-Request-Id header. */
  requestId: string | null;
}

export interface RequestOptions {
  /** Serialized with JSON.stringify; Content-Type defaults to application/json. */
  body?: unknown;
  /** Sent as is (invalid JSON, huge bodies); Content-Type defaults to application/json. */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface ApiOptions {
  /** SigV4-sign every request with these credentials (default the local cloud's `local`/`local`); false: unsigned. */
  credentials?: Credentials | false;
  /** The signature's time (default now): a test skews it past API Gateway's 5 minutes. */
  signingDate?: () => Date;
  /** The credential scope's region (default us-east-1, the local cloud's). */
  region?: string;
  /** Sent as x-api-key (default: the first API key of the local cloud at this URL, `cloud.apiKeys`); false: none. */
  apiKey?: string | false;
}

/** The caller the local cloud's default credentials sign in as ($context.identity.userArn). */
export const LOCAL_CALLER = 'arn:aws:iam::000000000000:user/local';

/** A curl-like client of the API's stage URL; it signs like `curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user local:local`. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly options: ApiOptions = {},
  ) {}

  /** The stage path prefix, e.g. "/v1". */
  get stagePath(): string {
    return new URL(this.baseUrl).pathname.replace(/\/$/, '');
  }

  async request(method: string, urlPath: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const body = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    if (body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    const url = this.baseUrl + urlPath;
    const apiKey = this.options.apiKey === false ? undefined : (this.options.apiKey ?? localApiKeyFor(url));
    if (apiKey !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'x-api-key')) headers['x-api-key'] = apiKey;
    // A request that carries its own Authorization (a Cognito token, a hand-made signature) is sent as it is.
    const sign = this.options.credentials !== false && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization');
    const sent = sign
      ? await signRequest(
          { method, url, headers, body },
          { credentials: this.options.credentials || LOCAL_CREDENTIALS, region: this.options.region, signingDate: this.options.signingDate?.() ?? cloudClocks.get(this.baseUrl)?.now() },
        )
      : headers;
    const res = await fetch(url, { method, headers: sent, body });
    const text = await res.text();
    let json: any;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json, requestId: res.headers.get('x-request-id') };
  }

  get(urlPath: string, headers?: Record<string, string>) {
    return this.request('GET', urlPath, { headers });
  }
  post(urlPath: string, body: unknown, headers?: Record<string, string>) {
    return this.request('POST', urlPath, { body, headers });
  }
  put(urlPath: string, body: unknown, headers?: Record<string, string>) {
    return this.request('PUT', urlPath, { body, headers });
  }
  patch(urlPath: string, body: unknown, headers?: Record<string, string>) {
    return this.request('PATCH', urlPath, { body, headers });
  }
  delete(urlPath: string, headers?: Record<string, string>) {
    return this.request('DELETE', urlPath, { headers });
  }
}

// ---------------------------------------------------------------------------------------------
// The two resources of the app, with bodies their JSON Schema models accept or reject
// ---------------------------------------------------------------------------------------------

export interface ResourceCase {
  name: 'orders' | 'customers';
  /** The table's key attribute, also the id attribute of every item. */
  key: string;
  /** A valid full body (POST/PUT), distinct per n. */
  sample(n: number): Record<string, unknown>;
  /** Another valid full body, for PUT. */
  replacement: Record<string, unknown>;
  /** A valid PATCH changing one declared attribute. */
  patch: Record<string, unknown>;
  /** An optional attribute declared in the schema, and a valid value. */
  optional: { field: string; value: unknown };
  /** Misses a required property (400 from the model). */
  missingRequired: { body: Record<string, unknown>; field: string };
  /** A property of the wrong JSON type (400 from the model). */
  wrongType: Record<string, unknown>;
  /** Right types, but an enum/pattern the model rejects (400). */
  badValue: Record<string, unknown>;
  /** A PATCH body the patch model rejects (wrong type). */
  badPatch: Record<string, unknown>;
}

export const RESOURCE_CASES: ResourceCase[] = [
  {
    name: 'orders',
    key: 'orderId',
    sample: (n) => ({ customer: `Ada ${n}`, items: [{ pizza: 'margherita', size: 'large', quantity: 2 }] }),
    replacement: { customer: 'Ada Lovelace', items: [{ pizza: 'diavola', quantity: 1 }] },
    patch: { status: 'baking' },
    optional: { field: 'status', value: 'placed' },
    missingRequired: { body: { customer: 'Ada' }, field: 'items' },
    wrongType: { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 'two' }] },
    badValue: { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1, size: 'huge' }] },
    badPatch: { items: 'margherita' },
  },
  {
    name: 'customers',
    key: 'customerId',
    sample: (n) => ({ name: `Grace ${n}`, email: `grace${n}@example.com` }),
    replacement: { name: 'Grace Hopper', email: 'grace@navy.example' },
    patch: { email: 'g.hopper@example.com' },
    optional: { field: 'phone', value: '+1 555 0100' },
    missingRequired: { body: { name: 'Grace' }, field: 'email' },
    wrongType: { name: 42, email: 'grace@example.com' },
    badValue: { name: 'Grace', email: 'not-an-email' },
    badPatch: { name: 42 },
  },
];

export function resourceOf(cloud: LocalCloud, name: string): LocalResource {
  const resource = cloud.resources.find((r) => r.name === name);
  if (!resource) throw new Error(`No resource ${name} in cloud.resources (${cloud.resources.map((r) => r.name).join(', ')})`);
  return resource;
}

/** The queue name of a queue URL (its last path segment). */
export function queueName(queueUrl: string): string {
  return queueUrl.split('/').pop()!;
}

/** The id a POST gets from its Idempotency-Key: the first 32 hex characters of the SHA-256 of `<caller> <key>` (docs/idempotency.md). */
export function idFromIdempotencyKey(key: string, caller = LOCAL_CALLER): string {
  return createHash('sha256').update(`${caller} ${key}`, 'utf8').digest('hex').slice(0, 32);
}

/** The name of a template Lambda in cloud.functions whose key matches. */
export function functionName(cloud: LocalCloud, pattern: RegExp): string {
  const key = Object.keys(cloud.functions).find((k) => pattern.test(k));
  if (!key) throw new Error(`No function matching ${pattern} in cloud.functions: ${Object.keys(cloud.functions).join(', ')}`);
  return cloud.functions[key];
}

/** The stored DynamoDB item (wire shape), read directly from the local table. */
export async function storedItem(cloud: LocalCloud, resource: ResourceCase, id: string): Promise<Record<string, any> | undefined> {
  const { tableName } = resourceOf(cloud, resource.name);
  const out = await cloud.services.dynamodb.call('GetItem', { TableName: tableName, Key: { [resource.key]: { S: id } }, ConsistentRead: true });
  return out.Item;
}

/** Every key in a resource's table (a full Scan, following LastEvaluatedKey). */
export async function storedIds(cloud: LocalCloud, resource: ResourceCase): Promise<string[]> {
  const { tableName } = resourceOf(cloud, resource.name);
  const ids: string[] = [];
  let start: unknown;
  do {
    const out = await cloud.services.dynamodb.call('Scan', { TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) });
    for (const item of out.Items) ids.push(item[resource.key].S);
    start = out.LastEvaluatedKey;
  } while (start);
  return ids;
}

/** The parsed bodies of the messages waiting in a resource's dead-letter queue. */
export function deadLetters(cloud: LocalCloud, resourceName: string): any[] {
  const { deadLetterQueueUrl } = resourceOf(cloud, resourceName);
  return cloud.services.sqs.peekMessages(queueName(deadLetterQueueUrl), 1000).map((m) => JSON.parse(m.body));
}

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** A problem JSON answered by the workflow: exact status, media type and shape, requestId = X-Request-Id. */
export function expectProblem(res: HttpResponse, status: number, title: string): void {
  expect({ status: res.status, body: res.json, text: res.json === undefined ? res.text : undefined }).toEqual({
    status,
    body: { type: 'about:blank', title, status, detail: expect.any(String), requestId: res.requestId },
    text: undefined,
  });
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json\b/);
  expect(res.requestId).toMatch(/\S/);
}

/**
 * The request id of a gateway response: API Gateway's own x-amzn-RequestId ($context.requestId). A gateway response
 * cannot map context.requestId to X-Request-Id (the deploy fails: local/apigateway/parameter-sources.ts).
 */
export function gatewayRequestId(res: HttpResponse): string | null {
  return res.headers.get('x-amzn-requestid');
}

/** Answered by API Gateway itself (a gateway response): this status, x-amzn-RequestId, CORS, and no execution ran. */
export function expectGatewayRejection(cloud: LocalCloud, res: HttpResponse, status: number): void {
  expect(res.status).toBe(status);
  expect(gatewayRequestId(res)).toMatch(/\S/);
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
  expect(executionsNamed(cloud, gatewayRequestId(res)!)).toEqual([]);
}

/** A gateway response whose body is the problem JSON the template customises. */
export function expectGatewayProblem(cloud: LocalCloud, res: HttpResponse, status: number, title: string): void {
  expectGatewayRejection(cloud, res, status);
  expect({ status: res.status, body: res.json, text: res.json === undefined ? res.text : undefined }).toEqual({
    status,
    body: { type: 'about:blank', title, status, detail: expect.any(String), requestId: gatewayRequestId(res) },
    text: undefined,
  });
}

/** Executions (of any state machine) whose name is this request id. */
export function executionsNamed(cloud: LocalCloud, name: string): ExecutionRecord[] {
  return cloud.stepFunctions.listExecutions().filter((e) => e.name === name);
}

/**
 * The response names (X-Request-Id, X-Execution-Arn) the one execution that answered it: it exists, is
 * named after the request id, SUCCEEDED, has a history, and its output's statusCode is the HTTP status.
 */
export function expectExecution(cloud: LocalCloud, res: HttpResponse, resourceName: string): ExecutionRecord {
  const requestId = res.requestId;
  const executionArn = res.headers.get('x-execution-arn');
  expect(requestId).toMatch(/\S/);
  expect(executionArn).toMatch(/^arn:aws:states:/);
  const execution = cloud.stepFunctions.getExecution(executionArn!);
  expect(execution).toBeDefined();
  const { stateMachineArn } = resourceOf(cloud, resourceName);
  expect({ name: execution!.name, status: execution!.status, stateMachineArn: execution!.stateMachineArn }).toEqual({
    name: requestId,
    status: 'SUCCEEDED',
    stateMachineArn,
  });
  const types = execution!.events.map((e) => e.type);
  expect(types[0]).toBe('ExecutionStarted');
  expect(types[types.length - 1]).toBe('ExecutionSucceeded');
  expect(JSON.parse(execution!.output!).statusCode).toBe(res.status);
  expect(cloud.stepFunctions.listExecutions({ stateMachineArn }).filter((e) => e.name === requestId).map((e) => e.executionArn)).toEqual([executionArn]);
  return execution!;
}

/** Polls `probe` every `intervalMs` until it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 1_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Follows `next` from the first page: the pages' items and the cursors seen. */
export async function listAllPages(api: Api, name: string, limit: number): Promise<{ pages: any[][]; cursors: (string | null)[]; responses: HttpResponse[] }> {
  const pages: any[][] = [];
  const cursors: (string | null)[] = [];
  const responses: HttpResponse[] = [];
  let next: string | null = null;
  do {
    const res: HttpResponse = await api.get(`/${name}?limit=${limit}${next ? `&next=${next}` : ''}`);
    responses.push(res);
    if (res.status !== 200) throw new Error(`GET /${name} page ${pages.length + 1} answered ${res.status}: ${res.text}`);
    pages.push(res.json.items);
    next = res.json.next;
    cursors.push(next);
    if (pages.length > 100) throw new Error('pagination does not end');
  } while (next !== null);
  return { pages, cursors, responses };
}
