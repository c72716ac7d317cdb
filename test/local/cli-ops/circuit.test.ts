/**
 * `crud-ops circuit list | open | close`: one suite, run against both targets of the CLI on one local cloud
 * (in memory):
 *
 * - local (the default): the console's routes (/console/api/circuits…) on the endpoint, which write the circuit
 *   table on the local cloud's clock and start the redrive Lambda asynchronously on a close;
 * - --aws: DynamoDB GetItem/UpdateItem with @aws-sdk/client-dynamodb on the table of the CircuitTableName output.
 *   Only CloudFormation is a stand-in (it answers the local cloud's outputs); DynamoDB is the local cloud's,
 *   reached over its wire protocol as AWS_ENDPOINT_URL would. A close prints the `aws lambda invoke` command
 *   instead of starting the redrive (@aws-sdk/client-lambda is not a dependency).
 *
 * Both write what the state machine reads (statemachines/crud-resource.asl.json CheckCircuit, ClaimProbe): a write
 * to an opened circuit is queued at once (202 CircuitOpen).
 */
import { signedFetch } from '../../../local/auth/sign-request';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';
import type { AwsClients } from '../../../local/cli/aws-target';
import { parseOpenFor } from '../../../local/cli/commands/circuit';
import { EXIT } from '../../../local/cli/errors';
import type { RunOptions } from '../../../local/cli/main';
import { expectNoStackTrace, fakeAppConfig, fakeCloudFormation, fakeLogs, runCli } from './fakes';

const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };
const ORDER = { customer: 'Lin', items: [{ pizza: 'diavola', quantity: 2 }] };

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {} });
}, 60_000);

afterEach(async () => {
  jest.restoreAllMocks();
  for (const r of cloud.resources) {
    for (const k of [key(r.name), eventsKey(r.name)]) await cloud.services.dynamodb.call('DeleteItem', { TableName: cloud.outputs.CircuitTableName, Key: k });
  }
});

afterAll(async () => {
  await cloud?.stop();
});

const key = (resource: string) => ({ pk: { S: `circuit#${resource}#writes` } });
const eventsKey = (resource: string) => ({ pk: { S: `circuit#${resource}#events` } });

async function item(resource: string): Promise<Record<string, any> | undefined> {
  return (await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: key(resource), ConsistentRead: true })).Item;
}

async function postOrder(): Promise<{ status: number; reason?: string; requestId: string }> {
  const res = await signedFetch(`${cloud.apiUrl}/orders`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(ORDER) });
  const body = (await res.json()) as { reason?: string };
  return { status: res.status, reason: body.reason, requestId: res.headers.get('x-request-id')! };
}

function awsClients(outputs: Record<string, string> = cloud.outputs): AwsClients {
  const local = { region: 'eu-west-1', credentials: CREDENTIALS, endpoint: cloud.endpointUrl, disableHostPrefix: true };
  return {
    cloudFormation: fakeCloudFormation(outputs),
    appConfig: fakeAppConfig({ versions: {}, deployments: [] }).client,
    logs: fakeLogs({}).client,
    sqs: new SQSClient(local),
    sfn: new SFNClient(local),
    dynamodb: new DynamoDBClient(local),
    events: new EventBridgeClient(local),
  };
}

const TARGETS: [string, () => { argv: string[]; options: RunOptions; by: string; local: boolean }][] = [
  ['the local cloud', () => ({ argv: ['--endpoint', cloud.endpointUrl], options: {}, by: 'crud-ops', local: true })],
  ['--aws', () => ({ argv: ['--aws'], options: { awsClients: () => awsClients() }, by: 'crud-ops', local: false })],
];

