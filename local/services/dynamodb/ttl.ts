/**
 * DynamoDB Time to Live, which dynalite lacks: a table's TTL attribute (from the template's
 * `TimeToLiveSpecification` or `UpdateTimeToLive`) holds an expiry time in epoch seconds, and a sweeper deletes
 * the items whose time has passed. As on AWS:
 *   - only a Number attribute counts (a String, or no attribute, never expires);
 *   - an expiry more than five years in the past is ignored;
 *   - deletion is a background job, so an expired item not swept yet can still be read (filter on the
 *     attribute when that matters);
 *   - an item whose attribute was moved to the future since the sweep read it is kept (conditional delete).
 * The sweep runs every minute of the clock's time and right after each advance of the local cloud's clock.
 * Settings made with UpdateTimeToLive persist in `<dataDir>/dynamodb-ttl.json`.
 */
import * as fs from 'node:fs';
import { AwsError } from '../errors';
import type { FaultInjector } from '../faults';
import { timeToLiveFromCloudFormation } from './cloudformation';
import type { DynamoDbService } from './index';

type Call = (action: string, request: object) => Promise<any>;

export interface TimeToLiveOptions {
  /** Clock, epoch ms. */
  now: () => number;
  /** Starts a timer on the same clock; returns its cancel function. Without one, sweeps run only when asked. */
  timer?: (ms: number, fn: () => unknown) => () => void;
  /** Where UpdateTimeToLive settings persist; in memory when omitted. */
  file?: string;
  faults?: FaultInjector;
  /** Default one minute. */
  sweepEveryMs?: number;
  /** Where sweep failures are reported (default console.warn); the next sweep tries again. */
  log?: (line: string) => void;
}

const FIVE_YEARS_S = 5 * 365 * 24 * 3600;

export class TimeToLive {
  /** Table name → TTL attribute name, for the tables with TTL enabled. */
  private readonly attributes = new Map<string, string>();
  private cancelTimer?: () => void;
  private sweeping?: Promise<number>;
  private closed = false;

  /** `call` runs DynamoDB operations (the service's own `call`, before TTL is added to it). */
  constructor(
    private readonly call: Call,
    private readonly options: TimeToLiveOptions,
  ) {
    if (options.file && fs.existsSync(options.file)) {
      const saved = JSON.parse(fs.readFileSync(options.file, 'utf8')) as Record<string, string>;
      for (const [table, attribute] of Object.entries(saved)) this.attributes.set(table, attribute);
    }
    this.arm();
  }

  /**
   * Adds TTL to a DynamoDB service: `UpdateTimeToLive` and `DescribeTimeToLive` answer from here, a deleted
   * table forgets its setting, and a table made from CloudFormation properties takes its
   * `TimeToLiveSpecification` (no longer listed as ignored). Every other call goes to dynalite as before.
   */
  static install(dynamodb: DynamoDbService, options: TimeToLiveOptions): TimeToLive {
    const call = dynamodb.call.bind(dynamodb);
    const createTable = dynamodb.createTableFromCloudFormation.bind(dynamodb);
    const ttl = new TimeToLive(call, options);
    dynamodb.call = (action: string, request: object = {}) => {
      if (action === 'UpdateTimeToLive') return ttl.update(request);
      if (action === 'DescribeTimeToLive') return ttl.describe(request);
      if (action === 'DeleteTable') return call(action, request).then((out) => (ttl.set(String((request as { TableName?: unknown }).TableName), undefined), out));
      return call(action, request);
    };
    dynamodb.createTableFromCloudFormation = async (properties, createOptions) => {
      const result = await createTable(properties, createOptions);
      ttl.set(result.ref, timeToLiveFromCloudFormation(properties));
      return { ...result, ignored: result.ignored.filter((p) => p !== 'TimeToLiveSpecification') };
    };
    return ttl;
  }

  /** The TTL attribute of a table, undefined when TTL is off. */
  attributeOf(table: string): string | undefined {
    return this.attributes.get(table);
  }

  /** Turns TTL on (with its attribute) or off (undefined) for a table. */
  set(table: string, attributeName: string | undefined): void {
    if (this.attributes.get(table) === attributeName) return;
    if (attributeName === undefined) this.attributes.delete(table);
    else this.attributes.set(table, attributeName);
    if (this.options.file) {
      // Whole or not at all: a crash mid-write must not leave a file the next start cannot read.
      fs.writeFileSync(`${this.options.file}.tmp`, JSON.stringify(Object.fromEntries(this.attributes)));
      fs.renameSync(`${this.options.file}.tmp`, this.options.file);
    }
    this.arm();
  }

