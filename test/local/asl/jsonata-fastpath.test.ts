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
  // constructors, functions and operators evaluated without jsonata
  '{"a": $states.input.a, "m": $states.input.missing, "n": $states.input.n}',
  '[$states.input.a, $states.input.list, [$states.input.s], $states.input.missing]',
  '$merge([$states.input, {"extra": $v}])',
  '$merge($states.input.o)',
  '$string($states.input)',
  '$string($states.input.a)',
  '$string(0.1 + 0.2)',
  '$states.input.s & "-" & $states.input.a',
  '$states.input.a & $states.input.o',
  '$states.input.b ? "yes" : "no"',
  '$states.input.missing ? 1',
  '$states.input.a + 1',
  '$states.input.a * 2 - 3 / 4',
  '-$states.input.a',
  '$count($states.input.list)',
  '$count($states.input.n)',
  '$count($states.input.missing)',
  '$length($states.input.s)',
  '$uppercase($states.input.s)',
  '$lookup($states.input, "a")',
  '$lookup($states.input.o, "p")',
  '$exists($states.input.n)',
  '$states.context.Execution.Id',
  '$states.input.deep.x',
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
        const b = makeBindings({ input, context: { Execution: { Id: 'arn' } } }, { v: { k: false } });
        const expected = await viaJsonata(expr, b.bindings());
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

describe('the expressions of common machines never reach jsonata (evaluated synchronously)', () => {
  const b = makeBindings({ input: { method: 'PUT', id: 'a1', body: { n: 1 } }, context: { Execution: { Id: 'arn' } }, result: { Payload: { readOnly: false } } }, { flags: { readOnly: false } });
  test.each([
    '$states.input',
    '$states.result.Payload',
    "$states.input.method = 'PUT' and $not($flags.readOnly)",
    '$merge([$states.input, {"result": $states.result}])',
    '$string($states.input.body)',
    '$states.context.Execution.Id',
    "$states.input.id & '-' & $states.input.method",
    '$exists($states.input.id) ? $states.input.id : null',
  ])('%s', (expr) => {
    expect(compileJsonata(`{% ${expr} %}`, 'Output').run(b)).not.toBeInstanceOf(Promise);
  });
});
