/**
 * Integration request/response handling of a non-proxy REST API integration:
 * - which request template applies (Content-Type + PassthroughBehavior),
 * - which IntegrationResponse applies (SelectionPattern, a Java regex that must match the whole
 *   selection value: the error message for Lambda, the status code for HTTP/AWS/MOCK),
 * - which response template applies (Accept header, `application/json` default, else the first),
 * - ResponseParameters (`method.response.header.X` ← `integration.response.header.Y`, body, JSONPath,
 *   `'static'`, `context.*`, `stageVariables.*`),
 * - and the method response once the template ran, with `$context.responseOverride` applied.
 *
 * Source for the template rules: AWS "Amazon API Gateway API request and response data mapping
 * reference" (Select a VTL mapping template); passthrough: "Integration passthrough behaviors".
 */
import { GatewayResponseError } from './gateway-responses';
import { MappingRequest, RenderOptions, renderMappingTemplate } from './vtl';
import { javaMatches } from './vtl/java-regex';
import { evaluateJsonPath } from './vtl/jsonpath';
import { parsePayloadReadOnly } from './vtl/variables';
import { toJsonText } from './vtl/java-values';
import { findTemplate, mediaType, selectResponseTemplate } from './media-types';

export { mediaType, selectResponseTemplate } from './media-types';

/** An entry of AWS::ApiGateway::Method Integration.IntegrationResponses. */
export interface IntegrationResponse {
  StatusCode: string | number;
  SelectionPattern?: string;
  ResponseParameters?: Record<string, string>;
  ResponseTemplates?: Record<string, string>;
  ContentHandling?: string;
}

export type PassthroughBehavior = 'WHEN_NO_MATCH' | 'WHEN_NO_TEMPLATES' | 'NEVER';

export type RequestTemplateSelection =
  | { kind: 'template'; contentType: string; template: string }
  | { kind: 'passthrough' }
  /** API Gateway answers 415 Unsupported Media Type. */
  | { kind: 'unsupported' };

/**
 * Picks the integration request template. Without a Content-Type, API Gateway assumes
 * `application/json`. No template for the type: WHEN_NO_MATCH passes the body through;
 * WHEN_NO_TEMPLATES passes through only when no template at all is defined; NEVER rejects (415).
 */
export function selectRequestTemplate(
  templates: Record<string, string> | undefined,
  contentType: string | undefined,
  passthroughBehavior: PassthroughBehavior = 'WHEN_NO_MATCH',
): RequestTemplateSelection {
  const all = templates ?? {};
  const match = findTemplate(all, mediaType(contentType) ?? 'application/json');
  if (match) return { kind: 'template', contentType: match[0], template: match[1] };
  if (passthroughBehavior === 'WHEN_NO_MATCH') return { kind: 'passthrough' };
  if (passthroughBehavior === 'WHEN_NO_TEMPLATES' && Object.keys(all).length === 0) return { kind: 'passthrough' };
  return { kind: 'unsupported' };
}

/**
 * Picks the IntegrationResponse: the first whose SelectionPattern (Java regex) matches the whole
 * selection value, else the default one (no or empty SelectionPattern). For Lambda integrations,
 * pass the function's errorMessage when it failed and undefined when it succeeded (patterns only
 * apply to errors). Undefined when nothing applies (API Gateway then answers 500).
 */
export function selectIntegrationResponse(
  responses: IntegrationResponse[] | undefined,
  selectionValue: string | undefined,
): IntegrationResponse | undefined {
  const all = responses ?? [];
  const isDefault = (r: IntegrationResponse) => r.SelectionPattern === undefined || r.SelectionPattern === '';
  if (selectionValue !== undefined) {
    const matched = all.find((r) => !isDefault(r) && javaMatches(selectionValue, r.SelectionPattern!));
    if (matched) return matched;
  }
  return all.find(isDefault);
}

/** The integration's answer, as the response mapping sees it. */
export interface IntegrationResult {
  /** HTTP status of the integration (AWS service / HTTP / MOCK), or 200 for Lambda. */
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  body: string;
}

function headerValue(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  const lower = name.toLowerCase();
  const key = Object.keys(headers).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : headers[key];
}

