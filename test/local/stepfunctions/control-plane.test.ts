/**
 * ListTagsForResource, ListStateMachineVersions and DescribeStateMachineForExecution (SDK v3 against the local endpoint).
 * Tags come from CreateStateMachine's `tags` or, for the template's machines, AWS::StepFunctions::StateMachine's `Tags`.
 */
import {
  CreateStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ListStateMachineVersionsCommand,
  ListTagsForResourceCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { ACCOUNT, PASS_DEFINITION, REGION, ROLE, TestCloud, rejection, startCloud } from './helpers';

let cloud: TestCloud;
let taggedArn: string;
let plainArn: string;

beforeAll(async () => {
  cloud = await startCloud();
  taggedArn = (
    await cloud.sfn.send(
      new CreateStateMachineCommand({ name: 'tagged', definition: PASS_DEFINITION, roleArn: ROLE, tags: [{ key: 'team', value: 'orders' }, { key: 'stage', value: '' }] }),
    )
  ).stateMachineArn!;
  plainArn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'plain', definition: PASS_DEFINITION, roleArn: ROLE }))).stateMachineArn!;
});
afterAll(() => cloud.stop());

describe('ListTagsForResource', () => {
  it('answers the tags a machine was created with, and [] for none', async () => {
    expect((await cloud.sfn.send(new ListTagsForResourceCommand({ resourceArn: taggedArn }))).tags).toEqual([
      { key: 'team', value: 'orders' },
      { key: 'stage', value: '' },
    ]);
    expect((await cloud.sfn.send(new ListTagsForResourceCommand({ resourceArn: plainArn }))).tags).toEqual([]);
  });

  it('takes the template’s PascalCase Tags too', () => {
    const machine = cloud.sfnService.createStateMachine({ name: 'from-template', definition: PASS_DEFINITION, tags: [{ Key: 'Project', Value: 'CrudApi' }] });
    expect(machine.tags).toEqual([{ key: 'Project', value: 'CrudApi' }]);
  });

  it('answers ResourceNotFound for an unknown machine and InvalidArn for a non-Step Functions ARN', async () => {
    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope`;
    expect((await rejection(cloud.sfn.send(new ListTagsForResourceCommand({ resourceArn: missing })), 'ResourceNotFound')).message).toBe(`Resource not found: '${missing}'`);
    await rejection(cloud.sfn.send(new ListTagsForResourceCommand({ resourceArn: 'arn:aws:sqs:us-east-1:1:q' })), 'InvalidArn');
  });

  it('refuses bad tags at CreateStateMachine', async () => {
    await rejection(cloud.sfn.send(new CreateStateMachineCommand({ name: 'badtags', definition: PASS_DEFINITION, roleArn: ROLE, tags: [{ key: '', value: 'x' }] })), 'ValidationException');
  });
});

describe('ListStateMachineVersions', () => {
  it('answers an empty list (no versions are ever published locally) for a machine that exists', async () => {
    const { $metadata: _m, ...out } = await cloud.sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: taggedArn }));
    expect(out).toEqual({ stateMachineVersions: [] });
    await rejection(cloud.sfn.send(new ListStateMachineVersionsCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:nope` })), 'StateMachineDoesNotExist');
  });
});

describe('DescribeStateMachineForExecution', () => {
  it('describes the machine an execution ran, without status and type, with updateDate', async () => {
    const { executionArn } = await cloud.sfn.send(new StartExecutionCommand({ stateMachineArn: taggedArn }));
    const { $metadata: _m, ...out } = await cloud.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(out).toEqual({
      stateMachineArn: taggedArn,
      name: 'tagged',
      definition: PASS_DEFINITION,
      roleArn: ROLE,
      updateDate: expect.any(Date),
      loggingConfiguration: expect.objectContaining({ level: 'OFF' }),
      tracingConfiguration: { enabled: false },
    });
  });
});
