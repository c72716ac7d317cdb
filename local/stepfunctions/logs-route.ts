/**
 * The state machines' execution logs (./execution-logs.ts) read back through CloudWatch Logs' API on the local
 * endpoint (AWS JSON 1.1, `X-Amz-Target: Logs_20140328.<Op>`), so `aws logs filter-log-events` and the SDK's
 * CloudWatchLogsClient show what a deployment of this stage would store:
 *
 *   DescribeLogGroups   the log groups of the state machines' LoggingConfiguration (logGroupNamePrefix)
 *   FilterLogEvents     startTime/endTime, limit, and filter patterns made of quoted or bare terms (all must occur)
 *                       or JSON equalities joined by || (`{ ($.type = "TaskFailed") || ($.type = "ExecutionFailed") }`)
 *
 * Other operations, and filter patterns beyond those forms, answer an error naming the limitation rather than a
 * wrong result.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ExecutionLogs, LogEvent, logGroupNameOf } from './execution-logs';
import type { StateMachineRecord } from './service';

const TARGET = 'Logs_20140328.';

class LogsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function executionLogsRoute(logs: ExecutionLogs, stateMachines: () => StateMachineRecord[]) {
  return {
    service: 'logs' as const,
    matches: (req: IncomingMessage) => String(req.headers['x-amz-target'] ?? '').startsWith(TARGET),
    async handle(req: IncomingMessage, res: ServerResponse, _url: URL, body: Buffer, requestId: string): Promise<{ action?: string; errorCode?: string }> {
      const action = String(req.headers['x-amz-target']).slice(TARGET.length);
      let status = 200;
      let payload: unknown;
      let errorCode: string | undefined;
      try {
        const request = body.length ? JSON.parse(body.toString('utf8')) : {};
        payload = answer(logs, stateMachines(), action, request);
      } catch (error) {
        const e = error instanceof LogsError ? error : error instanceof SyntaxError ? new LogsError('SerializationException', error.message) : new LogsError('ServiceUnavailableException', String(error), 500);
        status = e.status;
        errorCode = e.code;
        payload = { __type: e.code, message: e.message };
      }
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId, 'content-length': String(Buffer.byteLength(text)) });
      res.end(text);
      return { action, errorCode };
    },
  };
}

function answer(logs: ExecutionLogs, machines: StateMachineRecord[], action: string, request: Record<string, any>): unknown {
  const groups = new Map<string, StateMachineRecord>();
  for (const machine of machines) {
    const group = logGroupNameOf(machine.loggingConfiguration);
    if (group) groups.set(group, machine);
  }
  if (action === 'DescribeLogGroups') {
    const prefix = String(request.logGroupNamePrefix ?? '');
    return {
      logGroups: [...groups.keys()]
        .filter((name) => name.startsWith(prefix))
        .sort()
        .map((name) => ({ logGroupName: name, arn: arnOf(groups.get(name)!, name), storedBytes: logs.events(name).reduce((n, e) => n + Buffer.byteLength(e.message), 0) })),
    };
  }
  if (action === 'FilterLogEvents') {
    const name = String(request.logGroupName ?? '');
    const machine = groups.get(name);
    if (!machine) throw new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');
    const matches = filterPattern(String(request.filterPattern ?? ''));
    const start = request.startTime === undefined ? -Infinity : Number(request.startTime);
    const end = request.endTime === undefined ? Infinity : Number(request.endTime);
    const limit = Math.min(Number(request.limit ?? 10_000), 10_000);
    const stream = `states/${machine.name}/local`;
    const events = logs
      .events(name)
      .filter((e) => e.timestamp >= start && e.timestamp <= end && matches(e))
      .slice(0, limit)
      .map((e, i) => ({ logStreamName: stream, timestamp: e.timestamp, message: e.message, ingestionTime: e.timestamp, eventId: `${e.timestamp}-${i}` }));
    return { events, searchedLogStreams: [{ logStreamName: stream, searchedCompletely: true }] };
  }
  throw new LogsError('UnknownOperationException', `The local cloud's CloudWatch Logs answers DescribeLogGroups and FilterLogEvents on the execution logs, not ${action}`);
}

function arnOf(machine: StateMachineRecord, group: string): string {
  const [, partition, , region, account] = machine.stateMachineArn.split(':');
  return `arn:${partition}:logs:${region}:${account}:log-group:${group}:*`;
}

/** The filter patterns the CLI and crud-ops use; anything else is refused, not guessed. */
function filterPattern(pattern: string): (event: LogEvent) => boolean {
  const text = pattern.trim();
  if (text === '') return () => true;
  if (text.startsWith('{')) {
    const inner = text.replace(/^\{\s*|\s*\}$/g, '');
    const alternatives = inner.split('||').map((part) => /^\(?\s*\$\.([A-Za-z0-9_.]+)\s*=\s*"([^"]*)"\s*\)?$/.exec(part.trim()));
    if (alternatives.some((a) => !a)) throw new LogsError('InvalidParameterException', `The local cloud supports JSON filter patterns of equalities joined by || only: ${pattern}`);
    return (event) => {
      let json: unknown;
      try {
        json = JSON.parse(event.message);
      } catch {
        return false;
      }
      return alternatives.some((a) => String(a![1].split('.').reduce<any>((node, key) => node?.[key], json)) === a![2]);
    };
  }
  const terms = [...text.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
  if (terms.some((t) => /^[?-]/.test(t))) throw new LogsError('InvalidParameterException', `The local cloud supports terms that must all occur (no ? or -): ${pattern}`);
  return (event) => terms.every((t) => event.message.includes(t));
}
