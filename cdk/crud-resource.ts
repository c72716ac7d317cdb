import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { mappingTemplate } from './api-templates';
import { DeploymentSettings, exposedHeaders } from './deployment-settings';
import { STATE_MACHINE_FILE } from './paths';
import { ResourceDeclaration } from './resources';

export interface CrudResourceProps {
  readonly declaration: ResourceDeclaration;
  readonly api: apigw.RestApi;
  /** Validates bodies against the model (400 before any execution). */
  readonly bodyValidator: apigw.IRequestValidator;
  readonly flagsFunction: lambda.IFunction;
  readonly eventBus: events.IEventBus;
  /** Request and Idempotency-Key records (cdk/request-records.ts). */
  readonly requestsTable: dynamodb.ITable;
  /** Circuit-breaker state (cdk/circuit-breaker.ts). */
  readonly circuitTable: dynamodb.ITable;
  /** Execution logging and debug headers of this deployment (cdk/deployment-settings.ts). */
  readonly settings: Pick<DeploymentSettings, 'executionLogs' | 'debugHeaders'>;
  /** Alarm actions would be added here by the operator (SNS topic); the alarm itself always exists. */
}

/** Attribute names the state machine uses for its own bookkeeping; a key cannot take one of them. */
const RESERVED_ATTRIBUTES = ['version', 'data', 'size', 'requestToken', 'lastRequestAt', 'deletedAt', 'createdAt', 'updatedAt'];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

type Schema = Record<string, unknown>;

/** The media types a PATCH body may be sent as (RFC 7396 registers application/merge-patch+json). */
export const PATCH_CONTENT_TYPES = ['application/json', 'application/merge-patch+json'] as const;

/** The POST/PUT model of a resource: its schema, closed to undeclared properties unless the declaration allows them. */
export function itemModelSchema(declaration: ResourceDeclaration): Schema {
  return declaration.allowUnknownProperties ? (declaration.schema as Schema) : closeObjects(declaration.schema as Schema);
}

/** The PATCH model of a resource: the merge patch of its item model (an empty patch is refused: minProperties 1). */
export function patchModelSchema(declaration: ResourceDeclaration, title: string): Schema {
  return mergePatchSchema(itemModelSchema(declaration), declaration.key, title);
}

/**
 * `additionalProperties: false` on every object schema that does not say otherwise, through properties, items
 * and definitions. allOf/anyOf/oneOf/not branches are left open: in draft-04 a closed branch of an allOf
 * refuses the properties the other branches declare.
 */
export function closeObjects(schema: Schema): Schema {
  const out: Schema = { ...schema };
  const isObject = schema.type === 'object' || (Array.isArray(schema.type) && schema.type.includes('object')) || (schema.type === undefined && 'properties' in schema);
  if (isObject && out.additionalProperties === undefined) out.additionalProperties = false;
  const mapEach = (v: unknown) => Object.fromEntries(Object.entries(v as Record<string, Schema>).map(([k, x]) => [k, closeObjects(x)]));
  for (const key of ['properties', 'patternProperties', 'definitions']) if (typeof out[key] === 'object' && out[key] !== null) out[key] = mapEach(out[key]);
  if (Array.isArray(out.items)) out.items = out.items.map((x) => closeObjects(x as Schema));
  else if (typeof out.items === 'object' && out.items !== null) out.items = closeObjects(out.items as Schema);
  return out;
}

/**
 * The PATCH body model: a JSON Merge Patch (RFC 7396) of an item whose full model is `schema` (draft-04).
 * - Nothing is required: a patch names only what it changes.
 * - An optional top-level attribute may also be null, which removes it.
 * - The key and the attributes the full model requires may change but not be removed: the patched item must
 *   still match the full model (and the workflow answers 422 to a key that differs from the path id).
 * - Nested values are replaced whole (the workflow merges top-level attributes only), so they keep their schema.
 * - additionalProperties stays as the full model has it; when it is a schema, an extra attribute may be null too.
 * - At least one property (minProperties 1): `{}` is a 400, see docs/api.md.
 */
