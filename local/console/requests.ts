/**
 * Requests for the console: the request records of the requests table (./request-records.ts) read through
 * the local DynamoDB service, and for one request what the page shows next to it: its executions (the
 * first named after the request id, the replays `<request id>-redrive-<n>`) and, while it waits, its
 * message in the resource's dead-letter queue (peeked: nothing received).
 */
import type { LocalResource } from '../cloud-types';
import type { DeadLetterQueues, DlqMessage } from './dlq';
import type { ExecutionSummary, ExecutionsView } from './executions';
import { BadRequestQuery, Item, RequestDetail, RequestList, RequestQuery, RequestRecordsReader } from './request-records';

export interface RequestsViewOptions {
  /** The local DynamoDB service (its `call` takes and returns the wire shapes). */
  dynamodb: { call(action: string, request: object): Promise<any> };
  /** The stack output RequestsTableName; undefined for a template without request records. */
  tableName: string | undefined;
  resources: LocalResource[];
  executions: Pick<ExecutionsView, 'list'>;
  dlq: Pick<DeadLetterQueues, 'section'>;
}

/** A request's message in its dead-letter queue. */
export interface RequestDeadLetter {
  resource: string;
  messageId: string;
  receiveCount: number;
  visible: boolean;
  queuedAt: string;
  error?: string;
}

export interface ConsoleRequestDetail extends RequestDetail {
  /** Oldest first: the request's own execution, then its replays. */
  executions: ExecutionSummary[];
  /** Set while the message waits in the dead-letter queue. */
  deadLetter?: RequestDeadLetter;
}

/** The template has no requests table (no RequestsTableName output). */
export class NoRequestsTable extends Error {
  override name = 'NoRequestsTable';
}

export class RequestsView {
  private readonly reader?: RequestRecordsReader;

  constructor(private readonly options: RequestsViewOptions) {
    const { dynamodb } = options;
    if (options.tableName) {
      this.reader = new RequestRecordsReader(
        {
          scan: (input) => dynamodb.call('Scan', input) as Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>,
          getItem: (input) => dynamodb.call('GetItem', input) as Promise<{ Item?: Item }>,
        },
        options.tableName,
      );
    }
  }

  async list(query: RequestQuery): Promise<RequestList & { tableName: string }> {
    const reader = this.requireReader();
    if (query.resource && !this.options.resources.some((r) => r.name === query.resource)) {
      throw new BadRequestQuery(`Unknown resource "${query.resource}"; known: ${this.options.resources.map((r) => r.name).join(', ')}`);
    }
    return { ...(await reader.list(query)), tableName: reader.tableName };
  }

  /** The record with its executions and DLQ message; undefined when there is no record (yet). */
  async detail(requestId: string): Promise<ConsoleRequestDetail | undefined> {
    const record = await this.requireReader().get(requestId);
    if (!record) return undefined;
    const executions = this.options.executions.list({ requestId, limit: 1000 }).executions.reverse();
    const deadLetter = record.status === 'queued' ? this.deadLetterOf(requestId, record.resource) : undefined;
    return { ...record, executions, ...(deadLetter ? { deadLetter } : {}) };
  }

  private deadLetterOf(requestId: string, resource: string | undefined): RequestDeadLetter | undefined {
    const resources = this.options.resources.filter((r) => !resource || r.name === resource);
    for (const r of resources) {
      const message = this.options.dlq.section(r, 1000).messages.find((m: DlqMessage) => m.requestId === requestId);
      if (message) {
        return {
          resource: r.name,
          messageId: message.messageId,
          receiveCount: message.receiveCount,
          visible: message.visible,
          queuedAt: message.queuedAt,
          ...(message.error ? { error: message.error } : {}),
        };
      }
    }
    return undefined;
  }

  private requireReader(): RequestRecordsReader {
    if (!this.reader) throw new NoRequestsTable('This template has no request records table (no RequestsTableName stack output)');
    return this.reader;
  }
}
