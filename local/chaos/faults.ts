/**
 * The faults of a chaos run, as rules for `/_local/faults` (local/services/faults.ts: a rule names a
 * service, an operation or '*', an AWS error code from the service's catalogue, a rate and a count).
 *
 * What the injector can and cannot do shapes the scenario:
 * - it fails a call with the service's real error before the call runs: nothing is written;
 * - `latencyMs` delays a call (then runs it): longer than the Task's TimeoutSeconds (1 s), the Task times
 *   out while the write still lands ("the answer did not come back in time"). Advancing the local cloud's
 *   clock while requests are in flight has the same effect (their Task timeouts fire early);
 * - it knows no Lambda service: the flags Lambda's invocation cannot be failed or throttled directly.
 *   Its failures are produced through AppConfigData (a cold flags instance that cannot read AppConfig
 *   throws FlagsUnavailable), and cold instances come from restarts and from load.
 */
import type { FaultRuleInput } from './admin';

/** Every throttling and 5xx error DynamoDB answers (local/services/errors.ts has them all). */
export const DYNAMODB_TRANSIENT_ERRORS = ['ProvisionedThroughputExceededException', 'ThrottlingException', 'RequestLimitExceeded', 'InternalServerError', 'ServiceUnavailable'] as const;

/** The per-rule rate that makes `n` independent rules fail a call with probability `total` together. */
export function splitRate(total: number, n: number): number {
  return 1 - Math.pow(1 - total, 1 / n);
}

export interface TransientFaultOptions {
  /** Share of DynamoDB calls failed, all error kinds together (default 0.3). */
  dynamodb?: number;
  /** Share of SQS SendMessage calls failed (the DLQ; default 0.3). */
  sqsSendMessage?: number;
  /** Share of AppConfigData calls failed (the flags Lambda's polls; default 0.4). */
  appConfigData?: number;
  /** Share of DynamoDB calls delayed by `slowMs` before they run (default 0.03). */
  slow?: number;
  /** The delay of a slow call (default 1500 ms: over the Tasks' 1 s timeout). */
  slowMs?: number;
}

/** Transient faults everywhere the write path goes: DynamoDB (every kind), the DLQ's SendMessage, AppConfigData. */
export function transientFaults(options: TransientFaultOptions = {}): FaultRuleInput[] {
  const dynamodb = options.dynamodb ?? 0.3;
  const sqs = options.sqsSendMessage ?? 0.3;
  const appconfig = options.appConfigData ?? 0.4;
  const slow = options.slow ?? 0.03;
  const rules: FaultRuleInput[] = [];
  // First: a slow call is not failed as well (the first rule that fires decides).
  if (slow > 0) rules.push({ id: 'transient-dynamodb-slow', service: 'dynamodb', operation: '*', latencyMs: options.slowMs ?? 1500, rate: slow });
  if (dynamodb > 0) {
    const rate = splitRate(dynamodb, DYNAMODB_TRANSIENT_ERRORS.length);
    for (const error of DYNAMODB_TRANSIENT_ERRORS) rules.push({ id: `transient-dynamodb-${error}`, service: 'dynamodb', operation: '*', error, rate });
  }
  if (sqs > 0) {
    const rate = splitRate(sqs, 3);
    for (const error of ['InternalError', 'ServiceUnavailable', 'RequestThrottled']) rules.push({ id: `transient-sqs-${error}`, service: 'sqs', operation: 'SendMessage', error, rate });
  }
  if (appconfig > 0) {
    const rate = splitRate(appconfig, 2);
    for (const error of ['ThrottlingException', 'InternalServerException']) rules.push({ id: `transient-appconfigdata-${error}`, service: 'appconfigdata', operation: '*', error, rate });
  }
  return rules;
}

/** A full DynamoDB outage: every operation fails with `error` (rotated through the transient kinds step by step). */
export function outageFaults(error: string): FaultRuleInput[] {
  return [{ id: `outage-dynamodb-${error}`, service: 'dynamodb', operation: '*', error, rate: 1 }];
}

/** Fired counts per rule id, accumulated across rule changes and restarts (the injector keeps none). */
export class FaultTally {
  readonly fired: Record<string, number> = {};

  add(rules: { id: string; fired: number }[]): void {
    for (const r of rules) this.fired[r.id] = (this.fired[r.id] ?? 0) + r.fired;
  }

  /** Totals per service and error, e.g. { 'dynamodb ThrottlingException': 123 }. */
  byError(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, n] of Object.entries(this.fired)) {
      const [, service, error] = /^(?:transient|outage)-(\w+)-(\w+)$/.exec(id) ?? [undefined, 'other', id];
      // 'slow' is the latency rule: a delayed call, not a failed one.
      const k = `${service} ${error}`;
      out[k] = (out[k] ?? 0) + n;
    }
    return out;
  }
}
