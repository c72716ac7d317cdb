import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/**
 * Who may call the API:
 * - iam (default): every method needs a SigV4 signature of IAM credentials allowed `execute-api:Invoke`;
 * - cognito: every method needs an ID token of the stack's user pool in the Authorization header;
 * - none: anonymous. An explicit opt-in (`-c auth=none`), for a private network or a demo only.
 */
export type AuthMode = 'iam' | 'cognito' | 'none';
export const AUTH_MODES: readonly AuthMode[] = ['iam', 'cognito', 'none'];

/** The stack property wins, then the CDK context value `auth` (`cdk synth -c auth=cognito`, cdk.json), then iam. */
export function authModeOf(scope: Construct, property?: AuthMode): AuthMode {
  const value = property ?? scope.node.tryGetContext('auth') ?? 'iam';
  if (!AUTH_MODES.includes(value)) throw new Error(`auth must be one of ${AUTH_MODES.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

/** Method options of a route that stays public whatever the mode (the OpenAPI document): no authorizer, no API key. CORS preflights are public already. */
export const PUBLIC_METHOD: apigw.MethodOptions = { authorizationType: apigw.AuthorizationType.NONE, apiKeyRequired: false };

/** cdk-nag findings each mode accepts, with the reason (applied by the stack with the common ones). */
export const AUTH_ACCEPTED_FINDINGS: Record<AuthMode, { id: string; reason: string }[]> = {
  iam: [{ id: 'AwsSolutions-COG4', reason: 'Methods are authorized with IAM (SigV4) instead of a Cognito user pool: -c auth=cognito selects Cognito.' }],
  cognito: [
    {
      id: 'AwsSolutions-COG2',
      reason: 'MFA is optional (TOTP) so that scripts and the AWS CLI can sign in with USER_PASSWORD_AUTH; require it per user in production.',
    },
    {
      id: 'AwsSolutions-COG8',
      reason: 'The Plus feature plan is billed per monthly active user; Essentials is enough for a sample, upgrade for threat protection.',
    },
  ],
  none: [
    { id: 'AwsSolutions-APIG4', reason: 'Anonymous access was chosen explicitly with auth=none (a private network or a demo); iam is the default.' },
    { id: 'AwsSolutions-COG4', reason: 'Anonymous access was chosen explicitly with auth=none, so no method has a Cognito user pool authorizer.' },
  ],
};

export interface ApiAuthProps {
  readonly mode: AuthMode;
}

/**
 * The API's authorization: what every method gets by default (RestApi `defaultMethodOptions`) and, with
 * cognito, the user pool and the app client that signs users in (USER_PASSWORD_AUTH, so curl and the AWS
 * CLI can get tokens). Stack outputs: AuthMode, and UserPoolId / UserPoolClientId with cognito.
 */
export class ApiAuth extends Construct {
  readonly mode: AuthMode;
  readonly userPool?: cognito.UserPool;
  readonly userPoolClient?: cognito.UserPoolClient;
  /** Spread into the RestApi's defaultMethodOptions. */
  readonly defaultMethodOptions: apigw.MethodOptions;

  constructor(scope: Construct, id: string, props: ApiAuthProps) {
    super(scope, id);
    this.mode = props.mode;
    if (props.mode === 'cognito') {
      this.userPool = new cognito.UserPool(this, 'UserPool', {
        selfSignUpEnabled: false,
        signInAliases: { username: true, email: true },
        passwordPolicy: { minLength: 12, requireLowercase: true, requireUppercase: true, requireDigits: true, requireSymbols: true },
        mfa: cognito.Mfa.OPTIONAL,
        mfaSecondFactor: { otp: true, sms: false },
        accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
        featurePlan: cognito.FeaturePlan.ESSENTIALS,
      });
      this.userPoolClient = this.userPool.addClient('ApiClient', {
        authFlows: { userPassword: true, userSrp: true },
        generateSecret: false,
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
      });
      // Without OAuth scopes on the methods, API Gateway expects the ID token (docs/auth.md).
      const authorizer = new apigw.CognitoUserPoolsAuthorizer(this, 'Authorizer', {
        cognitoUserPools: [this.userPool],
        identitySource: apigw.IdentitySource.header('Authorization'),
      });
      this.defaultMethodOptions = { authorizationType: apigw.AuthorizationType.COGNITO, authorizer };
      new CfnOutput(Stack.of(this), 'UserPoolId', { value: this.userPool.userPoolId });
      new CfnOutput(Stack.of(this), 'UserPoolClientId', { value: this.userPoolClient.userPoolClientId });
    } else {
      this.defaultMethodOptions = { authorizationType: props.mode === 'iam' ? apigw.AuthorizationType.IAM : apigw.AuthorizationType.NONE };
    }
    new CfnOutput(Stack.of(this), 'AuthMode', { value: props.mode, description: 'Who may call the API: iam (SigV4), cognito (ID token) or none' });
  }
}

/**
 * Problem JSON for the gateway responses of authentication and authorization failures (docs/auth.md):
 * [type, title, status, detail] rows for the stack's GATEWAY_PROBLEMS.
 *
 * MISSING_AUTHENTICATION_TOKEN is what API Gateway answers both to a route that does not exist and to an
 * unsigned request on an IAM route; the template cannot tell them apart. With iam the answer is AWS's 403
 * saying both; in the other modes only an unknown route gets it, so it stays a 404.
 */
export function authGatewayProblems(mode: AuthMode): [apigw.ResponseType, string, number, string][] {
  const route = '$context.httpMethod $context.path';
  const missing: [apigw.ResponseType, string, number, string] =
    mode === 'iam'
      ? [apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'Forbidden', 403, `"Missing Authentication Token: the request is not signed with SigV4 (docs/auth.md), or there is no route for ${route}"`]
      : [apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN, 'Not Found', 404, `"No route for ${route}"`];
  return [
    missing,
    [apigw.ResponseType.INVALID_SIGNATURE, 'Forbidden', 403, '$context.error.messageString'],
    [apigw.ResponseType.EXPIRED_TOKEN, 'Forbidden', 403, '$context.error.messageString'],
    [apigw.ResponseType.ACCESS_DENIED, 'Forbidden', 403, '$context.error.messageString'],
    [apigw.ResponseType.UNAUTHORIZED, 'Unauthorized', 401, '$context.error.messageString'],
    [apigw.ResponseType.INVALID_API_KEY, 'Forbidden', 403, '$context.error.messageString'],
  ];
}
