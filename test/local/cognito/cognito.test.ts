/**
 * The local Cognito (cognito-idp) on the AWS-compatible endpoint, driven by the AWS SDK's Cognito client and by
 * AWS CLI v1, for user pools synthesized by the CDK: users, sign-in, tokens and their JWKS, AWS's errors.
 */
import {
  AdminConfirmSignUpCommand,
  AdminCreateUserCommand,
  AdminGetUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  GetUserCommand,
  AdminInitiateAuthCommand,
  InitiateAuthCommand,
  ListUserPoolClientsCommand,
  ListUsersCommand,
  ListUserPoolsCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
  ConfirmSignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template as CdkTemplate } from 'aws-cdk-lib/assertions';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { ControllableClock } from '../../../local/asl/clock';
import { ResolvedTemplate, Template } from '../../../local/cloudformation/template';
import { cognitoRoute } from '../../../local/cognito/route';
import { LocalCognito } from '../../../local/cognito/service';
import { jose } from '../../../local/cognito/jose';
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import { LocalServices } from '../../../local/services';

const PASSWORD = 'Correct-Horse-9';

/** Two pools: `Admin` (admins create users, sign-in with username or verified email, like cdk/auth.ts) and `Open` (self sign-up, email verification). */
function synthesizePools(): Template {
  const stack = new Stack(new App(), 'CognitoFixture');
  const admin = new cognito.UserPool(stack, 'AdminPool', {
    selfSignUpEnabled: false,
    signInAliases: { username: true, email: true },
    passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
  });
  admin.addClient('AdminClient', { authFlows: { userPassword: true, adminUserPassword: true }, preventUserExistenceErrors: true, idTokenValidity: Duration.hours(1) });
  admin.addClient('LegacyClient', { authFlows: { userSrp: true }, preventUserExistenceErrors: false });
  const open = new cognito.UserPool(stack, 'OpenPool', { selfSignUpEnabled: true, signInAliases: { email: true }, autoVerify: { email: true } });
  open.addClient('OpenClient', { authFlows: { userPassword: true } });
  open.addClient('SecretClient', { authFlows: { userPassword: true }, generateSecret: true });
  return CdkTemplate.fromStack(stack).toJSON() as Template;
}

let services: LocalServices;
let endpoint: RunningEndpoint;
let local: LocalCognito;
let client: CognitoIdentityProviderClient;
let template: ResolvedTemplate;
const clock = new ControllableClock();
const logLines: string[] = [];
let adminPool: string;
let adminClient: string;
let legacyClient: string;
let openPool: string;
let openClient: string;

const idOf = (type: string, prefix: string) => template.ref(template.resourcesOfType(type).find((r) => r.logicalId.startsWith(prefix))!.logicalId);

beforeAll(async () => {
  services = await LocalServices.open({ inMemory: true, clock });
  const routes: any[] = [];
  endpoint = await startEndpoint({ services, port: 0, routes });
  template = new ResolvedTemplate(synthesizePools(), 'CognitoFixture', { endpointUrl: endpoint.url });
  local = await LocalCognito.fromTemplate(template, { endpointUrl: endpoint.url, clock, log: (line) => logLines.push(line) });
  routes.push(cognitoRoute(local));
  client = new CognitoIdentityProviderClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  adminPool = idOf('AWS::Cognito::UserPool', 'AdminPool');
  openPool = idOf('AWS::Cognito::UserPool', 'OpenPool');
  adminClient = idOf('AWS::Cognito::UserPoolClient', 'AdminPoolAdminClient');
  legacyClient = idOf('AWS::Cognito::UserPoolClient', 'AdminPoolLegacyClient');
  openClient = idOf('AWS::Cognito::UserPoolClient', 'OpenPoolOpenClient');
}, 60_000);

afterAll(async () => {
  client?.destroy();
  await endpoint?.close();
  await services?.close();
});

async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
  try {
    await promise;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected the call to fail');
}

async function createConfirmedUser(username: string, attributes: Record<string, string> = {}): Promise<void> {
  await client.send(
    new AdminCreateUserCommand({ UserPoolId: adminPool, Username: username, MessageAction: 'SUPPRESS', UserAttributes: Object.entries(attributes).map(([Name, Value]) => ({ Name, Value })) }),
  );
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: adminPool, Username: username, Password: PASSWORD, Permanent: true }));
}

