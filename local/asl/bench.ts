/**
 * Throughput benchmark: a CRUD-shaped machine (LoadFlags Task → Choice on method → Get/Put Task with
 * Catch → Pass shaping the response), in JSONPath and in JSONata, with in-memory task handlers.
 * `benchEngine()` runs each for ~2 s and reports state transitions per second (StateEntered events), per
 * wall-clock second and, in the `*CpuTransitionsPerSec` fields, per second of this process's CPU time
 * (steadier when other processes share the cores).
 */
import { compileStateMachine } from './compile';
import { TaskHandlerRegistry } from './handlers';
import type { CompiledStateMachine, ExecuteOptions } from './types';

const SM_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:bench';

export const JSONPATH_CRUD = {
  Comment: 'CRUD-shaped benchmark machine (JSONPath)',
  StartAt: 'LoadFlags',
  States: {
    LoadFlags: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: { FunctionName: 'flags', 'Payload.$': '$' },
      ResultSelector: { 'flags.$': '$.Payload' },
      ResultPath: '$.config',
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.method', StringEquals: 'GET', Next: 'Get' },
        { And: [{ Variable: '$.method', StringEquals: 'PUT' }, { Variable: '$.config.flags.readOnly', BooleanEquals: false }], Next: 'Put' },
      ],
      Default: 'Respond',
    },
    Get: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Parameters: { TableName: 'items', Key: { pk: { 'S.$': '$.id' } } },
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Respond' }],
      Next: 'Respond',
    },
    Put: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: { TableName: 'items', Item: { pk: { 'S.$': '$.id' }, 'body.$': 'States.JsonToString($.body)' }, ConditionExpression: 'attribute_not_exists(pk)' },
      ResultPath: '$.result',
      Retry: [{ ErrorEquals: ['DynamoDB.ProvisionedThroughputExceededException'], MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Respond' }],
      Next: 'Respond',
    },
    Respond: {
      Type: 'Pass',
      Parameters: { statusCode: 200, 'headers.$': "States.Format('{}', $.id)", 'body.$': '$.result' },
      End: true,
    },
  },
};

export const JSONATA_CRUD = {
  Comment: 'CRUD-shaped benchmark machine (JSONata)',
  QueryLanguage: 'JSONata',
  StartAt: 'LoadFlags',
  States: {
    LoadFlags: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Arguments: { FunctionName: 'flags', Payload: '{% $states.input %}' },
      Assign: { flags: '{% $states.result.Payload %}' },
      Output: '{% $states.input %}',
      Next: 'Route',
    },
    Route: {
      Type: 'Choice',
      Choices: [
        { Condition: "{% $states.input.method = 'GET' %}", Next: 'Get' },
        { Condition: "{% $states.input.method = 'PUT' and $not($flags.readOnly) %}", Next: 'Put' },
      ],
      Default: 'Respond',
    },
    Get: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:getItem',
      Arguments: { TableName: 'items', Key: { pk: { S: '{% $states.input.id %}' } } },
      Output: '{% $merge([$states.input, {"result": $states.result}]) %}',
      Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $merge([$states.input, {"error": $states.errorOutput}]) %}', Next: 'Respond' }],
      Next: 'Respond',
    },
    Put: {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Arguments: { TableName: 'items', Item: { pk: { S: '{% $states.input.id %}' }, body: '{% $string($states.input.body) %}' } },
      Output: '{% $merge([$states.input, {"result": $states.result}]) %}',
      Catch: [{ ErrorEquals: ['States.ALL'], Output: '{% $merge([$states.input, {"error": $states.errorOutput}]) %}', Next: 'Respond' }],
      Next: 'Respond',
    },
    Respond: {
      Type: 'Pass',
      Output: { statusCode: 200, headers: '{% $states.input.id %}', body: '{% $states.input.result %}' },
      End: true,
    },
  },
};

function handlers(): TaskHandlerRegistry {
  const table = new Map<string, unknown>();
  return new TaskHandlerRegistry()
    .register('arn:aws:states:::lambda:invoke', async () => ({ StatusCode: 200, Payload: { readOnly: false } }))
    .register('arn:aws:states:::dynamodb:getItem', async (inv) => {
      const key = (inv.input as { Key: { pk: { S: string } } }).Key.pk.S;
      const item = table.get(key);
      return item ? { Item: item } : {};
    })
    .register('arn:aws:states:::dynamodb:putItem', async (inv) => {
      const item = (inv.input as { Item: { pk: { S: string } } }).Item;
      table.set(item.pk.S, item);
      return {};
    });
}

async function measure(machine: CompiledStateMachine, durationMs: number): Promise<{ wall: number; cpu: number }> {
  const taskHandlers = handlers();
  const inputs = [
    JSON.stringify({ method: 'PUT', id: 'a1', body: { name: 'x', n: 1 } }),
    JSON.stringify({ method: 'GET', id: 'a1' }),
    JSON.stringify({ method: 'GET', id: 'missing' }),
  ];
  let transitions = 0;
  let n = 0;
  const opts = (i: number): ExecuteOptions => ({
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:bench:e${i}`,
    stateMachineArn: SM_ARN,
    name: `e${i}`,
    input: inputs[i % inputs.length],
    taskHandlers,
  });
  // warm-up
  for (let i = 0; i < 300; i++) await machine.execute(opts(i));
  const cpu0 = process.cpuUsage();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(durationMs) * 1_000_000n;
  while (process.hrtime.bigint() < deadline) {
    for (let k = 0; k < 50; k++) {
      const r = await machine.execute(opts(n++));
      if (r.status !== 'SUCCEEDED') throw new Error(`bench execution failed: ${r.error} ${r.cause}`);
      for (const e of r.events) if (e.type.endsWith('StateEntered')) transitions++;
    }
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { wall: Math.round(transitions / seconds), cpu: Math.round(transitions / cpuSeconds) };
}

export interface BenchResult {
  jsonpathTransitionsPerSec: number;
  jsonataTransitionsPerSec: number;
  /** Transitions per second of this process's CPU time (user + system). */
  jsonpathCpuTransitionsPerSec: number;
  jsonataCpuTransitionsPerSec: number;
}

export async function benchEngine(durationMs = 2000): Promise<BenchResult> {
  const p = await measure(compileStateMachine(JSONPATH_CRUD), durationMs);
  const j = await measure(compileStateMachine(JSONATA_CRUD), durationMs);
  return {
    jsonpathTransitionsPerSec: p.wall,
    jsonataTransitionsPerSec: j.wall,
    jsonpathCpuTransitionsPerSec: p.cpu,
    jsonataCpuTransitionsPerSec: j.cpu,
  };
}

if (require.main === module) {
  benchEngine().then((r) => console.log(JSON.stringify(r)));
}
