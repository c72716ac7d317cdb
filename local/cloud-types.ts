import type { KnownCredential } from './apigateway/sigv4';
import type { ControllableClock } from './asl/clock';
import type { LocalCognito } from './cognito/service';
import type { LocalServices } from './services';
import type { LocalCloudWatch } from './services/cloudwatch';
import type { ExecutionLogs } from './stepfunctions/execution-logs';
import type { StepFunctionsService } from './stepfunctions/service';

export interface LocalCloudOptions {
  /** API Gateway port (default 3000; 0 picks a free one). */
  port?: number;
  /** AWS-compatible endpoint port (default 4566; 0 picks a free one). */
  endpointPort?: number;
  /** Address both servers listen on (default 127.0.0.1). */
  host?: string;
  /** Folder for tables, queues, executions and flags (default `.local-cloud`). Ignored with `inMemory`. */
  dataDir?: string;
  /** Keep everything in memory (tests, benchmarks). */
  inMemory?: boolean;
  /** CDK context over cdk.json's, as `cdk synth -c key=value` (e.g. { stage: 'prod' }: docs/logging.md; { auth: 'none' }: docs/auth.md). */
  context?: Record<string, unknown>;
  /** The IAM credentials AWS_IAM methods accept (SigV4, docs/auth.md); default [{ accessKeyId: 'local', secretAccessKey: 'local' }]. */
  credentials?: KnownCredential[];
  /** CloudFormation stack name (default 'CrudApi'). */
  stackName?: string;
  /** Run the template's EventBridge schedule rules (the redrive every 5 minutes). Default true. */
  schedules?: boolean;
  /**
   * Enforce the API's throttles and quotas (usage plans, the stage's MethodSettings), as API Gateway does. Default
   * true; false keeps the API key check but never answers 429 (benchmarks and chaos runs measure the workflow).
   */
  throttling?: boolean;
  /** Where progress lines and warnings go (default console.log). */
  log?: (line: string) => void;
  /** The cloud's one clock (default: a new one at real time). Tests may hand in their own to start ahead or keep a reference. */
  clock?: ControllableClock;
}

/** An enabled API key of the REST API, e.g. { name: 'CrudApi-default', id: 'k3x9...', value: '40 characters' }. */
export interface LocalApiKey {
  name: string;
  id: string;
  value: string;
}

/** One REST resource of the app, as the template deploys it. */
export interface LocalResource {
  /** e.g. 'orders' */
  name: string;
  stateMachineArn: string;
  tableName: string;
  deadLetterQueueUrl: string;
}

export interface LocalCloud {
  /** The API's stage URL, e.g. http://127.0.0.1:3000/v1. As on AWS, only paths under the stage serve the API: `/orders` answers 403 {"message":"Forbidden"}. */
  apiUrl: string;
  /** The AWS-compatible endpoint, e.g. http://127.0.0.1:4566: set AWS_ENDPOINT_URL to it. */
  endpointUrl: string;
  /** The IAM credentials the API accepts when its methods are AWS_IAM (outputs.AuthMode 'iam'). */
  credentials: KnownCredential[];
  /** The console page (executions, state machine graphs, DLQ redrive, flags), e.g. http://127.0.0.1:4566/console/. */
  consoleUrl: string;
  /** The stack outputs, resolved to local values (ApiUrl is apiUrl). */
  outputs: Record<string, string>;
  resources: LocalResource[];
  /** Lambda function names by their template logical id prefix, e.g. { FlagsReader: 'CrudApi-FlagsReader...', Redrive: '...' }. */
  functions: Record<string, string>;
  /** AppConfig identifiers of the feature flags (for `services.appConfig.setFeatureFlag`). */
  flags: { application: string; environment: string; configurationProfile: string };
  /** Resource types and integrations of the template that are not emulated, one line each. */
  warnings: string[];
  services: LocalServices;
  stepFunctions: StepFunctionsService;
  /** The executions' CloudWatch Logs as their LoggingConfiguration writes them (level, includeExecutionData); under <dataDir>/logs too. */
  executionLogs: ExecutionLogs;
  /** The template's alarms, evaluated every minute of the clock, and the metrics behind them (also on the endpoint's CloudWatch API). */
  cloudWatch: LocalCloudWatch;
  /** The template's Cognito user pools and app clients (cognito-idp on the endpoint; tokens for the API's Cognito authorizer). */
  cognito: LocalCognito;
  /** The API keys of the template's usage plans (values generated locally when the template has none): send one as `x-api-key`. */
  apiKeys: LocalApiKey[];
  /**
   * The clock everything runs on: real time plus an offset. `await clock.advance(ms)` skips time: SQS messages
   * become visible or expire, retries and Wait states end, TTL items are swept, Lambdas see the new `Date`, and
   * each schedule fires once per period skipped (the Promise resolves after those invocations).
   */
  clock: ControllableClock;
  /** Invokes a Lambda of the template in-process (e.g. the redrive function) and returns its result. */
  invokeFunction(functionName: string, event?: unknown): Promise<unknown>;
  /** Stops both servers and closes the data stores (pending writes are flushed). */
  stop(): Promise<void>;
}