async function signIn(username: string, clientId = adminClient) {
  const out = await client.send(new InitiateAuthCommand({ ClientId: clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: username, PASSWORD } }));
  return out.AuthenticationResult!;
}

test('pool and client ids look like Cognito ids and are the same on every start', () => {
  expect(adminPool).toMatch(/^us-east-1_[0-9A-Za-z]{9}$/);
  expect(adminClient).toMatch(/^[0-9a-z]{26}$/);
  const again = new ResolvedTemplate(synthesizePools(), 'CognitoFixture', { endpointUrl: endpoint.url });
  expect(again.ref(template.resourcesOfType('AWS::Cognito::UserPool')[0].logicalId)).toBe(template.ref(template.resourcesOfType('AWS::Cognito::UserPool')[0].logicalId));
  expect(template.getAtt(template.resourcesOfType('AWS::Cognito::UserPool')[0].logicalId, 'Arn')).toMatch(/^arn:aws:cognito-idp:us-east-1:000000000000:userpool\/us-east-1_/);
});

test('ListUserPools, DescribeUserPool and ListUserPoolClients describe the template', async () => {
  const pools = await client.send(new ListUserPoolsCommand({ MaxResults: 10 }));
  expect(pools.UserPools!.map((p) => p.Id).sort()).toEqual([adminPool, openPool].sort());
  const described = await client.send(new DescribeUserPoolCommand({ UserPoolId: adminPool }));
  expect(described.UserPool).toMatchObject({
    Id: adminPool,
    Policies: { PasswordPolicy: { MinimumLength: 12, RequireUppercase: true, RequireLowercase: true, RequireNumbers: true, RequireSymbols: true } },
    AliasAttributes: ['email'],
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
  });
  const clients = await client.send(new ListUserPoolClientsCommand({ UserPoolId: adminPool, MaxResults: 10 }));
  expect(clients.UserPoolClients!.map((c) => c.ClientId).sort()).toEqual([adminClient, legacyClient].sort());
  expect(await errorOf(client.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_nope' })))).toEqual({
    name: 'ResourceNotFoundException',
    message: 'User pool us-east-1_nope does not exist.',
    status: 400,
  });
});