  /**
   * Deletes every expired item of every table with TTL; resolves with how many. A sweep asked for while one
   * runs joins it.
   */
  sweep(): Promise<number> {
    if (this.closed || this.attributes.size === 0) return Promise.resolve(0);
    this.sweeping ??= this.sweepTables().finally(() => {
      this.sweeping = undefined;
      this.arm();
    });
    return this.sweeping;
  }

  close(): void {
    this.closed = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  private async update(request: Record<string, any>): Promise<unknown> {
    this.options.faults?.check('dynamodb', 'UpdateTimeToLive');
    const table = await this.requireTable(request.TableName);
    const spec = request.TimeToLiveSpecification;
    if (!spec || typeof spec.Enabled !== 'boolean' || typeof spec.AttributeName !== 'string' || spec.AttributeName.length < 1 || spec.AttributeName.length > 255) {
      throw validation('1 validation error detected: TimeToLiveSpecification must have Enabled (boolean) and AttributeName (1 to 255 characters)');
    }
    const current = this.attributes.get(table);
    if (spec.Enabled) {
      if (current === spec.AttributeName) throw validation('TimeToLive is already enabled');
      if (current !== undefined) throw validation(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
      this.set(table, spec.AttributeName);
    } else {
      if (current === undefined) throw validation('TimeToLive is already disabled');
      if (current !== spec.AttributeName) throw validation(`TimeToLive is active on a different AttributeName: current AttributeName is ${current}`);
      this.set(table, undefined);
    }
    return { TimeToLiveSpecification: { Enabled: spec.Enabled, AttributeName: spec.AttributeName } };
  }

  private async describe(request: Record<string, any>): Promise<unknown> {
    this.options.faults?.check('dynamodb', 'DescribeTimeToLive');
    const table = await this.requireTable(request.TableName);
    const attribute = this.attributes.get(table);
    return { TimeToLiveDescription: attribute === undefined ? { TimeToLiveStatus: 'DISABLED' } : { TimeToLiveStatus: 'ENABLED', AttributeName: attribute } };
  }

  private async requireTable(name: unknown): Promise<string> {
    if (typeof name !== 'string' || name.length < 3) throw validation('1 validation error detected: Value at \'tableName\' failed to satisfy constraint: Member must have length greater than or equal to 3');
    await this.call('DescribeTable', { TableName: name }); // ResourceNotFoundException when missing
    return name;
  }

  private async sweepTables(): Promise<number> {
    let deleted = 0;
    for (const [table, attribute] of [...this.attributes]) {
      try {
        deleted += await this.sweepTable(table, attribute);
      } catch (error) {
        if (error instanceof AwsError && error.code === 'ResourceNotFoundException') this.set(table, undefined);
        else (this.options.log ?? console.warn)(`DynamoDB TTL sweep of ${table} failed (tried again at the next sweep): ${(error as Error)?.message ?? error}`);
      }
    }
    return deleted;
  }

  private async sweepTable(table: string, attribute: string): Promise<number> {
    const keys: string[] = (await this.call('DescribeTable', { TableName: table })).Table.KeySchema.map((k: { AttributeName: string }) => k.AttributeName);
    const nowSeconds = this.options.now() / 1000;
    const names: Record<string, string> = { '#ttl': attribute };
    keys.forEach((k, i) => (names[`#k${i}`] = k));
    const expired = {
      ConditionExpression: '#ttl < :now AND #ttl >= :oldest',
      ExpressionAttributeNames: { '#ttl': attribute },
      ExpressionAttributeValues: { ':now': { N: String(nowSeconds) }, ':oldest': { N: String(nowSeconds - FIVE_YEARS_S) } },
    };
    let deleted = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.call('Scan', {
        TableName: table,
        FilterExpression: expired.ConditionExpression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: expired.ExpressionAttributeValues,
        ProjectionExpression: keys.map((_, i) => `#k${i}`).join(', '),
        ExclusiveStartKey: start,
      });
      for (const key of page.Items ?? []) {
        try {
          await this.call('DeleteItem', { TableName: table, Key: key, ...expired });
          deleted++;
        } catch (error) {
          // Written again with a later expiry since the scan read it: not expired any more.
          if (!(error instanceof AwsError && error.code === 'ConditionalCheckFailedException')) throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  /** Keeps one sweep timer pending while a table has TTL. */
  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.closed || !this.options.timer || this.attributes.size === 0) return;
    this.cancelTimer = this.options.timer(this.options.sweepEveryMs ?? 60_000, () => this.sweep());
  }
}

function validation(message: string): AwsError {
  return AwsError.of('dynamodb', 'ValidationException', message);
}
