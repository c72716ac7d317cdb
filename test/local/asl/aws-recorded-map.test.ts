/**
 * Map behaviours recorded on real AWS Step Functions. Unless said otherwise, the source is LocalStack's snapshot
 * file recorded against AWS: localstack/localstack tests/aws/services/stepfunctions/v2/scenarios/
 * test_base_scenarios.snapshot.json ([scenarios] below, with the test's name).
 */
import { compileStateMachine, TaskHandlerRegistry, type HistoryEvent } from '../../../local/asl';
import { output, run, types } from './harness';

const prev = (events: HistoryEvent[]) => events.map((e) => e.previousEventId);
const failed = (events: HistoryEvent[]) => events.at(-1)!.executionFailedEventDetails as { error?: string; cause?: string };
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';

/** A Distributed Map over $.Items (or the input) whose item processor is `states`. */
function distributed(map: object = {}, states: object = { HandleItem: { Type: 'Pass', End: true } }, startAt = 'HandleItem') {
  return {
    StartAt: 'MapState',
    States: {
      MapState: {
        Type: 'Map',
        ...map,
        ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: startAt, States: states },
        End: true,
      },
    },
  };
}

describe('Distributed Map: a Map Run in the parent history', () => {
  test('MapStateStarted, MapRunStarted {mapRunArn}, MapRunSucceeded, MapStateSucceeded, MapStateExited; no iteration events [scenarios test_map_state_config_distributed_parameters]', async () => {
    const r = await run(distributed({ ItemSelector: { 'mapValue.$': '$$.Map.Item.Value', constantValue: 'constant' } }), ['Hello', 'World']);
    expect(r.status).toBe('SUCCEEDED');
    expect(types(r.events)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    // Recorded: 1←0, 2←0, 3←2, 4←3, 5←4, 6←5, 7←5, ExecutionSucceeded←7.
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 5, 7]);
    expect(r.events[2].mapStateStartedEventDetails).toEqual({ length: 2 });
    expect(Object.keys(r.events[3])).toContain('mapRunStartedEventDetails');
    expect(r.events[4]).not.toHaveProperty('mapRunSucceededEventDetails');
    expect(output(r)).toEqual([
      { mapValue: 'Hello', constantValue: 'constant' },
      { mapValue: 'World', constantValue: 'constant' },
    ]);
  });

  test('the Map Run ARN: mapRun:<state machine>/<UUID>:<UUID> without a Label [scenarios, docs concepts-examine-map-run]', async () => {
    const r = await run(distributed(), [1]);
    const arn = (r.events[3].mapRunStartedEventDetails as { mapRunArn: string }).mapRunArn;
    expect(arn).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:mapRun:Test/${UUID}:${UUID}$`));
  });

  test('the Label names the run: mapRun:<state machine>/TestMap:<UUID> [scenarios test_map_state_result_writer]', async () => {
    const r = await run(distributed({ Label: 'TestMap' }), [1]);
    const arn = (r.events[3].mapRunStartedEventDetails as { mapRunArn: string }).mapRunArn;
    expect(arn).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:mapRun:Test/TestMap:${UUID}$`));
  });

  test('an empty run: MapStateStarted {length: 0}, then the Map Run events', async () => {
    const r = await run(distributed({ ItemsPath: '$.items' }), { items: [] });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(output(r)).toEqual([]);
  });

  test('a child that fails: MapRunFailed {cause, error}, MapStateFailed after it, then ExecutionFailed with the same error [scenarios test_map_item_reader_csv_max_items_paths[-1] for the event shape]', async () => {
    const r = await run(distributed({}, { Boom: { Type: 'Fail', Error: 'Boom', Cause: 'item failed' } }, 'Boom'), [1]);
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunFailed', 'MapStateFailed', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 4, 5, 6]);
    const details = { cause: 'The specified tolerated failure threshold was exceeded', error: 'States.ExceedToleratedFailureThreshold' };
    expect(r.events[4].mapRunFailedEventDetails).toEqual(details);
    expect(Object.keys(r.events[4].mapRunFailedEventDetails as object)).toEqual(['cause', 'error']);
    expect(failed(r.events)).toEqual(details);
  });

  test('a States.Runtime error in a child is that child execution failing: the run fails, the Map can catch it', async () => {
    const def = {
      StartAt: 'MapState',
      States: {
        MapState: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Bad',
            States: { Bad: { Type: 'Pass', Parameters: { 'v.$': '$.missing' }, End: true } },
          },
          Catch: [{ ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    };
    const r = await run(def, [{}]);
    expect(r.status).toBe('SUCCEEDED');
    expect(types(r.events)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapRunStarted',
      'MapRunFailed',
      'MapStateFailed',
      'MapStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(output(r)).toEqual({ Error: 'States.ExceedToleratedFailureThreshold', Cause: 'The specified tolerated failure threshold was exceeded' });
  });

  test('failures within ToleratedFailureCount: the run succeeds, a failed item gives its error output', async () => {
    const def = distributed(
      { ToleratedFailureCount: 1, MaxConcurrency: 1 },
      {
        Check: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 2, Next: 'Boom' }], Default: 'Ok' },
        Boom: { Type: 'Fail', Error: 'Boom', Cause: 'two' },
        Ok: { Type: 'Pass', End: true },
      },
      'Check',
    );
    const r = await run(def, [1, 2, 3]);
    expect(r.status).toBe('SUCCEEDED');
    expect(types(r.events)).toContain('MapRunSucceeded');
    expect(output(r)).toEqual([1, { Error: 'Boom', Cause: 'two' }, 3]);
  });

  test("a child is an execution of its own: its context object and no variables of the parent's", async () => {
    const def = {
      StartAt: 'Set',
      States: {
        Set: { Type: 'Pass', Assign: { outer: 1 }, Next: 'MapState' },
        MapState: {
          Type: 'Map',
          Label: 'Run',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'Ctx',
            States: {
              Ctx: {
                Type: 'Pass',
                Parameters: { 'id.$': '$$.Execution.Id', 'input.$': '$$.Execution.Input', 'sm.$': '$$.StateMachine', 'redrive.$': '$$.Execution.RedriveCount' },
                End: true,
              },
            },
          },
          End: true,
        },
      },
    };
    const r = await run(def, [7]);
    const [child] = output(r) as { id: string; input: unknown; sm: { Id: string; Name: string }; redrive: number }[];
    expect(child.id).toMatch(new RegExp(`^arn:aws:states:us-east-1:123456789012:execution:Test/Run:${UUID}$`));
    expect(child.input).toBe(7);
    expect(child.sm).toEqual({ Id: 'arn:aws:states:us-east-1:123456789012:stateMachine:Test/Run', Name: 'Test/Run' });
    expect(child.redrive).toBe(0);

    const reads = await run(
      { ...def, States: { ...def.States, MapState: { ...def.States.MapState, ItemProcessor: { ...def.States.MapState.ItemProcessor, StartAt: 'Read', States: { Read: { Type: 'Pass', Parameters: { 'v.$': '$outer' }, End: true } } } } } },
      [7],
    );
    expect(reads.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  test('task handlers run for each child; the parent history has none of their events', async () => {
    const seen: unknown[] = [];
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
      seen.push(inv.input);
      return { ok: inv.input };
    });
    const r = await run(
      distributed({}, { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'n.$': '$' }, End: true } }, 'Call'),
      [1, 2],
      { handlers },
    );
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    expect(output(r)).toEqual([{ ok: { n: 1 } }, { ok: { n: 2 } }]);
    expect(types(r.events).filter((t) => t.startsWith('Task'))).toEqual([]);
  });
});

