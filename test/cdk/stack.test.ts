import { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { STATE_MACHINE_FILE } from '../../cdk/paths';
import { RESOURCES } from '../../cdk/resources';
import { FLAG_NAMES } from '../../lambdas/flags/definitions';
import { ModelRegistry } from '../../local/apigateway/models';
import { Resources, Statement, cfnText, ofType, statementsOfRole } from '../helpers/cfn';
import { Synthesized, buildApp, fileAssetText, removeSynthesized, synthesize } from '../helpers/synth';

// GIVEN the app as `cdk deploy` builds it (cdk.json feature flags, Lambdas bundled), synthesized once for the file.
let s: Synthesized;
let resources: Resources;
const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const props = (logicalId: string): any => resources[logicalId].Properties;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const NAMES = RESOURCES.map((r) => r.name);

beforeAll(() => {
  s = synthesize({ bundle: true });
  resources = s.template.toJSON().Resources;
});
afterAll(removeSynthesized);

/** The API Gateway methods of one path segment resource (e.g. the /orders or /orders/{id} resource). */
function methodsOf(apiResourceId: string): Record<string, any> {
  return Object.fromEntries(
    ofType(resources, 'AWS::ApiGateway::Method')
      .filter(([, p]) => p.ResourceId?.Ref === apiResourceId)
      .map(([, p]) => [p.HttpMethod, p]),
  );
}

function apiResourceIds(name: string): { collection: string; item: string } {
  const [collection] = ofType(resources, 'AWS::ApiGateway::Resource').find(([, p]) => p.PathPart === name)!;
  const [item] = ofType(resources, 'AWS::ApiGateway::Resource').find(([, p]) => p.PathPart === '{id}' && p.ParentId?.Ref === collection)!;
  return { collection, item };
}

describe.each(NAMES)('resource %s', (name) => {
  const r = () => s.stack.resources[name];
  const declaration = RESOURCES.find((d) => d.name === name)!;

  test('has its own on-demand table keyed by its key, with point-in-time recovery and encryption at rest', () => {
    expect(props(id(r().table))).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: declaration.key, KeyType: 'HASH' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  test('has an Express state machine that logs ALL with execution data to its own log group and is traced', () => {
    const sm = props(id(r().stateMachine));
    expect(sm.StateMachineType).toBe('EXPRESS');
    expect(sm.LoggingConfiguration).toMatchObject({ Level: 'ALL', IncludeExecutionData: true });
    const logGroups = sm.LoggingConfiguration.Destinations.map((d: any) => cfnText(d.CloudWatchLogsLogGroup.LogGroupArn));
    expect(logGroups).toHaveLength(1);
    expect(resources[logGroups[0].replace(/^<|\.Arn>$/g, '')].Type).toBe('AWS::Logs::LogGroup');
    expect(sm.TracingConfiguration).toEqual({ Enabled: true });
  });

  test("substitutes its own table, queue, the flags function and the event bus into the ASL", () => {
    const sm = props(id(r().stateMachine));
    expect(sm.DefinitionSubstitutions).toEqual({
      ResourceName: name,
      KeyAttribute: declaration.key,
      TableName: { Ref: id(r().table) },
      QueueUrl: { Ref: id(r().deadLetterQueue) },
      FlagsFunctionArn: { 'Fn::GetAtt': [id(s.stack.flags.function), 'Arn'] },
      EventBusName: { Ref: id(s.stack.eventBus) },
      RequestsTableName: { Ref: id(s.stack.requests.table) },
      CircuitTableName: { Ref: id(s.stack.circuits.table) },
    });
  });

  test('deploys the statemachines/ ASL unchanged, and every ${Name} in it is a substitution (none left unresolved)', () => {
    const sm = props(id(r().stateMachine));
    const definition = sm.DefinitionString ?? fileAssetText(s.assembly, sm.DefinitionS3Location.Key);
    expect(definition).toBe(fs.readFileSync(STATE_MACHINE_FILE, 'utf8'));
    const placeholders = new Set([...definition.matchAll(/\$\{([^}]*)\}/g)].map((m: RegExpMatchArray) => m[1]));
    expect([...placeholders].sort()).toEqual(Object.keys(sm.DefinitionSubstitutions).sort());
    // What CloudFormation deploys: each placeholder replaced; references stay references.
    let deployed = definition;
    for (const [key, value] of Object.entries(sm.DefinitionSubstitutions)) deployed = deployed.split('${' + key + '}').join(cfnText(value));
    expect(deployed).not.toContain('${');
    expect(deployed).toContain(`"TableName": "<${id(r().table)}>"`);
    expect(deployed).toContain(`"QueueUrl": "<${id(r().deadLetterQueue)}>"`);
    expect(deployed).toContain(`"FunctionName": "<${id(s.stack.flags.function)}.Arn>"`);
  });

  test.each(['collection', 'item'] as const)('every method of the %s path starts a sync execution of this resource only', (which) => {
    const methods = methodsOf(apiResourceIds(name)[which]);
    expect(Object.keys(methods).sort()).toEqual([...METHODS, 'OPTIONS'].sort());
    const apiRole = s.stack.resources[name].node.findChild('ApiRole');
    for (const method of METHODS) {
      const integration = methods[method].Integration;
      expect(integration.Type).toBe('AWS');
      expect(integration.IntegrationHttpMethod).toBe('POST');
      // The stack's region, not a hard-coded one (docs/pitfalls.md #12).
      expect(cfnText(integration.Uri)).toBe('arn:<AWS::Partition>:apigateway:<AWS::Region>:states:action/StartSyncExecution');
      expect(integration.Credentials).toEqual({ 'Fn::GetAtt': [id(apiRole), 'Arn'] });
      expect(integration.PassthroughBehavior).toBe('NEVER');
      const requestTemplate = cfnText(integration.RequestTemplates['application/json']);
      expect(requestTemplate).toContain(`"stateMachineArn": "<${id(r().stateMachine)}>"`);
      expect(requestTemplate).toContain('"name": "$context.requestId"');
      expect(requestTemplate).not.toContain('${');
      // Only allowlisted headers reach the execution history (docs/pitfalls.md #5).
      const vtl = requestTemplate.replace(/^##.*$/gm, '');
      expect(vtl).not.toMatch(/authorization|cookie/i);
      expect(vtl).toContain('\\"headers\\":{\\"ifMatch\\":\\"$ifMatchText\\",\\"ifNoneMatch\\":\\"$ifNoneMatchText\\",\\"idempotencyKey\\":\\"$idempotencyKeyText\\"}');
      for (const other of NAMES.filter((n) => n !== name)) expect(requestTemplate).not.toContain(id(s.stack.resources[other].stateMachine));
      // StartSyncExecution answers 200 for failed executions too: the 200 response template branches on status (docs/pitfalls.md #1).
      const ok = integration.IntegrationResponses.find((x: any) => x.StatusCode === '200');
      expect(ok.ResponseTemplates['application/json']).toContain('$execution.status == "SUCCEEDED"');
      expect(ok.ResponseParameters['method.response.header.X-Request-Id']).toBe('context.requestId');
      const refused = integration.IntegrationResponses.find((x: any) => x.SelectionPattern);
      expect(new RegExp(`^(${refused.SelectionPattern})$`).test('400')).toBe(true);
      expect(new RegExp(`^(${refused.SelectionPattern})$`).test('503')).toBe(true);
      expect(refused.StatusCode).toBe('502');
    }
  });

  test('validates bodies against the models on POST /{name}, PUT and PATCH /{name}/{id}, and nowhere else', () => {
    const { collection, item } = apiResourceIds(name);
    const [validatorId, validator] = ofType(resources, 'AWS::ApiGateway::RequestValidator')[0];
    expect(validator).toMatchObject({ ValidateRequestBody: true });
    const models = Object.fromEntries(ofType(resources, 'AWS::ApiGateway::Model').map(([mid, p]) => [p.Name, mid]));
    const modelName = name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    const expected: Record<string, string | undefined> = {
      [`${collection} POST`]: models[modelName],
      [`${item} PUT`]: models[modelName],
      [`${item} PATCH`]: models[`${modelName}Patch`],
    };
    for (const resourceId of [collection, item]) {
      const methods = methodsOf(resourceId);
      for (const method of METHODS) {
        const model = expected[`${resourceId} ${method}`];
        if (model) {
          expect(methods[method].RequestValidatorId).toEqual({ Ref: validatorId });
          // A PATCH body may be sent as application/merge-patch+json (RFC 7396) or application/json: the same model.
          const types = method === 'PATCH' ? ['application/json', 'application/merge-patch+json'] : ['application/json'];
          expect(methods[method].RequestModels).toEqual(Object.fromEntries(types.map((t) => [t, { Ref: model }])));
        } else {
          expect(methods[method].RequestModels).toBeUndefined();
        }
      }
    }
    // The full model requires what the schema requires; the PATCH model requires nothing.
    expect(props(models[modelName]).Schema.required).toEqual((declaration.schema as { required: string[] }).required);
    expect(props(models[`${modelName}Patch`]).Schema.required).toBeUndefined();
  });

  test('the PATCH model is a JSON merge patch: an optional attribute may be null (removed), types still hold, the key and required attributes cannot be removed', () => {
    // Validated as the local API Gateway validates (draft-04 models on ajv).
    const registry = ModelRegistry.fromTemplate(resources);
    const modelName = name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    const patch = (body: unknown) => registry.validator(`${modelName}Patch`)(body);
    const schema = declaration.schema as { properties: Record<string, { type: string }>; required: string[]; additionalProperties?: unknown };
    const kept = [declaration.key, ...schema.required];
    const optional = Object.keys(schema.properties).filter((p) => !kept.includes(p));
    const wrongType: Record<string, unknown> = { string: 12345, integer: 'one', number: 'one', boolean: 'yes', array: 'list', object: 'map' };
    expect(optional.length).toBeGreaterThan(0);

    expect(patch({})).toBe(false); // an empty patch changes nothing: 400 (docs/api.md#patch)
    for (const p of optional) {
      expect({ p, valid: patch({ [p]: null }) }).toEqual({ p, valid: true });
      expect({ p, valid: patch({ [p]: wrongType[schema.properties[p].type] }) }).toEqual({ p, valid: false });
    }
    for (const p of kept) expect({ p, valid: patch({ [p]: null }) }).toEqual({ p, valid: false });
    const [, model] = ofType(resources, 'AWS::ApiGateway::Model').find(([, m]) => m.Name === `${modelName}Patch`)!;
    // Unknown properties are refused (the declaration does not allow them), in the full model and in the patch.
    expect(model.Schema.additionalProperties).toBe(false);
    expect(patch({ [`${optional[0]}x`]: null })).toBe(false);
  });

  test('request templates: PATCH takes application/json and application/merge-patch+json (the same template), every other method application/json only', () => {
    const { collection, item } = apiResourceIds(name);
    for (const resourceId of [collection, item]) {
      for (const [method, p] of Object.entries(methodsOf(resourceId))) {
        if (method === 'OPTIONS') continue;
        const templates = p.Integration.RequestTemplates;
        expect({ method, types: Object.keys(templates).sort() }).toEqual({
          method,
          types: method === 'PATCH' ? ['application/json', 'application/merge-patch+json'] : ['application/json'],
        });
        expect(p.Integration.PassthroughBehavior).toBe('NEVER');
        if (method === 'PATCH') expect(cfnText(templates['application/merge-patch+json'])).toBe(cfnText(templates['application/json']));
      }
    }
  });

  test('has an encrypted, TLS-only dead-letter queue keeping messages 14 days, with an alarm on visible messages', () => {
    const queueId = id(r().deadLetterQueue);
    expect(props(queueId)).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
    const [, policy] = ofType(resources, 'AWS::SQS::QueuePolicy').find(([, p]) => p.Queues.some((q: any) => q.Ref === queueId))!;
    expect(policy.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const alarm = props(id(r().deadLetterAlarm));
    expect(alarm).toMatchObject({
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
    });
  });

  test('its state machine role reaches only its own table (Get/Put/Delete/Scan/BatchGet), the request records (Get/Put/Update) and its own queue', () => {
    const roleId = id(r().stateMachine.role);
    expect(props(roleId).ManagedPolicyArns).toBeUndefined();
    const statements = statementsOfRole(resources, roleId);
    expect(statements.every((st) => st.effect === 'Allow')).toBe(true);
    const touching = (prefix: string) => statements.filter((st) => st.actions.some((a) => a.startsWith(prefix)));

    const onTable = (table: string) => touching('dynamodb:').filter((st) => st.resources.includes(`<${table}.Arn>`));
    expect(new Set(onTable(id(r().table)).flatMap((st) => st.actions))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchGetItem']),
    );
    expect(new Set(onTable(id(s.stack.requests.table)).flatMap((st) => st.actions))).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']));
    expect(new Set(onTable(id(s.stack.circuits.table)).flatMap((st) => st.actions))).toEqual(new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']));
    for (const st of touching('dynamodb:')) expect(st.resources.length).toBe(1);
    expect(touching('sqs:').flatMap((st) => st.actions)).toContain('sqs:SendMessage');
    for (const st of touching('sqs:')) {
      expect(st.resources).toEqual([`<${id(r().deadLetterQueue)}.Arn>`]);
      expect(st.actions.every((a) => ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'].includes(a))).toBe(true);
    }
    // Resource "*" only for the actions that have no resource-level permissions (log delivery, X-Ray).
    for (const st of statements.filter((x) => x.resources.includes('*'))) {
      for (const action of st.actions) expect(action).toMatch(/^(logs:(Create|Get|Update|Delete|List)LogDeliver(y|ies)|logs:PutResourcePolicy|logs:DescribeResourcePolicies|logs:DescribeLogGroups|xray:\w+)$/);
    }
    const text = JSON.stringify(statements);
    for (const other of NAMES.filter((n) => n !== name)) {
      const o = s.stack.resources[other];
      for (const foreign of [id(o.table), id(o.deadLetterQueue), id(o.stateMachine)]) expect(text).not.toContain(foreign);
    }
  });

  test('its API role may only StartSyncExecution on its own state machine', () => {
    const statements = statementsOfRole(resources, id(s.stack.resources[name].node.findChild('ApiRole')));
    expect(statements).toEqual<Statement[]>([
      { effect: 'Allow', actions: ['states:StartSyncExecution'], resources: [`<${id(r().stateMachine)}>`] },
    ]);
  });
});

test('PATCH /customers/{id} with {"phone": null} passes the model (it removes the phone); a number for phone or a null email does not', () => {
  const validate = ModelRegistry.fromTemplate(resources).validator('CustomersPatch');
  expect(validate({ phone: null })).toBe(true);
  expect(validate({ phone: '+44 20 7946 0000', name: 'Ada' })).toBe(true);
  expect(validate({ phone: 442079460000 })).toBe(false);
  expect(validate({ email: null })).toBe(false);
  expect(validate({ customerId: null })).toBe(false);
  // The POST/PUT model is unchanged: null is no phone number there.
  expect(ModelRegistry.fromTemplate(resources).validator('Customers')({ name: 'Ada', email: 'ada@example.com', phone: null })).toBe(false);
});

describe('API', () => {
  test('the stage is traced and throttled (its logging needs the account role: test/cdk/deployment-settings.test.ts)', () => {
    const [, stage] = ofType(resources, 'AWS::ApiGateway::Stage')[0];
    expect(stage.TracingEnabled).toBe(true);
    expect(stage.MethodSettings).toContainEqual(
      expect.objectContaining({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: expect.any(Number), ThrottlingBurstLimit: expect.any(Number) }),
    );
  });

  test.each([
    ['BAD_REQUEST_BODY', '400'],
    ['BAD_REQUEST_PARAMETERS', '400'],
    ['MISSING_AUTHENTICATION_TOKEN', '403'],
    ['INVALID_SIGNATURE', '403'],
    ['EXPIRED_TOKEN', '403'],
    ['ACCESS_DENIED', '403'],
    ['UNAUTHORIZED', '401'],
    ['REQUEST_TOO_LARGE', '413'],
    ['UNSUPPORTED_MEDIA_TYPE', '415'],
    ['THROTTLED', '429'],
    ['INTEGRATION_TIMEOUT', '504'],
    ['DEFAULT_4XX', undefined],
    ['DEFAULT_5XX', undefined],
  ])('gateway response %s answers problem JSON (status %s, undefined = API Gateway\'s own) with the request id', (type, status) => {
    const [, response] = ofType(resources, 'AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === type)!;
    expect(response.StatusCode).toBe(status);
    // A gateway response header cannot map context.requestId (the deploy fails): the id is in the body and x-amzn-RequestId.
    expect(response.ResponseParameters['gatewayresponse.header.X-Request-Id']).toBeUndefined();
    const template: string = response.ResponseTemplates['application/json'];
    expect(template).toContain('"requestId":"$context.requestId"');
    // Once API Gateway substitutes its variables the body is JSON (messageString is already quoted).
    const rendered = template.replace(/\$context\.error\.messageString/g, '"some message"').replace(/\$context\.[\w.]+/g, 'x');
    expect(JSON.parse(rendered)).toMatchObject({ type: 'about:blank', ...(status ? { status: Number(status) } : {}) });
  });

  test("BAD_REQUEST_BODY names the refused model; the validator's report (quotes unescaped, and templates are not VTL) stays out of the body", () => {
    const [, response] = ofType(resources, 'AWS::ApiGateway::GatewayResponse').find(([, p]) => p.ResponseType === 'BAD_REQUEST_BODY')!;
    const template: string = response.ResponseTemplates['application/json'];
    expect(template).not.toContain('validationErrorString');
    expect(template).not.toMatch(/#(if|set|foreach)|\$util\./);
    // API Gateway substitutes the variables; the message of this type has no quotes, so it can sit inside a JSON string.
    const rendered = template
      .replace('$context.error.message', 'Invalid request body')
      .replace('$context.httpMethod', 'POST')
      .replace('$context.resourcePath', '/orders')
      .replace('$context.requestId', 'r-1');
    expect(JSON.parse(rendered).detail).toBe('Invalid request body: the body does not match the model of POST /orders.');
  });

  test('no mapping template of any method keeps an unresolved ${placeholder}', () => {
    for (const [, method] of ofType(resources, 'AWS::ApiGateway::Method')) {
      const texts = [
        ...Object.values(method.Integration?.RequestTemplates ?? {}),
        ...(method.Integration?.IntegrationResponses ?? []).flatMap((x: any) => Object.values(x.ResponseTemplates ?? {})),
      ].map(cfnText);
      for (const text of texts) expect(text).not.toMatch(/\$\{[A-Za-z]+\}/);
    }
  });
});

describe('feature flags', () => {
  test('AppConfig has an application, an environment and a hosted AWS.AppConfig.FeatureFlags profile', () => {
    s.template.resourceCountIs('AWS::AppConfig::Application', 1);
    s.template.resourceCountIs('AWS::AppConfig::Environment', 1);
    s.template.hasResourceProperties('AWS::AppConfig::ConfigurationProfile', { Type: 'AWS.AppConfig.FeatureFlags', LocationUri: 'hosted' });
  });

  test('the hosted version defines and sets readOnly, softDelete and publishEvents (all off by default) and circuitBreaker (on) with its settings as constrained attributes', () => {
    const [, version] = ofType(resources, 'AWS::AppConfig::HostedConfigurationVersion')[0];
    expect(version.ContentType).toBe('application/json');
    const content = JSON.parse(version.Content);
    expect(Object.keys(content.flags).sort()).toEqual(['circuitBreaker', 'publishEvents', 'readOnly', 'softDelete']);
    expect(content.values).toEqual({
      readOnly: { enabled: false },
      softDelete: { enabled: false },
      publishEvents: { enabled: false },
      circuitBreaker: { enabled: true, failureThreshold: 5, windowSeconds: 60, coolDownSeconds: 30, maxCoolDownSeconds: 300, force: 'none' },
    });
    expect(content.flags.circuitBreaker.attributes.force.constraints).toEqual({ type: 'string', enum: ['none', 'open', 'closed'], required: true });
    expect(content.flags.circuitBreaker.attributes.failureThreshold.constraints).toMatchObject({ type: 'number', minimum: 1 });
    expect([...FLAG_NAMES].sort()).toEqual(Object.keys(content.flags).sort());
  });

  test('a deployment rolls that version out to the environment', () => {
    const [versionId] = ofType(resources, 'AWS::AppConfig::HostedConfigurationVersion')[0];
    s.template.hasResourceProperties('AWS::AppConfig::Deployment', {
      ConfigurationVersion: { Ref: versionId },
      EnvironmentId: { Ref: id(s.stack.flags.environment) },
      ConfigurationProfileId: { Ref: Match.anyValue() },
    });
  });

  test('the flags Lambda reads that profile with the appconfig: data-plane actions (docs/pitfalls.md #10)', () => {
    const fn = props(id(s.stack.flags.function));
    expect(fn.Environment.Variables).toEqual({
      APPCONFIG_APPLICATION_ID: { Ref: id(s.stack.flags.application) },
      APPCONFIG_ENVIRONMENT_ID: { Ref: id(s.stack.flags.environment) },
      APPCONFIG_PROFILE_ID: { Ref: ofType(resources, 'AWS::AppConfig::ConfigurationProfile')[0][0] },
    });
    const roleId = id(s.stack.flags.function.role!);
    const appconfig = statementsOfRole(resources, roleId).filter((st) => st.actions.some((a) => a.startsWith('appconfig')));
    expect(new Set(appconfig.flatMap((st) => st.actions))).toEqual(new Set(['appconfig:StartConfigurationSession', 'appconfig:GetLatestConfiguration']));
    for (const st of appconfig) {
      expect(st.resources).toEqual([
        `arn:<AWS::Partition>:appconfig:<AWS::Region>:<AWS::AccountId>:application/<${id(s.stack.flags.application)}>/environment/<${id(s.stack.flags.environment)}>/configuration/*`,
      ]);
    }
  });
});

describe('Lambdas', () => {
  test('both Lambdas run on nodejs22.x with X-Ray tracing', () => {
    const functions = ofType(resources, 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
    for (const [, fn] of functions) expect(fn).toMatchObject({ Runtime: 'nodejs22.x', TracingConfig: { Mode: 'Active' } });
  });

  test('both are bundled by esbuild into an index.js (the handlers compile)', () => {
    for (const fn of [s.stack.flags.function, s.stack.redrive.function]) {
      const code = props(id(fn)).Code;
      const manifest = fs.readdirSync(s.assembly.directory).find((f) => f.endsWith('.assets.json'))!;
      const files = JSON.parse(fs.readFileSync(path.join(s.assembly.directory, manifest), 'utf8')).files;
      const asset: any = Object.values(files).find((a: any) => Object.values<any>(a.destinations).some((d) => d.objectKey === code.S3Key));
      expect(fs.existsSync(path.join(s.assembly.directory, asset.source.path, 'index.js'))).toBe(true);
    }
  });

  test('the redrive Lambda runs on a schedule with an empty event (all resources)', () => {
    const fnId = id(s.stack.redrive.function);
    const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, p]) => p.ScheduleExpression && p.Targets.some((t: any) => cfnText(t.Arn) === `<${fnId}.Arn>`))!;
    expect(rule.ScheduleExpression).toMatch(/^rate\(\d+ minutes?\)$/);
    expect(rule.State).toBe('ENABLED');
    expect(JSON.parse(rule.Targets[0].Input)).toEqual({});
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
    });
  });

  test('the redrive Lambda knows every queue/state machine pair and may consume each queue, start each machine and put (deferred) events on the app bus', () => {
    const fn = props(id(s.stack.redrive.function));
    const targets = JSON.parse(cfnText(fn.Environment.Variables.REDRIVE_TARGETS));
    const statements = statementsOfRole(resources, id(s.stack.redrive.function.role!));
    const allowed = (action: string, resource: string) => statements.some((st) => st.actions.includes(action) && st.resources.includes(resource));
    expect(targets).toEqual(
      NAMES.map((n) => ({
        resource: n,
        queueUrl: `<${id(s.stack.resources[n].deadLetterQueue)}>`,
        stateMachineArn: `<${id(s.stack.resources[n].stateMachine)}>`,
      })),
    );
    for (const n of NAMES) {
      const queueArn = `<${id(s.stack.resources[n].deadLetterQueue)}.Arn>`;
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:SendMessage']) expect(allowed(action, queueArn)).toBe(true);
      expect(allowed('states:StartSyncExecution', `<${id(s.stack.resources[n].stateMachine)}>`)).toBe(true);
    }
    // Deferred events (DLQ messages of kind "event") are published to the bus the state machines publish to.
    expect(allowed('events:PutEvents', `<${id(s.stack.eventBus)}.Arn>`)).toBe(true);
    expect(statements.filter((st) => st.actions.includes('events:PutEvents')).flatMap((st) => st.resources)).toEqual([`<${id(s.stack.eventBus)}.Arn>`]);
    // And nothing beyond that (plus X-Ray).
    for (const st of statements) for (const a of st.actions) expect(a).toMatch(/^(sqs:(ReceiveMessage|DeleteMessage|ChangeMessageVisibility|GetQueueUrl|GetQueueAttributes|SendMessage)|states:StartSyncExecution|events:PutEvents|xray:\w+)$/);
  });

  test('the redrive runs one at a time, every minute, and a tick that finds a run going is dropped within a minute', () => {
    const fn = props(id(s.stack.redrive.function));
    expect(fn.ReservedConcurrentExecutions).toBe(1);
    const [, invokeConfig] = ofType(resources, 'AWS::Lambda::EventInvokeConfig')[0];
    expect(invokeConfig).toMatchObject({ MaximumEventAgeInSeconds: 60, MaximumRetryAttempts: 0 });
    const schedule = ofType(resources, 'AWS::Events::Rule').find(([, p]) => p.ScheduleExpression)![1];
    expect(schedule.ScheduleExpression).toBe('rate(1 minute)');
    expect(fn.Timeout).toBeLessThanOrEqual(300);
  });

  test('a request waiting more than 6 hours pages, by the redrive\'s own age metric and by SQS\'s (which skips messages received 3+ times)', () => {
    const alarms = ofType(resources, 'AWS::CloudWatch::Alarm').map(([, p]) => p);
    for (const n of NAMES) {
      const own = alarms.find((a) => a.MetricName === 'OldestQueuedRequestAgeSeconds' && a.Dimensions?.[0]?.Value === n);
      expect(own).toMatchObject({ Namespace: 'CrudApi/Redrive', Threshold: 21600, Statistic: 'Maximum' });
      const sqsAge = alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && cfnText(a.Dimensions?.[0]?.Value).includes(id(s.stack.resources[n].deadLetterQueue)));
      expect(sqsAge).toMatchObject({ Threshold: 21600 });
    }
    // Far below the queues' retention.
    for (const n of NAMES) expect(props(id(s.stack.resources[n].deadLetterQueue)).MessageRetentionPeriod).toBe(14 * 86400);
  });
});

describe('request records', () => {
  const s = synthesize();
  const resources: Resources = s.template.toJSON().Resources;
  const id = (c: IConstruct) => s.stack.getLogicalId(c.node.defaultChild as CfnElement);
  afterAll(removeSynthesized);

  test('live in one table keyed by pk, with a TTL (30 days) that outlives the queues\' 14-day retention', () => {
    const table = resources[id(s.stack.requests.table)].Properties;
    expect(table.KeySchema).toEqual([{ AttributeName: 'pk', KeyType: 'HASH' }]);
    expect(table.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
    const asl = fs.readFileSync(STATE_MACHINE_FILE, 'utf8');
    expect(asl).toContain('$floor($request.receivedAt / 1000) + 2592000');
  });

  test('GET /requests/{id} reads the record straight from DynamoDB (no execution), with a consistent read', () => {
    const [requestsId] = ofType(resources, 'AWS::ApiGateway::Resource').find(([, p]) => p.PathPart === 'requests')!;
    const [itemId] = ofType(resources, 'AWS::ApiGateway::Resource').find(([, p]) => p.ParentId?.Ref === requestsId)!;
    const methods = ofType(resources, 'AWS::ApiGateway::Method').filter(([, p]) => p.ResourceId?.Ref === itemId && p.HttpMethod !== 'OPTIONS');
    expect(methods.map(([, p]) => p.HttpMethod)).toEqual(['GET']);
    const integration = methods[0][1].Integration;
    expect(cfnText(integration.Uri)).toBe('arn:<AWS::Partition>:apigateway:<AWS::Region>:dynamodb:action/GetItem');
    const template = cfnText(integration.RequestTemplates['application/json']);
    expect(template).toContain(`"TableName":"<${id(s.stack.requests.table)}>"`);
    expect(template).toContain('"ConsistentRead":true');
    expect(integration.IntegrationResponses.map((r: any) => r.StatusCode).sort()).toEqual(['200', '503']);
  });

  test('a closed circuit starts the redrive at once: a rule on the app bus for "Circuit closed" targets the redrive Lambda', () => {
    const fnId = id(s.stack.redrive.function);
    const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, p]) => p.EventPattern?.source?.includes('crud-api.circuit'))!;
    expect(rule.EventPattern).toEqual({ source: ['crud-api.circuit'], 'detail-type': ['Circuit closed'] });
    expect(cfnText(rule.EventBusName)).toBe(`<${id(s.stack.eventBus)}>`);
    expect(rule.Targets.map((t: any) => cfnText(t.Arn))).toEqual([`<${fnId}.Arn>`]);
  });

  test('an alarm on each table\'s throttles and system errors opens its circuit: EventBridge (state ALARM) starts the circuit control machine with the resource', () => {
    const controlId = id(s.stack.circuits.control);
    for (const n of NAMES) {
      const [alarmId, alarm] = ofType(resources, 'AWS::CloudWatch::Alarm').find(([, p]) => (p.Metrics ?? []).some((m: any) => m.MetricStat && (m.MetricStat.Metric.Dimensions ?? []).some((d: any) => d.Name === 'TableName' && cfnText(d.Value) === `<${id(s.stack.resources[n].table)}>`)))!;
      expect(alarm).toMatchObject({ Threshold: 20, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
      const metricNames = new Set(alarm.Metrics.filter((m: any) => m.MetricStat).map((m: any) => m.MetricStat.Metric.MetricName));
      expect(metricNames).toEqual(new Set(['ThrottledRequests', 'SystemErrors']));
      const [, rule] = ofType(resources, 'AWS::Events::Rule').find(([, p]) => JSON.stringify(p.EventPattern ?? {}).includes(alarmId))!;
      expect(rule.EventPattern).toMatchObject({ source: ['aws.cloudwatch'], 'detail-type': ['CloudWatch Alarm State Change'], detail: { state: { value: ['ALARM'] } } });
      expect(cfnText(rule.Targets[0].Arn)).toBe(`<${controlId}>`);
      expect(JSON.parse(cfnText(rule.Targets[0].Input))).toMatchObject({ resource: n });
    }
    expect(props(controlId).StateMachineType).toBe('EXPRESS');
  });

  test('the name "requests" cannot be a resource', () => {
    expect(() => synthesize({ resources: [{ name: 'requests', key: 'requestId', schema: { type: 'object' } }] })).toThrow('taken by the request records');
  });
});

describe('declarations', () => {
  const schema = { type: 'object', properties: { pizzaId: { type: 'string' }, name: { type: 'string' } }, required: ['name'] };

  test('a third resource is one declaration: it gets its own table, state machine, queue and routes', () => {
    // GIVEN the default resources plus pizzas
    const third = synthesize({ resources: [...RESOURCES, { name: 'pizzas', key: 'pizzaId', schema }] });
    const res: Resources = third.template.toJSON().Resources;
    const pid = (c: IConstruct) => third.stack.getLogicalId(c.node.defaultChild as CfnElement);
    const pizzas = third.stack.resources.pizzas;

    // THEN
    third.template.resourceCountIs('AWS::DynamoDB::Table', 5); // three resources + the request records + the circuits
    third.template.resourceCountIs('AWS::StepFunctions::StateMachine', 4); // three resources + the circuit control
    third.template.resourceCountIs('AWS::SQS::Queue', 3);
    expect(res[pid(pizzas.table)].Properties.KeySchema).toEqual([{ AttributeName: 'pizzaId', KeyType: 'HASH' }]);
    expect(res[pid(pizzas.stateMachine)].Properties.DefinitionSubstitutions).toMatchObject({
      ResourceName: 'pizzas',
      KeyAttribute: 'pizzaId',
      TableName: { Ref: pid(pizzas.table) },
      QueueUrl: { Ref: pid(pizzas.deadLetterQueue) },
    });
    const [collection] = ofType(res, 'AWS::ApiGateway::Resource').find(([, p]) => p.PathPart === 'pizzas')!;
    const [item] = ofType(res, 'AWS::ApiGateway::Resource').find(([, p]) => p.ParentId?.Ref === collection)!;
    for (const resourceId of [collection, item]) {
      const methods = ofType(res, 'AWS::ApiGateway::Method').filter(([, p]) => p.ResourceId?.Ref === resourceId && p.HttpMethod !== 'OPTIONS');
      expect(methods.map(([, p]) => p.HttpMethod).sort()).toEqual([...METHODS].sort());
      for (const [, m] of methods) expect(cfnText(m.Integration.RequestTemplates['application/json'])).toContain(`<${pid(pizzas.stateMachine)}>`);
    }
    expect(statementsOfRole(res, pid(pizzas.node.findChild('ApiRole')))).toEqual([
      { effect: 'Allow', actions: ['states:StartSyncExecution'], resources: [`<${pid(pizzas.stateMachine)}>`] },
    ]);
    const targets = JSON.parse(cfnText(res[pid(third.stack.redrive.function)].Properties.Environment.Variables.REDRIVE_TARGETS));
    expect(targets.map((t: { resource: string }) => t.resource)).toEqual(['orders', 'customers', 'pizzas']);
  });

  test.each([
    ['upper case', 'Pizzas', /Resource name "Pizzas" must be lowercase letters, digits and dashes/],
    ['a slash', 'pizzas/toppings', /Resource name "pizzas\/toppings"/],
    ['a leading digit', '1pizzas', /Resource name "1pizzas"/],
    ['an empty string', '', /Resource name ""/],
  ])('a resource name with %s is refused', (_what, name, message) => {
    expect(() => buildApp({ resources: [{ name, key: 'pizzaId', schema }] })).toThrow(message);
  });

  test.each(['version', 'data', 'requestToken', 'deletedAt', 'createdAt', 'updatedAt', 'lastRequestAt'])(
    'the reserved attribute %s is refused as a key',
    (key) => {
      expect(() => buildApp({ resources: [{ name: 'pizzas', key, schema }] })).toThrow(`Key "${key}" of resource "pizzas"`);
    },
  );

  test('a key that is not a plain attribute name is refused', () => {
    expect(() => buildApp({ resources: [{ name: 'pizzas', key: 'pizza-id', schema }] })).toThrow('Key "pizza-id" of resource "pizzas"');
  });

  test('two resources with the same name are refused', () => {
    expect(() => buildApp({ resources: [...RESOURCES, { name: 'orders', key: 'id', schema }] })).toThrow(
      'Resource names must be unique, got orders, customers, orders',
    );
  });
});
