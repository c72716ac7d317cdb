/**
 * The read side of API Gateway's API keys and usage plans on the AWS-compatible endpoint (REST-JSON), so the
 * commands an operator uses on AWS work against the local cloud:
 *
 *   GET /apikeys[?includeValues=true]              aws apigateway get-api-keys --include-values
 *   GET /apikeys/<id>[?includeValue=true]          aws apigateway get-api-key --api-key <id> --include-value
 *   GET /usageplans                                aws apigateway get-usage-plans
 *   GET /usageplans/<id>/keys                      aws apigateway get-usage-plan-keys --usage-plan-id <id>
 *
 * Keys and plans come from the template (./usage-plans.ts); nothing here changes them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { awsJsonStringify } from '../endpoint/http';
import type { ApiKeyRecord, UsagePlans } from './usage-plans';

const ROUTES: { pattern: RegExp; operation: string }[] = [
  { pattern: /^\/apikeys$/, operation: 'GetApiKeys' },
  { pattern: /^\/apikeys\/([^/]+)$/, operation: 'GetApiKey' },
  { pattern: /^\/usageplans$/, operation: 'GetUsagePlans' },
  { pattern: /^\/usageplans\/([^/]+)\/keys$/, operation: 'GetUsagePlanKeys' },
];

/** The endpoint route; `plans()` is the running API's usage plans (none before the API is built). */
export function apiGatewayControlRoute(plans: () => UsagePlans | undefined) {
  return {
    service: 'apigateway' as const,
    matches: (req: IncomingMessage, url: URL) => req.method === 'GET' && !req.headers['x-amz-target'] && ROUTES.some((r) => r.pattern.test(url.pathname)),
    async handle(_req: IncomingMessage, res: ServerResponse, url: URL): Promise<{ action?: string; errorCode?: string }> {
      const route = ROUTES.find((r) => r.pattern.test(url.pathname))!;
      const id = decodeURIComponent(route.pattern.exec(url.pathname)?.[1] ?? '');
      const usage = plans();
      const keys = usage?.keys ?? [];
      const notFound = (what: string) => {
        write(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' }, JSON.stringify({ message: `Invalid ${what} identifier specified` }));
        return { action: route.operation, errorCode: 'NotFoundException' };
      };
      switch (route.operation) {
        case 'GetApiKeys': {
          const withValues = url.searchParams.get('includeValues') === 'true';
          const name = url.searchParams.get('name');
          const items = keys.filter((k) => !name || k.name.startsWith(name)).map((k) => describeKey(k, withValues));
          write(res, 200, { 'content-type': 'application/json' }, awsJsonStringify({ item: items }));
          break;
        }
        case 'GetApiKey': {
          const key = keys.find((k) => k.id === id);
          if (!key) return notFound('API Key');
          write(res, 200, { 'content-type': 'application/json' }, awsJsonStringify(describeKey(key, url.searchParams.get('includeValue') === 'true')));
          break;
        }
        case 'GetUsagePlans': {
          const items = (usage?.plans ?? []).map((p) => ({
            id: p.id,
            name: p.name,
            ...(p.description ? { description: p.description } : {}),
            apiStages: p.apiStages.map((s) => ({ apiId: s.apiId, stage: s.stage, ...(s.throttle && Object.keys(s.throttle).length ? { throttle: lowerThrottles(s.throttle) } : {}) })),
            ...(p.throttle ? { throttle: { rateLimit: p.throttle.rate, burstLimit: p.throttle.burst } } : {}),
            ...(p.quota ? { quota: { limit: p.quota.limit, offset: p.quota.offset, period: p.quota.period } } : {}),
          }));
          write(res, 200, { 'content-type': 'application/json' }, awsJsonStringify({ item: items }));
          break;
        }
        case 'GetUsagePlanKeys': {
          const plan = usage?.plans.find((p) => p.id === id);
          if (!plan) return notFound('Usage Plan');
          const items = keys.filter((k) => plan.keyIds.has(k.id)).map((k) => ({ id: k.id, type: 'API_KEY', value: k.value, name: k.name }));
          write(res, 200, { 'content-type': 'application/json' }, awsJsonStringify({ item: items }));
          break;
        }
      }
      return { action: route.operation };
    },
  };
}

function describeKey(key: ApiKeyRecord, withValue: boolean) {
  return {
    id: key.id,
    ...(withValue ? { value: key.value } : {}),
    name: key.name,
    ...(key.description ? { description: key.description } : {}),
    enabled: key.enabled,
    createdDate: key.createdDate,
    lastUpdatedDate: key.createdDate,
    stageKeys: [],
  };
}

/** `{"/orders/GET": {RateLimit, BurstLimit}}` as the API answers it: `{"/orders/GET": {rateLimit, burstLimit}}`. */
function lowerThrottles(throttles: Record<string, unknown>): Record<string, { rateLimit?: number; burstLimit?: number }> {
  return Object.fromEntries(
    Object.entries(throttles).map(([k, t]) => {
      const v = t as { RateLimit?: number; BurstLimit?: number };
      return [k, { ...(v.RateLimit !== undefined ? { rateLimit: Number(v.RateLimit) } : {}), ...(v.BurstLimit !== undefined ? { burstLimit: Number(v.BurstLimit) } : {}) }];
    }),
  );
}

function write(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
