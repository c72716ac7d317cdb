import { DynamoDbService } from '../../../local/services/dynamodb';
import { AwsError } from '../../../local/services/errors';
import { FaultInjector } from '../../../local/services/faults';
import { rejectsWith, removeDir, tempDir } from '../endpoint/helpers';

const TABLE_PROPS = {
  TableName: 'items',
  BillingMode: 'PAY_PER_REQUEST',
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'status', AttributeType: 'S' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: 'byStatus',
      KeySchema: [{ AttributeName: 'status', KeyType: 'HASH' }],
      Projection: { ProjectionType: 'ALL' },
      ContributorInsightsSpecification: { Enabled: true },
    },
  ],
  PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  SSESpecification: { SSEEnabled: true },
  TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
  Tags: [{ Key: 'app', Value: 'crud' }],
};

describe('DynamoDbService (in-process dynalite)', () => {
  let dynamo: DynamoDbService;

  beforeEach(async () => {
    dynamo = await DynamoDbService.open({ inMemory: true });
  });
  afterEach(async () => {
    await dynamo.close();
  });

  it('creates a table from AWS::DynamoDB::Table properties, ignoring PITR/SSE/TTL, and tags it', async () => {
    const result = await dynamo.createTableFromCloudFormation(TABLE_PROPS);
    expect(result).toEqual({
      ref: 'items',
      attributes: { Arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/items' },
      created: true,
      ignored: ['PointInTimeRecoverySpecification', 'SSESpecification', 'TimeToLiveSpecification'],
    });
    const { Table } = await dynamo.call('DescribeTable', { TableName: 'items' });
    expect(Table.TableStatus).toBe('ACTIVE');
    expect(Table.GlobalSecondaryIndexes[0].IndexName).toBe('byStatus');
    expect(Table.BillingModeSummary.BillingMode).toBe('PAY_PER_REQUEST');
    expect((await dynamo.call('ListTagsOfResource', { ResourceArn: result.attributes.Arn })).Tags).toEqual([{ Key: 'app', Value: 'crud' }]);

    const again = await dynamo.createTableFromCloudFormation(TABLE_PROPS);
    expect(again.created).toBe(false);
  });

  it('accepts provisioned throughput given as strings (CloudFormation style)', async () => {
    await dynamo.createTableFromCloudFormation({
      TableName: 'provisioned',
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'N' }],
      ProvisionedThroughput: { ReadCapacityUnits: '5', WriteCapacityUnits: '2' },
    });
    const { Table } = await dynamo.call('DescribeTable', { TableName: 'provisioned' });
    expect(Table.ProvisionedThroughput).toMatchObject({ ReadCapacityUnits: 5, WriteCapacityUnits: 2 });
  });

  it('puts, gets, updates, queries and deletes items in the wire format', async () => {
    await dynamo.createTableFromCloudFormation(TABLE_PROPS);
    await dynamo.call('PutItem', { TableName: 'items', Item: { pk: { S: 'a' }, sk: { S: '1' }, status: { S: 'new' }, n: { N: '1' }, bin: { B: Buffer.from('hi') } } });
    const got = await dynamo.call('GetItem', { TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: '1' } } });
    expect(got.Item).toEqual({ pk: { S: 'a' }, sk: { S: '1' }, status: { S: 'new' }, n: { N: '1' }, bin: { B: 'aGk=' } });

    const updated = await dynamo.call('UpdateItem', {
      TableName: 'items',
      Key: { pk: { S: 'a' }, sk: { S: '1' } },
      UpdateExpression: 'SET n = n + :one',
      ExpressionAttributeValues: { ':one': { N: '1' } },
      ReturnValues: 'ALL_NEW',
    });
    expect(updated.Attributes.n).toEqual({ N: '2' });

    const byIndex = await dynamo.call('Query', {
      TableName: 'items',
      IndexName: 'byStatus',
      KeyConditionExpression: '#s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': { S: 'new' } },
    });
    expect(byIndex.Count).toBe(1);

    await dynamo.call('DeleteItem', { TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: '1' } } });
    expect((await dynamo.call('GetItem', { TableName: 'items', Key: { pk: { S: 'a' }, sk: { S: '1' } } })).Item).toBeUndefined();
  });

  it('throws ConditionalCheckFailedException with the DynamoDB __type', async () => {
    await dynamo.createTableFromCloudFormation(TABLE_PROPS);
    const item = { pk: { S: 'a' }, sk: { S: '1' } };
    await dynamo.call('PutItem', { TableName: 'items', Item: item, ConditionExpression: 'attribute_not_exists(pk)' });
    const err = await rejectsWith<AwsError>(dynamo.call('PutItem', { TableName: 'items', Item: item, ConditionExpression: 'attribute_not_exists(pk)' }), 'ConditionalCheckFailedException');
    expect(err).toBeInstanceOf(AwsError);
    expect(err.toJSON()).toEqual({ __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed' });
    expect(err.httpStatus).toBe(400);
  });

  it('throws ResourceNotFoundException for a missing table and ValidationException for a bad key', async () => {
    await rejectsWith(dynamo.call('GetItem', { TableName: 'missing', Key: { pk: { S: 'a' } } }), 'ResourceNotFoundException');
    await dynamo.createTableFromCloudFormation(TABLE_PROPS);
    const err = await rejectsWith<AwsError>(dynamo.call('GetItem', { TableName: 'items', Key: { pk: { S: 'a' } } }), 'ValidationException');
    expect(err.type).toBe('com.amazon.coral.validate#ValidationException');
  });

  it('names the operations dynalite does not implement', async () => {
    const err = await rejectsWith<AwsError>(dynamo.call('TransactWriteItems', { TransactItems: [] }), 'UnknownOperationException');
    expect(err.message).toMatch(/not supported by the local DynamoDB/);
  });

  it('does not let a caller mutate its request through dynalite', async () => {
    const request = { TableName: 'copy-me', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' };
    const snapshot = JSON.stringify(request);
    const out = await dynamo.call('CreateTable', request);
    expect(JSON.stringify(request)).toBe(snapshot);
    expect(out.TableDescription.TableStatus).toBe('CREATING');
    // ...but the table is usable as soon as CreateTable answers.
    await dynamo.call('PutItem', { TableName: 'copy-me', Item: { id: { S: 'x' } } });
  });

  it('injects faults into in-process calls', async () => {
    const faults = new FaultInjector();
    const faulty = await DynamoDbService.open({ inMemory: true, faults });
    try {
      await faulty.createTableFromCloudFormation(TABLE_PROPS);
      faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', count: 1 });
      await rejectsWith(faulty.call('PutItem', { TableName: 'items', Item: { pk: { S: 'a' }, sk: { S: '1' } } }), 'ProvisionedThroughputExceededException');
      await faulty.call('PutItem', { TableName: 'items', Item: { pk: { S: 'a' }, sk: { S: '1' } } });
    } finally {
      await faulty.close();
    }
  });
});

describe('DynamoDbService on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('keeps tables and items across a close and reopen of the same folder', async () => {
    const first = await DynamoDbService.open({ path: dir });
    await first.createTableFromCloudFormation(TABLE_PROPS);
    await first.call('PutItem', { TableName: 'items', Item: { pk: { S: 'kept' }, sk: { S: '1' } } });
    await first.close();

    const second = await DynamoDbService.open({ path: dir });
    try {
      expect((await second.createTableFromCloudFormation(TABLE_PROPS)).created).toBe(false);
      const got = await second.call('GetItem', { TableName: 'items', Key: { pk: { S: 'kept' }, sk: { S: '1' } } });
      expect(got.Item.pk.S).toBe('kept');
    } finally {
      await second.close();
    }
  });

  it('refuses to open a folder another open store holds (LevelDB lock)', async () => {
    const first = await DynamoDbService.open({ path: dir });
    try {
      await expect(DynamoDbService.open({ path: dir })).rejects.toThrow();
    } finally {
      await first.close();
    }
  });
});
