import { ChildProcess, spawn } from 'node:child_process';
import * as path from 'node:path';
import { AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, SQSClient, SendMessageCommand } from '@aws-sdk/client-sqs';
import { LocalServices } from '../../../local/services';
import { FEATURE_FLAGS, credentials, removeDir, startLocalCloud, tempDir } from './helpers';

const TABLE = {
  TableName: 'items',
  BillingMode: 'PAY_PER_REQUEST' as const,
  KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' as const }],
  AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' as const }],
};
const TARGET = { application: 'crud', environment: 'dev', configurationProfile: 'flags' };

function setUpAppConfig(services: LocalServices): void {
  const store = services.appConfig;
  const app = store.applyCloudFormation('AWS::AppConfig::Application', { Name: 'crud' }, { logicalId: 'App' });
  const env = store.applyCloudFormation('AWS::AppConfig::Environment', { ApplicationId: app.ref, Name: 'dev' }, { logicalId: 'Env' });
  const profile = store.applyCloudFormation('AWS::AppConfig::ConfigurationProfile', { ApplicationId: app.ref, Name: 'flags', LocationUri: 'hosted', Type: 'AWS.AppConfig.FeatureFlags' }, { logicalId: 'Profile' });
  const version = store.applyCloudFormation('AWS::AppConfig::HostedConfigurationVersion', { ApplicationId: app.ref, ConfigurationProfileId: profile.ref, Content: JSON.stringify(FEATURE_FLAGS), ContentType: 'application/json' }, { logicalId: 'Version' });
  store.applyCloudFormation('AWS::AppConfig::Deployment', { ApplicationId: app.ref, EnvironmentId: env.ref, ConfigurationProfileId: profile.ref, ConfigurationVersion: version.ref, DeploymentStrategyId: 'AppConfig.AllAtOnce' }, { logicalId: 'Deployment' });
}

async function servedFlags(config: object): Promise<any> {
  const client = new AppConfigDataClient({ ...config, maxAttempts: 1 });
  const { InitialConfigurationToken } = await client.send(new StartConfigurationSessionCommand({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags' }));
  const out = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
  client.destroy();
  return JSON.parse(Buffer.from(out.Configuration!).toString());
}

describe('persistence across a restart', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => removeDir(dir));

  it('serves the same data from a new server on the same folder', async () => {
    const first = await startLocalCloud({ dataDir: dir });
    const ddb = new DynamoDBClient(first.clientConfig);
    await ddb.send(new CreateTableCommand(TABLE));
    await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: 'kept' }, n: { N: '42' } } }));
    const sqs = new SQSClient(first.clientConfig);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'dlq' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'one' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'two' }));
    await sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 600 }));
    setUpAppConfig(first.services);
    first.services.appConfig.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: true });
    const events = new EventBridgeClient(first.clientConfig);
    const put = await events.send(new PutEventsCommand({ Entries: [{ Source: 'crud', DetailType: 'Kept', Detail: '{}' }] }));
    for (const c of [ddb, sqs, events]) c.destroy();
    await first.stop();

    const second = await startLocalCloud({ dataDir: dir });
    try {
      const ddb2 = new DynamoDBClient(second.clientConfig);
      expect((await ddb2.send(new GetItemCommand({ TableName: 'items', Key: { pk: { S: 'kept' } } }))).Item).toEqual({ pk: { S: 'kept' }, n: { N: '42' } });
      const sqs2 = new SQSClient(second.clientConfig);
      const url2 = (await sqs2.send(new GetQueueUrlCommand({ QueueName: 'dlq' }))).QueueUrl!;
      expect(url2).toBe(`${second.endpoint.url}/000000000000/dlq`);
      const attrs = await sqs2.send(new GetQueueAttributesCommand({ QueueUrl: url2, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      expect(attrs.Attributes).toEqual({ ApproximateNumberOfMessages: '1', ApproximateNumberOfMessagesNotVisible: '1' });
      // Re-applying the unchanged template keeps the toggle made before the restart.
      setUpAppConfig(second.services);
      expect((await servedFlags(second.clientConfig)).maintenance.enabled).toBe(true);
      expect(second.services.events.listEvents().map((e) => e.id)).toEqual([put.Entries![0].EventId]);
      ddb2.destroy();
      sqs2.destroy();
    } finally {
      await second.stop();
    }
  });
});

describe('durability across a crash (SIGKILL of the serving process)', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    removeDir(dir);
  });

  it('keeps every write acknowledged before the kill', async () => {
    // One process (node with tsx's loader), so SIGKILL hits the server itself, not a wrapper.
    child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'fixtures/serve.ts'), dir], {
      cwd: path.resolve(__dirname, '../../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      child!.stdout!.on('data', (c) => {
        out += c;
        const m = /PORT (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child!.stderr!.on('data', (c) => (err += c));
      child!.on('exit', (code) => reject(new Error(`server exited early (${code}): ${err}`)));
    });
    const config = { endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials };

    const ddb = new DynamoDBClient(config);
    await ddb.send(new CreateTableCommand(TABLE));
    for (let i = 0; i < 20; i++) await ddb.send(new PutItemCommand({ TableName: 'items', Item: { pk: { S: `item-${i}` } } }));
    const sqs = new SQSClient(config);
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'work' }));
    for (let i = 0; i < 20; i++) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: `message-${i}` }));
    const events = new EventBridgeClient(config);
    await events.send(new PutEventsCommand({ Entries: [{ Source: 'crud', DetailType: 'BeforeCrash', Detail: '{}' }] }));
    for (const c of [ddb, sqs, events]) c.destroy();

    const exited = new Promise((resolve) => child!.once('exit', (_code, signal) => resolve(signal)));
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const services = await LocalServices.open({ dataDir: dir });
    try {
      const scan = await services.dynamodb.call('Scan', { TableName: 'items' });
      expect(scan.Count).toBe(20);
      const attrs = await services.sqs.call('GetQueueAttributes', { QueueUrl: 'work', AttributeNames: ['ApproximateNumberOfMessages'] });
      expect(attrs.Attributes.ApproximateNumberOfMessages).toBe('20');
      expect(services.events.listEvents().map((e) => e.detailType)).toEqual(['BeforeCrash']);
    } finally {
      await services.close();
    }
  }, 30_000);
});
