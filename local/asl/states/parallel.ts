/**
 * Parallel: runs every branch on the same input, concurrently; the result is the array of branch
 * outputs. A branch failure fails the state with the branch's error and stops the other branches.
 * Branches see the outer variables read-only: what they assign stays in the branch.
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-parallel.html
 */
import { AslError, ExecutionAbortedError, toAslError } from '../errors';
import type { Program } from '../executor';
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
    ctx.thread.emit('ParallelStateStarted');
    const outer = ctx.cancel;
    const ac = outer.child();
    let failed: { err: AslError; thread: Thread } | undefined;
    try {
      const results = await Promise.all(
        this.branches.map(async (program) => {
          const thread = ctx.thread.child();
          try {
            return await exec.executor.runProgram(program, payload, { exec, thread, vars: new VarScope(ctx.vars), cancel: ac });
          } catch (e) {
            if (!failed) {
              failed = { err: toAslError(e), thread };
              ac.abort(new Error('branch failed'));
            }
            throw e;
          }
        }),
      );
      const latest = exec.recorder.latest;
      ctx.thread.last = latest;
      ctx.thread.note('ParallelStateSucceeded');
      return { result: results };
    } catch (e) {
      if (outer.aborted) throw new ExecutionAbortedError();
      const f = failed ?? { err: toAslError(e), thread: ctx.thread };
      ctx.thread.last = f.thread.last;
      ctx.thread.emit('ParallelStateFailed');
      throw f.err;
    } finally {
      ac.detach();
    }
  }
}
