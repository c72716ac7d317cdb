/**
 * Behaviours recorded on real AWS Step Functions, with where each recording comes from:
 * - [floci-branch] Floci's AslExecutorBranchHistoryEventsTest: "Every shape here was read off real Step Functions
 *   in us-east-1" (floci-io/floci, src/test/java/.../stepfunctions/AslExecutorBranchHistoryEventsTest.java);
 * - [floci-jsonata] Floci issues #2665 / #2736 / PR #2689 (JSONata causes measured on AWS with TestState/executions);
 * - [localstack] LocalStack's snapshot tests recorded against AWS (tests/aws/services/stepfunctions/v2/...).
 */
import { TaskError, TaskHandlerRegistry, type HistoryEvent } from '../../../local/asl';
import { compileJsonata, makeBindings } from '../../../local/asl/jsonata';
import { output, run, types } from './harness';

const prev = (events: HistoryEvent[]) => events.map((e) => e.previousEventId);
const failed = (events: HistoryEvent[]) => events.at(-1)!.executionFailedEventDetails as { error?: string; cause?: string };

describe('Choice', () => {
  test('no rule matches and no Default: States.Runtime "Failed to transition out of the state..." [floci-branch]', async () => {
    const r = await run(
      { StartAt: 'C', States: { C: { Type: 'Choice', Choices: [{ Variable: '$.x', StringEquals: 'never', Next: 'Done' }] }, Done: { Type: 'Pass', End: true } } },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'ChoiceStateEntered', 'ExecutionFailed']);
    expect(failed(r.events)).toEqual({
      cause: "An error occurred while executing the state 'C' (entered at the event id #2). Failed to transition out of the state. The state does not point to a next state.",
      error: 'States.Runtime',
    });
  });

  test('timestamps need an uppercase T and Z (https://states-language.net/spec.html#timestamps)', async () => {
    const def = {
      StartAt: 'C',
      States: { C: { Type: 'Choice', Choices: [{ Variable: '$.t', IsTimestamp: true, Next: 'Yes' }], Default: 'No' }, Yes: { Type: 'Pass', Result: 'yes', End: true }, No: { Type: 'Pass', Result: 'no', End: true } },
    };
    expect(output(await run(def, { t: '2016-03-14T01:59:00Z' }))).toBe('yes');
    expect(output(await run(def, { t: '2016-03-14t01:59:00z' }))).toBe('no');
  });
});

