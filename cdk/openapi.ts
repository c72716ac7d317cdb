/**
 * The API's OpenAPI document, built from the same sources as the stack: the resource declarations and their
 * JSON Schema models (itemModelSchema, and patchModelSchema for PATCH, as CrudResource makes them), the routes CrudResource and
 * RequestRecords create, the status codes the state machine and the mapping templates answer, and the auth
 * mode. One pure function: the stack serves its result (cdk/openapi-route.ts) and `npm run openapi` writes it.
 *
 * OpenAPI 3.0.3, not 3.1: 3.0.x is what API Gateway imports and exports, and what most client generators
 * handle best. Its Schema Object is not JSON Schema, so the draft-04 models are converted (toOpenApiSchema):
 * a `["string", "null"]` type becomes `nullable: true`, `$schema` is dropped.
 */
import type { AuthMode } from './auth';
import { PATCH_CONTENT_TYPES, itemModelSchema, patchModelSchema } from './crud-resource';
import { ResourceDeclaration } from './resources';

export interface OpenApiOptions {
  readonly resources: readonly ResourceDeclaration[];
  /** The stage, the first path segment of every URL (the server URL is `/<stage>`). */
  readonly stageName: string;
  /** How every route but the document itself is authorized. */
  readonly auth: AuthMode;
  /** Every route but the document itself also needs an `x-api-key` (usage plans). */
  readonly apiKeyRequired?: boolean;
  /** Stage throttling answers 429 (API Gateway's THROTTLED gateway response); true on the stack. */
  readonly throttled?: boolean;
  /** Responses carry X-Execution-Arn (the stack's debugHeaders setting). */
  readonly debugHeaders?: boolean;
  /** info.version: the package version. */
  readonly version?: string;
}

type Json = Record<string, unknown>;
export type OpenApiDocument = Json & { openapi: '3.0.3'; paths: Record<string, Record<string, OpenApiOperation>> };
export interface OpenApiOperation extends Json {
  operationId: string;
  responses: Record<string, Json>;
}

/** Where the document is served, relative to the stage. */
export const OPENAPI_PATH = '/openapi.json';

/** The reason phrases of the status codes the API answers, the `title` of their problem JSON. */
const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Why each problem status occurs, per kind of route; the contract test provokes every one of them. */
const WHY: Record<string, string> = {
  400: 'The body does not match the model (API Gateway, before any execution), or the query is invalid.',
  401: 'No token, or a token the user pool did not issue or that expired.',
  403: 'Not signed (SigV4), signed with unknown credentials or a wrong signature, not allowed, or a missing or unknown API key.',
  404: 'No item with this id (or it was deleted); for a request record, a request another caller made.',
  405: 'The method is not supported on this path; `Allow` lists those that are.',
  409: 'The item already exists, a newer write won, the item changed meanwhile, or a request with this Idempotency-Key is still running (`Retry-After`).',
  412: '`If-Match` does not match the current ETag.',
  413: 'The body is over 102,400 bytes of UTF-8 (or the request over 10 MB).',
  415: 'The body is not `application/json`.',
  422: 'The body is not an object, sets a server-owned attribute, has a bad or mismatching key, the table refused the item, or the Idempotency-Key was used for another request.',
  429: 'Throttled: the stage or usage plan limit was reached.',
  500: 'The execution failed; nothing more is said (look up the request id in the Step Functions console).',
  502: 'The workflow could not be started; nothing was written.',
  503: 'The table or the workflow service is busy or unavailable; retry after `Retry-After`.',
  504: 'The execution timed out.',
};

/**
 * Statuses API Gateway may answer itself (gateway responses), without X-Request-Id: their headers can only be
 * static values or request parameters (cdk/stack.ts); the request id is in the body.
 */
const GATEWAY_ORIGIN = new Set([400, 401, 403, 413, 415, 429]);

/** What every execution route can answer whatever it does: the VTLs' error branches and API Gateway's own. */
const EXECUTION_FAILURES = [500, 502, 503, 504];

