import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AUTH_ACCEPTED_FINDINGS, AuthMode } from '../../cdk/auth';
import { CrudApiStack } from '../../cdk/stack';
import { ofType } from '../helpers/cfn';
import * as fs from 'node:fs';
import { buildApp, cdkJsonContext, removeSynthesized, synthesize, withNag } from '../helpers/synth';

afterAll(removeSynthesized);

type Resources = Record<string, { Type: string; Properties: any }>;

const synthesized = new Map<AuthMode, Resources>();
function resourcesOf(auth: AuthMode): Resources {
  if (!synthesized.has(auth)) synthesized.set(auth, synthesize({ auth }).template.toJSON().Resources);
  return synthesized.get(auth)!;
}

/** Every method except the CORS preflights and a public OpenAPI document route. */
function protectedMethods(resources: Resources): any[] {
  const pathParts = Object.fromEntries(ofType(resources, 'AWS::ApiGateway::Resource').map(([id, p]) => [id, p.PathPart]));
  return ofType(resources, 'AWS::ApiGateway::Method')
    .map(([, p]) => p)
    .filter((p) => p.HttpMethod !== 'OPTIONS' && !(p.HttpMethod === 'GET' && pathParts[p.ResourceId?.Ref] === 'openapi.json'));
}

function outputsOf(auth: AuthMode): Record<string, any> {
  return synthesize({ auth }).template.toJSON().Outputs;
}

