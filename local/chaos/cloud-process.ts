/**
 * The local cloud as a child process (`node --import tsx local/main.ts`), so that a chaos run can kill it
 * with SIGKILL and start it again on the same data folder, as a crash and a restart would.
 *
 * The first start takes free ports (`--port 0 --endpoint-port 0`); restarts reuse the same ports, so that
 * clients keep their URLs. The URLs are read from the banner main.ts prints once the cloud is ready.
 * The child runs in its own process group (detached): a kill takes the whole group, and the group is
 * killed if this process exits without stopping it.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../../cdk/paths';

export interface CloudUrls {
  /** e.g. http://127.0.0.1:3000/v1 (no trailing slash) */
  apiUrl: string;
  /** e.g. http://127.0.0.1:4566 */
  endpointUrl: string;
  /** The first API key npm start prints (every method wants it as x-api-key), when the template has one. */
  apiKey?: string;
}

export interface CloudProcessOptions {
  dataDir: string;
  /** Where the child's stdout/stderr are appended (default: <dataDir>/../cloud.log). */
  logFile?: string;
  /** Longest wait for the banner (default 180 s: a first start may synthesize the CDK app). */
  startTimeoutMs?: number;
  /** Run the template's schedules (default true). */
  schedules?: boolean;
}

export class CloudProcess {
  private child?: ChildProcess;
  private exited?: Promise<void>;
  private ports?: { api: number; endpoint: number };
  private readonly logFile: string;
  private readonly onExit = () => this.killGroup();
  /** Number of starts so far (1 after the first start). */
  starts = 0;
  urls?: CloudUrls;

  constructor(private readonly options: CloudProcessOptions) {
    this.logFile = options.logFile ?? path.join(path.dirname(options.dataDir), 'cloud.log');
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<CloudUrls> {
    if (this.child) throw new Error('The local cloud is already running');
    const args = [
      '--import',
      'tsx',
      path.join(ROOT, 'local', 'main.ts'),
      '--port',
      String(this.ports?.api ?? 0),
      '--endpoint-port',
      String(this.ports?.endpoint ?? 0),
      '--data-dir',
      this.options.dataDir,
      '--quiet',
      // The workload runs past the stage's and the clients' throttles (429 is not a fault under test).
      '--no-throttling',
      ...(this.options.schedules === false ? ['--no-schedules'] : []),
    ];
    const log = fs.openSync(this.logFile, 'a');
    fs.writeSync(log, `\n=== start ${this.starts + 1} at ${new Date().toISOString()}: node ${args.join(' ')}\n`);
    const child = spawn(process.execPath, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    this.child = child;
    process.once('exit', this.onExit);
    this.exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    let banner = '';
    child.stderr!.on('data', (c: Buffer) => fs.writeSync(log, c));
    const ready = new Promise<CloudUrls>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`The local cloud printed no URLs within ${this.options.startTimeoutMs ?? 180_000} ms (see ${this.logFile})`)), this.options.startTimeoutMs ?? 180_000);
      child.stdout!.on('data', (c: Buffer) => {
        fs.writeSync(log, c);
        if (banner.length > 100_000) return;
        banner += c.toString('utf8');
        const api = /API:\s+(http:\/\/\S+?)\/?\s/.exec(banner);
        const endpoint = /AWS endpoint:\s+(http:\/\/\S+?)\/?\s/.exec(banner);
        if (api && endpoint) {
          clearTimeout(timer);
          const key = /API key:\s+(\S+)/.exec(banner);
          resolve({ apiUrl: api[1].replace(/\/$/, ''), endpointUrl: endpoint[1].replace(/\/$/, ''), ...(key ? { apiKey: key[1] } : {}) });
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`The local cloud exited before it was ready (code ${code}, signal ${signal}; see ${this.logFile})`));
      });
    });
    try {
      this.urls = await ready;
    } catch (error) {
      this.killGroup();
      await this.exited;
      this.child = undefined;
      fs.closeSync(log);
      throw error;
    }
    child.once('exit', () => fs.closeSync(log));
    this.ports = { api: Number(new URL(this.urls.apiUrl).port), endpoint: Number(new URL(this.urls.endpointUrl).port) };
    this.starts++;
    return this.urls;
  }

  /** Appends a marker line to the cloud's log (the run's events between the cloud's own lines). */
  note(line: string): void {
    fs.appendFileSync(this.logFile, `=== chaos ${new Date().toISOString()}: ${line}\n`);
  }

  /** kill -9 of the whole process group; resolves once the child is gone. */
  async kill(): Promise<void> {
    if (!this.child) return;
    this.killGroup();
    await this.exited;
    this.child = undefined;
    process.removeListener('exit', this.onExit);
  }

  /** SIGTERM (main.ts flushes and exits), SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.child) return;
    const child = this.child;
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => this.killGroup(), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    this.child = undefined;
    process.removeListener('exit', this.onExit);
  }

  private killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
