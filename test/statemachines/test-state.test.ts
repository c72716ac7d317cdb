/**
 * Unit tests of the states of statemachines/crud-resource.asl.json, one state at a time through the TestState API
 * (@aws-sdk/client-sfn's TestStateCommand), as a team on AWS would write them: the definition is the deployed one
 * (DescribeStateMachine, DefinitionSubstitutions applied), each state is named with `stateName`, the variables
 * earlier states would have assigned are given as `variables`, and service calls are mocked with `mock.result` /
 * `mock.errorOutput` where the test is about the state's own logic. Here the endpoint is the local cloud's.
 *
 * TestState semantics relied on (API reference TestState; developer guide test-state-isolation.html):
 * - a Retry that matches with attempts left (`stateConfiguration.retrierRetryCount` retries made so far) is
 *   RETRIABLE; a Catch that matches then is CAUGHT_ERROR with `nextState`;
 * - `context` may only be given with a mock, and mocks only for Task, Map and Parallel states: the retry-budget
 *   guards of Choice states (Dispatch, CheckCreateConflictBudget: `$states.context.Execution.StartTime`) cannot be
 *   driven past their budget this way, on AWS as here. They are covered by test/statemachines/retry-budget.test.ts
 *   and the clock-driven end-to-end tests.
 */
import { DescribeStateMachineCommand, SFNClient, TestStateCommand, type TestStateCommandInput } from '@aws-sdk/client-sfn';
import { LocalCloud, resourceOf, startTestCloud } from '../e2e/helpers';

const json = (v: unknown) => JSON.stringify(v);
const parse = (s: string | undefined) => (s === undefined ? undefined : JSON.parse(s));

let cloud: LocalCloud;
let sfn: SFNClient;
let definition: string;
let roleArn: string;
let States: Record<string, any>;

beforeAll(async () => {
  cloud = await startTestCloud();
  const { stateMachineArn } = resourceOf(cloud, 'orders');
  // StartSyncExecution and TestState have the `sync-` host prefix (docs/pitfalls.md #13).
  sfn = new SFNClient({ endpoint: cloud.endpointUrl, region: stateMachineArn.split(':')[3], credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, disableHostPrefix: true, maxAttempts: 1 });
  const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
  definition = described.definition!;
  roleArn = described.roleArn!;
  States = JSON.parse(definition).States;
});

afterAll(async () => {
  sfn?.destroy();
  await cloud?.stop();
});

/** TestState of one state of the orders state machine. */
async function testState(stateName: string, input: Partial<Omit<TestStateCommandInput, 'variables' | 'definition'>> & { variables?: Record<string, unknown> } = {}) {
  const { variables, ...rest } = input;
  const { $metadata: _m, ...out } = await sfn.send(
    new TestStateCommand({ definition, stateName, input: '{}', inspectionLevel: 'DEBUG', ...rest, variables: variables && json(variables) }),
  );
  return out;
}

const request = (over: Record<string, unknown> = {}) => ({
  method: 'POST',
  path: '/orders',
  requestId: 'req-1',
  receivedAt: 1700000000000,
  headers: { idempotencyKey: '' },
  body: { customer: 'Ada' },
  replay: false,
  ...over,
});