export function mergePatchSchema(schema: object, key: string, title: string): Schema {
  const { required = [], properties = {}, patternProperties, additionalProperties, ...rest } = schema as Schema & {
    required?: string[];
    properties?: Record<string, Schema>;
    patternProperties?: Record<string, Schema>;
  };
  const keep = new Set([key, ...required]);
  const patch: Schema = {
    ...rest,
    title,
    description: `JSON Merge Patch (RFC 7396) of ${rest.title ?? 'an item'}: null removes an optional attribute.`,
    properties: Object.fromEntries(Object.entries(properties).map(([name, p]) => [name, keep.has(name) ? p : orNull(p)])),
    // An empty patch changes nothing: refused (400) rather than answered with a new version of the same item.
    minProperties: 1,
  };
  if (patternProperties) patch.patternProperties = Object.fromEntries(Object.entries(patternProperties).map(([re, p]) => [re, orNull(p)]));
  if (additionalProperties !== undefined) {
    patch.additionalProperties = typeof additionalProperties === 'object' ? orNull(additionalProperties as Schema) : additionalProperties;
  }
  return patch;
}

/** `property` that also accepts null. Draft-04 has no `nullable`: widen `type` (and `enum`), or use anyOf where `type` alone cannot say it. */
function orNull(property: Schema): Schema {
  const composite = ['$ref', 'allOf', 'anyOf', 'oneOf', 'not'].some((k) => k in property);
  if (property.type === undefined || composite) return { anyOf: [property, { type: 'null' }] };
  const types = [property.type].flat();
  const nullable: Schema = { ...property, type: types.includes('null') ? types : [...types, 'null'] };
  if (Array.isArray(property.enum) && !property.enum.includes(null)) nullable.enum = [...property.enum, null];
  return nullable;
}

/**
 * One REST resource: its table, its Express state machine, its dead-letter queue, and the
 * /{name} and /{name}/{id} routes whose every method calls StartSyncExecution on that state machine.
 */
