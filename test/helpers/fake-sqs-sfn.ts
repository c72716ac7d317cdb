import { createHash } from 'node:crypto';
import { LocalServer, RecordedRequest, Reply, startServer } from './http-server';

/**
 * A tiny AWS JSON 1.0 endpoint with just what the redrive uses: SQS ReceiveMessage, DeleteMessage,
 * ChangeMessageVisibility, SendMessage, Step Functions StartSyncExecution answered by a script, and
 * EventBridge PutEvents (AWS JSON 1.1) answered by another.
 * (A later issue replaces it with the local cloud; keep it small.)
 *
 * Time is `Date.now()`, so a test that mocks it moves the queue's clock and the redrive's together.
 * Receipts are strict: once a message's visibility has ended (or `expireReceipt` was called) its receipt
 * handle is refused by DeleteMessage (ReceiptHandleIsInvalid) and ChangeMessageVisibility (MessageNotInflight).
 */
export interface MessageAttribute {
  DataType: string;
  StringValue?: string;
}

export interface StoredMessage {
  messageId: string;
  body: string;
  /** ApproximateReceiveCount: incremented by every receive. */
  receiveCount: number;
  /** Epoch ms from which the message can be received again. */
  visibleAt: number;
  receiptHandle?: string;
  /** SentTimestamp, epoch ms. */
  sentTimestamp: number;
  attributes?: Record<string, MessageAttribute>;
}

export interface EnqueueOptions {
  /** SentTimestamp (default: now). */
  sentTimestamp?: number;
  attributes?: Record<string, MessageAttribute>;
}

/** An AWS error the fake answers with instead of doing the operation. */
export interface FakeApiError {
  httpStatus: number;
  type: string;
  message: string;
}

export interface StartSyncExecutionCall {
  stateMachineArn: string;
  name: string;
  input: string;
  /** The Host header the client sent (docs/pitfalls.md #13: must not be sync-127.0.0.1). */
  host: string;
}

/** What the scripted state machine does with one execution. */
export type ExecutionOutcome =
  | { status: 'SUCCEEDED'; output: unknown }
  | { status: 'FAILED' | 'TIMED_OUT'; error?: string; cause?: string }
  /** StartSyncExecution itself fails (e.g. 500 ServiceUnavailable / 400 StateMachineDoesNotExist). */
  | { apiError: { httpStatus: number; type: string; message: string } };

export interface FakeSqsSfn {
  readonly server: LocalServer;
  readonly url: string;
  /** The URL of a queue, created empty if it does not exist yet. */
  queueUrl(name: string): string;
  /** Puts a message on a queue, optionally as if already received `receiveCount` times. */
  enqueue(queue: string, body: string, receiveCount?: number, options?: EnqueueOptions): StoredMessage;
  messages(queue: string): StoredMessage[];
  /** Ends the message's visibility now: it is visible again and its current receipt handle is refused. */
  expireReceipt(messageId: string): void;
  /** Decides, per SQS call, to fail it instead (undefined: do it). */
  sqsFault: (operation: string, input: Record<string, any>) => FakeApiError | undefined;
  readonly executions: StartSyncExecutionCall[];
  /** Counts SQS calls by operation name, e.g. 'ChangeMessageVisibility'. */
  calls(operation: string): Record<string, unknown>[];
  /** Every PutEvents entry received, in order (what the redrive published, or tried to). */
  readonly putEventsEntries: Record<string, unknown>[];
  /** Decides each PutEvents answer; defaults to every entry accepted (FailedEntryCount 0). */
  putEvents: (entries: Record<string, unknown>[]) => { FailedEntryCount: number; Entries: Record<string, string>[] } | { apiError: FakeApiError };
  /** Decides the outcome of each StartSyncExecution (may take its time); defaults to SUCCEEDED with statusCode 200. */
  script: (call: StartSyncExecutionCall) => ExecutionOutcome | Promise<ExecutionOutcome>;
  close(): Promise<void>;
}

