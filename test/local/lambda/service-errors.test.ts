/**
 * Lambda's service errors locally, as AWS answers them: reserved concurrency throttles the invocation that
 * would exceed it (TooManyRequestsException, 429), and fault rules on `lambda` / `Invoke` fail an invocation
 * before the code runs. Through Step Functions they are `Lambda.<code>` errors with the Java SDK v1 cause,
 * the names the AWS docs tell a Retry to match (bp-lambda-serviceexception).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalLambda } from '../../../local/lambda/runtime';
import { AwsError } from '../../../local/services/errors';
import { FaultInjector } from '../../../local/services/faults';
import { lambdaInvokeHandler } from '../../../local/stepfunctions/lambda-invoke';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lambda-errors-'));
  // A handler that waits until released, so two invocations overlap.
  fs.writeFileSync(path.join(dir, 'index.js'), 'exports.handler = async (e) => { await new Promise((r) => setTimeout(r, e.ms ?? 0)); return { ok: true }; };');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const definition = () => ({ functionName: 'fn', functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:fn', codeDir: dir, handler: 'index.handler', environment: {}, timeoutSeconds: 3, memorySize: 128 });
const context = { Execution: { Id: 'arn:aws:states:us-east-1:000000000000:execution:m:e' } } as any;

test('with reserved concurrency 1, a second invocation while one runs is throttled (TooManyRequestsException, 429); after it ends, invocations run again', async () => {
  const fn = new LocalLambda(definition(), {}, { reservedConcurrency: 1 });
  const first = fn.invoke({ ms: 50 });
  await expect(fn.invoke({})).rejects.toMatchObject({ code: 'TooManyRequestsException', httpStatus: 429, service: 'lambda', extra: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' } });
  await expect(first).resolves.toEqual({ ok: true });
  await expect(fn.invoke({})).resolves.toEqual({ ok: true });
});

test('the error renders as Lambda\'s REST-JSON body with x-amzn-ErrorType', () => {
  const e = AwsError.of('lambda', 'TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
  expect(e.renderLambda()).toEqual({
    status: 429,
    headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'TooManyRequestsException' },
    body: JSON.stringify({ Type: 'User', message: 'Rate Exceeded.', Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' }),
  });
});

test.each([
  ['TooManyRequestsException', 429],
  ['ServiceException', 500],
])('a fault rule on lambda Invoke (%s) fails the invocation before the code runs; lambda:invoke names it Lambda.%s', async (code, status) => {
  const faults = new FaultInjector();
  faults.add({ service: 'lambda', operation: 'Invoke', error: code, count: 1 });
  const fn = new LocalLambda(definition(), {}, { beforeInvoke: () => faults.check('lambda', 'Invoke') });
  const handler = lambdaInvokeHandler(new Map([['fn', fn]]));
  const invocation = { resource: 'arn:aws:states:::lambda:invoke', input: { FunctionName: 'fn', Payload: {} }, context } as any;
  const error: any = await (handler(invocation) as Promise<unknown>).catch((e) => e);
  expect(error.name).toBe(`Lambda.${code}`);
  expect(error.cause ?? error.message).toMatch(new RegExp(`\\(Service: AWSLambda; Status Code: ${status}; Error Code: ${code}; Request ID: [0-9a-f-]+; Proxy: null\\)$`));
  // The rule was spent: the next invocation runs.
  await expect(handler(invocation)).resolves.toMatchObject({ StatusCode: 200, Payload: { ok: true } });
});
