import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { format } from 'node:util';
import { startTimer, systemClock } from '../asl/clock';
import type { Clock } from '../asl/types';
import { AwsError } from '../services/errors';

export interface LambdaDefinition {
  functionName: string;
  functionArn: string;
  /** Folder of the bundled code (a cloud assembly asset). */
  codeDir: string;
  /** e.g. "index.handler" */
  handler: string;
  environment: Record<string, string>;
  timeoutSeconds: number;
  memorySize: number;
}

/** What a handler threw, in the shape Lambda reports it (errorType / errorMessage / trace). */
export class LambdaFunctionError extends Error {
  constructor(readonly errorType: string, readonly errorMessage: string, readonly trace: string[]) {
    super(errorMessage);
    this.name = errorType;
  }
  toPayload(): { errorType: string; errorMessage: string; trace: string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

export interface LocalLambdaOptions {
  /**
   * The time the function lives in (default: real time). Its code's `Date` follows this clock (`Date.now()`,
   * `new Date()`), and so do the timeout and `context.getRemainingTimeInMillis()`.
   */
  clock?: Clock;
  /** ReservedConcurrentExecutions: more invocations at once are throttled (TooManyRequestsException), as on AWS. */
  reservedConcurrency?: number;
  /** Runs before each invocation and may throw a Lambda service error (the local cloud's fault injection). */
  beforeInvoke?: () => void;
  /**
   * Told of every line the function's code logs with `console` (as Lambda sends it to CloudWatch Logs): the local
   * CloudWatch reads embedded-metric-format lines from it. The lines still go to the process's console.
   */
  onLog?: (line: string) => void;
}

/**
 * Runs a bundled Lambda handler in this process, like Lambda runs execution environments: each
 * instance is its own module (module-scope state such as cached clients survives across invocations,
 * like a warm container) and serves one invocation at a time; concurrent invocations get more
 * instances (cold starts), and an instance that timed out is thrown away. Each has the function's
 * environment variables, timeout and a Lambda-shaped context object.
 */
export class LocalLambda {
  /** Warm instances waiting for an invocation. */
  private readonly idle: Handler[] = [];
  private source?: { filename: string; code: string };
  /** Instances created so far (cold starts). */
  instances = 0;
  private readonly clock: Clock;

  constructor(
    readonly definition: LambdaDefinition,
    private readonly baseEnvironment: Record<string, string> = {},
    private readonly options: LocalLambdaOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Invocations running now. */
  private active = 0;

  async invoke(event: unknown): Promise<unknown> {
    this.options.beforeInvoke?.();
    const reserved = this.options.reservedConcurrency;
    if (reserved !== undefined && this.active >= reserved) {
      throw AwsError.of('lambda', 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
    }
    this.active++;
    try {
      return await this.run(event);
    } finally {
      this.active--;
    }
  }

  private async run(event: unknown): Promise<unknown> {
    const handler = this.idle.pop() ?? this.load();
    let reusable = true;
    const { timeoutSeconds, functionName, functionArn, memorySize } = this.definition;
    const clock = this.clock;
    const deadline = clock.now().getTime() + timeoutSeconds * 1000;
    const context = {
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn,
      memoryLimitInMB: String(memorySize),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - clock.now().getTime()),
      callbackWaitsForEmptyEventLoop: true,
    };
    let cancelTimeout: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancelTimeout = startTimer(clock, timeoutSeconds * 1000, () =>
        reject(new LambdaFunctionError('Sandbox.Timedout', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`, [])),
      );
    });
    try {
      // Round-trip through JSON like the Lambda service does.
      const result = await Promise.race([handler(JSON.parse(JSON.stringify(event ?? null)), context), timeout]);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      if (error instanceof LambdaFunctionError) {
        // A timed-out sandbox is reset by Lambda: its module state is not reused.
        if (error.errorType === 'Sandbox.Timedout') reusable = false;
        throw error;
      }
      const e = error as Error;
      throw new LambdaFunctionError(e?.name && e.name !== 'Error' ? e.name : 'Error', e?.message ?? String(error), String(e?.stack ?? '').split('\n'));
    } finally {
      cancelTimeout?.();
      if (reusable) this.idle.push(handler);
    }
  }

  /** A new instance: the bundle compiled as a fresh module (its own module-scope state). */
  private load(): Handler {
    if (!this.source) {
      const [file] = splitHandler(this.definition.handler);
      const filename = ['.js', '.cjs'].map((ext) => path.join(this.definition.codeDir, file + ext)).find((f) => fs.existsSync(f));
      if (!filename) throw new Error(`Lambda ${this.definition.functionName}: no ${file}.js in ${this.definition.codeDir}`);
      this.source = { filename, code: fs.readFileSync(filename, 'utf8') };
    }
    const [, exportName] = splitHandler(this.definition.handler);
    // The AWS SDK (provided by the runtime, so outside the bundle) reads region, endpoint and credentials
    // from the real process.env; the function's own variables are visible to its code only.
    const nodeProcess = realProcess();
    Object.assign(nodeProcess.env, this.baseEnvironment);
    const env = { ...nodeProcess.env, ...this.definition.environment };
    const functionProcess = Object.create(nodeProcess, { env: { value: env, enumerable: true } }) as NodeJS.Process;
    const globals: LocalGlobals = { process: functionProcess };
    if (this.options.onLog) globals.console = teeConsole(this.options.onLog);
    if (this.clock !== systemClock) {
      const clock = this.clock;
      globals.Date = clockDate(() => clock.now().getTime());
    }
    const mod = compileModule(this.source.filename, this.source.code, globals);
    const fn = (mod.exports as Record<string, unknown>)[exportName];
    if (typeof fn !== 'function') throw new Error(`Lambda ${this.definition.functionName}: ${this.definition.handler} is not a function`);
    this.instances++;
    return fn as Handler;
  }
}

/** Globals a function's module sees instead of Node's: its own `process` (environment), and `Date` on the cloud's clock. */
interface LocalGlobals {
  process: NodeJS.Process;
  Date?: DateConstructor;
  console?: Console;
}

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/** Node's real console whose logging methods also hand each formatted line to `onLine`. */
function teeConsole(onLine: (line: string) => void): Console {
  const real = realConsole();
  const tee = Object.create(real) as Console;
  for (const method of CONSOLE_METHODS) {
    const original = real[method].bind(real);
    tee[method] = (...args: unknown[]) => {
      original(...args);
      try {
        onLine(format(...args));
      } catch {
        // A listener's failure is not the function's.
      }
    };
  }
  return tee;
}

let nodeConsoleCache: Console | undefined;

/** The console of Node's real context (what the function's code would use without the tee). */
function realConsole(): Console {
  nodeConsoleCache ??= compileModule(path.join(__dirname, 'real-console.js'), 'module.exports = console;').exports as Console;
  return nodeConsoleCache;
}

type CompiledModule = Module & { _compile(code: string, filename: string): void; localGlobals?: LocalGlobals };

/**
 * Compiles CommonJS code as its own module in Node's real context (not a test runner's sandbox), with
 * `process` (and `Date`, when given) bound to `globals` inside it (a `var` after the "use strict" prologue
 * shadows the global).
 */
function compileModule(filename: string, code: string, globals?: LocalGlobals): CompiledModule {
  const mod = new Module(filename, module) as CompiledModule;
  mod.filename = filename;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(filename));
  let source = code;
  if (globals) {
    mod.localGlobals = globals;
    const prologue = /^(?:#![^\n]*\n)?\s*(['"])use strict\1;?/.exec(code)?.[0] ?? '';
    const names = Object.keys(globals).filter((name) => globals[name as keyof LocalGlobals] !== undefined);
    source = `${prologue}var ${names.map((name) => `${name} = module.localGlobals.${name}`).join(', ')};${code.slice(prologue.length)}`;
  }
  mod._compile(source, filename);
  return mod;
}

type ClockDateFactory = (now: () => number) => DateConstructor;
let clockDateFactory: ClockDateFactory | undefined;

/**
 * A `Date` of Node's real context whose current time is `now()`: `Date.now()`, `new Date()` and `Date()` follow
 * it; every other form (`new Date(ms)`, `Date.parse`, `Date.UTC`) is the real Date's, and `instanceof Date`
 * holds for any real Date (an SDK's response dates too).
 */
function clockDate(now: () => number): DateConstructor {
  clockDateFactory ??= compileModule(
    path.join(__dirname, 'clock-date.js'),
    `'use strict';
module.exports = (now) => {
  const RealDate = Date;
  const ClockDate = class Date extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(now());
      else super(...args);
    }
    static now() {
      return now();
    }
    static [Symbol.hasInstance](value) {
      return value instanceof RealDate;
    }
  };
  return new Proxy(ClockDate, { apply: () => new RealDate(now()).toString() });
};`,
  ).exports as ClockDateFactory;
  return clockDateFactory(now);
}

let nodeProcessCache: NodeJS.Process | undefined;

/** The process object of Node's real context: under jest, `process` here is a sandbox copy whose env the SDK never sees. */
function realProcess(): NodeJS.Process {
  nodeProcessCache ??= compileModule(path.join(__dirname, 'real-process.js'), 'module.exports = process;').exports as NodeJS.Process;
  return nodeProcessCache;
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
