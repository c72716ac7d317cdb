/**
 * The stack as the operator needs it, from its CloudFormation outputs (cdk/stack.ts): per resource
 * `<name>StateMachineArn`, `<name>DeadLetterQueueUrl`, `<name>TableName`; and `RedriveFunctionName`,
 * `FlagsApplicationId`, `FlagsEnvironmentId`, `FlagsProfileId`, `RequestsTableName`, `CircuitTableName`.
 */
import { NotFoundError } from './errors';
import type { ResourceInfo, StackInfo } from './types';

const STATE_MACHINE_SUFFIX = 'StateMachineArn';

export function stackInfoFromOutputs(outputs: Record<string, string>): StackInfo {
  const resources: ResourceInfo[] = [];
  for (const [key, value] of Object.entries(outputs)) {
    if (!key.endsWith(STATE_MACHINE_SUFFIX) || key === STATE_MACHINE_SUFFIX) continue;
    const name = key.slice(0, -STATE_MACHINE_SUFFIX.length);
    const deadLetterQueueUrl = outputs[`${name}DeadLetterQueueUrl`];
    if (!deadLetterQueueUrl) continue;
    resources.push({ name, stateMachineArn: value, deadLetterQueueUrl, tableName: outputs[`${name}TableName`] });
  }
  return {
    resources,
    outputs,
    flags: { application: outputs.FlagsApplicationId ?? '', environment: outputs.FlagsEnvironmentId ?? '', configurationProfile: outputs.FlagsProfileId ?? '' },
    redriveFunctionName: outputs.RedriveFunctionName,
    ...(outputs.RequestsTableName ? { requestsTableName: outputs.RequestsTableName } : {}),
    ...(outputs.CircuitTableName ? { circuitTableName: outputs.CircuitTableName } : {}),
  };
}

/** DescribeStacks' `Outputs` list → OutputKey → OutputValue. */
export function outputsToRecord(outputs: { OutputKey?: string; OutputValue?: string }[] | undefined): Record<string, string> {
  return Object.fromEntries((outputs ?? []).filter((o) => o.OutputKey).map((o) => [o.OutputKey!, o.OutputValue ?? '']));
}

/** The resource of that name, or a not-found error naming the known ones. */
export function requireResource(stack: StackInfo, name: string): ResourceInfo {
  const resource = stack.resources.find((r) => r.name === name);
  if (!resource) {
    throw new NotFoundError(`Unknown resource "${name}"; known resources: ${stack.resources.map((r) => r.name).join(', ') || '(none)'}`);
  }
  return resource;
}

/** The resource whose state machine has this ARN (or name), if any. */
export function resourceOfStateMachine(stack: StackInfo, stateMachineArnOrName: string | undefined): string | undefined {
  if (!stateMachineArnOrName) return undefined;
  return stack.resources.find((r) => r.stateMachineArn === stateMachineArnOrName || r.stateMachineArn.split(':').pop() === stateMachineArnOrName)?.name;
}
