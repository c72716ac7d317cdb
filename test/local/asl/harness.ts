/** Shared test helpers: run a definition with data-described task handlers on a fake clock. */
import { compileStateMachine, fakeClock, TaskHandlerRegistry, TaskError, type ExecutionResult, type HistoryEvent, type TaskInvocation } from '../../../local/asl';

export const SM_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Test';
export const EXEC_ARN = 'arn:aws:states:us-east-1:123456789012:execution:Test:exec-1';

/** A handler described as data (fixtures): return a value, throw an ASL error, echo, or a sequence of those. */
export type HandlerSpec =
  | { returns: unknown }
  | { throws: { error: string; cause?: string } }
  | { throwsPlain: string }
  | { echo: true }
  | { sequence: HandlerSpec[] }
  | { never: true };

export function handlerFrom(spec: HandlerSpec): (inv: TaskInvocation) => Promise<unknown> {
  if ('sequence' in spec) {
    const hs = spec.sequence.map(handlerFrom);
    let i = 0;
    return (inv) => hs[Math.min(i++, hs.length - 1)](inv);
  }
  if ('returns' in spec) return async () => spec.returns;
  if ('throws' in spec) return async () => {
    throw new TaskError(spec.throws.error, spec.throws.cause);
  };
  if ('throwsPlain' in spec) return async () => {
    throw new Error(spec.throwsPlain);
  };
  if ('never' in spec) return (inv) => new Promise((_, reject) => inv.signal.addEventListener('abort', () => reject(new Error('aborted'))));
  return async (inv) => inv.input;
}

export function registry(handlers: Record<string, HandlerSpec> = {}): TaskHandlerRegistry {
  const r = new TaskHandlerRegistry();
  for (const [pattern, spec] of Object.entries(handlers)) r.register(pattern, handlerFrom(spec));
  return r;
}

export interface RunOptions {
  handlers?: Record<string, HandlerSpec> | TaskHandlerRegistry;
  clock?: ReturnType<typeof fakeClock>;
  random?: () => number;
  signal?: AbortSignal;
}

export async function run(definition: object, input: unknown = {}, opts: RunOptions = {}): Promise<ExecutionResult> {
  const machine = compileStateMachine(definition);
  return machine.execute({
    executionArn: EXEC_ARN,
    stateMachineArn: SM_ARN,
    name: 'exec-1',
    input: JSON.stringify(input),
    taskHandlers: opts.handlers instanceof TaskHandlerRegistry ? opts.handlers : registry(opts.handlers),
    clock: opts.clock ?? fakeClock(),
    random: opts.random,
    signal: opts.signal,
  });
}

export function types(events: HistoryEvent[]): string[] {
  return events.map((e) => e.type);
}

export function output(r: ExecutionResult): unknown {
  return r.output === undefined ? undefined : JSON.parse(r.output);
}
