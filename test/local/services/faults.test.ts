import { AwsError } from '../../../local/services/errors';
import { FaultInjector } from '../../../local/services/faults';

describe('FaultInjector', () => {
  it('fails every matching call with rate 1 until the rule is removed', () => {
    const faults = new FaultInjector();
    const rule = faults.add({ service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException', rate: 1 });
    for (let i = 0; i < 3; i++) expect(() => faults.check('dynamodb', 'PutItem')).toThrow(AwsError);
    expect(() => faults.check('dynamodb', 'GetItem')).not.toThrow();
    expect(() => faults.check('sqs', 'PutItem')).not.toThrow();
    expect(faults.list()[0].fired).toBe(3);
    expect(faults.remove(rule.id)).toBe(true);
    expect(() => faults.check('dynamodb', 'PutItem')).not.toThrow();
  });

  it('fails exactly `count` calls, then drops the rule', () => {
    const faults = new FaultInjector();
    faults.add({ service: 'sqs', operation: 'SendMessage', error: 'InternalError', count: 2 });
    expect(() => faults.check('sqs', 'SendMessage')).toThrow('Internal server error');
    expect(() => faults.check('sqs', 'SendMessage')).toThrow();
    expect(() => faults.check('sqs', 'SendMessage')).not.toThrow();
    expect(faults.list()).toEqual([]);
  });

  it('fails a fraction of calls with rate < 1 (injected random source)', () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    const faults = new FaultInjector({ random: () => draws.shift()! });
    faults.add({ service: 'dynamodb', error: 'ThrottlingException', rate: 0.5 });
    const outcomes = [0, 1, 2, 3].map(() => faults.next('dynamodb', 'Query')?.code);
    expect(outcomes).toEqual(['ThrottlingException', undefined, 'ThrottlingException', undefined]);
  });

  it("produces the service's real error shape and status", () => {
    const faults = new FaultInjector();
    faults.set([
      { service: 'dynamodb', operation: 'PutItem', error: 'ProvisionedThroughputExceededException' },
      { service: 'dynamodb', operation: 'GetItem', error: 'InternalServerError' },
      { service: 'states', operation: 'StartSyncExecution', error: 'ExecutionLimitExceeded' },
      { service: 'appconfig', error: 'ThrottlingException' },
      { service: 'sqs', operation: 'ReceiveMessage', error: 'QueueDoesNotExist' },
    ]);
    const throttled = faults.next('dynamodb', 'PutItem')!;
    expect(throttled.httpStatus).toBe(400);
    expect(throttled.toJSON()).toEqual({
      __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
      message: expect.stringContaining('provisioned throughput'),
    });
    expect(throttled.retryable).toBe(true);
    const internal = faults.next('dynamodb', 'GetItem')!;
    expect(internal.httpStatus).toBe(500);
    expect(internal.toJSON().__type).toBe('com.amazonaws.dynamodb.v20120810#InternalServerError');
    expect(faults.next('stepfunctions', 'StartSyncExecution')!.renderJson().status).toBe(400);
    expect(faults.next('appconfigdata', 'GetLatestConfiguration')!.renderRestJson()).toMatchObject({ status: 429, headers: { 'x-amzn-errortype': 'ThrottlingException' } });
    const sqs = faults.next('sqs', 'ReceiveMessage')!.renderJson();
    expect(sqs.headers['x-amzn-query-error']).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(JSON.parse(sqs.body).__type).toBe('com.amazonaws.sqs#QueueDoesNotExist');
  });

  it('says what is wrong with an invalid rule', () => {
    const faults = new FaultInjector();
    expect(() => faults.add({ service: 's3', error: 'X' })).toThrow(/Unknown service "s3"/);
    expect(() => faults.add({ service: 'sqs', error: '' })).toThrow(/AWS error code/);
    expect(() => faults.add({ service: 'sqs', error: 'X', rate: 2 })).toThrow(/"rate" must be a number from 0 to 1/);
    expect(() => faults.add({ service: 'sqs', error: 'X', count: 0 })).toThrow(/"count" must be a positive integer/);
    expect(() => faults.addAll([{ service: 'sqs', error: 'X' }, { service: 'nope', error: 'X' }])).toThrow();
    expect(faults.list()).toEqual([]);
  });

  it('applies a wildcard service rule to every service', () => {
    const faults = new FaultInjector();
    faults.add({ service: '*', error: 'ServiceUnavailable', count: 2 });
    expect(faults.next('events', 'PutEvents')).toMatchObject({ httpStatus: 503, service: 'events' });
    expect(faults.next('sqs', 'SendMessage')).toMatchObject({ httpStatus: 503, service: 'sqs' });
    expect(faults.next('sqs', 'SendMessage')).toBeUndefined();
  });
});

describe('AwsError', () => {
  it('renders the legacy SQS query XML error', () => {
    const xml = AwsError.of('sqs', 'QueueDoesNotExist').renderQueryXml('req-1');
    expect(xml.status).toBe(400);
    expect(xml.body).toContain('<Code>AWS.SimpleQueueService.NonExistentQueue</Code>');
    expect(xml.body).toContain('<Type>Sender</Type>');
    expect(xml.body).toContain('<RequestId>req-1</RequestId>');
  });

  it('renders AppConfigData REST-JSON errors with their extra members', () => {
    const rendered = AwsError.of('appconfigdata', 'BadRequestException', 'bad', { Reason: 'InvalidParameters' }).renderRestJson();
    expect(rendered.status).toBe(400);
    expect(rendered.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(JSON.parse(rendered.body)).toEqual({ Message: 'bad', Reason: 'InvalidParameters' });
  });
});
