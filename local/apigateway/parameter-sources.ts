/**
 * Which response-parameter mappings API Gateway accepts, so the local cloud refuses at start what a deploy
 * would refuse ("Invalid mapping expression specified: ...", CloudFormation rolls the stack back).
 *
 * Integration responses (method.response.header.NAME ← source), from AWS's "Parameter mapping source
 * reference for REST APIs": integration.response.header.NAME, integration.response.multivalueheader.NAME,
 * integration.response.body, integration.response.body.JSONPATH, stageVariables.NAME, context.NAME,
 * 'static value'.
 *
 * Gateway responses (gatewayresponse.header|querystring|path.NAME ← source): "any incoming request parameter
 * value or a static custom value" (x-amazon-apigateway-gateway-responses.gatewayResponse): the method
 * request's header, querystring or path parameters (multi-value forms too), stage variables, or 'static'.
 * No context variables and no integration values: a gateway response happens before or instead of the integration.
 */

const NAME = '[A-Za-z0-9._$-]+';
const STATIC = /^'[^']*'$/s;

const INTEGRATION_RESPONSE_SOURCES = [
  STATIC,
  new RegExp(`^integration\\.response\\.(header|multivalueheader)\\.${NAME}$`),
  /^integration\.response\.body$/,
  /^integration\.response\.body\.\S+$/,
  new RegExp(`^stageVariables\\.${NAME}$`),
  new RegExp(`^context\\.${NAME}$`),
];

const GATEWAY_RESPONSE_SOURCES = [
  STATIC,
  new RegExp(`^method\\.request\\.(header|querystring|path|multivalueheader|multivaluequerystring)\\.${NAME}$`),
  new RegExp(`^stageVariables\\.${NAME}$`),
];

/** Why API Gateway would refuse this integration response mapping, or undefined when it accepts it. */
export function integrationResponseParameterProblem(target: string, source: unknown): string | undefined {
  if (!new RegExp(`^method\\.response\\.header\\.${NAME}$`).test(target)) return `Invalid mapping expression parameter specified: ${target}`;
  if (typeof source !== 'string' || !INTEGRATION_RESPONSE_SOURCES.some((re) => re.test(source.trim()))) return `Invalid mapping expression specified: ${String(source)}`;
  return undefined;
}

/** Why API Gateway would refuse this gateway response mapping, or undefined when it accepts it. */
export function gatewayResponseParameterProblem(target: string, source: unknown): string | undefined {
  if (!new RegExp(`^gatewayresponse\\.(header|querystring|path)\\.${NAME}$`).test(target)) return `Invalid mapping expression parameter specified: ${target}`;
  if (typeof source !== 'string' || !GATEWAY_RESPONSE_SOURCES.some((re) => re.test(source.trim()))) return `Invalid mapping expression specified: ${String(source)}`;
  return undefined;
}

/** Throws like the deploy would fail, naming the resource and every refused mapping. */
export function assertAcceptedMappings(
  logicalId: string,
  parameters: Record<string, unknown> | undefined,
  problemOf: (target: string, source: unknown) => string | undefined,
): void {
  const problems = Object.entries(parameters ?? {})
    .map(([target, source]) => problemOf(target, source))
    .filter((p): p is string => p !== undefined);
  if (problems.length) throw new Error(`${logicalId}: API Gateway refuses this template: ${problems.join('; ')}`);
}
