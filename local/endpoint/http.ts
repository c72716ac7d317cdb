/** Small HTTP helpers for the endpoint: reading bodies, writing responses, AWS JSON serialization. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import * as zlib from 'node:zlib';
import type { RenderedError } from '../services/errors';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(`Request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * JSON for AWS JSON 1.0/1.1 responses: Dates as epoch seconds (the protocols' timestamp format),
 * Buffers/Uint8Arrays as base64 (blobs).
 */
export function awsJsonStringify(value: unknown): string {
  const root = value ?? {};
  // Plain data (the usual case): Dates and blobs converted first, then JSON.stringify without a replacer
  // (calling one for every key costs more than the conversion). Anything else: the replacer.
  const wire = toWire(root, 0);
  if (wire !== NOT_PLAIN) return JSON.stringify(wire);
  return JSON.stringify(root, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) return original.getTime() / 1000;
    if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
    return v;
  });
}

const NOT_PLAIN = Symbol('notPlain');

/**
 * `v` with its Dates as epoch seconds and its Uint8Arrays as base64 (copying only what changes), or
 * NOT_PLAIN when it holds something JSON.stringify would treat specially (toJSON, class instances).
 */
function toWire(v: unknown, depth: number): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (v instanceof Date) return v.getTime() / 1000;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (depth > 64 || typeof (v as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      const w = toWire(x, depth + 1);
      if (w === NOT_PLAIN) return NOT_PLAIN;
      if (w !== x) (out ??= v.slice())[i] = w;
    }
    return out ?? v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const o = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const k of Object.keys(o)) {
    if (k === '__proto__') return NOT_PLAIN; // an own "__proto__" key would be a prototype once assigned
    const x = o[k];
    const w = toWire(x, depth + 1);
    if (w === NOT_PLAIN) return NOT_PLAIN;
    if (w !== x) (out ??= { ...o })[k] = w;
  }
  return out ?? o;
}

export function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  if (res.headersSent || res.destroyed) return;
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('content-length', String(buf.length));
  res.end(buf);
}

export function sendRendered(res: ServerResponse, rendered: RenderedError, extraHeaders: Record<string, string> = {}): void {
  send(res, rendered.status, { ...rendered.headers, ...extraHeaders }, rendered.body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown, contentType = 'application/json'): void {
  send(res, status, { 'content-type': contentType }, JSON.stringify(value));
}

/** CRC32 of the body, as DynamoDB sends in `x-amz-crc32` (older SDKs verify it). */
export function crc32(body: string): string {
  return String(zlib.crc32(Buffer.from(body, 'utf8')) >>> 0);
}
