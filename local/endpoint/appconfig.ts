/**
 * The AppConfig control plane (REST-JSON, as `@aws-sdk/client-appconfig` and `aws appconfig ...` call it) over
 * the local AppConfigStore: applications, environments, configuration profiles, hosted configuration versions,
 * deployment strategies (the predefined `AppConfig.*` ones included) and deployments.
 *
 * Shapes follow the AppConfig API reference and botocore's appconfig/2019-10-09 model and examples:
 * timestamps are ISO 8601 strings (the model's `Iso8601DateTime`), an environment's State is
 * READY_FOR_DEPLOYMENT, a hosted version's metadata travels in headers around the raw content, lists are
 * `{Items, NextToken}` pages of at most 50 (`max_results`, `next_token`), deployments newest first.
 *
 * Not like AWS: a deployment completes at once, whatever its strategy (State COMPLETE, 100%, its EventLog
 * started → 100% → completed at the same instant); the strategy's figures are reported, not simulated.
 * Ids are matched exactly (AWS's control plane takes ids, not names). Other AppConfig operations answer
 * UnknownOperationException naming themselves (./rest-routes.ts).
 */
import { AwsError } from '../services/errors';
import type { AppConfigStore, Application, ConfigurationProfile, Deployment, DeploymentStrategy, Environment, HostedConfigurationVersion } from '../services/appconfigdata';
import type { RestRequest, RestResponse } from './rest-routes';

type Handler = (store: AppConfigStore, req: RestRequest) => RestResponse;

const MAX_PAGE = 50;

