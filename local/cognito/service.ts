/**
 * The local Cognito user pools (cognito-idp): the template's pools and app clients, their users, and the calls an
 * app and an operator make to sign users up and in:
 *
 *   AdminCreateUser, AdminSetUserPassword, AdminGetUser, AdminDeleteUser, AdminConfirmSignUp, ListUsers,
 *   SignUp, ConfirmSignUp, InitiateAuth / AdminInitiateAuth (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH,
 *   REFRESH_TOKEN_AUTH), RespondToAuthChallenge (NEW_PASSWORD_REQUIRED), GetUser,
 *   ListUserPools, DescribeUserPool, ListUserPoolClients, DescribeUserPoolClient
 *
 * Tokens are RS256 JWTs with Cognito's claims, signed by the pool's own key (./tokens.ts) and verifiable against
 * the pool's JWKS at `<endpoint>/<poolId>/.well-known/jwks.json`. The issuer is `<endpoint>/<poolId>` (on AWS
 * `https://cognito-idp.<region>.amazonaws.com/<poolId>`), so `<iss>/.well-known/jwks.json` finds the keys as on AWS.
 * Times follow the cloud's clock. No email or SMS is sent: codes and generated passwords go to the cloud's log.
 * With a data folder, users, keys and refresh tokens are kept in `<dataDir>/cognito.json`.
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedTemplate } from '../cloudformation/template';
import { CognitoError, requireMember } from './errors';
import { JSONWebKeySet, jose } from './jose';
import { SessionClaims, StoredKey, TokenSigner, accessTokenClaims, idTokenClaims, jwksOf, newSigningKey } from './tokens';
import {
  StoredUser,
  UserDirectory,
  UserPoolClientConfig,
  UserPoolConfig,
  allowsFlow,
  attributeList,
  attributesFrom,
  checkPassword,
  generatePassword,
  hashPassword,
  passwordMatches,
  userPoolClientConfig,
  userPoolConfig,
} from './user-pool';

export interface LocalCognitoOptions {
  /** The endpoint's URL: issuers are `<endpointUrl>/<poolId>`. */
  endpointUrl: string;
  clock: { now(): Date };
  /** Where users, keys and refresh tokens are kept; in memory without one. */
  dataFile?: string;
  /** Confirmation codes and generated passwords (no email is sent). */
  log?: (line: string) => void;
}

interface Pool {
  config: UserPoolConfig;
  users: UserDirectory;
  key: StoredKey;
  signer: TokenSigner;
  created: number;
}

interface RefreshRecord {
  poolId: string;
  clientId: string;
  username: string;
  authTime: number;
  originJti: string;
  expires: number;
}

interface ChallengeSession {
  poolId: string;
  clientId: string;
  username: string;
  expires: number;
}

interface PersistedState {
  pools: Record<string, { key: StoredKey; users: StoredUser[] }>;
  refreshTokens: Record<string, RefreshRecord>;
}

type AuthenticationResult = { AccessToken: string; ExpiresIn: number; TokenType: 'Bearer'; IdToken: string; RefreshToken?: string };

/** A challenge session lasts 3 minutes (Cognito's default AuthSessionValidity). */
const SESSION_SECONDS = 180;

export class LocalCognito {
  private readonly pools = new Map<string, Pool>();
  private readonly clients = new Map<string, UserPoolClientConfig>();
  private readonly refreshTokens = new Map<string, RefreshRecord>();
  private readonly sessions = new Map<string, ChallengeSession>();

  private constructor(private readonly options: LocalCognitoOptions) {}

  /** The template's user pools and clients, with the users kept in the data file. */
  static async fromTemplate(template: ResolvedTemplate, options: LocalCognitoOptions): Promise<LocalCognito> {
    const cognito = new LocalCognito(options);
    const saved = cognito.readState();
    for (const { logicalId, properties } of template.resourcesOfType('AWS::Cognito::UserPool')) {
      const id = template.ref(logicalId);
      await cognito.addPool(userPoolConfig(id, template.getAtt(logicalId, 'Arn'), properties), saved?.pools[id]);
    }
    for (const { logicalId, properties } of template.resourcesOfType('AWS::Cognito::UserPoolClient')) {
      const id = template.ref(logicalId);
      cognito.clients.set(id, userPoolClientConfig(id, template.getAtt(logicalId, 'ClientSecret'), properties));
    }
    for (const [token, record] of Object.entries(saved?.refreshTokens ?? {})) cognito.refreshTokens.set(token, record);
    if (saved === undefined) cognito.save();
    return cognito;
  }

