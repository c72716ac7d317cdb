/**
 * One error class for every local AWS service, rendering itself in the wire shape of the service that threw it.
 *
 * - AWS JSON 1.0/1.1 (DynamoDB, SQS, Step Functions, EventBridge): body `{"__type": "...", "message": "..."}`,
 *   header `x-amzn-ErrorType`; SQS adds `x-amzn-query-error: <legacy code>;<Sender|Receiver>` (the SDK's
 *   awsQueryCompatible trait maps that header back to the modelled exception).
 * - REST-JSON (AppConfigData): body `{"Message": "...", ...extra members}`, header `x-amzn-ErrorType`.
 * - AWS query (legacy SQS): `<ErrorResponse><Error><Type/><Code/><Message/><Detail/></Error><RequestId/></ErrorResponse>`.
 */

export type ServiceName = 'dynamodb' | 'sqs' | 'appconfigdata' | 'stepfunctions' | 'events' | 'lambda';

export const SERVICE_NAMES: readonly ServiceName[] = ['dynamodb', 'sqs', 'appconfigdata', 'stepfunctions', 'events', 'lambda'];

const SERVICE_ALIASES: Record<string, ServiceName> = {
  dynamodb: 'dynamodb',
  dynamo: 'dynamodb',
  sqs: 'sqs',
  appconfigdata: 'appconfigdata',
  appconfig: 'appconfigdata',
  stepfunctions: 'stepfunctions',
  states: 'stepfunctions',
  sfn: 'stepfunctions',
  events: 'events',
  eventbridge: 'events',
  lambda: 'lambda',
};

/** Accepts the usual spellings ('states', 'sfn', 'eventbridge', 'appconfig') and returns the canonical name. */
export function normalizeServiceName(name: string): ServiceName | undefined {
  return SERVICE_ALIASES[name.toLowerCase().replace(/[^a-z]/g, '')];
}

export type Fault = 'Sender' | 'Receiver';

interface CatalogueEntry {
  status: number;
  /** Full `__type` (JSON protocols); defaults to the service namespace + '#' + code. */
  type?: string;
  /** SQS: the legacy query error code carried in `x-amzn-query-error`. */
  queryCode?: string;
}

const DYNAMO_NS = 'com.amazonaws.dynamodb.v20120810#';
const SQS_NS = 'com.amazonaws.sqs#';
const SFN_NS = 'com.amazonaws.swf.service.v2.model#';

