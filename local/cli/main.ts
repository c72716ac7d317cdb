/**
 * crud-ops: the operator's CLI for the CRUD API, against the local cloud (default) or a deployed stack.
 *
 *   crud-ops [--local [--endpoint <url> | --data-dir <dir>] | --aws [--stack <name>] [--region <r>]] [--json] <command>
 *
 *   executions list [--resource r] [--status s] [--limit n] [--since d]
 *   executions show <requestId> [--resource r] [--full] [--since d]
 *   dlq list <resource> [--limit n]
 *   dlq redrive <resource> [--all | --message <id...> | --limit n]
 *   requests list [--resource r] [--status s] [--limit n]
 *   requests show <requestId> [--full]
 *   requests wait <requestId> [--timeout d] [--interval d]     exit 0 applied, 1 rejected, 2 timed out
 *   circuit list [--circuit events]
 *   circuit open <resource> [--for d] [--circuit events]       OPEN for d (default 300 s)
 *   circuit close <resource> [--circuit events]                CLOSED, then the resource's redrive started
 *   flags get [name]
 *   flags set <name>=<true|false>
 *
 * Exit codes (errors.ts, docs/cli.md): 0 ok, 1 failed, 2 usage, 3 not found, 4 target unreachable.
 * `run()` is the whole program without process globals, so tests call it in-process.
 */
import { Command, CommanderError, Option } from 'commander';
import { AwsClients, AwsTarget, defaultAwsClients } from './aws-target';
import { circuitClose, circuitList, circuitOpen } from './commands/circuit';
import { dlqList, dlqRedrive } from './commands/dlq';
import { executionsList, executionsShow } from './commands/executions';
import { flagsGet, flagsSet } from './commands/flags';
import { requestsList, requestsShow, requestsWait } from './commands/requests';
import { CliClock, CliIO, CommandContext, systemClock } from './context';
import { DEFAULT_DATA_DIR, chooseEndpoint } from './discover';
import { CliError, EXIT, UsageError } from './errors';
import { LocalTarget } from './local-target';
import { DEFAULT_ENDPOINT, DEFAULT_STACK, Target, TargetOptions } from './target';

export interface RunOptions {
  /** Environment for defaults (AWS_ENDPOINT_URL, AWS_REGION); process.env by default. */
  env?: NodeJS.ProcessEnv;
  /** SDK clients for --aws (tests intercept the services that have no local implementation). */
  awsClients?: (region: string | undefined) => AwsClients;
  /** Clock for the AWS target's default log windows and for `requests wait` (tests). */
  now?: () => number;
  /** How `requests wait` sleeps between polls (tests advance a fake clock instead of waiting). */
  sleep?: (ms: number) => Promise<void>;
  /** Where a relative --data-dir (and the default .local-cloud) is looked up; process.cwd() by default. */
  cwd?: string;
}

/** Runs the CLI with these arguments (without the node/script prefix) and resolves to the exit code. */
export async function run(argv: string[], io: CliIO, options: RunOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  let ctx: CommandContext | undefined;
  let exitCode: number = EXIT.OK;

  const clock: CliClock = { now: options.now ?? systemClock.now, sleep: options.sleep ?? systemClock.sleep };
  const program = buildProgram(io, (globals) => {
    ctx = new CommandContext(io, Boolean(globals.json), () => createTarget(globals, env, options, io), clock);
    return ctx;
  }, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return report(error, io, ctx?.createdTarget);
  } finally {
    ctx?.createdTarget?.close();
  }
}

type Globals = TargetOptions & { json?: boolean; dataDir?: string };

