/**
 * velocityjs with Java Velocity 1.7 semantics.
 *
 * Extension points used (velocityjs is not forked):
 * - `customMethodHandlers` (its documented option): every `$x.method(...)` call is answered by
 *   {@link invokeJavaMethod}, which implements the JDK methods on the Java value model.
 * - A subclass of velocityjs's `Compile` overriding the evaluation hooks that velocityjs mixes into
 *   it (getReferences, getAttributes, getLiteral, getExpression, setValue, getBlockIf,
 *   getBlockEach, renderAstList), for the places where JS semantics leak through velocityjs:
 *   - #if truth: only null and false are false (velocityjs: JS truthiness, so "" and 0 are false);
 *   - `==`: Velocity's ASTEQNode rules; `<`/`>` only on numbers; `&&`/`||`/`!` give booleans;
 *   - arithmetic: integer division truncates (`5 / 2` is 2), `/` or `%` by zero and math on
 *     non-numbers give null, `+` with a String operand concatenates;
 *   - `#set($x = <null>)` leaves $x unchanged (directive.set.null.allowed = false);
 *   - output: values print with Java's toString (maps `{a=b}`, lists `[a, b]`, doubles `1.0`);
 *     null/undefined references print as '' (API Gateway) or as their source text (plain Velocity);
 *   - property reads follow Velocity's getter/Map.get rules; `$a[i]` index notation;
 *   - #foreach over a Map iterates its values, `$foreach.*` and `$velocityCount`, and #break
 *     really stops the loop (velocityjs kept rendering the rest of the iteration and leaked the
 *     loop scope after iterating an object);
 *   - parse: `#set` eats the spaces/tabs before it, as Velocity 1.7's lexer does.
 */
import { Compile, Helper, parse } from 'velocityjs';
import { invokeJavaMethod, getJavaIndex, getJavaProperty, setJavaProperty } from './java-methods';
import {
  JavaDouble,
  JavaList,
  JavaMap,
  JavaNumber,
  NO_METHOD,
  compareNumbers,
  isJavaNumber,
  javaToString,
  javaTruthy,
  toNumber,
  velocityEquals,
} from './java-values';
import { ForeachScope } from './variables';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Ast = any;

/** velocityjs methods mixed into Compile.prototype at runtime but absent from its typings. */
interface VelocityMixins {
  getLocal(ast: Ast): { value: unknown; isLocal: boolean };
  getContext(idName: string): Record<string, unknown>;
  getString(literal: Ast): string;
  getPropMethod(property: Ast, baseRef: unknown, ast: Ast): unknown;
  getBlock(block: Ast[]): string;
  getMacro(ast: Ast): string;
}
const mixins = Compile.prototype as unknown as VelocityMixins;

export type NullRendering = 'empty' | 'literal';

const JAVA_METHODS = {
  uid: 'apigateway: java semantics',
  match: () => true,
  resolve: ({ property, context, params }: { property: string; context: unknown; params: unknown[] }) => {
    const result = invokeJavaMethod(context, property, params);
    return result === NO_METHOD ? undefined : result;
  },
};

/**
 * Scope ids of #foreach loops: unique within one rendering (each loop run gets the next one), and the same
 * strings from one rendering to the next (a new string per loop made `this.local[id] = ...` slow).
 */
const FOREACH_IDS: string[] = [];
function foreachId(n: number): string {
  return (FOREACH_IDS[n] ??= `foreach:${n}`);
}

const isNull = (v: unknown) => v === null || v === undefined;
const hasOwn = Object.prototype.hasOwnProperty;

/** Returned by lookupLocal when no foreach/macro scope holds the name. */
const NOT_LOCAL = Symbol('notLocal');

/** velocityjs's prototype guard (prototype-guard.cjs, isEnd = false): such keys never reach a method call. */
function isBlockedPrototypeKey(baseRef: unknown, key: string): boolean {
  if (key === '__proto__') return true;
  if (key === 'prototype' && typeof baseRef === 'function') return true;
  if (key !== 'constructor' && key !== 'prototype') return false;
  return !((typeof baseRef === 'object' || typeof baseRef === 'function') && baseRef !== null && hasOwn.call(baseRef, key));
}

