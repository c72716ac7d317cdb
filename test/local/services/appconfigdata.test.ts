import { AppConfigDataService, AppConfigStore, featureFlagsData, parseFeatureFlagsDocument } from '../../../local/services/appconfigdata';
import { AwsError } from '../../../local/services/errors';
import { FEATURE_FLAGS, fakeClock, rejectsWith, removeDir, tempDir } from '../endpoint/helpers';

const TARGET = { application: 'crud', environment: 'dev', configurationProfile: 'flags' };

/** Creates app/env/profile and deploys the flags through the CloudFormation path, as the lead's loader will. */
function deployFromTemplate(store: AppConfigStore, flags: object = FEATURE_FLAGS) {
  const app = store.applyCloudFormation('AWS::AppConfig::Application', { Name: 'crud' }, { logicalId: 'App' });
  const env = store.applyCloudFormation('AWS::AppConfig::Environment', { ApplicationId: app.ref, Name: 'dev' }, { logicalId: 'Env' });
  const profile = store.applyCloudFormation(
    'AWS::AppConfig::ConfigurationProfile',
    { ApplicationId: app.ref, Name: 'flags', LocationUri: 'hosted', Type: 'AWS.AppConfig.FeatureFlags' },
    { logicalId: 'Profile' },
  );
  const version = store.applyCloudFormation(
    'AWS::AppConfig::HostedConfigurationVersion',
    { ApplicationId: app.ref, ConfigurationProfileId: profile.ref, Content: JSON.stringify(flags), ContentType: 'application/json', VersionLabel: 'v1' },
    { logicalId: 'Version' },
  );
  const deployment = store.applyCloudFormation(
    'AWS::AppConfig::Deployment',
    { ApplicationId: app.ref, EnvironmentId: env.ref, ConfigurationProfileId: profile.ref, ConfigurationVersion: version.ref, DeploymentStrategyId: 'AppConfig.AllAtOnce' },
    { logicalId: 'Deployment' },
  );
  return { app, env, profile, version, deployment };
}

describe('feature flags documents', () => {
  it('serves the retrieval-time form: enabled + attribute values, without metadata', () => {
    expect(featureFlagsData(parseFeatureFlagsDocument(JSON.stringify(FEATURE_FLAGS)))).toEqual({
      maintenance: { enabled: false, message: 'back soon' },
      softDelete: { enabled: true },
    });
  });

  it('serves a defined flag without a value as disabled', () => {
    expect(featureFlagsData({ version: '1', flags: { a: { name: 'A' } } })).toEqual({ a: { enabled: false } });
  });

  it('rejects documents AppConfig would reject, naming each problem', () => {
    expect(() => parseFeatureFlagsDocument('{')).toThrow(/not valid JSON/);
    expect(() => parseFeatureFlagsDocument(JSON.stringify({ version: '2', flags: { Bad: {} }, values: { other: { enabled: 'yes' } } }))).toThrow(
      /"version" must be "1".*flag key "Bad".*"values.other" has no definition.*"values.other.enabled" must be a boolean/,
    );
    expect(() => parseFeatureFlagsDocument(JSON.stringify({ version: '1', flags: { a: {} }, values: { a: { enabled: true, undeclared: 1 } } }))).toThrow(
      /not declared/,
    );
  });
});

