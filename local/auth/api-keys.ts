/**
 * The API keys of the local clouds running in this process, by API URL: the test client (test/e2e/helpers.ts
 * Api) sends the first one as `x-api-key` unless told otherwise, as a client of the deployed API sends its own.
 */
const keysByApiUrl = new Map<string, string[]>();

export function registerApiKeys(apiUrl: string, values: string[]): () => void {
  keysByApiUrl.set(apiUrl, values);
  return () => {
    if (keysByApiUrl.get(apiUrl) === values) keysByApiUrl.delete(apiUrl);
  };
}

/** The first API key of the local cloud serving `url` (its stage URL or anything under it), if any. */
export function localApiKeyFor(url: string): string | undefined {
  for (const [apiUrl, values] of keysByApiUrl) if (url === apiUrl || url.startsWith(`${apiUrl}/`)) return values[0];
  return undefined;
}
