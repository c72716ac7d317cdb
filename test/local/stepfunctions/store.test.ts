/**
 * ExecutionStore retention: beyond maxExecutions the oldest closed executions are forgotten (in start
 * order); running ones stay, and go once they are closed and the oldest. Checked against the rule written
 * as a plain Map iteration, on random sequences.
 */
import { ExecutionStore, type ExecutionRecord } from '../../../local/stepfunctions/store';

function record(arn: string, status: ExecutionRecord['status']): ExecutionRecord {
  return { executionArn: arn, stateMachineArn: 'sm', name: arn, status, startDate: new Date(0), input: '{}', roleArn: 'r', events: [] };
}

describe('ExecutionStore retention', () => {
  test('forgets the oldest closed executions, keeps running ones until they are closed', () => {
    const store = new ExecutionStore({ maxExecutions: 2 });
    const a = record('a', 'RUNNING');
    store.add(a);
    store.add(record('b', 'SUCCEEDED'));
    store.add(record('c', 'SUCCEEDED'));
    expect([...store.all()].map((e) => e.executionArn)).toEqual(['a', 'c']);
    a.status = 'SUCCEEDED';
    store.add(record('d', 'FAILED'));
    expect([...store.all()].map((e) => e.executionArn)).toEqual(['c', 'd']);
  });

  test('agrees with the rule on random sequences (running executions, closings, a reused ARN)', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 200; trial++) {
      const max = 1 + Math.floor(random() * 12);
      const store = new ExecutionStore({ maxExecutions: max });
      const expected = new Map<string, ExecutionRecord>();
      const seen: ExecutionRecord[] = [];
      for (let step = 0; step < 300; step++) {
        if (random() < 0.6) {
          const e = record(`arn:${Math.floor(random() * 40)}`, random() < 0.3 ? 'RUNNING' : 'SUCCEEDED');
          store.add(e);
          seen.push(e);
          expected.set(e.executionArn, e);
          if (expected.size > max) {
            for (const [arn, x] of expected) {
              if (expected.size <= max) break;
              if (x.status !== 'RUNNING') expected.delete(arn);
            }
          }
        } else if (seen.length > 0) {
          seen[Math.floor(random() * seen.length)].status = 'SUCCEEDED';
        }
        expect([...store.all()]).toEqual([...expected.values()]);
      }
    }
  });
});
