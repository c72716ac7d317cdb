import * as http from 'node:http';
import { DescribeExecutionCommand, ExecutionLimitExceeded, SFNClient, StartExecutionCommand, StartSyncExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn';
import { StepFunctionsBackend } from '../../../local/endpoint';
import { AwsError } from '../../../local/services/errors';
import { LocalCloud, startLocalCloud } from './helpers';

const SM_ARN = 'arn:aws:states:us-east-1:000000000000:stateMachine:crud';

/** A stand-in for the lead's ASL-engine backend. */
class DummyBackend implements StepFunctionsBackend {
  calls: { action: string; request: any }[] = [];
  async handle(action: string, request: any): Promise<any> {
    this.calls.push({ action, request });
    switch (action) {
      case 'StartSyncExecution':
        if (request.stateMachineArn !== SM_ARN) throw AwsError.of('stepfunctions', 'StateMachineDoesNotExist', `State Machine Does Not Exist: '${request.stateMachineArn}'`);
        return {
          executionArn: `arn:aws:states:us-east-1:000000000000:express:crud:${request.name}:1`,
          stateMachineArn: SM_ARN,
          name: request.name,
          startDate: new Date('2026-11-01T10:00:00.000Z'),
          stopDate: new Date('2026-11-01T10:00:00.250Z'),
          status: 'SUCCEEDED',
          input: request.input,
          output: JSON.stringify({ statusCode: 200, echo: JSON.parse(request.input) }),
        };
      case 'StartExecution':
        return { executionArn: `arn:aws:states:us-east-1:000000000000:execution:crud:${request.name}`, startDate: new Date('2026-11-01T10:00:00.000Z') };
      case 'DescribeExecution': {
        const err = new Error('too many');
        err.name = 'ExecutionLimitExceeded';
        throw err;
      }
      default:
        throw new Error(`boom in ${action}`);
    }
  }
}

describe('Step Functions through the endpoint', () => {
  let cloud: LocalCloud;
  let backend: DummyBackend;

  beforeAll(async () => {
    backend = new DummyBackend();
    cloud = await startLocalCloud({ stepFunctions: backend });
  });
  afterAll(() => cloud.stop());

  it('reaches the backend with StartSyncExecution when the client sets disableHostPrefix', async () => {
    const sfn = new SFNClient({ ...cloud.clientConfig, disableHostPrefix: true, maxAttempts: 1 });
    const out = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: SM_ARN, name: 'req-1', input: '{"id":"a"}' }));
    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!)).toEqual({ statusCode: 200, echo: { id: 'a' } });
    expect(out.startDate).toEqual(new Date('2026-11-01T10:00:00.000Z'));
    expect(out.stopDate).toEqual(new Date('2026-11-01T10:00:00.250Z'));
    expect(backend.calls.at(-1)).toEqual({ action: 'StartSyncExecution', request: { stateMachineArn: SM_ARN, name: 'req-1', input: '{"id":"a"}' } });
    sfn.destroy();
  });

  it('documents the failure without disableHostPrefix: the SDK targets sync-<host> (ENOTFOUND in real life)', async () => {
    // Capture where the SDK would connect, instead of waiting for a DNS failure.
    const sfn = new SFNClient({ ...cloud.clientConfig, maxAttempts: 1 });
    let hostname: string | undefined;
    sfn.middlewareStack.add(
      () => async (args: any) => {
        hostname = args.request.hostname;
        throw new Error('captured');
      },
      { step: 'finalizeRequest', name: 'captureHost' },
    );
    await expect(sfn.send(new StartSyncExecutionCommand({ stateMachineArn: SM_ARN, input: '{}' }))).rejects.toThrow('captured');
    expect(hostname).toBe('sync-127.0.0.1');
    // Operations without the host prefix are unaffected.
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN, input: '{}' }))).rejects.toThrow('captured');
    expect(hostname).toBe('127.0.0.1');
    sfn.destroy();
  });

  it('answers whatever Host header arrives (sync-localhost:4566)', async () => {
    const body = JSON.stringify({ stateMachineArn: SM_ARN, name: 'via-sync-host', input: '{}' });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port: cloud.endpoint.port,
          method: 'POST',
          path: '/',
          headers: { host: 'sync-localhost:4566', 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.StartSyncExecution' },
        },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ status: 'SUCCEEDED', name: 'via-sync-host', startDate: Date.parse('2026-11-01T10:00:00.000Z') / 1000 });
  });

  it('renders AwsErrors from the backend as AWS JSON 1.0 errors the SDK understands', async () => {
    const sfn = new SFNClient({ ...cloud.clientConfig, disableHostPrefix: true, maxAttempts: 1 });
    const err = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: `${SM_ARN}-missing`, input: '{}' })).catch((e) => e);
    expect(err).toBeInstanceOf(StateMachineDoesNotExist);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toContain('State Machine Does Not Exist');

    const named = await sfn.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:crud:x' })).catch((e) => e);
    expect(named).toBeInstanceOf(ExecutionLimitExceeded);
    sfn.destroy();
  });

  it('turns an unexpected backend error into a 500 InternalFailure', async () => {
    const res = await fetch(cloud.endpoint.url, { method: 'POST', headers: { 'x-amz-target': 'AWSStepFunctions.ListStateMachines', 'content-type': 'application/x-amz-json-1.0' }, body: '{}' });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-amzn-errortype')).toBe('InternalFailure');
    expect((await res.json()) as any).toEqual({ __type: 'com.amazon.coral.service#InternalFailure', message: 'boom in ListStateMachines' });
  });
});

describe('Step Functions without a backend', () => {
  it('answers UnknownOperationException', async () => {
    const cloud = await startLocalCloud();
    try {
      const sfn = new SFNClient({ ...cloud.clientConfig, disableHostPrefix: true, maxAttempts: 1 });
      const err = await sfn.send(new StartExecutionCommand({ stateMachineArn: SM_ARN })).catch((e) => e);
      expect(err.name).toBe('UnknownOperationException');
      expect(err.message).toMatch(/No Step Functions backend/);
      sfn.destroy();
    } finally {
      await cloud.stop();
    }
  });
});
