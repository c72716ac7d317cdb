/**
 * API Gateway (REST API) gateway responses: the errors API Gateway itself answers (unknown route,
 * failed validation, integration timeout...) and their customisation through
 * `AWS::ApiGateway::GatewayResponse`.
 *
 * Defaults: status codes from the AWS "Gateway response types" table; bodies from the default
 * template `{"message":$context.error.messageString}`; `x-amzn-ErrorType` and `x-amzn-RequestId`
 * headers as AWS sends them. Customisation follows AWS: a response of the exact type wins, else a
 * customised DEFAULT_4XX / DEFAULT_5XX (by the type's default status class) lends its templates,
 * parameters and status code. Gateway-response templates are NOT Velocity: AWS only substitutes
 * simple `$context.*` / `$stageVariables.*` / `$input.params(...)`-style variables in them.
 */
import { selectResponseTemplate } from './media-types';
import { assertAcceptedMappings, gatewayResponseParameterProblem } from './parameter-sources';

export type GatewayResponseType =
  | 'ACCESS_DENIED'
  | 'API_CONFIGURATION_ERROR'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'AUTHORIZER_FAILURE'
  | 'BAD_REQUEST_PARAMETERS'
  | 'BAD_REQUEST_BODY'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX'
  | 'EXPIRED_TOKEN'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'INVALID_API_KEY'
  | 'INVALID_SIGNATURE'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'RESOURCE_NOT_FOUND'
  | 'THROTTLED'
  | 'UNAUTHORIZED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'WAF_FILTERED';

interface DefaultGatewayResponse {
  /** Default status code; DEFAULT_4XX and DEFAULT_5XX have none. */
  statusCode?: number;
  /** `$context.error.message` when the raiser gives none. */
  message: string;
  /** The `x-amzn-ErrorType` header. */
  errorType: string;
  /** The default body template. */
  template: string;
}

const COMPACT = '{"message":$context.error.messageString}';
/** Validation errors come back as `{"message": "..."}` (one space; `content-length: 35` for "Invalid request body"). */
const SPACED = '{"message": $context.error.messageString}';

/** The catalogue of default gateway responses (REST API). */
export const DEFAULT_GATEWAY_RESPONSES: Readonly<Record<GatewayResponseType, DefaultGatewayResponse>> = {
  ACCESS_DENIED: { statusCode: 403, message: 'User is not authorized to access this resource', errorType: 'AccessDeniedException', template: COMPACT },
  API_CONFIGURATION_ERROR: { statusCode: 500, message: 'Internal server error', errorType: 'InternalServerErrorException', template: COMPACT },
  AUTHORIZER_CONFIGURATION_ERROR: { statusCode: 500, message: 'Internal server error', errorType: 'AuthorizerConfigurationException', template: COMPACT },
  AUTHORIZER_FAILURE: { statusCode: 500, message: 'Internal server error', errorType: 'AuthorizerFailureException', template: COMPACT },
  BAD_REQUEST_PARAMETERS: { statusCode: 400, message: 'Missing required request parameters', errorType: 'BadRequestException', template: SPACED },
  BAD_REQUEST_BODY: { statusCode: 400, message: 'Invalid request body', errorType: 'BadRequestException', template: SPACED },
  DEFAULT_4XX: { message: 'Bad Request', errorType: 'BadRequestException', template: COMPACT },
  DEFAULT_5XX: { message: 'Internal server error', errorType: 'InternalServerErrorException', template: COMPACT },
  EXPIRED_TOKEN: { statusCode: 403, message: 'The security token included in the request is expired', errorType: 'ExpiredTokenException', template: COMPACT },
  INTEGRATION_FAILURE: { statusCode: 504, message: 'Internal server error', errorType: 'InternalServerErrorException', template: COMPACT },
  INTEGRATION_TIMEOUT: { statusCode: 504, message: 'Endpoint request timed out', errorType: 'InternalServerErrorException', template: SPACED },
  INVALID_API_KEY: { statusCode: 403, message: 'Forbidden', errorType: 'ForbiddenException', template: COMPACT },
  INVALID_SIGNATURE: {
    statusCode: 403,
    message: 'The request signature we calculated does not match the signature you provided.',
    errorType: 'InvalidSignatureException',
    template: COMPACT,
  },
  MISSING_AUTHENTICATION_TOKEN: { statusCode: 403, message: 'Missing Authentication Token', errorType: 'MissingAuthenticationTokenException', template: COMPACT },
  QUOTA_EXCEEDED: { statusCode: 429, message: 'Limit Exceeded', errorType: 'LimitExceededException', template: COMPACT },
  REQUEST_TOO_LARGE: { statusCode: 413, message: 'Request Too Long', errorType: 'RequestTooLongException', template: COMPACT },
  RESOURCE_NOT_FOUND: { statusCode: 404, message: 'Not Found', errorType: 'NotFoundException', template: COMPACT },
  THROTTLED: { statusCode: 429, message: 'Too Many Requests', errorType: 'TooManyRequestsException', template: COMPACT },
  UNAUTHORIZED: { statusCode: 401, message: 'Unauthorized', errorType: 'UnauthorizedException', template: COMPACT },
  UNSUPPORTED_MEDIA_TYPE: { statusCode: 415, message: 'Unsupported Media Type', errorType: 'UnsupportedMediaTypeException', template: COMPACT },
  WAF_FILTERED: { statusCode: 403, message: 'Forbidden', errorType: 'ForbiddenException', template: COMPACT },
};