describe('JSONata failures name the field by its path in the state [floci-jsonata]', () => {
  const jsonata = (state: object) => ({ QueryLanguage: 'JSONata', StartAt: 'E', States: { E: { ...state, End: true } } });
  const missing = '{% $states.input.missing %}';
  const cases: [string, object, string][] = [
    ['Output/v', { Type: 'Pass', Output: { v: missing } }, 'Output/v'],
    ['Output/a/b', { Type: 'Pass', Output: { a: { b: missing } } }, 'Output/a/b'],
    ['Output', { Type: 'Pass', Output: missing }, 'Output'],
    ['Output/values[0]', { Type: 'Pass', Output: { values: [missing, 1] } }, 'Output/values[0]'],
    ['Output/a/b[0][1]', { Type: 'Pass', Output: { a: { b: [[1, missing]] } } }, 'Output/a/b[0][1]'],
    ['Assign/x/y', { Type: 'Pass', Assign: { x: { y: missing } } }, 'Assign/x/y'],
    ['Assign/x', { Type: 'Pass', Assign: { x: missing } }, 'Assign/x'],
  ];
  test.each(cases)('%s', async (_name, state, field) => {
    const r = await run(jsonata(state), { x: 'a' });
    const cause = `An error occurred while executing the state 'E' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field '${field}' returned nothing (undefined).`;
    expect(types(r.events)).toEqual(['ExecutionStarted', 'PassStateEntered', 'EvaluationFailed', 'ExecutionFailed']);
    expect(r.events[2].evaluationFailedEventDetails).toEqual({ cause, error: 'States.QueryEvaluationError', location: field, state: 'E' });
    expect(failed(r.events)).toEqual({ cause, error: 'States.QueryEvaluationError' });
  });

  test('Choices[1]/Condition (a later rule is evaluated only when the earlier ones are false)', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'C',
        States: {
          C: { Type: 'Choice', Choices: [{ Condition: '{% false %}', Next: 'D' }, { Condition: missing, Next: 'D' }], Default: 'D' },
          D: { Type: 'Succeed' },
        },
      },
      {},
    );
    expect(r.error).toBe('States.QueryEvaluationError');
    expect(r.cause).toContain("specified for the field 'Choices[1]/Condition' returned nothing (undefined).");
  });

  test("a matched rule's own Output and Assign: Choices[i]/Output/v, Choices[i]/Assign/x", async () => {
    const def = (rule: object) => ({
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: { C: { Type: 'Choice', Choices: [{ Condition: '{% false %}', Next: 'D' }, { Condition: '{% true %}', ...rule, Next: 'D' }] }, D: { Type: 'Succeed' } },
    });
    expect((await run(def({ Output: { v: missing } }))).cause).toContain("for the field 'Choices[1]/Output/v'");
    expect((await run(def({ Assign: { x: missing } }))).cause).toContain("for the field 'Choices[1]/Assign/x'");
  });

  test('Task Arguments: Arguments/MessageBody; one EvaluationFailed per attempt when retried [floci-branch]', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Send',
        States: {
          Send: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sqs:sendMessage',
            Arguments: { QueueUrl: 'https://sqs.us-east-1.amazonaws.com/000000000000/q', MessageBody: missing },
            Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }],
            End: true,
          },
        },
      },
      { x: 'a' },
      { handlers: { 'arn:aws:states:::sqs:sendMessage': { echo: true } } },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'EvaluationFailed', 'EvaluationFailed', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4]);
    const cause =
      "An error occurred while executing the state 'Send' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Arguments/MessageBody' returned nothing (undefined).";
    const details = { cause, error: 'States.QueryEvaluationError', location: 'Arguments/MessageBody', state: 'Send' };
    expect(r.events[2].evaluationFailedEventDetails).toEqual(details);
    expect(r.events[3].evaluationFailedEventDetails).toEqual(details);
    expect(failed(r.events)).toEqual({ cause, error: 'States.QueryEvaluationError' });
  });

  test('an expression that throws: "... threw an error during evaluation. <CODE>: <message>" [floci-jsonata #2668/#2736]', async () => {
    const r = await run(jsonata({ Type: 'Pass', Output: { r: '{% $sum("a") %}' } }));
    expect(r.cause).toBe(
      "An error occurred while executing the state 'E' (entered at the event id #2). The JSONata expression '$sum(\"a\")' specified for the field 'Output/r' threw an error during evaluation. T0412: Argument 1 of function \"sum\" must be an array of \"numbers\"",
    );
    const e = await run(jsonata({ Type: 'Pass', Output: "{% $error('limit must be an integer') %}" }));
    expect(e.cause).toContain("specified for the field 'Output' threw an error during evaluation. D3137: limit must be an integer");
  });

  test('non-finite numbers are written as the strings JavaScript names them by [floci docs]', async () => {
    const r = await run(jsonata({ Type: 'Pass', Output: { inf: '{% 1/0 %}', list: '{% [1/0, 2] %}' } }));
    expect(output(r)).toEqual({ inf: 'Infinity', list: ['Infinity', 2] });
  });
});

describe('JSONata Step Functions functions, edge cases measured on AWS [floci docs]', () => {
  const ev = (expr: string) => compileJsonata(`{% ${expr} %}`, 'Output').evaluate(makeBindings({ input: {}, context: {} }, {}));
  test('$random(seed) is java.util.Random(seed).nextDouble(): $random(42) = 0.7275636800328681', async () => {
    expect(await ev('$random(42)')).toBe(0.7275636800328681);
  });
  test('$range: truncation towards zero, a one-element range is the bare number, a wrong-signed step is nothing', async () => {
    expect(await ev('$range(-1.7, 2, 1)')).toEqual([-1, 0, 1, 2]);
    expect(await ev('$range(3, 3, 1)')).toBe(3);
    await expect(ev('$range(1, 5, -1)')).rejects.toThrow(/returned nothing/);
  });
  test('$partition: an empty array or a zero chunk size is nothing; 2.9 chunks by 2', async () => {
    expect(await ev('$partition([1,2,3], 2.9)')).toEqual([[1, 2], [3]]);
    await expect(ev('$partition([], 2)')).rejects.toThrow(/returned nothing/);
    await expect(ev('$partition([1], 0)')).rejects.toThrow(/returned nothing/);
  });
  test('$hash with an unknown algorithm: D3137', async () => {
    await expect(ev("$hash('x', 'SHA-2')")).rejects.toThrow("D3137: Hash algorithm 'SHA-2' must be one of SHA-1, SHA-384, SHA-256, SHA-512, MD5");
  });
  test('$parse of invalid JSON: D3137', async () => {
    await expect(ev("$parse('{')")).rejects.toThrow('D3137: Invalid JSON');
  });
});

