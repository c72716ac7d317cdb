/**
 * Cognito and usage plans end to end (docs/auth.md), on the app's template synthesized with `auth: cognito` and two
 * clients: a token from the local Cognito through the AWS SDK opens the API, a missing, expired or forged one is
 * 401, a missing API key is 403, and a client that goes over its burst is answered 429 problem JSON while the other
 * client's key is not throttled.
 */
import { AdminCreateUserCommand, AdminSetUserPasswordCommand, CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { APIGatewayClient, GetApiKeyCommand, GetApiKeysCommand, GetUsagePlanKeysCommand, GetUsagePlansCommand } from '@aws-sdk/client-api-gateway';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { jose } from '../../local/cognito/jose';
import { Api, HttpResponse, LocalCloud, RESOURCE_CASES, executionsNamed, expectGatewayProblem, startTestCloud } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const PASSWORD = 'Correct-Horse-Battery-9';
const CLIENTS = [
  { name: 'slow', rateLimit: 1, burstLimit: 5 },
  { name: 'other', rateLimit: 100, burstLimit: 100 },
  { name: 'metered', quota: { limit: 2, period: 'DAY' } },
];

let cloud: LocalCloud;
let cognito: CognitoIdentityProviderClient;
let slowKey: string;
let otherKey: string;
let idToken: string;
let accessToken: string;
let sub: string;

beforeAll(async () => {
  cloud = await startTestCloud({ context: { auth: 'cognito', clients: CLIENTS }, throttling: true });
  slowKey = cloud.apiKeys.find((k) => k.name.endsWith('-slow'))!.value;
  otherKey = cloud.apiKeys.find((k) => k.name.endsWith('-other'))!.value;
  cognito = new CognitoIdentityProviderClient({ endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const UserPoolId = cloud.outputs.UserPoolId;
  await cognito.send(new AdminCreateUserCommand({ UserPoolId, Username: 'ada', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'ada@example.com' }] }));
  await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: 'ada', Password: PASSWORD, Permanent: true }));
  const signedIn = await cognito.send(
    new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ada', PASSWORD } }),
  );
  idToken = signedIn.AuthenticationResult!.IdToken!;
  accessToken = signedIn.AuthenticationResult!.AccessToken!;
  sub = String(jose.decodeJwt(idToken).sub);
}, 180_000);

afterAll(async () => {
  cognito?.destroy();
  await cloud?.stop();
});

/** A client holding one API key, sending the Authorization header it is given (no SigV4). */
const client = (apiKey: string | false) => new Api(cloud.apiUrl, { credentials: false, apiKey });

function post(apiKey: string | false, authorization?: string): Promise<HttpResponse> {
  return client(apiKey).post('/orders', orders.sample(1), authorization === undefined ? {} : { Authorization: authorization });
}

test('the template has a user pool, its client, and an API key per client; npm start would print their values', () => {
  expect(cloud.outputs.AuthMode).toBe('cognito');
  expect(cloud.outputs.UserPoolId).toMatch(/^us-east-1_[0-9A-Za-z]{9}$/);
  expect(cloud.cognito.poolIds).toEqual([cloud.outputs.UserPoolId]);
  expect(cloud.apiKeys.map((k) => k.name).sort()).toEqual(['CrudApi-metered', 'CrudApi-other', 'CrudApi-slow']);
  expect(cloud.apiKeys.every((k) => /^[0-9A-Za-z]{40}$/.test(k.value))).toBe(true);
  // Emulated, so not in the start-up list of what is not.
  expect(cloud.warnings.filter((w) => /ApiKey|UsagePlan|Cognito|COGNITO|stage throttling/.test(w))).toEqual([]);
});

test('an ID token from the SDK Cognito client and an API key → 201; the execution runs as the user pool sub', async () => {
  const res = await post(otherKey, idToken);
  expect(res.status).toBe(201);
  const [execution] = executionsNamed(cloud, res.requestId!);
  expect(JSON.parse(execution.input).caller).toBe(sub);
  // As API Gateway accepts it, the token may follow "Bearer ".
  expect((await post(otherKey, `Bearer ${idToken}`)).status).toBe(201);
});

test('no token, an access token on a method without scopes, a forged or tampered token → 401 Unauthorized as problem JSON', async () => {
  const refusals: HttpResponse[] = [await post(otherKey), await post(otherKey, 'not-a-jwt'), await post(otherKey, accessToken)];
  // Same claims, signed by a key that is not the pool's.
  const { privateKey } = await jose.generateKeyPair('RS256');
  const header = jose.decodeProtectedHeader(idToken);
  const forged = await new jose.SignJWT(jose.decodeJwt(idToken)).setProtectedHeader({ alg: 'RS256', kid: header.kid }).sign(privateKey);
  refusals.push(await post(otherKey, forged));
  // The pool's signature over other claims.
  const [h, , s] = idToken.split('.');
  const claims = { ...jose.decodeJwt(idToken), sub: 'someone-else' };
  refusals.push(await post(otherKey, `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`));
  for (const res of refusals) {
    expectGatewayProblem(cloud, res, 401, 'Unauthorized');
    expect(res.headers.get('x-amzn-errortype')).toBe('UnauthorizedException');
  }
});

