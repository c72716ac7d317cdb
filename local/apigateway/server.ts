/** The HTTP face of a local REST API: node:http in, {@link RestApi} in the middle, the method response out. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { send, sendJson } from '../endpoint/http';
import { ApiResponse, MAX_PAYLOAD_BYTES, RestApi } from './rest-api';

export interface ApiServerOptions {
  api: RestApi;
  port?: number;
  host?: string;
  /** Called after every answered request (access log). */
  onResponse?: (request: { method: string; path: string }, response: ApiResponse, ms: number) => void;
}

export interface RunningApiServer {
  /** The stage URL, e.g. http://127.0.0.1:3000/v1 */
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

export async function startApiServer(options: ApiServerOptions): Promise<RunningApiServer> {
  const { api } = options;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    readLimitedBody(req, MAX_PAYLOAD_BYTES)
      .then(({ body, tooLarge }) =>
        api.handle({ method, path: url.pathname, query: url.searchParams, rawHeaders: req.rawHeaders, body, bodyTooLarge: tooLarge, sourceIp: req.socket.remoteAddress }),
      )
      .then((response) => {
        send(res, response.statusCode, response.headers, response.body);
        options.onResponse?.({ method, path: url.pathname }, response, performance.now() - started);
      })
      .catch((error) => {
        // A bug in the emulation: answer like API Gateway's internal error, and say why in the log.
        console.error(`local API: ${method} ${url.pathname} failed:`, error);
        sendJson(res, 500, { message: 'Internal server error' });
      });
  });
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  return {
    url: `http://${urlHost}:${port}/${api.stageName}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Reads the body up to `limit` bytes and drains the rest, so an oversized request still gets its 413 answer. */
function readLimitedBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: size <= limit ? Buffer.concat(chunks) : Buffer.alloc(0), tooLarge: size > limit }));
    req.on('error', reject);
  });
}
