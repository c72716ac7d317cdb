/**
 * The AWS SDK against the local cloud's AWS-compatible endpoint sees what the API did, and can drive
 * the state machines directly, as an operator's script would with AWS_ENDPOINT_URL set.
 */
import { DynamoDBClient, GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import { Api, LocalCloud, RESOURCE_CASES, resourceOf, startTestCloud } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;

let cloud: LocalCloud;
let api: Api;
let config: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string }; maxAttempts: number };

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
  const region = resourceOf(cloud, 'orders').stateMachineArn.split(':')[3];
  config = { endpoint: cloud.endpointUrl, region, credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }, maxAttempts: 1 };
});

afterAll(async () => {
  await cloud?.stop();
});

describe('@aws-sdk/client-dynamodb', () => {
  it('Scan and GetItem see the items the API wrote, in the storage model of docs/architecture.md', async () => {
    const body = orders.sample(1);
    const created = await api.post('/orders', body);
    expect(created.status).toBe(201);
    const id = created.json.orderId;
    const { tableName } = resourceOf(cloud, 'orders');

    const ddb = new DynamoDBClient(config);
    try {
      const scan = await ddb.send(new ScanCommand({ TableName: tableName, ConsistentRead: true }));
      const scanned = scan.Items!.filter((item) => item.orderId.S === id);
      expect(scanned).toHaveLength(1);

      const got = await ddb.send(new GetItemCommand({ TableName: tableName, Key: { orderId: { S: id } }, ConsistentRead: true }));
      expect(got.Item).toEqual({
        orderId: { S: id },
        version: { N: '1' },
        data: { S: expect.any(String) },
        requestToken: { S: created.requestId },
        recentTokens: { L: [{ M: { t: { S: created.requestId }, v: { N: '1' } } }] },
        lastRequestAt: { N: expect.stringMatching(/^\d+$/) },
        size: { N: expect.stringMatching(/^\d+$/) },
      });
      expect(JSON.parse(got.Item!.data.S!)).toEqual(created.json);
      expect(scanned[0]).toEqual(got.Item);
    } finally {
      ddb.destroy();
    }
  });
});

describe('@aws-sdk/client-sfn', () => {
  it('StartSyncExecution on the orders state machine with a hand-built API request input → SUCCEEDED, 201, and the API serves the item', async () => {
    const sfn = new SFNClient({ ...config, disableHostPrefix: true });
    try {
      const requestId = `sdk-${randomUUID()}`;
      const body = orders.sample(2);
      const input = {
        method: 'POST',
        resource: 'orders',
        path: `${api.stagePath}/orders`,
        id: '',
        query: { limit: '', next: '' },
        headers: { ifMatch: '', ifNoneMatch: '', idempotencyKey: '' },
        requestId,
        receivedAt: Date.now(),
        rejected: '',
        body,
      };
      const out = await sfn.send(
        new StartSyncExecutionCommand({ stateMachineArn: resourceOf(cloud, 'orders').stateMachineArn, name: requestId, input: JSON.stringify(input) }),
      );
      expect(out.status).toBe('SUCCEEDED');
      expect(out.executionArn).toContain(`:${requestId}:`);
      const output = JSON.parse(out.output!);
      expect(output).toEqual({
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', Location: `${api.stagePath}/orders/${requestId}`, ETag: '"1"' },
        body: expect.any(String),
      });
      const item = JSON.parse(output.body);
      expect(item).toMatchObject({ ...body, orderId: requestId, version: 1 });

      const got = await api.get(`/orders/${requestId}`);
      expect(got.status).toBe(200);
      expect(got.json).toEqual(item);

      // A GET through the SDK, too.
      const read = await sfn.send(
        new StartSyncExecutionCommand({
          stateMachineArn: resourceOf(cloud, 'orders').stateMachineArn,
          name: `sdk-${randomUUID()}`,
          input: JSON.stringify({ ...input, method: 'GET', path: `${api.stagePath}/orders/${requestId}`, id: requestId, requestId: `sdk-${randomUUID()}`, body: null }),
        }),
      );
      expect(read.status).toBe('SUCCEEDED');
      const readOutput = JSON.parse(read.output!);
      expect(readOutput.statusCode).toBe(200);
      expect(JSON.parse(readOutput.body)).toEqual(item);
    } finally {
      sfn.destroy();
    }
  });
});

describe('@aws-sdk/client-sqs', () => {
  it('GetQueueAttributes on a dead-letter queue URL from cloud.resources answers (empty queue)', async () => {
    const sqs = new SQSClient(config);
    try {
      const out = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: resourceOf(cloud, 'orders').deadLetterQueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'QueueArn'] }),
      );
      expect(out.Attributes?.ApproximateNumberOfMessages).toBe('0');
      expect(out.Attributes?.QueueArn).toMatch(/^arn:aws:sqs:/);
    } finally {
      sqs.destroy();
    }
  });
});