type Route = 'list' | 'create' | 'get' | 'replace' | 'patch' | 'delete';

/** The problem statuses each route answers (read from statemachines/crud-resource.asl.json and cdk/vtl). */
const ROUTE_PROBLEMS: Record<Route, number[]> = {
  list: [400, ...EXECUTION_FAILURES],
  create: [400, 409, 413, 415, 422, ...EXECUTION_FAILURES],
  get: [404, ...EXECUTION_FAILURES],
  replace: [400, 404, 409, 412, 413, 415, 422, ...EXECUTION_FAILURES],
  patch: [400, 404, 409, 412, 413, 415, 422, ...EXECUTION_FAILURES],
  delete: [404, 409, 412, 422, ...EXECUTION_FAILURES],
};

export function buildOpenApiDocument(options: OpenApiOptions): OpenApiDocument {
  const secured = options.auth !== 'none' || options.apiKeyRequired === true;
  // IAM: unsigned or badly signed → 403 (MISSING_AUTHENTICATION_TOKEN, INVALID_SIGNATURE...); Cognito: no or a bad token → 401.
  const accessProblems = [...(options.auth === 'iam' ? [403] : options.auth === 'cognito' ? [401] : []), ...(options.apiKeyRequired ? [403] : [])];
  const gatewayProblems = [...new Set([...accessProblems, ...(options.throttled ? [429] : [])])];
  const schemas: Record<string, Json> = { Problem: PROBLEM_SCHEMA, Queued: QUEUED_SCHEMA, RequestRecord: REQUEST_RECORD_SCHEMA };
  const paths: OpenApiDocument['paths'] = {};

  for (const declaration of options.resources) {
    const model = modelName(declaration.name);
    const singular = model.endsWith('s') ? model.slice(0, -1) : model;
    const item = `${model}Item`;
    schemas[model] = toOpenApiSchema(itemModelSchema(declaration));
    schemas[`${model}Patch`] = toOpenApiSchema(patchModelSchema(declaration, `${model}Patch`));
    schemas[item] = itemSchema(declaration, model);
    schemas[`${model}Page`] = {
      type: 'object',
      description: 'One page: at most `limit` items and at most 102,400 bytes of them; `next` is null at the end.',
      properties: { items: { type: 'array', items: ref(item) }, next: { type: 'string', nullable: true, description: 'The cursor of the following page.' } },
      required: ['items', 'next'],
      additionalProperties: false,
    };
    const problems = (route: Route) => [...ROUTE_PROBLEMS[route], ...gatewayProblems];
    const tags = [declaration.name];
    const body = (schema: string, types: string[]) => ({
      required: true,
      content: Object.fromEntries(types.map((t) => [t, { schema: ref(schema) }])),
    });
    const writeResponses = (success: Json) => ({ ...success, 202: queuedResponse() });

    paths[`/${declaration.name}`] = {
      get: operation(`list${model}`, `List ${declaration.name}, one page at a time`, tags, problems('list'), {
        parameters: [ref('Limit', 'parameters'), ref('Next', 'parameters')],
        responses: { 200: jsonResponse('A page of items.', ref(`${model}Page`)) },
      }),
      post: operation(`create${singular}`, `Create an item (its ${declaration.key} is optional: the server assigns one)`, tags, problems('create'), {
        parameters: [ref('IdempotencyKey', 'parameters')],
        requestBody: body(model, ['application/json']),
        responses: writeResponses({ 201: jsonResponse('Created.', ref(item), { ETag: true, Location: true }) }),
      }),
      ...notAllowed(declaration.name, model, ['put', 'patch', 'delete'], 'GET, POST, OPTIONS', gatewayProblems),
    };
    paths[`/${declaration.name}/{id}`] = {
      get: operation(`get${singular}`, 'Read an item', tags, problems('get'), {
        parameters: [ref('Id', 'parameters'), ref('IfNoneMatch', 'parameters')],
        responses: {
          200: jsonResponse('The item.', ref(item), { ETag: true }),
          304: { description: 'Not modified: `If-None-Match` matches the current ETag. No body.', headers: headers({ ETag: true }) },
        },
      }),
      put: operation(`replace${singular}`, 'Replace an item', tags, problems('replace'), {
        parameters: [ref('Id', 'parameters'), ref('IfMatch', 'parameters'), ref('IdempotencyKey', 'parameters')],
        requestBody: body(model, ['application/json']),
        responses: writeResponses({ 200: jsonResponse('Replaced.', ref(item), { ETag: true }) }),
      }),
      patch: operation(`patch${singular}`, 'Change some attributes of an item (JSON Merge Patch, RFC 7396)', tags, problems('patch'), {
        parameters: [ref('Id', 'parameters'), ref('IfMatch', 'parameters'), ref('IdempotencyKey', 'parameters')],
        requestBody: body(`${model}Patch`, [...PATCH_CONTENT_TYPES]),
        responses: writeResponses({ 200: jsonResponse('Patched.', ref(item), { ETag: true }) }),
      }),
      delete: operation(`delete${singular}`, 'Delete an item', tags, problems('delete'), {
        parameters: [ref('Id', 'parameters'), ref('IfMatch', 'parameters'), ref('IdempotencyKey', 'parameters')],
        responses: writeResponses({ 204: { description: 'Deleted. No body.', headers: headers({}) } }),
      }),
      ...notAllowed(`${declaration.name}/{id}`, singular, ['post'], 'GET, PUT, PATCH, DELETE, OPTIONS', gatewayProblems, true),
    };
  }

  paths['/requests/{id}'] = {
    // 404: the record belongs to another caller (cdk/vtl/request-record.response.vtl); 503: the table could not be read.
    get: operation('getRequest', 'Follow a request answered 202: queued, applied, rejected or unknown', ['requests'], [404, 503, ...gatewayProblems], {
      parameters: [{ ...ref('Id', 'parameters'), description: 'The `requestId` of the 202 (the last segment of its `Location`).' } as Json],
      responses: {
        200: jsonResponse('The request record; `Retry-After` while it is not final.', ref('RequestRecord'), { 'Retry-After': false }),
      },
    }),
  };
  paths[OPENAPI_PATH] = {
    get: {
      operationId: 'getOpenApiDocument',
      summary: 'This document',
      tags: ['meta'],
      security: [],
      responses: {
        200: { description: 'The OpenAPI document of this API.', content: { 'application/json': { schema: { type: 'object' } } } },
        ...(options.throttled ? problemResponses([429]) : {}),
      },
    },
  };

  const document: OpenApiDocument = {
    openapi: '3.0.3',
    info: {
      title: 'Storage-first CRUD API',
      version: options.version ?? '0.0.0',
      description:
        'Every method of every resource runs one synchronous Express execution of the resource\'s state machine. ' +
        'A write that cannot be stored now is kept and answered 202 with a `Location` to follow (`GET /requests/{id}`). ' +
        'Errors are problem JSON (RFC 9457). Items carry `version`, also their `ETag`.',
    },
    servers: [{ url: `/${options.stageName}`, description: 'The stage, relative to where this document is served.' }],
    ...(secured ? { security: [securityRequirement(options)] } : {}),
    tags: [
      ...options.resources.map((r) => ({ name: r.name, description: `The ${r.name} resource (key \`${r.key}\`).` })),
      { name: 'requests', description: 'Requests answered 202, as resources.' },
      { name: 'meta', description: 'This document.' },
    ],
    paths,
    components: {
      schemas,
      responses: problemComponents(usedProblemStatuses(paths)),
      parameters: PARAMETERS,
      headers: HEADERS,
      ...(secured ? { securitySchemes: securitySchemes(options) } : {}),
    },
  };
  return options.debugHeaders ? document : withoutHeader(document, 'X-Execution-Arn');
}