describe('Parallel history [floci-branch]', () => {
  test('branches chain from ParallelStateStarted; ParallelStateSucceeded and Exited point at the last branch event', async () => {
    const r = await run(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              { StartAt: 'A1', States: { A1: { Type: 'Pass', Next: 'A2' }, A2: { Type: 'Pass', End: true } } },
              { StartAt: 'B1', States: { B1: { Type: 'Pass', Next: 'B2' }, B2: { Type: 'Pass', End: true } } },
            ],
            Next: 'After',
          },
          After: { Type: 'Pass', End: true },
        },
      },
      { x: 'a' },
    );
    expect(r.events).toHaveLength(16);
    const started = r.events.find((e) => e.type === 'ParallelStateStarted')!;
    expect(started.previousEventId).toBe(2);
    for (const b of ['A', 'B']) {
      const ev = (type: string, name: string) =>
        r.events.find((e) => e.type === type && ((e.stateEnteredEventDetails ?? e.stateExitedEventDetails) as { name: string }).name === name)!;
      expect(ev('PassStateEntered', `${b}1`).previousEventId).toBe(started.id);
      expect(ev('PassStateExited', `${b}1`).previousEventId).toBe(ev('PassStateEntered', `${b}1`).id);
      expect(ev('PassStateEntered', `${b}2`).previousEventId).toBe(ev('PassStateExited', `${b}1`).id);
    }
    expect(types(r.events).slice(11)).toEqual(['ParallelStateSucceeded', 'ParallelStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    expect(r.events[11].previousEventId).toBe(r.events[10].id);
    expect(r.events[12].previousEventId).toBe(r.events[10].id);
  });

  test('a States.Runtime error in a branch ends the execution without ParallelStateFailed', async () => {
    const r = await run(
      { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'Fast', States: { Fast: { Type: 'Pass', Parameters: { 'm.$': '$.nope' }, End: true } } }], End: true } } },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4]);
    expect(failed(r.events)).toEqual({
      cause: "An error occurred while executing the state 'Fast' (entered at the event id #4). The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '{\"x\":\"a\"}'",
      error: 'States.Runtime',
    });
  });

  test('a Fail state in a branch: ParallelStateFailed, then its error and cause unchanged', async () => {
    const r = await run(
      { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'MyError', Cause: 'my cause' } } }], End: true } } },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted', 'FailStateEntered', 'ParallelStateFailed', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5]);
    expect(r.events[4]).not.toHaveProperty('parallelStateFailedEventDetails');
    expect(failed(r.events)).toEqual({ cause: 'my cause', error: 'MyError' });
  });

  test('a caught JSONata failure in a branch: EvaluationFailed, ParallelStateFailed, ParallelStateExited with the error output', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Undef', States: { Undef: { Type: 'Pass', Output: { v: '{% $states.input.missing %}' }, End: true } } }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'PassStateEntered',
      'EvaluationFailed',
      'ParallelStateFailed',
      'ParallelStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 6, 7, 8, 9]);
    const cause =
      "An error occurred while executing the state 'Undef' (entered at the event id #4). The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).";
    expect(r.events[4].evaluationFailedEventDetails).toEqual({ error: 'States.QueryEvaluationError', cause, location: 'Output/v', state: 'Undef' });
    expect(output(r)).toEqual({ Error: 'States.QueryEvaluationError', Cause: cause });
  });

  test("the Parallel's own failure after its branches succeeded is the Parallel's (ParallelStateSucceeded, no Failed)", async () => {
    const r = await run(
      { StartAt: 'P', States: { P: { Type: 'Parallel', Branches: [{ StartAt: 'Ok', States: { Ok: { Type: 'Pass', End: true } } }], ResultSelector: { 'm.$': '$.nope' }, End: true } } },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ParallelStateStarted', 'PassStateEntered', 'PassStateExited', 'ParallelStateSucceeded', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 6]);
    expect(r.cause).toBe(
      "An error occurred while executing the state 'P' (entered at the event id #2). The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '[{\"x\":\"a\"}]'",
    );
  });

  test('a Task failure ending a branch is recorded as TaskStateAborted; the error output passes through', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::sqs:sendMessage', async () => {
      throw new TaskError('SQS.QueueDoesNotExistException', 'The specified queue does not exist.');
    });
    const r = await run(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Send', States: { Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Parameters: { MessageBody: 'hi' }, End: true } } }],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handled' }],
            End: true,
          },
          Handled: { Type: 'Pass', End: true },
        },
      },
      { x: 'a' },
      { handlers: registry },
    );
    expect(types(r.events)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateAborted',
      'ParallelStateFailed',
      'ParallelStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 6, 7, 7, 9, 10, 11, 12]);
    expect(output(r)).toEqual({ Error: 'SQS.QueueDoesNotExistException', Cause: 'The specified queue does not exist.' });
  });

  test('a Catch inside the branch takes its Next: no TaskStateAborted', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::sqs:sendMessage', async () => {
      throw new TaskError('MyError', 'boom');
    });
    const r = await run(
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'Send',
                States: {
                  Send: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover' }], End: true },
                  Recover: { Type: 'Pass', Result: { recovered: true }, End: true },
                },
              },
            ],
            End: true,
          },
        },
      },
      {},
      { handlers: registry },
    );
    expect(output(r)).toEqual([{ recovered: true }]);
    expect(types(r.events)).not.toContain('TaskStateAborted');
  });

  test("a Catch clause whose own Output fails: EvaluationFailed from before ParallelStateFailed, then the state fails again (Catch[1]/Output/v)", async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [{ StartAt: 'Boom', States: { Boom: { Type: 'Fail', Error: 'MyError', Cause: 'my cause' } } }],
            Catch: [
              { ErrorEquals: ['Other'], Next: 'Done' },
              { ErrorEquals: ['States.ALL'], Output: { v: '{% $states.input.missing %}' }, Next: 'Done' },
            ],
            End: true,
          },
          Done: { Type: 'Pass', End: true },
        },
      },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'EvaluationFailed',
      'ParallelStateFailed',
      'ExecutionFailed',
    ]);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 4, 6, 7]);
    const cause =
      "An error occurred while executing the state 'P' (entered at the event id #2). The JSONata expression '$states.input.missing' specified for the field 'Catch[1]/Output/v' returned nothing (undefined).";
    expect(r.events[5].evaluationFailedEventDetails).toEqual({ error: 'States.QueryEvaluationError', cause, location: 'Catch[1]/Output/v', state: 'P' });
    expect(failed(r.events)).toEqual({ error: 'States.QueryEvaluationError', cause });
  });

  test('a caught error without a cause gives {"Error": ..., "Cause": ""} [localstack execute_state.py]', async () => {
    const r = await run({
      StartAt: 'P',
      States: {
        P: { Type: 'Parallel', Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'NoCause' } } }], Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }], End: true },
        H: { Type: 'Pass', End: true },
      },
    });
    expect(output(r)).toEqual({ Error: 'NoCause', Cause: '' });
  });
});

