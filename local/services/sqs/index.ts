/**
 * SQS standard queues, in-process, over an append-only JSON-lines log per queue (compacted on open).
 *
 * `call(action, request, context)` takes and returns the AWS JSON 1.0 shapes (`X-Amz-Target: AmazonSQS.<action>`)
 * and throws {@link AwsError}s that render as SQS does (`__type: com.amazonaws.sqs#QueueDoesNotExist` plus
 * `x-amzn-query-error: AWS.SimpleQueueService.NonExistentQueue;Sender`). The legacy query protocol is translated
 * to these calls in ./query.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AwsError } from '../errors';
import { FaultInjector } from '../faults';
import { LogOptions, compactAndOpen, readRecords } from '../storage';
import { MessageAttributeValue, md5Hex, md5OfMessageAttributes } from './md5';
import { DEFAULT_ATTRIBUTES, Queue, QueueLogRecord, StoredMessage } from './queue';

export const SQS_OPERATIONS = [
  'CreateQueue',
  'GetQueueUrl',
  'ListQueues',
  'DeleteQueue',
  'GetQueueAttributes',
  'SetQueueAttributes',
  'SendMessage',
  'SendMessageBatch',
  'ReceiveMessage',
  'DeleteMessage',
  'DeleteMessageBatch',
  'ChangeMessageVisibility',
  'ChangeMessageVisibilityBatch',
  'PurgeQueue',
  'TagQueue',
  'UntagQueue',
  'ListQueueTags',
  'ListDeadLetterSourceQueues',
] as const;

export type SqsOperation = (typeof SQS_OPERATIONS)[number];

export interface SqsServiceOptions {
  /** Folder of the queue logs. Required unless `inMemory`. */
  dir?: string;
  inMemory?: boolean;
  faults?: FaultInjector;
  accountId?: string;
  region?: string;
  /** Host (and port) used in queue URLs when a call does not say which host it came on. Default 'localhost:4566'. */
  defaultHost?: string;
  /** Clock for visibility, delays and retention (epoch ms). */
  now?: () => number;
  /** fsync every append (default false: survives a process crash, not an OS crash). */
  fsync?: boolean;
}

export interface SqsCallContext {
  /** The Host header of the request, used in the queue URLs returned. */
  host?: string;
  protocol?: 'http' | 'https';
  /** Aborts a long poll (the HTTP client went away). */
  signal?: AbortSignal;
}

/** A queue as the console shows it. */
export interface QueueSummary {
  name: string;
  url: string;
  arn: string;
  attributes: Record<string, string>;
  visible: number;
  inFlight: number;
  delayed: number;
  /** Seconds since the oldest message was sent (CloudWatch's ApproximateAgeOfOldestMessage; not a queue attribute on AWS). */
  approximateAgeOfOldestMessage: number;
}

/** A message as the console shows it, without receiving it. */
export interface PeekedMessage {
  messageId: string;
  body: string;
  messageAttributes?: Record<string, MessageAttributeValue>;
  sentTimestamp: number;
  receiveCount: number;
  visible: boolean;
  deadLetterQueueSourceArn?: string;
}

const SETTABLE_ATTRIBUTES = new Set([
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'Policy',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds',
  'SqsManagedSseEnabled',
  'FifoQueue',
  'ContentBasedDeduplication',
  'DeduplicationScope',
  'FifoThroughputLimit',
]);

const COMPUTED_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
];

const RANGES: Record<string, [number, number]> = {
  DelaySeconds: [0, 900],
  MaximumMessageSize: [1024, 1048576],
  MessageRetentionPeriod: [60, 1209600],
  ReceiveMessageWaitTimeSeconds: [0, 20],
  VisibilityTimeout: [0, 43200],
  KmsDataKeyReusePeriodSeconds: [60, 86400],
};

const MESSAGE_SYSTEM_ATTRIBUTES = ['SenderId', 'SentTimestamp', 'ApproximateReceiveCount', 'ApproximateFirstReceiveTimestamp', 'AWSTraceHeader', 'DeadLetterQueueSourceArn'];
const QUEUE_NAME = /^[a-zA-Z0-9_-]{1,80}$/;
const BATCH_ENTRY_ID = /^[a-zA-Z0-9_-]{1,80}$/;
// Characters SQS accepts in bodies and string attributes: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF.
const INVALID_CHARS = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const PURGE_INTERVAL_MS = 60_000;
/**
 * SendMessageBatch: "The maximum allowed individual message size and the maximum total payload size (the sum of
 * the individual lengths of all of the batched messages) are both 1 MiB 1,048,576 bytes"
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html, since SQS
 * raised its maximum to 1 MiB in 2025; 256 KiB before). The total is fixed; each message is also held to its
 * queue's MaximumMessageSize. Recorded against AWS (ballerina-platform module-ballerinax-aws.sqs tests): ten
 * 104,858-byte bodies → BatchRequestTooLong "Batch requests cannot be longer than 1048576 bytes. You have sent
 * 1048580 bytes."
 */
