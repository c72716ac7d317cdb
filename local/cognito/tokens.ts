/**
 * A user pool's signing key and the JWTs it issues, as Cognito issues them: RS256, a `kid` naming the key in the
 * pool's JWKS, ID tokens (`token_use: id`, `aud` = the app client) and access tokens (`token_use: access`,
 * `client_id`, `scope: aws.cognito.signin.user.admin`), `iat`/`exp`/`auth_time` in epoch seconds on the cloud's clock.
 * Refresh tokens are opaque on AWS (an encrypted JWE); here they are random strings the pool remembers.
 */
import { randomUUID } from 'node:crypto';
import { CryptoKey, JWK, JWTPayload, JSONWebKeySet, jose } from './jose';

export interface StoredKey {
  kid: string;
  /** The private key as a JWK (persisted with the pool's users so tokens survive a restart). */
  privateJwk: JWK;
}

export async function newSigningKey(): Promise<StoredKey> {
  const { privateKey } = await jose.generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const privateJwk = await jose.exportJWK(privateKey);
  return { kid: await jose.calculateJwkThumbprint(privateJwk), privateJwk };
}

/** The public half of a key, as a JWKS lists it (Cognito's: alg, e, kid, kty, n, use). */
export function publicJwk(key: StoredKey): JWK {
  const { kty, n, e } = key.privateJwk;
  return { alg: 'RS256', e, kid: key.kid, kty, n, use: 'sig' };
}

export function jwksOf(keys: StoredKey[]): JSONWebKeySet {
  return { keys: keys.map(publicJwk) };
}

export class TokenSigner {
  private privateKey?: Promise<CryptoKey | Uint8Array>;

  constructor(private readonly key: StoredKey) {}

  async sign(claims: JWTPayload): Promise<string> {
    this.privateKey ??= jose.importJWK(this.key.privateJwk, 'RS256') as Promise<CryptoKey | Uint8Array>;
    return new jose.SignJWT(claims).setProtectedHeader({ kid: this.key.kid, alg: 'RS256' }).sign(await this.privateKey);
  }
}

/** What a sign-in produces, before the tokens are signed. */
export interface SessionClaims {
  issuer: string;
  clientId: string;
  /** The user's `sub` attribute. */
  sub: string;
  username: string;
  /** The user's attributes other than sub, as strings (the ID token carries them). */
  attributes: Record<string, string>;
  /** Epoch seconds of the sign-in (kept by a refresh). */
  authTime: number;
  /** The sign-in's id (kept by a refresh). */
  originJti: string;
  now: number;
  idTokenSeconds: number;
  accessTokenSeconds: number;
}

/** Attributes the ID token carries as booleans. */
const BOOLEAN_ATTRIBUTES = new Set(['email_verified', 'phone_number_verified']);

export function idTokenClaims(s: SessionClaims): JWTPayload {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(s.attributes)) attributes[name] = BOOLEAN_ATTRIBUTES.has(name) ? value === 'true' : value;
  return {
    sub: s.sub,
    ...attributes,
    iss: s.issuer,
    'cognito:username': s.username,
    origin_jti: s.originJti,
    aud: s.clientId,
    event_id: randomUUID(),
    token_use: 'id',
    auth_time: s.authTime,
    exp: s.now + s.idTokenSeconds,
    iat: s.now,
    jti: randomUUID(),
  };
}

export function accessTokenClaims(s: SessionClaims): JWTPayload {
  return {
    sub: s.sub,
    iss: s.issuer,
    client_id: s.clientId,
    origin_jti: s.originJti,
    event_id: randomUUID(),
    token_use: 'access',
    scope: 'aws.cognito.signin.user.admin',
    auth_time: s.authTime,
    exp: s.now + s.accessTokenSeconds,
    iat: s.now,
    jti: randomUUID(),
    username: s.username,
  };
}
