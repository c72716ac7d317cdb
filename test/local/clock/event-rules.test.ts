/**
 * The template's EventBridge rules on the clock: rate() schedules catch up once per period skipped, one
 * invocation after the other; pattern rules route matching events (SDK, endpoint or Step Functions) to Lambdas.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllableClock } from '../../../local/asl/clock';
import type { Template } from '../../../local/cloudformation/template';
import { ResolvedTemplate } from '../../../local/cloudformation/template';
import { InvocableFunction, startEventRules } from '../../../local/event-rules';
import { LocalLambda } from '../../../local/lambda/runtime';
import { LocalServices } from '../../../local/services';
import { buildIntegrations } from '../../../local/stepfunctions/integrations';
import { StepFunctionsService } from '../../../local/stepfunctions/service';

const ACCOUNT = '000000000000';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;

function template(resources: Template['Resources']): ResolvedTemplate {
  return new ResolvedTemplate({ Resources: resources } as Template, 'Test', { account: ACCOUNT, region: 'us-east-1' });
}

/** A function that records each invocation (its payload and the clock's time), taking a little real time. */
function recorder(clock: ControllableClock) {
  const calls: { event: any; at: number }[] = [];
  let active = 0;
  let maxActive = 0;
  const fn: InvocableFunction = {
    async invoke(event) {
      active++;
      maxActive = Math.max(maxActive, active);
      calls.push({ event, at: clock.nowMs() });
      await new Promise((r) => setImmediate(r));
      active--;
      return { ok: true };
    },
  };
  return { fn, calls, maxActive: () => maxActive };
}