export const MAX_BATCH_BYTES = 1_048_576;

type Req = Record<string, any>;

export class SqsService {
  private readonly queues = new Map<string, Queue>();
  private readonly accountId: string;
  private readonly region: string;
  private defaultHost: string;
  private readonly now: () => number;
  private readonly logOptions: LogOptions;
  private closed = false;

  private constructor(private readonly options: SqsServiceOptions) {
    this.accountId = options.accountId ?? '000000000000';
    this.region = options.region ?? 'us-east-1';
    this.defaultHost = options.defaultHost ?? 'localhost:4566';
    this.now = options.now ?? Date.now;
    this.logOptions = { fsync: options.fsync };
  }

  /** The endpoint's host:port once it listens (it may be picked at random), for queue URLs made in-process. */
  setDefaultHost(host: string): void {
    this.defaultHost = host;
  }

  /** Opens the store: replays and compacts every queue log under `dir`. */
  static open(options: SqsServiceOptions): SqsService {
    if (!options.inMemory && !options.dir) throw new Error('SqsService needs a dir, or inMemory: true');
    const service = new SqsService(options);
    if (!options.inMemory) {
      fs.mkdirSync(options.dir!, { recursive: true });
      for (const file of fs.readdirSync(options.dir!)) {
        if (!file.endsWith('.jsonl')) continue;
        const full = path.join(options.dir!, file);
        const queue = Queue.replay(readRecords<QueueLogRecord>(full));
        if (!queue) continue;
        queue.attachLog(compactAndOpen(full, queue.snapshot(), service.logOptions));
        service.queues.set(queue.name, queue);
      }
    }
    return service;
  }

  /** Runs one SQS operation with its JSON 1.0 request shape; rejects with an {@link AwsError}. */
  async call(action: string, request: Req = {}, context: SqsCallContext = {}): Promise<any> {
    if (this.closed) throw AwsError.of('sqs', 'ServiceUnavailable', 'The local SQS is closed');
    if (!(SQS_OPERATIONS as readonly string[]).includes(action)) {
      throw AwsError.of('sqs', 'UnsupportedOperation', `${action} is not supported by the local SQS`);
    }
    this.faults?.check('sqs', action);
    const req = request ?? {};
    switch (action as SqsOperation) {
      case 'CreateQueue':
        return this.createQueue(req, context);
      case 'GetQueueUrl':
        return { QueueUrl: this.queueUrl(this.requireQueueByName(req.QueueName).name, context) };
      case 'ListQueues':
        return this.listQueuesApi(req, context);
      case 'DeleteQueue':
        return this.deleteQueue(req);
      case 'GetQueueAttributes':
        return { Attributes: this.getAttributes(this.queueFromUrl(req.QueueUrl), req.AttributeNames) };
      case 'SetQueueAttributes':
        return this.setAttributes(req);
      case 'SendMessage':
        return this.sendMessage(this.queueFromUrl(req.QueueUrl), req);
      case 'SendMessageBatch':
        return this.sendMessageBatch(req);
      case 'ReceiveMessage':
        return this.receiveMessage(req, context);
      case 'DeleteMessage':
        this.deleteMessage(this.queueFromUrl(req.QueueUrl), req.ReceiptHandle);
        return {};
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(req);
      case 'ChangeMessageVisibility':
        this.changeVisibility(this.queueFromUrl(req.QueueUrl), req.ReceiptHandle, req.VisibilityTimeout);
        return {};
      case 'ChangeMessageVisibilityBatch':
        return this.changeVisibilityBatch(req);
      case 'PurgeQueue':
        return this.purgeQueue(req);
      case 'TagQueue':
        return this.tagQueue(req);
      case 'UntagQueue':
        return this.untagQueue(req);
      case 'ListQueueTags': {
        const tags = this.queueFromUrl(req.QueueUrl).record.tags;
        return Object.keys(tags).length ? { Tags: { ...tags } } : {};
      }
      case 'ListDeadLetterSourceQueues':
        return this.listDeadLetterSourceQueues(req, context);
    }
  }

