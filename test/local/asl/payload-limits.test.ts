/**
 * The payload size quota: 256 KiB (262,144 bytes) of UTF-8 for a state's input and output, a task's result,
 * and the variables one Assign sets; 10 MiB for all the variables of an execution.
 *
 * Sources:
 * - https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html ("Maximum input or output size for
 *   a task, state, or execution: 256 KiB of data as a UTF-8 encoded string")
 * - https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html (States.DataLimitExceeded:
 *   a connector's output, a state's output, a state's input after Parameters; "The States.ALL error type can't
 *   catch the States.DataLimitExceeded terminal error")
 * - https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html (Assign ≤ 256 KiB, all the
 *   variables of an execution ≤ 10 MiB)
 * - AWS recordings in LocalStack's tests/aws/services/stepfunctions/v2/error_handling/test_states_errors.snapshot.json:
 *   a Pass state's result over the quota is PassStateEntered then ExecutionFailed with the cause below; a task's
 *   result over the quota is TaskFailed / LambdaFunctionFailed, and a Catch on States.ALL catches it.
 */
import { TaskHandlerRegistry, type ExecutionResult } from '../../../local/asl';
import { exceedsBytes, MAX_PAYLOAD_BYTES, utf8Bytes } from '../../../local/asl/json';
import { output, run, types } from './harness';

const LIMIT = 262144;
const CJK = '\u4e2d'; // 3 bytes in UTF-8, 1 UTF-16 unit
const EMOJI = '\u{1F600}'; // 4 bytes in UTF-8, 2 UTF-16 units
const cause = (who: string) => `The state/task '${who}' returned a result with a size exceeding the maximum number of bytes service limit.`;

/** A JSON string value whose JSON text ("...") is exactly `bytes` long in UTF-8 (ASCII). */
const jsonStringOf = (bytes: number) => 'x'.repeat(bytes - 2);

/** A Pass state whose output is the string Result. */
const passing = (result: unknown, extra: Record<string, unknown> = {}) => ({ StartAt: 'P', States: { P: { Type: 'Pass', Result: result, End: true, ...extra } } });

function expectTerminal(r: ExecutionResult, state: string) {
  expect(r.status).toBe('FAILED');
  expect(r.error).toBe('States.DataLimitExceeded');
  expect(r.cause).toBe(cause(state));
  const failed = r.events.at(-1)!;
  expect(failed.type).toBe('ExecutionFailed');
  expect(failed.executionFailedEventDetails).toEqual({ cause: cause(state), error: 'States.DataLimitExceeded' });
}

describe('measuring the quota', () => {
  test('MAX_PAYLOAD_BYTES is 256 KiB', () => {
    expect(MAX_PAYLOAD_BYTES).toBe(LIMIT);
  });

  test('exceedsBytes counts UTF-8 bytes, not characters', () => {
    expect(exceedsBytes('x'.repeat(LIMIT), LIMIT)).toBe(false);
    expect(exceedsBytes('x'.repeat(LIMIT + 1), LIMIT)).toBe(true);
    expect(exceedsBytes(CJK.repeat(90000), LIMIT)).toBe(true); // 90,000 characters, 270,000 bytes
    expect(exceedsBytes(CJK.repeat(87381), LIMIT)).toBe(false); // 262,143 bytes
    expect(exceedsBytes(CJK.repeat(87381) + 'x', LIMIT)).toBe(false); // 262,144
    expect(exceedsBytes(CJK.repeat(87381) + 'xx', LIMIT)).toBe(true); // 262,145
    expect(exceedsBytes(EMOJI.repeat(65536), LIMIT)).toBe(false); // 131,072 units, 262,144 bytes
    expect(exceedsBytes(EMOJI.repeat(65536) + 'x', LIMIT)).toBe(true);
    expect(exceedsBytes('é'.repeat(131072), LIMIT)).toBe(false); // 2 bytes each
    expect(exceedsBytes('é'.repeat(131073), LIMIT)).toBe(true);
  });

  test('utf8Bytes', () => {
    expect(utf8Bytes('')).toBe(0);
    expect(utf8Bytes('abc')).toBe(3);
    expect(utf8Bytes(`a${CJK}`)).toBe(4);
    expect(utf8Bytes(EMOJI)).toBe(4);
    expect(utf8Bytes('x'.repeat(100) + CJK)).toBe(103);
  });
});

