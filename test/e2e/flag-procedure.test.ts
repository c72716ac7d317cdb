/**
 * docs/operations.md "Toggle a feature flag at runtime", rehearsed on the local cloud with the AWS SDK, step for step:
 * the stack outputs from CloudFormation DescribeStacks (the doc's `out` helper), CreateHostedConfigurationVersion
 * with the doc's own flags.json, StartDeployment with AppConfig.AllAtOnce; then the API answers 202 ReadOnlyMode
 * once the flags Lambda's next poll (15 s, skipped with the local clock) sees the new values. No redeploy.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetDeploymentCommand,
  ListDeploymentsCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { Api, LocalCloud, RESOURCE_CASES, startTestCloud } from './helpers';

const DOC = fs.readFileSync(path.join(__dirname, '../../docs/operations.md'), 'utf8');
const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const POLL_INTERVAL_S = 15;

/** The flags.json the procedure writes (the heredoc between `cat > flags.json <<'JSON'` and `JSON`). */
function docFlagsJson(): string {
  const match = /cat > flags\.json <<'JSON'\n([\s\S]*?)\nJSON\n/.exec(DOC);
  if (!match) throw new Error('docs/operations.md no longer writes flags.json with a heredoc: update this rehearsal');
  return match[1];
}

let cloud: LocalCloud;
let api: Api;
let appconfig: AppConfigClient;
let cloudFormation: CloudFormationClient;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
  const config = { endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 };
  appconfig = new AppConfigClient(config);
  cloudFormation = new CloudFormationClient(config);
});

afterAll(async () => {
  appconfig?.destroy();
  cloudFormation?.destroy();
  await cloud?.stop();
});

/** `out <OutputKey>` of the doc: describe-stacks --stack-name CrudApi, the output's value. */
async function out(key: string): Promise<string> {
  const { Stacks } = await cloudFormation.send(new DescribeStacksCommand({ StackName: 'CrudApi' }));
  const value = Stacks?.[0]?.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  if (value === undefined) throw new Error(`No output ${key}`);
  return value;
}

async function advanceClock(seconds: number): Promise<void> {
  const res = await fetch(`${cloud.endpointUrl}/_local/clock`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ advanceSeconds: seconds }) });
  expect(res.status).toBe(200);
}

describe('docs/operations.md: toggle a feature flag at runtime', () => {
  it('still describes the steps rehearsed here', () => {
    expect(DOC).toContain('aws cloudformation describe-stacks --stack-name CrudApi');
    expect(DOC).toContain('aws appconfig create-hosted-configuration-version --application-id $APP --configuration-profile-id $PROFILE');
    expect(DOC).toContain('--content-type application/json --content fileb://flags.json');
    expect(DOC).toContain('aws appconfig start-deployment --application-id $APP --environment-id $ENV --configuration-profile-id $PROFILE');
    expect(DOC).toContain('--configuration-version $VERSION --deployment-strategy-id AppConfig.AllAtOnce');
    expect(JSON.parse(docFlagsJson()).values.readOnly).toEqual({ enabled: true });
  });

  it('turns readOnly on with the SDK, and the API queues writes after the next flags poll', async () => {
    const before = await api.post('/orders', orders.sample(1));
    expect(before.status).toBe(201); // also warms the flags Lambda's cache

    // out() { aws cloudformation describe-stacks ... }; APP=$(out FlagsApplicationId); ENV=...; PROFILE=...
    const APP = await out('FlagsApplicationId');
    const ENV = await out('FlagsEnvironmentId');
    const PROFILE = await out('FlagsProfileId');
    expect({ APP, ENV, PROFILE }).toEqual({ APP: cloud.flags.application, ENV: cloud.flags.environment, PROFILE: cloud.flags.configurationProfile });

    // VERSION=$(aws appconfig create-hosted-configuration-version ... --content fileb://flags.json ... --query VersionNumber)
    const version = await appconfig.send(
      new CreateHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, ContentType: 'application/json', Content: Buffer.from(docFlagsJson()) }),
    );
    const VERSION = String(version.VersionNumber);

    // aws appconfig start-deployment ... --configuration-version $VERSION --deployment-strategy-id AppConfig.AllAtOnce
    const deployment = await appconfig.send(
      new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, ConfigurationVersion: VERSION, DeploymentStrategyId: 'AppConfig.AllAtOnce' }),
    );
    expect(deployment).toMatchObject({ ConfigurationVersion: VERSION, DeploymentStrategyId: 'AppConfig.AllAtOnce', State: 'COMPLETE' });
    const listed = await appconfig.send(new ListDeploymentsCommand({ ApplicationId: APP, EnvironmentId: ENV }));
    expect(listed.Items![0]).toMatchObject({ DeploymentNumber: deployment.DeploymentNumber, ConfigurationVersion: VERSION, State: 'COMPLETE' });
    expect((await appconfig.send(new GetDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, DeploymentNumber: deployment.DeploymentNumber }))).State).toBe('COMPLETE');

    // "each warm flags Lambda sees the new values at its next poll (at most 15 s after the deployment completes)"
    await advanceClock(POLL_INTERVAL_S + 1);
    const during = await api.post('/orders', orders.sample(2));
    expect(during.status).toBe(202);
    expect(during.json).toMatchObject({ requestId: during.requestId, status: 'queued', reason: 'ReadOnlyMode' });
    expect((await api.get(`/orders/${before.json.orderId}`)).status).toBe(200); // reads unaffected
  });

  it('turns it off again the same way', async () => {
    const [APP, ENV, PROFILE] = [await out('FlagsApplicationId'), await out('FlagsEnvironmentId'), await out('FlagsProfileId')];
    const off = docFlagsJson().replace('"readOnly":{"enabled":true}', '"readOnly":{"enabled":false}');
    expect(JSON.parse(off).values.readOnly).toEqual({ enabled: false });
    const version = await appconfig.send(new CreateHostedConfigurationVersionCommand({ ApplicationId: APP, ConfigurationProfileId: PROFILE, ContentType: 'application/json', Content: Buffer.from(off) }));
    await appconfig.send(
      new StartDeploymentCommand({ ApplicationId: APP, EnvironmentId: ENV, ConfigurationProfileId: PROFILE, ConfigurationVersion: String(version.VersionNumber), DeploymentStrategyId: 'AppConfig.AllAtOnce' }),
    );
    await advanceClock(POLL_INTERVAL_S + 1);
    expect((await api.post('/orders', orders.sample(3))).status).toBe(201);
  });
});
