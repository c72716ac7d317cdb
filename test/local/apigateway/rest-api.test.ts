/**
 * RestApi: one REST API run from a hand-written CloudFormation template (no CDK synth), with a fake
 * AwsActionCaller that records the rendered request template and answers what the test chooses.
 * Every test goes through `handle()`, the order API Gateway runs: route → size limit → validation →
 * request template → integration (timeout) → integration response → response template → responseOverride.
 */
import { RestApi, ApiRequest, ApiResponse, AwsActionCaller } from '../../../local/apigateway/rest-api';
import { startApiServer } from '../../../local/apigateway/server';
import { ResolvedTemplate, Template } from '../../../local/cloudformation/template';
import type { IntegrationResult } from '../../../local/apigateway/selection';

const api = { Ref: 'Api' };
const root = { 'Fn::GetAtt': ['Api', 'RootResourceId'] };
const stateMachineUri = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':apigateway:', { Ref: 'AWS::Region' }, ':states:action/StartSyncExecution']] };

/** Writes what the integration request saw, as JSON, so tests can read it back from the fake caller. */
const ECHO_TEMPLATE = String.raw`{
  "method": "$context.httpMethod",
  "path": "$context.path",
  "resourcePath": "$context.resourcePath",
  "stage": "$context.stage",
  "requestId": "$context.requestId",
  "id": "$util.escapeJavaScript($input.params('id'))",
  "proxy": "$util.escapeJavaScript($input.params('proxy'))",
  "q": "$util.escapeJavaScript($input.params('q'))",
  "custom": "$input.params('X-Custom-Header')",
  "headerNames": "#foreach($name in $input.params().header.keySet())$name#if($foreach.hasNext),#end#end",
  "body": $input.json('$')
}`;

/** The status code a mock integration answers (MOCK). */
const mock = (statusCode: number, integrationResponses: unknown[]) => ({
  Type: 'MOCK',
  RequestTemplates: { 'application/json': `{"statusCode": ${statusCode}}` },
  IntegrationResponses: integrationResponses,
});

const aws = (extra: Record<string, unknown> = {}) => ({
  Type: 'AWS',
  IntegrationHttpMethod: 'POST',
  Uri: stateMachineUri,
  PassthroughBehavior: 'WHEN_NO_TEMPLATES',
  RequestTemplates: { 'application/json': ECHO_TEMPLATE },
  IntegrationResponses: [
    { StatusCode: '200', ResponseTemplates: { 'application/json': '' } },
    { StatusCode: '400', SelectionPattern: '4\\d{2}', ResponseTemplates: { 'application/json': '{"error":"client","upstream":$input.json(\'$\')}' } },
    { StatusCode: '502', SelectionPattern: '5\\d{2}', ResponseTemplates: { 'application/json': '{"error":"server"}' } },
  ],
  ...extra,
});

const method = (resource: unknown, httpMethod: string, integration: unknown, extra: Record<string, unknown> = {}) => ({
  Type: 'AWS::ApiGateway::Method',
  Properties: { RestApiId: api, ResourceId: resource, HttpMethod: httpMethod, AuthorizationType: 'NONE', Integration: integration, ...extra },
});

const resource = (parent: unknown, pathPart: string, restApi: unknown = api) => ({
  Type: 'AWS::ApiGateway::Resource',
  Properties: { RestApiId: restApi, ParentId: parent, PathPart: pathPart },
});

