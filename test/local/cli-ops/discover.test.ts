/**
 * Without --endpoint or AWS_ENDPOINT_URL, the CLI finds the endpoint of the local cloud running on the data folder
 * (`<dataDir>/local-cloud.json`, --data-dir or .local-cloud) and says on stderr which endpoint it used and why.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';
import { chooseEndpoint } from '../../../local/cli/discover';
import { EXIT } from '../../../local/cli/errors';
import { INSTANCE_FILE, claimDataDir } from '../../../local/instance';
import { runCli } from './fakes';

let workDir: string;
beforeAll(() => {
  workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-discover-'));
});
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

describe('chooseEndpoint', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(workDir, 'data-'));
  });

  it('takes --endpoint, then AWS_ENDPOINT_URL, as told, without a note', () => {
    expect(chooseEndpoint({ endpoint: 'http://a:1', dataDir: dir, env: { AWS_ENDPOINT_URL: 'http://b:2' } })).toEqual({ endpoint: 'http://a:1' });
    expect(chooseEndpoint({ dataDir: dir, env: { AWS_ENDPOINT_URL: 'http://b:2' } })).toEqual({ endpoint: 'http://b:2' });
  });

  it('uses the running local cloud of the folder and says so', () => {
    const claim = claimDataDir(dir);
    try {
      expect(chooseEndpoint({ dataDir: dir, env: {} }).note).toBe(
        `Using http://127.0.0.1:4566: the local cloud on ${dir} (pid ${process.pid}) is still starting (pass --endpoint, AWS_ENDPOINT_URL or --data-dir).`,
      );
      claim.running({ apiUrl: 'http://127.0.0.1:3999/v1', endpointUrl: 'http://127.0.0.1:4999', consoleUrl: 'http://127.0.0.1:4999/console/' });
      expect(chooseEndpoint({ dataDir: dir, env: {} })).toEqual({
        endpoint: 'http://127.0.0.1:4999',
        note: `Using the local cloud at http://127.0.0.1:4999 (pid ${process.pid}, from ${path.join(dir, INSTANCE_FILE)}).`,
      });
    } finally {
      claim.release();
    }
  });

  it('falls back to :4566 when no local cloud runs on the folder, or its file is stale, and says why', () => {
    expect(chooseEndpoint({ dataDir: dir, env: {} })).toEqual({
      endpoint: 'http://127.0.0.1:4566',
      note: `Using http://127.0.0.1:4566: no local cloud is running on ${dir} (pass --endpoint, AWS_ENDPOINT_URL or --data-dir).`,
    });
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    fs.writeFileSync(path.join(dir, INSTANCE_FILE), JSON.stringify({ pid: gone, state: 'running', endpointUrl: 'http://127.0.0.1:4998' }));
    expect(chooseEndpoint({ dataDir: dir, env: {} }).note).toBe(
      `Using http://127.0.0.1:4566: ${path.join(dir, INSTANCE_FILE)} names a local cloud that is no longer running (pass --endpoint, AWS_ENDPOINT_URL or --data-dir).`,
    );
  });

  it('looks for .local-cloud in the working directory by default', () => {
    expect(chooseEndpoint({ env: {}, cwd: dir }).note).toContain('no local cloud is running on .local-cloud');
  });
});

describe('crud-ops against the local cloud it discovered', () => {
  let cloud: LocalCloud;
  const dataDir = () => path.join(workDir, '.local-cloud');

  beforeAll(async () => {
    cloud = await startLocalCloud({ dataDir: dataDir(), port: 0, endpointPort: 0, schedules: false, log: () => {} });
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('finds the endpoint from --data-dir and names it on stderr, stdout unchanged', async () => {
    const { code, stdout, stderr } = await runCli(['--data-dir', dataDir(), 'flags', 'get', 'readOnly']);
    expect({ code, stdout }).toEqual({ code: EXIT.OK, stdout: 'readOnly=false\n' });
    expect(stderr).toBe(`Using the local cloud at ${cloud.endpointUrl} (pid ${process.pid}, from ${path.join(dataDir(), INSTANCE_FILE)}).\n`);
  });

  it('finds it in ./.local-cloud without options, and keeps --json output valid', async () => {
    const { code, json, stderr } = await runCli(['--json', 'flags', 'get'], { cwd: workDir });
    expect(code).toBe(EXIT.OK);
    expect(json).toMatchObject({ flags: expect.objectContaining({ readOnly: false }) });
    expect(stderr).toBe(`Using the local cloud at ${cloud.endpointUrl} (pid ${process.pid}, from ${path.join('.local-cloud', INSTANCE_FILE)}).\n`);
  });

  it('says nothing when told the endpoint', async () => {
    const { code, stderr } = await runCli(['flags', 'get', 'readOnly'], { env: { AWS_ENDPOINT_URL: cloud.endpointUrl }, cwd: workDir });
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
  });

  it('--data-dir with --aws is a usage error', async () => {
    expect(await runCli(['--aws', '--data-dir', dataDir(), 'flags', 'get'])).toMatchObject({ code: EXIT.USAGE, stderr: 'error: --data-dir is for the local cloud, not --aws\n' });
  });
});
