/**
 * The expected state of the tables, computed from the recorded requests alone: a fault-free replay.
 *
 * 1. Each write gets a fate from its answers and request records (`verdictOf`):
 *      applied      a 2xx answer, or a 202 whose record ended `applied`
 *      rejected     a 4xx answer, or a 202 whose record ended `rejected`
 *      not-applied  only answers that say nothing was stored (503 "nothing was written") or refused connections
 *      unknown      no answer (the cloud was killed, a timeout), another 5xx, a 202 still not final, or a DELETE
 *                   answered (or recorded) 404: a hard delete answers 404 when it removed the item itself earlier
 * 2. An item's writes are applied in the order its client sent them (a replay that finds a later write is
 *    Superseded, so the applied ones can only land in that order), starting from nothing: POST creates
 *    `{...body, key, version: 1}`, PUT replaces (version + 1), PATCH merges top-level attributes with
 *    `null` removing one (RFC 7396, version + 1), DELETE removes the item.
 * 3. An unknown write may or may not have been applied: every combination is tried (`explainItem`), and
 *    the item is consistent if one combination gives the stored item (timestamps aside).
 */
import { KEY_ATTRIBUTE, MARKER_ATTRIBUTE } from './bodies';
import type { StoredItem } from './admin';
import { Attempt, Item, NOTHING_WRITTEN, Write } from './workload';

export type Doc = Record<string, unknown>;
export type Fate = 'applied' | 'rejected' | 'not-applied' | 'unknown';

/** What the API said about a write's effect: the item right after it, from an answer or a request record. */
export interface Evidence {
  source: 'answer' | 'record';
  statusCode: number;
  etag?: string;
  body?: unknown;
}

export interface Verdict {
  fate: Fate;
  /** e.g. '201', '202→applied', '202→rejected 409', '503 nothing written', 'unanswered', '504'. */
  why: string;
  evidence: Evidence[];
  /** Both applied and rejected evidence: the API contradicted itself. */
  contradiction?: string;
}

/** A request record as `GET /v1/requests/{id}` answers it. */
export interface RequestRecord {
  requestId?: string;
  status: 'queued' | 'applied' | 'rejected' | 'unknown' | string;
  reason?: string | null;
  attempts?: number;
  outcome?: { statusCode: number; headers?: Record<string, string>; body?: unknown } | null;
}

export function isNothingWritten(a: Attempt): boolean {
  return a.status === 503 && NOTHING_WRITTEN.test(String(a.body?.detail ?? ''));
}

export function isInProgress(a: Attempt): boolean {
  return a.status === 409 && a.retryAfter !== undefined;
}

/** The fate of a write, from its attempts and the records its 202s point to (by Location). */
export function verdictOf(write: Write, records: ReadonlyMap<string, RequestRecord>): Verdict {
  const applied: string[] = [];
  const rejected: string[] = [];
  const unknown: string[] = [];
  const notApplied: string[] = [];
  const evidence: Evidence[] = [];
  for (const a of write.attempts) {
    if (a.transport === 'refused') notApplied.push('refused');
    else if (a.transport === 'unanswered') unknown.push('unanswered');
    else if (a.status === 202) {
      const record = a.location ? records.get(a.location) : undefined;
      if (record?.status === 'applied' && record.outcome) {
        applied.push('202→applied');
        evidence.push({ source: 'record', statusCode: record.outcome.statusCode, etag: record.outcome.headers?.ETag, body: record.outcome.body });
      } else if (record?.status === 'rejected' && record.outcome?.statusCode === 404 && write.method === 'DELETE') unknown.push('202→rejected 404');
      else if (record?.status === 'rejected') rejected.push(`202→rejected ${record.outcome?.statusCode ?? '?'}`);
      else unknown.push(`202→${record?.status ?? 'no record'}`);
    } else if (a.status! >= 200 && a.status! < 300) {
      applied.push(String(a.status));
      evidence.push({ source: 'answer', statusCode: a.status!, etag: a.etag, body: a.body });
    } else if (isInProgress(a)) continue;
    else if (isNothingWritten(a)) notApplied.push('503 nothing written');
    else if (a.status! >= 500) unknown.push(String(a.status));
    // A hard DELETE answers 404 when the item is gone, also when this very request removed it earlier (a replay,
    // or a keyed retry after a lost answer): docs/idempotency.md. The 404 does not tell whether it applied.
    else if (a.status === 404 && write.method === 'DELETE') unknown.push('404');
    else rejected.push(String(a.status));
  }
  if (applied.length) {
    return { fate: 'applied', why: applied[0], evidence, ...(rejected.length ? { contradiction: `${applied.join(',')} and ${rejected.join(',')}` } : {}) };
  }
  if (rejected.length) return { fate: 'rejected', why: rejected[rejected.length - 1], evidence };
  if (unknown.length) return { fate: 'unknown', why: unknown[unknown.length - 1], evidence };
  return { fate: 'not-applied', why: notApplied[notApplied.length - 1] ?? 'no attempt', evidence };
}

