/**
 * A second local cloud on the same data folder is refused with the first one named (pid, API, endpoint), instead of
 * LevelDB's "Database failed to open"; the folder is free again once the first stops. Also as a real second
 * `npm start` process (local/main.ts), since that is what a newcomer runs.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LocalServices } from '../../local/services';
import { INSTANCE_FILE } from '../../local/instance';
import { Api, LocalCloud, startTestCloud, tempDir } from './helpers';

const ROOT = path.join(__dirname, '../..');

describe('one local cloud per data folder', () => {
  const dataDir = tempDir('lock-');
  let cloud: LocalCloud | undefined;

  afterAll(async () => {
    await cloud?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const inUse = (c: LocalCloud) => `Another local cloud (pid ${process.pid}, API ${c.apiUrl}, endpoint ${c.endpointUrl}) is using ${dataDir}; stop it or use --data-dir`;

  it('writes <dataDir>/local-cloud.json with its pid and URLs while it runs', async () => {
    cloud = await startTestCloud({ inMemory: false, dataDir });
    expect(JSON.parse(fs.readFileSync(path.join(dataDir, INSTANCE_FILE), 'utf8'))).toEqual({
      pid: process.pid,
      state: 'running',
      dataDir,
      startedAt: expect.any(String),
      apiUrl: cloud.apiUrl,
      endpointUrl: cloud.endpointUrl,
      consoleUrl: cloud.consoleUrl,
    });
  });

  it('refuses a second local cloud on the folder, naming the first, which keeps working', async () => {
    await expect(startTestCloud({ inMemory: false, dataDir })).rejects.toThrow(inUse(cloud!));
    expect((await new Api(cloud!.apiUrl).get('/orders/none')).status).toBe(404);
    expect(fs.existsSync(path.join(dataDir, INSTANCE_FILE))).toBe(true);
  });

  it('a second `npm start` process says the same and exits 1', () => {
    const result = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'local/main.ts', '--data-dir', dataDir, '--port', '0', '--endpoint-port', '0', '--quiet'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(`npm start failed: ${inUse(cloud!)}`);
  });

  it('frees the folder when it stops: the file is removed and a new local cloud starts on it', async () => {
    await cloud!.stop();
    cloud = undefined;
    expect(fs.existsSync(path.join(dataDir, INSTANCE_FILE))).toBe(false);
    cloud = await startTestCloud({ inMemory: false, dataDir });
    expect((await new Api(cloud.apiUrl).get('/orders/none')).status).toBe(404);
    await cloud.stop();
    cloud = undefined;
  });

  it('names the DynamoDB lock when a process that writes no local-cloud.json holds the data', async () => {
    const holder = await LocalServices.open({ dataDir });
    try {
      await expect(startTestCloud({ inMemory: false, dataDir })).rejects.toThrow(
        `Another process holds the data in ${dataDir} (its DynamoDB lock ${path.join(dataDir, 'dynamodb', 'LOCK')} is taken); stop it or use --data-dir`,
      );
      expect(fs.existsSync(path.join(dataDir, INSTANCE_FILE))).toBe(false);
    } finally {
      await holder.close();
    }
  });
});
