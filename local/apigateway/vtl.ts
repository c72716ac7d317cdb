/**
 * API Gateway (REST API, v1) mapping templates: Velocity 1.7 as API Gateway runs it, on velocityjs.
 *
 * Entry point: {@link renderMappingTemplate}. It renders a request template (payload = the method
 * request body) or a response template (payload = the integration response body) with API
 * Gateway's variables ($input, $util, $context, $stageVariables) and returns the body plus what the
 * template set in `$context.responseOverride` / `$context.requestOverride`.
 *
 * What is reproduced, and from which source, is written at the top of ./vtl/engine.ts (Velocity
 * 1.7 semantics), ./vtl/variables.ts ($input/$util), ./vtl/java-methods.ts (JDK methods),
 * ./vtl/java-values.ts (how values print), ./vtl/java-regex.ts and ./vtl/jsonpath.ts.
 */
import { JavaMethodError } from './vtl/java-methods';
import { JavaRegexError } from './vtl/java-regex';
import { JsonPathError } from './vtl/jsonpath';
import { JavaVelocity, NullRendering, parseTemplate } from './vtl/engine';
import { InputVariable, InvalidPayloadError, UtilVariable } from './vtl/variables';
import { JavaList, JavaMap, fromJs, isJavaNumber, javaToString, toNumber } from './vtl/java-values';

export { escapeJavaScript, javaUrlEncode, javaUrlDecode } from './vtl/variables';
export type { NullRendering } from './vtl/engine';

/** `$context.identity.*` */
export interface MappingIdentity {
  sourceIp?: string;
  userAgent?: string;
  accountId?: string | null;
  apiKey?: string | null;
  apiKeyId?: string | null;
  caller?: string | null;
  user?: string | null;
  userArn?: string | null;
  principalOrgId?: string | null;
  cognitoAuthenticationProvider?: string | null;
  cognitoAuthenticationType?: string | null;
  cognitoIdentityId?: string | null;
  cognitoIdentityPoolId?: string | null;
  clientCert?: Record<string, unknown> | null;
  vpcId?: string | null;
  vpceId?: string | null;
  [key: string]: unknown;
}

/** `$context.*` as API Gateway exposes it to mapping templates (REST API). */
export interface MappingContext {
  requestId?: string;
  extendedRequestId?: string;
  awsEndpointRequestId?: string;
  httpMethod?: string;
  resourcePath?: string;
  resourceId?: string;
  stage?: string;
  /** The request path including the stage, e.g. `/prod/items/1`. */
  path?: string;
  protocol?: string;
  /** CLF time, `dd/MMM/yyyy:HH:mm:ss +0000` (see {@link formatRequestTime}). */
  requestTime?: string;
  /** Milliseconds since the epoch. */
  requestTimeEpoch?: number;
  accountId?: string;
  apiId?: string;
  domainName?: string;
  domainPrefix?: string;
  deploymentId?: string;
  isCanaryRequest?: boolean;
  xrayTraceId?: string;
  wafResponseCode?: string;
  webaclArn?: string;
  identity?: MappingIdentity;
  /** Lambda authorizer context (values are stringified as on AWS) and/or `claims` (Cognito). */
  authorizer?: { principalId?: string; claims?: Record<string, unknown>; [key: string]: unknown };
  /** For gateway responses: message, messageString, responseType, validationErrorString. */
  error?: { message?: string; messageString?: string; responseType?: string; validationErrorString?: string };
  [key: string]: unknown;
}

/** What a template sees of the request (and, for response templates, of the integration response). */
export interface MappingRequest {
  /** Raw payload: the method request body for request templates, the integration response body for response templates. */
  body?: string | null;
  pathParameters?: Record<string, string>;
  /** Single-value query string; when absent, derived from the last value of each multi-value entry. */
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  /** Single-value headers; when absent, derived from the last value of each multi-value entry. */
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  context?: MappingContext;
  stageVariables?: Record<string, string>;
}

export interface RenderOptions {
  /**
   * How a null or undefined reference prints. `'empty'` (default): as an empty string, which is
   * what API Gateway does. `'literal'`: as its source text (`$nope`), plain Velocity 1.7.
   * `$!ref` always prints as ''.
   */
  nullReferences?: NullRendering;
}

export interface ResponseOverride {
  status?: number;
  headers: Record<string, string>;
}

export interface RequestOverride {
  path: Record<string, string>;
  querystring: Record<string, string | string[]>;
  header: Record<string, string | string[]>;
}

export interface RenderResult {
  body: string;
  responseOverride: ResponseOverride;
  requestOverride: RequestOverride;
}

export type MappingTemplateErrorKind =
  /** The template does not parse. */
  | 'syntax'
  /** `$input.json`/`$input.path` on a payload that is not JSON. */
  | 'payload'
  /** A method threw (Java exception), or a regex/JSONPath the engine cannot run. */
  | 'runtime';

