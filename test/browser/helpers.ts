/**
 * Browser helpers: Debian's Chromium driven by playwright-core, a console page per test, screenshots
 * and polling assertions. The local cloud and the API client come from the end-to-end helpers.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Browser, BrowserContext, Locator, Page, chromium } from 'playwright-core';
import type { LocalCloud } from '../e2e/helpers';

const ROOT = path.resolve(__dirname, '..', '..');
/** Every screenshot of a run (gitignored). */
export const ARTIFACTS_DIR = path.join(ROOT, 'test-artifacts', 'console');
/** The committed screenshots of docs/console.md, refreshed with UPDATE_DOCS_SCREENSHOTS=1. */
export const DOCS_SCREENSHOTS_DIR = path.join(ROOT, 'docs', 'console');
export const VIEWPORT = { width: 1280, height: 800 };
/** The screenshots docs/console.md shows; the others stay in test-artifacts/. */
export const DOCS_SCREENSHOTS = ['machines', 'executions', 'execution-detail', 'execution-failed', 'requests', 'request-detail', 'dlq', 'circuits', 'flags'];

/** CHROMIUM_PATH when set, else `chromium` on the PATH, else /usr/bin/chromium. Throws (never skips) when there is none. */
export function chromiumPath(): string {
  const install = 'Install it with `sudo apt-get install -y --no-install-recommends chromium` (.ci/run does this in CI), or set CHROMIUM_PATH.';
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    if (fs.existsSync(configured)) return configured;
    throw new Error(`The console's browser tests need Chromium: CHROMIUM_PATH=${configured} does not exist. ${install}`);
  }
  try {
    const found = execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
    if (found) return found;
  } catch {
    // not on the PATH
  }
  if (fs.existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  throw new Error(`The console's browser tests need Chromium, and there is none (no \`chromium\` on the PATH, no /usr/bin/chromium). ${install}`);
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page with a 1280×800 viewport that records uncaught script errors (see `ConsolePage.errors`). */
export interface ConsolePage {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions thrown by the console's scripts. */
  errors: string[];
}

export async function openPage(browser: Browser): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  context.setDefaultTimeout(30_000);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(`${error.name}: ${error.message}`));
  return { page, context, errors };
}

/** Opens a hash route (e.g. '#/dlq') of the console and waits for `readyTestId` to be visible. */
export async function openView(page: Page, cloud: LocalCloud, hash: string, readyTestId: string): Promise<void> {
  await page.goto(cloud.consoleUrl + hash);
  await page.getByTestId(readyTestId).first().waitFor({ state: 'visible' });
}

/**
 * Marks the document so that `expectSameDocument` can tell it was not reloaded: what the test then
 * sees arrived live (Server-Sent Events), not through a navigation.
 */
export async function markDocument(page: Page): Promise<void> {
  await page.evaluate(() => {
    (globalThis as any).__consoleTestMark = 'not reloaded';
  });
}

export async function expectSameDocument(page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as any).__consoleTestMark)).toBe('not reloaded');
}

let recorders = 0;

/**
 * Records every value an attribute of the first element matching `selector` takes from now on, including
 * states that last only a few milliseconds (a MutationObserver notes each render). Returns a reader.
 */
export async function recordAttribute(page: Page, selector: string, attribute: string): Promise<() => Promise<(string | null)[]>> {
  const key = `__consoleTestRecorder${++recorders}`;
  await page.evaluate(
    ({ key, selector, attribute }) => {
      const g = globalThis as any;
      const seen: (string | null)[] = [];
      g[key] = seen;
      const note = () => {
        const element = g.document.querySelector(selector);
        const value = element ? element.getAttribute(attribute) : null;
        if (seen.length === 0 || seen[seen.length - 1] !== value) seen.push(value);
      };
      note();
      new g.MutationObserver(note).observe(g.document.body, { subtree: true, childList: true, attributes: true, attributeFilter: [attribute] });
    },
    { key, selector, attribute },
  );
  return () => page.evaluate((k) => (globalThis as any)[k] as (string | null)[], key);
}

/** The given attributes of every element the locator matches, in document order. */
export function attributesOf(locator: Locator, names: string[]): Promise<Record<string, string | null>[]> {
  return locator.evaluateAll((elements: any[], attributeNames: string[]) => elements.map((e) => Object.fromEntries(attributeNames.map((n) => [n, e.getAttribute(n)]))), names);
}

/** The graph's nodes as { stateName: outcome }. */
export async function nodeOutcomes(graph: Locator): Promise<Record<string, string | null>> {
  const nodes = await attributesOf(graph.getByTestId('graph-node'), ['data-state', 'data-outcome']);
  return Object.fromEntries(nodes.map((n) => [n['data-state'], n['data-outcome']]));
}

/**
 * Runs `probe` (which asserts with expect) until it passes, every `intervalMs`, for up to `timeoutMs`;
 * then rethrows its last failure, prefixed with `what`. For waiting on the page without fixed sleeps.
 */
export async function eventually<T>(what: string, probe: () => Promise<T>, timeoutMs = 20_000, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) {
        if (error instanceof Error) error.message = `${what} (still not true after ${timeoutMs} ms):\n${error.message}`;
        throw error;
      }
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A full-page screenshot into test-artifacts/console/<name>.png; with UPDATE_DOCS_SCREENSHOTS=1, those
 * of DOCS_SCREENSHOTS are also copied to docs/console/ (committed, shown by docs/console.md).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
  const file = path.join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  if (process.env.UPDATE_DOCS_SCREENSHOTS === '1' && DOCS_SCREENSHOTS.includes(name)) {
    fs.mkdirSync(DOCS_SCREENSHOTS_DIR, { recursive: true });
    fs.copyFileSync(file, path.join(DOCS_SCREENSHOTS_DIR, `${name}.png`));
  }
  return file;
}

/** The names of the states an execution entered, from its history (`*StateEntered` events). */
export function enteredStates(events: { type: string; [key: string]: unknown }[]): Set<string> {
  return new Set(events.filter((e) => e.type.endsWith('StateEntered')).map((e) => (e.stateEnteredEventDetails as { name: string }).name));
}