describe('rate() schedules on the clock', () => {
  let services: LocalServices;
  let clock: ControllableClock;
  beforeEach(async () => {
    clock = new ControllableClock();
    services = await LocalServices.open({ inMemory: true, clock });
  });
  afterEach(() => services.close());

  const scheduleTemplate = (input?: string) =>
    template({ Tick: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 minute)', State: 'ENABLED', Targets: [{ Id: 't', Arn: fnArn('ticker'), ...(input ? { Input: input } : {}) }] } } });

  test('an advance of 1 hour fires a rate(1 minute) schedule 60 times, sequentially, and the advance waits for them', async () => {
    const ticker = recorder(clock);
    const warnings: string[] = [];
    const stop = startEventRules({ template: scheduleTemplate(), lambdas: new Map([['ticker', ticker.fn]]), events: services.events, clock, warnings, log: () => {} });
    const start = clock.nowMs();
    await clock.advance(3_600_000);
    expect(warnings).toEqual([]);
    expect(ticker.calls).toHaveLength(60);
    expect(ticker.maxActive()).toBe(1);
    // Each gets the Scheduled Event AWS would have sent, with the time of its period.
    const times = ticker.calls.map((c) => Date.parse(c.event.time));
    expect(times[0]).toBeGreaterThan(start + 59_000);
    expect(times[0]).toBeLessThanOrEqual(start + 60_000);
    expect(times.slice(1).map((t, i) => t - times[i])).toEqual(Array(59).fill(60_000));
    expect(ticker.calls[0].event).toMatchObject({ 'detail-type': 'Scheduled Event', source: 'aws.events', account: ACCOUNT, resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/Test-Tick`], detail: {} });
    // And the next period comes a minute after the last one fired.
    await clock.advance(60_000);
    expect(ticker.calls).toHaveLength(61);
    stop();
    await clock.advance(60_000);
    expect(ticker.calls).toHaveLength(61);
  });

  test('a catch-up is capped; what was skipped is logged; a target Input replaces the event', async () => {
    const ticker = recorder(clock);
    const log: string[] = [];
    const stop = startEventRules({ template: scheduleTemplate('{"run":"redrive"}'), lambdas: new Map([['ticker', ticker.fn]]), events: services.events, clock, warnings: [], log: (l) => log.push(l), maxCatchUp: 10 });
    await clock.advance(3_600_000);
    stop();
    expect(ticker.calls).toHaveLength(10);
    expect(ticker.calls[0].event).toEqual({ run: 'redrive' });
    expect(log.filter((l) => l.includes('not run'))).toEqual(['schedule Tick: fired 10 times for the time skipped, the 50 later periods were not run (at most 10 per advance)']);
  });

  test('with schedules off nothing fires; what cannot run is reported', async () => {
    const ticker = recorder(clock);
    const warnings: string[] = [];
    const t = template({
      Tick: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'rate(1 minute)', Targets: [{ Id: 't', Arn: fnArn('ticker') }] } },
      Nightly: { Type: 'AWS::Events::Rule', Properties: { ScheduleExpression: 'cron(0 3 * * ? *)', Targets: [{ Id: 't', Arn: fnArn('ticker') }] } },
      ToQueue: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { source: ['x'] }, Targets: [{ Id: 'q', Arn: `arn:aws:sqs:us-east-1:${ACCOUNT}:q` }] } },
      Fancy: { Type: 'AWS::Events::Rule', Properties: { EventPattern: { detail: { ip: [{ cidr: '10.0.0.0/8' }] } }, Targets: [{ Id: 't', Arn: fnArn('ticker') }] } },
    });
    const stop = startEventRules({ template: t, lambdas: new Map([['ticker', ticker.fn]]), events: services.events, clock, schedules: false, warnings, log: () => {} });
    await clock.advance(3_600_000);
    stop();
    expect(ticker.calls).toHaveLength(0);
    expect(warnings).toEqual([
      'Nightly: schedule cron(0 3 * * ? *) is not emulated (only rate())',
      `ToQueue: target arn:aws:sqs:us-east-1:${ACCOUNT}:q is not a local Lambda function (not invoked)`,
      'Fancy: event pattern not routed: detail.ip: the cidr operator is not supported by the local EventBridge',
    ]);
  });
});

const AUDIT_HANDLER = `exports.handler = async (event) => ({ seen: event['detail-type'] ?? event.state });`;

describe('event pattern rules', () => {
  let services: LocalServices;
  let audit: LocalLambda;
  let received: unknown[];
  let results: Promise<unknown>[];
  let stop: () => void;

  beforeEach(async () => {
    services = await LocalServices.open({ inMemory: true });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rule-target-'));
    fs.writeFileSync(path.join(dir, 'index.js'), AUDIT_HANDLER);
    audit = new LocalLambda({ functionName: 'audit', functionArn: fnArn('audit'), codeDir: dir, handler: 'index.handler', environment: {}, timeoutSeconds: 3, memorySize: 128 });
    received = [];
    results = [];
    const spy: InvocableFunction = {
      invoke(event) {
        received.push(event);
        const result = audit.invoke(event);
        results.push(result);
        return result;
      },
    };
    const t = template({
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'orders' } },
      Created: {
        Type: 'AWS::Events::Rule',
        Properties: { EventBusName: { Ref: 'Bus' }, EventPattern: { source: ['shop.orders'], detail: { state: ['created'] } }, Targets: [{ Id: 'a', Arn: fnArn('audit') }] },
      },
      Big: {
        Type: 'AWS::Events::Rule',
        Properties: { EventBusName: { 'Fn::GetAtt': ['Bus', 'Arn'] }, EventPattern: { detail: { total: [{ numeric: ['>=', 1000] }] } }, Targets: [{ Id: 'b', Arn: fnArn('audit'), InputPath: '$.detail' }] },
      },
    });
    stop = startEventRules({ template: t, lambdas: new Map([['audit', spy]]), events: services.events, clock: services.clock, warnings: [], log: () => {} });
  });
  afterEach(async () => {
    stop();
    await services.close();
  });

  const put = (entry: Record<string, unknown>) => services.events.call('PutEvents', { Entries: [{ EventBusName: 'orders', Source: 'shop.orders', DetailType: 'Order', ...entry }] });

  test('delivers a matching event to its Lambda as EventBridge does, and not a non-matching one', async () => {
    await put({ Detail: JSON.stringify({ state: 'created', total: 5 }) });
    await put({ Detail: JSON.stringify({ state: 'shipped', total: 5 }) });
    await put({ Source: 'shop.users', Detail: JSON.stringify({ state: 'created' }) });
    await put({ EventBusName: 'default', Detail: JSON.stringify({ state: 'created' }) }); // another bus
    expect(received).toHaveLength(1);
    const [event] = received as any[];
    expect(event).toEqual({
      version: '0',
      id: expect.any(String),
      'detail-type': 'Order',
      source: 'shop.orders',
      account: ACCOUNT,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      region: 'us-east-1',
      resources: [],
      detail: { state: 'created', total: 5 },
    });
    expect(await Promise.all(results)).toEqual([{ seen: 'Order' }]);
  });

  test("InputPath gives the target part of the event; an event matching two rules reaches both", async () => {
    await put({ Detail: JSON.stringify({ state: 'created', total: 5000 }) });
    expect(received).toHaveLength(2);
    expect(received).toContainEqual({ state: 'created', total: 5000 });
    expect(await Promise.all(results)).toContainEqual({ seen: 'created' });
  });

  test('events put by a state machine (events:putEvents) are routed too', async () => {
    const sfn = new StepFunctionsService({
      region: 'us-east-1',
      account: ACCOUNT,
      taskHandlers: buildIntegrations({ dynamodb: services.dynamodb, sqs: services.sqs, events: services.events, lambdas: new Map() }),
    });
    try {
      const machine = sfn.createStateMachine({
        name: 'publish',
        roleArn: `arn:aws:iam::${ACCOUNT}:role/r`,
        definition: {
          StartAt: 'Publish',
          States: { Publish: { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [{ EventBusName: 'orders', Source: 'shop.orders', DetailType: 'Order', Detail: { state: 'created' } }] }, End: true } },
        },
      });
      const execution = sfn.startExecution({ stateMachineArn: machine.stateMachineArn, input: '{}' });
      await sfn.settled(execution.executionArn);
      expect(execution.status).toBe('SUCCEEDED');
      expect(received).toHaveLength(1);
      expect((received[0] as any).resources).toEqual([machine.stateMachineArn, execution.executionArn]);
    } finally {
      await sfn.close();
    }
  });
});
