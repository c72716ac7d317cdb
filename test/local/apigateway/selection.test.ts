import {
  IntegrationResponse,
  buildMethodResponse,
  mapResponseParameters,
  selectIntegrationResponse,
  selectRequestTemplate,
  selectResponseTemplate,
} from '../../../local/apigateway/selection';
import { GatewayResponseError } from '../../../local/apigateway/gateway-responses';
import { MappingRequest } from '../../../local/apigateway/vtl';

const methodRequest: MappingRequest = {
  pathParameters: { id: 'item-1' },
  headers: { Accept: 'application/json' },
  stageVariables: { env: 'prod' },
  context: { requestId: 'req-1', stage: 'prod', identity: { sourceIp: '203.0.113.7' } },
};

describe('selectIntegrationResponse', () => {
  const responses: IntegrationResponse[] = [
    { StatusCode: '200' },
    { StatusCode: '400', SelectionPattern: '4\\d{2}' },
    { StatusCode: '404', SelectionPattern: '.*Not Found.*' },
    { StatusCode: '500', SelectionPattern: '5\\d{2}' },
  ];

  test('the pattern must match the whole selection value (status code for AWS/HTTP integrations)', () => {
    expect(selectIntegrationResponse(responses, '200')?.StatusCode).toBe('200');
    expect(selectIntegrationResponse(responses, '429')?.StatusCode).toBe('400');
    expect(selectIntegrationResponse(responses, '503')?.StatusCode).toBe('500');
    expect(selectIntegrationResponse([{ StatusCode: '200' }, { StatusCode: '400', SelectionPattern: '4' }], '400')?.StatusCode).toBe('200');
  });

  test('Lambda: the error message is matched; a success uses the default response', () => {
    expect(selectIntegrationResponse(responses, 'Item Not Found: item-1')?.StatusCode).toBe('404');
    expect(selectIntegrationResponse(responses, 'line one\nNot Found')?.StatusCode).toBe('200'); // . does not cross lines
    expect(selectIntegrationResponse(responses, undefined)?.StatusCode).toBe('200');
  });

  test('no match and no default: API Gateway answers 500 (configuration error)', () => {
    expect(selectIntegrationResponse([{ StatusCode: '400', SelectionPattern: '4\\d{2}' }], '200')).toBeUndefined();
    expect(() =>
      buildMethodResponse({
        integrationResponses: [{ StatusCode: '400', SelectionPattern: '4\\d{2}' }],
        integration: { statusCode: 200, body: '{}' },
        request: methodRequest,
      }),
    ).toThrow(GatewayResponseError);
  });
});

describe('selectResponseTemplate (by Accept)', () => {
  const templates = { 'application/xml': '<xml/>', 'application/json': '{}', 'text/plain': 'text' };

  test('no Accept: application/json', () => {
    expect(selectResponseTemplate(templates, undefined)?.contentType).toBe('application/json');
  });

  test('Accept picks its template; parameters and case are ignored; the first listed type with a template wins', () => {
    expect(selectResponseTemplate(templates, 'application/XML; charset=UTF-8')?.contentType).toBe('application/xml');
    expect(selectResponseTemplate(templates, 'text/html, text/plain;q=0.9')?.contentType).toBe('text/plain');
  });

  test('no match: the first template defined', () => {
    expect(selectResponseTemplate(templates, 'image/png')?.contentType).toBe('application/xml');
    expect(selectResponseTemplate(templates, '*/*')?.contentType).toBe('application/xml');
    expect(selectResponseTemplate({ 'application/xml': '<x/>' }, undefined)?.contentType).toBe('application/xml');
  });

  test('no templates: undefined (pass through)', () => {
    expect(selectResponseTemplate({}, 'application/json')).toBeUndefined();
  });
});

describe('selectRequestTemplate (by Content-Type and PassthroughBehavior)', () => {
  const templates = { 'application/json': '{"a":1}' };

  test('Content-Type picks the template; absent means application/json', () => {
    expect(selectRequestTemplate(templates, 'application/json; charset=utf-8')).toEqual({ kind: 'template', contentType: 'application/json', template: '{"a":1}' });
    expect(selectRequestTemplate(templates, undefined).kind).toBe('template');
  });

  test('no matching template', () => {
    expect(selectRequestTemplate(templates, 'text/plain', 'WHEN_NO_MATCH')).toEqual({ kind: 'passthrough' });
    expect(selectRequestTemplate(templates, 'text/plain', 'WHEN_NO_TEMPLATES')).toEqual({ kind: 'unsupported' });
    expect(selectRequestTemplate({}, 'text/plain', 'WHEN_NO_TEMPLATES')).toEqual({ kind: 'passthrough' });
    expect(selectRequestTemplate(templates, 'text/plain', 'NEVER')).toEqual({ kind: 'unsupported' });
    expect(selectRequestTemplate(undefined, 'text/plain')).toEqual({ kind: 'passthrough' });
  });
});

