/** A Lambda's own time follows the local cloud's clock: its Date, its remaining time and its timeout. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ControllableClock } from '../../../local/asl/clock';
import { LambdaFunctionError, LocalLambda } from '../../../local/lambda/runtime';

const HANDLER = `'use strict';
let cache;
exports.handler = async (event, context) => {
  if (event.waitMs) {
    const before = context.getRemainingTimeInMillis();
    await new Promise((r) => setTimeout(r, event.waitMs));
    return { before, after: context.getRemainingTimeInMillis() };
  }
  // A 15 s cache on Date.now(), like the flags Lambda's.
  const fresh = !cache || Date.now() - cache.at > 15000;
  if (fresh) cache = { at: Date.now(), value: event.value };
  return {
    now: Date.now(),
    iso: new Date().toISOString(),
    text: Date(),
    value: cache.value,
    fixed: new Date(5).getTime(),
    parsed: Date.parse('2024-01-01T00:00:00Z'),
    utc: Date.UTC(2024, 0, 1),
    realDateIsDate: require('node:fs').statSync('.').mtime instanceof Date,
    ownDateIsDate: new Date() instanceof Date,
    remaining: context.getRemainingTimeInMillis(),
  };
};
`;

function lambda(clock: ControllableClock, timeoutSeconds = 30): LocalLambda {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'clock-lambda-'));
  fs.writeFileSync(path.join(dir, 'index.js'), HANDLER);
  const definition = { functionName: 'f', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f', codeDir: dir, handler: 'index.handler', environment: {}, timeoutSeconds, memorySize: 128 };
  return new LocalLambda(definition, {}, { clock });
}

const HOUR = 3_600_000;

test("a Lambda's Date.now() and new Date() follow the clock, so its module-scope cache expires when the clock is advanced", async () => {
  const clock = new ControllableClock();
  const fn = lambda(clock);
  const first = (await fn.invoke({ value: 'v1' })) as Record<string, any>;
  expect(Math.abs(first.now - Date.now())).toBeLessThan(1000);
  expect(first.value).toBe('v1');
  expect((await fn.invoke({ value: 'v2' })) as Record<string, any>).toMatchObject({ value: 'v1' }); // cached

  await clock.advance(HOUR);
  const later = (await fn.invoke({ value: 'v3' })) as Record<string, any>;
  expect(later.now - Date.now()).toBeGreaterThan(HOUR - 1000);
  expect(Date.parse(later.iso) - Date.now()).toBeGreaterThan(HOUR - 1000);
  expect(Date.parse(later.text) - Date.now()).toBeGreaterThan(HOUR - 2000);
  expect(later.value).toBe('v3'); // the 15 s cache expired
  // Everything else is the real Date.
  expect(later).toMatchObject({ fixed: 5, parsed: Date.UTC(2024, 0, 1), utc: Date.UTC(2024, 0, 1), realDateIsDate: true, ownDateIsDate: true });
  expect(later.remaining).toBeGreaterThan(29_000);
  expect(later.remaining).toBeLessThanOrEqual(30_000);
});

test("getRemainingTimeInMillis and the timeout run on the clock: an advance during an invocation times it out", async () => {
  const clock = new ControllableClock();
  const fn = lambda(clock, 30);
  const running = fn.invoke({ waitMs: 100 });
  await new Promise((r) => setTimeout(r, 20));
  await clock.advance(10_000);
  const result = (await running) as { before: number; after: number };
  expect(result.before - result.after).toBeGreaterThanOrEqual(10_000);

  const timedOut = fn.invoke({ waitMs: 100 }).catch((e: unknown) => e);
  await new Promise((r) => setTimeout(r, 20));
  await clock.advance(31_000);
  const error = (await timedOut) as LambdaFunctionError;
  expect(error).toBeInstanceOf(LambdaFunctionError);
  expect(error.errorType).toBe('Sandbox.Timedout');
});
