/**
 * CloudWatch's three wire protocols on the local endpoint, all answered the same (./api.ts):
 *
 *   Smithy RPC v2 CBOR   POST /service/GraniteServiceVersion20100801/operation/<Op>   (botocore ≥ 1.42: AWS CLI, boto3)
 *   AWS JSON 1.0         X-Amz-Target: GraniteServiceVersion20100801.<Op>            (@aws-sdk/client-cloudwatch v3)
 *   query                form body Action=<Op>&Version=2010-08-01                    (older CLIs and SDKs)
 *
 * The model is awsQueryCompatible: JSON and CBOR errors carry the shape in `__type` and the query error code in
 * `x-amzn-query-error: <Code>;<Sender|Receiver>`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CloudWatchError, handleCloudWatch } from './api';
import { CborError, decodeCbor, encodeCbor } from './cbor';
import type { LocalCloudWatch } from './index';

export const CLOUDWATCH_TARGET = 'GraniteServiceVersion20100801';
export const CLOUDWATCH_VERSION = '2010-08-01';
const NAMESPACE = 'com.amazonaws.cloudwatch#';
const XMLNS = 'http://monitoring.amazonaws.com/doc/2010-08-01/';
const CBOR_PATH = new RegExp(`^/service/${CLOUDWATCH_TARGET}/operation/([A-Za-z]+)$`);

export type CloudWatchProtocol = 'cbor' | 'json' | 'query';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  action: string;
  errorCode?: string;
}

/** Which CloudWatch protocol a request speaks, or undefined when it is not a CloudWatch request. */
export function cloudWatchProtocol(req: IncomingMessage, url: URL, body: Buffer): CloudWatchProtocol | undefined {
  if (req.method === 'POST' && CBOR_PATH.test(url.pathname)) return 'cbor';
  const target = header(req, 'x-amz-target');
  if (target) return target.startsWith(`${CLOUDWATCH_TARGET}.`) ? 'json' : undefined;
  const contentType = header(req, 'content-type') ?? '';
  const form = contentType.startsWith('application/x-www-form-urlencoded') ? body.toString('utf8') : '';
  const version = url.searchParams.get('Version') ?? new URLSearchParams(form).get('Version');
  return version === CLOUDWATCH_VERSION && (url.searchParams.has('Action') || /(^|&)Action=/.test(form)) ? 'query' : undefined;
}

/** Answers one CloudWatch request in the protocol it came in. */
export function answerCloudWatch(cw: LocalCloudWatch, protocol: CloudWatchProtocol, req: IncomingMessage, url: URL, body: Buffer, requestId: string): HttpAnswer {
  let action = '';
  try {
    let request: Record<string, unknown>;
    if (protocol === 'cbor') {
      action = CBOR_PATH.exec(url.pathname)![1];
      request = decodeBody(() => (body.length ? decodeCbor(body) : {}));
    } else if (protocol === 'json') {
      action = header(req, 'x-amz-target')!.slice(CLOUDWATCH_TARGET.length + 1);
      request = decodeBody(() => (body.length ? JSON.parse(body.toString('utf8')) : {}));
    } else {
      const params = new URLSearchParams(url.search);
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      action = params.get('Action') ?? '';
      request = decodeQuery(params);
    }
    const output = handleCloudWatch(cw, action, request, () => cw.now()) as Record<string, unknown>;
    return { ...encodeOutput(protocol, action, output, requestId), action };
  } catch (error) {
    const e = error instanceof CloudWatchError ? error : new CloudWatchError('InternalServiceFault', 'InternalServiceError', String((error as Error)?.message ?? error), 500);
    return { ...encodeError(protocol, e, requestId), action, errorCode: e.code };
  }
}

/** The endpoint route (local/endpoint/server.ts `routes`) that answers CloudWatch requests. */
export function cloudWatchRoute(cw: LocalCloudWatch) {
  return {
    service: 'cloudwatch' as const,
    matches: (req: IncomingMessage, url: URL, body: Buffer) => cloudWatchProtocol(req, url, body) !== undefined,
    async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, requestId: string): Promise<{ action?: string; errorCode?: string }> {
      const answer = answerCloudWatch(cw, cloudWatchProtocol(req, url, body)!, req, url, body, requestId);
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(answer.status, { ...answer.headers, 'content-length': String(answer.body.length) });
        res.end(answer.body);
      }
      return { action: answer.action, errorCode: answer.errorCode };
    },
  };
}

