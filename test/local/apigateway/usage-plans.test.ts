/**
 * API keys, usage plans and throttling in the local REST API, from a hand-written template (MOCK integrations) on a
 * hand-driven clock: 403 INVALID_API_KEY, per-client token buckets (429 THROTTLED), per-method plan throttles, the
 * stage's shared throttle, quotas (429 QUOTA_EXCEEDED), and `$context.identity.apiKey(Id)` for the templates.
 */
import { ApiRequest, ApiResponse, RestApi } from '../../../local/apigateway/rest-api';
import { TokenBucket } from '../../../local/apigateway/token-bucket';
import { ResolvedTemplate, Template } from '../../../local/cloudformation/template';

const api = { Ref: 'Api' };
const root = { 'Fn::GetAtt': ['Api', 'RootResourceId'] };

/** A MOCK method answering 200 with who called (the API key and its id as the templates see them). */
const method = (resource: unknown, httpMethod: string, apiKeyRequired = true) => ({
  Type: 'AWS::ApiGateway::Method',
  Properties: {
    RestApiId: api,
    ResourceId: resource,
    HttpMethod: httpMethod,
    AuthorizationType: 'NONE',
    ApiKeyRequired: apiKeyRequired,
    Integration: {
      Type: 'MOCK',
      RequestTemplates: { 'application/json': '{"statusCode": 200}' },
      IntegrationResponses: [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"apiKey":"$context.identity.apiKey","apiKeyId":"$context.identity.apiKeyId"}' } }],
    },
  },
});

const plan = (keys: string[], extra: Record<string, unknown>) => ({
  plan: { Type: 'AWS::ApiGateway::UsagePlan', Properties: { ApiStages: [{ ApiId: api, Stage: { Ref: 'Stage' } }], ...extra } },
  keys,
});

function buildTemplate(): Template {
  const plans: Record<string, { plan: any; keys: string[] }> = {
    SmallPlan: plan(['KeyA'], { Throttle: { RateLimit: 1, BurstLimit: 3 } }),
    BigPlan: plan(['KeyB', 'KeyC'], { Throttle: { RateLimit: 100, BurstLimit: 100 } }),
    MethodPlan: plan(['KeyM'], { Throttle: { RateLimit: 100, BurstLimit: 100 }, ApiStages: [{ ApiId: api, Stage: { Ref: 'Stage' }, Throttle: { '/items/POST': { RateLimit: 1, BurstLimit: 1 } } }] }),
    QuotaPlan: plan(['KeyQ'], { Quota: { Limit: 2, Period: 'DAY' } }),
    OtherStagePlan: plan(['KeyO'], { ApiStages: [{ ApiId: api, Stage: 'elsewhere' }] }),
  };
  const resources: Template['Resources'] = {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
    Deployment: { Type: 'AWS::ApiGateway::Deployment', Properties: { RestApiId: api } },
    Stage: {
      Type: 'AWS::ApiGateway::Stage',
      Properties: {
        RestApiId: api,
        StageName: 'v1',
        DeploymentId: { Ref: 'Deployment' },
        MethodSettings: [
          { HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 1000, ThrottlingBurstLimit: 1000 },
          { HttpMethod: 'GET', ResourcePath: '/~1shared', ThrottlingRateLimit: 1, ThrottlingBurstLimit: 4 },
        ],
      },
    },
    Items: { Type: 'AWS::ApiGateway::Resource', Properties: { RestApiId: api, ParentId: root, PathPart: 'items' } },
    Shared: { Type: 'AWS::ApiGateway::Resource', Properties: { RestApiId: api, ParentId: root, PathPart: 'shared' } },
    Open: { Type: 'AWS::ApiGateway::Resource', Properties: { RestApiId: api, ParentId: root, PathPart: 'open' } },
    ItemsGet: method({ Ref: 'Items' }, 'GET'),
    ItemsPost: method({ Ref: 'Items' }, 'POST'),
    SharedGet: method({ Ref: 'Shared' }, 'GET'),
    OpenGet: method({ Ref: 'Open' }, 'GET', false),
    KeyDisabled: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Name: 'disabled', Enabled: false } },
    DisabledKeyLink: { Type: 'AWS::ApiGateway::UsagePlanKey', Properties: { KeyId: { Ref: 'KeyDisabled' }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'BigPlan' } } },
    KeyLoose: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Name: 'in no plan', Enabled: true } },
    KeyGiven: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Name: 'given', Enabled: true, Value: 'a-value-chosen-in-the-template-0123456789' } },
    GivenKeyLink: { Type: 'AWS::ApiGateway::UsagePlanKey', Properties: { KeyId: { Ref: 'KeyGiven' }, KeyType: 'API_KEY', UsagePlanId: { Ref: 'BigPlan' } } },
  };
  for (const [planId, { plan: p, keys }] of Object.entries(plans)) {
    resources[planId] = p;
    for (const key of keys) {
      resources[key] = { Type: 'AWS::ApiGateway::ApiKey', Properties: { Name: key, Enabled: true } };
      resources[`${key}Link`] = { Type: 'AWS::ApiGateway::UsagePlanKey', Properties: { KeyId: { Ref: key }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } } };
    }
  }
  return { Resources: resources };
}

