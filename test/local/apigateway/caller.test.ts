/**
 * The caller in the app's templates (docs/auth.md): the request template names it from `$context.identity.userArn`
 * (AWS_IAM), `$context.authorizer.claims.sub` (Cognito) or "anonymous"; the request-record template shows a record
 * to that caller only. And the SigV4 verifier on requests a signer produces: encoded paths, repeated query
 * parameters, header spellings.
 */
import { mappingTemplate } from '../../../cdk/api-templates';
import { sigv4Authorizer } from '../../../local/apigateway/sigv4';
import { GatewayResponseError } from '../../../local/apigateway/gateway-responses';
import { MappingContext, renderMappingTemplate } from '../../../local/apigateway/vtl';
import { signRequest } from '../../../local/auth/sign-request';

const requestTemplate = mappingTemplate('start-sync-execution.request.vtl', { StateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:orders', ResourceName: 'orders' });
const recordTemplate = mappingTemplate('request-record.response.vtl');

function inputFor(context: Partial<MappingContext>): any {
  const { body } = renderMappingTemplate(requestTemplate, {
    body: '',
    pathParameters: {},
    headers: {},
    context: { requestId: 'r-1', httpMethod: 'GET', stage: 'v1', path: '/v1/orders', requestTimeEpoch: 1, identity: {}, ...context },
  });
  return JSON.parse(JSON.parse(body).input);
}

describe('the request template names the caller', () => {
  test.each([
    ['an IAM user (AWS_IAM)', { identity: { userArn: 'arn:aws:iam::123456789012:user/ada', caller: 'AIDAEXAMPLE', accessKey: 'AKIAEXAMPLE' } }, 'arn:aws:iam::123456789012:user/ada'],
    ['an assumed role', { identity: { userArn: 'arn:aws:sts::123456789012:assumed-role/Ops/ada@example.com' } }, 'arn:aws:sts::123456789012:assumed-role/Ops/ada@example.com'],
    ['a Cognito user', { authorizer: { claims: { sub: '5b1f0c2e-1111-4222-8333-444455556666', email: 'ada@example.com' } } }, '5b1f0c2e-1111-4222-8333-444455556666'],
    ['nobody (auth none)', {}, 'anonymous'],
  ])('%s', (_name, context, caller) => {
    expect(inputFor(context as Partial<MappingContext>).caller).toBe(caller);
  });

  test('a caller with quotes or backslashes stays a JSON string (escaped twice like every other field)', () => {
    expect(inputFor({ authorizer: { claims: { sub: `a"b\\c'd` } } }).caller).toBe(`a"b\\c'd`);
  });
});

describe('the request-record template answers its caller only', () => {
  const item = { Item: { requestId: { S: 'r-9' }, caller: { S: 'arn:aws:iam::1:user/ada' }, status: { S: 'queued' }, resource: { S: 'orders' } } };
  const render = (payload: unknown, identity: Record<string, string>) =>
    renderMappingTemplate(recordTemplate, { body: JSON.stringify(payload), pathParameters: { id: 'r-9' }, context: { requestId: 'q-1', identity } });

  test('its caller gets the record', () => {
    const out = render(item, { userArn: 'arn:aws:iam::1:user/ada' });
    expect(out.responseOverride.status).toBeUndefined();
    expect(JSON.parse(out.body)).toMatchObject({ requestId: 'r-9', status: 'queued' });
  });

  test('another caller gets 404 problem JSON that shows nothing of the record', () => {
    const out = render(item, { userArn: 'arn:aws:iam::1:user/grace' });
    expect(out.responseOverride).toMatchObject({ status: 404, headers: { 'Content-Type': 'application/problem+json' } });
    expect(JSON.parse(out.body)).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No request r-9 was made by this caller.', requestId: 'q-1' });
  });

  test('a record without a caller belongs to anonymous; a missing record is still "unknown"', () => {
    const legacy = { Item: { ...item.Item, caller: undefined } };
    expect(render(legacy, {}).responseOverride.status).toBeUndefined();
    expect(render(legacy, { userArn: 'arn:aws:iam::1:user/ada' }).responseOverride.status).toBe(404);
    expect(JSON.parse(render({}, { userArn: 'arn:aws:iam::1:user/ada' }).body)).toMatchObject({ status: 'unknown' });
  });
});

describe('SigV4 verification of what a signer sends', () => {
  const now = new Date('2026-12-06T05:00:00Z');
  const verify = sigv4Authorizer({ credentials: [{ accessKeyId: 'local', secretAccessKey: 'local' }], region: 'us-east-1', accountId: '000000000000', now: () => now });

  /** Signs like a client, then hands the authorizer the request as the server receives it. */
  async function roundTrip(method: string, url: string, headers: Record<string, string> = {}, body = '', tamper?: (h: Record<string, string>) => void) {
    const signed = { ...(await signRequest({ method, url, headers, body: body || undefined }, { signingDate: now })), host: new URL(url).host };
    tamper?.(signed);
    const lower = Object.fromEntries(Object.entries(signed).map(([k, v]) => [k.toLowerCase(), v]));
    const u = new URL(url);
    return verify({ httpMethod: method, path: u.pathname, query: u.searchParams, header: (n) => lower[n], body: Buffer.from(body), authorization: { type: 'AWS_IAM', scopes: [] } });
  }

  test('percent-encoded paths, repeated and empty query parameters, mixed-case header names pass', async () => {
    const caller = await roundTrip('GET', 'http://127.0.0.1:3000/v1/orders/a%20b%2Fc%C3%A9?next=x%2By&limit=5&tag=b&tag=a&empty=', { 'If-None-Match': '"1"', 'X-Custom': '  spaced   value ' });
    expect(caller.identity).toEqual({ accessKey: 'local', accountId: '000000000000', caller: expect.stringMatching(/^AIDA[0-9A-F]{17}$/), user: expect.stringMatching(/^AIDA/), userArn: 'arn:aws:iam::000000000000:user/local' });
  });

  test('a body with non-ASCII text passes; one byte changed does not', async () => {
    const body = JSON.stringify({ customer: 'Zoë 😀' });
    await expect(roundTrip('POST', 'http://127.0.0.1:3000/v1/orders', { 'Content-Type': 'application/json' }, body)).resolves.toBeDefined();
    await expect(roundTrip('POST', 'http://127.0.0.1:3000/v1/orders', { 'Content-Type': 'application/json' }, body, (h) => (h['content-type'] = 'text/plain'))).rejects.toMatchObject({
      responseType: 'INVALID_SIGNATURE',
    });
  });

  test('a signed header that did not arrive, or a forged x-amz-content-sha256, is a mismatch', async () => {
    const missing = roundTrip('GET', 'http://127.0.0.1:3000/v1/orders', { 'X-Custom': 'a' }, '', (h) => delete h['X-Custom']);
    await expect(missing).rejects.toBeInstanceOf(GatewayResponseError);
    const forged = roundTrip('POST', 'http://127.0.0.1:3000/v1/orders', { 'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }, '{"a":1}');
    await expect(forged).rejects.toMatchObject({ responseType: 'INVALID_SIGNATURE', errorType: 'InvalidSignatureException' });
  });

  test('a signature without X-Amz-Date (nor Date) is incomplete', async () => {
    await expect(roundTrip('GET', 'http://127.0.0.1:3000/v1/orders', {}, '', (h) => delete h['x-amz-date'])).rejects.toMatchObject({
      responseType: 'MISSING_AUTHENTICATION_TOKEN',
      errorType: 'IncompleteSignatureException',
      message: expect.stringContaining("requires existence of either a 'X-Amz-Date' or a 'Date' header"),
    });
  });
});
