import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * Per-deployment settings: each comes from a stack property, else from CDK context (`cdk deploy -c stage=prod`,
 * or cdk.json's "context"), else a default. docs/logging.md explains each choice and its cost.
 */

/** dev keeps every execution's data for debugging; prod keeps personal data out of the logs. */
export type DeploymentStage = 'dev' | 'prod';

/**
 * Who provides the account-wide role API Gateway writes CloudWatch Logs with (access and execution logging both need it):
 * - none: nobody; the stage logs nothing, since a stage with logging fails to deploy without the role;
 * - existing: the account already has one (API Gateway → Settings → CloudWatch log role ARN); the stage logs;
 * - create: this stack creates the role and the AWS::ApiGateway::Account singleton (one per account and region:
 *   a second stack doing the same overwrites it, and removing this stack leaves the setting pointing at a deleted role).
 */
export type ApiGatewayLogsRole = 'none' | 'existing' | 'create';

export interface DeploymentSettingsProps {
  /** Context `stage`; default 'dev'. */
  readonly stage?: DeploymentStage;
  /** X-Execution-Arn on every response (it names the account). Context `debugHeaders`; default false in every stage. */
  readonly debugHeaders?: boolean;
  /** Context `apiGatewayLogsRole`; default 'none'. */
  readonly apiGatewayLogsRole?: ApiGatewayLogsRole;
}

export interface DeploymentSettings {
  readonly stage: DeploymentStage;
  readonly debugHeaders: boolean;
  readonly apiGatewayLogsRole: ApiGatewayLogsRole;
  /** Access and execution logging of the API stage: only where the account has the role (or this stack sets it). */
  readonly apiGatewayLogging: boolean;
  /** The Express state machines' execution logging. */
  readonly executionLogs: { level: sfn.LogLevel; includeExecutionData: boolean };
}

const STAGES: readonly DeploymentStage[] = ['dev', 'prod'];
const ROLES: readonly ApiGatewayLogsRole[] = ['none', 'existing', 'create'];

/**
 * Execution logging per stage.
 * - dev: ALL with execution data: the console and `crud-ops` rebuild each execution's history from these events.
 * - prod: ERROR without execution data. ALL without data would still log ~20 events per request (state names,
 *   no payloads) at several times the cost, and the ERROR events (ExecutionFailed, TaskFailed...) keep
 *   only their error and cause; X-Request-Id and the request records find a request's outcome.
 */
export const EXECUTION_LOGS: Record<DeploymentStage, DeploymentSettings['executionLogs']> = {
  dev: { level: sfn.LogLevel.ALL, includeExecutionData: true },
  prod: { level: sfn.LogLevel.ERROR, includeExecutionData: false },
};

export function deploymentSettings(scope: Construct, props: DeploymentSettingsProps): DeploymentSettings {
  const stage = props.stage ?? oneOf(scope, 'stage', STAGES) ?? 'dev';
  const apiGatewayLogsRole = props.apiGatewayLogsRole ?? oneOf(scope, 'apiGatewayLogsRole', ROLES) ?? 'none';
  const debugHeaders = props.debugHeaders ?? booleanContext(scope, 'debugHeaders') ?? false;
  if (!STAGES.includes(stage)) throw new Error(`stage must be one of ${STAGES.join(', ')}, got ${JSON.stringify(stage)}`);
  if (!ROLES.includes(apiGatewayLogsRole)) throw new Error(`apiGatewayLogsRole must be one of ${ROLES.join(', ')}, got ${JSON.stringify(apiGatewayLogsRole)}`);
  return { stage, debugHeaders, apiGatewayLogsRole, apiGatewayLogging: apiGatewayLogsRole !== 'none', executionLogs: EXECUTION_LOGS[stage] };
}

function oneOf<T extends string>(scope: Construct, key: string, allowed: readonly T[]): T | undefined {
  const value = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (!allowed.includes(value)) throw new Error(`Context ${key} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** `-c debugHeaders=true` arrives as the string "true". */
function booleanContext(scope: Construct, key: string): boolean | undefined {
  const value = scope.node.tryGetContext(key);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`Context ${key} must be true or false, got ${JSON.stringify(value)}`);
}

/** Access-Control-Expose-Headers: the response headers a browser script may read. */
export function exposedHeaders(debugHeaders: boolean): string[] {
  return ['ETag', 'Location', 'X-Request-Id', ...(debugHeaders ? ['X-Execution-Arn'] : []), 'Retry-After'];
}
