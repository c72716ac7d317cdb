/**
 * maxResults/nextToken pagination. The token names the last item returned (not an offset), so a
 * listing that gains new items at its top (ListExecutions is newest first) never repeats or skips one.
 */
import { fail } from './validate';

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export function paginate<T>(items: readonly T[], keyOf: (item: T) => string, size: number, nextToken?: string): Page<T> {
  let start = 0;
  if (nextToken !== undefined) {
    const key = decodeToken(nextToken);
    const index = key === undefined ? -1 : items.findIndex((item) => keyOf(item) === key);
    if (index < 0) fail('InvalidToken', `Invalid Token: '${nextToken}'`);
    start = index + 1;
  }
  const page = items.slice(start, start + size);
  const more = start + size < items.length;
  return more ? { items: page, nextToken: encodeToken(keyOf(page[page.length - 1])) } : { items: page };
}

function encodeToken(key: string): string {
  return Buffer.from(JSON.stringify({ after: key })).toString('base64');
}

function decodeToken(token: string): string | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after?: unknown };
    return typeof parsed.after === 'string' ? parsed.after : undefined;
  } catch {
    return undefined;
  }
}
