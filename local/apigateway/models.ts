/**
 * Request validation as API Gateway (REST API) does it with a RequestValidator:
 * - validateRequestParameters: every `method.request.{path|querystring|header}.NAME` marked
 *   required must be present and not blank, else 400 BAD_REQUEST_PARAMETERS
 *   `{"message": "Missing required request parameters: [a, b]"}`;
 * - validateRequestBody: the body (an empty body counts as `{}`) must be JSON valid against the
 *   method's model for the request Content-Type (else `$default`, else the built-in `Empty`
 *   model), else 400 BAD_REQUEST_BODY `{"message": "Invalid request body"}`.
 * Parameters are checked before the body.
 *
 * Models are JSON Schema draft-04. ajv 8 has no draft-04 mode without the `ajv-draft-04` package
 * (not a dependency here), so {@link draft04ToDraft07} rewrites the draft-04 specifics (boolean
 * exclusiveMaximum/exclusiveMinimum, `id`) and drops keywords draft-04 does not have (`const`,
 * `contains`, `propertyNames`, `if`/`then`/`else`...), which a draft-04 validator ignores.
 * `$ref`s to other models (`https://apigateway.amazonaws.com/restapis/{id}/models/{name}`) resolve
 * within the registry. `$context.error.validationErrorString` is written in the style of the
 * validator AWS uses (fge json-schema-validator), approximately.
 */
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import { GatewayResponseError } from './gateway-responses';
import { mediaType } from './media-types';

export const EMPTY_MODEL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Empty Schema',
  type: 'object',
} as const;

export const ERROR_MODEL_SCHEMA = {
  $schema: 'http://json-schema.org/draft-04/schema#',
  title: 'Error Schema',
  type: 'object',
  properties: { message: { type: 'string' } },
} as const;

/** AWS::ApiGateway::RequestValidator properties. */
export interface RequestValidator {
  validateRequestBody?: boolean;
  validateRequestParameters?: boolean;
}

/** What validation needs of an AWS::ApiGateway::Method. */
export interface MethodRequestSpec {
  /** e.g. `{ 'method.request.querystring.q1': true, 'method.request.header.h1': false }` */
  requestParameters?: Record<string, boolean>;
  /** content type (or `$default`) → model name */
  requestModels?: Record<string, string>;
  requestValidator?: RequestValidator;
}

export interface ValidationRequest {
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  pathParameters?: Record<string, string>;
  body?: string | null;
}

export class InvalidModelError extends Error {
  constructor(readonly modelName: string, message: string) {
    super(`Invalid model specified: ${modelName}: ${message}`);
    this.name = 'InvalidModelError';
  }
}

const MODEL_URL = /^https?:\/\/apigateway\.amazonaws\.com\/restapis\/[^/]+\/models\/([^/#]+)(#.*)?$/;
const modelId = (name: string) => `urn:apigateway:model:${encodeURIComponent(name)}`;

const NOT_IN_DRAFT_04 = new Set([
  '$id',
  '$comment',
  '$defs',
  '$anchor',
  'const',
  'contains',
  'propertyNames',
  'if',
  'then',
  'else',
  'examples',
  'dependentRequired',
  'dependentSchemas',
  'unevaluatedProperties',
  'unevaluatedItems',
  'minContains',
  'maxContains',
  'prefixItems',
]);

type Json = unknown;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function mapValues(v: unknown, fn: (x: unknown) => unknown): unknown {
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fn(x)]));
}

/** Rewrites a draft-04 schema into the draft-07 form ajv 8 validates (see the module comment). */
export function draft04ToDraft07(schema: Json): Json {
  if (!isObject(schema)) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) {
    if (NOT_IN_DRAFT_04.has(k) || k === '$schema') continue;
    switch (k) {
      case 'id':
        if (typeof v === 'string' && !v.startsWith('#')) out.$id = v;
        break;
      case 'properties':
      case 'patternProperties':
      case 'definitions':
        out[k] = mapValues(v, draft04ToDraft07);
        break;
      case 'dependencies':
        out[k] = mapValues(v, (d) => (Array.isArray(d) ? d : draft04ToDraft07(d)));
        break;
      case 'items':
        out[k] = Array.isArray(v) ? v.map(draft04ToDraft07) : draft04ToDraft07(v);
        break;
      case 'additionalItems':
      case 'additionalProperties':
      case 'not':
        out[k] = draft04ToDraft07(v);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = Array.isArray(v) ? v.map(draft04ToDraft07) : v;
        break;
      case '$ref': {
        const m = typeof v === 'string' ? MODEL_URL.exec(v) : null;
        out.$ref = m ? `${modelId(decodeURIComponent(m[1]))}${m[2] ?? ''}` : v;
        break;
      }
      case 'exclusiveMaximum':
      case 'exclusiveMinimum':
        break; // below
      default:
        out[k] = v;
    }
  }
  for (const [flag, bound] of [
    ['exclusiveMaximum', 'maximum'],
    ['exclusiveMinimum', 'minimum'],
  ] as const) {
    const value = schema[flag];
    if (value === true && typeof schema[bound] === 'number') {
      out[flag] = schema[bound];
      delete out[bound];
    } else if (typeof value === 'number') {
      out[flag] = value; // already draft-06+ style
    }
  }
  return out;
}