export class CrudResource extends Construct {
  readonly table: dynamodb.Table;
  readonly deadLetterQueue: sqs.Queue;
  readonly stateMachine: sfn.StateMachine;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: CrudResourceProps) {
    super(scope, id);
    const { name, key } = props.declaration;
    if (!/^[a-z][a-z0-9-]{0,62}$/.test(name)) throw new Error(`Resource name "${name}" must be lowercase letters, digits and dashes`);
    if (name === 'requests') throw new Error('Resource name "requests" is taken by the request records (GET /requests/{id})');
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) || RESERVED_ATTRIBUTES.includes(key)) {
      throw new Error(`Key "${key}" of resource "${name}" must be a plain attribute name other than ${RESERVED_ATTRIBUTES.join(', ')}`);
    }

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: key, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(60),
    });
    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
      alarmDescription: `Requests to /${name} are waiting in the dead-letter queue: redrive them (docs/operations.md).`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    const logGroup = new logs.LogGroup(this, 'ExecutionLogs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${name}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromFile(STATE_MACHINE_FILE),
      definitionSubstitutions: {
        ResourceName: name,
        KeyAttribute: key,
        TableName: this.table.tableName,
        QueueUrl: this.deadLetterQueue.queueUrl,
        FlagsFunctionArn: props.flagsFunction.functionArn,
        EventBusName: props.eventBus.eventBusName,
        RequestsTableName: props.requestsTable.tableName,
        CircuitTableName: props.circuitTable.tableName,
      },
      logs: { destination: logGroup, ...props.settings.executionLogs },
      tracingEnabled: true,
    });
    // Least privilege: exactly the actions the ASL uses, on this resource's own table and queue.
    this.table.grant(this.stateMachine, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:Scan', 'dynamodb:BatchGetItem');
    props.requestsTable.grant(this.stateMachine, 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem');
    props.circuitTable.grant(this.stateMachine, 'dynamodb:GetItem', 'dynamodb:UpdateItem');
    this.deadLetterQueue.grantSendMessages(this.stateMachine);
    props.flagsFunction.grantInvoke(this.stateMachine);
    props.eventBus.grantPutEventsTo(this.stateMachine);

    this.addRoutes(props, name);
  }

  /** X-Request-Id (the execution name) always; X-Execution-Arn, which names the account and state machine, only with debugHeaders. */
  private static responseHeaders(debugHeaders: boolean): Record<string, string> {
    return {
      'method.response.header.X-Request-Id': 'context.requestId',
      ...(debugHeaders ? { 'method.response.header.X-Execution-Arn': 'integration.response.body.executionArn' } : {}),
      'method.response.header.Access-Control-Allow-Origin': "'*'",
      'method.response.header.Access-Control-Expose-Headers': `'${exposedHeaders(debugHeaders).join(',')}'`,
    };
  }

  private addRoutes(props: CrudResourceProps, name: string): void {
    const role = new iam.Role(this, 'ApiRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: `API Gateway starts sync executions of the ${name} state machine`,
    });
    this.stateMachine.grantStartSyncExecution(role);

    const okHeaders = CrudResource.responseHeaders(props.settings.debugHeaders);
    const requestTemplate = mappingTemplate('start-sync-execution.request.vtl', { StateMachineArn: this.stateMachine.stateMachineArn, ResourceName: name });
    // One request template per accepted media type: any other Content-Type is a 415 (passthrough NEVER).
    const integrationFor = (contentTypes: readonly string[]) => new apigw.AwsIntegration({
      service: 'states',
      action: 'StartSyncExecution',
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: role,
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: Object.fromEntries(contentTypes.map((type) => [type, requestTemplate])),
        integrationResponses: [
          {
            statusCode: '200',
            responseTemplates: { 'application/json': mappingTemplate('start-sync-execution.response.vtl') },
            responseParameters: okHeaders,
          },
          {
            selectionPattern: '[45]\\d{2}',
            statusCode: '502',
            responseTemplates: { 'application/json': mappingTemplate('integration-error.response.vtl') },
            responseParameters: {
              'method.response.header.X-Request-Id': 'context.requestId',
              'method.response.header.Access-Control-Allow-Origin': "'*'",
            },
          },
        ],
      },
    });
    const integration = integrationFor(['application/json']);
    const patchIntegration = integrationFor(PATCH_CONTENT_TYPES);

    const modelName = name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
    const fullModel = props.api.addModel(`${modelName}Model`, { modelName, contentType: 'application/json', schema: itemModelSchema(props.declaration) as apigw.JsonSchema });
    const patchModel = props.api.addModel(`${modelName}PatchModel`, {
      modelName: `${modelName}Patch`,
      contentType: 'application/merge-patch+json',
      schema: patchModelSchema(props.declaration, `${modelName}Patch`) as apigw.JsonSchema,
    });

    const methodResponses: apigw.MethodResponse[] = [
      { statusCode: '200', responseParameters: Object.fromEntries(Object.keys(okHeaders).map((h) => [h, true])) },
      { statusCode: '502', responseParameters: { 'method.response.header.X-Request-Id': true, 'method.response.header.Access-Control-Allow-Origin': true } },
    ];

    const collection = props.api.root.addResource(name);
    const item = collection.addResource('{id}');
    for (const resource of [collection, item]) {
      for (const method of METHODS) {
        // PATCH bodies are merge patches, sent as application/merge-patch+json or application/json: the same model for both.
        const models = method === 'PATCH' ? Object.fromEntries(PATCH_CONTENT_TYPES.map((type) => [type, patchModel])) : { 'application/json': fullModel };
        // Bodies are validated only where the method is routed; elsewhere the workflow answers 405.
        const hasBody = resource === collection ? method === 'POST' : method === 'PUT' || method === 'PATCH';
        resource.addMethod(method, method === 'PATCH' ? patchIntegration : integration, {
          requestValidator: hasBody ? props.bodyValidator : undefined,
          requestModels: hasBody ? models : undefined,
          requestParameters: resource === item ? { 'method.request.path.id': true } : undefined,
          methodResponses,
        });
      }
    }
  }
}
