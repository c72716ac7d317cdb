/**
 * How many bytes of CloudWatch Logs one request writes under each execution-logging choice (docs/logging.md).
 *
 *   npx tsx local/bench/log-volume.ts [--rounds 20]
 *
 * Runs a dev local cloud (ALL with data), sends rounds of POST, GET, list, PUT, PATCH, DELETE and a 409 to both
 * resources, then renders every execution's log events under each LoggingConfiguration as Step Functions would
 * (local/stepfunctions/execution-logs.ts) and counts what CloudWatch Logs bills: the UTF-8 bytes of each message
 * plus 26 bytes per event. The API Gateway access log line is the stage's jsonWithStandardFields format filled
 * with this run's values.
 */
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { parseArgs } from 'node:util';
import { executionLogEvents } from '../stepfunctions/execution-logs';
import type { LoggingConfiguration } from '../stepfunctions/service';
import { startLocalCloud } from '../cloud';

/** CloudWatch Logs counts 26 bytes of overhead per log event (PutLogEvents batch size). */
const EVENT_OVERHEAD_BYTES = 26;

const CONFIGS: { name: string; config: LoggingConfiguration }[] = [
  { name: 'ALL + data (dev)', config: { level: 'ALL', includeExecutionData: true } },
  { name: 'ALL, no data', config: { level: 'ALL', includeExecutionData: false } },
  { name: 'ERROR, no data (prod)', config: { level: 'ERROR', includeExecutionData: false } },
];

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
  const rounds = Number(values.rounds);
  const cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {}, context: { auth: 'none', clients: [] } });
  const kinds = new Map<string, string>(); // execution name → request kind
  const call = async (kind: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(cloud.apiUrl + path, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    const requestId = res.headers.get('x-request-id');
    if (requestId) kinds.set(requestId, `${kind} ${res.status}`);
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  let accessLine = '';
  try {
    for (let n = 0; n < rounds; n++) {
      const customer = { name: `Grace Hopper ${n}`, email: `grace${n}@example.com`, phone: '+1 555 0100' };
      const order = { customer: `Ada Lovelace ${n}`, items: [{ pizza: 'margherita', size: 'large', quantity: 2 }] };
      for (const [resource, body, change] of [
        ['customers', customer, { phone: '+1 555 0199' }],
        ['orders', order, { status: 'baking' }],
      ] as const) {
        const key = resource === 'customers' ? 'customerId' : 'orderId';
        const created = await call('POST', 'POST', `/${resource}`, body);
        const id = created.json[key];
        const read = await call('GET item', 'GET', `/${resource}/${id}`);
        await call('GET list', 'GET', `/${resource}?limit=10`);
        await call('PUT', 'PUT', `/${resource}/${id}`, { ...body, [key]: id });
        await call('PATCH', 'PATCH', `/${resource}/${id}`, change);
        await call('POST existing id', 'POST', `/${resource}`, { ...body, [key]: id });
        await call('DELETE', 'DELETE', `/${resource}/${id}`);
        if (!accessLine) accessLine = accessLogLine(cloud.apiUrl, read.headers.get('x-request-id')!, `/${resource}/${id}`);
      }
    }
    // Executions by request kind: bytes per execution under each configuration.
    const perKind = new Map<string, { executions: number; bytes: number[]; events: number[] }>();
    for (const execution of cloud.stepFunctions.listExecutions()) {
      const kind = kinds.get(execution.name);
      if (!kind || execution.status === 'RUNNING') continue;
      const entry = perKind.get(kind) ?? { executions: 0, bytes: CONFIGS.map(() => 0), events: CONFIGS.map(() => 0) };
      entry.executions++;
      CONFIGS.forEach(({ config }, i) => {
        const events = executionLogEvents(execution, config);
        entry.events[i] += events.length;
        entry.bytes[i] += events.reduce((sum, e) => sum + Buffer.byteLength(e.message, 'utf8') + EVENT_OVERHEAD_BYTES, 0);
      });
      perKind.set(kind, entry);
    }
    const rows = [...perKind].sort(([a], [b]) => a.localeCompare(b));
    console.log(`| request | executions | ${CONFIGS.map((c) => `${c.name}: events / bytes`).join(' | ')} |`);
    console.log(`|---|---|${CONFIGS.map(() => '---').join('|')}|`);
    for (const [kind, e] of rows) {
      console.log(`| ${kind} | ${e.executions} | ${CONFIGS.map((_, i) => `${(e.events[i] / e.executions).toFixed(1)} / ${Math.round(e.bytes[i] / e.executions)}`).join(' | ')} |`);
    }
    const total = rows.reduce((sum, [, e]) => sum + e.executions, 0);
    const mean = CONFIGS.map((_, i) => rows.reduce((sum, [, e]) => sum + e.bytes[i], 0) / total);
    console.log(`| mean of the mix | ${total} | ${mean.map((b) => `${Math.round(b)} bytes`).join(' | ')} |`);
    console.log(`\nAPI Gateway access log line (jsonWithStandardFields): ${Buffer.byteLength(accessLine, 'utf8') + EVENT_OVERHEAD_BYTES} bytes with overhead\n${accessLine}`);
  } finally {
    await cloud.stop();
  }
}

/** The stage's access log format with this run's values (the fields API Gateway fills for a GET from curl). */
function accessLogLine(apiUrl: string, requestId: string, resourcePath: string): string {
  const values: Record<string, string> = {
    '$context.requestId': requestId,
    '$context.identity.sourceIp': '203.0.113.10',
    '$context.identity.user': '-',
    '$context.identity.caller': '-',
    '$context.requestTime': new Date().toUTCString().replace(/^\w+, (\d+) (\w+) (\d+) ([\d:]+) GMT$/, '$1/$2/$3:$4 +0000'),
    '$context.httpMethod': 'GET',
    '$context.resourcePath': resourcePath.replace(/\/[^/]+$/, '/{id}'),
    '$context.status': '200',
    '$context.protocol': 'HTTP/1.1',
    '$context.responseLength': '180',
  };
  void apiUrl;
  return AccessLogFormat.jsonWithStandardFields()
    .toString()
    .replace(/\$context\.[A-Za-z.]+/g, (v) => values[v] ?? '-');
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
