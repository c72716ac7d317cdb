/**
 * Append-only JSON-lines logs: the durable store behind SQS, AppConfig and the EventBridge recorder.
 *
 * Every `append` is a synchronous `write(2)` before the caller acknowledges, so an acknowledged change survives a
 * crash of this process (the kernel holds the page). Pass `fsync: true` to survive an OS crash as well, at a cost.
 * On open, a log is replayed (a torn last line from a crash mid-write is ignored) and usually compacted:
 * the current state is written to a temporary file, fsynced and renamed over the log.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface RecordLog {
  append(record: object): void;
  close(): void;
}

/** A log that keeps nothing (in-memory mode). */
export const NULL_LOG: RecordLog = { append() {}, close() {} };

export interface LogOptions {
  /** fsync after every append (default false: write(2) only, which survives a process crash). */
  fsync?: boolean;
}

/** Reads every complete record of a JSON-lines file; a missing file is empty, a torn or corrupt line is skipped. */
export function readRecords<T = Record<string, unknown>>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch {
      // A crash while writing leaves at most one partial line; it was never acknowledged.
    }
  }
  return out;
}

/** Atomically replaces `file` with `records` (temp file, fsync, rename, fsync of the directory). */
export function writeRecordsAtomically(file: string, records: readonly object[]): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    const text = records.map((r) => JSON.stringify(r) + '\n').join('');
    if (text) fs.writeSync(fd, text);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

/** Opens `file` for appending (creating it and its folder). */
export function openAppendLog(file: string, options: LogOptions = {}): RecordLog {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let fd: number | undefined = fs.openSync(file, 'a');
  return {
    append(record: object) {
      if (fd === undefined) throw new Error(`Log ${file} is closed`);
      fs.writeSync(fd, JSON.stringify(record) + '\n');
      if (options.fsync) fs.fsyncSync(fd);
    },
    close() {
      if (fd !== undefined) {
        fs.closeSync(fd);
        fd = undefined;
      }
    },
  };
}

/** Rewrites the log with the compacted `records` and opens it for appending. */
export function compactAndOpen(file: string, records: readonly object[], options: LogOptions = {}): RecordLog {
  writeRecordsAtomically(file, records);
  return openAppendLog(file, options);
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Not supported everywhere (e.g. some platforms refuse fsync on directories); the rename is still atomic.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
