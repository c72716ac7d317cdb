/**
 * One user pool and its app clients, configured from the template's AWS::Cognito::UserPool and
 * AWS::Cognito::UserPoolClient properties with CloudFormation's defaults, and the pool's users.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { CognitoError } from './errors';

export interface PasswordPolicy {
  minimumLength: number;
  requireUppercase: boolean;
  requireLowercase: boolean;
  requireNumbers: boolean;
  requireSymbols: boolean;
  temporaryPasswordValidityDays: number;
}

export interface UserPoolConfig {
  id: string;
  name: string;
  arn: string;
  passwordPolicy: PasswordPolicy;
  /** `email` / `phone_number`: the user signs in with it and the pool names the user by its sub. */
  usernameAttributes: string[];
  /** Verified attributes that also sign a user in (AliasAttributes). */
  aliasAttributes: string[];
  autoVerifiedAttributes: string[];
  caseSensitive: boolean;
  /** AdminCreateUserConfig.AllowAdminCreateUserOnly: SignUp is refused. */
  adminCreateUserOnly: boolean;
  /** The template's properties, for DescribeUserPool. */
  properties: Record<string, any>;
}

export interface UserPoolClientConfig {
  id: string;
  name: string;
  userPoolId: string;
  secret?: string;
  explicitAuthFlows: string[];
  idTokenSeconds: number;
  accessTokenSeconds: number;
  refreshTokenSeconds: number;
  /** PreventUserExistenceErrors ENABLED: an unknown user is answered like a wrong password. */
  preventUserExistenceErrors: boolean;
  properties: Record<string, any>;
}

export type UserStatus = 'UNCONFIRMED' | 'CONFIRMED' | 'FORCE_CHANGE_PASSWORD';

export interface StoredUser {
  username: string;
  /** Every attribute, `sub` included, as strings. */
  attributes: Record<string, string>;
  passwordSalt: string;
  passwordHash: string;
  status: UserStatus;
  enabled: boolean;
  created: number;
  modified: number;
  /** The sign-up confirmation code (written to the cloud's log instead of sent). */
  confirmationCode?: string;
  /** A temporary password stops working after the pool's TemporaryPasswordValidityDays. */
  temporaryPasswordExpires?: number;
}

/** Cognito's default password policy (a pool created without Policies). */
const DEFAULT_POLICY: PasswordPolicy = {
  minimumLength: 8,
  requireUppercase: true,
  requireLowercase: true,
  requireNumbers: true,
  requireSymbols: true,
  temporaryPasswordValidityDays: 7,
};

/** The characters Cognito counts as symbols. */
const SYMBOLS = new Set('^$*.[]{}()?"!@#%&/\\,><\':;|_~`=+- ');

/** ExplicitAuthFlows of a client created without them. */
const DEFAULT_AUTH_FLOWS = ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH'];

const UNIT_SECONDS: Record<string, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86_400 };

export function userPoolConfig(id: string, arn: string, p: Record<string, any>): UserPoolConfig {
  const policy = p.Policies?.PasswordPolicy ?? {};
  const flag = (v: unknown, fallback: boolean) => (v === undefined ? fallback : v === true || v === 'true');
  return {
    id,
    name: p.UserPoolName ?? id,
    arn,
    passwordPolicy: {
      minimumLength: Number(policy.MinimumLength ?? DEFAULT_POLICY.minimumLength),
      requireUppercase: flag(policy.RequireUppercase, p.Policies ? false : true),
      requireLowercase: flag(policy.RequireLowercase, p.Policies ? false : true),
      requireNumbers: flag(policy.RequireNumbers, p.Policies ? false : true),
      requireSymbols: flag(policy.RequireSymbols, p.Policies ? false : true),
      temporaryPasswordValidityDays: Number(policy.TemporaryPasswordValidityDays ?? DEFAULT_POLICY.temporaryPasswordValidityDays),
    },
    usernameAttributes: p.UsernameAttributes ?? [],
    aliasAttributes: p.AliasAttributes ?? [],
    autoVerifiedAttributes: p.AutoVerifiedAttributes ?? [],
    caseSensitive: flag(p.UsernameConfiguration?.CaseSensitive, true),
    adminCreateUserOnly: flag(p.AdminCreateUserConfig?.AllowAdminCreateUserOnly, false),
    properties: p,
  };
}

