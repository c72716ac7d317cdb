/**
 * The service integrations the app uses, calling the local services in-process:
 *   arn:aws:states:::dynamodb:getItem|putItem|updateItem|deleteItem   (optimized)
 *   arn:aws:states:::aws-sdk:dynamodb:<action>                        (AWS SDK)
 *   arn:aws:states:::sqs:sendMessage, arn:aws:states:::aws-sdk:sqs:<action>
 *   arn:aws:states:::events:putEvents
 *   arn:aws:states:::lambda:invoke, arn:aws:lambda:<region>:<account>:function:<name>
 * Any other resource fails its Task by name (the engine's UnsupportedResourceError).
 * Result shapes and error names follow AWS recordings: see ./sdk-metadata.ts, ./task-errors.ts,
 * ./lambda-invoke.ts.
 */
import { TaskError } from '../asl/errors';
import { TaskHandlerRegistry } from '../asl/handlers';
import type { TaskHandler } from '../asl/types';
import type { DynamoDbService } from '../services/dynamodb';
import type { EventsService } from '../services/events';
import type { SqsService } from '../services/sqs';
import { InvocableFunction, lambdaArnHandler, lambdaInvokeHandler } from './lambda-invoke';
import { sdkMetadata } from './sdk-metadata';
import { ErrorStyle, STYLES, toTaskError } from './task-errors';

export interface IntegrationServices {
  dynamodb: DynamoDbService;
  sqs: SqsService;
  events: EventsService;
  /** Lambda functions by name (LocalLambda, or any object with invoke()). */
  lambdas: Map<string, InvocableFunction>;
}

type Call = (request: any) => Promise<any>;

/** Optimized integration: the API output plus the SDK metadata; errors named the Java SDK v1 way. */
function optimized(style: ErrorStyle, contentType: string, call: Call): TaskHandler {
  return async ({ input }) => {
    try {
      const output = await call(input ?? {});
      return { ...output, ...sdkMetadata(output, contentType) };
    } catch (error) {
      throw toTaskError(error, style);
    }
  };
}

/** AWS SDK integration: `aws-sdk:<service>:<action>` runs the PascalCase API action; the output alone. */
function awsSdk(style: ErrorStyle, call: (action: string, request: any) => Promise<any>): TaskHandler {
  return async ({ resource, input }) => {
    const action = resource.slice(resource.lastIndexOf(':') + 1);
    try {
      return await call(action.charAt(0).toUpperCase() + action.slice(1), input ?? {});
    } catch (error) {
      throw toTaskError(error, style);
    }
  };
}

/** sqs:sendMessage: a MessageBody that is not a string is sent as its JSON text. */
function sendMessage(sqs: SqsService): Call {
  return (req) => sqs.call('SendMessage', { ...req, MessageBody: typeof req.MessageBody === 'string' || req.MessageBody === undefined ? req.MessageBody : JSON.stringify(req.MessageBody) });
}

/**
 * events:putEvents, as recorded on AWS: a Detail object is sent as JSON text, the state machine and
 * execution ARNs are added to each entry's Resources, the result is `{Entries, FailedEntryCount}` with no
 * SDK metadata, and any failed entry fails the Task with `EventBridge.FailedEntry` and the whole result
 * as cause.
 */
function putEvents(events: EventsService): TaskHandler {
  return async ({ input, context }) => {
    const entries = ((input as { Entries?: Record<string, unknown>[] })?.Entries ?? []).map((e) => ({
      ...e,
      Detail: typeof e.Detail === 'string' ? e.Detail : JSON.stringify(e.Detail ?? {}),
      Resources: [...(Array.isArray(e.Resources) ? e.Resources : []), context.StateMachine.Id, context.Execution.Id],
    }));
    let result: { Entries: unknown[]; FailedEntryCount: number };
    try {
      result = await events.call('PutEvents', { Entries: entries });
    } catch (error) {
      throw toTaskError(error, STYLES.events);
    }
    if (result.FailedEntryCount > 0) throw new TaskError('EventBridge.FailedEntry', JSON.stringify(result));
    return result;
  };
}

export function buildIntegrations(services: IntegrationServices): TaskHandlerRegistry {
  const registry = new TaskHandlerRegistry();
  const dynamodb = (action: string, req: object) => services.dynamodb.call(action, req);
  for (const action of ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem']) {
    const resource = `arn:aws:states:::dynamodb:${action.charAt(0).toLowerCase()}${action.slice(1)}`;
    registry.register(resource, optimized(STYLES.dynamodb, 'application/x-amz-json-1.0', (req) => dynamodb(action, req)));
  }
  registry.register('arn:aws:states:::aws-sdk:dynamodb:*', awsSdk(STYLES.sdkDynamodb, dynamodb));
  registry.register('arn:aws:states:::sqs:sendMessage', optimized(STYLES.sqs, 'application/x-amz-json-1.0', sendMessage(services.sqs)));
  registry.register('arn:aws:states:::aws-sdk:sqs:*', awsSdk(STYLES.sdkSqs, (action, req) => services.sqs.call(action, req)));
  registry.register('arn:aws:states:::events:putEvents', putEvents(services.events));
  registry.register('arn:aws:states:::lambda:invoke', lambdaInvokeHandler(services.lambdas));
  registry.register('arn:aws:lambda:*:*:function:*', lambdaArnHandler(services.lambdas));
  return registry;
}
