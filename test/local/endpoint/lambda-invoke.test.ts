/**
 * Lambda Invoke on the AWS-compatible endpoint: `POST /2015-03-31/functions/<name>/invocations`
 * (REST-JSON), served by a LambdaBackend. Plain fetch: @aws-sdk/client-lambda is not a dependency.
 *
 * AWS behaviour (Lambda API reference, Invoke): RequestResponse → 200 with the function's result;
 * a function error is still 200, flagged by `X-Amz-Function-Error` with `{errorType, errorMessage, trace}`;
 * Event → 202 with an empty body; DryRun → 204; unknown function → 404 ResourceNotFoundException.
 */
import { LambdaBackend, RequestLog, RunningEndpoint, startEndpoint } from '../../../local/endpoint/server';
import { LocalServices } from '../../../local/services';
import { LambdaFunctionError } from '../../../local/lambda/runtime';

interface Invocation {
  name: string;
  payload: unknown;
}

let services: LocalServices;
let endpoint: RunningEndpoint;
let invocations: Invocation[];
let logs: RequestLog[];
let behaviour: Record<string, (payload: any) => Promise<unknown>>;

const backend: LambdaBackend = {
  has: (name) => name in behaviour,
  invoke: (name, payload) => {
    invocations.push({ name, payload });
    return behaviour[name](payload);
  },
};

beforeAll(async () => {
  services = await LocalServices.open({ inMemory: true });
  endpoint = await startEndpoint({ services, lambda: backend, port: 0, onRequest: (log) => logs.push(log) });
});

afterAll(async () => {
  await endpoint.close();
  await services.close();
});

beforeEach(() => {
  invocations = [];
  logs = [];
  behaviour = {
    echo: async (payload) => ({ received: payload }),
    nothing: async () => undefined,
    text: async () => 'plain text',
    failing: async () => {
      throw new LambdaFunctionError('ValidationError', 'customer is required', ['ValidationError: customer is required', '    at handler (index.js:1:1)']);
    },
    crashing: async () => {
      throw new TypeError("Cannot read properties of undefined (reading 'x')");
    },
  };
});

const invoke = (name: string, body?: string, headers: Record<string, string> = {}) =>
  fetch(`${endpoint.url}/2015-03-31/functions/${name}/invocations`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });

test('RequestResponse: 200 with the function result as JSON, the payload passed parsed', async () => {
  const r = await invoke('echo', JSON.stringify({ a: 1, b: [true, null] }));
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('application/json');
  expect(r.headers.get('x-amz-executed-version')).toBe('$LATEST');
  expect(r.headers.get('x-amz-function-error')).toBeNull();
  expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(await r.json()).toEqual({ received: { a: 1, b: [true, null] } });
  expect(invocations).toEqual([{ name: 'echo', payload: { a: 1, b: [true, null] } }]);
  expect(logs[0]).toMatchObject({ service: 'lambda', action: 'Invoke', status: 200, path: '/2015-03-31/functions/echo/invocations' });
});

test('an empty body invokes with {}; any JSON value is a payload', async () => {
  await (await invoke('echo')).text();
  await (await invoke('echo', '"just a string"')).text();
  await (await invoke('echo', '42')).text();
  expect(invocations.map((i) => i.payload)).toEqual([{}, 'just a string', 42]);
});

test('a function returning nothing answers null; a string result is JSON-encoded', async () => {
  expect(await (await invoke('nothing', '{}')).text()).toBe('null');
  expect(await (await invoke('text', '{}')).text()).toBe('"plain text"');
});

test('a function error: still 200, X-Amz-Function-Error: Unhandled, {errorType, errorMessage, trace}', async () => {
  const r = await invoke('failing', '{}');
  expect(r.status).toBe(200);
  expect(r.headers.get('x-amz-function-error')).toBe('Unhandled');
  expect(r.headers.get('x-amz-executed-version')).toBe('$LATEST');
  expect(await r.json()).toEqual({
    errorType: 'ValidationError',
    errorMessage: 'customer is required',
    trace: ['ValidationError: customer is required', '    at handler (index.js:1:1)'],
  });
});

test('a plain Error thrown by the backend: still a function error, with its message', async () => {
  const r = await invoke('crashing', '{}');
  expect(r.status).toBe(200);
  expect(r.headers.get('x-amz-function-error')).toBe('Unhandled');
  const body = (await r.json()) as any;
  expect(body).toMatchObject({ errorMessage: "Cannot read properties of undefined (reading 'x')", trace: [] });
  expect(typeof body.errorType).toBe('string');
});

