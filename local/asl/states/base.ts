/**
 * What every state shares: its compiled I/O fields (JSONPath or JSONata), Assign, Retry/Catch.
 * A state class only implements `execute()`; the pipeline around it lives in the Executor.
 */
import { randomUUID } from 'node:crypto';
import type { Clock, ContextObject, QueryLanguage, TaskHandlerTable } from '../types';
import type { EventRecorder, Thread } from '../events';
import { compileJsonataAssign, Catcher, Retrier } from '../retry';
import { compileJsonataTemplate, JsonataScope, type JsonataTemplate, type StatesBinding } from '../jsonata';
import { compileAssign, compileTemplate, type Evaluator } from '../payload';
import { compilePath, compileResultPath, type CompiledPath, type CompiledResultPath } from '../jsonpath';
import { compileRef, type EvalEnv, type Ref } from '../refs';
import type { VarScope } from '../variables';
import type { Executor } from '../executor';
import type { CancelToken } from '../cancel';
import { toJson } from '../json';

export type StateType = 'Pass' | 'Task' | 'Choice' | 'Wait' | 'Succeed' | 'Fail' | 'Parallel' | 'Map';

/** Shared by every thread of one execution. */
export interface ExecutionRuntime {
  recorder: EventRecorder;
  clock: Clock;
  handlers: TaskHandlerTable;
  region: string;
  random: () => number;
  execution: ContextObject['Execution'];
  stateMachine: ContextObject['StateMachine'];
  executor: Executor;
}

/** One thread of control: the execution itself, a Parallel branch or a Map iteration. */
export interface RunCtx {
  exec: ExecutionRuntime;
  thread: Thread;
  vars: VarScope;
  /** Aborted when the execution stops, times out, or a sibling branch/iteration failed. */
  cancel: CancelToken;
  /** True inside a Parallel branch or a Map iteration (its failing Task states are recorded as aborted). */
  nested?: boolean;
}

/** One state being run. */
export class StateCtx implements RunCtx {
  retryCount = 0;
  /** The previousEventId of the state's Entered event. */
  enteredPrev = 0;
  private ctxCache: ContextObject | null = null;
  private ctxRetry = -1;
  taskToken?: string;

  constructor(
    readonly run: RunCtx,
    readonly state: BaseState,
    readonly rawInput: unknown,
    readonly enteredId: number,
    private readonly enteredAt: Date,
  ) {
    if (state.needsTaskToken) this.taskToken = randomUUID();
  }

  private enteredIso?: string;
  private scope?: JsonataScope;
  /** The input's JSON text, when the state cannot have changed its input (see Executor.runState). */
  rawJson?: string;
  /** The task result and its JSON text (made for TaskSucceeded), for reuse by StateExited. */
  resultValue?: unknown;
  resultJson?: string;

  /** JSON text of a value: the text already made when it is the state's input or its task's result. */
  jsonOf(value: unknown): string {
    if (this.resultJson !== undefined && value === this.resultValue) return this.resultJson;
    if (this.rawJson !== undefined && value === this.rawInput) return this.rawJson;
    return toJson(value);
  }
  /**
   * Set by Parallel/Map to the id of their *StateSucceeded event once every branch/iteration succeeded:
   * a later failure is the state's own (no *StateFailed), recorded after that event.
   */
  containerSucceeded = 0;

  get enteredTime(): string {
    return (this.enteredIso ??= this.enteredAt.toISOString());
  }

  get exec() {
    return this.run.exec;
  }
  get thread() {
    return this.run.thread;
  }
  get vars() {
    return this.run.vars;
  }
  get cancel() {
    return this.run.cancel;
  }

  /** The context object ($$ / $states.context) for this state. */
  context(): ContextObject {
    if (this.ctxCache && this.ctxRetry === this.retryCount) return this.ctxCache;
    this.ctxRetry = this.retryCount;
    const state: ContextObject['State'] = { Name: this.state.name, EnteredTime: this.enteredTime } as ContextObject['State'];
    if (this.state.type === 'Task') state.RetryCount = this.retryCount;
    const c: ContextObject = { Execution: this.exec.execution, StateMachine: this.exec.stateMachine, State: state };
    if (this.taskToken) c.Task = { Token: this.taskToken };
    this.ctxCache = c;
    return c;
  }

  /** A JSONPath evaluation environment with `$` = input. */
  env(input: unknown): EvalEnv {
    return new StateEnv(input, this);
  }

  /** `$states` with `context` built on first use (most expressions never read it). */
  private statesBinding(input: unknown): StatesBinding {
    return new LazyStates(input, this);
  }

  /** JSONata scope: $states (input, context, and result / errorOutput where they exist) + the variables. */
  bindings(extra?: { result?: unknown; errorOutput?: unknown; input?: unknown }): JsonataScope {
    const vars = this.vars.all();
    if (!extra) {
      const s = this.scope;
      if (s && s.vars === vars) return s;
      return (this.scope = new JsonataScope(this.statesBinding(this.rawInput), vars));
    }
    const states = this.statesBinding('input' in extra ? extra.input : this.rawInput);
    if ('result' in extra) states.result = extra.result;
    if ('errorOutput' in extra) states.errorOutput = extra.errorOutput;
    return new JsonataScope(states, vars);
  }
}

/** `$states`: `context` is made on first read (most expressions never read it). */
class LazyStates implements StatesBinding {
  result?: unknown;
  errorOutput?: unknown;
  constructor(
    readonly input: unknown,
    private readonly ctx: StateCtx,
  ) {}
  get context(): unknown {
    return this.ctx.context();
  }
}

class StateEnv implements EvalEnv {
  constructor(
    readonly input: unknown,
    private readonly ctx: StateCtx,
  ) {}
  context(): ContextObject {
    return this.ctx.context();
  }
  get vars(): VarScope {
    return this.ctx.vars;
  }
}

