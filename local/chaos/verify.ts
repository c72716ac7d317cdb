/**
 * The checks of a chaos run, once the cloud is quiescent. Each is a pass/fail line with counts, and its
 * failures carry a kind (so that a known product defect can be told from a new failure):
 *
 *   stored        every write answered 2xx is in the final table (or removed by a later DELETE)
 *   records       every 202 ends `applied` or `rejected` with its outcome (GET /v1/requests/{id}); none
 *                 stuck or lost, no rejection for a transient cause, the dead-letter queues empty, no poison
 *   exactly-once  markers appear once; every item is explained by its writes applied at most once each
 *   table         the final tables equal a fault-free replay of the accepted requests (model.ts)
 *   not-stored    requests answered "nothing was written" (503) or refused are not in the tables
 *   unanswered    requests without an answer (kill -9, timeouts) were applied at most once
 *   answers       2xx bodies, ETags and recorded outcomes show the item as the replay computes it
 *   idempotency   a retry with the same Idempotency-Key answers like the first call, and writes nothing
 */
import type { CloudAdmin, CloudNames, QueueState, StoredItem } from './admin';
import { KEY_ATTRIBUTE, RESOURCES, ResourceName } from './bodies';
import { signRequest } from '../auth/sign-request';
import { HttpClient } from './http';
import { ItemExplanation, RequestRecord, Verdict, explainItem, isNothingWritten, markerOf, sameJson, verdictOf } from './model';
import { isFinal, mapLimit, queuedLocations, refreshRecords } from './records';
import { Rng, sample } from './rng';
import type { Attempt, Item, Write } from './workload';

export interface Failure {
  /** What kind of failure, e.g. 'applied-although-rejected' (stable names, see each check). */
  kind: string;
  detail: string;
}

export interface Check {
  name: string;
  pass: boolean;
  summary: string;
  failures: Failure[];
  /** The first failures, as text. */
  details: string[];
}

export interface VerifyInput {
  admin: CloudAdmin;
  http: HttpClient;
  names: CloudNames;
  items: Item[];
  writes: Write[];
  records: Map<string, RequestRecord>;
  queuesAtEnd: QueueState[];
  /** Poison messages reported by the redrive (its log and the run's invocations). */
  poison: number;
  /** The highest receive count of a message the redrive replayed. */
  maxReceiveCount: number;
  seed: number;
  idempotencySample: number;
  log: (line: string) => void;
}

export interface VerifyResult {
  checks: Check[];
  verdicts: Map<Write, Verdict>;
  tables: Record<ResourceName, Map<string, StoredItem>>;
  figures: {
    items: number;
    storedItems: number;
    fates: Record<string, number>;
    recordStatus: Record<string, number>;
    recordOutcomes: Record<string, number>;
    recordReasons: Record<string, number>;
    maxRecordAttempts: number;
    unknownWrites: number;
    unknownApplied: number;
    unknownNotApplied: number;
    idempotency: { sampled: number; sameAsFirst: number; finalOutcome: number; bodyDiffers: number; mismatched: number };
  };
}

const EXAMPLES = 10;

function add(map: Record<string, number>, key: string, n = 1): void {
  map[key] = (map[key] ?? 0) + n;
}

function check(name: string, summary: string, failures: Failure[]): Check {
  return { name, pass: failures.length === 0, summary, failures, details: failures.slice(0, EXAMPLES).map((f) => `[${f.kind}] ${f.detail}`) };
}