// draft-04 formats (what a draft-04 validator checks)
const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  'date-time': /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  email: /^[^\s@]+@[^\s@]+$/,
  hostname: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  ipv6: (s) => /^[0-9A-Fa-f:.]+$/.test(s) && s.includes(':') && (() => {
    try {
      return new URL(`http://[${s}]/`).hostname.length > 0;
    } catch {
      return false;
    }
  })(),
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
};

/** The models of one REST API, compiled on first use. */
export class ModelRegistry {
  private readonly ajv: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly names = new Set<string>();

  /** @param models model name → draft-04 schema (object, or JSON text as CloudFormation allows). */
  constructor(models: Record<string, unknown> = {}) {
    this.ajv = new Ajv({ strict: false, allErrors: true, verbose: true, logger: false, validateSchema: true });
    for (const [name, format] of Object.entries(FORMATS)) this.ajv.addFormat(name, format as RegExp);
    const all: Record<string, unknown> = { Empty: EMPTY_MODEL_SCHEMA, Error: ERROR_MODEL_SCHEMA, ...models };
    for (const [name, raw] of Object.entries(all)) {
      let schema: unknown = raw;
      if (typeof raw === 'string') {
        try {
          schema = JSON.parse(raw);
        } catch (e) {
          throw new InvalidModelError(name, `schema is not JSON (${(e as Error).message})`);
        }
      }
      if (!isObject(schema)) throw new InvalidModelError(name, 'schema must be a JSON object');
      try {
        this.ajv.addSchema({ ...(draft04ToDraft07(schema) as object), $id: modelId(name) });
      } catch (e) {
        throw new InvalidModelError(name, (e as Error).message);
      }
      this.names.add(name);
    }
  }

  /**
   * Builds the registry from the AWS::ApiGateway::Model resources of a (resolved) template.
   * Models are registered under their Name, and under their logical id (what `{Ref}` gives when
   * Name is absent).
   */
  static fromTemplate(resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>, restApiLogicalId?: string): ModelRegistry {
    const models: Record<string, unknown> = {};
    for (const [logicalId, resource] of Object.entries(resources)) {
      if (resource.Type !== 'AWS::ApiGateway::Model') continue;
      const p = resource.Properties ?? {};
      const api = p.RestApiId;
      if (restApiLogicalId && api !== restApiLogicalId && (api as { Ref?: string } | undefined)?.Ref !== restApiLogicalId) continue;
      const schema = p.Schema ?? EMPTY_MODEL_SCHEMA;
      models[typeof p.Name === 'string' ? p.Name : logicalId] = schema;
      if (typeof p.Name === 'string' && p.Name !== logicalId) models[logicalId] = schema;
    }
    return new ModelRegistry(models);
  }

  has(name: string): boolean {
    return this.names.has(name);
  }

  /** The validator of a model. @throws InvalidModelError for an unknown model or a broken `$ref`. */
  validator(name: string): ValidateFunction {
    let fn = this.compiled.get(name);
    if (!fn) {
      if (!this.names.has(name)) throw new InvalidModelError(name, 'no such model');
      try {
        fn = this.ajv.getSchema(modelId(name));
      } catch (e) {
        throw new InvalidModelError(name, (e as Error).message);
      }
      if (!fn) throw new InvalidModelError(name, 'could not compile');
      this.compiled.set(name, fn);
    }
    return fn;
  }
}

function headerValue(request: ValidationRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(request.headers ?? {})) if (k.toLowerCase() === lower) return v;
  for (const [k, v] of Object.entries(request.multiValueHeaders ?? {})) if (k.toLowerCase() === lower) return v.join(',');
  return undefined;
}

function queryValue(request: ValidationRequest, name: string): string | undefined {
  if (request.queryStringParameters && Object.prototype.hasOwnProperty.call(request.queryStringParameters, name)) {
    return request.queryStringParameters[name];
  }
  const multi = request.multiValueQueryStringParameters?.[name];
  return multi && multi.length > 0 ? multi.join(',') : undefined;
}