export function userPoolClientConfig(id: string, secret: string | undefined, p: Record<string, any>): UserPoolClientConfig {
  const units = p.TokenValidityUnits ?? {};
  const seconds = (value: unknown, unit: string | undefined, defaultUnit: string, fallbackSeconds: number) =>
    value === undefined ? fallbackSeconds : Number(value) * UNIT_SECONDS[unit ?? defaultUnit];
  return {
    id,
    name: p.ClientName ?? id,
    userPoolId: p.UserPoolId,
    secret: p.GenerateSecret === true || p.GenerateSecret === 'true' ? secret : undefined,
    explicitAuthFlows: p.ExplicitAuthFlows ?? DEFAULT_AUTH_FLOWS,
    idTokenSeconds: seconds(p.IdTokenValidity, units.IdToken, 'hours', 3600),
    accessTokenSeconds: seconds(p.AccessTokenValidity, units.AccessToken, 'hours', 3600),
    refreshTokenSeconds: seconds(p.RefreshTokenValidity, units.RefreshToken, 'days', 30 * 86_400),
    preventUserExistenceErrors: p.PreventUserExistenceErrors === 'ENABLED',
    properties: p,
  };
}

/** Whether the client allows a flow, by its ALLOW_ name or the legacy one. */
export function allowsFlow(client: UserPoolClientConfig, flow: 'USER_PASSWORD_AUTH' | 'ADMIN_USER_PASSWORD_AUTH' | 'REFRESH_TOKEN_AUTH'): boolean {
  const legacy = flow === 'ADMIN_USER_PASSWORD_AUTH' ? 'ADMIN_NO_SRP_AUTH' : flow;
  // Refresh is always allowed to clients on the legacy names (AWS adds it).
  if (flow === 'REFRESH_TOKEN_AUTH' && !client.explicitAuthFlows.some((f) => f.startsWith('ALLOW_'))) return true;
  return client.explicitAuthFlows.includes(`ALLOW_${flow}`) || client.explicitAuthFlows.includes(legacy);
}

/** Refuses a password the policy does not allow, with Cognito's messages. */
export function checkPassword(policy: PasswordPolicy, password: string): void {
  const fail = (why: string) => {
    throw new CognitoError('InvalidPasswordException', `Password did not conform with policy: ${why}`);
  };
  if (password.length < policy.minimumLength) fail('Password not long enough');
  if (policy.requireLowercase && !/[a-z]/.test(password)) fail('Password must have lowercase characters');
  if (policy.requireUppercase && !/[A-Z]/.test(password)) fail('Password must have uppercase characters');
  if (policy.requireNumbers && !/[0-9]/.test(password)) fail('Password must have numeric characters');
  if (policy.requireSymbols && ![...password].some((c) => SYMBOLS.has(c))) fail('Password must have symbol characters');
}

export function hashPassword(password: string, salt = randomBytes(16).toString('hex')): { passwordSalt: string; passwordHash: string } {
  return { passwordSalt: salt, passwordHash: createHash('sha256').update(salt).update(password).digest('hex') };
}

export function passwordMatches(user: StoredUser, password: string): boolean {
  const { passwordHash } = hashPassword(password, user.passwordSalt);
  return timingSafeEqual(Buffer.from(passwordHash), Buffer.from(user.passwordHash));
}

/** A password Cognito would generate for AdminCreateUser without TemporaryPassword: one of each class. */
export function generatePassword(policy: PasswordPolicy): string {
  const pick = (chars: string) => chars[randomBytes(1)[0] % chars.length];
  const core = randomBytes(Math.max(policy.minimumLength, 12)).toString('base64url').replace(/[-_]/g, 'x');
  return `${core}${pick('ABCDEFGHJKLMNPQRSTUVWXYZ')}${pick('abcdefghijkmnpqrstuvwxyz')}${pick('23456789')}${pick('!#%&*+=?')}`;
}