describe.each(TARGETS)('circuit on %s', (_name, target) => {
  const cli = (argv: string[], options: RunOptions = {}) => {
    const t = target();
    return runCli([...t.argv, ...argv], { ...t.options, ...options });
  };

  test('list: every resource, CLOSED while the circuit table has no item for it', async () => {
    const { code, stdout, stderr } = await cli(['circuit', 'list']);
    expect(code).toBe(EXIT.OK);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^RESOURCE\s+STATE\s+SINCE\s+FAILURES\s+COOL-DOWN UNTIL\s+PROBE\s+LAST TRANSITION$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['orders', 'CLOSED', '0'],
      ['customers', 'CLOSED', '0'],
    ]);
    expect(stderr).toBe('A circuit with no item in the circuit table has never opened: it reads as CLOSED.\n');
  });

  test('open --for: OPEN until now + the cool-down, lastTransition "operator"; a write is then queued at once (202 CircuitOpen)', async () => {
    const before = Date.now();
    const { code, stdout, stderr } = await cli(['circuit', 'open', 'orders', '--for', '2m']);
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    expect(stdout).toMatch(/^orders: CLOSED → OPEN until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ \(2 min 0 s\)\.\nWrites are queued at once \(202, reason CircuitOpen\) without calling the table; /);

    const stored = (await item('orders'))!;
    const openedAt = Number(stored.openedAt.N);
    expect(openedAt).toBeGreaterThanOrEqual(before - 1000);
    expect([stored.state.S, stored.coolDownSeconds.N, Number(stored.coolDownUntil.N) - openedAt, stored.failures.N, stored.since.S]).toEqual(['OPEN', '120', 120_000, '0', new Date(openedAt).toISOString()]);
    expect(JSON.parse(stored.lastTransition.S)).toEqual({ from: 'CLOSED', to: 'OPEN', at: stored.since.S, reason: 'operator', by: target().by });

    expect(await postOrder()).toMatchObject({ status: 202, reason: 'CircuitOpen' });

    const list = await cli(['circuit', 'list']);
    const row = list.stdout.split('\n').find((l) => l.startsWith('orders'))!;
    expect(row).toMatch(/^orders\s+OPEN\s+\S+ \S+Z \(\d+ s ago\)\s+0\s+\S+ \S+Z \(in (?:1 min 5\d|2 min 0) s\)\s+CLOSED → OPEN: operator \(crud-ops\) \(\d+ s ago\)$/);
  });

  test('--circuit events: open, list and close the events circuit (circuit#<resource>#events); the write circuit is untouched', async () => {
    const opened = await cli(['circuit', 'open', 'orders', '--for', '90', '--circuit', 'events']);
    expect(opened.code).toBe(EXIT.OK);
    expect(opened.stdout).toMatch(/^orders events: CLOSED → OPEN until \S+ \S+Z \(1 min 30 s\)\.\nChange events wait in the dead-letter queue/);
    const events = await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: eventsKey('orders'), ConsistentRead: true });
    expect([events.Item.state.S, events.Item.coolDownSeconds.N]).toEqual(['OPEN', '90']);
    expect(await item('orders')).toBeUndefined();

    const list = await cli(['--json', 'circuit', 'list', '--circuit', 'events']);
    expect(list.json.circuits.map((c: any) => [c.resource, c.circuit, c.state])).toEqual([
      ['orders', 'events', 'OPEN'],
      ['customers', 'events', 'CLOSED'],
    ]);
    expect((await cli(['--json', 'circuit', 'list'])).json.circuits.map((c: any) => c.state)).toEqual(['CLOSED', 'CLOSED']);

    const closed = await cli(['circuit', 'close', 'orders', '--circuit', 'events']);
    expect(closed.code).toBe(EXIT.OK);
    expect(closed.stdout).toMatch(/^orders events: OPEN → CLOSED\. Change events are published again/);
    expect((await cloud.services.dynamodb.call('GetItem', { TableName: cloud.outputs.CircuitTableName, Key: eventsKey('orders'), ConsistentRead: true })).Item.state.S).toBe('CLOSED');
    expect(await cli(['circuit', 'list', '--circuit', 'pizzas'])).toMatchObject({ code: EXIT.USAGE, stderr: expect.stringContaining('--circuit takes writes or events, got "pizzas"') });
  });

  test('a deferred event in the DLQ: dlq list shows it as an event (not unreadable), dlq redrive publishes it and deletes it', async () => {
    const requestId = `deferred-${target().local ? 'local' : 'aws'}`;
    const entry = { EventBusName: 'default', Source: 'crud-api.orders', DetailType: 'orders.created', Detail: JSON.stringify({ id: 'o-1', method: 'POST', requestId }) };
    const queueUrl = cloud.resources.find((r) => r.name === 'orders')!.deadLetterQueueUrl;
    // A redrive an earlier close started may still hold messages in flight (not listed): let it finish.
    for (let i = 0; i < 100 && cloud.services.sqs.peekMessages(queueUrl.split('/').pop()!, 1000).some((m) => !m.visible); i++) await new Promise((r) => setTimeout(r, 100));
    await cloud.services.sqs.call('SendMessage', { QueueUrl: queueUrl, MessageBody: JSON.stringify({ kind: 'event', resource: 'orders', requestId, entry, error: 'EventsCircuitOpen', queuedAt: new Date().toISOString() }) });

    const list = await cli(['dlq', 'list', 'orders']);
    const row = list.stdout.split('\n').find((l) => l.includes(requestId))!;
    expect(row).toMatch(/event orders\.created\s+EventsCircuitOpen/);
    expect(row).not.toContain('unreadable');

    const redrive = await cli(['--json', 'dlq', 'redrive', 'orders', '--all']);
    expect(redrive.code).toBe(EXIT.OK);
    // (Writes an earlier test queued may be replayed in the same run.)
    expect(redrive.json.outcomes.filter((o: any) => o.requestId === requestId)).toEqual([expect.objectContaining({ kind: 'event', outcome: 'applied' })]);
    expect(cloud.services.events.listEvents().filter((e) => (e.detail as { requestId?: string }).requestId === requestId)).toHaveLength(1);
    expect(cloud.services.sqs.peekMessages(queueUrl.split('/').pop()!, 100).filter((m) => m.body.includes(requestId))).toEqual([]);
  });

  test('list --json: the circuits as stored, one per resource', async () => {
    await cli(['circuit', 'open', 'customers', '--for', '90']);
    const { code, json } = await cli(['--json', 'circuit', 'list']);
    expect(code).toBe(EXIT.OK);
    const stored = (await item('customers'))!;
    const transition = JSON.parse(stored.lastTransition.S);
    expect(json).toEqual({
      circuits: [
        { resource: 'orders', state: 'CLOSED', recorded: false, failures: 0 },
        {
          resource: 'customers',
          state: 'OPEN',
          recorded: true,
          since: transition.at,
          failures: 0,
          openedAt: transition.at,
          coolDownSeconds: 90,
          coolDownUntil: new Date(Date.parse(transition.at) + 90_000).toISOString(),
          coolDownOver: false,
          lastTransition: { from: 'CLOSED', to: 'OPEN', at: transition.at, reason: 'operator', by: 'crud-ops' },
        },
      ],
    });
  });

  test('open of a circuit that is open starts its cool-down again; --json prints the change', async () => {
    await cli(['circuit', 'open', 'orders', '--for', '60']);
    const { code, json } = await cli(['--json', 'circuit', 'open', 'orders']);
    expect(code).toBe(EXIT.OK);
    expect(json).toMatchObject({ resource: 'orders', changed: true, before: { state: 'OPEN', coolDownSeconds: 60 }, after: { state: 'OPEN', coolDownSeconds: 300 }, transition: { from: 'OPEN', to: 'OPEN', reason: 'operator' } });
  });

  test('close: CLOSED, failures 0, no probe or window, lastTransition "operator", and the redrive started (local) or its command printed (--aws)', async () => {
    await cli(['circuit', 'open', 'orders']);
    const queued = await postOrder();
    expect(queued).toMatchObject({ status: 202, reason: 'CircuitOpen' });

    const { code, stdout, stderr } = await cli(['circuit', 'close', 'orders']);
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('orders: OPEN → CLOSED. Writes go to the table again.');
    const stored = (await item('orders'))!;
    expect([stored.state.S, stored.failures.N, stored.probeRequestId, stored.probeStartedAt, stored.windowStart]).toEqual(['CLOSED', '0', undefined, undefined, undefined]);
    expect(JSON.parse(stored.lastTransition.S)).toMatchObject({ from: 'OPEN', to: 'CLOSED', reason: 'operator', by: 'crud-ops' });

    const redriveFunction = cloud.outputs.RedriveFunctionName;
    if (target().local) {
      expect(lines.slice(1)).toEqual([`Redrive of orders started: ${redriveFunction} invoked asynchronously (InvocationType Event). \`crud-ops dlq list orders\` shows what is still waiting.`]);
      // The write queued while it was open is replayed now, not on the schedule.
      await waitFor(async () => (await cli(['--json', 'requests', 'show', queued.requestId])).json?.status === 'applied');
    } else {
      expect(lines.slice(1)).toEqual([
        'The redrive was not started (crud-ops has no Lambda client (@aws-sdk/client-lambda is not a dependency)). Start it with:',
        `  aws lambda invoke --function-name ${redriveFunction} --invocation-type Event --cli-binary-format raw-in-base64-out --payload '{"resource":"orders"}' /dev/null`,
        'or replay from here with your credentials: crud-ops --aws dlq redrive orders --all',
      ]);
      // The printed alternative replays it from here.
      expect((await cli(['dlq', 'redrive', 'orders', '--all'])).code).toBe(EXIT.OK);
      expect((await cli(['--json', 'requests', 'show', queued.requestId])).json.status).toBe('applied');
    }
  }, 60_000);

  test('close --json: the change with how the redrive was started; closing a closed circuit says so', async () => {
    await cli(['circuit', 'open', 'customers']);
    const { code, json } = await cli(['--json', 'circuit', 'close', 'customers']);
    expect(code).toBe(EXIT.OK);
    expect(json).toMatchObject({ resource: 'customers', changed: true, before: { state: 'OPEN' }, after: { state: 'CLOSED', failures: 0 }, transition: { from: 'OPEN', to: 'CLOSED', reason: 'operator', by: 'crud-ops' } });
    expect(json.redrive).toEqual(
      target().local
        ? { started: true, functionName: cloud.outputs.RedriveFunctionName, invocationType: 'Event' }
        : { started: false, functionName: cloud.outputs.RedriveFunctionName, invocationType: 'Event', error: expect.stringContaining('@aws-sdk/client-lambda'), command: expect.stringContaining(`--payload '{"resource":"customers"}'`) },
    );
    const again = await cli(['circuit', 'close', 'customers']);
    expect([again.code, again.stdout.split('\n')[0]]).toEqual([EXIT.OK, 'customers: already CLOSED.']);
    const never = await cli(['circuit', 'close', 'orders']);
    expect(never.stdout.split('\n')[0]).toBe('orders: already CLOSED (it never opened).');
  });

  test('an unknown resource is not found (exit 3); a --for out of range or not a duration is a usage error (exit 2)', async () => {
    for (const argv of [['open', 'pizzas'], ['close', 'pizzas']]) {
      const { code, stderr } = await cli(['circuit', ...argv]);
      expect({ argv, code, stderr }).toEqual({ argv, code: EXIT.NOT_FOUND, stderr: 'error: Unknown resource "pizzas"; known resources: orders, customers\n' });
    }
    for (const value of ['0', '0.5', '8d', 'soon']) {
      const { code, stderr } = await cli(['circuit', 'open', 'orders', '--for', value]);
      expect({ value, code }).toEqual({ value, code: EXIT.USAGE });
      expect(stderr).toBe(`error: --for takes a duration from 1 s to 7 d (300, 90s, 15m, 1h; plain numbers are seconds), got "${value}"\n`);
    }
    expect(await item('orders')).toBeUndefined();
  });
});

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition still false');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('circuit --aws: the table comes from the stack outputs', () => {
  test('a stack without the CircuitTableName output: not found (exit 3), asking for a deploy', async () => {
    const outputs = { ...cloud.outputs };
    delete outputs.CircuitTableName;
    const { code, stderr } = await runCli(['--aws', 'circuit', 'list'], { awsClients: () => awsClients(outputs) });
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toBe('error: Stack CrudApi has no CircuitTableName output: it was deployed before the circuit breaker.\n  Deploy the current version with `npx cdk deploy`.\n');
  });

  test('a circuit table that does not exist: not found (exit 3), naming it', async () => {
    const { code, stderr } = await runCli(['--aws', 'circuit', 'open', 'orders'], { awsClients: () => awsClients({ ...cloud.outputs, CircuitTableName: 'gone-table' }) });
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toMatch(/^error: The circuit table gone-table of CrudApi does not exist: /);
    expectNoStackTrace(stderr);
  });

  test('--region goes into the printed command', async () => {
    await runCli(['--aws', 'circuit', 'open', 'orders'], { awsClients: () => awsClients() });
    const { stdout } = await runCli(['--aws', '--region', 'eu-west-1', 'circuit', 'close', 'orders'], { awsClients: () => awsClients() });
    expect(stdout).toContain(`--payload '{"resource":"orders"}' --region eu-west-1 /dev/null`);
  });
});

describe('parseOpenFor', () => {
  test('seconds by default, durations with a unit, 300 s when not given', () => {
    expect([parseOpenFor(undefined), parseOpenFor('45'), parseOpenFor('90s'), parseOpenFor('15m'), parseOpenFor('1h'), parseOpenFor('7d')]).toEqual([300, 45, 90, 900, 3600, 604_800]);
  });
});
