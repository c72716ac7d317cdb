/**
 * JSONPath as Step Functions uses it (Jayway semantics), compiled once.
 * Definite paths ($.a.b[0]['c']) are evaluated by a tiny hand-written walker (the hot path);
 * indefinite ones (wildcards, filters, slices, unions, deep scan) go to jsonpath-plus and always
 * yield an array, as Jayway does.
 * https://docs.aws.amazon.com/step-functions/latest/dg/amazon-states-language-paths.html
 */
import { JSONPath } from 'jsonpath-plus';
import { ResultPathMatchFailureError } from './errors';

export type Segment = string | number;

export interface CompiledPath {
  readonly source: string;
  /** True when the path names exactly one node (no wildcard/filter/slice/union/deep scan). */
  readonly definite: boolean;
  /** Segments of a definite path ([] for '$'). */
  readonly segments: Segment[];
  /** Ends with Jayway's `.length()` function. */
  readonly length: boolean;
  /** Reads the path; `found` is false when a definite path does not exist. */
  read(root: unknown): { found: boolean; value: unknown };
}

const NOT_FOUND = { found: false, value: undefined } as const;

/** Parses `$...` into segments; returns null when the path is not definite. Throws on syntax errors. */
export function parseDefinite(path: string): { segments: Segment[]; length: boolean } | null {
  if (!path.startsWith('$')) throw new Error(`path must start with '$': ${path}`);
  const segments: Segment[] = [];
  let i = 1;
  let length = false;
  const n = path.length;
  while (i < n) {
    const c = path[i];
    if (c === '.') {
      if (path[i + 1] === '.') return null; // deep scan
      i++;
      let j = i;
      while (j < n && path[j] !== '.' && path[j] !== '[') j++;
      const name = path.slice(i, j);
      if (name === '') throw new Error(`empty property name in ${path}`);
      if (name === '*') return null;
      if (name === 'length()' && j === n) {
        length = true;
      } else {
        if (/[()?@]/.test(name)) return null;
        segments.push(name);
      }
      i = j;
    } else if (c === '[') {
      const close = findClose(path, i);
      if (close < 0) throw new Error(`unclosed '[' in ${path}`);
      const inner = path.slice(i + 1, close).trim();
      i = close + 1;
      if (/^-?\d+$/.test(inner)) {
        segments.push(Number(inner));
      } else if (/^'(?:[^'\\]|\\.)*'$/.test(inner) || /^"(?:[^"\\]|\\.)*"$/.test(inner)) {
        // single name; a union ('a','b') fails the regex above
        segments.push(inner.slice(1, -1).replace(/\\(.)/g, '$1'));
      } else {
        return null; // *, filter, slice, union
      }
    } else {
      throw new Error(`unexpected '${c}' at ${i} in ${path}`);
    }
  }
  return { segments, length };
}

function findClose(path: string, open: number): number {
  let quote: string | null = null;
  let depth = 0;
  for (let k = open; k < path.length; k++) {
    const ch = path[k];
    if (quote) {
      if (ch === '\\') k++;
      else if (ch === quote) quote = null;
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === '[') depth++;
    else if (ch === ']') {
      depth--;
      if (depth === 0) return k;
    }
  }
  return -1;
}

function readSegments(root: unknown, segments: Segment[]): { found: boolean; value: unknown } {
  let cur: unknown = root;
  for (let k = 0; k < segments.length; k++) {
    const s = segments[k];
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return NOT_FOUND;
      const idx = s < 0 ? cur.length + s : s;
      if (idx < 0 || idx >= cur.length) return NOT_FOUND;
      cur = cur[idx];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return NOT_FOUND;
      if (!Object.prototype.hasOwnProperty.call(cur, s)) return NOT_FOUND;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return { found: true, value: cur };
}

const cache = new Map<string, CompiledPath>();

/** Compiles a JSONPath (must start with '$'). Cached: compiling the same text twice is free. */
export function compilePath(source: string): CompiledPath {
  const hit = cache.get(source);
  if (hit) return hit;
  const parsed = parseDefinite(source);
  let compiled: CompiledPath;
  if (parsed) {
    const { segments, length } = parsed;
    compiled = {
      source,
      definite: true,
      segments,
      length,
      read: length
        ? (root) => {
            const r = readSegments(root, segments);
            if (!r.found) return r;
            if (Array.isArray(r.value)) return { found: true, value: r.value.length };
            if (typeof r.value === 'string') return { found: true, value: r.value.length };
            return NOT_FOUND;
          }
        : segments.length === 0
          ? (root) => ({ found: true, value: root })
          : (root) => readSegments(root, segments),
    };
  } else {
    compiled = {
      source,
      definite: false,
      segments: [],
      length: false,
      read: (root) => {
        if (root === null || typeof root !== 'object') return { found: true, value: [] };
        const value = JSONPath({ path: source, json: root as object, wrap: true, eval: 'safe' }) as unknown[];
        return { found: true, value: value ?? [] };
      },
    };
  }
  cache.set(source, compiled);
  return compiled;
}

/** Checks JSONPath syntax (for validation). Returns an error message or null. */
export function checkPathSyntax(source: string): string | null {
  try {
    const parsed = parseDefinite(source);
    if (!parsed) {
      JSONPath({ path: source, json: {}, wrap: true, eval: 'safe' });
    }
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A ResultPath: definite reference path; `$` replaces the whole input. */
export interface CompiledResultPath {
  readonly source: string;
  apply(input: unknown, result: unknown): unknown;
}

export function compileResultPath(source: string): CompiledResultPath {
  const parsed = parseDefinite(source);
  if (!parsed || parsed.length) throw new Error(`ResultPath must be a reference path: ${source}`);
  const segs = parsed.segments;
  if (segs.length === 0) return { source, apply: (_input, result) => result };
  return {
    source,
    apply(input, result) {
      return setIn(input, segs, 0, result, source, input);
    },
  };
}

function setIn(node: unknown, segs: Segment[], k: number, value: unknown, source: string, root: unknown): unknown {
  const s = segs[k];
  const last = k === segs.length - 1;
  if (typeof s === 'number') {
    if (!Array.isArray(node)) throw matchFailure(source, root);
    const idx = s < 0 ? node.length + s : s;
    if (idx < 0 || idx >= node.length) throw matchFailure(source, root);
    const copy = node.slice();
    copy[idx] = last ? value : setIn(node[idx] ?? {}, segs, k + 1, value, source, root);
    return copy;
  }
  if (node === null || typeof node !== 'object' || Array.isArray(node)) throw matchFailure(source, root);
  const obj = node as Record<string, unknown>;
  const child = obj[s];
  const next = last
    ? value
    : setIn(child === undefined || child === null ? {} : child, segs, k + 1, value, source, root);
  return { ...obj, [s]: next };
}

function matchFailure(source: string, input: unknown): ResultPathMatchFailureError {
  return new ResultPathMatchFailureError(`Unable to apply ReferencePath ${source} to input ${JSON.stringify(input)}`);
}