describe('Map history [floci-branch]', () => {
  test('iterations chain from MapIterationStarted; MapStateSucceeded/Exited point at the last MapIterationSucceeded', async () => {
    const r = await run(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemsPath: '$.items',
            ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'I1', States: { I1: { Type: 'Pass', Next: 'I2' }, I2: { Type: 'Pass', End: true } } },
            Next: 'After',
          },
          After: { Type: 'Pass', End: true },
        },
      },
      { items: [1, 2] },
    );
    expect(r.events).toHaveLength(20);
    expect(r.events[2].mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(types(r.events).slice(15)).toEqual(['MapStateSucceeded', 'MapStateExited', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
    expect(r.events[14].type).toBe('MapIterationSucceeded');
    expect(r.events[14].mapIterationSucceededEventDetails).toEqual({ index: 1, name: 'M' });
    expect(r.events[15].previousEventId).toBe(r.events[14].id);
    expect(r.events[16].previousEventId).toBe(r.events[14].id);
  });

  test('a Map over no items exits from its MapStateStarted event', async () => {
    const r = await run(
      { StartAt: 'M', States: { M: { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } } },
      { items: [] },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 3, 5]);
  });

  test('an iteration failure: MapIterationFailed and MapStateFailed both point at the iteration’s last event', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Items: '{% $states.input.items %}',
            MaxConcurrency: 1,
            ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'Undef', States: { Undef: { Type: 'Pass', Output: { v: '{% $states.input.missing %}' }, End: true } } },
            End: true,
          },
        },
      },
      { items: [1, 2] },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapIterationStarted', 'PassStateEntered', 'EvaluationFailed', 'MapIterationFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 6, 6, 8]);
    expect(r.events[6].mapIterationFailedEventDetails).toEqual({ index: 0, name: 'M' });
    expect(r.cause).toBe(
      "An error occurred while executing the state 'Undef' (entered at the event id #5). The JSONata expression '$states.input.missing' specified for the field 'Output/v' returned nothing (undefined).",
    );
  });

  test('a States.Runtime error in an iteration leaves no MapIterationFailed/MapStateFailed', async () => {
    const r = await run(
      {
        StartAt: 'M',
        States: {
          M: { Type: 'Map', ItemsPath: '$.items', MaxConcurrency: 1, ItemProcessor: { StartAt: 'Fast', States: { Fast: { Type: 'Pass', Parameters: { 'm.$': '$.nope' }, End: true } } }, End: true },
        },
      },
      { items: [1, 2] },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapIterationStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5]);
    expect(r.cause).toBe(
      "An error occurred while executing the state 'Fast' (entered at the event id #5). The JSONPath '$.nope' specified for the field 'm.$' could not be found in the input '1'",
    );
  });

  // The EvaluationFailed of an Items failure chains from the event before MapStateEntered (here 0): recorded on AWS
  // for Items over a variable that is not an array, LocalStack tests/aws/services/stepfunctions/v2/scenarios/
  // test_base_scenarios.snapshot.json, test_map_state_items_eval_jsonata_variable_sampling_fail[*] (MapStateEntered
  // #4 ← 3, EvaluationFailed #5 ← 3, MapStateFailed #6 ← 5).
  test('an Items expression failure is recorded before the Map starts, then MapStateFailed', async () => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Fan',
        States: { Fan: { Type: 'Map', Items: '{% $states.input.missing %}', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } },
      },
      { x: 'a' },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'EvaluationFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 0, 3, 4]);
    expect(r.events[2].evaluationFailedEventDetails).toMatchObject({ location: 'Items', state: 'Fan' });
  });

  test('Items that is not an array [localstack items.py]', async () => {
    const r = await run(
      { QueryLanguage: 'JSONata', StartAt: 'M', States: { M: { Type: 'Map', Items: '{% $states.input.o %}', ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } }, End: true } } },
      { o: { a: 1 } },
    );
    expect(r.cause).toBe(
      "An error occurred while executing the state 'M' (entered at the event id #2). The JSONata expression '$states.input.o' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'object' for value: {\"a\":1}",
    );
  });

  test("states of an ItemProcessor use the state machine's QueryLanguage, not the Map's [floci docs]", async () => {
    const r = await run(
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            QueryLanguage: 'JSONata',
            Items: '{% $states.input.items %}',
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', Parameters: { 'v.$': '$' }, End: true } } },
            End: true,
          },
        },
      },
      { items: [1, 2] },
    );
    expect(output(r)).toEqual([{ v: 1 }, { v: 2 }]);
  });
});

