/**
 * AppConfigData (the data plane): StartConfigurationSession and GetLatestConfiguration over the local AppConfigStore.
 *
 * Tokens are signed (HMAC with the store's persisted key), so they survive a restart; each is single-use (a second
 * use is a BadRequestException) and expires after 24 hours. With `enforcePollInterval` (default, as AWS), polling a
 * token before its poll interval has passed is a BadRequestException (`PollIntervalNotSatisfied`); the initial token
 * may be used at once. A poll returns an empty body when the session already has the deployed version.
 * `AWS.AppConfig.FeatureFlags` profiles are served in their retrieval-time (data) form.
 * `onPoll` listeners hear of every answered poll (the console shows when a deployment took effect).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AwsError } from '../errors';
import { FaultInjector } from '../faults';
import { FEATURE_FLAGS_TYPE, featureFlagsData } from './featureFlags';
import { AppConfigStore } from './store';

export interface StartConfigurationSessionRequest {
  ApplicationIdentifier: string;
  EnvironmentIdentifier: string;
  ConfigurationProfileIdentifier: string;
  RequiredMinimumPollIntervalInSeconds?: number;
}

export interface GetLatestConfigurationResponse {
  NextPollConfigurationToken: string;
  NextPollIntervalInSeconds: number;
  ContentType?: string;
  /** Empty when the session already has the latest deployed version. */
  Configuration: Buffer;
  VersionLabel?: string;
}

export interface AppConfigDataServiceOptions {
  faults?: FaultInjector;
  now?: () => number;
  /** Reject polls made before the poll interval has passed, as AWS does (default true). */
  enforcePollInterval?: boolean;
}

interface TokenPayload {
  /** session id */
  s: string;
  a: string;
  e: string;
  p: string;
  /** poll interval, seconds */
  i: number;
  /** issued at, epoch ms */
  t: number;
  /** deployment number the session last received, 0 = none yet */
  d: number;
  /** true for the initial token (no poll interval to wait) */
  f?: 1;
  n: string;
}

export const TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;
const DEFAULT_POLL_INTERVAL = 60;

/** One answered GetLatestConfiguration: which deployment the poller now has. */
export interface ConfigurationPoll {
  applicationId: string;
  environmentId: string;
  configurationProfileId: string;
  /** The deployment the poller has after this poll (the latest one). */
  deploymentNumber: number;
  configurationVersion: number;
  /** True when this poll delivered content (the session had another deployment, or none). */
  changed: boolean;
  /** Session id (one per StartConfigurationSession). */
  session: string;
  at: Date;
}

export class AppConfigDataService {
  private readonly used = new Map<string, number>();
  private readonly now: () => number;
  private readonly enforcePollInterval: boolean;
  private readonly servedCache = new Map<string, { content: Buffer; contentType: string }>();
  private readonly pollListeners = new Set<(poll: ConfigurationPoll) => void>();

  constructor(
    readonly store: AppConfigStore,
    private readonly options: AppConfigDataServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.enforcePollInterval = options.enforcePollInterval ?? true;
  }

  /** Dispatches by operation name, for symmetry with the other services. */
  async call(action: string, request: any): Promise<any> {
    if (action === 'StartConfigurationSession') return this.startConfigurationSession(request);
    if (action === 'GetLatestConfiguration') return this.getLatestConfiguration(request);
    throw AwsError.of('appconfigdata', 'BadRequestException', `Unknown operation ${action}`);
  }

  /** Called after every answered GetLatestConfiguration. Returns an unsubscribe function. */
  onPoll(listener: (poll: ConfigurationPoll) => void): () => void {
    this.pollListeners.add(listener);
    return () => this.pollListeners.delete(listener);
  }

  async startConfigurationSession(req: StartConfigurationSessionRequest): Promise<{ InitialConfigurationToken: string }> {
    this.options.faults?.check('appconfigdata', 'StartConfigurationSession');
    const problems: string[] = [];
    for (const name of ['ApplicationIdentifier', 'EnvironmentIdentifier', 'ConfigurationProfileIdentifier'] as const) {
      const v = req?.[name];
      if (typeof v !== 'string' || v.length < 1 || v.length > 128) problems.push(`${name} must be a string of 1 to 128 characters`);
    }
    const interval = req?.RequiredMinimumPollIntervalInSeconds ?? DEFAULT_POLL_INTERVAL;
    if (!Number.isInteger(interval) || interval < 15 || interval > 86400) {
      problems.push('RequiredMinimumPollIntervalInSeconds must be between 15 and 86400');
    }
    if (problems.length) throw AwsError.of('appconfigdata', 'BadRequestException', problems.join('; '));
    const { application, environment, profile } = this.store.resolve({
      application: req.ApplicationIdentifier,
      environment: req.EnvironmentIdentifier,
      configurationProfile: req.ConfigurationProfileIdentifier,
    });
    const token = this.sign({
      s: randomBytes(8).toString('hex'),
      a: application.Id,
      e: environment.Id,
      p: profile.Id,
      i: interval,
      t: this.now(),
      d: 0,
      f: 1,
      n: randomBytes(8).toString('hex'),
    });
    return { InitialConfigurationToken: token };
  }