const template: Template = {
  Resources: {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
    Deployment: { Type: 'AWS::ApiGateway::Deployment', Properties: { RestApiId: api } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: api, StageName: 'v1', DeploymentId: { Ref: 'Deployment' } } },

    OrderModel: {
      Type: 'AWS::ApiGateway::Model',
      Properties: {
        RestApiId: api,
        Name: 'Order',
        ContentType: 'application/json',
        Schema: {
          $schema: 'http://json-schema.org/draft-04/schema#',
          type: 'object',
          required: ['customer'],
          properties: { customer: { type: 'string', minLength: 1 } },
        },
      },
    },
    Validator: { Type: 'AWS::ApiGateway::RequestValidator', Properties: { RestApiId: api, ValidateRequestBody: true, ValidateRequestParameters: true } },

    // /orders, /orders/{id}, /orders/special, /orders/{id}/status
    Orders: resource(root, 'orders'),
    OrderId: resource({ Ref: 'Orders' }, '{id}'),
    OrdersSpecial: resource({ Ref: 'Orders' }, 'special'),
    OrderStatus: resource({ Ref: 'OrderId' }, 'status'),
    // /files, /files/{proxy+}, /files/latest
    Files: resource(root, 'files'),
    FilesProxy: resource({ Ref: 'Files' }, '{proxy+}'),
    FilesLatest: resource({ Ref: 'Files' }, 'latest'),
    Slow: resource(root, 'slow'),
    Broken: resource(root, 'broken'),
    BrokenResponse: resource(root, 'broken-response'),
    Http: resource(root, 'http'),

    RootGet: method(root, 'GET', mock(200, [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"root":true}' } }])),
    OrdersGet: method({ Ref: 'Orders' }, 'GET', aws()),
    OrdersPost: method({ Ref: 'Orders' }, 'POST', aws(), {
      RequestValidatorId: { Ref: 'Validator' },
      RequestModels: { 'application/json': { Ref: 'OrderModel' } },
    }),
    OrdersOptions: method(
      { Ref: 'Orders' },
      'OPTIONS',
      mock(200, [
        {
          StatusCode: '204',
          ResponseParameters: {
            'method.response.header.Access-Control-Allow-Origin': "'*'",
            'method.response.header.Access-Control-Allow-Methods': "'GET,POST,OPTIONS'",
          },
          ResponseTemplates: { 'application/json': '' },
        },
      ]),
    ),
    OrderGet: method({ Ref: 'OrderId' }, 'GET', aws()),
    OrderPut: method({ Ref: 'OrderId' }, 'PUT', aws({ PassthroughBehavior: 'NEVER' })),
    OrderDelete: method({ Ref: 'OrderId' }, 'DELETE', aws(), {
      RequestValidatorId: { Ref: 'Validator' },
      RequestParameters: { 'method.request.header.If-Match': true, 'method.request.querystring.reason': true, 'method.request.querystring.optional': false },
    }),
    OrderPatch: method(
      { Ref: 'OrderId' },
      'PATCH',
      aws({
        IntegrationResponses: [
          {
            StatusCode: '200',
            ResponseParameters: { 'method.response.header.X-From-Mapping': "'mapped'", 'method.response.header.X-Overridden': "'mapped'" },
            ResponseTemplates: {
              'application/json': String.raw`#set($out = $util.parseJson($input.body))
#set($context.responseOverride.status = $out.statusCode)
#set($context.responseOverride.header.Location = "/v1/orders/$input.params('id')")
#set($context.responseOverride.header.X-Overridden = "override")
$out.body`,
            },
          },
        ],
      }),
    ),
    OrdersSpecialGet: method({ Ref: 'OrdersSpecial' }, 'GET', mock(200, [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"special":true}' } }])),
    OrderStatusGet: method({ Ref: 'OrderStatus' }, 'GET', aws()),
    FilesProxyAny: method({ Ref: 'FilesProxy' }, 'ANY', aws()),
    FilesProxyDelete: method({ Ref: 'FilesProxy' }, 'DELETE', mock(200, [{ StatusCode: '200', ResponseTemplates: { 'application/json': '{"deleted":"$input.params(\'proxy\')"}' } }])),
    FilesLatestGet: method(
      { Ref: 'FilesLatest' },
      'GET',
      mock(404, [
        { StatusCode: '200', ResponseTemplates: { 'application/json': '{"found":true}' } },
        { StatusCode: '404', SelectionPattern: '404', ResponseTemplates: { 'application/json': '{"message":"no latest file"}' } },
      ]),
    ),
    SlowGet: method({ Ref: 'Slow' }, 'GET', aws({ TimeoutInMillis: 50 })),
    BrokenGet: method({ Ref: 'Broken' }, 'GET', aws({ RequestTemplates: { 'application/json': "{\"x\": \"$util.base64Decode('%%%')\"}" } })),
    BrokenResponseGet: method(
      { Ref: 'BrokenResponse' },
      'GET',
      aws({ IntegrationResponses: [{ StatusCode: '200', ResponseTemplates: { 'application/json': "$util.parseJson('{')" } }] }),
    ),
    HttpGet: method({ Ref: 'Http' }, 'GET', { Type: 'HTTP_PROXY', IntegrationHttpMethod: 'GET', Uri: 'https://example.com/' }),

    // A second API in the same template: its own stage-less routes and a customised MISSING_AUTHENTICATION_TOKEN.
    Api2: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Other' } },
    Ping: resource({ 'Fn::GetAtt': ['Api2', 'RootResourceId'] }, 'ping', { Ref: 'Api2' }),
    PingGet: {
      Type: 'AWS::ApiGateway::Method',
      Properties: { RestApiId: { Ref: 'Api2' }, ResourceId: { Ref: 'Ping' }, HttpMethod: 'GET', AuthorizationType: 'AWS_IAM', Integration: mock(200, [{ StatusCode: '200' }]) },
    },
    Api2NotFound: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api2' },
        ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
        StatusCode: '404',
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
        ResponseTemplates: { 'application/json': '{"title":"Not Found","path":"$context.path","requestId":"$context.requestId"}' },
      },
    },
    Api2Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { RestApiId: { Ref: 'Api2' }, StageName: 'live', MethodSettings: [{ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 10 }] } },
  },
};

