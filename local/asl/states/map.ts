/**
 * Map: runs the ItemProcessor (or legacy Iterator) once per item, at most MaxConcurrency at a time (0 = no
 * limit); the result is the array of iteration outputs, in item order.
 * Items come from ItemsPath (JSONPath) or Items (JSONata); ItemSelector (or legacy Parameters) shapes each item
 * with $$.Map.Item.Index/Value. ItemReader, ItemBatcher and ResultWriter (distributed mode over S3) are rejected
 * at compile time.
 *
 * Two modes (ItemProcessor.ProcessorConfig.Mode):
 * - INLINE (default): each item is an iteration whose states are recorded in the execution's history
 *   (MapIterationStarted ... MapIterationSucceeded/Failed).
 * - DISTRIBUTED: each item is a child execution; the parent records a Map Run instead: MapStateStarted,
 *   MapRunStarted {mapRunArn}, then MapRunSucceeded or MapRunFailed {cause, error}, and nothing of the children
 *   (./map-run.ts).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-map.html
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
import { compileRef, type Ref } from '../refs';
import { compileTemplate, type Evaluator } from '../payload';
import type { ContextObject, QueryLanguage } from '../types';
import { VarScope } from '../variables';
import { BaseState, type Def, type StateCtx, type StateResult } from './base';
import { distributedSettings, runMapRun, type DistributedSettings } from './map-run';
import { isTolerated, runPool, TOLERATED_FAILURE_EXCEEDED } from './map-pool';
import { MAP_SETTINGS, readSetting, type MapSetting } from './map-settings';

/** The "not an array" cause of a JSONata Map without Items, recorded on AWS (see readItems). */
export function notAnArrayCause(value: unknown): string {
  return `Map state input must be an array but was: ${toJson(value)}`;
}

