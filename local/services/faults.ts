/**
 * Fault injection for the local AWS services.
 *
 * A rule names a service, an operation (or '*') and the AWS error code to produce. Each matching call fails with
 * probability `rate` (default 1), at most `count` times (default: unlimited); a spent rule is removed.
 * The error is an {@link AwsError} from the service's catalogue, so it renders with that service's real status and
 * wire shape (DynamoDB throttling: 400 `...#ProvisionedThroughputExceededException`; InternalServerError: 500).
 *
 * The same injector is checked by every in-process `call()` and therefore by the HTTP endpoint too.
 */
import { randomUUID } from 'node:crypto';
import { AwsError, ServiceName, normalizeServiceName } from './errors';

export interface FaultRule {
  /** Assigned when omitted. */
  id?: string;
  /** 'dynamodb' | 'sqs' | 'appconfigdata' | 'stepfunctions' | 'events' (aliases: states, sfn, eventbridge, appconfig), or '*'. */
  service: string;
  /** API operation name, e.g. 'PutItem', 'SendMessage', 'GetLatestConfiguration'; '*' or omitted for all. */
  operation?: string;
  /** Only calls on this DynamoDB table (its TableName); omitted for all. */
  table?: string;
  /** AWS error code, e.g. 'ProvisionedThroughputExceededException', 'InternalServerError'. Optional with `latencyMs`. */
  error?: string;
  /**
   * Delay the call this long (ms) before it runs (or fails with `error`): a slow service, so a Task's
   * TimeoutSeconds fires while the write may still land. Honoured by DynamoDB calls.
   */
  latencyMs?: number;
  /** Overrides the catalogue's default message. */
  message?: string;
  /** Overrides the catalogue's HTTP status. */
  httpStatus?: number;
  /** Probability 0..1 that a matching call fails (default 1). */
  rate?: number;
  /** Fail at most this many calls, then drop the rule (default unlimited). */
  count?: number;
}

export interface ActiveFaultRule {
  id: string;
  service: ServiceName | '*';
  operation: string;
  table?: string;
  error?: string;
  latencyMs?: number;
  message?: string;
  httpStatus?: number;
  rate: number;
  /** Remaining failures, undefined = unlimited. */
  remaining?: number;
  /** How many calls this rule has failed so far. */
  fired: number;
}

export interface FaultInjectorOptions {
  /** Random source in [0, 1), injectable for deterministic tests. */
  random?: () => number;
}

export class FaultRuleError extends Error {
  override name = 'FaultRuleError';
}

export class FaultInjector {
  private rules: ActiveFaultRule[] = [];
  private readonly random: () => number;

  constructor(options: FaultInjectorOptions = {}) {
    this.random = options.random ?? Math.random;
  }

  /** Validates and adds a rule; throws {@link FaultRuleError} saying what was wrong. */
  add(rule: FaultRule): ActiveFaultRule {
    const active = validateRule(rule);
    this.rules = this.rules.filter((r) => r.id !== active.id);
    this.rules.push(active);
    return { ...active };
  }

  /** Adds several rules, validating all before adding any. */
  addAll(rules: FaultRule[]): ActiveFaultRule[] {
    const validated = rules.map(validateRule);
    const ids = new Set(validated.map((r) => r.id));
    this.rules = [...this.rules.filter((r) => !ids.has(r.id)), ...validated];
    return validated.map((r) => ({ ...r }));
  }

  /** Replaces every rule (validating all before changing anything). */
  set(rules: FaultRule[]): ActiveFaultRule[] {
    const validated = rules.map(validateRule);
    this.rules = validated;
    return this.list();
  }

  remove(id: string): boolean {
    const before = this.rules.length;
    this.rules = this.rules.filter((r) => r.id !== id);
    return this.rules.length !== before;
  }

  clear(): void {
    this.rules = [];
  }

