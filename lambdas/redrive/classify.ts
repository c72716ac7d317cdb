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

/** A message body: the queued request, or why it is poison (never replayed, never deleted). */
export type ParsedMessage = { queued: QueuedRequest } | { poison: string };

export function parseQueuedMessage(body: string | undefined): ParsedMessage {
  let parsed: any;
  try {
    parsed = JSON.parse(body ?? '');
  } catch (error) {
    return { poison: `unreadable message: ${(error as Error).message}` };
  }
  if (!parsed || typeof parsed !== 'object' || !parsed.request || typeof parsed.request !== 'object' || Array.isArray(parsed.request)) {
    return { poison: 'unreadable message: no request in message' };
  }
  const requestId = typeof parsed.requestId === 'string' && parsed.requestId ? parsed.requestId : parsed.request.requestId;
  if (typeof requestId !== 'string' || !requestId) return { poison: 'unreadable message: the request has no requestId' };
  return { queued: { ...parsed, requestId } };
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
