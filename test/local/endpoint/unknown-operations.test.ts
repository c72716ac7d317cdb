/**
 * A call no local service implements answers AWS's UnknownOperationException shape, naming the call, whatever the
 * service and protocol: `{"__type": "...#UnknownOperationException", "message"}` for the JSON protocols (400),
 * `x-amzn-ErrorType: UnknownOperationException` for the REST ones (404), InvalidAction for the query protocol
 * (SQS, CloudFormation) as those services answer it.
 */
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import { LocalServices } from '../../../local/services';
import { buildIntegrations } from '../../../local/stepfunctions/integrations';
import { StepFunctionsService } from '../../../local/stepfunctions/service';

let services: LocalServices;
let stepFunctions: StepFunctionsService;
let endpoint: RunningEndpoint;

beforeAll(async () => {
  services = await LocalServices.open({ inMemory: true });
  stepFunctions = new StepFunctionsService({
    region: 'us-east-1',
    account: '000000000000',
    taskHandlers: buildIntegrations({ dynamodb: services.dynamodb, sqs: services.sqs, events: services.events, lambdas: new Map() }),
  });
  endpoint = await startEndpoint({ services, stepFunctions, port: 0, lambda: { has: () => false, invoke: async () => null } });
});

afterAll(async () => {
  await endpoint?.close();
  await stepFunctions?.close();
  await services?.close();
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const res = await fetch(`${endpoint.url}${path}`, { method, headers, body });
  const text = await res.text();
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), text };
}

describe('JSON protocols (X-Amz-Target)', () => {
  it.each([
    ['DynamoDB_20120810', 'DescribeGlobalTableSettings', 'application/x-amz-json-1.0'],
    ['AmazonSQS', 'StartMessageMoveTask', 'application/x-amz-json-1.0'],
    ['AWSStepFunctions', 'CreateActivity', 'application/x-amz-json-1.0'],
    ['AWSEvents', 'ListRules', 'application/x-amz-json-1.1'],
  ])('%s.%s answers 400 UnknownOperationException naming the operation', async (prefix, operation, contentType) => {
    const { status, errorType, text } = await call('POST', '/', { 'x-amz-target': `${prefix}.${operation}`, 'content-type': contentType }, '{}');
    expect({ status, errorType }).toEqual({ status: 400, errorType: 'UnknownOperationException' });
    const body = JSON.parse(text);
    expect(body.__type).toMatch(/UnknownOperationException$/);
    expect(body.message).toContain(operation);
  });

  it('a target of no service here names the whole target', async () => {
    const { status, errorType, text } = await call('POST', '/', { 'x-amz-target': 'AmazonSSM.GetParameter', 'content-type': 'application/x-amz-json-1.1' }, '{}');
    expect({ status, errorType }).toEqual({ status: 400, errorType: 'UnknownOperationException' });
    expect(JSON.parse(text)).toEqual({ __type: 'com.amazon.coral.service#UnknownOperationException', message: 'Unknown target AmazonSSM.GetParameter' });
  });
});

describe('REST-JSON services', () => {
  it.each([
    ['DELETE', '/applications/abc1234/environments/def5678/deployments/1', 'StopDeployment', 'AppConfig'],
    ['PATCH', '/applications/abc1234', 'UpdateApplication', 'AppConfig'],
    ['GET', '/extensions', 'ListExtensions', 'AppConfig'],
    ['GET', '/2015-03-31/functions/f/policy', 'GetPolicy', 'Lambda'],
    ['GET', '/2015-03-31/event-source-mappings', 'ListEventSourceMappings', 'Lambda'],
    ['GET', '/2019-09-30/functions/f/provisioned-concurrency?List=ALL', 'ListProvisionedConcurrencyConfigs', 'Lambda'],
  ])('%s %s (%s) answers 404 UnknownOperationException naming it', async (method, path, operation, service) => {
    const { status, errorType, text } = await call(method, path);
    expect({ status, errorType }).toEqual({ status: 404, errorType: 'UnknownOperationException' });
    expect(text).toContain(`${operation} is not supported by the local ${service}`);
  });

  it('an AppConfigData path with another method names the method and path', async () => {
    const { status, errorType, text } = await call('DELETE', '/configuration');
    expect({ status, errorType }).toEqual({ status: 404, errorType: 'UnknownOperationException' });
    expect(JSON.parse(text).Message).toBe('No AppConfigData operation for DELETE /configuration');
  });

  it('a path no service here answers names the method and path', async () => {
    const { status, errorType, text } = await call('GET', '/2099-01-01/nothing');
    expect({ status, errorType }).toEqual({ status: 404, errorType: 'UnknownOperationException' });
    expect(JSON.parse(text).message).toBe('No service answers GET /2099-01-01/nothing');
  });
});

describe('query protocol', () => {
  it('an SQS action it lacks answers InvalidAction naming it', async () => {
    const { status, text } = await call('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, 'Action=AddPermission&Version=2012-11-05');
    expect(status).toBe(400);
    expect(text).toContain('<Code>InvalidAction</Code>');
    expect(text).toContain('The action AddPermission is not valid for this endpoint.');
  });

  it('a CloudFormation action other than DescribeStacks answers InvalidAction naming it', async () => {
    const { status, text } = await call('POST', '/', { 'content-type': 'application/x-www-form-urlencoded' }, 'Action=ListStacks&Version=2010-05-15');
    expect(status).toBe(400);
    expect(text).toContain('<Code>InvalidAction</Code>');
    expect(text).toContain('The action ListStacks is not valid for this web service.');
  });
});
