/**
 * `npm start`: runs the synthesized app locally.
 *
 *   npm start -- [--port 3000] [--endpoint-port 4566] [--host 127.0.0.1] [--data-dir .local-cloud] [--in-memory] [--no-schedules] [--no-throttling] [-c key=value]
 */
import { parseArgs } from 'node:util';
import { LOCAL_REGION } from './auth/sign-request';
import { startLocalCloud } from './cloud';

const AWS_REGION = LOCAL_REGION;

const HELP = `Usage: npm start -- [options]

  --port <n>            API Gateway port (default 3000)
  --endpoint-port <n>   AWS-compatible endpoint port (default 4566)
  --host <address>      address to listen on (default 127.0.0.1)
  --data-dir <dir>      where tables, queues, executions and flags persist (default .local-cloud)
  --in-memory           keep nothing on disk
  --no-schedules        do not run the template's schedule rules (the redrive)
  --no-throttling       never answer 429: usage plan and stage throttles are not enforced (benchmarks; docs/auth.md)
  --quiet               no access log lines
  -c, --context <k=v>   CDK context over cdk.json's, as cdk synth -c (repeatable), e.g. -c stage=prod (docs/logging.md),
                        -c auth=none|cognito (docs/auth.md)
  --credentials <k:s>   an access key and secret the API accepts in SigV4 signatures (repeatable; default local:local)
  -h, --help            this text

The clock of the whole local cloud can be moved forward (SQS visibility and retention, retries and Wait
states, flag caches, DynamoDB TTL and the schedules all follow it):

  curl <endpoint>/_local/clock                                             → {"now": ..., "offsetMs": ...}
  curl -X POST <endpoint>/_local/clock -d '{"advanceSeconds": 3600}'       → after what came due has run`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '3000' },
      'endpoint-port': { type: 'string', default: '4566' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string', default: '.local-cloud' },
      'in-memory': { type: 'boolean', default: false },
      'no-schedules': { type: 'boolean', default: false },
      'no-throttling': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      context: { type: 'string', short: 'c', multiple: true, default: [] },
      credentials: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return;
  }
  const port = Number(values.port);
  const endpointPort = Number(values['endpoint-port']);
  if (!Number.isInteger(port) || !Number.isInteger(endpointPort)) throw new Error('--port and --endpoint-port take numbers');

  const started = performance.now();
  const quiet = values.quiet;
  const cloud = await startLocalCloud({
    port,
    endpointPort,
    host: values.host,
    dataDir: values['data-dir'],
    inMemory: values['in-memory'],
    schedules: !values['no-schedules'],
    throttling: !values['no-throttling'],
    context: contextOf(values.context),
    credentials: credentialsOf(values.credentials),
    log: (line) => {
      if (!quiet) console.log(line);
    },
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const lines = [
    `Local cloud ready in ${seconds} s`,
    `  API:            ${cloud.apiUrl}/`,
    ...cloud.resources.map((r) => `                  ${cloud.apiUrl}/${r.name}`),
    // The usage plans' API keys: every method wants one in x-api-key (docs/auth.md).
    ...cloud.apiKeys.map((k) => `  API key:        ${k.value}   (${k.name}: export API_KEY=${k.value})`),
    // With auth iam (the default) every method wants a SigV4 signature of these credentials (docs/auth.md).
    ...(cloud.outputs.AuthMode === 'iam'
      ? cloud.credentials.map((c) => `  Sign with:      --aws-sigv4 "aws:amz:${AWS_REGION}:execute-api" --user ${c.accessKeyId}:${c.secretAccessKey}   (access key ${c.accessKeyId}, secret ${c.secretAccessKey})`)
      : [`  Auth:           ${cloud.outputs.AuthMode}`]),
    `  AWS endpoint:   ${cloud.endpointUrl}   (export AWS_ENDPOINT_URL=${cloud.endpointUrl})`,
    ...(cloud.cognito.poolIds.length ? [`  Cognito:        user pool ${cloud.cognito.poolIds.join(', ')}, app client ${cloud.cognito.clientIds.join(', ')} (cognito-idp on the AWS endpoint)`] : []),
    `  Console:        ${cloud.consoleUrl}`,
    `  Data:           ${cloud.services.dataDir ?? 'in memory'}`,
    ...(cloud.warnings.length ? ['  Not emulated:', ...cloud.warnings.map((w) => `    - ${w}`)] : []),
  ];
  console.log(lines.join('\n'));

  const shutdown = (signal: string) => {
    console.log(`\n${signal}: stopping (data is flushed)…`);
    cloud.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

/** `-c key=value` pairs, as the CDK CLI passes them (values stay strings). */
function contextOf(pairs: string[]): Record<string, string> {
  return Object.fromEntries(
    pairs.map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--context takes key=value, got ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

main().catch((error) => {
  console.error(`npm start failed: ${error instanceof Error ? error.message : error}`);
  if (error?.code === 'EADDRINUSE') console.error('A port is taken: pass --port / --endpoint-port, or stop the other process.');
  process.exit(1);
});

/** `--credentials key:secret` (repeatable) → the credentials the API accepts; none given: the default local:local. */
function credentialsOf(pairs: string[]): { accessKeyId: string; secretAccessKey: string }[] | undefined {
  if (pairs.length === 0) return undefined;
  return pairs.map((pair) => {
    const at = pair.indexOf(':');
    if (at < 1 || at === pair.length - 1) throw new Error(`--credentials takes accessKeyId:secret, got ${JSON.stringify(pair)}`);
    return { accessKeyId: pair.slice(0, at), secretAccessKey: pair.slice(at + 1) };
  });
}
