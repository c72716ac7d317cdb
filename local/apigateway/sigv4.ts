/**
 * API Gateway's AWS_IAM authorization, locally: the SigV4 signature of the request (an Authorization
 * header, or a presigned query string) is recomputed with @smithy/signature-v4 over the request as it was
 * received and compared in constant time, against the credentials the local cloud knows. IAM policies are
 * not evaluated: a known key is allowed `execute-api:Invoke` on everything.
 *
 * Refusals, as API Gateway answers them (status 403 each; the response type picks the gateway response):
 *   no signature                               MISSING_AUTHENTICATION_TOKEN  MissingAuthenticationTokenException
 *   an Authorization header that is not SigV4  MISSING_AUTHENTICATION_TOKEN  IncompleteSignatureException
 *   an access key nobody issued                ACCESS_DENIED                 AccessDeniedException "The security token included in the request is invalid."
 *   another service, region or date in scope   INVALID_SIGNATURE             InvalidSignatureException
 *   X-Amz-Date more than 5 minutes off         INVALID_SIGNATURE             "Signature expired: … (… - 5 min.)"
 *   a signature that does not match            INVALID_SIGNATURE             "The request signature we calculated does not match …"
 * (AWS's knowledge-center article "troubleshoot HTTP 403 errors from API Gateway" lists these messages and
 * error types; execute-api allows 5 minutes of clock skew, not the 15 of some other services.)
 */
import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, timingSafeEqual } from 'node:crypto';
import { EXECUTE_API, Sha256 } from '../auth/sign-request';
import { GatewayResponseError } from './gateway-responses';
import type { MethodAuthorizer } from './authorization';

export interface KnownCredential {
  accessKeyId: string;
  secretAccessKey: string;
  /** The IAM user name in `$context.identity.userArn` (default: the access key id). */
  userName?: string;
}

export interface SigV4VerifierOptions {
  credentials: readonly KnownCredential[];
  /** The API's region: the credential scope must name it. */
  region: string;
  accountId: string;
  /** The local cloud's clock. */
  now: () => Date;
  /**
   * Real time, when the cloud's clock may have been advanced: a signature within 5 minutes of either clock is on
   * time. On AWS both are the same; locally, clients that sign with the cloud's clock (the e2e Api) and clients
   * that sign with their own (curl, the SDK, after POST /_local/clock) both keep working.
   */
  realNow?: () => Date;
}

const SKEW_MS = 5 * 60 * 1000;
const MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

interface Presented {
  accessKeyId: string;
  scope: { date: string; region: string; service: string; terminator: string };
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** Presigned: seconds the URL stays valid. */
  expires?: number;
}

/** The AWS_IAM authorizer of the local REST API. */
export function sigv4Authorizer(options: SigV4VerifierOptions): MethodAuthorizer {
  const byKey = new Map(options.credentials.map((c) => [c.accessKeyId, c]));
  // One signer per key: a signer caches its derived signing keys (per day and scope), four HMACs a request otherwise.
  const signers = new Map(
    options.credentials.map((c) => [c.accessKeyId, new SignatureV4({ credentials: c, region: options.region, service: EXECUTE_API, sha256: Sha256, applyChecksum: false })]),
  );
  return async (request) => {
    const presented = readSignature(request.header('authorization'), request.query, request.header('x-amz-date') ?? request.header('date'));
    const credential = byKey.get(presented.accessKeyId);
    if (!credential) throw new GatewayResponseError('ACCESS_DENIED', 'The security token included in the request is invalid.', undefined, 'AccessDeniedException');
    checkScope(presented, options.region);
    checkTime(presented, options.now(), options.realNow?.());

    const signer = signers.get(credential.accessKeyId)!;
    const headers: Record<string, string> = {};
    for (const name of presented.signedHeaders) {
      const value = request.header(name);
      if (value === undefined) throw new GatewayResponseError('INVALID_SIGNATURE', MISMATCH, undefined, 'InvalidSignatureException');
      headers[name] = value;
    }
    // The body is hashed here, whatever an x-amz-content-sha256 header claims.
    const claimed = request.header('x-amz-content-sha256');
    const bodyHash = createHash('sha256').update(request.body).digest('hex');
    if (claimed !== undefined && claimed !== bodyHash) throw new GatewayResponseError('INVALID_SIGNATURE', MISMATCH, undefined, 'InvalidSignatureException');

    const query: Record<string, string | string[]> = {};
    for (const [k, v] of request.query) {
      if (presented.expires !== undefined && k === 'X-Amz-Signature') continue;
      query[k] = k in query ? [query[k]].flat().concat(v) : v;
    }
    const toSign = { method: request.httpMethod, protocol: 'https:', hostname: request.header('host') ?? '', path: request.path, query, headers, body: request.body };
    const signingDate = parseAmzDate(presented.amzDate)!;
    let expected: string;
    if (presented.expires !== undefined) {
      const presignedRequest = await signer.presign(toSign, { signingDate, expiresIn: presented.expires, signableHeaders: new Set(presented.signedHeaders) });
      expected = String(presignedRequest.query?.['X-Amz-Signature'] ?? '');
    } else {
      const signed = await signer.sign(toSign, { signingDate, signableHeaders: new Set(presented.signedHeaders) });
      expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization))?.[1] ?? '';
    }
    if (!sameText(expected, presented.signature)) throw new GatewayResponseError('INVALID_SIGNATURE', MISMATCH, undefined, 'InvalidSignatureException');

    const user = credential.userName ?? credential.accessKeyId;
    const userId = `AIDA${createHash('sha256').update(user).digest('hex').slice(0, 17).toUpperCase()}`;
    return {
      identity: {
        accessKey: credential.accessKeyId,
        accountId: options.accountId,
        caller: userId,
        user: userId,
        userArn: `arn:aws:iam::${options.accountId}:user/${user}`,
      },
    };
  };
}

