/**
 * awsJsonStringify: Dates as epoch seconds, Uint8Arrays/Buffers as base64, everything else as JSON.stringify
 * writes it. Plain data takes a fast path (converted first, no replacer); this checks it writes exactly what
 * the replacer form writes, for plain data and for what makes it fall back.
 */
import { awsJsonStringify } from '../../../local/endpoint/http';

function withReplacer(value: unknown): string {
  return JSON.stringify(value ?? {}, function (this: Record<string, unknown>, key: string, v: unknown) {
    const original = this[key];
    if (original instanceof Date) return original.getTime() / 1000;
    if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
    return v;
  });
}

class WithFields {
  a = 1;
  d = new Date(5000);
}

const VALUES: [string, unknown][] = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 1.5],
  ['a Date', new Date(1700000000123)],
  ['an invalid Date', new Date(NaN)],
  ['a Buffer', Buffer.from('hi')],
  ['a Uint8Array', new Uint8Array([1, 2, 255])],
  ['StartSyncExecution-like', { executionArn: 'arn', startDate: new Date(1700000000123), stopDate: new Date(1700000000200), input: '{"a":"\\/"}', inputDetails: { included: true }, output: undefined, billingDetails: { billedMemoryUsedInMB: 64 } }],
  ['nested Dates and blobs', { a: [1, new Date(2000), { c: Buffer.from('x'), d: [new Uint8Array([7])] }], u: undefined, f: () => 1 }],
  ['an array with holes, functions and undefined', [undefined, () => 1, new Date(3), , 4]],
  ['an own __proto__ key', JSON.parse('{"__proto__": {"d": 1}, "x": 2}')],
  ['an object with toJSON', { toJSON: () => ({ d: new Date(9) }) }],
  ['a class instance', new WithFields()],
  ['a class instance inside plain data', { k: new WithFields() }],
  ['a null-prototype object', Object.assign(Object.create(null), { d: new Date(7), s: 'x' })],
  ['Map and Set', { m: new Map([[1, 2]]), s: new Set([1]) }],
  ['integer-like keys', { '2': 'two', '1': 'one', b: new Date(4), a: 'a' }],
  ['non-finite numbers', { n: NaN, i: -Infinity }],
  ['an Error', { e: new Error('boom') }],
];

describe('awsJsonStringify', () => {
  test.each(VALUES)('%s', (_name, value) => {
    expect(awsJsonStringify(value)).toBe(withReplacer(value));
  });

  test('Dates are epoch seconds with a fraction', () => {
    expect(awsJsonStringify({ t: new Date(1700000000123) })).toBe('{"t":1700000000.123}');
  });
});