export const GATEWAY_RESPONSE_TYPES = Object.keys(DEFAULT_GATEWAY_RESPONSES) as GatewayResponseType[];

export function isGatewayResponseType(value: string): value is GatewayResponseType {
  return Object.prototype.hasOwnProperty.call(DEFAULT_GATEWAY_RESPONSES, value);
}

/** A customised gateway response (the properties of AWS::ApiGateway::GatewayResponse). */
export interface GatewayResponseCustomization {
  statusCode?: number;
  /** `gatewayresponse.header.NAME` → `'static'` | `method.request.header.X` | `method.request.querystring.X` | `method.request.path.X` | `stageVariables.X` (./parameter-sources.ts) */
  responseParameters?: Record<string, string>;
  /** content type → template (simple variable substitution). */
  responseTemplates?: Record<string, string>;
}

export type GatewayResponseCustomizations = Partial<Record<GatewayResponseType, GatewayResponseCustomization>>;

/** An error API Gateway answers itself. Thrown by validation/routing code, rendered by {@link renderGatewayResponse}. */
export class GatewayResponseError extends Error {
  constructor(
    readonly responseType: GatewayResponseType,
    message?: string,
    /** `$context.error.validationErrorString` (request validation details). */
    readonly validationErrorString?: string,
    /** The x-amzn-ErrorType header when it is not the type's usual one (IncompleteSignatureException under MISSING_AUTHENTICATION_TOKEN). */
    readonly errorType?: string,
  ) {
    super(message ?? DEFAULT_GATEWAY_RESPONSES[responseType].message);
    this.name = 'GatewayResponseError';
  }
}

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

function refersTo(value: unknown, logicalId: string): boolean {
  if (value === logicalId) return true;
  return typeof value === 'object' && value !== null && (value as { Ref?: unknown }).Ref === logicalId;
}

/**
 * Collects the AWS::ApiGateway::GatewayResponse resources of a (resolved) CloudFormation template.
 * @param restApiLogicalId only responses whose RestApiId is `{Ref: restApiLogicalId}` (or that id).
 */
export function gatewayResponsesFromTemplate(
  resources: Record<string, CfnResource>,
  restApiLogicalId?: string,
): GatewayResponseCustomizations {
  const out: GatewayResponseCustomizations = {};
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::GatewayResponse') continue;
    const p = resource.Properties ?? {};
    if (restApiLogicalId && !refersTo(p.RestApiId, restApiLogicalId)) continue;
    const type = String(p.ResponseType);
    if (!isGatewayResponseType(type)) {
      throw new Error(`${logicalId}: unknown GatewayResponse ResponseType ${JSON.stringify(p.ResponseType)}`);
    }
    const statusCode = p.StatusCode === undefined ? undefined : Number(p.StatusCode);
    if (statusCode !== undefined && !(Number.isInteger(statusCode) && statusCode >= 100 && statusCode <= 599)) {
      throw new Error(`${logicalId}: invalid StatusCode ${JSON.stringify(p.StatusCode)}`);
    }
    assertAcceptedMappings(logicalId, p.ResponseParameters as Record<string, unknown> | undefined, gatewayResponseParameterProblem);
    out[type] = {
      ...(statusCode === undefined ? {} : { statusCode }),
      responseParameters: (p.ResponseParameters as Record<string, string>) ?? {},
      responseTemplates: (p.ResponseTemplates as Record<string, string>) ?? {},
    };
  }
  return out;
}

/** What a gateway response can read from the request. */
export interface GatewayResponseRequest {
  requestId: string;
  extendedRequestId?: string;
  /** `$context.*` values (flat or nested: `{ identity: { sourceIp } }`). */
  context?: Record<string, unknown>;
  headers?: Record<string, string>;
  queryStringParameters?: Record<string, string>;
  pathParameters?: Record<string, string>;
  stageVariables?: Record<string, string>;
}

export interface GatewayResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

