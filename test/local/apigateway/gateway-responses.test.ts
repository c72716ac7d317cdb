import {
  DEFAULT_GATEWAY_RESPONSES,
  GATEWAY_RESPONSE_TYPES,
  GatewayResponseError,
  gatewayResponsesFromTemplate,
  renderGatewayResponse,
} from '../../../local/apigateway/gateway-responses';

const request = {
  requestId: '37cae0c7-8d0e-4d76-bb91-1a1e7f511c45',
  extendedRequestId: 'UPCZdES-IAMErsQ=',
  headers: { Origin: 'https://app.example.com', Accept: 'application/json' },
  queryStringParameters: { q: '1' },
  pathParameters: { id: 'item-1' },
  stageVariables: { env: 'prod' },
  context: { stage: 'prod', resourcePath: '/items/{id}', identity: { sourceIp: '203.0.113.7' } },
};

describe('default gateway responses', () => {
  test('an unknown route on a REST API is 403 Missing Authentication Token (not 404)', () => {
    expect(renderGatewayResponse('MISSING_AUTHENTICATION_TOKEN', request)).toEqual({
      statusCode: 403,
      headers: {
        'content-type': 'application/json',
        'x-amzn-RequestId': '37cae0c7-8d0e-4d76-bb91-1a1e7f511c45',
        'x-amz-apigw-id': 'UPCZdES-IAMErsQ=',
        'x-amzn-ErrorType': 'MissingAuthenticationTokenException',
      },
      body: '{"message":"Missing Authentication Token"}',
    });
  });

  test('status codes of the AWS table', () => {
    const expected: Record<string, number | undefined> = {
      ACCESS_DENIED: 403,
      API_CONFIGURATION_ERROR: 500,
      AUTHORIZER_CONFIGURATION_ERROR: 500,
      AUTHORIZER_FAILURE: 500,
      BAD_REQUEST_PARAMETERS: 400,
      BAD_REQUEST_BODY: 400,
      DEFAULT_4XX: undefined,
      DEFAULT_5XX: undefined,
      EXPIRED_TOKEN: 403,
      INTEGRATION_FAILURE: 504,
      INTEGRATION_TIMEOUT: 504,
      INVALID_API_KEY: 403,
      INVALID_SIGNATURE: 403,
      MISSING_AUTHENTICATION_TOKEN: 403,
      QUOTA_EXCEEDED: 429,
      REQUEST_TOO_LARGE: 413,
      RESOURCE_NOT_FOUND: 404,
      THROTTLED: 429,
      UNAUTHORIZED: 401,
      UNSUPPORTED_MEDIA_TYPE: 415,
      WAF_FILTERED: 403,
    };
    expect(Object.fromEntries(GATEWAY_RESPONSE_TYPES.map((t) => [t, DEFAULT_GATEWAY_RESPONSES[t].statusCode]))).toEqual(expected);
  });

  test('bodies', () => {
    const body = (e: GatewayResponseError) => renderGatewayResponse(e, request).body;
    expect(body(new GatewayResponseError('BAD_REQUEST_BODY'))).toBe('{"message": "Invalid request body"}');
    expect(body(new GatewayResponseError('INTEGRATION_TIMEOUT'))).toBe('{"message": "Endpoint request timed out"}');
    expect(body(new GatewayResponseError('REQUEST_TOO_LARGE'))).toBe('{"message":"Request Too Long"}');
    expect(body(new GatewayResponseError('THROTTLED'))).toBe('{"message":"Too Many Requests"}');
    expect(body(new GatewayResponseError('ACCESS_DENIED', 'User is not authorized to access this resource with an explicit deny'))).toBe(
      '{"message":"User is not authorized to access this resource with an explicit deny"}',
    );
    expect(body(new GatewayResponseError('DEFAULT_5XX', 'Internal server error'))).toBe('{"message":"Internal server error"}');
  });

  test('a message with quotes stays valid JSON ($context.error.messageString is quoted)', () => {
    const r = renderGatewayResponse(new GatewayResponseError('BAD_REQUEST_PARAMETERS', 'Missing required request parameters: ["a"]'), request);
    expect(JSON.parse(r.body)).toEqual({ message: 'Missing required request parameters: ["a"]' });
  });
});

