/**
 * The local AppConfig control plane: applications, environments, configuration profiles, hosted configuration
 * versions, deployment strategies and deployments, kept in one append-only log (`appconfig.jsonl`).
 *
 * Deployments complete at once (strategies are recorded, not simulated). `publish`/`setFeatureFlag` create a hosted
 * version and deploy it in one step — what the console's toggles and the tests use — and return when it was deployed.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { AwsError } from '../errors';
import { LogOptions, NULL_LOG, RecordLog, compactAndOpen, readRecords } from '../storage';
import { FEATURE_FLAGS_TYPE, FeatureFlagsDocument, parseFeatureFlagsDocument, withFlagValue } from './featureFlags';

export interface Application {
  Id: string;
  Name: string;
  Description?: string;
}

export interface Environment {
  ApplicationId: string;
  Id: string;
  Name: string;
  Description?: string;
  State: 'ReadyForDeployment';
}

export interface ConfigurationProfile {
  ApplicationId: string;
  Id: string;
  Name: string;
  LocationUri: string;
  /** 'AWS.Freeform' or 'AWS.AppConfig.FeatureFlags'. */
  Type: string;
  Description?: string;
}

export interface HostedConfigurationVersion {
  ApplicationId: string;
  ConfigurationProfileId: string;
  VersionNumber: number;
  Content: Buffer;
  ContentType: string;
  VersionLabel?: string;
  Description?: string;
  CreatedAt: Date;
}

export interface DeploymentStrategy {
  Id: string;
  Name: string;
  Description?: string;
  DeploymentDurationInMinutes?: number;
  GrowthFactor?: number;
  FinalBakeTimeInMinutes?: number;
  GrowthType?: string;
  ReplicateTo?: string;
}

export interface Deployment {
  ApplicationId: string;
  EnvironmentId: string;
  ConfigurationProfileId: string;
  DeploymentNumber: number;
  ConfigurationVersion: string;
  DeploymentStrategyId: string;
  Description?: string;
  VersionLabel?: string;
  State: 'COMPLETE';
  StartedAt: Date;
  /** When the deployment completed, i.e. when clients start getting this version. */
  CompletedAt: Date;
}

/** Identifies a configuration by ids or names, as AppConfigData's StartConfigurationSession does. */
export interface ConfigurationTarget {
  application: string;
  environment: string;
  configurationProfile: string;
}

export interface PublishResult {
  versionNumber: number;
  deployment: Deployment;
  /** Equal to deployment.CompletedAt. */
  deployedAt: Date;
}

export interface CloudFormationResult {
  ref: string;
  attributes: Record<string, string>;
  created: boolean;
  ignored: string[];
}

export interface AppConfigStoreOptions {
  dir?: string;
  inMemory?: boolean;
  now?: () => number;
  fsync?: boolean;
}

type StoredRecord =
  | { t: 'key'; key: string }
  | ({ t: 'app' } & Application)
  | ({ t: 'env' } & Environment)
  | ({ t: 'profile' } & ConfigurationProfile)
  | ({ t: 'strategy' } & DeploymentStrategy)
  | { t: 'version'; v: Omit<HostedConfigurationVersion, 'Content' | 'CreatedAt'> & { Content: string; CreatedAt: string } }
  | { t: 'deploy'; d: Omit<Deployment, 'StartedAt' | 'CompletedAt'> & { StartedAt: string; CompletedAt: string } }
  | { t: 'cfn'; logicalId: string; type: string; hash: string; result: CloudFormationResult };

/**
 * AWS's predefined deployment strategies; any other id must have been created. Durations, growth and bake
 * times as "Using predefined deployment strategies" (AppConfig user guide) describes them.
 */
