import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  ListTagsOfResourceCommand,
  PutItemCommand,
  QueryCommand,
  ResourceNotFoundException,
  ScanCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateItemCommand,
  UpdateTableCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { crc32 } from 'node:zlib';
import { LocalCloud, startLocalCloud } from './helpers';

describe('DynamoDB through the endpoint (AWS SDK v3)', () => {
  let cloud: LocalCloud;
  let ddb: DynamoDBClient;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    ddb = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 1 });
    await ddb.send(
      new CreateTableCommand({
        TableName: 'orders',
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'customer', KeyType: 'HASH' },
          { AttributeName: 'orderId', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'customer', AttributeType: 'S' },
          { AttributeName: 'orderId', AttributeType: 'N' },
        ],
      }),
    );
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 1 }, { TableName: 'orders' });
  });
  afterAll(async () => {
    ddb.destroy();
    await cloud.stop();
  });

  it('lists and describes tables', async () => {
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toContain('orders');
    const { Table } = await ddb.send(new DescribeTableCommand({ TableName: 'orders' }));
    expect(Table).toMatchObject({ TableName: 'orders', TableStatus: 'ACTIVE', TableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/orders' });
    expect(Table!.CreationDateTime).toBeInstanceOf(Date);
    expect((await ddb.send(new DescribeTimeToLiveCommand({ TableName: 'orders' }))).TimeToLiveDescription?.TimeToLiveStatus).toBe('DISABLED');
  });

  it('puts, gets, updates and deletes an item, binary attributes included', async () => {
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: { customer: { S: 'ann' }, orderId: { N: '1' }, total: { N: '9.5' }, blob: { B: new Uint8Array([0, 1, 255]) } } }));
    const got = await ddb.send(new GetItemCommand({ TableName: 'orders', Key: { customer: { S: 'ann' }, orderId: { N: '1' } }, ConsistentRead: true }));
    expect(got.Item!.total).toEqual({ N: '9.5' });
    expect(Array.from(got.Item!.blob.B!)).toEqual([0, 1, 255]);

    const updated = await ddb.send(
      new UpdateItemCommand({
        TableName: 'orders',
        Key: { customer: { S: 'ann' }, orderId: { N: '1' } },
        UpdateExpression: 'SET #v = if_not_exists(#v, :zero) + :one',
        ExpressionAttributeNames: { '#v': 'version' },
        ExpressionAttributeValues: { ':zero': { N: '0' }, ':one': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    expect(updated.Attributes).toEqual({ version: { N: '1' } });

    const deleted = await ddb.send(new DeleteItemCommand({ TableName: 'orders', Key: { customer: { S: 'ann' }, orderId: { N: '1' } }, ReturnValues: 'ALL_OLD' }));
    expect(deleted.Attributes!.version).toEqual({ N: '1' });
  });

  it('queries and scans with pagination', async () => {
    await ddb.send(
      new BatchWriteItemCommand({
        RequestItems: { orders: [1, 2, 3, 4, 5].map((n) => ({ PutRequest: { Item: { customer: { S: 'bob' }, orderId: { N: String(n) } } } })) },
      }),
    );
    const page1 = await ddb.send(new QueryCommand({ TableName: 'orders', KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': { S: 'bob' } }, Limit: 2 }));
    expect(page1.Items!.map((i) => i.orderId.N)).toEqual(['1', '2']);
    const page2 = await ddb.send(
      new QueryCommand({ TableName: 'orders', KeyConditionExpression: 'customer = :c', ExpressionAttributeValues: { ':c': { S: 'bob' } }, ExclusiveStartKey: page1.LastEvaluatedKey }),
    );
    expect(page2.Items!.map((i) => i.orderId.N)).toEqual(['3', '4', '5']);
    const scan = await ddb.send(new ScanCommand({ TableName: 'orders', FilterExpression: 'orderId > :n', ExpressionAttributeValues: { ':n': { N: '3' } } }));
    expect(scan.Count).toBe(2);
    const batch = await ddb.send(new BatchGetItemCommand({ RequestItems: { orders: { Keys: [{ customer: { S: 'bob' }, orderId: { N: '5' } }] } } }));
    expect(batch.Responses!.orders).toHaveLength(1);
  });

  it('fails a conditional write with ConditionalCheckFailedException (400)', async () => {
    const item = { customer: { S: 'cy' }, orderId: { N: '1' } };
    await ddb.send(new PutItemCommand({ TableName: 'orders', Item: item, ConditionExpression: 'attribute_not_exists(customer)' }));
    const err = await ddb.send(new PutItemCommand({ TableName: 'orders', Item: item, ConditionExpression: 'attribute_not_exists(customer)' })).catch((e) => e);
    expect(err).toBeInstanceOf(ConditionalCheckFailedException);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers ResourceNotFoundException for a missing table', async () => {
    const err = await ddb.send(new GetItemCommand({ TableName: 'missing', Key: { customer: { S: 'x' }, orderId: { N: '1' } } })).catch((e) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toBe('Requested resource not found');
  });

  it('answers ValidationException for a malformed request', async () => {
    const err = await ddb.send(new GetItemCommand({ TableName: 'orders', Key: { customer: { S: 'x' } } })).catch((e) => e);
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('tags, updates and deletes a table', async () => {
    await ddb.send(new CreateTableCommand({ TableName: 'scratch', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }));
    const arn = 'arn:aws:dynamodb:us-east-1:000000000000:table/scratch';
    await ddb.send(new TagResourceCommand({ ResourceArn: arn, Tags: [{ Key: 'k', Value: 'v' }] }));
    expect((await ddb.send(new ListTagsOfResourceCommand({ ResourceArn: arn }))).Tags).toEqual([{ Key: 'k', Value: 'v' }]);
    await ddb.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ['k'] }));
    await ddb.send(new UpdateTableCommand({ TableName: 'scratch', BillingMode: 'PROVISIONED', ProvisionedThroughput: { ReadCapacityUnits: 2, WriteCapacityUnits: 2 } }));
    expect((await ddb.send(new DescribeTableCommand({ TableName: 'scratch' }))).Table!.ProvisionedThroughput!.ReadCapacityUnits).toBe(2);
    await ddb.send(new DeleteTableCommand({ TableName: 'scratch' }));
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).not.toContain('scratch');
  });

  it('sends x-amzn-RequestId and x-amz-crc32 like DynamoDB, whatever the credentials', async () => {
    const res = await fetch(`${cloud.endpoint.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', authorization: 'AWS4-HMAC-SHA256 Credential=whatever' },
      body: '{}',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const text = await res.text();
    expect(res.headers.get('x-amz-crc32')).toBe(String(crc32(text)));
  });

  it('rejects a body that is not JSON with SerializationException', async () => {
    const res = await fetch(`${cloud.endpoint.url}/`, { method: 'POST', headers: { 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{nope' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).__type).toBe('com.amazon.coral.service#SerializationException');
  });
});
