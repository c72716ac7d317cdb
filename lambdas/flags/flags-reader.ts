import {
  AppConfigDataClient,
  GetLatestConfigurationCommand,
  StartConfigurationSessionCommand,
} from '@aws-sdk/client-appconfigdata';
import { LoadedFlags, loadFlags } from './definitions';

export interface FlagsSource {
  applicationId: string;
  environmentId: string;
  profileId: string;
}

export type FlagsOrigin = 'appconfig' | 'cache' | 'stale-cache';

/**
 * Nothing is known yet (a cold instance and AppConfig failing). Thrown, not defaulted: a write must never
 * run on guessed flags (readOnly could be on). The state machine queues the write (FlagsUnavailable).
 */
export class FlagsUnavailableError extends Error {
  override readonly name = 'FlagsUnavailable';
}

export interface FlagsReading {
  flags: LoadedFlags;
  /** Where the values came from, for logs and tests. */
  origin: FlagsOrigin;
}

/**
 * Reads feature flags from AppConfigData and keeps, across warm invocations, the session token,
 * the last configuration and the earliest time the next poll is allowed. If AppConfig fails it serves
 * the last known flags; with none known it throws FlagsUnavailableError rather than guess.
 */
export class FlagsReader {
  private token?: string;
  private flags?: LoadedFlags;
  private nextPollAt = 0;

  constructor(
    private readonly client: AppConfigDataClient,
    private readonly source: FlagsSource,
    private readonly now: () => number = Date.now,
    /** AppConfigData's minimum is 15 s. */
    private readonly pollIntervalSeconds = 15,
  ) {}

  async read(): Promise<FlagsReading> {
    if (this.flags && this.now() < this.nextPollAt) return { flags: this.flags, origin: 'cache' };
    try {
      const flags = await this.poll();
      return { flags, origin: 'appconfig' };
    } catch (error) {
      // The token may be spent or expired: start a new session next time.
      this.token = undefined;
      this.nextPollAt = this.now() + this.pollIntervalSeconds * 1000;
      console.warn(JSON.stringify({ message: 'AppConfig unavailable', error: String(error), serving: this.flags ? 'last known flags' : 'nothing' }));
      if (!this.flags) throw new FlagsUnavailableError(`No feature flags known and AppConfig failed: ${String(error)}`);
      return { flags: this.flags, origin: 'stale-cache' };
    }
  }

  private async poll(): Promise<LoadedFlags> {
    if (!this.token) {
      const session = await this.client.send(
        new StartConfigurationSessionCommand({
          ApplicationIdentifier: this.source.applicationId,
          EnvironmentIdentifier: this.source.environmentId,
          ConfigurationProfileIdentifier: this.source.profileId,
          RequiredMinimumPollIntervalInSeconds: this.pollIntervalSeconds,
        }),
      );
      this.token = session.InitialConfigurationToken;
    }
    const latest = await this.client.send(new GetLatestConfigurationCommand({ ConfigurationToken: this.token }));
    this.token = latest.NextPollConfigurationToken;
    this.nextPollAt = this.now() + (latest.NextPollIntervalInSeconds ?? this.pollIntervalSeconds) * 1000;
    // An empty body means "unchanged since your last poll".
    const body = latest.Configuration && latest.Configuration.length > 0 ? Buffer.from(latest.Configuration).toString('utf8') : '';
    if (body !== '') this.flags = loadFlags(JSON.parse(body));
    return this.flags ?? loadFlags({});
  }
}
