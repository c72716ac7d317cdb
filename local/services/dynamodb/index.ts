/**
 * DynamoDB, in-process, over dynalite 4.0.0's validation and action functions (not its HTTP server).
 *
 * `call(action, request)` takes and returns the AWS JSON wire shapes (AttributeValues as `{S: ...}`, `N` as strings,
 * `B` as base64 — Buffers/Uint8Arrays are accepted and converted), and throws {@link AwsError} with DynamoDB's
 * `__type`. Storage is LevelDB under `path` (each acknowledged write has been handed to the OS: it survives a crash
 * of this process) or memory-level when `inMemory`.
 *
 * Not supported (dynalite lacks them): transactions, PartiQL, streams, UpdateTimeToLive/TTL expiry, backups.
 */
import * as fs from 'node:fs';
import { AwsError, toAwsError } from '../errors';
import { FaultInjector } from '../faults';
import { CloudFormationResult, createTableRequestFromCloudFormation } from './cloudformation';

/* eslint-disable @typescript-eslint/no-require-imports */
const dynaliteDb: DynaliteDbModule = require('dynalite/db');
const dynaliteValidations: DynaliteValidationsModule = require('dynalite/validations');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The operations dynalite implements, i.e. the ones `call` accepts. */
export const DYNAMODB_OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'ListTagsOfResource',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'UpdateItem',
  'UpdateTable',
] as const;

export type DynamoDbOperation = (typeof DYNAMODB_OPERATIONS)[number];

export interface DynamoDbServiceOptions {
  /** LevelDB folder. Required unless `inMemory`. */
  path?: string;
  /** Keep everything in memory (tests). */
  inMemory?: boolean;
  faults?: FaultInjector;
  /** Maximum item size in KB (default 400, as AWS). */
  maxItemSizeKb?: number;
}

type Callback = (err: unknown, data?: unknown) => void;
type Action = (store: DynaliteStore, data: unknown, cb: Callback) => void;
interface ActionValidation {
  types: Record<string, unknown>;
  custom?: (data: unknown, store: DynaliteStore) => string | undefined;
}
interface DynaliteStore {
  db: { open(): Promise<void>; close(cb?: (err?: unknown) => void): Promise<void> | void };
  options: Record<string, unknown>;
}
interface DynaliteDbModule {
  create(options: Record<string, unknown>): DynaliteStore;
  itemSize(item: Record<string, AttributeValue>, ...rest: unknown[]): number;
}
type AttributeValue = Record<string, unknown>;
interface DynaliteValidationsModule {
  checkTypes(data: unknown, types: Record<string, unknown>): unknown;
  checkValidations(data: unknown, types: Record<string, unknown>, custom: ActionValidation['custom'], store: DynaliteStore): void;
}

/**
 * Item sizes in UTF-8, as DynamoDB counts them: "Strings are Unicode with UTF-8 binary encoding. The size of a
 * string is (number of UTF-8-encoded bytes of attribute name) + (number of UTF-8-encoded bytes)"
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html); "The maximum
 * item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length) and attribute
 * value lengths (again binary length)" (ServiceQuotas.html#limits-items). dynalite counts UTF-16 units, so an item
 * of 150,000 CJK characters (450,000 bytes) passed. Its exported `itemSize`, which PutItem, BatchWriteItem and
 * UpdateItem check against 400 KB (409,600 bytes: "Item size has exceeded the maximum allowed size", "Item size to
 * update has exceeded the maximum allowed size"), is replaced by one that counts strings, string sets and names
 * (attribute and map keys) in UTF-8; numbers, binaries, booleans, nulls and the list/map overheads keep dynalite's
 * sizes. dynalite's own capacity figures call its internal function and are left alone.
 */
