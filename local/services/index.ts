/**
 * The local AWS services, opened together over one data folder (or in memory) and sharing one fault injector.
 *
 *   <dataDir>/dynamodb/   LevelDB (dynalite)
 *   <dataDir>/sqs/        one <queue>.jsonl log per queue
 *   <dataDir>/appconfig/  appconfig.jsonl
 *   <dataDir>/events/     events.jsonl
 */
import * as path from 'node:path';
import { AppConfigDataService, AppConfigStore } from './appconfigdata';
import { DynamoDbService } from './dynamodb';
import { EventsService } from './events';
import { FaultInjector } from './faults';
import { SqsService } from './sqs';

export interface LocalServicesOptions {
  /** Folder for all persisted data (default '.local-cloud' in the working directory). Ignored when `inMemory`. */
  dataDir?: string;
  /** Keep everything in memory (tests). */
  inMemory?: boolean;
  /** Shared fault injector (one is created when omitted). */
  faults?: FaultInjector;
  /** Host used in SQS queue URLs when a call does not come over HTTP (default 'localhost:4566'). */
  defaultHost?: string;
  /** Clock (epoch ms) for SQS, AppConfig and EventBridge. */
  now?: () => number;
  /** fsync every append of the log-based stores (default false: survives a process crash, not an OS crash). */
  fsync?: boolean;
  /** AppConfigData: reject polls made before the poll interval, as AWS does (default true). */
  enforcePollInterval?: boolean;
}

export class LocalServices {
  private constructor(
    readonly dynamodb: DynamoDbService,
    readonly sqs: SqsService,
    readonly appConfig: AppConfigStore,
    readonly appConfigData: AppConfigDataService,
    readonly events: EventsService,
    readonly faults: FaultInjector,
    /** Absolute data folder, undefined in memory. */
    readonly dataDir: string | undefined,
  ) {}

  static async open(options: LocalServicesOptions = {}): Promise<LocalServices> {
    const faults = options.faults ?? new FaultInjector();
    const inMemory = options.inMemory ?? false;
    const dataDir = inMemory ? undefined : path.resolve(options.dataDir ?? '.local-cloud');
    const sub = (name: string) => (dataDir ? path.join(dataDir, name) : undefined);
    const common = { inMemory, faults, now: options.now, fsync: options.fsync };

    const dynamodb = await DynamoDbService.open({ inMemory, path: sub('dynamodb'), faults });
    try {
      const sqs = SqsService.open({ ...common, dir: sub('sqs'), defaultHost: options.defaultHost });
      const appConfig = AppConfigStore.open({ inMemory, dir: sub('appconfig'), now: options.now, fsync: options.fsync });
      const appConfigData = new AppConfigDataService(appConfig, { faults, now: options.now, enforcePollInterval: options.enforcePollInterval });
      const events = EventsService.open({ ...common, dir: sub('events') });
      return new LocalServices(dynamodb, sqs, appConfig, appConfigData, events, faults, dataDir);
    } catch (err) {
      await dynamodb.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.sqs.close();
    this.appConfig.close();
    this.events.close();
    await this.dynamodb.close();
  }
}

export { AwsError } from './errors';
export type { ServiceName } from './errors';
export { FaultInjector } from './faults';
export type { FaultRule, ActiveFaultRule } from './faults';
export { DynamoDbService } from './dynamodb';
export { SqsService } from './sqs';
export { AppConfigStore, AppConfigDataService } from './appconfigdata';
export { EventsService } from './events';
