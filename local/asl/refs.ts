/**
 * References used by JSONPath states: `$...` (state data), `$$...` (context object) and
 * `$name...` (a workflow variable), compiled once into readers.
 */
import { compilePath, type CompiledPath } from './jsonpath';
import type { ContextObject } from './types';
import type { VarScope } from './variables';

/** What a reference reads from. */
export interface EvalEnv {
  /** `$`. */
  input: unknown;
  /** `$$` (built lazily: most states never read it). */
  context(): ContextObject;
  vars: VarScope;
}

export interface Ref {
  readonly source: string;
  readonly kind: 'input' | 'context' | 'variable';
  /** For a reference on the state data (`$...`): its compiled path (for the "Invalid path" causes). */
  readonly path?: CompiledPath;
  read(env: EvalEnv): { found: boolean; value: unknown };
}

const VAR_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

export function isRefString(s: string): boolean {
  return s.startsWith('$');
}

export function compileRef(source: string): Ref {
  if (source.startsWith('$$')) {
    const path = compilePath('$' + source.slice(2));
    return { source, kind: 'context', read: (env) => path.read(env.context()) };
  }
  if (source === '$' || source.startsWith('$.') || source.startsWith('$[')) {
    const path = compilePath(source);
    return { source, kind: 'input', path, read: (env) => path.read(env.input) };
  }
  const m = VAR_RE.exec(source);
  if (!m) throw new Error(`invalid reference: ${source}`);
  const name = m[1];
  const rest = m[2];
  const path: CompiledPath | null = rest ? compilePath('$' + rest) : null;
  return {
    source,
    kind: 'variable',
    read: (env) => {
      const v = env.vars.get(name);
      if (!v.found) return v;
      return path ? path.read(v.value) : v;
    },
  };
}

/** The variable name a `$name...` reference reads, or null. */
export function variableName(source: string): string | null {
  if (source.startsWith('$$') || source === '$' || source.startsWith('$.') || source.startsWith('$[')) return null;
  const m = VAR_RE.exec(source);
  return m ? m[1] : null;
}
