/**
 * Request records ("requests are resources"): what a `202 Accepted` points to with
 * `Location: /v1/requests/{id}`. The state machines write them to the requests table (cdk/request-records.ts,
 * statemachines/crud-resource.asl.json: RecordQueued, then each replay's update):
 *
 *   pk = request#<requestId>            requestId, caller, resource, method, path, status (queued → applied | rejected),
 *                                       receivedAt, queuedAt, reason, cause, attempts, lastAttemptAt,
 *                                       lastAttempt (JSON text), finishedAt, outcome (JSON text),
 *                                       idempotencyKey?, expiresAt (TTL, epoch seconds)
 *   pk = idempotency#<resource>#<caller>#<key>   fingerprint, requestId, status, outcome (not a request: read
 *                                       only to show next to the request that carries the key; docs/auth.md)
 *
 * This module reads them through a two-call port (Scan, GetItem in DynamoDB's wire shapes) so that the
 * console (the local DynamoDB service) and `crud-ops --aws` (@aws-sdk/client-dynamodb) share one reader.
 * `GET /v1/requests/{id}` answers the same fields (cdk/vtl/request-record.response.vtl).
 */

/** DynamoDB's wire shape of an attribute value ({S}, {N}, {BOOL}…), as the service and the SDK both give it. */
export type AttributeValue = Record<string, any>;
export type Item = Record<string, AttributeValue>;

/** The two DynamoDB calls the reader makes. */
export interface RequestsTablePort {
  scan(input: Record<string, unknown>): Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>;
  getItem(input: Record<string, unknown>): Promise<{ Item?: Item }>;
}

export const REQUEST_STATUSES = ['queued', 'applied', 'rejected'] as const;
export type RequestStatus = (typeof REQUEST_STATUSES)[number];
/** A record in one of these will not change any more. */
export const FINAL_STATUSES: readonly string[] = ['applied', 'rejected'];

export const REQUEST_PREFIX = 'request#';
export const IDEMPOTENCY_PREFIX = 'idempotency#';

/** A list reads at most this many matching records; past it, the answer says `capped`. */
export const MAX_SCANNED_RECORDS = 5000;
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;

/** The replay that answered last (`lastAttempt`, stored as JSON text). */
export interface LastAttempt {
  at?: string;
  /** The execution name: the request id, or `<request id>-redrive-<n>` for a replay. */
  execution?: string;
  statusCode?: number;
  /** true: the answer was final (the record became applied or rejected). */
  final?: boolean;
}

/** The answer the request finally got (`outcome`, stored as JSON text): what the client would have received. */
export interface RequestOutcome {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What a list shows of a record: everything but the cause, the outcome and the TTL. */
export interface RequestSummary {
  requestId: string;
  resource?: string;
  method?: string;
  path?: string;
  /** queued, applied or rejected. */
  status: string;
  receivedAt?: string;
  queuedAt?: string;
  /** Why it was queued: ReadOnlyMode, FlagsUnavailable, DynamoDB.ProvisionedThroughputExceededException, RetryBudgetExhausted… */
  reason?: string;
  /** How many replays were tried. */
  attempts: number;
  lastAttemptAt?: string;
  finishedAt?: string;
  /** The HTTP status of the last replay, from `lastAttempt` (the final answer once applied or rejected). */
  statusCode?: number;
  idempotencyKey?: string;
}

/** One record, whole. */
export interface RequestRecord extends RequestSummary {
  /** Who made the request (docs/auth.md): an IAM ARN, a Cognito sub; absent on records made anonymously. */
  caller?: string;
  cause?: string;
  lastAttempt?: LastAttempt;
  outcome?: RequestOutcome;
  /** When DynamoDB's TTL may delete the record (expiresAt, epoch seconds → ISO). */
  expiresAt?: string;
  /** Stored JSON text that does not parse (`lastAttempt`, `outcome`), kept as text. */
  unreadable?: Record<string, string>;
}

/** The Idempotency-Key record of a request that carried one. */
export interface IdempotencyRecord {
  key: string;
  status?: string;
  requestId?: string;
  fingerprint?: string;
}

export interface RequestDetail extends RequestRecord {
  idempotency?: IdempotencyRecord;
}

export interface RequestQuery {
  resource?: string;
  status?: string;
  /** How many to return, newest first (default 100, at most 1000). */
  limit?: number;
}

export interface RequestList {
  /** Newest first by receivedAt. */
  requests: RequestSummary[];
  /** How many matching records were read. */
  total: number;
  /** More matched than `limit`. */
  truncated: boolean;
  /** The scan stopped at MAX_SCANNED_RECORDS matching records: older ones may be missing. */
  capped: boolean;
}

export class BadRequestQuery extends Error {
  override name = 'BadRequestQuery';
}

/** The attributes a list reads (the outcome, possibly ~100 KB, and the cause stay in the table). */
const SUMMARY_ATTRIBUTES = ['pk', 'requestId', 'resource', 'method', 'path', 'status', 'receivedAt', 'queuedAt', 'reason', 'attempts', 'lastAttemptAt', 'lastAttempt', 'finishedAt', 'idempotencyKey'];

export class RequestRecordsReader {
  constructor(
    private readonly port: RequestsTablePort,
    readonly tableName: string,
    private readonly options: { maxScanned?: number } = {},
  ) {}

  /** Checks a query (unknown status, limit out of range → BadRequestQuery); resources are the caller's to check. */
  static validate(query: RequestQuery): { resource?: string; status?: string; limit: number } {
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new BadRequestQuery(`limit must be an integer from 1 to ${MAX_LIST_LIMIT}`);
    const status = query.status?.trim() || undefined;
    if (status && !(REQUEST_STATUSES as readonly string[]).includes(status)) throw new BadRequestQuery(`status must be one of ${REQUEST_STATUSES.join(', ')}`);
    return { resource: query.resource?.trim() || undefined, status, limit };
  }