export const PREDEFINED_DEPLOYMENT_STRATEGIES: readonly Readonly<DeploymentStrategy>[] = [
  { Id: 'AppConfig.AllAtOnce', Name: 'AppConfig.AllAtOnce', Description: 'Quick', DeploymentDurationInMinutes: 0, GrowthType: 'LINEAR', GrowthFactor: 100, FinalBakeTimeInMinutes: 10, ReplicateTo: 'NONE' },
  { Id: 'AppConfig.Linear50PercentEvery30Seconds', Name: 'AppConfig.Linear50PercentEvery30Seconds', Description: 'Test/Demo', DeploymentDurationInMinutes: 1, GrowthType: 'LINEAR', GrowthFactor: 50, FinalBakeTimeInMinutes: 1, ReplicateTo: 'NONE' },
  { Id: 'AppConfig.Canary10Percent20Minutes', Name: 'AppConfig.Canary10Percent20Minutes', Description: 'AWS Recommended', DeploymentDurationInMinutes: 20, GrowthType: 'EXPONENTIAL', GrowthFactor: 10, FinalBakeTimeInMinutes: 10, ReplicateTo: 'NONE' },
  { Id: 'AppConfig.Linear20PercentEvery6Minutes', Name: 'AppConfig.Linear20PercentEvery6Minutes', Description: 'AWS Recommended', DeploymentDurationInMinutes: 30, GrowthType: 'LINEAR', GrowthFactor: 20, FinalBakeTimeInMinutes: 30, ReplicateTo: 'NONE' },
];
const PREDEFINED_STRATEGIES = PREDEFINED_DEPLOYMENT_STRATEGIES.map((s) => s.Id);

export class AppConfigStore {
  /** Secret for signing AppConfigData session tokens (persisted, so tokens survive a restart). */
  readonly tokenKey: Buffer;
  private readonly applications = new Map<string, Application>();
  private readonly environments = new Map<string, Environment>();
  private readonly profiles = new Map<string, ConfigurationProfile>();
  private readonly strategies = new Map<string, DeploymentStrategy>();
  /** key `${appId}/${profileId}` → versions in order. */
  private readonly versions = new Map<string, HostedConfigurationVersion[]>();
  /** key `${appId}/${envId}` → deployments in order. */
  private readonly deployments = new Map<string, Deployment[]>();
  private readonly cfn = new Map<string, { type: string; hash: string; result: CloudFormationResult }>();
  private readonly listeners = new Set<(d: Deployment) => void>();
  private log: RecordLog = NULL_LOG;
  private readonly now: () => number;

  private constructor(options: AppConfigStoreOptions, tokenKey: Buffer) {
    this.now = options.now ?? Date.now;
    this.tokenKey = tokenKey;
  }

  static open(options: AppConfigStoreOptions): AppConfigStore {
    if (!options.inMemory && !options.dir) throw new Error('AppConfigStore needs a dir, or inMemory: true');
    const file = options.inMemory ? undefined : path.join(options.dir!, 'appconfig.jsonl');
    const records = file ? readRecords<StoredRecord>(file) : [];
    const keyRecord = records.find((r): r is { t: 'key'; key: string } => r.t === 'key');
    const store = new AppConfigStore(options, keyRecord ? Buffer.from(keyRecord.key, 'base64') : randomBytes(32));
    for (const r of records) store.apply(r);
    if (file) {
      const compacted: StoredRecord[] = keyRecord ? records : [{ t: 'key', key: store.tokenKey.toString('base64') }, ...records];
      const logOptions: LogOptions = { fsync: options.fsync };
      store.log = compactAndOpen(file, compacted, logOptions);
    }
    return store;
  }

  close(): void {
    this.log.close();
    this.log = NULL_LOG;
  }

  // ---- control plane ----

  createApplication(input: { Name: string; Description?: string }): Application {
    requireName('Application', input.Name);
    if ([...this.applications.values()].some((a) => a.Name === input.Name)) throw conflict(`An application named ${input.Name} already exists`);
    const app: Application = { Id: newId(), Name: input.Name, ...(input.Description ? { Description: input.Description } : {}) };
    this.write({ t: 'app', ...app });
    return { ...app };
  }

  createEnvironment(input: { ApplicationId: string; Name: string; Description?: string }): Environment {
    const app = this.requireApplication(input.ApplicationId);
    requireName('Environment', input.Name);
    if (this.listEnvironments(app.Id).some((e) => e.Name === input.Name)) throw conflict(`Environment ${input.Name} already exists in application ${app.Name}`);
    const env: Environment = { ApplicationId: app.Id, Id: newId(), Name: input.Name, State: 'ReadyForDeployment', ...(input.Description ? { Description: input.Description } : {}) };
    this.write({ t: 'env', ...env });
    return { ...env };
  }

