import { App, Stack } from 'aws-cdk-lib';
import { deploymentSettings } from '../../cdk/deployment-settings';
import { gatewayResponseParameterProblem, integrationResponseParameterProblem } from '../../local/apigateway/parameter-sources';
import { Resources, ofType } from '../helpers/cfn';
import { Synthesized, buildApp, removeSynthesized, synthesize, withNag } from '../helpers/synth';

// GIVEN the stack as each stage deploys it (dev is the default; prod on an account that has the API Gateway logs role; one that creates it).
let dev: Synthesized;
let prod: Synthesized;
let withRole: Synthesized;
const resourcesOf = (s: Synthesized): Resources => s.template.toJSON().Resources;

beforeAll(() => {
  dev = synthesize({ debugHeaders: true });
  prod = synthesize({ stage: 'prod', apiGatewayLogsRole: 'existing' });
  withRole = synthesize({ apiGatewayLogsRole: 'create' });
});
afterAll(removeSynthesized);

describe('execution logging per stage', () => {
  test('dev logs ALL with execution data (the console and crud-ops read executions back from it)', () => {
    for (const [, sm] of ofType(resourcesOf(dev), 'AWS::StepFunctions::StateMachine').filter(([, p]) => p.DefinitionSubstitutions?.ResourceName)) {
      expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    }
  });

  test('prod logs errors only and never execution data (inputs, outputs: the personal fields of bodies)', () => {
    const machines = ofType(resourcesOf(prod), 'AWS::StepFunctions::StateMachine').filter(([, p]) => p.DefinitionSubstitutions?.ResourceName);
    expect(machines).toHaveLength(2);
    for (const [, sm] of machines) {
      expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ERROR', IncludeExecutionData: false });
      expect(sm.LoggingConfiguration.Destinations).toHaveLength(1);
    }
  });

  test('the stage comes from CDK context too, and a wrong value is refused', () => {
    const stackWith = (context: Record<string, unknown>) => new Stack(new App({ context }), 'S');
    expect(deploymentSettings(stackWith({ stage: 'prod' }), {})).toMatchObject({ stage: 'prod', debugHeaders: false, executionLogs: { includeExecutionData: false } });
    expect(deploymentSettings(stackWith({ stage: 'prod', debugHeaders: 'true' }), {})).toMatchObject({ debugHeaders: true });
    expect(deploymentSettings(stackWith({}), {})).toMatchObject({ stage: 'dev', debugHeaders: false, apiGatewayLogsRole: 'none', apiGatewayLogging: false });
    expect(deploymentSettings(stackWith({ debugHeaders: 'true' }), {})).toMatchObject({ stage: 'dev', debugHeaders: true });
    expect(() => deploymentSettings(stackWith({ stage: 'production' }), {})).toThrow('Context stage must be one of dev, prod');
    expect(() => deploymentSettings(stackWith({ apiGatewayLogsRole: 'yes' }), {})).toThrow('Context apiGatewayLogsRole must be one of none, existing, create');
  });
});

describe('X-Execution-Arn only with debugHeaders (default off in every stage: it names the account)', () => {
  const integrationResponses = (s: Synthesized) =>
    ofType(resourcesOf(s), 'AWS::ApiGateway::Method').flatMap(([, m]) => (m.Integration?.IntegrationResponses ?? []).map((r: any) => r.ResponseParameters ?? {}));

  test('with debugHeaders it is mapped from the execution ARN and exposed to browsers', () => {
    const ok = integrationResponses(dev).filter((p) => p['method.response.header.X-Execution-Arn']);
    expect(ok.length).toBeGreaterThan(0);
    expect(ok[0]['method.response.header.X-Execution-Arn']).toBe('integration.response.body.executionArn');
    expect(ok[0]['method.response.header.Access-Control-Expose-Headers']).toBe("'ETag,Location,X-Request-Id,X-Execution-Arn,Retry-After'");
  });

  test('by default (here prod) there is no X-Execution-Arn anywhere (mapping, method response, CORS) but X-Request-Id stays', () => {
    expect(JSON.stringify(resourcesOf(prod))).not.toContain('X-Execution-Arn');
    const ok = integrationResponses(prod).filter((p) => p['method.response.header.X-Request-Id'] && p['method.response.header.Access-Control-Expose-Headers']);
    expect(ok.length).toBeGreaterThan(0);
    for (const p of ok) {
      expect(p['method.response.header.Access-Control-Expose-Headers']).toBe("'ETag,Location,X-Request-Id,Retry-After'");
    }
  });
});

