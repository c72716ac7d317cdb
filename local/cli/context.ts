/** What every command gets: where to write, whether to write JSON, and the target (created on first use). */
import { UsageError } from './errors';
import { parseDuration } from './format';
import type { Target } from './target';
import { EXECUTION_STATUSES } from './types';

export interface Writer {
  write(text: string): unknown;
}

export interface CliIO {
  stdout: Writer;
  stderr: Writer;
}

/** Time for the commands that poll (`requests wait`): injectable, so tests never wait for real. */
export interface CliClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: CliClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

export class CommandContext {
  private current?: Target;

  constructor(
    readonly io: CliIO,
    readonly json: boolean,
    private readonly createTarget: () => Target,
    readonly clock: CliClock = systemClock,
  ) {}

  get target(): Target {
    this.current ??= this.createTarget();
    return this.current;
  }

  /** The target if one was created (to close it and to explain its errors). */
  get createdTarget(): Target | undefined {
    return this.current;
  }

  out(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Progress and notes: stderr, so stdout stays the result (and valid JSON with --json). */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  printJson(value: unknown): void {
    this.io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// Option parsing shared by the commands (usage errors → exit 2)
// ---------------------------------------------------------------------------------------------

export function parseLimit(text: string | undefined, fallback: number, option = '--limit'): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${option} takes a whole number ≥ 1, got "${text}"`);
  return n;
}

export function parseStatus(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const status = text.toUpperCase().replace(/-/g, '_');
  if (!(EXECUTION_STATUSES as string[]).includes(status)) {
    throw new UsageError(`Unknown status "${text}"; one of: ${EXECUTION_STATUSES.join(', ')}`);
  }
  return status;
}

/** --since 15m / 2h / 7d / an ISO date → the Date from which to search. */
export function parseSince(text: string | undefined, now = Date.now()): Date | undefined {
  if (text === undefined) return undefined;
  const ms = parseDuration(text);
  if (ms !== undefined) return new Date(now - ms);
  const date = new Date(text);
  if (/^\d{4}-\d{2}-\d{2}/.test(text) && !Number.isNaN(date.getTime())) return date;
  throw new UsageError(`--since takes a duration (90s, 15m, 2h, 7d) or an ISO date, got "${text}"`);
}
