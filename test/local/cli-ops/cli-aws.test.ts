/**
 * The CLI's AWS target (`--aws`), run in-process.
 *
 * What is real here: SQS, Step Functions and DynamoDB. The "deployed stack" is a local cloud, and the AWS
 * target's SQS/SFN/DynamoDB clients are plain SDK v3 clients pointed at its endpoint (as AWS_ENDPOINT_URL would),
 * so `dlq list/redrive --aws` run the AWS code path against real implementations of those APIs.
 * What is intercepted (nothing local implements it): CloudFormation DescribeStacks (answers the local
 * cloud's outputs, or AWS's "does not exist" error), the AppConfig control plane and CloudWatch Logs —
 * these tests prove which calls the CLI makes and what it does with AWS-shaped answers, not how AWS
 * itself behaves. One test lets a real SDK client fail to connect, for exit code 4.
 */
import { signedFetch } from '../../../local/auth/sign-request';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import * as net from 'node:net';
import { featureFlagsDocument } from '../../../lambdas/flags/definitions';
import { startLocalCloud } from '../../../local/cloud';
import type { LocalCloud } from '../../../local/cloud-types';
import type { AwsClients } from '../../../local/cli/aws-target';
import { EXIT } from '../../../local/cli/errors';
import { fakeAppConfig, fakeLogs, runCli } from './fakes';

const THROTTLED = 'ProvisionedThroughputExceededException';
const CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ inMemory: true, port: 0, endpointPort: 0, schedules: false, log: () => {} });
});

afterEach(() => {
  cloud.services.faults.clear();
  jest.restoreAllMocks();
});

afterAll(async () => {
  await cloud?.stop();
});