describe('auth = iam (the default)', () => {
  test('cdk.json context says iam, and without any setting the stack is iam too', () => {
    expect(cdkJsonContext().auth).toBe('iam');
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new CrudApiStack(app, 'NoContext');
    expect(stack.auth.mode).toBe('iam');
  });

  test('every method but the CORS preflights is AWS_IAM', () => {
    const resources = resourcesOf('iam');
    const methods = protectedMethods(resources);
    expect(methods.length).toBeGreaterThanOrEqual(21);
    for (const m of methods) expect({ method: m.HttpMethod, auth: m.AuthorizationType }).toEqual({ method: m.HttpMethod, auth: 'AWS_IAM' });
    const preflights = ofType(resources, 'AWS::ApiGateway::Method').filter(([, p]) => p.HttpMethod === 'OPTIONS');
    expect(preflights.length).toBeGreaterThan(0);
    for (const [, p] of preflights) expect(p.AuthorizationType).toBe('NONE');
    expect(ofType(resources, 'AWS::Cognito::UserPool')).toEqual([]);
  });

  test('an unsigned request on a route and an unknown route share MISSING_AUTHENTICATION_TOKEN: 403 naming both', () => {
    const [, response] = ofType(resourcesOf('iam'), 'AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === 'MISSING_AUTHENTICATION_TOKEN')!;
    expect(response.StatusCode).toBe('403');
    const body = JSON.parse(response.ResponseTemplates['application/json'].replace(/\$context\.[\w.]+/g, 'x'));
    expect(body).toMatchObject({ title: 'Forbidden', status: 403, detail: expect.stringMatching(/not signed.*no route for x x/) });
  });

  test('the AuthMode output says iam', () => {
    expect(outputsOf('iam').AuthMode.Value).toBe('iam');
  });
});

describe('auth = cognito', () => {
  test('a user pool, an app client allowing USER_PASSWORD_AUTH, and a Cognito authorizer on every method', () => {
    const resources = resourcesOf('cognito');
    const [[poolId, pool]] = ofType(resources, 'AWS::Cognito::UserPool');
    expect(pool.AdminCreateUserConfig).toEqual({ AllowAdminCreateUserOnly: true });
    expect(pool.Policies.PasswordPolicy).toMatchObject({ MinimumLength: 12, RequireUppercase: true, RequireNumbers: true, RequireSymbols: true });
    const [[, client]] = ofType(resources, 'AWS::Cognito::UserPoolClient');
    expect(client.UserPoolId).toEqual({ Ref: poolId });
    expect(client.ExplicitAuthFlows).toEqual(expect.arrayContaining(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']));
    expect(client.GenerateSecret).toBe(false);
    const [[authorizerId, authorizer]] = ofType(resources, 'AWS::ApiGateway::Authorizer');
    expect(authorizer).toMatchObject({ Type: 'COGNITO_USER_POOLS', IdentitySource: 'method.request.header.Authorization' });
    expect(JSON.stringify(authorizer.ProviderARNs)).toContain(poolId);
    for (const m of protectedMethods(resources)) {
      expect({ method: m.HttpMethod, auth: m.AuthorizationType, authorizer: m.AuthorizerId }).toEqual({ method: m.HttpMethod, auth: 'COGNITO_USER_POOLS', authorizer: { Ref: authorizerId } });
    }
  });

  test('outputs name the mode, the user pool and its client; an unknown route stays a 404', () => {
    const outputs = outputsOf('cognito');
    expect(outputs.AuthMode.Value).toBe('cognito');
    expect(outputs.UserPoolId.Value).toEqual({ Ref: expect.stringMatching(/UserPool/) });
    expect(outputs.UserPoolClientId.Value).toEqual({ Ref: expect.stringMatching(/ApiClient/) });
    const [, response] = ofType(resourcesOf('cognito'), 'AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === 'MISSING_AUTHENTICATION_TOKEN')!;
    expect(response.StatusCode).toBe('404');
    const [, unauthorized] = ofType(resourcesOf('cognito'), 'AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === 'UNAUTHORIZED')!;
    expect(unauthorized.StatusCode).toBe('401');
  });

  test('chosen by the CDK context value too (cdk synth -c auth=cognito)', () => {
    const app = new App({ context: { ...cdkJsonContext(), auth: 'cognito', 'aws:cdk:bundling-stacks': [] } });
    const stack = new CrudApiStack(app, 'FromContext');
    expect(stack.auth.mode).toBe('cognito');
    Template.fromStack(stack).resourceCountIs('AWS::Cognito::UserPool', 1);
  });
});

describe('auth = none (explicit opt-in)', () => {
  test('methods are anonymous, there is no user pool, and only this mode accepts cdk-nag APIG4', () => {
    const resources = resourcesOf('none');
    for (const m of protectedMethods(resources)) expect(m.AuthorizationType).toBe('NONE');
    expect(ofType(resources, 'AWS::Cognito::UserPool')).toEqual([]);
    expect(outputsOf('none').AuthMode.Value).toBe('none');
    expect(AUTH_ACCEPTED_FINDINGS.none.map((f) => f.id)).toEqual(['AwsSolutions-APIG4', 'AwsSolutions-COG4']);
    expect(AUTH_ACCEPTED_FINDINGS.iam.map((f) => f.id)).not.toContain('AwsSolutions-APIG4');
    expect(AUTH_ACCEPTED_FINDINGS.cognito.map((f) => f.id)).not.toContain('AwsSolutions-APIG4');
  });

  test('an unknown mode is refused', () => {
    expect(() => synthesize({ auth: 'open' as AuthMode })).toThrow(/auth must be one of iam, cognito, none/);
  });
});

describe('cdk-nag per mode', () => {
  /** The AwsSolutions rules synth reports (it throws on any unacknowledged finding); [] when it passes. */
  function findings(app: { synth: () => unknown }): string[] {
    const quiet = [jest.spyOn(console, 'error').mockImplementation(() => undefined), jest.spyOn(console, 'log').mockImplementation(() => undefined)];
    try {
      app.synth();
      return [];
    } catch (error) {
      const report = /found in: (\S+validation-report\.json)/.exec(String((error as Error).message));
      if (!report) throw error;
      const json = JSON.parse(fs.readFileSync(report[1], 'utf8'));
      return [...new Set<string>(json.pluginReports.flatMap((p: any) => p.violations.map((v: any) => v.ruleName)))];
    } finally {
      quiet.forEach((q) => q.mockRestore());
    }
  }

  test.each(['cognito', 'none'] as AuthMode[])('auth %s passes with its acknowledgements (iam is test/cdk/nag.test.ts)', (auth) => {
    expect(findings(buildApp({ auth, beforeSynth: (a) => withNag(a) }).app)).toEqual([]);
  });

  test.each(['iam', 'cognito', 'none'] as AuthMode[])('each acknowledgement of auth %s names a finding that really occurs without it', (auth) => {
    let found: string[] = [];
    jest.isolateModules(() => {
      jest.doMock('../../cdk/auth', () => ({ ...jest.requireActual('../../cdk/auth'), AUTH_ACCEPTED_FINDINGS: { iam: [], cognito: [], none: [] } }));
      const isolated = require('../helpers/synth') as typeof import('../helpers/synth');
      found = findings(isolated.buildApp({ auth, beforeSynth: (a) => isolated.withNag(a) }).app);
      isolated.removeSynthesized();
    });
    expect(found.sort()).toEqual(AUTH_ACCEPTED_FINDINGS[auth].map((f) => f.id).sort());
  });
});
