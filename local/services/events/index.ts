/**
 * A small EventBridge: PutEvents records events per bus (durably, in `events.jsonl`) and returns EventIds.
 * The console and tests read what was published; `onEvent` listeners see each event as it is put (the local
 * cloud routes them to the template's pattern rules: local/event-rules.ts, patterns in ./pattern.ts).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { AwsError } from '../errors';
import { FaultInjector } from '../faults';
import { NULL_LOG, RecordLog, compactAndOpen, readRecords } from '../storage';

export interface RecordedEvent {
  id: string;
  eventBusName: string;
  source: string;
  detailType: string;
  /** The parsed Detail object. */
  detail: unknown;
  resources: string[];
  /** ISO time: the entry's Time, or when it was put. */
  time: string;
  receivedAt: string;
  traceHeader?: string;
}

export interface EventsServiceOptions {
  dir?: string;
  inMemory?: boolean;
  faults?: FaultInjector;
  now?: () => number;
  fsync?: boolean;
  /** Keep at most this many events per bus (default 10,000; older ones are dropped at the next start). */
  maxEventsPerBus?: number;
}

export const EVENTS_OPERATIONS = ['PutEvents'] as const;

export class EventsService {
  private readonly buses = new Map<string, RecordedEvent[]>();
  private readonly listeners = new Set<(e: RecordedEvent) => void>();
  private log: RecordLog = NULL_LOG;
  private readonly now: () => number;
  private readonly max: number;

  private constructor(private readonly options: EventsServiceOptions) {
    this.now = options.now ?? Date.now;
    this.max = options.maxEventsPerBus ?? 10_000;
  }

  static open(options: EventsServiceOptions): EventsService {
    if (!options.inMemory && !options.dir) throw new Error('EventsService needs a dir, or inMemory: true');
    const service = new EventsService(options);
    if (!options.inMemory) {
      const file = path.join(options.dir!, 'events.jsonl');
      for (const e of readRecords<RecordedEvent>(file)) service.remember(e);
      const kept = [...service.buses.values()].flat().sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
      service.log = compactAndOpen(file, kept, { fsync: options.fsync });
    }
    return service;
  }

  async call(action: string, request: any): Promise<any> {
    if (action !== 'PutEvents') throw AwsError.of('events', 'UnknownOperationException', `${action} is not supported by the local EventBridge`);
    this.options.faults?.check('events', action);
    return this.putEvents(request ?? {});
  }

  /**
   * An event an AWS service puts (e.g. the local CloudWatch's "CloudWatch Alarm State Change"): on the default bus
   * unless one is named, validated like a PutEvents entry, and never failed by fault rules on PutEvents (AWS
   * delivers its own service events). Returns the event id; throws an AwsError for an invalid entry.
   */
  putServiceEvent(entry: { Source: string; DetailType: string; Detail: string; Resources?: string[]; Time?: Date | number | string; EventBusName?: string }): string {
    const result = this.putEvents({ Entries: [entry] });
    const first = result.Entries[0];
    if (!first.EventId) throw AwsError.of('events', 'ValidationException', `${first.ErrorCode}: ${first.ErrorMessage}`);
    return first.EventId;
  }

  /** Recorded events, oldest first; all buses when `eventBusName` is omitted. */
  listEvents(eventBusName?: string): RecordedEvent[] {
    if (eventBusName) return [...(this.buses.get(busName(eventBusName)) ?? [])];
    return [...this.buses.values()].flat().sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
  }

  listBuses(): string[] {
    return [...this.buses.keys()].sort();
  }

  onEvent(listener: (e: RecordedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.log.close();
    this.log = NULL_LOG;
  }

  private putEvents(req: { Entries?: any[]; EndpointId?: string }): { FailedEntryCount: number; Entries: Record<string, string>[] } {
    const entries = req.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw AwsError.of('events', 'ValidationException', "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10 and greater than or equal to 1");
    }
    let failed = 0;
    const results = entries.map((entry) => {
      const problem = validateEntry(entry);
      if (problem) {
        failed++;
        return problem;
      }
      const receivedAt = new Date(this.now()).toISOString();
      const event: RecordedEvent = {
        id: randomUUID(),
        eventBusName: busName(entry.EventBusName),
        source: entry.Source,
        detailType: entry.DetailType,
        detail: JSON.parse(entry.Detail),
        resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
        time: entry.Time !== undefined ? toIso(entry.Time) : receivedAt,
        receivedAt,
        ...(entry.TraceHeader ? { traceHeader: String(entry.TraceHeader) } : {}),
      };
      this.log.append(event);
      this.remember(event);
      for (const l of this.listeners) l(event);
      return { EventId: event.id };
    });
    return { FailedEntryCount: failed, Entries: results };
  }

  private remember(e: RecordedEvent): void {
    const list = this.buses.get(e.eventBusName) ?? [];
    list.push(e);
    if (list.length > this.max) list.splice(0, list.length - this.max);
    this.buses.set(e.eventBusName, list);
  }
}

/** An event as EventBridge delivers it to a rule's target. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: unknown;
}

export function eventEnvelope(e: RecordedEvent, where: { account: string; region: string }): EventEnvelope {
  return {
    version: '0',
    id: e.id,
    'detail-type': e.detailType,
    source: e.source,
    account: where.account,
    time: eventTime(e.time),
    region: where.region,
    resources: e.resources,
    detail: e.detail,
  };
}

/** An ISO time as EventBridge sends it to targets, in whole seconds: 2024-01-01T00:00:00Z. */
export function eventTime(iso: string): string {
  return iso.replace(/\.\d+Z$/, 'Z');
}

function validateEntry(entry: any): Record<string, string> | undefined {
  const missing = ['Source', 'DetailType', 'Detail'].filter((k) => typeof entry?.[k] !== 'string' || entry[k] === '');
  if (missing.length) return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter(s) ${missing.join(', ')} not specified.` };
  try {
    const detail = JSON.parse(entry.Detail);
    if (!detail || typeof detail !== 'object' || Array.isArray(detail)) throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** 'default' when omitted; the name part of an event bus ARN. */
export function busName(nameOrArn: unknown): string {
  if (typeof nameOrArn !== 'string' || !nameOrArn) return 'default';
  const m = /^arn:[^:]+:events:[^:]*:[^:]*:event-bus\/(.+)$/.exec(nameOrArn);
  return m ? m[1] : nameOrArn;
}

function toIso(t: unknown): string {
  if (t instanceof Date) return t.toISOString();
  if (typeof t === 'number') return new Date(t * 1000).toISOString();
  const d = new Date(String(t));
  return isNaN(d.getTime()) ? String(t) : d.toISOString();
}
