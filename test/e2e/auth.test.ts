/**
 * Authentication end to end (docs/auth.md): the default stack authorizes every method with AWS_IAM, and the
 * local cloud verifies SigV4 the way API Gateway does (5 minutes of clock skew on the cloud's own clock,
 * the execute-api scope of the API's region, refusals as 403 problem JSON with API Gateway's error types).
 * Idempotency keys and request records are scoped to the caller. curl's own --aws-sigv4 works as printed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { SignatureV4 } from '@smithy/signature-v4';
import { localApiKeyFor } from '../../local/auth/api-keys';
import { Sha256, signRequest } from '../../local/auth/sign-request';
import { Api, LOCAL_CALLER, LocalCloud, RESOURCE_CASES, executionsNamed, expectGatewayProblem, idFromIdempotencyKey, resourceOf, startTestCloud, storedItem } from './helpers';

const run = promisify(execFile);
const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;
const OTHER = { accessKeyId: 'AKIAOTHERCALLER', secretAccessKey: 'other-secret', userName: 'other' };
const OTHER_CALLER = 'arn:aws:iam::000000000000:user/other';

let cloud: LocalCloud;
let api: Api;
let other: Api;

beforeAll(async () => {
  cloud = await startTestCloud({ credentials: [{ accessKeyId: 'local', secretAccessKey: 'local' }, OTHER] });
  api = new Api(cloud.apiUrl);
  other = new Api(cloud.apiUrl, { credentials: OTHER });
});
afterEach(() => cloud.services.faults.clear());
afterAll(async () => cloud?.stop());

const MINUTE = 60_000;
/** The API key the stack's usage plan may require, as the Api client sends it. */
const keyHeader = (): Record<string, string> => {
  const key = localApiKeyFor(cloud.apiUrl);
  return key ? { 'x-api-key': key } : {};
};

