/** Small JSON helpers shared by the engine. */

/** JSON text as Step Functions shows it (compact). `undefined` becomes 'null'. */
export function toJson(value: unknown): string {
  const s = JSON.stringify(value);
  return s === undefined ? 'null' : s;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ka = Object.keys(a as object);
  const kb = Object.keys(b as object);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/** Freezes a constant template subtree so no handler can mutate what every execution shares. */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v as object)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The payload size quota: 256 KiB of data as a UTF-8 encoded string, for a state's input and output, a
 * task's result, the execution's input and output, and the variables one Assign sets.
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html#service-limits-task-executions
 */
export const MAX_PAYLOAD_BYTES = 262144;

/** The total size of all the variables an execution holds at once (workflow-variables docs: 10 MiB). */
export const MAX_VARIABLES_BYTES = 10 * 1024 * 1024;

/**
 * Whether the UTF-8 encoding of `s` is over `limit` bytes (not characters: 90,000 CJK characters are 270,000
 * bytes). A JS string's UTF-8 size is at most 3 × its length (a surrogate pair: 2 units, 4 bytes), so the byte
 * count is only made when the string could be over: the hot path pays one comparison.
 */
export function exceedsBytes(s: string, limit: number): boolean {
  if (s.length * 3 <= limit) return false;
  if (s.length > limit) return true;
  return Buffer.byteLength(s, 'utf8') > limit;
}

/** UTF-8 byte length; the length itself for short strings of one-byte characters (no native call). */
export function utf8Bytes(s: string): number {
  const n = s.length;
  if (n <= 64) {
    let i = 0;
    while (i < n && s.charCodeAt(i) < 0x80) i++;
    if (i === n) return n;
  }
  return Buffer.byteLength(s, 'utf8');
}
