/**
 * JSONPath payload templates (Parameters, ResultSelector, ItemSelector, Assign), compiled once:
 * a field ending in `.$` takes a path (`$.x`), a context path (`$$.x`), a variable (`$x`) or an
 * intrinsic function (`States.Format(...)`); everything else is a constant.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-inputpath-params.html
 */
import { RuntimeError } from './errors';
import { compileIntrinsic, looksLikeIntrinsic } from './intrinsics';
import { deepFreeze, isPlainObject, toJson } from './json';
import { compileRef, type EvalEnv } from './refs';

export type Evaluator = (env: EvalEnv) => unknown;

/** Compiles a `.$` value: path, context path, variable or intrinsic. `field` is the key with its `.$`. */
export function compileDynamic(value: string, field: string): Evaluator {
  if (looksLikeIntrinsic(value)) {
    const fn = compileIntrinsic(value.trim());
    return (env) => fn.evaluate(env, field);
  }
  const ref = compileRef(value);
  return (env) => {
    // Recorded on AWS: a `.$` path over a null input (e.g. after OutputPath selected a null Payload).
    if (ref.kind === 'input' && env.input === null) throw new RuntimeError('Unable to apply Path transformation to null or empty input.');
    const r = ref.read(env);
    if (!r.found) {
      throw new RuntimeError(
        `The JSONPath '${value}' specified for the field '${field}' could not be found in the input '${toJson(ref.kind === 'context' ? env.context() : ref.kind === 'variable' ? env.vars.all() : env.input)}'`,
      );
    }
    return r.value;
  };
}

/** Compiles a payload template. Constant subtrees are returned as-is (frozen, shared). */
export function compileTemplate(template: unknown): Evaluator {
  if (Array.isArray(template)) {
    const items = template.map((t) => compileTemplate(t));
    if (items.every((f) => (f as { constant?: boolean }).constant)) return constant(template);
    return (env) => items.map((f) => f(env));
  }
  if (isPlainObject(template)) {
    const keys = Object.keys(template);
    if (!keys.some((k) => k.endsWith('.$')) && keys.every((k) => (compileTemplate(template[k]) as { constant?: boolean }).constant)) {
      return constant(template);
    }
    // A payload template's fields compile exactly like an Assign's: `name.$` is dynamic, anything else a template.
    const { names, fns } = compileAssign(template);
    const n = names.length;
    return (env) => {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < n; i++) out[names[i]] = fns[i](env);
      return out;
    };
  }
  return constant(template);
}

function constant(v: unknown): Evaluator {
  deepFreeze(v);
  const f = (() => v) as Evaluator & { constant?: boolean };
  f.constant = true;
  return f;
}

/** Compiles a JSONPath-state Assign: variable name → evaluator. */
export function compileAssign(assign: Record<string, unknown>): { names: string[]; fns: Evaluator[] } {
  const names: string[] = [];
  const fns: Evaluator[] = [];
  for (const k of Object.keys(assign)) {
    const v = assign[k];
    if (k.endsWith('.$')) {
      if (typeof v !== 'string') throw new Error(`the value of '${k}' must be a string`);
      names.push(k.slice(0, -2));
      fns.push(compileDynamic(v, k));
    } else {
      names.push(k);
      fns.push(compileTemplate(v));
    }
  }
  return { names, fns };
}
