/**
 * The CLI end to end against a real local cloud (the synthesized template, in memory): requests go
 * through the API like curl would, then the CLI's commands run in-process (`run(argv, io)`) against
 * the endpoint — SQS and Step Functions through their AWS APIs, executions through the console API,
 * flags through /_local/appconfig/flags — and every exit code is checked.
 */
import { signedFetch } from '../../../local/auth/sign-request';
import * as net from 'node:net';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';
import { EXIT } from '../../../local/cli/errors';
import { expectNoStackTrace, runCli } from './fakes';

const THROTTLED = 'ProvisionedThroughputExceededException';

let cloud: LocalCloud;
let cli: (...argv: string[]) => ReturnType<typeof runCli>;

beforeAll(async () => {
  cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {} });
  cli = (...argv) => runCli(['--endpoint', cloud.endpointUrl, ...argv]);
});

afterEach(() => cloud.services.faults.clear());

afterAll(async () => {
  await cloud?.stop();
});

async function post(resource: string, body: unknown): Promise<{ status: number; requestId: string }> {
  const res = await signedFetch(`${cloud.apiUrl}/${resource}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await res.text();
  return { status: res.status, requestId: res.headers.get('x-request-id')! };
}

const order = (n: number) => ({ customer: `Ada ${n}`, items: [{ pizza: 'margherita', size: 'large', quantity: 1 }] });

/** The orders DLQ's messages, peeked (not received) through the local SQS service. */
function ordersQueue() {
  const name = cloud.resources.find((r) => r.name === 'orders')!.deadLetterQueueUrl.split('/').pop()!;
  return cloud.services.sqs.peekMessages(name, 1000);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('executions', () => {
  let retried: { status: number; requestId: string };
  let customer: { status: number; requestId: string };

  beforeAll(async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 2 });
    retried = await post('orders', order(1));
    cloud.services.faults.clear();
    customer = await post('customers', { name: 'Grace', email: 'grace@example.com' });
    expect([retried.status, customer.status]).toEqual([201, 201]);
  });

  test('list: newest first, with resource, status, HTTP status and the request id', async () => {
    const { code, stdout, stderr } = await cli('executions', 'list');
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^STARTED\s+RESOURCE\s+STATUS\s+HTTP\s+DURATION\s+REQUEST ID/);
    expect(lines[1]).toMatch(new RegExp(`customers\\s+SUCCEEDED\\s+201\\s+.*${customer.requestId}$`));
    expect(lines[2]).toMatch(new RegExp(`orders\\s+SUCCEEDED\\s+201\\s+.*${retried.requestId}$`));
  });

  test('list --resource --status --limit --json: filtered, machine-readable', async () => {
    const { code, json } = await cli('--json', 'executions', 'list', '--resource', 'orders', '--status', 'succeeded', '--limit', '5');
    expect(code).toBe(EXIT.OK);
    expect(json.executions.map((e: any) => [e.name, e.resource, e.status, e.statusCode])).toEqual([[retried.requestId, 'orders', 'SUCCEEDED', 201]]);
    expect(json.executions[0].startDate).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    const failed = await cli('executions', 'list', '--status', 'FAILED');
    expect(failed).toMatchObject({ code: EXIT.OK, stdout: expect.stringContaining('No executions with status FAILED') });
  });

  test('show: the history as a timeline, with the throttled attempts, their errors and the retries with attempt and delay', async () => {
    const { code, stdout, stderr } = await cli('executions', 'show', retried.requestId);
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    expect(stdout).toContain(`Execution ${retried.requestId}  (orders)`);
    expect(stdout).toMatch(/Status {4}SUCCEEDED → HTTP 201 in /);
    expect(stdout).toMatch(/Retries {3}2 \(PutNewItem ×2\)/);
    expect(stdout).toMatch(/^\+0\.000s\s+ExecutionStarted\s+input \{"method":"POST","resource":"orders"/m);
    expect(stdout.match(new RegExp(`PutNewItem\\s+TaskFailed\\s+DynamoDB\\.${THROTTLED}`, 'g'))).toHaveLength(2);
    expect(stdout).toMatch(/↳ cause\s+The level of configured provisioned throughput/);
    expect(stdout).toMatch(/PutNewItem\s+TaskScheduled\s+retry 1 \(attempt 2\) after \d[\d.]* m?s/);
    expect(stdout).toMatch(/PutNewItem\s+TaskScheduled\s+retry 2 \(attempt 3\) after \d[\d.]* m?s/);
    expect(stdout).toMatch(/ExecutionSucceeded\s+output \{"statusCode":201/);
  });

  test('show --json: the executions with their events and the structured timeline', async () => {
    const { code, json } = await cli('--json', 'executions', 'show', retried.requestId);
    expect(code).toBe(EXIT.OK);
    expect(json.executions).toHaveLength(1);
    const [execution] = json.executions;
    expect(execution).toMatchObject({ name: retried.requestId, status: 'SUCCEEDED', statusCode: 201, resource: 'orders' });
    expect(execution.events[0].type).toBe('ExecutionStarted');
    expect(execution.timeline.filter((r: any) => r.attempt).map((r: any) => [r.state, r.attempt])).toEqual([
      ['PutNewItem', 2],
      ['PutNewItem', 3],
    ]);
  });

  test('show of an unknown request id: not found (exit 3)', async () => {
    const { code, stderr, stdout } = await cli('executions', 'show', 'no-such-request');
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^error: No execution for request id no-such-request on the local cloud at http:\/\/127\.0\.0\.1:\d+\n/);
  });

  test('an unknown resource is not found (exit 3) and lists the known ones; a bad status is a usage error (exit 2)', async () => {
    expect(await cli('executions', 'list', '--resource', 'pizzas')).toMatchObject({ code: EXIT.NOT_FOUND, stderr: 'error: Unknown resource "pizzas"; known resources: orders, customers\n' });
    expect(await cli('executions', 'list', '--status', 'broken')).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining('Unknown status "broken"') });
    expect(await cli('executions', 'list', '--limit', '0')).toMatchObject({ code: EXIT.USAGE });
  });
});

describe('the dead-letter queue', () => {
  const queued: { status: number; requestId: string }[] = [];
  let messageIds: Record<string, string>;

  beforeAll(async () => {
    // PutItem always throttled: every POST exhausts its retries and is queued (202).
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    queued.push(...(await Promise.all(Array.from({ length: 12 }, (_, i) => post('orders', order(100 + i))))));
    cloud.services.faults.clear();
    // Those failures opened the write circuit: closed here as an operator would, so the redrives below
    // replay only what they are asked to (a probe closing it would announce it and start the redrive).
    await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: { pk: { S: 'circuit#orders#writes' } } });
    expect(queued.map((q) => q.status)).toEqual(Array(12).fill(202));
  });

  test('list: each message with its request id, method and path, error, when and receive count', async () => {
    const { code, stdout, stderr } = await cli('dlq', 'list', 'orders');
    expect(code).toBe(EXIT.OK);
    expect(stdout.split('\n')[0]).toBe('orders dead-letter queue: 12 waiting');
    expect(stdout.split('\n')[1]).toMatch(/^MESSAGE ID\s+REQUEST ID\s+REQUEST\s+ERROR\s+QUEUED\s+RECEIVES$/);
    for (const q of queued) expect(stdout).toMatch(new RegExp(`${q.requestId}\\s+POST /v1/orders\\s+DynamoDB\\.${THROTTLED}\\s+\\d{4}-.*Z \\(\\d+ s ago\\)\\s+1\\n`));
    expect(stderr).toContain('Listing received each message once (SQS has no peek)');
  });

  test('list --json: the messages, all visible again afterwards', async () => {
    const { code, json } = await cli('--json', 'dlq', 'list', 'orders');
    expect(code).toBe(EXIT.OK);
    expect(json).toMatchObject({ resource: 'orders', visible: 12, inFlight: 0 });
    expect(json.messages).toHaveLength(12);
    expect(json.messages[0]).toMatchObject({ method: 'POST', path: '/v1/orders', error: `DynamoDB.${THROTTLED}`, receiveCount: 2, unreadable: false });
    messageIds = Object.fromEntries(json.messages.map((m: any) => [m.requestId, m.messageId]));
    expect(Object.keys(messageIds).sort()).toEqual(queued.map((q) => q.requestId).sort());
    expect(ordersQueue().every((m) => m.visible)).toBe(true);
  });

  test('redrive --message: only that message is replayed and applied (exit 0); the others stay', async () => {
    const target = queued[0];
    const { code, stdout } = await cli('dlq', 'redrive', 'orders', '--message', messageIds[target.requestId]);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toMatch(new RegExp(`^1/1  applied   ${target.requestId}  HTTP 201$`, 'm'));
    expect(stdout).toMatch(/1\/1 done: 1 applied, 0 rejected, 0 kept, 0 poison\. 11 messages left in the queue\./);
    const stored = await signedFetch(`${cloud.apiUrl}/orders/${target.requestId}`);
    expect(stored.status).toBe(200);
  });

  test('redrive of a message id that is not in the queue: not found (exit 3)', async () => {
    // On the empty customers queue: searching the orders queue would count one more receive on each of its messages.
    const { code, stderr } = await cli('dlq', 'redrive', 'customers', '--message', messageIds[queued[0].requestId], 'no-such-message');
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toContain(`error: Not in the customers dead-letter queue: ${messageIds[queued[0].requestId]}, no-such-message`);
  });

  test('a redrive while the fault persists keeps the message: exit 1, and the message is still queued', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const { code, stdout, stderr } = await cli('dlq', 'redrive', 'orders', '--limit', '1');
    expect(code).toBe(EXIT.FAILED);
    expect(stdout).toMatch(/^1\/1  kept {6}\S+  HTTP 503$/m);
    expect(stderr).toContain('error: 1 of 1 redriven message was not applied (1 kept)');
    expectNoStackTrace(stderr);
    // Checked without `dlq list`, which would count one more receive on every message (see the poison test below).
    expect(ordersQueue().filter((m) => m.visible)).toHaveLength(11);
  });

  test('redrive --all: a line per message with a running count, then the summary; every item stored', async () => {
    const { code, stdout, stderr } = await cli('dlq', 'redrive', 'orders', '--all');
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Redriving all 11 waiting messages of orders through CrudApi-ResourceordersStateMachine/);
    expect(lines.slice(1, 12).map((l) => l.slice(0, 14))).toEqual(Array.from({ length: 11 }, (_, i) => `${String(i + 1).padStart(2)}/11  applied`));
    expect(lines[12]).toBe('11/11 done: 11 applied, 0 rejected, 0 kept, 0 poison. 0 messages left in the queue.');
    for (const q of queued) expect((await signedFetch(`${cloud.apiUrl}/orders/${q.requestId}`)).status).toBe(200);
  });

  test('executions show follows a request into its replays from the queue', async () => {
    const { code, stdout, stderr } = await cli('executions', 'show', queued[0].requestId);
    expect(code).toBe(EXIT.OK);
    expect(stdout).toMatch(/Status {4}SUCCEEDED → HTTP 202/);
    expect(stdout).toContain(`Execution ${queued[0].requestId}-redrive-`);
    expect(stdout).toMatch(/SendToDeadLetterQueue\s+TaskSucceeded/);
    expect(stderr).toContain('2 executions: the request and its replays');
  });

  test('redrive --json on an empty queue: zero counts, exit 0', async () => {
    const { code, json } = await cli('--json', 'dlq', 'redrive', 'orders');
    expect(code).toBe(EXIT.OK);
    expect(json).toEqual({ resource: 'orders', applied: 0, rejected: 0, kept: 0, poison: 0, requeued: 0, notFound: [], remaining: 0, outcomes: [] });
  });

  test('each listing counts as a receive (SQS has no peek), and receive counts do not matter: a message listed 6 times is replayed', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const { requestId } = await post('customers', { name: 'Lin', email: 'lin@example.com' });
    cloud.services.faults.clear();
    for (let i = 1; i <= 5; i++) expect((await cli('--json', 'dlq', 'list', 'customers')).json.messages[0].receiveCount).toBe(i);
    const sixth = await cli('dlq', 'list', 'customers');
    expect(sixth.stdout).toMatch(new RegExp(`${requestId}.*\\s6\\n`));
    expect(sixth.stdout).not.toContain('poison');
    const redrive = await cli('dlq', 'redrive', 'customers');
    expect(redrive.code).toBe(EXIT.OK);
    expect(redrive.stdout).toMatch(new RegExp(`^1/1  applied   ${requestId}  HTTP 201$`, 'm'));
    expect((await cli('--json', 'dlq', 'list', 'customers')).json.visible).toBe(0);
  });

  test('usage and not-found errors of dlq commands', async () => {
    expect(await cli('dlq', 'redrive', 'orders', '--all', '--message', 'x')).toMatchObject({ code: EXIT.USAGE, stderr: 'error: Use either --all or --message <id...>, not both\n' });
    expect(await cli('dlq', 'list', 'pizzas')).toMatchObject({ code: EXIT.NOT_FOUND, stderr: 'error: Unknown resource "pizzas"; known resources: orders, customers\n' });
    expect(await cli('dlq', 'redrive', 'pizzas')).toMatchObject({ code: EXIT.NOT_FOUND });
    // The receive-count threshold is gone (receive counts do not matter any more).
    expect(await cli('dlq', 'redrive', 'orders', '--max-receives', '10')).toMatchObject({ code: EXIT.USAGE });
    expect(await cli('dlq', 'list')).toMatchObject({ code: EXIT.USAGE, stderr: "error: missing required argument 'resource'\n" });
  });
});

describe('feature flags', () => {
  test('get: every flag with its value, default and effect; get <name>: name=value', async () => {
    const all = await cli('flags', 'get');
    expect(all.code).toBe(EXIT.OK);
    expect(all.stdout).toMatch(/^FLAG\s+VALUE\s+DEFAULT\s+EFFECT\nreadOnly\s+off\s+off\s+Maintenance mode/);
    expect(all.stdout).toMatch(/softDelete\s+off\s+off/);
    expect(all.stderr).toMatch(/^\(local AppConfig \w+\/\w+\/\w+\)\n$/);
    expect(await cli('flags', 'get', 'readOnly')).toMatchObject({ code: EXIT.OK, stdout: 'readOnly=false\n' });
  });

  test('set deploys the new value (the local AppConfig serves it), and set back', async () => {
    const on = await cli('flags', 'set', 'softDelete=true');
    expect(on.code).toBe(EXIT.OK);
    expect(on.stdout).toMatch(/^softDelete=true \(was false\): configuration version \d+ deployed \(deployment \d+, COMPLETE\)\./);
    const served: any = await (await fetch(`${cloud.endpointUrl}/_local/appconfig/flags`)).json();
    expect(served.values.softDelete).toMatchObject({ enabled: true });
    expect((await cli('--json', 'flags', 'get')).json.flags).toEqual({ readOnly: false, softDelete: true, publishEvents: false, circuitBreaker: true });
    expect((await cli('flags', 'set', 'softDelete=false')).code).toBe(EXIT.OK);
    expect((await cli('--json', 'flags', 'get', 'softDelete')).json).toMatchObject({ flag: 'softDelete', enabled: false });
  });

  test('an unknown flag or a bad value is a usage error (exit 2) naming the known flags', async () => {
    const unknown = await cli('flags', 'set', 'maintenance=true');
    expect(unknown).toMatchObject({ code: EXIT.USAGE, stdout: '', stderr: 'error: Unknown flag "maintenance"; known flags: readOnly, softDelete, publishEvents, circuitBreaker\n' });
    expect(await cli('flags', 'get', 'maintenance')).toMatchObject({ code: EXIT.USAGE });
    expect(await cli('flags', 'set', 'readOnly')).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining('Expected <name>=<true|false>') });
    expect(await cli('flags', 'set', 'readOnly=on')).toMatchObject({ code: EXIT.USAGE });
  });
});

describe('the command line itself', () => {
  test('unknown commands and options are usage errors (exit 2), without stack traces', async () => {
    for (const argv of [['nope'], ['executions', 'lst'], ['executions', 'list', '--bogus'], ['flags'], ['--local', '--aws', 'flags', 'get'], ['--stack', 'X', 'flags', 'get']]) {
      const result = await cli(...argv);
      expect({ argv, code: result.code }).toEqual({ argv, code: EXIT.USAGE });
      expectNoStackTrace(result.stderr);
    }
  });

  test('--help prints the usage and exits 0', async () => {
    const { code, stdout } = await cli('--help');
    expect(code).toBe(EXIT.OK);
    expect(stdout).toContain('Usage: crud-ops [options] [command]');
    expect(stdout).toContain('Exit codes: 0 ok, 1 operation failed');
  });

  test('the endpoint defaults to AWS_ENDPOINT_URL', async () => {
    const { code, stdout } = await runCli(['flags', 'get', 'readOnly'], { env: { AWS_ENDPOINT_URL: cloud.endpointUrl } });
    expect({ code, stdout }).toEqual({ code: EXIT.OK, stdout: 'readOnly=false\n' });
  });

  test('a local cloud that is not running: exit 4, naming the endpoint and suggesting npm start', async () => {
    const port = await closedPort();
    for (const argv of [['flags', 'get'], ['dlq', 'list', 'orders'], ['executions', 'list']]) {
      const { code, stdout, stderr } = await runCli(['--endpoint', `http://127.0.0.1:${port}`, ...argv]);
      expect(code).toBe(EXIT.UNREACHABLE);
      expect(stdout).toBe('');
      expect(stderr).toBe(
        `error: Cannot reach the local cloud at http://127.0.0.1:${port} (ECONNREFUSED).\n` +
          '  Start it with `npm start` (it listens on http://127.0.0.1:4566 by default),\n' +
          '  or point the CLI at it with --endpoint <url> / AWS_ENDPOINT_URL; for a deployed stack use --aws.\n',
      );
    }
  });
});