describe('every response mapping is one API Gateway accepts (a refused one fails the deploy)', () => {
  test.each([['dev'], ['prod']])('%s: gateway responses map static values or request parameters only; integration responses allowed sources', (stage) => {
    const resources = resourcesOf(stage === 'dev' ? dev : prod);
    const gatewayResponses = ofType(resources, 'AWS::ApiGateway::GatewayResponse');
    expect(gatewayResponses.length).toBeGreaterThan(0);
    for (const [id, p] of gatewayResponses) {
      for (const [target, source] of Object.entries(p.ResponseParameters ?? {})) expect([id, gatewayResponseParameterProblem(target, source)]).toEqual([id, undefined]);
    }
    for (const [id, m] of ofType(resources, 'AWS::ApiGateway::Method')) {
      for (const response of m.Integration?.IntegrationResponses ?? []) {
        for (const [target, source] of Object.entries(response.ResponseParameters ?? {})) {
          expect([id, integrationResponseParameterProblem(target, source)]).toEqual([id, undefined]);
        }
      }
    }
  });
});

describe('the account-wide API Gateway CloudWatch role', () => {
  const stageOf = (s: Synthesized) => ofType(resourcesOf(s), 'AWS::ApiGateway::Stage')[0][1];

  test('by default the stack neither creates the AWS::ApiGateway::Account singleton nor logs from the stage (that deploy would fail)', () => {
    expect(ofType(resourcesOf(dev), 'AWS::ApiGateway::Account')).toHaveLength(0);
    const stage = stageOf(dev);
    expect(stage.AccessLogSetting).toBeUndefined();
    for (const setting of stage.MethodSettings ?? []) expect(setting.LoggingLevel ?? 'OFF').toBe('OFF');
  });

  test('with apiGatewayLogsRole existing the stage writes access logs and ERROR execution logs, without the singleton', () => {
    expect(ofType(resourcesOf(prod), 'AWS::ApiGateway::Account')).toHaveLength(0);
    const stage = stageOf(prod);
    expect(JSON.parse(stage.AccessLogSetting.Format)).toMatchObject({ requestId: '$context.requestId' });
    expect(stage.MethodSettings).toContainEqual(expect.objectContaining({ LoggingLevel: 'ERROR', DataTraceEnabled: false }));
  });

  test('with apiGatewayLogsRole create the stack sets the account role itself, and the stage depends on it', () => {
    const accounts = ofType(resourcesOf(withRole), 'AWS::ApiGateway::Account');
    expect(accounts).toHaveLength(1);
    const [accountId] = accounts[0];
    const [, stage] = ofType(resourcesOf(withRole), 'AWS::ApiGateway::Stage')[0];
    expect(stage.AccessLogSetting).toBeDefined();
    const stageEntry = Object.values(resourcesOf(withRole)).find((r: any) => r.Type === 'AWS::ApiGateway::Stage') as any;
    expect([stageEntry.DependsOn].flat()).toContain(accountId);
  });
});

describe('cdk-nag', () => {
  test.each([['existing'], ['create']] as const)('apiGatewayLogsRole %s passes the AwsSolutions checks with its own acknowledgements', (role) => {
    const { app } = buildApp({ stage: 'prod', apiGatewayLogsRole: role, beforeSynth: (a) => withNag(a) });
    const error = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      expect(() => app.synth()).not.toThrow();
    } finally {
      error.mockRestore();
    }
  });
});
