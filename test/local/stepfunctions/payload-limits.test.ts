/**
 * Step Functions API payload limits, through the AWS SDK and the local endpoint.
 *
 * - StartExecution / StartSyncExecution `input`: "Length constraints apply to the payload size, and are expressed
 *   as bytes in UTF-8 encoding. Length Constraints: Maximum length of 262144."
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
 *   Over it, the request fails with the framework's ValidationException; `input` is a sensitive member, so the
 *   message leaves its value out ("Value at 'input' failed to satisfy constraint").
 * - sqs:sendMessage of a message over the queue's MaximumMessageSize: SQS answers InvalidParameterValue, which
 *   the optimized integration's SDK (Java v1) has no class for: `SQS.AmazonSQSException` (the name LocalStack
 *   gives SQS errors, and the one AWS users retry on), the wire code in the cause; the AWS SDK integration:
 *   `Sqs.SqsException` (see local/stepfunctions/task-errors.ts). A body that makes the Task's parameters larger
 *   than 256 KiB never reaches SQS: States.DataLimitExceeded.
 * - dynamodb:updateItem growing an item over DynamoDB's 400 KB: ValidationException, which the optimized
 *   integration names `DynamoDB.AmazonDynamoDBException` (see local/stepfunctions/task-errors.ts).
 * - An execution's output (the last state's output) over 256 KiB fails the execution with
 *   States.DataLimitExceeded ("Maximum input or output size for a task, state, or execution: 256 KiB of data as a
 *   UTF-8 encoded string", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateTableCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { ROLE, TestCloud, definition, rejection, startCloud } from './helpers';

const LIMIT = 262144;
const CJK = '\u4e2d'; // 3 bytes in UTF-8
const MESSAGE = "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144";
const DATA_LIMIT_CAUSE = (state: string) => `The state/task '${state}' returned a result with a size exceeding the maximum number of bytes service limit.`;

/** Execution input JSON text of exactly `bytes` bytes: a JSON string of ASCII characters. */
const inputOf = (bytes: number) => JSON.stringify('x'.repeat(bytes - 2));