/** Required parameters (in declaration order) that are absent or blank. */
export function missingRequiredParameters(spec: MethodRequestSpec, request: ValidationRequest): string[] {
  const missing: string[] = [];
  for (const [key, required] of Object.entries(spec.requestParameters ?? {})) {
    if (!required) continue;
    const m = /^method\.request\.(path|querystring|header|multivaluequerystring|multivalueheader)\.(.+)$/.exec(key);
    if (!m) continue;
    const [, where, name] = m;
    let value: string | undefined;
    if (where === 'path') value = request.pathParameters?.[name];
    else if (where === 'querystring' || where === 'multivaluequerystring') value = queryValue(request, name);
    else value = headerValue(request, name);
    if (value === undefined || value.trim() === '') missing.push(name);
  }
  return missing;
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v === 'object' ? 'object' : typeof v;
}

/**
 * The validation report, phrased as fge json-schema-validator (the validator behind AWS models) words it: its
 * messages bundle, e.g. `object has missing required properties (["a","b"])`, `object instance has properties
 * which are not allowed by the schema: ["x"]`. Like AWS's report, a line does not say where in the body it is.
 */
function describe(errors: ErrorObject[]): string[] {
  const lines: string[] = [];
  const requiredByPath = new Map<string, string[]>();
  const additionalByPath = new Map<string, string[]>();
  for (const e of errors) {
    if (e.keyword === 'required') {
      const list = requiredByPath.get(e.instancePath) ?? [];
      list.push((e.params as { missingProperty: string }).missingProperty);
      requiredByPath.set(e.instancePath, list);
    } else if (e.keyword === 'additionalProperties') {
      const list = additionalByPath.get(e.instancePath) ?? [];
      list.push((e.params as { additionalProperty: string }).additionalProperty);
      additionalByPath.set(e.instancePath, list);
    }
  }
  for (const list of requiredByPath.values()) lines.push(`object has missing required properties (${JSON.stringify([...list].sort())})`);
  for (const list of additionalByPath.values()) {
    lines.push(`object instance has properties which are not allowed by the schema: ${JSON.stringify([...list].sort())}`);
  }
  for (const e of errors) {
    const p = e.params as Record<string, unknown>;
    const data = e.data;
    switch (e.keyword) {
      case 'required':
      case 'additionalProperties':
        break;
      case 'type':
        lines.push(
          `instance type (${jsonType(data)}) does not match any allowed primitive type (allowed: ${JSON.stringify(
            String(p.type).split(','),
          )})`,
        );
        break;
      case 'enum':
        lines.push(`instance value (${JSON.stringify(data)}) not found in enum (possible values: ${JSON.stringify(p.allowedValues)})`);
        break;
      case 'maximum':
        lines.push(`numeric instance is greater than the required maximum (maximum: ${p.limit}, found: ${data})`);
        break;
      case 'exclusiveMaximum':
        lines.push(`numeric instance is not strictly lower than the required maximum ${p.limit}`);
        break;
      case 'minimum':
        lines.push(`numeric instance is lower than the required minimum (minimum: ${p.limit}, found: ${data})`);
        break;
      case 'exclusiveMinimum':
        lines.push(`numeric instance is not strictly greater than the required minimum ${p.limit}`);
        break;
      case 'maxLength':
        lines.push(`string ${JSON.stringify(data)} is too long (length: ${String(data).length}, maximum allowed: ${p.limit})`);
        break;
      case 'minLength':
        lines.push(`string ${JSON.stringify(data)} is too short (length: ${String(data).length}, required minimum: ${p.limit})`);
        break;
      case 'pattern':
        lines.push(`ECMA 262 regex ${JSON.stringify(p.pattern)} does not match input string ${JSON.stringify(data)}`);
        break;
      case 'maxItems':
        lines.push(`array is too long: must have at most ${p.limit} elements but instance has ${(data as unknown[]).length} elements`);
        break;
      case 'minItems':
        lines.push(`array is too short: must have at least ${p.limit} elements but instance has ${(data as unknown[]).length} elements`);
        break;
      case 'uniqueItems':
        lines.push('array must not contain duplicate elements');
        break;
      case 'format': {
        const what: Record<string, string> = { email: 'a valid email address', hostname: 'a valid hostname', ipv4: 'a valid IPv4 address', ipv6: 'a valid IPv6 address', uri: 'a valid URI' };
        const format = String(p.format);
        lines.push(what[format] ? `string ${JSON.stringify(data)} is not ${what[format]}` : `string ${JSON.stringify(data)} is invalid against requested date format(s) ${format}`);
        break;
      }
      case 'multipleOf':
        lines.push(`remainder of division is not zero (${data} / ${p.multipleOf})`);
        break;
      case 'maxProperties':
        lines.push(`object has too many properties (found ${Object.keys(data as object).length} but schema requires at most ${p.limit})`);
        break;
      case 'minProperties':
        lines.push(`object has too few properties (found ${Object.keys(data as object).length} but schema requires at least ${p.limit})`);
        break;
      case 'oneOf': {
        const passing = (p as { passingSchemas?: number[] | null }).passingSchemas;
        lines.push(`instance failed to match exactly one schema (matched ${passing ? passing.length : 0} out of ${(e.schema as unknown[]).length})`);
        break;
      }
      case 'anyOf':
        lines.push(`instance failed to match at least one required schema among ${(e.schema as unknown[]).length}`);
        break;
      case 'not':
        lines.push('instance matched a schema which it should not have');
        break;
      default:
        lines.push(`${e.instancePath || '/'} ${e.message ?? e.keyword}`);
    }
  }
  return lines;
}