const dynaliteItemSize = dynaliteDb.itemSize;
function utf8ItemSize(item: Record<string, AttributeValue>, ...rest: unknown[]): number {
  if (rest.length > 0 && rest.some((r) => r !== undefined)) return dynaliteItemSize(item, ...rest);
  let size = 0;
  for (const name of Object.keys(item)) size += Buffer.byteLength(name) + utf8ValueSize(item[name]);
  return size;
}
function utf8ValueSize(value: AttributeValue): number {
  const type = Object.keys(value)[0];
  const v = value[type];
  switch (type) {
    case 'S':
      return Buffer.byteLength(v as string);
    case 'SS':
      return (v as string[]).reduce((n, s) => n + Buffer.byteLength(s), 0);
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((n, e) => n + 1 + utf8ValueSize(e), 0);
    case 'M':
      return 3 + Object.keys(v as object).length + utf8ItemSize(v as Record<string, AttributeValue>);
    default:
      // N, B, BS, NS, NULL, BOOL: dynalite's size of the value alone (an attribute named '' adds nothing).
      return dynaliteItemSize({ '': value });
  }
}
if ((dynaliteDb.itemSize as { utf8?: boolean }).utf8 !== true) dynaliteDb.itemSize = Object.assign(utf8ItemSize, { utf8: true });

const actions = new Map<string, { action: Action; validation: ActionValidation }>();
for (const op of DYNAMODB_OPERATIONS) {
  const file = op[0].toLowerCase() + op.slice(1);
  actions.set(op, {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    action: require(`dynalite/actions/${file}`),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    validation: require(`dynalite/validations/${file}`),
  });
}

/** Operations real DynamoDB has that dynalite does not: named in the error so nobody wonders. */
const UNSUPPORTED = new Set([
  'TransactWriteItems',
  'TransactGetItems',
  'ExecuteStatement',
  'BatchExecuteStatement',
  'ExecuteTransaction',
  'UpdateTimeToLive',
  'DescribeContinuousBackups',
  'UpdateContinuousBackups',
  'CreateBackup',
  'DescribeLimits',
  'DescribeEndpoints',
]);

/** A call that failed: fault injection or DynamoDB's own error (the local CloudWatch counts them per table). */
export interface DynamoDbCallFailure {
  operation: string;
  request: object;
  error: AwsError;
}

export class DynamoDbService {
  private closed = false;
  private readonly failureListeners = new Set<(failure: DynamoDbCallFailure) => void>();

  private constructor(
    private readonly store: DynaliteStore,
    private readonly faults: FaultInjector | undefined,
  ) {}

  static async open(options: DynamoDbServiceOptions): Promise<DynamoDbService> {
    if (!options.inMemory && !options.path) throw new Error('DynamoDbService needs a path, or inMemory: true');
    if (options.path && !options.inMemory) fs.mkdirSync(options.path, { recursive: true });
    const store = dynaliteDb.create({
      path: options.inMemory ? undefined : options.path,
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      maxItemSizeKb: options.maxItemSizeKb,
    });
    // Level opens lazily; open now so a locked or unreadable folder fails here, not on the first request.
    await store.db.open();
    return new DynamoDbService(store, options.faults);
  }

  /**
   * Runs one DynamoDB operation, e.g. `call('PutItem', {TableName, Item})`.
   * Resolves with the response object, or rejects with an {@link AwsError}.
   */
  async call(action: string, request: object = {}): Promise<any> {
    if (this.closed) throw new AwsError('InternalServerError', 'The local DynamoDB is closed', { service: 'dynamodb' });
    const entry = actions.get(action);
    if (!entry) {
      const message = UNSUPPORTED.has(action) ? `${action} is not supported by the local DynamoDB (dynalite)` : `Unknown operation ${action}`;
      throw AwsError.of('dynamodb', 'UnknownOperationException', message);
    }
    let output: any;
    try {
      await this.faults?.checkAsync('dynamodb', action, (request as { TableName?: unknown }).TableName as string | undefined);
      output = await this.runAction(entry, request);
    } catch (error) {
      if (this.failureListeners.size && error instanceof AwsError) for (const l of this.failureListeners) l({ operation: action, request, error });
      throw error;
    }
    if (action === 'CreateTable' || action === 'UpdateTable' || action === 'DeleteTable') {
      await this.waitForTableStatus((request as { TableName: string }).TableName, action === 'DeleteTable' ? 'GONE' : 'ACTIVE');
    }
    return output;
  }

