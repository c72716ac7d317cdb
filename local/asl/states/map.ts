/**
 * Map (inline): runs the ItemProcessor (or legacy Iterator) once per item, at most MaxConcurrency at a
 * time (0 = no limit); the result is the array of iteration outputs, in item order.
 * Items come from ItemsPath (JSONPath) or Items (JSONata); ItemSelector (or legacy Parameters) shapes
 * each item with $$.Map.Item.Index/Value. ItemReader, ItemBatcher and ResultWriter (distributed mode
 * over S3) are rejected at compile time.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html
 */
import {
  AslError,
  dataLimitCause,
  ExceedToleratedFailureThresholdError,
  ExecutionAbortedError,
  QueryEvaluationError,
  RuntimeError,
  TerminalDataLimitExceededError,
  toAslError,
} from '../errors';
import { invalidPathError, takeAbortedState, type Program } from '../executor';
import { Thread } from '../events';
import { exceedsBytes, MAX_PAYLOAD_BYTES, toJson } from '../json';
import { compileJsonataTemplate, JsonataScope, type JsonataTemplate } from '../jsonata';
import { compilePath, type CompiledPath } from '../jsonpath';
import { compileTemplate, type Evaluator } from '../payload';
import type { ContextObject, QueryLanguage } from '../types';
import { VarScope } from '../variables';
import { BaseState, resolveNumber, type Def, type StateCtx, type StateResult } from './base';

interface NumberSpec {
  n?: number;
  path?: CompiledPath;
  tmpl?: JsonataTemplate;
}

