/**
 * LocalLambda runs execution environments like Lambda: one invocation at a time per instance, module
 * state kept between invocations of a warm instance, more instances under concurrency, a timed-out
 * instance discarded.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LambdaFunctionError, LocalLambda } from '../../../local/lambda/runtime';

// Module state: `instance` is fixed per module load, `calls` counts invocations of that instance.
const HANDLER = `
const instance = Math.random().toString(36).slice(2);
let calls = 0;
exports.handler = async (event, context) => {
  calls++;
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.fail) throw new TypeError('bad input');
  return { instance, calls, greeting: process.env.GREETING, remaining: context.getRemainingTimeInMillis() > 0 };
};
`;

function lambda(timeoutSeconds = 3): LocalLambda {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-lambda-'));
  fs.writeFileSync(path.join(dir, 'index.js'), HANDLER);
  return new LocalLambda({
    functionName: 'f',
    functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:f',
    codeDir: dir,
    handler: 'index.handler',
    environment: { GREETING: 'hello' },
    timeoutSeconds,
    memorySize: 128,
  });
}

type Result = { instance: string; calls: number; greeting: string; remaining: boolean };

test('a warm instance keeps its module state between invocations, and sees its environment', async () => {
  const fn = lambda();
  const first = (await fn.invoke({})) as Result;
  const second = (await fn.invoke({})) as Result;
  expect(second.instance).toBe(first.instance);
  expect([first.calls, second.calls]).toEqual([1, 2]);
  expect(first).toMatchObject({ greeting: 'hello', remaining: true });
  expect(fn.instances).toBe(1);
});

test('concurrent invocations run on separate instances (no shared module state), which are then reused', async () => {
  const fn = lambda();
  const results = (await Promise.all([1, 2, 3].map(() => fn.invoke({ sleepMs: 30 })))) as Result[];
  expect(new Set(results.map((r) => r.instance)).size).toBe(3);
  expect(results.every((r) => r.calls === 1)).toBe(true);
  await fn.invoke({});
  expect(fn.instances).toBe(3);
});

test('a function error keeps the instance; its errorType is the error name', async () => {
  const fn = lambda();
  await expect(fn.invoke({ fail: true })).rejects.toMatchObject({ errorType: 'TypeError', errorMessage: 'bad input' });
  await fn.invoke({});
  expect(fn.instances).toBe(1);
});

test('a timed-out instance is discarded: the next invocation is a cold start', async () => {
  const fn = lambda(0.05);
  const error = (await fn.invoke({ sleepMs: 200 }).catch((e: unknown) => e)) as LambdaFunctionError;
  expect(error).toBeInstanceOf(LambdaFunctionError);
  expect(error.errorType).toBe('Sandbox.Timedout');
  const next = (await fn.invoke({})) as Result;
  expect(next.calls).toBe(1);
  expect(fn.instances).toBe(2);
});
