/**
 * The Circuits view in a real browser (Debian's Chromium, driven by playwright-core): an operator opens the
 * orders write circuit with its button and sees it OPEN, its transition listed, and the API queue writes at
 * once; then closes it. Its own local cloud, so that the circuits start closed whatever the other suites did.
 * Screenshot: test-artifacts/console/circuits.png (docs/console/ with UPDATE_DOCS_SCREENSHOTS=1).
 */
import type { Browser, Locator, Page } from 'playwright-core';
import { Api, LocalCloud, startTestCloud } from '../e2e/helpers';
import { ConsolePage, attributesOf, chromiumPath, eventually, launchBrowser, openPage, openView, screenshot } from './helpers';

const ORDER = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };

let cloud: LocalCloud;
let api: Api;
let browser: Browser;
let current: ConsolePage | undefined;
let page: Page;

beforeAll(async () => {
  chromiumPath();
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
  browser = await launchBrowser();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await cloud?.stop();
});

beforeEach(async () => {
  current = await openPage(browser);
  page = current.page;
});

afterEach(async () => {
  if (!current) return;
  const { errors, context } = current;
  current = undefined;
  await context.close();
  expect({ uncaughtScriptErrors: errors }).toEqual({ uncaughtScriptErrors: [] });
});

function circuitRow(resource: string): Locator {
  return page.locator(`[data-testid="circuit-row"][data-resource="${resource}"]`);
}

it('circuits: orders is CLOSED; "Open" opens it (OPEN, its cool-down, an operator transition) and writes are queued at once; "Close" closes it', async () => {
  await openView(page, cloud, '#/circuits', 'circuit-row');
  expect((await attributesOf(page.getByTestId('circuit-row'), ['data-resource', 'data-state'])).map((r) => [r['data-resource'], r['data-state']])).toEqual(
    cloud.resources.map((r) => [r.name, 'CLOSED']),
  );

  await circuitRow('orders').getByTestId('circuit-open').click();
  await eventually('orders turns OPEN', async () => expect(await circuitRow('orders').getAttribute('data-state')).toBe('OPEN'));
  expect(await circuitRow('orders').getByTestId('circuit-cooldown').textContent()).toMatch(/in (4 min \d+|5 min 0) s/);
  expect(await page.getByTestId('circuit-message').textContent()).toContain('/orders: CLOSED → OPEN');
  expect(await circuitRow('customers').getAttribute('data-state')).toBe('CLOSED');
  const queued = await api.post('/orders', ORDER);
  expect([queued.status, queued.json.reason]).toEqual([202, 'CircuitOpen']);

  // Its recent transitions: the operator's open.
  await circuitRow('orders').click();
  const transitions = page.locator('[data-testid="circuit-detail"][data-resource="orders"] [data-testid="circuit-transition"]');
  await eventually('the transition is listed', async () => expect(await attributesOf(transitions, ['data-from', 'data-to', 'data-source'])).toEqual([{ 'data-from': 'CLOSED', 'data-to': 'OPEN', 'data-source': 'operator' }]));
  await screenshot(page, 'circuits');

  await circuitRow('orders').getByTestId('circuit-close').click();
  await eventually('orders turns CLOSED', async () => expect(await circuitRow('orders').getAttribute('data-state')).toBe('CLOSED'));
  expect(await page.getByTestId('circuit-message').textContent()).toContain('The redrive of /orders started');
  await eventually('the write queued while it was open is applied by the redrive the close started', async () => expect((await api.get(`/requests/${queued.requestId}`)).json.status).toBe('applied'));
}, 90_000);

it('circuits: under each state, the events circuit; opened (crud-ops circuit open orders --circuit events) it shows OPEN and its cool-down', async () => {
  await openView(page, cloud, '#/circuits', 'circuit-row');
  expect(await circuitRow('orders').getByTestId('circuit-events').textContent()).toBe('events: CLOSED');
  const res = await fetch(`${cloud.consoleUrl}api/circuits/orders/open`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ for: 300, circuit: 'events', by: 'crud-ops' }) });
  expect(res.status).toBe(200);
  await eventually('the events circuit shows OPEN', async () => expect(await circuitRow('orders').getByTestId('circuit-events').getAttribute('data-state')).toBe('OPEN'));
  expect(await circuitRow('orders').getByTestId('circuit-events').textContent()).toMatch(/^events: OPEN · in (4 min \d+|5 min 0) s$/);
  // The write circuit is another one.
  expect(await circuitRow('orders').getAttribute('data-state')).toBe('CLOSED');
  await fetch(`${cloud.consoleUrl}api/circuits/orders/close`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ circuit: 'events' }) });
}, 90_000);
