/**
 * How a Task names a service error, as recorded on AWS:
 *
 * - optimized integrations (`arn:aws:states:::dynamodb:putItem`, `sqs:sendMessage`, `events:putEvents`)
 *   call the Java SDK v1: error `DynamoDB.ConditionalCheckFailedException`, cause
 *   "The conditional request failed (Service: AmazonDynamoDBv2; Status Code: 400; Error Code:
 *   ConditionalCheckFailedException; Request ID: …; Proxy: null)". An error the SDK has no class for
 *   (e.g. ValidationException) becomes the service's base class: `DynamoDB.AmazonDynamoDBException`.
 * - AWS SDK integrations (`arn:aws:states:::aws-sdk:dynamodb:putItem`) call the Java SDK v2: error
 *   `DynamoDb.ResourceNotFoundException`, cause "Requested resource not found (Service: DynamoDb,
 *   Status Code: 400, Request ID: …)"; unmodelled ones are `DynamoDb.DynamoDbException`. Error names
 *   always end in "Exception" (S3's BucketAlreadyExists is `S3.BucketAlreadyExistsException`,
 *   supported-services-awssdk docs).
 */
import { randomUUID } from 'node:crypto';
import { TaskError } from '../asl/errors';
import { AwsError } from '../services/errors';

export interface ErrorStyle {
  /** Error name prefix, e.g. 'DynamoDB' (optimized) or 'DynamoDb' (aws-sdk). */
  prefix: string;
  /** "Service:" in the cause, e.g. 'AmazonDynamoDBv2' or 'DynamoDb'. */
  serviceId: string;
  /** The SDK's base exception class, for errors it has no class for. */
  baseException: string;
  /** Error codes (as the local services throw them) the SDK has a class for. */
  modelled: ReadonlySet<string>;
  sdk: 'v1' | 'v2';
}

const DYNAMODB_MODELLED = new Set([
  'ConditionalCheckFailedException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ResourceNotFoundException',
  'ResourceInUseException',
  'ItemCollectionSizeLimitExceededException',
  'TransactionConflictException',
  'TransactionCanceledException',
  'TransactionInProgressException',
  'LimitExceededException',
  'InternalServerError',
  'IdempotentParameterMismatchException',
  'ReplicatedWriteConflictException',
]);

/**
 * DynamoDB added ThrottlingException to its API model in 2025: the v2 SDK has a class for it; the v1 SDK
 * (in maintenance) is assumed not to, so an optimized Task sees DynamoDB.AmazonDynamoDBException. A guess.
 */
const DYNAMODB_MODELLED_V2 = new Set([...DYNAMODB_MODELLED, 'ThrottlingException']);

const SQS_MODELLED = new Set([
  'QueueDoesNotExist',
  'QueueNameExists',
  'QueueDeletedRecently',
  'ReceiptHandleIsInvalid',
  'MessageNotInflight',
  'PurgeQueueInProgress',
  'EmptyBatchRequest',
  'TooManyEntriesInBatchRequest',
  'BatchEntryIdsNotDistinct',
  'BatchRequestTooLong',
  'InvalidBatchEntryId',
  'UnsupportedOperation',
  'InvalidAttributeName',
  'InvalidMessageContents',
  'InvalidIdFormat',
  'OverLimit',
]);

const EVENTS_MODELLED = new Set(['ResourceNotFoundException', 'InternalException', 'ConcurrentModificationException', 'LimitExceededException']);

export const STYLES = {
  dynamodb: { prefix: 'DynamoDB', serviceId: 'AmazonDynamoDBv2', baseException: 'AmazonDynamoDBException', modelled: DYNAMODB_MODELLED, sdk: 'v1' },
  sqs: { prefix: 'SQS', serviceId: 'AmazonSQS', baseException: 'AmazonSQSException', modelled: SQS_MODELLED, sdk: 'v1' },
  events: { prefix: 'EventBridge', serviceId: 'AmazonEventBridge', baseException: 'AmazonEventBridgeException', modelled: EVENTS_MODELLED, sdk: 'v1' },
  sdkDynamodb: { prefix: 'DynamoDb', serviceId: 'DynamoDb', baseException: 'DynamoDbException', modelled: DYNAMODB_MODELLED_V2, sdk: 'v2' },
  sdkSqs: { prefix: 'Sqs', serviceId: 'Sqs', baseException: 'SqsException', modelled: SQS_MODELLED, sdk: 'v2' },
} satisfies Record<string, ErrorStyle>;

/** 'RequestLimitExceeded' → 'RequestLimitExceededException'; names already ending in Exception stay. */
export function exceptionName(code: string): string {
  return code.endsWith('Exception') ? code : `${code}Exception`;
}

/** The TaskError a Task sees for a local service's AwsError; anything else is passed through. */
export function toTaskError(error: unknown, style: ErrorStyle): unknown {
  if (!(error instanceof AwsError)) return error;
  const name = style.modelled.has(error.code) ? exceptionName(error.code) : style.baseException;
  const requestId = randomUUID();
  const cause =
    style.sdk === 'v1'
      ? // The v1 SDK shows the wire error code (SQS's legacy query code, e.g. AWS.SimpleQueueService.NonExistentQueue).
        `${error.message} (Service: ${style.serviceId}; Status Code: ${error.httpStatus}; Error Code: ${error.queryCode ?? error.code}; Request ID: ${requestId}; Proxy: null)`
      : `${error.message} (Service: ${style.serviceId}, Status Code: ${error.httpStatus}, Request ID: ${requestId})`;
  return new TaskError(`${style.prefix}.${name}`, cause);
}
