/** Helpers of the console tests: a quiet in-memory cloud on free ports, JSON over fetch, an SSE reader. */
import { signedFetch } from '../../../local/auth/sign-request';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';

export function startCloud(): Promise<LocalCloud> {
  // debugHeaders: the console tests follow executions by their X-Execution-Arn (off by default: docs/logging.md).
  return startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {}, context: { debugHeaders: true } });
}

export function postJson(url: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** A JSON write to the API itself: SigV4-signed with the local credentials, as its AWS_IAM methods require. */
export function sendToApi(url: string, body: unknown, method = 'POST'): Promise<Response> {
  return signedFetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

export async function getJson(url: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

export interface SseEvent {
  event: string;
  data: any;
}

/** Reads /console/api/stream: events collected as they come; `next(predicate)` waits for a matching one. */
export async function openStream(url: string): Promise<{ events: SseEvent[]; next(predicate: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>; close(): void }> {
  const controller = new AbortController();
  const res = await fetch(url, { signal: controller.signal, headers: { accept: 'text/event-stream' } });
  if (!res.ok || !res.body) throw new Error(`stream: HTTP ${res.status}`);
  const events: SseEvent[] = [];
  const waiters: { predicate: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const e = { event, data: JSON.parse(data) };
          events.push(e);
          for (const w of [...waiters]) {
            if (w.predicate(e)) {
              waiters.splice(waiters.indexOf(w), 1);
              w.resolve(e);
            }
          }
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    next(predicate, timeoutMs = 10_000) {
      const seen = events.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`)), timeoutMs);
        waiters.push({ predicate, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => controller.abort(),
  };
}