/** What `execute()` returns. */
export interface StateResult {
  /** The state's result (Task: the task result; Pass: Result or the payload; Choice/Wait/Succeed: the effective input). */
  result: unknown;
  /** Overrides the transition (Choice). */
  next?: string;
  /** Overrides the Assign (JSONPath) applied after the state (Choice rule). */
  assignPath?: { names: string[]; fns: Evaluator[] } | null;
  /** Overrides Assign/Output (JSONata Choice rule). */
  assignJsonata?: { names: string[]; templates: JsonataTemplate[] } | null;
  output?: JsonataTemplate | null;
  /** The state ends the thread (Succeed). */
  end?: boolean;
}

export type Def = Record<string, unknown>;

/** How the executor should run the state. */
export type Shape =
  /** InputPath → Parameters → execute → ResultSelector → ResultPath → OutputPath, with Retry/Catch. */
  | 'result'
  /** InputPath → execute → OutputPath (Choice, Wait, Succeed). */
  | 'flow'
  /** Fail: execute throws. */
  | 'fail';

export abstract class BaseState {
  readonly name: string;
  abstract readonly type: StateType;
  abstract readonly shape: Shape;
  /** Task `.waitForTaskToken`: the state gets a $$.Task.Token before its Parameters are evaluated. */
  readonly needsTaskToken: boolean = false;
  /** Whether Parameters/Arguments are applied to the effective input before execute() (false for Map). */
  readonly usesParameters: boolean = true;
  readonly queryLanguage: QueryLanguage;
  readonly next?: string;
  readonly end: boolean;

  // JSONPath
  readonly inputPath?: CompiledPath | null;
  /** InputPath/OutputPath on the context object (`$$...`) or a variable (`$name...`), as AWS accepts. */
  readonly inputRef?: Ref;
  readonly outputRef?: Ref;
  readonly parameters?: Evaluator;
  readonly resultSelector?: Evaluator;
  readonly resultPath?: CompiledResultPath | null;
  readonly outputPath?: CompiledPath | null;
  readonly assignPath?: { names: string[]; fns: Evaluator[] };

  // JSONata
  readonly arguments?: JsonataTemplate;
  readonly output?: JsonataTemplate;
  readonly assignJsonata?: { names: string[]; templates: JsonataTemplate[] };

  readonly retriers: Retrier[] = [];
  readonly catchers: Catcher[] = [];

  constructor(name: string, def: Def, queryLanguage: QueryLanguage) {
    this.name = name;
    this.queryLanguage = queryLanguage;
    this.next = def.Next as string | undefined;
    this.end = def.End === true;
    const jsonata = queryLanguage === 'JSONata';
    if (jsonata) {
      if ('Arguments' in def) this.arguments = compileJsonataTemplate(def.Arguments, 'Arguments');
      if ('Output' in def) this.output = compileJsonataTemplate(def.Output, 'Output');
      if (def.Assign) this.assignJsonata = compileJsonataAssign(def.Assign as Def, 'Assign');
    } else {
      if ('InputPath' in def) {
        if (isOtherRef(def.InputPath)) this.inputRef = compileRef(def.InputPath);
        else this.inputPath = def.InputPath === null ? null : pathOrRoot(def.InputPath as string);
      }
      if ('Parameters' in def && this.usesParametersField()) this.parameters = compileTemplate(def.Parameters);
      if ('ResultSelector' in def) this.resultSelector = compileTemplate(def.ResultSelector);
      if ('ResultPath' in def) this.resultPath = def.ResultPath === null ? null : compileResultPath(def.ResultPath as string);
      if ('OutputPath' in def) {
        if (isOtherRef(def.OutputPath)) this.outputRef = compileRef(def.OutputPath);
        else this.outputPath = def.OutputPath === null ? null : pathOrRoot(def.OutputPath as string);
      }
      if (def.Assign) this.assignPath = compileAssign(def.Assign as Def);
    }
    if (Array.isArray(def.Retry)) this.retriers = (def.Retry as Def[]).map((r) => new Retrier(r));
    if (Array.isArray(def.Catch)) this.catchers = (def.Catch as Def[]).map((c, i) => new Catcher(c, jsonata, i));
  }

  /** Map reads `Parameters` as its legacy ItemSelector. */
  protected usesParametersField(): boolean {
    return true;
  }

  get isJsonata(): boolean {
    return this.queryLanguage === 'JSONata';
  }

  /**
   * The state's own work. `payload` is the effective input after InputPath and Parameters (JSONPath)
   * or Arguments (JSONata); for 'flow' states and Map it is the effective input.
   */
  abstract execute(payload: unknown, ctx: StateCtx): Promise<StateResult> | StateResult;
}

/** `$$...` (context object) or `$name...` (variable) rather than a path on the state data. */
function isOtherRef(p: unknown): p is string {
  return typeof p === 'string' && (p.startsWith('$$') || /^\$[A-Za-z_]/.test(p));
}

function pathOrRoot(p: string): CompiledPath {
  return compilePath(p);
}

/** Reads a number from a constant, a JSONPath reference (…Path fields: `$.x`, `$$.x`, `$var`) or a JSONata template. */
export async function resolveNumber(
  ctx: StateCtx,
  input: unknown,
  constant: number | undefined,
  path: Ref | undefined,
  tmpl: JsonataTemplate | undefined,
): Promise<number | undefined> {
  if (constant !== undefined) return constant;
  if (path) {
    const r = path.read(ctx.env(input));
    return r.found ? (r.value as number) : undefined;
  }
  if (tmpl) return (await tmpl.run(ctx.bindings())) as number;
  return undefined;
}
