/**
 * History → per-state outcomes, from real histories: the CRUD state machine run by the local cloud
 * (retried write, write caught into the DLQ, unreadable input failing the execution), and the ASL engine
 * on a definition with Parallel, Map, Retry and Catch (virtual clock: exact retry delays).
 */
import { TaskError, TaskHandlerRegistry, compileStateMachine, fakeClock } from '../../../local/asl';
import type { LocalCloud } from '../../../local/cloud-types';
import { analyzeHistory, matchRetryRule } from '../../../local/console/outcomes';
import { sendToApi, startCloud } from './helpers';

const THROTTLED = 'ProvisionedThroughputExceededException';
const ORDER = { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] };

describe('analyzeHistory on executions of the CRUD state machine (local cloud)', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startCloud();
  }, 60_000);
  afterAll(() => cloud?.stop());
  afterEach(() => cloud.services.faults.clear());

  const orders = () => cloud.resources.find((r) => r.name === 'orders')!;
  const analyse = (executionArn: string) => {
    const execution = cloud.stepFunctions.getExecution(executionArn)!;
    const definition = cloud.stepFunctions.getStateMachine(execution.stateMachineArn)!.definition;
    return { execution, analysis: analyzeHistory(definition, execution.events, execution.status) };
  };
  const outcomesOf = (analysis: ReturnType<typeof analyzeHistory>) =>
    Object.fromEntries(Object.entries(analysis.states).filter(([, s]) => s.outcome !== 'not-reached').map(([name, s]) => [name, s.outcome]));

  it('a create whose PutItem was throttled twice: PutNewItem retried 2×, delays within its Retry rule, the rest succeeded', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED, count: 2 });
    const res = await sendToApi(`${cloud.apiUrl}/orders`, ORDER);
    expect(res.status).toBe(201);
    const { analysis } = analyse(res.headers.get('x-execution-arn')!);

    expect(outcomesOf(analysis)).toEqual({
      Accept: 'succeeded',
      Route: 'succeeded',
      ValidateBody: 'succeeded',
      IsReplay: 'succeeded',
      LoadFlags: 'succeeded',
      ConsultCircuit: 'succeeded',
      ReadCircuit: 'succeeded',
      CheckCircuit: 'succeeded',
      CheckReadOnly: 'succeeded',
      Dispatch: 'succeeded',
      PrepareCreate: 'succeeded',
      BuildNewItem: 'succeeded',
      PutNewItem: 'retried',
      PublishIfEnabled: 'succeeded',
      Respond: 'succeeded',
      Finish: 'succeeded',
      FinishRecords: 'succeeded',
      Done: 'succeeded',
    });
    expect(analysis.states.Get).toMatchObject({ outcome: 'not-reached', visits: 0 });
    const put = analysis.states.PutNewItem;
    expect(put).toMatchObject({ visits: 1, attempts: 3 });
    expect(put.retries.map((r) => [r.retry, r.attempt, r.error, r.rule?.index, r.rule?.nominalDelaySeconds, r.rule?.jitterStrategy])).toEqual([
      // Retry[0] (MaxAttempts 0) names the errors never retried; a throughput error matches Retry[1] (States.TaskFailed).
      [1, 2, `DynamoDB.${THROTTLED}`, 1, 1, 'FULL'],
      [2, 3, `DynamoDB.${THROTTLED}`, 1, 2, 'FULL'],
    ]);
    for (const r of put.retries) {
      // FULL jitter: anywhere from 0 to the rule's delay (plus scheduling slack).
      expect(r.delayMs).toBeGreaterThanOrEqual(0);
      expect(r.delayMs).toBeLessThanOrEqual(r.rule!.nominalDelaySeconds * 1000 + 100);
      expect(Date.parse(r.retriedAt) - Date.parse(r.failedAt)).toBe(r.delayMs);
    }
    expect(put.input).toBeDefined();
    expect(put.output).toBeDefined();
    expect(analysis.failure).toBeUndefined();
    expect(analysis.caught).toEqual([]);
    expect(analysis.transitions).toEqual(expect.arrayContaining([{ from: 'BuildNewItem', to: 'PutNewItem' }, { from: 'PutNewItem', to: 'PublishIfEnabled' }]));
    // The retried TaskScheduled events carry their attempt and wait.
    const execution = cloud.stepFunctions.getExecution(res.headers.get('x-execution-arn')!)!;
    const scheduled = execution.events.filter((e) => e.type === 'TaskScheduled' && analysis.events[e.id].state === 'PutNewItem');
    expect(scheduled.map((e) => analysis.events[e.id].attempt)).toEqual([undefined, 2, 3]);
  }, 30_000);

  it('a create throttled on every attempt: PutNewItem caught after its retries, the Catch went to QueueForRedrive (the request record, throttled too, caught)', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const res = await sendToApi(`${cloud.apiUrl}/orders`, ORDER);
    expect(res.status).toBe(202);
    const { execution, analysis } = analyse(res.headers.get('x-execution-arn')!);

    expect(execution.status).toBe('SUCCEEDED');
    expect(outcomesOf(analysis)).toEqual({
      Accept: 'succeeded',
      Route: 'succeeded',
      ValidateBody: 'succeeded',
      IsReplay: 'succeeded',
      LoadFlags: 'succeeded',
      ConsultCircuit: 'succeeded',
      ReadCircuit: 'succeeded',
      CheckCircuit: 'succeeded',
      CheckReadOnly: 'succeeded',
      Dispatch: 'succeeded',
      PrepareCreate: 'succeeded',
      BuildNewItem: 'succeeded',
      PutNewItem: 'caught',
      QueueForRedrive: 'succeeded',
      // The table failing counts toward opening the write circuit.
      CountCircuitFailure: 'succeeded',
      ShouldOpenCircuit: 'succeeded',
      RouteQueued: 'succeeded',
      SendToDeadLetterQueue: 'succeeded',
      // The request record is a PutItem too: throttled, caught (best effort), the 202 answered anyway.
      RecordQueued: 'caught',
      RespondQueued: 'succeeded',
      Done: 'succeeded',
    });
    const put = analysis.states.PutNewItem;
    expect(put).toMatchObject({ attempts: 3, error: `DynamoDB.${THROTTLED}`, caughtBy: 'QueueForRedrive' });
    expect(put.cause).toContain(THROTTLED);
    expect(put.retries.map((r) => r.rule?.nominalDelaySeconds)).toEqual([1, 2]); // 1 × 2^n, capped by MaxDelaySeconds 2; MaxAttempts 2
    expect(analysis.caught).toEqual([
      { state: 'PutNewItem', error: `DynamoDB.${THROTTLED}`, cause: put.cause, next: 'QueueForRedrive' },
      { state: 'RecordQueued', error: `DynamoDB.${THROTTLED}`, cause: expect.stringContaining(THROTTLED), next: 'RespondQueued' },
    ]);
    expect(analysis.transitions).toContainEqual({ from: 'PutNewItem', to: 'QueueForRedrive', caught: true });
    expect(analysis.failure).toBeUndefined();
  }, 30_000);

  it('an input the workflow cannot read: the execution FAILED in its first state (Accept) with States.QueryEvaluationError', async () => {
    const failed = await cloud.stepFunctions.startSyncExecution({ stateMachineArn: orders().stateMachineArn, name: 'unreadable-input', input: '{}' });
    expect(failed.status).toBe('FAILED');
    const { analysis } = analyse(failed.executionArn);

    expect(outcomesOf(analysis)).toEqual({ Accept: 'failed' });
    expect(analysis.states.Accept).toMatchObject({ error: 'States.QueryEvaluationError', input: '{}' });
    expect(analysis.failure).toEqual({ type: 'ExecutionFailed', state: 'Accept', error: 'States.QueryEvaluationError', cause: failed.cause });
    expect(analysis.states.Route.outcome).toBe('not-reached');
  }, 30_000);
});