  /** Creates (or updates the attributes of) a queue from `AWS::SQS::Queue` properties. Ref is the queue URL. */
  createQueueFromCloudFormation(
    properties: Record<string, unknown>,
    options: { fallbackName?: string; host?: string } = {},
  ): { ref: string; attributes: Record<string, string>; created: boolean; ignored: string[] } {
    const name = (properties.QueueName as string | undefined) ?? options.fallbackName;
    if (!name) throw new Error('AWS::SQS::Queue: no QueueName in the properties and no fallback name given');
    if (properties.FifoQueue === true || properties.FifoQueue === 'true' || name.endsWith('.fifo')) {
      throw new Error(`AWS::SQS::Queue ${name}: FIFO queues are not supported by the local SQS`);
    }
    const attributes: Record<string, string> = {};
    const ignored: string[] = [];
    for (const [key, value] of Object.entries(properties)) {
      if (key === 'QueueName' || key === 'Tags' || key === 'FifoQueue') continue;
      if (!SETTABLE_ATTRIBUTES.has(key)) {
        ignored.push(key);
        continue;
      }
      attributes[key] = typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
    }
    const tags: Record<string, string> = {};
    if (Array.isArray(properties.Tags)) for (const t of properties.Tags as { Key: string; Value: string }[]) tags[t.Key] = String(t.Value);

    const validated = this.validateAttributes(attributes);
    const existing = this.queues.get(name);
    if (existing) {
      existing.updateRecord({ attributes: { ...existing.record.attributes, ...validated }, tags: { ...existing.record.tags, ...tags } }, this.now());
    } else {
      this.addQueue(name, validated, tags);
    }
    const url = this.queueUrl(name, { host: options.host });
    return { ref: url, attributes: { Arn: this.queueArn(name), QueueName: name, QueueUrl: url }, created: !existing, ignored };
  }

  queueUrl(name: string, context: SqsCallContext = {}): string {
    return `${context.protocol ?? 'http'}://${context.host ?? this.defaultHost}/${this.accountId}/${name}`;
  }

