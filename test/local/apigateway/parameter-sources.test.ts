import { gatewayResponsesFromTemplate } from '../../../local/apigateway/gateway-responses';
import { gatewayResponseParameterProblem, integrationResponseParameterProblem } from '../../../local/apigateway/parameter-sources';

describe('response parameter mappings API Gateway accepts', () => {
  test.each([
    "'*'",
    "'application/problem+json'",
    'method.request.header.Origin',
    'method.request.querystring.limit',
    'method.request.path.id',
    'method.request.multivalueheader.Accept',
    'stageVariables.origin',
  ])('a gateway response header may come from %s', (source) => {
    expect(gatewayResponseParameterProblem('gatewayresponse.header.X-Thing', source)).toBeUndefined();
  });

  test.each(['context.requestId', 'context.stage', 'integration.response.body.executionArn', 'method.request.body', '*', '"*"'])(
    'a gateway response header may not come from %s (the deploy fails)',
    (source) => {
      expect(gatewayResponseParameterProblem('gatewayresponse.header.X-Request-Id', source)).toBe(`Invalid mapping expression specified: ${source}`);
    },
  );

  test('a gateway response maps headers, path or query string parameters only', () => {
    expect(gatewayResponseParameterProblem('method.response.header.X', "'x'")).toMatch(/Invalid mapping expression parameter specified/);
    expect(gatewayResponseParameterProblem('gatewayresponse.querystring.x', "'x'")).toBeUndefined();
  });

  test.each([
    "'*'",
    'context.requestId',
    'integration.response.body.executionArn',
    'integration.response.body',
    'integration.response.header.Date',
    'integration.response.multivalueheader.Set-Cookie',
    'stageVariables.x',
  ])('an integration response header may come from %s', (source) => {
    expect(integrationResponseParameterProblem('method.response.header.X-Thing', source)).toBeUndefined();
  });

  test.each(['method.request.header.Origin', 'requestId', '"*"'])('an integration response header may not come from %s', (source) => {
    expect(integrationResponseParameterProblem('method.response.header.X', source)).toBe(`Invalid mapping expression specified: ${source}`);
  });

  test('the local cloud refuses a template whose gateway response maps a context variable, as a deploy would', () => {
    const template = {
      Api: { Type: 'AWS::ApiGateway::RestApi', Properties: {} },
      Problem: {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: { RestApiId: { Ref: 'Api' }, ResponseType: 'DEFAULT_4XX', ResponseParameters: { 'gatewayresponse.header.X-Request-Id': 'context.requestId' } },
      },
    };
    expect(() => gatewayResponsesFromTemplate(template, 'Api')).toThrow('Problem: API Gateway refuses this template: Invalid mapping expression specified: context.requestId');
  });
});