interface Call {
  service: string;
  action: string;
  body: string;
  parsed?: any;
}

/** The fake AWS integration: records every call; answers `next(call)` (default 200 `{"ok":true}`). */
function fakeCaller() {
  const calls: Call[] = [];
  const state: { next: (call: Call) => Promise<IntegrationResult> | IntegrationResult } = {
    next: () => ({ statusCode: 200, headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: '{"ok":true}' }),
  };
  const caller: AwsActionCaller = async (service, action, body) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      parsed = undefined;
    }
    const call = { service, action, body, parsed };
    calls.push(call);
    return state.next(call);
  };
  return { caller, calls, state };
}

const resolved = new ResolvedTemplate(template, 'Test');
let fake: ReturnType<typeof fakeCaller>;
let restApi: RestApi;

beforeEach(() => {
  fake = fakeCaller();
  restApi = new RestApi(resolved, 'Api', fake.caller);
});

/** A request as the HTTP server would pass it: headers as raw [name, value] pairs in the client's case. */
function request(method: string, pathAndQuery: string, options: { headers?: Record<string, string> | string[]; body?: string | Buffer } = {}): ApiRequest {
  const url = new URL(pathAndQuery, 'http://localhost');
  const raw = Array.isArray(options.headers) ? options.headers : Object.entries(options.headers ?? {}).flat();
  const body = options.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(options.body) ? options.body : Buffer.from(options.body);
  return { method, path: url.pathname, query: url.searchParams, rawHeaders: raw, body };
}

function call(method: string, pathAndQuery: string, options: Parameters<typeof request>[2] = {}, on: RestApi = restApi): Promise<ApiResponse> {
  return on.handle(request(method, pathAndQuery, options));
}

const json = { 'Content-Type': 'application/json' };
const header = (r: ApiResponse, name: string) => Object.entries(r.headers).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];

