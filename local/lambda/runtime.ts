import * as fs from 'node:fs';
import Module from 'node:module';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';

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

/**
 * Runs a bundled Lambda handler in this process: its own module instance (module-scope state such as
 * cached clients survives across invocations, like a warm container), its environment variables, its
 * timeout and a Lambda-shaped context object.
 */
export class LocalLambda {
  private handlerFn?: Handler;

  constructor(readonly definition: LambdaDefinition, private readonly baseEnvironment: Record<string, string> = {}) {}

  async invoke(event: unknown): Promise<unknown> {
    const handler = this.load();
    const { timeoutSeconds, functionName, functionArn, memorySize } = this.definition;
    const deadline = Date.now() + timeoutSeconds * 1000;
    const context = {
      functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: functionArn,
      memoryLimitInMB: String(memorySize),
      awsRequestId: randomUUID(),
      logGroupName: `/aws/lambda/${functionName}`,
      logStreamName: 'local',
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      callbackWaitsForEmptyEventLoop: true,
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaFunctionError('Sandbox.Timedout', `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`, [])),
        timeoutSeconds * 1000,
      );
    });
    try {
      // Round-trip through JSON like the Lambda service does.
      const result = await Promise.race([handler(JSON.parse(JSON.stringify(event ?? null)), context), timeout]);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw error;
      const e = error as Error;
      throw new LambdaFunctionError(e?.name && e.name !== 'Error' ? e.name : 'Error', e?.message ?? String(error), String(e?.stack ?? '').split('\n'));
    } finally {
      clearTimeout(timer);
    }
  }

  private load(): Handler {
    if (this.handlerFn) return this.handlerFn;
    const [file, exportName] = splitHandler(this.definition.handler);
    const filename = ['.js', '.cjs', '.mjs'].map((ext) => path.join(this.definition.codeDir, file + ext)).find((f) => fs.existsSync(f));
    if (!filename) throw new Error(`Lambda ${this.definition.functionName}: no ${file}.js in ${this.definition.codeDir}`);
    // The environment is set before the module runs, since handlers read it at module scope.
    Object.assign(process.env, this.baseEnvironment, this.definition.environment);
    const mod = new Module(filename, module) as Module & { _compile(code: string, filename: string): void };
    mod.filename = filename;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(filename));
    mod._compile(fs.readFileSync(filename, 'utf8'), filename);
    const fn = (mod.exports as Record<string, unknown>)[exportName];
    if (typeof fn !== 'function') throw new Error(`Lambda ${this.definition.functionName}: ${this.definition.handler} is not a function`);
    this.handlerFn = fn as Handler;
    return this.handlerFn;
  }
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}
