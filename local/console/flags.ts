/**
 * Feature flags as the console shows them: the values deployed to each environment, and whether they are
 * in effect yet. A toggle publishes a new hosted configuration version and deploys it
 * (AppConfigStore.setFeatureFlag); the flags Lambda only sees it on its next AppConfigData poll (at most
 * every 15 s). This tracker hears every answered poll (AppConfigDataService.onPoll) and records when each
 * deployment was first served: "version N deployed at T, in effect since T2 (first poll)".
 *
 * On AWS, AppConfig's Lambda extension polls in the background; the local flags Lambda polls when it is
 * invoked. So that a change takes effect without traffic, a deployment to an environment the Lambda
 * polls makes the tracker invoke it once its poll is due (its last poll + 15 s), which is exactly when
 * its next request would have polled: the Lambda sees nothing earlier than it would have.
 */
import type { AppConfigDataService, AppConfigStore, ConfigurationPoll, Deployment, FeatureFlagsDocument } from '../services/appconfigdata';
import { FEATURE_FLAGS_TYPE } from '../services/appconfigdata';

export interface FlagView {
  key: string;
  name?: string;
  description?: string;
  enabled: boolean;
  /** Attribute values (metadata such as _updatedAt left out). */
  attributes: Record<string, unknown>;
  /** Attribute declarations from the flag's definition. */
  attributeDefinitions: Record<string, unknown>;
  /** 'effective' once a poller has been served a version with this value; 'pending' until then. */
  state: 'effective' | 'pending';
  updatedAt?: string;
  /** The oldest deployment since which the flag has had its current value (the one that last changed it). */
  since?: DeploymentView;
  /** `since` changed the flag (false: the flag has had this value since the first deployment). */
  changed?: boolean;
}

export interface DeploymentView {
  deploymentNumber: number;
  version: number;
  deployedAt: string;
  description?: string;
  /** When a poller first got this deployment. */
  effectiveSince?: string;
}

export interface FlagsEnvironmentView {
  application: { id: string; name: string };
  environment: { id: string; name: string };
  configurationProfile: { id: string; name: string };
  /** The latest deployment (what the next poll serves). */
  deployment?: DeploymentView;
  /** The newest deployment a poller has been served (what is in effect). */
  effective?: DeploymentView;
  /** The last AppConfigData poll of this configuration; absent while nothing has polled it (flags Lambda cold). */
  lastPollAt?: string;
  /** When the next poll is expected (last poll + the poll interval). */
  nextPollAt?: string;
  flags: FlagView[];
}

export interface FlagChange {
  flag: string;
  enabled?: boolean;
  attributes?: Record<string, unknown>;
  application?: string;
  environment?: string;
  configurationProfile?: string;
}

export type FlagsEvent =
  | { kind: 'deployed'; application: string; environment: string; configurationProfile: string; deploymentNumber: number; version: number; at: string }
  | { kind: 'effective'; application: string; environment: string; configurationProfile: string; deploymentNumber: number; version: number; at: string };

export interface FlagsTrackerOptions {
  store: AppConfigStore;
  data: AppConfigDataService;
  /** Makes the flags Lambda poll (invokes it); omitted = changes wait for traffic. */
  poll?: () => Promise<unknown>;
  /** The flags Lambda's poll interval (default 15 s, AppConfigData's minimum). */
  pollIntervalMs?: number;
  onEvent?: (event: FlagsEvent) => void;
  now?: () => number;
}

interface Tracked {
  firstServed: Map<number, Date>;
  effective: number;
  lastPollAt?: number;
  timer?: NodeJS.Timeout;
  nudges: number;
}

export class BadFlagInput extends Error {}

const NUDGE_MARGIN_MS = 250;
const MAX_NUDGES = 30;

export class FlagsTracker {
  private readonly tracked = new Map<string, Tracked>();
  /** Parsed hosted configuration versions (immutable) by application/profile/version. */
  private readonly documents = new Map<string, FeatureFlagsDocument | undefined>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly interval: number;
  private readonly now: () => number;
  private closed = false;

  constructor(private readonly options: FlagsTrackerOptions) {
    this.interval = options.pollIntervalMs ?? 15_000;
    this.now = options.now ?? Date.now;
    this.unsubscribe.push(options.data.onPoll((poll) => this.polled(poll)));
    this.unsubscribe.push(options.store.onDeployment((deployment) => this.deployed(deployment)));
  }

  /** Every feature-flags profile × environment, with values and their state. */
  environments(): FlagsEnvironmentView[] {
    const { store } = this.options;
    const views: FlagsEnvironmentView[] = [];
    for (const app of store.listApplications()) {
      for (const profile of store.listConfigurationProfiles(app.Id).filter((p) => p.Type === FEATURE_FLAGS_TYPE)) {
        for (const env of store.listEnvironments(app.Id)) views.push(this.view(app, env, profile));
      }
    }
    return views;
  }

