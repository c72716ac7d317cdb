/**
 * `crud-ops requests list | show | wait`: one suite, run against both targets of the CLI on one local cloud
 * (in memory):
 *
 * - local (the default): the console's JSON routes (/console/api/requests…) on the endpoint;
 * - --aws: DynamoDB Scan/GetItem with @aws-sdk/client-dynamodb on the table of the RequestsTableName output.
 *   Only CloudFormation is a stand-in (it answers the local cloud's outputs); DynamoDB is the local cloud's,
 *   reached over its wire protocol as AWS_ENDPOINT_URL would.
 *
 * Records are written straight into the requests table in the shape the state machine writes them
 * (statemachines/crud-resource.asl.json RecordQueued and the replays' update), plus one real request queued by
 * throttled PutItems and applied by the redrive Lambda. `requests wait` runs on a fake clock: no real waiting.
 */
import { signedFetch } from '../../../local/auth/sign-request';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';
import type { AwsClients } from '../../../local/cli/aws-target';
import { renderRequest } from '../../../local/cli/commands/requests';
import { EXIT } from '../../../local/cli/errors';
import type { RunOptions } from '../../../local/cli/main';
import { expectNoStackTrace, fakeAppConfig, fakeCloudFormation, fakeLogs, runCli } from './fakes';

const THROTTLED = 'ProvisionedThroughputExceededException';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const T0 = Date.parse('2026-11-23T16:00:00.000Z');
const iso = (offsetMs: number) => new Date(T0 + offsetMs).toISOString();

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {} });
  await seed();
}, 60_000);

afterEach(() => {
  cloud.services.faults.clear();
  jest.restoreAllMocks();
});

afterAll(async () => {
  await cloud?.stop();
});

// ---------------------------------------------------------------------------------------------
// Records, as the state machine writes them
// ---------------------------------------------------------------------------------------------

const APPLIED = 'req-applied-0001';
const QUEUED = 'req-queued-0002';
const REJECTED = 'req-rejected-0003';
const OUTCOME_201 = {
  statusCode: 201,
  headers: { 'Content-Type': 'application/json', Location: '/v1/orders/ord-1', ETag: '"1"' },
  body: { orderId: 'ord-1', customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }], version: 1 },
};
const OUTCOME_412 = { statusCode: 412, headers: { 'Content-Type': 'application/problem+json' }, body: { title: 'Precondition Failed', status: 412, detail: 'If-Match "1" does not match the current ETag "2"' } };

function requestItem(requestId: string, fields: Record<string, string | number>): Record<string, any> {
  const item: Record<string, any> = { pk: { S: `request#${requestId}` }, requestId: { S: requestId }, expiresAt: { N: String(Math.floor(T0 / 1000) + 2_592_000) } };
  for (const [name, value] of Object.entries(fields)) item[name] = typeof value === 'number' ? { N: String(value) } : { S: value };
  return item;
}

