/**
 * JSONPath over the Java model, with Jayway JsonPath's result shapes (what API Gateway uses):
 * a definite path (no wildcard, deep scan, filter, union or slice) yields the one value or null
 * when it does not exist; an indefinite path yields a JSONArray of the matches (possibly empty).
 * Paths not starting with `$` get `$.` prepended, as Jayway does.
 *
 * Matching is done by jsonpath-plus on a plain-JS mirror of the document; the matched locations
 * are then read from the Java model, so the values keep their Java types (Double vs Integer, map
 * order).
 */
import { JSONPath } from 'jsonpath-plus';
import { JavaList, JavaMap, JsonArray, toJs } from './java-values';

export class JsonPathError extends Error {
  constructor(message: string, readonly path: string) {
    super(`${message}: ${path}`);
    this.name = 'JsonPathError';
  }
}

export function normalizeJsonPath(path: string): string {
  const trimmed = path.trim();
  if (trimmed.startsWith('$')) return trimmed;
  if (trimmed.startsWith('[')) return `$${trimmed}`;
  return `$.${trimmed}`;
}

/** Jayway's Path.isDefinite(): no `..`, `*`, filter, union (`,`) or slice (`:`) outside quotes. */
export function isDefinitePath(path: string): boolean {
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < path.length; i++) {
    const c = path[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '[') depth++;
    else if (c === ']') depth--;
    else if (c === '*' || c === '?') return false;
    else if (c === '.' && path[i + 1] === '.') return false;
    else if (depth > 0 && (c === ',' || c === ':')) return false;
  }
  return true;
}

const SIMPLE_PATH = /^\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
/** Names the plain-JS mirror (toJs) cannot hold as ordinary own properties: left to jsonpath-plus. */
const UNSAFE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function step(node: unknown, key: string): { ok: boolean; value?: unknown } {
  if (node instanceof JavaMap) return node.has(key) ? { ok: true, value: node.get(key) } : { ok: false };
  if (node instanceof JavaList && /^\d+$/.test(key)) {
    const i = Number(key);
    return i < node.items.length ? { ok: true, value: node.items[i] } : { ok: false };
  }
  return { ok: false };
}

/**
 * Evaluates `path` against `root` (a Java-model document).
 * @returns `{ value }`, where value is null for a definite path that does not exist.
 */
export function evaluateJsonPath(root: unknown, path: string): { value: unknown; found: boolean } {
  const normalized = normalizeJsonPath(path);
  if (normalized === '$') return { value: root, found: true };
  if (SIMPLE_PATH.test(normalized)) {
    // `$.a.b` with plain names: what jsonpath-plus matches on the mirror is exactly a walk through map keys
    // (a list has no such property but `length`, which step() refuses like the walk below).
    const keys = normalized.slice(2).split('.');
    if (!keys.some((k) => UNSAFE_KEYS.has(k))) {
      let node: unknown = root;
      for (const key of keys) {
        const r = step(node, key);
        if (!r.ok) return { value: null, found: false };
        node = r.value;
      }
      return { value: node, found: true };
    }
  }
  const definite = isDefinitePath(normalized);
  let paths: string[];
  try {
    paths = JSONPath({ path: normalized, json: toJs(root) as object, resultType: 'path', wrap: true, eval: 'safe' }) as string[];
  } catch (e) {
    throw new JsonPathError(`Invalid JSONPath (${(e as Error).message})`, path);
  }
  const values: unknown[] = [];
  for (const p of paths ?? []) {
    const keys = JSONPath.toPathArray(p).slice(1);
    let node: unknown = root;
    let ok = true;
    for (const key of keys) {
      const r = step(node, String(key));
      if (!r.ok) {
        ok = false;
        break;
      }
      node = r.value;
    }
    if (ok) values.push(node);
  }
  if (definite) return values.length > 0 ? { value: values[0], found: true } : { value: null, found: false };
  return { value: new JsonArray(values), found: true };
}
