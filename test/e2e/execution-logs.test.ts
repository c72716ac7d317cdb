/**
 * What the Express state machines write to CloudWatch Logs in each stage (cdk/deployment-settings.ts), on the
 * local cloud that synthesizes the stack with that stage: prod logs ERROR events without execution data, so
 * the personal fields of a body (name, email, phone) never reach the logs; dev logs everything with data.
 */
import { CloudWatchLogsClient, DescribeLogGroupsCommand, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ERROR_EVENT_TYPES } from '../../local/stepfunctions/execution-logs';
import { Api, LocalCloud, startTestCloud } from './helpers';

jest.setTimeout(120_000);

/** Anonymous and without API keys, so the test speaks plain HTTP; auth and usage plans have their own tests. */
const OPEN = { auth: 'none', clients: [] };
const PERSONAL = { name: 'Ada Lovelace-Logtest', email: 'ada.logtest@example.com', phone: '+44 20 7946 0958' };

/** Every log event of the resource's execution log group, parsed. */
function logEvents(cloud: LocalCloud, resource: string): any[] {
  const group = cloud.executionLogs.groupNames().find((g) => g.endsWith(`-${resource}`));
  return group ? cloud.executionLogs.events(group).map((e) => JSON.parse(e.message)) : [];
}

/** Requests that succeed, and one whose execution logs an error: a second POST of the same id fails its conditional PutItem (409). */
async function writeCustomer(api: Api): Promise<{ id: string; requestIds: string[] }> {
  const id = `logtest-${Date.now()}`;
  const created = await api.post('/customers', { ...PERSONAL, customerId: id });
  expect(created.status).toBe(201);
  const read = await api.get(`/customers/${id}`);
  expect(read.status).toBe(200);
  const again = await api.post('/customers', { ...PERSONAL, customerId: id });
  expect(again.status).toBe(409);
  return { id, requestIds: [created.requestId!, read.requestId!, again.requestId!] };
}

describe('stage prod', () => {
  let cloud: LocalCloud;
  let api: Api;
  beforeAll(async () => {
    // debugHeaders at its default (off), which test clouds otherwise turn on.
    cloud = await startTestCloud({ context: { ...OPEN, stage: 'prod', debugHeaders: false } });
    api = new Api(cloud.apiUrl);
  });
  afterAll(() => cloud?.stop());

  test('a POST with a name, an email and a phone writes none of them to the logs; only error events are logged, without inputs or outputs', async () => {
    const { requestIds } = await writeCustomer(api);
    const text = cloud.executionLogs
      .groupNames()
      .flatMap((g) => cloud.executionLogs.events(g))
      .map((e) => e.message)
      .join('\n');
    for (const value of Object.values(PERSONAL)) expect(text).not.toContain(value);
    const events = logEvents(cloud, 'customers');
    // The 409's failed PutItem is logged (error and cause only), the successful executions are not.
    expect(events.map((e) => e.type)).toContain('TaskFailed');
    expect(events.every((e) => e.execution_arn.includes(`:${requestIds[2]}:`))).toBe(true);
    for (const event of events) {
      expect(ERROR_EVENT_TYPES.has(event.type)).toBe(true);
      expect(Object.keys(event.details)).not.toEqual(expect.arrayContaining(['input']));
      expect(Object.keys(event.details)).not.toEqual(expect.arrayContaining(['output']));
    }
    // The executions ran whole (the local console keeps their full history): only the logs are reduced.
    for (const requestId of requestIds) expect(cloud.stepFunctions.listExecutions().some((e) => e.name === requestId)).toBe(true);
  });

  test('the logs read back through CloudWatch Logs on the endpoint: the SDK (FilterLogEvents, DescribeLogGroups) and AWS CLI v1', async () => {
    const { requestIds } = await writeCustomer(api);
    const client = new CloudWatchLogsClient({ endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const { logGroups } = await client.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: '/aws/vendedlogs/states/' }));
    const group = logGroups!.map((g) => g.logGroupName!).find((g) => g.endsWith('-customers'))!;
    expect(group).toBe('/aws/vendedlogs/states/CrudApi-customers');
    const byRequest = await client.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: `"${requestIds[2]}"` }));
    expect(byRequest.events!.map((e) => JSON.parse(e.message!).type)).toEqual(['TaskFailed']);
    const byType = await client.send(new FilterLogEventsCommand({ logGroupName: group, filterPattern: '{ ($.type = "ExecutionSucceeded") || ($.type = "TaskFailed") }' }));
    expect(byType.events!.length).toBeGreaterThan(0);
    expect(byType.events!.every((e) => JSON.parse(e.message!).type === 'TaskFailed')).toBe(true);
    await expect(client.send(new FilterLogEventsCommand({ logGroupName: '/nope' }))).rejects.toMatchObject({ name: 'ResourceNotFoundException' });

    const { stdout } = await promisify(execFile)(
      'aws',
      ['logs', 'filter-log-events', '--log-group-name', group, '--filter-pattern', `"${requestIds[2]}"`, '--endpoint-url', cloud.endpointUrl, '--region', 'us-east-1', '--output', 'json'],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' } },
    );
    const cli = JSON.parse(stdout);
    expect(cli.events.map((e: any) => JSON.parse(e.message).type)).toEqual(['TaskFailed']);
    expect(stdout).not.toContain(PERSONAL.email);
  });

  test('responses carry X-Request-Id (the execution name) but not X-Execution-Arn, which names the account and state machine', async () => {
    const res = await api.get('/customers?limit=1');
    expect(res.status).toBe(200);
    expect(res.requestId).toMatch(/\S/);
    expect(res.headers.get('x-execution-arn')).toBeNull();
    expect(res.headers.get('access-control-expose-headers')).toBe('ETag,Location,X-Request-Id,Retry-After');
  });
});

describe('stage dev (the default)', () => {
  let cloud: LocalCloud;
  let api: Api;
  beforeAll(async () => {
    cloud = await startTestCloud({ context: OPEN });
    api = new Api(cloud.apiUrl);
  });
  afterAll(() => cloud?.stop());

  test('logs every event of every execution with its data, in the shape AWS writes (the console and crud-ops read it)', async () => {
    const { requestIds } = await writeCustomer(api);
    const events = logEvents(cloud, 'customers');
    const created = events.filter((e) => e.execution_arn.includes(`:${requestIds[0]}:`));
    expect(created[0]).toMatchObject({ id: '1', type: 'ExecutionStarted', previous_event_id: '0', redrive_count: '0', details: { input: expect.any(String) } });
    expect(created.at(-1)).toMatchObject({ type: 'ExecutionSucceeded', details: { output: expect.any(String) } });
    expect(created.map((e) => e.type)).toEqual(expect.arrayContaining(['TaskStateEntered', 'TaskScheduled', 'TaskSucceeded']));
    expect(JSON.stringify(created)).toContain(PERSONAL.email);
  });

  test('X-Execution-Arn is on (debugHeaders defaults to true in dev)', async () => {
    const res = await api.get('/customers?limit=1');
    expect(res.headers.get('x-execution-arn')).toMatch(/^arn:aws:states:[^:]+:\d{12}:express:/);
  });
});
