/**
 * A Distributed Map's Map Run (ItemProcessor.ProcessorConfig.Mode: DISTRIBUTED): each item runs as a child
 * workflow execution of its own, and the parent's history records the run, not the children.
 *
 * As recorded on AWS (LocalStack tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json:
 * test_map_state_config_distributed_item_selector, test_map_state_config_distributed_parameters,
 * test_map_state_tolerated_failure_count_path[0], test_map_item_reader_csv_max_items_paths[-1], ...):
 *
 *   MapStateEntered
 *   MapStateStarted    {length}                  (prev: MapStateEntered)
 *   MapRunStarted      {mapRunArn}               (prev: MapStateStarted)
 *   MapRunSucceeded                              (prev: MapRunStarted)    | MapRunFailed {cause, error}
 *   MapStateSucceeded                            (prev: MapRunSucceeded)  | MapStateFailed (prev: MapRunFailed)
 *   MapStateExited                               (prev: MapRunSucceeded)  | ExecutionFailed {cause, error}
 *
 * No MapIteration* event and none of the children's events appear in the parent's history.
 *
 * The Map Run ARN is `arn:<partition>:states:<region>:<account>:mapRun:<stateMachineName>/<Label or UUID>:<UUID>`
 * (recorded: `mapRun:<ArnPart_0idx>/TestMap:<MapRunArnPart1_0idx>` for a Map with Label "TestMap"; without a
 * Label, a UUID takes its place, as the docs give `stateMachine:<stateMachineName>/<MapRunLabel or UUID>` for the
 * children's state machine: https://docs.aws.amazon.com/step-functions/latest/dg/concepts-examine-map-run.html).
 *
 * A child that fails (whatever its error, States.Runtime included: it is its own execution) counts against the
 * tolerated failures (0 by default); over them the run fails with States.ExceedToleratedFailureThreshold and
 * "The specified tolerated failure threshold was exceeded" (the error the Floci project measured on AWS, docs/
 * services/step-functions.md; the cause as AWS's TestState gives it for mapIterationFailureCount), which a Retry or
 * Catch on the Map handles. Unsure: MapRunAborted (not recorded) is not emitted when the parent is stopped.
 *
 * A child execution's context object is its own: $$.Execution.Id is
 * `arn:...:execution:<stateMachineName>/<Label or UUID>:<child name>`, $$.Execution.Input its item,
 * $$.StateMachine.Id `arn:...:stateMachine:<stateMachineName>/<Label or UUID>`. A child starts with no variables:
 * it is a new execution (the parent's variables are not in its scope).
 */
import { randomUUID } from 'node:crypto';
import {
  dataLimitCause,
  ExceedToleratedFailureThresholdError,
  ExecutionAbortedError,
  TerminalDataLimitExceededError,
  toAslError,
} from '../errors';
import { EventRecorder, Thread } from '../events';
import { exceedsBytes, MAX_PAYLOAD_BYTES, toJson } from '../json';
import type { ContextObject } from '../types';
import { VarScope } from '../variables';
import type { Def, ExecutionRuntime, StateCtx, StateResult } from './base';
import type { Program } from '../executor';
import { isTolerated, runPool, TOLERATED_FAILURE_EXCEEDED } from './map-pool';

/** What a Map Run needs of its Map state. */
export interface MapRunHost {
  readonly name: string;
  readonly processor: Program;
  /** Whether an item's input is made by the state (ItemSelector, JSONata Items), so held to the payload quota. */
  readonly itemsAreMade: boolean;
  selectItem(input: unknown, ctx: StateCtx, index: number, value: unknown): Promise<unknown>;
}

export interface DistributedSettings {
  /** The Map's Label (at most 40 characters), or undefined: a UUID then names the run. */
  label?: string;
  executionType: 'STANDARD' | 'EXPRESS';
}

