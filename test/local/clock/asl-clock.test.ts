/** The ASL engine behind the Step Functions API on the controllable clock: hour-long retries and waits end on an advance. */
import { ControllableClock } from '../../../local/asl/clock';
import { TaskError, TaskHandlerRegistry } from '../../../local/asl';
import { StepFunctionsService } from '../../../local/stepfunctions/service';

const ROLE = 'arn:aws:iam::123456789012:role/sfn';

/** Polls (on real time) until `condition` holds; the engine runs asynchronously after each advance. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function service(clock: ControllableClock, handlers: TaskHandlerRegistry): StepFunctionsService {
  return new StepFunctionsService({ region: 'us-east-1', account: '123456789012', taskHandlers: handlers, clock });
}

test('a Retry with IntervalSeconds 3600 and a one-day Wait finish after advances, without really waiting', async () => {
  const clock = new ControllableClock();
  let calls = 0;
  const handlers = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async () => {
    if (++calls === 1) throw new TaskError('Outage', 'down for maintenance');
    return { ok: true };
  });
  const sfn = service(clock, handlers);
  try {
    const machine = sfn.createStateMachine({
      name: 'slow',
      roleArn: ROLE,
      definition: {
        StartAt: 'Call',
        States: {
          Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Retry: [{ ErrorEquals: ['Outage'], IntervalSeconds: 3600, MaxAttempts: 2 }], Next: 'Tomorrow' },
          Tomorrow: { Type: 'Wait', Seconds: 86_400, End: true },
        },
      },
    });
    const started = Date.now();
    const execution = sfn.startExecution({ stateMachineArn: machine.stateMachineArn, input: '{}' });
    await until(() => calls === 1 && clock.pendingTimers > 0, 'the first attempt and its retry timer');
    await clock.advance(3600_000);
    await until(() => execution.events.some((e) => e.type === 'WaitStateEntered') && clock.pendingTimers > 0, 'the Wait state');
    expect(calls).toBe(2);
    expect(execution.status).toBe('RUNNING');
    await clock.advance(86_400_000);
    await sfn.settled(execution.executionArn);

    expect(execution.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(3000);
    // The execution's own timestamps are on the clock: it took a day and an hour.
    expect(execution.stopDate!.getTime() - execution.startDate.getTime()).toBeGreaterThanOrEqual((3600 + 86_400) * 1000);
    const entered = execution.events.find((e) => e.type === 'WaitStateEntered')!;
    expect(entered.timestamp.getTime() - execution.startDate.getTime()).toBeGreaterThanOrEqual(3600_000);
  } finally {
    await sfn.close();
  }
});

test("the machine's TimeoutSeconds runs on the clock too", async () => {
  const clock = new ControllableClock();
  const sfn = service(clock, new TaskHandlerRegistry());
  try {
    const machine = sfn.createStateMachine({ name: 'timeout', roleArn: ROLE, definition: { TimeoutSeconds: 60, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } } });
    const execution = sfn.startExecution({ stateMachineArn: machine.stateMachineArn, input: '{}' });
    await until(() => clock.pendingTimers >= 2, 'the Wait and the machine timeout');
    await clock.advance(61_000);
    await sfn.settled(execution.executionArn);
    expect(execution.status).toBe('TIMED_OUT');
  } finally {
    await sfn.close();
  }
});
