/**
 * The request/response templates of an API Gateway → StartSyncExecution (Express) integration,
 * written as they are deployed on AWS, run through the local engine.
 */
import { MappingRequest, renderMappingTemplate } from '../../../local/apigateway/vtl';
import { buildMethodResponse } from '../../../local/apigateway/selection';
import { mappingTemplate } from '../../../cdk/api-templates';

const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:ItemsCrud';

/**
 * Request template. The body goes through $input.json (already JSON, one level of escaping) and
 * then escapeJavaScript (second level, for the "input" string); the apostrophe idiom undoes the
 * \' that escapeJavaScript writes and JSON does not allow. Single parameters need both levels, so
 * they are escaped twice. Only an allowlist of headers is forwarded (PITFALL 5).
 */
const REQUEST_TEMPLATE = String.raw`#set($body = $input.json('$'))
#set($id = $util.escapeJavaScript($util.escapeJavaScript($input.params('id')).replaceAll("\\'","'")).replaceAll("\\'","'"))
#set($ifMatch = $util.escapeJavaScript($util.escapeJavaScript($input.params('If-Match')).replaceAll("\\'","'")).replaceAll("\\'","'"))
{
  "stateMachineArn": "${STATE_MACHINE_ARN}",
  "name": "$context.requestId",
  "input": "{\"method\":\"$context.httpMethod\",\"resourcePath\":\"$context.resourcePath\",\"id\":\"$id\",\"headers\":{\"if-match\":\"$ifMatch\"},\"requestId\":\"$context.requestId\",\"body\":$util.escapeJavaScript($body).replaceAll("\\'","'")}"
}`;

/**
 * Response template: StartSyncExecution answers 200 whatever the execution did (PITFALL 1), so the
 * template branches on status; the workflow's output is a JSON string whose body is already
 * serialized (PITFALL 2), so the template copies it out and sets status and headers.
 */
const RESPONSE_TEMPLATE = String.raw`#set($execution = $input.path('$'))
#if($execution.status == "SUCCEEDED")
#set($result = $util.parseJson($execution.output))
#set($context.responseOverride.status = $result.statusCode)
#foreach($name in $result.headers.keySet())
#set($context.responseOverride.header[$name] = $result.headers.get($name))
#end
#set($context.responseOverride.header.x-request-id = $context.requestId)
$result.body##
#elseif($execution.status == "TIMED_OUT")
#set($context.responseOverride.status = 504)
#set($context.responseOverride.header.Content-Type = "application/problem+json")
{"type":"about:blank","title":"Gateway Timeout","status":504,"requestId":"$context.requestId"}##
#else
#set($context.responseOverride.status = 500)
#set($context.responseOverride.header.Content-Type = "application/problem+json")
{"type":"about:blank","title":"Internal Server Error","status":500,"requestId":"$context.requestId"}##
#end`;

