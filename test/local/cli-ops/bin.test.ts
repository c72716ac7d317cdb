/** The bin shim (local/cli/bin.cjs) runs main.ts through tsx as a real process, with real exit codes. */
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';

const BIN = path.join(__dirname, '../../../local/cli/bin.cjs');
const ROOT = path.join(__dirname, '../../..');

function node(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { PATH, HOME } = process.env;
  return spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { PATH, HOME, ...env } });
}

test('node local/cli/bin.cjs --help prints the usage and exits 0', () => {
  const result = node(['--help']);
  expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
  expect(result.stdout).toMatch(/^Usage: crud-ops \[options\] \[command\]/);
  expect(result.stdout).toMatch(/executions\s+Express executions/);
});

test('a command against a local cloud that is not running exits 4 with one error and no SDK noise', async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));

  const result = node(['dlq', 'list', 'orders'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` });

  expect(result.status).toBe(4);
  expect(result.stdout).toBe('');
  expect(result.stderr.split('\n')[0]).toBe(`error: Cannot reach the local cloud at http://127.0.0.1:${port} (ECONNREFUSED).`);
  expect(result.stderr).not.toMatch(/NodeVersionSupportWarning|\n\s+at /);
});

test('a usage error exits 2', () => {
  expect(node(['flags', 'set', 'nope=true']).status).toBe(2);
});
