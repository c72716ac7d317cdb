/**
 * The timeline of `executions show`: events in the GetExecutionHistory shape (as the local engine
 * records them and as AWS returns them) → offsets, states, retries with attempts and delays, errors.
 */
import { buildTimeline, detailsKeyOf, renderExecutionHeader, renderTimeline, reviveEvents } from '../../../local/cli/history';
import type { ExecutionDetail, HistoryEvent } from '../../../local/cli/types';

const T0 = Date.parse('2026-11-23T15:50:46.938Z');
const at = (ms: number) => new Date(T0 + ms);
const THROTTLED = 'DynamoDB.ProvisionedThroughputExceededException';
const CAUSE = 'The level of configured provisioned throughput for the table was exceeded. (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ProvisionedThroughputExceededException)';

/** A POST whose PutItem was throttled twice, then stored: the shape the local engine records (see local/asl/events.ts). */
const EVENTS: HistoryEvent[] = [
  { id: 1, previousEventId: 0, type: 'ExecutionStarted', timestamp: at(0), executionStartedEventDetails: { input: '{"method":"POST","resource":"orders","requestId":"req-1"}', roleArn: 'arn:role' } },
  { id: 2, previousEventId: 0, type: 'TaskStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'LoadFlags', input: '{}' } },
  { id: 3, previousEventId: 2, type: 'TaskScheduled', timestamp: at(2), taskScheduledEventDetails: { resource: 'invoke', resourceType: 'lambda', parameters: '{"FunctionName":"flags"}' } },
  { id: 4, previousEventId: 3, type: 'TaskSucceeded', timestamp: at(480), taskSucceededEventDetails: { resource: 'invoke', resourceType: 'lambda', output: '{"Payload":{"readOnly":false}}' } },
  { id: 5, previousEventId: 4, type: 'TaskStateExited', timestamp: at(481), stateExitedEventDetails: { name: 'LoadFlags', output: '{}', assignedVariables: { request: '{}', flags: '{}' } } },
  { id: 6, previousEventId: 5, type: 'TaskStateEntered', timestamp: at(500), stateEnteredEventDetails: { name: 'Create', input: '{}' } },
  { id: 7, previousEventId: 6, type: 'TaskScheduled', timestamp: at(501), taskScheduledEventDetails: { resource: 'putItem', resourceType: 'dynamodb', parameters: '{"TableName":"orders"}' } },
  { id: 8, previousEventId: 7, type: 'TaskStarted', timestamp: at(501), taskStartedEventDetails: { resource: 'putItem', resourceType: 'dynamodb' } },
  { id: 9, previousEventId: 8, type: 'TaskFailed', timestamp: at(502), taskFailedEventDetails: { resource: 'putItem', resourceType: 'dynamodb', error: THROTTLED, cause: CAUSE } },
  { id: 10, previousEventId: 9, type: 'TaskScheduled', timestamp: at(1339), taskScheduledEventDetails: { resource: 'putItem', resourceType: 'dynamodb', parameters: '{"TableName":"orders"}' } },
  { id: 11, previousEventId: 10, type: 'TaskStarted', timestamp: at(1339), taskStartedEventDetails: { resource: 'putItem', resourceType: 'dynamodb' } },
  { id: 12, previousEventId: 11, type: 'TaskFailed', timestamp: at(1340), taskFailedEventDetails: { resource: 'putItem', resourceType: 'dynamodb', error: THROTTLED, cause: CAUSE } },
  { id: 13, previousEventId: 12, type: 'TaskScheduled', timestamp: at(3291), taskScheduledEventDetails: { resource: 'putItem', resourceType: 'dynamodb', parameters: '{"TableName":"orders"}' } },
  { id: 14, previousEventId: 13, type: 'TaskStarted', timestamp: at(3291), taskStartedEventDetails: { resource: 'putItem', resourceType: 'dynamodb' } },
  { id: 15, previousEventId: 14, type: 'TaskSucceeded', timestamp: at(3313), taskSucceededEventDetails: { resource: 'putItem', resourceType: 'dynamodb', output: '{}' } },
  { id: 16, previousEventId: 15, type: 'TaskStateExited', timestamp: at(3313), stateExitedEventDetails: { name: 'Create', output: '{}' } },
  { id: 17, previousEventId: 16, type: 'SucceedStateEntered', timestamp: at(3313), stateEnteredEventDetails: { name: 'Respond', input: '{}' } },
  { id: 18, previousEventId: 17, type: 'SucceedStateExited', timestamp: at(3325), stateExitedEventDetails: { name: 'Respond', output: '{"statusCode":201}' } },
  { id: 19, previousEventId: 18, type: 'ExecutionSucceeded', timestamp: at(3337), executionSucceededEventDetails: { output: '{"statusCode":201,"headers":{},"body":"{}"}' } },
];

describe('buildTimeline', () => {
  const rows = buildTimeline(EVENTS);
  const row = (id: number) => rows.find((r) => r.id === id)!;

  test('offsets count from the first event; execution events have no state, the others their state', () => {
    expect(rows.map((r) => r.offsetMs)).toEqual(EVENTS.map((e) => e.timestamp.getTime() - T0));
    expect(row(1).state).toBe('');
    expect(row(3).state).toBe('LoadFlags');
    expect(row(9).state).toBe('Create');
    expect(row(17).state).toBe('Respond');
    expect(row(19).state).toBe('');
  });

  test('a task scheduled again after a failure is a retry: attempt number and the delay since the failure', () => {
    expect(row(7)).not.toHaveProperty('attempt');
    expect(row(10)).toMatchObject({ attempt: 2, retryDelayMs: 837 });
    expect(row(13)).toMatchObject({ attempt: 3, retryDelayMs: 1951 });
    expect(rows.filter((r) => r.attempt).map((r) => r.state)).toEqual(['Create', 'Create']);
  });

  test('failures carry their error and cause; details are abbreviated to one line', () => {
    expect(row(9)).toMatchObject({ error: THROTTLED, cause: CAUSE, type: 'TaskFailed' });
    expect(row(1).detail).toBe('input {"method":"POST","resource":"orders","requestId":"req-1"}');
    expect(row(7).detail).toBe('dynamodb:putItem {"TableName":"orders"}');
    expect(row(5).detail).toBe('output {}; assigned request, flags');
  });

  test('events out of id order are put back in order', () => {
    expect(buildTimeline([...EVENTS].reverse()).map((r) => r.id)).toEqual(EVENTS.map((e) => e.id));
  });
});

describe('renderTimeline', () => {
  test('one aligned line per event, the retries annotated, each cause on its own line', () => {
    const text = renderTimeline(EVENTS);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(EVENTS.length + 2); // + two cause lines
    expect(lines[0]).toMatch(/^\+0\.000s\s+ExecutionStarted\s+input \{"method":"POST"/);
    expect(text).toContain('+1.339s  Create     TaskScheduled        retry 1 (attempt 2) after 837 ms  dynamodb:putItem {"TableName":"orders"}');
    expect(text).toContain('+3.291s  Create     TaskScheduled        retry 2 (attempt 3) after 1.95 s  dynamodb:putItem');
    expect(text).toContain(`TaskFailed           ${THROTTLED}  dynamodb:putItem\n`);
    expect(text).toMatch(/↳ cause\s+The level of configured provisioned throughput/);
    // every line starts with the offset column at the same width
    expect(new Set(lines.filter((l) => l.startsWith('+')).map((l) => l.indexOf('  ')))).toEqual(new Set([7]));
  });

  test('--full prints whole causes and payloads', () => {
    const long = 'x'.repeat(300);
    const events: HistoryEvent[] = [
      { id: 1, type: 'ExecutionStarted', timestamp: at(0), executionStartedEventDetails: { input: JSON.stringify({ long }) } },
      { id: 2, previousEventId: 1, type: 'ExecutionFailed', timestamp: at(5), executionFailedEventDetails: { error: 'States.Runtime', cause: long } },
    ];
    expect(renderTimeline(events)).not.toContain(long);
    expect(renderTimeline(events, { full: true })).toContain(long);
    expect(renderTimeline(events, { full: true })).toContain(`input {"long":"${long}"}`);
  });
});

describe('the execution header', () => {
  test('names the request, its status and HTTP answer, the time it took and the retries', () => {
    const execution: ExecutionDetail = {
      executionArn: 'arn:aws:states:us-east-1:000000000000:express:orders:req-1:u',
      name: 'req-1',
      resource: 'orders',
      status: 'SUCCEEDED',
      statusCode: 201,
      startDate: at(0),
      stopDate: at(3337),
      events: EVENTS,
    };
    expect(renderExecutionHeader(execution)).toBe(
      [
        'Execution req-1  (orders)',
        '  ARN       arn:aws:states:us-east-1:000000000000:express:orders:req-1:u',
        '  Status    SUCCEEDED → HTTP 201 in 3.34 s',
        '  Started   2026-11-23T15:50:46.938Z',
        '  Retries   2 (Create ×2)',
        '',
      ].join('\n'),
    );
  });
});

describe('event shapes', () => {
  test('JSON-transported events (ISO strings, epoch seconds) are revived with Date timestamps', () => {
    const [a, b] = reviveEvents([
      { id: '1', type: 'ExecutionStarted', timestamp: '2026-11-23T15:50:46.938Z' },
      { id: 2, previousEventId: 1, type: 'ExecutionSucceeded', timestamp: 1795449046.94 },
    ]);
    expect(a).toMatchObject({ id: 1, timestamp: new Date('2026-11-23T15:50:46.938Z') });
    expect(b.timestamp.getTime()).toBe(1795449046940);
  });

  test('details keys follow GetExecutionHistory', () => {
    expect(['TaskFailed', 'PassStateEntered', 'FailStateEntered', 'ChoiceStateExited', 'ExecutionStarted', 'MapIterationStarted'].map(detailsKeyOf)).toEqual([
      'taskFailedEventDetails',
      'stateEnteredEventDetails',
      'stateEnteredEventDetails',
      'stateExitedEventDetails',
      'executionStartedEventDetails',
      'mapIterationStartedEventDetails',
    ]);
  });
});
