/**
 * The local Cognito on the AWS-compatible endpoint (local/endpoint `routes`):
 *
 *   POST /  X-Amz-Target: AWSCognitoIdentityProviderService.<Op>   → ./service.ts (AWS JSON 1.1)
 *   GET  /<poolId>/.well-known/jwks.json                           → the pool's public keys
 *   GET  /<poolId>/.well-known/openid-configuration                → issuer and jwks_uri
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CognitoError } from './errors';
import type { LocalCognito } from './service';
import { awsJsonStringify } from '../endpoint/http';

export const COGNITO_TARGET = 'AWSCognitoIdentityProviderService';
const WELL_KNOWN = /^\/([\w-]+_[0-9A-Za-z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/;

export function cognitoRoute(cognito: LocalCognito) {
  return {
    service: 'cognito-idp' as const,
    matches(req: IncomingMessage, url: URL): boolean {
      const target = req.headers['x-amz-target'];
      if (typeof target === 'string') return target.startsWith(`${COGNITO_TARGET}.`);
      return req.method === 'GET' && WELL_KNOWN.test(url.pathname);
    },
    async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<{ action?: string; errorCode?: string }> {
      const wellKnown = WELL_KNOWN.exec(url.pathname);
      if (req.method === 'GET' && wellKnown) {
        const document = wellKnown[2] === 'jwks.json' ? cognito.jwks(wellKnown[1]) : cognito.openIdConfiguration(wellKnown[1]);
        if (!document) {
          write(res, 404, { 'content-type': 'application/json' }, JSON.stringify({ message: `User pool ${wellKnown[1]} does not exist.` }));
          return { action: wellKnown[2], errorCode: 'ResourceNotFoundException' };
        }
        write(res, 200, { 'content-type': 'application/json' }, JSON.stringify(document));
        return { action: wellKnown[2] };
      }
      const action = String(req.headers['x-amz-target']).slice(COGNITO_TARGET.length + 1);
      try {
        let request: Record<string, unknown> = {};
        if (body.length) {
          try {
            request = JSON.parse(body.toString('utf8'));
          } catch {
            throw new CognitoError('SerializationException', 'Start of structure or map found where not expected');
          }
        }
        const output = await cognito.call(action, request);
        write(res, 200, { 'content-type': 'application/x-amz-json-1.1' }, awsJsonStringify(output));
        return { action };
      } catch (error) {
        const e = error instanceof CognitoError ? error : new CognitoError('InternalErrorException', String((error as Error)?.message ?? error));
        if (!(error instanceof CognitoError)) console.error(`local Cognito: ${action} failed:`, error);
        const rendered = e.render();
        write(res, rendered.status, rendered.headers, rendered.body);
        return { action, errorCode: e.code };
      }
    },
  };
}

function write(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}