  createConfigurationProfile(input: { ApplicationId: string; Name: string; LocationUri?: string; Type?: string; Description?: string }): ConfigurationProfile {
    const app = this.requireApplication(input.ApplicationId);
    requireName('ConfigurationProfile', input.Name);
    const locationUri = input.LocationUri ?? 'hosted';
    if (locationUri !== 'hosted') throw badRequest(`Only hosted configurations are supported locally (LocationUri "hosted"), got ${locationUri}`);
    if (this.listConfigurationProfiles(app.Id).some((p) => p.Name === input.Name)) throw conflict(`Configuration profile ${input.Name} already exists in application ${app.Name}`);
    const profile: ConfigurationProfile = {
      ApplicationId: app.Id,
      Id: newId(),
      Name: input.Name,
      LocationUri: locationUri,
      Type: input.Type ?? 'AWS.Freeform',
      ...(input.Description ? { Description: input.Description } : {}),
    };
    this.write({ t: 'profile', ...profile });
    return { ...profile };
  }

  createDeploymentStrategy(input: Omit<DeploymentStrategy, 'Id'>): DeploymentStrategy {
    requireName('DeploymentStrategy', input.Name);
    const strategy: DeploymentStrategy = { ...input, Id: newId() };
    this.write({ t: 'strategy', ...strategy });
    return { ...strategy };
  }

  createHostedConfigurationVersion(input: {
    ApplicationId: string;
    ConfigurationProfileId: string;
    Content: string | Uint8Array;
    ContentType: string;
    VersionLabel?: string;
    Description?: string;
    LatestVersionNumber?: number;
  }): HostedConfigurationVersion {
    const app = this.requireApplication(input.ApplicationId);
    const profile = this.requireProfile(app.Id, input.ConfigurationProfileId);
    const content = typeof input.Content === 'string' ? Buffer.from(input.Content, 'utf8') : Buffer.from(input.Content);
    if (!input.ContentType) throw badRequest('ContentType is required');
    if (profile.Type === FEATURE_FLAGS_TYPE) {
      try {
        parseFeatureFlagsDocument(content.toString('utf8'));
      } catch (err) {
        throw badRequest((err as Error).message);
      }
    }
    const existing = this.versions.get(`${app.Id}/${profile.Id}`) ?? [];
    const latest = existing.length ? existing[existing.length - 1].VersionNumber : 0;
    if (input.LatestVersionNumber !== undefined && Number(input.LatestVersionNumber) !== latest) {
      throw conflict(`LatestVersionNumber ${input.LatestVersionNumber} does not match the latest version ${latest}`);
    }
    const version: HostedConfigurationVersion = {
      ApplicationId: app.Id,
      ConfigurationProfileId: profile.Id,
      VersionNumber: latest + 1,
      Content: content,
      ContentType: input.ContentType,
      ...(input.VersionLabel ? { VersionLabel: input.VersionLabel } : {}),
      ...(input.Description ? { Description: input.Description } : {}),
      CreatedAt: new Date(this.now()),
    };
    this.write({ t: 'version', v: { ...version, Content: content.toString('base64'), CreatedAt: version.CreatedAt.toISOString() } });
    return { ...version, Content: Buffer.from(content) };
  }

  /** Starts and (locally, at once) completes a deployment. */
  startDeployment(input: {
    ApplicationId: string;
    EnvironmentId: string;
    ConfigurationProfileId: string;
    ConfigurationVersion: string | number;
    DeploymentStrategyId?: string;
    Description?: string;
  }): Deployment {
    const app = this.requireApplication(input.ApplicationId);
    const env = this.requireEnvironment(app.Id, input.EnvironmentId);
    const profile = this.requireProfile(app.Id, input.ConfigurationProfileId);
    const versionNumber = Number(input.ConfigurationVersion);
    const version = this.getHostedConfigurationVersion(app.Id, profile.Id, versionNumber);
    if (!version) throw notFound(`Hosted configuration version ${input.ConfigurationVersion} of ${profile.Name} not found`, 'Configuration');
    const strategyId = input.DeploymentStrategyId ?? 'AppConfig.AllAtOnce';
    if (!PREDEFINED_STRATEGIES.includes(strategyId) && !this.strategies.has(strategyId)) {
      throw notFound(`Deployment strategy ${strategyId} not found`, 'DeploymentStrategy');
    }
    const list = this.deployments.get(`${app.Id}/${env.Id}`) ?? [];
    const at = new Date(this.now());
    const deployment: Deployment = {
      ApplicationId: app.Id,
      EnvironmentId: env.Id,
      ConfigurationProfileId: profile.Id,
      DeploymentNumber: list.length + 1,
      ConfigurationVersion: String(versionNumber),
      DeploymentStrategyId: strategyId,
      ...(input.Description ? { Description: input.Description } : {}),
      ...(version.VersionLabel ? { VersionLabel: version.VersionLabel } : {}),
      State: 'COMPLETE',
      StartedAt: at,
      CompletedAt: at,
    };
    this.write({ t: 'deploy', d: { ...deployment, StartedAt: at.toISOString(), CompletedAt: at.toISOString() } });
    for (const listener of this.listeners) listener({ ...deployment });
    return { ...deployment };
  }

