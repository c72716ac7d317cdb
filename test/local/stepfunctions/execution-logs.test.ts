import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ExecutionLogs, executionLogEvents, isLoggedAt, logGroupNameOf } from '../../../local/stepfunctions/execution-logs';
import type { LoggingConfiguration } from '../../../local/stepfunctions/service';
import type { ExecutionRecord } from '../../../local/stepfunctions/store';

const GROUP_ARN = 'arn:aws:logs:us-east-1:000000000000:log-group:/aws/vendedlogs/states/CrudApi-customers:*';
const at = (ms: number) => new Date(1_700_000_000_000 + ms);

const execution: ExecutionRecord = {
  executionArn: 'arn:aws:states:us-east-1:000000000000:express:Machine:req-1:uuid',
  stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:Machine',
  name: 'req-1',
  status: 'FAILED',
  startDate: at(0),
  stopDate: at(5),
  input: '{"email":"a@example.com"}',
  roleArn: 'arn:aws:iam::000000000000:role/r',
  events: [
    { id: 1, previousEventId: 0, timestamp: at(0), type: 'ExecutionStarted', executionStartedEventDetails: { input: '{"email":"a@example.com"}', inputDetails: { truncated: false }, roleArn: 'r' } },
    { id: 2, previousEventId: 1, timestamp: at(1), type: 'TaskStateEntered', stateEnteredEventDetails: { name: 'Put', input: '{"email":"a@example.com"}', inputDetails: { truncated: false } } },
    { id: 3, previousEventId: 2, timestamp: at(2), type: 'TaskFailed', taskFailedEventDetails: { resource: 'putItem', resourceType: 'dynamodb', error: 'DynamoDB.ConditionalCheckFailedException', cause: 'The conditional request failed' } },
    { id: 4, previousEventId: 3, timestamp: at(3), type: 'FailStateEntered', stateEnteredEventDetails: { name: 'Fail', input: '{"email":"a@example.com"}', inputDetails: { truncated: false } } },
    { id: 5, previousEventId: 4, timestamp: at(5), type: 'ExecutionFailed', executionFailedEventDetails: { error: 'Boom', cause: 'why' } },
  ],
};
const config = (level: LoggingConfiguration['level'], includeExecutionData: boolean): LoggingConfiguration => ({
  level,
  includeExecutionData,
  destinations: [{ cloudWatchLogsLogGroup: { logGroupArn: GROUP_ARN } }],
});
const types = (c: LoggingConfiguration) => executionLogEvents(execution, c).map((e) => JSON.parse(e.message).type);

describe('execution logs as Step Functions writes them to CloudWatch Logs', () => {
  test('the level picks the event types of AWS\'s table: ALL every one, ERROR the failures, FATAL the execution\'s end, OFF none', () => {
    expect(types(config('ALL', true))).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskFailed', 'FailStateEntered', 'ExecutionFailed']);
    expect(types(config('ERROR', false))).toEqual(['TaskFailed', 'FailStateEntered', 'ExecutionFailed']);
    expect(types(config('FATAL', false))).toEqual(['ExecutionFailed']);
    expect(types(config('OFF', true))).toEqual([]);
    expect(isLoggedAt('ERROR', 'ExecutionSucceeded')).toBe(false);
    expect(isLoggedAt('FATAL', 'ExecutionTimedOut')).toBe(true);
  });

  test('each event is one message in AWS\'s shape: snake_case envelope, numbers as strings, the details', () => {
    const [first] = executionLogEvents(execution, config('ALL', true));
    expect(first.timestamp).toBe(at(0).getTime());
    expect(JSON.parse(first.message)).toEqual({
      id: '1',
      type: 'ExecutionStarted',
      details: { input: '{"email":"a@example.com"}', inputDetails: { truncated: false }, roleArn: 'r' },
      previous_event_id: '0',
      event_timestamp: String(at(0).getTime()),
      execution_arn: execution.executionArn,
      redrive_count: '0',
    });
  });

  test('without execution data, inputs and outputs are left out; errors and causes stay', () => {
    const messages = executionLogEvents(execution, config('ALL', false)).map((e) => JSON.parse(e.message));
    expect(JSON.stringify(messages)).not.toContain('a@example.com');
    expect(messages[0].details).toEqual({ roleArn: 'r' });
    expect(messages[2].details).toMatchObject({ error: 'DynamoDB.ConditionalCheckFailedException', cause: 'The conditional request failed' });
  });

  test('events go to the log group of the destination ARN, in memory and in <dataDir>/<group>.jsonl; running executions and OFF write nothing', () => {
    expect(logGroupNameOf(config('ALL', true))).toBe('/aws/vendedlogs/states/CrudApi-customers');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'exec-logs-'));
    try {
      const logs = new ExecutionLogs(dir);
      logs.record({ ...execution, status: 'RUNNING' }, config('ALL', true));
      logs.record(execution, config('OFF', true));
      expect(logs.groupNames()).toEqual([]);
      logs.record(execution, config('ERROR', false));
      expect(logs.events('/aws/vendedlogs/states/CrudApi-customers')).toHaveLength(3);
      const lines = fs.readFileSync(path.join(dir, '_aws_vendedlogs_states_CrudApi-customers.jsonl'), 'utf8').trim().split('\n');
      expect(lines.map((l) => JSON.parse(JSON.parse(l).message).type)).toEqual(['TaskFailed', 'FailStateEntered', 'ExecutionFailed']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('memory over a long run', () => {
  test('each group keeps its latest events in memory (bounded), while the file keeps every one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'execution-logs-cap-'));
    try {
      const logs = new ExecutionLogs(dir, 10);
      for (let i = 0; i < 30; i++) logs.record({ ...execution, name: `req-${i}` }, config('ALL', true));
      const kept = logs.events('/aws/vendedlogs/states/CrudApi-customers');
      expect(kept.length).toBeGreaterThanOrEqual(10);
      expect(kept.length).toBeLessThanOrEqual(11);
      expect(JSON.parse(kept.at(-1)!.message).execution_arn).toBe(execution.executionArn);
      const file = fs.readFileSync(path.join(dir, '_aws_vendedlogs_states_CrudApi-customers.jsonl'), 'utf8');
      expect(file.trim().split('\n')).toHaveLength(30 * 5);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
