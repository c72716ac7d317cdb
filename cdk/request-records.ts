import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { mappingTemplate } from './api-templates';

/** How long request and Idempotency-Key records live: longer than the dead-letter queues' 14-day retention. */
export const REQUEST_RECORD_TTL = Duration.days(30);

export interface RequestRecordsProps {
  readonly api: apigw.RestApi;
}

/**
 * Requests as resources: one table of request records (a 202's `Location` answers from it) and
 * Idempotency-Key records, written by the state machines with direct integrations, and
 * `GET /requests/{id}` served by API Gateway straight from the table (no execution, no Lambda).
 *
 *   pk = request#<requestId>                 status queued → applied | rejected, with the outcome
 *   pk = idempotency#<resource>#<key>        fingerprint, status, the first answer
 */
export class RequestRecords extends Construct {
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: RequestRecordsProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    const role = new iam.Role(this, 'ApiRole', {
      assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway reads request records (GET /requests/{id})',
    });
    this.table.grant(role, 'dynamodb:GetItem');
    const integration = new apigw.AwsIntegration({
      service: 'dynamodb',
      action: 'GetItem',
      integrationHttpMethod: 'POST',
      options: {
        credentialsRole: role,
        passthroughBehavior: apigw.PassthroughBehavior.NEVER,
        requestTemplates: { 'application/json': mappingTemplate('request-record.request.vtl', { TableName: this.table.tableName }) },
        integrationResponses: [
          {
            statusCode: '200',
            responseTemplates: { 'application/json': mappingTemplate('request-record.response.vtl') },
            responseParameters: {
              'method.response.header.X-Request-Id': 'context.requestId',
              'method.response.header.Access-Control-Allow-Origin': "'*'",
            },
          },
          {
            selectionPattern: '[45]\\d{2}',
            statusCode: '503',
            responseTemplates: { 'application/json': mappingTemplate('request-record.error.vtl') },
            responseParameters: {
              'method.response.header.X-Request-Id': 'context.requestId',
              'method.response.header.Access-Control-Allow-Origin': "'*'",
            },
          },
        ],
      },
    });
    const headers = { 'method.response.header.X-Request-Id': true, 'method.response.header.Access-Control-Allow-Origin': true };
    props.api.root
      .addResource('requests')
      .addResource('{id}')
      .addMethod('GET', integration, {
        requestParameters: { 'method.request.path.id': true },
        methodResponses: [
          { statusCode: '200', responseParameters: headers },
          { statusCode: '503', responseParameters: headers },
        ],
      });
  }
}
