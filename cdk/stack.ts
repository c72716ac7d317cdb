import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { gatewayProblemTemplate } from './api-templates';
import { ApiAuth, AUTH_ACCEPTED_FINDINGS, AuthMode, authGatewayProblems, authModeOf } from './auth';
import { CrudResource } from './crud-resource';
import { FeatureFlags } from './feature-flags';
import { suppressJustifiedFindings } from './nag-suppressions';
import { CircuitBreaker } from './circuit-breaker';
import { Redrive } from './redrive';
import { RequestRecords } from './request-records';
import { RESOURCES, ResourceDeclaration } from './resources';

export interface CrudApiStackProps extends StackProps {
  /** The REST resources; defaults to RESOURCES (orders, customers). */
  readonly resources?: readonly ResourceDeclaration[];
  /** Stage name, the first path segment of every URL (default "v1"). */
  readonly stageName?: string;
  /** Who may call the API (cdk/auth.ts): context `auth`, default 'iam'; 'none' is an explicit opt-in. */
  readonly auth?: AuthMode;
}

/**
 * API Gateway's own errors, rendered as problem JSON like the workflow's. Gateway-response templates are
 * not VTL and `validationErrorString` holds unescaped quotes (`["items"]`), so it cannot go inside a JSON
 * string: the detail is `messageString`, which API Gateway writes as a JSON string literal.
 */
const GATEWAY_PROBLEMS: [apigw.ResponseType, string, number | undefined, string][] = [
  [apigw.ResponseType.BAD_REQUEST_BODY, 'Bad Request', 400, '$context.error.messageString'],
  [apigw.ResponseType.BAD_REQUEST_PARAMETERS, 'Bad Request', 400, '$context.error.messageString'],
  [apigw.ResponseType.REQUEST_TOO_LARGE, 'Payload Too Large', 413, '$context.error.messageString'],
  [apigw.ResponseType.UNSUPPORTED_MEDIA_TYPE, 'Unsupported Media Type', 415, '"Send application/json"'],
  [apigw.ResponseType.THROTTLED, 'Too Many Requests', 429, '$context.error.messageString'],
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
  readonly auth: ApiAuth;

  constructor(scope: Construct, id: string, props: CrudApiStackProps = {}) {
    super(scope, id, props);
    const declarations = props.resources ?? RESOURCES;
    const names = declarations.map((d) => d.name);
    if (new Set(names).size !== names.length) throw new Error(`Resource names must be unique, got ${names.join(', ')}`);

    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.auth = new ApiAuth(this, 'Auth', { mode: authModeOf(this, props.auth) });
    this.api = new apigw.RestApi(this, 'Api', {
      // Every method is authorized this way unless it says otherwise (CORS preflights stay anonymous, as on AWS).
      defaultMethodOptions: this.auth.defaultMethodOptions,
      description: 'Storage-first CRUD API: every method starts a synchronous Express execution',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: props.stageName ?? 'v1',
        tracingEnabled: true,
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      },
      defaultCorsPreflightOptions: {
        allowOrigins: apigw.Cors.ALL_ORIGINS,
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        allowHeaders: ['Content-Type', 'If-Match', 'If-None-Match', 'Idempotency-Key'],
        exposeHeaders: ['ETag', 'Location', 'X-Request-Id', 'X-Execution-Arn', 'Retry-After'],
      },
    });
    for (const [type, title, status, detail] of [...GATEWAY_PROBLEMS, ...authGatewayProblems(this.auth.mode)]) {
      this.api.addGatewayResponse(`Problem${type.responseType}`, {
        type,
        statusCode: status === undefined ? undefined : String(status),
        responseHeaders: { 'Access-Control-Allow-Origin': "'*'", 'X-Request-Id': 'context.requestId', 'Content-Type': "'application/problem+json'" },
        templates: { 'application/json': gatewayProblemTemplate(title, status, detail) },
      });
    }
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
      });
      this.resources[declaration.name] = resource;
      this.circuits.openOnAlarm(declaration.name, resource.table);
      new CfnOutput(this, `${declaration.name}StateMachineArn`, { value: resource.stateMachine.stateMachineArn });
      new CfnOutput(this, `${declaration.name}DeadLetterQueueUrl`, { value: resource.deadLetterQueue.queueUrl });
      new CfnOutput(this, `${declaration.name}TableName`, { value: resource.table.tableName });
    }
    this.redrive = new Redrive(this, 'Redrive', { resources: this.resources });
    this.circuits.redriveWhenClosed(this.redrive.function);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url });
    new CfnOutput(this, 'RequestsTableName', { value: this.requests.table.tableName });
    new CfnOutput(this, 'CircuitTableName', { value: this.circuits.table.tableName });
    new CfnOutput(this, 'RedriveFunctionName', { value: this.redrive.function.functionName });
    new CfnOutput(this, 'FlagsApplicationId', { value: this.flags.application.applicationId });
    new CfnOutput(this, 'FlagsEnvironmentId', { value: this.flags.environment.environmentId });
    new CfnOutput(this, 'FlagsProfileId', { value: this.flags.configuration.configurationProfileId });
    suppressJustifiedFindings(this, AUTH_ACCEPTED_FINDINGS[this.auth.mode]);
  }
}