function decodeBody(decode: () => unknown): Record<string, unknown> {
  let value: unknown;
  try {
    value = decode();
  } catch (error) {
    if (error instanceof SyntaxError || error instanceof CborError) throw new CloudWatchError('SerializationException', 'SerializationException', `The request body could not be read: ${error.message}`);
    throw error;
  }
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new CloudWatchError('SerializationException', 'SerializationException', 'The request body must be a structure');
  return value as Record<string, unknown>;
}

function encodeOutput(protocol: CloudWatchProtocol, action: string, output: Record<string, unknown>, requestId: string): Omit<HttpAnswer, 'action'> {
  if (protocol === 'cbor') return { status: 200, headers: { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor' }, body: encodeCbor(output) };
  if (protocol === 'json') return { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: Buffer.from(JSON.stringify(output, jsonReplacer)) };
  const result = Object.keys(output).length ? `<${action}Result>${xmlMembers(output)}</${action}Result>` : '';
  const xml = `<${action}Response xmlns="${XMLNS}">${result}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}

function encodeError(protocol: CloudWatchProtocol, e: CloudWatchError, requestId: string): Omit<HttpAnswer, 'action'> {
  const queryError = { 'x-amzn-query-error': `${e.code};${e.fault}` };
  const doc = { __type: `${NAMESPACE}${e.shape}`, message: e.message };
  if (protocol === 'cbor') return { status: e.httpStatus, headers: { 'content-type': 'application/cbor', 'smithy-protocol': 'rpc-v2-cbor', ...queryError }, body: encodeCbor(doc) };
  if (protocol === 'json') return { status: e.httpStatus, headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': e.shape, ...queryError }, body: Buffer.from(JSON.stringify(doc)) };
  const xml =
    `<ErrorResponse xmlns="${XMLNS}"><Error><Type>${e.fault}</Type><Code>${xmlEscape(e.code)}</Code>` +
    `<Message>${xmlEscape(e.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: e.httpStatus, headers: { 'content-type': 'text/xml' }, body: Buffer.from(xml) };
}

/** AWS JSON timestamps are epoch seconds. */
function jsonReplacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return original instanceof Date ? original.getTime() / 1000 : value;
}

// ---- query protocol ------------------------------------------------------------------------

/**
 * Form parameters to a structure: `A.member.1.B=x` → `{A: [{B: 'x'}]}`. Scalars stay strings (./api.ts reads
 * numbers, booleans and ISO timestamps from strings).
 */
export function decodeQuery(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, any> = {};
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const parts = key.split('.');
    let node: any = root;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i];
      if (part === '__proto__' || part === 'constructor' || part === 'prototype') break;
      if (parts[i + 1] === 'member' && /^\d+$/.test(parts[i + 2] ?? '')) {
        if (!Array.isArray(node[part])) node[part] = [];
        const index = Number(parts[i + 2]) - 1;
        if (i + 2 === parts.length - 1) {
          node[part][index] = value;
          break;
        }
        node[part][index] ??= {};
        node = node[part][index];
        i += 2;
        continue;
      }
      if (i === parts.length - 1) node[part] = value;
      else {
        if (typeof node[part] !== 'object' || node[part] === null) node[part] = {};
        node = node[part];
      }
    }
  }
  return compact(root) as Record<string, unknown>;
}

function compact(v: unknown): unknown {
  if (Array.isArray(v)) return v.filter((x) => x !== undefined).map(compact);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, compact(x)]));
  return v;
}

function xmlMembers(obj: Record<string, unknown>): string {
  let out = '';
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    out += `<${k}>${xmlValue(k, v)}</${k}>`;
  }
  return out;
}

function xmlValue(key: string, v: unknown): string {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => `<member>${xmlValue('member', x)}</member>`).join('');
  if (v && typeof v === 'object') {
    // ExtendedStatistics is the one map of these outputs: entry/key/value.
    if (key === 'ExtendedStatistics') return Object.entries(v).map(([mk, mv]) => `<entry><key>${xmlEscape(mk)}</key><value>${xmlValue('value', mv)}</value></entry>`).join('');
    return xmlMembers(v as Record<string, unknown>);
  }
  return xmlEscape(String(v));
}

function xmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