describe('a state output over 256 KiB fails the execution (terminal)', () => {
  test('exactly 262,144 bytes passes; 262,145 fails as recorded on AWS (Entered, then ExecutionFailed)', async () => {
    const ok = await run(passing(jsonStringOf(LIMIT)));
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output!.length).toBe(LIMIT);

    const r = await run(passing(jsonStringOf(LIMIT + 1)));
    expectTerminal(r, 'P');
    expect(types(r.events)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(r.events[2].previousEventId).toBe(2);
  });

  test('bytes, not characters: 90,000 CJK characters (270,000 bytes) fail, 87,380 (262,142 bytes with the quotes) pass', async () => {
    expectTerminal(await run(passing(CJK.repeat(90000))), 'P');
    expect((await run(passing(CJK.repeat(87380)))).status).toBe('SUCCEEDED');
    expectTerminal(await run(passing(CJK.repeat(87381))), 'P'); // 262,143 + 2 quotes
    // Surrogate pairs: 2 UTF-16 units, 4 bytes.
    expect((await run(passing(EMOJI.repeat(65535)))).status).toBe('SUCCEEDED'); // 262,140 + 2
    expectTerminal(await run(passing(EMOJI.repeat(65536))), 'P'); // 262,144 + 2
  });

  test('the output is measured after OutputPath (JSONPath)', async () => {
    const big = jsonStringOf(200000);
    // The Pass output {a, b} is ~400 KB, but OutputPath keeps only a: passes.
    const def = { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { a: big, b: big }, OutputPath: '$.a', End: true } } };
    expect((await run(def)).status).toBe('SUCCEEDED');
    const whole = { StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { a: big, b: big }, End: true } } };
    expectTerminal(await run(whole), 'P');
  });

  test('the output is measured after Output (JSONata)', async () => {
    const big = jsonStringOf(200000);
    const ok = { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% $length($states.input.s) %}', End: true } } };
    expect(output(await run(ok, { s: big }))).toBe(big.length);
    const over = { QueryLanguage: 'JSONata', StartAt: 'P', States: { P: { Type: 'Pass', Output: '{% [$states.input.s, $states.input.s] %}', End: true } } };
    expectTerminal(await run(over, { s: big }), 'P');
  });

  test('a Catch on States.ALL, or naming States.DataLimitExceeded, does not catch it; the Task is not retried', async () => {
    let calls = 0;
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => {
      calls++;
      return { Payload: jsonStringOf(150000) };
    });
    // The result (150 KB) is within the quota; the output (input + result, 300 KB) is not.
    const def = {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'f' },
          ResultPath: '$.r',
          Retry: [{ ErrorEquals: ['States.DataLimitExceeded'] }, { ErrorEquals: ['States.ALL'], MaxAttempts: 3 }],
          Catch: [
            { ErrorEquals: ['States.DataLimitExceeded'], Next: 'H' },
            { ErrorEquals: ['States.ALL'], Next: 'H' },
          ],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    };
    const r = await run(def, { s: jsonStringOf(150000) }, { handlers });
    expectTerminal(r, 'T');
    expect(calls).toBe(1);
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'ExecutionFailed']);
  });

  test('ResultPath: the input with the result added is measured', async () => {
    const def = { StartAt: 'A', States: { A: { Type: 'Pass', Parameters: { 'a.$': '$.s' }, ResultPath: '$.copy', Next: 'B' }, B: { Type: 'Succeed' } } };
    expectTerminal(await run(def, { s: jsonStringOf(140000) }), 'A');
    expect((await run(def, { s: jsonStringOf(120000) })).status).toBe('SUCCEEDED');
  });
});

