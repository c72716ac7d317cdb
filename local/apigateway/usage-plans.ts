/**
 * API keys, usage plans and throttling of one REST API stage, enforced as API Gateway enforces them:
 *
 * - a method with ApiKeyRequired takes the key from the `x-api-key` header (ApiKeySourceType HEADER): a missing,
 *   unknown or disabled key, or one in no usage plan of this stage, is 403 INVALID_API_KEY `{"message":"Forbidden"}`;
 * - the throttles apply in API Gateway's order, each a token bucket (./token-bucket.ts) on the cloud's clock:
 *   the plan's per-method throttle for this key (ApiStages[].Throttle["/path/METHOD"]), else the plan's throttle
 *   for this key, then the stage's per-method throttle (MethodSettings, shared by every caller); a request is
 *   throttled (429 THROTTLED) when any of its buckets is empty, and then takes no token from the others;
 * - the plan's quota (requests a DAY / WEEK / MONTH, UTC periods) answers 429 QUOTA_EXCEEDED once used up.
 *
 * Keys without a Value in the template get one here, 40 characters derived from the stack and the key's logical
 * id: the same on every start, so `npm start` can print it once and curl examples keep working.
 * Not emulated: the account-level throttle (10,000 rps), keys from a Lambda authorizer (ApiKeySourceType AUTHORIZER).
 */
import type { ResolvedTemplate } from '../cloudformation/template';
import { stableId } from '../cloudformation/template';
import { GatewayResponseError } from './gateway-responses';
import { TokenBucket } from './token-bucket';

export interface ApiKeyRecord {
  id: string;
  name: string;
  value: string;
  enabled: boolean;
  description?: string;
  createdDate: Date;
}

interface Throttle {
  rate: number;
  burst: number;
}

interface UsagePlanRecord {
  id: string;
  name: string;
  keyIds: Set<string>;
  /** The plan's throttle for this stage's methods, per API key. */
  throttle?: Throttle;
  /** Per-method throttles, keyed `/path/METHOD` as in the template. */
  methodThrottles: Map<string, Throttle>;
  quota?: { limit: number; period: 'DAY' | 'WEEK' | 'MONTH'; offset: number };
  apiStages: { apiId: string; stage: string; throttle?: Record<string, unknown> }[];
  description?: string;
}

/** What an admitted request adds to `$context.identity`. */
export interface AdmittedCaller {
  apiKey?: string;
  apiKeyId?: string;
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export class UsagePlans {
  readonly keys: ApiKeyRecord[] = [];
  readonly plans: UsagePlanRecord[] = [];
  /** Template features not enforced, for the start-up warnings. */
  readonly unsupported: string[] = [];
  private readonly stageThrottles: { resourcePath: string; httpMethod: string; throttle: Throttle }[] = [];
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly quotaUsed = new Map<string, { periodStart: number; used: number }>();

  constructor(
    resolved: ResolvedTemplate,
    apiId: string,
    stageName: string,
    private readonly nowMs: () => number,
    /** throttling false: keys are still checked, but no bucket or quota ever refuses (benchmarks). */
    private readonly settings: { throttling: boolean } = { throttling: true },
  ) {
    const resources = resolved.template.Resources;
    const of = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type).map(([id]) => ({ id, p: resolved.resolve(resources[id].Properties ?? {}, id) as Record<string, any> }));
    const created = new Date(nowMs());

    for (const { id, p } of of('AWS::ApiGateway::ApiKey')) {
      const keyId = resolved.ref(id);
      const value = typeof p.Value === 'string' ? p.Value : stableId(`${resolved.stackName}/${id}/value`, 40, ALNUM);
      this.keys.push({ id: keyId, name: p.Name ?? keyId, value, enabled: p.Enabled === undefined ? false : p.Enabled === true || p.Enabled === 'true', description: p.Description, createdDate: created });
    }
    const plansById = new Map<string, UsagePlanRecord>();
    for (const { id, p } of of('AWS::ApiGateway::UsagePlan')) {
      const apiStages = (p.ApiStages ?? []).map((s: Record<string, any>) => ({ apiId: s.ApiId, stage: s.Stage, throttle: s.Throttle }));
      const ours = apiStages.find((s: { apiId: string; stage: string }) => s.apiId === apiId && s.stage === stageName);
      const methodThrottles = new Map<string, Throttle>();
      for (const [methodKey, t] of Object.entries<Record<string, unknown>>(ours?.throttle ?? {})) {
        const throttle = throttleOf(t);
        if (throttle) methodThrottles.set(methodKey, throttle);
      }
      const plan: UsagePlanRecord = {
        id: resolved.ref(id),
        name: p.UsagePlanName ?? resolved.ref(id),
        keyIds: new Set(),
        throttle: throttleOf(p.Throttle),
        methodThrottles,
        quota: p.Quota?.Limit === undefined ? undefined : { limit: Number(p.Quota.Limit), period: p.Quota.Period ?? 'DAY', offset: Number(p.Quota.Offset ?? 0) },
        apiStages,
        description: p.Description,
      };
      if (ours) this.plans.push(plan);
      plansById.set(plan.id, plan);
    }
    for (const { p } of of('AWS::ApiGateway::UsagePlanKey')) plansById.get(p.UsagePlanId)?.keyIds.add(p.KeyId);

    const stage = of('AWS::ApiGateway::Stage').find(({ p }) => p.RestApiId === apiId && p.StageName === stageName);
    for (const setting of stage?.p.MethodSettings ?? []) {
      const throttle = throttleOf({ RateLimit: setting.ThrottlingRateLimit, BurstLimit: setting.ThrottlingBurstLimit });
      if (throttle) this.stageThrottles.push({ resourcePath: decodeSettingPath(setting.ResourcePath ?? '/*'), httpMethod: setting.HttpMethod ?? '*', throttle });
    }
    const api = of('AWS::ApiGateway::RestApi').find(({ id }) => resolved.ref(id) === apiId);
    if (api?.p.ApiKeySourceType === 'AUTHORIZER') this.unsupported.push(`${api.id}: API keys from a Lambda authorizer (ApiKeySourceType AUTHORIZER) are not emulated`);
  }