  /** Told of every call that fails (after fault injection or in DynamoDB itself); returns the function that stops it. */
  onCallFailed(listener: (failure: DynamoDbCallFailure) => void): () => void {
    this.failureListeners.add(listener);
    return () => this.failureListeners.delete(listener);
  }

  /**
   * Creates a table from an `AWS::DynamoDB::Table` resource's (resolved) properties, or leaves an existing one alone.
   * Ignores what the local DynamoDB cannot do (PITR, SSE, streams, TTL, contributor insights...), listing it in `ignored`.
   */
  async createTableFromCloudFormation(properties: Record<string, unknown>, options: { fallbackName?: string } = {}): Promise<CloudFormationResult> {
    const { request, tags, ignored } = createTableRequestFromCloudFormation(properties, options.fallbackName);
    const name = request.TableName as string;
    let created = false;
    let description: any;
    try {
      description = (await this.call('DescribeTable', { TableName: name })).Table;
    } catch (err) {
      if (!(err instanceof AwsError) || err.code !== 'ResourceNotFoundException') throw err;
      description = (await this.call('CreateTable', request)).TableDescription;
      created = true;
      if (tags.length) await this.call('TagResource', { ResourceArn: description.TableArn, Tags: tags });
    }
    const attributes: Record<string, string> = { Arn: description.TableArn };
    if (properties.StreamSpecification) attributes.StreamArn = `${description.TableArn}/stream/1970-01-01T00:00:00.000`;
    return { ref: name, attributes, created, ignored };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve, reject) => {
      const result = this.store.db.close((err) => (err ? reject(err) : resolve()));
      if (result && typeof (result as Promise<void>).then === 'function') (result as Promise<void>).then(resolve, reject);
    });
  }

  private runAction(entry: { action: Action; validation: ActionValidation }, request: object): Promise<any> {
    return new Promise((resolve, reject) => {
      try {
        // dynalite mutates requests and keeps references to them (CreateTable); give it a private wire-shaped copy.
        let data = toWireJson(request);
        data = dynaliteValidations.checkTypes(data, entry.validation.types);
        dynaliteValidations.checkValidations(data, entry.validation.types, entry.validation.custom, this.store);
        entry.action(this.store, data, (err, out) => {
          if (err) reject(toAwsError('dynamodb', err));
          else resolve(out === undefined ? {} : JSON.parse(JSON.stringify(out)));
        });
      } catch (err) {
        reject(toAwsError('dynamodb', err));
      }
    });
  }

  /** dynalite flips CREATING → ACTIVE (and DELETING → gone) on a zero timer after answering; wait for it. */
  private async waitForTableStatus(tableName: string, target: 'ACTIVE' | 'GONE'): Promise<void> {
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      try {
        const out = await this.runAction(actions.get('DescribeTable')!, { TableName: tableName });
        if (target === 'ACTIVE' && out.Table.TableStatus === 'ACTIVE') return;
      } catch (err) {
        if (target === 'GONE' && err instanceof AwsError && err.code === 'ResourceNotFoundException') return;
        throw err;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  }
}

/** A deep JSON copy in which Buffers and Uint8Arrays become base64 strings (the wire form of `B`/`BS`). */
function toWireJson(value: unknown): unknown {
  if (value === undefined) return {};
  return JSON.parse(
    JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
      const original = key === '' ? value : this[key];
      if (original instanceof Uint8Array) return Buffer.from(original).toString('base64');
      return v;
    }),
  );
}

export type { CloudFormationResult } from './cloudformation';
