/**
 * Parallel: runs every branch on the same input, concurrently; the result is the array of branch
 * outputs. A branch failure fails the state with the branch's error and stops the other branches.
 * Branches see the outer variables read-only: what they assign stays in the branch.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html
 */
import { AslError, dataLimitCause, ExecutionAbortedError, TerminalDataLimitExceededError, toAslError } from '../errors';
import { exceedsBytes, MAX_PAYLOAD_BYTES } from '../json';
import { takeAbortedState, type Program } from '../executor';
import type { Thread } from '../events';
import type { QueryLanguage } from '../types';
import { VarScope } from '../variables';
import { BaseState, type Def, type StateCtx, type StateResult } from './base';

export class ParallelState extends BaseState {
  readonly type = 'Parallel' as const;
  readonly shape = 'result' as const;

  constructor(
    name: string,
    def: Def,
    ql: QueryLanguage,
    readonly branches: Program[],
  ) {
    super(name, def, ql);
  }

  async execute(payload: unknown, ctx: StateCtx): Promise<StateResult> {
    const exec = ctx.exec;
    // The branches' input (the state's input after Parameters/Arguments) is within the payload quota, or the
    // execution fails (terminal). Its JSON text is made once, for every branch's first StateEntered.
    const inputJson = ctx.jsonOf(payload);
    if (exceedsBytes(inputJson, MAX_PAYLOAD_BYTES)) throw new TerminalDataLimitExceededError(dataLimitCause(this.name));
    ctx.containerSucceeded = 0;
    ctx.thread.emit('ParallelStateStarted');
    const outer = ctx.cancel;
    const ac = outer.child();
    let failed: { err: AslError; thread: Thread } | undefined;
    const results = new Array<unknown>(this.branches.length);
    try {
      // Every branch settles before the state fails, so the branches stopped by a failure are recorded
      // (`<Type>StateAborted`) before ParallelStateFailed, as on AWS.
      await Promise.all(
        this.branches.map(async (program, i) => {
          const thread = ctx.thread.child();
          const vars = new VarScope(ctx.vars);
          try {
            results[i] = await exec.executor.runProgram(program, payload, { exec, thread, vars, cancel: ac, nested: true }, inputJson);
          } catch (e) {
            const abortedState = takeAbortedState(e);
            if (!failed && !(e instanceof ExecutionAbortedError && ac.aborted)) {
              failed = { err: toAslError(e), thread };
              // A Task whose failure ends its branch is recorded as aborted (recorded on AWS).
              if (abortedState && failed.err.catchable) thread.note(`${abortedState}StateAborted`);
              ac.abort(new Error('branch failed'));
            } else if (abortedState && !outer.aborted && failed?.err.catchable) {
              thread.note(`${abortedState}StateAborted`);
            }
          } finally {
            vars.release();
          }
        }),
      );
    } finally {
      ac.detach();
    }
    if (outer.aborted) throw new ExecutionAbortedError();
    if (failed) {
      // ParallelStateFailed (emitted by the executor, once the failure is final) follows the failing branch.
      ctx.thread.last = failed.thread.last;
      throw failed.err;
    }
    ctx.thread.last = exec.recorder.latest;
    ctx.containerSucceeded = ctx.thread.note('ParallelStateSucceeded');
    return { result: results };
  }
}
