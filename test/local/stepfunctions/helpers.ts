/** A local cloud for the Step Functions tests: in-memory services, our StepFunctionsService, the endpoint, SDK clients. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Clock } from '../../../local/asl';
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import { LocalServices } from '../../../local/services';
import { buildIntegrations } from '../../../local/stepfunctions/integrations';
import type { InvocableFunction } from '../../../local/stepfunctions/lambda-invoke';
import { StepFunctionsService } from '../../../local/stepfunctions/service';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const ROLE = `arn:aws:iam::${ACCOUNT}:role/sfn`;
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };

export interface TestCloud {
  services: LocalServices;
  sfnService: StepFunctionsService;
  endpoint: RunningEndpoint;
  sfn: SFNClient;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
  lambdas: Map<string, InvocableFunction>;
  stop(): Promise<void>;
}

export async function startCloud(options: { clock?: Clock; dataDir?: string; maxExecutions?: number } = {}): Promise<TestCloud> {
  const services = await LocalServices.open({ inMemory: true });
  const lambdas = new Map<string, InvocableFunction>();
  const sfnService = new StepFunctionsService({
    region: REGION,
    account: ACCOUNT,
    taskHandlers: buildIntegrations({ dynamodb: services.dynamodb, sqs: services.sqs, events: services.events, lambdas }),
    clock: options.clock,
    dataDir: options.dataDir,
    maxExecutions: options.maxExecutions,
  });
  const endpoint = await startEndpoint({ services, stepFunctions: sfnService, port: 0 });
  const config = { endpoint: endpoint.url, region: REGION, credentials, maxAttempts: 1 };
  const sfn = new SFNClient({ ...config, disableHostPrefix: true });
  const dynamodb = new DynamoDBClient(config);
  const sqs = new SQSClient(config);
  return {
    services,
    sfnService,
    endpoint,
    sfn,
    dynamodb,
    sqs,
    lambdas,
    async stop() {
      for (const client of [sfn, dynamodb, sqs]) client.destroy();
      await endpoint.close();
      await sfnService.close();
      await services.close();
    },
  };
}

/** Expects the promise to reject with an AWS error of this name; returns it. */
export async function rejection(promise: Promise<unknown>, name: string): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    expect((error as Error).name).toBe(name);
    return error as Error;
  }
  throw new Error(`expected ${name}, but the call succeeded`);
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'sfn-'));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export const PASS_DEFINITION = JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { Arg1: 'argument1' }, End: true } } });

/** Waits 100,000 s (under setTimeout's 2^31 ms limit): stays RUNNING until stopped. */
export const WAIT_DEFINITION = JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100000, End: true } } });

export function definition(states: Record<string, unknown>, startAt = Object.keys(states)[0]): string {
  return JSON.stringify({ StartAt: startAt, States: states });
}

/** Polls until the check passes (executions started with StartExecution run in the background). */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}
