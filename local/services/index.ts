/**
 * The local AWS services, opened together over one data folder (or in memory) and sharing one fault injector.
 *
 *   <dataDir>/dynamodb/   LevelDB (dynalite)
 *   <dataDir>/sqs/        one <queue>.jsonl log per queue
 *   <dataDir>/appconfig/  appconfig.jsonl
 *   <dataDir>/events/     events.jsonl
 *   <dataDir>/dynamodb-ttl.json  TTL settings made with UpdateTimeToLive
 *
 * They share one clock too (`clock`): SQS visibility, delays and retention, AppConfig deployment times and poll
 * intervals, EventBridge event times and DynamoDB TTL all follow it, so advancing it ages everything at once.
 */
import * as path from 'node:path';
import { ControllableClock } from '../asl/clock';
import { AppConfigDataService, AppConfigStore } from './appconfigdata';
import { DynamoDbService } from './dynamodb';
import { TimeToLive } from './dynamodb/ttl';
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
  /** The shared clock (one is made when omitted): see {@link LocalServices.clock}. */
  clock?: ControllableClock;
  /** Overrides the clock's time (epoch ms) for SQS, AppConfig, EventBridge and DynamoDB TTL (tests with a hand-driven time). */
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
    /**
     * The local cloud's one clock: real time plus an offset that only grows. `clock.advance(ms)` ages every
     * service at once (and wakes SQS long polls, sweeps expired DynamoDB items).
     */
    readonly clock: ControllableClock,
    /** DynamoDB Time to Live (dynalite has none): table settings and the sweeper of expired items. */
    readonly timeToLive: TimeToLive,
    private readonly unsubscribe: () => void,
  ) {}

  static async open(options: LocalServicesOptions = {}): Promise<LocalServices> {
    const faults = options.faults ?? new FaultInjector();
    const inMemory = options.inMemory ?? false;
    const dataDir = inMemory ? undefined : path.resolve(options.dataDir ?? '.local-cloud');
    const sub = (name: string) => (dataDir ? path.join(dataDir, name) : undefined);
    const clock = options.clock ?? new ControllableClock();
    const now = options.now ?? (() => clock.nowMs());
    const common = { inMemory, faults, now, fsync: options.fsync };

    const dynamodb = await DynamoDbService.open({ inMemory, path: sub('dynamodb'), faults });
    try {
      const timeToLive = TimeToLive.install(dynamodb, { now, timer: (ms, fn) => clock.timer(ms, fn), file: sub('dynamodb-ttl.json'), faults });
      const sqs = SqsService.open({ ...common, dir: sub('sqs'), defaultHost: options.defaultHost });
      const appConfig = AppConfigStore.open({ inMemory, dir: sub('appconfig'), now, fsync: options.fsync });
      const appConfigData = new AppConfigDataService(appConfig, { faults, now, enforcePollInterval: options.enforcePollInterval });
      const events = EventsService.open({ ...common, dir: sub('events') });
      const unsubscribe = clock.onAdvance(async () => {
        sqs.wake();
        await timeToLive.sweep();
      });
      return new LocalServices(dynamodb, sqs, appConfig, appConfigData, events, faults, dataDir, clock, timeToLive, unsubscribe);
    } catch (err) {
      await dynamodb.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    this.unsubscribe();
    this.timeToLive.close();
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