export class MapState extends BaseState {
  readonly type = 'Map' as const;
  readonly shape = 'result' as const;
  override readonly usesParameters = false;
  private readonly itemsPath?: Ref;
  private readonly items?: JsonataTemplate;
  private readonly itemsDef?: unknown;
  private readonly itemsSource?: string;
  private readonly itemSelectorPath?: Evaluator;
  private readonly itemSelectorJsonata?: JsonataTemplate;
  private readonly maxConcurrency: MapSetting;
  private readonly toleratedCount: MapSetting;
  private readonly toleratedPercent: MapSetting;
  /** Set in DISTRIBUTED mode: the items run as child executions of a Map Run. */
  readonly distributed?: DistributedSettings;

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
      this.itemsPath = compileRef((def.ItemsPath as string | undefined) ?? '$');
      if (selector !== undefined) this.itemSelectorPath = compileTemplate(selector);
    }
    this.maxConcurrency = MAP_SETTINGS.maxConcurrency.compile(def);
    this.toleratedCount = MAP_SETTINGS.toleratedCount.compile(def);
    this.toleratedPercent = MAP_SETTINGS.toleratedPercent.compile(def);
    this.distributed = distributedSettings(def);
  }

  protected override usesParametersField(): boolean {
    return false;
  }

  private async readItems(input: unknown, ctx: StateCtx): Promise<unknown[]> {
    let items: unknown;
    if (this.isJsonata) {
      if (!this.items) {
        // Recorded on AWS (LocalStack test_base_scenarios.snapshot.json, test_map_state_items_input_types[*]):
        // "Map state input must be an array but was: 1", an EvaluationFailed without a location that, like the
        // Items failures, chains from the event before MapStateEntered; then MapStateFailed.
        if (!Array.isArray(input)) throw new QueryEvaluationError(notAnArrayCause(input), undefined, true);
        return input;
      }
      try {
        items = this.items.constant ? this.items.value : await this.items.run(ctx.bindings());
      } catch (e) {
        // An Items expression that fails or returns nothing is recorded like one returning a non-array (below).
        if (e instanceof QueryEvaluationError && !e.beforeEntered) throw new QueryEvaluationError(e.aslCause, e.location, true);
        throw e;
      }
      if (!Array.isArray(items)) {
        // Recorded on AWS (LocalStack test_base_scenarios.snapshot.json,
        // test_map_state_items_eval_jsonata_variable_sampling_fail[*]): "... returned an unexpected result type.
        // Expected 'array', but was '<jsonata type>' for value: <json>", EvaluationFailed chained from before
        // MapStateEntered.
        const src = this.itemsSource ?? toJson(this.itemsDef);
        throw new QueryEvaluationError(
          `The JSONata expression '${src}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonataType(items)}' for value: ${toJson(items)}`,
          'Items',
          true,
        );
      }
      return items;
    }
    const ref = this.itemsPath!;
    const r = ref.read(ctx.env(input));
    if (!r.found) {
      if (ref.path) throw invalidPathError(ref.path, input);
      throw new RuntimeError(`Invalid path '${ref.source}' : No results for path: ${ref.source}`);
    }
    if (!Array.isArray(r.value)) {
      throw new RuntimeError(`Item path ${ref.source} does not point to an array: ${toJson(r.value)}`);
    }
    return r.value;
  }

  /** The input of item `index`: the item itself, or ItemSelector's result with $$.Map.Item.Index/Value. */
  async selectItem(input: unknown, ctx: StateCtx, index: number, value: unknown): Promise<unknown> {
    if (!this.itemSelectorPath && !this.itemSelectorJsonata) return value;
    const mapCtx = (): ContextObject => ({ ...ctx.context(), Map: { Item: { Index: index, Value: value } } });
    if (this.itemSelectorPath) return this.itemSelectorPath({ input, context: mapCtx, vars: ctx.vars });
    const t = this.itemSelectorJsonata!;
    if (t.constant) return t.value;
    return t.run(new JsonataScope({ input: ctx.rawInput, context: mapCtx() }, ctx.vars.all()));
  }

  /** Whether an item's input is made here (ItemSelector, JSONata Items) and so held to the payload quota. */
  get itemsAreMade(): boolean {
    return !!(this.itemSelectorPath || this.itemSelectorJsonata || this.items);
  }

  async execute(input: unknown, ctx: StateCtx): Promise<StateResult> {
    ctx.containerSucceeded = 0;
    // MaxConcurrency(Path) is read first: an invalid one fails the execution right after MapStateEntered, before
    // MapStateStarted (recorded: LocalStack test_base_scenarios.snapshot.json, test_max_concurrency_path[NoNumber]).
    const maxConc = (await readSetting(this.maxConcurrency, ctx, input)) ?? 0;
    const items = await this.readItems(input, ctx);
    ctx.thread.emit('MapStateStarted', 'mapStateStartedEventDetails', { length: items.length });
    // The tolerated failure settings are read after MapStateStarted: an invalid ToleratedFailureCountPath or
    // ToleratedFailurePercentagePath fails the execution after it (recorded: test_map_state_tolerated_failure_
    // count_path[*] and test_map_state_tolerated_failure_percentage_path[*] in the same snapshot file).
    const tolCount = await readSetting(this.toleratedCount, ctx, input);
    const tolPercent = await readSetting(this.toleratedPercent, ctx, input);
    const tolerance = { count: tolCount, percent: tolPercent };
    if (this.distributed) return runMapRun(this, this.distributed, items, input, ctx, maxConc, tolerance);
    return this.runInline(items, input, ctx, maxConc, tolerance);
  }

  private async runInline(
    items: unknown[],
    input: unknown,
    ctx: StateCtx,
    maxConc: number,
    tol: { count?: number; percent?: number },
  ): Promise<StateResult> {
    const exec = ctx.exec;
    const mapThread = ctx.thread;
    const n = items.length;
    const results = new Array<unknown>(n);
    const outer = ctx.cancel;
    const ac = outer.child();
    let failure: { err: AslError; thread: Thread } | undefined;
    let failedCount = 0;
    const tolerated = () => isTolerated(failedCount, n, tol);

    const runIteration = async (i: number): Promise<void> => {
      const thread = new Thread(exec.recorder, mapThread.last);
      thread.emit('MapIterationStarted', 'mapIterationStartedEventDetails', { index: i, name: this.name });
      const vars = new VarScope(ctx.vars);
      try {
        const itemInput = await this.selectItem(input, ctx, i, items[i]);
        let itemJson: string | undefined;
        if (this.itemsAreMade) {
          // An item after ItemSelector (or made by a JSONata Items) is an iteration's input: within the payload
          // quota, or the execution fails (terminal). An item of ItemsPath is part of the Map's input, within it.
          itemJson = toJson(itemInput);
          if (exceedsBytes(itemJson, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(this.name));
        }
        results[i] = await exec.executor.runProgram(this.processor, itemInput, { exec, thread, vars, cancel: ac, nested: true }, itemJson);
        thread.note('MapIterationSucceeded', 'mapIterationSucceededEventDetails', { index: i, name: this.name });
        mapThread.last = thread.last;
      } catch (e) {
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
    await runPool(n, maxConc, ac, () => failure !== undefined, runIteration);
    if (outer.aborted) throw new ExecutionAbortedError();
    if (failure) {
      // MapStateFailed (emitted by the executor once the failure is final) follows the failing iteration.
      const f = failure as { err: AslError; thread: Thread };
      mapThread.last = f.thread.last;
      const tolerance = tol.count !== undefined || tol.percent !== undefined;
      if (tolerance && f.err.catchable) {
        throw new ExceedToleratedFailureThresholdError(TOLERATED_FAILURE_EXCEEDED);
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
