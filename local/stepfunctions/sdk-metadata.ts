/**
 * `SdkHttpMetadata` and `SdkResponseMetadata`, which optimized integrations (dynamodb:*, sqs:sendMessage,
 * lambda:invoke) add to a Task's result, as recorded on AWS: every response header once as a list
 * (AllHttpHeaders) and once as a string (HttpHeaders), and the status code. AWS SDK integrations
 * (aws-sdk:*) and events:putEvents return the API output alone.
 */
import { randomUUID } from 'node:crypto';

export interface SdkMetadata {
  SdkHttpMetadata: { AllHttpHeaders: Record<string, string[]>; HttpHeaders: Record<string, string>; HttpStatusCode: number };
  SdkResponseMetadata: { RequestId: string };
}

export function sdkMetadata(output: unknown, contentType: string, extraHeaders?: Record<string, string>): SdkMetadata {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    'Content-Length': String(Buffer.byteLength(JSON.stringify(output ?? {}))),
    'Content-Type': contentType,
    Date: httpDate(),
    'x-amzn-RequestId': requestId,
  };
  if (extraHeaders) for (const k in extraHeaders) headers[k] = extraHeaders[k];
  const all: Record<string, string[]> = {};
  for (const k in headers) all[k] = [headers[k]];
  return { SdkHttpMetadata: { AllHttpHeaders: all, HttpHeaders: headers, HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: requestId } };
}

let dateSecond = -1;
let dateText = '';

/** `new Date().toUTCString()` (whole seconds), made once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}
