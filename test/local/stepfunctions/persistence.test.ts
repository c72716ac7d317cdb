import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StartSyncExecutionCommand,
} from '@aws-sdk/client-sfn';
import { RECOVERED_ABORT_CAUSE } from '../../../local/stepfunctions/store';
import { PASS_DEFINITION, ROLE, TestCloud, WAIT_DEFINITION, rejection, removeDir, startCloud, tempDir } from './helpers';

describe('Step Functions persistence (dataDir)', () => {
  let dir: string;
  const clouds: TestCloud[] = [];
  const open = async (options: { maxExecutions?: number } = {}) => {
    const cloud = await startCloud({ dataDir: dir, ...options });
    clouds.push(cloud);
    return cloud;
  };
  const createMachines = async (cloud: TestCloud) => {
    const create = async (name: string, definition: string, type: 'STANDARD' | 'EXPRESS' = 'STANDARD') =>
      (await cloud.sfn.send(new CreateStateMachineCommand({ name, definition, roleArn: ROLE, type }))).stateMachineArn!;
    return { pass: await create('pass', PASS_DEFINITION), wait: await create('wait', WAIT_DEFINITION), express: await create('express', PASS_DEFINITION, 'EXPRESS') };
  };

  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    for (const cloud of clouds.splice(0)) await cloud.stop();
    removeDir(dir);
  });

  it('keeps executions and their history across a restart on the same folder', async () => {
    const first = await open();
    const arns = await createMachines(first);
    const started: string[] = [];
    for (const name of ['a', 'b']) {
      const { executionArn } = await first.sfn.send(new StartExecutionCommand({ stateMachineArn: arns.pass, name, input: `{"n":"${name}"}` }));
      await first.sfnService.settled(executionArn!);
      started.push(executionArn!);
    }
    const sync = await first.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arns.express, name: 'kept' }));
    const before = await first.sfn.send(new DescribeExecutionCommand({ executionArn: started[1] }));
    const historyBefore = await first.sfn.send(new GetExecutionHistoryCommand({ executionArn: started[1] }));
    await first.stop();
    clouds.length = 0;

    const second = await open();
    // Machines come from the template at each start; executions come back without them.
    const after = await second.sfn.send(new DescribeExecutionCommand({ executionArn: started[1] }));
    expect({ ...after, $metadata: undefined }).toEqual({ ...before, $metadata: undefined });
    const historyAfter = await second.sfn.send(new GetExecutionHistoryCommand({ executionArn: started[1] }));
    expect(historyAfter.events).toEqual(historyBefore.events);
    expect(second.sfnService.getExecution(sync.executionArn!)).toMatchObject({ status: 'SUCCEEDED', name: 'kept' });

    // Re-creating the same machine (as the next start does) lists the old executions, newest first.
    await createMachines(second);
    const listed = await second.sfn.send(new ListExecutionsCommand({ stateMachineArn: arns.pass }));
    expect(listed.executions!.map((e) => e.executionArn)).toEqual([...started].reverse());
    // Their names stay taken.
    await rejection(second.sfn.send(new StartExecutionCommand({ stateMachineArn: arns.pass, name: 'a', input: '{"n":"a"}' })), 'ExecutionAlreadyExists');
  });

  it('brings an execution that was RUNNING when the process died back as ABORTED, saying why', async () => {
    const crashed = await open();
    const arns = await createMachines(crashed);
    const { executionArn } = await crashed.sfn.send(new StartExecutionCommand({ stateMachineArn: arns.wait, name: 'in-flight', input: '{"k":1}' }));
    // No close: the next instance reads what the first had written when StartExecution answered.
    const recovered = await open();
    const described = await recovered.sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', input: '{"k":1}', stopDate: expect.any(Date) });
    const history = await recovered.sfn.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(history.events).toEqual([
      { timestamp: described.startDate, type: 'ExecutionStarted', id: 1, previousEventId: 0, executionStartedEventDetails: { input: '{"k":1}', inputDetails: { truncated: false }, roleArn: ROLE } },
      { timestamp: described.stopDate, type: 'ExecutionAborted', id: 2, previousEventId: 1, executionAbortedEventDetails: { cause: RECOVERED_ABORT_CAUSE } },
    ]);
  });

  it('ignores a torn last line and forgets the oldest closed executions beyond maxExecutions', async () => {
    const first = await open({ maxExecutions: 3 });
    const arns = await createMachines(first);
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) runs.push((await first.sfn.send(new StartSyncExecutionCommand({ stateMachineArn: arns.express, name: `r${i}` }))).executionArn!);
    expect(first.sfnService.listExecutions().map((e) => e.executionArn)).toEqual(runs.slice(2).reverse());
    await first.stop();
    clouds.length = 0;
    fs.appendFileSync(path.join(dir, 'executions.jsonl'), '{"executionArn":"arn:aws:states:us-east-1:1:execution:x:torn","sta');

    const second = await open({ maxExecutions: 3 });
    expect(second.sfnService.listExecutions().map((e) => e.executionArn)).toEqual(runs.slice(2).reverse());
  });
});