test('AdminCreateUser + AdminSetUserPassword (Permanent) → USER_PASSWORD_AUTH tokens with Cognito claims, verifiable against the JWKS', async () => {
  const created = await client.send(
    new AdminCreateUserCommand({ UserPoolId: adminPool, Username: 'ada', MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: 'ada@example.com' }] }),
  );
  expect(created.User).toMatchObject({ Username: 'ada', Enabled: true, UserStatus: 'FORCE_CHANGE_PASSWORD' });
  expect(created.User!.UserCreateDate).toBeInstanceOf(Date);
  await client.send(new AdminSetUserPasswordCommand({ UserPoolId: adminPool, Username: 'ada', Password: PASSWORD, Permanent: true }));
  expect((await client.send(new AdminGetUserCommand({ UserPoolId: adminPool, Username: 'ada' }))).UserStatus).toBe('CONFIRMED');

  const tokens = await signIn('ada');
  expect(tokens).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600, RefreshToken: expect.any(String) });

  const jwks = jose.createRemoteJWKSet(new URL(`${endpoint.url}/${adminPool}/.well-known/jwks.json`));
  const issuer = `${endpoint.url}/${adminPool}`;
  const id = await jose.jwtVerify(tokens.IdToken!, jwks, { issuer, audience: adminClient, currentDate: clock.now() });
  expect(id.protectedHeader).toEqual({ kid: expect.any(String), alg: 'RS256' });
  expect(id.payload).toMatchObject({ token_use: 'id', 'cognito:username': 'ada', email: 'ada@example.com', aud: adminClient, iss: issuer, sub: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect(id.payload.exp! - id.payload.iat!).toBe(3600);
  expect(Math.abs(id.payload.iat! - clock.nowMs() / 1000)).toBeLessThan(5);
  const access = await jose.jwtVerify(tokens.AccessToken!, jwks, { issuer, currentDate: clock.now() });
  expect(access.payload).toMatchObject({ token_use: 'access', client_id: adminClient, username: 'ada', scope: 'aws.cognito.signin.user.admin', sub: id.payload.sub });

  const config = await (await fetch(`${issuer}/.well-known/openid-configuration`)).json();
  expect(config).toMatchObject({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json` });
});

test('a temporary password answers NEW_PASSWORD_REQUIRED; RespondToAuthChallenge sets the new one and signs in', async () => {
  const temporary = 'Temporary-Pass-1';
  await client.send(new AdminCreateUserCommand({ UserPoolId: adminPool, Username: 'grace', TemporaryPassword: temporary, MessageAction: 'SUPPRESS' }));
  const challenge = await client.send(new InitiateAuthCommand({ ClientId: adminClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'grace', PASSWORD: temporary } }));
  expect(challenge).toMatchObject({ ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: expect.any(String) });
  expect(challenge.AuthenticationResult).toBeUndefined();
  const answered = await client.send(
    new RespondToAuthChallengeCommand({ ClientId: adminClient, ChallengeName: 'NEW_PASSWORD_REQUIRED', Session: challenge.Session, ChallengeResponses: { USERNAME: 'grace', NEW_PASSWORD: PASSWORD } }),
  );
  expect(answered.AuthenticationResult?.IdToken).toBeDefined();
  expect((await signIn('grace')).AccessToken).toBeDefined();
});

test("AWS's errors: wrong password, unknown user (hidden by PreventUserExistenceErrors), weak password, existing user, flow not enabled", async () => {
  await createConfirmedUser('linus');
  const wrong = client.send(new InitiateAuthCommand({ ClientId: adminClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'linus', PASSWORD: 'Wrong-Password-1' } }));
  expect(await errorOf(wrong)).toEqual({ name: 'NotAuthorizedException', message: 'Incorrect username or password.', status: 400 });
  const hidden = client.send(new InitiateAuthCommand({ ClientId: adminClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'nobody', PASSWORD } }));
  expect(await errorOf(hidden)).toMatchObject({ name: 'NotAuthorizedException', message: 'Incorrect username or password.' });

  const weak = client.send(new AdminSetUserPasswordCommand({ UserPoolId: adminPool, Username: 'linus', Password: 'short', Permanent: true }));
  expect(await errorOf(weak)).toMatchObject({ name: 'InvalidPasswordException', message: 'Password did not conform with policy: Password not long enough' });
  const noSymbol = client.send(new AdminSetUserPasswordCommand({ UserPoolId: adminPool, Username: 'linus', Password: 'LongEnough12345', Permanent: true }));
  expect(await errorOf(noSymbol)).toMatchObject({ name: 'InvalidPasswordException', message: 'Password did not conform with policy: Password must have symbol characters' });
  expect(await errorOf(client.send(new AdminCreateUserCommand({ UserPoolId: adminPool, Username: 'linus', MessageAction: 'SUPPRESS' })))).toMatchObject({
    name: 'UsernameExistsException',
    message: 'User account already exists',
  });
  expect(await errorOf(client.send(new AdminSetUserPasswordCommand({ UserPoolId: adminPool, Username: 'nobody', Password: PASSWORD, Permanent: true })))).toMatchObject({
    name: 'UserNotFoundException',
    message: 'User does not exist.',
  });
  const legacy = client.send(new InitiateAuthCommand({ ClientId: legacyClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'linus', PASSWORD } }));
  expect(await errorOf(legacy)).toMatchObject({ name: 'InvalidParameterException', message: 'USER_PASSWORD_AUTH flow not enabled for this client' });
  expect(await errorOf(client.send(new SignUpCommand({ ClientId: adminClient, Username: 'eve', Password: PASSWORD })))).toMatchObject({
    name: 'NotAuthorizedException',
    message: 'SignUp is not permitted for this user pool',
  });
});

test('a verified email signs in as an alias; an unverified one does not', async () => {
  await createConfirmedUser('alan', { email: 'alan@example.com', email_verified: 'true' });
  await createConfirmedUser('barbara', { email: 'barbara@example.com' });
  const alan = await signIn('alan@example.com');
  expect(jose.decodeJwt(alan.IdToken!)).toMatchObject({ 'cognito:username': 'alan', email_verified: true });
  expect(await errorOf(signIn('barbara@example.com'))).toMatchObject({ name: 'NotAuthorizedException' });
});

test('SignUp + ConfirmSignUp with the code from the log, SignUp + AdminConfirmSignUp; an email pool names users by their sub', async () => {
  const signedUp = await client.send(new SignUpCommand({ ClientId: openClient, Username: 'kay@example.com', Password: PASSWORD }));
  expect(signedUp).toMatchObject({ UserConfirmed: false, UserSub: expect.any(String), CodeDeliveryDetails: { DeliveryMedium: 'EMAIL', AttributeName: 'email', Destination: 'k***@e***' } });
  expect(await errorOf(signIn('kay@example.com', openClient))).toMatchObject({ name: 'UserNotConfirmedException', message: 'User is not confirmed.' });
  const code = /confirmation code of kay@example.com: (\d{6})/.exec(logLines.join('\n'))![1];
  expect(await errorOf(client.send(new ConfirmSignUpCommand({ ClientId: openClient, Username: 'kay@example.com', ConfirmationCode: '000000' })))).toMatchObject({
    name: 'CodeMismatchException',
  });
  await client.send(new ConfirmSignUpCommand({ ClientId: openClient, Username: 'kay@example.com', ConfirmationCode: code }));
  const kay = jose.decodeJwt((await signIn('kay@example.com', openClient)).IdToken!);
  expect(kay).toMatchObject({ 'cognito:username': signedUp.UserSub, sub: signedUp.UserSub, email: 'kay@example.com' });

  await client.send(new SignUpCommand({ ClientId: openClient, Username: 'lee@example.com', Password: PASSWORD }));
  await client.send(new AdminConfirmSignUpCommand({ UserPoolId: openPool, Username: 'lee@example.com' }));
  expect((await signIn('lee@example.com', openClient)).IdToken).toBeDefined();
  expect(await errorOf(client.send(new SignUpCommand({ ClientId: openClient, Username: 'not-an-email', Password: PASSWORD })))).toMatchObject({
    name: 'InvalidParameterException',
    message: 'Username should be an email.',
  });
  expect(await errorOf(client.send(new SignUpCommand({ ClientId: openClient, Username: 'lee@example.com', Password: PASSWORD })))).toMatchObject({
    name: 'UsernameExistsException',
    message: 'User already exists',
  });
});

test('REFRESH_TOKEN_AUTH issues new ID and access tokens (no new refresh token); GetUser takes the access token until it expires on the clock', async () => {
  await createConfirmedUser('edsger', { email: 'edsger@example.com' });
  const first = await signIn('edsger');
  const got = await client.send(new GetUserCommand({ AccessToken: first.AccessToken }));
  expect(got.Username).toBe('edsger');
  expect(got.UserAttributes).toEqual(expect.arrayContaining([{ Name: 'email', Value: 'edsger@example.com' }, { Name: 'sub', Value: expect.any(String) }]));
  expect(await errorOf(client.send(new GetUserCommand({ AccessToken: first.IdToken })))).toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid Access Token' });

  await clock.advance(3601_000);
  expect(await errorOf(client.send(new GetUserCommand({ AccessToken: first.AccessToken })))).toMatchObject({ name: 'NotAuthorizedException', message: 'Access Token has expired' });
  const refreshed = await client.send(new InitiateAuthCommand({ ClientId: adminClient, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: first.RefreshToken! } }));
  expect(refreshed.AuthenticationResult).toMatchObject({ IdToken: expect.any(String), AccessToken: expect.any(String), ExpiresIn: 3600 });
  expect(refreshed.AuthenticationResult!.RefreshToken).toBeUndefined();
  const before = jose.decodeJwt(first.IdToken!);
  const after = jose.decodeJwt(refreshed.AuthenticationResult!.IdToken!);
  expect(after.iat! - before.iat!).toBeGreaterThanOrEqual(3601);
  expect({ auth_time: after.auth_time, origin_jti: after.origin_jti }).toEqual({ auth_time: before.auth_time, origin_jti: before.origin_jti });
  expect((await client.send(new GetUserCommand({ AccessToken: refreshed.AuthenticationResult!.AccessToken }))).Username).toBe('edsger');
  const bogus = client.send(new InitiateAuthCommand({ ClientId: adminClient, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: 'nope' } }));
  expect(await errorOf(bogus)).toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid Refresh Token' });
});

test('AdminInitiateAuth (ADMIN_USER_PASSWORD_AUTH) for an operator; ListUsers with a filter', async () => {
  await createConfirmedUser('margaret', { email: 'margaret@example.com' });
  const out = await client.send(
    new AdminInitiateAuthCommand({ UserPoolId: adminPool, ClientId: adminClient, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'margaret', PASSWORD } }),
  );
  expect(jose.decodeJwt(out.AuthenticationResult!.IdToken!)).toMatchObject({ 'cognito:username': 'margaret' });
  const notAllowed = client.send(
    new AdminInitiateAuthCommand({ UserPoolId: adminPool, ClientId: legacyClient, AuthFlow: 'ADMIN_USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'margaret', PASSWORD } }),
  );
  expect(await errorOf(notAllowed)).toMatchObject({ name: 'InvalidParameterException', message: 'Auth flow not enabled for this client' });
  const found = await client.send(new ListUsersCommand({ UserPoolId: adminPool, Filter: 'email = "margaret@example.com"' }));
  expect(found.Users!.map((u) => u.Username)).toEqual(['margaret']);
  const prefixed = await client.send(new ListUsersCommand({ UserPoolId: adminPool, Filter: 'username ^= "marg"' }));
  expect(prefixed.Users!.map((u) => u.Username)).toEqual(['margaret']);
  expect(await errorOf(client.send(new ListUsersCommand({ UserPoolId: adminPool, Filter: 'email ~ "x"' })))).toMatchObject({ name: 'InvalidParameterException' });
});

test('a client with a secret needs SECRET_HASH', async () => {
  const secretClientId = idOf('AWS::Cognito::UserPoolClient', 'OpenPoolSecretClient');
  const noHash = client.send(new InitiateAuthCommand({ ClientId: secretClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'kay@example.com', PASSWORD } }));
  expect(await errorOf(noHash)).toMatchObject({ name: 'NotAuthorizedException', message: `Unable to verify secret hash for client ${secretClientId}` });
});

test('users, keys and refresh tokens outlive a restart with a data file', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cognito-'));
  try {
    const dataFile = path.join(dir, 'cognito.json');
    const first = await LocalCognito.fromTemplate(template, { endpointUrl: endpoint.url, clock, dataFile, log: () => {} });
    await first.call('AdminCreateUser', { UserPoolId: adminPool, Username: 'persisted', MessageAction: 'SUPPRESS' });
    await first.call('AdminSetUserPassword', { UserPoolId: adminPool, Username: 'persisted', Password: PASSWORD, Permanent: true });
    const tokens = (await first.call('InitiateAuth', { ClientId: adminClient, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'persisted', PASSWORD } })) as any;
    const second = await LocalCognito.fromTemplate(template, { endpointUrl: endpoint.url, clock, dataFile, log: () => {} });
    expect(second.jwks(adminPool)).toEqual(first.jwks(adminPool));
    const refreshed = (await second.call('InitiateAuth', { ClientId: adminClient, AuthFlow: 'REFRESH_TOKEN_AUTH', AuthParameters: { REFRESH_TOKEN: tokens.AuthenticationResult.RefreshToken } })) as any;
    expect(refreshed.AuthenticationResult.IdToken).toBeDefined();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('AWS CLI v1: admin-create-user, admin-set-user-password and initiate-auth against --endpoint-url', async () => {
  const run = (args: string[]) =>
    promisify(execFile)('aws', [...args, '--endpoint-url', endpoint.url, '--region', 'us-east-1', '--output', 'json'], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' },
    });
  await run(['cognito-idp', 'admin-create-user', '--user-pool-id', adminPool, '--username', 'cli-user', '--message-action', 'SUPPRESS']);
  await run(['cognito-idp', 'admin-set-user-password', '--user-pool-id', adminPool, '--username', 'cli-user', '--password', PASSWORD, '--permanent']);
  const { stdout } = await run(['cognito-idp', 'initiate-auth', '--client-id', adminClient, '--auth-flow', 'USER_PASSWORD_AUTH', '--auth-parameters', `USERNAME=cli-user,PASSWORD=${PASSWORD}`]);
  const out = JSON.parse(stdout);
  expect(jose.decodeJwt(out.AuthenticationResult.IdToken)).toMatchObject({ 'cognito:username': 'cli-user', token_use: 'id' });
  const failed = await run(['cognito-idp', 'initiate-auth', '--client-id', adminClient, '--auth-flow', 'USER_PASSWORD_AUTH', '--auth-parameters', 'USERNAME=cli-user,PASSWORD=Wrong-Password-1']).catch((e) => e);
  expect(String(failed.stderr)).toContain('An error occurred (NotAuthorizedException) when calling the InitiateAuth operation: Incorrect username or password.');
}, 60_000);
