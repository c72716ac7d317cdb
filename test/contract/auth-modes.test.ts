/**
 * The document's security in the Cognito mode, against a local cloud synthesized with `auth: cognito`: every
 * operation it secures answers the documented 401 without a token and the documented 403 with a token but no
 * API key (API Gateway runs the authorizer before the API key check), and the document itself stays public.
 * The other statuses are the same as in the iam mode, where contract.test.ts provokes them all.
 */
import { AdminCreateUserCommand, AdminSetUserPasswordCommand, CognitoIdentityProviderClient, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { LocalCloud, startTestCloud } from '../e2e/helpers';
import { ContractChecker, send } from './contract-checker';

const PASSWORD = 'Correct-Horse-Battery-9';
let cloud: LocalCloud;
let checker: ContractChecker;
let idToken: string;

beforeAll(async () => {
  cloud = await startTestCloud({ context: { auth: 'cognito' } });
  checker = new ContractChecker((await (await fetch(`${cloud.apiUrl}/openapi.json`)).json()) as Record<string, any>);
  const cognito = new CognitoIdentityProviderClient({ endpoint: cloud.endpointUrl, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const UserPoolId = cloud.outputs.UserPoolId;
    await cognito.send(new AdminCreateUserCommand({ UserPoolId, Username: 'grace', MessageAction: 'SUPPRESS' }));
    await cognito.send(new AdminSetUserPasswordCommand({ UserPoolId, Username: 'grace', Password: PASSWORD, Permanent: true }));
    const signedIn = await cognito.send(
      new InitiateAuthCommand({ ClientId: cloud.outputs.UserPoolClientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: 'grace', PASSWORD } }),
    );
    idToken = signedIn.AuthenticationResult!.IdToken!;
  } finally {
    cognito.destroy();
  }
}, 180_000);
afterAll(() => cloud?.stop());

test('the document names the Cognito token and the API key, not SigV4', () => {
  expect(checker.document.security).toEqual([{ cognito: [], apiKey: [] }]);
  expect(Object.keys(checker.document.components.securitySchemes).sort()).toEqual(['apiKey', 'cognito']);
});

test('every secured operation: 401 without a token, 403 with a token and no API key; the document is public', async () => {
  const apiKey = cloud.apiKeys[0].value;
  const problems: string[] = [];
  const operations = Object.entries<Record<string, any>>(checker.document.paths).flatMap(([path, item]) => Object.keys(item).map((method) => ({ path, method: method.toUpperCase() })));
  for (const { path, method } of operations) {
    const url = path.replace('{id}', 'some-id');
    const body = ['POST', 'PUT', 'PATCH'].includes(method) ? '{}' : undefined;
    if (path === '/openapi.json') {
      const answer = await send(cloud.apiUrl, method, url, { unsigned: true });
      expect(answer.status).toBe(200);
      problems.push(...checker.check(method, path, answer));
      continue;
    }
    const noToken = await send(cloud.apiUrl, method, url, { unsigned: true, apiKey, body });
    expect([method, path, noToken.status]).toEqual([method, path, 401]);
    problems.push(...checker.check(method, path, noToken));
    const noKey = await send(cloud.apiUrl, method, url, { unsigned: true, body, headers: { Authorization: idToken } });
    expect([method, path, noKey.status]).toEqual([method, path, 403]);
    problems.push(...checker.check(method, path, noKey));
  }
  expect(problems).toEqual([]);
  const missing = checker.documented().filter((k) => /\s40[13]$/.test(k) && !checker.seen.has(k));
  expect(missing).toEqual([]);
});
