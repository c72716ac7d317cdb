import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  TagQueueCommand,
} from '@aws-sdk/client-sqs';
import { md5OfMessageAttributes } from '../../../local/services/sqs/md5';
import { LocalCloud, startLocalCloud } from './helpers';

describe('SQS through the endpoint (AWS SDK v3, JSON 1.0)', () => {
  let cloud: LocalCloud;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    sqs.destroy();
    await cloud.stop();
  });
  beforeEach(async () => {
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `q-${Date.now()}-${Math.floor(Math.random() * 1e6)}` }))).QueueUrl!;
  });

  it('returns queue URLs on the host the request came on', async () => {
    const host = new URL(cloud.endpoint.url).host;
    expect(queueUrl).toMatch(new RegExp(`^http://${host.replace(/\./g, '\\.')}/000000000000/q-`));
    const name = queueUrl.split('/').pop()!;
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl).toBe(queueUrl);
    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: name }));
    expect(listed.QueueUrls).toEqual([queueUrl]);
  });

  it('sends with attributes and answers the MD5s the SDK and AWS compute', async () => {
    const MessageAttributes = {
      kind: { DataType: 'String', StringValue: 'order' },
      count: { DataType: 'Number', StringValue: '3' },
      raw: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2, 3]) },
    };
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{"id":1} ünïcødé', MessageAttributes }));
    expect(sent.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        kind: { DataType: 'String', StringValue: 'order' },
        count: { DataType: 'Number', StringValue: '3' },
        raw: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') },
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp'] }),
    );
    const [m] = received.Messages!;
    expect(m.Body).toBe('{"id":1} ünïcødé');
    expect(m.MessageId).toBe(sent.MessageId);
    expect(m.MD5OfMessageAttributes).toBe(sent.MD5OfMessageAttributes);
    expect(Array.from(m.MessageAttributes!.raw.BinaryValue!)).toEqual([1, 2, 3]);
    expect(m.Attributes).toMatchObject({ ApproximateReceiveCount: '1' });
    expect(Number(m.Attributes!.SentTimestamp)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('receives up to MaxNumberOfMessages, hides them, and deletes in batches', async () => {
    const batch = await sqs.send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: `body ${i}` })) }),
    );
    expect(batch.Successful).toHaveLength(5);
    expect(batch.Failed ?? []).toEqual([]);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 3, VisibilityTimeout: 60 }));
    expect(received.Messages).toHaveLength(3);
    const attrs = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '2', ApproximateNumberOfMessagesNotVisible: '3' });
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: received.Messages!.map((msg, i) => ({ Id: `d${i}`, ReceiptHandle: msg.ReceiptHandle! })) }),
    );
    expect(deleted.Successful).toHaveLength(3);
  });

  it('changes visibility so a message comes back at once', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'retry me' }));
    const first = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 300 }))).Messages![0];
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
    const again = (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, VisibilityTimeout: 300, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }))).Messages![0];
    expect(again.Attributes!.ApproximateReceiveCount).toBe('2');
    const batch = await sqs.send(new ChangeMessageVisibilityBatchCommand({ QueueUrl: queueUrl, Entries: [{ Id: 'a', ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }, { Id: 'b', ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 0 }] }));
    expect(batch.Successful!.map((s) => s.Id)).toEqual(['b']);
    expect(batch.Failed![0]).toMatchObject({ Id: 'a', SenderFault: true, Code: 'AWS.SimpleQueueService.MessageNotInflight' });
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again.ReceiptHandle }));
    const err = await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: again.ReceiptHandle, VisibilityTimeout: 10 })).catch((e) => e);
    expect(err).toBeInstanceOf(MessageNotInflight);
  });

  it('long-polls with WaitTimeSeconds until a message arrives', async () => {
    const started = Date.now();
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 10 }));
    setTimeout(() => void sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' })), 200);
    const out = await polling;
    expect(out.Messages![0].Body).toBe('late');
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('returns no messages after WaitTimeSeconds on an empty queue', async () => {
    const started = Date.now();
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    expect(out.Messages).toBeUndefined();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('gets and sets queue attributes, including a redrive policy', async () => {
    const dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${queueUrl.split('/').pop()}-dlq` }))).QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queueUrl,
        Attributes: { MessageRetentionPeriod: '86400', VisibilityTimeout: '45', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }) },
      }),
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }));
    expect(Attributes).toMatchObject({
      MessageRetentionPeriod: '86400',
      VisibilityTimeout: '45',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 5 }),
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      DelaySeconds: '0',
      QueueArn: `arn:aws:sqs:us-east-1:000000000000:${queueUrl.split('/').pop()}`,
    });
    expect(Number(Attributes!.CreatedTimestamp)).toBeGreaterThan(1_700_000_000);
  });

  it('purges a queue', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' }));
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect((await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }))).Messages).toBeUndefined();
  });

  it('tags a queue', async () => {
    await sqs.send(new TagQueueCommand({ QueueUrl: queueUrl, Tags: { team: 'crud' } }));
    expect((await sqs.send(new ListQueueTagsCommand({ QueueUrl: queueUrl }))).Tags).toEqual({ team: 'crud' });
  });

  it('answers QueueDoesNotExist (AWS.SimpleQueueService.NonExistentQueue) for a missing queue', async () => {
    const err = await sqs.send(new GetQueueUrlCommand({ QueueName: 'does-not-exist' })).catch((e) => e);
    expect(err).toBeInstanceOf(QueueDoesNotExist);
    expect(err.name).toBe('QueueDoesNotExist');
    expect(err.Code).toBe('AWS.SimpleQueueService.NonExistentQueue');
    expect(err.$metadata.httpStatusCode).toBe(400);
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl }));
    const gone = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x' })).catch((e) => e);
    expect(gone).toBeInstanceOf(QueueDoesNotExist);
  });

  it('answers InvalidParameterValue with its query code', async () => {
    const err = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 20 })).catch((e) => e);
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toBe('Value 20 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.');
  });
});

describe('SQS through the endpoint (legacy query protocol)', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud();
  });
  afterAll(() => cloud.stop());

  const query = async (params: Record<string, string>, path = '/') => {
    const res = await fetch(cloud.endpoint.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams({ Version: '2012-11-05', ...params }).toString(),
    });
    return { status: res.status, requestId: res.headers.get('x-amzn-requestid'), xml: await res.text() };
  };

  it('creates a queue, sends with attributes, receives and deletes, in XML', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: 'legacy', 'Attribute.1.Name': 'VisibilityTimeout', 'Attribute.1.Value': '40' });
    expect(created.status).toBe(200);
    const queueUrl = /<QueueUrl>(.*)<\/QueueUrl>/.exec(created.xml)![1];
    expect(queueUrl).toMatch(/\/000000000000\/legacy$/);
    expect(created.xml).toContain(`<RequestId>${created.requestId}</RequestId>`);

    const sent = await query({
      Action: 'SendMessage',
      QueueUrl: queueUrl,
      MessageBody: 'a & b',
      'MessageAttribute.1.Name': 'kind',
      'MessageAttribute.1.Value.DataType': 'String',
      'MessageAttribute.1.Value.StringValue': 'order',
    });
    expect(sent.xml).toContain('<MD5OfMessageBody>');
    expect(sent.xml).toContain(`<MD5OfMessageAttributes>${md5OfMessageAttributes({ kind: { DataType: 'String', StringValue: 'order' } })}</MD5OfMessageAttributes>`);

    // Old clients post to the queue URL itself.
    const received = await query({ Action: 'ReceiveMessage', 'AttributeName.1': 'All', 'MessageAttributeName.1': 'All' }, '/000000000000/legacy');
    expect(received.xml).toContain('<Body>a &amp; b</Body>');
    expect(received.xml).toContain('<Name>ApproximateReceiveCount</Name><Value>1</Value>');
    expect(received.xml).toContain('<MessageAttribute><Name>kind</Name><Value><StringValue>order</StringValue><DataType>String</DataType></Value></MessageAttribute>');
    const handle = /<ReceiptHandle>(.*)<\/ReceiptHandle>/.exec(received.xml)![1];
    expect((await query({ Action: 'DeleteMessage', QueueUrl: queueUrl, ReceiptHandle: handle })).status).toBe(200);

    const attrs = await query({ Action: 'GetQueueAttributes', QueueUrl: queueUrl, 'AttributeName.1': 'VisibilityTimeout' });
    expect(attrs.xml).toContain('<Attribute><Name>VisibilityTimeout</Name><Value>40</Value></Attribute>');
  });

  it('answers errors as an XML ErrorResponse with the legacy code', async () => {
    const res = await query({ Action: 'GetQueueUrl', QueueName: 'nope' });
    expect(res.status).toBe(400);
    expect(res.xml).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
    expect(res.xml).toContain('<Type>Sender</Type>');
    const unknown = await query({ Action: 'Frobnicate' });
    expect(unknown.xml).toContain('<Code>InvalidAction</Code>');
  });

  it('sends and deletes batches', async () => {
    const created = await query({ Action: 'CreateQueue', QueueName: 'legacy-batch' });
    const queueUrl = /<QueueUrl>(.*)<\/QueueUrl>/.exec(created.xml)![1];
    const sent = await query({
      Action: 'SendMessageBatch',
      QueueUrl: queueUrl,
      'SendMessageBatchRequestEntry.1.Id': 'one',
      'SendMessageBatchRequestEntry.1.MessageBody': 'first',
      'SendMessageBatchRequestEntry.2.Id': 'two',
      'SendMessageBatchRequestEntry.2.MessageBody': '',
    });
    expect(sent.xml).toContain('<SendMessageBatchResultEntry><Id>one</Id>');
    expect(sent.xml).toContain('<BatchResultErrorEntry><Id>two</Id><SenderFault>true</SenderFault>');
  });
});
