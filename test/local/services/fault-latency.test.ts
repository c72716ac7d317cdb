/**
 * Slow calls: a fault rule with `latencyMs` delays a DynamoDB call (and may then fail it), so a Task's
 * TimeoutSeconds fires while the write still lands, as a slow AWS call does.
 */
import { LocalServices } from '../../../local/services';
import { FaultRuleError } from '../../../local/services/faults';

let services: LocalServices;
beforeAll(async () => {
  services = await LocalServices.open({ inMemory: true });
  await services.dynamodb.createTableFromCloudFormation({
    TableName: 'slow-table',
    KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
});
afterAll(() => services.close());
afterEach(() => services.faults.clear());

test('a latency-only rule delays the call, which then succeeds', async () => {
  services.faults.add({ service: 'dynamodb', operation: 'PutItem', latencyMs: 150, count: 1 });
  const started = Date.now();
  await services.dynamodb.call('PutItem', { TableName: 'slow-table', Item: { k: { S: 'slow' } } });
  expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  expect((await services.dynamodb.call('GetItem', { TableName: 'slow-table', Key: { k: { S: 'slow' } } })).Item).toEqual({ k: { S: 'slow' } });
});

test('latency with an error waits, then fails with that error', async () => {
  services.faults.add({ service: 'dynamodb', operation: 'GetItem', latencyMs: 50, error: 'InternalServerError', count: 1 });
  const started = Date.now();
  await expect(services.dynamodb.call('GetItem', { TableName: 'slow-table', Key: { k: { S: 'x' } } })).rejects.toMatchObject({ code: 'InternalServerError' });
  expect(Date.now() - started).toBeGreaterThanOrEqual(45);
});

test('a rule needs an error or a latency, and a latency within 1..60000 ms', () => {
  expect(() => services.faults.add({ service: 'dynamodb' } as never)).toThrow(FaultRuleError);
  expect(() => services.faults.add({ service: 'dynamodb', latencyMs: 0 })).toThrow('"latencyMs" must be');
  expect(() => services.faults.add({ service: 'dynamodb', latencyMs: 120_000 })).toThrow('"latencyMs" must be');
});

test('a rule with a table fails only the calls on that table', async () => {
  await services.dynamodb.createTableFromCloudFormation({
    TableName: 'other-table',
    KeySchema: [{ AttributeName: 'k', KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: 'k', AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
  });
  services.faults.add({ service: 'dynamodb', operation: 'GetItem', table: 'other-table', error: 'InternalServerError' });
  await expect(services.dynamodb.call('GetItem', { TableName: 'slow-table', Key: { k: { S: 'x' } } })).resolves.toBeDefined();
  await expect(services.dynamodb.call('GetItem', { TableName: 'other-table', Key: { k: { S: 'x' } } })).rejects.toMatchObject({ code: 'InternalServerError' });
  expect(() => services.faults.add({ service: 'dynamodb', error: 'InternalServerError', table: '' })).toThrow('"table" must be');
});