describe('intrinsics', () => {
  test('a missing path argument: "The function ... had the following error: The JsonPath argument for the field ..."', async () => {
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Pass', Parameters: { 'a.$': 'States.Array($.optionalProperty)' }, End: true } } }, { requiredProperty: 1 });
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toBe(
      "An error occurred while executing the state 'T' (entered at the event id #2). The function 'States.Array($.optionalProperty)' had the following error: The JsonPath argument for the field '$.optionalProperty' could not be found in the input '{\"requiredProperty\":1}'",
    );
  });

  test('States.MathRandom with a seed is repeatable and in [start, end)', async () => {
    const def = { StartAt: 'T', States: { T: { Type: 'Pass', Parameters: { 'a.$': 'States.MathRandom(1, 999, 7)', 'b.$': 'States.MathRandom(1, 999, 7)' }, End: true } } };
    const o = output(await run(def)) as { a: number; b: number };
    expect(o.a).toBe(o.b);
    expect(o.a >= 1 && o.a < 999).toBe(true);
  });
});

describe('execution end states', () => {
  test('StopExecution with an error and a cause: ExecutionAborted carries them', async () => {
    const ac = new AbortController();
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', (inv) => {
      setImmediate(() => ac.abort({ error: 'Stopped', cause: 'by operator' }));
      return new Promise((_, reject) => inv.signal.addEventListener('abort', () => reject(new Error('stopped'))));
    });
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }, {}, { handlers: registry, signal: ac.signal });
    expect(r.status).toBe('ABORTED');
    expect(r.events.at(-1)!.executionAbortedEventDetails).toEqual({ cause: 'by operator', error: 'Stopped' });
    expect({ error: r.error, cause: r.cause }).toEqual({ error: 'Stopped', cause: 'by operator' });
  });

  test('.waitForTaskToken: the handler records TaskSubmitted with the service response [localstack test_heartbeats]', async () => {
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::sqs:sendMessage.waitForTaskToken', async (inv) => {
      inv.submitted!({ MessageId: 'm-1' });
      return { done: true };
    });
    const r = await run(
      { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { 'token.$': '$$.Task.Token' }, End: true } } },
      {},
      { handlers: registry },
    );
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    expect(r.events[4].taskSubmittedEventDetails).toEqual({
      output: '{"MessageId":"m-1"}',
      outputDetails: { truncated: false },
      resource: 'sendMessage.waitForTaskToken',
      resourceType: 'sqs',
    });
  });
});