function lookupContext(context: Record<string, unknown> | undefined, dotted: string): string | undefined {
  let node: unknown = context;
  for (const key of dotted.split('.')) {
    if (node === null || node === undefined || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (node === null || node === undefined) return undefined;
  return typeof node === 'object' ? JSON.stringify(node) : String(node);
}

/**
 * Evaluates IntegrationResponse.ResponseParameters into method response headers.
 * Sources: `'static'`, `integration.response.header.X`, `integration.response.multivalueheader.X`
 * (comma-joined), `integration.response.body`, `integration.response.body.<JSONPath without $.>`,
 * `context.X`, `stageVariables.X`. Unresolvable sources give no header.
 */
export function mapResponseParameters(
  parameters: Record<string, string> | undefined,
  integration: IntegrationResult,
  request: MappingRequest,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [target, rawSource] of Object.entries(parameters ?? {})) {
    const m = /^method\.response\.header\.(.+)$/.exec(target);
    if (!m) continue;
    const source = rawSource.trim();
    let value: string | undefined;
    if (source.length >= 2 && source.startsWith("'") && source.endsWith("'")) {
      value = source.slice(1, -1);
    } else if (source.startsWith('integration.response.header.')) {
      const name = source.slice('integration.response.header.'.length);
      value = headerValue(integration.headers, name);
      if (value === undefined) {
        const multi = integration.multiValueHeaders?.[Object.keys(integration.multiValueHeaders ?? {}).find((k) => k.toLowerCase() === name.toLowerCase()) ?? ''];
        value = multi?.[multi.length - 1];
      }
    } else if (source.startsWith('integration.response.multivalueheader.')) {
      const name = source.slice('integration.response.multivalueheader.'.length).toLowerCase();
      const key = Object.keys(integration.multiValueHeaders ?? {}).find((k) => k.toLowerCase() === name);
      value = key ? integration.multiValueHeaders![key].join(',') : headerValue(integration.headers, name);
    } else if (source === 'integration.response.body') {
      value = integration.body;
    } else if (source.startsWith('integration.response.body.')) {
      try {
        const found = evaluateJsonPath(parsePayloadReadOnly(integration.body || '{}'), `$.${source.slice('integration.response.body.'.length)}`);
        if (found.found && found.value !== null) value = typeof found.value === 'string' ? found.value : toJsonText(found.value);
      } catch {
        value = undefined;
      }
    } else if (source.startsWith('context.')) {
      value = lookupContext(request.context, source.slice('context.'.length));
    } else if (source.startsWith('stageVariables.')) {
      value = request.stageVariables?.[source.slice('stageVariables.'.length)];
    }
    if (value !== undefined) headers[m[1]] = value;
  }
  return headers;
}

export interface MethodResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  /** The IntegrationResponse that was applied. */
  integrationResponse: IntegrationResponse;
}

/**
 * Turns an integration result into the method response: selects the IntegrationResponse, maps
 * headers, renders the response template (or passes the body through), then applies
 * `$context.responseOverride` (status and headers win over the mapping).
 * @param request the method request (for `$input.params()`, `$context`, `$stageVariables`); its body is ignored.
 * @throws GatewayResponseError API_CONFIGURATION_ERROR when no IntegrationResponse applies.
 * @throws MappingTemplateError when the response template fails.
 */
export function buildMethodResponse(args: {
  integrationResponses: IntegrationResponse[] | undefined;
  /** See {@link selectIntegrationResponse}; defaults to the integration status code. */
  selectionValue?: string;
  integration: IntegrationResult;
  request: MappingRequest;
  accept?: string;
  renderOptions?: RenderOptions;
}): MethodResponse {
  const selectionValue = args.selectionValue ?? String(args.integration.statusCode);
  const selected = selectIntegrationResponse(args.integrationResponses, selectionValue);
  if (!selected) {
    throw new GatewayResponseError(
      'API_CONFIGURATION_ERROR',
      'Internal server error',
    );
  }
  let statusCode = Number(selected.StatusCode);
  const headers = mapResponseParameters(selected.ResponseParameters, args.integration, args.request);
  const template = selectResponseTemplate(selected.ResponseTemplates, args.accept);
  let body = args.integration.body;
  let contentType = 'application/json';
  if (template) {
    contentType = template.contentType;
    if (template.template !== '') {
      const rendered = renderMappingTemplate(template.template, { ...args.request, body: args.integration.body }, args.renderOptions);
      body = rendered.body;
      if (rendered.responseOverride.status !== undefined) statusCode = rendered.responseOverride.status;
      for (const [name, value] of Object.entries(rendered.responseOverride.headers)) {
        const existing = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
        if (existing !== undefined) delete headers[existing];
        headers[name] = value;
      }
    }
  }
  if (headerValue(headers, 'content-type') === undefined) headers['Content-Type'] = contentType;
  return { statusCode, headers, body, integrationResponse: selected };
}