describe('AppConfigStore', () => {
  it('creates everything from CloudFormation properties and returns Refs', () => {
    const store = AppConfigStore.open({ inMemory: true });
    const { app, env, profile, version, deployment } = deployFromTemplate(store);
    expect(app.ref).toMatch(/^[a-z0-9]{7}$/);
    expect(env.attributes.EnvironmentId).toBe(env.ref);
    expect(profile.attributes.ConfigurationProfileId).toBe(profile.ref);
    expect(version.ref).toBe('1');
    expect(deployment.ref).toBe('1');
    expect(store.getFeatureFlags(TARGET)).toEqual(FEATURE_FLAGS);
  });

  it('rejects invalid feature flag content at version creation', () => {
    const store = AppConfigStore.open({ inMemory: true });
    deployFromTemplate(store);
    const err = (() => {
      try {
        store.publish({ ...TARGET, content: '{"version":"1","values":{"x":{"enabled":true}}}', contentType: 'application/json' });
      } catch (e) {
        return e as AwsError;
      }
    })();
    expect(err).toBeInstanceOf(AwsError);
    expect(err!.code).toBe('BadRequestException');
  });

  it('toggles a flag by publishing and deploying a new version, reporting when', () => {
    const clock = fakeClock();
    const store = AppConfigStore.open({ inMemory: true, now: clock.now });
    deployFromTemplate(store);
    const seen: number[] = [];
    store.onDeployment((d) => seen.push(d.DeploymentNumber));
    clock.advance(1000);
    const result = store.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: true, attributes: { message: 'upgrading' } });
    expect(result.versionNumber).toBe(2);
    expect(result.deployment.DeploymentNumber).toBe(2);
    expect(result.deployedAt).toEqual(new Date(clock.now()));
    expect(seen).toEqual([2]);
    expect(store.getFeatureFlags(TARGET)!.values!.maintenance).toMatchObject({ enabled: true, message: 'upgrading' });
    expect(() => store.setFeatureFlag({ ...TARGET, flag: 'nope', enabled: true })).toThrow(/Unknown feature flag "nope"/);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(() => {
      dir = tempDir();
    });
    afterEach(() => removeDir(dir));

    it('keeps console toggles when the unchanged template is applied again after a restart', () => {
      const first = AppConfigStore.open({ dir });
      deployFromTemplate(first);
      first.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: true });
      first.close();

      const second = AppConfigStore.open({ dir });
      const again = deployFromTemplate(second);
      expect(again.version).toMatchObject({ ref: '1', created: false });
      expect(again.deployment).toMatchObject({ ref: '1', created: false });
      expect(second.getFeatureFlags(TARGET)!.values!.maintenance.enabled).toBe(true);

      // A changed template does deploy.
      const changed = deployFromTemplate(second, { ...FEATURE_FLAGS, values: { ...FEATURE_FLAGS.values, softDelete: { enabled: false } } });
      expect(changed.version).toMatchObject({ ref: '3', created: true });
      expect(changed.deployment).toMatchObject({ ref: '3', created: true });
      expect(second.getFeatureFlags(TARGET)!.values!.softDelete.enabled).toBe(false);
      second.close();
    });
  });
});

