import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { gatewayProblemTemplate } from './api-templates';
import { ApiAuth, AUTH_ACCEPTED_FINDINGS, AuthMode, authGatewayProblems, authModeOf } from './auth';
import { CrudResource } from './crud-resource';
import { DeploymentSettings, DeploymentSettingsProps, deploymentSettings, exposedHeaders } from './deployment-settings';
import { FeatureFlags } from './feature-flags';
import { OpenApiRoute } from './openapi-route';
import { acknowledgeApiLogsRoleFindings, acknowledgeStageFindings, suppressJustifiedFindings } from './nag-suppressions';
import { CircuitBreaker } from './circuit-breaker';
import { Redrive } from './redrive';
import { RequestRecords } from './request-records';
import { RESOURCES, ResourceDeclaration } from './resources';
import { ApiClientDeclaration, UsagePlans, clientsOf } from './usage-plans';

export interface CrudApiStackProps extends StackProps, DeploymentSettingsProps {
  /** The REST resources; defaults to RESOURCES (orders, customers). */
  readonly resources?: readonly ResourceDeclaration[];
  /** Stage name, the first path segment of every URL (default "v1"). */
  readonly stageName?: string;
  /** Who may call the API (cdk/auth.ts): context `auth`, default 'iam'; 'none' is an explicit opt-in. */
  readonly auth?: AuthMode;
  /** The API's clients, each with an API key and a throttling usage plan (cdk/usage-plans.ts): context `clients`, default one named `default`. */
  readonly clients?: readonly ApiClientDeclaration[];
}

/**
 * API Gateway's own errors, rendered as problem JSON like the workflow's. Gateway-response templates are
 * not VTL and `validationErrorString` holds unescaped quotes (`["items"]`), so it cannot go inside a JSON
 * string: the detail is `messageString`, which API Gateway writes as a JSON string literal.
 * Their headers can only be static values or request parameters (method.request.header|querystring|path.*,
 * stageVariables.*): a `context.*` source fails the deploy ("Invalid mapping expression specified"), so the
 * request id is in the body and in API Gateway's own x-amzn-RequestId header, not in X-Request-Id.
 */
const GATEWAY_PROBLEMS: [apigw.ResponseType, string, number | undefined, string][] = [
  // The validator's report (which property, which rule) is only in validationErrorString, which cannot be put in JSON:
  // the detail says which model refused the body (docs/api.md#errors), and the stage's execution log keeps the report.
  [apigw.ResponseType.BAD_REQUEST_BODY, 'Bad Request', 400, '"$context.error.message: the body does not match the model of $context.httpMethod $context.resourcePath."'],
  [apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'Bad Request', 400, '$context.error.messageString'],
  [apigw.ResponseType.REQUEST_TOO_LARGE, 'Payload Too Large', 413, '$context.error.messageString'],
  [apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, 'Unsupported Media Type', 415, '"Send application/json"'],
  [apigw.ResponseType.THROTTLED, 'Too Many Requests', 429, '$context.error.messageString'],
  [apigw.ResponseType.QUOTA_EXCEEDED, 'Too Many Requests', 429, '"$context.error.message: this API key has used up its quota for the period"'],
  [apigw.ResponseType.INTEGRATION_TIMEOUT, 'Gateway Timeout', 504, '$context.error.messageString'],
  [apigw.ResponseType.DEFAULT_4XX, 'Client Error', undefined, '$context.error.messageString'],
  [apigw.ResponseType.DEFAULT_5XX, 'Server Error', undefined, '$context.error.messageString'],
];

/** The storage-first CRUD API: one Express state machine per resource, behind one REST API. */
export class CrudApiStack extends Stack {
  readonly api: apigw.RestApi;
  readonly resources: Record<string, CrudResource> = {};
  readonly flags: FeatureFlags;
  readonly redrive: Redrive;
  readonly eventBus: events.EventBus;
  readonly requests: RequestRecords;
  readonly circuits: CircuitBreaker;
  readonly openApi: OpenApiRoute;
  readonly settings: DeploymentSettings;
  readonly auth: ApiAuth;
  readonly usagePlans: UsagePlans;

