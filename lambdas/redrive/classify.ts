/**
 * What a dead-letter message holds and what its replay means: pure functions, no I/O (redrive.ts does the
 * SQS and Step Functions calls). The contract is documented in redrive.ts's header.
 */

/** What the state machine puts on the queue (statemachines/crud-resource.asl.json, SendToDeadLetterQueue). */
export interface QueuedRequest {
  request: Record<string, unknown> & {
    method?: string;
    resource?: string;
    id?: string;
    requestId?: string;
    headers?: { ifMatch?: string; ifNoneMatch?: string; idempotencyKey?: string };
  };
  requestId: string;
  /** Why it was queued (e.g. ReadOnlyMode, DynamoDB.ProvisionedThroughputExceededException). */
  error?: string;
  /** When the state machine queued it (ISO 8601). */
  queuedAt?: string;
}

/**
 * An event the state machine could not publish (DeferEvent: EventBridge failing, or the events circuit
 * open): published with PutEvents as it is, never replayed as a request.
 */
export interface QueuedEvent {
  kind: 'event';
  resource?: string;
  /** The write whose change it announces. */
  requestId?: string;
  /** The PutEvents entry, Detail as JSON text. */
  entry: { Source: string; DetailType: string; Detail: string; EventBusName?: string };
  /** Why it was deferred (e.g. EventsCircuitOpen, EventBridge.FailedEntry, States.Timeout). */
  error?: string;
  queuedAt?: string;
}

/** A message body: a queued request, a deferred event, or why it is poison (never replayed, never deleted). */
export type ParsedMessage = { queued: QueuedRequest } | { event: QueuedEvent } | { poison: string };

export function parseQueuedMessage(body: string | undefined): ParsedMessage {
  let parsed: any;
  try {
    parsed = JSON.parse(body ?? '');
  } catch (error) {
    return { poison: `unreadable message: ${(error as Error).message}` };
  }
  if (parsed && typeof parsed === 'object' && parsed.kind === 'event') return parseQueuedEvent(parsed);
  if (!parsed || typeof parsed !== 'object' || !parsed.request || typeof parsed.request !== 'object' || Array.isArray(parsed.request)) {
    return { poison: 'unreadable message: no request in message' };
  }
  const requestId = typeof parsed.requestId === 'string' && parsed.requestId ? parsed.requestId : parsed.request.requestId;
  if (typeof requestId !== 'string' || !requestId) return { poison: 'unreadable message: the request has no requestId' };
  return { queued: { ...parsed, requestId } };
}

function parseQueuedEvent(parsed: any): ParsedMessage {
  const entry = parsed.entry;
  if (!entry || typeof entry !== 'object' || typeof entry.Source !== 'string' || typeof entry.DetailType !== 'string' || entry.Detail === undefined) {
    return { poison: 'unreadable event message: no entry with Source, DetailType and Detail' };
  }
  const Detail = typeof entry.Detail === 'string' ? entry.Detail : JSON.stringify(entry.Detail);
  const busName = typeof entry.EventBusName === 'string' && entry.EventBusName ? { EventBusName: entry.EventBusName } : {};
  return {
    event: {
      ...parsed,
      kind: 'event',
      requestId: typeof parsed.requestId === 'string' && parsed.requestId ? parsed.requestId : undefined,
      entry: { Source: entry.Source, DetailType: entry.DetailType, Detail, ...busName },
    },
  };
}

/** What PutEvents answered for one deferred event, or what it threw. */
export type PublishResult = { thrown: unknown } | { output: { FailedEntryCount?: number; Entries?: { EventId?: string; ErrorCode?: string; ErrorMessage?: string }[] } };

/**
 * A deferred event is published when PutEvents answers with no failed entry (`applied`: the message is
 * deleted); a thrown error or a failed entry keeps it (`kept`), like a transient replay.
 */
export function classifyPublish(result: PublishResult): { outcome: 'applied' | 'kept'; error?: string } {
  if ('thrown' in result) {
    const error = result.thrown as { name?: string; message?: string } | undefined;
    return { outcome: 'kept', error: `PutEvents failed: ${error?.name ?? 'Error'}: ${error?.message ?? String(result.thrown)}` };
  }
  const failed = result.output.FailedEntryCount ?? 0;
  if (failed > 0) {
    const entry = result.output.Entries?.find((e) => e.ErrorCode);
    return { outcome: 'kept', error: `PutEvents failed entry: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`.trim() };
  }
  return { outcome: 'applied' };
}

