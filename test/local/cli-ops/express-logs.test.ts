/**
 * Express executions read back from CloudWatch Logs (the AWS target of `executions list/show`).
 *
 * What this proves: the log messages AWS delivers (a recorded sample, fixtures/express-log-events.json)
 * parse into the GetExecutionHistory shape and render; the FilterLogEvents calls carry the log group,
 * window and filter pattern we intend, follow nextToken, and their results are grouped, filtered and
 * sorted right. What it does not prove: that CloudWatch's filter-pattern matching selects the same events
 * on AWS — the client's `send` is intercepted, since nothing local implements CloudWatch Logs.
 */
import {
  EXECUTION_EVENTS_PATTERN,
  ExpressExecutionLogs,
  executionLogGroupName,
  executionNameFromArn,
  executionsFromRecords,
  isExecutionOfRequest,
  parseExpressLogMessage,
} from '../../../local/cli/express-logs';
import { renderTimeline } from '../../../local/cli/history';
import { fakeLogs } from './fakes';
import recorded from './fixtures/express-log-events.json';

const RECORDED_ARN = 'arn:aws:states:eu-central-1:123456789012:express:LoggingAndMaskingWorkflow:cli-test-run:4135929f-8d60-4ea5-b3c3-b243bec43271';
const NOW = Date.parse('2026-11-23T12:00:00Z');

/** A log message in the recorded envelope, for executions of our own state machine. */
function logMessage(name: string, id: number, type: string, ms: number, details: Record<string, unknown> = {}, previous = id - 1): string {
  return JSON.stringify({
    id: String(id),
    type,
    details,
    previous_event_id: String(previous),
    event_timestamp: String(NOW - 3_600_000 + ms),
    execution_arn: `arn:aws:states:eu-west-1:123456789012:express:ResourceordersStateMachine-x:${name}:0b0e6ad4-9f1c-4c52-a3c4-5d0f3e1b2a77`,
    redrive_count: '0',
  });
}

/** The execution-level events of a finished execution. */
function executionEvents(name: string, startMs: number, status: 'ExecutionSucceeded' | 'ExecutionFailed', output = '{"statusCode":201}'): string[] {
  return [
    logMessage(name, 1, 'ExecutionStarted', startMs, { input: `{"requestId":"${name}"}` }, 0),
    logMessage(name, 30, status, startMs + 250, status === 'ExecutionSucceeded' ? { output } : { error: 'States.Timeout', cause: 'task timed out' }, 29),
  ];
}