  constructor(scope: Construct, id: string, props: CrudApiStackProps = {}) {
    super(scope, id, props);
    const declarations = props.resources ?? RESOURCES;
    const names = declarations.map((d) => d.name);
    if (new Set(names).size !== names.length) throw new Error(`Resource names must be unique, got ${names.join(', ')}`);

    this.settings = deploymentSettings(this, props);
    // Access and execution logging need the account's API Gateway CloudWatch role (docs/logging.md).
    const accessLogs = this.settings.apiGatewayLogging
      ? new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY })
      : undefined;
    this.auth = new ApiAuth(this, 'Auth', { mode: authModeOf(this, props.auth) });
    const clients = clientsOf(this, props.clients);
    this.api = new apigw.RestApi(this, 'Api', {
      // Every method is authorized this way unless it says otherwise (CORS preflights stay anonymous, as on AWS).
      // With clients, every method also needs an API key (x-api-key): its usage plan throttles that client alone.
      defaultMethodOptions: { ...this.auth.defaultMethodOptions, apiKeyRequired: clients.length > 0 },
      description: 'Storage-first CRUD API: every method starts a synchronous Express execution',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: this.settings.apiGatewayLogsRole === 'create',
      cloudWatchRoleRemovalPolicy: this.settings.apiGatewayLogsRole === 'create' ? RemovalPolicy.DESTROY : undefined,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        loggingLevel: accessLogs ? apigw.MethodLoggingLevel.ERROR : undefined,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: accessLogs ? new apigw.LogGroupLogDestination(accessLogs) : undefined,
        accessLogFormat: accessLogs ? apigw.AccessLogFormat.jsonWithStandardFields() : undefined,
      },
      defaultCorsPreflightOptions: {
        allowOrigins: apigw.Cors.ALL_ORIGINS,
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        // A browser may send what the auth mode and the usage plans need: the API key, a token or a SigV4 signature.
        allowHeaders: ['Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key', 'X-Api-Key', 'Authorization', 'X-Amz-Date', 'X-Amz-Security-Token', 'X-Amz-Content-Sha256'],
        exposeHeaders: exposedHeaders(this.settings.debugHeaders),
      },
    });
    for (const [type, title, status, detail] of [...GATEWAY_PROBLEMS, ...authGatewayProblems(this.auth.mode)]) {
      this.api.addGatewayResponse(`Problem${type.responseType}`, {
        type,
        statusCode: status === undefined ? undefined : String(status),
        responseHeaders: {
          'Access-Control-Allow-Origin': "'*'",
          'Content-Type': "'application/problem+json'",
          // A throttled client's token bucket refills within a second at any rate >= 1 (cdk/usage-plans.ts); the value can only be static.
          ...(type === apigw.ResponseType.THROTTLED ? { 'Retry-After': "'1'" } : {}),
        },
        templates: { 'application/json': gatewayProblemTemplate(title, status, detail) },
      });
    }
    this.usagePlans = new UsagePlans(this, 'UsagePlans', { api: this.api, clients });
    const bodyValidator = this.api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });

    this.eventBus = new events.EventBus(this, 'ChangeEvents', { description: 'Change events of the CRUD API (publishEvents flag)' });
    this.flags = new FeatureFlags(this, 'FeatureFlags');
    this.requests = new RequestRecords(this, 'Requests', { api: this.api });
    this.circuits = new CircuitBreaker(this, 'Circuits', { eventBus: this.eventBus });

    for (const declaration of declarations) {
      const resource = new CrudResource(this, `Resource-${declaration.name}`, {
        declaration,
        api: this.api,
        bodyValidator,
        flagsFunction: this.flags.function,
        eventBus: this.eventBus,
        requestsTable: this.requests.table,
        circuitTable: this.circuits.table,
        settings: this.settings,
      });
      this.resources[declaration.name] = resource;
      this.circuits.openOnAlarm(declaration.name, resource.table);
      new CfnOutput(this, `${declaration.name}StateMachineArn`, { value: resource.stateMachine.stateMachineArn });
      new CfnOutput(this, `${declaration.name}DeadLetterQueueUrl`, { value: resource.deadLetterQueue.queueUrl });
      new CfnOutput(this, `${declaration.name}TableName`, { value: resource.table.tableName });
    }
    this.redrive = new Redrive(this, 'Redrive', { resources: this.resources, eventBus: this.eventBus });
    // GET /<stage>/openapi.json, built from the same declarations, auth mode and settings as the routes above.
    this.openApi = new OpenApiRoute(this, 'OpenApi', {
      api: this.api,
      resources: declarations,
      stageName: props.stageName ?? 'v1',
      auth: this.auth.mode,
      debugHeaders: this.settings.debugHeaders,
      apiKeyRequired: clients.length > 0,
      throttled: true,
    });
    this.circuits.redriveWhenClosed(this.redrive.function);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'RequestsTableName', { value: this.requests.table.tableName });
    new CfnOutput(this, 'CircuitTableName', { value: this.circuits.table.tableName });
    new CfnOutput(this, 'RedriveFunctionName', { value: this.redrive.function.functionName });
    new CfnOutput(this, 'FlagsApplicationId', { value: this.flags.application.applicationId });
    new CfnOutput(this, 'FlagsEnvironmentId', { value: this.flags.environment.environmentId });
    new CfnOutput(this, 'FlagsProfileId', { value: this.flags.configuration.configurationProfileId });
    suppressJustifiedFindings(this, AUTH_ACCEPTED_FINDINGS[this.auth.mode]);
    acknowledgeApiLogsRoleFindings(this, this.settings.apiGatewayLogsRole);
    acknowledgeStageFindings(this, this.settings.stage);
  }
}
