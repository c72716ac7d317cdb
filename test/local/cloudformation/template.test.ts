/**
 * ResolvedTemplate: the local physical ids of a synthesized template and the intrinsic functions the app
 * uses (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, pseudo parameters), with hand-written
 * templates (no CDK synth).
 */
import { LOCAL_ACCOUNT, LOCAL_REGION, ResolvedTemplate, Template, shortId } from '../../../local/cloudformation/template';

const template: Template = {
  Parameters: {
    Env: { Type: 'String', Default: 'dev' },
    Zones: { Type: 'CommaDelimitedList', Default: 'a,b,c' },
    NoDefault: { Type: 'String' },
  },
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { KeySchema: [] } },
    NamedTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    SubNamedTable: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::Sub': '${AWS::StackName}-${Env}-customers' } } },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    NamedQueue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'dlq' } },
    Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineType: 'EXPRESS' } },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'redrive' } },
    Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'app-events' } },
    Rule: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(5 minutes)' } },
    Role: { Type: 'AWS::IAM::Role', Properties: {} },
    Logs: { Type: 'AWS::Logs::LogGroup', Properties: { LogGroupName: '/aws/vendedlogs/states/x' } },
    Api: { Type: 'AWS::ApiGateway::RestApi', Properties: { Name: 'Api' } },
    Stage: { Type: 'AWS::ApiGateway::Stage', Properties: { StageName: 'v1', RestApiId: { Ref: 'Api' } } },
    App: { Type: 'AWS::AppConfig::Application', Properties: { Name: 'flags' } },
    Env1: { Type: 'AWS::AppConfig::Environment', Properties: { ApplicationId: { Ref: 'App' }, Name: 'prod' } },
    Version: { Type: 'AWS::AppConfig::HostedConfigurationVersion', Properties: {} },
    Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: {} },
  },
  Outputs: {
    ApiUrl: { Value: { 'Fn::Join': ['', ['https://', { Ref: 'Api' }, '.execute-api.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }, '/', { Ref: 'Stage' }, '/']] } },
    TableName: { Value: { Ref: 'Table' } },
  },
};

const resolved = () => new ResolvedTemplate(template, 'CrudApi', { endpointUrl: 'http://127.0.0.1:4566' });
const arn = (service: string, rest: string) => `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${rest}`;

describe('Ref: physical ids of each resource type', () => {
  const t = resolved();

  test('DynamoDB table: the TableName, else <stack>-<logicalId>; Arn and StreamArn', () => {
    expect(t.ref('Table')).toBe('CrudApi-Table');
    expect(t.ref('NamedTable')).toBe('orders');
    expect(t.getAtt('NamedTable', 'Arn')).toBe(arn('dynamodb', 'table/orders'));
    expect(t.getAtt('NamedTable', 'StreamArn')).toBe(arn('dynamodb', 'table/orders/stream/local'));
  });

  test('a name given with an intrinsic is resolved, not replaced by a generated one', () => {
    expect(t.ref('SubNamedTable')).toBe('CrudApi-dev-customers');
  });

  test('SQS queue: Ref is the queue URL on the endpoint; Arn, QueueName, QueueUrl', () => {
    expect(t.ref('Queue')).toBe('http://127.0.0.1:4566/000000000000/CrudApi-Queue');
    expect(t.ref('NamedQueue')).toBe('http://127.0.0.1:4566/000000000000/dlq');
    expect(t.getAtt('NamedQueue', 'Arn')).toBe(arn('sqs', 'dlq'));
    expect(t.getAtt('NamedQueue', 'QueueName')).toBe('dlq');
    expect(t.getAtt('NamedQueue', 'QueueUrl')).toBe(t.ref('NamedQueue'));
    expect(new ResolvedTemplate(template, 'S').ref('NamedQueue')).toBe('http://localhost:4566/000000000000/dlq');
  });

  test('state machine: Ref is the ARN; Name', () => {
    expect(t.ref('Machine')).toBe(arn('states', 'stateMachine:CrudApi-Machine'));
    expect(t.getAtt('Machine', 'Arn')).toBe(t.ref('Machine'));
    expect(t.getAtt('Machine', 'Name')).toBe('CrudApi-Machine');
  });

  test('Lambda function, event bus, rule, role, log group', () => {
    expect(t.ref('Fn')).toBe('redrive');
    expect(t.getAtt('Fn', 'Arn')).toBe(arn('lambda', 'function:redrive'));
    expect(t.ref('Bus')).toBe('app-events');
    expect(t.getAtt('Bus', 'Arn')).toBe(arn('events', 'event-bus/app-events'));
    expect(t.getAtt('Bus', 'Name')).toBe('app-events');
    expect(t.ref('Rule')).toBe('CrudApi-Rule');
    expect(t.getAtt('Rule', 'Arn')).toBe(arn('events', 'rule/CrudApi-Rule'));
    expect(t.ref('Role')).toBe('CrudApi-Role');
    expect(t.getAtt('Role', 'Arn')).toBe('arn:aws:iam::000000000000:role/CrudApi-Role');
    expect(t.getAtt('Role', 'RoleId')).toMatch(/^AROA/);
    expect(t.ref('Logs')).toBe('/aws/vendedlogs/states/x');
    expect(t.getAtt('Logs', 'Arn')).toBe(arn('logs', 'log-group:/aws/vendedlogs/states/x:*'));
  });

  test('API Gateway: RestApi is a short id with a RootResourceId; Stage is its StageName', () => {
    expect(t.ref('Api')).toBe(shortId('Api'));
    expect(t.ref('Api')).toMatch(/^[0-9a-z]{7}$/);
    expect(t.getAtt('Api', 'RootResourceId')).toBe(shortId('ApiRoot'));
    expect(t.getAtt('Api', 'RootResourceId')).not.toBe(t.ref('Api'));
    expect(t.getAtt('Api', 'RestApiId')).toBe(t.ref('Api'));
    expect(t.ref('Stage')).toBe('v1');
  });

  test('AppConfig: generated short ids; the hosted configuration version is 1', () => {
    expect(t.ref('App')).toBe(shortId('App'));
    expect(t.getAtt('App', 'ApplicationId')).toBe(shortId('App'));
    expect(t.getAtt('Env1', 'EnvironmentId')).toBe(shortId('Env1'));
    expect(t.ref('Version')).toBe('1');
    expect(t.getAtt('Version', 'VersionNumber')).toBe('1');
  });

  test('any other type: a generated name and an Arn', () => {
    expect(t.ref('Alarm')).toBe('CrudApi-Alarm');
    expect(t.getAtt('Alarm', 'Arn')).toBe(arn('local', 'CrudApi-Alarm'));
  });

  test('generated names are at most 64 characters', () => {
    const long = 'L'.repeat(100);
    const r = new ResolvedTemplate({ Resources: { [long]: { Type: 'AWS::SQS::Queue' } } }, 'Stack');
    expect(r.getAtt(long, 'QueueName')).toHaveLength(64);
  });

  test('unknown resources and attributes throw, naming them', () => {
    expect(() => t.ref('Nope')).toThrow('Ref to unknown resource Nope');
    expect(() => t.getAtt('Nope', 'Arn')).toThrow('Fn::GetAtt on unknown resource Nope');
    expect(() => t.getAtt('Stage', 'Arn')).toThrow('Fn::GetAtt Stage.Arn (AWS::ApiGateway::Stage) is not emulated');
  });

  test('resourcesOfType lists the resources of a type with resolved properties', () => {
    const envs = t.resourcesOfType('AWS::AppConfig::Environment');
    expect(envs).toHaveLength(1);
    expect(envs[0].logicalId).toBe('Env1');
    expect(envs[0].properties).toEqual({ ApplicationId: shortId('App'), Name: 'prod' });
    expect(t.resourcesOfType('AWS::SNS::Topic')).toEqual([]);
  });
});

describe('intrinsic functions', () => {
  const t = resolved();

  test('Ref of a parameter is its Default; list parameters are lists; no Default throws', () => {
    expect(t.resolve({ Ref: 'Env' })).toBe('dev');
    expect(t.resolve({ Ref: 'Zones' })).toEqual(['a', 'b', 'c']);
    expect(() => t.resolve({ Ref: 'NoDefault' }, 'Thing')).toThrow(/^Thing: Ref to parameter NoDefault, which has no Default/);
  });

  test('Fn::GetAtt in list and dotted forms', () => {
    expect(t.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe(arn('lambda', 'function:redrive'));
    expect(t.resolve({ 'Fn::GetAtt': 'Fn.Arn' })).toBe(arn('lambda', 'function:redrive'));
  });

  test('Fn::Join, with nested intrinsics', () => {
    expect(t.resolve({ 'Fn::Join': ['-', ['a', { Ref: 'Env' }, { 'Fn::GetAtt': ['Bus', 'Name'] }]] })).toBe('a-dev-app-events');
    expect(t.resolve({ 'Fn::Join': [',', { 'Fn::Split': ['|', 'x|y'] }] })).toBe('x,y');
    expect(t.resolve({ 'Fn::Join': ['', []] })).toBe('');
  });

  test('Fn::Sub: ${Ref}, ${Res.Attr}, pseudo parameters, a variables map, ${!Literal}', () => {
    expect(t.resolve({ 'Fn::Sub': 'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${NamedQueue.QueueName}' })).toBe(arn('sqs', 'dlq'));
    expect(t.resolve({ 'Fn::Sub': '${Fn}/${Fn.Arn}/${Env}' })).toBe(`redrive/${arn('lambda', 'function:redrive')}/dev`);
    expect(t.resolve({ 'Fn::Sub': ['${Greeting}, ${Who}! ${Env}', { Greeting: 'Hello', Who: { Ref: 'Stage' } }] })).toBe('Hello, v1! dev');
    // A variable wins over the resource or parameter of the same name.
    expect(t.resolve({ 'Fn::Sub': ['${Env}', { Env: 'from-map' }] })).toBe('from-map');
    expect(t.resolve({ 'Fn::Sub': '${!Literal} and ${!AWS::Region} stay' })).toBe('${Literal} and ${AWS::Region} stay');
    expect(t.resolve({ 'Fn::Sub': 'no variables' })).toBe('no variables');
  });

  test('Fn::Sub: a substituted value is not substituted again', () => {
    expect(t.resolve({ 'Fn::Sub': ['${A}', { A: '${!B} ${Env}' }] })).toBe('${!B} ${Env}');
  });

  test('Fn::Select and Fn::Split', () => {
    expect(t.resolve({ 'Fn::Select': [1, ['a', 'b', 'c']] })).toBe('b');
    expect(t.resolve({ 'Fn::Select': ['2', { 'Fn::Split': [',', 'x,y,z'] }] })).toBe('z');
    expect(t.resolve({ 'Fn::Select': [0, { Ref: 'Zones' }] })).toBe('a');
    expect(t.resolve({ 'Fn::Select': [0, { 'Fn::GetAZs': '' }] })).toBe('us-east-1a');
    expect(t.resolve({ 'Fn::Split': ['/', { 'Fn::Sub': '${AWS::Region}/x' }] })).toEqual(['us-east-1', 'x']);
    // The state machine name out of its ARN, as CDK templates do.
    expect(t.resolve({ 'Fn::Select': [6, { 'Fn::Split': [':', { Ref: 'Machine' }] }] })).toBe('CrudApi-Machine');
  });

  test('Fn::Select out of range or on a non-list, Fn::Split of a non-string: errors, not garbage', () => {
    expect(() => t.resolve({ 'Fn::Select': [3, ['a', 'b', 'c']] }, 'Res')).toThrow('Res: Fn::Select index 3 is out of range (the list has 3 elements)');
    expect(() => t.resolve({ 'Fn::Select': [-1, ['a']] }, 'Res')).toThrow(/out of range/);
    expect(() => t.resolve({ 'Fn::Select': [0, 'abc'] }, 'Res')).toThrow('Res: Fn::Select needs a list, got "abc"');
    expect(() => t.resolve({ 'Fn::Split': [',', ['a']] }, 'Res')).toThrow(/Res: Fn::Split needs a string/);
    expect(() => t.resolve({ 'Fn::Join': [',', 'a'] }, 'Res')).toThrow(/Res: Fn::Join needs a list/);
  });

  test('pseudo parameters', () => {
    expect(t.resolve({ Ref: 'AWS::Region' })).toBe('us-east-1');
    expect(t.resolve({ Ref: 'AWS::AccountId' })).toBe('000000000000');
    expect(t.resolve({ Ref: 'AWS::Partition' })).toBe('aws');
    expect(t.resolve({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com');
    expect(t.resolve({ Ref: 'AWS::StackName' })).toBe('CrudApi');
    expect(t.resolve({ Ref: 'AWS::StackId' })).toMatch(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/CrudApi\//);
    expect(t.resolve({ Ref: 'AWS::NotificationARNs' })).toEqual([]);
  });

  test('region and account options flow into pseudo parameters and ARNs; China regions use aws-cn', () => {
    const eu = new ResolvedTemplate(template, 'S', { region: 'eu-west-1', account: '123456789012' });
    expect(eu.resolve({ 'Fn::Sub': '${AWS::Region}/${AWS::AccountId}' })).toBe('eu-west-1/123456789012');
    expect(eu.getAtt('Fn', 'Arn')).toBe('arn:aws:lambda:eu-west-1:123456789012:function:redrive');
    const cn = new ResolvedTemplate(template, 'S', { region: 'cn-north-1' });
    expect(cn.resolve({ Ref: 'AWS::Partition' })).toBe('aws-cn');
    expect(cn.resolve({ Ref: 'AWS::URLSuffix' })).toBe('amazonaws.com.cn');
    expect(cn.getAtt('Fn', 'Arn')).toBe('arn:aws-cn:lambda:cn-north-1:000000000000:function:redrive');
  });

  test('AWS::NoValue removes the property or the list element', () => {
    expect(t.resolve({ A: 1, B: { Ref: 'AWS::NoValue' } })).toEqual({ A: 1 });
    expect('B' in (t.resolve({ A: 1, B: { Ref: 'AWS::NoValue' } }) as object)).toBe(false);
    expect(t.resolve(['a', { Ref: 'AWS::NoValue' }, 'b'])).toEqual(['a', 'b']);
    expect(t.resolve({ Ref: 'AWS::NoValue' })).toBeUndefined();
  });

  test('plain values, nested objects and lists pass through resolved', () => {
    expect(t.resolve({ a: [1, true, null, { b: { Ref: 'Env' } }], c: 'x' })).toEqual({ a: [1, true, null, { b: 'dev' }], c: 'x' });
    expect(t.resolve('text')).toBe('text');
    // An object with one key that is not an intrinsic is a plain object.
    expect(t.resolve({ Key: { Ref: 'Env' } })).toEqual({ Key: 'dev' });
  });

  test('an intrinsic that is not emulated throws, naming the resource and the function', () => {
    expect(() => t.resolve({ X: { 'Fn::If': ['Cond', 'a', 'b'] } }, 'MyResource')).toThrow('MyResource: intrinsic Fn::If is not emulated');
    expect(() => t.resolve({ 'Fn::ImportValue': 'x' }, 'Outputs.Y')).toThrow('Outputs.Y: intrinsic Fn::ImportValue is not emulated');
    const bad = new ResolvedTemplate({ Resources: { Q: { Type: 'AWS::SQS::Queue', Properties: { X: { 'Fn::FindInMap': ['M', 'a', 'b'] } } } } }, 'S');
    expect(() => bad.resourcesOfType('AWS::SQS::Queue')).toThrow('Q: intrinsic Fn::FindInMap is not emulated');
  });

  test('Ref/GetAtt to unknown resources inside a resource name that resource', () => {
    expect(() => t.resolve({ Ref: 'Ghost' }, 'MyResource')).toThrow('MyResource: Ref to unknown resource or parameter Ghost');
    expect(() => t.resolve({ 'Fn::GetAtt': ['Ghost', 'Arn'] }, 'MyResource')).toThrow('MyResource: Fn::GetAtt on unknown resource Ghost');
    expect(() => t.resolve({ 'Fn::Sub': '${Stage.Arn}' }, 'MyResource')).toThrow('MyResource: Fn::GetAtt Stage.Arn (AWS::ApiGateway::Stage) is not emulated');
    expect(() => t.resolve({ 'Fn::Sub': '${Ghost}' }, 'MyResource')).toThrow('MyResource: Ref to unknown resource or parameter Ghost');
  });

  test('a resource name that refers to itself is reported, not a stack overflow', () => {
    expect(() => new ResolvedTemplate({ Resources: { T: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { 'Fn::Sub': '${T}-x' } } } } }, 'S')).toThrow(/T: its name refers back to itself/);
  });
});

describe('setPhysical and outputs', () => {
  test('setPhysical replaces the Ref and merges the attributes; later resolutions see it', () => {
    const t = resolved();
    expect(t.getAtt('App', 'ApplicationId')).toBe(shortId('App'));
    t.setPhysical('App', { ref: 'abc1234', attributes: { ApplicationId: 'abc1234' } });
    expect(t.ref('App')).toBe('abc1234');
    expect(t.getAtt('App', 'ApplicationId')).toBe('abc1234');
    expect(t.getAtt('App', 'EnvironmentId')).toBe(shortId('App')); // kept
    expect(t.resourcesOfType('AWS::AppConfig::Environment')[0].properties.ApplicationId).toBe('abc1234');
    t.setPhysical('Queue', { ref: 'http://127.0.0.1:9999/000000000000/q', attributes: { QueueUrl: 'http://127.0.0.1:9999/000000000000/q' } });
    expect(t.resolve({ 'Fn::Sub': '${Queue}' })).toBe('http://127.0.0.1:9999/000000000000/q');
  });

  test('setPhysical of an id the template does not hold', () => {
    const t = resolved();
    t.setPhysical('Extra', { ref: 'extra', attributes: { Arn: 'arn:x' } });
    expect(t.ref('Extra')).toBe('extra');
    expect(() => t.getAtt('Extra', 'Name')).toThrow('Fn::GetAtt Extra.Name (not in the template) is not emulated');
  });

  test('outputs() resolves every output value', () => {
    expect(resolved().outputs()).toEqual({
      ApiUrl: `https://${shortId('Api')}.execute-api.us-east-1.amazonaws.com/v1/`,
      TableName: 'CrudApi-Table',
    });
    expect(new ResolvedTemplate({ Resources: {} }, 'S').outputs()).toEqual({});
  });

  test('an output that cannot resolve names the output', () => {
    const t = new ResolvedTemplate({ Resources: {}, Outputs: { Bad: { Value: { Ref: 'Ghost' } } } }, 'S');
    expect(() => t.outputs()).toThrow('Outputs.Bad: Ref to unknown resource or parameter Ghost');
  });
});