describe('a state input after Parameters/Arguments over 256 KiB fails the execution (terminal)', () => {
  const twice = { 'a.$': '$.s', 'b.$': '$.s' };

  test('a Task is not scheduled, not retried, not caught', async () => {
    let calls = 0;
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => ++calls);
    const def = {
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: twice,
          Retry: [{ ErrorEquals: ['States.ALL'] }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    };
    const r = await run(def, { s: jsonStringOf(140000) }, { handlers });
    expectTerminal(r, 'T');
    expect(calls).toBe(0);
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'ExecutionFailed']);
  });

  test('at the boundary: parameters of exactly 262,144 bytes are scheduled, 262,145 are not', async () => {
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => 'ok');
    // Parameters {"ab":"..."}: 9 bytes around the string (the input {"s":"..."} stays within the quota).
    const def = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { 'ab.$': '$.s' }, End: true } } };
    expect((await run(def, { s: 'x'.repeat(LIMIT - 9) }, { handlers })).status).toBe('SUCCEEDED');
    expectTerminal(await run(def, { s: 'x'.repeat(LIMIT - 8) }, { handlers }), 'T');
  });

  test('JSONata Arguments', async () => {
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => 'ok');
    const def = {
      QueryLanguage: 'JSONata',
      StartAt: 'T',
      States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Arguments: '{% [$states.input.s, $states.input.s] %}', End: true } },
    };
    expectTerminal(await run(def, { s: CJK.repeat(45000) }, { handlers }), 'T'); // 2 × 135,000 bytes
    expect((await run(def, { s: CJK.repeat(40000) }, { handlers })).status).toBe('SUCCEEDED'); // 2 × 120,000
  });

  test("a Parallel's branch input", async () => {
    const def = { StartAt: 'Par', States: { Par: { Type: 'Parallel', Parameters: twice, Branches: [{ StartAt: 'B', States: { B: { Type: 'Pass', Result: 1, End: true } } }], End: true } } };
    const r = await run(def, { s: jsonStringOf(140000) });
    expectTerminal(r, 'Par');
    expect(types(r.events)).toEqual(['ExecutionStarted', 'ParallelStateEntered', 'ExecutionFailed']);
  });

  test("a Map item after ItemSelector (an iteration's input)", async () => {
    const def = {
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemSelector: { 'a.$': '$.s', 'b.$': '$.s', 'i.$': '$$.Map.Item.Value' },
          ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Pass', Result: 1, End: true } } },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    };
    expectTerminal(await run(def, { s: jsonStringOf(140000), items: [1] }), 'M');
    expect(output(await run(def, { s: 'small', items: [1, 2] }))).toEqual([1, 1]);
  });

  test('a Map item made by a JSONata Items expression', async () => {
    const def = {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: { M: { Type: 'Map', Items: '{% [$states.input.s & $states.input.s] %}', ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Pass', Output: 1, End: true } } }, End: true } },
    };
    expectTerminal(await run(def, { s: jsonStringOf(140000) }), 'M');
    expect(output(await run(def, { s: jsonStringOf(120000) }))).toEqual([1]);
  });
});

describe('Parallel and Map', () => {
  test('a branch state output over the quota ends the execution: no ParallelStateFailed, no Catch', async () => {
    const def = {
      StartAt: 'Par',
      States: {
        Par: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Big', States: { Big: { Type: 'Pass', Result: jsonStringOf(LIMIT + 1), End: true } } },
            { StartAt: 'Small', States: { Small: { Type: 'Pass', Result: 1, End: true } } },
          ],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    };
    const r = await run(def);
    expectTerminal(r, 'Big');
    expect(types(r.events)).not.toContain('ParallelStateFailed');
    expect(r.events.some((e) => (e.stateEnteredEventDetails as { name?: string } | undefined)?.name === 'H')).toBe(false);
  });

  test("the Parallel's own output (all branch outputs) over the quota names the Parallel, after ParallelStateSucceeded", async () => {
    const branch = (n: string) => ({ StartAt: n, States: { [n]: { Type: 'Pass', Result: jsonStringOf(140000), End: true } } });
    const r = await run({ StartAt: 'Par', States: { Par: { Type: 'Parallel', Branches: [branch('A'), branch('B')], End: true } } });
    expectTerminal(r, 'Par');
    expect(types(r.events).slice(-2)).toEqual(['ParallelStateSucceeded', 'ExecutionFailed']);
  });

  test("the Map's output (all iteration outputs) over the quota names the Map; ResultSelector/OutputPath are applied first", async () => {
    const proc = { StartAt: 'B', States: { B: { Type: 'Pass', Parameters: { 'v.$': '$', pad: jsonStringOf(100000) }, End: true } } };
    const r = await run({ StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: proc, End: true } } }, [1, 2, 3]);
    expectTerminal(r, 'M');
    expect(types(r.events).slice(-2)).toEqual(['MapStateSucceeded', 'ExecutionFailed']);
    const slim = await run({ StartAt: 'M', States: { M: { Type: 'Map', ItemProcessor: proc, ResultSelector: { 'n.$': 'States.ArrayLength($)' }, End: true } } }, [1, 2, 3]);
    expect(output(slim)).toEqual({ n: 3 });
  });

  test('an iteration output over the quota ends the execution, whatever ToleratedFailurePercentage says', async () => {
    const proc = { StartAt: 'B', States: { B: { Type: 'Pass', Result: jsonStringOf(LIMIT + 1), End: true } } };
    const r = await run({ StartAt: 'M', States: { M: { Type: 'Map', ToleratedFailurePercentage: 100, ItemProcessor: proc, End: true } } }, [1]);
    expectTerminal(r, 'B');
    expect(types(r.events)).not.toContain('MapIterationFailed');
  });
});