/**
 * Messages with the same key are replayed one after another, oldest first: the same item
 * (`request.resource` + `request.id`), or for a POST without id the same non-empty Idempotency-Key.
 * Anything else is independent (its own key).
 */
export function itemKey(queued: QueuedRequest, messageId: string, defaultResource: string): string {
  const r = queued.request;
  const resource = typeof r.resource === 'string' && r.resource ? r.resource : defaultResource;
  if (typeof r.id === 'string' && r.id) return `item:${resource}/${r.id}`;
  const key = r.headers?.idempotencyKey;
  if (String(r.method ?? '').toUpperCase() === 'POST' && typeof key === 'string' && key) return `idempotency-key:${resource}/${key}`;
  return `message:${messageId}`;
}

/** The result of one StartSyncExecution: what it answered, or what it threw. */
export type ReplayResult =
  | { thrown: unknown }
  | { execution: { status?: string; output?: string; error?: string; cause?: string; executionArn?: string } };

export interface ReplayClassification {
  /** applied (2xx) and rejected (4xx) are final: the message is deleted. kept: replayed again later. */
  outcome: 'applied' | 'rejected' | 'kept';
  statusCode?: number;
  /** The Retry-After header of the answer, when it had one (always kept then). */
  retryAfter?: string;
  /** Why it was kept, when there is more to say than the status code. */
  error?: string;
}

/** Answers that are transient whatever their class: Request Timeout, Too Many Requests. */
const TRANSIENT_4XX = new Set([408, 429]);

/**
 * The one rule for a replay:
 * - StartSyncExecution threw (throttled, service error, network) → kept;
 * - execution not SUCCEEDED (FAILED, TIMED_OUT) → kept;
 * - SUCCEEDED with a `{statusCode, headers}` output: final iff statusCode < 500, not 408/429 and no
 *   Retry-After header → applied (2xx) or rejected (4xx); anything else (5xx, 408, 429, Retry-After,
 *   1xx/3xx, an output that is not a response) → kept.
 */
export function classifyReplay(result: ReplayResult): ReplayClassification {
  if ('thrown' in result) {
    const error = result.thrown as { name?: string; message?: string } | undefined;
    return { outcome: 'kept', error: `StartSyncExecution failed: ${error?.name ?? 'Error'}: ${error?.message ?? String(result.thrown)}` };
  }
  const { execution } = result;
  if (execution.status !== 'SUCCEEDED') {
    return { outcome: 'kept', error: `${execution.status ?? 'UNKNOWN'}: ${[execution.error, execution.cause].filter(Boolean).join(': ')}` };
  }
  const response = parseResponse(execution.output);
  if (!response) return { outcome: 'kept', error: 'output is not a {statusCode, headers, body} response' };
  const { statusCode, retryAfter } = response;
  const base = { statusCode, ...(retryAfter !== undefined ? { retryAfter } : {}) };
  if (statusCode >= 500 || TRANSIENT_4XX.has(statusCode) || retryAfter !== undefined) return { outcome: 'kept', ...base };
  if (statusCode >= 200 && statusCode < 300) return { outcome: 'applied', ...base };
  if (statusCode >= 400) return { outcome: 'rejected', ...base };
  return { outcome: 'kept', ...base, error: `unexpected status ${statusCode} for a write` };
}

function parseResponse(output: string | undefined): { statusCode: number; retryAfter?: string } | undefined {
  let parsed: any;
  try {
    parsed = JSON.parse(output ?? '');
  } catch {
    return undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const statusCode = typeof parsed.statusCode === 'string' && /^\d{3}$/.test(parsed.statusCode) ? Number(parsed.statusCode) : parsed.statusCode;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode)) return undefined;
  return { statusCode, retryAfter: retryAfterOf(parsed.headers) };
}

/** The Retry-After header (any case) when present and non-empty. */
export function retryAfterOf(headers: unknown): string | undefined {
  if (!headers || typeof headers !== 'object') return undefined;
  for (const [name, value] of Object.entries(headers as Record<string, unknown>)) {
    if (name.toLowerCase() !== 'retry-after' || value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(', ') : String(value);
    if (text.trim() !== '') return text;
  }
  return undefined;
}
