/**
 * The console's page and JSON API on the local cloud's endpoint (/console/...), over fetch as the page
 * and the operator CLI use them: outputs, state machines with their layout, executions and their
 * analysis, the DLQs with redrive through the redrive Lambda's code, flags, and the live event stream.
 */
import { signedFetch } from '../../../local/auth/sign-request';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { LocalCloud } from '../../../local/cloud-types';
import { STATIC_DIR } from '../../../local/console/static';
import { getJson, openStream, postJson, sendToApi, startCloud } from './helpers';

const THROTTLED = 'ProvisionedThroughputExceededException';
const ORDER = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };

let cloud: LocalCloud;
const api = (p: string) => `${cloud.consoleUrl}api/${p}`;
const queueName = (resource: string) => cloud.resources.find((r) => r.name === resource)!.deadLetterQueueUrl.split('/').pop()!;

beforeAll(async () => {
  cloud = await startCloud();
}, 60_000);
afterAll(() => cloud?.stop());
afterEach(() => cloud.services.faults.clear());

async function post(resource: string, body: unknown): Promise<{ status: number; requestId: string; executionArn: string }> {
  const res = await sendToApi(`${cloud.apiUrl}/${resource}`, body);
  await res.text();
  return { status: res.status, requestId: res.headers.get('x-request-id')!, executionArn: res.headers.get('x-execution-arn')! };
}

describe('the page', () => {
  it('is served at cloud.consoleUrl on the AWS endpoint; /console redirects there', async () => {
    expect(cloud.consoleUrl).toBe(`${cloud.endpointUrl}/console/`);
    const page = await fetch(cloud.consoleUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    for (const testId of ['nav-machines', 'nav-executions', 'nav-requests', 'nav-dlq', 'nav-circuits', 'nav-flags']) expect(html).toContain(`data-testid="${testId}"`);
    const redirect = await fetch(`${cloud.endpointUrl}/console`, { redirect: 'manual' });
    expect([redirect.status, redirect.headers.get('location')]).toEqual([302, '/console/']);
  });

  it('serves its modules and stylesheet, every import resolving, and nothing outside its folder', async () => {
    const seen = new Set<string>();
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const res = await fetch(`${cloud.consoleUrl}${file}`);
      expect({ file, status: res.status, type: res.headers.get('content-type') }).toEqual({ file, status: 200, type: 'text/javascript; charset=utf-8' });
      const text = await res.text();
      for (const [, spec] of text.matchAll(/^import .* from '(\.[^']+)';$/gm)) await visit(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)));
    };
    await visit('app.js');
    expect([...seen].sort()).toEqual(
      ['app.js', ...fs.readdirSync(path.join(STATIC_DIR, 'lib')).map((f) => `lib/${f}`), ...fs.readdirSync(path.join(STATIC_DIR, 'views')).map((f) => `views/${f}`)].sort(),
    );
    expect((await fetch(`${cloud.consoleUrl}style.css`)).headers.get('content-type')).toBe('text/css; charset=utf-8');
    for (const bad of ['..%2Fcloud.ts', 'lib/..%2F..%2Frouter.ts', 'nope.js']) expect({ bad, status: (await fetch(`${cloud.consoleUrl}${bad}`)).status }).toEqual({ bad, status: 404 });
    expect((await getJson(api('nope'))).status).toBe(404);
  });
});