describe('the recorded AWS log events', () => {
  const records = recorded.events.map((e) => parseExpressLogMessage(e.message)!);

  test('parse into GetExecutionHistory events: numbers, previous ids, timestamps, <type>EventDetails', () => {
    expect(records.every((r) => r.executionArn === RECORDED_ARN)).toBe(true);
    expect(records.map((r) => [r.event.id, r.event.previousEventId, r.event.type, r.event.timestamp.toISOString()])).toEqual([
      [1, 0, 'ExecutionStarted', '2024-04-24T11:54:30.672Z'],
      [2, 0, 'PassStateEntered', '2024-04-24T11:54:30.680Z'],
      [3, 2, 'PassStateExited', '2024-04-24T11:54:30.680Z'],
      [4, 3, 'ExecutionSucceeded', '2024-04-24T11:54:30.680Z'],
    ]);
    expect(records[0].event.executionStartedEventDetails).toMatchObject({ roleArn: expect.stringContaining(':role/'), inputDetails: { truncated: false } });
    expect(records[1].event.stateEnteredEventDetails).toMatchObject({ name: 'LogInput' });
    expect(records[2].event.stateExitedEventDetails).toMatchObject({ name: 'LogInput', output: expect.stringContaining('test-order-id') });
  });

  test('the execution name is the 8th field of an Express ARN (and of a Standard one)', () => {
    expect(executionNameFromArn(RECORDED_ARN)).toBe('cli-test-run');
    expect(executionNameFromArn('arn:aws:states:us-east-1:1:execution:machine:my-name')).toBe('my-name');
    expect(executionNameFromArn('arn:aws:states:us-east-1:1:stateMachine:machine')).toBeUndefined();
  });

  test('group into one SUCCEEDED execution with its dates, input and output, and render as a timeline', () => {
    const [execution] = executionsFromRecords(records, 'orders');
    expect(execution).toMatchObject({
      executionArn: RECORDED_ARN,
      name: 'cli-test-run',
      status: 'SUCCEEDED',
      resource: 'orders',
      stateMachineArn: 'arn:aws:states:eu-central-1:123456789012:stateMachine:LoggingAndMaskingWorkflow',
      startDate: new Date(1713959670672),
      stopDate: new Date(1713959670680),
    });
    expect(JSON.parse(execution.input!)['order-id']).toBe('test-order-id');
    const timeline = renderTimeline(execution.events);
    expect(timeline.split('\n')[1]).toMatch(/^\+0\.008s\s+LogInput\s+PassStateEntered\s+input \{"name":/);
    expect(timeline).toContain('ExecutionSucceeded');
  });

  test('lines that are not execution events (or not JSON) are skipped', () => {
    expect(parseExpressLogMessage('START RequestId: 1 Version: $LATEST')).toBeUndefined();
    expect(parseExpressLogMessage('{"message":"flags loaded"}')).toBeUndefined();
  });
});

describe('ExpressExecutionLogs', () => {
  const groups = [
    { resource: 'orders', logGroupName: executionLogGroupName('CrudApi', 'orders') },
    { resource: 'customers', logGroupName: executionLogGroupName('CrudApi', 'customers') },
  ];

  test('log groups are /aws/vendedlogs/states/<stack>-<resource> (cdk/crud-resource.ts)', () => {
    expect(groups.map((g) => g.logGroupName)).toEqual(['/aws/vendedlogs/states/CrudApi-orders', '/aws/vendedlogs/states/CrudApi-customers']);
  });

  test('show: searches each group for the quoted request id since the window start and keeps the execution and its replays only', async () => {
    const { client, inputs } = fakeLogs({
      '/aws/vendedlogs/states/CrudApi-orders': [
        [...executionEvents('req-1', 0, 'ExecutionSucceeded', '{"statusCode":202}'), ...executionEvents('req-10', 10, 'ExecutionSucceeded')],
        // an unrelated execution whose input mentions req-1, and the replay of req-1 from the DLQ
        [...executionEvents('other', 20, 'ExecutionSucceeded'), ...executionEvents('req-1-redrive-1', 60_000, 'ExecutionSucceeded')],
      ],
      '/aws/vendedlogs/states/CrudApi-customers': [[]],
    });
    const logs = new ExpressExecutionLogs(client, { now: () => NOW });

    const found = await logs.findByRequestId(groups, 'req-1', NOW - 86_400_000);

    expect(found.truncated).toBe(false);
    expect(found.items.map((e) => [e.name, e.resource, e.status, e.statusCode])).toEqual([
      ['req-1', 'orders', 'SUCCEEDED', 202],
      ['req-1-redrive-1', 'orders', 'SUCCEEDED', 201],
    ]);
    expect(inputs).toEqual([
      { logGroupName: '/aws/vendedlogs/states/CrudApi-orders', filterPattern: '"req-1"', startTime: NOW - 86_400_000, endTime: NOW, nextToken: undefined },
      { logGroupName: '/aws/vendedlogs/states/CrudApi-orders', filterPattern: '"req-1"', startTime: NOW - 86_400_000, endTime: NOW, nextToken: '1' },
      { logGroupName: '/aws/vendedlogs/states/CrudApi-customers', filterPattern: '"req-1"', startTime: NOW - 86_400_000, endTime: NOW, nextToken: undefined },
    ]);
  });

  test('list: execution-level events only, newest first, status filter and limit, across resources', async () => {
    const { client, inputs } = fakeLogs({
      '/aws/vendedlogs/states/CrudApi-orders': [[...executionEvents('a', 1000, 'ExecutionSucceeded'), ...executionEvents('b', 3000, 'ExecutionFailed')]],
      '/aws/vendedlogs/states/CrudApi-customers': [[...executionEvents('c', 2000, 'ExecutionSucceeded'), logMessage('d', 1, 'ExecutionStarted', 4000, {}, 0)]],
    });
    const logs = new ExpressExecutionLogs(client, { now: () => NOW });

    const all = await logs.list(groups, { limit: 10, since: NOW - 7_200_000 });
    expect(all.items.map((e) => [e.name, e.resource, e.status])).toEqual([
      ['d', 'customers', 'RUNNING'],
      ['b', 'orders', 'FAILED'],
      ['c', 'customers', 'SUCCEEDED'],
      ['a', 'orders', 'SUCCEEDED'],
    ]);
    expect(all.items[1]).toMatchObject({ error: 'States.Timeout', cause: 'task timed out' });
    expect(all.items[0]).not.toHaveProperty('events');
    expect(inputs.every((i) => i.filterPattern === EXECUTION_EVENTS_PATTERN && i.startTime === NOW - 7_200_000)).toBe(true);

    const succeeded = await logs.list(groups, { status: 'SUCCEEDED', limit: 1, since: NOW - 7_200_000 });
    expect(succeeded.items.map((e) => e.name)).toEqual(['c']);
  });

  test('a search stops after maxPages and says the result is truncated', async () => {
    const { client, inputs } = fakeLogs({ g: [[], [], [], [], []] });
    const logs = new ExpressExecutionLogs(client, { now: () => NOW, maxPages: 3 });
    const result = await logs.search('g', '"x"', 0);
    expect(inputs).toHaveLength(3);
    expect(result.truncated).toBe(true);
  });

  test('replays match their request id by name only: req-1-redrive-2 yes, req-10 and req-1-redrive-x no', () => {
    expect(isExecutionOfRequest('req-1', 'req-1')).toBe(true);
    expect(isExecutionOfRequest('req-1-redrive-2', 'req-1')).toBe(true);
    expect(isExecutionOfRequest('req-10', 'req-1')).toBe(false);
    expect(isExecutionOfRequest('req-1-redrive-x', 'req-1')).toBe(false);
  });
});
