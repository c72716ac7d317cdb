import { randomUUID } from 'node:crypto';
import { TaskError } from '../asl/errors';
import { TaskHandlerRegistry } from '../asl/handlers';
import type { TaskHandler } from '../asl/types';
import { LambdaFunctionError, LocalLambda } from '../lambda/runtime';
import type { DynamoDbService } from '../services/dynamodb';
import { AwsError } from '../services/errors';
import type { EventsService } from '../services/events';
import type { SqsService } from '../services/sqs';

export interface IntegrationServices {
  dynamodb: DynamoDbService;
  sqs: SqsService;
  events: EventsService;
  /** Lambda functions by name. */
  lambdas: Map<string, LocalLambda>;
}

/** The metadata Step Functions adds to optimized-integration results. */
function sdkMetadata(): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    SdkHttpMetadata: { AllHttpHeaders: { 'x-amzn-RequestId': [requestId] }, HttpHeaders: { 'x-amzn-RequestId': requestId }, HttpStatusCode: 200 },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

/**
 * A service error as a Task sees it: `<Prefix>.<Code>` with the cause formatted like the Java SDK's
 * message, e.g. DynamoDB.ConditionalCheckFailedException /
 * "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code: ...; Request ID: ...; Proxy: null)".
 */
function taskErrorFrom(error: unknown, prefix: string, serviceId: string): Error {
  if (error instanceof AwsError) {
    const cause = `${error.message} (Service: ${serviceId}; Status Code: ${error.httpStatus}; Error Code: ${error.code}; Request ID: ${randomUUID()}; Proxy: null)`;
    return new TaskError(`${prefix}.${error.code}`, cause);
  }
  return error as Error;
}

function optimized(prefix: string, serviceId: string, call: (request: any) => Promise<any>): TaskHandler {
  return async ({ input }) => {
    try {
      return { ...(await call(input)), ...sdkMetadata() };
    } catch (error) {
      throw taskErrorFrom(error, prefix, serviceId);
    }
  };
}

/** aws-sdk:<service>:<action> → the API action name (camelCase in the ARN, PascalCase on the wire). */
function sdkAction(resource: string): string {
  const action = resource.slice(resource.lastIndexOf(':') + 1);
  return action.charAt(0).toUpperCase() + action.slice(1);
}

/** The resource → handler table for the integrations the app uses; anything else fails the Task by name. */
export function buildIntegrations(services: IntegrationServices): TaskHandlerRegistry {
  const registry = new TaskHandlerRegistry();
  for (const action of ['getItem', 'putItem', 'updateItem', 'deleteItem']) {
    const wire = action.charAt(0).toUpperCase() + action.slice(1);
    registry.register(`arn:aws:states:::dynamodb:${action}`, optimized('DynamoDB', 'AmazonDynamoDBv2', (req) => services.dynamodb.call(wire, req)));
  }
  registry.register('arn:aws:states:::aws-sdk:dynamodb:*', async ({ resource, input }) => {
    try {
      return await services.dynamodb.call(sdkAction(resource), input as object);
    } catch (error) {
      throw taskErrorFrom(error, 'DynamoDb', 'DynamoDb');
    }
  });
  registry.register('arn:aws:states:::sqs:sendMessage', optimized('SQS', 'AmazonSQS', (req) => services.sqs.call('SendMessage', req)));
  registry.register('arn:aws:states:::aws-sdk:sqs:*', async ({ resource, input }) => {
    try {
      return await services.sqs.call(sdkAction(resource), input as object);
    } catch (error) {
      throw taskErrorFrom(error, 'Sqs', 'Sqs');
    }
  });
  registry.register(
    'arn:aws:states:::events:putEvents',
    optimized('EventBridge', 'AmazonEventBridge', (req: { Entries: Record<string, unknown>[] }) =>
      services.events.call('PutEvents', {
        // The optimized integration accepts Detail as JSON and serializes it, like the console shows.
        Entries: (req.Entries ?? []).map((e) => ({ ...e, Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail ?? {}) })),
      }),
    ),
  );
  const invoke = async (functionRef: string, payload: unknown) => {
    const name = functionRef.includes(':function:') ? functionRef.split(':function:')[1].split(':')[0] : functionRef;
    const fn = services.lambdas.get(name);
    if (!fn) throw new TaskError('Lambda.ResourceNotFoundException', `Function not found: ${functionRef} (Service: Lambda, Status Code: 404)`);
    try {
      return await fn.invoke(payload);
    } catch (error) {
      if (error instanceof LambdaFunctionError) throw new TaskError(error.errorType, JSON.stringify(error.toPayload()));
      throw error;
    }
  };
  registry.register('arn:aws:states:::lambda:invoke', async ({ input }) => {
    const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
    const result = await invoke(FunctionName, Payload);
    return { ExecutedVersion: '$LATEST', Payload: result, ...sdkMetadata(), StatusCode: 200 };
  });
  registry.register('arn:aws:lambda:*:*:function:*', async ({ resource, input }) => invoke(resource, input));
  return registry;
}