function kinds(failures: Failure[]): string {
  const counts: Record<string, number> = {};
  for (const f of failures) add(counts, f.kind);
  return Object.entries(counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

export async function readTables(admin: CloudAdmin, names: CloudNames): Promise<Record<ResourceName, Map<string, StoredItem>>> {
  const out = {} as Record<ResourceName, Map<string, StoredItem>>;
  for (const r of RESOURCES) out[r] = new Map((await admin.storedItems(names.tables[r], KEY_ATTRIBUTE[r])).map((s) => [s.id, s]));
  return out;
}

function describeWrites(item: Item, verdicts: ReadonlyMap<Write, Verdict>): string {
  return item.writes.map((w) => `${w.method}:${verdicts.get(w)!.fate}(${verdicts.get(w)!.why})`).join(' ');
}

export async function verify(input: VerifyInput): Promise<VerifyResult> {
  const { admin, items, writes, records, log } = input;
  const locations = queuedLocations(writes);
  log(`verify: ${locations.length} request records, ${items.length} items`);
  await refreshRecords(admin, locations, records);
  const tables = await readTables(admin, input.names);
  const verdicts = new Map(writes.map((w) => [w, verdictOf(w, records)] as const));
  const checks: Check[] = [];

  // ---- which stored item belongs to which item (markers) ----
  const byMarker = new Map(writes.map((w) => [w.marker, w] as const));
  const ids = new Map<Item, string>();
  for (const item of items) if (item.id) ids.set(item, item.id);
  const markerSeen = new Map<string, number>();
  const unexpected: Failure[] = [];
  const misplaced: Failure[] = [];
  const claimed = new Set<StoredItem>();
  // Items stored under the id of a keyless POST answered "nothing was written": counted by not-stored only.
  const storedAfter503 = new Set<string>();
  for (const w of writes) {
    if (w.method !== 'POST' || w.key) continue;
    for (const a of w.attempts) if (isNothingWritten(a) && a.requestId && tables[w.item.resource].has(a.requestId)) storedAfter503.add(`${w.item.resource}/${a.requestId}`);
  }
  for (const r of RESOURCES) {
    for (const stored of tables[r].values()) {
      if (storedAfter503.has(`${r}/${stored.id}`)) {
        claimed.add(stored);
        continue;
      }
      const marker = markerOf(r, stored.data);
      if (marker) markerSeen.set(marker, (markerSeen.get(marker) ?? 0) + 1);
      const write = marker ? byMarker.get(marker) : undefined;
      if (!write || write.item.resource !== r) {
        unexpected.push({ kind: 'unexpected-item', detail: `${r}/${stored.id} (marker ${marker ?? 'none'})` });
        claimed.add(stored);
        continue;
      }
      const known = ids.get(write.item);
      if (!known) ids.set(write.item, stored.id); // a keyless POST that was never answered: its id comes from the table
      else if (known !== stored.id) misplaced.push({ kind: 'misplaced', detail: `${r}/${stored.id} carries ${marker} of item ${write.item.ref} (id ${known})` });
    }
  }

  // ---- explain every item ----
  const fates: Record<string, number> = {};
  for (const w of writes) add(fates, `${w.method} ${verdicts.get(w)!.fate}`);
  let unknownWrites = 0;
  let unknownApplied = 0;
  let unknownNotApplied = 0;
  const explanations = new Map<Item, ItemExplanation>();
  const tableFailures: Failure[] = [];
  const notOnce: Failure[] = [];
  const answerFailures: Failure[] = [];
  const unknownTwice: Failure[] = [];
  for (const item of items) {
    const id = ids.get(item);
    const stored = id ? tables[item.resource].get(id) : undefined;
    if (stored) claimed.add(stored);
    const e = explainItem(item, id, verdicts, stored);
    explanations.set(item, e);
    const hasUnknown = item.writes.some((w) => verdicts.get(w)!.fate === 'unknown');
    unknownWrites += item.writes.filter((w) => verdicts.get(w)!.fate === 'unknown').length;
    const where = `${item.resource}/${id ?? '?'} (${item.ref})`;
    if (e.unverifiable) {
      tableFailures.push({ kind: 'unverifiable', detail: `${where}: too many writes of unknown outcome` });
      continue;
    }
    if (e.consistent) {
      unknownApplied += e.unknownApplied;
      unknownNotApplied += e.unknownNotApplied;
      answerFailures.push(...e.answerMismatches.map((m) => ({ kind: 'answer-mismatch', detail: `${item.resource}/${id} ${m}` })));
      continue;
    }
    const text = `${where}: expected ${JSON.stringify(e.expected ?? null)}, stored ${JSON.stringify(e.actual ?? null)}; writes ${describeWrites(item, verdicts)}`;
    if (e.onceInOrder === false) {
      notOnce.push({ kind: 'applied-twice-or-out-of-order', detail: text });
      // With a 202 among the writes, the replays are the suspects (reported under exactly-once); without, the unanswered ones.
      const queued = item.writes.some((w) => w.attempts.some((a) => a.status === 202));
      if (hasUnknown && !queued) unknownTwice.push({ kind: 'unknown-applied-twice', detail: text });
    }
    if (e.explainedBy?.length) tableFailures.push(...e.explainedBy.map((x) => ({ kind: 'applied-although-rejected', detail: `${x} — ${text}` })));
    else tableFailures.push({ kind: e.onceInOrder === false ? 'applied-twice-or-out-of-order' : 'differs', detail: text });
  }
  for (const r of RESOURCES) {
    for (const stored of tables[r].values()) if (!claimed.has(stored)) unexpected.push({ kind: 'unexpected-item', detail: `${r}/${stored.id}: no item of the workload has this id` });
  }

  // ---- stored: 2xx answers ----
  {
    let ok = 0;
    const failures: Failure[] = [];
    for (const w of writes) {
      const answered = w.attempts.find((a) => a.status !== undefined && a.status >= 200 && a.status < 300 && a.status !== 202);
      if (!answered) continue;
      const id = ids.get(w.item);
      const stored = id ? tables[w.item.resource].get(id) : undefined;
      if (w.method === 'DELETE') {
        if (stored) failures.push({ kind: 'deleted-item-back', detail: `${w.item.resource}/${id}: DELETE answered 204, the item is stored (version ${stored.version}, ${JSON.stringify(stored.data).slice(0, 200)})` });
        else ok++;
        continue;
      }
      // A later DELETE the API did not refuse outright may have removed it (its own 204 is checked on its own).
      const laterDelete = w.item.writes.slice(w.index + 1).some((x) => x.method === 'DELETE' && verdicts.get(x)!.fate !== 'not-applied');
      const version = Number(String(answered.etag ?? '').replace(/"/g, ''));
      if (laterDelete) ok++;
      else if (!stored) failures.push({ kind: 'missing', detail: `${w.item.resource}/${id}: ${w.method} answered ${answered.status} but the item is missing` });
      else if (Number.isFinite(version) && stored.version < version) failures.push({ kind: 'older-version', detail: `${w.item.resource}/${id}: ${w.method} answered ETag ${answered.etag}, stored version ${stored.version}` });
      else ok++;
    }
    checks.push(check('stored', `${ok} writes answered 2xx are in the final tables (or removed by a later DELETE); ${failures.length} not: ${kinds(failures) || 'none'}`, failures));
  }

  // ---- records: every 202 final ----
  const recordStatus: Record<string, number> = {};
  const recordOutcomes: Record<string, number> = {};
  const recordReasons: Record<string, number> = {};
  let maxRecordAttempts = 0;
  {
    const failures: Failure[] = [];
    for (const location of locations) {
      const r = records.get(location);
      add(recordStatus, r?.status ?? 'no answer');
      if (r?.reason) add(recordReasons, r.reason);
      if (r?.attempts) maxRecordAttempts = Math.max(maxRecordAttempts, r.attempts);
      if (!isFinal(r)) {
        failures.push({ kind: r?.status === 'unknown' || !r ? 'lost' : 'stuck', detail: `${location}: ${r ? `${r.status}${r.reason ? ` (${r.reason})` : ''}, ${r.attempts ?? 0} attempts` : 'no record'}` });
        continue;
      }
      const code = r!.outcome!.statusCode;
      add(recordOutcomes, `${r!.status} ${code}`);
      if (r!.status === 'rejected' && !(code === 404 || code === 409)) failures.push({ kind: 'rejected-for-transient-cause', detail: `${location}: rejected with ${code}` });
    }
    const dlqs = new Set(Object.values(input.names.queues));
    const depth = input.queuesAtEnd.filter((q) => dlqs.has(q.name)).reduce((n, q) => n + q.visible + q.inFlight + q.delayed, 0);
    if (depth > 0) failures.push({ kind: 'dlq-not-empty', detail: `${depth} messages left in the dead-letter queues` });
    if (input.poison > 0) failures.push({ kind: 'poison', detail: `${input.poison} messages reported poison by the redrive` });
    const rejections = Object.entries(recordOutcomes).filter(([k]) => k.startsWith('rejected')).map(([k, n]) => `${n} ${k.slice('rejected '.length)}`).join(', ');
    checks.push(
      check(
        'records',
        `${locations.length} requests answered 202: ${recordStatus.applied ?? 0} applied, ${recordStatus.rejected ?? 0} rejected (${rejections || 'none'}), ${locations.filter((l) => !isFinal(records.get(l))).length} not final; ${depth} messages left in the dead-letter queues, ${input.poison} poison; highest receive count of a replayed message ${input.maxReceiveCount}`,
        failures,
      ),
    );
  }

  // ---- exactly once ----
  {
    const failures: Failure[] = [...misplaced, ...notOnce];
    for (const [m, n] of markerSeen) if (n > 1) failures.push({ kind: 'duplicate-marker', detail: `marker ${m} in ${n} items` });
    for (const r of RESOURCES) for (const s of tables[r].values()) if (s.version !== s.data.version) failures.push({ kind: 'version-column', detail: `${r}/${s.id}: version ${s.version}, data.version ${String(s.data.version)}` });
    const storedCount = tables.orders.size + tables.customers.size;
    checks.push(
      check(
        'exactly-once',
        `${storedCount} stored items, ${markerSeen.size} markers; ${items.length - notOnce.length}/${items.length} items explained by their writes applied at most once each, in order; failures: ${kinds(failures) || 'none'}`,
        failures,
      ),
    );
  }

  // ---- table = fault-free replay ----
  {
    const failures = [...tableFailures, ...unexpected];
    const differ = items.filter((i) => !explanations.get(i)!.consistent).length;
    checks.push(check('table', `${items.length - differ}/${items.length} items equal the replay of the accepted requests, ${differ} differ; failures: ${kinds(failures) || 'none'}`, failures));
  }

  // ---- not stored: 503 "nothing was written" and refused ----
  {
    let refused = 0;
    let nothingWritten = 0;
    const failures: Failure[] = [];
    for (const w of writes) {
      for (const a of w.attempts) {
        if (a.transport === 'refused') refused++;
        if (!isNothingWritten(a)) continue;
        nothingWritten++;
        // A keyless POST's id is its request id: that item must not exist.
        if (w.method === 'POST' && !w.key && a.requestId && tables[w.item.resource].has(a.requestId)) failures.push({ kind: 'stored-after-503', detail: `${w.item.resource}/${a.requestId}: answered 503 "${a.body?.detail}" but stored` });
      }
    }
    failures.push(...tableFailures.filter((f) => f.kind === 'applied-although-rejected' && /nothing written|refused/.test(f.detail)).map((f) => ({ kind: 'stored-after-503', detail: f.detail })));
    checks.push(check('not-stored', `${nothingWritten} answers 503 "nothing was written" and ${refused} refused connections: ${failures.length} of them stored anyway (their retries count as the write)`, failures));
  }

  // ---- unanswered: at most once ----
  {
    const unanswered = writes.reduce((n, w) => n + w.attempts.filter((a) => a.transport === 'unanswered').length, 0);
    const other5xx = writes.reduce((n, w) => n + w.attempts.filter((a) => a.status !== undefined && a.status >= 500 && !isNothingWritten(a)).length, 0);
    checks.push(
      check(
        'unanswered',
        `${unanswered} requests without an answer and ${other5xx} other 5xx answers; ${unknownWrites} writes of unknown outcome: ${unknownApplied} applied once, ${unknownNotApplied} not applied (in the items the replay explains), ${unknownTwice.length} items with one where no choice applies each write at most once`,
        unknownTwice,
      ),
    );
  }

  // ---- answers ----
  {
    const contradictions = writes
      .filter((w) => verdicts.get(w)!.contradiction)
      .map((w) => ({ kind: 'contradiction', detail: `${w.item.resource} ${w.marker}: ${verdicts.get(w)!.contradiction}` }));
    const failures = [...answerFailures, ...contradictions];
    checks.push(check('answers', `${answerFailures.length} answers or recorded outcomes differ from the item the replay computes right after their write, ${contradictions.length} writes both applied and rejected`, failures));
  }

  // ---- idempotency ----
  const idem = await checkIdempotency(input, tables, records);
  checks.push(idem.check);

  return {
    checks,
    verdicts,
    tables,
    figures: {
      items: items.length,
      storedItems: tables.orders.size + tables.customers.size,
      fates,
      recordStatus,
      recordOutcomes,
      recordReasons,
      maxRecordAttempts,
      unknownWrites,
      unknownApplied,
      unknownNotApplied,
      idempotency: idem.figures,
    },
  };
}

/** The answer a write's client kept: its last attempt with a status (an in-progress 409 is not one). */
function finalAnswer(w: Write): Attempt | undefined {
  const answered = w.attempts.filter((a) => a.status !== undefined && !(a.status === 409 && a.retryAfter !== undefined));
  return answered[answered.length - 1];
}

/**
 * Retries a sample of keyed writes with the same key, method, path and body. Failure kinds:
 *   in-progress-after-finish  409 "still being processed" for a request that was answered long ago
 *   redone                    another answer than the first call's (the write ran again)
 *   changed-table             a retry changed an item
 *   no-answer                 the retry got no answer
 */
async function checkIdempotency(input: VerifyInput, before: Record<ResourceName, Map<string, StoredItem>>, records: Map<string, RequestRecord>) {
  const { admin, http, writes } = input;
  const candidates = writes.filter((w) => {
    const a = finalAnswer(w);
    return w.key && a && a.status! < 500 && (w.method === 'POST' || w.item.id);
  });
  const chosen = sample(new Rng(input.seed ^ 0x1de4), candidates, input.idempotencySample);
  const figures = { sampled: chosen.length, sameAsFirst: 0, finalOutcome: 0, bodyDiffers: 0, mismatched: 0 };
  const failures: Failure[] = [];
  input.log(`verify: retrying ${chosen.length} requests with their Idempotency-Key`);
  await mapLimit(chosen, 16, async (w) => {
    const first = finalAnswer(w)!;
    const path = w.method === 'POST' ? `/${w.item.resource}` : `/${w.item.resource}/${encodeURIComponent(w.item.id!)}`;
    let status: number | undefined;
    let headers: Record<string, string> = {};
    let text = '';
    try {
      const url = admin.apiUrl + path;
      const body = w.body ? JSON.stringify(w.body) : undefined;
      const signed = await signRequest({ method: w.method, url, headers: { 'idempotency-key': w.key!, ...(w.body ? { 'content-type': 'application/json' } : {}) }, body });
      ({ status, headers, text } = await http.request({ method: w.method, url, headers: signed, body }));
    } catch (error) {
      failures.push({ kind: 'no-answer', detail: `${w.method} ${w.marker}: ${(error as Error).message}` });
      figures.mismatched++;
      return;
    }
    const same = (s: number | undefined, location: string | undefined, etag: string | undefined) => s === status && (location ?? '') === (headers['location'] ?? '') && (etag ?? '') === (headers['etag'] ?? '');
    if (same(first.status, first.location, first.etag)) {
      figures.sameAsFirst++;
      if (first.status !== 202 && text && first.body !== undefined && !sameJson(safeJson(text), first.body)) figures.bodyDiffers++;
      return;
    }
    // A 202 whose request has ended: the retry answers the recorded outcome.
    const record = first.status === 202 && first.location ? records.get(first.location) : undefined;
    if (record?.outcome && same(record.outcome.statusCode, record.outcome.headers?.Location, record.outcome.headers?.ETag)) {
      figures.finalOutcome++;
      return;
    }
    figures.mismatched++;
    const detail = `${w.method} ${w.item.resource} ${w.marker}: first ${first.status} ${first.location ?? ''} ${first.etag ?? ''}${record?.outcome ? ` (recorded outcome ${record.outcome.statusCode} ${record.outcome.headers?.ETag ?? ''})` : ''}, retry ${status} ${headers['location'] ?? ''} ${headers['etag'] ?? ''} ${text.slice(0, 160)}`;
    const inProgress = status === 409 && headers['retry-after'] !== undefined && /still being processed/.test(text);
    failures.push({ kind: inProgress ? 'in-progress-after-finish' : 'redone', detail });
  });
  // The retries must not have written anything.
  const after = await readTables(admin, input.names);
  for (const r of RESOURCES) {
    for (const [id, s] of after[r]) {
      const b = before[r].get(id);
      if (!b) failures.push({ kind: 'changed-table', detail: `${r}/${id} appeared` });
      else if (b.version !== s.version || !sameJson(b.data, s.data)) failures.push({ kind: 'changed-table', detail: `${r}/${id}: version ${b.version} → ${s.version}` });
    }
    for (const id of before[r].keys()) if (!after[r].has(id)) failures.push({ kind: 'changed-table', detail: `${r}/${id} disappeared` });
  }
  const summary = `${figures.sampled} writes retried with their Idempotency-Key: ${figures.sameAsFirst} answered as the first call (${figures.bodyDiffers} with another body), ${figures.finalOutcome} first answered 202 now answer the recorded outcome, ${figures.mismatched} differ; failures: ${kinds(failures) || 'none'}`;
  return { check: check('idempotency', summary, failures), figures };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