describe('mapResponseParameters', () => {
  test('static values, integration headers and body, JSONPath, context and stage variables', () => {
    const headers = mapResponseParameters(
      {
        'method.response.header.Access-Control-Allow-Origin': "'*'",
        'method.response.header.X-Amzn-Trace': 'integration.response.header.x-amzn-trace-id',
        'method.response.header.X-Multi': 'integration.response.multivalueheader.x-multi',
        'method.response.header.Location': 'integration.response.body.redirect.url',
        'method.response.header.X-Count': 'integration.response.body.items.length()',
        'method.response.header.X-Whole': 'integration.response.body',
        'method.response.header.X-Source-Ip': 'context.identity.sourceIp',
        'method.response.header.X-Env': 'stageVariables.env',
        'method.response.header.X-Missing': 'integration.response.header.nope',
        'integration.request.header.ignored': "'x'",
      },
      {
        statusCode: 200,
        headers: { 'X-Amzn-Trace-Id': 'Root=1-abc' },
        multiValueHeaders: { 'X-Multi': ['a', 'b'] },
        body: '{"redirect":{"url":"https://example.com/x"}}',
      },
      methodRequest,
    );
    expect(headers).toEqual({
      'Access-Control-Allow-Origin': '*',
      'X-Amzn-Trace': 'Root=1-abc',
      'X-Multi': 'a,b',
      Location: 'https://example.com/x',
      'X-Whole': '{"redirect":{"url":"https://example.com/x"}}',
      'X-Source-Ip': '203.0.113.7',
      'X-Env': 'prod',
    });
  });
});

describe('buildMethodResponse', () => {
  test('maps status, headers and body; Content-Type is the template key', () => {
    const response = buildMethodResponse({
      integrationResponses: [
        {
          StatusCode: '200',
          ResponseParameters: { 'method.response.header.Cache-Control': "'no-store'" },
          ResponseTemplates: { 'application/json': '{"item":"$input.path(\'$.Item.name.S\')","id":"$input.params(\'id\')"}' },
        },
        { StatusCode: '400', SelectionPattern: '400', ResponseTemplates: { 'application/json': '{"message":"bad"}' } },
      ],
      integration: { statusCode: 200, body: '{"Item":{"name":{"S":"Ann"}}}' },
      request: methodRequest,
    });
    expect(response).toMatchObject({
      statusCode: 200,
      headers: { 'Cache-Control': 'no-store', 'Content-Type': 'application/json' },
      body: '{"item":"Ann","id":"item-1"}',
    });
  });

  test('an error status selects its response', () => {
    const response = buildMethodResponse({
      integrationResponses: [{ StatusCode: '200' }, { StatusCode: '400', SelectionPattern: '4\\d{2}', ResponseTemplates: { 'application/json': '{"message":"bad"}' } }],
      integration: { statusCode: 400, body: '{"__type":"ValidationException"}' },
      request: methodRequest,
    });
    expect(response.statusCode).toBe(400);
    expect(response.body).toBe('{"message":"bad"}');
  });

  test('no template, or an empty one, passes the integration body through', () => {
    for (const ResponseTemplates of [undefined, { 'application/json': '' }]) {
      const response = buildMethodResponse({
        integrationResponses: [{ StatusCode: '200', ResponseTemplates }],
        integration: { statusCode: 200, body: '{"raw":true}' },
        request: methodRequest,
      });
      expect(response.body).toBe('{"raw":true}');
      expect(response.headers['Content-Type']).toBe('application/json');
    }
  });

  test('responseOverride headers replace mapped ones whatever their case', () => {
    const response = buildMethodResponse({
      integrationResponses: [
        {
          StatusCode: '200',
          ResponseParameters: { 'method.response.header.content-type': "'text/plain'" },
          ResponseTemplates: { 'application/json': '#set($context.responseOverride.header.Content-Type = "application/problem+json")#set($context.responseOverride.status = 409){}' },
        },
      ],
      integration: { statusCode: 200, body: '{}' },
      request: methodRequest,
    });
    expect(response.statusCode).toBe(409);
    expect(response.headers).toEqual({ 'Content-Type': 'application/problem+json' });
  });
});