/** Per-AST caches (ASTs are cached per template, so these live as long as the template does). */
const hiddenLiterals = new WeakMap<Ast, Ast>();
const foreachFrom = new WeakMap<Ast, Ast>();
const blockBodies = new WeakMap<Ast[], Ast[]>();
const ifBranches = new WeakMap<Ast[], { condition?: Ast; asts: Ast[] }[]>();

/** A string literal with its lone `\$` hidden (the literal itself when it has none), made once per node. */
function hiddenLiteral(literal: Ast): Ast {
  let hidden = hiddenLiterals.get(literal);
  if (!hidden) {
    const value = String(literal.value);
    const h = hideLoneEscapes(value);
    hidden = h === value && typeof literal.value === 'string' ? literal : { ...literal, value: h };
    hiddenLiterals.set(literal, hidden);
  }
  return hidden;
}

/** `#if/#elseif/#else` split into branches: the condition (none for #else) and what it renders. */
function branchesOf(block: Ast[]): { condition?: Ast; asts: Ast[] }[] {
  let branches = ifBranches.get(block);
  if (!branches) {
    branches = [];
    for (const ast of block) {
      if (ast && (ast.type === 'if' || ast.type === 'elseif')) branches.push({ condition: ast.condition, asts: [] });
      else if (ast && ast.type === 'else') branches.push({ asts: [] });
      else if (branches.length > 0) branches[branches.length - 1].asts.push(ast);
    }
    ifBranches.set(block, branches);
  }
  return branches;
}

/** Velocity 1.7 MathUtils on Integer/Long (number, bigint) and Double. */
function arithmetic(op: string, a: unknown, b: unknown): unknown {
  if (!isJavaNumber(a) || !isJavaNumber(b)) return null;
  if ((op === '/' || op === '%') && toNumber(b) === 0) return null;
  if (a instanceof JavaDouble || b instanceof JavaDouble) {
    const x = toNumber(a);
    const y = toNumber(b);
    switch (op) {
      case '+': return new JavaDouble(x + y);
      case '-': return new JavaDouble(x - y);
      case '*': return new JavaDouble(x * y);
      case '/': return new JavaDouble(x / y);
      default: return new JavaDouble(x % y);
    }
  }
  const asBig = (v: JavaNumber) => BigInt(v as number | bigint);
  const big = (): bigint => {
    const x = asBig(a);
    const y = asBig(b);
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y; // BigInt division truncates toward zero, like Java
      default: return x % y;
    }
  };
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    const r = big();
    return r >= BigInt(Number.MIN_SAFE_INTEGER) && r <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : r;
  }
  const x = a as number;
  const y = b as number;
  let r: number;
  switch (op) {
    case '+': r = x + y; break;
    case '-': r = x - y; break;
    case '*': r = x * y; break;
    case '/': r = Math.trunc(x / y); break;
    default: r = x % y;
  }
  if (Number.isSafeInteger(r)) return Object.is(r, -0) ? 0 : r;
  return big();
}

/** Velocity 1.7's lexer: `(" "|"\t")* "#set"` — the blanks before #set are part of the directive. */
function gobbleBeforeSet(asts: Ast[]): Ast[] {
  for (let i = 0; i < asts.length; i++) {
    const node = asts[i];
    if (Array.isArray(node)) gobbleBeforeSet(node);
    else if (node && typeof node === 'object' && node.type === 'set' && i > 0 && typeof asts[i - 1] === 'string') {
      asts[i - 1] = (asts[i - 1] as string).replace(/[ \t]+$/, '');
    }
  }
  return asts;
}

/**
 * velocityjs drops the backslash of `\$` when no identifier follows (`"\$"` becomes `"$"`); Java
 * Velocity keeps it (there is no reference to escape). The backslash is hidden from velocityjs's
 * lexer behind a private-use character and put back in the parsed text (template text here,
 * string literals in getLiteral).
 */