describe('customised gateway responses (AWS::ApiGateway::GatewayResponse)', () => {
  const template = {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    OtherApi: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
    BadBody: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'BAD_REQUEST_BODY',
        StatusCode: '422',
        ResponseParameters: {
          'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
          'gatewayresponse.header.x-origin': 'method.request.header.origin',
          'gatewayresponse.header.x-env': 'stageVariables.env',
        },
        ResponseTemplates: {
          'application/json':
            '{"type":"about:blank","title":$context.error.messageString,"status":422,"detail":"$context.error.validationErrorString","requestId":"$context.requestId","kind":"$context.error.responseType"}',
        },
      },
    },
    Default4xx: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'DEFAULT_4XX',
        ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
      },
    },
    Default5xx: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ResponseType: 'DEFAULT_5XX',
        StatusCode: '503',
        ResponseTemplates: { 'application/json': '{"error":"$context.error.message","path":"$context.resourcePath"}' },
      },
    },
    Other: {
      Type: 'AWS::ApiGateway::GatewayResponse',
      Properties: { RestApiId: { Ref: 'OtherApi' }, ResponseType: 'MISSING_AUTHENTICATION_TOKEN', StatusCode: '404' },
    },
  };
  const custom = gatewayResponsesFromTemplate(template, 'Api');

  test('only the responses of the given RestApi are read', () => {
    expect(Object.keys(custom).sort()).toEqual(['BAD_REQUEST_BODY', 'DEFAULT_4XX', 'DEFAULT_5XX']);
    expect(gatewayResponsesFromTemplate(template, 'OtherApi').MISSING_AUTHENTICATION_TOKEN?.statusCode).toBe(404);
  });

  test('the exact type wins: its status, parameters and template (simple substitution)', () => {
    const error = new GatewayResponseError('BAD_REQUEST_BODY', 'Invalid request body', '[object has missing required properties (["name"])]');
    const response = renderGatewayResponse(error, request, custom);
    expect(response.statusCode).toBe(422);
    expect(response.headers).toEqual({
      'Access-Control-Allow-Origin': '*',
      'x-origin': 'https://app.example.com',
      'x-env': 'prod',
      'content-type': 'application/json',
      'x-amzn-RequestId': '37cae0c7-8d0e-4d76-bb91-1a1e7f511c45',
      'x-amz-apigw-id': 'UPCZdES-IAMErsQ=',
      'x-amzn-ErrorType': 'BadRequestException',
    });
    expect(response.body).toBe(
      '{"type":"about:blank","title":"Invalid request body","status":422,"detail":"[object has missing required properties (["name"])]","requestId":"37cae0c7-8d0e-4d76-bb91-1a1e7f511c45","kind":"BAD_REQUEST_BODY"}',
    );
  });

  test('DEFAULT_4XX lends its parameters to other 4xx responses, which keep their status and default body', () => {
    const response = renderGatewayResponse('MISSING_AUTHENTICATION_TOKEN', request, custom);
    expect(response.statusCode).toBe(403);
    expect(response.headers['Access-Control-Allow-Origin']).toBe('*');
    expect(response.body).toBe('{"message":"Missing Authentication Token"}');
  });

  test('DEFAULT_5XX with a status code changes the status of other 5xx responses', () => {
    const response = renderGatewayResponse(new GatewayResponseError('INTEGRATION_TIMEOUT'), request, custom);
    expect(response.statusCode).toBe(503);
    expect(response.body).toBe('{"error":"Endpoint request timed out","path":"/items/{id}"}');
    expect(response.headers['x-amzn-ErrorType']).toBe('InternalServerErrorException');
  });

  test('an unknown ResponseType or a bad StatusCode is refused', () => {
    expect(() =>
      gatewayResponsesFromTemplate({ X: { Type: 'AWS::ApiGateway::GatewayResponse', Properties: { ResponseType: 'NOT_A_TYPE' } } }),
    ).toThrow('X: unknown GatewayResponse ResponseType "NOT_A_TYPE"');
    expect(() =>
      gatewayResponsesFromTemplate({ X: { Type: 'AWS::ApiGateway::GatewayResponse', Properties: { ResponseType: 'THROTTLED', StatusCode: 'abc' } } }),
    ).toThrow('X: invalid StatusCode "abc"');
  });
});