/** The implemented operations, by name. */
const HANDLERS: Record<string, Handler> = {
  ListApplications: (store, req) => json(200, page(store.listApplications().map(application), req)),
  GetApplication: (store, req) => json(200, application(requireApplication(store, req.params.ApplicationId))),
  CreateApplication: (store, req) => {
    const input = jsonBody(req);
    return json(201, application(store.createApplication({ Name: input.Name, Description: input.Description })));
  },

  ListEnvironments: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    return json(200, page(store.listEnvironments(app.Id).map(environment), req));
  },
  GetEnvironment: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    return json(200, environment(requireEnvironment(store, app, req.params.EnvironmentId)));
  },
  CreateEnvironment: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const input = jsonBody(req);
    return json(201, environment(store.createEnvironment({ ApplicationId: app.Id, Name: input.Name, Description: input.Description })));
  },

  ListConfigurationProfiles: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const type = req.query.get('type');
    const profiles = store.listConfigurationProfiles(app.Id).filter((p) => !type || p.Type === type);
    return json(200, page(profiles.map(profileSummary), req));
  },
  GetConfigurationProfile: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    return json(200, profile(requireProfile(store, app, req.params.ConfigurationProfileId)));
  },
  CreateConfigurationProfile: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const input = jsonBody(req);
    const created = store.createConfigurationProfile({ ApplicationId: app.Id, Name: input.Name, LocationUri: input.LocationUri, Type: input.Type, Description: input.Description });
    return json(201, profile(created));
  },

  ListHostedConfigurationVersions: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const prof = requireProfile(store, app, req.params.ConfigurationProfileId);
    const label = req.query.get('version_label');
    const matches = (v: HostedConfigurationVersion) =>
      !label || (label.endsWith('*') ? (v.VersionLabel ?? '').startsWith(label.slice(0, -1)) : v.VersionLabel === label);
    const versions = store.listHostedConfigurationVersions(app.Id, prof.Id).filter(matches).reverse();
    return json(200, page(versions.map(versionSummary), req));
  },
  GetHostedConfigurationVersion: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const prof = requireProfile(store, app, req.params.ConfigurationProfileId);
    const number = versionNumber(req.params.VersionNumber);
    const version = store.getHostedConfigurationVersion(app.Id, prof.Id, number);
    if (!version) throw notFound(`Hosted configuration version ${number} of configuration profile ${prof.Id} not found`, String(number));
    return versionResponse(200, version);
  },
  CreateHostedConfigurationVersion: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const prof = requireProfile(store, app, req.params.ConfigurationProfileId);
    const latest = header(req, 'latest-version-number');
    if (latest !== undefined && !/^\d+$/.test(latest)) throw badRequest(`Latest-Version-Number must be a whole number, got "${latest}"`);
    const version = store.createHostedConfigurationVersion({
      ApplicationId: app.Id,
      ConfigurationProfileId: prof.Id,
      Content: req.body,
      ContentType: header(req, 'content-type') ?? '',
      Description: header(req, 'description'),
      VersionLabel: header(req, 'versionlabel'),
      LatestVersionNumber: latest === undefined ? undefined : Number(latest),
    });
    return versionResponse(201, version);
  },

  ListDeploymentStrategies: (store, req) => json(200, page(store.listDeploymentStrategies().map(strategy), req)),
  GetDeploymentStrategy: (store, req) => json(200, strategy(requireStrategy(store, req.params.DeploymentStrategyId))),
  CreateDeploymentStrategy: (store, req) => {
    const input = jsonBody(req);
    if (typeof input.DeploymentDurationInMinutes !== 'number') throw badRequest('DeploymentDurationInMinutes is required');
    if (typeof input.GrowthFactor !== 'number') throw badRequest('GrowthFactor is required');
    const created = store.createDeploymentStrategy({
      Name: input.Name,
      Description: input.Description,
      DeploymentDurationInMinutes: input.DeploymentDurationInMinutes,
      GrowthFactor: input.GrowthFactor,
      FinalBakeTimeInMinutes: input.FinalBakeTimeInMinutes ?? 0,
      GrowthType: input.GrowthType ?? 'LINEAR',
      ReplicateTo: input.ReplicateTo ?? 'NONE',
    });
    return json(201, strategy(created));
  },

  ListDeployments: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const env = requireEnvironment(store, app, req.params.EnvironmentId);
    const deployments = store.listDeployments(app.Id, env.Id).reverse();
    return json(200, page(deployments.map((d) => deploymentSummary(store, d)), req));
  },
  GetDeployment: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const env = requireEnvironment(store, app, req.params.EnvironmentId);
    const number = Number(req.params.DeploymentNumber);
    const found = Number.isInteger(number) ? store.getDeployment(app.Id, env.Id, number) : undefined;
    if (!found) throw notFound(`Deployment ${req.params.DeploymentNumber} of environment ${env.Id} not found`, req.params.DeploymentNumber);
    return json(200, deployment(store, found));
  },
  StartDeployment: (store, req) => {
    const app = requireApplication(store, req.params.ApplicationId);
    const env = requireEnvironment(store, app, req.params.EnvironmentId);
    const input = jsonBody(req);
    const missing = ['DeploymentStrategyId', 'ConfigurationProfileId', 'ConfigurationVersion'].filter((k) => typeof input[k] !== 'string' || input[k] === '');
    if (missing.length) throw badRequest(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} required`);
    const prof = requireProfile(store, app, input.ConfigurationProfileId);
    requireStrategy(store, input.DeploymentStrategyId);
    const started = store.startDeployment({
      ApplicationId: app.Id,
      EnvironmentId: env.Id,
      ConfigurationProfileId: prof.Id,
      ConfigurationVersion: input.ConfigurationVersion,
      DeploymentStrategyId: input.DeploymentStrategyId,
      Description: input.Description,
    });
    return json(201, deployment(store, started));
  },
};

/** The operations this module answers (the rest answer UnknownOperationException). */
export const APPCONFIG_IMPLEMENTED: readonly string[] = Object.keys(HANDLERS);

/** Runs one AppConfig control-plane operation; throws an AwsError (rendered as REST-JSON by the endpoint). */
export function handleAppConfig(store: AppConfigStore, req: RestRequest): RestResponse {
  const handler = HANDLERS[req.operation];
  if (!handler) throw new AwsError('UnknownOperationException', `${req.operation} is not supported by the local AppConfig`, { service: 'appconfigdata', httpStatus: 404 });
  return handler(store, req);
}

// ---- shapes ----

function application(a: Application) {
  return { Id: a.Id, Name: a.Name, Description: a.Description };
}

function environment(e: Environment) {
  return { ApplicationId: e.ApplicationId, Id: e.Id, Name: e.Name, Description: e.Description, State: 'READY_FOR_DEPLOYMENT', Monitors: [] };
}

function profile(p: ConfigurationProfile) {
  return { ApplicationId: p.ApplicationId, Id: p.Id, Name: p.Name, Description: p.Description, LocationUri: p.LocationUri, Type: p.Type, Validators: [] };
}

function profileSummary(p: ConfigurationProfile) {
  return { ApplicationId: p.ApplicationId, Id: p.Id, Name: p.Name, LocationUri: p.LocationUri, ValidatorTypes: [], Type: p.Type };
}

function versionSummary(v: HostedConfigurationVersion) {
  return { ApplicationId: v.ApplicationId, ConfigurationProfileId: v.ConfigurationProfileId, VersionNumber: v.VersionNumber, Description: v.Description, ContentType: v.ContentType, VersionLabel: v.VersionLabel };
}

/** GetHostedConfigurationVersion / CreateHostedConfigurationVersion: metadata in headers, the content as the body. */
function versionResponse(status: number, v: HostedConfigurationVersion): RestResponse {
  const headers: Record<string, string> = {
    'Application-Id': v.ApplicationId,
    'Configuration-Profile-Id': v.ConfigurationProfileId,
    'Version-Number': String(v.VersionNumber),
    'Content-Type': v.ContentType,
  };
  if (v.Description) headers.Description = headerSafe(v.Description);
  if (v.VersionLabel) headers.VersionLabel = headerSafe(v.VersionLabel);
  return { status, headers, body: v.Content };
}

function strategy(s: DeploymentStrategy) {
  return {
    Id: s.Id,
    Name: s.Name,
    Description: s.Description,
    DeploymentDurationInMinutes: s.DeploymentDurationInMinutes ?? 0,
    GrowthType: s.GrowthType ?? 'LINEAR',
    GrowthFactor: s.GrowthFactor ?? 100,
    FinalBakeTimeInMinutes: s.FinalBakeTimeInMinutes ?? 0,
    ReplicateTo: s.ReplicateTo ?? 'NONE',
  };
}

function deploymentSummary(store: AppConfigStore, d: Deployment) {
  const s = strategy(store.getDeploymentStrategy(d.DeploymentStrategyId) ?? { Id: d.DeploymentStrategyId, Name: d.DeploymentStrategyId });
  return {
    DeploymentNumber: d.DeploymentNumber,
    ConfigurationName: store.findConfigurationProfile(d.ApplicationId, d.ConfigurationProfileId)?.Name,
    ConfigurationVersion: d.ConfigurationVersion,
    DeploymentDurationInMinutes: s.DeploymentDurationInMinutes,
    GrowthType: s.GrowthType,
    GrowthFactor: s.GrowthFactor,
    FinalBakeTimeInMinutes: s.FinalBakeTimeInMinutes,
    State: d.State,
    PercentageComplete: 100,
    StartedAt: d.StartedAt.toISOString(),
    CompletedAt: d.CompletedAt.toISOString(),
    VersionLabel: d.VersionLabel,
  };
}

function deployment(store: AppConfigStore, d: Deployment) {
  const { DeploymentNumber, ConfigurationName, ConfigurationVersion, VersionLabel, ...summary } = deploymentSummary(store, d);
  const prof = store.findConfigurationProfile(d.ApplicationId, d.ConfigurationProfileId);
  const started = d.StartedAt.toISOString();
  const completed = d.CompletedAt.toISOString();
  return {
    ApplicationId: d.ApplicationId,
    EnvironmentId: d.EnvironmentId,
    DeploymentStrategyId: d.DeploymentStrategyId,
    ConfigurationProfileId: d.ConfigurationProfileId,
    DeploymentNumber,
    ConfigurationName,
    ConfigurationLocationUri: prof?.LocationUri,
    ConfigurationVersion,
    Description: d.Description,
    ...summary,
    // Newest first, as GetDeployment's EventLog is.
    EventLog: [
      { EventType: 'DEPLOYMENT_COMPLETED', TriggeredBy: 'APPCONFIG', Description: 'Deployment completed', OccurredAt: completed },
      { EventType: 'PERCENTAGE_UPDATED', TriggeredBy: 'APPCONFIG', Description: 'Configuration available to 100.00% of clients', OccurredAt: completed },
      { EventType: 'DEPLOYMENT_STARTED', TriggeredBy: 'USER', Description: 'Deployment started', OccurredAt: started },
    ],
    AppliedExtensions: [],
    VersionLabel,
  };
}

// ---- lookups (exact ids, as AWS's control plane) ----

function requireApplication(store: AppConfigStore, id: string): Application {
  const app = store.listApplications().find((a) => a.Id === id);
  if (!app) throw notFound(`Application ${id} not found`, id);
  return app;
}

function requireEnvironment(store: AppConfigStore, app: Application, id: string): Environment {
  const env = store.listEnvironments(app.Id).find((e) => e.Id === id);
  if (!env) throw notFound(`Environment ${id} of application ${app.Id} not found`, id);
  return env;
}

function requireProfile(store: AppConfigStore, app: Application, id: string): ConfigurationProfile {
  const prof = store.listConfigurationProfiles(app.Id).find((p) => p.Id === id);
  if (!prof) throw notFound(`Configuration profile ${id} of application ${app.Id} not found`, id);
  return prof;
}

function requireStrategy(store: AppConfigStore, id: string): DeploymentStrategy {
  const found = store.getDeploymentStrategy(id);
  if (!found) throw notFound(`Deployment strategy ${id} not found`, id);
  return found;
}

// ---- helpers ----

function json(status: number, value: unknown): RestResponse {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

/** One page of `items`: `max_results` 1..50 (default 50), `next_token` from the previous page. */
function page<T>(items: T[], req: RestRequest): { Items: T[]; NextToken?: string } {
  const maxText = req.query.get('max_results');
  const size = maxText === null ? MAX_PAGE : Number(maxText);
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE) throw badRequest(`max_results must be between 1 and ${MAX_PAGE}, got ${maxText}`);
  const token = req.query.get('next_token');
  let start = 0;
  if (token !== null) {
    const decoded = /^\d+$/.test(Buffer.from(token, 'base64url').toString('utf8')) ? Number(Buffer.from(token, 'base64url').toString('utf8')) : NaN;
    if (!Number.isInteger(decoded) || decoded < 0 || decoded > items.length) throw badRequest('The next_token is not valid');
    start = decoded;
  }
  const end = start + size;
  return { Items: items.slice(start, end), ...(end < items.length ? { NextToken: Buffer.from(String(end)).toString('base64url') } : {}) };
}

function jsonBody(req: RestRequest): any {
  if (req.body.length === 0) return {};
  try {
    const parsed = JSON.parse(req.body.toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // fall through
  }
  throw badRequest('The request body is not a JSON object');
}

function header(req: RestRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function versionNumber(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n)) throw badRequest(`VersionNumber must be a whole number, got "${text}"`);
  return n;
}

/** Header values must be Latin-1 without line breaks. */
function headerSafe(text: string): string {
  return text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}

function badRequest(message: string): AwsError {
  return AwsError.of('appconfigdata', 'BadRequestException', message);
}

function notFound(message: string, resourceName: string): AwsError {
  return AwsError.of('appconfigdata', 'ResourceNotFoundException', message, { ResourceName: resourceName });
}
