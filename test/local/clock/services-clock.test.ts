/**
 * The services on the local cloud's clock, over the AWS endpoint as an SDK user sees them: advancing the clock
 * ages SQS messages (visibility, delays, retention) and DynamoDB items (TTL); /_local/clock reads and moves it.
 */
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, GetItemCommand, PutItemCommand, ScanCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { ChangeMessageVisibilityCommand, CreateQueueCommand, DeleteMessageCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ControllableClock } from '../../../local/asl/clock';
import { LocalServices } from '../../../local/services';
import { LocalCloud, removeDir, startLocalCloud, tempDir } from '../endpoint/helpers';

const HOUR_S = 3600;

describe('services on the controllable clock', () => {
  let cloud: LocalCloud;
  let clock: ControllableClock;
  let sqs: SQSClient;
  let dynamodb: DynamoDBClient;

  beforeEach(async () => {
    clock = new ControllableClock();
    cloud = await startLocalCloud({ clock });
    sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    dynamodb = new DynamoDBClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterEach(async () => {
    sqs.destroy();
    dynamodb.destroy();
    await cloud.stop();
  });

  const receive = (QueueUrl: string, extra: Record<string, unknown> = {}) =>
    sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'], ...extra })).then((r) => r.Messages ?? []);

  test('after 2 hours a message received with visibility 60 s is visible again; only receives count, not the time skipped', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));
    // SentTimestamp is stamped while the send is in flight: between these two readings of the clock.
    const beforeSend = clock.nowMs();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'job' }));
    const sentAt = clock.nowMs();

    const [first] = await receive(QueueUrl!, { VisibilityTimeout: 60 });
    expect(first.Attributes?.ApproximateReceiveCount).toBe('1');
    expect(await receive(QueueUrl!)).toEqual([]);

    await clock.advance(2 * HOUR_S * 1000);
    const [again] = await receive(QueueUrl!, { VisibilityTimeout: 60 });
    expect(again.MessageId).toBe(first.MessageId);
    expect(again.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(Number(again.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(beforeSend);
    expect(Number(again.Attributes?.SentTimestamp)).toBeLessThan(sentAt + 1000);
    // The first receipt handle expired with its visibility timeout (docs/pitfalls.md #18): deleting with it leaves the message.
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle }));
    await expect(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 10 }))).rejects.toMatchObject({ name: 'MessageNotInflight' });
    const [summary] = cloud.services.sqs.listQueues();
    expect(summary).toMatchObject({ inFlight: 1, visible: 0 });
    expect(summary.approximateAgeOfOldestMessage).toBeGreaterThanOrEqual(2 * HOUR_S);
  });

  test('a message older than the queue\'s MessageRetentionPeriod is gone', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'short', Attributes: { MessageRetentionPeriod: '300' } }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'old' }));
    await clock.advance(200_000);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'young' }));
    await clock.advance(101_000);
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    expect(attributes.Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect((await receive(QueueUrl!)).map((m) => m.Body)).toEqual(['young']);
  });

  test('a delayed message appears when the clock passes its delay, and an advance wakes a long poll', async () => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'delayed' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'later', DelaySeconds: 900 }));
    const started = Date.now();
    const polling = receive(QueueUrl!, { WaitTimeSeconds: 20 });
    await new Promise((r) => setTimeout(r, 50));
    await clock.advance(900_000);
    expect((await polling).map((m) => m.Body)).toEqual(['later']);
    expect(Date.now() - started).toBeLessThan(500);
  });

  test('DynamoDB TTL: expired items stay readable until the sweep after an advance deletes them', async () => {
    await dynamodb.send(
      new CreateTableCommand({ TableName: 'sessions', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' }),
    );
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
    await dynamodb.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }));
    expect((await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: 'sessions' }))).TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    await expect(dynamodb.send(new UpdateTimeToLiveCommand({ TableName: 'sessions', TimeToLiveSpecification: { Enabled: true, AttributeName: 'expiresAt' } }))).rejects.toMatchObject({
      name: 'ValidationException',
    });

    const nowS = Math.floor(clock.nowMs() / 1000);
    const put = (pk: string, extra: Record<string, any> = {}) => dynamodb.send(new PutItemCommand({ TableName: 'sessions', Item: { pk: { S: pk }, ...extra } }));
    await put('in-an-hour', { expiresAt: { N: String(nowS + HOUR_S) } });
    await put('in-a-day', { expiresAt: { N: String(nowS + 24 * HOUR_S) } });
    await put('as-text', { expiresAt: { S: String(nowS - 10) } }); // not a Number: never expires
    await put('forever');
    await put('expired-long-ago', { expiresAt: { N: String(nowS - 6 * 365 * 24 * HOUR_S) } }); // > 5 years: ignored, as on AWS

    await clock.advance(2 * HOUR_S * 1000);
    const keys = async () => ((await dynamodb.send(new ScanCommand({ TableName: 'sessions' }))).Items ?? []).map((i) => i.pk.S).sort();
    expect(await keys()).toEqual(['as-text', 'expired-long-ago', 'forever', 'in-a-day']);

    // Between sweeps an expired item can still be read (on AWS for up to days): readers filter on the attribute.
    cloud.services.timeToLive.close(); // no more sweeps
    await put('just-expired', { expiresAt: { N: String(Math.floor(clock.nowMs() / 1000) - 1) } });
    expect((await dynamodb.send(new GetItemCommand({ TableName: 'sessions', Key: { pk: { S: 'just-expired' } } }))).Item).toBeDefined();
  });

  test('GET /_local/clock reads the clock, POST advances it and answers once what came due has run', async () => {
    const url = `${cloud.endpoint.url}/_local/clock`;
    const before = (await (await fetch(url)).json()) as { now: string; offsetMs: number };
    expect(before.offsetMs).toBe(0);
    expect(Math.abs(Date.parse(before.now) - Date.now())).toBeLessThan(1000);

    let fired = false;
    clock.timer(30 * 60_000, async () => {
      await new Promise((r) => setTimeout(r, 20));
      fired = true;
    });
    const post = (body: unknown) => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const res = await post({ advanceSeconds: HOUR_S });
    expect(res.status).toBe(200);
    const after = (await res.json()) as { now: string; offsetMs: number; advancedMs: number };
    expect(after).toMatchObject({ offsetMs: HOUR_S * 1000, advancedMs: HOUR_S * 1000 });
    expect(Date.parse(after.now) - Date.now()).toBeGreaterThan(HOUR_S * 1000 - 1000);
    expect(fired).toBe(true);

    expect(((await post({ advanceMs: 1500 }).then((r) => r.json())) as { offsetMs: number }).offsetMs).toBe(HOUR_S * 1000 + 1500);
    for (const bad of [{}, { advanceSeconds: -1 }, { advanceSeconds: 'soon' }, { advanceSeconds: 1, advanceMs: 1 }, { advanceMs: 1e20 }]) {
      const r = await post(bad);
      expect(r.status).toBe(400);
    }
    expect(clock.offsetMs).toBe(HOUR_S * 1000 + 1500);
  });
});