describe('analyzeHistory on Parallel, Map, Retry and Catch (ASL engine, virtual clock)', () => {
  const definition = {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Parallel',
        Next: 'Each',
        Branches: [
          {
            StartAt: 'Flaky',
            States: { Flaky: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['Throttled'], IntervalSeconds: 2, BackoffRate: 3, MaxAttempts: 3 }], End: true } },
          },
          { StartAt: 'Calm', States: { Calm: { Type: 'Pass', End: true } } },
        ],
      },
      Each: { Type: 'Map', ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, Next: 'Write' },
      Write: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Recover' }], Next: 'Done' },
      Recover: { Type: 'Pass', Next: 'Explode' },
      Explode: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true },
      Done: { Type: 'Succeed' },
    },
  };

  it('attributes events to nested states, counts Map iterations, and names the failing state', async () => {
    let flaky = 0;
    const handlers = new TaskHandlerRegistry()
      .register('arn:aws:states:::lambda:invoke', async () => {
        if (flaky++ < 2) throw new TaskError('Throttled', 'slow down');
        return { ok: true };
      })
      .register('arn:aws:states:::dynamodb:putItem', async () => {
        throw new TaskError('DynamoDB.ConditionalCheckFailedException', 'exists');
      })
      .register('arn:aws:states:::sqs:sendMessage', async () => {
        throw new TaskError('Kaboom', 'the queue is gone');
      });
    const events: any[] = [];
    const result = await compileStateMachine(definition).execute({
      executionArn: 'arn:aws:states:us-east-1:1:execution:T:e',
      stateMachineArn: 'arn:aws:states:us-east-1:1:stateMachine:T',
      name: 'e',
      input: '{}',
      taskHandlers: handlers,
      clock: fakeClock(),
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe('FAILED');

    const analysis = analyzeHistory(definition, events, result.status);
    const outcome = Object.fromEntries(Object.entries(analysis.states).map(([k, v]) => [k, v.outcome]));
    expect(outcome).toEqual({
      Fan: 'succeeded',
      Flaky: 'retried',
      Calm: 'succeeded',
      Each: 'succeeded',
      Item: 'succeeded',
      Write: 'caught',
      Recover: 'succeeded',
      Explode: 'failed',
      Done: 'not-reached',
    });
    // Virtual time: the delays are exactly the rule's 2 s then 2 × 3 = 6 s.
    expect(analysis.states.Flaky.retries.map((r) => [r.delayMs, r.rule?.nominalDelaySeconds, r.error])).toEqual([
      [2000, 2, 'Throttled'],
      [6000, 6, 'Throttled'],
    ]);
    expect(analysis.states.Item.visits).toBe(2); // the Parallel's output has two items
    expect(analysis.states.Write).toMatchObject({ error: 'DynamoDB.ConditionalCheckFailedException', caughtBy: 'Recover' });
    expect(analysis.failure).toEqual({ type: 'ExecutionFailed', state: 'Explode', error: 'Kaboom', cause: 'the queue is gone' });
    expect(analysis.transitions).toEqual(expect.arrayContaining([{ from: 'Fan', to: 'Each' }, { from: 'Write', to: 'Recover', caught: true }, { from: 'Recover', to: 'Explode' }]));
    for (const e of events.filter((x) => x.type === 'TaskFailed')) expect(['Flaky', 'Write', 'Explode']).toContain(analysis.events[e.id].state);
  });

  it('reports a state still running as running while the execution runs', () => {
    const t = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s));
    const events = [
      { id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: t(0), executionStartedEventDetails: { input: '{}' } },
      { id: 2, previousEventId: 0, type: 'TaskStateEntered', timestamp: t(1), stateEnteredEventDetails: { name: 'Write', input: '{}' } },
      { id: 3, previousEventId: 2, type: 'TaskScheduled', timestamp: t(1), taskScheduledEventDetails: { resource: 'putItem', resourceType: 'dynamodb' } },
    ];
    const analysis = analyzeHistory(definition, events, 'RUNNING');
    expect(analysis.states.Write.outcome).toBe('running');
    expect(analysis.events[3]).toEqual({ state: 'Write', elapsedMs: 1000 });
  });
});

describe('matchRetryRule', () => {
  const state = {
    Type: 'Task',
    Retry: [
      { ErrorEquals: ['States.Timeout'], IntervalSeconds: 3, MaxAttempts: 1 },
      { ErrorEquals: ['States.TaskFailed'], IntervalSeconds: 1, BackoffRate: 2, MaxDelaySeconds: 3, JitterStrategy: 'FULL' },
    ],
  };

  it('takes the first rule whose ErrorEquals matches and grows its delay per use, capped by MaxDelaySeconds', () => {
    const uses: number[] = [];
    expect(matchRetryRule(state, 'States.Timeout', uses)).toMatchObject({ index: 0, nominalDelaySeconds: 3, backoffRate: 2, maxAttempts: 1 });
    expect([1, 2, 3].map(() => matchRetryRule(state, 'Lambda.Unknown', uses)?.nominalDelaySeconds)).toEqual([1, 2, 3]);
    expect(matchRetryRule(state, 'Lambda.Unknown', uses)?.nominalDelaySeconds).toBe(3);
    expect(matchRetryRule({ Type: 'Task' }, 'X', [])).toBeUndefined();
  });
});
