/**
 * The local console, served by the AWS-compatible endpoint under /console/ (see ./README.md):
 *
 *   GET  /console/                          the page (./static)
 *   GET  /console/api/outputs               stack outputs, resources, functions, flag ids, URLs
 *   GET  /console/api/state-machines        each machine with its graph laid out
 *   GET  /console/api/executions            ?status=&resource=&requestId=&limit=&include=method → {executions, total, truncated}
 *   GET  /console/api/executions/<arn>      one execution: history + per-state outcomes + graph
 *   GET  /console/api/dlq                   {queues: [{resource, count, messages}]}
 *   POST /console/api/dlq/<resource>/redrive {messageIds?} → {resource, outcomes}
 *   GET  /console/api/requests              ?resource=&status=&limit= → {requests, total, truncated, capped}
 *   GET  /console/api/requests/<requestId>  one request record + its executions and DLQ message
 *   GET  /console/api/circuits              {circuits: [circuit + transitions], tableName}
 *   POST /console/api/circuits/<resource>/open  {for?, by?, circuit?} → the change (OPEN for `for` seconds, default 300)
 *   POST /console/api/circuits/<resource>/close {by?, circuit?} → the change + the redrive started (Lambda Invoke, Event)
 *                                           (circuit: "writes", the default, or "events")
 *   GET  /console/api/flags                 {environments: [...]}
 *   PUT  /console/api/flags                 {flag, enabled?, attributes?, environment?…} → deployment + view
 *   GET  /console/api/stream                Server-Sent Events: execution, dlq, flags, redrive, circuit
 *
 * Created before the endpoint starts (the endpoint and the Step Functions service take its hooks) and
 * given the running cloud by `attach`; until then the API answers 503.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalResource } from '../cloud-types';
import type { LocalServices } from '../services';
import type { ExecutionRecord, StepFunctionsService } from '../stepfunctions/service';
import { BadCircuitInput, CIRCUIT_NAMES, CircuitBusy } from './circuit-records';
import { CircuitsView, NoCircuitTable, UnknownCircuit, invokeAsync } from './circuits';
import { DeadLetterQueues } from './dlq';
import { BadQuery, ExecutionsView } from './executions';
import { BadFlagInput, FlagsTracker } from './flags';
import { BadRequestQuery } from './request-records';
import { NoRequestsTable, RequestsView } from './requests';
import { serveStatic } from './static';
import { EventStream } from './stream';

export interface ConsoleContext {
  services: LocalServices;
  stepFunctions: StepFunctionsService;
  resources: LocalResource[];
  apiUrl: string;
  endpointUrl: string;
  consoleUrl: string;
  outputs: Record<string, string>;
  functions: Record<string, string>;
  flags: { application: string; environment: string; configurationProfile: string };
  /** Makes the flags Lambda poll AppConfigData (invokes it); see FlagsTracker. */
  pollFlags?: () => Promise<unknown>;
}