  /** Publishes and deploys one flag change; returns the deployment and the environment's new view. */
  set(change: FlagChange): { versionNumber: number; deploymentNumber: number; deployedAt: string; environment: FlagsEnvironmentView } {
    if (typeof change?.flag !== 'string' || change.flag === '') throw new BadFlagInput('"flag" is required');
    if (change.enabled !== undefined && typeof change.enabled !== 'boolean') throw new BadFlagInput('"enabled" must be a boolean');
    if (change.attributes !== undefined && (typeof change.attributes !== 'object' || change.attributes === null || Array.isArray(change.attributes))) {
      throw new BadFlagInput('"attributes" must be an object');
    }
    const target = this.target(change);
    let result;
    try {
      result = this.options.store.setFeatureFlag({ ...target, flag: change.flag, enabled: change.enabled, attributes: change.attributes, description: `console: set ${change.flag}` });
    } catch (error) {
      if (/Unknown feature flag|Invalid feature flags document/.test((error as Error).message)) throw new BadFlagInput((error as Error).message);
      throw error;
    }
    const { application, environment, profile } = this.options.store.resolve(target);
    return {
      versionNumber: result.versionNumber,
      deploymentNumber: result.deployment.DeploymentNumber,
      deployedAt: result.deployedAt.toISOString(),
      environment: this.view(application, environment, profile),
    };
  }

  close(): void {
    this.closed = true;
    this.unsubscribe.forEach((u) => u());
    for (const t of this.tracked.values()) clearTimeout(t.timer);
  }

  private view(app: { Id: string; Name: string }, env: { Id: string; Name: string }, profile: { Id: string; Name: string }): FlagsEnvironmentView {
    const { store } = this.options;
    const tracked = this.tracked.get(key(app.Id, env.Id, profile.Id));
    const latest = store.latestDeployment(app.Id, env.Id, profile.Id);
    const view: FlagsEnvironmentView = {
      application: { id: app.Id, name: app.Name },
      environment: { id: env.Id, name: env.Name },
      configurationProfile: { id: profile.Id, name: profile.Name },
      flags: [],
    };
    if (tracked?.lastPollAt !== undefined) {
      view.lastPollAt = new Date(tracked.lastPollAt).toISOString();
      view.nextPollAt = new Date(tracked.lastPollAt + this.interval).toISOString();
    }
    if (!latest) return view;
    view.deployment = this.deploymentView(latest, tracked);
    const effectiveDeployment = tracked?.effective ? store.listDeployments(app.Id, env.Id).find((d) => d.DeploymentNumber === tracked.effective) : undefined;
    if (effectiveDeployment) view.effective = this.deploymentView(effectiveDeployment, tracked);
    const current = this.document(app.Id, profile.Id, latest);
    const inEffect = effectiveDeployment ? this.document(app.Id, profile.Id, effectiveDeployment) : undefined;
    // This profile's deployments to the environment, newest first, with their documents.
    const history = store
      .listDeployments(app.Id, env.Id)
      .filter((d) => d.ConfigurationProfileId === profile.Id)
      .reverse()
      .map((d) => ({ deployment: d, document: this.document(app.Id, profile.Id, d) }));
    for (const [flagKey, definition] of Object.entries(current?.flags ?? {})) {
      const value = current?.values?.[flagKey] ?? {};
      const served = inEffect?.values?.[flagKey];
      let since: Deployment | undefined;
      for (const { deployment, document } of history) {
        const then = document?.values?.[flagKey];
        if (!document?.flags?.[flagKey] || !then || !sameValue(value, then)) break;
        since = deployment;
      }
      view.flags.push({
        key: flagKey,
        ...(definition.name ? { name: definition.name } : {}),
        ...(definition.description ? { description: definition.description } : {}),
        enabled: value.enabled === true,
        attributes: publicAttributes(value),
        attributeDefinitions: (definition.attributes as Record<string, unknown>) ?? {},
        state: inEffect && (!!inEffect.flags?.[flagKey] || served) && sameValue(value, served ?? {}) ? 'effective' : 'pending',
        ...(typeof value._updatedAt === 'string' ? { updatedAt: value._updatedAt } : {}),
        ...(since ? { since: this.deploymentView(since, tracked), changed: since !== history[history.length - 1].deployment } : {}),
      });
    }
    return view;
  }

  private deploymentView(d: Deployment, tracked: Tracked | undefined): DeploymentView {
    const since = tracked?.firstServed.get(d.DeploymentNumber);
    return {
      deploymentNumber: d.DeploymentNumber,
      version: Number(d.ConfigurationVersion),
      deployedAt: d.CompletedAt.toISOString(),
      ...(d.Description ? { description: d.Description } : {}),
      ...(since ? { effectiveSince: since.toISOString() } : {}),
    };
  }

