/**
 * The engine on the app's own state machine (statemachines/crud-resource.asl.json, JSONata, Variables, Retry/Catch,
 * Task timeouts), filled in for the orders resource, with in-memory task handlers (flags Lambda result, DynamoDB
 * GetItem/PutItem on a Map). It runs the same executions the e2e GET and POST scenarios make, minus everything around
 * the engine (HTTP, VTL, Step Functions API, the real Lambda and DynamoDB): the engine's share of a request.
 * Executions run one after another on one core, like benchEngine().
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { compileStateMachine, TaskError, TaskHandlerRegistry } from '../asl';
import type { CompiledStateMachine } from '../asl';
import { median } from './stats';

const ASL_FILE = path.resolve(__dirname, '..', '..', 'statemachines', 'crud-resource.asl.json');
const SM_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:orders-crud';
const SUBSTITUTIONS: Record<string, string> = {
  ResourceName: 'orders',
  KeyAttribute: 'orderId',
  TableName: 'orders-table',
  FlagsFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:flags',
  QueueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq',
  EventBusName: 'crud-events',
  RequestsTableName: 'requests-table',
  CircuitTableName: 'circuit-table',
};

export interface AppMachineScenarioResult {
  /** Median over the rounds. */
  executionsPerSec: number;
  transitionsPerSec: number;
  /** States entered per execution. */
  transitionsPerExecution: number;
  /** Mean engine time per execution, µs (1e6 / executionsPerSec). */
  microsPerExecution: number;
  rounds: number[];
}

export interface AppMachineResult {
  file: string;
  durationMsPerRound: number;
  GET: AppMachineScenarioResult;
  POST: AppMachineScenarioResult;
}

export function compileAppMachine(): CompiledStateMachine {
  let text = fs.readFileSync(ASL_FILE, 'utf8');
  text = text.replace(/\$\{(\w+)\}/g, (whole, name: string) => SUBSTITUTIONS[name] ?? whole);
  return compileStateMachine(JSON.parse(text));
}

function handlers(table: Map<string, Record<string, unknown>>): TaskHandlerRegistry {
  const flags = { readOnly: false, softDelete: false, publishEvents: false };
  return new TaskHandlerRegistry()
    .register('arn:aws:states:::lambda:invoke', async () => ({ ExecutedVersion: '$LATEST', Payload: { ...flags }, StatusCode: 200 }))
    .register('arn:aws:states:::dynamodb:getItem', async (inv) => {
      // Other tables (the write circuit) hold nothing: the circuit reads as closed.
      if ((inv.input as { TableName: string }).TableName !== SUBSTITUTIONS.TableName) return {};
      const key = (inv.input as { Key: { orderId: { S: string } } }).Key.orderId.S;
      const item = table.get(key);
      return item ? { Item: structuredClone(item) } : {};
    })
    .register('arn:aws:states:::dynamodb:putItem', async (inv) => {
      const input = inv.input as { Item: { orderId: { S: string } }; ConditionExpression?: string };
      const key = input.Item.orderId.S;
      if (input.ConditionExpression?.startsWith('attribute_not_exists') && table.has(key))
        throw new TaskError('DynamoDB.ConditionalCheckFailedException', 'The conditional request failed');
      table.set(key, input.Item);
      return {};
    });
}

/** The execution input the request template renders for GET /orders/{id} or POST /orders (no special headers). */
function requestInput(method: 'GET' | 'POST', requestId: string, id: string): string {
  const body = method === 'POST' ? '{"customer":"Ada","items":[{"pizza":"margherita","size":"large","quantity":2},{"pizza":"diavola","quantity":1}]}' : 'null';
  const p = method === 'POST' ? '/orders' : `/orders/${id}`;
  return (
    `{"method":"${method}","resource":"orders","path":"${p}","id":"${id}","query":{"limit":"","next":""},` +
    `"headers":{"ifMatch":"","ifNoneMatch":"","idempotencyKey":""},"requestId":"${requestId}","receivedAt":${Date.now()},"rejected":"","body":${body}}`
  );
}

async function measure(machine: CompiledStateMachine, method: 'GET' | 'POST', durationMs: number, ids: string[], taskHandlers: TaskHandlerRegistry) {
  const expect = method === 'GET' ? 200 : 201;
  let n = 0;
  const once = async () => {
    const requestId = `req-${method}-${n++}-${Math.random().toString(36).slice(2, 8)}`;
    const id = method === 'GET' ? ids[n % ids.length] : '';
    const r = await machine.execute({
      executionArn: `${SM_ARN.replace(':stateMachine:', ':express:')}:${requestId}:x`,
      stateMachineArn: SM_ARN,
      name: requestId,
      input: requestInput(method, requestId, id),
      taskHandlers,
    });
    const status = r.status === 'SUCCEEDED' ? (JSON.parse(r.output!) as { statusCode: number }).statusCode : undefined;
    if (status !== expect) throw new Error(`app machine ${method}: ${r.status} ${r.error ?? ''} ${r.cause ?? ''} ${r.output ?? ''}`.trim());
    let entered = 0;
    for (const e of r.events) if (e.type.endsWith('StateEntered')) entered++;
    return entered;
  };
  for (let i = 0; i < 200; i++) await once(); // warm-up
  let executions = 0;
  let transitions = 0;
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    for (let k = 0; k < 20; k++) {
      transitions += await once();
      executions++;
    }
  }
  const seconds = (performance.now() - start) / 1000;
  return { executionsPerSec: executions / seconds, transitionsPerSec: transitions / seconds, transitionsPerExecution: transitions / executions };
}

export async function runAppMachineBench(options: { durationMs: number; rounds: number; log?: (line: string) => void }): Promise<AppMachineResult> {
  const machine = compileAppMachine();
  const table = new Map<string, Record<string, unknown>>();
  const taskHandlers = handlers(table);
  // Items as PutNewItem stores them, for the GETs.
  const ids: string[] = [];
  for (let i = 0; i < 200; i++) {
    const id = `seed-${i}`;
    const now = new Date().toISOString();
    const data = JSON.stringify({ customer: 'Ada', items: [{ pizza: 'margherita', size: 'large', quantity: 2 }], orderId: id, version: 1, createdAt: now, updatedAt: now });
    table.set(id, { orderId: { S: id }, version: { N: '1' }, data: { S: data }, requestToken: { S: `seed-${i}` }, lastRequestAt: { N: String(Date.now()) } });
    ids.push(id);
  }
  const out: Partial<AppMachineResult> = { file: path.relative(process.cwd(), ASL_FILE), durationMsPerRound: options.durationMs };
  for (const method of ['GET', 'POST'] as const) {
    const rounds: { executionsPerSec: number; transitionsPerSec: number; transitionsPerExecution: number }[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const m = await measure(machine, method, options.durationMs, ids, taskHandlers);
      rounds.push(m);
      options.log?.(`app machine ${method} round ${r + 1}/${options.rounds}: ${Math.round(m.executionsPerSec)} executions/s, ${Math.round(m.transitionsPerSec)} transitions/s`);
    }
    const executionsPerSec = median(rounds.map((m) => m.executionsPerSec));
    out[method] = {
      executionsPerSec: Math.round(executionsPerSec),
      transitionsPerSec: Math.round(median(rounds.map((m) => m.transitionsPerSec))),
      transitionsPerExecution: Math.round(rounds[0].transitionsPerExecution * 10) / 10,
      microsPerExecution: Math.round(1e6 / executionsPerSec),
      rounds: rounds.map((m) => Math.round(m.transitionsPerSec)),
    };
  }
  return out as AppMachineResult;
}