// ---- the fold ----

/** One write on the model state: the next state, or undefined when the write could not apply there. */
export function applyWrite(state: Doc | undefined, write: Pick<Write, 'method' | 'body'>, id: string, keyAttribute: string): { ok: boolean; state?: Doc } {
  switch (write.method) {
    case 'POST':
      if (state) return { ok: false };
      return { ok: true, state: { ...write.body, [keyAttribute]: id, version: 1 } };
    case 'PUT':
      if (!state) return { ok: false };
      return { ok: true, state: { ...write.body, [keyAttribute]: id, version: (state.version as number) + 1 } };
    case 'PATCH': {
      if (!state) return { ok: false };
      const merged: Doc = { ...state, ...write.body, [keyAttribute]: id, version: (state.version as number) + 1 };
      for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
      return { ok: true, state: merged };
    }
    case 'DELETE':
      if (!state) return { ok: false };
      return { ok: true, state: undefined };
  }
}

const TIMESTAMPS = new Set(['createdAt', 'updatedAt', 'deletedAt']);

export function withoutTimestamps(doc: unknown): unknown {
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) return doc;
  return Object.fromEntries(Object.entries(doc as Doc).filter(([k]) => !TIMESTAMPS.has(k)));
}

/** Deep equality of JSON values, key order ignored. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((x, i) => sameJson(x, (b as unknown[])[i]));
  const ka = Object.keys(a as Doc);
  const kb = Object.keys(b as Doc);
  return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameJson((a as Doc)[k], (b as Doc)[k]));
}

/** The stored item as a model document (its `data`, timestamps aside), undefined when absent. */
export function storedDoc(stored: StoredItem | undefined): Doc | undefined {
  return stored ? (withoutTimestamps(stored.data) as Doc) : undefined;
}

export interface ItemExplanation {
  /** One combination of the unknown writes gives the stored item. */
  consistent: boolean;
  /** More unknown writes than combinations tried. */
  unverifiable?: boolean;
  /** The writes applied in the combination found (indexes into item.writes). */
  applied: number[];
  /** Unknown writes found applied / not applied in that combination. */
  unknownApplied: number;
  unknownNotApplied: number;
  /** Answers (2xx bodies, ETags, recorded outcomes) that differ from the model state after their write. */
  answerMismatches: string[];
  /** With no consistent combination: the writes whose answer said "not applied" that would explain the table. */
  explainedBy?: string[];
  /**
   * With no consistent combination: whether the writes answered applied plus some choice of the others,
   * each applied at most once and in the client's order, give the stored item. False means a write was
   * applied twice (a deleted item came back, a version too many) or out of order.
   */
  onceInOrder?: boolean;
  expected?: Doc;
  actual?: Doc;
}

const MAX_UNKNOWN = 10;