const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');
const json = (status: number, body: unknown): Reply => ({ status, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: JSON.stringify(body) });
const awsError = (status: number, type: string, message: string): Reply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': type },
  body: JSON.stringify({ __type: type, message }),
});

export async function startFakeSqsSfn(): Promise<FakeSqsSfn> {
  const queues = new Map<string, StoredMessage[]>();
  const sqsCalls: { operation: string; input: Record<string, unknown> }[] = [];
  const executions: StartSyncExecutionCall[] = [];
  const putEventsEntries: Record<string, unknown>[] = [];
  let counter = 0;
  let baseUrl = '';
  const queueOf = (queueUrl: unknown): StoredMessage[] | undefined => queues.get(String(queueUrl).replace(`${baseUrl}/000000000000/`, ''));

  const fake = {
    executions,
    putEventsEntries,
    putEvents: (entries: Record<string, unknown>[]) => ({ FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: `event-${++counter}` })) }),
    script: (): ExecutionOutcome => ({ status: 'SUCCEEDED', output: { statusCode: 200, headers: {}, body: '' } }),
    sqsFault: () => undefined,
    queueUrl: (name: string) => {
      if (!queues.has(name)) queues.set(name, []);
      return `${baseUrl}/000000000000/${name}`;
    },
    enqueue(queue: string, body: string, receiveCount = 0, options: EnqueueOptions = {}) {
      const message: StoredMessage = {
        messageId: `msg-${++counter}`,
        body,
        receiveCount,
        visibleAt: 0,
        sentTimestamp: options.sentTimestamp ?? Date.now(),
        ...(options.attributes ? { attributes: options.attributes } : {}),
      };
      if (!queues.has(queue)) queues.set(queue, []);
      queues.get(queue)!.push(message);
      return message;
    },
    messages: (queue: string) => queues.get(queue) ?? [],
    expireReceipt(messageId: string) {
      for (const queue of queues.values()) {
        const m = queue.find((x) => x.messageId === messageId);
        if (m) m.visibleAt = Math.min(m.visibleAt, Date.now());
      }
    },
    calls: (operation: string) => sqsCalls.filter((c) => c.operation === operation).map((c) => c.input),
  } as unknown as FakeSqsSfn & { script: FakeSqsSfn['script'] };

  const sqs = (operation: string, input: Record<string, any>): Reply => {
    sqsCalls.push({ operation, input });
    const queue = queueOf(input.QueueUrl);
    if (!queue) return awsError(400, 'com.amazonaws.sqs#QueueDoesNotExist', `The specified queue does not exist: ${input.QueueUrl}`);
    const fault = fake.sqsFault(operation, input);
    if (fault) return awsError(fault.httpStatus, `com.amazonaws.sqs#${fault.type}`, fault.message);
    // A receipt is valid while its message is in flight (its visibility has not ended).
    const byHandle = () => queue.find((m) => m.receiptHandle !== undefined && m.receiptHandle === input.ReceiptHandle && m.visibleAt > Date.now());
    switch (operation) {
      case 'ReceiveMessage': {
        const now = Date.now();
        const wanted: string[] = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])];
        const withCount = wanted.includes('All') || wanted.includes('ApproximateReceiveCount');
        const withSent = wanted.includes('All') || wanted.includes('SentTimestamp');
        const attributeNames: string[] = input.MessageAttributeNames ?? [];
        const attributesOf = (m: StoredMessage) =>
          m.attributes && attributeNames.length
            ? Object.fromEntries(Object.entries(m.attributes).filter(([name]) => attributeNames.includes('All') || attributeNames.includes('.*') || attributeNames.includes(name)))
            : {};
        const batch = queue.filter((m) => m.visibleAt <= now).slice(0, input.MaxNumberOfMessages ?? 1);
        for (const m of batch) {
          m.receiveCount += 1;
          m.visibleAt = now + (input.VisibilityTimeout ?? 30) * 1000;
          m.receiptHandle = `rh-${m.messageId}-${m.receiveCount}`;
        }
        if (batch.length === 0) return json(200, {});
        return json(200, {
          Messages: batch.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: md5(m.body),
            Body: m.body,
            ...(withCount || withSent
              ? { Attributes: { ...(withCount ? { ApproximateReceiveCount: String(m.receiveCount) } : {}), ...(withSent ? { SentTimestamp: String(m.sentTimestamp) } : {}) } }
              : {}),
            ...(Object.keys(attributesOf(m)).length ? { MessageAttributes: attributesOf(m) } : {}),
          })),
        });
      }
      case 'SendMessage': {
        const attributes = input.MessageAttributes as Record<string, MessageAttribute> | undefined;
        const m = fake.enqueue(String(input.QueueUrl).replace(`${baseUrl}/000000000000/`, ''), String(input.MessageBody), 0, attributes ? { attributes } : {});
        return json(200, { MessageId: m.messageId, MD5OfMessageBody: md5(m.body) });
      }
      case 'DeleteMessage': {
        const m = byHandle();
        if (!m) return awsError(400, 'com.amazonaws.sqs#ReceiptHandleIsInvalid', 'The receipt handle is not valid');
        queue.splice(queue.indexOf(m), 1);
        return json(200, {});
      }
      case 'ChangeMessageVisibility': {
        const m = byHandle();
        if (!m) return awsError(400, 'com.amazonaws.sqs#MessageNotInflight', 'Message does not exist or is not available for visibility timeout change.');
        m.visibleAt = Date.now() + Number(input.VisibilityTimeout) * 1000;
        return json(200, {});
      }
      default:
        return awsError(400, 'com.amazonaws.sqs#UnsupportedOperation', `${operation} is not implemented by this fake`);
    }
  };

  const startSyncExecution = async (input: Record<string, any>, host: string): Promise<Reply> => {
    const call: StartSyncExecutionCall = { stateMachineArn: input.stateMachineArn, name: input.name, input: input.input, host };
    executions.push(call);
    const outcome = await fake.script(call);
    if ('apiError' in outcome) return awsError(outcome.apiError.httpStatus, outcome.apiError.type, outcome.apiError.message);
    const now = Date.now() / 1000;
    const arn = `${String(input.stateMachineArn).replace(':stateMachine:', ':express:')}:${input.name}:${executions.length}`;
    return json(200, {
      executionArn: arn,
      stateMachineArn: input.stateMachineArn,
      name: input.name,
      startDate: now,
      stopDate: now,
      status: outcome.status,
      input: input.input,
      ...(outcome.status === 'SUCCEEDED' ? { output: JSON.stringify(outcome.output) } : { error: outcome.error, cause: outcome.cause }),
    });
  };

  const handle = (request: RecordedRequest): Reply | Promise<Reply> => {
    const target = String(request.headers['x-amz-target'] ?? '');
    const input = JSON.parse(request.body || '{}');
    if (target.startsWith('AmazonSQS.')) return sqs(target.slice('AmazonSQS.'.length), input);
    if (target === 'AWSStepFunctions.StartSyncExecution') return startSyncExecution(input, String(request.headers.host));
    if (target === 'AWSEvents.PutEvents') {
      const entries: Record<string, unknown>[] = input.Entries ?? [];
      putEventsEntries.push(...entries);
      const answer = fake.putEvents(entries);
      if ('apiError' in answer) return awsError(answer.apiError.httpStatus, answer.apiError.type, answer.apiError.message);
      return { ...json(200, answer), headers: { 'content-type': 'application/x-amz-json-1.1' } };
    }
    return awsError(400, 'UnknownOperationException', `Unsupported target ${target}`);
  };

  const server = await startServer(handle);
  baseUrl = server.url;
  return Object.assign(fake, { server, url: server.url, close: () => server.close() });
}
