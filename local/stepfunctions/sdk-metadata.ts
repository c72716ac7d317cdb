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

export function sdkMetadata(output: unknown, contentType: string, extraHeaders: Record<string, string> = {}): SdkMetadata {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    'Content-Length': String(Buffer.byteLength(JSON.stringify(output ?? {}))),
    'Content-Type': contentType,
    Date: new Date().toUTCString(),
    'x-amzn-RequestId': requestId,
    ...extraHeaders,
  };
  const all = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  return { SdkHttpMetadata: { AllHttpHeaders: all, HttpHeaders: headers, HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: requestId } };
}
