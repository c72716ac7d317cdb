/**
 * One REST API (API Gateway v1) built from a CloudFormation template: its resources and methods, request
 * validators and models, integrations (AWS service actions and MOCK) and gateway responses, run in the order
 * API Gateway runs them:
 *
 *   route → size limit → request validation → request template → integration (29 s timeout)
 *         → integration response selection → response parameters/template → responseOverride
 *
 * Anything API Gateway answers itself goes through the template's gateway responses.
 */
import { randomUUID } from 'node:crypto';
import type { ResolvedTemplate, TemplateResource } from '../cloudformation/template';
import {
  GatewayResponseCustomizations,
  GatewayResponseError,
  gatewayResponsesFromTemplate,
  renderGatewayResponse,
} from './gateway-responses';
import { AuthorizerSpec, Authorizers, MethodAuthorization, methodAuthorization } from './authorization';
import { MethodRequestSpec, ModelRegistry, methodRequestSpecFromTemplate, validateRequest } from './models';
import { UsagePlans } from './usage-plans';
import { assertAcceptedMappings, integrationResponseParameterProblem } from './parameter-sources';
import { IntegrationResponse, IntegrationResult, PassthroughBehavior, buildMethodResponse, selectRequestTemplate } from './selection';
import { MappingContext, MappingRequest, MappingTemplateError, formatRequestTime, renderMappingTemplate } from './vtl';

/** API Gateway's hard limits (REST APIs). */
export const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;
const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

/** Calls an AWS service action the way an `AWS` integration does (`arn:aws:apigateway:<region>:<service>:action/<Action>`). */
export type AwsActionCaller = (service: string, action: string, body: string) => Promise<IntegrationResult>;

