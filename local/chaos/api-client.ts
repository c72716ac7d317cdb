/** One signed request to the API (SigV4 with the local credentials, as every client of the local cloud sends). */
import { signRequest } from '../auth/sign-request';
import { HttpAnswer, HttpClient } from './http';

export async function apiRequest(
  http: HttpClient,
  apiUrl: string,
  request: { method: string; path: string; body?: string; headers?: Record<string, string>; timeoutMs?: number },
): Promise<HttpAnswer> {
  const url = apiUrl + request.path;
  const headers = { ...(request.body !== undefined ? { 'content-type': 'application/json' } : {}), ...request.headers };
  const signed = await signRequest({ method: request.method, url, headers, body: request.body });
  return http.request({ method: request.method, url, headers: signed, body: request.body, timeoutMs: request.timeoutMs });
}
