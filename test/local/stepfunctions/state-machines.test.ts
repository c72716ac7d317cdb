import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  ListStateMachinesCommand,
} from '@aws-sdk/client-sfn';
import { ACCOUNT, PASS_DEFINITION, REGION, ROLE, TestCloud, definition, rejection, startCloud } from './helpers';

const arnOf = (name: string) => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${name}`;

describe('Step Functions state machines (SDK v3 against the local endpoint)', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  });
  afterAll(() => cloud.stop());

  const create = (input: { name: string; definition?: string; type?: 'STANDARD' | 'EXPRESS'; roleArn?: string }) =>
    cloud.sfn.send(new CreateStateMachineCommand({ definition: PASS_DEFINITION, roleArn: ROLE, ...input }));

  it('creates STANDARD and EXPRESS machines and describes them as AWS does', async () => {
    const standard = await create({ name: 'std-1' });
    expect(standard.stateMachineArn).toBe(arnOf('std-1'));
    expect(standard.creationDate).toBeInstanceOf(Date);
    const express = await create({ name: 'exp-1', type: 'EXPRESS' });

    const described = await cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: express.stateMachineArn }));
    const { $metadata: _m, ...fields } = described;
    expect(fields).toEqual({
      stateMachineArn: arnOf('exp-1'),
      name: 'exp-1',
      status: 'ACTIVE',
      definition: PASS_DEFINITION,
      roleArn: ROLE,
      type: 'EXPRESS',
      creationDate: express.creationDate,
      // AWS's defaults when the request has none.
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    });
    expect((await cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: standard.stateMachineArn }))).type).toBe('STANDARD');
  });

  it('is idempotent for an identical request, ignores a different roleArn, and refuses any other difference', async () => {
    const first = await create({ name: 'idem' });
    const again = await create({ name: 'idem' });
    expect(again.stateMachineArn).toBe(first.stateMachineArn);
    expect(again.creationDate).toEqual(first.creationDate);

    // "If a following request has a different roleArn or tags, Step Functions will ignore these differences" (API reference).
    await create({ name: 'idem', roleArn: `arn:aws:iam::${ACCOUNT}:role/other` });
    expect((await cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: first.stateMachineArn }))).roleArn).toBe(ROLE);

    const other = definition({ P: { Type: 'Pass', End: true } });
    const err = await rejection(create({ name: 'idem', definition: other }), 'StateMachineAlreadyExists');
    expect(err.message).toBe(`State Machine Already Exists: '${arnOf('idem')}'`);
    // Same JSON, other formatting: still a different definition (as recorded on AWS).
    await rejection(create({ name: 'idem', definition: JSON.stringify(JSON.parse(PASS_DEFINITION), null, 2) }), 'StateMachineAlreadyExists');
    await rejection(create({ name: 'idem', type: 'EXPRESS' }), 'StateMachineAlreadyExists');
  });

  it('keeps logging and tracing configuration, from the API or from the template (CloudFormation shape)', async () => {
    const logGroupArn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/sfn/logged:*`;
    const loggingConfiguration = { level: 'ALL' as const, includeExecutionData: true, destinations: [{ cloudWatchLogsLogGroup: { logGroupArn } }] };
    const viaApi = await cloud.sfn.send(
      new CreateStateMachineCommand({ name: 'logged', definition: PASS_DEFINITION, roleArn: ROLE, type: 'EXPRESS', loggingConfiguration, tracingConfiguration: { enabled: true } }),
    );
    const described = await cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: viaApi.stateMachineArn }));
    expect(described).toMatchObject({ loggingConfiguration, tracingConfiguration: { enabled: true } });
    // A different logging level is a different machine.
    await rejection(create({ name: 'logged', type: 'EXPRESS' }), 'StateMachineAlreadyExists');

    const fromTemplate = cloud.sfnService.createStateMachine({
      name: 'from-template',
      definition: JSON.parse(PASS_DEFINITION),
      roleArn: ROLE,
      type: 'EXPRESS',
      loggingConfiguration: { Level: 'ALL', IncludeExecutionData: true, Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: logGroupArn } }] },
      tracingConfiguration: { Enabled: true },
    });
    const templated = await cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: fromTemplate.stateMachineArn }));
    expect(templated).toMatchObject({ definition: PASS_DEFINITION, loggingConfiguration, tracingConfiguration: { enabled: true } });
  });

  it('rejects a bad definition with InvalidDefinition', async () => {
    const err = await rejection(create({ name: 'bad', definition: JSON.stringify({ StartAt: 'Nowhere' }) }), 'InvalidDefinition');
    expect(err.message).toMatch(/^Invalid State Machine Definition: /);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    await rejection(create({ name: 'bad', definition: '{not json' }), 'InvalidDefinition');
  });

  it('rejects what Express machines do not support, with the messages recorded on AWS', async () => {
    const token = definition({ Publish: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { QueueUrl: 'q', MessageBody: { 'Token.$': '$$.Task.Token' } }, End: true } });
    const err = await rejection(create({ name: 'exp-token', type: 'EXPRESS', definition: token }), 'InvalidDefinition');
    expect(err.message).toBe(
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.waitForTaskToken' service integration  at /States/Publish/Resource'",
    );
    // The same definition is fine for a STANDARD machine.
    await create({ name: 'std-token', definition: token });
  });

  it('validates names: 1-80 characters, none of the forbidden ones', async () => {
    for (const name of ['', 'a'.repeat(81), 'has space', 'a/b', 'a:b', 'a*b', 'a{b}', 'tab\tname']) {
      const err = await rejection(create({ name }), 'InvalidName');
      expect(err.message).toBe(`Invalid Name: '${name}'`);
    }
    // Dots, unicode and 80 characters are allowed.
    await create({ name: 'v1.2-ünïcode_ok' });
    await create({ name: 'b'.repeat(80) });
  });

  it('lists state machines by name, with maxResults/nextToken pagination', async () => {
    for (const name of ['list-c', 'list-a', 'list-b']) await create({ name });
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cloud.sfn.send(new ListStateMachinesCommand({ maxResults: 2, nextToken }));
      expect(page.stateMachines!.length).toBeLessThanOrEqual(2);
      for (const m of page.stateMachines!) {
        expect(Object.keys(m).sort()).toEqual(['creationDate', 'name', 'stateMachineArn', 'type']);
        names.push(m.name!);
      }
      nextToken = page.nextToken;
    } while (nextToken);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['list-a', 'list-b', 'list-c', 'std-1', 'exp-1']));

    const tooMany = await rejection(cloud.sfn.send(new ListStateMachinesCommand({ maxResults: 1001 })), 'ValidationException');
    expect(tooMany.message).toBe("1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000");
    await rejection(cloud.sfn.send(new ListStateMachinesCommand({ nextToken: 'bogus' })), 'InvalidToken');
  });

  it('answers bad and unknown ARNs with the AWS errors and texts', async () => {
    const invalid = await rejection(cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: 'not_a_valid_arn' })), 'InvalidArn');
    expect(invalid.message).toBe("Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'");
    const wrongType = `arn:aws:states:${REGION}:${ACCOUNT}:execution:std-1:x`;
    const typed = await rejection(cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: wrongType })), 'InvalidArn');
    expect(typed.message).toBe("Invalid Arn: 'Resource type not valid in this context: execution'");
    const missing = await rejection(cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arnOf('nope') })), 'StateMachineDoesNotExist');
    expect(missing.message).toBe(`State Machine Does Not Exist: '${arnOf('nope')}'`);
  });

  it('deletes a machine; deleting an unknown one succeeds, as on AWS', async () => {
    const { stateMachineArn } = await create({ name: 'to-delete' });
    await cloud.sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    await rejection(cloud.sfn.send(new DescribeStateMachineCommand({ stateMachineArn })), 'StateMachineDoesNotExist');
    await cloud.sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
  });
});
