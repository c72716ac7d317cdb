/**
 * The local cloud: synthesizes the CDK app, reads its CloudFormation template and runs it on this machine.
 *
 *   template resource                 → local part
 *   AWS::DynamoDB::Table              → dynalite table            (local/services/dynamodb)
 *   AWS::SQS::Queue                   → local queue               (local/services/sqs)
 *   AWS::AppConfig::*                 → AppConfig store + AppConfigData (local/services/appconfigdata)
 *   AWS::Events::EventBus / Rule      → PutEvents recorder; rate() schedules and pattern rules run their Lambda and state machine targets (local/event-rules.ts)
 *   AWS::CloudWatch::Alarm            → evaluated every minute on local metrics; state changes go to the default bus (local/services/cloudwatch)
 *   AWS::Lambda::Function             → the bundled asset, in-process (local/lambda/runtime.ts)
 *   AWS::StepFunctions::StateMachine  → our ASL engine behind the Step Functions API (local/stepfunctions)
 *   AWS::ApiGateway::*                → REST API emulation rendering the template's VTL (local/apigateway)
 *
 * Everything else is listed in `warnings`, never skipped silently. The console (local/console) is served
 * by the AWS-compatible endpoint at /console/.
 *
 * One clock (`LocalCloud.clock`, real time plus an offset that only grows) drives every part that keeps time:
 * the services (SQS, AppConfig, EventBridge, DynamoDB TTL), the ASL engine's waits, retries and timeouts, the
 * Lambdas' `Date` and timeouts, and the schedules. `clock.advance(ms)` (or POST /_local/clock) skips time.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../cdk/paths';
import { RestApi } from './apigateway/rest-api';
import { cognitoAuthorizer } from './apigateway/cognito-authorizer';
import { apiGatewayControlRoute } from './apigateway/control-plane';
import { sigv4Authorizer } from './apigateway/sigv4';
import { LOCAL_CREDENTIALS } from './auth/sign-request';
import { registerApiKeys } from './auth/api-keys';
import { ControllableClock } from './asl/clock';
import { setJsonataTimeSource } from './asl/jsonata';
import { RunningApiServer, startApiServer } from './apigateway/server';
import type { LocalCloud, LocalCloudOptions, LocalResource } from './cloud-types';
import { LocalConsole } from './console';
import { ResolvedTemplate } from './cloudformation/template';
import { RunningEndpoint, startEndpoint } from './endpoint';
import type { EndpointRoute } from './endpoint/server';
import { LocalCognito } from './cognito/service';
import { cognitoRoute } from './cognito/route';
import type { StackDescription } from './endpoint/cloudformation';
import { DataDirInUseError, claimDataDir, isLevelDbLockError } from './instance';
import { awsJsonStringify } from './endpoint/http';
import { startEventRules } from './event-rules';
import { LocalCloudWatch } from './services/cloudwatch';
import { cloudWatchRoute } from './services/cloudwatch/protocol';
import { LambdaFunctionDescription, describeTemplateFunction } from './lambda/configuration';
import { LocalLambda } from './lambda/runtime';
import { AwsError, LocalServices } from './services';
import { toAwsError } from './services/errors';
import { buildIntegrations } from './stepfunctions/integrations';
import { StepFunctionsService } from './stepfunctions/service';
import { ExecutionLogs } from './stepfunctions/execution-logs';
import { executionLogsRoute } from './stepfunctions/logs-route';
import { synthesizeApp } from './synth';

export type { LocalCloud, LocalCloudOptions, LocalResource } from './cloud-types';

/** Synthesized assemblies are cached here, next to the @aws-sdk packages the Lambda bundles import. */
const SYNTH_CACHE = path.join(ROOT, 'node_modules', '.cache', 'local-cloud');