describe('AppConfigDataService', () => {
  const clock = fakeClock();
  let store: AppConfigStore;
  let data: AppConfigDataService;

  beforeEach(() => {
    clock.set(Date.UTC(2026, 10, 1));
    store = AppConfigStore.open({ inMemory: true, now: clock.now });
    data = new AppConfigDataService(store, { now: clock.now });
    deployFromTemplate(store);
  });

  const start = (interval?: number) =>
    data.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags', RequiredMinimumPollIntervalInSeconds: interval });

  it('serves the flags, then an empty body until a new version is deployed', async () => {
    const { InitialConfigurationToken } = await start(15);
    const first = await data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken });
    expect(first).toMatchObject({ ContentType: 'application/json', NextPollIntervalInSeconds: 15, VersionLabel: 'v1' });
    expect(JSON.parse(first.Configuration.toString())).toEqual({ maintenance: { enabled: false, message: 'back soon' }, softDelete: { enabled: true } });

    clock.advance(15_000);
    const unchanged = await data.getLatestConfiguration({ ConfigurationToken: first.NextPollConfigurationToken });
    expect(unchanged.Configuration.length).toBe(0);

    store.setFeatureFlag({ ...TARGET, flag: 'maintenance', enabled: true });
    clock.advance(15_000);
    const changed = await data.getLatestConfiguration({ ConfigurationToken: unchanged.NextPollConfigurationToken });
    expect(JSON.parse(changed.Configuration.toString()).maintenance.enabled).toBe(true);
  });

  it('uses the default poll interval of 60 s and enforces it', async () => {
    const { InitialConfigurationToken } = await start();
    const first = await data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken });
    expect(first.NextPollIntervalInSeconds).toBe(60);
    clock.advance(59_000);
    const early = await rejectsWith<AwsError>(data.getLatestConfiguration({ ConfigurationToken: first.NextPollConfigurationToken }), 'BadRequestException');
    expect(early.extra).toEqual({ Reason: 'InvalidParameters', Details: { InvalidParameters: { ConfigurationToken: { Problem: 'PollIntervalNotSatisfied' } } } });
    clock.advance(1_000);
    await data.getLatestConfiguration({ ConfigurationToken: first.NextPollConfigurationToken });
  });

  it('can be told not to enforce the poll interval', async () => {
    const lenient = new AppConfigDataService(store, { now: clock.now, enforcePollInterval: false });
    const { InitialConfigurationToken } = await lenient.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags' });
    const first = await lenient.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken });
    await lenient.getLatestConfiguration({ ConfigurationToken: first.NextPollConfigurationToken });
  });

  it('rejects a reused, expired or forged token', async () => {
    const { InitialConfigurationToken } = await start(15);
    await data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken });
    await rejectsWith(data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken }), 'BadRequestException');

    const { InitialConfigurationToken: old } = await start(15);
    clock.advance(24 * 60 * 60 * 1000 + 1);
    const expired = await rejectsWith<AwsError>(data.getLatestConfiguration({ ConfigurationToken: old }), 'BadRequestException');
    expect((expired.extra as any).Details.InvalidParameters.ConfigurationToken.Problem).toBe('Expired');

    const forged = await rejectsWith<AwsError>(data.getLatestConfiguration({ ConfigurationToken: old.replace(/^./, (c) => (c === 'f' ? 'g' : 'f')) }), 'BadRequestException');
    expect((forged.extra as any).Details.InvalidParameters.ConfigurationToken.Problem).toBe('Corrupted');
  });

  it('resolves identifiers by id or name and reports what is missing', async () => {
    const app = store.findApplication('crud')!;
    const env = store.findEnvironment(app.Id, 'dev')!;
    await data.startConfigurationSession({ ApplicationIdentifier: app.Id, EnvironmentIdentifier: env.Id, ConfigurationProfileIdentifier: 'flags' });
    const err = await rejectsWith<AwsError>(
      data.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'prod', ConfigurationProfileIdentifier: 'flags' }),
      'ResourceNotFoundException',
    );
    expect(err.extra).toMatchObject({ ResourceType: 'Environment' });
    await rejectsWith(data.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'flags', RequiredMinimumPollIntervalInSeconds: 5 }), 'BadRequestException');
  });

  it('answers ResourceNotFoundException while nothing is deployed to the environment', async () => {
    const app = store.findApplication('crud')!;
    store.createEnvironment({ ApplicationId: app.Id, Name: 'staging' });
    const { InitialConfigurationToken } = await data.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'staging', ConfigurationProfileIdentifier: 'flags' });
    const err = await rejectsWith<AwsError>(data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken }), 'ResourceNotFoundException');
    expect(err.extra).toMatchObject({ ResourceType: 'Deployment' });
  });

  it('serves freeform configurations as stored', async () => {
    const app = store.findApplication('crud')!;
    store.createConfigurationProfile({ ApplicationId: app.Id, Name: 'settings' });
    store.publish({ application: 'crud', environment: 'dev', configurationProfile: 'settings', content: 'limit: 10\n', contentType: 'application/x-yaml' });
    const { InitialConfigurationToken } = await data.startConfigurationSession({ ApplicationIdentifier: 'crud', EnvironmentIdentifier: 'dev', ConfigurationProfileIdentifier: 'settings' });
    const out = await data.getLatestConfiguration({ ConfigurationToken: InitialConfigurationToken });
    expect(out.ContentType).toBe('application/x-yaml');
    expect(out.Configuration.toString()).toBe('limit: 10\n');
  });
});
