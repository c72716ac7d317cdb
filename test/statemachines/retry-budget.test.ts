import { AslDefinition, retrierDelaySeconds, stateWorstCaseSeconds, worstCase } from '../helpers/retry-budget';

/** Unit tests of the retry-budget calculator on tiny hand-made definitions, so a wrong model fails here first. */
describe('retry budget calculator', () => {
  test('a retrier waits IntervalSeconds × BackoffRate^k before retry k, capped by MaxDelaySeconds', () => {
    expect(retrierDelaySeconds({ ErrorEquals: ['X'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 })).toBe(1 + 2 + 4);
    expect(retrierDelaySeconds({ ErrorEquals: ['X'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3, MaxDelaySeconds: 2 })).toBe(1 + 2 + 2);
    expect(retrierDelaySeconds({ ErrorEquals: ['X'], IntervalSeconds: 3, BackoffRate: 1, MaxAttempts: 2, JitterStrategy: 'FULL' })).toBe(6);
    expect(retrierDelaySeconds({ ErrorEquals: ['X'], MaxAttempts: 0 })).toBe(0);
  });

  test('a retrier without fields uses the States Language defaults (1 s, ×2, 3 attempts)', () => {
    expect(retrierDelaySeconds({ ErrorEquals: ['X'] })).toBe(1 + 2 + 4);
  });

  test('a Task costs every attempt at its timeout plus every delay, summed over its retriers', () => {
    const task = {
      Type: 'Task',
      TimeoutSeconds: 2,
      Retry: [
        { ErrorEquals: ['A'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 },
        { ErrorEquals: ['B'], IntervalSeconds: 5, MaxAttempts: 1 },
      ],
      End: true,
    };
    // attempts = 1 + 2 + 1 = 4 → 8 s; delays = (1 + 2) + 5 = 8 s
    expect(stateWorstCaseSeconds('T', task)).toBe(16);
    expect(stateWorstCaseSeconds('T', { Type: 'Task', TimeoutSeconds: 3, End: true })).toBe(3);
  });

  test('the longest path follows Next, Choice branches, Default and Catch', () => {
    const definition: AslDefinition = {
      StartAt: 'Route',
      States: {
        Route: { Type: 'Choice', Choices: [{ Next: 'Fast' }], Default: 'Write' },
        Fast: { Type: 'Task', TimeoutSeconds: 1, End: true },
        Write: {
          Type: 'Task',
          TimeoutSeconds: 1,
          Retry: [{ ErrorEquals: ['Throttled'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 2 }],
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Queue' }],
          Next: 'Done',
        },
        Queue: { Type: 'Task', TimeoutSeconds: 2, Next: 'Pause' },
        Pause: { Type: 'Wait', Seconds: 4, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    // Write: 3 attempts × 1 s + (1 + 2) = 6; Queue 2; Pause 4
    expect(worstCase(definition)).toEqual({ seconds: 12, path: ['Route', 'Write', 'Queue', 'Pause', 'Done'] });
  });

  test('a Parallel state costs its slowest branch', () => {
    const definition: AslDefinition = {
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'A', States: { A: { Type: 'Task', TimeoutSeconds: 2, End: true } } },
            { StartAt: 'B', States: { B: { Type: 'Wait', Seconds: 5, End: true } } },
          ],
          End: true,
        },
      },
    };
    expect(worstCase(definition).seconds).toBe(5);
  });

  test('a Task without a static TimeoutSeconds is refused: its duration is unbounded', () => {
    const definition: AslDefinition = { StartAt: 'T', States: { T: { Type: 'Task', End: true } } };
    expect(() => worstCase(definition)).toThrow('T: a Task without a static TimeoutSeconds');
    const jsonata: AslDefinition = { StartAt: 'T', States: { T: { Type: 'Task', TimeoutSeconds: '{% $t %}', End: true } } };
    expect(() => worstCase(jsonata)).toThrow('T: a Task without a static TimeoutSeconds');
  });

  test('a cycle is refused: its worst case is unbounded', () => {
    const definition: AslDefinition = {
      StartAt: 'A',
      States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Choice', Choices: [{ Next: 'A' }], Default: 'C' }, C: { Type: 'Succeed' } },
    };
    expect(() => worstCase(definition)).toThrow('Cycle through A');
  });

  test('a transition to an unknown state is refused', () => {
    expect(() => worstCase({ StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Nowhere' } } })).toThrow('unknown state Nowhere');
  });
});
