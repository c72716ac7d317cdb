import * as fs from 'node:fs';
import * as path from 'node:path';
import { AwsError } from '../../../local/services/errors';
import { SqsService } from '../../../local/services/sqs';
import { md5Hex, md5OfMessageAttributes } from '../../../local/services/sqs/md5';
import { fakeClock, rejectsWith, removeDir, tempDir } from '../endpoint/helpers';

describe('SQS MD5 digests', () => {
  // Vectors published with the aws-md5-of-message-attributes package (computed against SQS).
  const binary = Buffer.from('Hello binary world!').toString('base64');
  it.each([
    [{ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } }, '19e27d4e946b072f3f58da80d94fd778'],
    [{ customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' } }, '9fe1b90bbd9965bdf77bac517c7d2495'],
    [{ binaryAttribute: { DataType: 'Binary', BinaryValue: binary } }, '31a92b15d92f8db860eda32aceb656c3'],
    [
      {
        attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
        customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
        binaryAttribute: { DataType: 'Binary', BinaryValue: binary },
      },
      'c932db14a896c663f83c260297d594ff',
    ],
  ])('digests message attributes as AWS does (%#)', (attributes, expected) => {
    expect(md5OfMessageAttributes(attributes)).toBe(expected);
  });

  it('digests the body as the MD5 of its UTF-8 bytes', () => {
    expect(md5Hex('hello')).toBe('5d41402abc4b2a76b9719d911017c592');
  });
});

describe('SqsService (in-process)', () => {
  const clock = fakeClock();
  let sqs: SqsService;
  let url: string;

  beforeEach(async () => {
    clock.set(Date.UTC(2026, 10, 1));
    sqs = SqsService.open({ inMemory: true, now: clock.now });
    url = (await sqs.call('CreateQueue', { QueueName: 'work' })).QueueUrl;
  });
  afterEach(() => sqs.close());

  it('builds queue URLs on the host the request came on', async () => {
    expect(url).toBe('http://localhost:4566/000000000000/work');
    const viaHost = await sqs.call('GetQueueUrl', { QueueName: 'work' }, { host: 'sync-localhost:9999' });
    expect(viaHost.QueueUrl).toBe('http://sync-localhost:9999/000000000000/work');
    const attrs = await sqs.call('GetQueueAttributes', { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/work', AttributeNames: ['QueueArn'] });
    expect(attrs.Attributes).toEqual({ QueueArn: 'arn:aws:sqs:us-east-1:000000000000:work' });
  });

  it('hides a received message for the visibility timeout, then redelivers it with a higher receive count', async () => {
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'job' });
    const first = await sqs.call('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 10, AttributeNames: ['ApproximateReceiveCount'] });
    expect(first.Messages[0].Attributes.ApproximateReceiveCount).toBe('1');
    expect(await sqs.call('ReceiveMessage', { QueueUrl: url })).toEqual({});
    clock.advance(10_000);
    const second = await sqs.call('ReceiveMessage', { QueueUrl: url, MessageSystemAttributeNames: ['All'] });
    expect(second.Messages[0].Attributes).toMatchObject({ ApproximateReceiveCount: '2', ApproximateFirstReceiveTimestamp: String(clock.now() - 10_000) });
    // Only the latest receipt handle deletes (an outdated one succeeds without deleting).
    await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: first.Messages[0].ReceiptHandle });
    expect((await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] })).Attributes).toEqual({
      ApproximateNumberOfMessagesNotVisible: '1',
    });
    await sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: second.Messages[0].ReceiptHandle });
    expect((await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['All'] })).Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('expires messages after MessageRetentionPeriod', async () => {
    await sqs.call('SetQueueAttributes', { QueueUrl: url, Attributes: { MessageRetentionPeriod: '60' } });
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'old' });
    clock.advance(30_000);
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'new' });
    clock.advance(30_000);
    const out = await sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 10 });
    expect(out.Messages.map((m: { Body: string }) => m.Body)).toEqual(['new']);
  });

  it('delays delivery by DelaySeconds and counts delayed messages apart', async () => {
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'later', DelaySeconds: 5 });
    expect((await sqs.call('GetQueueAttributes', { QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessagesDelayed', 'ApproximateNumberOfMessages'] })).Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesDelayed: '1',
    });
    expect(await sqs.call('ReceiveMessage', { QueueUrl: url })).toEqual({});
    clock.advance(5_000);
    expect((await sqs.call('ReceiveMessage', { QueueUrl: url })).Messages[0].Body).toBe('later');
  });

  it('moves a message to the dead-letter queue after maxReceiveCount receives', async () => {
    await sqs.call('CreateQueue', { QueueName: 'work-dlq' });
    await sqs.call('SetQueueAttributes', {
      QueueUrl: url,
      Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:work-dlq', maxReceiveCount: 2 }) },
    });
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'poison', MessageAttributes: { kind: { DataType: 'String', StringValue: 'bad' } } });
    for (let i = 0; i < 2; i++) {
      expect((await sqs.call('ReceiveMessage', { QueueUrl: url, VisibilityTimeout: 0 })).Messages).toHaveLength(1);
    }
    expect(await sqs.call('ReceiveMessage', { QueueUrl: url })).toEqual({});
    const dlq = await sqs.call('ReceiveMessage', { QueueUrl: 'work-dlq', MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['DeadLetterQueueSourceArn'] });
    expect(dlq.Messages[0]).toMatchObject({ Body: 'poison', Attributes: { DeadLetterQueueSourceArn: 'arn:aws:sqs:us-east-1:000000000000:work' }, MessageAttributes: { kind: { StringValue: 'bad' } } });
    expect((await sqs.call('ListDeadLetterSourceQueues', { QueueUrl: 'work-dlq' })).queueUrls).toEqual([url]);
  });

  it('wakes a long poll as soon as a message arrives', async () => {
    const started = Date.now();
    const polling = sqs.call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 5 });
    setTimeout(() => void sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'ping' }), 50);
    const out = await polling;
    expect(out.Messages[0].Body).toBe('ping');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('ends a long poll when its signal aborts', async () => {
    const controller = new AbortController();
    const polling = sqs.call('ReceiveMessage', { QueueUrl: url, WaitTimeSeconds: 20 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    expect(await polling).toEqual({});
  });

  it('validates like SQS', async () => {
    await rejectsWith(sqs.call('ReceiveMessage', { QueueUrl: url, MaxNumberOfMessages: 11 }), 'InvalidParameterValue');
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'a\u0000b' }), 'InvalidMessageContents');
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x', MessageAttributes: { a: { DataType: 'Number', StringValue: 'abc' } } }), 'InvalidParameterValue');
    await rejectsWith(sqs.call('CreateQueue', { QueueName: 'work', Attributes: { VisibilityTimeout: '99' } }), 'QueueNameExists');
    await rejectsWith(sqs.call('CreateQueue', { QueueName: 'x', Attributes: { Bogus: '1' } }), 'InvalidAttributeName');
    await rejectsWith(sqs.call('CreateQueue', { QueueName: 'x', Attributes: { VisibilityTimeout: '50000' } }), 'InvalidAttributeValue');
    await rejectsWith(sqs.call('CreateQueue', { QueueName: 'jobs.fifo' }), 'InvalidParameterValue');
    await rejectsWith(sqs.call('DeleteMessage', { QueueUrl: url, ReceiptHandle: 'garbage' }), 'ReceiptHandleIsInvalid');
    await rejectsWith(sqs.call('SendMessageBatch', { QueueUrl: url, Entries: [] }), 'EmptyBatchRequest');
    await rejectsWith(sqs.call('SendMessageBatch', { QueueUrl: url, Entries: [{ Id: 'a', MessageBody: '1' }, { Id: 'a', MessageBody: '2' }] }), 'BatchEntryIdsNotDistinct');
    const err = await rejectsWith<AwsError>(sqs.call('GetQueueUrl', { QueueName: 'nope' }), 'QueueDoesNotExist');
    expect(err.queryCode).toBe('AWS.SimpleQueueService.NonExistentQueue');
    await rejectsWith(sqs.call('PurgeQueue', { QueueUrl: url }).then(() => sqs.call('PurgeQueue', { QueueUrl: url })), 'PurgeQueueInProgress');
  });

  it('creates queues from AWS::SQS::Queue properties, with a RedrivePolicy object', () => {
    const dlq = sqs.createQueueFromCloudFormation({ QueueName: 'app-dlq', MessageRetentionPeriod: 1209600 });
    const main = sqs.createQueueFromCloudFormation({
      QueueName: 'app',
      VisibilityTimeout: 45,
      RedrivePolicy: { deadLetterTargetArn: dlq.attributes.Arn, maxReceiveCount: 3 },
      SqsManagedSseEnabled: true,
      Tags: [{ Key: 'team', Value: 'crud' }],
    });
    expect(main).toMatchObject({
      ref: 'http://localhost:4566/000000000000/app',
      attributes: { Arn: 'arn:aws:sqs:us-east-1:000000000000:app', QueueName: 'app' },
      created: true,
    });
    const summary = sqs.listQueues().find((q) => q.name === 'app')!;
    expect(summary.attributes).toMatchObject({ VisibilityTimeout: '45', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.attributes.Arn, maxReceiveCount: 3 }) });
    expect(sqs.createQueueFromCloudFormation({ QueueName: 'app', VisibilityTimeout: 60 }).created).toBe(false);
    expect(sqs.listQueues().find((q) => q.name === 'app')!.attributes.VisibilityTimeout).toBe('60');
    expect(() => sqs.createQueueFromCloudFormation({ QueueName: 'x.fifo', FifoQueue: true })).toThrow(/FIFO/);
  });
});