/** The DISTRIBUTED settings of a Map definition, or undefined for an inline Map. */
export function distributedSettings(def: Def): DistributedSettings | undefined {
  const proc = (def.ItemProcessor ?? def.Iterator) as Def | undefined;
  const config = proc?.ProcessorConfig as Def | undefined;
  if (config?.Mode !== 'DISTRIBUTED') return undefined;
  return {
    label: typeof def.Label === 'string' ? def.Label : undefined,
    executionType: config.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  };
}

/** `arn:...:stateMachine:<name>` → `arn:...:mapRun:<name>/<part>:<uuid>`. */
export function mapRunArn(stateMachineArn: string, part: string, id: string = randomUUID()): string {
  return `${stateMachineArn.replace(':stateMachine:', ':mapRun:')}/${part}:${id}`;
}

export async function runMapRun(
  map: MapRunHost,
  settings: DistributedSettings,
  items: unknown[],
  input: unknown,
  ctx: StateCtx,
  maxConc: number,
  tol: { count?: number; percent?: number },
): Promise<StateResult> {
  const exec = ctx.exec;
  const thread = ctx.thread;
  const part = settings.label ?? randomUUID();
  const parentSm = exec.stateMachine;
  const childSm = Object.freeze({ Id: `${parentSm.Id}/${part}`, Name: `${parentSm.Name}/${part}` });
  const childArnPrefix = `${parentSm.Id.replace(':stateMachine:', ':execution:')}/${part}:`;
  thread.emit('MapRunStarted', 'mapRunStartedEventDetails', { mapRunArn: mapRunArn(parentSm.Id, part) });

  const n = items.length;
  const results = new Array<unknown>(n);
  const outer = ctx.cancel;
  const ac = outer.child();
  let failedCount = 0;
  let exceeded = false;

  const runChild = async (i: number): Promise<void> => {
    const itemInput = await map.selectItem(input, ctx, i, items[i]);
    let itemJson: string | undefined;
    if (map.itemsAreMade) {
      itemJson = toJson(itemInput);
      if (exceedsBytes(itemJson, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(map.name));
    }
    const name = randomUUID();
    const execution: ContextObject['Execution'] = {
      Id: childArnPrefix + name,
      Input: itemInput,
      StartTime: exec.clock.now().toISOString(),
      Name: name,
      RoleArn: exec.execution.RoleArn,
    };
    if (settings.executionType === 'STANDARD') execution.RedriveCount = 0;
    // A child execution of its own: its events go to a recorder nobody reads (the parent records the Map Run).
    const child: ExecutionRuntime = { ...exec, recorder: new EventRecorder(exec.clock), execution, stateMachine: childSm };
    const vars = new VarScope();
    try {
      results[i] = await exec.executor.runProgram(
        map.processor,
        itemInput,
        { exec: child, thread: new Thread(child.recorder, 0), vars, cancel: ac },
        itemJson,
      );
    } catch (e) {
      if (e instanceof ExecutionAbortedError && ac.aborted) return;
      const err = toAslError(e);
      failedCount++;
      if (isTolerated(failedCount, n, tol)) {
        results[i] = err.toErrorOutput();
        return;
      }
      exceeded = true;
      ac.abort(new Error('tolerated failure threshold exceeded'));
    } finally {
      vars.release();
    }
  };

  let itemError: unknown;
  await runPool(n, maxConc, ac, () => exceeded || itemError !== undefined, (i) =>
    runChild(i).catch((e) => {
      // Making an item's input failed in the parent (ItemSelector, payload quota): the Map fails with it.
      itemError ??= e;
      ac.abort(e);
    }),
  );
  if (outer.aborted) throw new ExecutionAbortedError();
  if (itemError !== undefined) throw itemError;
  if (exceeded) {
    thread.emit('MapRunFailed', 'mapRunFailedEventDetails', { cause: TOLERATED_FAILURE_EXCEEDED, error: 'States.ExceedToleratedFailureThreshold' });
    throw new ExceedToleratedFailureThresholdError(TOLERATED_FAILURE_EXCEEDED);
  }
  thread.emit('MapRunSucceeded');
  ctx.containerSucceeded = thread.note('MapStateSucceeded');
  return { result: results };
}
