/**
 * SQS message size limits.
 *
 * - A message (body + attributes: names, types, values; UTF-8 bytes) is at most the queue's MaximumMessageSize,
 *   262,144 bytes by default, settable from 1,024 to 1,048,576:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html
 *   Over it: InvalidParameterValue "One or more parameters are invalid. Reason: Message must be shorter than
 *   262144 bytes." (as AWS answers; quoted from real errors, e.g. "(Service: AmazonSQS; Status Code: 400; Error Code:
 *   InvalidParameterValue; ...)").
 * - SendMessageBatch: the batch's total is at most 1 MiB (1,048,576 bytes), whatever the queue's maximum:
 *   https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html
 *   Over it: BatchRequestTooLong "Batch requests cannot be longer than 1048576 bytes. You have sent N bytes.";
 *   an entry over the queue's maximum fails alone, in `Failed`.
 */
import { CreateQueueCommand, SQSClient, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { AwsError } from '../../../local/services/errors';
import { SqsService } from '../../../local/services/sqs';
import { LocalCloud, rejectsWith, startLocalCloud } from '../endpoint/helpers';

const LIMIT = 262144;
const CJK = '\u4e2d'; // 3 bytes in UTF-8
const TOO_LONG = `One or more parameters are invalid. Reason: Message must be shorter than ${LIMIT} bytes.`;

describe('SQS message size (in-process)', () => {
  let sqs: SqsService;
  let url: string;

  beforeEach(async () => {
    sqs = SqsService.open({ inMemory: true });
    url = (await sqs.call('CreateQueue', { QueueName: 'sizes' })).QueueUrl;
  });
  afterEach(() => sqs.close());

  it('accepts a body of exactly 262,144 bytes and rejects 262,145 with InvalidParameterValue', async () => {
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT) });
    const err = await rejectsWith<AwsError>(sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT + 1) }), 'InvalidParameterValue');
    expect(err.message).toBe(TOO_LONG);
    expect(err.httpStatus).toBe(400);
    expect(err.queryCode).toBe('InvalidParameterValue');
  });

  it('counts UTF-8 bytes: 90,000 CJK characters (270,000 bytes) are too long, 87,381 (262,143) are not', async () => {
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: url, MessageBody: CJK.repeat(90000) }), 'InvalidParameterValue');
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: CJK.repeat(87381) });
  });

  it('counts message attributes (name, type and value) with the body', async () => {
    // name 'k' (1) + 'String' (6) + 'v' (1) = 8 bytes.
    const MessageAttributes = { k: { DataType: 'String', StringValue: 'v' } };
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT - 8), MessageAttributes });
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT - 7), MessageAttributes }), 'InvalidParameterValue');
    // Binary values count their decoded bytes: 'b' + 'Binary' + 3 bytes = 10.
    const binary = { b: { DataType: 'Binary', BinaryValue: Buffer.from([1, 2, 3]).toString('base64') } };
    await sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT - 10), MessageAttributes: binary });
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: url, MessageBody: 'x'.repeat(LIMIT - 9), MessageAttributes: binary }), 'InvalidParameterValue');
  });

  it("follows the queue's MaximumMessageSize, and names it in the message", async () => {
    const small = (await sqs.call('CreateQueue', { QueueName: 'small', Attributes: { MaximumMessageSize: '1024' } })).QueueUrl;
    await sqs.call('SendMessage', { QueueUrl: small, MessageBody: 'x'.repeat(1024) });
    const err = await rejectsWith<AwsError>(sqs.call('SendMessage', { QueueUrl: small, MessageBody: 'x'.repeat(1025) }), 'InvalidParameterValue');
    expect(err.message).toBe('One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.');

    const big = (await sqs.call('CreateQueue', { QueueName: 'big', Attributes: { MaximumMessageSize: '1048576' } })).QueueUrl;
    await sqs.call('SendMessage', { QueueUrl: big, MessageBody: 'x'.repeat(1048576) });
    await rejectsWith(sqs.call('SendMessage', { QueueUrl: big, MessageBody: 'x'.repeat(1048577) }), 'InvalidParameterValue');
  });

  it('SendMessageBatch: a batch of up to 1,048,576 bytes is accepted; one byte more is BatchRequestTooLong', async () => {
    const entries = (sizes: number[]) => sizes.map((n, i) => ({ Id: `m${i}`, MessageBody: 'x'.repeat(n) }));
    // Four messages of 262,144 bytes: each at the queue's maximum, 1,048,576 together.
    const ok = await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: entries([LIMIT, LIMIT, LIMIT, LIMIT]) });
    expect(ok.Successful).toHaveLength(4);
    expect(ok.Failed).toEqual([]);
    const err = await rejectsWith<AwsError>(sqs.call('SendMessageBatch', { QueueUrl: url, Entries: entries([LIMIT, LIMIT, LIMIT, LIMIT, 1]) }), 'BatchRequestTooLong');
    expect(err.message).toBe('Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.');
    expect(err.queryCode).toBe('AWS.SimpleQueueService.BatchRequestTooLong');
  });

  it('SendMessageBatch: ten bodies of 104,858 bytes (1,048,580) are too long together, as recorded on AWS', async () => {
    const Entries = Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'A'.repeat(104858) }));
    const err = await rejectsWith<AwsError>(sqs.call('SendMessageBatch', { QueueUrl: url, Entries }), 'BatchRequestTooLong');
    expect(err.message).toBe('Batch requests cannot be longer than 1048576 bytes. You have sent 1048580 bytes.');
  });

  it('SendMessageBatch: the total counts UTF-8 bytes and attributes', async () => {
    const cjk = Array.from({ length: 5 }, (_, i) => ({ Id: `c${i}`, MessageBody: CJK.repeat(70000) })); // 5 × 210,000
    const err = await rejectsWith<AwsError>(sqs.call('SendMessageBatch', { QueueUrl: url, Entries: cjk }), 'BatchRequestTooLong');
    expect(err.message).toBe('Batch requests cannot be longer than 1048576 bytes. You have sent 1050000 bytes.');
    const withAttrs = [
      { Id: 'a', MessageBody: 'x'.repeat(LIMIT - 8), MessageAttributes: { k: { DataType: 'String', StringValue: 'v' } } },
      ...Array.from({ length: 3 }, (_, i) => ({ Id: `b${i}`, MessageBody: 'x'.repeat(LIMIT) })),
    ];
    expect((await sqs.call('SendMessageBatch', { QueueUrl: url, Entries: withAttrs })).Successful).toHaveLength(4);
    withAttrs[0].MessageBody += 'x';
    await rejectsWith(sqs.call('SendMessageBatch', { QueueUrl: url, Entries: withAttrs }), 'BatchRequestTooLong');
  });

  it("SendMessageBatch: an entry over the queue's maximum fails alone (SenderFault, InvalidParameterValue)", async () => {
    const out = await sqs.call('SendMessageBatch', {
      QueueUrl: url,
      Entries: [
        { Id: 'ok', MessageBody: 'small' },
        { Id: 'big', MessageBody: 'x'.repeat(LIMIT + 1) },
      ],
    });
    expect(out.Successful.map((s: { Id: string }) => s.Id)).toEqual(['ok']);
    expect(out.Failed).toEqual([{ Id: 'big', SenderFault: true, Code: 'InvalidParameterValue', Message: TOO_LONG }]);
  });
});

describe('SQS message size through the endpoint (AWS SDK v3, JSON 1.0)', () => {
  let cloud: LocalCloud;
  let sqs: SQSClient;
  let queueUrl: string;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    sqs = new SQSClient({ ...cloud.clientConfig, maxAttempts: 1 });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'sizes' }))).QueueUrl!;
  });
  afterAll(async () => {
    sqs.destroy();
    await cloud.stop();
  });

  it('SendMessage over 262,144 bytes: 400 InvalidParameterValue with AWS message', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(LIMIT) }));
    const err = await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: CJK.repeat(90000) })).catch((e) => e);
    expect(err.name).toBe('InvalidParameterValue');
    expect(err.message).toBe(TOO_LONG);
    expect(err.$metadata.httpStatusCode).toBe(400);
  });

  it('SendMessageBatch over 1 MiB: BatchRequestTooLong', async () => {
    const Entries = Array.from({ length: 5 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x'.repeat(LIMIT) }));
    const err = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries })).catch((e) => e);
    expect(err.name).toBe('BatchRequestTooLong');
    expect(err.message).toBe('Batch requests cannot be longer than 1048576 bytes. You have sent 1310720 bytes.');
  });
});
