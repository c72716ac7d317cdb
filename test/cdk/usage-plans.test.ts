/**
 * Usage plans in the synthesized template (cdk/usage-plans.ts): an API key and a throttling usage plan per client on
 * the API's stage, every method but the CORS preflights and the OpenAPI document requiring the key, the 429 and 403
 * gateway responses as problem JSON, and, with auth=cognito, what the local Cognito and authorizer rely on.
 */
import { App } from 'aws-cdk-lib';
import { DEFAULT_BURST_LIMIT, DEFAULT_RATE_LIMIT, clientsOf } from '../../cdk/usage-plans';
import { CrudApiStack } from '../../cdk/stack';
import { ofType } from '../helpers/cfn';
import { removeSynthesized, synthesize } from '../helpers/synth';

afterAll(removeSynthesized);

type Resources = Record<string, { Type: string; Properties: any }>;

const defaults = synthesize().template.toJSON().Resources as Resources;

describe('the default: one client named default', () => {
  test('one enabled API key in one usage plan on the stage, throttled at the default rate and burst, no quota', () => {
    const keys = ofType(defaults, 'AWS::ApiGateway::ApiKey');
    expect(keys).toHaveLength(1);
    expect(keys[0][1]).toMatchObject({ Name: 'CrudApiTest-default', Enabled: true });
    expect(keys[0][1].Value).toBeUndefined();
    const plans = ofType(defaults, 'AWS::ApiGateway::UsagePlan');
    expect(plans).toHaveLength(1);
    const [planId, plan] = plans[0];
    expect(plan.Throttle).toEqual({ RateLimit: DEFAULT_RATE_LIMIT, BurstLimit: DEFAULT_BURST_LIMIT });
    expect(plan.Quota).toBeUndefined();
    const [apiId] = ofType(defaults, 'AWS::ApiGateway::RestApi')[0];
    const [stageId] = ofType(defaults, 'AWS::ApiGateway::Stage')[0];
    expect(plan.ApiStages).toEqual([expect.objectContaining({ ApiId: { Ref: apiId }, Stage: { Ref: stageId } })]);
    expect(ofType(defaults, 'AWS::ApiGateway::UsagePlanKey').map(([, p]) => p)).toEqual([{ KeyId: { Ref: keys[0][0] }, KeyType: 'API_KEY', UsagePlanId: { Ref: planId } }]);
  });

  test('every method needs the API key except the CORS preflights and GET /openapi.json', () => {
    const pathParts = Object.fromEntries(ofType(defaults, 'AWS::ApiGateway::Resource').map(([id, p]) => [id, p.PathPart]));
    const methods = ofType(defaults, 'AWS::ApiGateway::Method').map(([, p]) => ({ method: p.HttpMethod, path: pathParts[p.ResourceId?.Ref], apiKeyRequired: p.ApiKeyRequired === true }));
    const open = methods.filter((m) => !m.apiKeyRequired);
    expect(open.every((m) => m.method === 'OPTIONS' || m.path === 'openapi.json')).toBe(true);
    expect(methods.filter((m) => m.apiKeyRequired).length).toBeGreaterThanOrEqual(21);
  });

  test('the stage keeps its own throttle (every client together, per method)', () => {
    const [, stage] = ofType(defaults, 'AWS::ApiGateway::Stage')[0];
    expect(stage.MethodSettings).toEqual([expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 })]);
  });

  test('429 THROTTLED (with Retry-After) and QUOTA_EXCEEDED, 403 INVALID_API_KEY are problem JSON gateway responses', () => {
    const responses = Object.fromEntries(ofType(defaults, 'AWS::ApiGateway::GatewayResponse').map(([, p]) => [p.ResponseType, p]));
    expect(responses.THROTTLED).toMatchObject({ StatusCode: '429', ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" } });
    expect(responses.THROTTLED.ResponseTemplates['application/json']).toContain('"title":"Too Many Requests"');
    expect(responses.THROTTLED.ResponseParameters['gatewayresponse.header.Retry-After']).toBe("'1'");
    expect(responses.QUOTA_EXCEEDED).toMatchObject({ StatusCode: '429', ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" } });
    expect(responses.INVALID_API_KEY).toMatchObject({ StatusCode: '403', ResponseParameters: { 'gatewayresponse.header.Content-Type': "'application/problem+json'" } });
  });

  test('an output names the key id (its value is read with aws apigateway get-api-key --include-value)', () => {
    const outputs = synthesize().template.toJSON().Outputs;
    expect(outputs.ApiKeyIdDefault.Value).toEqual({ Ref: ofType(defaults, 'AWS::ApiGateway::ApiKey')[0][0] });
  });
});

describe('clients from the stack property or the context', () => {
  test('each client gets its own key and plan with its limits and quota', () => {
    const resources = synthesize({
      clients: [
        { name: 'web', rateLimit: 20, burstLimit: 40 },
        { name: 'batch', rateLimit: 5, burstLimit: 5, quota: { limit: 10_000, period: 'DAY' } },
      ],
    }).template.toJSON().Resources as Resources;
    const plans = Object.fromEntries(ofType(resources, 'AWS::ApiGateway::UsagePlan').map(([, p]) => [p.UsagePlanName, p]));
    expect(plans['CrudApiTest-web']).toMatchObject({ Throttle: { RateLimit: 20, BurstLimit: 40 } });
    expect(plans['CrudApiTest-batch']).toMatchObject({ Throttle: { RateLimit: 5, BurstLimit: 5 }, Quota: { Limit: 10_000, Period: 'DAY' } });
    expect(ofType(resources, 'AWS::ApiGateway::ApiKey').map(([, p]) => p.Name).sort()).toEqual(['CrudApiTest-batch', 'CrudApiTest-web']);
  });

  test('the context value may be a JSON string (cdk synth -c clients=...) or a list; an empty list means no keys at all', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [], clients: '[{"name":"cli","rateLimit":3}]' } });
    expect(clientsOf(app, undefined)).toEqual([{ name: 'cli', rateLimit: 3 }]);
    const none = new CrudApiStack(new App({ context: { 'aws:cdk:bundling-stacks': [], clients: [] } }), 'NoClients');
    expect(Object.keys(none.usagePlans.keys)).toEqual([]);
    const methods = Object.values(none.api.node.findAll()).filter((c) => c.node.defaultChild && (c.node.defaultChild as any).cfnResourceType === 'AWS::ApiGateway::Method');
    expect(methods.length).toBeGreaterThan(0);
    expect(methods.every((m) => !(m.node.defaultChild as any).apiKeyRequired)).toBe(true);
  });

  test('bad declarations are refused at synth', () => {
    const app = new App();
    expect(() => clientsOf(app, [{ name: 'Web' }])).toThrow(/lowercase/);
    expect(() => clientsOf(app, [{ name: 'a' }, { name: 'a' }])).toThrow(/unique/);
    expect(() => clientsOf(app, [{ name: 'a', rateLimit: -1 }])).toThrow(/rateLimit/);
  });
});