test('TTL set with UpdateTimeToLive survives a restart of the services', async () => {
  const dataDir = tempDir();
  try {
    let services = await LocalServices.open({ dataDir });
    await services.dynamodb.call('CreateTable', { TableName: 'kept', AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], BillingMode: 'PAY_PER_REQUEST' });
    await services.dynamodb.call('UpdateTimeToLive', { TableName: 'kept', TimeToLiveSpecification: { Enabled: true, AttributeName: 'ttl' } });
    await services.close();
    services = await LocalServices.open({ dataDir });
    expect(await services.dynamodb.call('DescribeTimeToLive', { TableName: 'kept' })).toEqual({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' } });
    await services.close();
  } finally {
    removeDir(dataDir);
  }
});

test('a table made from a template with TimeToLiveSpecification has TTL on, and no longer lists it as ignored', async () => {
  const clock = new ControllableClock();
  const services = await LocalServices.open({ inMemory: true, clock });
  try {
    const result = await services.dynamodb.createTableFromCloudFormation({
      TableName: 'requests',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(result.ignored).toEqual(['SSESpecification']);
    await services.dynamodb.call('PutItem', { TableName: 'requests', Item: { pk: { S: 'a' }, expiresAt: { N: String(Math.floor(clock.nowMs() / 1000) + 60) } } });
    await clock.advance(61_000);
    expect((await services.dynamodb.call('Scan', { TableName: 'requests' })).Items).toEqual([]);
  } finally {
    await services.close();
  }
});
