/**
 * Client settings shared by our Lambdas and tools. With an endpoint override (the local cloud, via
 * AWS_ENDPOINT_URL) the SDK's `sync-` host prefix for StartSyncExecution would resolve to
 * `sync-localhost`, so host prefixes are turned off then (docs/pitfalls.md #13).
 */
export function awsClientConfig(env: NodeJS.ProcessEnv = process.env): { endpoint?: string; disableHostPrefix?: boolean } {
  const endpoint = env.AWS_ENDPOINT_URL;
  return endpoint ? { endpoint, disableHostPrefix: true } : {};
}