/**
 * Rendering failed. On AWS a request template that fails is logged as "Execution failed due to
 * configuration error: Unable to transform request" and the client gets 500
 * `{"message": "Internal server error"}`: callers map this error to the API_CONFIGURATION_ERROR
 * gateway response. (`payload` errors were answered 400 "Could not process payload" by older API
 * Gateway versions; whether that still holds is not verified.)
 */
export class MappingTemplateError extends Error {
  constructor(
    readonly kind: MappingTemplateErrorKind,
    message: string,
    readonly cause?: unknown,
  ) {
    super(message);
    this.name = 'MappingTemplateError';
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime` format: CLF `dd/MMM/yyyy:HH:mm:ss +0000` (UTC). */
export function formatRequestTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${p(date.getUTCHours())}:${p(
    date.getUTCMinutes(),
  )}:${p(date.getUTCSeconds())} +0000`;
}

function singleValued(single: Record<string, string> | undefined, multi: Record<string, string[]> | undefined): Record<string, string> {
  if (single) return { ...single };
  const out: Record<string, string> = {};
  for (const [k, values] of Object.entries(multi ?? {})) {
    if (values.length > 0) out[k] = values[values.length - 1];
  }
  return out;
}

function stringifyAuthorizer(authorizer: MappingContext['authorizer']): JavaMap {
  const map = new JavaMap();
  for (const [k, v] of Object.entries(authorizer ?? {})) {
    if (v === undefined) continue;
    if (k === 'claims' && v && typeof v === 'object') {
      map.put(k, new JavaMap(Object.entries(v as Record<string, unknown>).map(([ck, cv]) => [ck, cv === null ? null : String(cv)])));
    } else {
      map.put(k, v === null ? null : typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
  }
  return map;
}

function buildContext(ctx: MappingContext | undefined): JavaMap {
  const map = (fromJs(ctx ?? {}) as JavaMap) ?? new JavaMap();
  if (!map.has('identity')) map.put('identity', new JavaMap());
  map.put('authorizer', stringifyAuthorizer(ctx?.authorizer));
  map.put(
    'requestOverride',
    new JavaMap([
      ['header', new JavaMap()],
      ['path', new JavaMap()],
      ['querystring', new JavaMap()],
    ]),
  );
  map.put('responseOverride', new JavaMap([['header', new JavaMap()]]));
  return map;
}

function readStringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(value instanceof JavaMap)) return out;
  for (const [k, v] of value.entries) if (v !== null && v !== undefined) out[k] = javaToString(v);
  return out;
}

function readMultiMap(value: unknown): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (!(value instanceof JavaMap)) return out;
  for (const [k, v] of value.entries) {
    if (v === null || v === undefined) continue;
    out[k] = v instanceof JavaList ? v.items.map((item) => javaToString(item)) : javaToString(v);
  }
  return out;
}

function readStatus(value: unknown): number | undefined {
  if (isJavaNumber(value)) return Math.trunc(toNumber(value));
  if (typeof value === 'string' && /^\s*\d+\s*$/.test(value)) return Number(value.trim());
  return undefined;
}

/**
 * Renders an API Gateway mapping template.
 * @throws MappingTemplateError when the template does not parse or fails while rendering.
 */
export function renderMappingTemplate(template: string, request: MappingRequest, options: RenderOptions = {}): RenderResult {
  let asts;
  try {
    asts = parseTemplate(template);
  } catch (e) {
    throw new MappingTemplateError('syntax', `Invalid mapping template: ${(e as Error).message}`, e);
  }
  const context = buildContext(request.context);
  const input = new InputVariable(request.body ?? '', {
    path: { ...(request.pathParameters ?? {}) },
    querystring: singleValued(request.queryStringParameters, request.multiValueQueryStringParameters),
    header: singleValued(request.headers, request.multiValueHeaders),
  });
  const variables: Record<string, unknown> = {
    input,
    util: new UtilVariable(),
    context,
    stageVariables: new JavaMap(Object.entries(request.stageVariables ?? {})),
  };
  let body: string;
  try {
    body = new JavaVelocity(asts, options.nullReferences ?? 'empty').render(variables);
  } catch (e) {
    if (e instanceof InvalidPayloadError) throw new MappingTemplateError('payload', e.message, e);
    if (e instanceof JavaMethodError || e instanceof JavaRegexError || e instanceof JsonPathError) {
      throw new MappingTemplateError('runtime', e.message, e);
    }
    throw new MappingTemplateError('runtime', `Mapping template failed: ${(e as Error).message}`, e);
  }
  const responseOverride = context.get('responseOverride');
  const requestOverride = context.get('requestOverride');
  const ro = responseOverride instanceof JavaMap ? responseOverride : new JavaMap();
  const rq = requestOverride instanceof JavaMap ? requestOverride : new JavaMap();
  const status = readStatus(ro.get('status'));
  return {
    body,
    responseOverride: { ...(status === undefined ? {} : { status }), headers: readStringMap(ro.get('header')) },
    requestOverride: {
      path: readStringMap(rq.get('path')),
      querystring: readMultiMap(rq.get('querystring')),
      header: readMultiMap(rq.get('header')),
    },
  };
}