/** Every status some operation answers with a problem response. */
function usedProblemStatuses(paths: OpenApiDocument['paths']): number[] {
  const refs = Object.values(paths).flatMap((p) => Object.values(p).flatMap((o) => Object.values(o.responses)));
  return refs.map((r) => /^#\/components\/responses\/Problem(\d{3})$/.exec(String(r.$ref))?.[1]).filter((x): x is string => x !== undefined).map(Number);
}

/** The document without one response header (X-Execution-Arn when the stack does not send it). */
function withoutHeader(document: OpenApiDocument, name: string): OpenApiDocument {
  const strip = (node: unknown, parentKey?: string): unknown => {
    if (Array.isArray(node)) return node.map((n) => strip(n));
    if (typeof node !== 'object' || node === null) return node;
    const entries = Object.entries(node).filter(([k]) => !(parentKey === 'headers' && k === name));
    return Object.fromEntries(entries.map(([k, v]) => [k, strip(v, k)]));
  };
  return strip(document) as OpenApiDocument;
}

/** API Gateway's model name of a resource: `orders` → `Orders` (as CrudResource names it). */
export function modelName(resourceName: string): string {
  return resourceName.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/**
 * A draft-04 JSON Schema (an API Gateway model) as an OpenAPI 3.0 Schema Object. Throws on what 3.0 cannot say
 * (several non-null types, patternProperties), so a model change that the document cannot follow fails loudly.
 */
export function toOpenApiSchema(schema: unknown): Json {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) throw new Error(`Not a schema: ${JSON.stringify(schema)}`);
  const { $schema: _draft, id: _id, type, anyOf, ...rest } = schema as Json;
  if ('patternProperties' in rest) throw new Error('OpenAPI 3.0 has no patternProperties');
  const out: Json = {};
  if (type !== undefined) {
    const types = [type].flat() as string[];
    const nonNull = types.filter((t) => t !== 'null');
    if (nonNull.length !== 1) throw new Error(`OpenAPI 3.0 needs exactly one non-null type, got ${JSON.stringify(type)}`);
    out.type = nonNull[0];
    if (types.includes('null')) out.nullable = true;
  }
  if (Array.isArray(anyOf)) {
    const nonNull = anyOf.filter((s) => !(typeof s === 'object' && s !== null && (s as Json).type === 'null'));
    if (nonNull.length === 1 && nonNull.length < anyOf.length && !('$ref' in (nonNull[0] as Json))) {
      Object.assign(out, toOpenApiSchema(nonNull[0]), { nullable: true });
    } else {
      out.anyOf = anyOf.map(toOpenApiSchema);
      if (nonNull.length < anyOf.length) throw new Error('OpenAPI 3.0 cannot say anyOf with null here');
    }
  }
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties') out.properties = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toOpenApiSchema(v)]));
    else if ((key === 'items' || key === 'not') && typeof value === 'object' && !Array.isArray(value)) out[key] = toOpenApiSchema(value);
    else if (key === 'additionalProperties' && typeof value === 'object') out[key] = toOpenApiSchema(value);
    else if (key === 'allOf' || key === 'oneOf') out[key] = (value as unknown[]).map(toOpenApiSchema);
    else out[key] = value;
  }
  return out;
}

