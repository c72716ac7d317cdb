/**
 * The AppConfig control plane on the endpoint, driven by @aws-sdk/client-appconfig as an operator's scripts would:
 * shapes as in the AppConfig API reference and botocore's appconfig/2019-10-09 examples (ISO 8601 timestamps,
 * State READY_FOR_DEPLOYMENT, hosted versions as headers + raw content, deployments newest first).
 */
import {
  AppConfigClient,
  CreateApplicationCommand,
  CreateConfigurationProfileCommand,
  CreateDeploymentStrategyCommand,
  CreateEnvironmentCommand,
  CreateHostedConfigurationVersionCommand,
  GetApplicationCommand,
  GetConfigurationProfileCommand,
  GetDeploymentCommand,
  GetDeploymentStrategyCommand,
  GetEnvironmentCommand,
  GetHostedConfigurationVersionCommand,
  ListApplicationsCommand,
  ListConfigurationProfilesCommand,
  ListDeploymentStrategiesCommand,
  ListDeploymentsCommand,
  ListEnvironmentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
  StopDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { AppConfigDataClient, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import { LocalCloud, rejectsWith, startLocalCloud } from './helpers';

let cloud: LocalCloud;
let appconfig: AppConfigClient;
let ids: { app: string; env: string; profile: string };

beforeAll(async () => {
  cloud = await startLocalCloud();
  appconfig = new AppConfigClient({ ...cloud.clientConfig, maxAttempts: 1 });
  const app = await appconfig.send(new CreateApplicationCommand({ Name: 'orders-app', Description: 'flags of the orders' }));
  const env = await appconfig.send(new CreateEnvironmentCommand({ ApplicationId: app.Id, Name: 'live' }));
  const profile = await appconfig.send(new CreateConfigurationProfileCommand({ ApplicationId: app.Id, Name: 'settings', LocationUri: 'hosted', Type: 'AWS.Freeform' }));
  ids = { app: app.Id!, env: env.Id!, profile: profile.Id! };
});

afterAll(async () => {
  appconfig?.destroy();
  await cloud?.stop();
});

const meta = <T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> => {
  const { $metadata: _m, ...rest } = out;
  return rest;
};

describe('applications, environments and configuration profiles', () => {
  it('lists and gets them by id, with AWS’s fields', async () => {
    expect(meta(await appconfig.send(new GetApplicationCommand({ ApplicationId: ids.app })))).toEqual({ Id: ids.app, Name: 'orders-app', Description: 'flags of the orders' });
    expect((await appconfig.send(new ListApplicationsCommand({}))).Items).toEqual([{ Id: ids.app, Name: 'orders-app', Description: 'flags of the orders' }]);

    const env = { ApplicationId: ids.app, Id: ids.env, Name: 'live', State: 'READY_FOR_DEPLOYMENT', Monitors: [] };
    expect(meta(await appconfig.send(new GetEnvironmentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env })))).toEqual(env);
    expect((await appconfig.send(new ListEnvironmentsCommand({ ApplicationId: ids.app }))).Items).toEqual([env]);

    expect(meta(await appconfig.send(new GetConfigurationProfileCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile })))).toEqual({
      ApplicationId: ids.app,
      Id: ids.profile,
      Name: 'settings',
      LocationUri: 'hosted',
      Type: 'AWS.Freeform',
      Validators: [],
    });
    const profiles = await appconfig.send(new ListConfigurationProfilesCommand({ ApplicationId: ids.app }));
    expect(profiles.Items).toEqual([{ ApplicationId: ids.app, Id: ids.profile, Name: 'settings', LocationUri: 'hosted', ValidatorTypes: [], Type: 'AWS.Freeform' }]);
    expect((await appconfig.send(new ListConfigurationProfilesCommand({ ApplicationId: ids.app, Type: 'AWS.AppConfig.FeatureFlags' }))).Items).toEqual([]);
  });

  it('answers ResourceNotFoundException (404) for an unknown id, naming it', async () => {
    const err = await rejectsWith(appconfig.send(new GetApplicationCommand({ ApplicationId: 'nope123' })), 'ResourceNotFoundException');
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.ResourceName).toBe('nope123');
    await rejectsWith(appconfig.send(new GetEnvironmentCommand({ ApplicationId: ids.app, EnvironmentId: 'nope123' })), 'ResourceNotFoundException');
    // The control plane takes ids, not names (AppConfigData takes both).
    await rejectsWith(appconfig.send(new GetEnvironmentCommand({ ApplicationId: ids.app, EnvironmentId: 'live' })), 'ResourceNotFoundException');
  });

  it('pages lists with MaxResults and NextToken', async () => {
    await appconfig.send(new CreateApplicationCommand({ Name: 'second-app' }));
    const first = await appconfig.send(new ListApplicationsCommand({ MaxResults: 1 }));
    expect(first.Items).toHaveLength(1);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await appconfig.send(new ListApplicationsCommand({ MaxResults: 1, NextToken: first.NextToken }));
    expect(second.Items!.map((a) => a.Name)).toEqual(['second-app']);
    expect(second.NextToken).toBeUndefined();
    await rejectsWith(appconfig.send(new ListApplicationsCommand({ MaxResults: 51 })), 'BadRequestException');
  });
});

