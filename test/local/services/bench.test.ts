import { benchDynamoDb, formatDynamoDbBench } from '../../../local/services/dynamodb/bench';

describe('DynamoDB in-process benchmark', () => {
  it('measures puts/s and gets/s in memory and on disk', async () => {
    const results = await benchDynamoDb({ items: 50, concurrency: [1, 4] });
    expect(results.map((r) => `${r.storage}/${r.concurrency}`)).toEqual(['memory/1', 'memory/4', 'disk/1', 'disk/4']);
    for (const r of results) {
      expect(r.putsPerSecond).toBeGreaterThan(0);
      expect(r.getsPerSecond).toBeGreaterThan(0);
    }
    expect(formatDynamoDbBench(results).split('\n')).toHaveLength(5);
  });
});
