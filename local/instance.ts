/**
 * One local cloud per data folder, and how others find it: `<dataDir>/local-cloud.json` says which process
 * holds the folder and where it listens.
 *
 *   {"pid": 4242, "state": "running", "dataDir": "/abs/.local-cloud", "startedAt": "...",
 *    "apiUrl": "http://127.0.0.1:3000/v1", "endpointUrl": "http://127.0.0.1:4566", "consoleUrl": "..."}
 *
 * `npm start` claims the folder before opening anything in it (the file is created with an exclusive link, so
 * two starts cannot both win), fills in the URLs once both servers listen, and removes the file when it stops.
 * A file whose process is gone (a killed local cloud) is stale and taken over. The CLI reads the same file to
 * find the endpoint of the local cloud that runs on a folder.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const INSTANCE_FILE = 'local-cloud.json';

export interface InstanceInfo {
  pid: number;
  /** 'starting' until both servers listen. */
  state: 'starting' | 'running';
  /** Absolute data folder. */
  dataDir: string;
  startedAt: string;
  apiUrl?: string;
  endpointUrl?: string;
  consoleUrl?: string;
}

/** Another process (or another local cloud in this process) holds the data folder. */
export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
  constructor(
    readonly dataDir: string,
    readonly holder: Pick<InstanceInfo, 'pid' | 'state' | 'apiUrl' | 'endpointUrl'> | undefined,
  ) {
    super(describeHolder(dataDir, holder));
  }
}

function describeHolder(dataDir: string, holder: DataDirInUseError['holder']): string {
  if (!holder) return `Another process holds the data in ${dataDir} (its DynamoDB lock ${path.join(dataDir, 'dynamodb', 'LOCK')} is taken); stop it or use --data-dir`;
  const where = holder.state === 'running' ? `API ${holder.apiUrl ?? '(none)'}, endpoint ${holder.endpointUrl ?? '(none)'}` : 'still starting';
  return `Another local cloud (pid ${holder.pid}, ${where}) is using ${dataDir}; stop it or use --data-dir`;
}

export function instanceFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), INSTANCE_FILE);
}

/** The instance file of a folder as written, or undefined when there is none (or it is not one of ours). */
export function readInstance(dataDir: string): InstanceInfo | undefined {
  try {
    const info = JSON.parse(fs.readFileSync(instanceFile(dataDir), 'utf8')) as InstanceInfo;
    return Number.isInteger(info?.pid) && info.pid > 0 ? info : undefined;
  } catch {
    return undefined;
  }
}

/** True while a process with this id exists (EPERM: it exists, but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Folders claimed by local clouds of this process (absolute paths): same pid, yet not stale. */
const claimedHere = new Set<string>();

/** The local cloud that holds a folder now, if any (a file left by a process that is gone does not count). */
export function runningInstance(dataDir: string): InstanceInfo | undefined {
  const info = readInstance(dataDir);
  if (!info) return undefined;
  if (info.pid === process.pid) return claimedHere.has(path.resolve(dataDir)) ? info : undefined;
  return processAlive(info.pid) ? info : undefined;
}

export interface DataDirClaim {
  readonly dataDir: string;
  /** Records where the local cloud listens (state 'running'). */
  running(urls: { apiUrl: string; endpointUrl: string; consoleUrl: string }): void;
  /** Removes the instance file (if it is still ours). */
  release(): void;
}

/** Claims a data folder for this process, or throws DataDirInUseError naming the local cloud that holds it. */
export function claimDataDir(dataDir: string, now: () => Date = () => new Date()): DataDirClaim {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, INSTANCE_FILE);
  let info: InstanceInfo = { pid: process.pid, state: 'starting', dataDir: dir, startedAt: now().toISOString() };
  for (let attempt = 0; !createExclusive(file, info); attempt++) {
    const holder = runningInstance(dir);
    if (holder) throw new DataDirInUseError(dir, holder);
    if (attempt >= 2) throw new DataDirInUseError(dir, readInstance(dir));
    // Stale (its process is gone) or unreadable: taken over.
    fs.rmSync(file, { force: true });
  }
  claimedHere.add(dir);
  let released = false;
  return {
    dataDir: dir,
    running(urls) {
      if (released) return;
      info = { ...info, state: 'running', ...urls };
      const tmp = `${file}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
      fs.renameSync(tmp, file);
    },
    release() {
      if (released) return;
      released = true;
      claimedHere.delete(dir);
      if (readInstance(dir)?.pid === process.pid) fs.rmSync(file, { force: true });
    },
  };
}

/** Writes `info` to `file` only if no file is there, atomically (a complete file appears, or none). */
function createExclusive(file: string, info: InstanceInfo): boolean {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(info, null, 2)}\n`);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** True for LevelDB's "Database failed to open" caused by its LOCK file being held (another process). */
export function isLevelDbLockError(error: unknown): boolean {
  const e = error as { code?: string; message?: string; cause?: { message?: string } } | undefined;
  const text = `${e?.message ?? ''} ${e?.cause?.message ?? ''}`;
  return /Database failed to open/.test(text) && /\block\b/i.test(text);
}