describe('Step Functions API: payload limits', () => {
  let cloud: TestCloud;
  let express: string;
  let standard: string;
  let doubling: string;

  beforeAll(async () => {
    cloud = await startCloud();
    const echo = definition({ P: { Type: 'Pass', End: true } });
    express = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'echo-express', definition: echo, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
    standard = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'echo-standard', definition: echo, roleArn: ROLE }))).stateMachineArn!;
    // The output is the input twice: over 256 KiB for an input over 128 KiB.
    const twice = definition({ Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true } });
    doubling = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'double-express', definition: twice, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
  });
  afterAll(() => cloud.stop());

  describe.each([
    ['StartSyncExecution', (input: string) => new StartSyncExecutionCommand({ stateMachineArn: express, input })],
    ['StartExecution', (input: string) => new StartExecutionCommand({ stateMachineArn: standard, input })],
  ] as const)('%s input', (_name, command) => {
    it('accepts exactly 262,144 bytes', async () => {
      const out = await cloud.sfn.send(command(inputOf(LIMIT)) as never);
      expect(out).toHaveProperty('executionArn');
    });

    it('rejects 262,145 bytes with ValidationException (400), naming the member length constraint', async () => {
      const error = await rejection(cloud.sfn.send(command(inputOf(LIMIT + 1)) as never), 'ValidationException');
      expect(error.message).toBe(MESSAGE);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });

    it('counts UTF-8 bytes: 90,000 CJK characters (270,002 bytes) are rejected, 87,380 (262,142) accepted', async () => {
      await rejection(cloud.sfn.send(command(JSON.stringify(CJK.repeat(90000))) as never), 'ValidationException');
      const out = await cloud.sfn.send(command(JSON.stringify(CJK.repeat(87380))) as never);
      expect(out).toHaveProperty('executionArn');
    });
  });

  it('a StartSyncExecution whose output would be over 256 KiB answers FAILED with States.DataLimitExceeded', async () => {
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: 'x'.repeat(140000) }) }));
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect(out.cause).toBe(DATA_LIMIT_CAUSE('Double'));
    expect(out.output).toBeUndefined();

    const ok = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: 'x'.repeat(120000) }) }));
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output!.length).toBe(240015);
  });

  it('in UTF-8: 45,000 CJK characters doubled (270,000+ bytes) fail, though only 90,000 characters', async () => {
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: CJK.repeat(45000) }) }));
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
  });

  describe('SQS through the Step Functions integrations', () => {
    let small: string;
    let counter = 0;
    beforeAll(async () => {
      small = (await cloud.sqs.send(new CreateQueueCommand({ QueueName: 'small', Attributes: { MaximumMessageSize: '1024' } }))).QueueUrl!;
    });

    async function send(resource: string, body: string, queueUrl = small) {
      const def = definition({
        Send: {
          Type: 'Task',
          Resource: resource,
          Parameters: { QueueUrl: queueUrl, 'MessageBody.$': '$.body' },
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
          ResultPath: '$.sent',
          End: true,
        },
        Caught: { Type: 'Pass', OutputPath: '$.error', End: true },
      });
      const arn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: `sqs-${++counter}`, definition: def, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
      const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ body }) }));
      return { ...out, result: out.output === undefined ? undefined : JSON.parse(out.output) };
    }

    it('sqs:sendMessage over the queue maximum: SQS.AmazonSQSException with the Java SDK v1 cause', async () => {
      expect((await send('arn:aws:states:::sqs:sendMessage', 'x'.repeat(1024))).result.sent.MessageId).toEqual(expect.any(String));
      const out = await send('arn:aws:states:::sqs:sendMessage', 'x'.repeat(1025));
      expect(out.result.Error).toBe('SQS.AmazonSQSException');
      expect(out.result.Cause).toMatch(
        /^One or more parameters are invalid\. Reason: Message must be shorter than 1024 bytes\. \(Service: AmazonSQS; Status Code: 400; Error Code: InvalidParameterValue; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
      );
    });

    it('aws-sdk:sqs:sendMessage over the queue maximum: Sqs.SqsException with the SDK v2 cause', async () => {
      const out = await send('arn:aws:states:::aws-sdk:sqs:sendMessage', CJK.repeat(342)); // 1,026 bytes, 342 characters
      expect(out.result.Error).toBe('Sqs.SqsException');
      expect(out.result.Cause).toMatch(/^One or more parameters are invalid\. Reason: Message must be shorter than 1024 bytes\. \(Service: Sqs, Status Code: 400, Request ID: [0-9a-f-]{36}\)$/);
    });

    it('a body over 256 KiB fails the execution before SQS sees it (the Task parameters are over the quota)', async () => {
      const big = (await cloud.sqs.send(new CreateQueueCommand({ QueueName: 'big', Attributes: { MaximumMessageSize: '1048576' } }))).QueueUrl!;
      const input = 'x'.repeat(131100); // the execution input is within 256 KiB...
      const def = definition({
        Send: {
          Type: 'Task',
          Resource: 'arn:aws:states:::sqs:sendMessage',
          Parameters: { QueueUrl: big, 'MessageBody.$': "States.Format('{}{}', $.body, $.body)" }, // ...the parameters are not
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
          End: true,
        },
        Caught: { Type: 'Pass', End: true },
      });
      const arn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'sqs-big', definition: def, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
      const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ body: input }) }));
      expect(out).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: DATA_LIMIT_CAUSE('Send') });
    });
  });

  it('dynamodb:updateItem over 400 KB: DynamoDB.AmazonDynamoDBException, ValidationException in the cause', async () => {
    await cloud.dynamodb.send(
      new CreateTableCommand({ TableName: 'big-items', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    await cloud.dynamodb.send(new PutItemCommand({ TableName: 'big-items', Item: { pk: { S: 'k' }, a: { S: CJK.repeat(100000) } } })); // 300,000 bytes
    const def = definition({
      Update: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:updateItem',
        Parameters: { TableName: 'big-items', Key: { pk: { S: 'k' } }, UpdateExpression: 'SET b = :b', ExpressionAttributeValues: { ':b': { 'S.$': '$.b' } } },
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    });
    const arn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'ddb-big', definition: def, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
    // 40,000 CJK characters: 120,000 bytes (the parameters stay within 256 KiB; the item would be 420,000+).
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ b: CJK.repeat(40000) }) }));
    expect(out.status).toBe('SUCCEEDED');
    const error = JSON.parse(out.output!);
    expect(error.Error).toBe('DynamoDB.AmazonDynamoDBException');
    expect(error.Cause).toMatch(
      /^Item size to update has exceeded the maximum allowed size \(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ValidationException; Request ID: [0-9a-f-]{36}; Proxy: null\)$/,
    );
  });

  it('a STANDARD execution failing on its output: DescribeExecution and the history as AWS records them', async () => {
    const def = definition({ Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true } });
    const arn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'double-standard', definition: def, roleArn: ROLE }))).stateMachineArn!;
    const { executionArn } = await cloud.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ s: 'x'.repeat(140000) }) }));
    await cloud.sfnService.settled(executionArn!);
    const described = await cloud.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: DATA_LIMIT_CAUSE('Double') });
    const { events } = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(events![2].executionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause: DATA_LIMIT_CAUSE('Double') });
  });
});
