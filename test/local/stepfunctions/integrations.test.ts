import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateStateMachineCommand, GetExecutionHistoryCommand, HistoryEvent, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { scaledClock } from '../../../local/asl';
import { LocalLambda } from '../../../local/lambda/runtime';
import { ACCOUNT, REGION, ROLE, TestCloud, definition, removeDir, startCloud, tempDir } from './helpers';

const TABLE = 'items';
const V1_CAUSE = (message: string, code: string) =>
  new RegExp(`^${message} \\(Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ${code}; Request ID: [0-9a-f-]{36}; Proxy: null\\)$`);
const V2_CAUSE = (message: string) => new RegExp(`^${message} \\(Service: DynamoDb, Status Code: 400, Request ID: [0-9a-f-]{36}\\)$`);

/** A Task whose errors land in $.error (Catch States.ALL), so the test can read the error name and cause. */
function catching(task: Record<string, unknown>, errorEquals = ['States.ALL']): string {
  return definition({
    T: { Type: 'Task', ...task, Catch: [{ ErrorEquals: errorEquals, ResultPath: '$.error', Next: 'Caught' }], End: true },
    Caught: { Type: 'Pass', End: true },
  });
}

describe('Step Functions service integrations', () => {
  let cloud: TestCloud;
  let counter = 0;

  beforeAll(async () => {
    // Retry backoff runs 1000x faster; timestamps stay plausible.
    cloud = await startCloud({ clock: scaledClock(0.001) });
    await cloud.dynamodb.send(
      new CreateTableCommand({ TableName: TABLE, AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
  });
  afterAll(() => cloud.stop());
  afterEach(() => cloud.services.faults.clear());

  /** Runs a definition synchronously on a new EXPRESS machine and returns the parsed output (or the failure). */
  async function runSync(def: string, input: unknown = {}) {
    const { stateMachineArn } = await cloud.sfn.send(new CreateStateMachineCommand({ name: `sync-${++counter}`, definition: def, roleArn: ROLE, type: 'EXPRESS' }));
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
    return { ...out, result: out.output === undefined ? undefined : JSON.parse(out.output) };
  }

  /** Runs a definition on a new STANDARD machine and returns its history. */
  async function runStandard(def: string, input: unknown = {}): Promise<HistoryEvent[]> {
    const { stateMachineArn } = await cloud.sfn.send(new CreateStateMachineCommand({ name: `std-${++counter}`, definition: def, roleArn: ROLE }));
    const { executionArn } = await cloud.sfn.send(new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input) }));
    await cloud.sfnService.settled(executionArn!);
    return (await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events!;
  }

  const putItem = (resource = 'arn:aws:states:::dynamodb:putItem') => ({
    Resource: resource,
    Parameters: { TableName: TABLE, Item: { pk: { 'S.$': '$.id' }, name: { 'S.$': '$.name' } }, ConditionExpression: 'attribute_not_exists(pk)' },
    ResultPath: '$.put',
  });

  describe('DynamoDB', () => {
    it('dynamodb:putItem writes the item (read back with the DynamoDB client) and returns the SDK metadata', async () => {
      const out = await runSync(definition({ Put: { Type: 'Task', ...putItem(), End: true } }), { id: 'a1', name: 'first' });
      expect(out.status).toBe('SUCCEEDED');
      expect(out.result.put).toEqual({
        SdkHttpMetadata: {
          AllHttpHeaders: expect.objectContaining({ 'Content-Type': ['application/x-amz-json-1.0'], 'x-amzn-RequestId': [expect.any(String)] }),
          HttpHeaders: expect.objectContaining({ 'Content-Type': 'application/x-amz-json-1.0', 'Content-Length': '2' }),
          HttpStatusCode: 200,
        },
        SdkResponseMetadata: { RequestId: out.result.put.SdkHttpMetadata.HttpHeaders['x-amzn-RequestId'] },
      });
      const item = await cloud.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'a1' } } }));
      expect(item.Item).toEqual({ pk: { S: 'a1' }, name: { S: 'first' } });
    });

    it('records the Task events as GetExecutionHistory shows them on AWS', async () => {
      const events = await runStandard(definition({ Put: { Type: 'Task', ...putItem(), End: true } }), { id: 'h1', name: 'hist' });
      expect(events.map((e) => [e.type, e.id, e.previousEventId])).toEqual([
        ['ExecutionStarted', 1, 0],
        ['TaskStateEntered', 2, 0],
        ['TaskScheduled', 3, 2],
        ['TaskStarted', 4, 3],
        ['TaskSucceeded', 5, 4],
        ['TaskStateExited', 6, 5],
        ['ExecutionSucceeded', 7, 6],
      ]);
      const scheduled = events[2].taskScheduledEventDetails!;
      expect(scheduled).toEqual({ resourceType: 'dynamodb', resource: 'putItem', region: REGION, parameters: expect.any(String) });
      expect(JSON.parse(scheduled.parameters!)).toEqual({ TableName: TABLE, Item: { pk: { S: 'h1' }, name: { S: 'hist' } }, ConditionExpression: 'attribute_not_exists(pk)' });
      expect(events[3].taskStartedEventDetails).toEqual({ resourceType: 'dynamodb', resource: 'putItem' });
      expect(events[4].taskSucceededEventDetails).toMatchObject({ resourceType: 'dynamodb', resource: 'putItem', outputDetails: { truncated: false } });
    });

    it('lets a Catch on DynamoDB.ConditionalCheckFailedException handle a failed condition, with the Java SDK v1 cause', async () => {
      const def = catching(putItem(), ['DynamoDB.ConditionalCheckFailedException']);
      await runSync(def, { id: 'dup', name: 'one' });
      const out = await runSync(def, { id: 'dup', name: 'two' });
      expect(out.status).toBe('SUCCEEDED');
      expect(out.result.error.Error).toBe('DynamoDB.ConditionalCheckFailedException');
      expect(out.result.error.Cause).toMatch(V1_CAUSE('The conditional request failed', 'ConditionalCheckFailedException'));
      // Nothing was overwritten.
      const item = await cloud.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'dup' } } }));
      expect(item.Item!.name).toEqual({ S: 'one' });

      const events = await runStandard(def, { id: 'dup', name: 'three' });
      const failed = events.find((e) => e.type === 'TaskFailed')!;
      expect(failed.taskFailedEventDetails).toEqual({ resourceType: 'dynamodb', resource: 'putItem', error: 'DynamoDB.ConditionalCheckFailedException', cause: expect.stringMatching(/^The conditional request failed/) });
    });

    it('names errors the optimized integration has no class for DynamoDB.AmazonDynamoDBException', async () => {
      const missing = await runSync(catching({ ...putItem(), Parameters: { TableName: 'no-such-table', Item: { pk: { S: 'x' } } } }));
      expect(missing.result.error.Error).toBe('DynamoDB.ResourceNotFoundException');
      expect(missing.result.error.Cause).toMatch(V1_CAUSE('Requested resource not found', 'ResourceNotFoundException'));
      const invalid = await runSync(catching({ ...putItem(), Parameters: { TableName: TABLE, Item: { other: { S: 'no key' } } } }));
      expect(invalid.result.error.Error).toBe('DynamoDB.AmazonDynamoDBException');
      expect(invalid.result.error.Cause).toMatch(/Error Code: ValidationException;/);
    });

    it('aws-sdk:dynamodb returns the bare API output and names errors DynamoDb.<Exception> with the SDK v2 cause', async () => {
      const resource = 'arn:aws:states:::aws-sdk:dynamodb:putItem';
      const ok = await runSync(definition({ Put: { Type: 'Task', ...putItem(resource), End: true } }), { id: 'sdk1', name: 'sdk' });
      expect(ok.result.put).toEqual({});
      const get = await runSync(
        definition({ Get: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem', Parameters: { TableName: TABLE, Key: { pk: { S: 'sdk1' } } }, End: true } }),
      );
      expect(get.result).toEqual({ Item: { pk: { S: 'sdk1' }, name: { S: 'sdk' } } });

      const dup = await runSync(catching(putItem(resource), ['DynamoDb.ConditionalCheckFailedException']), { id: 'sdk1', name: 'again' });
      expect(dup.result.error.Error).toBe('DynamoDb.ConditionalCheckFailedException');
      expect(dup.result.error.Cause).toMatch(V2_CAUSE('The conditional request failed'));
      const missing = await runSync(catching({ ...putItem(resource), Parameters: { TableName: 'no-such-table', Item: { pk: { S: 'x' } } } }));
      expect(missing.result.error).toEqual({ Error: 'DynamoDb.ResourceNotFoundException', Cause: expect.stringMatching(V2_CAUSE('Requested resource not found')) });
      const invalid = await runSync(catching({ ...putItem(resource), Parameters: { TableName: TABLE, Item: { other: { S: 'no key' } } } }));
      expect(invalid.result.error.Error).toBe('DynamoDb.DynamoDbException');
    });

    it('retries injected throttling until it succeeds (DynamoDB.ProvisionedThroughputExceededException)', async () => {
      cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', count: 2 });
      const def = definition({
        Put: {
          Type: 'Task',
          ...putItem(),
          Retry: [{ ErrorEquals: ['DynamoDB.ProvisionedThroughputExceededException'], IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2 }],
          End: true,
        },
      });
      const events = await runStandard(def, { id: 'throttled', name: 'finally' });
      const failures = events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails!);
      expect(failures).toHaveLength(2);
      for (const f of failures) {
        expect(f.error).toBe('DynamoDB.ProvisionedThroughputExceededException');
        expect(f.cause).toMatch(/^The level of configured provisioned throughput for the table was exceeded\. .*Error Code: ProvisionedThroughputExceededException;/);
      }
      expect(events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(3);
      expect(events.at(-1)!.type).toBe('ExecutionSucceeded');
      const item = await cloud.dynamodb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'throttled' } } }));
      expect(item.Item!.name).toEqual({ S: 'finally' });
    });

    it('shows the same injected fault as DynamoDb.ProvisionedThroughputExceededException to an aws-sdk Task', async () => {
      cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', count: 1 });
      const out = await runSync(catching(putItem('arn:aws:states:::aws-sdk:dynamodb:putItem')), { id: 'sdk-throttled', name: 'x' });
      expect(out.result.error.Error).toBe('DynamoDb.ProvisionedThroughputExceededException');
      expect(out.result.error.Cause).toMatch(/\(Service: DynamoDb, Status Code: 400, Request ID: /);
    });
  });

  describe('SQS', () => {
    it('sqs:sendMessage sends a message the SQS client receives (a JSON MessageBody is sent as text)', async () => {
      const { QueueUrl } = await cloud.sqs.send(new CreateQueueCommand({ QueueName: 'dlq' }));
      const def = definition({
        Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl, MessageBody: { 'request.$': '$', 'execution.$': '$$.Execution.Id' } }, End: true },
      });
      const out = await runSync(def, { id: 'm1' });
      expect(out.result).toEqual({
        MD5OfMessageBody: expect.stringMatching(/^[0-9a-f]{32}$/),
        MessageId: expect.any(String),
        SdkHttpMetadata: expect.objectContaining({ HttpStatusCode: 200 }),
        SdkResponseMetadata: { RequestId: expect.any(String) },
      });
      const received = await cloud.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
      expect(received.Messages).toHaveLength(1);
      const message = received.Messages![0];
      expect(message.MessageId).toBe(out.result.MessageId);
      expect(JSON.parse(message.Body!)).toEqual({ request: { id: 'm1' }, execution: out.executionArn });
      expect(createHash('md5').update(message.Body!).digest('hex')).toBe(out.result.MD5OfMessageBody);
    });

    it('names SQS errors the Java SDK v1 way, with the wire error code in the cause', async () => {
      const missing = `${cloud.endpoint.url}/000000000000/no-such-queue`;
      const out = await runSync(catching({ Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { QueueUrl: missing, MessageBody: 'x' } }));
      expect(out.result.error.Error).toBe('SQS.QueueDoesNotExistException');
      expect(out.result.error.Cause).toMatch(/\(Service: AmazonSQS; Status Code: 400; Error Code: AWS\.SimpleQueueService\.NonExistentQueue; Request ID: .*; Proxy: null\)$/);
      const sdk = await runSync(catching({ Resource: 'arn:aws:states:::aws-sdk:sqs:sendMessage', Parameters: { QueueUrl: missing, MessageBody: 'x' } }));
      expect(sdk.result.error.Error).toBe('Sqs.QueueDoesNotExistException');
    });
  });

  describe('EventBridge', () => {
    it('events:putEvents serializes Detail, adds the machine and execution ARNs to Resources, returns the bare output', async () => {
      const def = definition({
        Put: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [{ Source: 'crud', DetailType: 'ItemCreated', 'Detail.$': '$' }] }, End: true },
      });
      const out = await runSync(def, { id: 'e1' });
      expect(out.result).toEqual({ Entries: [{ EventId: expect.any(String) }], FailedEntryCount: 0 });
      const recorded = cloud.services.events.listEvents().find((e) => e.id === out.result.Entries[0].EventId)!;
      expect(recorded).toMatchObject({ source: 'crud', detailType: 'ItemCreated', detail: { id: 'e1' }, resources: [out.stateMachineArn, out.executionArn] });
    });

    it('fails the Task with EventBridge.FailedEntry when an entry is refused', async () => {
      const def = catching({ Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [{ Source: 'crud', DetailType: 'X', Detail: '"jsonstring"' }] } });
      const out = await runSync(def);
      expect(out.result.error.Error).toBe('EventBridge.FailedEntry');
      expect(JSON.parse(out.result.error.Cause)).toEqual({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }] });
    });
  });

  describe('Lambda', () => {
    const invoke = (FunctionName: string, extra: Record<string, unknown> = {}) =>
      catching({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName, ...('Payload' in extra ? extra : { 'Payload.$': '$' }) } });

    beforeAll(() => {
      cloud.lambdas.set('greeter', { invoke: async (event: any) => ({ hello: event.name }) });
      cloud.lambdas.set('thrower', {
        invoke: async () => {
          throw new TypeError('name must be a string');
        },
      });
      // A payload without errorType, like a function that ran out of memory.
      cloud.lambdas.set('crasher', {
        invoke: () => Promise.reject({ errorMessage: 'RequestId: 1 Error: Runtime exited with error: signal: killed' }),
      });
    });

    it('lambda:invoke returns {ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata, StatusCode}', async () => {
      const out = await runSync(invoke(`arn:aws:lambda:${REGION}:${ACCOUNT}:function:greeter`), { name: 'Ada' });
      expect(Object.keys(out.result).sort()).toEqual(['ExecutedVersion', 'Payload', 'SdkHttpMetadata', 'SdkResponseMetadata', 'StatusCode']);
      expect(out.result).toMatchObject({ ExecutedVersion: '$LATEST', Payload: { hello: 'Ada' }, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 } });
      // The short name works too.
      expect((await runSync(invoke('greeter'), { name: 'Bo' })).result.Payload).toEqual({ hello: 'Bo' });
    });

    it('fails with the function error: error = errorType, cause = the error payload as JSON', async () => {
      const out = await runSync(invoke('thrower'));
      expect(out.result.error.Error).toBe('TypeError');
      const cause = JSON.parse(out.result.error.Cause);
      expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
      expect(cause).toMatchObject({ errorType: 'TypeError', errorMessage: 'name must be a string' });
      expect(cause.trace[0]).toBe('TypeError: name must be a string');

      const crash = await runSync(invoke('crasher'));
      expect(crash.result.error.Error).toBe('Lambda.Unknown');
      expect(JSON.parse(crash.result.error.Cause).errorMessage).toMatch(/signal: killed/);
    });

    it('fails with Lambda.ResourceNotFoundException for an unknown function, with the function ARN in the cause', async () => {
      const out = await runSync(invoke('nope'));
      expect(out.result.error.Error).toBe('Lambda.ResourceNotFoundException');
      expect(out.result.error.Cause).toMatch(
        new RegExp(`^Function not found: arn:aws:lambda:${REGION}:${ACCOUNT}:function:nope \\(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: .+; Proxy: null\\)$`),
      );
    });

    it('runs a bundled handler through LocalLambda, and a plain function ARN as the Resource', async () => {
      const dir = tempDir();
      try {
        fs.writeFileSync(
          path.join(dir, 'index.js'),
          'exports.handler = async (event) => { if (event.fail) { class ItemInvalid extends Error { name = "ItemInvalid"; } throw new ItemInvalid("bad item"); } return { doubled: event.n * 2 }; };',
        );
        const fnArn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:doubler`;
        cloud.lambdas.set(
          'doubler',
          new LocalLambda({ functionName: 'doubler', functionArn: fnArn, codeDir: dir, handler: 'index.handler', environment: {}, timeoutSeconds: 5, memorySize: 128 }),
        );
        expect((await runSync(invoke('doubler'), { n: 21 })).result.Payload).toEqual({ doubled: 42 });
        const failed = await runSync(invoke('doubler', { Payload: { fail: true } }), {});
        expect(failed.result.error.Error).toBe('ItemInvalid');
        expect(JSON.parse(failed.result.error.Cause)).toMatchObject({ errorType: 'ItemInvalid', errorMessage: 'bad item' });

        const plain = definition({ Call: { Type: 'Task', Resource: fnArn, End: true } });
        expect((await runSync(plain, { n: 5 })).result).toEqual({ doubled: 10 });
        const events = await runStandard(plain, { n: 1 });
        expect(events.map((e) => e.type)).toEqual([
          'ExecutionStarted',
          'TaskStateEntered',
          'LambdaFunctionScheduled',
          'LambdaFunctionStarted',
          'LambdaFunctionSucceeded',
          'TaskStateExited',
          'ExecutionSucceeded',
        ]);
      } finally {
        removeDir(dir);
      }
    });
  });
});
