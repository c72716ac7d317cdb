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
 *   GET    /_local/clock                           {now: ISO time, offsetMs}: the local cloud's clock, offsetMs ahead of real time
 *   POST   /_local/clock                           {advanceSeconds: n} or {advanceMs: n} → moves the clock forward and answers
 *                                                  {now, offsetMs, advancedMs} once the timers that came due have fired
 *                                                  (SQS visibility and retention, ASL retries/Wait/timeouts, DynamoDB TTL
 *                                                  sweep) and the schedule invocations they started have finished
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
    if (route === 'GET /clock') {
      return sendJson(res, 200, clockState(ctx.services));
    }
    if (route === 'POST /clock') {
      const ms = advanceMs(parseJson(body), ctx.services.clock.nowMs());
      try {
        await ctx.services.clock.advance(ms);
      } catch (error) {
        return sendJson(res, 500, { error: `The clock moved, but something it fired failed: ${(error as Error)?.message ?? error}`, ...clockState(ctx.services), advancedMs: ms });
      }
      return sendJson(res, 200, { ...clockState(ctx.services), advancedMs: ms });
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
    clock: clockState(ctx.services),
  };
}

class BadInput extends Error {}

function clockState(services: LocalServices): { now: string; offsetMs: number } {
  return { now: services.clock.now().toISOString(), offsetMs: services.clock.offsetMs };
}

/** Latest time a Date can hold (±8.64e15 ms). */
const MAX_DATE_MS = 8.64e15;

/** `{advanceSeconds}` or `{advanceMs}`: one of them, a number >= 0 that keeps the clock a valid date. */
function advanceMs(input: any, nowMs: number): number {
  const given = ['advanceSeconds', 'advanceMs'].filter((k) => input?.[k] !== undefined);
  if (given.length !== 1) throw new BadInput('Give one of "advanceSeconds" or "advanceMs"');
  const value = input[given[0]];
  const ms = given[0] === 'advanceSeconds' ? value * 1000 : value;
  if (typeof value !== 'number' || !Number.isFinite(ms) || ms < 0) throw new BadInput(`"${given[0]}" must be a number >= 0 (the clock only moves forward)`);
  if (nowMs + ms > MAX_DATE_MS) throw new BadInput(`"${given[0]}" ${value} would move the clock past the latest valid date`);
  return ms;
}

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