const LONE_ESCAPED_DOLLAR = /\\\$(?![A-Za-z_{!])/g;
const DOLLAR_SENTINEL = '\uE000';
const hideLoneEscapes = (text: string) => text.replace(LONE_ESCAPED_DOLLAR, DOLLAR_SENTINEL);
const restoreLoneEscapes = (text: string) => (text.includes(DOLLAR_SENTINEL) ? text.split(DOLLAR_SENTINEL).join('\\$') : text);

function restoreInAst(asts: Ast[]): void {
  for (let i = 0; i < asts.length; i++) {
    const node = asts[i];
    if (typeof node === 'string') asts[i] = restoreLoneEscapes(node);
    else if (Array.isArray(node)) restoreInAst(node);
  }
}

const astCache = new Map<string, Ast[]>();

/** Parses (and caches) a template. `#stop` without parentheses becomes velocityjs's `#stop()`. */
export function parseTemplate(template: string): Ast[] {
  let asts = astCache.get(template);
  if (!asts) {
    const source = hideLoneEscapes(template.replace(/#(?:stop|\{stop\})(?![A-Za-z0-9_(-])/g, '#stop()'));
    asts = gobbleBeforeSet(parse(source));
    restoreInAst(asts);
    if (astCache.size > 200) astCache.clear();
    astCache.set(template, asts);
  }
  return asts;
}

/** Interpolated string literals ("$a-$b") are parsed by velocityjs on every evaluation: cache their ASTs. */
const stringAstCache = new Map<string, Ast[]>();

export class JavaVelocity extends Compile {
  /** #foreach runs so far in this rendering (see foreachId). */
  private loopCounter = 0;

  evalStr(str: string): string {
    let asts = stringAstCache.get(str);
    if (!asts) {
      asts = parse(str);
      if (stringAstCache.size > 2000) stringAstCache.clear();
      stringAstCache.set(str, asts);
    }
    return this.renderAstList(asts, this.contextId);
  }

  constructor(
    asts: Ast[],
    private readonly nullRendering: NullRendering = 'empty',
  ) {
    super(asts, { escape: false, customMethodHandlers: [JAVA_METHODS] });
  }

  renderAstList(asts?: Ast[], contextId?: string): string {
    let str = '';
    const list: Ast[] = asts || this.asts;
    if (contextId) {
      if (contextId !== this.contextId && this.conditions.indexOf(contextId) === -1) this.conditions.unshift(contextId);
      this.contextId = contextId;
    } else {
      this.contextId = '';
    }
    for (const ast of list) {
      if (this.runState.stop || this.runState.break) break;
      if (typeof ast === 'string') {
        str += ast;
        continue;
      }
      switch (ast.type) {
        case 'references':
          str += this.getReferences(ast, true);
          break;
        case 'set':
          this.setValue(ast);
          break;
        case 'break':
          this.runState.break = true;
          break;
        case 'macro_call':
          str += javaToStringOrEmpty(mixins.getMacro.call(this, ast));
          break;
        case 'comment':
          break;
        case 'raw':
          str += ast.value;
          break;
        default:
          str += mixins.getBlock.call(this, ast);
      }
    }
    return str;
  }

  /**
   * velocityjs's getLocal without its allocations: the value of `id` in the innermost foreach/macro scope
   * that holds it, or NOT_LOCAL.
   */
  private lookupLocal(id: string): unknown {
    const conditions: string[] = this.conditions;
    const local: Record<string, any> = this.local;
    for (let i = 0; i < conditions.length; i++) {
      const scope = local[conditions[i]];
      if ((typeof scope === 'object' || typeof scope === 'function') && scope !== null && hasOwn.call(scope, id)) return scope[id];
    }
    return NOT_LOCAL;
  }

  /** Value of a reference; with isVal, its rendered text. */
  protected getReferences(ast: Ast, isVal?: boolean): any {
    if (ast.prue && Array.isArray(this.defines[ast.id])) return this.renderAstList(this.defines[ast.id]);
    let ret: unknown = this.lookupLocal(ast.id);
    if (ret === NOT_LOCAL) ret = hasOwn.call(this.context, ast.id) ? this.context[ast.id] : undefined;
    if (ast.args !== undefined) ret = undefined; // `$foo()` is not a Velocity reference
    const path = ast.path;
    if (Array.isArray(path)) {
      for (let i = 0; i < path.length; i++) {
        if (isNull(ret)) {
          ret = undefined;
          break;
        }
        ret = this.getAttributes(path[i], ret, ast);
      }
    }
    if (!isVal) return ret;
    if (isNull(ret)) return ast.leader === '$!' || this.nullRendering === 'empty' ? '' : Helper.getRefText(ast);
    return javaToString(ret);
  }

  getAttributes(property: Ast, baseRef: unknown, ast: Ast): unknown {
    if (isNull(baseRef)) return undefined;
    if (property.type === 'method') return this.getPropMethod(property, baseRef, ast);
    if (property.type === 'property') return getJavaProperty(baseRef, property.id);
    return getJavaIndex(baseRef, this.getLiteral(property.id));
  }

  /**
   * `$x.method(args)`: velocityjs's getPropMethod with its only custom handler (JAVA_METHODS) called
   * directly: a prototype key gives undefined, else the Java method's result (undefined when there is none).
   */
  getPropMethod(property: Ast, baseRef: unknown, _ast?: Ast): unknown {
    const id = property.id as string;
    if (isBlockedPrototypeKey(baseRef, id)) return undefined;
    const argAsts: Ast[] = property.args || [];
    const args = new Array<unknown>(argAsts.length);
    for (let i = 0; i < argAsts.length; i++) args[i] = this.getLiteral(argAsts[i]);
    const result = invokeJavaMethod(baseRef, id, args);
    return result === NO_METHOD ? undefined : result;
  }

  protected getLiteral(literal: Ast): any {
    switch (literal.type) {
      case 'string':
        // (the parse step hid lone `\$`; keep them hidden from the interpolation, then put them back)
        return restoreLoneEscapes(mixins.getString.call(this, hiddenLiteral(literal)));
      case 'integer': {
        const n = Number(literal.value);
        return Number.isSafeInteger(n) ? n : BigInt(String(literal.value));
      }
      case 'decimal':
        return new JavaDouble(Number(literal.value));
      case 'bool':
        return literal.value === 'true' ? true : literal.value === 'false' ? false : null;
      case 'array': {
        if (literal.isRange) {
          const [from, to] = (literal.value as Ast[]).map((v) =>
            typeof v === 'string' || typeof v === 'number' ? Number(v) : this.getLiteral(v),
          );
          // Velocity 1.7 ranges take Integers (or Strings holding them)
          const toInt = (v: unknown) => (isJavaNumber(v) ? Math.trunc(toNumber(v)) : typeof v === 'string' ? parseInt(v, 10) : NaN);
          const begin = toInt(from);
          const end = toInt(to);
          if (Number.isNaN(begin) || Number.isNaN(end)) return null;
          const items: number[] = [];
          if (begin <= end) for (let i = begin; i <= end; i++) items.push(i);
          else for (let i = begin; i >= end; i--) items.push(i);
          return new JavaList(items);
        }
        return new JavaList((literal.value as Ast[]).map((v) => this.getLiteral(v)));
      }
      case 'map': {
        const map = new JavaMap();
        for (const [k, v] of Object.entries(literal.value || {})) map.put(k, this.getLiteral(v) ?? null);
        return map;
      }
      case 'math':
        return this.getExpression(literal);
      default:
        return this.getReferences(literal);
    }
  }

  private literalText(ast: Ast): string {
    return ast && ast.type === 'references' ? Helper.getRefText(ast) : 'null';
  }

  protected getExpression(ast: Ast): any {
    if (ast.type !== 'math') return this.getLiteral(ast);
    const [left, right] = ast.expression as Ast[];
    switch (ast.operator) {
      case '||':
        return javaTruthy(this.getExpression(left)) || javaTruthy(this.getExpression(right));
      case '&&':
        return javaTruthy(this.getExpression(left)) && javaTruthy(this.getExpression(right));
      case 'not':
        return !javaTruthy(this.getExpression(left));
      case 'parenthesis':
        return this.getExpression(left);
      case 'minus': {
        const v = this.getExpression(left);
        if (v instanceof JavaDouble) return new JavaDouble(-v.value);
        if (typeof v === 'number') return v === 0 ? 0 : -v;
        if (typeof v === 'bigint') return -v;
        return null;
      }
      case '==':
        return velocityEquals(this.getExpression(left), this.getExpression(right));
      case '!=':
        return !velocityEquals(this.getExpression(left), this.getExpression(right));
      case '<':
      case '>':
      case '<=':
      case '>=': {
        const a = this.getExpression(left);
        const b = this.getExpression(right);
        if (!isJavaNumber(a) || !isJavaNumber(b)) return false;
        const c = compareNumbers(a, b);
        return ast.operator === '<' ? c < 0 : ast.operator === '>' ? c > 0 : ast.operator === '<=' ? c <= 0 : c >= 0;
      }
      case '+': {
        const a = this.getExpression(left);
        const b = this.getExpression(right);
        // ASTAddNode.handleSpecial: a String on either side concatenates (a null side as its literal text)
        if (typeof a === 'string' || typeof b === 'string') {
          return (isNull(a) ? this.literalText(left) : javaToString(a)) + (isNull(b) ? this.literalText(right) : javaToString(b));
        }
        return arithmetic('+', a, b);
      }
      case '-':
      case '*':
      case '/':
      case '%':
        return arithmetic(ast.operator, this.getExpression(left), this.getExpression(right));
      default:
        return null;
    }
  }

  protected setValue(ast: Ast): void {
    const [ref, valueAst] = ast.equal as [Ast, Ast];
    const value = valueAst.type === 'math' ? this.getExpression(valueAst) : this.getLiteral(valueAst);
    if (isNull(value)) return; // Velocity 1.7: a null right-hand side leaves the left-hand side as it was
    const path: Ast[] = ref.path || [];
    if (path.length === 0) {
      let context = mixins.getContext.call(this, ref.id);
      if (this.contextId && this.contextId.indexOf('macro:') === 0) context = this.context;
      context[ref.id] = value;
      return;
    }
    let target: unknown = this.lookupLocal(ref.id);
    if (target === NOT_LOCAL) target = hasOwn.call(this.context, ref.id) ? this.context[ref.id] : undefined;
    for (let i = 0; i < path.length - 1; i++) {
      if (isNull(target)) return;
      target = this.getAttributes(path[i], target, ref);
    }
    if (isNull(target)) return; // e.g. #set($context.reponseOverride.status = 400): a silent no-op
    const last = path[path.length - 1];
    if (last.type === 'property') setJavaProperty(target, last.id, value);
    else if (last.type === 'index') setJavaProperty(target, this.getLiteral(last.id), value);
  }

  getBlockIf(block: Ast[]): string {
    const branches = branchesOf(block);
    for (const branch of branches) {
      if (branch.condition === undefined || javaTruthy(this.getExpression(branch.condition))) {
        return this.renderAstList(branch.asts, this.contextId);
      }
    }
    return this.renderAstList([], this.contextId);
  }

  getBlockEach(block: Ast[]): string {
    const ast = block[0];
    let fromAst = foreachFrom.get(ast);
    if (!fromAst) foreachFrom.set(ast, (fromAst = { ...ast.from, pos: ast.pos }));
    const from = this.getLiteral(fromAst);
    let items: unknown[];
    if (from instanceof JavaList) items = [...from.items];
    else if (from instanceof JavaMap) items = [...from.entries.values()];
    else return '';
    let body = blockBodies.get(block);
    if (!body) blockBodies.set(block, (body = block.slice(1)));
    const parentValue = this.lookupLocal('foreach');
    const parent = { isLocal: parentValue !== NOT_LOCAL, value: parentValue };
    const contextId = foreachId(++this.loopCounter);
    const local: Record<string, unknown> = {};
    let out = '';
    const enclosingContextId = this.contextId;
    for (let i = 0; i < items.length; i++) {
      local[ast.to] = items[i];
      local.foreach = new ForeachScope(i, items.length, parent.isLocal ? parent.value : null);
      local.velocityCount = i + 1;
      this.local[contextId] = local;
      out += this.renderAstList(body, contextId);
      if (this.runState.break || this.runState.stop) break;
    }
    this.runState.break = false;
    this.local[contextId] = {};
    const index = this.conditions.indexOf(contextId);
    if (index !== -1) this.conditions.splice(index, 1);
    this.contextId = this.conditions.includes(enclosingContextId) ? enclosingContextId : this.conditions[0] || '';
    return out;
  }
}

function javaToStringOrEmpty(value: unknown): string {
  return isNull(value) ? '' : typeof value === 'string' ? value : javaToString(value);
}