/** The model applying to a request: by Content-Type, then `$default`, then the built-in Empty model. */
export function modelFor(spec: MethodRequestSpec, contentType: string | undefined): string {
  const models = spec.requestModels ?? {};
  const type = mediaType(contentType) ?? 'application/json';
  const key = Object.keys(models).find((k) => k.toLowerCase() === type);
  return key !== undefined ? models[key] : (models.$default ?? 'Empty');
}

/** Validates a body against a model; returns the fge-style report lines (empty when valid). */
export function validateBody(models: ModelRegistry, modelName: string, body: string | null | undefined): string[] {
  let instance: unknown;
  try {
    instance = JSON.parse(body === undefined || body === null || body === '' ? '{}' : body);
  } catch (e) {
    return [`Unable to parse the request body as JSON: ${(e as Error).message}`];
  }
  const validate = models.validator(modelName);
  return validate(instance) ? [] : describe(validate.errors ?? []);
}

/**
 * Runs the method's request validator.
 * @throws GatewayResponseError BAD_REQUEST_PARAMETERS or BAD_REQUEST_BODY.
 */
export function validateRequest(spec: MethodRequestSpec, request: ValidationRequest, models: ModelRegistry): void {
  const validator = spec.requestValidator;
  if (!validator) return;
  if (validator.validateRequestParameters) {
    const missing = missingRequiredParameters(spec, request);
    if (missing.length > 0) {
      const message = `Missing required request parameters: [${missing.join(', ')}]`;
      throw new GatewayResponseError('BAD_REQUEST_PARAMETERS', message, message);
    }
  }
  if (validator.validateRequestBody) {
    const contentType = headerValue(request, 'content-type');
    const problems = validateBody(models, modelFor(spec, contentType), request.body);
    if (problems.length > 0) throw new GatewayResponseError('BAD_REQUEST_BODY', 'Invalid request body', `[${problems.join(', ')}]`);
  }
}

/**
 * Reads the validation settings of an AWS::ApiGateway::Method from a (resolved) template:
 * RequestParameters, RequestModels (`{Ref: Model}` → the model's Name or logical id) and the
 * RequestValidator it points to.
 */
export function methodRequestSpecFromTemplate(
  method: { Properties?: Record<string, unknown> },
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>,
): MethodRequestSpec {
  const p = method.Properties ?? {};
  const refName = (v: unknown): string | undefined => {
    if (typeof v === 'string') return v;
    const ref = (v as { Ref?: string } | undefined)?.Ref;
    if (!ref) return undefined;
    const target = resources[ref];
    return target && typeof target.Properties?.Name === 'string' ? (target.Properties.Name as string) : ref;
  };
  const requestModels: Record<string, string> = {};
  for (const [type, model] of Object.entries((p.RequestModels as Record<string, unknown>) ?? {})) {
    const name = refName(model);
    if (name) requestModels[type] = name;
  }
  const requestParameters: Record<string, boolean> = {};
  for (const [k, v] of Object.entries((p.RequestParameters as Record<string, unknown>) ?? {})) {
    requestParameters[k] = v === true || v === 'true';
  }
  let requestValidator: RequestValidator | undefined;
  const validatorRef = (p.RequestValidatorId as { Ref?: string } | undefined)?.Ref;
  const validatorResource = validatorRef ? resources[validatorRef] : undefined;
  if (validatorResource?.Type === 'AWS::ApiGateway::RequestValidator') {
    const vp = validatorResource.Properties ?? {};
    requestValidator = {
      validateRequestBody: vp.ValidateRequestBody === true || vp.ValidateRequestBody === 'true',
      validateRequestParameters: vp.ValidateRequestParameters === true || vp.ValidateRequestParameters === 'true',
    };
  }
  return { requestParameters, requestModels, ...(requestValidator ? { requestValidator } : {}) };
}