/** DescribeStacks of stack "CrudApi" answers the local cloud's outputs (with AWS-looking flag ids); any other stack does not exist. */
function fakeCloudFormation(calls: unknown[] = []): CloudFormationClient {
  const client = new CloudFormationClient({ region: 'eu-west-1', credentials: CREDENTIALS });
  jest.spyOn(client, 'send').mockImplementation(async (command: any) => {
    calls.push(command.input);
    if (!(command instanceof DescribeStacksCommand)) throw new Error(`unexpected ${command.constructor.name}`);
    if (command.input.StackName !== 'CrudApi') {
      throw Object.assign(new Error(`Stack with id ${command.input.StackName} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    }
    const outputs = { ...cloud.outputs, FlagsApplicationId: 'app1234', FlagsEnvironmentId: 'env5678', FlagsProfileId: 'prof9012' };
    return { Stacks: [{ StackName: 'CrudApi', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] } as never;
  });
  return client;
}

function clients(overrides: Partial<AwsClients> = {}): AwsClients {
  const local = { region: 'eu-west-1', credentials: CREDENTIALS, endpoint: cloud.endpointUrl, disableHostPrefix: true };
  return {
    cloudFormation: fakeCloudFormation(),
    appConfig: fakeAppConfig({ versions: { 1: featureFlagsDocument() }, deployments: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }] }).client,
    logs: fakeLogs({}).client,
    sqs: new SQSClient(local),
    sfn: new SFNClient(local),
    dynamodb: new DynamoDBClient(local),
    ...overrides,
  };
}

const aws = (argv: string[], sdk: AwsClients = clients(), region?: string) => runCli(['--aws', ...(region ? ['--region', region] : []), ...argv], { awsClients: () => sdk });

async function post(resource: string, body: unknown): Promise<{ status: number; requestId: string }> {
  const res = await signedFetch(`${cloud.apiUrl}/${resource}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  await res.text();
  return { status: res.status, requestId: res.headers.get('x-request-id')! };
}

describe('--aws: stack outputs from CloudFormation, DLQ and redrive over SQS and Step Functions', () => {
  test('dlq list and redrive --all reach the queue and the state machine named in the stack outputs', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', error: THROTTLED });
    const queued = await Promise.all([1, 2].map((n) => post('orders', { customer: `Ada ${n}`, items: [{ pizza: 'margherita', quantity: 1 }] })));
    cloud.services.faults.clear();
    expect(queued.map((q) => q.status)).toEqual([202, 202]);

    const cfCalls: unknown[] = [];
    const sdk = clients({ cloudFormation: fakeCloudFormation(cfCalls) });
    const list = await aws(['--json', 'dlq', 'list', 'orders'], sdk);
    expect(list.code).toBe(EXIT.OK);
    expect(list.json.queueUrl).toBe(cloud.resources.find((r) => r.name === 'orders')!.deadLetterQueueUrl);
    expect(list.json.messages.map((m: any) => m.requestId).sort()).toEqual(queued.map((q) => q.requestId).sort());
    expect(cfCalls).toEqual([{ StackName: 'CrudApi' }]);

    const redrive = await aws(['dlq', 'redrive', 'orders', '--all'], sdk);
    expect(redrive.code).toBe(EXIT.OK);
    expect(redrive.stdout).toMatch(/^2\/2 done: 2 applied, 0 rejected, 0 kept, 0 poison\. 0 messages left in the queue\.$/m);
    for (const q of queued) expect((await signedFetch(`${cloud.apiUrl}/orders/${q.requestId}`)).status).toBe(200);
  });

  test('a stack that does not exist: not found (exit 3), naming it and the region', async () => {
    const { code, stdout, stderr } = await runCli(['--aws', '--stack', 'Nope', '--region', 'eu-west-1', 'dlq', 'list', 'orders'], { awsClients: () => clients() });
    expect({ code, stdout }).toEqual({ code: EXIT.NOT_FOUND, stdout: '' });
    expect(stderr).toBe('error: Stack Nope does not exist in eu-west-1\n  Deploy it with `npx cdk deploy`, or name it with --stack <name> / --region <region>.\n');
  });

  test('an unknown resource: not found (exit 3), listing the stack’s resources', async () => {
    expect(await aws(['dlq', 'redrive', 'pizzas'])).toMatchObject({ code: EXIT.NOT_FOUND, stderr: 'error: Unknown resource "pizzas"; known resources: orders, customers\n' });
  });
});

describe('--aws flags: the AppConfig control plane with the ids of the stack outputs', () => {
  test('get reads the deployed version; set creates a version and deploys it with AppConfig.AllAtOnce', async () => {
    const appConfig = fakeAppConfig({ versions: { 1: featureFlagsDocument() }, deployments: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }] });
    const sdk = clients({ appConfig: appConfig.client });

    const get = await aws(['flags', 'get', 'readOnly'], sdk);
    expect(get).toMatchObject({ code: EXIT.OK, stdout: 'readOnly=false\n' });

    const set = await aws(['flags', 'set', 'readOnly=true'], sdk);
    expect(set.code).toBe(EXIT.OK);
    expect(set.stdout).toBe(
      'readOnly=true (was false): configuration version 2 deployed (deployment 2, DEPLOYING).\nThe flags Lambda picks it up at its next poll: within 15 s of the deployment.\n',
    );
    const deploy = appConfig.calls.find((c) => c.command === 'StartDeploymentCommand')!.input;
    expect(deploy).toMatchObject({ ApplicationId: 'app1234', EnvironmentId: 'env5678', ConfigurationProfileId: 'prof9012', ConfigurationVersion: '2', DeploymentStrategyId: 'AppConfig.AllAtOnce' });

    expect(await aws(['--json', 'flags', 'get'], sdk)).toMatchObject({ code: EXIT.OK, json: { flags: { readOnly: true, softDelete: false, publishEvents: false, circuitBreaker: true } } });
  });

  test('an unknown flag is refused before any AWS call (exit 2)', async () => {
    const appConfig = fakeAppConfig({ versions: {}, deployments: [] });
    const result = await aws(['flags', 'set', 'maintenance=true'], clients({ appConfig: appConfig.client }));
    expect(result).toMatchObject({ code: EXIT.USAGE, stderr: 'error: Unknown flag "maintenance"; known flags: readOnly, softDelete, publishEvents, circuitBreaker\n' });
    expect(appConfig.calls).toEqual([]);
  });
});

describe('--aws executions: read from the state machines’ CloudWatch log groups', () => {
  const NOW = Date.now();
  const arn = (name: string) => `arn:aws:states:eu-west-1:123456789012:express:CrudApi-ResourceordersStateMachine2739D9DA:${name}:6f1c2f0e-1d55-4d2b-9a2f-0c7f3b1f1a11`;
  const message = (name: string, id: number, previous: number, type: string, ms: number, details: object) =>
    JSON.stringify({ id: String(id), type, details, previous_event_id: String(previous), event_timestamp: String(NOW - 60_000 + ms), execution_arn: arn(name), redrive_count: '0' });
  const history = (name: string) => [
    message(name, 1, 0, 'ExecutionStarted', 0, { input: '{"method":"POST"}', inputDetails: { truncated: false }, roleArn: 'arn:role' }),
    message(name, 2, 0, 'TaskStateEntered', 1, { name: 'PutNewItem', input: '{}', inputDetails: { truncated: false } }),
    message(name, 3, 2, 'TaskScheduled', 2, { resource: 'putItem', resourceType: 'dynamodb', region: 'eu-west-1', parameters: '{}' }),
    message(name, 4, 3, 'TaskFailed', 3, { resource: 'putItem', resourceType: 'dynamodb', error: `DynamoDB.${THROTTLED}`, cause: 'throttled' }),
    message(name, 5, 4, 'TaskScheduled', 1003, { resource: 'putItem', resourceType: 'dynamodb', region: 'eu-west-1', parameters: '{}' }),
    message(name, 6, 5, 'TaskSucceeded', 1010, { resource: 'putItem', resourceType: 'dynamodb', output: '{}', outputDetails: { truncated: false } }),
    message(name, 7, 6, 'TaskStateExited', 1011, { name: 'PutNewItem', output: '{}', outputDetails: { truncated: false } }),
    message(name, 8, 7, 'ExecutionSucceeded', 1012, { output: '{"statusCode":201,"headers":{},"body":"{}"}', outputDetails: { truncated: false } }),
  ];

  test('show: searches /aws/vendedlogs/states/<stack>-<resource> for the request id and renders its timeline', async () => {
    const logs = fakeLogs({ '/aws/vendedlogs/states/CrudApi-orders': [history('req-42')] }, NOW);
    const { code, stdout, stderr } = await aws(['executions', 'show', 'req-42', '--since', '1h'], clients({ logs: logs.client }));
    expect({ code, stderr }).toEqual({ code: EXIT.OK, stderr: '' });
    expect(stdout).toContain('Execution req-42  (orders)');
    expect(stdout).toMatch(/Status {4}SUCCEEDED → HTTP 201 in 1\.01 s/);
    expect(stdout).toMatch(/PutNewItem\s+TaskScheduled\s+retry 1 \(attempt 2\) after 1\.00 s/);
    expect(logs.inputs.map((i) => [i.logGroupName, i.filterPattern])).toEqual([
      ['/aws/vendedlogs/states/CrudApi-orders', '"req-42"'],
      ['/aws/vendedlogs/states/CrudApi-customers', '"req-42"'],
    ]);
    expect(Math.abs(logs.inputs[0].startTime! - (Date.now() - 3_600_000))).toBeLessThan(60_000);
  });

  test('show of a request id with no log events: not found (exit 3), saying where it looked', async () => {
    const { code, stderr } = await aws(['executions', 'show', 'req-missing', '--resource', 'customers'], clients({ logs: fakeLogs({}).client }));
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toMatch(/^error: No execution for request id req-missing on the stack CrudApi \(searched \/aws\/vendedlogs\/states\/CrudApi-customers since \d{4}-/);
  });

  test('list: execution-level events of every resource, newest first', async () => {
    const logs = fakeLogs({ '/aws/vendedlogs/states/CrudApi-orders': [[...history('req-1'), ...history('req-2')]] }, NOW);
    const { code, stdout } = await aws(['executions', 'list'], clients({ logs: logs.client }));
    expect(code).toBe(EXIT.OK);
    expect(stdout).toMatch(/orders\s+SUCCEEDED\s+201\s+1\.01 s\s+req-1\n/);
    expect(logs.inputs.every((i) => i.filterPattern!.startsWith('{ ($.type = "ExecutionStarted")'))).toBe(true);
  });

  test('a log group that does not exist: not found (exit 3)', async () => {
    const logs = fakeLogs({});
    (logs.client.send as jest.Mock).mockRejectedValue(Object.assign(new Error('The specified log group does not exist.'), { name: 'ResourceNotFoundException', $metadata: {} }));
    const { code, stderr } = await aws(['executions', 'list'], clients({ logs: logs.client }));
    expect(code).toBe(EXIT.NOT_FOUND);
    expect(stderr).toContain('A log group of CrudApi does not exist: The specified log group does not exist.');
  });
});

describe('--aws: unreachable, no credentials, bad combinations', () => {
  test('AWS not reachable (a real SDK client, connection refused): exit 4', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const cloudFormation = new CloudFormationClient({ region: 'eu-west-1', credentials: CREDENTIALS, endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    const { code, stderr } = await aws(['flags', 'get'], clients({ cloudFormation }), 'eu-west-1');
    expect(code).toBe(EXIT.UNREACHABLE);
    expect(stderr).toMatch(/^error: Cannot reach AWS in eu-west-1 \(ECONNREFUSED\)\.\n/);
  });

  test('no credentials: exit 4 with what to do', async () => {
    const cloudFormation = new CloudFormationClient({ region: 'eu-west-1' });
    jest.spyOn(cloudFormation, 'send').mockRejectedValue(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }) as never);
    const { code, stderr } = await aws(['dlq', 'list', 'orders'], clients({ cloudFormation }));
    expect(code).toBe(EXIT.UNREACHABLE);
    expect(stderr).toContain('error: No AWS credentials found for --aws.');
  });

  test('--endpoint with --aws, and --local with --aws, are usage errors (exit 2)', async () => {
    expect(await runCli(['--aws', '--endpoint', 'http://x', 'flags', 'get'], { awsClients: () => clients() })).toMatchObject({ code: EXIT.USAGE });
    expect(await runCli(['--aws', '--local', 'flags', 'get'], { awsClients: () => clients() })).toMatchObject({ code: EXIT.USAGE });
  });
});
