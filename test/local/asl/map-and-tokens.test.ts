/** Map failure tolerance, MaxConcurrency, and .waitForTaskToken context. */
import { fakeClock, TaskHandlerRegistry, TaskError } from '../../../local/asl';
import { output, run, types } from './harness';

describe('Map', () => {
  const failOdd = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
    const n = inv.input as number;
    if (n % 2) throw new TaskError('Odd', `item ${n}`);
    return n * 10;
  });
  const def = (extra: object) => ({
    StartAt: 'M',
    States: {
      M: {
        Type: 'Map',
        ...extra,
        ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } } },
        End: true,
      },
    },
  });

  test('ToleratedFailureCount: failures within the count keep the Map going; failed items hold their error output', async () => {
    const r = await run(def({ ToleratedFailureCount: 2 }), [1, 2, 3, 4], { handlers: failOdd });
    expect(r.status).toBe('SUCCEEDED');
    expect(output(r)).toEqual([{ Error: 'Odd', Cause: 'item 1' }, 20, { Error: 'Odd', Cause: 'item 3' }, 40]);
  });

  test('over the tolerated threshold the Map fails with States.ExceedToleratedFailureThreshold', async () => {
    const r = await run(def({ ToleratedFailurePercentage: 10 }), [1, 2, 3, 4], { handlers: failOdd });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.ExceedToleratedFailureThreshold');
  });

  test('MaxConcurrency bounds the iterations in flight', async () => {
    const clock = fakeClock();
    let inFlight = 0;
    let peak = 0;
    const slow = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await clock.sleep(1000);
      inFlight--;
      return inv.input;
    });
    const r = await run(def({ MaxConcurrency: 2 }), [1, 2, 3, 4, 5], { handlers: slow, clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(output(r)).toEqual([1, 2, 3, 4, 5]);
    expect(peak).toBe(2);
  });

  test('without MaxConcurrency, slow iterations overlap', async () => {
    const clock = fakeClock();
    let peak = 0;
    let inFlight = 0;
    const slow = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
      peak = Math.max(peak, ++inFlight);
      await clock.sleep(1000);
      inFlight--;
      return inv.input;
    });
    const r = await run(def({}), [1, 2, 3], { handlers: slow, clock });
    expect(r.status).toBe('SUCCEEDED');
    expect(peak).toBe(3);
    expect(r.stopDate.getTime() - r.startDate.getTime()).toBe(1000);
  });

  test('a failing iteration stops the others (MapIterationAborted) and fails the Map', async () => {
    const clock = fakeClock();
    const reg = new TaskHandlerRegistry().register('arn:aws:states:::lambda:invoke', async (inv) => {
      if (inv.input === 'bad') throw new TaskError('Bad', 'bad item');
      await clock.sleep(5000, inv.signal);
      return 'ok';
    });
    const r = await run(def({}), ['slow', 'bad'], { handlers: reg, clock });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('Bad');
    expect(types(r.events)).toContain('MapIterationAborted');
    expect(types(r.events)).toContain('MapStateFailed');
  });
});

describe('.waitForTaskToken', () => {
  test('$$.Task.Token is available to Parameters and given to the handler', async () => {
    let seen: string | undefined;
    const reg = new TaskHandlerRegistry().register('arn:aws:states:::sqs:sendMessage.waitForTaskToken', async (inv) => {
      seen = inv.taskToken;
      return { fromCallback: (inv.input as { token: string }).token === inv.taskToken };
    });
    const r = await run(
      { StartAt: 'Q', States: { Q: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken', Parameters: { 'token.$': '$$.Task.Token' }, End: true } } },
      {},
      { handlers: reg },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(seen).toMatch(/^[0-9a-f-]{36}$/);
    expect(output(r)).toEqual({ fromCallback: true });
  });
});
