/**
 * A minimal HTTP client for the chaos run: node:http over keep-alive sockets, loopback only, with the
 * one distinction the verification needs when a request gets no answer:
 *
 *   refused     the connection was refused: the request never reached the server (nothing can be stored)
 *   unanswered  the connection broke or timed out after the request may have been received
 */
import * as http from 'node:http';

export interface HttpAnswer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  text: string;
}

export type TransportFailure = 'refused' | 'unanswered';

export class TransportError extends Error {
  constructor(
    readonly kind: TransportFailure,
    message: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface HttpRequest {
  method: string;
  /** Absolute URL on 127.0.0.1 / localhost. */
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Give up waiting for the answer after this long (default 60 s): the request counts as unanswered. */
  timeoutMs?: number;
}

export class HttpClient {
  private agent: http.Agent;
  /** Sent with every request unless it sets them itself (the API key). */
  readonly defaultHeaders: Record<string, string> = {};

  constructor(private readonly maxSockets = 64) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  }

  /** Drops every pooled socket (after the server was killed: they are all dead). */
  reset(): void {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.maxSockets, maxFreeSockets: this.maxSockets });
  }

  close(): void {
    this.agent.destroy();
  }

  request(req: HttpRequest): Promise<HttpAnswer> {
    const url = new URL(req.url);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) throw new Error(`The chaos client only talks to loopback, not ${url.hostname}`);
    const headers: Record<string, string> = { ...this.defaultHeaders, ...req.headers };
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    return new Promise<HttpAnswer>((resolve, reject) => {
      let sent = false;
      const r = http.request(
        { agent: this.agent, hostname: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
            resolve({ status: res.statusCode ?? 0, headers: out, text: Buffer.concat(chunks).toString('utf8') });
          });
          res.on('error', (e) => reject(new TransportError('unanswered', `response broken: ${e.message}`)));
        },
      );
      r.setTimeout(req.timeoutMs ?? 60_000, () => r.destroy(new Error('timed out waiting for the answer')));
      r.on('socket', (s) => {
        // A pooled socket is connected already; a new one counts once its connection is up.
        if (!s.connecting) sent = true;
        else s.once('connect', () => (sent = true));
      });
      r.on('error', (e: NodeJS.ErrnoException) => {
        // Refused: nothing listened, the request cannot have been received. Anything else (reset, hang up,
        // timeout) may have happened after the server read the request.
        if (e.code === 'ECONNREFUSED' && !sent) reject(new TransportError('refused', e.message));
        else reject(new TransportError('unanswered', `${e.code ?? ''} ${e.message}`.trim()));
      });
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  }

  /** JSON in and out; throws on a transport failure or a status >= 400 (admin routes). */
  async json<T = any>(method: string, url: string, body?: unknown, timeoutMs?: number): Promise<T> {
    const answer = await this.request({
      method,
      url,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      timeoutMs,
    });
    if (answer.status >= 400) throw new Error(`${method} ${url} → ${answer.status} ${answer.text.slice(0, 500)}`);
    return (answer.text ? JSON.parse(answer.text) : undefined) as T;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
