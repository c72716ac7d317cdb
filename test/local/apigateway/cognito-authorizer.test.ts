/**
 * The COGNITO_USER_POOLS method authorizer on its own: tokens signed by a pool's key (./tokens.ts, as the local
 * Cognito signs them), the identity source, OAuth scopes (ID token without, access token with), expiry on the
 * given clock, pools the authorizer does not name, and the claims as templates see them.
 */
import type { AuthorizationRequest, MethodAuthorization } from '../../../local/apigateway/authorization';
import { claimsForTemplates, cognitoAuthorizer, javaDateString } from '../../../local/apigateway/cognito-authorizer';
import { GatewayResponseError } from '../../../local/apigateway/gateway-responses';
import { SessionClaims, StoredKey, TokenSigner, accessTokenClaims, idTokenClaims, jwksOf, newSigningKey } from '../../../local/cognito/tokens';

const POOL = 'us-east-1_Pool11111';
const OTHER_POOL = 'us-east-1_Pool22222';
const ENDPOINT = 'http://127.0.0.1:4566';
const NOW = Date.UTC(2026, 11, 6, 6, 0, 0);

let keys: Record<string, StoredKey>;
const pools = { issuer: (id: string) => `${ENDPOINT}/${id}`, jwks: (id: string) => (keys[id] ? jwksOf([keys[id]]) : undefined) };

beforeAll(async () => {
  keys = { [POOL]: await newSigningKey(), [OTHER_POOL]: await newSigningKey() };
});

function session(pool = POOL, now = NOW / 1000): SessionClaims {
  return {
    issuer: `${ENDPOINT}/${pool}`,
    clientId: 'client1234567890abcdefghij',
    sub: '11111111-2222-3333-4444-555555555555',
    username: 'ada',
    attributes: { email: 'ada@example.com', email_verified: 'true' },
    authTime: now,
    originJti: 'origin',
    now,
    idTokenSeconds: 3600,
    accessTokenSeconds: 3600,
  };
}

const idToken = (pool = POOL, now?: number) => new TokenSigner(keys[pool]).sign(idTokenClaims(session(pool, now)));
const accessToken = (scope?: string) => new TokenSigner(keys[POOL]).sign({ ...accessTokenClaims(session()), ...(scope ? { scope } : {}) });

function request(headers: Record<string, string>, authorization: Partial<MethodAuthorization> = {}): AuthorizationRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    httpMethod: 'GET',
    path: '/v1/orders',
    query: new URLSearchParams(),
    header: (name) => lower[name],
    body: Buffer.alloc(0),
    authorization: {
      type: 'COGNITO_USER_POOLS',
      authorizer: { type: 'COGNITO_USER_POOLS', providerArns: [`arn:aws:cognito-idp:us-east-1:000000000000:userpool/${POOL}`], identitySource: 'method.request.header.Authorization' },
      scopes: [],
      ...authorization,
    },
  };
}

const authorize = cognitoAuthorizer(pools, () => new Date(NOW + 60_000));

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayResponseError);
    return `${(error as GatewayResponseError).responseType} ${(error as GatewayResponseError).message}`;
  }
  throw new Error('expected a refusal');
}

test("an ID token of the authorizer's pool, bare or after Bearer, passes with its claims as strings", async () => {
  const token = await idToken();
  for (const value of [token, `Bearer ${token}`, `bearer  ${token}`]) {
    const caller = await authorize(request({ Authorization: value }));
    expect(caller.authorizer?.claims).toMatchObject({
      sub: '11111111-2222-3333-4444-555555555555',
      'cognito:username': 'ada',
      email: 'ada@example.com',
      email_verified: 'true',
      token_use: 'id',
      auth_time: String(NOW / 1000),
      exp: 'Sun Dec 06 07:00:00 UTC 2026',
      iat: 'Sun Dec 06 06:00:00 UTC 2026',
    });
  }
});

test('no header, not a JWT, another pool, an expired token → UNAUTHORIZED', async () => {
  expect(await refusal(authorize(request({})))).toBe('UNAUTHORIZED Unauthorized');
  expect(await refusal(authorize(request({ Authorization: 'Bearer ' })))).toBe('UNAUTHORIZED Unauthorized');
  expect(await refusal(authorize(request({ Authorization: 'abc.def.ghi' })))).toBe('UNAUTHORIZED Unauthorized');
  expect(await refusal(authorize(request({ Authorization: await idToken(OTHER_POOL) })))).toBe('UNAUTHORIZED Unauthorized');
  const expired = await idToken(POOL, NOW / 1000 - 3601);
  expect(await refusal(authorize(request({ Authorization: expired })))).toBe('UNAUTHORIZED Unauthorized');
});

test('the identity source names the header; an authorizer of two pools takes either', async () => {
  const custom = request({ 'X-Token': await idToken(OTHER_POOL) }, {
    authorizer: {
      type: 'COGNITO_USER_POOLS',
      identitySource: 'method.request.header.X-Token',
      providerArns: [`arn:aws:cognito-idp:us-east-1:000000000000:userpool/${POOL}`, `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${OTHER_POOL}`],
    },
  });
  expect((await authorize(custom)).authorizer?.claims?.iss).toBe(`${ENDPOINT}/${OTHER_POOL}`);
});

test('without scopes only the ID token; with scopes only an access token holding one of them', async () => {
  expect(await refusal(authorize(request({ Authorization: await accessToken() })))).toBe('UNAUTHORIZED Unauthorized');
  const scoped = { scopes: ['orders/read', 'aws.cognito.signin.user.admin'] };
  expect((await authorize(request({ Authorization: await accessToken() }, scoped))).authorizer?.claims?.token_use).toBe('access');
  expect(await refusal(authorize(request({ Authorization: await idToken() }, scoped)))).toBe('UNAUTHORIZED Unauthorized');
  expect(await refusal(authorize(request({ Authorization: await accessToken('orders/write') }, scoped)))).toBe('UNAUTHORIZED Unauthorized');
  expect((await authorize(request({ Authorization: await accessToken('openid orders/read') }, scoped))).authorizer?.claims?.scope).toBe('openid orders/read');
});

test('claims for templates: lists comma-joined, Java dates for exp and iat', () => {
  expect(javaDateString(0)).toBe('Thu Jan 01 00:00:00 UTC 1970');
  expect(claimsForTemplates({ 'cognito:groups': ['admins', 'cooks'], exp: 1_800_000_000, flag: true, n: 3 })).toEqual({
    'cognito:groups': 'admins,cooks',
    exp: 'Fri Jan 15 08:00:00 UTC 2027',
    flag: 'true',
    n: '3',
  });
});