describe('hosted configuration versions', () => {
  it('creates versions and answers their content with the metadata in headers', async () => {
    const created = await appconfig.send(
      new CreateHostedConfigurationVersionCommand({
        ApplicationId: ids.app,
        ConfigurationProfileId: ids.profile,
        Content: new TextEncoder().encode('{"limit":1}'),
        ContentType: 'application/json',
        VersionLabel: 'v1.0',
        Description: 'first',
      }),
    );
    expect(meta({ ...created, Content: Buffer.from(created.Content!).toString() })).toEqual({
      ApplicationId: ids.app,
      ConfigurationProfileId: ids.profile,
      VersionNumber: 1,
      ContentType: 'application/json',
      VersionLabel: 'v1.0',
      Description: 'first',
      Content: '{"limit":1}',
    });
    await appconfig.send(
      new CreateHostedConfigurationVersionCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, Content: new TextEncoder().encode('{"limit":2}'), ContentType: 'application/json', VersionLabel: 'v2.0', LatestVersionNumber: 1 }),
    );

    const got = await appconfig.send(new GetHostedConfigurationVersionCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, VersionNumber: 2 }));
    expect({ version: got.VersionNumber, label: got.VersionLabel, type: got.ContentType, content: Buffer.from(got.Content!).toString() }).toEqual({
      version: 2,
      label: 'v2.0',
      type: 'application/json',
      content: '{"limit":2}',
    });

    const list = await appconfig.send(new ListHostedConfigurationVersionsCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile }));
    expect(list.Items!.map((v) => [v.VersionNumber, v.VersionLabel])).toEqual([
      [2, 'v2.0'],
      [1, 'v1.0'],
    ]);
    expect(list.Items![1]).toEqual({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, VersionNumber: 1, Description: 'first', ContentType: 'application/json', VersionLabel: 'v1.0' });
    // VersionLabel filters exactly, or by prefix with a trailing '*' (API reference).
    const byPrefix = await appconfig.send(new ListHostedConfigurationVersionsCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, VersionLabel: 'v1*' }));
    expect(byPrefix.Items!.map((v) => v.VersionNumber)).toEqual([1]);
  });

  it('refuses a stale LatestVersionNumber (ConflictException) and a missing version (404)', async () => {
    const err = await rejectsWith(
      appconfig.send(new CreateHostedConfigurationVersionCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, Content: new TextEncoder().encode('{}'), ContentType: 'application/json', LatestVersionNumber: 1 })),
      'ConflictException',
    );
    expect(err.$metadata.httpStatusCode).toBe(409);
    await rejectsWith(appconfig.send(new GetHostedConfigurationVersionCommand({ ApplicationId: ids.app, ConfigurationProfileId: ids.profile, VersionNumber: 99 })), 'ResourceNotFoundException');
  });
});

describe('deployment strategies', () => {
  it('lists the predefined strategies with the figures AWS documents, then the created ones', async () => {
    const all = await appconfig.send(new ListDeploymentStrategiesCommand({}));
    expect(all.Items!.map((s) => s.Id)).toEqual(['AppConfig.AllAtOnce', 'AppConfig.Linear50PercentEvery30Seconds', 'AppConfig.Canary10Percent20Minutes', 'AppConfig.Linear20PercentEvery6Minutes']);
    expect(meta(await appconfig.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: 'AppConfig.AllAtOnce' })))).toEqual({
      Id: 'AppConfig.AllAtOnce',
      Name: 'AppConfig.AllAtOnce',
      Description: 'Quick',
      DeploymentDurationInMinutes: 0,
      GrowthType: 'LINEAR',
      GrowthFactor: 100,
      FinalBakeTimeInMinutes: 10,
      ReplicateTo: 'NONE',
    });
    expect(await appconfig.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: 'AppConfig.Canary10Percent20Minutes' }))).toMatchObject({
      DeploymentDurationInMinutes: 20,
      GrowthType: 'EXPONENTIAL',
      GrowthFactor: 10,
      FinalBakeTimeInMinutes: 10,
    });

    const created = await appconfig.send(new CreateDeploymentStrategyCommand({ Name: 'Example-Deployment', DeploymentDurationInMinutes: 15, GrowthFactor: 25 }));
    // Defaults as botocore's CreateDeploymentStrategy example shows them.
    expect(created).toMatchObject({ Name: 'Example-Deployment', DeploymentDurationInMinutes: 15, GrowthFactor: 25, GrowthType: 'LINEAR', FinalBakeTimeInMinutes: 0 });
    expect((await appconfig.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: created.Id }))).Name).toBe('Example-Deployment');
    await rejectsWith(appconfig.send(new GetDeploymentStrategyCommand({ DeploymentStrategyId: 'AppConfig.Nope' })), 'ResourceNotFoundException');
  });
});