/** The errors each service really returns, with their HTTP status and wire type (AWS API references / SDK models). */
export const ERROR_CATALOGUE: Record<ServiceName, Record<string, CatalogueEntry>> = {
  dynamodb: {
    ConditionalCheckFailedException: { status: 400 },
    ProvisionedThroughputExceededException: { status: 400 },
    RequestLimitExceeded: { status: 400 },
    ResourceNotFoundException: { status: 400 },
    ResourceInUseException: { status: 400 },
    ItemCollectionSizeLimitExceededException: { status: 400 },
    TransactionConflictException: { status: 400 },
    TransactionCanceledException: { status: 400 },
    LimitExceededException: { status: 400 },
    ValidationException: { status: 400, type: 'com.amazon.coral.validate#ValidationException' },
    SerializationException: { status: 400, type: 'com.amazon.coral.service#SerializationException' },
    UnknownOperationException: { status: 400, type: 'com.amazon.coral.service#UnknownOperationException' },
    ThrottlingException: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException' },
    AccessDeniedException: { status: 400, type: 'com.amazon.coral.service#AccessDeniedException' },
    UnrecognizedClientException: { status: 400, type: 'com.amazon.coral.service#UnrecognizedClientException' },
    InternalServerError: { status: 500 },
    ServiceUnavailable: { status: 503, type: 'com.amazon.coral.availability#ServiceUnavailableException' },
  },
  sqs: {
    QueueDoesNotExist: { status: 400, queryCode: 'AWS.SimpleQueueService.NonExistentQueue' },
    QueueNameExists: { status: 400, queryCode: 'QueueAlreadyExists' },
    QueueDeletedRecently: { status: 400, queryCode: 'AWS.SimpleQueueService.QueueDeletedRecently' },
    ReceiptHandleIsInvalid: { status: 404, queryCode: 'ReceiptHandleIsInvalid' },
    MessageNotInflight: { status: 400, queryCode: 'AWS.SimpleQueueService.MessageNotInflight' },
    PurgeQueueInProgress: { status: 403, queryCode: 'AWS.SimpleQueueService.PurgeQueueInProgress' },
    EmptyBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest' },
    TooManyEntriesInBatchRequest: { status: 400, queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest' },
    BatchEntryIdsNotDistinct: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct' },
    BatchRequestTooLong: { status: 400, queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong' },
    InvalidBatchEntryId: { status: 400, queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
    UnsupportedOperation: { status: 400, queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' },
    InvalidAttributeName: { status: 400, queryCode: 'InvalidAttributeName' },
    InvalidAttributeValue: { status: 400, queryCode: 'InvalidAttributeValue' },
    InvalidMessageContents: { status: 400, queryCode: 'InvalidMessageContents' },
    InvalidParameterValue: { status: 400, queryCode: 'InvalidParameterValue' },
    MissingParameter: { status: 400, queryCode: 'MissingParameter' },
    InvalidAddress: { status: 404, queryCode: 'InvalidAddress' },
    OverLimit: { status: 403, queryCode: 'OverLimit' },
    RequestThrottled: { status: 403, queryCode: 'RequestThrottled' },
    KmsThrottled: { status: 400, queryCode: 'KMS.ThrottlingException' },
    InvalidAction: { status: 400, queryCode: 'InvalidAction' },
    UnknownOperationException: { status: 400, type: 'com.amazon.coral.service#UnknownOperationException', queryCode: 'InvalidAction' },
    SerializationException: { status: 400, type: 'com.amazon.coral.service#SerializationException', queryCode: 'MalformedQueryString' },
    InternalFailure: { status: 500, type: 'com.amazon.coral.service#InternalFailure', queryCode: 'InternalFailure' },
    InternalError: { status: 500, queryCode: 'InternalError' },
    ServiceUnavailable: { status: 503, type: 'com.amazon.coral.availability#ServiceUnavailableException', queryCode: 'ServiceUnavailable' },
  },
  appconfigdata: {
    BadRequestException: { status: 400 },
    ResourceNotFoundException: { status: 404 },
    ThrottlingException: { status: 429 },
    InternalServerException: { status: 500 },
  },
  stepfunctions: {
    ExecutionDoesNotExist: { status: 400 },
    ExecutionAlreadyExists: { status: 400 },
    ExecutionLimitExceeded: { status: 400 },
    ExecutionNotRedrivable: { status: 400 },
    StateMachineDoesNotExist: { status: 400 },
    StateMachineAlreadyExists: { status: 400 },
    StateMachineDeleting: { status: 400 },
    StateMachineTypeNotSupported: { status: 400 },
    InvalidArn: { status: 400 },
    InvalidDefinition: { status: 400 },
    InvalidExecutionInput: { status: 400 },
    InvalidName: { status: 400 },
    InvalidToken: { status: 400 },
    TaskDoesNotExist: { status: 400 },
    TaskTimedOut: { status: 400 },
    ValidationException: { status: 400 },
    ServiceQuotaExceededException: { status: 400 },
    ThrottlingException: { status: 400, type: 'com.amazon.coral.availability#ThrottlingException' },
    UnknownOperationException: { status: 400, type: 'com.amazon.coral.service#UnknownOperationException' },
    SerializationException: { status: 400, type: 'com.amazon.coral.service#SerializationException' },
    InternalFailure: { status: 500, type: 'com.amazon.coral.service#InternalFailure' },
    ServiceUnavailable: { status: 503, type: 'com.amazon.coral.availability#ServiceUnavailableException' },
  },
  events: {
    ResourceNotFoundException: { status: 400, type: 'ResourceNotFoundException' },
    ValidationException: { status: 400, type: 'ValidationException' },
    InternalException: { status: 500, type: 'InternalException' },
    ThrottlingException: { status: 400, type: 'ThrottlingException' },
    LimitExceededException: { status: 400, type: 'LimitExceededException' },
    UnknownOperationException: { status: 400, type: 'UnknownOperationException' },
    SerializationException: { status: 400, type: 'SerializationException' },
    ServiceUnavailable: { status: 503, type: 'ServiceUnavailable' },
  },
  // Lambda's service errors (Invoke API reference): REST-JSON, `{"Type", "message", "Reason"?}`.
  lambda: {
    TooManyRequestsException: { status: 429 },
    ServiceException: { status: 500 },
    ResourceNotFoundException: { status: 404 },
    ResourceConflictException: { status: 409 },
    EC2ThrottledException: { status: 502 },
    InvalidRequestContentException: { status: 400 },
  },
};

const NAMESPACES: Record<ServiceName, string> = {
  dynamodb: DYNAMO_NS,
  sqs: SQS_NS,
  appconfigdata: 'com.amazonaws.appconfigdata#',
  stepfunctions: SFN_NS,
  events: '',
  lambda: '',
};

export interface AwsErrorOptions {
  service: ServiceName;
  httpStatus?: number;
  /** Full wire `__type` for JSON protocols. */
  type?: string;
  /** SQS legacy query code (x-amzn-query-error / XML <Code>). */
  queryCode?: string;
  fault?: Fault;
  /** Extra members of the error body (AppConfigData Reason/Details/ResourceType, DynamoDB Item, ...). */
  extra?: Record<string, unknown>;
}

export interface RenderedError {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class AwsError extends Error {
  /** The short error code, e.g. 'ConditionalCheckFailedException'; equals `name`. */
  readonly code: string;
  readonly service: ServiceName;
  readonly httpStatus: number;
  readonly type: string;
  readonly queryCode?: string;
  readonly fault: Fault;
  readonly extra?: Record<string, unknown>;

  constructor(code: string, message: string, options: AwsErrorOptions) {
    super(message);
    const known = ERROR_CATALOGUE[options.service][code];
    this.code = code;
    this.name = code;
    this.service = options.service;
    this.httpStatus = options.httpStatus ?? known?.status ?? defaultStatus(code);
    this.type = options.type ?? known?.type ?? NAMESPACES[options.service] + code;
    this.queryCode = options.queryCode ?? known?.queryCode ?? (options.service === 'sqs' ? code : undefined);
    this.fault = options.fault ?? (this.httpStatus >= 500 ? 'Receiver' : 'Sender');
    this.extra = options.extra;
  }

  /** Builds an error from the service's catalogue (status and wire type looked up by code). */
  static of(service: ServiceName, code: string, message?: string, extra?: Record<string, unknown>): AwsError {
    return new AwsError(code, message ?? defaultMessage(code), { service, extra });
  }

  /** True for errors a client should retry (throttling, 5xx). */
  get retryable(): boolean {
    return this.httpStatus >= 500 || /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|ThrottlingException/.test(this.code);
  }

  /** AWS JSON 1.0/1.1 body. DynamoDB's Coral serialization exceptions use `Message`, the rest `message`. */
  toJSON(): Record<string, unknown> {
    return { __type: this.type, message: this.message, ...(this.extra ?? {}) };
  }

  renderJson(contentType = 'application/x-amz-json-1.0'): RenderedError {
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-amzn-errortype': this.code,
    };
    if (this.service === 'sqs' && this.queryCode) headers['x-amzn-query-error'] = `${this.queryCode};${this.fault}`;
    return { status: this.httpStatus, headers, body: JSON.stringify(this.toJSON()) };
  }

  renderRestJson(): RenderedError {
    return {
      status: this.httpStatus,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': this.code },
      body: JSON.stringify({ Message: this.message, ...(this.extra ?? {}) }),
    };
  }

  /** Lambda's REST-JSON error body: `{"Type": "User"|"Service", "message", ...extra}`. */
  renderLambda(): RenderedError {
    return {
      status: this.httpStatus,
      headers: { 'content-type': 'application/json', 'x-amzn-errortype': this.code },
      body: JSON.stringify({ Type: this.httpStatus >= 500 ? 'Service' : 'User', message: this.message, ...(this.extra ?? {}) }),
    };
  }

  renderQueryXml(requestId: string): RenderedError {
    const body =
      '<?xml version="1.0"?>' +
      '<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">' +
      `<Error><Type>${this.fault}</Type><Code>${xmlEscape(this.queryCode ?? this.code)}</Code>` +
      `<Message>${xmlEscape(this.message)}</Message><Detail/></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`;
    return { status: this.httpStatus, headers: { 'content-type': 'text/xml' }, body };
  }
}

/** Recognises dynalite-style errors (`{statusCode, body: {__type, message}}`) and wraps anything unknown as a 500. */
export function toAwsError(service: ServiceName, err: unknown): AwsError {
  if (err instanceof AwsError) return err;
  const e = err as { statusCode?: number; body?: { __type?: string; message?: string; Message?: string } } | undefined;
  if (e && typeof e.statusCode === 'number' && e.body && typeof e.body.__type === 'string') {
    const type = e.body.__type;
    const code = type.slice(type.lastIndexOf('#') + 1);
    const message = e.body.message ?? e.body.Message ?? '';
    return new AwsError(code, message, { service, httpStatus: e.statusCode, type });
  }
  if (err instanceof Error && ERROR_CATALOGUE[service][err.name]) {
    return new AwsError(err.name, err.message, { service });
  }
  const internal = { dynamodb: 'InternalServerError', sqs: 'InternalError', appconfigdata: 'InternalServerException', stepfunctions: 'InternalFailure', events: 'InternalException', lambda: 'ServiceException' }[service];
  const message = err instanceof Error ? err.message : String(err);
  return new AwsError(internal, message || 'Internal server error', { service, httpStatus: 500 });
}

function defaultStatus(code: string): number {
  if (/ServiceUnavailable/.test(code)) return 503;
  if (/Internal/.test(code)) return 500;
  return 400;
}

function defaultMessage(code: string): string {
  switch (code) {
    case 'ProvisionedThroughputExceededException':
      return 'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.';
    case 'ThrottlingException':
      return 'Rate exceeded';
    case 'RequestLimitExceeded':
      return 'Throughput exceeds the current throughput limit for your account.';
    case 'InternalServerError':
    case 'InternalFailure':
    case 'InternalError':
    case 'InternalException':
    case 'InternalServerException':
      return 'Internal server error';
    case 'ServiceUnavailable':
      return 'Service unavailable';
    case 'QueueDoesNotExist':
      return 'The specified queue does not exist.';
    default:
      return code;
  }
}

export function xmlEscape(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}