  get poolIds(): string[] {
    return [...this.pools.keys()];
  }

  get clientIds(): string[] {
    return [...this.clients.keys()];
  }

  /** The `iss` of the pool's tokens. */
  issuer(poolId: string): string {
    return `${this.options.endpointUrl}/${poolId}`;
  }

  /** The pool's public keys, or undefined for an unknown pool. */
  jwks(poolId: string): JSONWebKeySet | undefined {
    const pool = this.pools.get(poolId);
    return pool && jwksOf([pool.key]);
  }

  /** The pool's OpenID configuration (the parts that describe its tokens). */
  openIdConfiguration(poolId: string): Record<string, unknown> | undefined {
    if (!this.pools.has(poolId)) return undefined;
    const issuer = this.issuer(poolId);
    return {
      issuer,
      jwks_uri: `${issuer}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      response_types_supported: ['code', 'token'],
      scopes_supported: ['openid', 'email', 'phone', 'profile'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    };
  }

  /** Runs one cognito-idp operation (the X-Amz-Target's name) and returns its output. */
  async call(action: string, request: Record<string, any>): Promise<unknown> {
    switch (action) {
      case 'ListUserPools':
        return this.listUserPools(request);
      case 'DescribeUserPool':
        return { UserPool: this.describePool(this.pool(requireMember(request, 'UserPoolId'))) };
      case 'ListUserPoolClients': {
        const poolId = this.pool(requireMember(request, 'UserPoolId')).config.id;
        const clients = [...this.clients.values()].filter((c) => c.userPoolId === poolId);
        return { UserPoolClients: clients.map((c) => ({ ClientId: c.id, UserPoolId: c.userPoolId, ClientName: c.name })) };
      }
      case 'DescribeUserPoolClient': {
        const pool = this.pool(requireMember(request, 'UserPoolId'));
        return { UserPoolClient: this.describeClient(this.client(requireMember(request, 'ClientId'), pool.config.id)) };
      }
      case 'AdminCreateUser':
        return this.adminCreateUser(request);
      case 'AdminSetUserPassword':
        return this.adminSetUserPassword(request);
      case 'AdminGetUser': {
        const pool = this.pool(requireMember(request, 'UserPoolId'));
        const user = pool.users.get(requireMember(request, 'Username'));
        const { User } = this.describeUser(user);
        return { Username: User.Username, UserAttributes: User.Attributes, UserCreateDate: User.UserCreateDate, UserLastModifiedDate: User.UserLastModifiedDate, Enabled: User.Enabled, UserStatus: User.UserStatus };
      }
      case 'AdminDeleteUser': {
        const pool = this.pool(requireMember(request, 'UserPoolId'));
        pool.users.delete(pool.users.get(requireMember(request, 'Username')));
        this.save();
        return {};
      }
      case 'ListUsers': {
        const pool = this.pool(requireMember(request, 'UserPoolId'));
        const matches = listUsersFilter(request.Filter);
        const users = pool.users.list().filter((u) => matches(u));
        const limit = request.Limit === undefined ? 60 : Number(request.Limit);
        return { Users: users.slice(0, limit).map((u) => this.describeUser(u).User) };
      }
      case 'AdminConfirmSignUp':
        return this.adminConfirmSignUp(request);
      case 'SignUp':
        return this.signUp(request);
      case 'ConfirmSignUp':
        return this.confirmSignUp(request);
      case 'InitiateAuth':
        return this.initiateAuth(request, false);
      case 'AdminInitiateAuth':
        return this.initiateAuth(request, true);
      case 'RespondToAuthChallenge':
      case 'AdminRespondToAuthChallenge':
        return this.respondToAuthChallenge(request);
      case 'GetUser':
        return this.getUser(request);
      default:
        throw new CognitoError('UnknownOperationException', `The local Cognito does not implement ${action}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Operations
  // -------------------------------------------------------------------------------------------

  private listUserPools(request: Record<string, any>) {
    const max = Number(request.MaxResults);
    if (!Number.isInteger(max) || max < 1 || max > 60) {
      throw new CognitoError('InvalidParameterException', "1 validation error detected: Value at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60");
    }
    const pools = [...this.pools.values()].slice(0, max);
    return {
      UserPools: pools.map((p) => ({ Id: p.config.id, Name: p.config.name, LambdaConfig: {}, CreationDate: new Date(p.created), LastModifiedDate: new Date(p.created) })),
    };
  }

  private adminCreateUser(request: Record<string, any>) {
    const pool = this.pool(requireMember(request, 'UserPoolId'));
    const name = requireMember(request, 'Username');
    const attributes = attributesFrom(request.UserAttributes);
    const given = typeof request.TemporaryPassword === 'string' && request.TemporaryPassword !== '' ? request.TemporaryPassword : undefined;
    if (given) checkPassword(pool.config.passwordPolicy, given);
    const password = given ?? generatePassword(pool.config.passwordPolicy);
    const now = this.nowMs();
    const user = pool.users.create({ name, attributes, password, status: 'FORCE_CHANGE_PASSWORD', now, existsMessage: 'User account already exists' });
    user.temporaryPasswordExpires = now + pool.config.passwordPolicy.temporaryPasswordValidityDays * 86_400_000;
    this.save();
    if (!given && request.MessageAction !== 'SUPPRESS') this.log(`Cognito ${pool.config.id}: temporary password of ${name}: ${password} (not sent: no email locally)`);
    return this.describeUser(user);
  }

  private adminSetUserPassword(request: Record<string, any>) {
    const pool = this.pool(requireMember(request, 'UserPoolId'));
    const user = pool.users.get(requireMember(request, 'Username'));
    const password = requireMember(request, 'Password');
    checkPassword(pool.config.passwordPolicy, password);
    Object.assign(user, hashPassword(password), { modified: this.nowMs() });
    const permanent = request.Permanent === true;
    user.status = permanent ? 'CONFIRMED' : 'FORCE_CHANGE_PASSWORD';
    user.temporaryPasswordExpires = permanent ? undefined : this.nowMs() + pool.config.passwordPolicy.temporaryPasswordValidityDays * 86_400_000;
    this.save();
    return {};
  }

  private adminConfirmSignUp(request: Record<string, any>) {
    const pool = this.pool(requireMember(request, 'UserPoolId'));
    const user = pool.users.get(requireMember(request, 'Username'));
    if (user.status !== 'UNCONFIRMED') throw new CognitoError('NotAuthorizedException', `User cannot be confirmed. Current status is ${user.status}`);
    this.confirm(user);
    return {};
  }

  private signUp(request: Record<string, any>) {
    const client = this.client(requireMember(request, 'ClientId'));
    const pool = this.pool(client.userPoolId);
    const name = requireMember(request, 'Username');
    this.checkSecretHash(client, name, request.SecretHash);
    if (pool.config.adminCreateUserOnly) throw new CognitoError('NotAuthorizedException', 'SignUp is not permitted for this user pool');
    const password = requireMember(request, 'Password');
    checkPassword(pool.config.passwordPolicy, password);
    const user = pool.users.create({ name, attributes: attributesFrom(request.UserAttributes), password, status: 'UNCONFIRMED', now: this.nowMs(), existsMessage: 'User already exists' });
    const verify = pool.config.autoVerifiedAttributes.find((a) => user.attributes[a]);
    let CodeDeliveryDetails: Record<string, string> | undefined;
    if (verify) {
      user.confirmationCode = String(100_000 + (randomBytes(4).readUInt32BE() % 900_000));
      CodeDeliveryDetails = { Destination: maskDestination(user.attributes[verify]), DeliveryMedium: verify === 'email' ? 'EMAIL' : 'SMS', AttributeName: verify };
      this.log(`Cognito ${pool.config.id}: confirmation code of ${name}: ${user.confirmationCode} (not sent: no ${verify === 'email' ? 'email' : 'SMS'} locally)`);
    }
    this.save();
    return { UserConfirmed: false, UserSub: user.attributes.sub, ...(CodeDeliveryDetails ? { CodeDeliveryDetails } : {}) };
  }

  private confirmSignUp(request: Record<string, any>) {
    const client = this.client(requireMember(request, 'ClientId'));
    const pool = this.pool(client.userPoolId);
    const name = requireMember(request, 'Username');
    this.checkSecretHash(client, name, request.SecretHash);
    const code = requireMember(request, 'ConfirmationCode');
    const user = pool.users.get(name);
    if (user.status !== 'UNCONFIRMED') throw new CognitoError('NotAuthorizedException', `User cannot be confirmed. Current status is ${user.status}`);
    if (!user.confirmationCode || user.confirmationCode !== code) throw new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');
    this.confirm(user);
    return {};
  }

  private async initiateAuth(request: Record<string, any>, admin: boolean): Promise<unknown> {
    const client = this.client(requireMember(request, 'ClientId'), admin ? this.pool(requireMember(request, 'UserPoolId')).config.id : undefined);
    const pool = this.pool(client.userPoolId);
    const flow = requireMember(request, 'AuthFlow');
    const params: Record<string, string> = request.AuthParameters ?? {};
    if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') return this.refresh(pool, client, params);
    const passwordFlow = admin ? ['ADMIN_USER_PASSWORD_AUTH', 'ADMIN_NO_SRP_AUTH'].includes(flow) : flow === 'USER_PASSWORD_AUTH';
    if (!passwordFlow) throw new CognitoError('InvalidParameterException', `${flow} is not supported by the local Cognito (use ${admin ? 'ADMIN_USER_PASSWORD_AUTH' : 'USER_PASSWORD_AUTH'} or REFRESH_TOKEN_AUTH)`);
    if (!allowsFlow(client, admin ? 'ADMIN_USER_PASSWORD_AUTH' : 'USER_PASSWORD_AUTH')) {
      throw new CognitoError('InvalidParameterException', admin ? 'Auth flow not enabled for this client' : 'USER_PASSWORD_AUTH flow not enabled for this client');
    }
    const name = params.USERNAME;
    if (!name) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
    this.checkSecretHash(client, name, params.SECRET_HASH);
    if (!params.PASSWORD) throw new CognitoError('InvalidParameterException', 'Missing required parameter PASSWORD');
    const user = pool.users.find(name);
    if (!user) {
      if (client.preventUserExistenceErrors) throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
      throw new CognitoError('UserNotFoundException', 'User does not exist.');
    }
    if (!passwordMatches(user, params.PASSWORD)) throw new CognitoError('NotAuthorizedException', 'Incorrect username or password.');
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    if (user.status === 'UNCONFIRMED') throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
    if (user.status === 'FORCE_CHANGE_PASSWORD') {
      if (user.temporaryPasswordExpires !== undefined && this.nowMs() > user.temporaryPasswordExpires) {
        throw new CognitoError('NotAuthorizedException', 'Temporary password has expired and must be reset by an administrator.');
      }
      const session = randomBytes(48).toString('base64');
      this.sessions.set(session, { poolId: pool.config.id, clientId: client.id, username: user.username, expires: this.nowMs() + SESSION_SECONDS * 1000 });
      const { sub: _sub, ...visible } = user.attributes;
      return {
        ChallengeName: 'NEW_PASSWORD_REQUIRED',
        Session: session,
        ChallengeParameters: { USER_ID_FOR_SRP: user.username, requiredAttributes: '[]', userAttributes: JSON.stringify(visible) },
      };
    }
    return { ChallengeParameters: {}, AuthenticationResult: await this.signIn(pool, client, user) };
  }

  private async respondToAuthChallenge(request: Record<string, any>): Promise<unknown> {
    const client = this.client(requireMember(request, 'ClientId'));
    const pool = this.pool(client.userPoolId);
    const challenge = requireMember(request, 'ChallengeName');
    if (challenge !== 'NEW_PASSWORD_REQUIRED') throw new CognitoError('InvalidParameterException', `${challenge} is not supported by the local Cognito`);
    const sessionId = requireMember(request, 'Session');
    const session = this.sessions.get(sessionId);
    if (!session || session.clientId !== client.id || session.expires < this.nowMs()) throw new CognitoError('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    const responses: Record<string, string> = request.ChallengeResponses ?? {};
    if (!responses.USERNAME) throw new CognitoError('InvalidParameterException', 'Missing required parameter USERNAME');
    this.checkSecretHash(client, responses.USERNAME, responses.SECRET_HASH);
    if (!responses.NEW_PASSWORD) throw new CognitoError('InvalidParameterException', 'Missing required parameter NEW_PASSWORD');
    const user = pool.users.get(session.username);
    checkPassword(pool.config.passwordPolicy, responses.NEW_PASSWORD);
    Object.assign(user, hashPassword(responses.NEW_PASSWORD), { status: 'CONFIRMED', modified: this.nowMs(), temporaryPasswordExpires: undefined });
    this.sessions.delete(sessionId);
    this.save();
    return { ChallengeParameters: {}, AuthenticationResult: await this.signIn(pool, client, user) };
  }

  private async getUser(request: Record<string, any>) {
    const token = requireMember(request, 'AccessToken');
    const claims = await this.verifyAccessToken(token);
    const pool = this.pool(String(claims.iss).slice(this.options.endpointUrl.length + 1));
    const user = pool.users.find(String(claims.username));
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return { Username: user.username, UserAttributes: attributeList(user.attributes) };
  }

  // -------------------------------------------------------------------------------------------
  // Tokens
  // -------------------------------------------------------------------------------------------

  private async signIn(pool: Pool, client: UserPoolClientConfig, user: StoredUser): Promise<AuthenticationResult> {
    const now = this.nowSeconds();
    const originJti = randomUUID();
    const tokens = await this.issue(pool, client, user, now, originJti);
    const refreshToken = randomBytes(96).toString('base64url');
    this.refreshTokens.set(refreshToken, { poolId: pool.config.id, clientId: client.id, username: user.username, authTime: now, originJti, expires: now + client.refreshTokenSeconds });
    this.dropExpiredRefreshTokens(now);
    this.save();
    return { ...tokens, RefreshToken: refreshToken };
  }

  private async refresh(pool: Pool, client: UserPoolClientConfig, params: Record<string, string>): Promise<unknown> {
    if (!allowsFlow(client, 'REFRESH_TOKEN_AUTH')) throw new CognitoError('InvalidParameterException', 'Refresh Token has been revoked');
    const token = params.REFRESH_TOKEN;
    if (!token) throw new CognitoError('InvalidParameterException', 'Missing required parameter REFRESH_TOKEN');
    const record = this.refreshTokens.get(token);
    if (!record || record.clientId !== client.id) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
    const now = this.nowSeconds();
    if (now >= record.expires) throw new CognitoError('NotAuthorizedException', 'Refresh Token has expired');
    const user = pool.users.find(record.username);
    if (!user) throw new CognitoError('NotAuthorizedException', 'Invalid Refresh Token');
    if (!user.enabled) throw new CognitoError('NotAuthorizedException', 'User is disabled.');
    this.checkSecretHash(client, params.USERNAME ?? user.username, params.SECRET_HASH);
    // No new refresh token: Cognito returns one only with refresh token rotation.
    return { ChallengeParameters: {}, AuthenticationResult: await this.issue(pool, client, user, now, record.originJti, record.authTime) };
  }

  private async issue(pool: Pool, client: UserPoolClientConfig, user: StoredUser, now: number, originJti: string, authTime = now): Promise<AuthenticationResult> {
    const { sub, ...attributes } = user.attributes;
    const session: SessionClaims = {
      issuer: this.issuer(pool.config.id),
      clientId: client.id,
      sub,
      username: user.username,
      attributes,
      authTime,
      originJti,
      now,
      idTokenSeconds: client.idTokenSeconds,
      accessTokenSeconds: client.accessTokenSeconds,
    };
    const [IdToken, AccessToken] = await Promise.all([pool.signer.sign(idTokenClaims(session)), pool.signer.sign(accessTokenClaims(session))]);
    return { AccessToken, ExpiresIn: client.accessTokenSeconds, TokenType: 'Bearer', IdToken };
  }

  /** The claims of a valid access token of one of the pools (GetUser), else NotAuthorizedException as Cognito words it. */
  private async verifyAccessToken(token: string): Promise<Record<string, unknown>> {
    let issuer: string;
    try {
      issuer = String(jose.decodeJwt(token).iss ?? '');
    } catch {
      throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    }
    const poolId = issuer.startsWith(`${this.options.endpointUrl}/`) ? issuer.slice(this.options.endpointUrl.length + 1) : '';
    const jwks = this.jwks(poolId);
    if (!jwks) throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    try {
      const { payload } = await jose.jwtVerify(token, jose.createLocalJWKSet(jwks), { issuer, algorithms: ['RS256'], currentDate: this.options.clock.now() });
      if (payload.token_use !== 'access') throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
      return payload;
    } catch (error) {
      if (error instanceof CognitoError) throw error;
      if ((error as { code?: string }).code === 'ERR_JWT_EXPIRED') throw new CognitoError('NotAuthorizedException', 'Access Token has expired');
      throw new CognitoError('NotAuthorizedException', 'Invalid Access Token');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lookups and bookkeeping
  // -------------------------------------------------------------------------------------------

  private async addPool(config: UserPoolConfig, saved: { key: StoredKey; users: StoredUser[] } | undefined): Promise<void> {
    const key = saved?.key ?? (await newSigningKey());
    this.pools.set(config.id, { config, users: new UserDirectory(config, saved?.users ?? []), key, signer: new TokenSigner(key), created: this.nowMs() });
  }

  private pool(id: string): Pool {
    const pool = this.pools.get(id);
    if (!pool) throw new CognitoError('ResourceNotFoundException', `User pool ${id} does not exist.`);
    return pool;
  }

  private client(id: string, poolId?: string): UserPoolClientConfig {
    const client = this.clients.get(id);
    if (!client || (poolId !== undefined && client.userPoolId !== poolId)) throw new CognitoError('ResourceNotFoundException', `User pool client ${id} does not exist.`);
    return client;
  }

  /** A client with a secret needs SECRET_HASH = Base64(HMAC-SHA256(secret, username + clientId)). */
  private checkSecretHash(client: UserPoolClientConfig, username: string, given: unknown): void {
    if (!client.secret) return;
    const expected = createHmac('sha256', client.secret).update(username + client.id).digest('base64');
    if (given !== expected) throw new CognitoError('NotAuthorizedException', `Unable to verify secret hash for client ${client.id}`);
  }

  private confirm(user: StoredUser): void {
    user.status = 'CONFIRMED';
    user.confirmationCode = undefined;
    user.modified = this.nowMs();
    this.save();
  }

  private describeUser(user: StoredUser) {
    return {
      User: {
        Username: user.username,
        Attributes: attributeList(user.attributes),
        UserCreateDate: new Date(user.created),
        UserLastModifiedDate: new Date(user.modified),
        Enabled: user.enabled,
        UserStatus: user.status,
      },
    };
  }

  private describePool(pool: Pool) {
    const { config } = pool;
    const p = config.properties;
    return {
      Id: config.id,
      Name: config.name,
      Arn: config.arn,
      Policies: {
        PasswordPolicy: {
          MinimumLength: config.passwordPolicy.minimumLength,
          RequireUppercase: config.passwordPolicy.requireUppercase,
          RequireLowercase: config.passwordPolicy.requireLowercase,
          RequireNumbers: config.passwordPolicy.requireNumbers,
          RequireSymbols: config.passwordPolicy.requireSymbols,
          TemporaryPasswordValidityDays: config.passwordPolicy.temporaryPasswordValidityDays,
        },
      },
      LambdaConfig: {},
      ...(config.usernameAttributes.length ? { UsernameAttributes: config.usernameAttributes } : {}),
      ...(config.aliasAttributes.length ? { AliasAttributes: config.aliasAttributes } : {}),
      AutoVerifiedAttributes: config.autoVerifiedAttributes,
      UsernameConfiguration: { CaseSensitive: config.caseSensitive },
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: config.adminCreateUserOnly },
      MfaConfiguration: p.MfaConfiguration ?? 'OFF',
      DeletionProtection: p.DeletionProtection ?? 'INACTIVE',
      EstimatedNumberOfUsers: pool.users.list().length,
      CreationDate: new Date(pool.created),
      LastModifiedDate: new Date(pool.created),
    };
  }

  private describeClient(client: UserPoolClientConfig) {
    const p = client.properties;
    return {
      UserPoolId: client.userPoolId,
      ClientName: client.name,
      ClientId: client.id,
      ...(client.secret ? { ClientSecret: client.secret } : {}),
      ExplicitAuthFlows: client.explicitAuthFlows,
      IdTokenValidity: client.idTokenSeconds / 60,
      AccessTokenValidity: client.accessTokenSeconds / 60,
      RefreshTokenValidity: client.refreshTokenSeconds / 60,
      TokenValidityUnits: { IdToken: 'minutes', AccessToken: 'minutes', RefreshToken: 'minutes' },
      PreventUserExistenceErrors: client.preventUserExistenceErrors ? 'ENABLED' : 'LEGACY',
      ...(p.AllowedOAuthFlows ? { AllowedOAuthFlows: p.AllowedOAuthFlows } : {}),
      ...(p.AllowedOAuthScopes ? { AllowedOAuthScopes: p.AllowedOAuthScopes } : {}),
      ...(p.CallbackURLs ? { CallbackURLs: p.CallbackURLs } : {}),
    };
  }

  private dropExpiredRefreshTokens(now: number): void {
    for (const [token, record] of this.refreshTokens) if (record.expires <= now) this.refreshTokens.delete(token);
  }

  private nowMs(): number {
    return this.options.clock.now().getTime();
  }

  private nowSeconds(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  private log(line: string): void {
    (this.options.log ?? console.log)(line);
  }

  private readState(): PersistedState | undefined {
    const file = this.options.dataFile;
    if (!file || !fs.existsSync(file)) return undefined;
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PersistedState;
  }

  /** Writes the whole state (a few users and keys): a temporary file renamed over the old one. */
  private save(): void {
    const file = this.options.dataFile;
    if (!file) return;
    const state: PersistedState = {
      pools: Object.fromEntries([...this.pools].map(([id, p]) => [id, { key: p.key, users: p.users.list() }])),
      refreshTokens: Object.fromEntries(this.refreshTokens),
    };
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(`${file}.tmp`, JSON.stringify(state));
    fs.renameSync(`${file}.tmp`, file);
  }
}

/**
 * ListUsers' Filter: `attribute = "value"` (exact) or `attribute ^= "value"` (prefix), on username, email,
 * phone_number, name, given_name, family_name, preferred_username, cognito:user_status, status, sub.
 */
function listUsersFilter(filter: unknown): (user: StoredUser) => boolean {
  if (filter === undefined || filter === null || filter === '') return () => true;
  const m = /^\s*([\w:]+)\s*(\^?=)\s*"([^"]*)"\s*$/.exec(String(filter));
  const searchable = ['username', 'email', 'phone_number', 'name', 'given_name', 'family_name', 'preferred_username', 'cognito:user_status', 'status', 'sub'];
  if (!m || !searchable.includes(m[1])) throw new CognitoError('InvalidParameterException', 'Error while parsing filter.');
  const [, attribute, operator, value] = m;
  const valueOf = (u: StoredUser) =>
    attribute === 'username' ? u.username : attribute === 'cognito:user_status' ? u.status : attribute === 'status' ? (u.enabled ? 'Enabled' : 'Disabled') : u.attributes[attribute];
  return (u) => {
    const v = valueOf(u);
    return v !== undefined && (operator === '=' ? v === value : v.startsWith(value));
  };
}

/** How Cognito shows where a code went: `g***@e***` / `+*******0100`. */
function maskDestination(value: string): string {
  const at = value.indexOf('@');
  if (at > 0) return `${value[0]}***@${value[at + 1] ?? ''}***`;
  return `+${'*'.repeat(Math.max(0, value.length - 5))}${value.slice(-4)}`;
}
