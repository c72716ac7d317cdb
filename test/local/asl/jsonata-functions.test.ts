/**
 * JSONata as Step Functions runs it: 2.0.6 semantics, no $eval, plus $partition, $range, $hash, $random,
 * $uuid, $parse. https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html
 */
import { compileJsonata, makeBindings } from '../../../local/asl/jsonata';
import { QueryEvaluationError } from '../../../local/asl';

const b = (input: unknown = {}, vars: Record<string, unknown> = {}) => makeBindings({ input, context: {} }, vars);
const ev = (expr: string, input?: unknown, vars?: Record<string, unknown>) => compileJsonata(`{% ${expr} %}`, 'Output').evaluate(b(input, vars));

describe('JSONata functions', () => {
  test('$partition', async () => expect(await ev('$partition([1,2,3,4], 3)')).toEqual([[1, 2, 3], [4]]));
  test('$range (inclusive, with step)', async () => expect(await ev('$range(0, 10, 5)')).toEqual([0, 5, 10]));
  test('$hash', async () => expect(await ev("$hash('input data', 'SHA-1')")).toBe('aaff4a450a104cd177d28d18d74485e8cae074b7'));
  test('$hash with an unsupported algorithm fails', async () => expect(ev("$hash('x', 'CRC32')")).rejects.toBeInstanceOf(QueryEvaluationError));
  test('$random() is in [0,1); $random(seed) is repeatable', async () => {
    const r = (await ev('$random()')) as number;
    expect(r >= 0 && r < 1).toBe(true);
    expect(await ev('$random(3)')).toEqual(await ev('$random(3)'));
  });
  test('$uuid', async () => expect(await ev('$uuid()')).toMatch(/^[0-9a-f-]{36}$/));
  test('$parse', async () => expect(await ev(`$parse('{"a":1}')`)).toEqual({ a: 1 }));
  test('$parse of invalid JSON fails with States.QueryEvaluationError', async () => expect(ev("$parse('{')")).rejects.toBeInstanceOf(QueryEvaluationError));
  test('$eval is not available', () => expect(() => compileJsonata("{% $eval('1') %}", 'Output')).toThrow(/\$eval/));
  test('variables and $states are bound', async () => expect(await ev('$states.input.a + $x', { a: 1 }, { x: 2 })).toBe(3));
  test('standard library works ($sum, $map, $string)', async () => expect(await ev('$string($sum($map([1,2], function($v){$v*2})))')).toBe('6'));
  test('an undefined result is an error', async () => {
    await expect(ev('$states.input.nope')).rejects.toThrow(/returned nothing/);
  });
  test('a function result is an error', async () => {
    await expect(ev('function($x){$x}')).rejects.toThrow(/unsupported result type/);
  });
});