  /** The request records (not the Idempotency-Key ones), filtered in the Scan, newest first. */
  async list(query: RequestQuery = {}): Promise<RequestList> {
    const { resource, status, limit } = RequestRecordsReader.validate(query);
    const max = this.options.maxScanned ?? MAX_SCANNED_RECORDS;
    const names: Record<string, string> = Object.fromEntries(SUMMARY_ATTRIBUTES.map((a) => [`#${a}`, a]));
    const values: Item = { ':prefix': { S: REQUEST_PREFIX } };
    const filters = ['begins_with(#pk, :prefix)'];
    if (resource) {
      filters.push('#resource = :resource');
      values[':resource'] = { S: resource };
    }
    if (status) {
      filters.push('#status = :status');
      values[':status'] = { S: status };
    }
    const found: RequestSummary[] = [];
    let startKey: Item | undefined;
    let capped = false;
    do {
      const page = await this.port.scan({
        TableName: this.tableName,
        FilterExpression: filters.join(' AND '),
        ProjectionExpression: Object.keys(names).join(', '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of page.Items ?? []) {
        if (found.length >= max) {
          capped = true;
          break;
        }
        found.push(summaryOf(decodeRequestRecord(item)));
      }
      startKey = page.LastEvaluatedKey;
      if (found.length >= max && startKey) capped = true;
    } while (startKey && !capped);
    found.sort(newestFirst);
    return { requests: found.slice(0, limit), total: found.length, truncated: found.length > limit, capped };
  }

  /** One record with its Idempotency-Key record, or undefined when there is none (yet). */
  async get(requestId: string): Promise<RequestDetail | undefined> {
    const { Item: item } = await this.port.getItem({ TableName: this.tableName, Key: { pk: { S: `${REQUEST_PREFIX}${requestId}` } }, ConsistentRead: true });
    if (!item) return undefined;
    const record: RequestDetail = decodeRequestRecord(item);
    if (record.idempotencyKey && record.resource) {
      // Keys are scoped to the caller; a record without one was made anonymously.
      const pk = `${IDEMPOTENCY_PREFIX}${record.resource}#${record.caller ?? 'anonymous'}#${record.idempotencyKey}`;
      const key = await this.port.getItem({ TableName: this.tableName, Key: { pk: { S: pk } }, ConsistentRead: true });
      if (key.Item) {
        record.idempotency = {
          key: record.idempotencyKey,
          ...optional('status', text(key.Item.status)),
          ...optional('requestId', text(key.Item.requestId)),
          ...optional('fingerprint', text(key.Item.fingerprint)),
        };
      }
    }
    return record;
  }
}

/** A `request#…` item → the record (strings as they are, attempts as a number, the JSON texts parsed). */
export function decodeRequestRecord(item: Item): RequestRecord {
  const pk = text(item.pk) ?? '';
  const requestId = text(item.requestId) ?? (pk.startsWith(REQUEST_PREFIX) ? pk.slice(REQUEST_PREFIX.length) : pk);
  const unreadable: Record<string, string> = {};
  const lastAttempt = parsed<LastAttempt>(item, 'lastAttempt', unreadable);
  const outcome = parsed<RequestOutcome>(item, 'outcome', unreadable);
  const expires = number(item.expiresAt);
  const statusCode = typeof outcome?.statusCode === 'number' ? outcome.statusCode : typeof lastAttempt?.statusCode === 'number' ? lastAttempt.statusCode : undefined;
  const record: RequestRecord = {
    requestId,
    ...optional('caller', text(item.caller)),
    ...optional('resource', text(item.resource)),
    ...optional('method', text(item.method)),
    ...optional('path', text(item.path)),
    status: text(item.status) ?? 'unknown',
    ...optional('receivedAt', text(item.receivedAt)),
    ...optional('queuedAt', text(item.queuedAt)),
    ...optional('reason', text(item.reason)),
    ...optional('cause', text(item.cause)),
    attempts: number(item.attempts) ?? 0,
    ...optional('lastAttemptAt', text(item.lastAttemptAt)),
    ...optional('lastAttempt', lastAttempt),
    ...optional('finishedAt', text(item.finishedAt)),
    ...optional('statusCode', statusCode),
    ...optional('outcome', outcome),
    ...optional('idempotencyKey', text(item.idempotencyKey)),
    ...optional('expiresAt', expires === undefined || !Number.isFinite(expires * 1000) ? undefined : new Date(expires * 1000).toISOString()),
  };
  if (Object.keys(unreadable).length) record.unreadable = unreadable;
  return record;
}

export function summaryOf(record: RequestRecord): RequestSummary {
  const summary: Record<string, unknown> = { ...record };
  for (const detailOnly of ['caller', 'cause', 'lastAttempt', 'outcome', 'expiresAt', 'unreadable', 'idempotency']) delete summary[detailOnly];
  return summary as unknown as RequestSummary;
}

export function isFinal(status: string | undefined): boolean {
  return status !== undefined && FINAL_STATUSES.includes(status);
}

function newestFirst(a: RequestSummary, b: RequestSummary): number {
  const at = (r: RequestSummary) => Date.parse(r.receivedAt ?? r.queuedAt ?? '') || 0;
  return at(b) - at(a) || b.requestId.localeCompare(a.requestId);
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

function parsed<T>(item: Item, name: string, unreadable: Record<string, string>): T | undefined {
  const raw = text(item[name]);
  if (raw === undefined) return undefined;
  try {
    const value = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as T;
  } catch {
    // kept as text below
  }
  unreadable[name] = raw;
  return undefined;
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