async function seed(): Promise<void> {
  const items = [
    requestItem(APPLIED, {
      resource: 'orders',
      method: 'POST',
      path: '/v1/orders',
      status: 'applied',
      receivedAt: iso(1_000),
      queuedAt: iso(3_500),
      reason: `DynamoDB.${THROTTLED}`,
      cause: 'The level of configured provisioned throughput for the table was exceeded.',
      attempts: 1,
      lastAttemptAt: iso(303_500),
      lastAttempt: JSON.stringify({ at: iso(303_500), execution: `${APPLIED}-redrive-1`, statusCode: 201, final: true }),
      finishedAt: iso(303_500),
      outcome: JSON.stringify(OUTCOME_201),
      idempotencyKey: 'order-ada-1',
    }),
    requestItem(QUEUED, {
      resource: 'customers',
      method: 'PUT',
      path: '/v1/customers/c-7',
      status: 'queued',
      receivedAt: iso(2_000),
      queuedAt: iso(2_010),
      reason: 'ReadOnlyMode',
      cause: 'The API is in maintenance (readOnly)',
      attempts: 2,
      lastAttemptAt: iso(602_010),
      lastAttempt: JSON.stringify({ at: iso(602_010), execution: `${QUEUED}-redrive-2`, statusCode: 503, final: false }),
    }),
    requestItem(REJECTED, {
      resource: 'orders',
      method: 'PATCH',
      path: '/v1/orders/ord-9',
      status: 'rejected',
      receivedAt: iso(3_000),
      queuedAt: iso(3_020),
      reason: 'FlagsUnavailable',
      attempts: 1,
      lastAttemptAt: iso(303_020),
      lastAttempt: JSON.stringify({ at: iso(303_020), execution: `${REJECTED}-redrive-1`, statusCode: 412, final: true }),
      finishedAt: iso(303_020),
      outcome: JSON.stringify(OUTCOME_412),
    }),
    // Not a request: the Idempotency-Key record of the applied one. Never listed; shown with it.
    { pk: { S: 'idempotency#orders#anonymous#order-ada-1' }, requestId: { S: APPLIED }, status: { S: 'applied' }, fingerprint: { S: 'f1ng3rpr1nt' }, outcome: { S: JSON.stringify(OUTCOME_201) } },
  ];
  for (const Item of items) await cloud.services.dynamodb.call('PutItem', { TableName: cloud.outputs.RequestsTableName, Item });
}