describe("a task's result over 256 KiB (as recorded on AWS)", () => {
  const lambda = (payload: unknown) => new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => payload);
  const task = { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', OutputPath: '$.n', End: true } } };

  test('a result of exactly 262,144 bytes is accepted, 262,145 is a TaskFailed States.DataLimitExceeded naming the resource type', async () => {
    // {"n":1,"p":"..."}: 14 bytes around the string.
    const ok = await run(task, {}, { handlers: lambda({ n: 1, p: 'x'.repeat(LIMIT - 14) }) });
    expect(output(ok)).toBe(1);
    const r = await run(task, {}, { handlers: lambda({ n: 1, p: 'x'.repeat(LIMIT - 13) }) });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(cause('lambda'));
    const failed = r.events.find((e) => e.type === 'TaskFailed')!;
    expect(failed.taskFailedEventDetails).toEqual({ cause: cause('lambda'), error: 'States.DataLimitExceeded', resource: 'invoke', resourceType: 'lambda' });
  });

  test('in UTF-8: a result of 90,000 CJK characters fails', async () => {
    const r = await run(task, {}, { handlers: lambda({ n: 1, p: CJK.repeat(90000) }) });
    expect(r.error).toBe('States.DataLimitExceeded');
  });

  test('a plain Lambda ARN names the function ARN (LambdaFunctionFailed)', async () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:big';
    const handlers = new TaskHandlerRegistry().registerLambdaFunction('big', async () => 'x'.repeat(LIMIT));
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: arn, End: true } } }, {}, { handlers });
    expect(r.cause).toBe(cause(arn));
    expect(r.events.find((e) => e.type === 'LambdaFunctionFailed')!.lambdaFunctionFailedEventDetails).toEqual({ cause: cause(arn), error: 'States.DataLimitExceeded' });
  });

  test('is caught by a Catch on States.ALL (recorded), and by one naming States.DataLimitExceeded', async () => {
    for (const errorEquals of [['States.ALL'], ['States.DataLimitExceeded']]) {
      const def = {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: errorEquals, Next: 'H' }], End: true },
          H: { Type: 'Pass', End: true },
        },
      };
      const r = await run(def, {}, { handlers: lambda('x'.repeat(LIMIT)) });
      expect(r.status).toBe('SUCCEEDED');
      expect(output(r)).toEqual({ Error: 'States.DataLimitExceeded', Cause: cause('lambda') });
    }
  });
});