describe('Route', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['GET without an id lists', { method: 'GET' }, '', 'List'],
    ['GET with an id reads one', { method: 'GET' }, 'o-1', 'Get'],
    ['POST without an id creates', { method: 'POST' }, '', 'ValidateBody'],
    ['POST with an id is not allowed', { method: 'POST' }, 'o-1', 'MethodNotAllowed'],
    ['PUT with an id replaces', { method: 'PUT' }, 'o-1', 'ValidateBody'],
    ['PATCH with an id patches', { method: 'PATCH' }, 'o-1', 'ValidateBody'],
    ['PUT without an id is not allowed', { method: 'PUT' }, '', 'MethodNotAllowed'],
    ['DELETE with an id deletes', { method: 'DELETE' }, 'o-1', 'IsReplay'],
    ['DELETE without an id is not allowed', { method: 'DELETE' }, '', 'MethodNotAllowed'],
    ['another method is not allowed (Default)', { method: 'HEAD' }, 'o-1', 'MethodNotAllowed'],
    ['a body the gateway found too large is 413 whatever the method', { method: 'POST', rejected: 'PayloadTooLarge' }, '', 'PayloadTooLarge'],
  ];
  it.each(cases)('%s', async (_name, over, id, next) => {
    const out = await testState('Route', { variables: { request: request(over), id } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('ValidateBody (the 422 branches)', () => {
  const cases: [string, Record<string, unknown>, string, string][] = [
    ['a body that is not an object', { body: [1, 2] }, '', 'BodyNotAnObject'],
    ['a reserved attribute', { body: { customer: 'Ada', version: 3 } }, '', 'ReservedAttribute'],
    ['a POST key that is not a non-empty string', { body: { orderId: 42 } }, '', 'InvalidKey'],
    ['an empty POST key', { body: { orderId: '' } }, '', 'InvalidKey'],
    ['a PUT whose key is not the path id', { method: 'PUT', body: { orderId: 'o-2' } }, 'o-1', 'KeyMismatch'],
    ['a valid body goes on (Default)', { method: 'PUT', body: { orderId: 'o-1', customer: 'Ada' } }, 'o-1', 'IsReplay'],
  ];
  it.each(cases)('%s', async (_name, over, id, next) => {
    const out = await testState('ValidateBody', { variables: { request: request(over), id } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('ReservedAttribute', () => {
  it('names the server-kept attributes the body sets', async () => {
    const body = { customer: 'Ada', version: 3, requestToken: 'x', lastRequestAt: 1 };
    const out = await testState('ReservedAttribute', { variables: { request: request({ body }), id: '' } });
    expect(JSON.parse(out.inspectionData!.variables!).problem.detail).toMatch(/^The body sets version, requestToken, lastRequestAt: /);
  });
});

describe('InvalidQuery', () => {
  it.each([
    ['0', 'limit must be an integer from 1 to 100, got "0".'],
    ['101', 'limit must be an integer from 1 to 100, got "101".'],
    ['2.5', 'limit must be an integer from 1 to 100, got "2.5".'],
    ['0001', 'limit must be an integer from 1 to 100, got "0001".'],
    ['010', 'next must be a cursor returned by this collection (the next of a page, as is).'],
    ['', 'next must be a cursor returned by this collection (the next of a page, as is).'],
  ])('limit=%j: the detail names the parameter at fault', async (limit, detail) => {
    const out = await testState('InvalidQuery', { variables: { request: request({ method: 'GET', query: { limit, next: 'x' } }), id: '' } });
    expect(JSON.parse(out.inspectionData!.variables!).problem.detail).toBe(detail);
  });
});

describe('CheckPreconditions (If-Match: strong comparison, RFC 9110 §13.1.1)', () => {
  const item = { orderId: { S: 'o-1' }, version: { N: '2' }, requestToken: { S: 'other' }, lastRequestAt: { N: '1600000000000' }, data: { S: '{}' } };
  const cases: [string, string, unknown, string][] = [
    ['the current strong tag matches', '"2"', item, 'BuildReplacement'],
    ['one of a list matches', '"1", "2"', item, 'BuildReplacement'],
    ['* matches an existing item', '*', item, 'BuildReplacement'],
    ['a weak tag never matches, even of the current version', 'W/"2"', item, 'PreconditionFailed'],
    ['a bare version is not an entity tag', '2', item, 'PreconditionFailed'],
    ['another version fails', '"1"', item, 'PreconditionFailed'],
    ['* on a missing item fails (412, not 404)', '*', null, 'PreconditionFailed'],
    ['a tag on a missing item fails', '"1"', null, 'PreconditionFailed'],
    ['* on a soft-deleted item fails', '*', { ...item, deletedAt: { S: '2024-01-01T00:00:00Z' } }, 'PreconditionFailed'],
    ['no If-Match on a missing item is 404', '', null, 'NotFound'],
  ];
  it.each(cases)('%s', async (_name, ifMatch, current, next) => {
    const over = { method: 'PUT', body: { customer: 'Ada' }, headers: { idempotencyKey: '', ifMatch, ifNoneMatch: '' } };
    const out = await testState('CheckPreconditions', { variables: { request: request(over), id: 'o-1', current, token: 'req-1' } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('CompareIdempotencyKey', () => {
  const record = (over: Record<string, unknown> = {}) => ({
    fingerprint: { S: 'fp-1' },
    status: { S: 'claimed' },
    requestId: { S: 'req-0' },
    claimedAt: { N: String(Date.now()) },
    ...over,
  });
  const cases: [string, unknown, Record<string, unknown>, string][] = [
    ['no record: the key is new', null, {}, 'Dispatch'],
    ['another body under the same key is refused (422)', record({ fingerprint: { S: 'fp-other' } }), {}, 'IdempotencyKeyReused'],
    ['a final outcome is answered again', record({ status: { S: 'applied' }, outcome: { S: '{"statusCode":201}' } }), {}, 'AnswerIdempotent'],
    ['our own claim goes on', record({ requestId: { S: 'req-1' } }), {}, 'TakeClaim'],
    ['a replay takes the claim', record(), { replay: true }, 'TakeClaim'],
    ['a queued request gets the same 202', record({ status: { S: 'queued' } }), {}, 'AnswerQueuedAgain'],
    ['an abandoned claim (older than 30 s) is taken over', record({ claimedAt: { N: String(Date.now() - 60_000) } }), {}, 'TakeClaim'],
    ['a fresh claim of another request is in progress (409)', record(), {}, 'IdempotencyInProgress'],
  ];
  it.each(cases)('%s', async (_name, idem, over, next) => {
    const out = await testState('CompareIdempotencyKey', { variables: { idem, fingerprint: 'fp-1', request: request(over) } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('Dispatch', () => {
  it.each([
    ['readOnly queues the write', { readOnly: true }, 'POST', 'ReadOnly'],
    ['a POST creates', { readOnly: false }, 'POST', 'PrepareCreate'],
    ['a PUT reads the current item first', { readOnly: false }, 'PUT', 'ReadCurrent'],
  ])('within the retry budget (Execution.StartTime is now): %s', async (_name, flags, method, next) => {
    const out = await testState('Dispatch', { variables: { flags, request: request({ method }) } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });

  it('the budget guard reads $states.context.Execution.StartTime, which a Choice cannot be given (context needs a mock)', async () => {
    expect(States.Dispatch.Choices[0]).toEqual({ Condition: '{% $millis() - $toMillis($states.context.Execution.StartTime) > 10000 %}', Next: 'OutOfTime' });
    const context = json({ Execution: { StartTime: new Date(Date.now() - 20_000).toISOString() } });
    await expect(testState('Dispatch', { context, variables: { flags: { readOnly: false }, request: request() } })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(testState('Dispatch', { context, mock: { result: '{}' }, variables: { flags: { readOnly: false }, request: request() } })).rejects.toThrow(
      "State type 'Choice' is not supported when a mock is specified",
    );
  });
});

describe('PutNewItem', () => {
  const variables = { id: 'o-1', newItem: { orderId: 'o-1', customer: 'Ada' }, token: 'req-1', request: request() };

  it('writes the conditional put with the table and key of the template, and answers 201 with a Location', async () => {
    const out = await testState('PutNewItem', { variables, mock: { result: '{}' } });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: States.PutNewItem.Next });
    const put = parse(out.inspectionData!.afterArguments);
    expect(put).toMatchObject({ TableName: resourceOf(cloud, 'orders').tableName, ConditionExpression: 'attribute_not_exists(#key)', ExpressionAttributeNames: { '#key': 'orderId' } });
    expect(put.Item).toMatchObject({ orderId: { S: 'o-1' }, version: { N: '1' }, requestToken: { S: 'req-1' }, lastRequestAt: { N: '1700000000000' } });
    expect(parse(put.Item.data.S)).toEqual(variables.newItem);
    expect(parse(out.inspectionData!.variables)).toMatchObject({ status: 201, body: variables.newItem, headers: { Location: '/orders/o-1', ETag: '"1"' } });
  });

  it('ConditionalCheckFailedException is not retried (MaxAttempts 0) and is caught → CheckCreateConflictBudget', async () => {
    const out = await testState('PutNewItem', { variables, mock: { errorOutput: { error: 'DynamoDB.ConditionalCheckFailedException', cause: 'The conditional request failed' } } });
    expect(out).toMatchObject({
      status: 'CAUGHT_ERROR',
      error: 'DynamoDB.ConditionalCheckFailedException',
      nextState: 'CheckCreateConflictBudget',
      inspectionData: { errorDetails: { retryIndex: 0, catchIndex: 0 } },
    });
  });

  it('ProvisionedThroughputExceededException is RETRIABLE (States.TaskFailed retrier, backoff at most 1 s with full jitter)', async () => {
    const out = await testState('PutNewItem', {
      variables,
      mock: { errorOutput: { error: 'DynamoDB.ProvisionedThroughputExceededException', cause: 'Throughput exceeds the current capacity' } },
      stateConfiguration: { retrierRetryCount: 0 },
    });
    expect(out).toMatchObject({ status: 'RETRIABLE', error: 'DynamoDB.ProvisionedThroughputExceededException', inspectionData: { errorDetails: { retryIndex: 1 } } });
    expect(out.inspectionData!.errorDetails!.retryBackoffIntervalSeconds).toBeLessThanOrEqual(1);
    expect(out.nextState).toBeUndefined();
  });

  it('after its 2 retries it is caught by States.ALL → QueueForRedrive, with the failure assigned', async () => {
    const out = await testState('PutNewItem', {
      variables,
      mock: { errorOutput: { error: 'DynamoDB.ProvisionedThroughputExceededException', cause: 'Throughput exceeds the current capacity' } },
      stateConfiguration: { retrierRetryCount: 2 },
    });
    expect(out).toMatchObject({ status: 'CAUGHT_ERROR', nextState: 'QueueForRedrive', inspectionData: { errorDetails: { retryIndex: 1, catchIndex: 2 } } });
    expect(parse(out.inspectionData!.variables).failure).toEqual({ Error: 'DynamoDB.ProvisionedThroughputExceededException', Cause: 'Throughput exceeds the current capacity' });
  });

  it('a mocked result that does not fit PutItem’s output is refused (fieldValidationMode STRICT)', async () => {
    await expect(testState('PutNewItem', { variables, mock: { result: json({ Attributes: [] }) } })).rejects.toThrow("Mock result schema validation error: Field 'Attributes' must be an object");
  });
});

describe('LoadFlags', () => {
  const throttled = { errorOutput: { error: 'Lambda.TooManyRequestsException', cause: 'Rate Exceeded.' } };

  it('a throttled flags Lambda is RETRIABLE once, then caught → FlagsUnavailable (never applied blind)', async () => {
    const first = await testState('LoadFlags', { mock: throttled, stateConfiguration: { retrierRetryCount: 0 } });
    expect(first).toMatchObject({ status: 'RETRIABLE', error: 'Lambda.TooManyRequestsException', inspectionData: { errorDetails: { retryIndex: 0 } } });
    const last = await testState('LoadFlags', { mock: throttled, stateConfiguration: { retrierRetryCount: 1 } });
    expect(last).toMatchObject({ status: 'CAUGHT_ERROR', nextState: 'FlagsUnavailable', inspectionData: { errorDetails: { retryIndex: 0, catchIndex: 0 } } });
    expect(parse(last.inspectionData!.variables).failure.Error).toBe('Lambda.TooManyRequestsException');
  });

  it('a function error is not retried: caught → FlagsUnavailable', async () => {
    const out = await testState('LoadFlags', { mock: { errorOutput: { error: 'Error', cause: '{"errorMessage":"boom"}' } } });
    expect(out).toMatchObject({ status: 'CAUGHT_ERROR', nextState: 'FlagsUnavailable', inspectionData: { errorDetails: { catchIndex: 0 } } });
  });

  it('missing flags default to the safe side: readOnly stays on unless the Lambda says otherwise', async () => {
    const none = await testState('LoadFlags', { mock: { result: json({ StatusCode: 200, Payload: {} }) } });
    expect(none).toMatchObject({ status: 'SUCCEEDED', nextState: States.LoadFlags.Next });
    expect(parse(none.inspectionData!.variables).flags).toMatchObject({ readOnly: true, softDelete: false, publishEvents: false });
    const open = await testState('LoadFlags', { mock: { result: json({ StatusCode: 200, Payload: { readOnly: false, publishEvents: true } }) } });
    expect(parse(open.inspectionData!.variables).flags).toMatchObject({ readOnly: false, publishEvents: true });
  });

  it('without a mock it invokes the local flags Lambda (the role is the state machine’s)', async () => {
    const out = await testState('LoadFlags', { roleArn });
    expect({ status: out.status, nextState: out.nextState, error: out.error, cause: out.cause }).toEqual({ status: 'SUCCEEDED', nextState: States.LoadFlags.Next });
    expect(parse(out.inspectionData!.result)).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(typeof parse(out.inspectionData!.variables).flags.readOnly).toBe('boolean');
  });
});

describe('Finish', () => {
  const response = (statusCode: number, headers: Record<string, string> = {}) => ({ statusCode, headers, body: '{}' });
  it.each([
    ['a probe that reached the table closes the circuit', { request: request(), probing: true, claimed: false, response: response(201) }, 'CloseCircuit'],
    ['a probe that got a 4xx from the table closes it too', { request: request(), probing: true, claimed: false, response: response(404) }, 'CloseCircuit'],
    ['a probe that was queued does not', { request: request(), probing: true, claimed: false, response: response(202) }, 'FinishRecords'],
    ['not a probe: on to the records', { request: request(), probing: false, claimed: false, response: response(201) }, 'FinishRecords'],
  ])('%s', async (_name, variables, next) => {
    const out = await testState('Finish', { variables });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('FinishRecords', () => {
  const response = (statusCode: number, headers: Record<string, string> = {}) => ({ statusCode, headers, body: '{}' });
  it.each([
    ['a replay records its outcome', { request: request({ replay: true }), claimed: false, response: response(201) }, 'RecordReplayOutcome'],
    ['a claimed key records a final answer', { request: request(), claimed: true, response: response(201) }, 'RecordIdempotentOutcome'],
    ['a claimed key does not record a 5xx', { request: request(), claimed: true, response: response(503) }, 'Done'],
    ['nor a 429', { request: request(), claimed: true, response: response(429) }, 'Done'],
    ['nor an answer with Retry-After', { request: request(), claimed: true, response: response(409, { 'Retry-After': '1' }) }, 'Done'],
    ['without a claim there is nothing to record', { request: request(), claimed: false, response: response(201) }, 'Done'],
  ])('%s', async (_name, variables, next) => {
    const out = await testState('FinishRecords', { variables });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: next });
  });
});

describe('RespondProblem', () => {
  const variables = { status: 404, headers: {}, problem: { title: 'Not Found', detail: 'No orders item o-9.' }, request: request({ requestId: 'req-9' }) };

  it('answers problem JSON (RFC 9457) with the request id, then goes to Finish', async () => {
    const out = await testState('RespondProblem', { variables });
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: 'Finish' });
    const { response } = parse(out.inspectionData!.variables);
    expect(response.statusCode).toBe(404);
    expect(response.headers).toEqual({ 'Content-Type': 'application/problem+json' });
    expect(parse(response.body)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No orders item o-9.', requestId: 'req-9' });
  });

  it('the same state given alone (a single-state definition) answers the same, headers merged', async () => {
    const state = { ...States.RespondProblem, QueryLanguage: 'JSONata' };
    const { $metadata: _m, ...out } = await sfn.send(
      new TestStateCommand({ definition: json(state), input: '{}', inspectionLevel: 'DEBUG', variables: json({ ...variables, status: 503, headers: { 'Retry-After': '30' } }) }),
    );
    expect(out).toMatchObject({ status: 'SUCCEEDED', nextState: 'Finish' });
    expect(parse(out.inspectionData!.variables).response.headers).toEqual({ 'Content-Type': 'application/problem+json', 'Retry-After': '30' });
  });
});
