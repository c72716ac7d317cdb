/**
 * One local cloud per data folder: `<dataDir>/local-cloud.json` (local/instance.ts) is claimed exclusively, names
 * its holder, and is taken over when its process is gone.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataDirInUseError, INSTANCE_FILE, claimDataDir, readInstance, runningInstance } from '../../local/instance';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'instance-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const URLS = { apiUrl: 'http://127.0.0.1:3001/v1', endpointUrl: 'http://127.0.0.1:4567', consoleUrl: 'http://127.0.0.1:4567/console/' };

function writeInstance(pid: number, extra: object = {}): void {
  fs.writeFileSync(path.join(dir, INSTANCE_FILE), JSON.stringify({ pid, state: 'running', dataDir: dir, startedAt: new Date().toISOString(), ...URLS, ...extra }));
}

/** A pid that no process has any more. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}

describe('claimDataDir', () => {
  it('writes the instance file (starting, then running with the URLs) and removes it on release', () => {
    const claim = claimDataDir(dir, () => new Date('2026-11-01T10:00:00Z'));
    expect(readInstance(dir)).toEqual({ pid: process.pid, state: 'starting', dataDir: dir, startedAt: '2026-11-01T10:00:00.000Z' });
    claim.running(URLS);
    expect(runningInstance(dir)).toEqual({ pid: process.pid, state: 'running', dataDir: dir, startedAt: '2026-11-01T10:00:00.000Z', ...URLS });
    claim.release();
    expect(fs.existsSync(path.join(dir, INSTANCE_FILE))).toBe(false);
    expect(runningInstance(dir)).toBeUndefined();
  });

  it('refuses a second claim while the first holds the folder, naming it', () => {
    const first = claimDataDir(dir);
    expect(() => claimDataDir(dir)).toThrow(new DataDirInUseError(dir, { pid: process.pid, state: 'starting' }));
    expect(() => claimDataDir(dir)).toThrow(`Another local cloud (pid ${process.pid}, still starting) is using ${dir}; stop it or use --data-dir`);
    first.running(URLS);
    expect(() => claimDataDir(dir)).toThrow(`Another local cloud (pid ${process.pid}, API ${URLS.apiUrl}, endpoint ${URLS.endpointUrl}) is using ${dir}; stop it or use --data-dir`);
    first.release();
    claimDataDir(dir).release();
  });

  describe('with a file written by another process', () => {
    let other: ChildProcess | undefined;
    afterEach(() => {
      other?.kill();
      other = undefined;
    });

    it('refuses while that process lives', async () => {
      other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
      writeInstance(other.pid!);
      expect(() => claimDataDir(dir)).toThrow(`Another local cloud (pid ${other.pid}, API ${URLS.apiUrl}, endpoint ${URLS.endpointUrl}) is using ${dir}; stop it or use --data-dir`);
      expect(runningInstance(dir)?.pid).toBe(other.pid);
    });

    it('takes it over once that process is gone (a killed local cloud), and leaves a file that is not its own on release', () => {
      writeInstance(deadPid());
      expect(runningInstance(dir)).toBeUndefined();
      const claim = claimDataDir(dir);
      expect(readInstance(dir)?.pid).toBe(process.pid);
      writeInstance(deadPid()); // someone replaced it meanwhile
      claim.release();
      expect(fs.existsSync(path.join(dir, INSTANCE_FILE))).toBe(true);
    });

    it('takes over an unreadable file', () => {
      fs.writeFileSync(path.join(dir, INSTANCE_FILE), 'not json');
      claimDataDir(dir).release();
    });
  });

  it('creates the folder when it does not exist yet', () => {
    const nested = path.join(dir, 'a', 'b');
    claimDataDir(nested).release();
    expect(fs.existsSync(nested)).toBe(true);
  });
});
