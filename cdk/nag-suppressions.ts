import { Stack, Token, Validations } from 'aws-cdk-lib';
import type { ApiGatewayLogsRole, DeploymentStage } from './deployment-settings';

const NO_ROLE =
  'A stage with access or execution logging fails to deploy unless the account has an API Gateway CloudWatch role; deploy with -c apiGatewayLogsRole=existing (or create) to turn logging on (docs/logging.md).';

/**
 * cdk-nag AwsSolutions findings we accept, each with its reason. Applied by the stack itself so the
 * test that runs the checks (test/cdk/nag.test.ts) sees exactly what deploys; any new finding fails it.
 */
export const ACCEPTED_FINDINGS: { id: string; reason: string }[] = [
  {
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason: 'AWS-managed policy that only lets our Lambdas write their own logs.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords and the CloudWatch Logs delivery actions that Express logging needs (logs:CreateLogDelivery etc.) support no resource-level permissions.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::<FeatureFlagsReaderDCBFD27C.Arn>:*]',
    reason: 'CDK grantInvoke also allows the version/alias qualifiers of our own flags function, nothing else.',
  },
  {
    id: 'AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application/<FeatureFlagsApplication5F1BB13D>/environment/<FeatureFlagsEnvironment6234CD53>/configuration/*]',
    reason: 'Reading configuration of our own AppConfig environment (grantReadConfig); the profile id is only known at deploy time.',
  },
  {
    id: 'AwsSolutions-APIG3',
    reason: 'WAF web ACLs are account-wide infrastructure; stage throttling limits abuse here. docs/architecture.md shows how to attach one.',
  },
  { id: 'AwsSolutions-SQS3', reason: 'These queues ARE the dead-letter queues of the workflows; poison messages stay put with their receive count.' },
  { id: 'AwsSolutions-L1', reason: 'nodejs22.x is the runtime this project targets and tests against.' },
];

/** `extra`: the findings the chosen auth mode accepts (cdk/auth.ts AUTH_ACCEPTED_FINDINGS). */
export function suppressJustifiedFindings(stack: Stack, extra: readonly { id: string; reason: string }[] = []): void {
  for (const finding of [...ACCEPTED_FINDINGS, ...extra]) {
    for (const id of new Set([finding.id, withStackEnv(stack, finding.id)])) Validations.of(stack).acknowledge({ ...finding, id });
  }
}

/**
 * With a concrete env (what `cdk deploy` gives the app through CDK_DEFAULT_ACCOUNT/REGION), ARNs built by
 * formatArn carry a literal partition, region and account, and so does the finding id cdk-nag derives from them
 * (AWS-managed policy ARNs keep <AWS::Partition>, hence both forms are acknowledged).
 */
export function withStackEnv(stack: Stack, id: string): string {
  let result = id;
  if (!Token.isUnresolved(stack.partition)) result = result.split('<AWS::Partition>').join(stack.partition);
  if (!Token.isUnresolved(stack.region)) result = result.split('<AWS::Region>').join(stack.region);
  if (!Token.isUnresolved(stack.account)) result = result.split('<AWS::AccountId>').join(stack.account);
  return result;
}

/** The findings that follow from who provides API Gateway's CloudWatch role (cdk/deployment-settings.ts). */
export const API_LOGS_ROLE_FINDINGS: Record<ApiGatewayLogsRole, { id: string; reason: string }[]> = {
  none: [
    { id: 'AwsSolutions-APIG1', reason: NO_ROLE },
    { id: 'AwsSolutions-APIG6', reason: NO_ROLE },
  ],
  existing: [],
  create: [
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'The account-level role API Gateway needs to write access and execution logs; AWS-managed and logging-only.',
    },
  ],
};

export function acknowledgeApiLogsRoleFindings(stack: Stack, role: ApiGatewayLogsRole): void {
  for (const finding of API_LOGS_ROLE_FINDINGS[role]) Validations.of(stack).acknowledge(finding);
}

/** prod logs executions at ERROR without data (cdk/deployment-settings.ts EXECUTION_LOGS): cdk-nag SF1 wants ALL. */
export function acknowledgeStageFindings(stack: Stack, stage: DeploymentStage): void {
  if (stage !== 'prod') return;
  Validations.of(stack).acknowledge({
    id: 'AwsSolutions-SF1',
    reason: 'prod logs ERROR events only, without execution data: request bodies (names, emails, phones) never reach the logs; X-Request-Id and GET /requests/{id} find a request (docs/logging.md).',
  });
}
