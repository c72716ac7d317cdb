import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. /configuration?configuration_token=abc */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** What the server answered. */
  reply?: Reply;
}

export interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export interface LocalServer {
  /** e.g. http://127.0.0.1:34567 */
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** Stops listening and drops kept-alive connections, so clients see the server as down. */
  close(): Promise<void>;
}

/** A loopback HTTP server answering each request with `handle`; every request is recorded. */
export async function startServer(handle: (request: RecordedRequest) => Reply | Promise<Reply>): Promise<LocalServer> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const request: RecordedRequest = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(request);
      let reply: Reply;
      try {
        reply = await handle(request);
      } catch (error) {
        reply = { status: 500, headers: { 'content-type': 'text/plain' }, body: String(error) };
      }
      request.reply = reply;
      const body = reply.body ?? '';
      res.writeHead(reply.status, { ...reply.headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Static credentials and region for SDK clients pointed at a local server (never AWS). */
export const LOCAL_CLIENT_CONFIG = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  /** One attempt: the tests script failures and count requests exactly. */
  maxAttempts: 1,
} as const;