  async getLatestConfiguration(req: { ConfigurationToken: string }): Promise<GetLatestConfigurationResponse> {
    this.options.faults?.check('appconfigdata', 'GetLatestConfiguration');
    const now = this.now();
    this.pruneUsed(now);
    const token = req?.ConfigurationToken;
    if (typeof token !== 'string' || !token) throw AwsError.of('appconfigdata', 'BadRequestException', 'ConfigurationToken is required');
    const payload = this.verify(token);
    if (!payload) throw invalidToken('Corrupted', 'Invalid ConfigurationToken');
    if (now - payload.t > TOKEN_LIFETIME_MS) throw invalidToken('Expired', 'The ConfigurationToken has expired');
    if (this.used.has(payload.n)) throw invalidToken('Expired', 'The ConfigurationToken has already been used; use NextPollConfigurationToken');
    if (this.enforcePollInterval && !payload.f && now < payload.t + payload.i * 1000) {
      throw invalidToken('PollIntervalNotSatisfied', 'Request too early');
    }
    this.used.set(payload.n, payload.t + TOKEN_LIFETIME_MS);

    const deployment = this.store.latestDeployment(payload.a, payload.e, payload.p);
    if (!deployment) {
      throw AwsError.of('appconfigdata', 'ResourceNotFoundException', 'No configuration has been deployed to this environment for this configuration profile', {
        ResourceType: 'Deployment',
      });
    }
    const next = this.sign({ ...payload, t: now, d: deployment.DeploymentNumber, f: undefined, n: randomBytes(8).toString('hex') });
    const served = this.served(payload.a, payload.p, Number(deployment.ConfigurationVersion));
    const changed = deployment.DeploymentNumber !== payload.d;
    if (this.pollListeners.size) {
      const poll: ConfigurationPoll = {
        applicationId: payload.a,
        environmentId: payload.e,
        configurationProfileId: payload.p,
        deploymentNumber: deployment.DeploymentNumber,
        configurationVersion: Number(deployment.ConfigurationVersion),
        changed,
        session: payload.s,
        at: new Date(now),
      };
      for (const listener of this.pollListeners) {
        try {
          listener(poll);
        } catch {
          // An observer's failure never fails the poll.
        }
      }
    }
    return {
      NextPollConfigurationToken: next,
      NextPollIntervalInSeconds: payload.i,
      ContentType: served.contentType,
      Configuration: changed ? Buffer.from(served.content) : Buffer.alloc(0),
      ...(deployment.VersionLabel ? { VersionLabel: deployment.VersionLabel } : {}),
    };
  }

  /** The bytes a client receives for a version: feature flags in their data form, anything else as stored. */
  private served(applicationId: string, profileId: string, versionNumber: number): { content: Buffer; contentType: string } {
    const key = `${applicationId}/${profileId}/${versionNumber}`;
    const cached = this.servedCache.get(key);
    if (cached) return cached;
    const version = this.store.getHostedConfigurationVersion(applicationId, profileId, versionNumber);
    const profile = this.store.findConfigurationProfile(applicationId, profileId);
    if (!version || !profile) throw AwsError.of('appconfigdata', 'ResourceNotFoundException', 'Configuration not found', { ResourceType: 'Configuration' });
    let out = { content: version.Content, contentType: version.ContentType };
    if (profile.Type === FEATURE_FLAGS_TYPE) {
      out = { content: Buffer.from(JSON.stringify(featureFlagsData(JSON.parse(version.Content.toString('utf8'))))), contentType: 'application/json' };
    }
    this.servedCache.set(key, out);
    return out;
  }

  private sign(payload: TokenPayload): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    const mac = createHmac('sha256', this.store.tokenKey).update(body).digest('base64url');
    return `${body}.${mac}`;
  }

  private verify(token: string): TokenPayload | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    const expected = createHmac('sha256', this.store.tokenKey).update(body).digest();
    const given = Buffer.from(mac, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
  }

  private pruneUsed(now: number): void {
    if (this.used.size < 1000) return;
    for (const [nonce, expiresAt] of this.used) if (expiresAt < now) this.used.delete(nonce);
  }
}

function invalidToken(problem: 'Corrupted' | 'Expired' | 'PollIntervalNotSatisfied', message: string): AwsError {
  return AwsError.of('appconfigdata', 'BadRequestException', message, {
    Reason: 'InvalidParameters',
    Details: { InvalidParameters: { ConfigurationToken: { Problem: problem } } },
  });
}
