/**
 * The legacy SQS query protocol (form-encoded `Action=...`, XML responses) that older AWS CLI/SDK versions speak,
 * translated to and from the JSON 1.0 shapes SqsService works with.
 */
import { xmlEscape } from '../errors';

type Req = Record<string, any>;

const XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

/** Decodes a query request. `pathQueueUrl` is used when the client posted to the queue URL without a QueueUrl. */
export function decodeQueryRequest(params: URLSearchParams, pathQueueUrl?: string): { action: string; request: Req } {
  const p = new Map<string, string>();
  for (const [k, v] of params) p.set(k, v);
  const action = p.get('Action') ?? '';
  const req: Req = {};
  const copy = (...names: string[]) => {
    for (const n of names) if (p.has(n)) req[n] = p.get(n);
  };
  const numbers = (...names: string[]) => {
    for (const n of names) if (p.has(n)) req[n] = Number(p.get(n));
  };

  copy('QueueUrl');
  if (!req.QueueUrl && pathQueueUrl) req.QueueUrl = pathQueueUrl;

  switch (action) {
    case 'CreateQueue': {
      copy('QueueName');
      const attributes = nameValueMap(p, 'Attribute');
      if (attributes) req.Attributes = attributes;
      const tags = keyValueMap(p, 'Tag');
      if (tags) req.tags = tags;
      break;
    }
    case 'GetQueueUrl':
      copy('QueueName', 'QueueOwnerAWSAccountId');
      break;
    case 'ListQueues':
      copy('QueueNamePrefix', 'NextToken');
      numbers('MaxResults');
      break;
    case 'GetQueueAttributes':
      req.AttributeNames = list(p, 'AttributeName');
      break;
    case 'SetQueueAttributes':
      req.Attributes = nameValueMap(p, 'Attribute') ?? {};
      break;
    case 'SendMessage':
      Object.assign(req, messageEntry(p, ''));
      break;
    case 'SendMessageBatch':
      req.Entries = structIndices(p, 'SendMessageBatchRequestEntry').map((prefix) => messageEntry(p, prefix, true));
      break;
    case 'ReceiveMessage': {
      numbers('MaxNumberOfMessages', 'VisibilityTimeout', 'WaitTimeSeconds');
      const names = list(p, 'AttributeName');
      if (names.length) req.AttributeNames = names;
      const systemNames = list(p, 'MessageSystemAttributeName');
      if (systemNames.length) req.MessageSystemAttributeNames = systemNames;
      const attributeNames = list(p, 'MessageAttributeName');
      if (attributeNames.length) req.MessageAttributeNames = attributeNames;
      break;
    }
    case 'DeleteMessage':
      copy('ReceiptHandle');
      break;
    case 'ChangeMessageVisibility':
      copy('ReceiptHandle');
      numbers('VisibilityTimeout');
      break;
    case 'DeleteMessageBatch':
      req.Entries = structIndices(p, 'DeleteMessageBatchRequestEntry').map((prefix) => ({ Id: p.get(`${prefix}.Id`), ReceiptHandle: p.get(`${prefix}.ReceiptHandle`) }));
      break;
    case 'ChangeMessageVisibilityBatch':
      req.Entries = structIndices(p, 'ChangeMessageVisibilityBatchRequestEntry').map((prefix) => ({
        Id: p.get(`${prefix}.Id`),
        ReceiptHandle: p.get(`${prefix}.ReceiptHandle`),
        VisibilityTimeout: p.has(`${prefix}.VisibilityTimeout`) ? Number(p.get(`${prefix}.VisibilityTimeout`)) : undefined,
      }));
      break;
    case 'TagQueue':
      req.Tags = keyValueMap(p, 'Tag') ?? {};
      break;
    case 'UntagQueue':
      req.TagKeys = list(p, 'TagKey');
      break;
    case 'ListDeadLetterSourceQueues':
      copy('NextToken');
      numbers('MaxResults');
      break;
  }
  return { action, request: req };
}

/** Encodes a successful result as the query protocol's XML. */
export function encodeQueryResponse(action: string, result: Req, requestId: string): string {
  const inner = encodeResult(action, result ?? {});
  const resultXml = inner === undefined ? '' : `<${action}Result>${inner}</${action}Result>`;
  return (
    `<?xml version="1.0"?><${action}Response xmlns="${XMLNS}">${resultXml}` +
    `<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`
  );
}

function encodeResult(action: string, r: Req): string | undefined {
  switch (action) {
    case 'CreateQueue':
    case 'GetQueueUrl':
      return el('QueueUrl', r.QueueUrl);
    case 'ListQueues':
      return (r.QueueUrls ?? []).map((u: string) => el('QueueUrl', u)).join('') + el('NextToken', r.NextToken);
    case 'ListDeadLetterSourceQueues':
      return (r.queueUrls ?? []).map((u: string) => el('QueueUrl', u)).join('') + el('NextToken', r.NextToken);
    case 'GetQueueAttributes':
      return Object.entries(r.Attributes ?? {})
        .map(([k, v]) => `<Attribute>${el('Name', k)}${el('Value', v)}</Attribute>`)
        .join('');
    case 'SendMessage':
      return el('MD5OfMessageBody', r.MD5OfMessageBody) + el('MD5OfMessageAttributes', r.MD5OfMessageAttributes) + el('MD5OfMessageSystemAttributes', r.MD5OfMessageSystemAttributes) + el('MessageId', r.MessageId);
    case 'SendMessageBatch':
      return (
        (r.Successful ?? [])
          .map(
            (s: Req) =>
              `<SendMessageBatchResultEntry>${el('Id', s.Id)}${el('MessageId', s.MessageId)}${el('MD5OfMessageBody', s.MD5OfMessageBody)}` +
              `${el('MD5OfMessageAttributes', s.MD5OfMessageAttributes)}${el('MD5OfMessageSystemAttributes', s.MD5OfMessageSystemAttributes)}</SendMessageBatchResultEntry>`,
          )
          .join('') + failures(r.Failed)
      );
    case 'DeleteMessageBatch':
      return (r.Successful ?? []).map((s: Req) => `<DeleteMessageBatchResultEntry>${el('Id', s.Id)}</DeleteMessageBatchResultEntry>`).join('') + failures(r.Failed);
    case 'ChangeMessageVisibilityBatch':
      return (r.Successful ?? []).map((s: Req) => `<ChangeMessageVisibilityBatchResultEntry>${el('Id', s.Id)}</ChangeMessageVisibilityBatchResultEntry>`).join('') + failures(r.Failed);
    case 'ReceiveMessage':
      return (r.Messages ?? []).map(encodeMessage).join('');
    case 'ListQueueTags':
      return Object.entries(r.Tags ?? {})
        .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
        .join('');
    default:
      return undefined;
  }
}