function expectRequestId(r: ApiResponse): void {
  expect(header(r, 'x-amzn-RequestId')).toMatch(/^[0-9a-f-]{36}$/);
  expect(header(r, 'x-amzn-RequestId')).toBe(r.requestId);
}

describe('construction from the template', () => {
  test('routes of this API only, with the stage name and the api id', () => {
    expect(restApi.stageName).toBe('v1');
    expect(restApi.apiId).toBe(resolved.ref('Api'));
    const routes = restApi.listRoutes();
    expect(routes).toEqual(expect.arrayContaining(['GET /', 'GET /orders', 'POST /orders', 'OPTIONS /orders', 'GET /orders/{id}', 'DELETE /orders/{id}', 'GET /orders/special', 'GET /orders/{id}/status', 'ANY /files/{proxy+}', 'GET /files/latest']));
    expect(routes).not.toContain('GET /ping');
  });

  test('unsupported features are listed for the start-up warnings', () => {
    expect(restApi.unsupported).toEqual(['HttpGet: integration type HTTP_PROXY is not emulated (answers 500)']);
    const other = new RestApi(resolved, 'Api2', fake.caller);
    expect(other.stageName).toBe('live');
    expect(other.listRoutes()).toEqual(['GET /ping']);
    expect(other.unsupported).toEqual(expect.arrayContaining([expect.stringMatching(/^PingGet: authorization AWS_IAM is not enforced/)]));
  });

  test('an API without a Stage serves the prod stage', () => {
    const t = new ResolvedTemplate({ Resources: { Api: template.Resources.Api, RootGet: template.Resources.RootGet } }, 'Test');
    expect(new RestApi(t, 'Api', fake.caller).stageName).toBe('prod');
  });
});

