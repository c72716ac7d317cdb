/**
 * The chaos run's view of the local cloud's control plane, all over HTTP on loopback:
 * `/_local/...` admin routes (faults, flags, clock, queues), the console's outputs (names), Lambda Invoke
 * (the redrive), DynamoDB Scan (the final tables) and `GET /v1/requests/{id}` (request records).
 */
import { signRequest } from '../auth/sign-request';
import { HttpClient } from './http';
import type { CloudUrls } from './cloud-process';

export interface FaultRuleInput {
  id?: string;
  service: string;
  operation?: string;
  /** DynamoDB: only calls on this table. */
  table?: string;
  /** Optional with latencyMs. */
  error?: string;
  rate?: number;
  count?: number;
  /** Delay the call this long, then run it (or fail it with `error`). */
  latencyMs?: number;
}

export interface ActiveFault extends FaultRuleInput {
  id: string;
  fired: number;
}

export interface QueueState {
  name: string;
  visible: number;
  inFlight: number;
  delayed: number;
}

export interface CloudNames {
  redriveFunction: string;
  tables: Record<string, string>;
  queues: Record<string, string>;
  requestsTable: string;
}

export interface ClockState {
  now: string;
  offsetMs: number;
}

/** A stored item of a resource table, as DynamoDB holds it. */
export interface StoredItem {
  id: string;
  version: number;
  data: Record<string, unknown>;
  requestToken?: string;
  lastRequestAt?: number;
  deletedAt?: string;
}

const LONG = 30 * 60_000;

export class CloudAdmin {
  constructor(
    private readonly http: HttpClient,
    private urls: CloudUrls,
  ) {}

  /** After a restart on other ports. */
  setUrls(urls: CloudUrls): void {
    this.urls = urls;
  }

  get apiUrl(): string {
    return this.urls.apiUrl;
  }

  get endpointUrl(): string {
    return this.urls.endpointUrl;
  }

  // ---- faults ----

  async addFaults(rules: FaultRuleInput[]): Promise<ActiveFault[]> {
    if (rules.length === 0) return [];
    return (await this.http.json('POST', `${this.urls.endpointUrl}/_local/faults`, { rules })).rules;
  }

  /** Replaces every rule. */
  async setFaults(rules: FaultRuleInput[]): Promise<ActiveFault[]> {
    return (await this.http.json('PUT', `${this.urls.endpointUrl}/_local/faults`, { rules })).rules;
  }

  async listFaults(): Promise<ActiveFault[]> {
    return (await this.http.json('GET', `${this.urls.endpointUrl}/_local/faults`)).rules;
  }

  async clearFaults(): Promise<void> {
    await this.http.json('DELETE', `${this.urls.endpointUrl}/_local/faults`);
  }

  async removeFault(id: string): Promise<void> {
    await this.http.request({ method: 'DELETE', url: `${this.urls.endpointUrl}/_local/faults/${encodeURIComponent(id)}` });
  }

  // ---- flags and clock ----

  async setFlag(flag: string, enabled: boolean): Promise<void> {
    await this.http.json('POST', `${this.urls.endpointUrl}/_local/appconfig/flags`, { flag, enabled });
  }

  async flags(): Promise<Record<string, { enabled?: boolean }>> {
    return (await this.http.json('GET', `${this.urls.endpointUrl}/_local/appconfig/flags`)).values;
  }

  async clock(): Promise<ClockState> {
    return this.http.json('GET', `${this.urls.endpointUrl}/_local/clock`);
  }