test('unknown function: 404 ResourceNotFoundException naming its ARN; the backend is not invoked', async () => {
  const r = await invoke('nope', '{}');
  expect(r.status).toBe(404);
  expect(r.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  const body = (await r.json()) as any;
  const message = body.message ?? body.Message;
  expect(message).toBe('Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope');
  expect(invocations).toEqual([]);
  expect(logs[0]).toMatchObject({ service: 'lambda', status: 404, errorCode: 'ResourceNotFoundException' });
});

test('the function may be named by its ARN or partial ARN (URL-encoded, as the SDK sends it)', async () => {
  const arn = 'arn:aws:lambda:us-east-1:000000000000:function:echo';
  expect((await invoke(encodeURIComponent(arn), '{"n":1}')).status).toBe(200);
  expect((await invoke(arn, '{"n":2}')).status).toBe(200);
  expect((await invoke(encodeURIComponent('000000000000:function:echo'), '{"n":3}')).status).toBe(200);
  expect((await invoke(encodeURIComponent(`${arn}:$LATEST`), '{"n":4}')).status).toBe(200);
  expect(invocations.map((i) => [i.name, i.payload])).toEqual([
    ['echo', { n: 1 }],
    ['echo', { n: 2 }],
    ['echo', { n: 3 }],
    ['echo', { n: 4 }],
  ]);
});

// Was a bug: the name:qualifier form (`echo:$LATEST`, AWS Invoke FunctionName pattern) is looked up
// as a function called "echo:$LATEST" → 404. Expected: $LATEST of echo.
test('the name:qualifier form invokes the function', async () => {
  const r = await invoke(encodeURIComponent('echo:$LATEST'), '{}');
  expect(r.status).toBe(200);
});

test('a body that is not JSON: 400 InvalidRequestContentException, no invocation', async () => {
  const r = await invoke('echo', '{nope');
  expect(r.status).toBe(400);
  expect(r.headers.get('x-amzn-errortype')).toBe('InvalidRequestContentException');
  const body = (await r.json()) as any;
  expect(body.message ?? body.Message).toMatch(/Could not parse request body into json/);
  expect(invocations).toEqual([]);
});

test('X-Amz-Invocation-Type: Event → 202 with an empty body, before the function finishes', async () => {
  let finish: (value: unknown) => void = () => undefined;
  behaviour.slow = (payload) => new Promise((resolve) => (finish = () => resolve(payload)));
  const r = await invoke('slow', '{"job":1}', { 'X-Amz-Invocation-Type': 'Event' });
  expect(r.status).toBe(202);
  expect(await r.text()).toBe('');
  expect(r.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
  expect(invocations).toEqual([{ name: 'slow', payload: { job: 1 } }]);
  finish(undefined);
});

test('Event: a function error does not change the 202 (it is logged)', async () => {
  const errors = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    const r = await invoke('failing', '{}', { 'X-Amz-Invocation-Type': 'Event' });
    expect(r.status).toBe(202);
    await new Promise((resolve) => setImmediate(resolve));
    expect(errors).toHaveBeenCalledWith(expect.stringContaining('failing'), expect.anything());
  } finally {
    errors.mockRestore();
  }
});

test('Event for an unknown function: 404 as well', async () => {
  expect((await invoke('nope', '{}', { 'X-Amz-Invocation-Type': 'Event' })).status).toBe(404);
});

test('RequestResponse given explicitly is the default behaviour', async () => {
  const r = await invoke('echo', '{"x":1}', { 'X-Amz-Invocation-Type': 'RequestResponse' });
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ received: { x: 1 } });
});

// Was a bug: DryRun runs the function and answers 200. AWS: 204, the function is not run.
test('X-Amz-Invocation-Type: DryRun → 204 without running the function', async () => {
  const r = await invoke('echo', '{}', { 'X-Amz-Invocation-Type': 'DryRun' });
  expect(r.status).toBe(204);
  expect(invocations).toEqual([]);
});

test('other methods on the invocations path are not Invoke', async () => {
  const r = await fetch(`${endpoint.url}/2015-03-31/functions/echo/invocations`);
  expect(r.status).toBe(404);
  expect(invocations).toEqual([]);
});

test('an endpoint without a Lambda backend answers ResourceNotFoundException', async () => {
  const bare = await startEndpoint({ services, port: 0 });
  try {
    const r = await fetch(`${bare.url}/2015-03-31/functions/echo/invocations`, { method: 'POST', body: '{}' });
    expect(r.status).toBe(404);
    expect(r.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  } finally {
    await bare.close();
  }
});

test('the other services still answer next to Invoke (routing is by path first)', async () => {
  const r = await fetch(endpoint.url, { method: 'POST', headers: { 'X-Amz-Target': 'DynamoDB_20120810.ListTables', 'Content-Type': 'application/x-amz-json-1.0' }, body: '{}' });
  expect(r.status).toBe(200);
  expect(await r.json()).toEqual({ TableNames: [] });
});
