import {
  InvalidModelError,
  MethodRequestSpec,
  ModelRegistry,
  draft04ToDraft07,
  methodRequestSpecFromTemplate,
  missingRequiredParameters,
  validateBody,
  validateRequest,
} from '../../../local/apigateway/models';
import { GatewayResponseError, renderGatewayResponse } from '../../../local/apigateway/gateway-responses';

/** The AWS documentation's sample: GET /validation?q1=..., POST /validation with header h1 and a pet body. */
const PET_MODEL = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'RequestDataModel',
  type: 'object',
  properties: {
    name: { type: 'string' },
    type: { type: 'string', enum: ['dog', 'cat', 'fish'] },
    price: { type: 'number', minimum: 25, maximum: 500 },
  },
  required: ['type', 'name', 'price'],
};

const models = new ModelRegistry({ RequestDataModel: PET_MODEL });
const validateBoth = { validateRequestBody: true, validateRequestParameters: true };

const postSpec: MethodRequestSpec = {
  requestParameters: { 'method.request.header.h1': true },
  requestModels: { 'application/json': 'RequestDataModel' },
  requestValidator: validateBoth,
};

function rejection(spec: MethodRequestSpec, request: Parameters<typeof validateRequest>[1], registry = models): GatewayResponseError {
  try {
    validateRequest(spec, request, registry);
  } catch (e) {
    if (e instanceof GatewayResponseError) return e;
    throw e;
  }
  throw new Error('expected the request to be rejected');
}

describe('request parameters', () => {
  const getSpec: MethodRequestSpec = { requestParameters: { 'method.request.querystring.q1': true }, requestValidator: validateBoth };

  test('present and not blank passes', () => {
    expect(() => validateRequest(getSpec, { queryStringParameters: { q1: 'cat' } }, models)).not.toThrow();
  });

  test('missing or blank gives 400 {"message": "Missing required request parameters: [q1]"}', () => {
    for (const request of [{}, { queryStringParameters: { q1: '' } }]) {
      const error = rejection(getSpec, request);
      expect(error.responseType).toBe('BAD_REQUEST_PARAMETERS');
      const response = renderGatewayResponse(error, { requestId: 'r-1' });
      expect(response.statusCode).toBe(400);
      expect(response.body).toBe('{"message": "Missing required request parameters: [q1]"}');
      expect(response.headers['x-amzn-ErrorType']).toBe('BadRequestException');
      expect(response.headers['content-type']).toBe('application/json');
    }
  });

  test('several missing parameters are listed in declaration order; headers match case-insensitively', () => {
    const spec: MethodRequestSpec = {
      requestParameters: {
        'method.request.querystring.divisor': true,
        'method.request.querystring.dividend': true,
        'method.request.header.X-Tenant': true,
        'method.request.header.Optional': false,
      },
      requestValidator: { validateRequestParameters: true },
    };
    expect(missingRequiredParameters(spec, { headers: { 'x-tenant': 't1' } })).toEqual(['divisor', 'dividend']);
    expect(rejection(spec, { headers: { 'X-TENANT': ' ' } }).message).toBe('Missing required request parameters: [divisor, dividend, X-Tenant]');
  });

  test('without validateRequestParameters nothing is checked', () => {
    expect(() => validateRequest({ ...getSpec, requestValidator: { validateRequestBody: false } }, {}, models)).not.toThrow();
    expect(() => validateRequest({ requestParameters: getSpec.requestParameters }, {}, models)).not.toThrow();
  });

  test('parameters are checked before the body', () => {
    expect(rejection(postSpec, { body: '{"type":"bird"}' }).responseType).toBe('BAD_REQUEST_PARAMETERS');
  });
});