  /**
   * Moves the clock; resolves once what came due (schedules included) has run. `error` is set when the
   * clock moved but something it fired failed (the route answers 500 with the new time).
   */
  async advance(seconds: number): Promise<ClockState & { advancedMs: number; error?: string }> {
    const answer = await this.http.request({
      method: 'POST',
      url: `${this.urls.endpointUrl}/_local/clock`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ advanceMs: Math.round(seconds * 1000) }),
      timeoutMs: LONG,
    });
    const body = answer.text ? JSON.parse(answer.text) : {};
    if (answer.status === 200 || (answer.status === 500 && typeof body.offsetMs === 'number')) return body;
    throw new Error(`POST /_local/clock → ${answer.status} ${answer.text.slice(0, 500)}`);
  }

  // ---- names, queues, Lambda ----

  async names(): Promise<CloudNames> {
    const out = await this.http.json('GET', `${this.urls.endpointUrl}/console/api/outputs`);
    const redriveFunction = out.redriveFunctionName ?? Object.entries(out.functions ?? {}).find(([k]) => /redrive/i.test(k))?.[1];
    if (!redriveFunction) throw new Error(`No redrive function in the console outputs: ${JSON.stringify(out.functions)}`);
    const tables: Record<string, string> = {};
    const queues: Record<string, string> = {};
    for (const r of out.resources as { name: string; tableName: string; deadLetterQueueUrl: string }[]) {
      tables[r.name] = r.tableName;
      queues[r.name] = r.deadLetterQueueUrl.split('/').pop()!;
    }
    return { redriveFunction, tables, queues, requestsTable: out.outputs?.RequestsTableName ?? '' };
  }

  async queues(): Promise<QueueState[]> {
    const out = await this.http.json('GET', `${this.urls.endpointUrl}/_local/sqs/queues`);
    return out.queues.map((q: any) => ({ name: q.name, visible: q.visible, inFlight: q.inFlight, delayed: q.delayed }));
  }

  /** Lambda Invoke (RequestResponse). Returns the function's result, or throws with its error. */
  async invoke(functionName: string, payload: unknown = {}): Promise<any> {
    const answer = await this.http.request({
      method: 'POST',
      url: `${this.urls.endpointUrl}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      timeoutMs: LONG,
    });
    if (answer.status >= 300 || answer.headers['x-amz-function-error']) {
      throw new Error(`Invoke ${functionName} → ${answer.status} ${answer.headers['x-amz-function-error'] ?? ''} ${answer.text.slice(0, 500)}`);
    }
    return answer.text ? JSON.parse(answer.text) : undefined;
  }

  // ---- data ----

  /** Every item of a table (Scan over the endpoint, following LastEvaluatedKey). */
  async scan(tableName: string): Promise<Record<string, any>[]> {
    const items: Record<string, any>[] = [];
    let start: unknown;
    for (let page = 0; page < 100_000; page++) {
      const answer = await this.http.request({
        method: 'POST',
        url: `${this.urls.endpointUrl}/`,
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.Scan' },
        body: JSON.stringify({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
        timeoutMs: 120_000,
      });
      if (answer.status !== 200) throw new Error(`Scan ${tableName} → ${answer.status} ${answer.text.slice(0, 300)}`);
      const out = JSON.parse(answer.text);
      items.push(...out.Items);
      start = out.LastEvaluatedKey;
      if (!start) return items;
    }
    throw new Error(`Scan ${tableName}: too many pages`);
  }

  /** A resource table as stored items. */
  async storedItems(tableName: string, keyAttribute: string): Promise<StoredItem[]> {
    return (await this.scan(tableName)).map((raw) => ({
      id: raw[keyAttribute]?.S,
      version: Number(raw.version?.N),
      data: raw.data?.S ? JSON.parse(raw.data.S) : {},
      requestToken: raw.requestToken?.S,
      lastRequestAt: raw.lastRequestAt?.N !== undefined ? Number(raw.lastRequestAt.N) : undefined,
      deletedAt: raw.deletedAt?.S,
    }));
  }

  /** GET /v1/requests/{id}: the request record a 202's Location points to. */
  async requestRecord(location: string): Promise<{ status: number; body: any }> {
    const origin = new URL(this.urls.apiUrl).origin;
    const url = origin + location;
    // The record answers only the caller that made the request: the same signed client as the writes.
    const answer = await this.http.request({ method: 'GET', url, headers: await signRequest({ method: 'GET', url }), timeoutMs: 60_000 });
    let body: any;
    try {
      body = JSON.parse(answer.text);
    } catch {
      body = { unparsable: answer.text.slice(0, 300) };
    }
    return { status: answer.status, body };
  }
}
