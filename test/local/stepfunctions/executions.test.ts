import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  GetExecutionHistoryCommand,
  HistoryEvent,
  ListExecutionsCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { fakeClock } from '../../../local/asl';
import { ACCOUNT, PASS_DEFINITION, REGION, ROLE, TestCloud, WAIT_DEFINITION, definition, eventually, rejection, startCloud } from './helpers';

const FAIL_DEFINITION = definition({ F: { Type: 'Fail', Error: 'Boom', Cause: 'it broke' } });

describe('Step Functions executions (SDK v3 against the local endpoint)', () => {
  let cloud: TestCloud;
  let passArn: string;
  let waitArn: string;
  let expressArn: string;

  beforeAll(async () => {
    cloud = await startCloud();
    const create = async (name: string, def: string, type: 'STANDARD' | 'EXPRESS' = 'STANDARD') =>
      (await cloud.sfn.send(new CreateStateMachineCommand({ name, definition: def, roleArn: ROLE, type }))).stateMachineArn!;
    passArn = await create('pass', PASS_DEFINITION);
    waitArn = await create('wait', WAIT_DEFINITION);
    expressArn = await create('express', PASS_DEFINITION, 'EXPRESS');
  });
  afterAll(() => cloud.stop());

  const start = (stateMachineArn: string, name?: string, input?: string) => cloud.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input }));
  const describe_ = (executionArn: string) => cloud.sfn.send(new DescribeExecutionCommand({ executionArn }));
  const finished = (executionArn: string) =>
    eventually(async () => {
      const d = await describe_(executionArn);
      expect(d.status).not.toBe('RUNNING');
      return d;
    });

  it('starts a Standard execution and describes it with every field AWS returns', async () => {
    const started = await start(passArn, 'first');
    expect(started.executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:pass:first`);
    expect(started.startDate).toBeInstanceOf(Date);
    const { $metadata: _m, ...described } = await finished(started.executionArn!);
    expect(described).toEqual({
      executionArn: started.executionArn,
      stateMachineArn: passArn,
      name: 'first',
      status: 'SUCCEEDED',
      startDate: started.startDate,
      stopDate: expect.any(Date),
      input: '{}',
      inputDetails: { included: true },
      output: '{"Arg1":"argument1"}',
      outputDetails: { included: true },
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    });
    const machine = await cloud.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: started.executionArn }));
    expect(machine).toMatchObject({ stateMachineArn: passArn, name: 'pass', definition: PASS_DEFINITION, roleArn: ROLE, updateDate: expect.any(Date) });
  });

  it('treats the same name and input of a running execution as idempotent, and anything else as ExecutionAlreadyExists', async () => {
    const first = await start(waitArn, 'once', '{"a":1}');
    const again = await start(waitArn, 'once', '{"a":1}');
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    const differentInput = await rejection(start(waitArn, 'once', '{"a":2}'), 'ExecutionAlreadyExists');
    expect(differentInput.message).toBe(`Execution Already Exists: '${first.executionArn}'`);

    await cloud.sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    // Closed: the name cannot be reused, whatever the input.
    await rejection(start(waitArn, 'once', '{"a":1}'), 'ExecutionAlreadyExists');
  });

  it('validates the input, the name and the machine', async () => {
    const bad = await rejection(start(passArn, undefined, '{not json'), 'InvalidExecutionInput');
    expect(bad.message).toMatch(/^Invalid State Machine Execution Input: '/);
    const empty = await rejection(start(passArn, undefined, ''), 'InvalidExecutionInput');
    expect(empty.message).toBe("Invalid State Machine Execution Input: 'Invalid execution input.'");
    // Any JSON value is an input.
    for (const input of ['1', '"text"', 'null']) await start(passArn, undefined, input);
    await rejection(start(passArn, 'bad name'), 'InvalidName');
    const missing = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:missing`;
    const err = await rejection(start(missing), 'StateMachineDoesNotExist');
    expect(err.message).toBe(`State Machine Does Not Exist: '${missing}'`);
  });

  it('returns the history in the GetExecutionHistory shape, in either order, paginated, with or without data', async () => {
    const { executionArn } = await start(passArn, 'history');
    await finished(executionArn!);
    const history = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    const at = expect.any(Date);
    // As recorded on AWS for this definition (LocalStack snapshot test_start_execution).
    const expected: HistoryEvent[] = [
      { timestamp: at, type: 'ExecutionStarted', id: 1, previousEventId: 0, executionStartedEventDetails: { input: '{}', inputDetails: { truncated: false }, roleArn: ROLE } },
      { timestamp: at, type: 'PassStateEntered', id: 2, previousEventId: 0, stateEnteredEventDetails: { name: 'P', input: '{}', inputDetails: { truncated: false } } },
      { timestamp: at, type: 'PassStateExited', id: 3, previousEventId: 2, stateExitedEventDetails: { name: 'P', output: '{"Arg1":"argument1"}', outputDetails: { truncated: false } } },
      { timestamp: at, type: 'ExecutionSucceeded', id: 4, previousEventId: 3, executionSucceededEventDetails: { output: '{"Arg1":"argument1"}', outputDetails: { truncated: false } } },
    ];
    expect(history.events).toEqual(expected);
    expect(history.nextToken).toBeUndefined();

    const reversed = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(reversed.events!.map((e) => e.id)).toEqual([4, 3, 2, 1]);

    const page1 = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3 }));
    expect(page1.events!.map((e) => e.id)).toEqual([1, 2, 3]);
    const page2 = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 3, nextToken: page1.nextToken }));
    expect(page2.events!.map((e) => e.id)).toEqual([4]);
    expect(page2.nextToken).toBeUndefined();

    const noData = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn, includeExecutionData: false }));
    expect(noData.events![0].executionStartedEventDetails).toEqual({ inputDetails: { truncated: false }, roleArn: ROLE });
    expect(noData.events![2].stateExitedEventDetails).toEqual({ name: 'P', outputDetails: { truncated: false } });
  });

  it('lists executions newest first, filtered by status, page by page', async () => {
    const machineArn = (
      await cloud.sfn.send(new CreateStateMachineCommand({ name: 'listed', definition: PASS_DEFINITION, roleArn: ROLE }))
    ).stateMachineArn!;
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { executionArn } = await start(machineArn, `run-${i}`);
      await finished(executionArn!);
      names.push(`run-${i}`);
      await new Promise((r) => setTimeout(r, 2)); // distinct start dates
    }
    const all = await cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn }));
    expect(all.executions!.map((e) => e.name)).toEqual([...names].reverse());
    expect(all.executions![0]).toEqual({
      executionArn: `arn:aws:states:${REGION}:${ACCOUNT}:execution:listed:run-4`,
      stateMachineArn: machineArn,
      name: 'run-4',
      status: 'SUCCEEDED',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
      redriveCount: 0,
    });

    const paged: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 2, nextToken }));
      paged.push(...page.executions!.map((e) => e.name!));
      nextToken = page.nextToken;
    } while (nextToken);
    expect(paged).toEqual([...names].reverse());

    expect((await cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'RUNNING' }))).executions).toEqual([]);
    expect((await cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'SUCCEEDED' }))).executions).toHaveLength(5);

    const running = await start(waitArn, 'listed-running');
    const onlyRunning = await cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: waitArn, statusFilter: 'RUNNING' }));
    expect(onlyRunning.executions!.map((e) => e.executionArn)).toEqual([running.executionArn]);
    expect(onlyRunning.executions![0].stopDate).toBeUndefined();
    await cloud.sfn.send(new StopExecutionCommand({ executionArn: running.executionArn }));

    const badFilter = await rejection(cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'succeeded' as never })), 'ValidationException');
    expect(badFilter.message).toBe(
      "1 validation error detected: Value 'succeeded' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [SUCCEEDED, TIMED_OUT, PENDING_REDRIVE, ABORTED, FAILED, RUNNING]",
    );
    await rejection(cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 1001 })), 'ValidationException');
    await rejection(cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:gone` })), 'StateMachineDoesNotExist');
    const invalid = await rejection(cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: 'invalid_state_machine_arn' })), 'InvalidArn');
    expect(invalid.message).toBe("Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
  });

  it('stops a running execution: ABORTED, with the error and cause on ExecutionAborted', async () => {
    const { executionArn } = await start(waitArn, 'to-stop');
    const running = await describe_(executionArn!);
    expect(running).toMatchObject({ status: 'RUNNING', redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution is RUNNING and cannot be redriven' });
    expect(running.stopDate).toBeUndefined();
    // The history grows while it runs.
    const sofar = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(sofar.events!.map((e) => e.type)).toEqual(['ExecutionStarted', 'WaitStateEntered']);

    const stopped = await cloud.sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'no longer needed' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await describe_(executionArn!);
    expect(described.status).toBe('ABORTED');
    expect(described.stopDate).toEqual(stopped.stopDate);

    const history = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true }));
    expect(history.events![0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: { error: 'Operator', cause: 'no longer needed' } });
    expect(history.events!.map((e) => e.type).reverse()).toEqual(['ExecutionStarted', 'WaitStateEntered', 'ExecutionAborted']);

    // Without error and cause the details are empty, as recorded on AWS.
    const second = await start(waitArn, 'to-stop-plain');
    await cloud.sfn.send(new StopExecutionCommand({ executionArn: second.executionArn }));
    const plain = await cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn: second.executionArn, reverseOrder: true, maxResults: 1 }));
    expect(plain.events![0]).toMatchObject({ type: 'ExecutionAborted', executionAbortedEventDetails: {} });

    const unknown = `arn:aws:states:${REGION}:${ACCOUNT}:execution:wait:never-ran`;
    const err = await rejection(cloud.sfn.send(new StopExecutionCommand({ executionArn: unknown })), 'ExecutionDoesNotExist');
    expect(err.message).toBe(`Execution Does Not Exist: '${unknown}'`);
  });

  it('runs StartSyncExecution on Express machines only, answering 200 even when the execution fails', async () => {
    const out = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: expressArn, name: 'sync-1', input: '{"x":1}' }));
    const { $metadata, ...fields } = out;
    expect($metadata.httpStatusCode).toBe(200);
    expect(fields).toEqual({
      executionArn: expect.stringMatching(new RegExp(`^arn:aws:states:${REGION}:${ACCOUNT}:express:express:sync-1:[0-9a-f-]{36}$`)),
      stateMachineArn: expressArn,
      name: 'sync-1',
      status: 'SUCCEEDED',
      startDate: expect.any(Date),
      stopDate: expect.any(Date),
      input: '{"x":1}',
      inputDetails: { included: true },
      output: '{"Arg1":"argument1"}',
      outputDetails: { included: true },
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: 100 },
    });
    // Express names may repeat: each execution gets its own ARN.
    const again = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: expressArn, name: 'sync-1', input: '{"x":1}' }));
    expect(again.executionArn).not.toBe(out.executionArn);

    const failing = (await cloud.sfn.send(new CreateStateMachineCommand({ name: 'express-fail', definition: FAIL_DEFINITION, roleArn: ROLE, type: 'EXPRESS' })))
      .stateMachineArn!;
    const failed = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: failing }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Boom', cause: 'it broke' });
    expect(failed.output).toBeUndefined();

    const standard = await rejection(cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: passArn })), 'StateMachineTypeNotSupported');
    expect(standard.message).toBe('This operation is not supported by this type of state machine');
  });

  it('hides Express executions from the API as AWS does, while the console methods still see them', async () => {
    const started = await start(expressArn, 'async-express');
    expect(started.executionArn).toMatch(new RegExp(`:express:express:async-express:[0-9a-f-]{36}$`));
    const sync = await cloud.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: expressArn, name: 'seen-by-console' }));

    const expressText = "Invalid Arn: 'Resource type not valid in this context: express'";
    for (const call of [
      cloud.sfn.send(new DescribeExecutionCommand({ executionArn: sync.executionArn })),
      cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn: sync.executionArn })),
      cloud.sfn.send(new StopExecutionCommand({ executionArn: started.executionArn })),
    ]) {
      expect((await rejection(call, 'InvalidArn')).message).toBe(expressText);
    }
    const list = await rejection(cloud.sfn.send(new ListExecutionsCommand({ stateMachineArn: expressArn })), 'StateMachineTypeNotSupported');
    expect(list.message).toBe('This operation is not supported by this type of state machine');

    const forConsole = cloud.sfnService.listExecutions({ stateMachineArn: expressArn }).map((e) => e.executionArn);
    expect(forConsole).toEqual(expect.arrayContaining([sync.executionArn, started.executionArn]));
    const record = cloud.sfnService.getExecution(sync.executionArn!)!;
    expect(record.events.map((e) => e.type)).toEqual(['ExecutionStarted', 'PassStateEntered', 'PassStateExited', 'ExecutionSucceeded']);
  });

  it('answers an execution ARN of the wrong kind or form with InvalidArn', async () => {
    const machine = await rejection(describe_(passArn), 'InvalidArn');
    expect(machine.message).toBe("Invalid Arn: 'Resource type not valid in this context: stateMachine'");
    const prefix = await rejection(cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn: 'invalid_state_machine_arn' })), 'InvalidArn');
    expect(prefix.message).toBe("Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'");
    const unknown = `arn:aws:states:${REGION}:${ACCOUNT}:execution:pass:unknown`;
    expect((await rejection(describe_(unknown), 'ExecutionDoesNotExist')).message).toBe(`Execution Does Not Exist: '${unknown}'`);
    expect((await rejection(cloud.sfn.send(new GetExecutionHistoryCommand({ executionArn: unknown })), 'ExecutionDoesNotExist')).message).toBe(
      `Execution Does Not Exist: '${unknown}'`,
    );
  });
});

describe('Step Functions dates on the wire', () => {
  let cloud: TestCloud;
  beforeAll(async () => {
    cloud = await startCloud({ clock: fakeClock('2026-11-01T10:00:00.250Z') });
  });
  afterAll(() => cloud.stop());

  it('are epoch seconds with a fractional part, which the SDK reads back to the millisecond', async () => {
    const { stateMachineArn } = await cloud.sfn.send(new CreateStateMachineCommand({ name: 'dates', definition: PASS_DEFINITION, roleArn: ROLE }));
    const { executionArn } = await cloud.sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'd1' }));
    await cloud.sfnService.settled(executionArn!);
    const res = await fetch(cloud.endpoint.url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AWSStepFunctions.DescribeExecution' },
      body: JSON.stringify({ executionArn }),
    });
    const text = await res.text();
    expect(text).toContain('"startDate":1793527200.25');
    const described = await cloud.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.startDate).toEqual(new Date('2026-11-01T10:00:00.250Z'));
  });
});