const methodRequest = (method: string, body: string | null, extra: Partial<MappingRequest> = {}): MappingRequest => ({
  body,
  pathParameters: { id: 'item-1' },
  queryStringParameters: {},
  headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
  context: {
    requestId: '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
    httpMethod: method,
    resourcePath: '/items/{id}',
    stage: 'prod',
    identity: { sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
  },
  ...extra,
});

describe('StartSyncExecution request template', () => {
  const bodies: Record<string, unknown> = {
    'quotes, apostrophes, backslashes, slashes': { name: `O'Brien "the quote"`, path: 'C:\\dir\\file', url: 'https://example.com/a/b', mixed: `\\'` },
    'newlines, tabs and control characters': { note: 'line1\nline2\r\n\ttabbed\u0001\u001f', empty: '' },
    'non-ASCII and emoji': { text: 'héllo — ünïcödé € “quotes” 中文 😀', sep: '\u2028\u2029', nbsp: '\u00a0' },
    'numbers, booleans, null and nesting': { n: 1, d: 2.5, neg: -3e2, big: 1e21, ok: true, none: null, list: [1, 'two', { three: [3] }] },
    'a top-level array': [{ a: "'" }, 'x', 0],
    'html-ish text': { html: '</script><b>"&amp;"</b>' },
  };

  for (const [name, body] of Object.entries(bodies)) {
    test(`the output parses and input.body equals the original body: ${name}`, () => {
      const raw = JSON.stringify(body, null, 2);
      const { body: output } = renderMappingTemplate(REQUEST_TEMPLATE, methodRequest('POST', raw));
      const request = JSON.parse(output);
      expect(request.stateMachineArn).toBe(STATE_MACHINE_ARN);
      expect(request.name).toBe('8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10');
      const input = JSON.parse(request.input);
      expect(input.body).toEqual(body);
      expect(input).toMatchObject({ method: 'POST', resourcePath: '/items/{id}', id: 'item-1', requestId: '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10' });
    });
  }

  test('a GET without a body sends body {} (PITFALL 8)', () => {
    const { body: output } = renderMappingTemplate(REQUEST_TEMPLATE, methodRequest('GET', null));
    expect(JSON.parse(JSON.parse(output).input)).toEqual({
      method: 'GET',
      resourcePath: '/items/{id}',
      id: 'item-1',
      headers: { 'if-match': '' },
      requestId: '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
      body: {},
    });
  });

  test('parameters with quotes, apostrophes and non-ASCII survive both levels of escaping', () => {
    const { body: output } = renderMappingTemplate(
      REQUEST_TEMPLATE,
      methodRequest('PUT', '{"v":1}', { pathParameters: { id: `it's "ü"\\` }, headers: { 'If-Match': '"3f2a-etag"' } }),
    );
    const input = JSON.parse(JSON.parse(output).input);
    expect(input.id).toBe(`it's "ü"\\`);
    expect(input.headers['if-match']).toBe('"3f2a-etag"');
  });

  test('the exact text sent to Step Functions', () => {
    const { body: output } = renderMappingTemplate(REQUEST_TEMPLATE, methodRequest('POST', `{"name": "O'Brien/é"}`));
    expect(output).toBe(
      '{\n' +
        `  "stateMachineArn": "${STATE_MACHINE_ARN}",\n` +
        '  "name": "8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10",\n' +
        String.raw`  "input": "{\"method\":\"POST\",\"resourcePath\":\"/items/{id}\",\"id\":\"item-1\",\"headers\":{\"if-match\":\"\"},\"requestId\":\"8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10\",\"body\":{\"name\":\"O'Brien\\\/\u00E9\"}}"` +
        '\n}',
    );
  });

  test('without the replaceAll idiom the output is not JSON (\\\' is not a JSON escape)', () => {
    const broken = REQUEST_TEMPLATE.replace(`$util.escapeJavaScript($body).replaceAll("\\\\'","'")`, '$util.escapeJavaScript($body)');
    const { body: output } = renderMappingTemplate(broken, methodRequest('POST', `{"name":"O'Brien"}`));
    expect(() => JSON.parse(output)).toThrow();
  });
});

describe('StartSyncExecution response template', () => {
  const startSyncResponse = (fields: Record<string, unknown>) =>
    JSON.stringify({
      executionArn: 'arn:aws:states:us-east-1:123456789012:express:ItemsCrud:8d6bd2a6:1b2c',
      stateMachineArn: STATE_MACHINE_ARN,
      name: '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
      startDate: 1.7e9,
      stopDate: 1.7e9,
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: 100 },
      ...fields,
    });

  const workflowOutput = {
    statusCode: 201,
    headers: { Location: '/items/item-1', ETag: '"v1"', 'Content-Type': 'application/json' },
    body: JSON.stringify({ id: 'item-1', name: `O'Brien "the quote"`, note: 'é/ü\n' }),
  };

  test('SUCCEEDED: status, headers and body come from the workflow output', () => {
    const result = renderMappingTemplate(
      RESPONSE_TEMPLATE,
      methodRequest('POST', startSyncResponse({ status: 'SUCCEEDED', output: JSON.stringify(workflowOutput) })),
    );
    expect(result.body).toBe(workflowOutput.body);
    expect(JSON.parse(result.body)).toEqual({ id: 'item-1', name: `O'Brien "the quote"`, note: 'é/ü\n' });
    expect(result.responseOverride).toEqual({
      status: 201,
      headers: {
        Location: '/items/item-1',
        ETag: '"v1"',
        'Content-Type': 'application/json',
        'x-request-id': '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
      },
    });
  });

  test('FAILED: a 500 problem JSON that does not leak error or cause (PITFALL 1)', () => {
    const result = renderMappingTemplate(
      RESPONSE_TEMPLATE,
      methodRequest('POST', startSyncResponse({ status: 'FAILED', error: 'States.TaskFailed', cause: 'secret stack trace' })),
    );
    expect(result.responseOverride.status).toBe(500);
    expect(JSON.parse(result.body)).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      requestId: '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
    });
    expect(result.body).not.toContain('secret');
  });

  test('TIMED_OUT: a 504, not the (missing) output', () => {
    const result = renderMappingTemplate(RESPONSE_TEMPLATE, methodRequest('POST', startSyncResponse({ status: 'TIMED_OUT' })));
    expect(result.responseOverride).toEqual({ status: 504, headers: { 'Content-Type': 'application/problem+json' } });
    expect(JSON.parse(result.body).status).toBe(504);
  });

  test('through the integration response: overrides win over the IntegrationResponse mapping', () => {
    const response = buildMethodResponse({
      integrationResponses: [
        {
          StatusCode: '200',
          ResponseParameters: { 'method.response.header.Access-Control-Allow-Origin': "'*'" },
          ResponseTemplates: { 'application/json': RESPONSE_TEMPLATE },
        },
      ],
      integration: { statusCode: 200, body: startSyncResponse({ status: 'SUCCEEDED', output: JSON.stringify(workflowOutput) }) },
      request: methodRequest('POST', null),
    });
    expect(response.statusCode).toBe(201);
    expect(response.headers).toEqual({
      'Access-Control-Allow-Origin': '*',
      Location: '/items/item-1',
      ETag: '"v1"',
      'Content-Type': 'application/json',
      'x-request-id': '8d6bd2a6-58a4-4f8e-9d2b-1d3c0f2b7a10',
    });
    expect(response.body).toBe(workflowOutput.body);
  });

  test('a typo in responseOverride leaves the IntegrationResponse status (PITFALL 9)', () => {
    const typo = RESPONSE_TEMPLATE.replace('$context.responseOverride.status = $result.statusCode', '$context.reponseOverride.status = $result.statusCode');
    const response = buildMethodResponse({
      integrationResponses: [{ StatusCode: '200', ResponseTemplates: { 'application/json': typo } }],
      integration: { statusCode: 200, body: startSyncResponse({ status: 'SUCCEEDED', output: JSON.stringify(workflowOutput) }) },
      request: methodRequest('POST', null),
    });
    expect(response.statusCode).toBe(200);
  });
});

describe("the app's response template (cdk/vtl/start-sync-execution.response.vtl)", () => {
  const deployed = mappingTemplate('start-sync-execution.response.vtl');
  const succeeded = (output: unknown) => methodRequest('GET', JSON.stringify({ status: 'SUCCEEDED', output: JSON.stringify(output) }));

  test.each([204, 304])('a %i renders an empty result: no body, not a stray newline (content-length: 1)', (statusCode) => {
    const result = renderMappingTemplate(deployed, succeeded({ statusCode, headers: { ETag: '"3"' }, body: '' }));
    expect(result.body).toBe('');
    expect(result.responseOverride.status).toBe(statusCode);
  });

  test('a body is copied out exactly, with nothing after it', () => {
    const body = JSON.stringify({ orderId: 'o-1', note: 'a\nb' });
    expect(renderMappingTemplate(deployed, succeeded({ statusCode: 200, headers: {}, body })).body).toBe(body);
  });
});