  queueArn(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  /** Every queue with its message counts (console). */
  listQueues(context: SqsCallContext = {}): QueueSummary[] {
    const now = this.now();
    return [...this.queues.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((q) => {
        q.sweep(now);
        return {
          name: q.name,
          url: this.queueUrl(q.name, context),
          arn: this.queueArn(q.name),
          attributes: this.getAttributes(q, ['All']) ?? {},
          ...q.counts(now),
          approximateAgeOfOldestMessage: q.ageOfOldestMessage(now),
        };
      });
  }

  /** The messages of a queue without receiving them (console, DLQ view). */
  peekMessages(queueName: string, limit = 100): PeekedMessage[] {
    const q = this.requireQueueByName(queueName);
    const now = this.now();
    q.sweep(now);
    return [...q.messages.values()].slice(0, limit).map((m) => ({
      messageId: m.id,
      body: m.body,
      messageAttributes: m.attrs,
      sentTimestamp: m.sent,
      receiveCount: m.receives,
      visible: m.visibleAt <= now,
      deadLetterQueueSourceArn: m.dlqSource,
    }));
  }

  /** Makes every long poll look again (the clock moved: messages may have become visible or expired). */
  wake(): void {
    for (const q of this.queues.values()) q.notify();
  }

  /** Stops long polls and closes the logs. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const q of this.queues.values()) {
      q.notify();
      q.closeLog();
    }
  }

  private get faults(): FaultInjector | undefined {
    return this.options.faults;
  }

  // ---- queues ----

  private createQueue(req: Req, context: SqsCallContext): { QueueUrl: string } {
    const name = req.QueueName;
    if (typeof name !== 'string' || !name) throw missing('QueueName');
    if (name.endsWith('.fifo') || req.Attributes?.FifoQueue === 'true') {
      throw invalidParameter('FIFO queues are not supported by the local SQS.');
    }
    if (!QUEUE_NAME.test(name)) throw invalidParameter('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    const attributes = this.validateAttributes(req.Attributes ?? {});
    const existing = this.queues.get(name);
    if (existing) {
      for (const [k, v] of Object.entries(attributes)) {
        const current = existing.record.attributes[k] ?? DEFAULT_ATTRIBUTES[k];
        if (current !== v) {
          throw AwsError.of('sqs', 'QueueNameExists', `A queue already exists with the same name and a different value for attribute ${k}`);
        }
      }
      return { QueueUrl: this.queueUrl(name, context) };
    }
    this.addQueue(name, attributes, stringMap(req.tags ?? req.Tags));
    return { QueueUrl: this.queueUrl(name, context) };
  }

  private addQueue(name: string, attributes: Record<string, string>, tags: Record<string, string>): Queue {
    const now = this.now();
    const queue = new Queue({ name, created: now, modified: now, attributes: { ...DEFAULT_ATTRIBUTES, ...attributes }, tags });
    if (!this.options.inMemory) queue.attachLog(compactAndOpen(this.logFile(name), queue.snapshot(), this.logOptions));
    this.queues.set(name, queue);
    return queue;
  }

  private deleteQueue(req: Req): {} {
    const q = this.queueFromUrl(req.QueueUrl);
    this.queues.delete(q.name);
    q.notify();
    q.closeLog();
    if (!this.options.inMemory) fs.rmSync(this.logFile(q.name), { force: true });
    return {};
  }

  private listQueuesApi(req: Req, context: SqsCallContext): Req {
    const prefix: string = req.QueueNamePrefix ?? '';
    const max = req.MaxResults === undefined ? 1000 : Number(req.MaxResults);
    if (!(max >= 1 && max <= 1000)) throw invalidParameter(`Value ${req.MaxResults} for parameter MaxResults is invalid. Reason: Must be between 1 and 1000, if provided.`);
    const names = [...this.queues.keys()].filter((n) => n.startsWith(prefix)).sort();
    const start = req.NextToken ? Number(Buffer.from(String(req.NextToken), 'base64url').toString()) || 0 : 0;
    const page = names.slice(start, start + max);
    const out: Req = {};
    if (page.length) out.QueueUrls = page.map((n) => this.queueUrl(n, context));
    if (req.MaxResults !== undefined && start + max < names.length) out.NextToken = Buffer.from(String(start + max)).toString('base64url');
    return out;
  }

  private getAttributes(q: Queue, requested: unknown): Record<string, string> | undefined {
    const names = Array.isArray(requested) ? (requested as string[]) : [];
    if (names.length === 0) return undefined;
    const now = this.now();
    q.sweep(now);
    const all = names.includes('All');
    for (const n of names) {
      if (n !== 'All' && !SETTABLE_ATTRIBUTES.has(n) && !COMPUTED_ATTRIBUTES.includes(n)) {
        throw AwsError.of('sqs', 'InvalidAttributeName', `Unknown Attribute ${n}.`);
      }
    }
    const counts = q.counts(now);
    const values: Record<string, string> = {
      ...q.record.attributes,
      ApproximateNumberOfMessages: String(counts.visible),
      ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
      ApproximateNumberOfMessagesDelayed: String(counts.delayed),
      CreatedTimestamp: String(Math.floor(q.record.created / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.record.modified / 1000)),
      QueueArn: this.queueArn(q.name),
    };
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) if (all || names.includes(k)) out[k] = v;
    return out;
  }

  private setAttributes(req: Req): {} {
    const q = this.queueFromUrl(req.QueueUrl);
    if (!req.Attributes || typeof req.Attributes !== 'object') throw missing('Attributes');
    const validated = this.validateAttributes(req.Attributes);
    const attributes = { ...q.record.attributes, ...validated };
    for (const [k, v] of Object.entries(validated)) if (v === '' && (k === 'RedrivePolicy' || k === 'Policy' || k === 'RedriveAllowPolicy')) delete attributes[k];
    q.updateRecord({ attributes }, this.now());
    return {};
  }

  private validateAttributes(input: Record<string, unknown>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, raw] of Object.entries(input)) {
      if (!SETTABLE_ATTRIBUTES.has(name)) throw AwsError.of('sqs', 'InvalidAttributeName', `Unknown Attribute ${name}.`);
      const value = typeof raw === 'object' && raw !== null ? JSON.stringify(raw) : String(raw);
      const range = RANGES[name];
      if (range) {
        const n = Number(value);
        if (!/^-?\d+$/.test(value) || n < range[0] || n > range[1]) throw invalidAttributeValue(name);
      }
      if (name === 'FifoQueue' && value === 'true') throw invalidParameter('FIFO queues are not supported by the local SQS.');
      if (name === 'RedrivePolicy' && value !== '') {
        let policy: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
        try {
          policy = JSON.parse(value);
        } catch {
          throw invalidAttributeValue(name);
        }
        const max = Number(policy.maxReceiveCount);
        if (typeof policy.deadLetterTargetArn !== 'string' || !(Number.isInteger(max) && max >= 1 && max <= 1000)) {
          throw invalidAttributeValue(name, 'Value must be a JSON object with deadLetterTargetArn and maxReceiveCount (1 to 1000).');
        }
      }
      out[name] = value;
    }
    return out;
  }

  private purgeQueue(req: Req): {} {
    const q = this.queueFromUrl(req.QueueUrl);
    const now = this.now();
    if (q.lastPurge !== undefined && now - q.lastPurge < PURGE_INTERVAL_MS) {
      throw AwsError.of('sqs', 'PurgeQueueInProgress', `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`);
    }
    q.purge(now);
    return {};
  }

  private tagQueue(req: Req): {} {
    const q = this.queueFromUrl(req.QueueUrl);
    q.updateRecord({ tags: { ...q.record.tags, ...stringMap(req.Tags) } }, this.now());
    return {};
  }

  private untagQueue(req: Req): {} {
    const q = this.queueFromUrl(req.QueueUrl);
    const tags = { ...q.record.tags };
    for (const k of (req.TagKeys as string[]) ?? []) delete tags[k];
    q.updateRecord({ tags }, this.now());
    return {};
  }

  private listDeadLetterSourceQueues(req: Req, context: SqsCallContext): Req {
    const target = this.queueArn(this.queueFromUrl(req.QueueUrl).name);
    const urls = [...this.queues.values()]
      .filter((q) => this.redrivePolicy(q)?.deadLetterTargetArn === target)
      .map((q) => this.queueUrl(q.name, context));
    return { queueUrls: urls };
  }

  // ---- messages ----

  private sendMessage(q: Queue, req: Req): Req {
    const m = this.enqueue(q, req);
    const out: Req = { MessageId: m.id, MD5OfMessageBody: m.md5 };
    const attrsMd5 = md5OfMessageAttributes(m.attrs);
    if (attrsMd5) out.MD5OfMessageAttributes = attrsMd5;
    const sysMd5 = md5OfMessageAttributes(m.sysAttrs);
    if (sysMd5) out.MD5OfMessageSystemAttributes = sysMd5;
    return out;
  }

  private enqueue(q: Queue, req: Req): StoredMessage {
    const body = req.MessageBody;
    if (typeof body !== 'string') throw missing('MessageBody');
    if (body.length === 0) throw invalidParameter('The request must contain the parameter MessageBody.');
    if (INVALID_CHARS.test(body)) {
      throw AwsError.of('sqs', 'InvalidMessageContents', 'Invalid characters found. Valid values for message body are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF');
    }
    if (req.MessageGroupId !== undefined || req.MessageDeduplicationId !== undefined) {
      throw invalidParameter('The request include parameter that is not valid for this queue type.');
    }
    const attrs = normalizeAttributes(req.MessageAttributes, 'message attribute');
    const sysAttrs = normalizeAttributes(req.MessageSystemAttributes, 'message system attribute');
    if (sysAttrs) {
      for (const name of Object.keys(sysAttrs)) {
        if (name !== 'AWSTraceHeader') throw invalidParameter(`Message system attribute name '${name}' is invalid.`);
      }
    }
    // The message's size is its body and its attributes (names, types and values), in UTF-8 bytes, at most the
    // queue's MaximumMessageSize (default 262,144). AWS's answer, as seen through the Java SDK: InvalidParameterValue
    // "One or more parameters are invalid. Reason: Message must be shorter than 262144 bytes."
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
    const size = messageSize(body, attrs);
    const max = q.attr('MaximumMessageSize');
    if (size > max) throw invalidParameter(`One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
    let delay = q.attr('DelaySeconds');
    if (req.DelaySeconds !== undefined && req.DelaySeconds !== null) {
      delay = Number(req.DelaySeconds);
      if (!Number.isInteger(delay) || delay < 0 || delay > 900) {
        throw invalidParameter(`Value ${req.DelaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.`);
      }
    }
    const now = this.now();
    q.sweep(now);
    return q.enqueue({ body, md5: md5Hex(body), attrs, sysAttrs, sent: now, visibleAt: now + delay * 1000 });
  }

  private sendMessageBatch(req: Req): Req {
    const q = this.queueFromUrl(req.QueueUrl);
    const entries = checkBatch(req.Entries);
    const total = entries.reduce((n, e) => n + messageSize(String(e.MessageBody ?? ''), e.MessageAttributes), 0);
    if (total > MAX_BATCH_BYTES) {
      throw AwsError.of('sqs', 'BatchRequestTooLong', `Batch requests cannot be longer than ${MAX_BATCH_BYTES} bytes. You have sent ${total} bytes.`);
    }
    const Successful: Req[] = [];
    const Failed: Req[] = [];
    for (const entry of entries) {
      try {
        const out = this.sendMessage(q, entry);
        Successful.push({ Id: entry.Id, ...out });
      } catch (err) {
        Failed.push(batchFailure(entry.Id, err));
      }
    }
    return { Successful, Failed };
  }

  private async receiveMessage(req: Req, context: SqsCallContext): Promise<Req> {
    const q = this.queueFromUrl(req.QueueUrl);
    const max = req.MaxNumberOfMessages === undefined || req.MaxNumberOfMessages === null ? 1 : Number(req.MaxNumberOfMessages);
    if (!Number.isInteger(max) || max < 1 || max > 10) {
      throw invalidParameter(`Value ${req.MaxNumberOfMessages} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const visibility = req.VisibilityTimeout === undefined || req.VisibilityTimeout === null ? q.attr('VisibilityTimeout') : Number(req.VisibilityTimeout);
    if (!Number.isInteger(visibility) || visibility < 0 || visibility > 43200) {
      throw invalidParameter(`Value ${req.VisibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
    }
    const wait = req.WaitTimeSeconds === undefined || req.WaitTimeSeconds === null ? q.attr('ReceiveMessageWaitTimeSeconds') : Number(req.WaitTimeSeconds);
    if (!Number.isInteger(wait) || wait < 0 || wait > 20) {
      throw invalidParameter(`Value ${req.WaitTimeSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.`);
    }
    const systemNames = [...(req.AttributeNames ?? []), ...(req.MessageSystemAttributeNames ?? [])] as string[];
    const attributeNames = (req.MessageAttributeNames ?? []) as string[];

    // On the service's clock: a long poll that the clock skips past ends (and an advance wakes it: wake()).
    const deadline = this.now() + wait * 1000;
    const wake = () => q.notify();
    context.signal?.addEventListener('abort', wake, { once: true });
    try {
      for (;;) {
        if (this.closed || context.signal?.aborted || !this.queues.has(q.name)) return {};
        const taken = this.takeVisible(q, max, visibility);
        if (taken.length > 0) {
          return { Messages: taken.map(({ message, handle }) => this.renderReceived(q, message, handle, systemNames, attributeNames)) };
        }
        const remaining = deadline - this.now();
        if (remaining <= 0) return {};
        await q.waitForChange(Math.min(remaining, q.nextVisibleIn(this.now()), 1000));
      }
    } finally {
      context.signal?.removeEventListener('abort', wake);
    }
  }

  private takeVisible(q: Queue, max: number, visibility: number): { message: StoredMessage; handle: string }[] {
    const now = this.now();
    q.sweep(now);
    const redrive = this.redrivePolicy(q);
    const dlq = redrive ? this.queues.get(arnToName(redrive.deadLetterTargetArn)) : undefined;
    const out: { message: StoredMessage; handle: string }[] = [];
    for (const m of q.messages.values()) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (redrive && dlq && dlq !== q && m.receives >= redrive.maxReceiveCount) {
        // The redrive policy moves a message that was received maxReceiveCount times instead of delivering it again.
        q.remove(m.id);
        dlq.enqueue({ ...m, visibleAt: now, receives: 0, firstReceive: undefined, handle: undefined, dlqSource: this.queueArn(q.name) });
        continue;
      }
      out.push({ message: m, handle: q.markReceived(m, now, visibility) });
    }
    return out;
  }

  private renderReceived(q: Queue, m: StoredMessage, nonce: string, systemNames: string[], attributeNames: string[]): Req {
    const out: Req = { MessageId: m.id, ReceiptHandle: encodeHandle(q.name, m.id, nonce), MD5OfBody: m.md5, Body: m.body };
    if (systemNames.length) {
      const all = systemNames.includes('All');
      const values: Record<string, string | undefined> = {
        SenderId: this.accountId,
        SentTimestamp: String(m.sent),
        ApproximateReceiveCount: String(m.receives),
        ApproximateFirstReceiveTimestamp: String(m.firstReceive ?? m.sent),
        AWSTraceHeader: m.sysAttrs?.AWSTraceHeader?.StringValue,
        DeadLetterQueueSourceArn: m.dlqSource,
      };
      const attributes: Record<string, string> = {};
      for (const name of MESSAGE_SYSTEM_ATTRIBUTES) {
        const v = values[name];
        if (v !== undefined && (all || systemNames.includes(name))) attributes[name] = v;
      }
      if (Object.keys(attributes).length) out.Attributes = attributes;
    }
    if (m.attrs && attributeNames.length) {
      const selected: Record<string, MessageAttributeValue> = {};
      for (const [name, value] of Object.entries(m.attrs)) if (matchesAttributeName(name, attributeNames)) selected[name] = value;
      if (Object.keys(selected).length) {
        out.MessageAttributes = selected;
        out.MD5OfMessageAttributes = md5OfMessageAttributes(selected);
      }
    }
    return out;
  }

  private deleteMessage(q: Queue, receiptHandle: unknown): void {
    const { id, nonce } = this.decodeHandleFor(q, receiptHandle);
    const m = q.messages.get(id);
    // AWS: deleting with an outdated handle succeeds but only the latest handle removes the message.
    if (m && m.handle === nonce) q.remove(id);
  }

  private deleteMessageBatch(req: Req): Req {
    const q = this.queueFromUrl(req.QueueUrl);
    const entries = checkBatch(req.Entries);
    const Successful: Req[] = [];
    const Failed: Req[] = [];
    for (const entry of entries) {
      try {
        this.deleteMessage(q, entry.ReceiptHandle);
        Successful.push({ Id: entry.Id });
      } catch (err) {
        Failed.push(batchFailure(entry.Id, err));
      }
    }
    return { Successful, Failed };
  }

  private changeVisibility(q: Queue, receiptHandle: unknown, timeout: unknown): void {
    const seconds = Number(timeout);
    if (timeout === undefined || timeout === null) throw missing('VisibilityTimeout');
    if (!Number.isInteger(seconds) || seconds < 0 || seconds > 43200) {
      throw invalidParameter(`Value ${timeout} for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.`);
    }
    const { id, nonce } = this.decodeHandleFor(q, receiptHandle);
    const m = q.messages.get(id);
    const now = this.now();
    if (!m || m.handle !== nonce || m.visibleAt <= now) {
      throw AwsError.of('sqs', 'MessageNotInflight', `Value ${String(receiptHandle)} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`);
    }
    q.setVisibleAt(m, now + seconds * 1000);
  }

  private changeVisibilityBatch(req: Req): Req {
    const q = this.queueFromUrl(req.QueueUrl);
    const entries = checkBatch(req.Entries);
    const Successful: Req[] = [];
    const Failed: Req[] = [];
    for (const entry of entries) {
      try {
        this.changeVisibility(q, entry.ReceiptHandle, entry.VisibilityTimeout);
        Successful.push({ Id: entry.Id });
      } catch (err) {
        Failed.push(batchFailure(entry.Id, err));
      }
    }
    return { Successful, Failed };
  }

  // ---- helpers ----

  private redrivePolicy(q: Queue): { deadLetterTargetArn: string; maxReceiveCount: number } | undefined {
    const raw = q.record.attributes.RedrivePolicy;
    if (!raw) return undefined;
    try {
      const p = JSON.parse(raw);
      return { deadLetterTargetArn: String(p.deadLetterTargetArn), maxReceiveCount: Number(p.maxReceiveCount) };
    } catch {
      return undefined;
    }
  }

  private requireQueueByName(name: unknown): Queue {
    if (typeof name !== 'string' || !name) throw missing('QueueName');
    const q = this.queues.get(name);
    if (!q) throw AwsError.of('sqs', 'QueueDoesNotExist', 'The specified queue does not exist.');
    return q;
  }

  /** Accepts a queue URL on any host (http://localhost:4566/000000000000/q, https://sqs.us-east-1.amazonaws.com/...), an ARN or a bare name. */
  private queueFromUrl(queueUrl: unknown): Queue {
    if (typeof queueUrl !== 'string' || !queueUrl) throw missing('QueueUrl');
    let name = queueUrl;
    if (queueUrl.startsWith('arn:')) name = arnToName(queueUrl);
    else if (queueUrl.includes('/')) name = queueUrl.replace(/\/+$/, '').split('/').pop() ?? '';
    return this.requireQueueByName(name);
  }

  private decodeHandleFor(q: Queue, receiptHandle: unknown): { id: string; nonce: string } {
    if (typeof receiptHandle !== 'string' || !receiptHandle) throw missing('ReceiptHandle');
    const decoded = decodeHandle(receiptHandle);
    if (!decoded || decoded.queue !== q.name) {
      throw AwsError.of('sqs', 'ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`);
    }
    return decoded;
  }

  private logFile(name: string): string {
    return path.join(this.options.dir!, `${name}.jsonl`);
  }
}

function encodeHandle(queue: string, id: string, nonce: string): string {
  return Buffer.from(JSON.stringify([queue, id, nonce])).toString('base64');
}

function decodeHandle(handle: string): { queue: string; id: string; nonce: string } | undefined {
  try {
    const parts = JSON.parse(Buffer.from(handle, 'base64').toString('utf8'));
    if (Array.isArray(parts) && parts.length === 3 && parts.every((p) => typeof p === 'string')) return { queue: parts[0], id: parts[1], nonce: parts[2] };
  } catch {
    // fall through
  }
  return undefined;
}

function arnToName(arn: string): string {
  return arn.split(':').pop() ?? '';
}

function matchesAttributeName(name: string, requested: string[]): boolean {
  return requested.some((r) => r === 'All' || r === '.*' || r === name || (r.endsWith('.*') && name.startsWith(r.slice(0, -1))));
}

function normalizeAttributes(input: unknown, what: string): Record<string, MessageAttributeValue> | undefined {
  if (input === undefined || input === null) return undefined;
  if (typeof input !== 'object') throw invalidParameter(`The ${what}s are not valid.`);
  const entries = Object.entries(input as Record<string, Record<string, unknown>>);
  if (entries.length === 0) return undefined;
  if (entries.length > 10) throw invalidParameter(`Number of ${what}s [${entries.length}] exceeds the allowed maximum [10].`);
  const out: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of entries) {
    if (!/^[a-zA-Z0-9_\-.]{1,256}$/.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..') || /^(aws\.|amazon\.)/i.test(name)) {
      throw invalidParameter(`The ${what} name '${name}' is invalid.`);
    }
    const dataType = value?.DataType;
    if (typeof dataType !== 'string' || !/^(String|Number|Binary)(\..+)?$/.test(dataType)) {
      throw invalidParameter(`The type of ${what} '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`);
    }
    if (dataType.startsWith('Binary')) {
      const bin = value.BinaryValue;
      const b64 = bin instanceof Uint8Array ? Buffer.from(bin).toString('base64') : typeof bin === 'string' ? bin : undefined;
      if (!b64) throw invalidParameter(`The ${what} '${name}' must contain non-empty ${what} value for ${what} type '${dataType}'.`);
      out[name] = { DataType: dataType, BinaryValue: b64 };
    } else {
      const s = value.StringValue;
      if (typeof s !== 'string' || s === '') throw invalidParameter(`The ${what} '${name}' must contain non-empty ${what} value for ${what} type '${dataType}'.`);
      if (dataType.startsWith('Number') && !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) {
        throw invalidParameter(`Can't cast the value of ${what} '${name}' to a number.`);
      }
      if (INVALID_CHARS.test(s)) throw AwsError.of('sqs', 'InvalidMessageContents', `Invalid characters found in the ${what} '${name}'.`);
      out[name] = { DataType: dataType, StringValue: s };
    }
  }
  return out;
}

/** A message's size: UTF-8 bytes of its body plus its attributes. */
function messageSize(body: string, attrs: Record<string, MessageAttributeValue> | undefined): number {
  return Buffer.byteLength(body) + attributesSize(attrs);
}

function attributesSize(attrs: Record<string, MessageAttributeValue> | undefined): number {
  if (!attrs) return 0;
  let n = 0;
  for (const [name, v] of Object.entries(attrs)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(v?.DataType ?? '');
    const bin: unknown = v?.BinaryValue;
    if (bin instanceof Uint8Array) n += bin.length;
    else n += bin ? Buffer.from(String(bin), 'base64').length : Buffer.byteLength(v?.StringValue ?? '');
  }
  return n;
}

function checkBatch(entries: unknown): Req[] {
  if (!Array.isArray(entries) || entries.length === 0) throw AwsError.of('sqs', 'EmptyBatchRequest', 'There should be at least one SendMessageBatchRequestEntry in the request.');
  if (entries.length > 10) throw AwsError.of('sqs', 'TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${entries.length}.`);
  const seen = new Set<string>();
  for (const e of entries as Req[]) {
    if (typeof e?.Id !== 'string' || !BATCH_ENTRY_ID.test(e.Id)) {
      throw AwsError.of('sqs', 'InvalidBatchEntryId', 'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.');
    }
    if (seen.has(e.Id)) throw AwsError.of('sqs', 'BatchEntryIdsNotDistinct', `Id ${e.Id} repeated.`);
    seen.add(e.Id);
  }
  return entries as Req[];
}

function batchFailure(id: string, err: unknown): Req {
  const e = err instanceof AwsError ? err : AwsError.of('sqs', 'InternalError', String(err));
  return { Id: id, SenderFault: e.fault === 'Sender', Code: e.queryCode ?? e.code, Message: e.message };
}

function stringMap(input: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (input && typeof input === 'object') for (const [k, v] of Object.entries(input)) out[k] = String(v);
  return out;
}

function missing(parameter: string): AwsError {
  return AwsError.of('sqs', 'MissingParameter', `The request must contain the parameter ${parameter}.`);
}

function invalidParameter(message: string): AwsError {
  return AwsError.of('sqs', 'InvalidParameterValue', message);
}

function invalidAttributeValue(name: string, reason?: string): AwsError {
  return AwsError.of('sqs', 'InvalidAttributeValue', `Invalid value for the parameter ${name}.${reason ? ' Reason: ' + reason : ''}`);
}

export type { MessageAttributeValue } from './md5';