/** An item as the API answers it: the stored body, its key, and the server-owned version and timestamps. */
function itemSchema(declaration: ResourceDeclaration, model: string): Json {
  const full = toOpenApiSchema(declaration.schema);
  const required = new Set([...((full.required as string[]) ?? []), declaration.key, 'version', 'createdAt', 'updatedAt']);
  return {
    ...full,
    title: `${model}Item`,
    description: `${(full.description as string) ?? model} As stored: with its key, version (also the ETag) and timestamps.`,
    properties: {
      ...(full.properties as Json),
      version: { type: 'integer', minimum: 1, description: 'Bumped by every write; the ETag is this number in quotes.' },
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
    },
    required: [...required],
  };
}

function ref(name: string, kind = 'schemas'): Json {
  return { $ref: `#/components/${kind}/${name}` };
}

/** Response headers: every response carries X-Request-Id; `true` marks a header that is always there. */
function headers(extra: Record<string, boolean>, requestIdAlways = true): Json {
  const requestId = requestIdAlways ? { ...HEADERS['X-Request-Id'], required: true } : ref('X-Request-Id', 'headers');
  const all: Json = { 'X-Request-Id': requestId, 'X-Execution-Arn': ref('X-Execution-Arn', 'headers') };
  for (const [name, required] of Object.entries(extra)) all[name] = required ? { ...(HEADERS[name] as Json), required: true } : ref(name, 'headers');
  return all;
}

