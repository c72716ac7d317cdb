/**
 * Task TimeoutSeconds / HeartbeatSeconds, the machine's TimeoutSeconds (TIMED_OUT) and stopping (ABORTED).
 * https://docs.aws.amazon.com/step-functions/latest/dg/state-task.html#task-timeouts
 */
import { fakeClock, TaskHandlerRegistry } from '../../../local/asl';
import { run, types } from './harness';

const hang = new TaskHandlerRegistry().register('arn:aws:states:::*', (inv) =>
  new Promise((_, reject) => inv.signal.addEventListener('abort', () => reject(new Error('aborted')))),
);

describe('timeouts and stopping', () => {
  test('a Task over TimeoutSeconds fails with States.Timeout and a TaskTimedOut event; the handler signal is aborted', async () => {
    let aborted = false;
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', (inv) => {
      inv.signal.addEventListener('abort', () => (aborted = true));
      return new Promise(() => undefined);
    });
    const clock = fakeClock();
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSeconds: 3, End: true } } }, {}, { handlers: registry, clock });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Timeout');
    expect(aborted).toBe(true);
    expect(types(r.events)).toEqual(['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskTimedOut', 'ExecutionFailed']);
    expect(r.events[2].taskScheduledEventDetails).toMatchObject({ timeoutInSeconds: 3 });
    expect(clock.sleeps).toEqual([3000]);
  });

  test('States.Timeout can be caught', async () => {
    const r = await run(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', TimeoutSecondsPath: '$.t', Catch: [{ ErrorEquals: ['States.Timeout'], Next: 'Late' }], End: true },
          Late: { Type: 'Pass', Result: 'late', End: true },
        },
      },
      { t: 1 },
      { handlers: hang },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(JSON.parse(r.output!)).toBe('late');
  });

  // Recorded on AWS (LocalStack tests/aws/services/stepfunctions/v2/timeouts/test_heartbeats.snapshot.json):
  // a heartbeat timeout is a TaskTimedOut with error States.Timeout and the execution fails with States.Timeout.
  test('HeartbeatSeconds: no heartbeat in time fails with States.Timeout (TaskTimedOut), caught by States.HeartbeatTimeout', async () => {
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', HeartbeatSeconds: 2, TimeoutSeconds: 100, End: true } } }, {}, { handlers: hang });
    expect(r.error).toBe('States.Timeout');
    expect(r.cause).toBeUndefined();
    expect(r.events.at(-2)!.taskTimedOutEventDetails).toEqual({ error: 'States.Timeout', resource: 'invoke', resourceType: 'lambda' });
    expect(r.events.at(-1)!.executionFailedEventDetails).toEqual({ error: 'States.Timeout' });
    const caught = await run(
      {
        StartAt: 'T',
        States: {
          T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', HeartbeatSeconds: 2, Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], Next: 'H' }], End: true },
          H: { Type: 'Pass', End: true },
        },
      },
      {},
      { handlers: hang },
    );
    expect(JSON.parse(caught.output!)).toEqual({ Error: 'States.Timeout', Cause: '' });
  });

  test('HeartbeatSeconds: a handler that heartbeats keeps going', async () => {
    const clock = fakeClock();
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
      for (let i = 0; i < 3; i++) {
        inv.heartbeat!();
        await clock.sleep(1500);
      }
      return 'done';
    });
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', HeartbeatSeconds: 2, End: true } } }, {}, { handlers: registry, clock });
    expect(r.status).toBe('SUCCEEDED');
  });

  test('the state machine TimeoutSeconds ends the execution as TIMED_OUT', async () => {
    const r = await run({ TimeoutSeconds: 10, StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } });
    // Recorded on AWS (LocalStack test_timeouts.snapshot.json, test_global_timeout): DescribeExecution of a
    // TIMED_OUT execution carries no error and no cause.
    expect(r.status).toBe('TIMED_OUT');
    expect(r.error).toBeUndefined();
    expect(r.cause).toBeUndefined();
    expect(types(r.events)).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionTimedOut']);
    expect(r.events[2]).toMatchObject({ previousEventId: 0, executionTimedOutEventDetails: { error: 'States.Timeout' } });
    expect(r.stopDate.getTime() - r.startDate.getTime()).toBe(10000);
  });

  test('aborting the signal stops the execution as ABORTED, and stops running handlers', async () => {
    const ac = new AbortController();
    let handlerAborted = false;
    const registry = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', (inv) => {
      setImmediate(() => ac.abort());
      return new Promise((_, reject) =>
        inv.signal.addEventListener('abort', () => {
          handlerAborted = true;
          reject(new Error('stopped'));
        }),
      );
    });
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } }, {}, { handlers: registry, signal: ac.signal });
    expect(r.status).toBe('ABORTED');
    expect(handlerAborted).toBe(true);
    expect(types(r.events).at(-1)).toBe('ExecutionAborted');
  });

  test('an unknown resource fails loudly with its name', async () => {
    const r = await run({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', End: true } } }, {}, { handlers: {} });
    expect(r.status).toBe('FAILED');
    expect(r.cause).toContain('arn:aws:states:::sns:publish');
  });
});