describe('routing', () => {
  test('the AWS integration gets the service and action from the Uri and the rendered request template', async () => {
    const r = await call('GET', '/v1/orders?q=hello', { headers: json });
    expect(r.statusCode).toBe(200);
    expect(r.body).toBe('{"ok":true}');
    expect(fake.calls).toHaveLength(1);
    expect(fake.calls[0].service).toBe('states');
    expect(fake.calls[0].action).toBe('StartSyncExecution');
    expect(fake.calls[0].parsed).toMatchObject({ method: 'GET', path: '/v1/orders', resourcePath: '/orders', stage: 'v1', q: 'hello', body: {} });
    expect(fake.calls[0].parsed.requestId).toBe(r.requestId);
    expect(r.resourcePath).toBe('/orders');
  });

  test('only the /<stage> path serves the API; without it (or under another stage) 403 {"message":"Forbidden"}, as on AWS', async () => {
    const withStage = await call('GET', '/v1/orders/42');
    expect(withStage.statusCode).toBe(200);
    expect(fake.calls.map((c) => [c.parsed.id, c.parsed.path, c.parsed.resourcePath])).toEqual([['42', '/v1/orders/42', '/orders/{id}']]);
    expect((await call('GET', '/v1')).body).toBe('{"root":true}');
    expect((await call('GET', '/v1/')).body).toBe('{"root":true}');
    for (const path of ['/orders/42', '/', '/v2/orders', '/v10/orders']) {
      const r = await call('GET', path);
      expect({ path, status: r.statusCode, body: r.body }).toEqual({ path, status: 403, body: '{"message":"Forbidden"}' });
      expect(header(r, 'x-amzn-ErrorType')).toBe('ForbiddenException');
      expectRequestId(r);
    }
    expect(fake.calls).toHaveLength(1);
  });

  test('literal path parts win over {param}, which wins over {proxy+}', async () => {
    expect((await call('GET', '/v1/orders/special')).body).toBe('{"special":true}');
    expect(fake.calls).toHaveLength(0);
    await call('GET', '/v1/orders/special-offer');
    expect(fake.calls[0].parsed).toMatchObject({ id: 'special-offer', resourcePath: '/orders/{id}' });
    const latest = await call('GET', '/v1/files/latest');
    expect(latest.statusCode).toBe(404);
    expect(latest.body).toBe('{"message":"no latest file"}');
    await call('GET', '/v1/files/latest/older');
    expect(fake.calls[1].parsed).toMatchObject({ proxy: 'latest/older', resourcePath: '/files/{proxy+}' });
  });

  test('nested resources under {id}', async () => {
    await call('GET', '/v1/orders/7/status');
    expect(fake.calls[0].parsed).toMatchObject({ id: '7', resourcePath: '/orders/{id}/status' });
  });

  test('{proxy+} takes the rest of the path; ANY serves every method; an explicit method wins over ANY', async () => {
    await call('POST', '/v1/files/a/b/c.txt', { headers: json, body: '{"n":1}' });
    expect(fake.calls[0].parsed).toMatchObject({ method: 'POST', proxy: 'a/b/c.txt', body: { n: 1 } });
    const del = await call('DELETE', '/v1/files/a/b');
    expect(del.body).toBe('{"deleted":"a/b"}');
    expect(fake.calls).toHaveLength(1);
  });

  test('path parameters are URL-decoded (after routing: %2F stays inside one segment)', async () => {
    await call('GET', '/v1/orders/a%20b%2Fc');
    expect(fake.calls[0].parsed.id).toBe('a b/c');
    await call('GET', '/v1/files/dir%20one/file%2Bname.txt');
    expect(fake.calls[1].parsed.proxy).toBe('dir one/file+name.txt');
    // A malformed escape is kept as sent instead of failing the request.
    await call('GET', '/v1/orders/100%');
    expect(fake.calls[2].parsed.id).toBe('100%');
  });

  test('unknown path: 403 {"message":"Missing Authentication Token"}', async () => {
    for (const path of ['/v1/nope', '/v1/orders/1/extra', '/v1/files']) {
      const r = await call('GET', path);
      expect({ path, status: r.statusCode, body: r.body }).toEqual({ path, status: 403, body: '{"message":"Missing Authentication Token"}' });
      expect(header(r, 'x-amzn-ErrorType')).toBe('MissingAuthenticationTokenException');
      expect(header(r, 'content-type')).toBe('application/json');
      expectRequestId(r);
    }
    expect(fake.calls).toHaveLength(0);
  });

  test('a known path with a method it does not define answers like an unknown path (AWS: 403 MissingAuthenticationToken)', async () => {
    for (const [m, path] of [['PATCH', '/v1/orders'], ['DELETE', '/v1/orders'], ['POST', '/v1/orders/special'], ['HEAD', '/v1/orders/1']]) {
      const r = await call(m, path);
      expect({ m, path, status: r.statusCode, body: r.body }).toEqual({ m, path, status: 403, body: '{"message":"Missing Authentication Token"}' });
    }
    expect(fake.calls).toHaveLength(0);
  });

  test('a customised MISSING_AUTHENTICATION_TOKEN gateway response applies to its own API only', async () => {
    const other = new RestApi(resolved, 'Api2', fake.caller);
    const r = await call('GET', '/live/missing', {}, other);
    expect(r.statusCode).toBe(404);
    expect(JSON.parse(r.body)).toEqual({ title: 'Not Found', path: '/live/missing', requestId: r.requestId });
    expect(header(r, 'Access-Control-Allow-Origin')).toBe('*');
    expectRequestId(r);
    // A known path of Api2 with an undefined method gets the customised response too.
    expect((await call('POST', '/live/ping', {}, other)).statusCode).toBe(404);
    expect((await call('GET', '/live/ping', {}, other)).statusCode).toBe(200);
    // The first API keeps the default.
    expect((await call('GET', '/v1/missing')).statusCode).toBe(403);
  });
});