/** The signature from the Authorization header or the presigned query; unsigned and malformed requests are refused here. */
function readSignature(authorization: string | undefined, query: URLSearchParams, dateHeader: string | undefined): Presented {
  if (authorization === undefined && query.get('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
    const credential = query.get('X-Amz-Credential') ?? '';
    const [accessKeyId, date, region, service, terminator] = credential.split('/');
    const missing = ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date', 'X-Amz-Expires'].filter((p) => !query.get(p));
    if (missing.length || !terminator) throw incomplete(missing.map((p) => `AWS query-string parameters must include '${p}'.`).join(' ') || `Invalid credential '${credential}'.`);
    const expires = Number(query.get('X-Amz-Expires'));
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) throw incomplete('X-Amz-Expires must be an integer number of seconds between 1 and 604800.');
    return {
      accessKeyId,
      scope: { date, region, service, terminator },
      signedHeaders: (query.get('X-Amz-SignedHeaders') ?? '').split(';'),
      signature: query.get('X-Amz-Signature') ?? '',
      amzDate: query.get('X-Amz-Date') ?? '',
      expires,
    };
  }
  if (authorization === undefined) throw new GatewayResponseError('MISSING_AUTHENTICATION_TOKEN');
  const parts = Object.fromEntries(
    authorization
      .replace(/^AWS4-HMAC-SHA256\s+/, '')
      .split(',')
      .map((p) => p.trim().split('='))
      .filter((kv) => kv.length === 2),
  ) as Record<string, string>;
  const problems = [
    ...(authorization.startsWith('AWS4-HMAC-SHA256 ') ? [] : ["Authorization header requires the 'AWS4-HMAC-SHA256' algorithm."]),
    ...['Credential', 'Signature', 'SignedHeaders'].filter((p) => !parts[p]).map((p) => `Authorization header requires '${p}' parameter.`),
    ...(dateHeader ? [] : ["Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."]),
  ];
  if (problems.length) throw incomplete(problems.join(' '));
  const [accessKeyId, date, region, service, terminator] = parts.Credential.split('/');
  if (!terminator) throw incomplete(`Invalid credential '${parts.Credential}'.`);
  return { accessKeyId, scope: { date, region, service, terminator }, signedHeaders: parts.SignedHeaders.toLowerCase().split(';'), signature: parts.Signature, amzDate: dateHeader ?? '' };
}

function incomplete(message: string): GatewayResponseError {
  // Customised through MISSING_AUTHENTICATION_TOKEN on AWS (a malformed signature counts as no token).
  return new GatewayResponseError('MISSING_AUTHENTICATION_TOKEN', message, undefined, 'IncompleteSignatureException');
}

function checkScope(presented: Presented, region: string): void {
  const invalid = (message: string) => new GatewayResponseError('INVALID_SIGNATURE', message, undefined, 'InvalidSignatureException');
  const { scope, amzDate } = presented;
  if (scope.service !== EXECUTE_API) throw invalid(`Credential should be scoped to correct service: '${EXECUTE_API}'. `);
  if (scope.region !== region) throw invalid(`Credential should be scoped to a valid region, not '${scope.region}'. `);
  if (scope.terminator !== 'aws4_request') throw invalid(`Credential should be scoped with a valid terminator: 'aws4_request', not '${scope.terminator}'. `);
  if (!parseAmzDate(amzDate)) throw invalid(`Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  if (amzDate.slice(0, 8) !== scope.date) {
    throw invalid(`Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`);
  }
}

function checkTime(presented: Presented, now: Date, realNow?: Date): void {
  if (realNow && Math.abs(realNow.getTime() - now.getTime()) > 1000) {
    try {
      return checkTime(presented, realNow);
    } catch {
      // Not on time by real time either: answered with the cloud's clock below.
    }
  }
  const signed = parseAmzDate(presented.amzDate)!.getTime();
  const invalid = (message: string) => new GatewayResponseError('INVALID_SIGNATURE', message, undefined, 'InvalidSignatureException');
  if (presented.expires !== undefined) {
    // A presigned URL is good from its date for X-Amz-Expires seconds.
    if (now.getTime() > signed + presented.expires * 1000) throw invalid(`Signature expired: ${presented.amzDate} is now earlier than ${amzDate(new Date(now.getTime() - presented.expires * 1000))} (${amzDate(now)} - ${presented.expires} sec.)`);
    if (signed > now.getTime() + SKEW_MS) throw invalid(`Signature not yet current: ${presented.amzDate} is still later than ${amzDate(new Date(now.getTime() + SKEW_MS))} (${amzDate(now)} + 5 min.)`);
    return;
  }
  if (signed < now.getTime() - SKEW_MS) throw invalid(`Signature expired: ${presented.amzDate} is now earlier than ${amzDate(new Date(now.getTime() - SKEW_MS))} (${amzDate(now)} - 5 min.)`);
  if (signed > now.getTime() + SKEW_MS) throw invalid(`Signature not yet current: ${presented.amzDate} is still later than ${amzDate(new Date(now.getTime() + SKEW_MS))} (${amzDate(now)} + 5 min.)`);
}

/** `20261206T054208Z` → Date; undefined when it is not that format. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  return m ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) : undefined;
}

function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