  list(): ActiveFaultRule[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The error the first firing rule produces for this call, or undefined. Consumes one `count`. */
  next(service: ServiceName, operation: string): AwsError | undefined {
    return this.fire(service, operation)?.error;
  }

  /** Like check(), and waits first when the firing rule has `latencyMs`. `table` is the call's TableName, if any. */
  async checkAsync(service: ServiceName, operation: string, table?: string): Promise<void> {
    const fired = this.fire(service, operation, table);
    if (!fired) return;
    if (fired.latencyMs) await new Promise((resolve) => setTimeout(resolve, fired.latencyMs));
    if (fired.error) throw fired.error;
  }

  /** The first rule that fires for this call: its error (if any) and latency. Consumes one `count`. */
  private fire(service: ServiceName, operation: string, table?: string): { error?: AwsError; latencyMs?: number } | undefined {
    if (this.rules.length === 0) return undefined;
    const op = operation.toLowerCase();
    for (const rule of this.rules) {
      if (rule.service !== '*' && rule.service !== service) continue;
      if (rule.table !== undefined && rule.table !== table) continue;
      if (rule.operation !== '*' && rule.operation.toLowerCase() !== op) continue;
      if (rule.rate < 1 && this.random() >= rule.rate) continue;
      rule.fired++;
      if (rule.remaining !== undefined) {
        rule.remaining--;
        if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
      }
      if (rule.error === undefined) return { latencyMs: rule.latencyMs };
      const err = AwsError.of(service, rule.error, rule.message);
      if (rule.httpStatus !== undefined) {
        return { latencyMs: rule.latencyMs, error: new AwsError(err.code, err.message, { service, httpStatus: rule.httpStatus, type: err.type, queryCode: err.queryCode }) };
      }
      return { latencyMs: rule.latencyMs, error: err };
    }
    return undefined;
  }

  /** Throws the injected error, if a rule fires for this call. */
  check(service: ServiceName, operation: string): void {
    const err = this.next(service, operation);
    if (err) throw err;
  }
}

function validateRule(rule: FaultRule): ActiveFaultRule {
  if (!rule || typeof rule !== 'object') throw new FaultRuleError('A fault rule must be an object');
  const service = rule.service === '*' ? '*' : typeof rule.service === 'string' ? normalizeServiceName(rule.service) : undefined;
  if (!service) {
    throw new FaultRuleError(`Unknown service ${JSON.stringify(rule.service)}: expected dynamodb, sqs, appconfigdata, stepfunctions, events or *`);
  }
  if (rule.latencyMs !== undefined && (typeof rule.latencyMs !== 'number' || !(rule.latencyMs > 0 && rule.latencyMs <= 60_000))) {
    throw new FaultRuleError(`"latencyMs" must be a number of milliseconds from 1 to 60000, got ${JSON.stringify(rule.latencyMs)}`);
  }
  if (rule.error === undefined ? rule.latencyMs === undefined : typeof rule.error !== 'string' || !/^[A-Za-z][\w.]*$/.test(rule.error)) {
    throw new FaultRuleError(`A fault rule needs an AWS error code in "error" (or a "latencyMs"), got ${JSON.stringify(rule.error)}`);
  }
  const operation = rule.operation ?? '*';
  if (typeof operation !== 'string' || operation === '') throw new FaultRuleError(`"operation" must be an operation name or "*", got ${JSON.stringify(rule.operation)}`);
  const rate = rule.rate ?? 1;
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1)) throw new FaultRuleError(`"rate" must be a number from 0 to 1, got ${JSON.stringify(rule.rate)}`);
  if (rule.count !== undefined && (!Number.isInteger(rule.count) || rule.count < 1)) {
    throw new FaultRuleError(`"count" must be a positive integer, got ${JSON.stringify(rule.count)}`);
  }
  if (rule.httpStatus !== undefined && (!Number.isInteger(rule.httpStatus) || rule.httpStatus < 400 || rule.httpStatus > 599)) {
    throw new FaultRuleError(`"httpStatus" must be an integer from 400 to 599, got ${JSON.stringify(rule.httpStatus)}`);
  }
  if (rule.message !== undefined && typeof rule.message !== 'string') throw new FaultRuleError('"message" must be a string');
  if (rule.table !== undefined && (typeof rule.table !== 'string' || rule.table === '')) throw new FaultRuleError('"table" must be a table name');
  return {
    id: typeof rule.id === 'string' && rule.id ? rule.id : randomUUID(),
    service,
    operation,
    ...(rule.table !== undefined ? { table: rule.table } : {}),
    error: rule.error,
    ...(rule.latencyMs !== undefined ? { latencyMs: rule.latencyMs } : {}),
    message: rule.message,
    httpStatus: rule.httpStatus,
    rate,
    remaining: rule.count,
    fired: 0,
  };
}