function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class MapState extends BaseState {
  readonly type = 'Map' as const;
  readonly shape = 'result' as const;
  override readonly usesParameters = false;
  private readonly itemsPath?: CompiledPath;
  private readonly items?: JsonataTemplate;
  private readonly itemsDef?: unknown;
  private readonly itemsSource?: string;
  private readonly itemSelectorPath?: Evaluator;
  private readonly itemSelectorJsonata?: JsonataTemplate;
  private readonly maxConcurrency: NumberSpec;
  private readonly toleratedCount: NumberSpec;
  private readonly toleratedPercent: NumberSpec;

  constructor(
    name: string,
    def: Def,
    ql: QueryLanguage,
    readonly processor: Program,
  ) {
    super(name, def, ql);
    const selector = 'ItemSelector' in def ? def.ItemSelector : def.Parameters;
    if (ql === 'JSONata') {
      if ('Items' in def) {
        this.items = compileJsonataTemplate(def.Items, 'Items');
        this.itemsDef = def.Items;
        if (typeof def.Items === 'string' && def.Items.startsWith('{%')) this.itemsSource = def.Items.slice(2, -2).trim();
      }
      if (selector !== undefined) this.itemSelectorJsonata = compileJsonataTemplate(selector, 'ItemSelector');
    } else {
      this.itemsPath = compilePath((def.ItemsPath as string | undefined) ?? '$');
      if (selector !== undefined) this.itemSelectorPath = compileTemplate(selector);
    }
    const num = (field: string): NumberSpec => {
      const v = def[field];
      const p = def[`${field}Path`];
      return {
        n: typeof v === 'number' ? v : undefined,
        path: typeof p === 'string' ? compilePath(p) : undefined,
        tmpl: typeof v === 'string' ? compileJsonataTemplate(v, field) : undefined,
      };
    };
    this.maxConcurrency = num('MaxConcurrency');
    this.toleratedCount = num('ToleratedFailureCount');
    this.toleratedPercent = num('ToleratedFailurePercentage');
  }

  protected override usesParametersField(): boolean {
    return false;
  }

  private async readItems(input: unknown, ctx: StateCtx): Promise<unknown[]> {
    let items: unknown;
    if (this.isJsonata) {
      items = this.items ? (this.items.constant ? this.items.value : await this.items.run(ctx.bindings())) : input;
      if (!Array.isArray(items)) {
        // As LocalStack reproduces AWS: "... returned an unexpected result type. Expected 'array', but was
        // '<jsonata type>' for value: <json>".
        const src = this.itemsSource ?? toJson(this.itemsDef);
        throw new QueryEvaluationError(
          `The JSONata expression '${src}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonataType(items)}' for value: ${toJson(items)}`,
          'Items',
        );
      }
      return items;
    }
    const r = this.itemsPath!.read(input);
    if (!r.found) throw invalidPathError(this.itemsPath!, input);
    if (!Array.isArray(r.value)) {
      throw new RuntimeError(`Item path ${this.itemsPath!.source} does not point to an array: ${toJson(r.value)}`);
    }
    return r.value;
  }

  private async selectItem(input: unknown, ctx: StateCtx, index: number, value: unknown): Promise<unknown> {
    if (!this.itemSelectorPath && !this.itemSelectorJsonata) return value;
    const mapCtx = (): ContextObject => ({ ...ctx.context(), Map: { Item: { Index: index, Value: value } } });
    if (this.itemSelectorPath) return this.itemSelectorPath({ input, context: mapCtx, vars: ctx.vars });
    const t = this.itemSelectorJsonata!;
    if (t.constant) return t.value;
    return t.run(new JsonataScope({ input: ctx.rawInput, context: mapCtx() }, ctx.vars.all()));
  }

  async execute(input: unknown, ctx: StateCtx): Promise<StateResult> {
    const exec = ctx.exec;
    ctx.containerSucceeded = 0;
    const items = await this.readItems(input, ctx);
    const spec = (x: NumberSpec) => resolveNumber(ctx, input, x.n, x.path, x.tmpl);
    const maxConc = (await spec(this.maxConcurrency)) ?? 0;
    const tolCount = await spec(this.toleratedCount);
    const tolPercent = await spec(this.toleratedPercent);
    const mapThread = ctx.thread;
    mapThread.emit('MapStateStarted', 'mapStateStartedEventDetails', { length: items.length });

    const n = items.length;
    const results = new Array<unknown>(n);
    const outer = ctx.cancel;
    const ac = outer.child();
    let failure: { err: AslError; thread: Thread } | undefined;
    let failedCount = 0;
    const running = new Map<number, Thread>();
    const tolerated = () => {
      if (tolCount === undefined && tolPercent === undefined) return false;
      if (tolCount !== undefined && failedCount <= tolCount) return true;
      if (tolPercent !== undefined && n > 0 && (failedCount * 100) / n <= tolPercent) return true;
      return false;
    };

    const runIteration = async (i: number): Promise<void> => {
      const thread = new Thread(exec.recorder, mapThread.last);
      thread.emit('MapIterationStarted', 'mapIterationStartedEventDetails', { index: i, name: this.name });
      running.set(i, thread);
      const vars = new VarScope(ctx.vars);
      try {
        const itemInput = await this.selectItem(input, ctx, i, items[i]);
        let itemJson: string | undefined;
        if (this.itemSelectorPath || this.itemSelectorJsonata || this.items) {
          // An item after ItemSelector (or made by a JSONata Items) is an iteration's input: within the payload
          // quota, or the execution fails (terminal). An item of ItemsPath is part of the Map's input, within it.
          itemJson = toJson(itemInput);
          if (exceedsBytes(itemJson, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(this.name));
        }
        results[i] = await exec.executor.runProgram(
          this.processor,
          itemInput,
          { exec, thread, vars, cancel: ac, nested: true },
          itemJson,
        );
        running.delete(i);
        thread.note('MapIterationSucceeded', 'mapIterationSucceededEventDetails', { index: i, name: this.name });
        mapThread.last = thread.last;
      } catch (e) {
        running.delete(i);
        const abortedState = takeAbortedState(e);
        if (e instanceof ExecutionAbortedError && (outer.aborted || failure)) {
          // A States.Runtime failure ends the execution at once: nothing more is recorded.
          if (failure && !failure.err.catchable) return;
          thread.note('MapIterationAborted', 'mapIterationAbortedEventDetails', { index: i, name: this.name });
          if (abortedState) thread.note(`${abortedState}StateAborted`);
          return;
        }
        const err = toAslError(e);
        if (!err.catchable) {
          // Recorded on AWS: a States.Runtime error in an iteration leaves no MapIterationFailed/MapStateFailed.
          if (!failure) failure = { err, thread };
          ac.abort(new Error('iteration failed'));
          return;
        }
        thread.note('MapIterationFailed', 'mapIterationFailedEventDetails', { index: i, name: this.name });
        if (abortedState) thread.note(`${abortedState}StateAborted`);
        failedCount++;
        if (!tolerated()) {
          if (!failure) failure = { err, thread };
          ac.abort(new Error('iteration failed'));
          return;
        }
        results[i] = err.toErrorOutput();
        mapThread.last = thread.last;
      } finally {
        vars.release();
      }
    };
    // Iterations start in index order. The next one starts as soon as the current one completes or
    // really waits (timer, I/O): iterations that finish at once keep AWS's sequential-looking history,
    // slow ones overlap up to MaxConcurrency (0 = unbounded).
    try {
      const active = new Set<Promise<void>>();
      for (let i = 0; i < n && !failure && !ac.aborted; i++) {
        while (maxConc > 0 && active.size >= maxConc) await Promise.race(active);
        if (failure || ac.aborted) break;
        const p = runIteration(i);
        active.add(p);
        void p.then(() => active.delete(p));
        await Promise.race([p, yieldTurn()]);
      }
      await Promise.all(active);
    } finally {
      ac.detach();
    }
    if (outer.aborted) throw new ExecutionAbortedError();
    if (failure) {
      // MapStateFailed (emitted by the executor once the failure is final) follows the failing iteration.
      const f = failure as { err: AslError; thread: Thread };
      mapThread.last = f.thread.last;
      const tolerance = tolCount !== undefined || tolPercent !== undefined;
      if (tolerance && f.err.catchable) {
        throw new ExceedToleratedFailureThresholdError('The specified tolerated failure threshold was exceeded');
      }
      throw f.err;
    }
    mapThread.last = exec.recorder.latest;
    ctx.containerSucceeded = mapThread.note('MapStateSucceeded');
    return { result: results };
  }
}

/** The type name jsonata's $type gives a value. */
function jsonataType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}