describe('MaxConcurrencyPath [scenarios test_max_concurrency_path[*]]', () => {
  const def = {
    StartAt: 'MapState',
    States: {
      MapState: {
        Type: 'Map',
        ItemsPath: '$.Values',
        MaxConcurrencyPath: '$.MaxConcurrencyValue',
        ItemProcessor: { ProcessorConfig: { Mode: 'INLINE' }, StartAt: 'HandleItem', States: { HandleItem: { Type: 'Pass', End: true } } },
        End: true,
      },
    },
  };
  test.each([
    ['NoNumber', '"NoNumber"'],
    [{}, '"{}"'],
  ])('%j fails with States.Runtime right after MapStateEntered, before MapStateStarted', async (value, shown) => {
    const r = await run(def, { MaxConcurrencyValue: value, Values: ['HelloWorld'] });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2]);
    expect(failed(r.events)).toEqual({
      cause: `An error occurred while executing the state 'MapState' (entered at the event id #2). The MaxConcurrencyPath field refers to value ${shown} which is not a valid integer: $.MaxConcurrencyValue`,
      error: 'States.Runtime',
    });
  });
  test.each([0, 1])('%j runs', async (value) => {
    const r = await run(def, { MaxConcurrencyValue: value, Values: ['HelloWorld'] });
    expect(output(r)).toEqual(['HelloWorld']);
  });
  test('a variable or the context object may hold it (JSONPath references)', async () => {
    const r = await run(
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { mc: 1 }, Next: 'MapState' },
          MapState: { ...def.States.MapState, ItemsPath: '$$.Execution.Input.Values', MaxConcurrencyPath: '$mc' },
        },
      },
      { Values: [1, 2] },
    );
    expect(output(r)).toEqual([1, 2]);
  });
});

