/**
 * Alarms → EventBridge → targets, on a small template: fault-injected DynamoDB throttles put an alarm in ALARM,
 * its "CloudWatch Alarm State Change" event goes to the default bus, and a pattern rule starts a state machine
 * with the InputTransformer's input and invokes a Lambda with the event. Then the InputTransformer alone.
 */
import { ControllableClock } from '../../../local/asl/clock';
import { TaskHandlerRegistry } from '../../../local/asl';
import { ResolvedTemplate, Template } from '../../../local/cloudformation/template';
import { InvocableFunction, startEventRules } from '../../../local/event-rules';
import { LocalServices } from '../../../local/services';
import { LocalCloudWatch } from '../../../local/services/cloudwatch';
import { compileInputTransformer } from '../../../local/services/events/transform';
import { StepFunctionsService } from '../../../local/stepfunctions/service';

const ACCOUNT = '000000000000';
const REGION = 'us-east-1';

async function until<T>(get: () => T | undefined, what: string): Promise<T> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const value = get();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function recorder() {
  const calls: any[] = [];
  const fn: InvocableFunction = {
    async invoke(event) {
      calls.push(JSON.parse(JSON.stringify(event)));
      return null;
    },
  };
  return { fn, calls };
}

const TEMPLATE: Template = {
  Resources: {
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders' } },
    Breaker: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'breaker' } },
    ThrottleAlarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: 'orders is throttled',
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ThrottledRequests',
        Dimensions: [
          { Name: 'TableName', Value: { Ref: 'Table' } },
          { Name: 'Operation', Value: 'PutItem' },
        ],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 3,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
    },
    OpenOnAlarm: {
      Type: 'AWS::Events::Rule',
      Properties: {
        EventPattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          resources: [{ 'Fn::GetAtt': ['ThrottleAlarm', 'Arn'] }],
          detail: { state: { value: ['ALARM'] } },
        },
        Targets: [
          {
            Id: 'breaker',
            Arn: { Ref: 'Breaker' },
            RoleArn: 'arn:aws:iam::000000000000:role/events',
            InputTransformer: {
              InputPathsMap: { alarm: '$.detail.alarmName', state: '$.detail.state.value', table: '$.detail.configuration.metrics[0].metricStat.metric.dimensions.TableName' },
              InputTemplate: '{"command": "open", "table": <table>, "why": "alarm <alarm> is <state>", "rule": <aws.events.rule-name>}',
            },
          },
          { Id: 'audit', Arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:audit` },
        ],
      },
    },
  },
};

describe('a DynamoDB throttling alarm drives a rule', () => {
  let clock: ControllableClock;
  let services: LocalServices;
  let sfn: StepFunctionsService;
  let cloudWatch: LocalCloudWatch;
  let stopRules: () => void;
  let audit: ReturnType<typeof recorder>;
  let warnings: string[];

  beforeEach(async () => {
    clock = new ControllableClock();
    services = await LocalServices.open({ inMemory: true, clock });
    await services.dynamodb.call('CreateTable', { TableName: 'orders', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' });
    sfn = new StepFunctionsService({ region: REGION, account: ACCOUNT, taskHandlers: new TaskHandlerRegistry(), clock });
    sfn.createStateMachine({ name: 'breaker', type: 'EXPRESS', definition: { StartAt: 'Open', States: { Open: { Type: 'Pass', End: true } } } });
    cloudWatch = new LocalCloudWatch({ clock, region: REGION, account: ACCOUNT, publish: (e) => services.events.putServiceEvent({ ...e, Time: new Date(e.Time) }) });
    cloudWatch.watch({ dynamodb: services.dynamodb, sqs: services.sqs });
    const template = new ResolvedTemplate(TEMPLATE, 'Test', { account: ACCOUNT, region: REGION });
    warnings = [];
    cloudWatch.loadTemplateAlarms(template, warnings);
    audit = recorder();
    stopRules = startEventRules({ template, lambdas: new Map([['audit', audit.fn]]), stateMachines: sfn, events: services.events, clock, warnings, log: () => {} });
    cloudWatch.start();
  });

  afterEach(async () => {
    stopRules();
    cloudWatch.stop();
    await sfn.close();
    await services.close();
  });

  const throttle = async (count: number) => {
    services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', count });
    for (let i = 0; i < count; i++) {
      await expect(services.dynamodb.call('PutItem', { TableName: 'orders', Item: { id: { S: `o${i}` } } })).rejects.toMatchObject({ code: 'ProvisionedThroughputExceededException' });
    }
  };

  test('three throttled PutItems: ALARM within the minute, the event on the default bus, the breaker started with the transformed input, the Lambda given the event', async () => {
    expect(warnings).toEqual([]);
    const name = 'Test-ThrottleAlarm';
    const arn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${name}`;
    expect(cloudWatch.getAlarm(name)!.state.value).toBe('INSUFFICIENT_DATA');

    await throttle(3);
    await clock.advance(60_000);
    const alarm = cloudWatch.getAlarm(name)!;
    expect(alarm.state.value).toBe('ALARM');
    expect(alarm.state.reason).toMatch(/^Threshold Crossed: 1 out of the last 1 datapoints \[3\.0 \(.+\)\] was greater than or equal to the threshold \(3\.0\)/);

    const [event] = services.events.listEvents('default').filter((e) => e.source === 'aws.cloudwatch');
    expect(event).toMatchObject({ detailType: 'CloudWatch Alarm State Change', resources: [arn] });
    expect(event.detail).toMatchObject({
      alarmName: name,
      state: { value: 'ALARM', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/) },
      previousState: { value: 'INSUFFICIENT_DATA', reason: 'Unchecked: Initial alarm creation' },
      configuration: {
        description: 'orders is throttled',
        metrics: [{ metricStat: { metric: { namespace: 'AWS/DynamoDB', name: 'ThrottledRequests', dimensions: { TableName: 'orders', Operation: 'PutItem' } }, period: 60, stat: 'Sum' }, returnData: true }],
      },
    });
    expect(JSON.parse((event.detail as any).state.reasonData)).toMatchObject({ version: '1.0', statistic: 'Sum', period: 60, recentDatapoints: [3], threshold: 3 });

    const execution = await until(() => sfn.listExecutions({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:breaker` })[0], 'the breaker execution');
    expect(JSON.parse(execution.input)).toEqual({ command: 'open', table: 'orders', why: `alarm ${name} is ALARM`, rule: 'Test-OpenOnAlarm' });
    const delivered = await until(() => audit.calls[0], 'the audit Lambda');
    expect(delivered).toMatchObject({ source: 'aws.cloudwatch', 'detail-type': 'CloudWatch Alarm State Change', account: ACCOUNT, region: REGION, resources: [arn], detail: { alarmName: name, state: { value: 'ALARM' } } });
  });

  test('two throttles stay under the threshold: OK, and the rule (ALARM only) starts nothing', async () => {
    await throttle(2);
    await clock.advance(60_000);
    expect(cloudWatch.getAlarm('Test-ThrottleAlarm')!.state.value).toBe('OK');
    await new Promise((r) => setTimeout(r, 20));
    expect(sfn.listExecutions()).toEqual([]);
    expect(audit.calls).toEqual([]);
  });

  test('once throttles stop, the alarm keeps ALARM (AWS/DynamoDB alarms ignore missing data); SetAlarmState moves it and emits the change', async () => {
    await throttle(3);
    await clock.advance(60_000);
    await clock.advance(10 * 60_000);
    expect(cloudWatch.getAlarm('Test-ThrottleAlarm')!.state.value).toBe('ALARM');
    cloudWatch.setAlarmState('Test-ThrottleAlarm', 'OK', 'operator: table healthy');
    const changes = services.events.listEvents('default').map((e) => (e.detail as any).state.value);
    expect(changes).toEqual(['ALARM', 'OK']);
    // The next evaluation finds no data and keeps the state it was set to.
    await clock.advance(60_000);
    expect(cloudWatch.getAlarm('Test-ThrottleAlarm')!.state).toMatchObject({ value: 'OK', reason: 'operator: table healthy' });
  });
});

describe('InputTransformer (the EventBridge user guide’s examples)', () => {
  const event = {
    version: '0',
    id: '7bf73129-1428-4cd3-a780-95db273d1602',
    'detail-type': 'EC2 Instance State-change Notification',
    source: 'aws.ec2',
    account: '123456789012',
    time: '2015-11-11T21:29:54Z',
    region: 'us-east-1',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
    detail: { 'instance-id': 'i-0123456789', state: 'RUNNING', n: 9 },
  };
  const paths = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state', n: '$.detail.n', nothing: '$.detail.nothing' };
  const render = (template: string) => compileInputTransformer({ InputPathsMap: paths, InputTemplate: template })(event, { ruleArn: 'arn:aws:events:us-east-1:123456789012:rule/example', ruleName: 'example' });

  test.each([
    ['a simple string', '"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'],
    ['a string with escaped quotes', '"instance \\"<instance>\\" is in <state>"', '"instance \\"i-0123456789\\" is in RUNNING"'],
    ['simple JSON', '{"instance" : <instance>, "state": <state>}', '{"instance" : "i-0123456789", "state": "RUNNING"}'],
    ['JSON with strings and variables', '{"state": "<state>", "n": <n>, "s": "<n> times"}', '{"state": "RUNNING", "n": 9, "s": "9 times"}'],
    ['a mix of variables and static values', '{"state": [ 9, <state>, true ], "Transformed" : "Yes"}', '{"state": [ 9, "RUNNING", true ], "Transformed" : "Yes"}'],
    ['reserved variables', '{"ruleArn" : <aws.events.rule-arn>, "ruleName" : <aws.events.rule-name>, "at": <aws.events.event.ingestion-time>}', '{"ruleArn" : "arn:aws:events:us-east-1:123456789012:rule/example", "ruleName" : "example", "at": "2015-11-11T21:29:54Z"}'],
    ['a path that matches nothing', '{"a": <nothing>, "b": "<nothing>"}', '{"a": null, "b": ""}'],
  ])('%s', (_what, template, expected) => {
    expect(render(template)).toBe(expected);
  });

  test('<aws.events.event> is the event without its detail; <aws.events.event.json> the whole event', () => {
    const { detail: _detail, ...withoutDetail } = event;
    expect(JSON.parse(render('{"e": <aws.events.event>}')).e).toEqual(withoutDetail);
    expect(JSON.parse(render('{"e": <aws.events.event.json>}')).e).toEqual(event);
  });

  test('an unknown placeholder or an AWS. key is refused, as EventBridge does', () => {
    expect(() => compileInputTransformer({ InputPathsMap: {}, InputTemplate: '{"a": <who>}' })).toThrow('InputTemplate contains invalid placeholder who');
    expect(() => compileInputTransformer({ InputPathsMap: { 'aws.x': '$.id' }, InputTemplate: '<aws.x>' })).toThrow('must not start with "AWS."');
  });
});