const DLQ_POLL_MS = 1000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class LocalConsole {
  private ctx?: ConsoleContext;
  private executions?: ExecutionsView;
  private dlq?: DeadLetterQueues;
  private flags?: FlagsTracker;
  private requests?: RequestsView;
  private circuits?: CircuitsView;
  private readonly stream = new EventStream((clients) => this.watchQueues(clients > 0));
  private dlqTimer?: NodeJS.Timeout;
  private lastCounts: Record<string, { count: number; ids: string }> = {};

  /** Starts serving the running cloud. */
  attach(ctx: ConsoleContext): void {
    this.ctx = ctx;
    this.executions = new ExecutionsView(ctx.stepFunctions, ctx.resources);
    this.dlq = new DeadLetterQueues({ sqs: ctx.services.sqs, resources: ctx.resources, endpointUrl: ctx.endpointUrl });
    this.flags = new FlagsTracker({
      store: ctx.services.appConfig,
      data: ctx.services.appConfigData,
      poll: ctx.pollFlags,
      onEvent: (event) => this.stream.send('flags', event),
    });
    this.requests = new RequestsView({
      dynamodb: ctx.services.dynamodb,
      tableName: ctx.outputs.RequestsTableName,
      resources: ctx.resources,
      executions: this.executions,
      dlq: this.dlq,
    });
    const redriveFunction = this.redriveFunctionName();
    this.circuits = new CircuitsView({
      dynamodb: ctx.services.dynamodb,
      tableName: ctx.outputs.CircuitTableName,
      resources: ctx.resources,
      executions: ctx.stepFunctions,
      now: () => ctx.services.clock.nowMs(),
      redrive: async (resource) => {
        if (!redriveFunction) return { started: false, error: 'This template has no redrive function' };
        await invokeAsync(ctx.endpointUrl, redriveFunction, { resource });
        return { started: true, functionName: redriveFunction, invocationType: 'Event' };
      },
    });
    if (this.stream.size > 0) this.watchQueues(true);
  }

  /** StepFunctionsService's onExecution: an execution started or ended. Cheap when no page listens. */
  onExecution(execution: ExecutionRecord): void {
    if (this.stream.size === 0 || !this.executions) return;
    this.stream.send('execution', this.executions.summary(execution));
  }

  close(): void {
    this.watchQueues(false);
    this.stream.close();
    this.flags?.close();
    this.dlq?.close();
  }

  /** The endpoint's hook for paths under /console. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<void> {
    const method = req.method ?? 'GET';
    try {
      if (url.pathname === '/console') return redirect(res, '/console/');
      const rest = url.pathname.slice('/console/'.length);
      if (!rest.startsWith('api/') && rest !== 'api') {
        if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here`);
        if (await serveStatic(res, decodeURIComponent(rest), method)) return;
        throw new HttpError(404, `No console file ${url.pathname}`);
      }
      await this.api(req, res, method, rest.slice('api/'.length).split('/').filter(Boolean).map(decodeURIComponent), url, body);
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) return json(res, error.status, { error: error.message });
      if (error instanceof NoRequestsTable || error instanceof NoCircuitTable || error instanceof UnknownCircuit) return json(res, 404, { error: error.message });
      if (error instanceof CircuitBusy) return json(res, 409, { error: error.message });
      if (error instanceof BadQuery || error instanceof BadFlagInput || error instanceof BadRequestQuery || error instanceof BadCircuitInput || error instanceof URIError) return json(res, 400, { error: error.message });
      const e = error as { name?: string; message?: string; httpStatus?: number };
      if (e?.name === 'ResourceNotFoundException') return json(res, 404, { error: e.message });
      json(res, 500, { error: `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}` });
    }
  }

  private async api(req: IncomingMessage, res: ServerResponse, method: string, parts: string[], url: URL, body: Buffer): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.executions || !this.dlq || !this.flags || !this.requests || !this.circuits) throw new HttpError(503, 'The local cloud is still starting');
    const route = `${method} ${parts[0] ?? ''}`;
    const q = url.searchParams;

    if (route === 'GET outputs' && parts.length === 1) {
      const redrive = this.redriveFunctionName();
      return json(res, 200, {
        apiUrl: ctx.apiUrl,
        endpointUrl: ctx.endpointUrl,
        consoleUrl: ctx.consoleUrl,
        outputs: ctx.outputs,
        resources: ctx.resources,
        functions: ctx.functions,
        flags: ctx.flags,
        ...(redrive ? { redriveFunctionName: redrive } : {}),
      });
    }
    if (route === 'GET state-machines' && parts.length === 1) {
      const stateMachines = ctx.stepFunctions.stateMachines().map((m) => ({
        name: m.name,
        stateMachineArn: m.stateMachineArn,
        type: m.type,
        resource: ctx.resources.find((r) => r.stateMachineArn === m.stateMachineArn)?.name,
        comment: parseComment(m.definition),
        graph: this.executions!.layout(m.definition),
      }));
      return json(res, 200, { stateMachines });
    }
    if (route === 'GET executions' && parts.length === 1) {
      const limit = q.get('limit');
      return json(
        res,
        200,
        this.executions.list({
          status: q.get('status') ?? undefined,
          resource: q.get('resource') ?? undefined,
          requestId: q.get('requestId') ?? undefined,
          limit: limit === null || limit === '' ? undefined : Number(limit),
          include: q.get('include')?.split(',').filter(Boolean),
        }),
      );
    }
    if (route === 'GET executions' && parts.length === 2) {
      const detail = this.executions.detail(parts[1]);
      if (!detail) throw new HttpError(404, `No execution ${parts[1]}`);
      return json(res, 200, detail);
    }
    if (route === 'GET dlq' && parts.length === 1) {
      return json(res, 200, { queues: this.dlq.sections(Number(q.get('limit') ?? 100) || 100) });
    }
    if (route === 'POST dlq' && parts.length === 3 && parts[2] === 'redrive') {
      const resource = this.dlq.resource(parts[1]);
      if (!resource) throw new HttpError(404, `No resource "${parts[1]}"; known: ${ctx.resources.map((r) => r.name).join(', ')}`);
      const input = body.length ? parseJson(body) : {};
      const messageIds = input?.messageIds;
      if (messageIds !== undefined && (!Array.isArray(messageIds) || !messageIds.every((m: unknown) => typeof m === 'string'))) {
        throw new HttpError(400, '"messageIds" must be an array of strings');
      }
      const outcomes = await this.dlq.redrive(resource, {
        messageIds,
        onOutcome: (outcome) => this.stream.send('redrive', { resource: resource.name, ...outcome }),
      });
      this.pollQueues();
      return json(res, 200, { resource: resource.name, outcomes });
    }
    if (route === 'GET requests' && parts.length === 1) {
      const limit = q.get('limit');
      return json(
        res,
        200,
        await this.requests.list({
          resource: q.get('resource') ?? undefined,
          status: q.get('status') ?? undefined,
          limit: limit === null || limit === '' ? undefined : Number(limit),
        }),
      );
    }
    if (route === 'GET requests' && parts.length === 2) {
      const detail = await this.requests.detail(parts[1]);
      // status "unknown", as GET /v1/requests/{id} says it: a 202 whose table write failed has no record until its first replay.
      if (!detail) return json(res, 404, { error: `No request record ${parts[1]} (yet)`, requestId: parts[1], status: 'unknown' });
      return json(res, 200, detail);
    }
    if (route === 'GET circuits' && parts.length === 1) return json(res, 200, await this.circuits.list());
    if (route === 'POST circuits' && parts.length === 3 && (parts[2] === 'open' || parts[2] === 'close')) {
      const input = body.length ? parseJson(body) : {};
      if (!input || typeof input !== 'object' || Array.isArray(input)) throw new HttpError(400, 'The body must be a JSON object');
      const by = input.by === undefined ? 'console' : input.by;
      if (typeof by !== 'string' || !/^[\w .@-]{1,40}$/.test(by)) throw new HttpError(400, '"by" must be a short name (letters, digits, " .@-_", at most 40)');
      const circuit = input.circuit ?? 'writes';
      if (!CIRCUIT_NAMES.includes(circuit)) throw new HttpError(400, `"circuit" must be one of ${CIRCUIT_NAMES.join(', ')}`);
      let change;
      if (parts[2] === 'open') {
        if (input.for !== undefined && typeof input.for !== 'number') throw new HttpError(400, '"for" must be a number of seconds');
        change = await this.circuits.open(parts[1], { forSeconds: input.for, by, circuit });
      } else {
        change = await this.circuits.close(parts[1], { by, circuit });
      }
      this.stream.send('circuit', { resource: change.resource, ...(circuit === 'events' ? { circuit } : {}), state: change.after.state, by, ...(change.transition ? { transition: change.transition } : {}) });
      return json(res, 200, change);
    }
    if (route === 'GET flags' && parts.length === 1) return json(res, 200, { environments: this.flags.environments() });
    if ((route === 'PUT flags' || route === 'POST flags') && parts.length === 1) return json(res, 200, this.flags.set(parseJson(body)));
    if (route === 'GET stream' && parts.length === 1) {
      this.stream.open(req, res, { consoleUrl: ctx.consoleUrl, dlq: this.countsOnly(this.dlq.counts()) });
      return;
    }
    throw new HttpError(404, `No console API route ${method} /console/api/${parts.join('/')}`);
  }

  /** While a page listens: peek every DLQ each second and push what changed. */
  private watchQueues(on: boolean): void {
    if (!on) {
      clearInterval(this.dlqTimer);
      this.dlqTimer = undefined;
      return;
    }
    if (this.dlqTimer || !this.dlq) return;
    this.lastCounts = this.dlq.counts();
    this.dlqTimer = setInterval(() => this.pollQueues(), DLQ_POLL_MS);
    this.dlqTimer.unref();
  }

  private pollQueues(): void {
    if (!this.dlq || this.stream.size === 0) return;
    const counts = this.dlq.counts();
    for (const [resource, now] of Object.entries(counts)) {
      const before = this.lastCounts[resource];
      if (before && before.ids === now.ids) continue;
      this.stream.send('dlq', { resource, count: now.count });
    }
    this.lastCounts = counts;
  }

  /** The redrive Lambda's name (its logical id says redrive), if the template has one. */
  private redriveFunctionName(): string | undefined {
    return Object.entries(this.ctx?.functions ?? {}).find(([k]) => /redrive/i.test(k))?.[1];
  }

  private countsOnly(counts: Record<string, { count: number }>): Record<string, number> {
    return Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.count]));
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'cache-control': 'no-store' });
  res.end(text);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(302, { location, 'content-length': '0' });
  res.end();
}

function parseJson(body: Buffer): any {
  if (body.length === 0) throw new HttpError(400, 'A JSON body is required');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'The body is not valid JSON');
  }
}

function parseComment(definition: string): string | undefined {
  try {
    const comment = JSON.parse(definition).Comment;
    return typeof comment === 'string' ? comment : undefined;
  } catch {
    return undefined;
  }
}