describe('paths over a null input', () => {
  // Recorded on AWS (a Parameters "Input.$": "$" after OutputPath selected a null Payload): "An error occurred while
  // executing the state 'X' (entered at the event id #9). Unable to apply Path transformation to null or empty input."
  test('a Parameters path over a null input fails with States.Runtime', async () => {
    const r = await run({ StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'Input.$': '$' }, End: true } } }, null);
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toBe("An error occurred while executing the state 'A' (entered at the event id #2). Unable to apply Path transformation to null or empty input.");
  });
});

describe('InputPath/OutputPath on the context object [localstack context_object/test_context_object.snapshot.json]', () => {
  test('InputPath "$$" gives the context object; "$$.Execution.Input" the execution input', async () => {
    const r = await run({ StartAt: 'TestState', States: { TestState: { Type: 'Pass', InputPath: '$$', End: true } } }, { 'input-value': 0 });
    const c = output(r) as Record<string, Record<string, unknown>>;
    expect(Object.keys(c)).toEqual(['Execution', 'StateMachine', 'State']);
    expect(Object.keys(c.State)).toEqual(['Name', 'EnteredTime']);
    expect(c.Execution.Input).toEqual({ 'input-value': 0 });
    const i = await run({ StartAt: 'TestState', States: { TestState: { Type: 'Pass', InputPath: '$$.Execution.Input', End: true } } }, { 'input-value': 0 });
    expect(output(i)).toEqual({ 'input-value': 0 });
  });
  test('OutputPath "$$.Execution.Input"', async () => {
    const r = await run({ StartAt: 'TestState', States: { TestState: { Type: 'Pass', Result: 1, OutputPath: '$$.Execution.Input', End: true } } }, { 'input-value': 0 });
    expect(output(r)).toEqual({ 'input-value': 0 });
  });
});