let now = Date.UTC(2026, 11, 6, 12, 0, 0);
const resolved = new ResolvedTemplate(buildTemplate(), 'Test');
const restApi = new RestApi(resolved, 'Api', async () => ({ statusCode: 200, headers: {}, body: '' }), { now: () => new Date(now) });
const keyValue = (logicalId: string) => restApi.usagePlans.keys.find((k) => k.id === resolved.ref(logicalId))!.value;

function call(method: string, path: string, apiKey?: string): Promise<ApiResponse> {
  const rawHeaders = ['Content-Type', 'application/json', ...(apiKey === undefined ? [] : ['x-api-key', apiKey])];
  const request: ApiRequest = { method, path, query: new URLSearchParams(), rawHeaders, body: Buffer.alloc(0) };
  return restApi.handle(request);
}

const summary = (r: ApiResponse) => ({ status: r.statusCode, body: r.body, errorType: r.headers['x-amzn-ErrorType'] });
const FORBIDDEN = { status: 403, body: '{"message":"Forbidden"}', errorType: 'ForbiddenException' };
const THROTTLED = { status: 429, body: '{"message":"Too Many Requests"}', errorType: 'TooManyRequestsException' };

test('keys without a Value get a 40-character one, the same for every start; a Value in the template is kept', () => {
  const value = keyValue('KeyA');
  expect(value).toMatch(/^[0-9A-Za-z]{40}$/);
  expect(new RestApi(new ResolvedTemplate(buildTemplate(), 'Test'), 'Api', async () => ({ statusCode: 200, headers: {}, body: '' })).usagePlans.keys.find((k) => k.id === resolved.ref('KeyA'))!.value).toBe(value);
  expect(keyValue('KeyGiven')).toBe('a-value-chosen-in-the-template-0123456789');
  expect(resolved.ref('KeyA')).toMatch(/^[0-9a-z]{10}$/);
});

test('a missing, unknown or disabled key, or one in no plan of this stage, is 403 Forbidden (INVALID_API_KEY)', async () => {
  expect(summary(await call('GET', '/v1/items'))).toEqual(FORBIDDEN);
  expect(summary(await call('GET', '/v1/items', 'not-a-key'))).toEqual(FORBIDDEN);
  expect(summary(await call('GET', '/v1/items', keyValue('KeyDisabled')))).toEqual(FORBIDDEN);
  expect(summary(await call('GET', '/v1/items', keyValue('KeyLoose')))).toEqual(FORBIDDEN);
  expect(summary(await call('GET', '/v1/items', keyValue('KeyO')))).toEqual(FORBIDDEN);
  const ok = await call('GET', '/v1/items', keyValue('KeyGiven'));
  expect(ok.statusCode).toBe(200);
  expect(JSON.parse(ok.body)).toEqual({ apiKey: 'a-value-chosen-in-the-template-0123456789', apiKeyId: resolved.ref('KeyGiven') });
  // A method without ApiKeyRequired needs none.
  expect((await call('GET', '/v1/open')).statusCode).toBe(200);
});

