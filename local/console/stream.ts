/**
 * Server-Sent Events for the console page (`GET /console/api/stream`): `execution` (started, finished),
 * `dlq` (a queue's messages changed), `flags` (deployed, in effect) and `hello` on connect. A comment
 * line every 15 s keeps idle connections open through proxies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

const HEARTBEAT_MS = 15_000;

export class EventStream {
  private readonly clients = new Set<ServerResponse>();
  private heartbeat?: NodeJS.Timeout;

  /** Told when the first client connects and when the last one leaves (start/stop pollers). */
  constructor(private readonly onClients?: (count: number) => void) {}

  get size(): number {
    return this.clients.size;
  }

  open(req: IncomingMessage, res: ServerResponse, hello: unknown): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    this.clients.add(res);
    this.write(res, 'hello', hello);
    const leave = () => {
      if (!this.clients.delete(res)) return;
      if (this.clients.size === 0) this.stopHeartbeat();
      this.onClients?.(this.clients.size);
    };
    // Not req's 'close': it fires once the request body has been read, which the endpoint did already.
    res.on('close', leave);
    req.socket.setKeepAlive(true);
    if (!this.heartbeat) {
      this.heartbeat = setInterval(() => this.clients.forEach((c) => c.write(`: keep-alive\n\n`)), HEARTBEAT_MS);
      this.heartbeat.unref();
    }
    this.onClients?.(this.clients.size);
  }

  send(event: string, data: unknown): void {
    for (const res of this.clients) this.write(res, event, data);
  }

  /** Ends every connection (the cloud stops). */
  close(): void {
    this.stopHeartbeat();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private write(res: ServerResponse, event: string, data: unknown): void {
    if (res.writableEnded || res.destroyed) return;
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
