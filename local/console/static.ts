/** The console's page: plain files from ./static (no build step), read from disk per request. */
import * as fs from 'node:fs';
import type { ServerResponse } from 'node:http';
import * as path from 'node:path';

export const STATIC_DIR = path.join(__dirname, 'static');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
};

/** Serves `relative` (e.g. 'views/dlq.js'; '' is index.html) from STATIC_DIR; false when there is no such file. */
export async function serveStatic(res: ServerResponse, relative: string, method: string): Promise<boolean> {
  const file = path.resolve(STATIC_DIR, relative === '' ? 'index.html' : relative);
  if (!file.startsWith(STATIC_DIR + path.sep)) return false;
  const type = TYPES[path.extname(file)];
  if (!type) return false;
  let content: Buffer;
  try {
    content = await fs.promises.readFile(file);
  } catch {
    return false;
  }
  res.writeHead(200, { 'content-type': type, 'content-length': String(content.length), 'cache-control': 'no-cache' });
  res.end(method === 'HEAD' ? undefined : content);
  return true;
}
