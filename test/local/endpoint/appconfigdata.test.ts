import {
  AppConfigDataClient,
  BadRequestException,
  GetLatestConfigurationCommand,
  ResourceNotFoundException,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { FEATURE_FLAGS, LocalCloud, fakeClock, startLocalCloud } from './helpers';

const TARGET = { application: 'crud', environment: 'dev', configurationProfile: 'flags' };

describe('AppConfigData through the endpoint (AWS SDK v3, REST-JSON)', () => {
  const clock = fakeClock();
  let cloud: LocalCloud;
  let client: AppConfigDataClient;

  beforeAll(async () => {
    cloud = await startLocalCloud({ now: clock.now });
    client = new AppConfigDataClient({ ...cloud.clientConfig, maxAttempts: 1 });
    const store = cloud.services.appConfig;
    const app = store.createApplication({ Name: 'crud' });
    store.createEnvironment({ ApplicationId: app.Id, Name: 'dev' });
    store.createConfigurationProfile({ ApplicationId: app.Id, Name: 'flags', Type: 'AWS.AppConfig.FeatureFlags' });
    store.publish({ ...TARGET, content: FEATURE_FLAGS, versionLabel: 'initial' });
  });
  afterAll(async () => {
    client.destroy();
    await cloud.stop();
  });

  const startSession = () =>
    client.send(new StartConfigurationSessionCommand({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags', RequiredMinimumPollIntervalInSeconds: 15 }));

  it('starts a session and serves the feature flags in their data form', async () => {
    const { InitialConfigurationToken } = await startSession();
    const out = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
    expect(out.ContentType).toBe('application/json');
    expect(out.NextPollIntervalInSeconds).toBe(15);
    expect(out.VersionLabel).toBe('initial');
    expect(out.NextPollConfigurationToken).toBeTruthy();
    expect(JSON.parse(Buffer.from(out.Configuration!).toString())).toEqual({ maintenance: { enabled: false, message: 'back soon' }, softDelete: { enabled: true } });
  });

  it('answers an empty body while nothing changed, then the toggled flags', async () => {
    const { InitialConfigurationToken } = await startSession();
    const first = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
    clock.advance(15_000);
    const second = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: first.NextPollConfigurationToken }));
    // An empty body (the session already has this version): the SDK surfaces it as null or an empty array.
    expect(second.Configuration?.length ?? 0).toBe(0);

    const { deployedAt } = cloud.services.appConfig.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: true });
    expect(deployedAt.getTime()).toBe(clock.now());
    clock.advance(15_000);
    const third = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: second.NextPollConfigurationToken }));
    expect(JSON.parse(Buffer.from(third.Configuration!).toString()).maintenance).toEqual({ enabled: true, message: 'back soon' });
    cloud.services.appConfig.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: false });
  });

  it('rejects a token used twice with BadRequestException', async () => {
    const { InitialConfigurationToken } = await startSession();
    await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
    const err = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken })).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.Reason).toBe('InvalidParameters');
  });

  it('rejects polling before the poll interval with PollIntervalNotSatisfied', async () => {
    const { InitialConfigurationToken } = await startSession();
    const first = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
    const err = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: first.NextPollConfigurationToken })).catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestException);
    expect(err.Details).toEqual({ InvalidParameters: { ConfigurationToken: { Problem: 'PollIntervalNotSatisfied' } } });
  });

  it('answers ResourceNotFoundException (404) for an unknown application', async () => {
    const err = await client
      .send(new StartConfigurationSessionCommand({ ApplicationIdentifier: 'nope', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags' }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.ResourceType).toBe('Application');
  });

  it('answers BadRequestException for an out-of-range poll interval', async () => {
    const err = await client
      .send(new StartConfigurationSessionCommand({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags', RequiredMinimumPollIntervalInSeconds: 1 }))
      .catch((e) => e);
    expect(err).toBeInstanceOf(BadRequestException);
  });

  it('uses the REST-JSON wire shape: 201 on session start, x-amzn-ErrorType on errors', async () => {
    const started = await fetch(`${cloud.endpoint.url}/configurationsessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags' }),
    });
    expect(started.status).toBe(201);
    const token = ((await started.json()) as any).InitialConfigurationToken;
    const got = await fetch(`${cloud.endpoint.url}/configuration?configuration_token=${encodeURIComponent(token)}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('next-poll-interval-in-seconds')).toBe('60');
    expect(got.headers.get('next-poll-configuration-token')).toBeTruthy();
    expect(got.headers.get('x-amzn-requestid')).toBeTruthy();

    const bad = await fetch(`${cloud.endpoint.url}/configuration?configuration_token=garbage`);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('x-amzn-errortype')).toBe('BadRequestException');
    expect((await bad.json()) as any).toEqual({
      Message: 'Invalid ConfigurationToken',
      Reason: 'InvalidParameters',
      Details: { InvalidParameters: { ConfigurationToken: { Problem: 'Corrupted' } } },
    });
  });

  it('toggles a flag through the admin route', async () => {
    const res = await fetch(`${cloud.endpoint.url}/_local/appconfig/flags`, {
      method: 'POST',
      body: JSON.stringify({ ...TARGET, flag: 'softDelete', enabled: false }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ versionNumber: expect.any(Number), deploymentNumber: expect.any(Number), deployedAt: new Date(clock.now()).toISOString() });
    expect(cloud.services.appConfig.getFeatureFlags(TARGET)!.values!.softDelete.enabled).toBe(false);
    const unknown = await fetch(`${cloud.endpoint.url}/_local/appconfig/flags`, { method: 'POST', body: JSON.stringify({ ...TARGET, flag: 'nope', enabled: true }) });
    expect(unknown.status).toBe(400);
  });
});