function buildProgram(io: CliIO, context: (globals: Globals) => CommandContext, setExit: (code: number) => void): Command {
  const program = new Command('crud-ops')
    .description('Operate the storage-first CRUD API (executions, request records, dead-letter queues, write circuits, feature flags) on the local cloud (`npm start`, the default) or a deployed stack (--aws).')
    .addOption(new Option('--local', 'work against the local cloud (default)').conflicts('aws'))
    .addOption(new Option('--endpoint <url>', `the local cloud's AWS endpoint (default: AWS_ENDPOINT_URL, else the one of the local cloud running on --data-dir, else ${DEFAULT_ENDPOINT})`))
    .addOption(new Option('--data-dir <dir>', `the local cloud's data folder, to find its endpoint (default: ${DEFAULT_DATA_DIR})`))
    .addOption(new Option('--aws', 'work against the deployed stack on AWS (credentials from the usual AWS chain)').conflicts('local'))
    .addOption(new Option('--stack <name>', `CloudFormation stack name with --aws (default: ${DEFAULT_STACK})`))
    .addOption(new Option('--region <region>', 'AWS region with --aws (default: the SDK chain, e.g. AWS_REGION)'))
    .option('--json', 'print results as JSON (progress lines go to stderr)')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText('after', `
Exit codes: 0 ok, 1 operation failed (e.g. a redriven message not applied), 2 usage error,
            3 not found (resource, request id, message id, stack), 4 target unreachable.
            requests wait: 0 applied, 1 rejected, 2 timed out.
Reference: docs/cli.md`);

  /** Wraps an action: the command's options merged with the globals, its exit code recorded. */
  const act =
    <A extends unknown[]>(fn: (ctx: CommandContext, ...args: A) => Promise<number>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const globals = command.optsWithGlobals() as Globals;
      if (globals.aws && globals.endpoint) throw new UsageError('--endpoint is for the local cloud; with --aws the SDK uses AWS (or AWS_ENDPOINT_URL)');
      if (!globals.aws && (globals.stack || globals.region)) throw new UsageError('--stack and --region need --aws');
      if (globals.aws && globals.dataDir) throw new UsageError('--data-dir is for the local cloud, not --aws');
      setExit(await fn(context(globals), ...(args.slice(0, -1) as A)));
    };

  const executions = program.command('executions').description('Express executions: one per request, named after its X-Request-Id');
  executions
    .command('list')
    .description('recent executions, newest first')
    .option('--resource <name>', 'only this resource (orders, customers, …)')
    .option('--status <status>', 'only RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED')
    .option('--limit <n>', 'at most n executions (default 20)')
    .option('--since <duration>', 'started within 15m, 2h, 7d… or since an ISO date (AWS default: 24h of logs)')
    .action(act((ctx, opts: Record<string, string>) => executionsList(ctx, opts)));
  executions
    .command('show')
    .description("a request's execution history as a timeline (and its replays from the dead-letter queue)")
    .argument('<requestId>', 'the X-Request-Id of the response (= the execution name)')
    .option('--resource <name>', 'search only this resource')
    .option('--full', 'print inputs, outputs and causes whole')
    .option('--since <duration>', 'search logs this far back (AWS default: 30d, the log retention)')
    .action(act((ctx, requestId: string, opts: Record<string, any>) => executionsShow(ctx, requestId, opts)));

  const dlq = program.command('dlq').description("a resource's dead-letter queue: requests that could not be stored");
  dlq
    .command('list')
    .description('the waiting messages: request id, method and path, error, when, receive count')
    .argument('<resource>', 'orders, customers, …')
    .option('--limit <n>', 'at most n messages (default 100)')
    .action(act((ctx, resource: string, opts: Record<string, string>) => dlqList(ctx, resource, opts)));
  dlq
    .command('redrive')
    .description('replay messages through the resource\'s state machine (default: one batch of 10)')
    .argument('<resource>', 'orders, customers, …')
    .option('--all', 'every waiting message')
    .option('--message <id...>', 'only these message ids (see `dlq list`)')
    .option('--limit <n>', 'without --all/--message: how many messages (default 10)')
    .action(act((ctx, resource: string, opts: Record<string, any>) => dlqRedrive(ctx, resource, opts)));

  const requests = program.command('requests').description('request records: what a 202 Accepted points to (Location: /v1/requests/{id})');
  requests
    .command('list')
    .description('recent request records, newest first: status (queued, applied, rejected), reason, attempts')
    .option('--resource <name>', 'only this resource (orders, customers, …)')
    .option('--status <status>', 'only queued, applied or rejected')
    .option('--limit <n>', 'at most n records (default 20, at most 1000)')
    .action(act((ctx, opts: Record<string, string>) => requestsList(ctx, opts)));
  requests
    .command('show')
    .description('one request: status, reason, attempts, last attempt, and the answer it got (status, headers, body)')
    .argument('<requestId>', 'the id of the 202 (its X-Request-Id, the end of its Location)')
    .option('--full', 'print the cause and the body whole')
    .action(act((ctx, requestId: string, opts: Record<string, any>) => requestsShow(ctx, requestId, opts)));
  requests
    .command('wait')
    .description('poll until the request is final: exit 0 applied, 1 rejected, 2 still not final at the timeout')
    .argument('<requestId>', 'the id of the 202 (its X-Request-Id, the end of its Location)')
    .option('--timeout <duration>', 'give up after 30, 90s, 15m… (plain numbers are seconds; default 300s)')
    .option('--interval <duration>', 'between polls (default 2s)')
    .action(act((ctx, requestId: string, opts: Record<string, string>) => requestsWait(ctx, requestId, opts)));

  const circuit = program.command('circuit').description("each resource's write circuit: CLOSED, OPEN (writes queued at once, 202 CircuitOpen) or HALF_OPEN (one write probing)");
  circuit
    .command('list')
    .description('every resource: state, since when, failures in the current window, cool-down, probe, last transition')
    .option('--circuit <name>', 'writes (default) or events (the change events circuit, publishEvents)')
    .action(act((ctx, opts: Record<string, string>) => circuitList(ctx, opts)));
  circuit
    .command('open')
    .description('open it by hand: writes are queued at once until the cool-down ends, then one write probes')
    .argument('<resource>', 'orders, customers, …')
    .option('--for <duration>', `the cool-down: 300, 90s, 15m, 1h… (plain numbers are seconds; default 300s, at most 7d)`)
    .option('--circuit <name>', 'writes (default) or events')
    .action(act((ctx, resource: string, opts: Record<string, string>) => circuitOpen(ctx, resource, opts)));
  circuit
    .command('close')
    .description("close it by hand and start the resource's redrive (--aws: prints the command that starts it)")
    .argument('<resource>', 'orders, customers, …')
    .option('--circuit <name>', 'writes (default) or events')
    .action(act((ctx, resource: string, opts: Record<string, string>) => circuitClose(ctx, resource, opts)));

  const flags = program.command('flags').description('AppConfig feature flags (lambdas/flags/definitions.ts)');
  flags
    .command('get')
    .description('the deployed values, or one flag as name=value')
    .argument('[name]', 'one flag')
    .action(act((ctx, name: string | undefined) => flagsGet(ctx, name)));
  flags
    .command('set')
    .description('deploy a new value at once (AppConfig.AllAtOnce); the Lambda sees it within 15 s')
    .argument('<assignment>', 'name=true or name=false, e.g. readOnly=true')
    .action(act((ctx, assignment: string) => flagsSet(ctx, assignment)));

  return program;
}

