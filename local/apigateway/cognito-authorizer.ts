/**
 * COGNITO_USER_POOLS authorization of the local REST API, as API Gateway runs it:
 *
 * - the token is read from the authorizer's identity source (`method.request.header.Authorization`), raw or
 *   after `Bearer `;
 * - its issuer must be one of the authorizer's user pools, its RS256 signature must verify against that pool's
 *   JWKS and it must not be expired on the cloud's clock (jose);
 * - a method without OAuth scopes takes the ID token; a method with AuthorizationScopes takes an access token
 *   whose `scope` holds at least one of them (AWS: "If there are no scopes defined the authorizer requires the
 *   ID token");
 * - anything else is 401 UNAUTHORIZED `{"message":"Unauthorized"}` (then the template's gateway response).
 *
 * The token's claims reach the templates as `$context.authorizer.claims.*`, every value a string, with `exp` and
 * `iat` written as Java dates (`Tue Dec 08 06:00:00 UTC 2026`) as the REST API passes them.
 */
import type { AuthorizationRequest, CallerContext, MethodAuthorizer } from './authorization';
import { GatewayResponseError } from './gateway-responses';
import { JSONWebKeySet, JWTPayload, jose } from '../cognito/jose';

/** The user pools' issuers and keys (the local Cognito). */
export interface UserPoolKeys {
  issuer(poolId: string): string;
  jwks(poolId: string): JSONWebKeySet | undefined;
}

export function cognitoAuthorizer(pools: UserPoolKeys, now: () => Date): MethodAuthorizer {
  return async (request: AuthorizationRequest): Promise<CallerContext> => {
    const spec = request.authorization.authorizer;
    if (!spec) throw new GatewayResponseError('AUTHORIZER_CONFIGURATION_ERROR', 'Internal server error');
    const token = tokenOf(request, spec.identitySource);
    const payload = await verify(token, spec.providerArns, pools, now());
    const scopes = request.authorization.scopes;
    if (scopes.length === 0) {
      if (payload.token_use !== 'id') throw unauthorized();
    } else {
      const granted = new Set(String(payload.scope ?? '').split(' '));
      if (payload.token_use !== 'access' || !scopes.some((s) => granted.has(s))) throw unauthorized();
    }
    return { authorizer: { claims: claimsForTemplates(payload) } };
  };
}

function unauthorized(): GatewayResponseError {
  return new GatewayResponseError('UNAUTHORIZED', 'Unauthorized');
}

function tokenOf(request: AuthorizationRequest, identitySource = 'method.request.header.Authorization'): string {
  const header = /^method\.request\.header\.(.+)$/i.exec(identitySource.trim())?.[1];
  const value = header ? request.header(header.toLowerCase()) : undefined;
  const token = value?.trim().replace(/^Bearer\s+/i, '');
  if (!token) throw unauthorized();
  return token;
}

async function verify(token: string, providerArns: string[], pools: UserPoolKeys, currentDate: Date): Promise<JWTPayload> {
  let issuer: unknown;
  try {
    issuer = jose.decodeJwt(token).iss;
  } catch {
    throw unauthorized();
  }
  for (const arn of providerArns) {
    const poolId = /:userpool\/(.+)$/.exec(arn)?.[1];
    if (!poolId || pools.issuer(poolId) !== issuer) continue;
    const jwks = pools.jwks(poolId);
    if (!jwks) break;
    try {
      const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks), { issuer: String(issuer), algorithms: ['RS256'], currentDate });
      return payload;
    } catch {
      break;
    }
  }
  throw unauthorized();
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Java's `Date.toString()` in UTC: `EEE MMM dd HH:mm:ss zzz yyyy`. */
export function javaDateString(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}

/** The claims as API Gateway hands them to templates: strings; exp and iat as Java dates; lists comma-joined. */
export function claimsForTemplates(payload: JWTPayload): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined || value === null) continue;
    if ((name === 'exp' || name === 'iat') && typeof value === 'number') out[name] = javaDateString(value);
    else if (Array.isArray(value)) out[name] = value.join(',');
    else out[name] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return out;
}