describe('request body', () => {
  const headers = { h1: 'v1', 'Content-Type': 'application/json' };

  test('a body matching the model passes', () => {
    expect(() => validateRequest(postSpec, { headers, body: '{"name":"Marco","type":"dog","price":260}' }, models)).not.toThrow();
  });

  test('a body violating the model gives 400 {"message": "Invalid request body"}', () => {
    for (const body of ['{"name":"Molly","type":"bird","price":269}', '{"name":"Molly","type":"dog","price":501}', '[]', 'not json']) {
      const error = rejection(postSpec, { headers, body });
      expect(error.responseType).toBe('BAD_REQUEST_BODY');
      const response = renderGatewayResponse(error, { requestId: 'r-2' });
      expect(response).toEqual({
        statusCode: 400,
        headers: { 'content-type': 'application/json', 'x-amzn-RequestId': 'r-2', 'x-amzn-ErrorType': 'BadRequestException' },
        body: '{"message": "Invalid request body"}',
      });
    }
  });

  test('an empty body is validated as {}', () => {
    const error = rejection(postSpec, { headers, body: '' });
    expect(error.validationErrorString).toBe('[object has missing required properties (["name","price","type"])]');
  });

  test('validationErrorString reads like the AWS validator', () => {
    const spec: MethodRequestSpec = { ...postSpec, requestModels: { 'application/json': 'Strict' } };
    const strict = new ModelRegistry({
      Strict: { ...PET_MODEL, additionalProperties: false, properties: { ...PET_MODEL.properties, name: { type: 'string', minLength: 3 } } },
    });
    let error: GatewayResponseError | undefined;
    try {
      validateRequest(spec, { headers, body: '{"name":"Mo","type":"bird","price":"x","foo":1}' }, strict);
    } catch (e) {
      error = e as GatewayResponseError;
    }
    expect(error?.validationErrorString).toBe(
      '[object instance has properties which are not allowed by the schema: ["foo"], ' +
        'string "Mo" is too short (length: 2, required minimum: 3), ' +
        'instance value ("bird") not found in enum (possible values: ["dog","cat","fish"]), ' +
        'instance type (string) does not match any allowed primitive type (allowed: ["number"])]',
    );
    const response = renderGatewayResponse(error!, { requestId: 'r' }, {
      BAD_REQUEST_BODY: { responseTemplates: { 'application/json': '{"message": $context.error.messageString, "detail": "$context.error.validationErrorString"}' } },
    });
    expect(response.body.startsWith('{"message": "Invalid request body", "detail": "[object instance has properties')).toBe(true);
  });

  test("the rules' lines use fge json-schema-validator's messages", () => {
    const rules = new ModelRegistry({
      Rules: {
        type: 'object',
        minProperties: 1,
        properties: {
          n: { type: 'number', exclusiveMaximum: true, maximum: 10, multipleOf: 2 },
          one: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
          any: { anyOf: [{ type: 'string' }, { type: 'integer' }, { type: 'boolean' }] },
          email: { type: 'string', format: 'email' },
        },
      },
    });
    const report = (body: unknown) => validateBody(rules, 'Rules', JSON.stringify(body));
    expect(report({})).toEqual(['object has too few properties (found 0 but schema requires at least 1)']);
    expect(report({ n: 10 })).toEqual(['numeric instance is not strictly lower than the required maximum 10']);
    expect(report({ n: 3 })).toEqual(['remainder of division is not zero (3 / 2)']);
    expect(report({ one: null })).toContain('instance failed to match exactly one schema (matched 0 out of 2)');
    expect(report({ any: null })).toContain('instance failed to match at least one required schema among 3');
    expect(report({ email: 'nope' })).toEqual(['string "nope" is not a valid email address']);
  });

  test('the model is chosen by Content-Type, then $default, then the built-in Empty model (an object)', () => {
    const spec: MethodRequestSpec = { requestModels: { $default: 'RequestDataModel' }, requestValidator: { validateRequestBody: true } };
    expect(rejection(spec, { headers: { 'content-type': 'text/plain' }, body: '{}' }).responseType).toBe('BAD_REQUEST_BODY');
    const noModels: MethodRequestSpec = { requestValidator: { validateRequestBody: true } };
    expect(() => validateRequest(noModels, { body: '{"anything":1}' }, models)).not.toThrow();
    expect(rejection(noModels, { body: '[1]' }).responseType).toBe('BAD_REQUEST_BODY');
  });

  test('a $ref to another model of the API resolves', () => {
    const registry = new ModelRegistry({
      Pet: PET_MODEL,
      Order: {
        $schema: 'http://json-schema.org/draft-04/schema#',
        type: 'object',
        properties: { pet: { $ref: 'https://apigateway.amazonaws.com/restapis/a1b2c3/models/Pet' } },
        required: ['pet'],
      },
    });
    const spec: MethodRequestSpec = { requestModels: { 'application/json': 'Order' }, requestValidator: { validateRequestBody: true } };
    expect(() => validateRequest(spec, { body: '{"pet":{"name":"Rex","type":"dog","price":30}}' }, registry)).not.toThrow();
    expect(() => validateRequest(spec, { body: '{"pet":{"name":"Rex","type":"cow","price":30}}' }, registry)).toThrow(GatewayResponseError);
  });
});

