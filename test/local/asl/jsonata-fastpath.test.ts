/**
 * The engine evaluates simple JSONata expressions ($states.input.a, $var, comparisons, and/or, $not,
 * $exists) without calling jsonata; this checks it gives exactly what jsonata gives (or the same error).
 */
import jsonata from 'jsonata';
import { compileJsonata, makeBindings, withStepFunctionsFunctions } from '../../../local/asl/jsonata';

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
  // equality of a value with an object/array, `in`, $type, $parse, $encodeUrlComponent
  '$states.input.n = null',
  '$states.input.o = null',
  '$states.input.o != null',
  'null = $states.input.o',
  '$states.input = null',
  '$states.input != null',
  '$states.input.list = 1',
  '$states.input.o = "x"',
  "$states.input.s in ['x', 'y']",
  '$states.input.a in [1, 2]',
  '$states.input.a in 1',
  '$states.input.missing in [1]',
  '$states.input.a in $states.input.missing',
  '$states.input.o in [1]',
  '$states.input.s in $states.input.list',
  '$type($states.input)',
  '$type($states.input.a)',
  '$type($states.input.n)',
  '$type($states.input.missing)',
  '$type($states.input.list)',
  '$type($states.input.b)',
  '$type($states.input.o) != "object"',
  '$parse($states.input.s)',
  '$parse("{\\"a\\": [1, 2.5], \\"b\\": null}")',
  '$parse($states.input.a)',
  '$parse($states.input.missing)',
  '$encodeUrlComponent($states.input.s & "/ ?é")',
  '$encodeUrlComponent($states.input.a)',
  '$encodeUrlComponent($states.input.missing)',
  // $keys, and filters on a function's result with $ as the item
  '$keys($states.input)',
  '$keys($states.input.o)',
  '$keys($states.input.missing)',
  "$count($keys($states.input)[$ in ['a', 's', 'zz']])",
  "$count($keys($states.input)[$ in ['a', 's', 'zz']]) > 0",
  "$keys($states.input)[$ = 'a']",
  "$keys($states.input)[$ = 'nope']",
  "$keys($states.input)[$ in ['a', 'b', 'o']][$ != 'b']",
  '$keys($states.input)[0]',
  '$keys($states.input)[$states.input.b]',
  '$count($keys($states.input)[$ = $states.input.s])',
  '$',
  // a right side / branch outside the fast subset
  '$states.input.b and $trim($states.input.s) = "x"',
  '$states.input.b or $trim($states.input.s) = "x"',
  '$states.input.missing and $trim($states.input.s) = "x"',
  '$states.input.b ? $trim($states.input.s) : "no"',
  '$states.input.b ? "yes" : $trim($states.input.s)',
  '$states.input.missing ? $trim($states.input.s)',
];

async function viaJsonata(expr: string, b: Record<string, unknown>) {
  try {
    return { value: await withStepFunctionsFunctions(jsonata(expr)).evaluate(undefined, b) };
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

describe('the app machine\'s expressions on the GET and POST paths', () => {
  const request = {
    method: 'GET',
    resource: 'orders',
    path: '/v1/orders/o-1',
    id: 'o-1',
    query: { limit: '', next: '' },
    headers: { ifMatch: '', ifNoneMatch: '', idempotencyKey: '' },
    requestId: 'r-1',
    receivedAt: 1700000000000,
    rejected: '',
    body: { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 2 }], price: 12.5 },
  };
  const current = { orderId: { S: 'o-1' }, version: { N: '1' }, data: { S: '{"customer":"Ada","n":1.5}' }, requestToken: { S: 'r-1' } };
  const vars = { request, id: 'o-1', token: 'r-1', current, status: 200, headers: { ETag: '"1"' }, body: { a: 1, b: [1.25, 'x'] }, flags: { readOnly: false } };
  const exprs = [
    "$current = null or $exists($current.deletedAt)",
    "$request.headers.ifNoneMatch != '' and ($trim($request.headers.ifNoneMatch) = '*' or ('\"' & $current.version.N & '\"') in $split($request.headers.ifNoneMatch, ',').$replace($trim($), /^W\\//, ''))",
    '$parse($current.data.S)',
    "{'ETag': '\"' & $current.version.N & '\"'}",
    "{'statusCode': $status, 'headers': $merge([$status = 204 or $status = 304 ? {} : {'Content-Type': 'application/json'}, $headers]), 'body': $body = null ? '' : $string($body)}",
    "($request.method = 'POST' and $id != '') or ($request.method in ['PUT', 'PATCH', 'DELETE'] and $id = '')",
    "$request.method in ['POST', 'PUT', 'PATCH']",
    "$type($request.body) != 'object'",
    "$request.method = 'POST' and $exists($lookup($request.body, 'orderId')) and ($type($lookup($request.body, 'orderId')) != 'string' or $lookup($request.body, 'orderId') = '')",
    "$exists($lookup($request.body, 'orderId')) ? $lookup($request.body, 'orderId') : ($request.headers.idempotencyKey != '' ? $substring($hash($request.headers.idempotencyKey, 'SHA-256'), 0, 32) : $request.requestId)",
    "{'Location': $request.path & '/' & $encodeUrlComponent($id), 'ETag': '\"1\"'}",
    "$count($keys($request.body)[$ in ['version', 'createdAt', 'updatedAt', 'deletedAt']]) > 0",
  ];
  test.each(exprs)('%s: evaluated without jsonata, with jsonata\'s result', async (expr) => {
    const b = makeBindings({ input: request, context: { Execution: { Id: 'arn' } } }, vars);
    const fast = compileJsonata(`{% ${expr} %}`, 'Output').run(b);
    expect(fast).not.toBeInstanceOf(Promise);
    expect(fast).toEqual((await viaJsonata(expr, b.bindings())).value);
  });

  test('$parse of a number beyond double range gives what the engine gives through jsonata (its name)', async () => {
    const b = makeBindings({ input: {}, context: {} }, {});
    await expect(compileJsonata('{% $parse("[1, {\\"x\\": 1e400}]") %}', 'Output').evaluate(b)).resolves.toEqual([1, { x: 'Infinity' }]);
  });

  test('$now() is evaluated without jsonata, once per evaluation, in jsonata\'s format', async () => {
    const b = makeBindings({ input: {}, context: {} }, {});
    const fast = compileJsonata('{% [$now(), $now()] %}', 'Output').run(b) as string[];
    expect(fast).not.toBeInstanceOf(Promise);
    const slow = (await viaJsonata('$now()', {})).value as string;
    expect(fast[0]).toBe(fast[1]);
    expect(fast[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(slow).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Math.abs(Date.parse(fast[0]) - Date.parse(slow))).toBeLessThan(5000);
  });
});