/** A POST whose PutNewItem is throttled three times (every attempt): queued, its record written, 202. */
async function queuedOrder(): Promise<string> {
  cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 3 });
  const res = await signedFetch(`${cloud.apiUrl}/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ customer: 'Lin', items: [{ pizza: 'diavola', quantity: 2 }] }) });
  await res.text();
  cloud.services.faults.clear();
  expect([res.status, res.headers.get('location')]).toEqual([202, `/v1/requests/${res.headers.get('x-request-id')}`]);
  return res.headers.get('x-request-id')!;
}

// ---------------------------------------------------------------------------------------------
// The targets
// ---------------------------------------------------------------------------------------------

function awsClients(outputs: Record<string, string> = cloud.outputs): AwsClients {
  const local = { region: 'eu-west-1', credentials: CREDENTIALS, endpoint: cloud.endpointUrl, disableHostPrefix: true };
  return {
    cloudFormation: fakeCloudFormation(outputs),
    appConfig: fakeAppConfig({ versions: {}, deployments: [] }).client,
    logs: fakeLogs({}).client,
    sqs: new SQSClient(local),
    sfn: new SFNClient(local),
    dynamodb: new DynamoDBClient(local),
  };
}

const TARGETS: [string, () => { argv: string[]; options: RunOptions; description: RegExp }][] = [
  ['the local cloud', () => ({ argv: ['--endpoint', cloud.endpointUrl], options: {}, description: /local cloud at http:\/\/127\.0\.0\.1:\d+/ })],
  ['--aws', () => ({ argv: ['--aws'], options: { awsClients: () => awsClients() }, description: /stack CrudApi/ })],
];

describe.each(TARGETS)('requests on %s', (_name, target) => {
  const cli = (argv: string[], options: RunOptions = {}) => {
    const t = target();
    return runCli([...t.argv, ...argv], { ...t.options, ...options });
  };

  /** A fake clock for `requests wait`: sleeping advances it (and may do something meanwhile). */
  function fakeClock(onSleep: (n: number) => Promise<void> = async () => {}) {
    let now = T0 + 3_600_000;
    const sleeps: number[] = [];
    return {
      sleeps,
      options: {
        now: () => now,
        sleep: async (ms: number) => {
          sleeps.push(ms);
          now += ms;
          await onSleep(sleeps.length);
        },
      } satisfies RunOptions,
    };
  }

  test('list: newest first by receivedAt, request records only (not the Idempotency-Key records)', async () => {
    const { code, stdout, stderr } = await cli(['requests', 'list']);
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RECEIVED\s+RESOURCE\s+REQUEST\s+STATUS\s+HTTP\s+ATTEMPTS\s+REASON\s+FINISHED\s+REQUEST ID$/);
    const seeded = lines.filter((l) => /req-\w+-\d{4}$/.test(l));
    expect(seeded.map((l) => l.split(/\s+/).pop())).toEqual([REJECTED, QUEUED, APPLIED]);
    expect(seeded[0]).toMatch(/^2026-11-23 16:00:03Z\s+orders\s+PATCH \/v1\/orders\/ord-9\s+rejected\s+412\s+1\s+FlagsUnavailable\s+2026-11-23 16:05:03Z\s+req-rejected-0003$/);
    expect(seeded[1]).toMatch(/^2026-11-23 16:00:02Z\s+customers\s+PUT \/v1\/customers\/c-7\s+queued\s+503\s+2\s+ReadOnlyMode\s+req-queued-0002$/);
    expect(seeded[2]).toMatch(new RegExp(`^2026-11-23 16:00:01Z\\s+orders\\s+POST /v1/orders\\s+applied\\s+201\\s+1\\s+DynamoDB\\.${THROTTLED}\\s+2026-11-23 16:05:03Z\\s+req-applied-0001$`));
    expect(stdout).not.toContain('idempotency#');
  });

  test('list --status --resource --limit --json: filtered in the scan, machine-readable', async () => {
    const orders = await cli(['--json', 'requests', 'list', '--resource', 'orders', '--status', 'applied']);
    expect(orders.code).toBe(EXIT.OK);
    expect(orders.json.requests.filter((r: any) => r.requestId.startsWith('req-')).map((r: any) => r.requestId)).toEqual([APPLIED]);
    expect(orders.json.requests.every((r: any) => r.resource === 'orders' && r.status === 'applied')).toBe(true);
    expect(orders.json.requests.find((r: any) => r.requestId === APPLIED)).toEqual({
      requestId: APPLIED,
      resource: 'orders',
      method: 'POST',
      path: '/v1/orders',
      status: 'applied',
      receivedAt: iso(1_000),
      queuedAt: iso(3_500),
      reason: `DynamoDB.${THROTTLED}`,
      attempts: 1,
      lastAttemptAt: iso(303_500),
      finishedAt: iso(303_500),
      statusCode: 201,
      idempotencyKey: 'order-ada-1',
    });
    expect((await cli(['--json', 'requests', 'list', '--status', 'QUEUED', '--resource', 'customers'])).json.requests.map((r: any) => r.requestId)).toContain(QUEUED);
    const one = await cli(['requests', 'list', '--limit', '1']);
    expect(one.stdout.trimEnd().split('\n')).toHaveLength(2);
    expect(one.stderr).toMatch(/^\(newest 1 of \d+; --limit <n> for more\)\n$/);
    const none = await cli(['requests', 'list', '--resource', 'customers', '--status', 'rejected']);
    expect(none).toMatchObject({ code: EXIT.OK, stdout: expect.stringMatching(/^No request records with status rejected of customers on the /) });
  });

  test('list: a bad status or limit is a usage error (exit 2), an unknown resource not found (exit 3)', async () => {
    expect(await cli(['requests', 'list', '--status', 'done'])).toMatchObject({ code: EXIT.USAGE, stderr: 'error: Unknown request status "done"; one of: queued, applied, rejected\n' });
    expect(await cli(['requests', 'list', '--limit', '0'])).toMatchObject({ code: EXIT.USAGE });
    expect(await cli(['requests', 'list', '--limit', '5000'])).toMatchObject({ code: EXIT.USAGE });
    expect(await cli(['requests', 'list', '--resource', 'pizzas'])).toMatchObject({ code: EXIT.NOT_FOUND, stderr: 'error: Unknown resource "pizzas"; known resources: orders, customers\n' });
  });

  test('show: status, reason, attempts, the last attempt and the outcome (status, headers, body), with its Idempotency-Key', async () => {
    const { code, stdout, stderr } = await cli(['requests', 'show', APPLIED]);
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const text = stdout.replace(/\(\d+ \w+ ago\)/g, '(… ago)');
    expect(text).toContain(`Request ${APPLIED}  (orders)\n`);
    expect(text).toContain('  Request       POST /v1/orders\n');
    expect(text).toContain('  Status        applied → HTTP 201\n');
    expect(text).toContain(`  Received      ${iso(1_000)}  (… ago)\n`);
    expect(text).toContain(`  Reason        DynamoDB.${THROTTLED}\n`);
    expect(text).toContain('  Attempts      1 replay tried\n');
    expect(text).toContain(`  Last attempt  ${iso(303_500)}  execution ${APPLIED}-redrive-1  → HTTP 201  (final)\n`);
    expect(text).toContain(`  Finished      ${iso(303_500)}  (5 min 0 s after it was queued)\n`);
    expect(text).toContain('  Idempotency   key order-ada-1 (applied)\n');
    expect(text).toContain('Outcome  HTTP 201\n  Content-Type: application/json\n  Location: /v1/orders/ord-1\n  ETag: "1"\n\n  {\n    "orderId": "ord-1",\n');
    expect(text).toContain(`Executions: crud-ops executions show ${APPLIED}\n`);
  });

  test('show: a queued request says it waits and how to follow it; a rejected one shows the answer it got', async () => {
    const queued = await cli(['requests', 'show', QUEUED]);
    expect(queued.code).toBe(EXIT.OK);
    expect(queued.stdout).toContain('  Status        queued (waiting for a replay)\n');
    expect(queued.stdout).toContain(`  Last attempt  ${iso(602_010)}  execution ${QUEUED}-redrive-2  → HTTP 503  (not final: tried again)\n`);
    expect(queued.stdout).toContain('Outcome  none yet');
    expect(queued.stdout).toContain(`crud-ops dlq list customers, crud-ops requests wait ${QUEUED}`);

    const rejected = await cli(['--json', 'requests', 'show', REJECTED]);
    expect(rejected.code).toBe(EXIT.OK);
    expect(rejected.json).toMatchObject({ requestId: REJECTED, status: 'rejected', statusCode: 412, attempts: 1, outcome: OUTCOME_412, lastAttempt: { statusCode: 412, final: true } });
    expect(rejected.json.executions).toBeUndefined(); // the console's additions are not part of the record
  });

  test('show of an id without a record: not found (exit 3), saying when a request has one', async () => {
    const { code, stdout, stderr } = await cli(['requests', 'show', 'no-such-request']);
    expect({ code, stdout }).toEqual({ code: EXIT.NOT_FOUND, stdout: '' });
    expect(stderr.split('\n')[0]).toMatch(new RegExp(`^error: No request record for no-such-request on the ${target().description.source}$`));
    expect(stderr).toContain('once it was answered 202 Accepted');
    expectNoStackTrace(stderr);
  });

  test('wait: exit 0 at once for an applied request, 1 for a rejected one (its answer on stdout)', async () => {
    expect(await cli(['requests', 'wait', APPLIED])).toMatchObject({ code: EXIT.OK, stdout: `${APPLIED} applied → HTTP 201\n`, stderr: '' });
    const rejected = await cli(['requests', 'wait', REJECTED]);
    expect(rejected).toMatchObject({ code: 1, stdout: `${REJECTED} rejected → HTTP 412\n` });
    expect(rejected.stderr).toMatch(/^error: req-rejected-0003 was rejected → HTTP 412: /);
  });

  test('wait: exit 2 when still queued at --timeout, polling every --interval; an id never recorded times out too', async () => {
    const clock = fakeClock();
    const queued = await cli(['requests', 'wait', QUEUED, '--timeout', '10', '--interval', '3s'], clock.options);
    expect(queued.code).toBe(2);
    expect(clock.sleeps).toEqual([3000, 3000, 3000, 1000]);
    expect(queued.stderr).toBe(
      `${QUEUED}: queued, 2 attempts, last answer HTTP 503\n` +
        `error: ${QUEUED} is still queued after 10.0 s (--timeout 10.0 s)\n` +
        `  It is replayed by the scheduled redrive Lambda or \`crud-ops dlq redrive customers\`; \`crud-ops requests show ${QUEUED}\` says why it waits.\n`,
    );
    const unknown = await cli(['requests', 'wait', 'no-such-request', '--timeout', '0'], fakeClock().options);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('error: no-such-request is still not recorded after 0 ms');
    expect(await cli(['requests', 'wait', QUEUED, '--timeout', 'soon'])).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining('--timeout takes a duration') });
  });

  test('a real 202: queued by throttled writes, then `wait` sees the redrive apply it (exit 0), and `show` its outcome', async () => {
    const requestId = await queuedOrder();
    const before = await cli(['--json', 'requests', 'show', requestId]);
    expect(before.json).toMatchObject({ requestId, resource: 'orders', method: 'POST', path: '/v1/orders', status: 'queued', reason: `DynamoDB.${THROTTLED}`, attempts: 0 });

    // The redrive Lambda runs while `wait` sleeps between its first and second poll.
    const clock = fakeClock(async () => {
      await cloud.invokeFunction(cloud.functions.RedriveFunction, {});
    });
    const waited = await cli(['requests', 'wait', requestId], clock.options);
    expect(waited).toMatchObject({ code: EXIT.OK, stdout: `${requestId} applied → HTTP 201\n`, stderr: `${requestId}: queued, 0 attempts\n` });
    expect(clock.sleeps).toEqual([2000]);

    const after = await cli(['requests', 'show', requestId]);
    expect(after.stdout).toContain('  Status        applied → HTTP 201\n');
    expect(after.stdout).toMatch(new RegExp(`Last attempt  \\S+  execution ${requestId}-redrive-1  → HTTP 201  \\(final\\)`));
    expect(after.stdout).toMatch(/Outcome {2}HTTP 201\n {2}Content-Type: application\/json\n {2}Location: \/v1\/orders\/\S+\n/);
    expect(after.stdout).toContain('"customer": "Lin"');
  }, 60_000);
});