  private document(applicationId: string, profileId: string, d: Deployment): FeatureFlagsDocument | undefined {
    const k = `${applicationId}/${profileId}/${d.ConfigurationVersion}`;
    if (this.documents.has(k)) return this.documents.get(k);
    const version = this.options.store.getHostedConfigurationVersion(applicationId, profileId, Number(d.ConfigurationVersion));
    let document: FeatureFlagsDocument | undefined;
    try {
      document = version ? JSON.parse(version.Content.toString('utf8')) : undefined;
    } catch {
      document = undefined;
    }
    if (version) this.documents.set(k, document); // versions never change once created
    return document;
  }

  private polled(poll: ConfigurationPoll): void {
    const k = key(poll.applicationId, poll.environmentId, poll.configurationProfileId);
    const t = this.track(k);
    t.lastPollAt = poll.at.getTime();
    if (t.firstServed.has(poll.deploymentNumber)) return;
    t.firstServed.set(poll.deploymentNumber, poll.at);
    if (poll.deploymentNumber > t.effective) t.effective = poll.deploymentNumber;
    this.options.onEvent?.({
      kind: 'effective',
      application: poll.applicationId,
      environment: poll.environmentId,
      configurationProfile: poll.configurationProfileId,
      deploymentNumber: poll.deploymentNumber,
      version: poll.configurationVersion,
      at: poll.at.toISOString(),
    });
  }

  private deployed(d: Deployment): void {
    const k = key(d.ApplicationId, d.EnvironmentId, d.ConfigurationProfileId);
    this.options.onEvent?.({
      kind: 'deployed',
      application: d.ApplicationId,
      environment: d.EnvironmentId,
      configurationProfile: d.ConfigurationProfileId,
      deploymentNumber: d.DeploymentNumber,
      version: Number(d.ConfigurationVersion),
      at: d.CompletedAt.toISOString(),
    });
    const t = this.tracked.get(k);
    // Nothing polls this configuration yet (a cold flags Lambda reads the latest on its first invocation).
    if (!t || t.lastPollAt === undefined || !this.options.poll) return;
    t.nudges = 0;
    this.scheduleNudge(k, t, d.DeploymentNumber);
  }

  /** Invokes the poller once its poll is due, until the deployment has been served (or a bounded number of tries). */
  private scheduleNudge(k: string, t: Tracked, deploymentNumber: number): void {
    clearTimeout(t.timer);
    const due = (t.lastPollAt ?? 0) + this.interval + NUDGE_MARGIN_MS;
    const wait = Math.max(t.nudges === 0 ? 0 : 1000, due - this.now());
    t.timer = setTimeout(() => {
      t.timer = undefined;
      if (this.closed || t.effective >= deploymentNumber || t.nudges++ >= MAX_NUDGES) return;
      this.options.poll!().then(
        () => undefined,
        () => undefined,
      ).then(() => {
        if (!this.closed && t.effective < deploymentNumber) this.scheduleNudge(k, t, deploymentNumber);
      });
    }, wait);
    t.timer.unref();
  }

  private track(k: string): Tracked {
    let t = this.tracked.get(k);
    if (!t) {
      t = { firstServed: new Map(), effective: 0, nudges: 0 };
      this.tracked.set(k, t);
    }
    return t;
  }

  /** Application/environment/profile by id or name; each defaults to the only one there is. */
  private target(change: FlagChange): { application: string; environment: string; configurationProfile: string } {
    const { store } = this.options;
    const only = <T extends { Id: string; Name: string }>(items: T[], what: string, given: unknown): T => {
      if (typeof given === 'string' && given !== '') {
        const found = items.find((i) => i.Id === given || i.Name === given);
        if (!found) throw new BadFlagInput(`No ${what} "${given}" (known: ${items.map((i) => i.Name).join(', ') || 'none'})`);
        return found;
      }
      if (items.length === 1) return items[0];
      throw new BadFlagInput(`"${what}" is required (${items.length} to choose from: ${items.map((i) => i.Name).join(', ') || 'none'})`);
    };
    const app = only(store.listApplications(), 'application', change.application);
    const env = only(store.listEnvironments(app.Id), 'environment', change.environment);
    const profile = only(
      store.listConfigurationProfiles(app.Id).filter((p) => p.Type === FEATURE_FLAGS_TYPE),
      'configurationProfile',
      change.configurationProfile,
    );
    return { application: app.Id, environment: env.Id, configurationProfile: profile.Id };
  }
}

function key(application: string, environment: string, profile: string): string {
  return `${application}/${environment}/${profile}`;
}

function publicAttributes(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'enabled' && !k.startsWith('_')));
}

function sameValue(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return (a.enabled === true) === (b.enabled === true) && JSON.stringify(sortKeys(publicAttributes(a))) === JSON.stringify(sortKeys(publicAttributes(b)));
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}