describe('request validation', () => {
  test('a body that fails the model: 400 {"message": "Invalid request body"}, before the integration', async () => {
    for (const body of ['{"customer":""}', '{}', '', '[1]', 'not json']) {
      const r = await call('POST', '/v1/orders', { headers: json, body });
      expect({ body, status: r.statusCode, text: r.body }).toEqual({ body, status: 400, text: '{"message": "Invalid request body"}' });
      expect(header(r, 'x-amzn-ErrorType')).toBe('BadRequestException');
      expectRequestId(r);
    }
    expect(fake.calls).toHaveLength(0);
    const ok = await call('POST', '/v1/orders', { headers: json, body: '{"customer":"Ada"}' });
    expect(ok.statusCode).toBe(200);
    expect(fake.calls[0].parsed.body).toEqual({ customer: 'Ada' });
    expect(ok.executionLog).toBeUndefined();
  });

  test("a refused body: the validator's report goes where API Gateway's execution log puts it, not into the default body", async () => {
    const r = await call('POST', '/v1/orders', { headers: { 'Content-Type': 'application/json; charset=utf-8' }, body: '{}' });
    expect(r.body).toBe('{"message": "Invalid request body"}');
    expect(r.executionLog).toBe('Request body does not match model schema for content type application/json: [object has missing required properties (["customer"])]');
  });

  test('required parameters: 400 naming the missing ones (blank counts as missing); optional ones may be absent', async () => {
    const none = await call('DELETE', '/v1/orders/1');
    expect(none.statusCode).toBe(400);
    expect(none.body).toBe('{"message": "Missing required request parameters: [If-Match, reason]"}');
    const blank = await call('DELETE', '/v1/orders/1?reason=%20', { headers: { 'if-match': '"1"' } });
    expect(blank.body).toBe('{"message": "Missing required request parameters: [reason]"}');
    expect(fake.calls).toHaveLength(0);
    const ok = await call('DELETE', '/v1/orders/1?reason=typo', { headers: { 'if-match': '"1"' } });
    expect(ok.statusCode).toBe(200);
    expect(fake.calls).toHaveLength(1);
  });

  test('a body over 10 MB: 413', async () => {
    const r = await call('POST', '/v1/files/big', { headers: json, body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x20) });
    expect(r.statusCode).toBe(413);
    expect(JSON.parse(r.body)).toEqual({ message: 'Request Too Long' });
    expectRequestId(r);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('request templates (PassthroughBehavior)', () => {
  test('NEVER with a Content-Type that has no template: 415, the integration is not called', async () => {
    const r = await call('PUT', '/v1/orders/1', { headers: { 'Content-Type': 'text/plain' }, body: 'hello' });
    expect(r.statusCode).toBe(415);
    expect(JSON.parse(r.body)).toEqual({ message: 'Unsupported Media Type' });
    expectRequestId(r);
    expect(fake.calls).toHaveLength(0);
  });

  test('NEVER with a matching Content-Type (parameters and case ignored), or none (application/json assumed), renders the template', async () => {
    expect((await call('PUT', '/v1/orders/1', { headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: '{"a":1}' })).statusCode).toBe(200);
    expect((await call('PUT', '/v1/orders/1', { body: '{"a":2}' })).statusCode).toBe(200);
    expect(fake.calls.map((c) => c.parsed.body)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  test('WHEN_NO_TEMPLATES with templates defined: a non-matching Content-Type is rejected too (415)', async () => {
    const r = await call('GET', '/v1/orders', { headers: { 'Content-Type': 'application/xml' }, body: '<a/>' });
    expect(r.statusCode).toBe(415);
    expect(fake.calls).toHaveLength(0);
  });

  test('an empty body renders as {} in $input.json', async () => {
    await call('GET', '/v1/orders/1');
    expect(fake.calls[0].parsed.body).toEqual({});
  });

  test("headers keep the client's spelling in $input.params(); the last of repeated headers wins", async () => {
    await call('GET', '/v1/orders/1', { headers: ['X-Custom-Header', 'first', 'content-TYPE', 'application/json', 'x-custom-header', 'second', 'X-Amz-Date', 'now'] });
    const seen = fake.calls[0].parsed;
    expect(seen.headerNames.split(',')).toEqual(['content-TYPE', 'x-custom-header', 'X-Amz-Date']);
    // The template asked for X-Custom-Header; the client sent x-custom-header last.
    expect(seen.custom).toBe('second');
  });
});

describe('integration responses', () => {
  test('the integration status code selects the IntegrationResponse: 400 → the 4\\d{2} response', async () => {
    fake.state.next = () => ({ statusCode: 400, headers: { 'x-amzn-ErrorType': 'ValidationException' }, body: '{"__type":"ValidationException","message":"bad"}' });
    const r = await call('GET', '/v1/orders/1');
    expect(r.statusCode).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ error: 'client', upstream: { __type: 'ValidationException', message: 'bad' } });
    expectRequestId(r);
  });

  test('5xx → the 5\\d{2} response; anything else → the default (no SelectionPattern) response', async () => {
    fake.state.next = () => ({ statusCode: 503, body: '{"message":"slow down"}' });
    const r = await call('GET', '/v1/orders/1');
    expect([r.statusCode, r.body]).toEqual([502, '{"error":"server"}']);
    fake.state.next = () => ({ statusCode: 302, body: 'moved' });
    const other = await call('GET', '/v1/orders/1');
    expect([other.statusCode, other.body]).toEqual([200, 'moved']);
  });

  test('$context.responseOverride sets status and headers, over ResponseParameters', async () => {
    fake.state.next = () => ({ statusCode: 200, body: JSON.stringify({ statusCode: 201, body: '{"id":"9"}' }) });
    const r = await call('PATCH', '/v1/orders/9', { headers: json, body: '{}' });
    expect(r.statusCode).toBe(201);
    expect(r.body).toBe('{"id":"9"}');
    expect(header(r, 'Location')).toBe('/v1/orders/9');
    expect(header(r, 'X-From-Mapping')).toBe('mapped');
    expect(header(r, 'X-Overridden')).toBe('override');
    expect(header(r, 'Content-Type')).toBe('application/json');
    expectRequestId(r);
  });

  test('MOCK: the request template statusCode selects the integration response; ResponseParameters map static headers', async () => {
    const r = await call('OPTIONS', '/v1/orders');
    expect(r.statusCode).toBe(204);
    expect(r.body).toBe('');
    expect(header(r, 'Access-Control-Allow-Origin')).toBe('*');
    expect(header(r, 'Access-Control-Allow-Methods')).toBe('GET,POST,OPTIONS');
    expectRequestId(r);
    expect(fake.calls).toHaveLength(0);
  });

  test('an integration slower than TimeoutInMillis: 504 {"message": "Endpoint request timed out"}', async () => {
    fake.state.next = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '{}' }), 400));
    const started = Date.now();
    const r = await call('GET', '/v1/slow');
    expect(Date.now() - started).toBeLessThan(350);
    expect(r.statusCode).toBe(504);
    expect(r.body).toBe('{"message": "Endpoint request timed out"}');
    expect(header(r, 'x-amzn-ErrorType')).toBe('InternalServerErrorException');
    expectRequestId(r);
    expect(fake.calls).toHaveLength(1);
  });

  test('an integration faster than TimeoutInMillis answers normally', async () => {
    fake.state.next = () => new Promise((resolve) => setTimeout(() => resolve({ statusCode: 200, body: '{"fast":true}' }), 5));
    expect((await call('GET', '/v1/slow')).body).toBe('{"fast":true}');
  });

  test('a request template that throws while rendering: 500 {"message": "Internal server error"}, no integration call', async () => {
    const r = await call('GET', '/v1/broken');
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ message: 'Internal server error' });
    expect(header(r, 'x-amzn-ErrorType')).toBe('InternalServerErrorException');
    expectRequestId(r);
    expect(fake.calls).toHaveLength(0);
  });

  test('a response template that throws: 500 Internal server error', async () => {
    const r = await call('GET', '/v1/broken-response');
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ message: 'Internal server error' });
    expectRequestId(r);
    expect(fake.calls).toHaveLength(1);
  });

  test('an integration type that is not emulated: 500 Internal server error', async () => {
    const r = await call('GET', '/v1/http');
    expect(r.statusCode).toBe(500);
    expect(JSON.parse(r.body)).toEqual({ message: 'Internal server error' });
    expectRequestId(r);
  });

  // Was a bug: a caller that rejects (a local service crashed) escapes handle(); the HTTP server then
  // answers 500 without x-amzn-RequestId. Expected: an API Gateway 500 answer like any other, with the id.
  test('an integration call that throws: a 500 gateway answer with x-amzn-RequestId', async () => {
    fake.state.next = () => {
      throw new Error('connection reset');
    };
    const r = await call('GET', '/v1/orders/1');
    expect(r.statusCode).toBe(500);
    expectRequestId(r);
  });

  test('every answer carries a fresh x-amzn-RequestId (and x-amz-apigw-id)', async () => {
    const answers = [await call('GET', '/v1/orders'), await call('GET', '/v1/orders'), await call('GET', '/v1/nope'), await call('OPTIONS', '/v1/orders')];
    for (const r of answers) {
      expectRequestId(r);
      expect(header(r, 'x-amz-apigw-id')).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(new Set(answers.map((r) => r.requestId)).size).toBe(answers.length);
  });
});