describe('GET /console/api/outputs and /state-machines', () => {
  it('outputs: the URLs, stack outputs, resources, functions and flag ids (what the operator CLI reads)', async () => {
    const { status, body } = await getJson(api('outputs'));
    expect(status).toBe(200);
    expect(body).toEqual({
      apiUrl: cloud.apiUrl,
      endpointUrl: cloud.endpointUrl,
      consoleUrl: cloud.consoleUrl,
      outputs: cloud.outputs,
      resources: cloud.resources,
      functions: cloud.functions,
      flags: cloud.flags,
      redriveFunctionName: cloud.functions.RedriveFunction,
    });
  });

  it('state-machines: one per resource with its graph laid out (nodes with x, y, width, height; edges with points)', async () => {
    const { body } = await getJson(api('state-machines'));
    // The resources' machines, and the circuit control (no resource of its own).
    expect(body.stateMachines.map((m: any) => m.resource).filter((r: string) => cloud.resources.some((x) => x.name === r)).sort()).toEqual(cloud.resources.map((r) => r.name).sort());
    for (const m of body.stateMachines.filter((x: any) => cloud.resources.some((r) => r.name === x.resource))) {
      const states = Object.keys(JSON.parse(cloud.stepFunctions.getStateMachine(m.stateMachineArn)!.definition).States);
      expect(m.type).toBe('EXPRESS');
      expect(m.graph.nodes.map((n: any) => n.state).sort()).toEqual(states.sort());
      for (const n of m.graph.nodes) expect(n).toEqual(expect.objectContaining({ x: expect.any(Number), y: expect.any(Number), width: expect.any(Number), height: expect.any(Number) }));
      expect(new Set(m.graph.edges.map((e: any) => e.kind))).toEqual(new Set(['next', 'choice', 'default', 'catch']));
      expect(m.graph.edges.every((e: any) => e.points.length >= 2)).toBe(true);
    }
  });
});

describe('executions', () => {
  let order: Awaited<ReturnType<typeof post>>;
  let customer: Awaited<ReturnType<typeof post>>;
  let failedArn: string;
  beforeAll(async () => {
    order = await post('orders', ORDER);
    customer = await post('customers', { name: 'Grace', email: 'grace@example.com' });
    const failed = await cloud.stepFunctions.startSyncExecution({ stateMachineArn: cloud.resources.find((r) => r.name === 'orders')!.stateMachineArn, name: 'console-failed', input: '{}' });
    failedArn = failed.executionArn;
  }, 30_000);

  it('lists them newest first: status, start, duration, request id (the execution name), resource, HTTP status', async () => {
    expect([order.status, customer.status]).toEqual([201, 201]);
    const { body } = await getJson(api('executions'));
    const names = body.executions.map((e: any) => e.name);
    expect(names.indexOf('console-failed')).toBeLessThan(names.indexOf(customer.requestId));
    expect(names.indexOf(customer.requestId)).toBeLessThan(names.indexOf(order.requestId));
    const listed = body.executions.find((e: any) => e.name === order.requestId);
    expect(listed).toEqual({
      executionArn: order.executionArn,
      name: order.requestId,
      requestId: order.requestId,
      resource: 'orders',
      stateMachineArn: cloud.resources.find((r) => r.name === 'orders')!.stateMachineArn,
      stateMachineName: expect.stringContaining('orders'),
      status: 'SUCCEEDED',
      startDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      stopDate: expect.any(String),
      durationMs: expect.any(Number),
      statusCode: 201,
    });
    expect(body.executions.find((e: any) => e.name === 'console-failed')).toMatchObject({ status: 'FAILED', error: 'States.QueryEvaluationError', cause: expect.any(String) });
    expect(body.total).toBe(body.executions.length);
  });

  it('filters by status, resource and request id (the X-Request-Id), and limits', async () => {
    const names = async (query: string) => (await getJson(api(`executions?${query}`))).body.executions.map((e: any) => e.name);
    expect(await names(`requestId=${order.requestId}`)).toEqual([order.requestId]);
    expect(await names(`requestId=${encodeURIComponent(order.executionArn)}`)).toEqual([order.requestId]);
    expect(await names('requestId=no-such-request')).toEqual([]);
    expect(await names('resource=customers')).toEqual([customer.requestId]);
    expect(await names('status=FAILED')).toEqual(['console-failed']);
    expect(await names('status=FAILED&resource=customers')).toEqual([]);
    const limited = await getJson(api('executions?limit=1'));
    expect([limited.body.executions.length, limited.body.truncated, limited.body.total >= 3]).toEqual([1, true, true]);
    for (const bad of ['status=DONE', 'resource=pizzas', 'limit=0', 'limit=abc']) expect({ bad, status: (await getJson(api(`executions?${bad}`))).status }).toEqual({ bad, status: 400 });
  });

  it('one execution: its history in GetExecutionHistory order, each state’s outcome, the failure and the graph', async () => {
    const { status, body } = await getJson(api(`executions/${encodeURIComponent(failedArn)}`));
    expect(status).toBe(200);
    const record = cloud.stepFunctions.getExecution(failedArn)!;
    expect(body.events.map((e: any) => [e.id, e.type])).toEqual(record.events.map((e) => [e.id, e.type]));
    expect(body.events[0]).toMatchObject({ type: 'ExecutionStarted', timestamp: expect.stringMatching(/Z$/), executionStartedEventDetails: { input: '{}' } });
    expect(body).toMatchObject({ status: 'FAILED', input: '{}', error: 'States.QueryEvaluationError', cause: record.cause });
    expect(body.analysis.failure).toEqual({ type: 'ExecutionFailed', state: 'Accept', error: 'States.QueryEvaluationError', cause: record.cause });
    expect(body.analysis.states.Accept.outcome).toBe('failed');
    expect(body.analysis.states.Route.outcome).toBe('not-reached');
    expect(body.graph.nodes.length).toBe(Object.keys(body.analysis.states).length);

    const ok = await getJson(api(`executions/${encodeURIComponent(order.executionArn)}`));
    expect(ok.body).toMatchObject({ status: 'SUCCEEDED', statusCode: 201, output: expect.any(String) });
    expect(ok.body.analysis.states.PutNewItem.outcome).toBe('succeeded');
    expect((await getJson(api(`executions/${encodeURIComponent(order.executionArn + 'x')}`))).status).toBe(404);
  });
});

