import { AppConfigDataClient, StartConfigurationSessionCommand, ThrottlingException } from '@aws-sdk/client-appconfigdata';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, InternalServerError, ProvisionedThroughputExceededException, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { CreateQueueCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LocalCloud, startLocalCloud } from './helpers';

describe('fault injection over HTTP', () => {
  let cloud: LocalCloud;
  let ddb: DynamoDBClient;
  const admin = (method: string, path: string, body?: unknown) =>
    fetch(`${cloud.endpoint.url}/_local/faults${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  beforeAll(async () => {
    cloud = await startLocalCloud({ stepFunctions: { handle: async () => ({ status: 'SUCCEEDED', output: '{}' }) } });
    ddb = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 1 });
    await ddb.send(new CreateTableCommand({ TableName: 'items', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }] }));
  });
  afterAll(async () => {
    ddb.destroy();
    await cloud.stop();
  });
  afterEach(async () => {
    await admin('DELETE', '');
  });

  const put = (client = ddb) => client.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'x' } } }));

  it('fails every call with rate 1 until cleared, with DynamoDB throttling shape (400)', async () => {
    const added = await admin('POST', '', { service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', rate: 1 });
    expect(added.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const err = await put().catch((e) => e);
      expect(err).toBeInstanceOf(ProvisionedThroughputExceededException);
      expect(err.$metadata.httpStatusCode).toBe(400);
    }
    // Other operations are untouched.
    await ddb.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'x' } } }));
    expect((await admin('GET', '')).body.rules[0]).toMatchObject({ service: 'dynamodb', operation: 'PutItem', fired: 3 });
    await admin('DELETE', '');
    await put();
  });

  it('fails exactly `count` calls, then lets calls through', async () => {
    await admin('POST', '', { service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError', count: 2 });
    for (let i = 0; i < 2; i++) {
      const err = await put().catch((e) => e);
      expect(err).toBeInstanceOf(InternalServerError);
      expect(err.$metadata.httpStatusCode).toBe(500);
    }
    await put();
    expect((await admin('GET', '')).body.rules).toEqual([]);
  });

  it('is absorbed by the SDK retry when count is below maxAttempts', async () => {
    const retrying = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 3, retryMode: 'standard' });
    await admin('POST', '', { service: 'dynamodb', operation: 'PutItem', error: 'InternalServerError', count: 2 });
    const out = await put(retrying);
    expect(out.$metadata.attempts).toBe(3);
    retrying.destroy();
  });

  it('applies the same rules to in-process calls', async () => {
    await admin('POST', '', { rules: [{ service: 'dynamodb', operation: 'GetItem', error: 'ThrottlingException', count: 1 }] });
    await expect(cloud.services.dynamodb.call('GetItem', { TableName: 'items', Key: { pk: { S: 'x' } } })).rejects.toMatchObject({ code: 'ThrottlingException', httpStatus: 400 });
    await cloud.services.dynamodb.call('GetItem', { TableName: 'items', Key: { pk: { S: 'x' } } });
  });

  it('renders each service its own way', async () => {
    await admin('PUT', '', [
      { service: 'sqs', operation: 'SendMessage', error: 'QueueDoesNotExist', count: 1 },
      { service: 'appconfigdata', operation: 'StartConfigurationSession', error: 'ThrottlingException', count: 1 },
      { service: 'stepfunctions', operation: 'StartSyncExecution', error: 'ExecutionLimitExceeded', count: 1 },
      { service: 'events', operation: 'PutEvents', error: 'InternalException', count: 1 },
    ]);
    const sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'faulty' }));
    const sqsErr = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'x' })).catch((e) => e);
    expect(sqsErr).toMatchObject({ name: 'QueueDoesNotExist', Code: 'AWS.SimpleQueueService.NonExistentQueue' });

    const appconfig = new AppConfigDataClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const acErr = await appconfig.send(new StartConfigurationSessionCommand({ ApplicationIdentifier: 'a', EnvironmentIdentifier: 'e', ConfigurationProfileIdentifier: 'p' })).catch((e) => e);
    expect(acErr).toBeInstanceOf(ThrottlingException);
    expect(acErr.$metadata.httpStatusCode).toBe(429);

    const sfn = new SFNClient({ ...cloud.clientConfig, disableHostPrefix: true, maxAttempts: 1 });
    const sfnErr = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:x' })).catch((e) => e);
    expect(sfnErr.name).toBe('ExecutionLimitExceeded');

    const events = new EventBridgeClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const evErr = await events.send(new PutEventsCommand({ Entries: [{ Source: 's', DetailType: 'd', Detail: '{}' }] })).catch((e) => e);
    expect(evErr.name).toBe('InternalException');
    expect(evErr.$metadata.httpStatusCode).toBe(500);
    for (const c of [sqs, appconfig, sfn, events]) c.destroy();
  });

  it('rejects invalid rules with 400 and removes one rule by id', async () => {
    const bad = await admin('POST', '', { service: 'dynamodb', error: 'X', rate: 5 });
    expect(bad).toEqual({ status: 400, body: { error: expect.stringContaining('"rate"') } });
    const { body } = await admin('POST', '', { id: 'my-rule', service: 'sqs', error: 'OverLimit' });
    expect(body.rules[0].id).toBe('my-rule');
    expect((await admin('DELETE', '/my-rule')).status).toBe(200);
    expect((await admin('DELETE', '/my-rule')).status).toBe(404);
  });
});