describe('startApiServer (real HTTP on port 0)', () => {
  test('serves the stage URL, passes raw headers, body and query, and answers gateway errors', async () => {
    const server = await startApiServer({ api: restApi, port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/v1`);
      const ok = await fetch(`${server.url}/orders?q=a%26b`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Custom-Header': 'hi' }, body: '{"customer":"Ada"}' });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('{"ok":true}');
      expect(ok.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
      expect(fake.calls[0].parsed).toMatchObject({ q: 'a&b', custom: 'hi', body: { customer: 'Ada' }, method: 'POST' });

      const missing = await fetch(`${server.url}/nope`);
      expect(missing.status).toBe(403);
      expect(await missing.json()).toEqual({ message: 'Missing Authentication Token' });
      expect(missing.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');

      const invalid = await fetch(`${server.url}/orders`, { method: 'POST', headers: json, body: '{}' });
      expect(invalid.status).toBe(400);
      expect(invalid.headers.get('content-length')).toBe('35');
      expect(await invalid.text()).toBe('{"message": "Invalid request body"}');
    } finally {
      await server.close();
    }
  });

  // Was a bug: server.ts reads at most 16 MB (endpoint/http.ts MAX_BODY_BYTES) and destroys the socket
  // beyond it, so the client gets ECONNRESET instead of API Gateway's 413 (10 MB payload limit).
  test('a body over 16 MB still gets 413 Request Too Long, not a reset connection', async () => {
    const server = await startApiServer({ api: restApi, port: 0 });
    try {
      const r = await fetch(`${server.url}/files/huge`, { method: 'POST', headers: json, body: Buffer.alloc(17 * 1024 * 1024, 0x20) });
      expect(r.status).toBe(413);
      expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await server.close();
    }
  });

  test('onResponse sees each request', async () => {
    const log: string[] = [];
    const server = await startApiServer({ api: restApi, port: 0, onResponse: (req, res) => log.push(`${req.method} ${req.path} ${res.statusCode}`) });
    try {
      await (await fetch(`${server.url}/orders/special`)).text();
      await (await fetch(`http://127.0.0.1:${server.port}/nope`)).text();
    } finally {
      await server.close();
    }
    expect(log).toEqual(['GET /v1/orders/special 200', 'GET /nope 403']);
  });
});
