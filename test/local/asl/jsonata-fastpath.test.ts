/**
 * The engine evaluates simple JSONata expressions ($states.input.a, $var, comparisons, and/or, $not,
 * $exists) without calling jsonata; this checks it gives exactly what jsonata gives (or the same error).
 */
import jsonata from 'jsonata';
import { compileJsonata, makeBindings } from '../../../local/asl/jsonata';

const inputs: unknown[] = [
  { a: 1, s: 'x', b: true, n: null, o: { p: [1, 2] }, list: [[1], [2]], deep: { x: { y: 'z' } } },
  { a: '1', s: 2, b: 'true', o: [{ p: 1 }, { p: 2 }] },
  'scalar',
  [1, 2],
  null,
];
const exprs = [
  '$states.input',
  '$states.input.a',
  '$states.input.o.p',
  '$states.input.deep.x.y',
  '$states.input.list',
  '$states.input.missing.more',
  '$v',
  '$v.k',
  '$states.input.a = 1',
  "$states.input.s != 'x'",
  '$states.input.a < 2',
  '$states.input.s >= "a"',
  '$states.input.b and $states.input.a = 1',
  '$states.input.b or $v.k',
  '$not($states.input.b)',
  '$exists($states.input.missing)',
  '$exists($states.input.a)',
  '$states.input.o = $states.input.o',
];

async function viaJsonata(expr: string, b: Record<string, unknown>) {
  try {
    return { value: await jsonata(expr).evaluate(undefined, b) };
  } catch (e) {
    return { error: (e as { code?: string }).code ?? 'error' };
  }
}

async function viaEngine(expr: string, b: ReturnType<typeof makeBindings>) {
  try {
    return { value: await compileJsonata(`{% ${expr} %}`, 'Output').evaluate(b) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

describe('JSONata fast path agrees with jsonata', () => {
  for (const [i, input] of inputs.entries()) {
    for (const expr of exprs) {
      test(`input #${i}: ${expr}`, async () => {
        const b = makeBindings({ input, context: {} }, { v: { k: false } });
        const expected = await viaJsonata(expr, { ...b });
        const got = await viaEngine(expr, b);
        if (expected.value === undefined || 'error' in expected) {
          expect('error' in got).toBe(true);
        } else {
          expect(got).toEqual({ value: expected.value });
        }
      });
    }
  }
});