function jsonResponse(description: string, schema: Json, extraHeaders: Record<string, boolean> = {}): Json {
  return { description, headers: headers(extraHeaders), content: { 'application/json': { schema } } };
}

function queuedResponse(): Json {
  return {
    description: 'Accepted, not yet stored (the table is unavailable, the circuit is open, or the API is read-only): follow `Location`.',
    headers: headers({ Location: true, 'Retry-After': true }),
    content: { 'application/json': { schema: ref('Queued') } },
  };
}

/** References to the shared problem responses (components.responses, named by status). */
function problemResponses(statuses: number[]): Record<string, Json> {
  return Object.fromEntries<Json>([...new Set(statuses)].sort((a, b) => a - b).map((status) => [String(status), ref(`Problem${status}`, 'responses')]));
}

/** One shared response per problem status the document uses. */
function problemComponents(statuses: Iterable<number>): Record<string, Json> {
  return Object.fromEntries<Json>(
    [...new Set(statuses)]
      .sort((a, b) => a - b)
      .map((status) => [
        `Problem${status}`,
        {
          description: `${TITLES[status]}. ${WHY[status]}`,
          headers: headers(status === 405 ? { Allow: true } : [409, 429, 503].includes(status) ? { 'Retry-After': false } : {}, !GATEWAY_ORIGIN.has(status)),
          content: { 'application/problem+json': { schema: ref('Problem') } },
        },
      ]),
  );
}

function operation(operationId: string, summary: string, tags: string[], problems: number[], parts: Json & { responses: Json }): OpenApiOperation {
  const { responses, ...rest } = parts;
  return { operationId, summary, tags, ...rest, responses: { ...(responses as Record<string, Json>), ...problemResponses(problems) } };
}

/** The methods API Gateway routes to the workflow only for it to answer 405 with `Allow`. */
function notAllowed(path: string, model: string, methods: string[], allow: string, gatewayProblems: number[], item = false): Record<string, OpenApiOperation> {
  return Object.fromEntries(
    methods.map((method) => [
      method,
      {
        operationId: `${method}${model}${item ? 'Item' : 'Collection'}NotAllowed`,
        summary: `Not allowed on /${path}: answers 405, Allow: ${allow}`,
        tags: [path.split('/')[0]],
        ...(item ? { parameters: [ref('Id', 'parameters')] } : {}),
        responses: problemResponses([405, ...EXECUTION_FAILURES, ...gatewayProblems]),
      },
    ]),
  );
}

function securitySchemes(options: OpenApiOptions): Json {
  const schemes: Json = {};
  if (options.auth === 'iam') {
    schemes.sigv4 = {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      description: 'AWS Signature Version 4 (service `execute-api`), e.g. `curl --aws-sigv4 "aws:amz:<region>:execute-api"`.',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    };
  }
  if (options.auth === 'cognito') {
    schemes.cognito = {
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      description: 'A Cognito user pool token (the ID token), sent as is in `Authorization`.',
      'x-amazon-apigateway-authtype': 'cognito_user_pools',
    };
  }
  if (options.apiKeyRequired) schemes.apiKey = { type: 'apiKey', name: 'x-api-key', in: 'header', description: 'The API key of a usage plan.' };
  return schemes;
}