describe('dead-letter queues', () => {
  it('lists each resource’s messages without receiving them, and redrives one (messageIds) then all, through the redrive code', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const first = await post('orders', { customer: 'Bob', items: [{ pizza: 'diavola', quantity: 1 }] });
    const second = await post('orders', { customer: 'Eve', items: [{ pizza: 'marinara', quantity: 2 }] });
    expect([first.status, second.status]).toEqual([202, 202]);
    cloud.services.faults.clear();

    const read = async () => (await getJson(api('dlq'))).body.queues as any[];
    let queues = await read();
    expect(queues.map((q) => q.resource).sort()).toEqual(['customers', 'orders']);
    let orders = queues.find((q) => q.resource === 'orders');
    expect(orders).toMatchObject({ queueName: queueName('orders'), count: 2 });
    expect(orders.messages.map((m: any) => m.requestId)).toEqual([first.requestId, second.requestId]);
    expect(orders.messages[0]).toMatchObject({
      messageId: expect.any(String),
      request: { method: 'POST', path: '/v1/orders', body: { customer: 'Bob', items: [{ pizza: 'diavola', quantity: 1 }] } },
      error: `DynamoDB.${THROTTLED}`,
      cause: expect.stringContaining(THROTTLED),
      executionArn: first.executionArn,
      queuedAt: expect.any(String),
      receiveCount: 0,
      visible: true,
    });
    expect((await read()).find((q) => q.resource === 'orders').messages.map((m: any) => m.receiveCount)).toEqual([0, 0]); // peeked, not received

    const one = await postJson(api('dlq/orders/redrive'), { messageIds: [orders.messages[0].messageId] });
    expect(one.status).toBe(200);
    expect(await one.json()).toEqual({
      resource: 'orders',
      outcomes: [{ messageId: orders.messages[0].messageId, requestId: first.requestId, receiveCount: 1, outcome: 'applied', statusCode: 201, executionArn: expect.stringContaining(`${first.requestId}-redrive-1`) }],
    });
    queues = await read();
    orders = queues.find((q) => q.resource === 'orders');
    // The other message was received on the way and released at once: visible, its receive counted.
    expect(orders.messages.map((m: any) => [m.requestId, m.visible])).toEqual([[second.requestId, true]]);

    const all = await postJson(api('dlq/orders/redrive'), {});
    expect(((await all.json()) as any).outcomes.map((o: any) => [o.requestId, o.outcome])).toEqual([[second.requestId, 'applied']]);
    expect((await read()).find((q) => q.resource === 'orders').count).toBe(0);
    for (const r of [first, second]) expect((await signedFetch(`${cloud.apiUrl}/orders/${r.requestId}`)).status).toBe(200);

    expect((await postJson(api('dlq/pizzas/redrive'), {})).status).toBe(404);
    expect((await postJson(api('dlq/orders/redrive'), { messageIds: 'all' })).status).toBe(400);
  }, 60_000);
});