describe('draft-04 models', () => {
  test('boolean exclusiveMaximum/exclusiveMinimum and id are rewritten; later keywords are dropped', () => {
    expect(
      draft04ToDraft07({
        $schema: 'http://json-schema.org/draft-04/schema#',
        id: 'http://example.com/pet',
        type: 'object',
        properties: { age: { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 30, exclusiveMaximum: false }, id: { const: 1 } },
        const: 'ignored in draft-04',
      }),
    ).toEqual({
      $id: 'http://example.com/pet',
      type: 'object',
      properties: { age: { type: 'integer', exclusiveMinimum: 0, maximum: 30 }, id: {} },
    });
  });

  test('exclusive bounds are enforced the draft-04 way', () => {
    const registry = new ModelRegistry({ Age: { type: 'object', properties: { age: { type: 'number', maximum: 10, exclusiveMaximum: true } } } });
    const spec: MethodRequestSpec = { requestModels: { 'application/json': 'Age' }, requestValidator: { validateRequestBody: true } };
    expect(() => validateRequest(spec, { body: '{"age":9.5}' }, registry)).not.toThrow();
    expect(() => validateRequest(spec, { body: '{"age":10}' }, registry)).toThrow(GatewayResponseError);
  });

  test('draft-04 formats are checked', () => {
    const registry = new ModelRegistry({ Contact: { type: 'object', properties: { email: { type: 'string', format: 'email' }, at: { type: 'string', format: 'date-time' } } } });
    const spec: MethodRequestSpec = { requestModels: { 'application/json': 'Contact' }, requestValidator: { validateRequestBody: true } };
    expect(() => validateRequest(spec, { body: '{"email":"a@example.com","at":"2024-03-07T01:25:03Z"}' }, registry)).not.toThrow();
    expect(() => validateRequest(spec, { body: '{"email":"nope"}' }, registry)).toThrow(GatewayResponseError);
    expect(() => validateRequest(spec, { body: '{"at":"yesterday"}' }, registry)).toThrow(GatewayResponseError);
  });

  test('an invalid schema is refused when the registry is built, as CreateModel refuses it', () => {
    expect(() => new ModelRegistry({ Broken: { type: 'object', required: 'name' } })).toThrow(InvalidModelError);
    expect(() => new ModelRegistry({ NotJson: '{type:' })).toThrow(InvalidModelError);
  });
});

describe('from a synthesized template', () => {
  const resources = {
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'items' } },
    ItemModel: {
      Type: 'AWS::ApiGateway::Model',
      Properties: {
        RestApiId: { Ref: 'Api' },
        ContentType: 'application/json',
        Schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      },
    },
    BodyValidator: { Type: 'AWS::ApiGateway::RequestValidator', Properties: { RestApiId: { Ref: 'Api' }, ValidateRequestBody: true, ValidateRequestParameters: false } },
    ItemsPost: {
      Type: 'AWS::ApiGateway::Method',
      Properties: {
        HttpMethod: 'POST',
        RestApiId: { Ref: 'Api' },
        RequestModels: { 'application/json': { Ref: 'ItemModel' } },
        RequestParameters: { 'method.request.header.Idempotency-Key': true },
        RequestValidatorId: { Ref: 'BodyValidator' },
      },
    },
  };

  test('RequestModels, RequestParameters and the RequestValidator are read from the Method', () => {
    const spec = methodRequestSpecFromTemplate(resources.ItemsPost, resources);
    expect(spec).toEqual({
      requestModels: { 'application/json': 'ItemModel' },
      requestParameters: { 'method.request.header.Idempotency-Key': true },
      requestValidator: { validateRequestBody: true, validateRequestParameters: false },
    });
    const registry = ModelRegistry.fromTemplate(resources, 'Api');
    expect(() => validateRequest(spec, { body: '{"name":"x"}' }, registry)).not.toThrow();
    expect(rejection(spec, { body: '{}' }, registry).responseType).toBe('BAD_REQUEST_BODY');
  });
});