/** Tries every combination of the unknown writes; see the module comment. */
export function explainItem(item: Item, id: string | undefined, verdicts: ReadonlyMap<Write, Verdict>, stored: StoredItem | undefined): ItemExplanation {
  const key = KEY_ATTRIBUTE[item.resource];
  const fates = item.writes.map((w) => verdicts.get(w)!.fate);
  const actual = storedDoc(stored);
  const first = search(item, id ?? '', key, fates, actual, verdicts);
  if (first.consistent || first.unverifiable) return first;
  // Not explained: would a write the API called rejected / not applied explain it?
  const widened = fates.map((f) => (f === 'rejected' || f === 'not-applied' ? 'unknown' : f));
  const second = search(item, id ?? '', key, widened, actual, verdicts);
  if (second.consistent) {
    first.explainedBy = second.applied
      .filter((i) => fates[i] === 'rejected' || fates[i] === 'not-applied')
      .map((i) => `${item.resource}/${id ?? '?'} ${item.writes[i].method} ${item.writes[i].marker} applied although ${verdicts.get(item.writes[i])!.why}`);
  }
  // The writes answered applied, plus any choice of the others, each at most once and in order?
  first.onceInOrder = second.consistent;
  return first;
}

function search(item: Item, id: string, key: string, fates: Fate[], actual: Doc | undefined, verdicts: ReadonlyMap<Write, Verdict>): ItemExplanation {
  const unknown = fates.map((f, i) => (f === 'unknown' ? i : -1)).filter((i) => i >= 0);
  if (unknown.length > MAX_UNKNOWN) return { consistent: false, unverifiable: true, applied: [], unknownApplied: 0, unknownNotApplied: 0, answerMismatches: [], actual };
  let best: ItemExplanation | undefined;
  let lastExpected: Doc | undefined;
  for (let mask = 0; mask < 1 << unknown.length; mask++) {
    const chosen = new Set(unknown.filter((_, b) => mask & (1 << b)));
    let state: Doc | undefined;
    let possible = true;
    const applied: number[] = [];
    const mismatches: string[] = [];
    for (let i = 0; i < item.writes.length && possible; i++) {
      if (fates[i] !== 'applied' && !chosen.has(i)) continue;
      const write = item.writes[i];
      const next = applyWrite(state, write, id, key);
      if (!next.ok) possible = false;
      else {
        state = next.state;
        applied.push(i);
        for (const e of verdicts.get(write)!.evidence) {
          const problem = evidenceProblem(e, state, write);
          if (problem) mismatches.push(`${write.method} ${write.marker}: ${problem}`);
        }
      }
    }
    if (!possible) continue;
    lastExpected = state;
    if (!sameJson(state, actual)) continue;
    const explanation: ItemExplanation = {
      consistent: true,
      applied,
      unknownApplied: chosen.size,
      unknownNotApplied: unknown.length - chosen.size,
      answerMismatches: mismatches,
      expected: state,
      actual,
    };
    if (mismatches.length === 0) return explanation;
    best ??= explanation;
  }
  return best ?? { consistent: false, applied: [], unknownApplied: 0, unknownNotApplied: 0, answerMismatches: [], expected: lastExpected, actual };
}

/** Why an answer does not show the model state right after its write (undefined when it does). */
function evidenceProblem(e: Evidence, state: Doc | undefined, write: Write): string | undefined {
  if (write.method === 'DELETE') return e.statusCode === 204 ? undefined : `answered ${e.statusCode} for a DELETE`;
  if (!state) return `answered ${e.statusCode} but the model has no item`;
  if (e.etag !== undefined && e.etag !== `"${state.version}"`) return `${e.source} ETag ${e.etag}, model version ${state.version}`;
  if (e.body !== undefined && e.body !== null && !sameJson(withoutTimestamps(e.body), state)) return `${e.source} body ${JSON.stringify(withoutTimestamps(e.body))} ≠ model ${JSON.stringify(state)}`;
  return undefined;
}

/** The marker an item's stored state carries (the marker of the write it came from last). */
export function markerOf(resource: Item['resource'], data: Doc): string | undefined {
  const v = data[MARKER_ATTRIBUTE[resource]];
  return typeof v === 'string' ? v : undefined;
}