test('an expired ID token (one hour on the cloud clock) → 401', async () => {
  const { AuthenticationResult } = await cognito.send(
    new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ada', PASSWORD } }),
  );
  const token = AuthenticationResult!.IdToken!;
  expect((await client(otherKey).get('/orders', { Authorization: token })).status).toBe(200);
  await cloud.clock.advance(3601_000);
  expectGatewayProblem(cloud, await client(otherKey).get('/orders', { Authorization: token }), 401, 'Unauthorized');
  const refreshed = await cognito.send(
    new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: AuthenticationResult!.RefreshToken! } }),
  );
  idToken = refreshed.AuthenticationResult!.IdToken!;
  expect((await client(otherKey).get('/orders', { Authorization: idToken })).status).toBe(200);
});

test('a valid token without an API key, or with an unknown one → 403 Forbidden (INVALID_API_KEY) as problem JSON', async () => {
  for (const res of [await post(false, idToken), await post('no-such-key', idToken)]) {
    expectGatewayProblem(cloud, res, 403, 'Forbidden');
    expect(res.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
  }
});

test("a burst over the slow client's limit → 429 problem JSON for the excess, while the other client's key is not throttled", async () => {
  const slow = client(slowKey);
  const answers = await Promise.all(Array.from({ length: 8 }, () => slow.get('/orders', { Authorization: idToken })));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  const throttled = answers.find((r) => r.status === 429)!;
  expectGatewayProblem(cloud, throttled, 429, 'Too Many Requests');
  expect(throttled.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(throttled.headers.get('x-amzn-errortype')).toBe('TooManyRequestsException');
  expect(throttled.json.detail).toBe('Too Many Requests');
  expect(throttled.headers.get('retry-after')).toBe('1');

  const others = await Promise.all(Array.from({ length: 8 }, () => client(otherKey).get('/orders', { Authorization: idToken })));
  expect(others.map((r) => r.status)).toEqual(Array(8).fill(200));
  // The slow client's bucket refills at 1 request a second on the cloud's clock.
  expect((await slow.get('/orders', { Authorization: idToken })).status).toBe(429);
  await cloud.clock.advance(1000);
  expect((await slow.get('/orders', { Authorization: idToken })).status).toBe(200);
});

test("a client's quota: used up within the day → 429 Limit Exceeded problem JSON; the next day it is served again", async () => {
  const metered = client(cloud.apiKeys.find((k) => k.name === 'CrudApi-metered')!.value);
  expect((await metered.get('/orders', { Authorization: idToken })).status).toBe(200);
  expect((await metered.get('/orders', { Authorization: idToken })).status).toBe(200);
  const refused = await metered.get('/orders', { Authorization: idToken });
  expectGatewayProblem(cloud, refused, 429, 'Too Many Requests');
  expect(refused.headers.get('x-amzn-errortype')).toBe('LimitExceededException');
  expect(refused.json.detail).toBe('Limit Exceeded: this API key has used up its quota for the period');
  expect(refused.headers.get('retry-after')).toBeNull();
  await cloud.clock.advance(24 * 3600_000);
  const { AuthenticationResult } = await cognito.send(
    new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'ada', PASSWORD } }),
  );
  expect((await metered.get('/orders', { Authorization: AuthenticationResult!.IdToken! })).status).toBe(200);
});

test('the keys and plans are readable as on AWS: the SDK API Gateway client and aws apigateway get-api-keys --include-values against the endpoint', async () => {
  const apigateway = new APIGatewayClient({ endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const keys = await apigateway.send(new GetApiKeysCommand({ includeValues: true }));
    expect(keys.items!.map((k) => ({ name: k.name, value: k.value, enabled: k.enabled })).sort((a, b) => a.name!.localeCompare(b.name!))).toEqual([
      { name: 'CrudApi-metered', value: cloud.apiKeys.find((k) => k.name === 'CrudApi-metered')!.value, enabled: true },
      { name: 'CrudApi-other', value: otherKey, enabled: true },
      { name: 'CrudApi-slow', value: slowKey, enabled: true },
    ]);
    const slowId = cloud.apiKeys.find((k) => k.value === slowKey)!.id;
    expect((await apigateway.send(new GetApiKeyCommand({ apiKey: slowId }))).value).toBeUndefined();
    expect((await apigateway.send(new GetApiKeyCommand({ apiKey: slowId, includeValue: true }))).value).toBe(slowKey);
    const plans = await apigateway.send(new GetUsagePlansCommand({}));
    const slowPlan = plans.items!.find((p) => p.name === 'CrudApi-slow')!;
    expect(slowPlan.throttle).toEqual({ rateLimit: 1, burstLimit: 5 });
    expect((await apigateway.send(new GetUsagePlanKeysCommand({ usagePlanId: slowPlan.id }))).items!.map((k) => k.value)).toEqual([slowKey]);
  } finally {
    apigateway.destroy();
  }
  const { stdout } = await promisify(execFile)('aws', ['apigateway', 'get-api-keys', '--include-values', '--endpoint-url', cloud.endpointUrl, '--region', 'us-east-1', '--output', 'json'], {
    env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
  });
  expect(JSON.parse(stdout).items.map((k: { value: string }) => k.value).sort()).toEqual(cloud.apiKeys.map((k) => k.value).sort());
}, 60_000);
