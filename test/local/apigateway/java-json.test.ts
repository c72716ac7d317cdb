/**
 * The json-smart-like parser behind $input.path/$input.json/$util.parseJson: the Java model it builds
 * (Integer/Long vs Double, bigint beyond 2^53, LinkedHashMap order, JSONArray) and its error messages and
 * positions. Expected values were taken from the character-by-character parser this one replaced.
 */
import { JsonSyntaxError, parseJavaJson } from '../../../local/apigateway/vtl/java-json';
import { JavaDouble, JavaMap, JsonArray } from '../../../local/apigateway/vtl/java-values';
import { escapeJavaScript } from '../../../local/apigateway/vtl/variables';

function show(v: unknown): string {
  if (typeof v === 'bigint') return `big:${v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? 'int:-0' : `int:${v}`;
  if (v instanceof JavaDouble) return `dbl:${Object.is(v.value, -0) ? '-0' : v.value}`;
  if (v instanceof JavaMap) return `{${[...v.entries].map(([k, x]) => JSON.stringify(k) + ':' + show(x)).join(',')}}`;
  if (v instanceof JsonArray) return `[${v.items.map(show).join(',')}]`;
  return JSON.stringify(v);
}

function parse(text: string): string {
  try {
    return show(parseJavaJson(text));
  } catch (e) {
    if (!(e instanceof JsonSyntaxError)) throw e;
    return `${e.name}: ${e.message} @${e.position}`;
  }
}

const CASES: [string, string][] = [
  ["{\"b\":1,\"a\":2.5,\"2\":\"x\",\"1\":[true,false,null],\"n\":-0,\"e\":1e3,\"big\":12345678901234567890,\"f\":-1.5E-2}", "{\"b\":int:1,\"a\":dbl:2.5,\"2\":\"x\",\"1\":[true,false,null],\"n\":int:-0,\"e\":dbl:1000,\"big\":big:12345678901234567890,\"f\":dbl:-0.015}"],
  ["\"plain\"", "\"plain\""],
  ["\"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\ud83d\\ude00 end\"", "\"esc \\\" \\\\ / \\b \\f \\n \\r \\t \u00e9 \ud83d\ude00 end\""],
  ["\"\\ud800\"", "\"\\ud800\""],
  ["{\"k\":\"a\\\"b\",\"l\":\"\\\\\"}", "{\"k\":\"a\\\"b\",\"l\":\"\\\\\"}"],
  ["{\"input\":\"{\\\"method\\\":\\\"GET\\\",\\\"path\\\":\\\"\\\\/v1\\\"}\",\"x\":1}", "{\"input\":\"{\\\"method\\\":\\\"GET\\\",\\\"path\\\":\\\"\\\\/v1\\\"}\",\"x\":int:1}"],
  ["  [ 1 , 2 ]  ", "[int:1,int:2]"],
  ["{\"a\":{\"a\":{\"a\":{}}}}", "{\"a\":{\"a\":{\"a\":{}}}}"],
  ["{\"dup\":1,\"dup\":2}", "{\"dup\":int:2}"],
  ["", "JsonSyntaxError: Unexpected end of JSON at position 0 @0"],
  [" ", "JsonSyntaxError: Unexpected end of JSON at position 1 @1"],
  ["{", "JsonSyntaxError: Unexpected end of JSON at position 1 @1"],
  ["[1,]", "JsonSyntaxError: Unexpected character ']' at position 3 @3"],
  ["{\"a\":1,}", "JsonSyntaxError: Expected string key, got '}' at position 7 @7"],
  ["{\"a\" 1}", "JsonSyntaxError: Expected ':', got '1' at position 5 @5"],
  ["{1:2}", "JsonSyntaxError: Expected string key, got '1' at position 1 @1"],
  ["\"abc", "JsonSyntaxError: Unexpected end of JSON at position 4 @4"],
  ["\"a\\x\"", "JsonSyntaxError: Bad escape 'x' at position 3 @3"],
  ["\"\\u12\"", "JsonSyntaxError: Bad unicode escape 'u' at position 2 @2"],
  ["\"\\u12G4\"", "JsonSyntaxError: Bad unicode escape 'u' at position 2 @2"],
  ["\"ctl\u0001\"", "JsonSyntaxError: Unescaped control character '\u0001' at position 4 @4"],
  ["\"\\", "JsonSyntaxError: Unexpected end of JSON at position 2 @2"],
  ["tru", "JsonSyntaxError: Unexpected character 't' at position 0 @0"],
  ["nul", "JsonSyntaxError: Unexpected character 'n' at position 0 @0"],
  ["01", "JsonSyntaxError: Unexpected trailing character '1' at position 1 @1"],
  ["1.", "JsonSyntaxError: Unexpected trailing character '.' at position 1 @1"],
  ["-", "JsonSyntaxError: Unexpected character '-' at position 0 @0"],
  ["-a", "JsonSyntaxError: Unexpected character '-' at position 0 @0"],
  ["1e", "JsonSyntaxError: Unexpected trailing character 'e' at position 1 @1"],
  ["[1 2]", "JsonSyntaxError: Expected ',' or ']', got '2' at position 3 @3"],
  ["{\"a\":1}x", "JsonSyntaxError: Unexpected trailing character 'x' at position 7 @7"],
  ["\"a\"b", "JsonSyntaxError: Unexpected trailing character 'b' at position 3 @3"],
  [".5", "JsonSyntaxError: Unexpected character '.' at position 0 @0"],
  ["+1", "JsonSyntaxError: Unexpected character '+' at position 0 @0"],
  ["NaN", "JsonSyntaxError: Unexpected character 'N' at position 0 @0"]
];

describe('parseJavaJson', () => {
  test.each(CASES)('%j', (text, expected) => {
    expect(parse(text)).toBe(expected);
  });

  test('a string with many escaped quotes (JSON text inside JSON) is read whole', () => {
    const inner = JSON.stringify({ a: 'x"y', b: [1, '\\'], c: { d: 'é' } });
    const outer = JSON.stringify({ output: inner, after: 1 });
    expect(parse(outer)).toBe(`{"output":${JSON.stringify(inner)},"after":int:1}`);
  });
});

describe('escapeJavaScript (Commons Lang 2.x)', () => {
  test.each([
    ['plain text 123', 'plain text 123'],
    ['', ''],
    [`it's "quoted" \\ /path`, `it\\'s \\"quoted\\" \\\\ \\/path`],
    ['tab\tnl\ncr\rff\fbs\b\u0001', 'tab\\tnl\\ncr\\rff\\fbs\\b\\u0001'],
    ['é€😀\u007f', '\\u00E9\\u20AC\\uD83D\\uDE00\u007f'],
  ])('%j', (input, expected) => {
    expect(escapeJavaScript(input)).toBe(expected);
  });
});