test("a client's burst passes, the next request is 429 until its bucket refills at the plan's rate; other clients are not slowed", async () => {
  const a = keyValue('KeyA');
  const statuses = [];
  for (let i = 0; i < 5; i++) statuses.push((await call('GET', '/v1/items', a)).statusCode);
  expect(statuses).toEqual([200, 200, 200, 429, 429]);
  expect(summary(await call('GET', '/v1/items', a))).toEqual(THROTTLED);
  // The same plan's bucket is per key, across methods; another plan's key is not affected.
  expect((await call('POST', '/v1/items', a)).statusCode).toBe(429);
  expect((await call('GET', '/v1/items', keyValue('KeyB'))).statusCode).toBe(200);
  now += 1000;
  expect((await call('GET', '/v1/items', a)).statusCode).toBe(200);
  expect((await call('GET', '/v1/items', a)).statusCode).toBe(429);
  now += 3000;
  const after = [];
  for (let i = 0; i < 4; i++) after.push((await call('GET', '/v1/items', a)).statusCode);
  expect(after).toEqual([200, 200, 200, 429]);
});

test("a plan's per-method throttle replaces the plan's throttle for that method", async () => {
  const m = keyValue('KeyM');
  expect((await call('POST', '/v1/items', m)).statusCode).toBe(200);
  expect((await call('POST', '/v1/items', m)).statusCode).toBe(429);
  for (let i = 0; i < 10; i++) expect((await call('GET', '/v1/items', m)).statusCode).toBe(200);
});

test("the stage's per-method throttle is shared by every client", async () => {
  const statuses = [];
  for (const key of ['KeyB', 'KeyC', 'KeyB', 'KeyC', 'KeyB', 'KeyC']) statuses.push((await call('GET', '/v1/shared', keyValue(key))).statusCode);
  expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  // Refused by the stage, the client's own bucket kept its token.
  now += 1000;
  expect((await call('GET', '/v1/shared', keyValue('KeyC'))).statusCode).toBe(200);
});

test('a quota is used up within its period (429 Limit Exceeded) and starts again with the next one', async () => {
  const q = keyValue('KeyQ');
  expect((await call('GET', '/v1/items', q)).statusCode).toBe(200);
  expect((await call('GET', '/v1/items', q)).statusCode).toBe(200);
  expect(summary(await call('GET', '/v1/items', q))).toEqual({ status: 429, body: '{"message":"Limit Exceeded"}', errorType: 'LimitExceededException' });
  now += 24 * 3600_000;
  expect((await call('GET', '/v1/items', q)).statusCode).toBe(200);
});

test('with throttling off (benchmarks) keys are still required, but no bucket or quota refuses', async () => {
  const unthrottled = new RestApi(new ResolvedTemplate(buildTemplate(), 'Test'), 'Api', async () => ({ statusCode: 200, headers: {}, body: '' }), { now: () => new Date(now), throttling: false });
  const send = (apiKey?: string) =>
    unthrottled.handle({ method: 'GET', path: '/v1/items', query: new URLSearchParams(), rawHeaders: apiKey ? ['x-api-key', apiKey] : [], body: Buffer.alloc(0) });
  for (let i = 0; i < 20; i++) expect((await send(keyValue('KeyA'))).statusCode).toBe(200);
  for (let i = 0; i < 5; i++) expect((await send(keyValue('KeyQ'))).statusCode).toBe(200);
  expect((await send()).statusCode).toBe(403);
});

test('TokenBucket: starts full, refills fractionally at the rate up to the burst; a burst of 0 refuses everything', () => {
  const bucket = new TokenBucket(2, 2, 0);
  expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([true, true, false]);
  expect(bucket.secondsUntilToken(0)).toBeCloseTo(0.5);
  expect(bucket.take(250)).toBe(false);
  expect(bucket.take(500)).toBe(true);
  expect([bucket.take(10_000), bucket.take(10_000), bucket.take(10_000)]).toEqual([true, true, false]);
  const closed = new TokenBucket(10, 0, 0);
  expect(closed.take(60_000)).toBe(false);
});
