/**
 * TestState on the local endpoint, through @aws-sdk/client-sfn.
 *
 * Sources:
 * - API reference, TestState / MockInput / TestStateConfiguration / InspectionData
 *   (https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html), and the developer guide
 *   "Testing state machines with TestState API" (https://docs.aws.amazon.com/step-functions/latest/dg/test-state-isolation.html);
 * - answers recorded against AWS in Nov 2025 – Feb 2026, in LocalStack's
 *   tests/aws/services/stepfunctions/v2/test_state/*.snapshot.json (test_test_state_scenarios, test_state_configuration,
 *   test_state_mock_validation, test_field_validation_mode, test_state_context_object). The definitions marked
 *   "recorded" below are the ones of those tests (templates/test_state/statemachines/*.json5).
 */
import { SFNClient, TestStateCommand, type TestStateCommandInput } from '@aws-sdk/client-sfn';
import { ACCOUNT, REGION, ROLE, TestCloud, rejection, startCloud } from './helpers';

const json = (v: unknown) => JSON.stringify(v);
const parse = (s: string | undefined) => (s === undefined ? undefined : JSON.parse(s));

/** Recorded: BASE_TASK_STATE_RETRY. */
const TASK_RETRY = {
  QueryLanguage: 'JSONata',
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Arguments: { FunctionName: 'foo', Payload: 'bar' },
  Retry: [{ ErrorEquals: ['MockException'], IntervalSeconds: 1, MaxAttempts: 5, BackoffRate: 2.0 }],
  End: true,
};
/** Recorded: BASE_TASK_STATE_CATCH. */
const TASK_CATCH = {
  QueryLanguage: 'JSONata',
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Arguments: { FunctionName: 'foo', Payload: 'bar' },
  Catch: [
    { ErrorEquals: ['MockException'], Output: '{% $states.errorOutput %}', Next: 'HandleMockError' },
    { ErrorEquals: ['States.TaskFailed'], Output: '{% $states.errorOutput %}', Next: 'HandleThreshold' },
  ],
  End: true,
};
/** Recorded: BASE_MAP_STATE_CATCH and BASE_MAP_STATE_RETRY (a distributed Map, JSONata). */
const MAP = {
  Type: 'Map',
  QueryLanguage: 'JSONata',
  Items: '{% $states.input.Values %}',
  ItemProcessor: {
    ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
    StartAt: 'TestState',
    States: { TestState: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:hello', End: true } },
  },
  ToleratedFailureCount: 1,
  End: true,
};
const MAP_CATCH = {
  ...MAP,
  Catch: [
    { ErrorEquals: ['MockException'], Next: 'HandleMockError' },
    { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], Next: 'HandleThreshold' },
  ],
};
const MAP_RETRY = {
  ...MAP,
  Retry: [
    { ErrorEquals: ['MockException'], MaxAttempts: 3 },
    { ErrorEquals: ['States.ExceedToleratedFailureThreshold'], MaxAttempts: 2 },
  ],
};
const MOCK_ERROR = { errorOutput: { error: 'MockException', cause: 'Mock the cause of the error.' } };
const VALUES = json({ Values: ['first', 'second', 'third'] });

