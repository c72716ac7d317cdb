/**
 * Step Functions API payload limits, through the AWS SDK and the local endpoint.
 *
 * - StartExecution / StartSyncExecution `input`: "Length constraints apply to the payload size, and are expressed
 *   as bytes in UTF-8 encoding. Length Constraints: Maximum length of 262144."
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html
 *   https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html
 *   Over it, the request fails with the framework's ValidationException; `input` is a sensitive member, so the
 *   message leaves its value out ("Value at 'input' failed to satisfy constraint").
 * - An execution's output (the last state's output) over 256 KiB fails the execution with
 *   States.DataLimitExceeded ("Maximum input or output size for a task, state, or execution: 256 KiB of data as a
 *   UTF-8 encoded string", https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */
import { CreateStateMachineCommand, DescribeExecutionCommand, GetExecutionHistoryCommand, StartExecutionCommand, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { ROLE, TestCloud, definition, rejection, startCloud } from './helpers';

const LIMIT = 262144;
const CJK = '\u4e2d'; // 3 bytes in UTF-8
const MESSAGE = "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to 262144";
const DATA_LIMIT_CAUSE = (state: string) => `The state/task '${state}' returned a result with a size exceeding the maximum number of bytes service limit.`;

/** Execution input JSON text of exactly `bytes` bytes: a JSON string of ASCII characters. */
const inputOf = (bytes: number) => JSON.stringify('x'.repeat(bytes - 2));

describe('Step Functions API: payload limits', () => {
  let cloud: TestCloud;
  let express: string;
  let standard: string;
  let doubling: string;

  beforeAll(async () => {
    cloud = await startCloud();
    const echo = definition({ P: { Type: 'Pass', End: true } });
    express = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'echo-express', definition: echo, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
    standard = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'echo-standard', definition: echo, roleArn: ROLE }))).stateMachineArn!;
    // The output is the input twice: over 256 KiB for an input over 128 KiB.
    const twice = definition({ Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true } });
    doubling = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'double-express', definition: twice, roleArn: ROLE, type: 'EXPRESS' }))).stateMachineArn!;
  });
  afterAll(() => cloud.stop());

  describe.each([
    ['StartSyncExecution', (input: string) => new StartSyncExecutionCommand({ stateMachineArn: express, input })],
    ['StartExecution', (input: string) => new StartExecutionCommand({ stateMachineArn: standard, input })],
  ] as const)('%s input', (_name, command) => {
    it('accepts exactly 262,144 bytes', async () => {
      const out = await cloud.sfn.send(command(inputOf(LIMIT)) as never);
      expect(out).toHaveProperty('executionArn');
    });

    it('rejects 262,145 bytes with ValidationException (400), naming the member length constraint', async () => {
      const error = await rejection(cloud.sfn.send(command(inputOf(LIMIT + 1)) as never), 'ValidationException');
      expect(error.message).toBe(MESSAGE);
      expect(error.$metadata?.httpStatusCode).toBe(400);
    });

    it('counts UTF-8 bytes: 90,000 CJK characters (270,002 bytes) are rejected, 87,380 (262,142) accepted', async () => {
      await rejection(cloud.sfn.send(command(JSON.stringify(CJK.repeat(90000))) as never), 'ValidationException');
      const out = await cloud.sfn.send(command(JSON.stringify(CJK.repeat(87380))) as never);
      expect(out).toHaveProperty('executionArn');
    });
  });

  it('a StartSyncExecution whose output would be over 256 KiB answers FAILED with States.DataLimitExceeded', async () => {
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: 'x'.repeat(140000) }) }));
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
    expect(out.cause).toBe(DATA_LIMIT_CAUSE('Double'));
    expect(out.output).toBeUndefined();

    const ok = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: 'x'.repeat(120000) }) }));
    expect(ok.status).toBe('SUCCEEDED');
    expect(ok.output!.length).toBe(240015);
  });

  it('in UTF-8: 45,000 CJK characters doubled (270,000+ bytes) fail, though only 90,000 characters', async () => {
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: doubling, input: JSON.stringify({ s: CJK.repeat(45000) }) }));
    expect(out.status).toBe('FAILED');
    expect(out.error).toBe('States.DataLimitExceeded');
  });

  it('a STANDARD execution failing on its output: DescribeExecution and the history as AWS records them', async () => {
    const def = definition({ Double: { Type: 'Pass', Parameters: { 'a.$': '$.s', 'b.$': '$.s' }, End: true } });
    const arn = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'double-standard', definition: def, roleArn: ROLE }))).stateMachineArn!;
    const { executionArn } = await cloud.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify({ s: 'x'.repeat(140000) }) }));
    await cloud.sfnService.settled(executionArn!);
    const described = await cloud.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded', cause: DATA_LIMIT_CAUSE('Double') });
    const { events } = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'ExecutionFailed']);
    expect(events![2].executionFailedEventDetails).toEqual({ error: 'States.DataLimitExceeded', cause: DATA_LIMIT_CAUSE('Double') });
  });
});