  /** The key a value names, if any. */
  keyByValue(value: string): ApiKeyRecord | undefined {
    return this.keys.find((k) => k.value === value);
  }

  /**
   * Admits a request to `httpMethod resourcePath` or throws the gateway response API Gateway answers:
   * INVALID_API_KEY, QUOTA_EXCEEDED or THROTTLED.
   */
  admit(method: { httpMethod: string; resourcePath: string; apiKeyRequired: boolean }, apiKeyValue: string | undefined): AdmittedCaller {
    const now = this.nowMs();
    const buckets: TokenBucket[] = [];
    let caller: AdmittedCaller = {};
    let quotaKey: string | undefined;
    let quota: UsagePlanRecord['quota'];
    if (method.apiKeyRequired) {
      const key = apiKeyValue === undefined ? undefined : this.keyByValue(apiKeyValue);
      const plan = key?.enabled ? this.plans.find((p) => p.keyIds.has(key.id)) : undefined;
      if (!key || !plan) throw new GatewayResponseError('INVALID_API_KEY', 'Forbidden');
      caller = { apiKey: key.value, apiKeyId: key.id };
      const methodKey = `${method.resourcePath}/${method.httpMethod}`;
      const perMethod = plan.methodThrottles.get(methodKey);
      if (perMethod) buckets.push(this.bucket(`plan ${plan.id} ${key.id} ${methodKey}`, perMethod, now));
      else if (plan.throttle) buckets.push(this.bucket(`plan ${plan.id} ${key.id}`, plan.throttle, now));
      if (plan.quota) {
        quotaKey = `${plan.id} ${key.id}`;
        quota = plan.quota;
      }
    }
    if (!this.settings.throttling) return caller;
    const stage = this.stageThrottleOf(method.httpMethod, method.resourcePath);
    if (stage) buckets.push(this.bucket(`stage ${method.httpMethod} ${method.resourcePath}`, stage, now));

    if (quotaKey && quota) {
      const periodStart = startOfPeriod(now, quota.period);
      const usage = this.quotaUsed.get(quotaKey);
      const used = usage && usage.periodStart === periodStart ? usage.used : 0;
      if (used >= quota.limit) throw new GatewayResponseError('QUOTA_EXCEEDED', 'Limit Exceeded');
      if (buckets.every((b) => b.hasToken(now))) this.quotaUsed.set(quotaKey, { periodStart, used: used + 1 });
    }
    if (!buckets.every((b) => b.hasToken(now))) throw new GatewayResponseError('THROTTLED', 'Too Many Requests');
    for (const bucket of buckets) bucket.take(now);
    return caller;
  }

  /** The most specific stage setting for a method: exact path and method, then path with `*`, then `/*` `*`. */
  private stageThrottleOf(httpMethod: string, resourcePath: string): Throttle | undefined {
    const match = (path: string, verb: string) => this.stageThrottles.find((s) => s.resourcePath === path && s.httpMethod === verb)?.throttle;
    return match(resourcePath, httpMethod) ?? match(resourcePath, '*') ?? match('/*', httpMethod) ?? match('/*', '*');
  }

  private bucket(key: string, throttle: Throttle, now: number): TokenBucket {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(throttle.rate, throttle.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}

/** A throttle from `{RateLimit, BurstLimit}` (either may be missing: no limit of that kind). */
function throttleOf(t: Record<string, unknown> | undefined): Throttle | undefined {
  if (!t || (t.RateLimit === undefined && t.BurstLimit === undefined)) return undefined;
  const rate = t.RateLimit === undefined ? Infinity : Number(t.RateLimit);
  const burst = t.BurstLimit === undefined ? Infinity : Number(t.BurstLimit);
  return { rate, burst };
}

/** MethodSettings paths escape `/` as `~1` (`/~1orders~1{id}`); `/*` means every resource. */
function decodeSettingPath(path: string): string {
  return path === '/*' ? path : path.replace(/^\//, '').replace(/~1/g, '/').replace(/~0/g, '~') || '/';
}

function startOfPeriod(nowMs: number, period: 'DAY' | 'WEEK' | 'MONTH'): number {
  const d = new Date(nowMs);
  if (period === 'MONTH') return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  const day = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  // Weeks start on Monday (UTC).
  return period === 'WEEK' ? day - ((d.getUTCDay() + 6) % 7) * 86_400_000 : day;
}
