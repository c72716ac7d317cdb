/**
 * The local cloud's console in a real browser (Debian's Chromium, driven by playwright-core), clicked
 * through as an operator would: find an API request's execution by its X-Request-Id, read its graph and
 * history, watch a throttled write land in the dead-letter queue live, redrive it, follow a 202's request
 * record from queued to applied, and toggle a feature flag. Screenshots of every view go to test-artifacts/console/ (docs/console/ with UPDATE_DOCS_SCREENSHOTS=1).
 */
import { randomUUID } from 'node:crypto';
import type { Browser, Locator, Page } from 'playwright-core';
import { FLAG_NAMES } from '../../lambdas/flags/definitions';
import { Api, LocalCloud, deadLetters, listAllPages, resourceOf, startTestCloud } from '../e2e/helpers';
import {
  ConsolePage,
  attributesOf,
  chromiumPath,
  enteredStates,
  eventually,
  expectSameDocument,
  launchBrowser,
  markDocument,
  nodeOutcomes,
  openPage,
  openView,
  recordAttribute,
  screenshot,
} from './helpers';

const THROTTLED = 'ProvisionedThroughputExceededException';
const ORDER = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };
/** The flags Lambda polls AppConfig at most every 15 s (AppConfigData's minimum): a toggle takes up to that, plus slack. */
const FLAG_EFFECT_MS = 25_000;

let cloud: LocalCloud;
let api: Api;
let browser: Browser;
let current: ConsolePage | undefined;
let page: Page;

