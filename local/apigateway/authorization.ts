/**
 * Method authorization of the local REST API: each method's AuthorizationType (NONE, AWS_IAM,
 * COGNITO_USER_POOLS, CUSTOM) is checked by the authorizer the local cloud registers for that type,
 * before request validation, as API Gateway does. An authorizer either throws the GatewayResponseError
 * API Gateway would answer, or returns what it fills in `$context.identity` / `$context.authorizer`.
 */
import type { MappingContext, MappingIdentity } from './vtl';

export type AuthorizationType = 'NONE' | 'AWS_IAM' | 'COGNITO_USER_POOLS' | 'CUSTOM';

/** An AWS::ApiGateway::Authorizer of the template (resolved properties). */
export interface AuthorizerSpec {
  type: string;
  name?: string;
  /** Cognito: the user pool ARNs. */
  providerArns: string[];
  /** e.g. `method.request.header.Authorization`. */
  identitySource?: string;
}

export interface MethodAuthorization {
  type: AuthorizationType;
  authorizer?: AuthorizerSpec;
  /** Cognito: OAuth scopes the access token must hold (none: the ID token is expected). */
  scopes: string[];
}

/** The request as received, for an authorizer. */
export interface AuthorizationRequest {
  httpMethod: string;
  /** The path as the client sent it, with the stage and still percent-encoded (what SigV4 signs). */
  path: string;
  query: URLSearchParams;
  /** A header by name, whatever its spelling. */
  header(name: string): string | undefined;
  body: Buffer;
  authorization: MethodAuthorization;
}

/** What a successful authorization adds to the mapping context. */
export interface CallerContext {
  identity?: Partial<MappingIdentity>;
  authorizer?: MappingContext['authorizer'];
}

export type MethodAuthorizer = (request: AuthorizationRequest) => Promise<CallerContext>;

/** Authorizers by AuthorizationType; a type without one is not enforced (the local cloud warns). */
export type Authorizers = Partial<Record<Exclude<AuthorizationType, 'NONE'>, MethodAuthorizer>>;

/** The method's authorization, from its template properties and the template's authorizers (resolved). */
export function methodAuthorization(properties: Record<string, any>, authorizers: Record<string, AuthorizerSpec>): MethodAuthorization {
  const type = (properties.AuthorizationType ?? 'NONE') as AuthorizationType;
  const id = properties.AuthorizerId;
  return { type, authorizer: id === undefined ? undefined : authorizers[String(id)], scopes: properties.AuthorizationScopes ?? [] };
}