  // ---- lookups (ids or names, like AppConfigData) ----

  findApplication(idOrName: string): Application | undefined {
    return this.applications.get(idOrName) ?? [...this.applications.values()].find((a) => a.Name === idOrName);
  }

  findEnvironment(applicationId: string, idOrName: string): Environment | undefined {
    const byId = this.environments.get(idOrName);
    if (byId && byId.ApplicationId === applicationId) return byId;
    return this.listEnvironments(applicationId).find((e) => e.Name === idOrName);
  }

  findConfigurationProfile(applicationId: string, idOrName: string): ConfigurationProfile | undefined {
    const byId = this.profiles.get(idOrName);
    if (byId && byId.ApplicationId === applicationId) return byId;
    return this.listConfigurationProfiles(applicationId).find((p) => p.Name === idOrName);
  }

  listApplications(): Application[] {
    return [...this.applications.values()].map((a) => ({ ...a }));
  }

  listEnvironments(applicationId: string): Environment[] {
    return [...this.environments.values()].filter((e) => e.ApplicationId === applicationId).map((e) => ({ ...e }));
  }

  listConfigurationProfiles(applicationId: string): ConfigurationProfile[] {
    return [...this.profiles.values()].filter((p) => p.ApplicationId === applicationId).map((p) => ({ ...p }));
  }

  listHostedConfigurationVersions(applicationId: string, profileId: string): HostedConfigurationVersion[] {
    return (this.versions.get(`${applicationId}/${profileId}`) ?? []).map((v) => ({ ...v, Content: Buffer.from(v.Content) }));
  }

  getHostedConfigurationVersion(applicationId: string, profileId: string, versionNumber: number): HostedConfigurationVersion | undefined {
    const v = (this.versions.get(`${applicationId}/${profileId}`) ?? []).find((x) => x.VersionNumber === versionNumber);
    return v ? { ...v, Content: Buffer.from(v.Content) } : undefined;
  }

  listDeployments(applicationId: string, environmentId: string): Deployment[] {
    return (this.deployments.get(`${applicationId}/${environmentId}`) ?? []).map((d) => ({ ...d }));
  }

  getDeployment(applicationId: string, environmentId: string, deploymentNumber: number): Deployment | undefined {
    const d = (this.deployments.get(`${applicationId}/${environmentId}`) ?? []).find((x) => x.DeploymentNumber === deploymentNumber);
    return d ? { ...d } : undefined;
  }

  /** The predefined strategies, then the created ones. */
  listDeploymentStrategies(): DeploymentStrategy[] {
    return [...PREDEFINED_DEPLOYMENT_STRATEGIES, ...this.strategies.values()].map((s) => ({ ...s }));
  }

  /** A strategy by id (a predefined one, e.g. `AppConfig.AllAtOnce`, or a created one). */
  getDeploymentStrategy(id: string): DeploymentStrategy | undefined {
    const strategy = PREDEFINED_DEPLOYMENT_STRATEGIES.find((s) => s.Id === id) ?? this.strategies.get(id);
    return strategy ? { ...strategy } : undefined;
  }

  /** The latest completed deployment of a profile to an environment. */
  latestDeployment(applicationId: string, environmentId: string, profileId: string): Deployment | undefined {
    const list = this.deployments.get(`${applicationId}/${environmentId}`) ?? [];
    for (let i = list.length - 1; i >= 0; i--) if (list[i].ConfigurationProfileId === profileId) return { ...list[i] };
    return undefined;
  }