describe('auth = cognito: what the local Cognito and the authorizer use', () => {
  const resources = synthesize({ auth: 'cognito' }).template.toJSON().Resources as Resources;

  test('the app client signs in with USER_PASSWORD_AUTH and refresh tokens; the authorizer reads Authorization and names the pool', () => {
    const [poolId] = ofType(resources, 'AWS::Cognito::UserPool')[0];
    const [, client] = ofType(resources, 'AWS::Cognito::UserPoolClient')[0];
    expect(client.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(client.GenerateSecret).toBe(false);
    const [, authorizer] = ofType(resources, 'AWS::ApiGateway::Authorizer')[0];
    expect(authorizer).toMatchObject({ Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization', ProviderARNs: [{ 'Fn::GetAtt': [poolId, 'Arn'] }] });
  });

  test('methods are COGNITO_USER_POOLS without OAuth scopes (the ID token is expected) and still need the API key', () => {
    const methods = ofType(resources, 'AWS::ApiGateway::Method').map(([, p]) => p).filter((p) => p.AuthorizationType === 'COGNITO_USER_POOLS');
    expect(methods.length).toBeGreaterThanOrEqual(21);
    expect(methods.every((p) => p.AuthorizationScopes === undefined && p.ApiKeyRequired === true)).toBe(true);
  });
});