beforeAll(async () => {
  chromiumPath(); // fails here, with the install command, when Chromium is missing
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

beforeEach(async () => {
  if (!browser) return;
  current = await openPage(browser);
  page = current.page;
});

afterEach(async () => {
  cloud?.services.faults.clear();
  if (!current) return; // beforeAll failed: its error is the one to read
  const { errors, context } = current;
  current = undefined;
  await context.close();
  expect({ uncaughtScriptErrors: errors }).toEqual({ uncaughtScriptErrors: [] });
});

// ---------------------------------------------------------------------------------------------
// Helpers of this suite
// ---------------------------------------------------------------------------------------------

function definitionOf(resourceName: string): { States: Record<string, any> } {
  return JSON.parse(cloud.stepFunctions.getStateMachine(resourceOf(cloud, resourceName).stateMachineArn)!.definition);
}

function stateNames(resourceName: string): string[] {
  return Object.keys(definitionOf(resourceName).States).sort();
}

type EdgeKind = 'next' | 'choice' | 'default' | 'catch';

/**
 * How many edges of each kind a graph of this definition draws: at least one per distinct (from → to)
 * pair, at most one per transition (two Choice rules to the same state may share an edge).
 */
function expectedEdges(resourceName: string): Record<EdgeKind, { min: number; max: number }> {
  const transitions: Record<EdgeKind, string[]> = { next: [], choice: [], default: [], catch: [] };
  for (const [name, state] of Object.entries(definitionOf(resourceName).States)) {
    if (state.Next) transitions.next.push(`${name}→${state.Next}`);
    for (const choice of state.Choices ?? []) transitions.choice.push(`${name}→${choice.Next}`);
    if (state.Default) transitions.default.push(`${name}→${state.Default}`);
    for (const catcher of state.Catch ?? []) transitions.catch.push(`${name}→${catcher.Next}`);
  }
  const range = (list: string[]) => ({ min: new Set(list).size, max: list.length });
  return { next: range(transitions.next), choice: range(transitions.choice), default: range(transitions.default), catch: range(transitions.catch) };
}

/** Every state of the resource's machine → 'succeeded' when the execution entered it, else 'not-reached'; `overrides` win. */
function expectedOutcomes(resourceName: string, executionArn: string, overrides: Record<string, string> = {}): Record<string, string> {
  const entered = enteredStates(cloud.stepFunctions.getExecution(executionArn)!.events);
  return Object.fromEntries(stateNames(resourceName).map((s) => [s, overrides[s] ?? (entered.has(s) ? 'succeeded' : 'not-reached')]));
}

function rows(): Locator {
  return page.getByTestId('execution-row');
}

function row(requestId: string): Locator {
  return page.locator(`[data-testid="execution-row"][data-request-id="${requestId}"]`);
}

function listedRows(): Promise<Record<string, string | null>[]> {
  return attributesOf(rows(), ['data-request-id', 'data-status', 'data-resource']);
}

function dlqSection(resourceName: string): Locator {
  return page.locator(`[data-testid="dlq-section"][data-resource="${resourceName}"]`);
}

function flagRow(flag: string): Locator {
  return page.locator(`[data-testid="flag-row"][data-flag="${flag}"]`);
}

function hash(): string {
  return new URL(page.url()).hash;
}

async function postOrder(): Promise<{ requestId: string; executionArn: string; status: number; json: any }> {
  const res = await api.post('/orders', ORDER);
  return { requestId: res.requestId!, executionArn: res.headers.get('x-execution-arn')!, status: res.status, json: res.json };
}

/** The current graph's outcomes equal the expected ones (polled: the detail may render before the graph is coloured). */
async function expectGraphOutcomes(expected: Record<string, string>): Promise<void> {
  await eventually('the graph is coloured by outcome', async () => expect(await nodeOutcomes(page.getByTestId('graph'))).toEqual(expected));
}

async function expectDetailStatus(detail: Locator, status: string): Promise<void> {
  await eventually(`the execution detail says ${status}`, async () => expect(await detail.getAttribute('data-status')).toBe(status));
}

/** Opens an execution's detail by its hash route. */
async function openExecution(executionArn: string): Promise<Locator> {
  await page.goto(`${cloud.consoleUrl}#/executions/${encodeURIComponent(executionArn)}`);
  const detail = page.getByTestId('execution-detail');
  await detail.waitFor();
  return detail;
}

// ---------------------------------------------------------------------------------------------
// Views
// ---------------------------------------------------------------------------------------------

describe('the console, in Chromium', () => {
  it('is served at cloud.consoleUrl, and its nav links switch views through the hash routes', async () => {
    expect(cloud.consoleUrl).toBe(`${cloud.endpointUrl}/console/`);
    await openView(page, cloud, '#/machines', 'machine-card');
    const views: [string, string, string][] = [
      ['nav-executions', '#/executions', 'executions-table'],
      ['nav-requests', '#/requests', 'requests-table'],
      ['nav-dlq', '#/dlq', 'dlq-section'],
      ['nav-circuits', '#/circuits', 'circuit-row'],
      ['nav-flags', '#/flags', 'flag-row'],
      ['nav-machines', '#/machines', 'machine-card'],
    ];
    for (const [link, route, ready] of views) {
      await page.getByTestId(link).click();
      await page.getByTestId(ready).first().waitFor();
      expect(hash()).toBe(route);
    }
  }, 60_000);

  it('machines: one graph per resource, a node per state, with next, Choice (choice/default) and Catch edges', async () => {
    await openView(page, cloud, '#/machines', 'machine-card');
    // One card per state machine: the resources', and the circuit control's.
    await eventually('one machine card per resource', async () =>
      expect((await attributesOf(page.getByTestId('machine-card'), ['data-resource'])).map((c) => c['data-resource']).sort()).toEqual(
        [...cloud.resources.map((r) => r.name), ...cloud.stepFunctions.stateMachines().filter((m) => /CircuitsControl/.test(m.name)).map((m) => m.name)].sort(),
      ),
    );
    for (const resource of cloud.resources) {
      const graph = page.locator(`[data-testid="machine-card"][data-resource="${resource.name}"]`).getByTestId('graph');
      await eventually(`the ${resource.name} graph is drawn`, async () => {
        expect(await graph.count()).toBe(1);
        expect((await attributesOf(graph.getByTestId('graph-node'), ['data-state'])).map((n) => n['data-state']).sort()).toEqual(stateNames(resource.name));
      });
      const edges = (await attributesOf(graph.getByTestId('graph-edge'), ['data-kind'])).map((e) => e['data-kind']);
      expect(edges.filter((k) => !['next', 'choice', 'default', 'catch'].includes(k!))).toEqual([]); // no Parallel/Map here: no 'branch'
      const expected = expectedEdges(resource.name);
      expect(expected.choice.min).toBeGreaterThan(0);
      expect(expected.catch.min).toBeGreaterThan(0);
      for (const kind of ['next', 'choice', 'default', 'catch'] as const) {
        const drawn = edges.filter((k) => k === kind).length;
        expect({ kind, drawn, inRange: drawn >= expected[kind].min && drawn <= expected[kind].max }).toEqual({ kind, drawn, inRange: true });
      }
      const box = await graph.boundingBox();
      expect(box && box.width > 200 && box.height > 200).toBe(true);
    }
    await screenshot(page, 'machines');
  }, 60_000);

  it('executions: an order POSTed through the API appears live, is found by its X-Request-Id, and opens on its graph and history', async () => {
    await openView(page, cloud, '#/executions', 'executions-table');
    await markDocument(page);

    const created = await postOrder();
    expect(created.status).toBe(201);
    await eventually('the new execution is listed without a reload', async () => expect(await row(created.requestId).count()).toBe(1));
    await expectSameDocument(page);

    await page.getByTestId('search-request-id').fill(created.requestId);
    await page.getByTestId('search-button').click();
    await eventually('only the searched execution is listed', async () =>
      expect(await listedRows()).toEqual([{ 'data-request-id': created.requestId, 'data-status': 'SUCCEEDED', 'data-resource': 'orders' }]),
    );
    expect(hash()).toContain(`requestId=${created.requestId}`);
    await screenshot(page, 'executions-search');

    await row(created.requestId).click();
    const detail = page.getByTestId('execution-detail');
    await detail.waitFor();
    expect(hash()).toBe(`#/executions/${encodeURIComponent(created.executionArn)}`);
    await expectDetailStatus(detail, 'SUCCEEDED');
    expect(await detail.textContent()).toContain(created.requestId);

    // The path a create takes is green, every other state is not reached.
    const execution = cloud.stepFunctions.getExecution(created.executionArn)!;
    expect([...enteredStates(execution.events)]).toEqual(['Accept', 'Route', 'ValidateBody', 'IsReplay', 'LoadFlags', 'ConsultCircuit', 'ReadCircuit', 'CheckCircuit', 'CheckReadOnly', 'Dispatch', 'PrepareCreate', 'BuildNewItem', 'PutNewItem', 'PublishIfEnabled', 'Respond', 'Finish', 'FinishRecords', 'Done']);
    await expectGraphOutcomes(expectedOutcomes('orders', created.executionArn));

    // The history, event by event, in order.
    const history = page.getByTestId('history');
    await eventually('the history lists every event', async () =>
      expect((await attributesOf(history.getByTestId('history-event'), ['data-type'])).map((e) => e['data-type'])).toEqual(execution.events.map((e) => e.type)),
    );
    expect(await page.getByTestId('execution-error').count()).toBe(0);
    await screenshot(page, 'execution-detail');
  }, 90_000);

  it('executions: a deep link with ?requestId= lists that execution; a request id that matches nothing shows an empty state', async () => {
    const created = await postOrder();
    expect(created.status).toBe(201);
    await openView(page, cloud, `#/executions?requestId=${created.requestId}`, 'executions-table');
    await eventually('the deep link lists the execution', async () => expect((await listedRows()).map((r) => r['data-request-id'])).toEqual([created.requestId]));

    const unknown = `no-such-request-${randomUUID()}`;
    await page.getByTestId('search-request-id').fill(unknown);
    await page.getByTestId('search-button').click();
    await eventually('nothing is listed, and the page says so', async () => {
      expect(hash()).toContain(`requestId=${unknown}`);
      expect(await rows().count()).toBe(0);
      expect(await page.getByText(/no (matching )?executions?|nothing (found|matches)|no results/i).first().isVisible()).toBe(true);
    });
    await screenshot(page, 'executions-empty');
  }, 60_000);

  it('executions: filters by resource and by status; a FAILED execution shows its error and the state that failed', async () => {
    const order = await postOrder();
    const customer = await api.post('/customers', { name: 'Grace', email: 'grace@example.com' });
    expect([order.status, customer.status]).toEqual([201, 201]);
    // An execution started by hand with an input the workflow cannot read (what `aws stepfunctions start-sync-execution` with '{}' does).
    const failed = await cloud.stepFunctions.startSyncExecution({ stateMachineArn: resourceOf(cloud, 'orders').stateMachineArn, name: `malformed-${randomUUID()}`, input: '{}' });
    expect(failed.status).toBe('FAILED');

    await openView(page, cloud, '#/executions', 'executions-table');
    await eventually('the three executions are listed', async () => {
      for (const id of [order.requestId, customer.requestId!, failed.name]) expect({ id, listed: await row(id).count() }).toEqual({ id, listed: 1 });
    });
    await screenshot(page, 'executions');

    await page.getByTestId('filter-resource').selectOption('customers');
    await eventually('only customers are listed', async () => {
      const listed = await listedRows();
      expect(new Set(listed.map((r) => r['data-resource']))).toEqual(new Set(['customers']));
      expect(listed.map((r) => r['data-request-id'])).toContain(customer.requestId);
      expect(hash()).toContain('resource=customers');
    });

    await page.getByTestId('filter-resource').selectOption('orders');
    await page.getByTestId('filter-status').selectOption('FAILED');
    await eventually('only the failed order execution is listed', async () => {
      expect(await listedRows()).toEqual([{ 'data-request-id': failed.name, 'data-status': 'FAILED', 'data-resource': 'orders' }]);
      expect(hash()).toContain('status=FAILED');
      expect(hash()).toContain('resource=orders');
    });

    await page.getByTestId('filter-status').selectOption('SUCCEEDED');
    await eventually('only succeeded order executions are listed', async () => {
      const listed = await listedRows();
      expect(new Set(listed.map((r) => `${r['data-resource']} ${r['data-status']}`))).toEqual(new Set(['orders SUCCEEDED']));
      expect(listed.map((r) => r['data-request-id'])).toContain(order.requestId);
    });

    await page.getByTestId('filter-status').selectOption('FAILED');
    await row(failed.name).click();
    const detail = page.getByTestId('execution-detail');
    await detail.waitFor();
    await expectDetailStatus(detail, 'FAILED');
    const error = page.getByTestId('execution-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('States.QueryEvaluationError');
    expect(await error.textContent()).toContain(failed.cause!.slice(0, 60));
    await expectGraphOutcomes(expectedOutcomes('orders', failed.executionArn, { Accept: 'failed' }));
    await screenshot(page, 'execution-error');
  }, 90_000);

  it('execution detail: a write that succeeded after two throttled attempts shows its Task as retried, "retried 2×"', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 2 });
    const created = await postOrder();
    expect(created.status).toBe(201);
    const detail = await openExecution(created.executionArn);
    await expectDetailStatus(detail, 'SUCCEEDED');
    await expectGraphOutcomes(expectedOutcomes('orders', created.executionArn, { PutNewItem: 'retried' }));
    await eventually('the retries are counted', async () => expect(await page.getByText('retried 2×').first().isVisible()).toBe(true));
    const types = (await attributesOf(page.getByTestId('history').getByTestId('history-event'), ['data-type'])).map((e) => e['data-type']);
    expect(types.filter((t) => t === 'TaskFailed')).toHaveLength(2);
  }, 60_000);

  // -------------------------------------------------------------------------------------------
  // Storage first: DLQ and redrive
  // -------------------------------------------------------------------------------------------

  it('DLQ: a throttled write appears live in the DLQ view, its execution shows the retries and the catch, and a redrive from the console applies it once', async () => {
    await openView(page, cloud, '#/dlq', 'dlq-section');
    await eventually('one section per resource, the orders queue empty', async () => {
      expect((await attributesOf(page.getByTestId('dlq-section'), ['data-resource'])).map((s) => s['data-resource']).sort()).toEqual(cloud.resources.map((r) => r.name).sort());
      expect(await dlqSection('orders').getAttribute('data-count')).toBe('0');
    });
    await markDocument(page);

    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const queued = await postOrder();
    expect({ status: queued.status, body: queued.json }).toEqual({
      status: 202,
      body: { requestId: queued.requestId, status: 'queued', reason: `DynamoDB.${THROTTLED}`, location: `/v1/requests/${queued.requestId}` },
    });

    const message = dlqSection('orders').locator(`[data-testid="dlq-message"][data-request-id="${queued.requestId}"]`);
    await eventually('the message appears without a reload', async () => {
      expect(await message.count()).toBe(1);
      expect(await dlqSection('orders').getAttribute('data-count')).toBe('1');
    });
    await expectSameDocument(page);
    const messageId = (await message.getAttribute('data-message-id'))!;
    expect(cloud.services.sqs.peekMessages(resourceOf(cloud, 'orders').deadLetterQueueUrl.split('/').pop()!).map((m) => m.messageId)).toEqual([messageId]);
    await screenshot(page, 'dlq');

    // Its execution: PutNewItem retried twice, then caught; the request went on to the queue (its record, a
    // PutItem throttled too, was caught: best effort, the first replay writes it).
    const detail = await openExecution(queued.executionArn);
    await expectDetailStatus(detail, 'SUCCEEDED');
    await expectGraphOutcomes(expectedOutcomes('orders', queued.executionArn, { PutNewItem: 'caught', RecordQueued: 'caught' }));
    expect(enteredStates(cloud.stepFunctions.getExecution(queued.executionArn)!.events)).toEqual(
      new Set(['Accept', 'Route', 'ValidateBody', 'IsReplay', 'LoadFlags', 'ConsultCircuit', 'ReadCircuit', 'CheckCircuit', 'CheckReadOnly', 'Dispatch', 'PrepareCreate', 'BuildNewItem', 'PutNewItem', 'QueueForRedrive', 'CountCircuitFailure', 'ShouldOpenCircuit', 'RouteQueued', 'SendToDeadLetterQueue', 'RecordQueued', 'RespondQueued', 'Done']),
    );
    await eventually('the retries are counted', async () => expect(await page.getByText('retried 2×').first().isVisible()).toBe(true));
    await screenshot(page, 'execution-failed');

    // Fault gone: redrive that one message from the console.
    cloud.services.faults.clear();
    await page.getByTestId('nav-dlq').click();
    await message.waitFor();
    await message.getByTestId('redrive-one').click();
    await eventually('the redrive reports the message applied', async () =>
      expect(await attributesOf(page.getByTestId('redrive-outcome'), ['data-message-id', 'data-outcome'])).toEqual([{ 'data-message-id': messageId, 'data-outcome': 'applied' }]),
    );
    await eventually('the message leaves the queue', async () => {
      expect(await message.count()).toBe(0);
      expect(await dlqSection('orders').getAttribute('data-count')).toBe('0');
    });
    await screenshot(page, 'dlq-redriven');

    // Stored exactly once.
    const got = await api.get(`/orders/${queued.requestId}`);
    expect({ status: got.status, body: got.json }).toEqual({ status: 200, body: expect.objectContaining({ ...ORDER, orderId: queued.requestId }) });
    const { pages } = await listAllPages(api, 'orders', 100);
    expect(pages.flat().filter((item) => item.orderId === queued.requestId)).toHaveLength(1);
    expect(deadLetters(cloud, 'orders')).toEqual([]);
  }, 90_000);

  it('DLQ: "redrive all" replays every message of one resource', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const bodies = [
      { name: 'Grace', email: 'grace@example.com' },
      { name: 'Alan', email: 'alan@example.com' },
    ];
    const requestIds: string[] = [];
    for (const body of bodies) {
      const res = await api.post('/customers', body);
      expect(res.status).toBe(202);
      requestIds.push(res.requestId!);
    }
    cloud.services.faults.clear();

    await openView(page, cloud, '#/dlq', 'dlq-section');
    const section = dlqSection('customers');
    await eventually('both messages are listed', async () => {
      expect((await attributesOf(section.getByTestId('dlq-message'), ['data-request-id'])).map((m) => m['data-request-id']).sort()).toEqual([...requestIds].sort());
      expect(await section.getAttribute('data-count')).toBe('2');
    });
    const messageIds = (await attributesOf(section.getByTestId('dlq-message'), ['data-message-id'])).map((m) => m['data-message-id']);

    await section.getByTestId('redrive-all').click();
    await eventually('both are applied', async () => {
      const outcomes = await attributesOf(page.getByTestId('redrive-outcome'), ['data-message-id', 'data-outcome']);
      expect(outcomes.sort((a, b) => a['data-message-id']!.localeCompare(b['data-message-id']!))).toEqual(
        [...messageIds].sort().map((id) => ({ 'data-message-id': id, 'data-outcome': 'applied' })),
      );
    });
    await eventually('the queue is empty', async () => {
      expect(await section.getByTestId('dlq-message').count()).toBe(0);
      expect(await section.getAttribute('data-count')).toBe('0');
    });
    for (const [i, id] of requestIds.entries()) {
      const got = await api.get(`/customers/${id}`);
      expect({ status: got.status, body: got.json }).toEqual({ status: 200, body: expect.objectContaining({ ...bodies[i], customerId: id }) });
    }
  }, 90_000);

  // -------------------------------------------------------------------------------------------
  // Requests as resources
  // -------------------------------------------------------------------------------------------

  it('requests: a 202 appears queued in the Requests view live, turns applied when the redrive replays it, and its page shows the outcome and its executions', async () => {
    await openView(page, cloud, '#/requests', 'requests-table');
    await markDocument(page);

    // PutNewItem throttled on each of its 3 attempts; the request record's own PutItem then goes through.
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 3 });
    const queued = await postOrder();
    cloud.services.faults.clear();
    expect([queued.status, queued.json?.status]).toEqual([202, 'queued']);
    const requestRow = page.locator(`[data-testid="request-row"][data-request-id="${queued.requestId}"]`);
    await eventually('the queued request appears without a reload', async () => expect(await requestRow.getAttribute('data-status')).toBe('queued'));
    await screenshot(page, 'requests');

    await cloud.invokeFunction(cloud.functions.RedriveFunction, {});
    await eventually('it turns applied, live', async () => expect(await requestRow.getAttribute('data-status')).toBe('applied'));
    await expectSameDocument(page);

    await requestRow.click();
    const detail = page.getByTestId('request-detail');
    await detail.waitFor();
    expect([hash(), await detail.getAttribute('data-status')]).toEqual([`#/requests/${queued.requestId}`, 'applied']);
    expect(await page.getByTestId('request-http').textContent()).toBe('201');
    expect(await page.getByTestId('request-outcome').textContent()).toContain(`"orderId": "${queued.requestId}"`);
    expect((await attributesOf(page.getByTestId('request-execution'), ['data-name'])).map((e) => e['data-name'])).toEqual([queued.requestId, `${queued.requestId}-redrive-1`]);
    await screenshot(page, 'request-detail');

    await page.getByTestId('request-executions-link').click();
    await eventually('the executions list shows the request and its replay', async () =>
      expect((await listedRows()).map((r) => r['data-request-id']).sort()).toEqual([queued.requestId, `${queued.requestId}-redrive-1`].sort()),
    );
  }, 90_000);

  // -------------------------------------------------------------------------------------------
  // Feature flags
  // -------------------------------------------------------------------------------------------

  it('flags: readOnly toggled in the console is pending, then effective after the flags Lambda polls, and writes answer 202; toggled back, 201', async () => {
    const deployedReadOnly = () =>
      (cloud.services.appConfig.getFeatureFlags({ application: cloud.flags.application, environment: cloud.flags.environment, configurationProfile: cloud.flags.configurationProfile }) as any).values
        .readOnly.enabled;
    // The flags Lambda has read the flags at least once (its cache is warm), as with any traffic.
    expect((await postOrder()).status).toBe(201);

    await openView(page, cloud, '#/flags', 'flag-row');
    await eventually('a row per flag, all effective, readOnly off', async () => {
      expect((await attributesOf(page.getByTestId('flag-row'), ['data-flag'])).map((r) => r['data-flag']).sort()).toEqual([...FLAG_NAMES].sort());
      for (const flag of FLAG_NAMES) expect({ flag, state: await flagRow(flag).getByTestId('flag-status').getAttribute('data-state') }).toEqual({ flag, state: 'effective' });
      expect(await flagRow('readOnly').getByTestId('flag-toggle').isChecked()).toBe(false);
    });

    // Each toggle is recorded render by render: the status must go pending, then effective. How long it
    // stays pending depends on when the Lambda last polled; right after a poll (the second toggle) it is ~15 s.
    const toggle = async (enabled: boolean, expectedStatus: number, screenshotWhilePending?: string) => {
      const status = flagRow('readOnly').getByTestId('flag-status');
      const states = await recordAttribute(page, '[data-testid="flag-row"][data-flag="readOnly"] [data-testid="flag-status"]', 'data-state');
      await flagRow('readOnly').getByTestId('flag-toggle').click();
      await eventually(`readOnly ${enabled ? 'on' : 'off'} is deployed`, async () => {
        expect(await flagRow('readOnly').getByTestId('flag-toggle').isChecked()).toBe(enabled);
        expect(deployedReadOnly()).toBe(enabled);
      }, 10_000);
      // The docs screenshot is taken while pending, if the Lambda has not polled yet (the recorded states below
      // are what the test asserts).
      if (screenshotWhilePending && (await status.getAttribute('data-state')) === 'pending') await screenshot(page, screenshotWhilePending);
      await eventually(
        `readOnly ${enabled ? 'on' : 'off'} is shown pending, then effective`,
        async () => {
          const seen = (await states()).filter((s) => s !== null);
          expect(seen[0]).toBe('effective');
          expect(seen.slice(1)).toContain('pending');
          expect(seen[seen.length - 1]).toBe('effective');
          expect(await status.getAttribute('data-state')).toBe('effective');
        },
        FLAG_EFFECT_MS,
        500,
      );
      const res = await postOrder();
      expect({ readOnly: enabled, status: res.status }).toEqual({ readOnly: enabled, status: expectedStatus });
    };
    await toggle(true, 202);
    await screenshot(page, 'flags-effective');
    await toggle(false, 201, 'flags');
  }, 90_000);
});
