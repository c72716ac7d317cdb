import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { PUBLIC_METHOD } from './auth';
import { OPENAPI_PATH, OpenApiDocument, OpenApiOptions, buildOpenApiDocument } from './openapi';
import { version } from '../package.json';

/**
 * API Gateway's "Maximum mapping template size" quota for REST APIs: 300 KB, not adjustable
 * ("Quotas for configuring and running a REST API in API Gateway"). Counted here as 300,000 bytes to be safe.
 */
export const MAX_MAPPING_TEMPLATE_BYTES = 300_000;

/**
 * The document as a mapping template that renders to itself. Velocity treats `$` and `#` as the start of a
 * reference or directive (`$ref`, `#/components`); in JSON both only occur inside strings, where `\u0024` and
 * `\u0023` say the same thing. The result is JSON that parses to the same document and contains nothing
 * Velocity interprets, on AWS and locally alike.
 */
export function documentTemplate(document: OpenApiDocument): string {
  const template = JSON.stringify(document).replace(/\$/g, '\\u0024').replace(/#/g, '\\u0023');
  const bytes = Buffer.byteLength(template, 'utf8');
  if (bytes > MAX_MAPPING_TEMPLATE_BYTES) {
    throw new Error(
      `The OpenAPI document's mapping template is ${bytes} bytes, over API Gateway's ${MAX_MAPPING_TEMPLATE_BYTES}-byte limit: ` +
        'shorten descriptions or serve it from somewhere else (docs/openapi.md).',
    );
  }
  return template;
}

export interface OpenApiRouteProps extends Omit<OpenApiOptions, 'version'> {
  readonly api: apigw.RestApi;
}

/**
 * GET /<stage>/openapi.json: a MOCK integration whose integration response template is the document.
 * Public whatever the auth mode: the document is what tells a client how to authenticate.
 */
export class OpenApiRoute extends Construct {
  readonly document: OpenApiDocument;

  constructor(scope: Construct, id: string, props: OpenApiRouteProps) {
    super(scope, id);
    const { api, ...options } = props;
    this.document = buildOpenApiDocument({ ...options, version });
    const integration = new apigw.MockIntegration({
      passthroughBehavior: apigw.PassthroughBehavior.NEVER,
      requestTemplates: { 'application/json': '{"statusCode": 200}' },
      integrationResponses: [
        {
          statusCode: '200',
          responseTemplates: { 'application/json': documentTemplate(this.document) },
          responseParameters: {
            'method.response.header.Content-Type': "'application/json'",
            'method.response.header.X-Request-Id': 'context.requestId',
            'method.response.header.Access-Control-Allow-Origin': "'*'",
          },
        },
      ],
    });
    const method = api.root.addResource(OPENAPI_PATH.slice(1)).addMethod('GET', integration, {
      ...PUBLIC_METHOD,
      methodResponses: [
        {
          statusCode: '200',
          responseParameters: {
            'method.response.header.Content-Type': true,
            'method.response.header.X-Request-Id': true,
            'method.response.header.Access-Control-Allow-Origin': true,
          },
        },
      ],
    });
    Validations.of(method).acknowledge({ id: 'AwsSolutions-APIG4', reason: 'The OpenAPI document is public on purpose: it tells a client how to authenticate.' });
    // With auth cognito every other method has the user pool authorizer; this one stays public (cdk/auth.ts PUBLIC_METHOD).
    Validations.of(method).acknowledge({ id: 'AwsSolutions-COG4', reason: 'The OpenAPI document is public on purpose in every auth mode, so it has no Cognito authorizer.' });
  }
}