/** Types that have no runtime behaviour locally, and why (one warning line per type). */
const NOT_EMULATED: Record<string, string> = {
  'AWS::IAM::Role': 'IAM is not enforced: every call is allowed',
  'AWS::IAM::Policy': 'IAM is not enforced: every call is allowed',
  'AWS::Logs::LogGroup': 'Lambda logs go to this console; state machine execution logs to <data dir>/logs/ by their LoggingConfiguration (docs/logging.md); the console shows each execution\'s full history',
  'AWS::CloudWatch::CompositeAlarm': 'composite alarms are not evaluated',
  'AWS::CloudWatch::AnomalyDetector': 'anomaly detection is not emulated',
  'AWS::SQS::QueuePolicy': 'queue policies are not enforced',
  'AWS::Lambda::Permission': 'resource policies are not enforced',
  'AWS::ApiGateway::Account': 'account settings (CloudWatch role) have no local effect',
  'AWS::Lambda::EventInvokeConfig': 'async retries are not emulated: a throttled asynchronous invocation (e.g. a schedule tick during a run) is dropped at once'
};
/** Types consumed by the REST API emulation or with nothing to run. */
const HANDLED_ELSEWHERE = new Set([
  'AWS::ApiGateway::RestApi',
  'AWS::ApiGateway::Resource',
  'AWS::ApiGateway::Method',
  'AWS::ApiGateway::Model',
  'AWS::ApiGateway::RequestValidator',
  'AWS::ApiGateway::GatewayResponse',
  'AWS::ApiGateway::Deployment',
  'AWS::ApiGateway::Stage',
  'AWS::ApiGateway::Authorizer',
  'AWS::ApiGateway::ApiKey',
  'AWS::ApiGateway::UsagePlan',
  'AWS::ApiGateway::UsagePlanKey',
  'AWS::CDK::Metadata',
]);
const APPCONFIG_ORDER = [
  'AWS::AppConfig::Application',
  'AWS::AppConfig::Environment',
  'AWS::AppConfig::ConfigurationProfile',
  'AWS::AppConfig::DeploymentStrategy',
  'AWS::AppConfig::HostedConfigurationVersion',
  'AWS::AppConfig::Deployment',
];

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const log = options.log ?? ((line: string) => console.log(line));
  const stackName = options.stackName ?? 'CrudApi';
  const host = options.host ?? '127.0.0.1';
  const warnings: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    // One local cloud per data folder: a second one is refused here, naming the first (<dataDir>/local-cloud.json).
    const claim = options.inMemory ? undefined : claimDataDir(options.dataDir ?? '.local-cloud');
    if (claim) cleanups.push(() => claim.release());
    const synth = synthesizeApp(SYNTH_CACHE, stackName, options.context);
    const clock = options.clock ?? new ControllableClock();
    const credentials = options.credentials ?? [{ ...LOCAL_CREDENTIALS }];
    // The workflows' $now()/$millis() (timestamps, the retry-budget guard) follow the same clock.
    setJsonataTimeSource(() => clock.now().getTime());
    cleanups.push(() => setJsonataTimeSource(Date.now));
    const services = await LocalServices.open({ dataDir: options.dataDir, inMemory: options.inMemory, clock }).catch((error) => {
      // A process that does not write local-cloud.json (an older local cloud, a script) holds the DynamoDB lock.
      throw claim && isLevelDbLockError(error) ? new DataDirInUseError(claim.dataDir, undefined) : error;
    });
    cleanups.push(() => services.close());

    // Metrics from the services (DynamoDB's failed calls, SQS's gauges, executions, Lambdas' EMF lines); the template's alarms below.
    const cloudWatch = new LocalCloudWatch({ clock, log, publish: (entry) => services.events.putServiceEvent({ ...entry, Time: new Date(entry.Time) }) });
    cleanups.push(() => cloudWatch.stop());
    cleanups.push(cloudWatch.watch({ dynamodb: services.dynamodb, sqs: services.sqs }));

    // The console is handed to the endpoint and the Step Functions service now, and the running cloud once started.
    const localConsole = new LocalConsole();

    const lambdas = new Map<string, LocalLambda>();
    /** The template's functions as GetFunction/ListFunctions describe them (runnable here or not). */
    const functionDescriptions = new Map<string, LambdaFunctionDescription>();
    const taskHandlers = buildIntegrations({ dynamodb: services.dynamodb, sqs: services.sqs, events: services.events, lambdas });
    // What the state machines' LoggingConfiguration sends to CloudWatch Logs (level, includeExecutionData), as on AWS.
    const executionLogs = new ExecutionLogs(services.dataDir && ensureDir(path.join(services.dataDir, 'logs')));
    const stepFunctions = new StepFunctionsService({
      region: 'us-east-1',
      account: '000000000000',
      taskHandlers,
      dataDir: services.dataDir && ensureDir(path.join(services.dataDir, 'stepfunctions')),
      clock,
      onExecution: (execution) => {
        localConsole.onExecution(execution);
        cloudWatch.recordExecution(execution);
        const machine = stepFunctions.getStateMachine(execution.stateMachineArn);
        if (machine && execution.status !== 'RUNNING') executionLogs.record(execution, machine.loggingConfiguration);
      },
    });
    cleanups.push(() => stepFunctions.close());

    const lambdaBackend = {
      functions: () => functionDescriptions,
      has: (name: string) => lambdas.has(name),
      invoke: (name: string, payload: unknown) => {
        const fn = lambdas.get(name);
        if (!fn) throw AwsError.of('lambda' as never, 'ResourceNotFoundException', `Function not found: ${name}`);
        return fn.invoke(payload);
      },
    };
    /** DescribeStacks' answer, once the outputs are known (below). */
    let stack: StackDescription | undefined;
    const cloudFormation = { stacks: () => (stack ? [stack] : []) };
    // Services that need the endpoint's URL or the template (Cognito) join the routes once both are known.
    const routes: EndpointRoute[] = [cloudWatchRoute(cloudWatch)];
    const endpoint: RunningEndpoint = await startEndpoint({ services, stepFunctions, lambda: lambdaBackend, port: options.endpointPort ?? 4566, host, console: localConsole, cloudFormation, routes });
    cleanups.push(() => endpoint.close());
    // Runs before endpoint.close (cleanups run in reverse): ends the console's event streams first.
    cleanups.push(() => localConsole.close());
    const endpointHost = new URL(endpoint.url).host;
    services.sqs.setDefaultHost(endpointHost);

    const template = new ResolvedTemplate(synth.template, stackName, { endpointUrl: endpoint.url });
    const types = new Set(Object.values(synth.template.Resources).map((r) => r.Type));

    for (const { logicalId, properties } of template.resourcesOfType('AWS::DynamoDB::Table')) {
      const result = await services.dynamodb.createTableFromCloudFormation(properties, { fallbackName: template.ref(logicalId) });
      noteIgnored(warnings, logicalId, result.ignored);
    }
    for (const { logicalId, properties } of template.resourcesOfType('AWS::SQS::Queue')) {
      const result = services.sqs.createQueueFromCloudFormation(properties, { fallbackName: template.ref(logicalId).split('/').pop(), host: endpointHost });
      template.setPhysical(logicalId, { ref: result.ref, attributes: result.attributes });
    }
    for (const type of APPCONFIG_ORDER) {
      for (const { logicalId, properties } of template.resourcesOfType(type)) {
        const result = services.appConfig.applyCloudFormation(type, properties, { logicalId });
        template.setPhysical(logicalId, { ref: result.ref, attributes: result.attributes });
      }
    }

    // The template's user pools: tokens for the API's Cognito authorizer, issued through the endpoint (cognito-idp).
    const cognito = await LocalCognito.fromTemplate(template, {
      endpointUrl: endpoint.url,
      clock,
      dataFile: services.dataDir && path.join(services.dataDir, 'cognito.json'),
      log,
    });
    routes.push(cognitoRoute(cognito));
    // The state machines' execution logs through CloudWatch Logs' API (aws logs filter-log-events).
    routes.push(executionLogsRoute(executionLogs, () => stepFunctions.stateMachines()));

    // Before anything resolves them: alarm names and ARNs (an event rule's pattern may name one).
    cloudWatch.loadTemplateAlarms(template, warnings);

    const baseEnvironment = {
      AWS_ENDPOINT_URL: endpoint.url,
      AWS_REGION: template.region,
      AWS_DEFAULT_REGION: template.region,
      AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
      AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    };
    const functions: Record<string, string> = {};
    /** Lambdas that read AppConfig (the flags reader): the console makes them poll when a flag change is due. */
    const flagPollers: string[] = [];
    for (const { logicalId, properties: p } of template.resourcesOfType('AWS::Lambda::Function')) {
      const name = template.ref(logicalId);
      const codeDir = path.join(synth.assemblyDir, `asset.${String(p.Code?.S3Key ?? '').replace(/\.zip$/, '')}`);
      const runnable = Boolean(p.Code?.S3Key) && fs.existsSync(codeDir);
      functionDescriptions.set(
        name,
        describeTemplateFunction({ functionName: name, functionArn: template.getAtt(logicalId, 'Arn'), properties: p, codeDir: runnable ? codeDir : undefined, loadedAt: clock.now() }),
      );
      if (!runnable) {
        warnings.push(`${logicalId}: Lambda code is not a local asset (${JSON.stringify(p.Code)}): not runnable locally`);
        continue;
      }
      lambdas.set(
        name,
        new LocalLambda(
          {
            functionName: name,
            functionArn: template.getAtt(logicalId, 'Arn'),
            codeDir,
            handler: p.Handler,
            environment: { ...(p.Environment?.Variables ?? {}), AWS_LAMBDA_FUNCTION_NAME: name },
            timeoutSeconds: Number(p.Timeout ?? 3),
            memorySize: Number(p.MemorySize ?? 128),
          },
          baseEnvironment,
          {
            clock,
            reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
            beforeInvoke: () => services.faults.check('lambda', 'Invoke'),
            onLog: (line) => cloudWatch.recordLogLine(line),
          },
        ),
      );
      functions[logicalId.replace(/[0-9A-F]{8}$/, '')] = name;
      if (p.Environment?.Variables?.APPCONFIG_APPLICATION_ID !== undefined) flagPollers.push(name);
    }

    const resources: LocalResource[] = [];
    for (const { logicalId, properties: p } of template.resourcesOfType('AWS::StepFunctions::StateMachine')) {
      const name = template.ref(logicalId).split(':').pop() as string;
      const definition = applySubstitutions(readDefinition(p, synth.assemblyDir, logicalId), p.DefinitionSubstitutions ?? {});
      for (const resource of taskResources(JSON.parse(definition))) {
        if (!taskHandlers.resolve(resource)) warnings.push(`${logicalId}: Task resource ${resource} is not emulated (the state fails when reached)`);
      }
      stepFunctions.createStateMachine({
        name,
        definition,
        roleArn: p.RoleArn,
        type: p.StateMachineType ?? 'STANDARD',
        loggingConfiguration: p.LoggingConfiguration,
        tracingConfiguration: p.TracingConfiguration,
        tags: p.Tags,
      });
      const subs = p.DefinitionSubstitutions ?? {};
      if (subs.ResourceName) {
        resources.push({ name: subs.ResourceName, stateMachineArn: template.ref(logicalId), tableName: subs.TableName, deadLetterQueueUrl: subs.QueueUrl });
      }
    }

    cleanups.push(startEventRules({ template, lambdas, stateMachines: stepFunctions, events: services.events, clock, schedules: options.schedules ?? true, warnings, log }));
    cloudWatch.start();

    const callAwsAction = async (service: string, action: string, body: string) => {
      try {
        const request = JSON.parse(body || '{}');
        let result: unknown;
        if (service === 'states') {
          services.faults.check('stepfunctions', action);
          result = await stepFunctions.handle(action, request);
        } else if (service === 'dynamodb') result = await services.dynamodb.call(action, request);
        else if (service === 'sqs') result = await services.sqs.call(action, request, { host: endpointHost });
        else throw AwsError.of('stepfunctions', 'UnknownOperationException', `The local cloud has no ${service} integration`);
        return { statusCode: 200, headers: { 'Content-Type': 'application/x-amz-json-1.0' }, body: awsJsonStringify(result) };
      } catch (error) {
        const rendered = toAwsError('stepfunctions', error instanceof SyntaxError ? AwsError.of('stepfunctions', 'SerializationException', error.message) : error).renderJson('application/x-amz-json-1.0');
        return { statusCode: rendered.status, headers: rendered.headers, body: rendered.body };
      }
    };
    let apiServer: RunningApiServer | undefined;
    let restApi: RestApi | undefined;
    const apis = template.resourcesOfType('AWS::ApiGateway::RestApi');
    if (apis.length > 1) warnings.push(`${apis.slice(1).map((a) => a.logicalId).join(', ')}: only the first REST API is served`);
    if (apis.length > 0) {
      // AWS_IAM methods verify SigV4 against the credentials the cloud prints (default local/local). The 5-minute
      // window holds on the cloud's clock or on real time: clients (curl, the SDK) sign with their own clocks, which
      // do not follow an advanced simulation clock; on AWS the two are the same.
      const iam = sigv4Authorizer({ credentials, region: template.region, accountId: template.account, now: () => clock.now(), realNow: () => new Date() });
      const api = new RestApi(template, apis[0].logicalId, callAwsAction, { now: () => clock.now(), accountId: template.account, authorizers: { AWS_IAM: iam, COGNITO_USER_POOLS: cognitoAuthorizer(cognito, () => clock.now()) }, throttling: options.throttling });
      restApi = api;
      // aws apigateway get-api-keys --include-values (and get-usage-plans) against the endpoint.
      routes.push(apiGatewayControlRoute(() => api.usagePlans));
      warnings.push(...api.unsupported);
      apiServer = await startApiServer({
        api,
        port: options.port ?? 3000,
        host,
        // A refused request also logs what API Gateway's execution log says of it (the validator's report of a 400).
        onResponse: (req, res, ms) => log(`${req.method} ${req.path} → ${res.statusCode} (${ms.toFixed(0)} ms) ${res.requestId}${res.executionLog ? `\n  ${res.executionLog}` : ''}`),
      });
      cleanups.push(() => apiServer!.close());
    }

    for (const type of types) {
      if (NOT_EMULATED[type]) warnings.push(`${type} (${countOf(synth.template, type)}): ${NOT_EMULATED[type]}`);
      else if (!isEmulated(type)) warnings.push(`${type} (${countOf(synth.template, type)}): not emulated, ignored`);
    }

    const apiUrl = apiServer?.url ?? '';
    const apiKeys = (restApi?.usagePlans.keys ?? []).filter((k) => k.enabled).map(({ name, id, value }) => ({ name, id, value }));
    if (apiKeys.length) cleanups.push(registerApiKeys(apiUrl, apiKeys.map((k) => k.value)));
    const outputs = Object.fromEntries(
      Object.entries(template.outputs()).map(([k, v]) => [k, typeof v === 'string' && v.includes('.execute-api.') ? `${apiUrl}/` : String(v)]),
    );
    const flag = (type: string) => template.ref(template.resourcesOfType(type)[0]?.logicalId ?? '');
    const hasFlags = types.has('AWS::AppConfig::ConfigurationProfile');
    const flags = hasFlags
      ? { application: flag('AWS::AppConfig::Application'), environment: flag('AWS::AppConfig::Environment'), configurationProfile: flag('AWS::AppConfig::ConfigurationProfile') }
      : { application: '', environment: '', configurationProfile: '' };
    const consoleUrl = `${endpoint.url}/console/`;
    localConsole.attach({
      services,
      stepFunctions,
      resources,
      apiUrl,
      endpointUrl: endpoint.url,
      consoleUrl,
      outputs,
      functions,
      flags,
      pollFlags: flagPollers.length ? () => Promise.allSettled(flagPollers.map((name) => lambdaBackend.invoke(name, {}))) : undefined,
    });

    stack = {
      StackName: stackName,
      StackId: `arn:aws:cloudformation:${template.region}:${template.account}:stack/${stackName}/${stackUuid(stackName)}`,
      CreationTime: clock.now(),
      StackStatus: 'CREATE_COMPLETE',
      Description: typeof (synth.template as { Description?: unknown }).Description === 'string' ? (synth.template as { Description?: string }).Description : undefined,
      Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
    };
    claim?.running({ apiUrl, endpointUrl: endpoint.url, consoleUrl });
    return {
      apiUrl,
      endpointUrl: endpoint.url,
      credentials,
      consoleUrl,
      outputs,
      resources,
      functions,
      flags,
      warnings,
      services,
      stepFunctions,
      executionLogs,
      cloudWatch,
      cognito,
      apiKeys,
      clock,
      invokeFunction: (name, event = {}) => lambdaBackend.invoke(name, event),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** The id part of a stack ARN: a UUID, here the same for a stack name on every start. */
function stackUuid(stackName: string): string {
  const h = createHash('sha256').update(stackName).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

function isEmulated(type: string): boolean {
  return (
    HANDLED_ELSEWHERE.has(type) ||
    APPCONFIG_ORDER.includes(type) ||
    ['AWS::DynamoDB::Table', 'AWS::SQS::Queue', 'AWS::Lambda::Function', 'AWS::StepFunctions::StateMachine', 'AWS::Events::EventBus', 'AWS::Events::Rule', 'AWS::CloudWatch::Alarm', 'AWS::Cognito::UserPool', 'AWS::Cognito::UserPoolClient'].includes(type)
  );
}

function countOf(template: { Resources: Record<string, { Type: string }> }, type: string): number {
  return Object.values(template.Resources).filter((r) => r.Type === type).length;
}

function noteIgnored(warnings: string[], logicalId: string, ignored: string[] | undefined): void {
  if (ignored?.length) warnings.push(`${logicalId}: ${ignored.join(', ')} accepted but not emulated`);
}

function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** The ASL text of a state machine: inline (Definition / DefinitionString) or the synthesized file asset. */
function readDefinition(p: Record<string, any>, assemblyDir: string, logicalId: string): string {
  if (typeof p.DefinitionString === 'string') return p.DefinitionString;
  if (p.Definition && typeof p.Definition === 'object') return JSON.stringify(p.Definition);
  const key = p.DefinitionS3Location?.Key;
  const file = key && path.join(assemblyDir, `asset.${key}`);
  if (!file || !fs.existsSync(file)) throw new Error(`${logicalId}: state machine definition not found (DefinitionS3Location ${JSON.stringify(p.DefinitionS3Location)})`);
  return fs.readFileSync(file, 'utf8');
}

/** Every Task resource of a definition, in Parallel branches and Map processors too. */
function taskResources(node: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => taskResources(n, found));
  else if (node && typeof node === 'object') {
    const state = node as Record<string, unknown>;
    if (state.Type === 'Task' && typeof state.Resource === 'string') found.add(state.Resource);
    Object.values(state).forEach((v) => taskResources(v, found));
  }
  return found;
}

/** DefinitionSubstitutions: each `${Name}` is replaced by its value, as CloudFormation does. */
function applySubstitutions(definition: string, substitutions: Record<string, unknown>): string {
  return definition.replace(/\$\{([A-Za-z0-9_]+)\}/g, (text, name: string) => (name in substitutions ? String(substitutions[name]) : text));
}