function createTarget(globals: Globals, env: NodeJS.ProcessEnv, options: RunOptions, io: CliIO): Target {
  if (globals.aws) {
    const stackName = globals.stack ?? DEFAULT_STACK;
    if (env.AWS_ENDPOINT_URL) io.stderr.write(`Note: AWS_ENDPOINT_URL is set (${env.AWS_ENDPOINT_URL}); the AWS SDK sends every --aws call there.\n`);
    const clients = (options.awsClients ?? ((region) => defaultAwsClients(region, env)))(globals.region);
    return new AwsTarget(stackName, clients, { region: globals.region, now: options.now });
  }
  const { endpoint, note } = chooseEndpoint({ endpoint: globals.endpoint, dataDir: globals.dataDir, env, cwd: options.cwd });
  if (!/^https?:\/\/[^/]+/.test(endpoint)) throw new UsageError(`--endpoint must be an http(s) URL, got "${endpoint}"`);
  if (note) io.stderr.write(`${note}\n`);
  return new LocalTarget(endpoint, env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1');
}

/** Prints an error as one line (plus hints) and returns its exit code; a stack trace only for bugs. */
function report(error: unknown, io: CliIO, target: Target | undefined): number {
  if (error instanceof CommanderError) {
    // Help and version are not errors; commander has already printed its message.
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT.OK;
    return EXIT.USAGE;
  }
  const explained = error instanceof CliError ? error : target?.explain(error);
  if (explained instanceof CliError) {
    io.stderr.write(`error: ${explained.message}\n`);
    for (const hint of explained.hints) io.stderr.write(`  ${hint}\n`);
    return explained.exitCode;
  }
  // An AWS service error we have no better words for: its name and message, no trace.
  const e = error as { name?: string; message?: string; $metadata?: unknown };
  if (e && typeof e === 'object' && e.$metadata) {
    io.stderr.write(`error: ${e.name}: ${e.message}\n`);
    return EXIT.FAILED;
  }
  io.stderr.write(`error: unexpected failure (a bug in crud-ops?)\n${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.FAILED;
}

if (require.main === module) {
  // `tsx local/cli/main.ts` (npm run cli): same as bin.cjs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then((code) => {
    process.exitCode = code;
  });
}
