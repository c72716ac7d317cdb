/**
 * The CLI's exit codes and the errors that carry them. Scripts rely on the codes, so they are a
 * contract (docs/cli.md): every failure the CLI knows about ends as one CliError with one message line
 * (plus optional hint lines), never a stack trace.
 */
export const EXIT = {
  /** Everything asked for was done. */
  OK: 0,
  /** The operation ran but did not fully succeed (e.g. a redriven message was not applied), or the target refused it. */
  FAILED: 1,
  /** Bad command line: unknown command or option, bad flag syntax, unknown flag name. */
  USAGE: 2,
  /** A named thing does not exist: resource, request id, message id, stack. */
  NOT_FOUND: 3,
  /** The target could not be reached (local cloud not running, no network, no AWS credentials). */
  UNREACHABLE: 4,
} as const;

/**
 * `requests wait`: 0 applied, 1 rejected, 2 still not final at --timeout. The timeout shares its number with
 * USAGE (as the command was specified); a usage error is found before the first poll and says `error: …`.
 */
export const WAIT_EXIT = { APPLIED: EXIT.OK, REJECTED: EXIT.FAILED, TIMED_OUT: 2 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    /** Further lines: what to do about it. */
    readonly hints: string[] = [],
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, EXIT.USAGE, hints);
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, EXIT.NOT_FOUND, hints);
  }
}

export class UnreachableError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, EXIT.UNREACHABLE, hints);
  }
}

export class OperationFailedError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, EXIT.FAILED, hints);
  }
}

/** `requests wait` gave up: the request was still not final at --timeout. */
export class WaitTimeoutError extends CliError {
  constructor(message: string, hints: string[] = []) {
    super(message, WAIT_EXIT.TIMED_OUT, hints);
  }
}

/** Connection-level error codes of Node (net, dns) and undici (fetch). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
]);

/** The network error code somewhere in an error's cause chain (fetch wraps it: TypeError('fetch failed').cause), if any. */
export function networkErrorCode(error: unknown): string | undefined {
  for (let e: any = error, depth = 0; e && depth < 5; e = e.cause, depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    if (Array.isArray(e.errors)) {
      // AggregateError (happy eyeballs: one per address)
      const inner = e.errors.map(networkErrorCode).find(Boolean);
      if (inner) return inner;
    }
    if (e.name === 'TimeoutError' && depth > 0) return 'ETIMEDOUT';
    // Errors the SDK could not keep as they were (e.g. from another realm) survive only in the message:
    // "AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:4566".
    const named = /\b(?:connect|getaddrinfo|read|write) ([A-Z_]+)\b/.exec(typeof e.message === 'string' ? e.message : '');
    if (named && NETWORK_CODES.has(named[1])) return named[1];
  }
  return undefined;
}

/** AWS SDK v3 cannot find credentials: the AWS target cannot be reached either. */
export function isMissingCredentials(error: unknown): boolean {
  const e = error as { name?: string } | undefined;
  return e?.name === 'CredentialsProviderError' || /Could not load credentials/.test(String((error as Error)?.message));
}