describe('deployments', () => {
  it('StartDeployment completes at once, and AppConfigData serves the deployed version', async () => {
    const started = await appconfig.send(
      new StartDeploymentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env, ConfigurationProfileId: ids.profile, ConfigurationVersion: '2', DeploymentStrategyId: 'AppConfig.AllAtOnce', Description: 'limit 2' }),
    );
    expect(meta(started)).toEqual({
      ApplicationId: ids.app,
      EnvironmentId: ids.env,
      DeploymentStrategyId: 'AppConfig.AllAtOnce',
      ConfigurationProfileId: ids.profile,
      DeploymentNumber: 1,
      ConfigurationName: 'settings',
      ConfigurationLocationUri: 'hosted',
      ConfigurationVersion: '2',
      Description: 'limit 2',
      DeploymentDurationInMinutes: 0,
      GrowthType: 'LINEAR',
      GrowthFactor: 100,
      FinalBakeTimeInMinutes: 10,
      State: 'COMPLETE',
      PercentageComplete: 100,
      StartedAt: expect.any(Date),
      CompletedAt: expect.any(Date),
      EventLog: [
        expect.objectContaining({ EventType: 'DEPLOYMENT_COMPLETED', TriggeredBy: 'APPCONFIG', OccurredAt: expect.any(Date) }),
        expect.objectContaining({ EventType: 'PERCENTAGE_UPDATED', Description: 'Configuration available to 100.00% of clients' }),
        expect.objectContaining({ EventType: 'DEPLOYMENT_STARTED', TriggeredBy: 'USER' }),
      ],
      AppliedExtensions: [],
      VersionLabel: 'v2.0',
    });

    const data = new AppConfigDataClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const session = await data.send(new StartConfigurationSessionCommand({ ApplicationIdentifier: ids.app, EnvironmentIdentifier: ids.env, ConfigurationProfileIdentifier: ids.profile }));
    const latest = await data.send(new GetLatestConfigurationCommand({ ConfigurationToken: session.InitialConfigurationToken }));
    expect(Buffer.from(latest.Configuration!).toString()).toBe('{"limit":2}');
    data.destroy();
  });

  it('gets a deployment by number and lists them newest first', async () => {
    await appconfig.send(new StartDeploymentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env, ConfigurationProfileId: ids.profile, ConfigurationVersion: '1', DeploymentStrategyId: 'AppConfig.AllAtOnce' }));
    const got = await appconfig.send(new GetDeploymentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env, DeploymentNumber: 1 }));
    expect(got).toMatchObject({ DeploymentNumber: 1, ConfigurationVersion: '2', State: 'COMPLETE' });
    const list = await appconfig.send(new ListDeploymentsCommand({ ApplicationId: ids.app, EnvironmentId: ids.env }));
    expect(list.Items!.map((d) => [d.DeploymentNumber, d.ConfigurationVersion, d.State])).toEqual([
      [2, '1', 'COMPLETE'],
      [1, '2', 'COMPLETE'],
    ]);
    expect(Object.keys(list.Items![0]).sort()).toEqual(
      ['CompletedAt', 'ConfigurationName', 'ConfigurationVersion', 'DeploymentDurationInMinutes', 'DeploymentNumber', 'FinalBakeTimeInMinutes', 'GrowthFactor', 'GrowthType', 'PercentageComplete', 'StartedAt', 'State', 'VersionLabel'].sort(),
    );
    await rejectsWith(appconfig.send(new GetDeploymentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env, DeploymentNumber: 9 })), 'ResourceNotFoundException');
  });

  it('refuses a StartDeployment without its required members, an unknown version or strategy', async () => {
    const base = { ApplicationId: ids.app, EnvironmentId: ids.env, ConfigurationProfileId: ids.profile, ConfigurationVersion: '1' };
    const missing = await rejectsWith(appconfig.send(new StartDeploymentCommand({ ...base, DeploymentStrategyId: undefined as unknown as string })), 'BadRequestException');
    expect(missing.message).toContain('DeploymentStrategyId');
    await rejectsWith(appconfig.send(new StartDeploymentCommand({ ...base, ConfigurationVersion: '42', DeploymentStrategyId: 'AppConfig.AllAtOnce' })), 'ResourceNotFoundException');
    await rejectsWith(appconfig.send(new StartDeploymentCommand({ ...base, DeploymentStrategyId: 'nostrat' })), 'ResourceNotFoundException');
  });

  it('answers an AppConfig operation it does not implement with UnknownOperationException naming it', async () => {
    const err = await rejectsWith(appconfig.send(new StopDeploymentCommand({ ApplicationId: ids.app, EnvironmentId: ids.env, DeploymentNumber: 1 })), 'UnknownOperationException');
    expect(err.message).toBe('StopDeployment is not supported by the local AppConfig');
  });
});