describe('TestState (SDK v3 against the local endpoint, disableHostPrefix)', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startCloud();
    cloud.lambdas.set('greeter', { invoke: async (event: any) => `Hello${event?.inputData ?? ''}!` });
  });
  afterAll(() => cloud.stop());

  const test = async (input: Omit<TestStateCommandInput, 'definition'> & { definition: unknown }) => {
    const { $metadata: _m, ...out } = await cloud.sfn.send(
      new TestStateCommand({ ...input, definition: typeof input.definition === 'string' ? input.definition : json(input.definition) }),
    );
    return out;
  };

  describe('data flow and inspection levels (recorded: test_base_inspection_level_*)', () => {
    it('INFO shows output and status only; DEBUG adds each processing step of a Pass (IO_PASS_STATE)', async () => {
      const definition = { Type: 'Pass', InputPath: '$.initialData', Parameters: { staticValue: 'some value', 'inputValue.$': '$.fieldFromInput' }, ResultPath: '$.modifiedData', End: true };
      const input = json({ initialData: { fieldFromInput: 'value from input', otherField: 'other' }, unrelatedData: { someOtherField: 1234 } });
      const expected = { ...JSON.parse(input), modifiedData: { staticValue: 'some value', inputValue: 'value from input' } };

      const info = await test({ definition, input, inspectionLevel: 'INFO' });
      expect(info).toEqual({ status: 'SUCCEEDED', output: json(expected) });

      const debug = await test({ definition, input, inspectionLevel: 'DEBUG' });
      const data = debug.inspectionData!;
      expect(Object.keys(data).sort()).toEqual(['afterInputPath', 'afterParameters', 'afterResultPath', 'afterResultSelector', 'input']);
      expect(parse(data.input)).toEqual(JSON.parse(input));
      expect(parse(data.afterInputPath)).toEqual({ fieldFromInput: 'value from input', otherField: 'other' });
      expect(parse(data.afterParameters)).toEqual({ staticValue: 'some value', inputValue: 'value from input' });
      expect(parse(data.afterResultSelector)).toEqual({ staticValue: 'some value', inputValue: 'value from input' });
      expect(parse(data.afterResultPath)).toEqual(expected);
    });

    it('a Pass with a Result shows result, afterResultSelector and afterResultPath, as recorded (BASE_RESULT_PASS_STATE)', async () => {
      const out = await test({ definition: { Type: 'Pass', Result: { resultKey: 'result value' }, End: true }, input: json({ Value: 'HelloWorld' }), inspectionLevel: 'TRACE' });
      expect(out.status).toBe('SUCCEEDED');
      expect(Object.keys(out.inspectionData!).sort()).toEqual(['afterResultPath', 'afterResultSelector', 'input', 'result']);
      expect(parse(out.inspectionData!.result)).toEqual({ resultKey: 'result value' });
    });

    it('a Choice names the next state (BASE_CHOICE_STATE: {type: Private, value: 22} → ValueInTwenties)', async () => {
      const definition = {
        Type: 'Choice',
        Choices: [
          { Not: { Variable: '$.type', StringEquals: 'Private' }, Next: 'Public' },
          { Variable: '$.value', NumericEquals: 0, Next: 'ValueIsZero' },
          { And: [{ Variable: '$.value', NumericGreaterThanEquals: 20 }, { Variable: '$.value', NumericLessThan: 30 }], Next: 'ValueInTwenties' },
        ],
        Default: 'DefaultState',
      };
      const out = await test({ definition, input: json({ type: 'Private', value: 22 }), inspectionLevel: 'DEBUG' });
      expect(out).toEqual({
        status: 'SUCCEEDED',
        nextState: 'ValueInTwenties',
        output: json({ type: 'Private', value: 22 }),
        inspectionData: { input: json({ type: 'Private', value: 22 }), afterInputPath: json({ type: 'Private', value: 22 }) },
      });
    });

    it('a Fail state is FAILED with its Error and Cause (BASE_FAIL_STATE)', async () => {
      const out = await test({ definition: { Type: 'Fail', Error: 'SomeFailure', Cause: "This state machines raises a 'SomeFailure' failure." }, input: json({ Value: 'HelloWorld' }) });
      expect(out).toEqual({ status: 'FAILED', error: 'SomeFailure', cause: "This state machines raises a 'SomeFailure' failure." });
    });

    it('a Task without a mock calls the local integration (a Lambda by ARN: result, afterResultSelector, afterResultPath)', async () => {
      const definition = { Type: 'Task', Resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:greeter`, End: true };
      const out = await test({ definition, roleArn: ROLE, input: json({ inputData: 'HelloWorld' }), inspectionLevel: 'DEBUG' });
      expect(out.status).toBe('SUCCEEDED');
      expect(out.output).toBe('"HelloHelloWorld!"');
      expect(out.inspectionData).toEqual({
        input: json({ inputData: 'HelloWorld' }),
        afterInputPath: json({ inputData: 'HelloWorld' }),
        afterParameters: json({ inputData: 'HelloWorld' }),
        result: '"HelloHelloWorld!"',
        afterResultSelector: '"HelloHelloWorld!"',
        afterResultPath: '"HelloHelloWorld!"',
      });
    });

    it('variables are seen by the state, and inspectionData.variables holds them with what it assigns', async () => {
      const definition = { Type: 'Pass', QueryLanguage: 'JSONata', Assign: { doubled: '{% $x * 2 %}' }, Output: { seen: '{% $x %}', ctx: '{% $states.context %}' }, End: true };
      const out = await test({ definition, variables: json({ x: 21 }), input: json({ input_values: [1, 2, 3] }), inspectionLevel: 'DEBUG' });
      expect(parse(out.output).seen).toBe(21);
      expect(parse(out.inspectionData!.variables)).toEqual({ x: 21, doubled: 42 });
      // Recorded (test_state_with_variables): an express execution ARN, RoleArn null without a roleArn, and a
      // single state named "StateName".
      const ctx = parse(out.output).ctx;
      expect(ctx.Execution).toEqual({
        Id: expect.stringMatching(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:[^:]+:[^:]+$`)),
        Input: { input_values: [1, 2, 3] },
        Name: expect.any(String),
        RoleArn: null,
        StartTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(ctx.StateMachine.Id).toMatch(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:`));
      expect(ctx.State).toEqual({ Name: 'StateName', EnteredTime: expect.any(String) });
    });

    it('a Wait state does not wait', async () => {
      const started = Date.now();
      const out = await test({ definition: { Type: 'Wait', Seconds: 3600, Next: 'After' } });
      expect(out).toEqual({ status: 'SUCCEEDED', output: '{}', nextState: 'After' });
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  describe('Retry and Catch (recorded: test_state_configuration_retrier_retry_count, test_state_task_catch_error)', () => {
    it('a matching retrier with attempts left is RETRIABLE with its index and backoff; exhausted, it is FAILED', async () => {
      const retriable = await test({ definition: TASK_RETRY, input: VALUES, inspectionLevel: 'DEBUG', mock: MOCK_ERROR, stateConfiguration: { retrierRetryCount: 4 } });
      expect(retriable).toEqual({
        status: 'RETRIABLE',
        error: 'MockException',
        cause: 'Mock the cause of the error.',
        inspectionData: { input: VALUES, afterArguments: json({ FunctionName: 'foo', Payload: 'bar' }), errorDetails: { retryIndex: 0, retryBackoffIntervalSeconds: 16 } },
      });
      const exhausted = await test({ definition: TASK_RETRY, input: VALUES, inspectionLevel: 'DEBUG', mock: MOCK_ERROR, stateConfiguration: { retrierRetryCount: 5 } });
      expect(exhausted).toEqual({
        status: 'FAILED',
        error: 'MockException',
        cause: 'Mock the cause of the error.',
        inspectionData: { input: VALUES, afterArguments: json({ FunctionName: 'foo', Payload: 'bar' }), errorDetails: { retryIndex: 0 } },
      });
    });

    it('a matching Catch is CAUGHT_ERROR with its index, the next state and the catcher output', async () => {
      const input = json({ Value: 'HelloWorld' });
      const mockError = await test({ definition: TASK_CATCH, input, inspectionLevel: 'DEBUG', mock: MOCK_ERROR });
      expect(mockError).toEqual({
        status: 'CAUGHT_ERROR',
        error: 'MockException',
        cause: 'Mock the cause of the error.',
        nextState: 'HandleMockError',
        output: json({ Error: 'MockException', Cause: 'Mock the cause of the error.' }),
        inspectionData: { input, afterArguments: json({ FunctionName: 'foo', Payload: 'bar' }), errorDetails: { catchIndex: 0 } },
      });
      const taskFailed = await test({ definition: TASK_CATCH, input, mock: { errorOutput: { error: 'States.TaskFailed', cause: 'The task failed.' } } });
      expect(taskFailed).toMatchObject({ status: 'CAUGHT_ERROR', error: 'States.TaskFailed', nextState: 'HandleThreshold' });
    });

    it('a real integration error is classified the same way (a missing Lambda, caught by States.ALL)', async () => {
      const definition = {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'nobody' },
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Recover' }],
        End: true,
      };
      const out = await test({ definition, roleArn: ROLE, input: json({ a: 1 }) });
      expect(out).toMatchObject({ status: 'CAUGHT_ERROR', error: 'Lambda.ResourceNotFoundException', nextState: 'Recover' });
      expect(parse(out.output)).toEqual({ a: 1, error: { Error: 'Lambda.ResourceNotFoundException', Cause: out.cause } });
    });
  });

  describe('Map and Parallel, mocked (recorded: test_map_state_failure_count, test_state_mock_validation)', () => {
    it('a Map without a mock is InvalidDefinition', async () => {
      const err = await rejection(test({ definition: MAP, input: VALUES }), 'InvalidDefinition');
      expect(err.message).toBe('TestState API does not support Map or Parallel states. Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]');
    });

    it('the mocked result is the Map result; failed iterations over the tolerated count are States.ExceedToleratedFailureThreshold', async () => {
      const below = await test({ definition: MAP_CATCH, input: VALUES, mock: { result: '[1,1,1]' }, stateConfiguration: { mapIterationFailureCount: 0 }, inspectionLevel: 'DEBUG' });
      expect(below).toEqual({ status: 'SUCCEEDED', output: '[1,1,1]', inspectionData: { input: VALUES, maxConcurrency: 0, toleratedFailureCount: 1 } });

      const caught = await test({ definition: MAP_CATCH, input: VALUES, mock: { result: '[1,1,1]' }, stateConfiguration: { mapIterationFailureCount: 2 }, inspectionLevel: 'DEBUG' });
      expect(caught).toMatchObject({
        status: 'CAUGHT_ERROR',
        error: 'States.ExceedToleratedFailureThreshold',
        cause: 'The specified tolerated failure threshold was exceeded',
        nextState: 'HandleThreshold',
        inspectionData: { errorDetails: { catchIndex: 1 }, maxConcurrency: 0, toleratedFailureCount: 1 },
      });

      const retriable = await test({ definition: MAP_RETRY, input: VALUES, mock: { result: '[1,1,1]' }, stateConfiguration: { mapIterationFailureCount: 2 }, inspectionLevel: 'DEBUG' });
      expect(retriable).toMatchObject({ status: 'RETRIABLE', error: 'States.ExceedToleratedFailureThreshold', inspectionData: { errorDetails: { retryIndex: 1, retryBackoffIntervalSeconds: 1 } } });
    });

    it('a JSONPath Map reports afterInputPath and afterItemsPath; a mocked error fails it', async () => {
      const definition = { Type: 'Map', ItemsPath: '$.Values', MaxConcurrency: 2, ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }, ResultPath: '$.out', End: true };
      const out = await test({ definition, input: VALUES, mock: { result: '["A","B","C"]' }, inspectionLevel: 'DEBUG' });
      expect(parse(out.output)).toEqual({ Values: ['first', 'second', 'third'], out: ['A', 'B', 'C'] });
      expect(out.inspectionData).toMatchObject({ afterInputPath: VALUES, afterItemsPath: json(['first', 'second', 'third']), maxConcurrency: 2 });
      const failed = await test({ definition, input: VALUES, mock: MOCK_ERROR, stateConfiguration: { errorCausedByState: 'P' } });
      expect(failed).toEqual({ status: 'FAILED', error: 'MockException', cause: 'Mock the cause of the error.' });
    });

    it('mocked results of the wrong shape are refused with AWS texts', async () => {
      const notArray = await rejection(test({ definition: MAP, mock: { result: '{}' } }), 'ValidationException');
      expect(notArray.message).toBe('Mocked result must be an array.');
      const parallel = { Type: 'Parallel', Branches: [1, 2, 3].map((i) => ({ StartAt: `B${i}`, States: { [`B${i}`]: { Type: 'Pass', End: true } } })), End: true };
      const mismatch = await rejection(test({ definition: parallel, mock: { result: '[1,2]' } }), 'ValidationException');
      expect(mismatch.message).toBe('Mocked result must contain the same number of items as number of Parallel branches.');
      expect(await test({ definition: parallel, mock: { result: '[1,2,3]' } })).toEqual({ status: 'SUCCEEDED', output: '[1,2,3]' });
    });
  });

  describe('request checks (recorded texts)', () => {
    it('refuses a mock on a Pass, Fail or Succeed state', async () => {
      for (const type of ['Pass', 'Fail', 'Succeed']) {
        const definition = type === 'Pass' ? { Type: type, End: true } : { Type: type };
        const err = await rejection(test({ definition, mock: { result: '{}' } }), 'ValidationException');
        expect(err.message).toBe(`State type '${type}' is not supported when a mock is specified`);
      }
    });

    it('refuses both mock fields, and revealSecrets with a mock', async () => {
      const both = await rejection(test({ definition: TASK_CATCH, mock: { result: '{}', ...MOCK_ERROR } }), 'ValidationException');
      expect(both.message).toBe('A test mock should have only one of the following fields: [result, errorOutput].');
      const secrets = await rejection(test({ definition: TASK_CATCH, mock: { result: '{}' }, revealSecrets: true }), 'ValidationException');
      expect(secrets.message).toBe('TestState does not support RevealSecrets when a mock is specified.');
    });

    it('needs a roleArn to test a Task that is not mocked', async () => {
      const definition = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'FunctionName.$': '$.FunctionName', 'Payload.$': '$.Payload' }, End: true };
      const err = await rejection(test({ definition, input: json({ FunctionName: 'f', Payload: null }), inspectionLevel: 'TRACE' }), 'ValidationException');
      expect(err.message).toBe('RoleArn must be specified when testing a Task state');
    });

    it('answers InvalidDefinition for an invalid state', async () => {
      await rejection(test({ definition: { Type: 'Pass', Next: 'A', End: true } }), 'InvalidDefinition');
      await rejection(test({ definition: 'not json' }), 'InvalidDefinition');
    });

    it('checks inspectionLevel and the input as the API does', async () => {
      const err = await rejection(test({ definition: { Type: 'Pass', End: true }, inspectionLevel: 'LOUD' as never }), 'ValidationException');
      expect(err.message).toBe("1 validation error detected: Value 'LOUD' at 'inspectionLevel' failed to satisfy constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]");
      await rejection(test({ definition: { Type: 'Pass', End: true }, input: '{nope' }), 'InvalidExecutionInput');
    });
  });

  describe('mock.fieldValidationMode (recorded: test_field_validation_mode)', () => {
    const putEvents = { Type: 'Task', Resource: 'arn:aws:states:::events:putEvents', Parameters: { Entries: [] }, End: true };
    const startExecution = { Type: 'Task', Resource: 'arn:aws:states:::states:startExecution', Parameters: { StateMachineArn: 'arn' }, End: true };

    it('STRICT (the default) checks types and required fields against the API model', async () => {
      const wrongType = await rejection(test({ definition: putEvents, mock: { result: json({ Entries: {} }) } }), 'ValidationException');
      expect(wrongType.message).toBe("Mock result schema validation error: Field 'Entries' must be an array");
      const nested = await rejection(test({ definition: putEvents, mock: { result: json({ Entries: [{ EventId: 'a' }, { EventId: 2 }] }) } }), 'ValidationException');
      expect(nested.message).toBe("Mock result schema validation error: Field 'EventId' must be a string");
      const missing = await rejection(test({ definition: startExecution, mock: { result: json({ executionArn: 'x' }) } }), 'ValidationException');
      expect(missing.message).toBe("Mock result schema validation error: Required field 'ExecutionArn' is missing");
      const timestamp = await rejection(test({ definition: startExecution, mock: { result: json({ ExecutionArn: 'x', StartDate: true }) } }), 'ValidationException');
      expect(timestamp.message).toBe("Mock result schema validation error: Field 'StartDate' must be a string");
      const lambda = await rejection(test({ definition: TASK_CATCH, mock: { result: json({ StatusCode: '200' }) } }), 'ValidationException');
      expect(lambda.message).toBe("Mock result schema validation error: Field 'StatusCode' must be a number");
      const dynamodb = { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Parameters: { TableName: 't', Item: {} }, End: true };
      const capacity = await rejection(test({ definition: dynamodb, mock: { result: json({ ConsumedCapacity: { CapacityUnits: 'one' } }) } }), 'ValidationException');
      expect(capacity.message).toBe("Mock result schema validation error: Field 'CapacityUnits' must be a number");
      // Fields the model does not have are accepted.
      expect(await test({ definition: TASK_CATCH, mock: { result: json({ random: 'json' }) } })).toEqual({ status: 'SUCCEEDED', output: json({ random: 'json' }) });
    });

    it('PRESENT checks only the fields given; NONE checks nothing', async () => {
      expect((await test({ definition: startExecution, mock: { result: json({ ExecutionArn: 'x' }), fieldValidationMode: 'PRESENT' } })).status).toBe('SUCCEEDED');
      await rejection(test({ definition: startExecution, mock: { result: json({ StartDate: 1 }), fieldValidationMode: 'PRESENT' } }), 'ValidationException');
      expect((await test({ definition: startExecution, mock: { result: json({ StartDate: 1 }), fieldValidationMode: 'NONE' } })).status).toBe('SUCCEEDED');
    });
  });

  describe('context (recorded: test_state_context_object)', () => {
    const TASK = { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f', 'Payload.$': '$' }, ResultSelector: { 'ContextObjectValue.$': '$$.Execution', 'LambdaOutput.$': '$' }, End: true };
    const CONTEXT = {
      Execution: { Id: 'arn:aws:states:::execution:MyStateMachine:execution-name-12345', Input: { 'input-value': 0 }, Name: 'execution-name-12345', RoleArn: 'arn:aws:iam:::role/StepFunctionsRole', StartTime: '2025-01-15T10:30:00.000Z' },
      State: { EnteredTime: '2025-01-15T10:30:01.500Z', Name: 'MyTaskState', RetryCount: 0 },
      StateMachine: { Id: 'arn:aws:states:::stateMachine:MyStateMachine', Name: 'MyStateMachine' },
    };

    it('a given context object is what $$ reads', async () => {
      const out = await test({ definition: TASK, context: json(CONTEXT), mock: { result: json({ pokemon: ['pikachu'] }) } });
      expect(parse(out.output)).toEqual({ ContextObjectValue: CONTEXT.Execution, LambdaOutput: { pokemon: ['pikachu'] } });
    });

    it('refuses unknown fields, Map, wrong types, and Task for a state that waits for no token', async () => {
      const cases: [unknown, string][] = [
        [{ Execution: { Id: 1 } }, 'Invalid Context object provided: Execution.Id must be a string'],
        [{ Map: {} }, "Invalid Context object provided: 'Map' field is not supported when mocking a Context object"],
        [{ Execution: { pokemon: 'squirtle' } }, "Invalid Context object provided: Field 'pokemon' is not allowed"],
        [{ Pokedex: {} }, "Invalid Context object provided: Field 'Pokedex' is not allowed"],
        [{ ...CONTEXT, Task: { Token: 'abcd123' } }, "Invalid Context object provided: Context object contains 'Task' when state is not a Task state with a '.sync' or '.waitForTaskToken' service integration pattern"],
      ];
      for (const [context, message] of cases) {
        const err = await rejection(test({ definition: TASK, context: json(context), mock: { result: '{}' } }), 'ValidationException');
        expect(err.message).toBe(message);
      }
    });

    it('is refused without a mock ("may only be specified if a mock is specified", API reference)', async () => {
      await rejection(test({ definition: { Type: 'Choice', Choices: [{ Variable: '$$.Execution.Name', StringEquals: 'x', Next: 'A' }], Default: 'B' }, context: json(CONTEXT) }), 'ValidationException');
    });
  });

  describe('stateName in a whole definition (recorded: test_localstack_blogpost_scenario)', () => {
    const machine = {
      Comment: 'Cost approval workflow',
      QueryLanguage: 'JSONata',
      StartAt: 'Approval Required',
      States: {
        'Approval Required': { Type: 'Choice', Choices: [{ Condition: '{% $states.input.cost < 10 %}', Next: 'Purchase Approved' }], Default: 'Ask for Approval' },
        'Purchase Approved': { Type: 'Succeed' },
        'Ask for Approval': {
          Type: 'Task',
          Resource: 'arn:aws:states:::http:invoke',
          Arguments: { Method: 'POST', ApiEndpoint: 'example.execute-api.us-east-1.amazonaws.com', Path: '/approval', RequestBody: { cost: '{% $states.input.cost %}', dept_id: '12345678' }, AuthType: 'NO_AUTH' },
          Retry: [{ ErrorEquals: ['States.ALL'], BackoffRate: 2, IntervalSeconds: 1, MaxAttempts: 3, JitterStrategy: 'FULL' }],
          Next: 'Check Approval',
          Output: { approval: '{% $states.result.approval %}', approval_code: '2387462', approved_by: 'Mary' },
        },
        'Check Approval': { Type: 'Choice', Choices: [{ Next: 'Purchase Approved', Condition: '{% $states.input.approval %}' }], Default: 'Not Approved' },
        'Not Approved': { Type: 'Fail' },
      },
    };

    it('tests each state by name, without a roleArn when nothing is called for real', async () => {
      const small = await test({ definition: machine, stateName: 'Approval Required', input: json({ cost: 9 }), inspectionLevel: 'TRACE' });
      expect(small).toEqual({ status: 'SUCCEEDED', nextState: 'Purchase Approved', output: json({ cost: 9 }), inspectionData: { input: json({ cost: 9 }) } });
      const large = await test({ definition: machine, stateName: 'Approval Required', input: json({ cost: 10 }) });
      expect(large.nextState).toBe('Ask for Approval');

      const ask = await test({ definition: machine, stateName: 'Ask for Approval', input: json({ cost: 10 }), mock: { result: '{"approval": true }' }, inspectionLevel: 'TRACE' });
      expect(ask).toEqual({
        status: 'SUCCEEDED',
        nextState: 'Check Approval',
        output: json({ approval: true, approval_code: '2387462', approved_by: 'Mary' }),
        inspectionData: {
          input: json({ cost: 10 }),
          afterArguments: json({ Method: 'POST', ApiEndpoint: 'example.execute-api.us-east-1.amazonaws.com', Path: '/approval', RequestBody: { cost: 10, dept_id: '12345678' }, AuthType: 'NO_AUTH' }),
          result: json({ approval: true }),
        },
      });
      expect((await test({ definition: machine, stateName: 'Check Approval', input: json({ approval: false }) })).nextState).toBe('Not Approved');
    });

    it('refuses a state that is not in the definition', async () => {
      await rejection(test({ definition: machine, stateName: 'Nowhere' }), 'ValidationException');
    });
  });

  it('has the sync- host prefix, as StartSyncExecution: an SDK client without disableHostPrefix calls sync-<host>', async () => {
    // @aws-sdk/client-sfn marks TestState with the endpoint trait hostPrefix "sync-" (docs/pitfalls.md #13).
    const client = new SFNClient({ endpoint: cloud.endpoint.url, region: REGION, credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    let host: string | undefined;
    client.middlewareStack.add(
      () => async (args) => {
        host = (args.request as { hostname?: string }).hostname;
        throw new Error('not sent');
      },
      { step: 'finalizeRequest', priority: 'low' },
    );
    await expect(client.send(new TestStateCommand({ definition: json({ Type: 'Pass', End: true }) }))).rejects.toThrow('not sent');
    client.destroy();
    expect(host).toBe('sync-127.0.0.1');
    // The endpoint answers whatever Host arrives.
    const res = await fetch(`${cloud.endpoint.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.TestState', host: 'sync-localhost:4566' },
      body: json({ definition: json({ Type: 'Pass', End: true }) }),
    });
    expect(await res.json()).toEqual({ status: 'SUCCEEDED', output: '{}' });
  });
});