  /** Resolves a target given by ids or names; throws ResourceNotFoundException naming the missing piece. */
  resolve(target: ConfigurationTarget): { application: Application; environment: Environment; profile: ConfigurationProfile } {
    const application = this.findApplication(target.application);
    if (!application) throw notFound(`Application ${target.application} not found`, 'Application', { ApplicationIdentifier: target.application });
    const environment = this.findEnvironment(application.Id, target.environment);
    if (!environment) throw notFound(`Environment ${target.environment} not found`, 'Environment', { EnvironmentIdentifier: target.environment });
    const profile = this.findConfigurationProfile(application.Id, target.configurationProfile);
    if (!profile) throw notFound(`Configuration profile ${target.configurationProfile} not found`, 'ConfigurationProfile', { ConfigurationProfileIdentifier: target.configurationProfile });
    return { application: { ...application }, environment: { ...environment }, profile: { ...profile } };
  }

  /** The stored content currently deployed to a target (the raw document, not the served form). */
  getDeployed(target: ConfigurationTarget): { version: HostedConfigurationVersion; deployment: Deployment; profile: ConfigurationProfile } | undefined {
    const { application, environment, profile } = this.resolve(target);
    const deployment = this.latestDeployment(application.Id, environment.Id, profile.Id);
    if (!deployment) return undefined;
    const version = this.getHostedConfigurationVersion(application.Id, profile.Id, Number(deployment.ConfigurationVersion))!;
    return { version, deployment, profile };
  }

  // ---- convenience for the console and tests ----

  /** Creates a hosted version with `content` and deploys it to the target environment at once. */
  publish(target: ConfigurationTarget & { content: string | Uint8Array | object; contentType?: string; versionLabel?: string; description?: string; deploymentStrategyId?: string }): PublishResult {
    const { application, environment, profile } = this.resolve(target);
    const isBytes = typeof target.content === 'string' || target.content instanceof Uint8Array;
    const content = isBytes ? (target.content as string | Uint8Array) : JSON.stringify(target.content, null, 2);
    const version = this.createHostedConfigurationVersion({
      ApplicationId: application.Id,
      ConfigurationProfileId: profile.Id,
      Content: content,
      ContentType: target.contentType ?? (isBytes ? 'application/octet-stream' : 'application/json'),
      VersionLabel: target.versionLabel,
      Description: target.description,
    });
    const deployment = this.startDeployment({
      ApplicationId: application.Id,
      EnvironmentId: environment.Id,
      ConfigurationProfileId: profile.Id,
      ConfigurationVersion: version.VersionNumber,
      DeploymentStrategyId: target.deploymentStrategyId,
      Description: target.description,
    });
    return { versionNumber: version.VersionNumber, deployment, deployedAt: deployment.CompletedAt };
  }

  /** The feature flags document deployed to a target (definitions and values). */
  getFeatureFlags(target: ConfigurationTarget): FeatureFlagsDocument | undefined {
    const deployed = this.getDeployed(target);
    if (!deployed) return undefined;
    if (deployed.profile.Type !== FEATURE_FLAGS_TYPE) throw badRequest(`Configuration profile ${deployed.profile.Name} is not of type ${FEATURE_FLAGS_TYPE}`);
    return JSON.parse(deployed.version.Content.toString('utf8'));
  }

  /** Changes one flag (enabled and/or attribute values) of the deployed document, then publishes and deploys it. */
  setFeatureFlag(target: ConfigurationTarget & { flag: string; enabled?: boolean; attributes?: Record<string, unknown>; description?: string }): PublishResult {
    const doc = this.getFeatureFlags(target);
    if (!doc) throw notFound(`Nothing is deployed to ${target.environment} for ${target.configurationProfile} yet`, 'Deployment');
    const next = withFlagValue(doc, target.flag, { enabled: target.enabled, attributes: target.attributes }, new Date(this.now()));
    return this.publish({ ...target, content: JSON.stringify(next, null, 2), contentType: 'application/json', description: target.description ?? `set ${target.flag}` });
  }