describe('requests --aws: the table comes from the stack outputs', () => {
  test('a stack without the RequestsTableName output: not found (exit 3), asking for a deploy', async () => {
    const outputs = { ...cloud.outputs };
    delete outputs.RequestsTableName;
    const { code, stderr } = await runCli(['--aws', 'requests', 'list'], { awsClients: () => awsClients(outputs) });
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toBe('error: Stack CrudApi has no RequestsTableName output: it was deployed before request records.\n  Deploy the current version with `npx cdk deploy`.\n');
  });

  test('a requests table that does not exist: not found (exit 3), naming it', async () => {
    const { code, stderr } = await runCli(['--aws', 'requests', 'show', APPLIED], { awsClients: () => awsClients({ ...cloud.outputs, RequestsTableName: 'gone-table' }) });
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toMatch(/^error: The requests table gone-table of CrudApi does not exist: /);
  });
});

describe('renderRequest', () => {
  test('cuts a long body at 40 lines unless --full, and shows stored JSON that does not parse as text', () => {
    const body = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`k${i}`, i]));
    const record = { requestId: 'r1', status: 'applied', attempts: 1, statusCode: 200, outcome: { statusCode: 200, headers: {}, body }, unreadable: { lastAttempt: '{not json' } };
    const short = renderRequest(record);
    expect(short).toContain('  … 22 more lines (--full)\n');
    expect(short).toContain('  lastAttempt (raw) {not json\n');
    expect(renderRequest(record, { full: true })).toContain('    "k59": 59\n  }\n');
  });
});
