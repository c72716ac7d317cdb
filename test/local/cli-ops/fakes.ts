/**
 * Stand-ins for the AWS services nothing local implements (AppConfig control plane, CloudFormation,
 * CloudWatch Logs): real SDK clients whose `send` is intercepted and answers in the API's shapes.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import {
  AppConfigClient,
  CreateHostedConfigurationVersionCommand,
  GetHostedConfigurationVersionCommand,
  ListDeploymentsCommand,
  ListHostedConfigurationVersionsCommand,
  StartDeploymentCommand,
} from '@aws-sdk/client-appconfig';
import { CloudWatchLogsClient, FilterLogEventsCommand, FilterLogEventsCommandInput } from '@aws-sdk/client-cloudwatch-logs';
import { RunOptions, run } from '../../../local/cli/main';

export const FLAGS_AT = { application: 'app1234', environment: 'env5678', configurationProfile: 'prof9012' };

/** Stored versions (number → document) and deployments of a fake AppConfig; records every call. */
export function fakeAppConfig(options: { versions: Record<number, object>; deployments: { DeploymentNumber: number; ConfigurationVersion: string; State: string; ConfigurationProfileId?: string }[]; refuseDeployment?: boolean }) {
  const client = new AppConfigClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const calls: { command: string; input: any }[] = [];
  jest.spyOn(client, 'send').mockImplementation(async (command: any) => {
    const input = command.input;
    calls.push({ command: command.constructor.name, input });
    if (command instanceof ListDeploymentsCommand) {
      return { Items: [...options.deployments].sort((a, b) => b.DeploymentNumber - a.DeploymentNumber).map((d) => ({ ConfigurationProfileId: FLAGS_AT.configurationProfile, ...d })) } as never;
    }
    if (command instanceof ListHostedConfigurationVersionsCommand) {
      return { Items: Object.keys(options.versions).map((v) => ({ ApplicationId: FLAGS_AT.application, ConfigurationProfileId: FLAGS_AT.configurationProfile, VersionNumber: Number(v) })) } as never;
    }
    if (command instanceof GetHostedConfigurationVersionCommand) {
      const doc = options.versions[input.VersionNumber];
      if (!doc) throw Object.assign(new Error('not found'), { name: 'ResourceNotFoundException' });
      return { VersionNumber: input.VersionNumber, ContentType: 'application/json', Content: new TextEncoder().encode(JSON.stringify(doc)) } as never;
    }
    if (command instanceof CreateHostedConfigurationVersionCommand) {
      const number = Math.max(0, ...Object.keys(options.versions).map(Number)) + 1;
      options.versions[number] = JSON.parse(Buffer.from(input.Content).toString('utf8'));
      return { VersionNumber: number } as never;
    }
    if (command instanceof StartDeploymentCommand) {
      if (options.refuseDeployment) throw Object.assign(new Error('Deployment 7 is in progress in environment env5678.'), { name: 'ConflictException' });
      const number = Math.max(0, ...options.deployments.map((d) => d.DeploymentNumber)) + 1;
      options.deployments.push({ DeploymentNumber: number, ConfigurationVersion: input.ConfigurationVersion, State: 'DEPLOYING' });
      return { DeploymentNumber: number, State: 'DEPLOYING', ConfigurationVersion: input.ConfigurationVersion } as never;
    }
    throw new Error(`unexpected ${command.constructor.name}`);
  });
  return { client, calls };
}


/** A CloudWatch Logs client whose FilterLogEvents answers from `pages` (by log group), recording the inputs. */
export function fakeLogs(pages: Record<string, string[][]>, now = Date.now()) {
  const client = new CloudWatchLogsClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const inputs: FilterLogEventsCommandInput[] = [];
  jest.spyOn(client, 'send').mockImplementation(async (command: unknown) => {
    if (!(command instanceof FilterLogEventsCommand)) throw new Error(`unexpected ${String(command)}`);
    const input = command.input;
    inputs.push(input);
    const group = pages[input.logGroupName!] ?? [];
    const index = input.nextToken ? Number(input.nextToken) : 0;
    const page = group[index] ?? [];
    return {
      events: page.map((message, i) => ({ logStreamName: 's', timestamp: now, ingestionTime: now, eventId: `${index}-${i}`, message })),
      ...(index + 1 < group.length ? { nextToken: String(index + 1) } : {}),
    } as never;
  });
  return { client, inputs };
}

/** DescribeStacks of `stackName` answers these outputs; any other stack does not exist (AWS's ValidationError). */
export function fakeCloudFormation(outputs: Record<string, string>, stackName = 'CrudApi'): CloudFormationClient {
  const client = new CloudFormationClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  jest.spyOn(client, 'send').mockImplementation(async (command: any) => {
    if (!(command instanceof DescribeStacksCommand)) throw new Error(`unexpected ${command.constructor.name}`);
    if (command.input.StackName !== stackName) {
      throw Object.assign(new Error(`Stack with id ${command.input.StackName} does not exist`), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    }
    return { Stacks: [{ StackName: stackName, StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] } as never;
  });
  return client;
}

/** Runs the CLI in-process and keeps what it wrote. */
export async function runCli(argv: string[], options: RunOptions = {}): Promise<{ code: number; stdout: string; stderr: string; json: any }> {
  let stdout = '';
  let stderr = '';
  const code = await run(argv, { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } }, { env: {}, ...options });
  let json: any;
  try {
    json = JSON.parse(stdout);
  } catch {
    json = undefined;
  }
  return { code, stdout, stderr, json };
}

/** No stack trace in what the CLI printed (scripts and operators get one line and hints). */
export function expectNoStackTrace(text: string): void {
  expect(text).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
}