  /** Called after every deployment (console, caches). Returns an unsubscribe function. */
  onDeployment(listener: (deployment: Deployment) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ---- CloudFormation ----

  /**
   * Creates a resource from an `AWS::AppConfig::*` resource's resolved properties and returns its Ref and attributes.
   * With a `logicalId`, a resource whose properties did not change since the last run is left alone (as a
   * CloudFormation update would), so a restart does not undo versions deployed from the console.
   */
  applyCloudFormation(type: string, properties: Record<string, unknown>, options: { logicalId?: string } = {}): CloudFormationResult {
    const hash = createHash('sha256').update(type + JSON.stringify(properties ?? {})).digest('hex');
    const previous = options.logicalId ? this.cfn.get(options.logicalId) : undefined;
    if (previous && previous.type === type && previous.hash === hash) return { ...previous.result, created: false };
    const result = this.createFromCloudFormation(type, properties ?? {}, previous?.result);
    if (options.logicalId) this.write({ t: 'cfn', logicalId: options.logicalId, type, hash, result });
    return result;
  }

  private createFromCloudFormation(type: string, p: Record<string, any>, previous: CloudFormationResult | undefined): CloudFormationResult {
    const ignoredOf = (handled: string[]) => Object.keys(p).filter((k) => !handled.includes(k));
    switch (type) {
      case 'AWS::AppConfig::Application': {
        const existing = (previous && this.applications.get(previous.ref)) || this.findApplication(p.Name);
        const app = existing ?? this.createApplication({ Name: p.Name, Description: p.Description });
        return { ref: app.Id, attributes: { ApplicationId: app.Id }, created: !existing, ignored: ignoredOf(['Name', 'Description']) };
      }
      case 'AWS::AppConfig::Environment': {
        const app = this.requireApplication(p.ApplicationId);
        const existing = this.findEnvironment(app.Id, p.Name);
        const env = existing ?? this.createEnvironment({ ApplicationId: app.Id, Name: p.Name, Description: p.Description });
        return { ref: env.Id, attributes: { EnvironmentId: env.Id }, created: !existing, ignored: ignoredOf(['ApplicationId', 'Name', 'Description']) };
      }
      case 'AWS::AppConfig::ConfigurationProfile': {
        const app = this.requireApplication(p.ApplicationId);
        const existing = this.findConfigurationProfile(app.Id, p.Name);
        const profile =
          existing ??
          this.createConfigurationProfile({ ApplicationId: app.Id, Name: p.Name, LocationUri: p.LocationUri, Type: p.Type, Description: p.Description });
        return {
          ref: profile.Id,
          attributes: { ConfigurationProfileId: profile.Id },
          created: !existing,
          ignored: ignoredOf(['ApplicationId', 'Name', 'LocationUri', 'Type', 'Description']),
        };
      }
      case 'AWS::AppConfig::HostedConfigurationVersion': {
        const app = this.requireApplication(p.ApplicationId);
        const profile = this.requireProfile(app.Id, p.ConfigurationProfileId);
        const content = Buffer.from(String(p.Content ?? ''), 'utf8');
        const versions = this.versions.get(`${app.Id}/${profile.Id}`) ?? [];
        const latest = versions[versions.length - 1];
        // Without a logical id to remember, an identical latest version is taken as this resource.
        const reuse = !previous && latest && latest.ContentType === p.ContentType && latest.Content.equals(content) ? latest : undefined;
        const version =
          reuse ??
          this.createHostedConfigurationVersion({
            ApplicationId: app.Id,
            ConfigurationProfileId: profile.Id,
            Content: content,
            ContentType: p.ContentType,
            VersionLabel: p.VersionLabel,
            Description: p.Description,
          });
        const ref = String(version.VersionNumber);
        return {
          ref,
          attributes: { VersionNumber: ref },
          created: !reuse,
          ignored: ignoredOf(['ApplicationId', 'ConfigurationProfileId', 'Content', 'ContentType', 'VersionLabel', 'Description', 'LatestVersionNumber']),
        };
      }
      case 'AWS::AppConfig::DeploymentStrategy': {
        const existing = (previous && this.strategies.get(previous.ref)) || [...this.strategies.values()].find((s) => s.Name === p.Name);
        const strategy =
          existing ??
          this.createDeploymentStrategy({
            Name: p.Name,
            DeploymentDurationInMinutes: num(p.DeploymentDurationInMinutes),
            GrowthFactor: num(p.GrowthFactor),
            FinalBakeTimeInMinutes: num(p.FinalBakeTimeInMinutes),
            GrowthType: p.GrowthType,
          });
        return {
          ref: strategy.Id,
          attributes: { Id: strategy.Id },
          created: !existing,
          ignored: ignoredOf(['Name', 'DeploymentDurationInMinutes', 'GrowthFactor', 'FinalBakeTimeInMinutes', 'GrowthType', 'ReplicateTo']),
        };
      }
      case 'AWS::AppConfig::Deployment': {
        const app = this.requireApplication(p.ApplicationId);
        const env = this.requireEnvironment(app.Id, p.EnvironmentId);
        const profile = this.requireProfile(app.Id, p.ConfigurationProfileId);
        const current = this.latestDeployment(app.Id, env.Id, profile.Id);
        const reuse = !previous && current && current.ConfigurationVersion === String(p.ConfigurationVersion) ? current : undefined;
        const deployment =
          reuse ??
          this.startDeployment({
            ApplicationId: app.Id,
            EnvironmentId: env.Id,
            ConfigurationProfileId: profile.Id,
            ConfigurationVersion: p.ConfigurationVersion,
            DeploymentStrategyId: p.DeploymentStrategyId,
            Description: p.Description,
          });
        const ref = String(deployment.DeploymentNumber);
        return {
          ref,
          attributes: { DeploymentNumber: ref, ApplicationId: app.Id, EnvironmentId: env.Id },
          created: !reuse,
          ignored: ignoredOf(['ApplicationId', 'EnvironmentId', 'ConfigurationProfileId', 'ConfigurationVersion', 'DeploymentStrategyId', 'Description']),
        };
      }
      default:
        throw new Error(`${type} is not supported by the local AppConfig`);
    }
  }

  // ---- internals ----

  private requireApplication(idOrName: string): Application {
    const app = typeof idOrName === 'string' ? this.findApplication(idOrName) : undefined;
    if (!app) throw notFound(`Application ${idOrName} not found`, 'Application');
    return app;
  }

  private requireEnvironment(applicationId: string, idOrName: string): Environment {
    const env = this.findEnvironment(applicationId, idOrName);
    if (!env) throw notFound(`Environment ${idOrName} not found`, 'Environment');
    return env;
  }

  private requireProfile(applicationId: string, idOrName: string): ConfigurationProfile {
    const profile = this.findConfigurationProfile(applicationId, idOrName);
    if (!profile) throw notFound(`Configuration profile ${idOrName} not found`, 'ConfigurationProfile');
    return profile;
  }

  /** Appends to the log first (durable), then applies. */
  private write(record: StoredRecord): void {
    this.log.append(record);
    this.apply(record);
  }

  private apply(r: StoredRecord): void {
    switch (r.t) {
      case 'key':
        return;
      case 'app': {
        const { t: _t, ...app } = r;
        this.applications.set(app.Id, app);
        return;
      }
      case 'env': {
        const { t: _t, ...env } = r;
        this.environments.set(env.Id, env);
        return;
      }
      case 'profile': {
        const { t: _t, ...profile } = r;
        this.profiles.set(profile.Id, profile);
        return;
      }
      case 'strategy': {
        const { t: _t, ...strategy } = r;
        this.strategies.set(strategy.Id, strategy);
        return;
      }
      case 'version': {
        const v: HostedConfigurationVersion = { ...r.v, Content: Buffer.from(r.v.Content, 'base64'), CreatedAt: new Date(r.v.CreatedAt) };
        const key = `${v.ApplicationId}/${v.ConfigurationProfileId}`;
        this.versions.set(key, [...(this.versions.get(key) ?? []), v]);
        return;
      }
      case 'deploy': {
        const d: Deployment = { ...r.d, StartedAt: new Date(r.d.StartedAt), CompletedAt: new Date(r.d.CompletedAt) };
        const key = `${d.ApplicationId}/${d.EnvironmentId}`;
        this.deployments.set(key, [...(this.deployments.get(key) ?? []), d]);
        return;
      }
      case 'cfn':
        this.cfn.set(r.logicalId, { type: r.type, hash: r.hash, result: r.result });
        return;
    }
  }
}

/** AppConfig ids are 7 lowercase alphanumerics. */
function newId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return [...randomBytes(7)].map((b) => alphabet[b % alphabet.length]).join('');
}

function num(v: unknown): number | undefined {
  return v === undefined || v === null ? undefined : Number(v);
}

function requireName(what: string, name: unknown): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 64) throw badRequest(`${what} Name must be 1 to 64 characters`);
}

function badRequest(message: string): AwsError {
  return AwsError.of('appconfigdata', 'BadRequestException', message);
}

function conflict(message: string): AwsError {
  return new AwsError('ConflictException', message, { service: 'appconfigdata', httpStatus: 409 });
}

function notFound(message: string, resourceType: string, referencedBy?: Record<string, string>): AwsError {
  return AwsError.of('appconfigdata', 'ResourceNotFoundException', message, { ResourceType: resourceType, ...(referencedBy ? { ReferencedBy: referencedBy } : {}) });
}