describe('SqsService on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('replays the log on open, keeping messages, receive counts and in-flight state, and compacts it', async () => {
    const first = SqsService.open({ dir });
    const { QueueUrl } = await first.call('CreateQueue', { QueueName: 'durable', Attributes: { VisibilityTimeout: '300' } });
    for (let i = 0; i < 5; i++) await first.call('SendMessage', { QueueUrl, MessageBody: `m${i}` });
    const received = await first.call('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 2 });
    await first.call('DeleteMessage', { QueueUrl, ReceiptHandle: received.Messages[0].ReceiptHandle });
    await first.close();
    const file = path.join(dir, 'durable.jsonl');
    const before = fs.readFileSync(file, 'utf8').trim().split('\n').length;

    const second = SqsService.open({ dir });
    try {
      const attrs = (await second.call('GetQueueAttributes', { QueueUrl, AttributeNames: ['All'] })).Attributes;
      expect(attrs).toMatchObject({ ApproximateNumberOfMessages: '3', ApproximateNumberOfMessagesNotVisible: '1', VisibilityTimeout: '300' });
      // The still in-flight message keeps its receipt handle across the restart.
      await second.call('DeleteMessage', { QueueUrl, ReceiptHandle: received.Messages[1].ReceiptHandle });
      expect((await second.call('GetQueueAttributes', { QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] })).Attributes.ApproximateNumberOfMessagesNotVisible).toBe('0');
      const after = fs.readFileSync(file, 'utf8').trim().split('\n').length;
      expect(after).toBeLessThan(before);
    } finally {
      await second.close();
    }
  });

  it('ignores a torn last line left by a crash mid-write', async () => {
    const first = SqsService.open({ dir });
    const { QueueUrl } = await first.call('CreateQueue', { QueueName: 'torn' });
    await first.call('SendMessage', { QueueUrl, MessageBody: 'acknowledged' });
    await first.close();
    fs.appendFileSync(path.join(dir, 'torn.jsonl'), '{"op":"send","m":{"id":"x","bo');
    const second = SqsService.open({ dir });
    try {
      const out = await second.call('ReceiveMessage', { QueueUrl, MaxNumberOfMessages: 10 });
      expect(out.Messages.map((m: { Body: string }) => m.Body)).toEqual(['acknowledged']);
    } finally {
      await second.close();
    }
  });

  it('deletes the log of a deleted queue', async () => {
    const sqs = SqsService.open({ dir });
    const { QueueUrl } = await sqs.call('CreateQueue', { QueueName: 'gone' });
    await sqs.call('DeleteQueue', { QueueUrl });
    expect(fs.existsSync(path.join(dir, 'gone.jsonl'))).toBe(false);
    await rejectsWith(sqs.call('GetQueueUrl', { QueueName: 'gone' }), 'QueueDoesNotExist');
    await sqs.close();
  });
});