function encodeMessage(m: Req): string {
  let xml = el('MessageId', m.MessageId) + el('ReceiptHandle', m.ReceiptHandle) + el('MD5OfBody', m.MD5OfBody) + el('Body', m.Body);
  for (const [k, v] of Object.entries(m.Attributes ?? {})) xml += `<Attribute>${el('Name', k)}${el('Value', v)}</Attribute>`;
  xml += el('MD5OfMessageAttributes', m.MD5OfMessageAttributes);
  for (const [k, v] of Object.entries((m.MessageAttributes ?? {}) as Record<string, Req>)) {
    xml += `<MessageAttribute>${el('Name', k)}<Value>${el('StringValue', v.StringValue)}${el('BinaryValue', v.BinaryValue)}${el('DataType', v.DataType)}</Value></MessageAttribute>`;
  }
  return `<Message>${xml}</Message>`;
}

function failures(failed: Req[] | undefined): string {
  return (failed ?? [])
    .map((f) => `<BatchResultErrorEntry>${el('Id', f.Id)}${el('SenderFault', f.SenderFault)}${el('Code', f.Code)}${el('Message', f.Message)}</BatchResultErrorEntry>`)
    .join('');
}

function el(name: string, value: unknown): string {
  if (value === undefined || value === null) return '';
  return `<${name}>${xmlEscape(String(value))}</${name}>`;
}

/** `Prefix.1`, `Prefix.2`, ... in index order. */
function list(p: Map<string, string>, prefix: string): string[] {
  const re = new RegExp(`^${escapeRe(prefix)}\\.(\\d+)$`);
  return [...p.entries()]
    .map(([k, v]) => [re.exec(k)?.[1], v] as const)
    .filter(([i]) => i !== undefined)
    .sort((a, b) => Number(a[0]) - Number(b[0]))
    .map(([, v]) => v);
}

/** The `Prefix.N` key prefixes that have sub-keys (`Prefix.N.Something`), in index order. */
function structIndices(p: Map<string, string>, prefix: string): string[] {
  const re = new RegExp(`^${escapeRe(prefix)}\\.(\\d+)\\.`);
  const indices = new Set<number>();
  for (const k of p.keys()) {
    const m = re.exec(k);
    if (m) indices.add(Number(m[1]));
  }
  return [...indices].sort((a, b) => a - b).map((i) => `${prefix}.${i}`);
}

function nameValueMap(p: Map<string, string>, prefix: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const s of structIndices(p, prefix)) {
    const name = p.get(`${s}.Name`);
    if (name !== undefined) out[name] = p.get(`${s}.Value`) ?? '';
  }
  return Object.keys(out).length ? out : undefined;
}

function keyValueMap(p: Map<string, string>, prefix: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const s of structIndices(p, prefix)) {
    const key = p.get(`${s}.Key`);
    if (key !== undefined) out[key] = p.get(`${s}.Value`) ?? '';
  }
  return Object.keys(out).length ? out : undefined;
}

function messageAttributes(p: Map<string, string>, prefix: string): Record<string, Req> | undefined {
  const out: Record<string, Req> = {};
  for (const s of structIndices(p, prefix)) {
    const name = p.get(`${s}.Name`);
    if (name === undefined) continue;
    const value: Req = { DataType: p.get(`${s}.Value.DataType`) };
    if (p.has(`${s}.Value.StringValue`)) value.StringValue = p.get(`${s}.Value.StringValue`);
    if (p.has(`${s}.Value.BinaryValue`)) value.BinaryValue = p.get(`${s}.Value.BinaryValue`);
    out[name] = value;
  }
  return Object.keys(out).length ? out : undefined;
}

function messageEntry(p: Map<string, string>, prefix: string, withId = false): Req {
  const key = (n: string) => (prefix ? `${prefix}.${n}` : n);
  const entry: Req = {};
  if (withId) entry.Id = p.get(key('Id'));
  if (p.has(key('MessageBody'))) entry.MessageBody = p.get(key('MessageBody'));
  if (p.has(key('DelaySeconds'))) entry.DelaySeconds = Number(p.get(key('DelaySeconds')));
  const attrs = messageAttributes(p, key('MessageAttribute'));
  if (attrs) entry.MessageAttributes = attrs;
  const sys = messageAttributes(p, key('MessageSystemAttribute'));
  if (sys) entry.MessageSystemAttributes = sys;
  return entry;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
