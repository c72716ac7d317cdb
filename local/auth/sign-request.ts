/**
 * SigV4-signs an HTTP request to the API (service `execute-api`), the one signing helper every client of the
 * API in this repository uses (e2e tests, chaos run, benchmark). Defaults: the local cloud's credentials
 * (`local` / `local`, docs/auth.md) and us-east-1. The verifier (local/apigateway/sigv4.ts) shares Sha256.
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { localApiKeyFor } from './api-keys';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** What `npm start` prints and the README's SDK, CLI and curl examples use. */
export const LOCAL_CREDENTIALS: Readonly<Credentials> = Object.freeze({ accessKeyId: 'local', secretAccessKey: 'local' });
export const LOCAL_REGION = 'us-east-1';
export const EXECUTE_API = 'execute-api';

/** The hash @smithy/signature-v4 takes: SHA-256, or HMAC-SHA256 with a secret. */
export class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

function bytes(data: string | ArrayBuffer | ArrayBufferView): string | Uint8Array {
  if (typeof data === 'string') return data;
  return ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
}

export interface SignOptions {
  credentials?: Credentials;
  region?: string;
  service?: string;
  /** The signature's time (default now); a test skews it to see the 5-minute window. */
  signingDate?: Date;
}

/**
 * The headers to send with the request: the caller's own plus `authorization` and `x-amz-date`
 * (and `x-amz-security-token` with session credentials). `host` is signed as the URL's host but not
 * returned: fetch and node:http send exactly that themselves.
 */
export async function signRequest(
  request: { method: string; url: string | URL; headers?: Record<string, string>; body?: string | Uint8Array },
  options: SignOptions = {},
): Promise<Record<string, string>> {
  const url = new URL(request.url);
  const signer = new SignatureV4({
    credentials: options.credentials ?? LOCAL_CREDENTIALS,
    region: options.region ?? LOCAL_REGION,
    service: options.service ?? EXECUTE_API,
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? [query[k]].flat().concat(v) : v;
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).filter(([name]) => name.toLowerCase() !== 'host'));
  const signed = await signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body: request.body,
    },
    { signingDate: options.signingDate },
  );
  const { host: _host, ...out } = signed.headers as Record<string, string>;
  return out;
}

/**
 * fetch with a SigV4 signature (the body, if any, is a string): what a client of the IAM-authorized API sends.
 * A local cloud of this process that hands out API keys (./api-keys.ts) gets its first one as x-api-key, as the e2e Api does.
 */
export async function signedFetch(url: string | URL, init: { method?: string; headers?: Record<string, string>; body?: string } = {}, options: SignOptions = {}): Promise<Response> {
  const method = init.method ?? 'GET';
  const apiKey = localApiKeyFor(String(url));
  const given = { ...(apiKey !== undefined ? { 'x-api-key': apiKey } : {}), ...init.headers };
  const headers = await signRequest({ method, url, headers: given, body: init.body }, options);
  return fetch(url, { method, headers, body: init.body });
}
