/**
 * The chaos workload: `concurrency` logical clients writing to both resources, every request and its
 * answer recorded, designed so that the correct final table can be computed afterwards.
 *
 * - Each item belongs to one client, which issues the item's writes one after another: a POST (most with
 *   a unique Idempotency-Key, some without), then 0–4 PUT/PATCH (half with a key), sometimes a DELETE.
 *   No If-Match, so a write's fate depends only on the writes before it (docs/idempotency.md: a replay that
 *   finds a later write is Superseded).
 * - Every write carries a unique marker (bodies.ts), and every attempt is recorded: status, Location,
 *   ETag, X-Request-Id, body, or the transport failure (refused / unanswered).
 * - Retries: a refused request waits for the cloud and is sent again (it never arrived). A keyed write is
 *   retried with the same key after an unanswered request or a 5xx, and after 409 + Retry-After (its key
 *   is "in progress"). A keyless write is retried (as a new request) only after 503 "nothing was written";
 *   after any other failure its outcome stays unknown and the client moves on.
 * - Admission: a ticket per write, released by the scenario phase by phase (`release`); requests can be
 *   held (`gate.pause`) and wait while the cloud is down (`gate.setUp(false)`).
 */
import { createHash } from 'node:crypto';
import { signRequest } from '../auth/sign-request';
import { Body, KEY_ATTRIBUTE, RESOURCES, ResourceName, WriteMethod, bodyFor } from './bodies';
import { HttpClient, TransportError, sleep } from './http';
import { Rng } from './rng';

export interface Attempt {
  /** Global send order. */
  seq: number;
  /** Wall-clock ms when sent. */
  sentAt: number;
  ms: number;
  /** The scenario phase when it was sent. */
  phase: string;
  /** Which start of the cloud (1 = first) it was sent to. */
  cloudStart: number;
  transport?: 'refused' | 'unanswered';
  error?: string;
  status?: number;
  location?: string;
  etag?: string;
  retryAfter?: string;
  requestId?: string;
  /** The parsed answer body (JSON), when there is one. */
  body?: any;
}

export interface Write {
  /** Global write number (its ticket). */
  n: number;
  item: Item;
  /** Position in the item's writes. */
  index: number;
  method: WriteMethod;
  key?: string;
  marker: string;
  body?: Body;
  attempts: Attempt[];
}

export interface Item {
  /** c<client>.i<n> */
  ref: string;
  client: number;
  resource: ResourceName;
  /** Known once the POST was answered (or computed from its Idempotency-Key). */
  id?: string;
  writes: Write[];
}

/** The caller the chaos client signs in as: the local cloud's default credentials (docs/auth.md). */
export const CHAOS_CALLER = 'arn:aws:iam::000000000000:user/local';

/** The id a POST gets from its Idempotency-Key: SHA-256 of `<caller> <key>`, first 32 hex characters (docs/idempotency.md). */
export function idFromKey(key: string): string {
  return createHash('sha256').update(`${CHAOS_CALLER} ${key}`, 'utf8').digest('hex').slice(0, 32);
}

export const NOTHING_WRITTEN = /nothing was written/i;

