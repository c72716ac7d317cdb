/**
 * A body the model refuses: the client gets API Gateway's problem JSON (which cannot carry the validator's report on
 * AWS, docs/api.md#errors), and the local cloud prints the report where AWS's execution log has it.
 */
import { Api, LocalCloud, startTestCloud } from './helpers';

let cloud: LocalCloud;
let api: Api;
const lines: string[] = [];
/** The printed lines of the log entry of one request (an entry may span lines). */
const logOf = (requestId: string) => (lines.find((l) => l.includes(requestId)) ?? '').split('\n');

beforeAll(async () => {
  cloud = await startTestCloud({ log: (line) => lines.push(line) });
  api = new Api(cloud.apiUrl);
});

afterAll(async () => {
  await cloud?.stop();
});

test('a typo and a missing property: 400 naming the model; the log line under the request names the property and the rule', async () => {
  const res = await api.post('/orders', { custmer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] });
  expect(res.status).toBe(400);
  expect(res.json).toMatchObject({ title: 'Bad Request', detail: 'Invalid request body: the body does not match the model of POST /orders.' });
  const requestId = res.headers.get('x-amzn-requestid')!;
  const [first, report] = logOf(requestId);
  expect(first).toMatch(/^POST \/v1\/orders → 400 /);
  expect(report).toBe(
    '  Request body does not match model schema for content type application/json: ' +
      '[object has missing required properties (["customer"]), object instance has properties which are not allowed by the schema: ["custmer"]]',
  );
});

test('a PATCH sent as application/merge-patch+json is checked against the patch model under that content type', async () => {
  const res = await api.request('PATCH', '/orders/some-id', { body: {}, headers: { 'Content-Type': 'application/merge-patch+json' } });
  expect(res.status).toBe(400);
  const requestId = res.headers.get('x-amzn-requestid')!;
  expect(logOf(requestId)[1]).toBe(
    '  Request body does not match model schema for content type application/merge-patch+json: [object has too few properties (found 0 but schema requires at least 1)]',
  );
});