describe('signed requests', () => {
  it('the stack is iam, and a request signed with the printed credentials runs as the IAM user; no signature header reaches the execution', async () => {
    expect(cloud.outputs.AuthMode).toBe('iam');
    expect(cloud.credentials).toEqual([{ accessKeyId: 'local', secretAccessKey: 'local' }, OTHER]);
    const res = await api.post('/orders', orders.sample(1), { 'X-Amz-Meta': 'kept out' });
    expect({ status: res.status, text: res.text }).toEqual({ status: 201, text: expect.any(String) });
    const [execution] = executionsNamed(cloud, res.requestId!);
    const input = JSON.parse(execution.input);
    expect(input.caller).toBe(LOCAL_CALLER);
    expect(execution.input).not.toMatch(/AWS4-HMAC-SHA256|x-amz-date|X-Amz-Meta|Signature=/i);
  });

  it('a presigned URL (query-string signature) is accepted while it is valid', async () => {
    const created = await api.post('/orders', orders.sample(2));
    const url = await presign(`${cloud.apiUrl}/orders/${created.json.orderId}`, 60);
    const res = await fetch(url, { headers: keyHeader() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).orderId).toBe(created.json.orderId);
  });

  it('curl --aws-sigv4 "aws:amz:us-east-1:execute-api" --user local:local works, as the README prints it', async () => {
    // The cloud's clock may have been advanced by another test: curl signs with the real time.
    const { stdout } = await run('curl', ['-s', '-w', '\n%{http_code}', '--aws-sigv4', 'aws:amz:us-east-1:execute-api', '--user', 'local:local', '-H', 'Content-Type: application/json', ...Object.entries(keyHeader()).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), '-d', JSON.stringify(orders.sample(3)), `${cloud.apiUrl}/orders`]);
    const [body, status] = stdout.split('\n');
    expect({ status, body }).toEqual({ status: '201', body: expect.any(String) });
    expect(JSON.parse(body)).toMatchObject({ customer: 'Ada 3', version: 1 });
  });

  it('CORS preflights stay anonymous, as on AWS', async () => {
    const res = await fetch(`${cloud.apiUrl}/orders`, { method: 'OPTIONS', headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

describe('refused as API Gateway refuses them (403 problem JSON, no execution)', () => {
  async function expectRefused(res: Awaited<ReturnType<Api['get']>>, errorType: string, detail: RegExp): Promise<void> {
    expectGatewayProblem(cloud, res, 403, 'Forbidden');
    expect(res.headers.get('x-amzn-errortype')).toBe(errorType);
    expect(res.json.detail).toMatch(detail);
  }

  it('unsigned: Missing Authentication Token, and the problem says it may also be an unknown route', async () => {
    const res = await new Api(cloud.apiUrl, { credentials: false }).post('/orders', orders.sample(4));
    await expectRefused(res, 'MissingAuthenticationTokenException', /^Missing Authentication Token: the request is not signed.*no route for POST \/v1\/orders$/);
  });

  it('an unknown route, even signed, gets that same answer (API Gateway cannot tell them apart)', async () => {
    await expectRefused(await api.get('/pizzas'), 'MissingAuthenticationTokenException', /no route for GET \/v1\/pizzas/);
  });

  it('an Authorization header that is not SigV4 is an incomplete signature', async () => {
    const res = await api.get('/orders', { Authorization: 'Bearer abc' });
    await expectRefused(res, 'IncompleteSignatureException', /not signed/);
  });

  it('the right key with a wrong secret: the signature does not match', async () => {
    const res = await new Api(cloud.apiUrl, { credentials: { accessKeyId: 'local', secretAccessKey: 'wrong' } }).get('/orders');
    await expectRefused(res, 'InvalidSignatureException', /^The request signature we calculated does not match the signature you provided/);
  });

  it('an access key the cloud never issued: the security token is invalid (ACCESS_DENIED)', async () => {
    const res = await new Api(cloud.apiUrl, { credentials: { accessKeyId: 'AKIANOBODY', secretAccessKey: 'x' } }).get('/orders');
    await expectRefused(res, 'AccessDeniedException', /^The security token included in the request is invalid\.$/);
  });

  it('a body changed after signing does not match', async () => {
    const url = `${cloud.apiUrl}/orders`;
    const headers = await signRequest({ method: 'POST', url, headers: { 'Content-Type': 'application/json', ...keyHeader() }, body: JSON.stringify(orders.sample(5)) });
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(orders.sample(6)) });
    expect(res.status).toBe(403);
    expect(res.headers.get('x-amzn-errortype')).toBe('InvalidSignatureException');
  });

  it('a credential scoped to another service or region', async () => {
    const s3 = await new Api(cloud.apiUrl).request('GET', '/orders', { headers: await scoped('s3', 'us-east-1') });
    await expectRefused(s3, 'InvalidSignatureException', /scoped to correct service: 'execute-api'/);
    const eu = await new Api(cloud.apiUrl).request('GET', '/orders', { headers: await scoped('execute-api', 'eu-west-1') });
    await expectRefused(eu, 'InvalidSignatureException', /scoped to a valid region, not 'eu-west-1'/);
  });

  it('clock skew: 4 minutes off passes, 6 minutes off is "Signature expired" or "not yet current" (the cloud\'s clock decides)', async () => {
    const at = (offsetMs: number) => new Api(cloud.apiUrl, { signingDate: () => new Date(cloud.clock.now().getTime() + offsetMs) });
    expect((await at(-4 * MINUTE).get('/orders')).status).toBe(200);
    expect((await at(4 * MINUTE).get('/orders')).status).toBe(200);
    await expectRefused(await at(-6 * MINUTE).get('/orders'), 'InvalidSignatureException', /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    await expectRefused(await at(6 * MINUTE).get('/orders'), 'InvalidSignatureException', /^Signature not yet current/);
    // Once the cloud's clock moved 10 minutes ahead, clients signing on it (the e2e Api) and clients signing on their
    // own real clock (curl, the SDK) both pass; a signature 6 minutes off both is still refused.
    await cloud.clock.advance(10 * MINUTE);
    const stale = await signRequest({ method: 'GET', url: `${cloud.apiUrl}/orders`, headers: keyHeader() }, { signingDate: new Date(Date.now() - 6 * MINUTE) });
    const late = await fetch(`${cloud.apiUrl}/orders`, { headers: stale });
    expect(late.status).toBe(403);
    expect(((await late.json()) as any).detail).toMatch(/^Signature expired/);
    expect((await api.get('/orders')).status).toBe(200);
    const realTime = await signRequest({ method: 'GET', url: `${cloud.apiUrl}/orders`, headers: keyHeader() }, { signingDate: new Date() });
    expect((await fetch(`${cloud.apiUrl}/orders`, { headers: realTime })).status).toBe(200);
  });

  it('a presigned URL past its X-Amz-Expires is refused', async () => {
    const url = await presign(`${cloud.apiUrl}/orders`, 60);
    await cloud.clock.advance(2 * MINUTE);
    const res = await fetch(url, { headers: keyHeader() });
    expect(res.status).toBe(403);
    expect(((await res.json()) as any).detail).toMatch(/^Signature expired/);
  });
});

describe('caller scoping', () => {
  it('two callers using the same Idempotency-Key are independent: each gets its own item, and each retry its own answer', async () => {
    const key = `shared-key-${Date.now()}`;
    const mine = await api.post('/orders', orders.sample(7), { 'Idempotency-Key': key });
    const theirs = await other.post('/orders', orders.sample(8), { 'Idempotency-Key': key });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(mine.json.orderId).toBe(idFromIdempotencyKey(key, LOCAL_CALLER));
    expect(theirs.json.orderId).toBe(idFromIdempotencyKey(key, OTHER_CALLER));
    expect(mine.json.orderId).not.toBe(theirs.json.orderId);
    // Each retry is answered from its own caller's key record.
    const retried = await other.post('/orders', orders.sample(8), { 'Idempotency-Key': key });
    expect({ status: retried.status, body: retried.json }).toEqual({ status: 201, body: theirs.json });
    expect((await storedItem(cloud, orders, theirs.json.orderId))?.requestToken).toEqual({ S: `${OTHER_CALLER} ${key}` });
    const records = await cloud.services.dynamodb.call('Scan', { TableName: cloud.outputs.RequestsTableName });
    const keyRecords = records.Items.map((i: any) => i.pk.S).filter((pk: string) => pk.endsWith(`#${key}`));
    expect(keyRecords.sort()).toEqual([`idempotency#orders#${LOCAL_CALLER}#${key}`, `idempotency#orders#${OTHER_CALLER}#${key}`]);
  });

  it('a request record is shown to its caller only: another caller gets 404; a replay keeps the original caller', async () => {
    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', table: resourceOf(cloud, 'orders').tableName, error: 'InternalServerError' });
    const queued = await api.post('/orders', orders.sample(9));
    expect(queued.status).toBe(202);
    cloud.services.faults.clear();
    const location = queued.headers.get('location')!.replace(/^\/v1/, '');
    expect((await api.get(location)).json).toMatchObject({ requestId: queued.requestId, status: 'queued' });
    const foreign = await other.get(location);
    expect(foreign.status).toBe(404);
    expect(foreign.json).toMatchObject({ title: 'Not Found', status: 404 });
    expect(foreign.text).not.toContain('Ada 9');

    const replay = await cloud.invokeFunction(Object.values(cloud.functions).find((f) => /redrive/i.test(f))!, {});
    expect((replay as any).orders.applied).toBe(1);
    const replayed = executionsNamed(cloud, `${queued.requestId}-redrive-1`);
    expect(JSON.parse(replayed[0].input).caller).toBe(LOCAL_CALLER);
    expect((await api.get(location)).json).toMatchObject({ status: 'applied', outcome: { statusCode: 201 } });
    expect((await other.get(location)).status).toBe(404);
  });
});

/** A presigned GET URL (X-Amz-* query parameters) signed with the local credentials. */
async function presign(url: string, expiresIn: number): Promise<string> {
  const u = new URL(url);
  const signer = new SignatureV4({ credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, region: 'us-east-1', service: 'execute-api', sha256: Sha256 });
  const signed = await signer.presign(
    { method: 'GET', protocol: u.protocol, hostname: u.hostname, port: Number(u.port), path: u.pathname, query: {}, headers: { host: u.host } },
    { expiresIn, signingDate: cloud.clock.now() },
  );
  return `${u.origin}${u.pathname}?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
}

/** Authorization headers for a credential scope of another service or region. */
async function scoped(service: string, region: string): Promise<Record<string, string>> {
  return signRequest({ method: 'GET', url: `${cloud.apiUrl}/orders`, headers: keyHeader() }, { service, region });
}