describe('ToleratedFailureCountPath / ToleratedFailurePercentagePath [scenarios test_map_state_tolerated_failure_*_path[*]]', () => {
  const def = (field: string) =>
    distributed({ ItemsPath: '$.Items', MaxConcurrency: 1, [`${field}Path`]: `$.${field}` });
  const cause = (text: string) => `An error occurred while executing the state 'MapState' (entered at the event id #2). ${text}`;

  test.each([
    [{}, 'The ToleratedFailureCountPath field refers to value "{}" which is not a valid integer: $.ToleratedFailureCount'],
    ['NoNumber', 'The ToleratedFailureCountPath field refers to value "NoNumber" which is not a valid integer: $.ToleratedFailureCount'],
    [-1, 'ToleratedFailureCount cannot be negative.'],
  ])('count %j fails with States.Runtime after MapStateStarted', async (value, text) => {
    const r = await run(def('ToleratedFailureCount'), { Items: [0], ToleratedFailureCount: value });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed']);
    expect(prev(r.events)).toEqual([0, 0, 2, 3]);
    expect(failed(r.events)).toEqual({ cause: cause(text), error: 'States.Runtime' });
  });
  test.each([0, 1])('count %j runs', async (value) => {
    const r = await run(def('ToleratedFailureCount'), { Items: [0], ToleratedFailureCount: value });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'MapRunStarted', 'MapRunSucceeded', 'MapStateSucceeded', 'MapStateExited', 'ExecutionSucceeded']);
    expect(output(r)).toEqual([0]);
  });

  test.each([
    [{}, 'The ToleratedFailurePercentagePath field refers to value "{}" which is not a valid float: $.ToleratedFailurePercentage'],
    ['NoNumber', 'The ToleratedFailurePercentagePath field refers to value "NoNumber" which is not a valid float: $.ToleratedFailurePercentage'],
    [-1.1, 'ToleratedFailurePercentage must be between 0 and 100.'],
    [-1, 'ToleratedFailurePercentage must be between 0 and 100.'],
    [100.1, 'ToleratedFailurePercentage must be between 0 and 100.'],
  ])('percentage %j fails with States.Runtime after MapStateStarted', async (value, text) => {
    const r = await run(def('ToleratedFailurePercentage'), { Items: [0], ToleratedFailurePercentage: value });
    expect(types(r.events)).toEqual(['ExecutionStarted', 'MapStateEntered', 'MapStateStarted', 'ExecutionFailed']);
    expect(failed(r.events)).toEqual({ cause: cause(text), error: 'States.Runtime' });
  });
  test.each([0, 1, 1.1, 100])('percentage %j runs', async (value) => {
    const r = await run(def('ToleratedFailurePercentage'), { Items: [0], ToleratedFailurePercentage: value });
    expect(output(r)).toEqual([0]);
  });
});

describe('literal tolerated failures [scenarios test_map_state_tolerated_failure_values[*]]', () => {
  test('a fractional ToleratedFailurePercentage is accepted at creation and runs', async () => {
    expect(() => compileStateMachine(distributed({ ToleratedFailurePercentage: 0.5 }))).not.toThrow();
    expect(output(await run(distributed({ ToleratedFailurePercentage: 0.5 }), [0]))).toEqual([0]);
    expect(output(await run(distributed({ ToleratedFailureCount: 10 }), [0]))).toEqual([0]);
  });
  test('out of 0..100 it is still refused', () => {
    expect(() => compileStateMachine(distributed({ ToleratedFailurePercentage: 150 }))).toThrow(/ToleratedFailurePercentage/);
  });
});

describe('a JSONata Map without Items over an input that is not an array [scenarios test_map_state_items_input_types[*]]', () => {
  test.each([
    [1, '1'],
    ['string', '"string"'],
    [true, 'true'],
    [{ foo: 'bar' }, '{"foo":"bar"}'],
    [null, 'null'],
  ])('%j: EvaluationFailed without a location, chained from before MapStateEntered, then MapStateFailed', async (value, shown) => {
    const r = await run(
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Start',
        States: {
          Start: { Type: 'Pass', Output: '{% $states.input.items %}', Next: 'MapIterateState' },
          MapIterateState: { Type: 'Map', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true },
        },
      },
      { items: value },
    );
    const cause = `An error occurred while executing the state 'MapIterateState' (entered at the event id #4). Map state input must be an array but was: ${shown}`;
    expect(types(r.events)).toEqual(['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'MapStateEntered', 'EvaluationFailed', 'MapStateFailed', 'ExecutionFailed']);
    // Recorded: MapStateEntered #4 ← 3, EvaluationFailed #5 ← 3, MapStateFailed #6 ← 5, ExecutionFailed #7 ← 6.
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 3, 5, 6]);
    expect(r.events[4].evaluationFailedEventDetails).toEqual({ cause, error: 'States.QueryEvaluationError', state: 'MapIterateState' });
    expect(failed(r.events)).toEqual({ cause, error: 'States.QueryEvaluationError' });
  });

  test('Items that is not an array: "... Expected \'array\', but was \'number\' for value: 1" [scenarios test_map_state_items_eval_jsonata_variable_sampling_fail[number]]', async () => {
    const r = await run({
      QueryLanguage: 'JSONata',
      StartAt: 'Start',
      States: {
        Start: { Type: 'Pass', Assign: { ItemsVar: 1 }, Next: 'MapIterateState' },
        MapIterateState: { Type: 'Map', Items: '{% $ItemsVar %}', ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, End: true },
      },
    });
    expect(prev(r.events)).toEqual([0, 0, 2, 3, 3, 5, 6]);
    expect(r.events[4].evaluationFailedEventDetails).toEqual({
      cause:
        "An error occurred while executing the state 'MapIterateState' (entered at the event id #4). The JSONata expression '$ItemsVar' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was 'number' for value: 1",
      error: 'States.QueryEvaluationError',
      location: 'Items',
      state: 'MapIterateState',
    });
  });
});