/** The users of one pool, found by username (case-folded when the pool is case-insensitive) or by a sign-in alias. */
export class UserDirectory {
  private readonly byKey = new Map<string, StoredUser>();

  constructor(
    readonly config: UserPoolConfig,
    users: StoredUser[] = [],
  ) {
    for (const user of users) this.byKey.set(this.key(user.username), user);
  }

  list(): StoredUser[] {
    return [...this.byKey.values()];
  }

  /** The user a sign-in name means: the username, or the email/phone of a pool that signs in with them. */
  find(name: string): StoredUser | undefined {
    const direct = this.byKey.get(this.key(name));
    if (direct) return direct;
    const signInAttributes = [...this.config.usernameAttributes, ...this.config.aliasAttributes];
    if (signInAttributes.length === 0) return undefined;
    const folded = name.toLowerCase();
    return this.list().find((u) =>
      signInAttributes.some((a) => {
        const value = u.attributes[a];
        if (value === undefined || value.toLowerCase() !== folded) return false;
        // An alias signs in only once verified; a username attribute always does.
        return this.config.usernameAttributes.includes(a) || u.attributes[`${a}_verified`] === 'true';
      }),
    );
  }

  /** The user, or UserNotFoundException "User does not exist.". */
  get(name: string): StoredUser {
    const user = this.find(name);
    if (!user) throw new CognitoError('UserNotFoundException', 'User does not exist.');
    return user;
  }

  /**
   * A new user. With UsernameAttributes the name given must be one of them (an email or a phone number): it
   * becomes that attribute and the user is named by its sub, as Cognito does.
   */
  create(input: { name: string; attributes: Record<string, string>; password: string; status: UserStatus; now: number; existsMessage: string }): StoredUser {
    const sub = randomUUID();
    const attributes: Record<string, string> = { ...input.attributes, sub };
    let username = input.name;
    if (this.config.usernameAttributes.length > 0) {
      const attribute = signInAttributeOf(input.name, this.config.usernameAttributes);
      attributes[attribute] = input.name;
      username = sub;
    }
    if (this.find(input.name) || this.byKey.has(this.key(username))) throw new CognitoError('UsernameExistsException', input.existsMessage);
    const user: StoredUser = { username, attributes, ...hashPassword(input.password), status: input.status, enabled: true, created: input.now, modified: input.now };
    this.byKey.set(this.key(username), user);
    return user;
  }

  delete(user: StoredUser): void {
    this.byKey.delete(this.key(user.username));
  }

  private key(name: string): string {
    return this.config.caseSensitive ? name : name.toLowerCase();
  }
}

/** Which UsernameAttribute a sign-in name is: an email or a phone number, else InvalidParameterException. */
function signInAttributeOf(name: string, usernameAttributes: string[]): string {
  if (usernameAttributes.includes('email') && /^[^@\s]+@[^@\s]+$/.test(name)) return 'email';
  if (usernameAttributes.includes('phone_number') && /^\+[0-9]{4,15}$/.test(name)) return 'phone_number';
  throw new CognitoError('InvalidParameterException', usernameAttributes.includes('email') ? 'Username should be an email.' : 'Username should be a phone number.');
}

/** Cognito's attribute list shape. */
export function attributeList(attributes: Record<string, string>): { Name: string; Value: string }[] {
  return Object.entries(attributes).map(([Name, Value]) => ({ Name, Value }));
}

/** `[{Name, Value}]` from a request as a record (InvalidParameterException for a malformed one). */
export function attributesFrom(list: unknown): Record<string, string> {
  if (list === undefined || list === null) return {};
  if (!Array.isArray(list)) throw new CognitoError('InvalidParameterException', 'UserAttributes must be a list of {Name, Value}');
  const out: Record<string, string> = {};
  for (const entry of list as { Name?: unknown; Value?: unknown }[]) {
    if (typeof entry?.Name !== 'string') throw new CognitoError('InvalidParameterException', 'An attribute has no Name');
    if (entry.Name === 'sub') throw new CognitoError('InvalidParameterException', 'Cannot modify an non-mutable attribute: sub');
    out[entry.Name] = entry.Value === undefined || entry.Value === null ? '' : String(entry.Value);
  }
  return out;
}
