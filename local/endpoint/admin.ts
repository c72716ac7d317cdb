/**
 * `/_local/...` JSON admin routes (tests, scripts, the console):
 *
 *   GET    /_local/health                          services and their state
 *   GET    /_local/faults                          {rules}
 *   POST   /_local/faults                          add a rule, an array of rules or {rules: [...]} → 201 {rules: added}
 *   PUT    /_local/faults                          replace all rules → {rules}
 *   DELETE /_local/faults                          clear → {rules: []}
 *   DELETE /_local/faults/<id>                     remove one rule
 *   GET    /_local/events[?bus=<name>]             recorded EventBridge events
 *   GET    /_local/sqs/queues                      queues with message counts
 *   GET    /_local/sqs/queues/<name>/messages      messages of a queue, without receiving them
 *   GET    /_local/appconfig/flags[?application=…]  the deployed feature flags
 *   POST   /_local/appconfig/flags                 {flag, enabled?, attributes?, application?, environment?, configurationProfile?}
 *                                                  (the targets default to the only application/environment/profile)
 *                                                  → publish + deploy → {versionNumber, deploymentNumber, deployedAt}
 *
 * Errors: `{"error": "..."}` with 400 (bad input) or 404 (unknown route or resource).
 */
import type { ServerResponse } from 'node:http';
import { AwsError } from '../services/errors';
import { FaultRule, FaultRuleError } from '../services/faults';
import type { LocalServices } from '../services';
import { sendJson } from './http';

export interface AdminContext {
  services: LocalServices;
  stepFunctionsConfigured: boolean;
  host: string;
}

export async function handleAdmin(method: string, url: URL, body: Buffer, res: ServerResponse, ctx: AdminContext): Promise<void> {
  const parts = url.pathname.split('/').filter(Boolean).slice(1); // drop '_local'
  const route = `${method} /${parts.join('/')}`;
  try {
    if (route === 'GET /health') {
      sendJson(res, 200, health(ctx));
      return;
    }
    if (parts[0] === 'faults') {
      const faults = ctx.services.faults;
      if (parts.length === 1 && method === 'GET') return sendJson(res, 200, { rules: faults.list() });
      if (parts.length === 1 && method === 'POST') {
        const input = parseJson(body);
        const rules: FaultRule[] = Array.isArray(input) ? input : Array.isArray(input?.rules) ? input.rules : [input];
        return sendJson(res, 201, { rules: faults.addAll(rules) });
      }
      if (parts.length === 1 && method === 'PUT') {
        const input = parseJson(body);
        const rules: FaultRule[] = Array.isArray(input) ? input : Array.isArray(input?.rules) ? input.rules : [input];
        return sendJson(res, 200, { rules: faults.set(rules) });
      }
      if (parts.length === 1 && method === 'DELETE') {
        faults.clear();
        return sendJson(res, 200, { rules: [] });
      }
      if (parts.length === 2 && method === 'DELETE') {
        const removed = faults.remove(decodeURIComponent(parts[1]));
        return sendJson(res, removed ? 200 : 404, removed ? { removed: parts[1] } : { error: `No fault rule ${parts[1]}` });
      }
    }
    if (route === 'GET /events') {
      const bus = url.searchParams.get('bus') ?? undefined;
      return sendJson(res, 200, { events: ctx.services.events.listEvents(bus) });
    }
    if (route === 'GET /sqs/queues') {
      return sendJson(res, 200, { queues: ctx.services.sqs.listQueues({ host: ctx.host }) });
    }
    if (method === 'GET' && parts[0] === 'sqs' && parts[1] === 'queues' && parts[3] === 'messages' && parts.length === 4) {
      const limit = Number(url.searchParams.get('limit') ?? 100);
      return sendJson(res, 200, { messages: ctx.services.sqs.peekMessages(decodeURIComponent(parts[2]), limit) });
    }
    if (route === 'GET /appconfig/flags') {
      const target = flagsTarget(ctx.services, Object.fromEntries(url.searchParams));
      return sendJson(res, 200, { ...target, values: ctx.services.appConfig.getFeatureFlags(target)?.values ?? {} });
    }
    if (route === 'POST /appconfig/flags') {
      const input = parseJson(body);
      if (typeof input?.flag !== 'string') throw new BadInput('"flag" is required');
      const target = flagsTarget(ctx.services, input);
      const result = ctx.services.appConfig.setFeatureFlag({ ...input, ...target });
      return sendJson(res, 200, { ...target, versionNumber: result.versionNumber, deploymentNumber: result.deployment.DeploymentNumber, deployedAt: result.deployedAt.toISOString() });
    }
    sendJson(res, 404, { error: `No admin route ${route}` });
  } catch (err) {
    if (err instanceof BadInput || err instanceof FaultRuleError) return sendJson(res, 400, { error: err.message });
    if (err instanceof AwsError) return sendJson(res, err.httpStatus === 404 || err.code === 'ResourceNotFoundException' || err.code === 'QueueDoesNotExist' ? 404 : 400, { error: err.message, code: err.code });
    if (err instanceof Error && /Unknown feature flag/.test(err.message)) return sendJson(res, 400, { error: err.message });
    throw err;
  }
}

export function health(ctx: Pick<AdminContext, 'services' | 'stepFunctionsConfigured'>): Record<string, unknown> {
  return {
    status: 'running',
    services: {
      dynamodb: 'running',
      sqs: 'running',
      appconfigdata: 'running',
      events: 'running',
      stepfunctions: ctx.stepFunctionsConfigured ? 'running' : 'not configured',
    },
    persistence: ctx.services.dataDir ? { dataDir: ctx.services.dataDir } : 'in memory',
    faults: ctx.services.faults.list().length,
  };
}

class BadInput extends Error {}

/** The flags' application/environment/profile: as given, or the only one there is (the app has one of each). */
function flagsTarget(services: LocalServices, input: Record<string, unknown>): { application: string; environment: string; configurationProfile: string } {
  const only = <T extends { Id: string }>(items: T[], what: string, given: unknown): string => {
    if (typeof given === 'string' && given !== '') return given;
    if (items.length === 1) return items[0].Id;
    throw new BadInput(`"${what}" is required (${items.length} to choose from: ${items.map((i) => i.Id).join(', ') || 'none'})`);
  };
  const store = services.appConfig;
  const application = only(store.listApplications(), 'application', input.application);
  const app = store.findApplication(application);
  if (!app) throw new BadInput(`Application ${application} not found`);
  const environment = only(store.listEnvironments(app.Id), 'environment', input.environment);
  const configurationProfile = only(store.listConfigurationProfiles(app.Id), 'configurationProfile', input.configurationProfile);
  return { application, environment, configurationProfile };
}

function parseJson(body: Buffer): any {
  if (body.length === 0) throw new BadInput('A JSON body is required');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new BadInput('The body is not valid JSON');
  }
}