export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/orders/1` (a path outside the stage answers 403 Forbidden). */
  path: string;
  query: URLSearchParams;
  /** Header names as the client sent them (node's `rawHeaders` pairs). */
  rawHeaders: string[];
  body: Buffer;
  /** The body went over API Gateway's 10 MB limit (it was not kept whole). */
  bodyTooLarge?: boolean;
  sourceIp?: string;
}

export interface ApiResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** For logs: the request id, the matched resource path and the integration's timing. */
  requestId: string;
  resourcePath?: string;
  /** What API Gateway's execution log says of a refused request, e.g. the validator's report of a 400. */
  executionLog?: string;
}

interface Method {
  httpMethod: string;
  resourceId: string;
  resourcePath: string;
  spec: MethodRequestSpec;
  authorization: MethodAuthorization;
  /** ApiKeyRequired: the caller sends an API key of a usage plan of the stage (x-api-key). */
  apiKeyRequired: boolean;
  integration: {
    type: string;
    uri?: string;
    requestTemplates?: Record<string, string>;
    passthroughBehavior?: PassthroughBehavior;
    integrationResponses?: IntegrationResponse[];
    timeoutMs: number;
  };
}

interface Route {
  segments: string[];
  /** Per segment: 2 literal, 1 {param}, 0 {proxy+}. */
  ranks: number[];
  resourcePath: string;
  methods: Map<string, Method>;
}

export class RestApi {
  private readonly routes: Route[] = [];
  private readonly models: ModelRegistry;
  private readonly gatewayResponses: GatewayResponseCustomizations;
  readonly stageName: string;
  readonly apiId: string;
  /** API keys, usage plans and the stage's throttles (./usage-plans.ts). */
  readonly usagePlans: UsagePlans;
  /** Template features this emulation does not run, for the start-up warnings. */
  readonly unsupported: string[] = [];

  constructor(
    resolved: ResolvedTemplate,
    readonly logicalId: string,
    private readonly callAwsAction: AwsActionCaller,
    /** The clock of $context.requestTime / requestTimeEpoch (the local cloud's controllable clock). */
    private readonly options: {
      now?: () => Date;
      /** Who checks AWS_IAM / COGNITO_USER_POOLS methods (./authorization.ts); a type without one is not enforced. */
      authorizers?: Authorizers;
      /** `$context.accountId` and the account of IAM callers. */
      accountId?: string;
      /** Enforce throttles and quotas (default true; ./usage-plans.ts). */
      throttling?: boolean;
    } = {},
  ) {
    this.apiId = resolved.ref(logicalId);
    const belongs = (r: Record<string, any>) => r.RestApiId === this.apiId;
    // Only API Gateway resources are resolved: an intrinsic elsewhere in the template is none of this API's business.
    const resources = Object.fromEntries(
      Object.entries(resolved.template.Resources)
        .filter(([, r]) => r.Type.startsWith('AWS::ApiGateway::'))
        .map(([id, r]) => [id, { Type: r.Type, Properties: resolved.resolve(r.Properties ?? {}, id) as Record<string, unknown> }]),
    ) as Record<string, TemplateResource & { Properties: Record<string, any> }>;

    const models: Record<string, unknown> = {};
    for (const r of Object.values(resources)) if (r.Type === 'AWS::ApiGateway::Model' && belongs(r.Properties)) models[r.Properties.Name] = r.Properties.Schema;
    this.models = new ModelRegistry(models);
    const ownResponses = Object.fromEntries(Object.entries(resources).filter(([, r]) => r.Type !== 'AWS::ApiGateway::GatewayResponse' || belongs(r.Properties)));
    this.gatewayResponses = gatewayResponsesFromTemplate(ownResponses);

    const stage = Object.values(resources).find((r) => r.Type === 'AWS::ApiGateway::Stage' && belongs(r.Properties));
    this.stageName = stage?.Properties.StageName ?? 'prod';
    this.usagePlans = new UsagePlans(resolved, this.apiId, this.stageName, () => (options.now?.() ?? new Date()).getTime(), { throttling: options.throttling ?? true });
    this.unsupported.push(...this.usagePlans.unsupported);

    // Resource tree: id → full path.
    const rootId = resolved.getAtt(logicalId, 'RootResourceId');
    const paths = new Map<string, string>([[rootId, '/']]);
    const pathOf = (id: string): string => {
      const known = paths.get(id);
      if (known) return known;
      const entry = Object.entries(resources).find(([, r]) => r.Type === 'AWS::ApiGateway::Resource' && resolved.ref(logicalIdOf(resources, r)) === id);
      if (!entry) throw new Error(`API Gateway resource ${id} is not in the template`);
      const parent = pathOf(entry[1].Properties.ParentId);
      const full = `${parent === '/' ? '' : parent}/${entry[1].Properties.PathPart}`;
      paths.set(id, full);
      return full;
    };
    const raw = resolved.template.Resources;
    const authorizers: Record<string, AuthorizerSpec> = {};
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::ApiGateway::Authorizer' || !belongs(r.Properties)) continue;
      const p = r.Properties;
      authorizers[resolved.ref(id)] = { type: p.Type, name: p.Name, providerArns: p.ProviderARNs ?? [], identitySource: p.IdentitySource };
    }
    for (const [id, r] of Object.entries(resources)) {
      if (r.Type !== 'AWS::ApiGateway::Method' || !belongs(r.Properties)) continue;
      const p = r.Properties;
      const resourcePath = pathOf(p.ResourceId);
      const integration = p.Integration ?? {};
      for (const response of integration.IntegrationResponses ?? []) assertAcceptedMappings(id, response.ResponseParameters, integrationResponseParameterProblem);
      if (!['AWS', 'MOCK'].includes(integration.Type)) this.unsupported.push(`${id}: integration type ${integration.Type} is not emulated (answers 500)`);
      const authorization = methodAuthorization(p, authorizers);
      if (authorization.type !== 'NONE' && !options.authorizers?.[authorization.type]) this.unsupported.push(`${id}: authorization ${authorization.type} is not enforced locally`);
      const method: Method = {
        httpMethod: p.HttpMethod,
        resourceId: p.ResourceId,
        resourcePath,
        // The spec reads Refs (to models and validators), so it comes from the unresolved properties.
        spec: methodRequestSpecFromTemplate(raw[id], raw),
        authorization,
        apiKeyRequired: p.ApiKeyRequired === true || p.ApiKeyRequired === 'true',
        integration: {
          type: integration.Type,
          uri: integration.Uri,
          requestTemplates: integration.RequestTemplates,
          passthroughBehavior: integration.PassthroughBehavior,
          integrationResponses: integration.IntegrationResponses,
          timeoutMs: Number(integration.TimeoutInMillis ?? DEFAULT_INTEGRATION_TIMEOUT_MS),
        },
      };
      let route = this.routes.find((x) => x.resourcePath === resourcePath);
      if (!route) {
        const segments = resourcePath.split('/').filter(Boolean);
        route = { segments, ranks: segments.map(segmentRank), resourcePath, methods: new Map() };
        this.routes.push(route);
      }
      route.methods.set(method.httpMethod, method);
    }
  }

  /** The method-level routes, e.g. `GET /orders/{id}`, for the start-up banner. */
  listRoutes(): string[] {
    return this.routes.flatMap((r) => [...r.methods.keys()].map((m) => `${m} ${r.resourcePath}`));
  }

  async handle(request: ApiRequest): Promise<ApiResponse> {
    const requestId = randomUUID();
    const started = this.options.now?.() ?? new Date();
    const { headers, byLowerName } = singleHeaders(request.rawHeaders);
    const header = (name: string) => headerValue(headers, byLowerName, name);
    const stagePrefix = `/${this.stageName}`;
    // As on AWS, only the stage path serves the API: without a deployed stage there is no API to answer (and none of its gateway responses).
    if (request.path !== stagePrefix && !request.path.startsWith(`${stagePrefix}/`)) return missingStage(requestId);
    const path = request.path.slice(stagePrefix.length) || '/';
    const context: MappingContext = {
      requestId,
      extendedRequestId: requestId.replace(/-/g, '').slice(0, 16),
      httpMethod: request.method,
      stage: this.stageName,
      path: `${stagePrefix}${path === '/' ? '' : path}`,
      protocol: 'HTTP/1.1',
      requestTime: formatRequestTime(started),
      requestTimeEpoch: started.getTime(),
      accountId: this.options.accountId ?? '000000000000',
      apiId: this.apiId,
      domainName: header('host') ?? 'localhost',
      domainPrefix: (header('host') ?? 'localhost').split('.')[0],
      deploymentId: 'local',
      identity: { sourceIp: request.sourceIp ?? '127.0.0.1', userAgent: header('user-agent') ?? '' },
    };
    const query = Object.fromEntries(request.query);
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of request.query) (multiQuery[k] ??= []).push(v);
    const body = request.body.toString('utf8');
    const answer = (statusCode: number, h: Record<string, string>, text: string, resourcePath?: string): ApiResponse => ({
      statusCode,
      headers: { ...h, 'x-amzn-RequestId': requestId, 'x-amz-apigw-id': context.extendedRequestId as string },
      body: text,
      requestId,
      resourcePath,
    });
    const gatewayError = (error: GatewayResponseError, pathParameters: Record<string, string> = {}): ApiResponse => {
      const r = renderGatewayResponse(error, { requestId, extendedRequestId: context.extendedRequestId, context, headers, queryStringParameters: query, pathParameters }, this.gatewayResponses, header('accept'));
      const details = error.validationErrorString;
      const executionLog =
        error.responseType === 'BAD_REQUEST_BODY' && details
          ? `Request body does not match model schema for content type ${header('content-type')?.split(';')[0].trim() || 'application/json'}: ${details}`
          : error.responseType === 'BAD_REQUEST_PARAMETERS' ? `Request validation failed: ${error.message}` : undefined;
      return { ...answer(r.statusCode, r.headers, r.body), ...(executionLog ? { executionLog } : {}) };
    };

    const match = this.match(path, request.method);
    if (!match) return gatewayError(new GatewayResponseError('MISSING_AUTHENTICATION_TOKEN'));
    const { method, pathParameters } = match;
    Object.assign(context, { resourcePath: method.resourcePath, resourceId: method.resourceId, httpMethod: request.method });
    if (request.bodyTooLarge || request.body.length > MAX_PAYLOAD_BYTES) return gatewayError(new GatewayResponseError('REQUEST_TOO_LARGE'), pathParameters);

    const mapping: MappingRequest = { body, pathParameters, queryStringParameters: query, multiValueQueryStringParameters: multiQuery, headers, context };
    try {
      // Authorization runs before request validation: an unsigned request learns nothing about the body rules.
      const authorizer = method.authorization.type === 'NONE' ? undefined : this.options.authorizers?.[method.authorization.type];
      if (authorizer) {
        const caller = await authorizer({ httpMethod: request.method, path: request.path, query: request.query, header: (n) => header(n.toLowerCase()), body: request.body, authorization: method.authorization });
        Object.assign(context.identity!, caller.identity);
        if (caller.authorizer) context.authorizer = caller.authorizer;
      }
      // Then the API key and the throttles (a usage plan throttles the client its key names), then validation.
      const usage = this.usagePlans.admit({ httpMethod: method.httpMethod, resourcePath: method.resourcePath, apiKeyRequired: method.apiKeyRequired }, header('x-api-key'));
      Object.assign(context.identity!, usage);
      validateRequest(method.spec, { headers, queryStringParameters: query, multiValueQueryStringParameters: multiQuery, pathParameters, body }, this.models);
      const integration = await this.integrate(method, mapping, header('content-type'));
      const response = buildMethodResponse({ integrationResponses: method.integration.integrationResponses, integration, request: mapping, accept: header('accept') });
      return answer(response.statusCode, response.headers, response.body, method.resourcePath);
    } catch (error) {
      if (error instanceof GatewayResponseError) return gatewayError(error, pathParameters);
      // A template that fails to render is a configuration error: API Gateway logs it and answers 500.
      if (error instanceof MappingTemplateError) return gatewayError(new GatewayResponseError('API_CONFIGURATION_ERROR', 'Internal server error'), pathParameters);
      // A local service that crashed: answered like API Gateway's internal error, and said in the log.
      console.error(`local API: ${request.method} ${request.path} (${requestId}) failed in the integration:`, error);
      return gatewayError(new GatewayResponseError('API_CONFIGURATION_ERROR', 'Internal server error'), pathParameters);
    }
  }

  private match(path: string, httpMethod: string): { method: Method; pathParameters: Record<string, string> } | undefined {
    const parts = path.split('/').filter(Boolean);
    // Like API Gateway's resource tree: at each level a literal part wins over {param}, which wins over {proxy+}.
    let best: { route: Route; pathParameters: Record<string, string> } | undefined;
    for (const route of this.routes) {
      const pathParameters = matchSegments(route.segments, parts);
      if (pathParameters && (!best || compareRanks(route.ranks, best.route.ranks) > 0)) best = { route, pathParameters };
    }
    if (!best) return undefined;
    const method = best.route.methods.get(httpMethod) ?? best.route.methods.get('ANY');
    // A known path with a method it lacks is answered like an unknown path (MISSING_AUTHENTICATION_TOKEN).
    return method ? { method, pathParameters: best.pathParameters } : undefined;
  }

  private async integrate(method: Method, mapping: MappingRequest, contentType: string | undefined): Promise<IntegrationResult> {
    const { integration } = method;
    const selection = selectRequestTemplate(integration.requestTemplates, contentType, integration.passthroughBehavior ?? 'WHEN_NO_MATCH');
    if (selection.kind === 'unsupported') throw new GatewayResponseError('UNSUPPORTED_MEDIA_TYPE');
    const payload = selection.kind === 'template' ? renderMappingTemplate(selection.template, mapping).body : (mapping.body ?? '');

    if (integration.type === 'MOCK') {
      // MOCK: the request template's statusCode selects the integration response; there is no body.
      const status = /"?statusCode"?\s*:\s*(\d{3})/.exec(payload)?.[1] ?? '200';
      return { statusCode: Number(status), headers: {}, body: '' };
    }
    const action = /^arn:aws:apigateway:[^:]*:([^:]+):action\/(\w+)$/.exec(integration.uri ?? '');
    if (integration.type !== 'AWS' || !action) throw new GatewayResponseError('API_CONFIGURATION_ERROR', 'Internal server error');

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new GatewayResponseError('INTEGRATION_TIMEOUT', 'Endpoint request timed out')), integration.timeoutMs);
    });
    try {
      return await Promise.race([this.callAwsAction(action[1], action[2], payload), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * A path whose first segment is not a deployed stage (`/orders` instead of `/v1/orders`): API Gateway answers
 * 403 `{"message":"Forbidden"}` (ForbiddenException) before any API, stage or gateway response is involved.
 */
function missingStage(requestId: string): ApiResponse {
  return {
    statusCode: 403,
    headers: { 'content-type': 'application/json', 'x-amzn-RequestId': requestId, 'x-amzn-ErrorType': 'ForbiddenException' },
    body: '{"message":"Forbidden"}',
    requestId,
  };
}

function logicalIdOf(resources: Record<string, unknown>, resource: unknown): string {
  return Object.keys(resources).find((k) => resources[k] === resource) as string;
}

function segmentRank(segment: string): number {
  return segment.endsWith('+}') ? 0 : segment.startsWith('{') ? 1 : 2;
}

/** Positive when `a` is the more specific route: the first segment where they differ decides. */
function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function matchSegments(template: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < template.length; i++) {
    const t = template[i];
    if (t.startsWith('{') && t.endsWith('+}')) {
      if (i >= parts.length) return undefined;
      params[t.slice(1, -2)] = parts.slice(i).map(decode).join('/');
      return params;
    }
    if (i >= parts.length) return undefined;
    if (t.startsWith('{') && t.endsWith('}')) params[t.slice(1, -1)] = decode(parts[i]);
    else if (t !== parts[i]) return undefined;
  }
  return template.length === parts.length ? params : undefined;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** API Gateway's single-value header view: the client's spelling, the last of repeated headers wins. */
function singleHeaders(rawHeaders: string[]): { headers: Record<string, string>; byLowerName: Map<string, string> } {
  const out: Record<string, string> = {};
  /** lower-case name → the spelling kept in `out` (one per lower-case name). */
  const byLowerName = new Map<string, string>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i];
    const lower = name.toLowerCase();
    const existing = byLowerName.get(lower);
    if (existing !== undefined) delete out[existing];
    out[name] = rawHeaders[i + 1];
    byLowerName.set(lower, name);
  }
  return { headers: out, byLowerName };
}

/** The header named `name` (lower case), whatever its spelling. */
function headerValue(headers: Record<string, string>, byLowerName: Map<string, string>, name: string): string | undefined {
  const key = byLowerName.get(name);
  return key === undefined || !Object.prototype.hasOwnProperty.call(headers, key) ? undefined : headers[key];
}
