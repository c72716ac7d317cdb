/**
 * CloudFormation DescribeStacks on the endpoint (query protocol, XML), read with @aws-sdk/client-cloudformation as
 * docs/operations.md's `out` helper reads the stack outputs with the AWS CLI.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import type { StackDescription } from '../../../local/endpoint/cloudformation';
import { LocalServices } from '../../../local/services';
import { credentials, rejectsWith } from './helpers';

const STACK: StackDescription = {
  StackName: 'CrudApi',
  StackId: 'arn:aws:cloudformation:us-east-1:000000000000:stack/CrudApi/11111111-2222-3333-4444-555555555555',
  CreationTime: new Date('2026-11-01T10:00:00.000Z'),
  StackStatus: 'CREATE_COMPLETE',
  Outputs: [
    { OutputKey: 'FlagsApplicationId', OutputValue: 'abc1234' },
    { OutputKey: 'ApiUrl', OutputValue: 'http://127.0.0.1:3000/v1/?a=1&b=<2>' },
  ],
};

let services: LocalServices;
let endpoint: RunningEndpoint;
let cfn: CloudFormationClient;

beforeAll(async () => {
  services = await LocalServices.open({ inMemory: true });
  endpoint = await startEndpoint({ services, port: 0, cloudFormation: { stacks: () => [STACK] } });
  cfn = new CloudFormationClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
});

afterAll(async () => {
  cfn?.destroy();
  await endpoint?.close();
  await services?.close();
});

it('DescribeStacks answers the stack with its outputs (by name, by id, or all stacks)', async () => {
  const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: 'CrudApi' }));
  expect(Stacks).toEqual([
    expect.objectContaining({
      StackName: 'CrudApi',
      StackId: STACK.StackId,
      CreationTime: STACK.CreationTime,
      StackStatus: 'CREATE_COMPLETE',
      Outputs: [
        { OutputKey: 'FlagsApplicationId', OutputValue: 'abc1234' },
        { OutputKey: 'ApiUrl', OutputValue: 'http://127.0.0.1:3000/v1/?a=1&b=<2>' },
      ],
    }),
  ]);
  expect((await cfn.send(new DescribeStacksCommand({ StackName: STACK.StackId }))).Stacks).toHaveLength(1);
  expect((await cfn.send(new DescribeStacksCommand({}))).Stacks!.map((s) => s.StackName)).toEqual(['CrudApi']);
});

it('an unknown stack is AWS’s ValidationError "Stack with id … does not exist"', async () => {
  const err = await rejectsWith(cfn.send(new DescribeStacksCommand({ StackName: 'Nope' })), 'ValidationError');
  expect(err.message).toBe('Stack with id Nope does not exist');
  expect(err.$metadata.httpStatusCode).toBe(400);
});

it('SQS keeps its query protocol next to CloudFormation’s (told apart by Version)', async () => {
  const res = await fetch(endpoint.url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=ListQueues&Version=2012-11-05' });
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/^<\?xml version="1.0"\?><ListQueuesResponse xmlns="http:\/\/queue.amazonaws.com\/doc\/2012-11-05\/">/);
});