function securityRequirement(options: OpenApiOptions): Json {
  return Object.fromEntries(Object.keys(securitySchemes(options)).map((name) => [name, []]));
}

const PROBLEM_SCHEMA: Json = {
  type: 'object',
  description: 'Problem details (RFC 9457). `status` is missing only from API Gateway\'s catch-all 4XX/5XX answers.',
  properties: {
    type: { type: 'string', enum: ['about:blank'] },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    requestId: { type: 'string', description: 'Also the X-Request-Id header and the execution name.' },
  },
  required: ['type', 'title', 'detail', 'requestId'],
};

const QUEUED_SCHEMA: Json = {
  type: 'object',
  description: 'A write kept for replay; GET `location` tells what became of it.',
  properties: {
    requestId: { type: 'string' },
    status: { type: 'string', enum: ['queued'] },
    reason: { type: 'string', description: 'Why it was queued: ReadOnlyMode, FlagsUnavailable, CircuitOpen, RetryBudgetExhausted, a DynamoDB error name, or Unknown.' },
    location: { type: 'string', description: '/<stage>/requests/<requestId>' },
  },
  required: ['requestId', 'status', 'reason', 'location'],
  additionalProperties: false,
};

const nullableString = { type: 'string', nullable: true };
const REQUEST_RECORD_SCHEMA: Json = {
  type: 'object',
  description: 'A request answered 202 (docs/requests.md). An id with no record yet reads as `unknown`, with a `detail`.',
  properties: {
    requestId: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'applied', 'rejected', 'unknown'] },
    detail: { type: 'string', description: 'Only when unknown.' },
    resource: nullableString,
    method: nullableString,
    path: nullableString,
    receivedAt: nullableString,
    queuedAt: nullableString,
    reason: nullableString,
    lastAttemptAt: nullableString,
    finishedAt: nullableString,
    attempts: { type: 'integer', minimum: 0 },
    lastAttempt: { type: 'object', nullable: true, description: 'The last replay\'s answer, as stored.' },
    outcome: { type: 'object', nullable: true, description: 'The final answer: statusCode, headers, body.' },
  },
  required: ['requestId', 'status'],
};

const PARAMETERS: Record<string, Json> = {
  Id: { name: 'id', in: 'path', required: true, description: 'The item\'s key.', schema: { type: 'string', minLength: 1 } },
  Limit: { name: 'limit', in: 'query', required: false, description: 'Items per page, 1–100 (default 20).', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
  Next: { name: 'next', in: 'query', required: false, description: 'The `next` cursor of the previous page.', schema: { type: 'string' } },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description: 'Write only if the item\'s current ETag is one of these (`"3"`), or if it exists (`*`); else 412.',
    schema: { type: 'string' },
  },
  IfNoneMatch: { name: 'If-None-Match', in: 'header', required: false, description: '304 when the current ETag is one of these (or `*`).', schema: { type: 'string' } },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description: 'A retry with the same key gets the first answer and is never applied twice (docs/idempotency.md); on POST the key also derives the new id.',
    schema: { type: 'string' },
  },
};

const HEADERS: Record<string, Json> = {
  'X-Request-Id': { description: 'API Gateway\'s request id, also the execution name.', schema: { type: 'string' } },
  'X-Execution-Arn': { description: 'The execution that answered (a debugging aid).', schema: { type: 'string' } },
  ETag: { description: 'The item\'s version in quotes, e.g. `"3"`.', schema: { type: 'string', pattern: '^"[0-9]+"$' } },
  Location: { description: 'The new item, or for a 202 the request to follow (`/<stage>/requests/<requestId>`).', schema: { type: 'string' } },
  'Retry-After': { description: 'Seconds to wait before asking again.', schema: { type: 'integer', minimum: 0 } },
  Allow: { description: 'The methods this path supports.', schema: { type: 'string' } },
};