function lookupPath(root: unknown, dotted: string): unknown {
  let node = root;
  for (const key of dotted.split('.')) {
    if (node === null || node === undefined || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

function asText(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Resolves a gateway-response parameter source (`'static'`, `method.request.header.X`, `stageVariables.X`...). */
function resolveParameter(source: string, request: GatewayResponseRequest, context: Record<string, unknown>): string | undefined {
  const s = source.trim();
  if (s.length >= 2 && s.startsWith("'") && s.endsWith("'")) return s.slice(1, -1);
  if (s.startsWith('method.request.header.')) return headerValue(request.headers, s.slice('method.request.header.'.length));
  if (s.startsWith('method.request.querystring.')) return request.queryStringParameters?.[s.slice('method.request.querystring.'.length)];
  if (s.startsWith('method.request.path.')) return request.pathParameters?.[s.slice('method.request.path.'.length)];
  if (s.startsWith('stageVariables.')) return request.stageVariables?.[s.slice('stageVariables.'.length)];
  // context.* is refused when the template is read (./parameter-sources.ts), as a deploy refuses it.
  return undefined;
}

/**
 * Simple variable substitution (no VTL): `$context.a.b`, `${context.a}`, `$stageVariables.x`,
 * `$input.params('x')`, `$input.params().header.get('x')`-free. Unknown variables become ''.
 */
function substitute(template: string, request: GatewayResponseRequest, context: Record<string, unknown>): string {
  return template.replace(
    /\$(?:\{(context|stageVariables)\.([A-Za-z0-9_.-]+)\}|(context|stageVariables)\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)|input\.params\('([^']*)'\))/g,
    (_m, braceRoot: string, bracePath: string, root: string, path: string, param: string) => {
      if (param !== undefined) {
        return (
          request.pathParameters?.[param] ?? request.queryStringParameters?.[param] ?? headerValue(request.headers, param) ?? ''
        );
      }
      const r = braceRoot ?? root;
      const p = bracePath ?? path;
      if (r === 'stageVariables') return request.stageVariables?.[p] ?? '';
      return asText(lookupPath(context, p));
    },
  );
}

/**
 * Builds the HTTP response API Gateway sends for a gateway response.
 * @param accept the request's Accept header (selects among the customised templates).
 */
export function renderGatewayResponse(
  error: GatewayResponseError | GatewayResponseType,
  request: GatewayResponseRequest,
  customizations: GatewayResponseCustomizations = {},
  accept?: string,
): GatewayResponse {
  const err = typeof error === 'string' ? new GatewayResponseError(error) : error;
  const type = err.responseType;
  const defaults = DEFAULT_GATEWAY_RESPONSES[type];

  let custom = customizations[type];
  let statusCode = defaults.statusCode;
  if (custom) {
    statusCode = custom.statusCode ?? statusCode;
  } else if (type !== 'DEFAULT_4XX' && type !== 'DEFAULT_5XX') {
    const fallback = (defaults.statusCode ?? 500) >= 500 ? customizations.DEFAULT_5XX : customizations.DEFAULT_4XX;
    if (fallback) {
      custom = fallback;
      statusCode = fallback.statusCode ?? statusCode;
    }
  }
  statusCode = statusCode ?? (type === 'DEFAULT_4XX' ? 400 : 500);

  const context: Record<string, unknown> = {
    ...(request.context ?? {}),
    requestId: request.requestId,
    ...(request.extendedRequestId ? { extendedRequestId: request.extendedRequestId } : {}),
    error: {
      message: err.message,
      messageString: JSON.stringify(err.message),
      responseType: type,
      validationErrorString: err.validationErrorString ?? '',
    },
  };

  const templates = custom?.responseTemplates && Object.keys(custom.responseTemplates).length > 0
    ? custom.responseTemplates
    : { 'application/json': defaults.template };
  const selected = selectResponseTemplate(templates, accept);
  const contentType = selected?.contentType ?? 'application/json';
  const body = selected ? substitute(selected.template, request, context) : '';

  const headers: Record<string, string> = {};
  for (const [target, source] of Object.entries(custom?.responseParameters ?? {})) {
    const m = /^gatewayresponse\.header\.(.+)$/.exec(target);
    if (!m) continue;
    const value = resolveParameter(source, request, context);
    if (value !== undefined) headers[m[1]] = value;
  }
  if (headerValue(headers, 'content-type') === undefined) headers['content-type'] = contentType;
  headers['x-amzn-RequestId'] = request.requestId;
  if (request.extendedRequestId) headers['x-amz-apigw-id'] = request.extendedRequestId;
  headers['x-amzn-ErrorType'] = err.errorType ?? defaults.errorType;
  return { statusCode, headers, body };
}