/** Holds requests while the scenario needs quiet, or while the cloud is down. */
export class Gate {
  /** Holders of a pause (several quiet steps may overlap). */
  private paused = 0;
  private up = true;
  private aborted = false;
  private waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];
  inFlight = 0;

  get isUp(): boolean {
    return this.up;
  }

  pause(): void {
    this.paused++;
  }

  resume(): void {
    this.paused = Math.max(0, this.paused - 1);
    this.wake();
  }

  setUp(up: boolean): void {
    this.up = up;
    this.wake();
  }

  abort(): void {
    this.aborted = true;
    this.wake();
  }

  get isAborted(): boolean {
    return this.aborted;
  }

  /** Resolves when a request may be sent; false once aborted. */
  async admit(): Promise<boolean> {
    while (!this.aborted && (this.paused > 0 || !this.up)) await new Promise<void>((r) => this.waiters.push(r));
    return !this.aborted;
  }

  begin(): void {
    this.inFlight++;
  }

  end(): void {
    this.inFlight--;
    if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once no request is in flight (or after `timeoutMs`). */
  async idle(timeoutMs: number): Promise<boolean> {
    if (this.inFlight === 0) return true;
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

export interface WorkloadOptions {
  http: HttpClient;
  /** The API stage URL (changes if the cloud restarts on other ports). */
  apiUrl: () => string;
  /** Which start of the cloud is serving. */
  cloudStart: () => number;
  phase: () => string;
  gate: Gate;
  writes: number;
  concurrency: number;
  seed: number;
  /** Share of POSTs with an Idempotency-Key (default 0.8). */
  keyedPostShare?: number;
  /** Share of PUT/PATCH/DELETE with an Idempotency-Key (default 0.5). */
  keyedUpdateShare?: number;
  /** Longest a write keeps retrying (default 60 s). */
  maxWriteMs?: number;
}

export interface WorkloadStats {
  issued: number;
  completed: number;
  attempts: number;
  inFlight: number;
  byStatus: Record<string, number>;
}

/** How long a write retries a key that is "in progress" at most: the claim of an abandoned attempt lasts 30 s. */
const IN_PROGRESS_PATIENCE_MS = 45_000;

export class Workload {
  readonly items: Item[] = [];
  readonly writes: Write[] = [];
  private released = 0;
  private issued = 0;
  private completed = 0;
  private seq = 0;
  private attemptCount = 0;
  private readonly byStatus: Record<string, number> = {};
  private waiters: (() => void)[] = [];
  private readonly keyedPostShare: number;
  private readonly keyedUpdateShare: number;
  private readonly maxWriteMs: number;

  constructor(private readonly options: WorkloadOptions) {
    this.keyedPostShare = options.keyedPostShare ?? 0.8;
    this.keyedUpdateShare = options.keyedUpdateShare ?? 0.5;
    this.maxWriteMs = options.maxWriteMs ?? 60_000;
  }

  get total(): number {
    return this.options.writes;
  }

  stats(): WorkloadStats {
    return { issued: this.issued, completed: this.completed, attempts: this.attemptCount, inFlight: this.options.gate.inFlight, byStatus: { ...this.byStatus } };
  }

  /** Lets writes up to number `upTo` (exclusive count) start. */
  release(upTo: number): void {
    this.released = Math.min(this.options.writes, Math.max(this.released, Math.round(upTo)));
    this.notify();
  }

  /** Resolves once `n` writes were issued (tickets taken), or the workload ended; false after `timeoutMs`. */
  async waitIssued(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.issued < Math.min(n, this.options.writes) && !this.options.gate.isAborted) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Resolves once `n` writes are done (answered, retried or given up), or the workload ended; false after `timeoutMs`. */
  async waitCompleted(n: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.completed < Math.min(n, this.issued) && !this.options.gate.isAborted) {
      if (Date.now() > deadline) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** Runs every client until all writes are done (or the gate is aborted). */
  async run(): Promise<void> {
    await Promise.all(Array.from({ length: this.options.concurrency }, (_, c) => this.client(c)));
  }

  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** The next write number, once released; undefined when every write is issued. */
  private async ticket(): Promise<number | undefined> {
    for (;;) {
      if (this.options.gate.isAborted || this.issued >= this.options.writes) return undefined;
      if (this.issued < this.released) {
        this.issued++;
        this.notify();
        return this.issued;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private async client(c: number): Promise<void> {
    const rng = Rng.derive(this.options.seed, c);
    for (let i = 0; ; i++) {
      const resource = rng.pick(RESOURCES);
      const item: Item = { ref: `c${c}.i${i}`, client: c, resource, writes: [] };
      const updates = rng.int(0, 4);
      const plan: WriteMethod[] = ['POST', ...Array.from({ length: updates }, (): WriteMethod => (rng.chance(0.55) ? 'PATCH' : 'PUT'))];
      if (rng.chance(0.25)) plan.push('DELETE');
      // Drawn before any request, so the workload does not depend on the answers.
      const steps = plan.map((method, k) => {
        const keyed = rng.chance(method === 'POST' ? this.keyedPostShare : this.keyedUpdateShare);
        const marker = `s${this.options.seed}-c${c}-i${i}-w${k}`;
        return { method, keyed, marker, body: bodyFor(resource, method, marker, rng) };
      });
      for (let k = 0; k < steps.length; k++) {
        const { method, keyed, marker, body } = steps[k];
        if (k > 0 && !this.mayFollowUp(item)) break;
        const n = await this.ticket();
        if (n === undefined) return;
        if (k === 0) this.items.push(item);
        const write: Write = { n, item, index: k, method, marker, body, attempts: [], ...(keyed ? { key: `chaos-${marker}` } : {}) };
        if (method === 'POST' && write.key) item.id = idFromKey(write.key);
        item.writes.push(write);
        this.writes.push(write);
        await this.perform(write);
        this.completed++;
        this.notify();
      }
    }
  }

  /** Follow-ups need the item's id and a POST that was not refused for good. */
  private mayFollowUp(item: Item): boolean {
    if (!item.id) return false;
    const post = item.writes[0];
    const last = post.attempts[post.attempts.length - 1];
    if (!last) return false;
    if (last.status !== undefined && last.status >= 400 && last.status < 500) return false;
    if (last.status === 503 && NOTHING_WRITTEN.test(String(last.body?.detail ?? ''))) return false;
    return true;
  }

  private async perform(write: Write): Promise<void> {
    const started = Date.now();
    let inProgressSince: number | undefined;
    for (let i = 0; i < 60; i++) {
      if (!(await this.options.gate.admit())) return;
      const attempt = await this.send(write);
      write.attempts.push(attempt);
      if (write.method === 'POST' && !write.key && attempt.requestId && attempt.status !== undefined && attempt.status < 500) {
        write.item.id = attempt.status === 201 && attempt.location ? decodeURIComponent(attempt.location.split('/').pop()!) : attempt.requestId;
      }
      const next = this.nextStep(write, attempt);
      if (next === 'done') return;
      if (next === 'in-progress') {
        inProgressSince ??= Date.now();
        if (Date.now() - inProgressSince > IN_PROGRESS_PATIENCE_MS) return;
        await sleep(1000);
        continue;
      }
      inProgressSince = undefined;
      if (Date.now() - started > this.maxWriteMs) return;
      await sleep(next);
    }
  }

  /** 'done', 'in-progress' (409 + Retry-After on the key), or the delay before the next attempt. */
  private nextStep(write: Write, a: Attempt): 'done' | 'in-progress' | number {
    if (a.transport === 'refused') return 250; // never arrived: send again once the cloud is up
    if (a.transport === 'unanswered') return write.key ? 500 : 'done';
    const status = a.status!;
    if (status < 300) return 'done';
    if (status === 409 && a.retryAfter !== undefined && write.key) return 'in-progress';
    if (status === 503 && NOTHING_WRITTEN.test(String(a.body?.detail ?? ''))) return 1000;
    if (status >= 500) return write.key ? 1000 : 'done';
    return 'done';
  }

  private async send(write: Write): Promise<Attempt> {
    const { resource } = write.item;
    const path = write.method === 'POST' ? `/${resource}` : `/${resource}/${encodeURIComponent(write.item.id!)}`;
    const headers: Record<string, string> = {};
    if (write.body !== undefined) headers['content-type'] = 'application/json';
    if (write.key) headers['idempotency-key'] = write.key;
    const attempt: Attempt = { seq: ++this.seq, sentAt: Date.now(), ms: 0, phase: this.options.phase(), cloudStart: this.options.cloudStart() };
    this.attemptCount++;
    const gate = this.options.gate;
    gate.begin();
    const t0 = performance.now();
    try {
      const url = this.options.apiUrl() + path;
      const body = write.body === undefined ? undefined : JSON.stringify(write.body);
      // SigV4 with the local credentials, signed as it is sent (a retry is signed again).
      const signed = await signRequest({ method: write.method, url, headers, body });
      const answer = await this.options.http.request({ method: write.method, url, headers: signed, body, timeoutMs: 60_000 });
      attempt.status = answer.status;
      attempt.location = answer.headers['location'];
      attempt.etag = answer.headers['etag'];
      attempt.retryAfter = answer.headers['retry-after'];
      attempt.requestId = answer.headers['x-request-id'];
      if (answer.text) {
        try {
          attempt.body = JSON.parse(answer.text);
        } catch {
          attempt.body = { text: answer.text.slice(0, 500) };
        }
      }
      this.byStatus[String(answer.status)] = (this.byStatus[String(answer.status)] ?? 0) + 1;
    } catch (error) {
      const kind = error instanceof TransportError ? error.kind : 'unanswered';
      attempt.transport = kind;
      attempt.error = (error as Error).message;
      this.byStatus[kind] = (this.byStatus[kind] ?? 0) + 1;
    } finally {
      attempt.ms = performance.now() - t0;
      gate.end();
    }
    return attempt;
  }
}

/** The key attribute of an item's resource. */
export function keyOf(item: Item): string {
  return KEY_ATTRIBUTE[item.resource];
}
