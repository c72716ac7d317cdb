/**
 * The other auth modes end to end (docs/auth.md): `none` (anonymous, an explicit opt-in) and `cognito`, on the
 * app's template synthesized with that context, as `npm start -- -c auth=…` runs it. Caller scoping with Cognito:
 * the user pool's `sub` is the caller, so one user's request record is a 404 for another.
 */
import { AdminCreateUserCommand, AdminSetUserPasswordCommand, CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { Api, LocalCloud, RESOURCE_CASES, executionsNamed, expectGatewayProblem, idFromIdempotencyKey, resourceOf, startTestCloud } from './helpers';

const orders = RESOURCE_CASES.find((r) => r.name === 'orders')!;

describe('auth = none', () => {
  let cloud: LocalCloud;
  let anonymous: Api;
  beforeAll(async () => {
    cloud = await startTestCloud({ context: { auth: 'none' } });
    anonymous = new Api(cloud.apiUrl, { credentials: false });
  }, 180_000);
  afterAll(async () => cloud?.stop());

  it('an unsigned request is served, as the anonymous caller; keys and ids are scoped to "anonymous"', async () => {
    expect(cloud.outputs.AuthMode).toBe('none');
    const key = 'anonymous-key-1';
    const res = await anonymous.post('/orders', orders.sample(1), { 'Idempotency-Key': key });
    expect(res.status).toBe(201);
    expect(res.json.orderId).toBe(idFromIdempotencyKey(key, 'anonymous'));
    const [execution] = executionsNamed(cloud, res.requestId!);
    expect(JSON.parse(execution.input).caller).toBe('anonymous');
  });

  it('a signed request is served too (the signature is not looked at), and an unknown route stays a 404', async () => {
    expect((await new Api(cloud.apiUrl).get('/orders')).status).toBe(200);
    const res = await anonymous.get('/pizzas');
    expectGatewayProblem(cloud, res, 404, 'Not Found');
    expect(res.json.detail).toBe('No route for GET /v1/pizzas');
  });
});

describe('auth = cognito: the caller is the user pool sub', () => {
  let cloud: LocalCloud;
  let cognito: CognitoIdentityProviderClient;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    cloud = await startTestCloud({ context: { auth: 'cognito' } });
    cognito = new CognitoIdentityProviderClient({ endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const UserPoolId = cloud.outputs.UserPoolId;
    const Password = 'Correct-Horse-Battery-9';
    for (const user of ['ada', 'grace']) {
      await cognito.send(new AdminCreateUserCommand({ UserPoolId, Username: user, MessageAction: 'SUPPRESS', UserAttributes: [{ Name: 'email', Value: `${user}@example.com` }] }));
      await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: user, Password, Permanent: true }));
      const signedIn = await cognito.send(
        new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: user, PASSWORD: Password } }),
      );
      tokens[user] = signedIn.AuthenticationResult!.IdToken!;
    }
  }, 180_000);
  afterAll(async () => {
    cognito?.destroy();
    await cloud?.stop();
  });

  const as = (user: string) => ({ Authorization: tokens[user] });
  const api = () => new Api(cloud.apiUrl, { credentials: false });

  it('the same Idempotency-Key from two users makes two items; a request record answers its own user only', async () => {
    const key = 'cognito-key-1';
    const ada = await api().post('/orders', orders.sample(1), { ...as('ada'), 'Idempotency-Key': key });
    const grace = await api().post('/orders', orders.sample(2), { ...as('grace'), 'Idempotency-Key': key });
    expect([ada.status, grace.status]).toEqual([201, 201]);
    const adaSub = JSON.parse(executionsNamed(cloud, ada.requestId!)[0].input).caller;
    const graceSub = JSON.parse(executionsNamed(cloud, grace.requestId!)[0].input).caller;
    expect(adaSub).toMatch(/^[0-9a-f-]{36}$/);
    expect(graceSub).not.toBe(adaSub);
    expect(ada.json.orderId).toBe(idFromIdempotencyKey(key, adaSub));
    expect(grace.json.orderId).toBe(idFromIdempotencyKey(key, graceSub));

    cloud.services.faults.add({ service: 'dynamodb', operation: 'PutItem', table: resourceOf(cloud, 'orders').tableName, error: 'InternalServerError' });
    const queued = await api().post('/orders', orders.sample(3), as('ada'));
    cloud.services.faults.clear();
    expect(queued.status).toBe(202);
    const location = queued.headers.get('location')!.replace(/^\/v1/, '');
    expect((await api().get(location, as('ada'))).json).toMatchObject({ requestId: queued.requestId, status: 'queued' });
    const other = await api().get(location, as('grace'));
    expect({ status: other.status, title: other.json.title }).toEqual({ status: 404, title: 'Not Found' });
  });
});