describe('live stream and flags', () => {
  it('streams execution start/end, DLQ changes and flag deployments; a flag change is pending until the first poll serves it', async () => {
    const stream = await openStream(api('stream'));
    try {
      const hello = await stream.next((e) => e.event === 'hello');
      expect(hello.data).toEqual({ consoleUrl: cloud.consoleUrl, dlq: { orders: 0, customers: 0 } });

      const created = await post('orders', ORDER);
      const started = await stream.next((e) => e.event === 'execution' && e.data.name === created.requestId && e.data.status === 'RUNNING');
      const ended = await stream.next((e) => e.event === 'execution' && e.data.name === created.requestId && e.data.status === 'SUCCEEDED');
      expect(started.data).toMatchObject({ executionArn: created.executionArn, resource: 'orders', requestId: created.requestId });
      expect(ended.data).toMatchObject({ statusCode: 201, durationMs: expect.any(Number) });

      cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
      const queued = await post('customers', { name: 'Alan', email: 'alan@example.com' });
      expect(queued.status).toBe(202);
      await stream.next((e) => e.event === 'dlq' && e.data.resource === 'customers' && e.data.count === 1, 5_000);
      cloud.services.faults.clear();

      // Flags: the flags Lambda has polled (requests above), so a change waits for its next poll.
      const before = (await getJson(api('flags'))).body.environments;
      expect(before).toHaveLength(1);
      expect(before[0]).toMatchObject({ environment: { id: cloud.flags.environment }, configurationProfile: { id: cloud.flags.configurationProfile }, lastPollAt: expect.any(String) });
      expect(before[0].flags.map((f: any) => [f.key, f.enabled, f.state])).toEqual([
        ['readOnly', false, 'effective'],
        ['softDelete', false, 'effective'],
        ['publishEvents', false, 'effective'],
        ['circuitBreaker', true, 'effective'],
      ]);
      const put = await postJson(api('flags'), { flag: 'publishEvents', enabled: true }, 'PUT');
      expect(put.status).toBe(200);
      const deployed = (await put.json()) as any;
      expect(deployed).toMatchObject({ versionNumber: 2, deploymentNumber: 2, deployedAt: expect.any(String) });
      expect(deployed.environment.flags.find((f: any) => f.key === 'publishEvents')).toMatchObject({ enabled: true, state: 'pending' });
      expect(deployed.environment.deployment).toMatchObject({ deploymentNumber: 2, version: 2 });
      expect(cloud.services.appConfig.getFeatureFlags(cloud.flags)?.values?.publishEvents?.enabled).toBe(true);
      await stream.next((e) => e.event === 'flags' && e.data.kind === 'deployed' && e.data.deploymentNumber === 2);

      // The flags Lambda's next poll is due 15 s after its last one: the console has it poll then, which serves version 2.
      const effective = await stream.next((e) => e.event === 'flags' && e.data.kind === 'effective' && e.data.deploymentNumber === 2, 20_000);
      const after = (await getJson(api('flags'))).body.environments[0];
      expect(after.flags.find((f: any) => f.key === 'publishEvents')).toMatchObject({ enabled: true, state: 'effective' });
      expect(after.effective).toMatchObject({ deploymentNumber: 2, version: 2, effectiveSince: effective.data.at });

      expect((await postJson(api('flags'), { flag: 'nope', enabled: true }, 'PUT')).status).toBe(400);
      expect((await postJson(api('flags'), { flag: 'readOnly', enabled: 'on' }, 'PUT')).status).toBe(400);
      await postJson(api('flags'), { flag: 'publishEvents', enabled: false }, 'PUT');
    } finally {
      stream.close();
    }
  }, 60_000);
});
