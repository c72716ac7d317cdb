/**
 * Feature flags on AWS through the AppConfig control plane, the way the console's flag editor does it
 * (docs/operations.md): read the deployed `AWS.AppConfig.FeatureFlags` document, change one flag's
 * value, store it as a new hosted configuration version and deploy that with `AppConfig.AllAtOnce`.
 * The flags Lambda sees it at its next poll (≤ 15 s after the deployment).
 *
 * "Deployed" is the newest deployment of the profile to the environment that was not rolled back;
 * when there is none yet, the newest hosted version. The new version starts from the deployed
 * document (not from a newer, undeployed draft), so `flags set` changes exactly one flag of what runs.
 */
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { FLAG_DEFINITIONS, featureFlagsDocument, parseFlagsData } from '../../lambdas/flags/definitions';
import { NotFoundError, OperationFailedError } from './errors';
import type { FlagChange, FlagsState } from './types';

export const ALL_AT_ONCE = 'AppConfig.AllAtOnce';

export interface FlagsLocation {
  application: string;
  environment: string;
  configurationProfile: string;
}

/** The stored form of a feature-flag profile: `{version, flags: {name: {...}}, values: {name: {enabled}}}`. */
export interface FeatureFlagsDocument {
  version: string;
  flags: Record<string, Record<string, unknown>>;
  values: Record<string, Record<string, unknown>>;
  [key: string]: unknown;
}

const NOT_SERVED = new Set(['ROLLED_BACK', 'ROLLING_BACK', 'REVERTED']);

export interface DeployedDocument {
  document: FeatureFlagsDocument;
  versionNumber: number;
  deploymentNumber?: number;
  deploymentState?: string;
}

export async function readDeployedDocument(client: AppConfigClient, at: FlagsLocation): Promise<DeployedDocument> {
  // ListDeployments answers newest first; the first page with a deployment of this profile that is served decides.
  let deployment: { DeploymentNumber?: number; ConfigurationVersion?: string; State?: string } | undefined;
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListDeploymentsCommand({ ApplicationId: at.application, EnvironmentId: at.environment, NextToken: nextToken }));
    deployment = (page.Items ?? [])
      .filter((d) => (d.ConfigurationProfileId === undefined || d.ConfigurationProfileId === at.configurationProfile) && !NOT_SERVED.has(String(d.State)))
      .sort((a, b) => (b.DeploymentNumber ?? 0) - (a.DeploymentNumber ?? 0))[0];
    nextToken = page.NextToken;
  } while (nextToken && !deployment);

  let versionNumber = Number(deployment?.ConfigurationVersion);
  if (!Number.isInteger(versionNumber)) versionNumber = await latestHostedVersion(client, at);
  const version = await client.send(
    new GetHostedConfigurationVersionCommand({ ApplicationId: at.application, ConfigurationProfileId: at.configurationProfile, VersionNumber: versionNumber }),
  );
  return { document: parseDocument(version.Content), versionNumber, deploymentNumber: deployment?.DeploymentNumber, deploymentState: deployment?.State };
}

async function latestHostedVersion(client: AppConfigClient, at: FlagsLocation): Promise<number> {
  let latest = 0;
  let nextToken: string | undefined;
  do {
    const page = await client.send(new ListHostedConfigurationVersionsCommand({ ApplicationId: at.application, ConfigurationProfileId: at.configurationProfile, NextToken: nextToken }));
    for (const v of page.Items ?? []) latest = Math.max(latest, v.VersionNumber ?? 0);
    nextToken = page.NextToken;
  } while (nextToken);
  if (!latest) throw new NotFoundError(`The feature-flag profile ${at.configurationProfile} of application ${at.application} has no hosted configuration version`);
  return latest;
}

/** The bytes of a hosted version → the feature-flags document (missing parts filled in). */
export function parseDocument(content: Uint8Array | undefined): FeatureFlagsDocument {
  let parsed: any;
  try {
    parsed = JSON.parse(Buffer.from(content ?? new Uint8Array()).toString('utf8'));
  } catch {
    throw new OperationFailedError('The deployed feature-flag configuration is not JSON');
  }
  if (!parsed || typeof parsed !== 'object') throw new OperationFailedError('The deployed feature-flag configuration is not a JSON object');
  return { ...parsed, version: parsed.version ?? '1', flags: { ...(parsed.flags ?? {}) }, values: { ...(parsed.values ?? {}) } };
}

/** The document with one flag's value changed; every other flag and attribute stays as it was. */
export function withFlag(document: FeatureFlagsDocument, flag: string, enabled: boolean): FeatureFlagsDocument {
  const defaults = featureFlagsDocument() as FeatureFlagsDocument;
  return {
    ...document,
    flags: { ...document.flags, [flag]: document.flags[flag] ?? defaults.flags[flag] ?? { name: flag } },
    values: { ...document.values, [flag]: { ...(document.values[flag] ?? {}), enabled } },
  };
}

/** The known flags' values in a document (defaults for those it lacks) plus any other flag it defines. */
export function flagValues(document: FeatureFlagsDocument): Record<string, boolean> {
  const values: Record<string, boolean> = { ...parseFlagsData(document.values) };
  for (const [name, value] of Object.entries(document.values)) {
    if (!(name in FLAG_DEFINITIONS) && typeof value?.enabled === 'boolean') values[name] = value.enabled;
  }
  return values;
}

export async function getFlags(client: AppConfigClient, at: FlagsLocation): Promise<FlagsState> {
  const deployed = await readDeployedDocument(client, at);
  const where = `AppConfig ${at.application}/${at.environment}/${at.configurationProfile} version ${deployed.versionNumber}`;
  const how = deployed.deploymentNumber === undefined ? ' (not deployed yet)' : ` (deployment ${deployed.deploymentNumber}, ${deployed.deploymentState})`;
  return { values: flagValues(deployed.document), source: where + how };
}

export async function setFlag(client: AppConfigClient, at: FlagsLocation, flag: string, enabled: boolean): Promise<FlagChange> {
  const deployed = await readDeployedDocument(client, at);
  const previous = flagValues(deployed.document)[flag];
  const document = withFlag(deployed.document, flag, enabled);
  const created = await client.send(
    new CreateHostedConfigurationVersionCommand({
      ApplicationId: at.application,
      ConfigurationProfileId: at.configurationProfile,
      Content: Buffer.from(JSON.stringify(document)),
      ContentType: 'application/json',
      Description: `crud-ops flags set ${flag}=${enabled}`,
    }),
  );
  try {
    const deployment = await client.send(
      new StartDeploymentCommand({
        ApplicationId: at.application,
        EnvironmentId: at.environment,
        ConfigurationProfileId: at.configurationProfile,
        ConfigurationVersion: String(created.VersionNumber),
        DeploymentStrategyId: ALL_AT_ONCE,
        Description: `crud-ops flags set ${flag}=${enabled}`,
      }),
    );
    return { flag, enabled, previous, versionNumber: created.VersionNumber, deploymentNumber: deployment.DeploymentNumber, state: deployment.State };
  } catch (error) {
    if ((error as Error).name === 'ConflictException') {
      throw new OperationFailedError(`AppConfig refused the deployment: ${(error as Error).message}`, [
        `Version ${created.VersionNumber} was created but not deployed: another deployment is probably still running on environment ${at.environment}.`,
        'Wait for it to complete (or stop it in the AppConfig console), then run the command again.',
      ]);
    }
    throw error;
  }
}

