/**
 * History events in the GetExecutionHistory shape.
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 * https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
import { compileStateMachine, fakeClock, TaskHandlerRegistry, type HistoryEvent } from '../../../local/asl';
import { EXEC_ARN, run, SM_ARN } from './harness';

function strip(e: HistoryEvent) {
  const { timestamp, ...rest } = e;
  expect(timestamp).toBeInstanceOf(Date);
  return rest;
}

describe('history events', () => {
  test('a Task with a service integration: exact event shapes', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::aws-sdk:dynamodb:getItem', async () => ({ Item: { id: { S: '1' } } }));
    const r = await run(
      { StartAt: 'Get', States: { Get: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:dynamodb:getItem', Parameters: { TableName: 't', 'Key.$': '$.key' }, ResultPath: '$.out', End: true } } },
      { key: { id: { S: '1' } } },
      { handlers: registry },
    );
    expect(r.events.map(strip)).toEqual([
      {
        type: 'ExecutionStarted',
        id: 1,
        previousEventId: 0,
        executionStartedEventDetails: { input: '{"key":{"id":{"S":"1"}}}', inputDetails: { truncated: false }, roleArn: 'arn:aws:iam::123456789012:role/service-role/StepFunctions-local' },
      },
      { type: 'TaskStateEntered', id: 2, previousEventId: 0, stateEnteredEventDetails: { input: '{"key":{"id":{"S":"1"}}}', inputDetails: { truncated: false }, name: 'Get' } },
      {
        type: 'TaskScheduled',
        id: 3,
        previousEventId: 2,
        taskScheduledEventDetails: { parameters: '{"TableName":"t","Key":{"id":{"S":"1"}}}', region: 'us-east-1', resource: 'getItem', resourceType: 'aws-sdk:dynamodb' },
      },
      { type: 'TaskStarted', id: 4, previousEventId: 3, taskStartedEventDetails: { resource: 'getItem', resourceType: 'aws-sdk:dynamodb' } },
      {
        type: 'TaskSucceeded',
        id: 5,
        previousEventId: 4,
        taskSucceededEventDetails: { output: '{"Item":{"id":{"S":"1"}}}', outputDetails: { truncated: false }, resource: 'getItem', resourceType: 'aws-sdk:dynamodb' },
      },
      {
        type: 'TaskStateExited',
        id: 6,
        previousEventId: 5,
        stateExitedEventDetails: { name: 'Get', output: '{"key":{"id":{"S":"1"}},"out":{"Item":{"id":{"S":"1"}}}}', outputDetails: { truncated: false } },
      },
      {
        type: 'ExecutionSucceeded',
        id: 7,
        previousEventId: 6,
        executionSucceededEventDetails: { output: '{"key":{"id":{"S":"1"}},"out":{"Item":{"id":{"S":"1"}}}}', outputDetails: { truncated: false } },
      },
    ]);
  });

  test('assignedVariables holds each variable as JSON text', async () => {
    const r = await run({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { s: 'text', n: 1, o: { a: [1] } }, End: true } } });
    expect(r.events[2].stateExitedEventDetails).toEqual({
      assignedVariables: { s: '"text"', n: '1', o: '{"a":[1]}' },
      assignedVariablesDetails: { truncated: false },
      name: 'A',
      output: '{}',
      outputDetails: { truncated: false },
    });
  });

  test('a failure: TaskFailed details and ExecutionFailed error/cause', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::sqs:sendMessage', async () => {
      throw Object.assign(new Error('Queue does not exist'), { name: 'SQS.QueueDoesNotExistException' });
    });
    const r = await run({ StartAt: 'Q', States: { Q: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } } }, {}, { handlers: registry });
    expect(strip(r.events[4])).toEqual({
      type: 'TaskFailed',
      id: 5,
      previousEventId: 4,
      taskFailedEventDetails: { cause: 'Queue does not exist', error: 'SQS.QueueDoesNotExistException', resource: 'sendMessage', resourceType: 'sqs' },
    });
    expect(strip(r.events[5])).toEqual({ type: 'ExecutionFailed', id: 6, previousEventId: 5, executionFailedEventDetails: { cause: 'Queue does not exist', error: 'SQS.QueueDoesNotExistException' } });
  });

  test('onEvent sees every event as it happens, timestamps come from the clock', async () => {
    const seen: string[] = [];
    const clock = fakeClock('2025-02-03T04:05:06.000Z');
    const m = compileStateMachine({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 2, End: true } } });
    const r = await m.execute({ executionArn: EXEC_ARN, stateMachineArn: SM_ARN, name: 'x', input: '{}', taskHandlers: new TaskHandlerRegistry(), clock, onEvent: (e) => seen.push(e.type) });
    expect(seen).toEqual(r.events.map((e) => e.type));
    expect(r.events[0].timestamp.toISOString()).toBe('2025-02-03T04:05:06.000Z');
    expect(r.events.at(-1)!.timestamp.toISOString()).toBe('2025-02-03T04:05:08.000Z');
  });

  test('context object key order matches AWS ($$ of a Pass state)', async () => {
    const r = await run({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'c.$': '$$' }, End: true } } }, { a: 1 });
    const c = JSON.parse(r.output!).c;
    expect(Object.keys(c)).toEqual(['Execution', 'StateMachine', 'State']);
    expect(Object.keys(c.Execution)).toEqual(['Id', 'Input', 'StartTime', 'Name', 'RoleArn', 'RedriveCount']);
    expect(Object.keys(c.State)).toEqual(['Name', 'EnteredTime']);
  });

  test('a task result over 256 KiB fails with States.DataLimitExceeded (caught by States.ALL, as recorded on AWS)', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => ({ Payload: 'x'.repeat(300 * 1024) }));
    const r = await run(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }], End: true },
          H: { Type: 'Pass', End: true },
        },
      },
      {},
      { handlers: registry },
    );
    expect(JSON.parse(r.output!)).toEqual({
      Error: 'States.DataLimitExceeded',
      Cause: "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.",
    });
  });

  test('a machine compiles once and runs many executions independently', async () => {
    const m = compileStateMachine({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { x: 1 }, Parameters: { 'v.$': '$.v' }, End: true } } });
    const results = await Promise.all(
      [1, 2, 3].map((v) => m.execute({ executionArn: EXEC_ARN + v, stateMachineArn: SM_ARN, name: `e${v}`, input: JSON.stringify({ v }), taskHandlers: new TaskHandlerRegistry() })),
    );
    expect(results.map((r) => JSON.parse(r.output!).v)).toEqual([1, 2, 3]);
  });
});