describe('Assign: at most 256 KiB per state, 10 MiB per execution', () => {
  const assignCause = /^The variables assigned by the state 'A' have a size of \d+ bytes, exceeding the maximum number of bytes service limit \(262144\)\.$/;

  test('JSONPath: an Assign of exactly 262,144 bytes passes, one byte more fails (terminal)', async () => {
    // The Assign's values as one object, {"vv":"..."}: 9 bytes around the string's characters.
    const def = { StartAt: 'A', States: { A: { Type: 'Pass', Assign: { 'vv.$': '$.s' }, Next: 'B' }, B: { Type: 'Pass', Parameters: { 'n.$': 'States.StringToJson(\'1\')' }, End: true } } };
    const ok = await run(def, { s: 'x'.repeat(LIMIT - 9) });
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.events.find((e) => e.type === 'PassStateExited')!.stateExitedEventDetails).toMatchObject({ assignedVariables: { vv: expect.any(String) } });
    const r = await run(def, { s: 'x'.repeat(LIMIT - 8) });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toMatch(assignCause);
    expect(types(r.events)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
  });

  test('JSONata: the values of one Assign count together, in UTF-8 bytes', async () => {
    const def = {
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Assign: { a: '{% $states.input.s %}', b: '{% $states.input.s %}' },
          Output: '{% {} %}',
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'H' }],
          End: true,
        },
        H: { Type: 'Pass', End: true },
      },
    };
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => 'ok');
    const r = await run(def, { s: CJK.repeat(45000) }, { handlers }); // 2 × 135,002 bytes
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toMatch(assignCause);
    expect((await run(def, { s: CJK.repeat(43000) }, { handlers })).status).toBe('SUCCEEDED'); // 2 × 129,002
  });

  test('a Catch clause that assigns too much fails the execution', async () => {
    const def = {
      QueryLanguage: 'JSONata',
      StartAt: 'A',
      States: {
        A: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Catch: [{ ErrorEquals: ['States.ALL'], Assign: { big: '{% $states.input.s & $states.input.s %}' }, Next: 'H' }], End: true },
        H: { Type: 'Pass', End: true },
      },
    };
    const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => {
      throw new Error('boom');
    });
    const r = await run(def, { s: jsonStringOf(140000) }, { handlers });
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toMatch(assignCause);
  });

  /** States V0..Vn-1, each assigning `name(i)` the input string. */
  function assigning(n: number, name: (i: number) => string, prefix = 'V') {
    const states: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < n; i++) {
      states[`${prefix}${i}`] = { Type: 'Pass', Assign: { [name(i)]: '{% $states.input.s %}' }, ...(i + 1 < n ? { Next: `${prefix}${i + 1}` } : { End: true }) };
    }
    return { QueryLanguage: 'JSONata', StartAt: `${prefix}0`, States: states };
  }
  const s = 'x'.repeat(250000); // each variable: 250,002 bytes

  test('41 variables of 250,002 bytes (10,250,082) fit in 10 MiB; a 42nd (10,500,084) fails the execution', async () => {
    expect((await run(assigning(41, (i) => `v${i}`), { s })).status).toBe('SUCCEEDED');
    const r = await run(assigning(42, (i) => `v${i}`), { s });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toBe(
      "The variables of the execution would have a total size of 10500084 bytes after the state 'V41', exceeding the maximum number of bytes service limit (10485760).",
    );
  });

  test('assigning a variable again replaces its size', async () => {
    expect((await run(assigning(60, (i) => `v${i % 3}`), { s })).status).toBe('SUCCEEDED');
  });

  test("an iteration's variables stop counting when it ends", async () => {
    const inner = assigning(30, (i) => `w${i}`);
    const def = {
      QueryLanguage: 'JSONata',
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          Items: '{% [1, 2, 3] %}',
          ItemSelector: '{% {"s": $states.input.s} %}',
          MaxConcurrency: 1,
          ItemProcessor: { StartAt: inner.StartAt, States: inner.States },
          Output: '{% 1 %}',
          End: true,
        },
      },
    };
    // Three iterations of 30 variables each (7.5 MB each), one after another: never more than 10 MiB at once.
    expect((await run(def, { s })).status).toBe('SUCCEEDED');
  });

  test('the outer variables and a running branch\'s count together', async () => {
    const inner = assigning(12, (i) => `w${i}`, 'W'); // 3 MB in the branch
    const def = assigning(30, (i) => `v${i}`); // 7.5 MB outside
    def.States.V29 = { ...def.States.V29, Next: 'Par' };
    delete def.States.V29.End;
    def.States.Par = { Type: 'Parallel', Branches: [{ StartAt: inner.StartAt, States: inner.States }], Output: '{% 1 %}', End: true };
    const r = await run(def, { s });
    expect(r.error).toBe('States.DataLimitExceeded');
    expect(r.cause).toMatch(/total size of 10500084 bytes after the state 'W11'/); // 30 outside + the 12th inside
  });
});
