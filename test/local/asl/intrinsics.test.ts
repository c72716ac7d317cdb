/**
 * Every intrinsic function, through a Pass state's Parameters.
 * https://docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html
 */
import { compileStateMachine, DefinitionError } from '../../../local/asl';
import { output, run } from './harness';

async function evalIntrinsic(expr: string, input: unknown = {}) {
  const r = await run({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'v.$': expr }, End: true } } }, input);
  return r.status === 'SUCCEEDED' ? { ok: (output(r) as { v: unknown }).v } : { error: r.error, cause: r.cause };
}

const input = { name: 'World', list: ['a', 1, true, null], arr: [1, 2, 3, 2, 1], obj: { a: 1, b: { c: 2 } }, other: { b: 3, d: 4 }, json: '{"x":[1,{"y":true}]}', n: 5, f: { a: 1.49, b: 1.5, c: -1.5, d: -1.51 } };

describe('intrinsic functions', () => {
  test.each([
    ["States.Format('Hello, {}!', $.name)", 'Hello, World!'],
    // Objects and arrays are rendered in Java toString style, as LocalStack reproduces AWS
    // (localstack .../intrinsic/function/statesfunction/generic/string_format.py).
    ["States.Format('{} and {}', $.n, $.obj.b)", '5 and {c=2}'],
    ["States.Format('{}|{}', $.obj, $.list)", '{a=1, b={c=2}}|[a, 1, true, null]'],
    ["States.Format('literal \\{\\} and \\' quote {}', 'x')", "literal {} and ' quote x"],
    ['States.StringToJson($.json)', { x: [1, { y: true }] }],
    ['States.JsonToString($.obj)', '{"a":1,"b":{"c":2}}'],
    ["States.Array('a', 1, true, null, $.n)", ['a', 1, true, null, 5]],
    ['States.ArrayPartition($.arr, 2)', [[1, 2], [3, 2], [1]]],
    ['States.ArrayContains($.arr, 3)', true],
    ["States.ArrayContains($.arr, 'x')", false],
    ['States.ArrayRange(1, 9, 2)', [1, 3, 5, 7, 9]],
    ['States.ArrayRange(5, 1, -2)', [5, 3, 1]],
    ['States.ArrayGetItem($.arr, 2)', 3],
    ['States.ArrayLength($.arr)', 5],
    ['States.ArrayUnique($.arr)', [1, 2, 3]],
    ["States.Base64Encode('Data to encode')", 'RGF0YSB0byBlbmNvZGU='],
    ["States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", 'Data to encode'],
    ["States.Hash('input data', 'SHA-1')", 'aaff4a450a104cd177d28d18d74485e8cae074b7'],
    ["States.Hash('input data', 'MD5')", '812f45842bc6d66ee14572ce20db8e86'],
    ['States.JsonMerge($.obj, $.other, false)', { a: 1, b: 3, d: 4 }],
    ['States.MathAdd($.n, -2)', 3],
    // Recorded on AWS (LocalStack snapshot test_math_operations): arguments are rounded half-up first.
    ['States.MathAdd($.f.a, $.f.b)', 3],
    ['States.MathAdd($.f.c, $.f.d)', -3],
    ["States.StringSplit('1,2,3,4,5', ',')", ['1', '2', '3', '4', '5']],
    ["States.StringSplit('This.is+a,test=string', '.+,=')", ['This', 'is', 'a', 'test', 'string']],
    ['States.ArrayLength(States.Array(1, 2))', 2],
  ])('%s', async (expr, expected) => {
    expect(await evalIntrinsic(expr, input)).toEqual({ ok: expected });
  });

  test('States.MathRandom returns an integer in [start, end), the same for the same seed', async () => {
    const a = await evalIntrinsic('States.MathRandom(1, 100, 42)');
    const b = await evalIntrinsic('States.MathRandom(1, 100, 42)');
    expect(a).toEqual(b);
    const v = (a as { ok: number }).ok;
    expect(Number.isInteger(v) && v >= 1 && v < 100).toBe(true);
  });

  test('States.UUID returns a v4 UUID', async () => {
    const { ok } = (await evalIntrinsic('States.UUID()')) as { ok: string };
    expect(ok).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  test.each([
    ['States.ArrayGetItem($.arr, 10)'],
    ["States.StringToJson('not json')"],
    ['States.ArrayPartition($.arr, 0)'],
    ["States.Hash('x', 'SHA-3')"],
    ['States.JsonMerge($.obj, $.other, true)'],
    ["States.Format('{} {}', 'only one')"],
    ["States.ArrayLength('not an array')"],
    ['States.ArrayRange(1, 2000, 1)'],
  ])('invalid arguments fail with States.IntrinsicFailure: %s', async (expr) => {
    const r = await evalIntrinsic(expr, input);
    expect(r).toMatchObject({ error: 'States.IntrinsicFailure' });
  });

  test('a path argument that does not exist fails with States.Runtime', async () => {
    expect(await evalIntrinsic('States.ArrayLength($.missing)', input)).toMatchObject({ error: 'States.Runtime' });
  });

  test('syntax errors and unknown functions are rejected at compile time', () => {
    const def = (expr: string) => ({ StartAt: 'P', States: { P: { Type: 'Pass', Parameters: { 'v.$': expr }, End: true } } });
    expect(() => compileStateMachine(def('States.Nope(1)'))).toThrow(DefinitionError);
    expect(() => compileStateMachine(def("States.Format('x'"))).toThrow(DefinitionError);
    expect(() => compileStateMachine(def('States.ArrayLength()'))).toThrow(/ArrayLength/);
  });
});
