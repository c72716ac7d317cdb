/**
 * `npm start` (local/main.ts) as a user runs it: a child process through tsx, the banner read from its
 * stdout, real HTTP to the printed URLs, then a signal. The first start may synthesize the CDK app
 * (cached under node_modules/.cache/local-cloud until cdk/, statemachines/ or lambdas/ change).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { signRequest } from '../../../local/auth/sign-request';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const START_TIMEOUT = 110_000;

interface Cli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the output once `pattern` appears in stdout (rejects if the process exits first). */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

function startCli(args: string[]): Cli {
  const env = { ...process.env };
  delete env.PORT;
  delete env.AWS_ENDPOINT_URL;
  const child = spawn(TSX, ['local/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const waitFor = (pattern: RegExp, ms = START_TIMEOUT) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const m = out.match(pattern);
        if (!m) return false;
        cleanup();
        resolve(m);
        return true;
      };
      const onData = () => check();
      const onExit = () => {
        if (!check()) {
          cleanup();
          reject(new Error(`the CLI exited before ${pattern}:\n${out}\n${err}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${pattern} within ${ms} ms:\n${out}\n${err}`));
      }, ms);
      const cleanup = () => {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout!.on('data', onData);
      child.on('exit', onExit);
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitFor, exited };
}

/** Waits until a process this test started is gone (SIGTERM, then SIGKILL). */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await gone;
  clearTimeout(timer);
}

afterEach(async () => {
  for (const child of [...running]) await stop(child);
});

/** The banner's URLs: `API:  http://127.0.0.1:PORT/v1/` and `AWS endpoint:   http://127.0.0.1:PORT`. */
function bannerUrls(stdout: string): { api: string; endpoint: string } {
  const api = /^ {2}API:\s+(http:\/\/\S+?)\/?$/m.exec(stdout)?.[1];
  const endpoint = /^ {2}AWS endpoint:\s+(http:\/\/\S+)\s/m.exec(stdout)?.[1];
  if (!api || !endpoint) throw new Error(`no URLs in the banner:\n${stdout}`);
  return { api, endpoint };
}

/**
 * A GET to the API as its printed banner says to call it: SigV4-signed with the printed credentials, and the
 * printed API key when the stack has usage plans.
 */
async function apiGet(url: string, stdout: string): Promise<Response> {
  const apiKey = /export API_KEY=(\S+?)\)/.exec(stdout)?.[1];
  const headers = await signRequest({ method: 'GET', url, headers: apiKey ? { 'x-api-key': apiKey } : {} });
  return fetch(url, { headers });
}

const BANNER_END = /Local cloud ready in [\d.]+ s\n[\s\S]*?\n {2}Data: +.+\n(?: {2}Not emulated:\n(?: {4}- .+\n)+)?/;

test(
  'in memory on free ports: the banner, GET /orders → 200, the access log, SIGINT stops with exit code 0',
  async () => {
    const cli = startCli(['--in-memory', '--port', '0', '--endpoint-port', '0', '--no-schedules']);
    await cli.waitFor(BANNER_END);
    const out = cli.stdout();
    const { api, endpoint } = bannerUrls(out);
    expect(api).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    expect(api).not.toMatch(/:0\//);
    expect(endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(out).toContain(`${api}/orders`);
    expect(out).toContain(`${api}/customers`);
    expect(out).toContain(`(export AWS_ENDPOINT_URL=${endpoint})`);
    // The credentials SigV4 signatures are checked against (auth iam, the default): as the README's curl uses them.
    expect(out).toContain('  Sign with:      --aws-sigv4 "aws:amz:us-east-1:execute-api" --user local:local');
    // The default client's API key, the same on every start (derived from the template), ready to export.
    expect(out).toMatch(/^ {2}API key: +([0-9A-Za-z]{40}) +\(CrudApi-default: export API_KEY=\1\)$/m);
    expect(out).toMatch(/^ {2}Data: +in memory$/m);
    // What the template holds that does not run locally is said, never skipped silently.
    expect(out).toMatch(/^ {2}Not emulated:$/m);
    expect(out).toMatch(/^ {4}- AWS::IAM::Role \(\d+\): IAM is not enforced/m);
    // The app's alarms are evaluated on the local metrics: not listed as unemulated.
    expect(out).not.toMatch(/AWS::CloudWatch::Alarm \(\d+\): alarms are not evaluated/);

    const list = await apiGet(`${api}/orders`, out);
    expect(list.status).toBe(200);
    expect(list.headers.get('x-amzn-requestid')).toMatch(/^[0-9a-f-]{36}$/);
    const body = (await list.json()) as any;
    expect(body.items).toEqual([]);

    // The app customises MISSING_AUTHENTICATION_TOKEN (cdk/auth.ts): with auth iam an unknown route and an unsigned
    // request get the same 403 problem, which names both causes.
    const missing = await apiGet(`${api}/nothing-here`, out);
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as any).detail).toMatch(/no route for GET \/v1\/nothing-here$/);
    const unsigned = await fetch(`${api}/orders`);
    expect(unsigned.status).toBe(403);
    expect(((await unsigned.json()) as any).detail).toMatch(/^Missing Authentication Token: the request is not signed/);

    const health = await fetch(`${endpoint}/health`);
    expect(health.status).toBe(200);
    await health.text();

    // Access log lines (not --quiet).
    await cli.waitFor(/GET \/v1\/orders → 200 \(\d+ ms\)/, 10_000);

    cli.child.kill('SIGINT');
    const { code, signal } = await cli.exited;
    expect(cli.stdout()).toContain('SIGINT: stopping');
    expect({ code, signal, stderr: cli.stderr() }).toEqual({ code: 0, signal: null, stderr: expect.not.stringMatching(/Error/) });
    // The ports are released.
    await expect(fetch(`${api}/orders`)).rejects.toThrow();
  },
  START_TIMEOUT + 20_000,
);

