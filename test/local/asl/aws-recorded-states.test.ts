/**
 * Wait, intrinsics, JSONata, the context object, error matching and definition validation, as recorded on real AWS
 * or documented. Each test names its source: [localstack <file>] is a snapshot in localstack/localstack
 * tests/aws/services/stepfunctions/v2/ recorded against AWS.
 */
import { compileStateMachine, fakeClock, TaskHandlerRegistry, type HistoryEvent } from '../../../local/asl';
import { EXEC_ARN, output, run, SM_ARN, types } from './harness';

const failed = (events: HistoryEvent[]) => events.at(-1)!.executionFailedEventDetails as { error?: string; cause?: string };

describe('Wait', () => {
  const waitPath = (field: 'SecondsPath' | 'TimestampPath', path = '$.start_at') => ({ StartAt: 'State_1', States: { State_1: { Type: 'Wait', [field]: path, End: true } } });
  const prefix = "An error occurred while executing the state 'State_1' (entered at the event id #2). ";

  test.each(['2023-12-11T22:06:14', '2023-12-11T22:06:14.000000', '2023-12-11T22:06:14.000'])(
    'TimestampPath %s without Z: "does not reference a valid ISO-8601 extended offset date-time format string" [localstack base/test_wait.snapshot.json test_wait_timestamppath]',
    async (ts) => {
      const r = await run(waitPath('TimestampPath'), { start_at: ts });
      expect(types(r.events)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionFailed']);
      expect(failed(r.events)).toEqual({
        cause: `${prefix}The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == ${ts}`,
        error: 'States.Runtime',
      });
    },
  );

  test.each(['Z', '.000000Z', '.000Z', '.0000000Z', '.00Z'])('TimestampPath with the suffix %s waits until then [localstack test_wait_timestamppath]', async (suffix) => {
    const clock = fakeClock(new Date('2023-12-11T22:00:00.000Z'));
    const r = await run(waitPath('TimestampPath'), { start_at: `2023-12-11T22:06:14${suffix}` }, { clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(clock.now().toISOString()).toBe('2023-12-11T22:06:14.000Z');
  });

  test('a timestamp is waited for to the second: milliseconds are truncated (state-wait docs)', async () => {
    const clock = fakeClock(new Date('2024-01-01T00:00:00.000Z'));
    await run({ StartAt: 'W', States: { W: { Type: 'Wait', Timestamp: '2024-01-01T00:00:05.900Z', End: true } } }, {}, { clock });
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:05.000Z');
  });

  test('a timestamp in the past does not wait [localstack test_timestamp_in_past]', async () => {
    const clock = fakeClock(new Date('2024-01-01T00:00:00.000Z'));
    const r = await run(waitPath('TimestampPath'), { start_at: '2023-12-30T00:00:00.000Z' }, { clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:00.000Z');
  });

  test('a timestamp 800 days ahead is waited for, not refused [localstack test_timestamp_too_far_in_future_fails: WaitStateEntered, then nothing]', async () => {
    const clock = fakeClock(new Date('2024-01-01T00:00:00.000Z'));
    const r = await run(waitPath('TimestampPath'), { start_at: '2026-03-11T00:00:00.000Z' }, { clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(clock.now().toISOString()).toBe('2026-03-11T00:00:00.000Z');
  });

  test('an impossible calendar date is not a timestamp (java.time refuses 2024-02-30 where Date.parse rolls it over)', async () => {
    const r = await run(waitPath('TimestampPath'), { start_at: '2024-02-30T00:00:00Z' });
    expect(failed(r.events).cause).toBe(
      `${prefix}The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: $.start_at == 2024-02-30T00:00:00Z`,
    );
  });

  // The SecondsPath/TimestampPath causes below are AWS's as LocalStack reproduces them
  // (localstack-core/localstack/services/stepfunctions/asl/component/state/state_wait/wait_function/seconds_path.py).
  test.each([
    [{}, 'The SecondsPath parameter does not reference an input value: $.start_at'],
    [{ start_at: 'abc' }, 'The SecondsPath parameter cannot be parsed as a long value: $.start_at == abc'],
    [{ start_at: 1.5 }, 'The SecondsPath parameter cannot be parsed as a long value: $.start_at == 1.5'],
    [{ start_at: -1 }, 'The SecondsPath parameter references a negative value: $.start_at == -1'],
  ])('SecondsPath over %j', async (input, text) => {
    const r = await run(waitPath('SecondsPath'), input);
    expect(failed(r.events)).toEqual({ cause: prefix + text, error: 'States.Runtime' });
  });

  test('TimestampPath that selects nothing: "does not reference an input value"', async () => {
    const r = await run(waitPath('TimestampPath'), {});
    expect(failed(r.events).cause).toBe(`${prefix}The TimestampPath parameter does not reference an input value: $.start_at`);
  });

  test('SecondsPath may read a variable', async () => {
    const clock = fakeClock(new Date('2024-01-01T00:00:00.000Z'));
    const r = await run(
      { StartAt: 'S', States: { S: { Type: 'Pass', Assign: { wait: 3 }, Next: 'W' }, W: { Type: 'Wait', SecondsPath: '$wait', End: true } } },
      {},
      { clock },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(clock.now().toISOString()).toBe('2024-01-01T00:00:03.000Z');
  });
});

describe('States.StringToJson edge inputs [localstack intrinsic_functions/test_json_manipulation.snapshot.json test_string_to_json]', () => {
  test.each([
    ['', null],
    [' ', null],
    ['null', null],
    ['-0', 0],
    ['1', 1],
    ['1.1', 1.1],
    ['true', true],
    ['"HelloWorld"', 'HelloWorld'],
    ['[1, 2, "HelloWorld"]', [1, 2, 'HelloWorld']],
    ['{"Arg1": 1, "Arg2": []}', { Arg1: 1, Arg2: [] }],
  ])('%j', async (text, expected) => {
    const r = await run(
      { StartAt: 'State_0', States: { State_0: { Type: 'Pass', Parameters: { 'FunctionResult.$': 'States.StringToJson($.FunctionInput)' }, End: true } } },
      { FunctionInput: text },
    );
    expect(r.output).toBe(JSON.stringify({ FunctionResult: expected }));
  });
});

describe('JSONata $range', () => {
  // "$range collapses a single-element range to the bare number, not a one-element array" (Floci, measured on AWS:
  // floci-io/floci docs/services/step-functions.md, "JSONata functions").
  test('a one-element range is the number itself', async () => {
    const r = await run({
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: { A: { Type: 'Pass', Output: { one: '{% $range(1, 1, 1) %}', firstOnly: '{% $range(0, 3, 5) %}', down: '{% $range(4, 2, -5) %}', two: '{% $range(1, 2, 1) %}' }, End: true } },
    });
    expect(output(r)).toEqual({ one: 1, firstOnly: 0, down: 4, two: [1, 2] });
  });
});

describe('the context object of an Express execution', () => {
  // An Express execution cannot be redriven (RedriveExecution: "This API action is not supported by EXPRESS state
  // machines", https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html) and its
  // $$.Execution has no RedriveCount (measured on AWS, issue #12).
  const def = { StartAt: 'C', States: { C: { Type: 'Pass', Parameters: { 'e.$': '$$.Execution' }, End: true } } };
  test('has no RedriveCount; a Standard one has RedriveCount 0', async () => {
    const machine = compileStateMachine(def);
    const exec = async (executionArn: string) =>
      JSON.parse(
        (await machine.execute({ executionArn, stateMachineArn: SM_ARN, name: 'n', input: '{}', taskHandlers: new TaskHandlerRegistry(), clock: fakeClock() })).output!,
      ).e as Record<string, unknown>;
    const express = await exec('arn:aws:states:us-east-1:123456789012:express:Test:n:2b3c4d5e-0000-4000-8000-000000000000');
    expect(Object.keys(express)).toEqual(['Id', 'Input', 'StartTime', 'Name', 'RoleArn']);
    const standard = await exec(EXEC_ARN);
    expect(Object.keys(standard)).toEqual(['Id', 'Input', 'StartTime', 'Name', 'RoleArn', 'RedriveCount']);
    expect(standard.RedriveCount).toBe(0);
  });
});

describe('one failure, one EvaluationFailed', () => {
  // A JSONata failure in a Task is not the task failing: States.TaskFailed does not match States.QueryEvaluationError
  // ("as recorded, States.TaskFailed doesn't match it, though States.ALL and its own name do", fakecloud-stepfunctions
  // 0.52 src/error_handling.rs). A Retry on States.TaskFailed therefore does not run the expression again: the
  // history has one EvaluationFailed, where a retried attempt would add identical ones.
  const def = (errorEquals: string[]) => ({
    QueryLanguage: 'JSONata',
    StartAt: 'Get',
    States: {
      Get: {
        Type: 'Task',
        Resource: 'arn:aws:states:::dynamodb:getItem',
        Arguments: { TableName: 't', Key: { pk: { S: '{% $states.input.missing %}' } } },
        Retry: [{ ErrorEquals: errorEquals, MaxAttempts: 2, IntervalSeconds: 1 }],
        End: true,
      },
    },
  });
  const handlers = { 'arn:aws:states:::dynamodb:getItem': { returns: {} } };

  test('a Retry on States.TaskFailed (and States.Timeout) does not retry it', async () => {
    const r = await run(def(['States.TaskFailed', 'States.Timeout']), {}, { handlers });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
  });
  test('a Catch on States.TaskFailed does not catch it', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Get',
        States: {
          Get: { ...def([]).States.Get, Retry: undefined, Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Handled' }] },
          Handled: { Type: 'Succeed' },
        },
      },
      {},
      { handlers },
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.QueryEvaluationError');
  });
  test('States.ALL and States.QueryEvaluationError still retry it, one EvaluationFailed per attempt [floci-branch]', async () => {
    for (const name of ['States.ALL', 'States.QueryEvaluationError']) {
      const r = await run(def([name]), {}, { handlers });
      expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'EvaluationFailed', 'EvaluationFailed', 'EvaluationFailed', 'ExecutionFailed']);
    }
  });
});

describe('CreateStateMachine accepts what AWS accepts', () => {
  const ok = (def: object) => expect(() => compileStateMachine(def)).not.toThrow();
  const P = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

  test('Assign, Parameters and Result with constant arrays, null inside them included', () => {
    ok({ StartAt: 'A', States: { A: { Type: 'Pass', Assign: { items: [1, 2, 3], list: [null, 'x', { k: [null] }], empty: [] }, End: true } } });
    ok({ StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { values: [null, 1, [2, null]] }, Result: { values: [null] }, End: true } } });
    ok({ QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', Assign: { items: [1, null, '{% $states.input %}'] }, End: true } } });
  });

  test('JSONata expressions over variables named like $items, in every field that takes one', () => {
    ok({
      QueryLanguage: 'JSONata',
      StartAt: 'S',
      States: {
        S: { Type: 'Pass', Assign: { items: [1, 2], count: 2 }, Next: 'M' },
        M: {
          Type: 'Map',
          Items: '{% $items %}',
          MaxConcurrency: '{% $count %}',
          ItemSelector: { v: '{% $states.context.Map.Item.Value %}', all: '{% $items %}' },
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $items[0] %}', End: true } } },
          Output: '{% $map($items, function($v) { $v * 2 }) %}',
          Next: 'C',
        },
        C: { Type: 'Choice', Choices: [{ Condition: '{% $count($items) > 0 %}', Next: 'D' }], Default: 'D' },
        D: { Type: 'Succeed' },
      },
    });
  });

  test('JSONPath ...Path fields that read a variable or the context object', () => {
    ok({ StartAt: 'M', States: { M: { Type: 'Map', ItemsPath: '$items', MaxConcurrencyPath: '$mc', ToleratedFailureCountPath: '$$.Execution.Input.n', ItemProcessor: P, End: true } } });
    ok({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSecondsPath: '$timeout', HeartbeatSecondsPath: '$$.Execution.Input.hb', End: true } } });
  });

  test('a Distributed Map with a Label', () => {
    ok({ StartAt: 'M', States: { M: { Type: 'Map', Label: 'TestMap', ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }, ...P }, End: true } } });
  });
});