test(
  '--data-dir persists into the folder, --quiet prints no access log, SIGTERM stops with exit code 0',
  async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-data-'));
    try {
      const cli = startCli(['--data-dir', dataDir, '--port', '0', '--endpoint-port', '0', '--no-schedules', '--quiet']);
      await cli.waitFor(BANNER_END);
      expect(cli.stdout()).toContain(`  Data:           ${dataDir}`);
      const { api } = bannerUrls(cli.stdout());
      const r = await apiGet(`${api}/orders`, cli.stdout());
      expect(r.status).toBe(200);
      await r.text();
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(cli.stdout()).not.toMatch(/GET \/v1\/orders →/);
      expect(fs.existsSync(path.join(dataDir, 'dynamodb'))).toBe(true);
      cli.child.kill('SIGTERM');
      const { code } = await cli.exited;
      expect(code).toBe(0);
      expect(cli.stdout()).toContain('SIGTERM: stopping');
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  },
  START_TIMEOUT + 20_000,
);

test('--help prints the usage with every option and exits 0 without starting anything', async () => {
  const cli = startCli(['--help']);
  const { code } = await cli.exited;
  expect(code).toBe(0);
  const out = cli.stdout();
  expect(out).toMatch(/^Usage: npm start -- \[options\]/);
  for (const flag of ['--port <n>', '--endpoint-port <n>', '--host <address>', '--data-dir <dir>', '--in-memory', '--no-schedules', '--no-throttling', '--quiet', '-h, --help']) {
    expect(out).toContain(flag);
  }
  expect(out).not.toContain('Local cloud ready');
  expect((await startCli(['-h']).exited).code).toBe(0);
}, 60_000);

describe('start-up failures exit 1 with a clear message', () => {
  let blocker: net.Server;
  let takenPort: number;

  beforeEach(async () => {
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    takenPort = (blocker.address() as net.AddressInfo).port;
  });

  afterEach(async () => {
    await new Promise((resolve) => blocker.close(resolve));
  });

  test(
    'the API port is taken',
    async () => {
      const cli = startCli(['--in-memory', '--port', String(takenPort), '--endpoint-port', '0', '--no-schedules']);
      const { code } = await cli.exited;
      expect(code).toBe(1);
      expect(cli.stderr()).toContain('npm start failed:');
      expect(cli.stderr()).toContain(`EADDRINUSE`);
      expect(cli.stderr()).toContain(String(takenPort));
      expect(cli.stderr()).toContain('A port is taken: pass --port / --endpoint-port, or stop the other process.');
      expect(cli.stdout()).not.toContain('Local cloud ready');
    },
    START_TIMEOUT,
  );

  test(
    'the endpoint port is taken',
    async () => {
      const cli = startCli(['--in-memory', '--port', '0', '--endpoint-port', String(takenPort), '--no-schedules']);
      const { code } = await cli.exited;
      expect(code).toBe(1);
      expect(cli.stderr()).toContain('A port is taken');
      expect(cli.stderr()).toContain(String(takenPort));
    },
    START_TIMEOUT,
  );
});

test('a port that is not a number, or an unknown option: exit 1 with the reason', async () => {
  const notNumber = startCli(['--port', 'abc']);
  expect((await notNumber.exited).code).toBe(1);
  expect(notNumber.stderr()).toContain('npm start failed: --port and --endpoint-port take numbers');
  const unknown = startCli(['--bogus']);
  expect((await unknown.exited).code).toBe(1);
  expect(unknown.stderr()).toMatch(/npm start failed: .*--bogus/);
}, 60_000);
