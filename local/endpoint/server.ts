/**
 * The AWS-compatible endpoint: one `node:http` server (default port 4566) for every local service.
 *
 * Routing:
 *   X-Amz-Target DynamoDB_20120810.<Op>     → DynamoDB        (AWS JSON 1.0)
 *   X-Amz-Target AmazonSQS.<Op>             → SQS             (AWS JSON 1.0)
 *   X-Amz-Target AWSStepFunctions.<Op>      → StepFunctionsBackend (AWS JSON 1.0)
 *   X-Amz-Target AWSEvents.<Op>             → EventBridge PutEvents recorder (AWS JSON 1.1)
 *   POST /configurationsessions, GET /configuration → AppConfigData (REST-JSON)
 *   /applications/..., /deploymentstrategies/... → AppConfig control plane (REST-JSON, ./appconfig.ts)
 *   GET /2015-03-31/functions/[<name>], ...    → Lambda ListFunctions, GetFunction, ... (REST-JSON, ./lambda.ts)
 *   form body (or query string) with Action=  → SQS query protocol (XML); with Version=2010-05-15, CloudFormation
 *                                               DescribeStacks (./cloudformation.ts)
 *   POST /2015-03-31/functions/<name>/invocations → Lambda Invoke (LambdaBackend)
 *   /_local/...                             → admin routes (./admin.ts)
 *   /console, /console/...                  → the local console (EndpointOptions.console)
 *   GET /                                   → health
 *
 * A call no service here implements answers UnknownOperationException naming it: the X-Amz-Target of the JSON
 * protocols, the operation a REST path means (./rest-routes.ts), InvalidAction for the SQS query protocol.
 *
 * Any Host header is answered (clients may send `sync-localhost:4566`), SigV4 signatures are not checked (any
 * credentials work), and every response carries an `x-amzn-RequestId`.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalServices } from '../services';
import { AwsError, ServiceName, toAwsError } from '../services/errors';
import { decodeQueryRequest, encodeQueryResponse } from '../services/sqs/query';
import { handleAdmin, health } from './admin';
import { handleAppConfig } from './appconfig';
import { CloudFormationBackend, handleCloudFormationQuery, isCloudFormationQuery } from './cloudformation';
import { LambdaFunctions, handleLambdaControl } from './lambda';
import { RestMatch, RestResponse, matchRestOperation } from './rest-routes';
import { BodyTooLargeError, awsJsonStringify, crc32, readBody, send, sendJson, sendRendered } from './http';
import type { StepFunctionsBackend } from './stepfunctions';

export interface EndpointOptions {
  services: LocalServices;
  /** Handles AWSStepFunctions.* requests; without one they answer UnknownOperationException. */
  stepFunctions?: StepFunctionsBackend;
  /** Runs Lambda functions for `POST /2015-03-31/functions/<name>/invocations` (Lambda Invoke). */
  lambda?: LambdaBackend;
  /** Port to listen on (default 4566; 0 picks a free one). */
  port?: number;
  /** Address to listen on (default '127.0.0.1'; use '0.0.0.0' or '::' to accept other machines). */
  host?: string;
  /** Called after every request (logging, console). */
  onRequest?: (info: RequestLog) => void;
  /** More services on this endpoint (the local CloudWatch): see {@link EndpointRoute}. */
  routes?: EndpointRoute[];
  /** Serves `/console` and everything under `/console/` (the local console page and its JSON API). */
  console?: ConsoleHandler;
  /** The stacks CloudFormation DescribeStacks answers with (none without one). */
  cloudFormation?: CloudFormationBackend;
}

/**
 * A service answered on this endpoint from outside it (the local CloudWatch): asked, in order, after the admin,
 * console and Lambda Invoke routes and before the built-in protocols; the first that matches answers.
 */
export interface EndpointRoute {
  /** Shown in the request log. */
  service: string;
  matches(req: http.IncomingMessage, url: URL, body: Buffer): boolean;
  /** Writes the response; returns the operation and error code for the request log. */
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer, requestId: string): Promise<{ action?: string; errorCode?: string }>;
}

export interface ConsoleHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL, body: Buffer): Promise<void>;
}

export interface LambdaBackend extends LambdaFunctions {
  /** Runs the function; throws LambdaFunctionError-like `{errorType, errorMessage, trace}` errors for function errors. */
  invoke(functionName: string, payload: unknown): Promise<unknown>;
  has(functionName: string): boolean;
}

export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  service: ServiceName | 'admin' | 'lambda' | 'appconfig' | 'cloudformation' | 'console' | 'unknown';
  action?: string;
  status: number;
  ms: number;
  errorCode?: string;
}

export interface RunningEndpoint {
  /** e.g. http://127.0.0.1:4566 */
  url: string;
  port: number;
  server: http.Server;
  close(): Promise<void>;
}

const TARGET_PREFIXES: Record<string, { service: ServiceName; contentType: string }> = {
  DynamoDB_20120810: { service: 'dynamodb', contentType: 'application/x-amz-json-1.0' },
  AmazonSQS: { service: 'sqs', contentType: 'application/x-amz-json-1.0' },
  AWSStepFunctions: { service: 'stepfunctions', contentType: 'application/x-amz-json-1.0' },
  AWSEvents: { service: 'events', contentType: 'application/x-amz-json-1.1' },
};

const CORS_EXPOSED = [
  'x-amzn-RequestId',
  'x-amzn-ErrorType',
  'x-amzn-query-error',
  'x-amz-crc32',
  'Next-Poll-Configuration-Token',
  'Next-Poll-Interval-In-Seconds',
  'Version-Label',
  'Content-Type',
].join(',');

/** Starts the endpoint and resolves once it listens. */
export async function startEndpoint(options: EndpointOptions): Promise<RunningEndpoint> {
  const server = http.createServer(createEndpointHandler(options));
  server.keepAliveTimeout = 65_000;
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 4566, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** The request handler, for embedding in another server or testing without a port. */
export function createEndpointHandler(options: EndpointOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const { services } = options;

  return (req, res) => {
    const started = Date.now();
    const requestId = randomUUID();
    const method = req.method ?? 'GET';
    const hostHeader = req.headers.host ?? 'localhost:4566';
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const log: RequestLog = { requestId, method, path: url.pathname, service: 'unknown', status: 0, ms: 0 };
    res.setHeader('x-amzn-RequestId', requestId);
    if (req.headers.origin) {
      res.setHeader('Access-Control-Allow-Origin', '*');
      res.setHeader('Access-Control-Expose-Headers', CORS_EXPOSED);
    }
    res.on('finish', () => {
      log.status = res.statusCode;
      log.ms = Date.now() - started;
      options.onRequest?.(log);
    });

    const route = async (): Promise<void> => {
      if (method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.setHeader('Access-Control-Allow-Methods', 'GET,POST,PUT,DELETE,OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', String(req.headers['access-control-request-headers'] ?? '*'));
        res.setHeader('Access-Control-Max-Age', '172800');
        return send(res, 204, {}, '');
      }
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLargeError) return sendJson(res, 413, { message: err.message });
        throw err;
      }

      if (url.pathname.startsWith('/_local/') || url.pathname === '/_local') {
        log.service = 'admin';
        return handleAdmin(method, url, body, res, { services, stepFunctionsConfigured: !!options.stepFunctions, host: hostHeader });
      }

      if (options.console && (url.pathname === '/console' || url.pathname.startsWith('/console/'))) {
        log.service = 'console';
        return options.console.handle(req, res, url, body);
      }

      const invocation = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec(url.pathname);
      if (invocation && method === 'POST') return handleLambdaInvoke(decodeURIComponent(invocation[1]), body);

      const extra = options.routes?.find((r) => r.matches(req, url, body));
      if (extra) {
        log.service = extra.service as RequestLog['service'];
        const outcome = await extra.handle(req, res, url, body, requestId);
        log.action = outcome.action;
        log.errorCode = outcome.errorCode;
        return;
      }

      const target = header(req, 'x-amz-target');
      if (target) return handleJsonProtocol(target, body);

      if (url.pathname === '/configurationsessions' || url.pathname === '/configuration') return handleAppConfigData(body);

      const rest = matchRestOperation(method, url);
      if (rest) return handleRest(rest, body);

      const contentType = header(req, 'content-type') ?? '';
      if (url.searchParams.has('Action') || (contentType.startsWith('application/x-www-form-urlencoded') && /(^|&)Action=/.test(body.toString('utf8')))) {
        return handleSqsQuery(body);
      }

      if (method === 'GET' && (url.pathname === '/' || url.pathname === '/health')) {
        return sendJson(res, 200, health({ services, stepFunctionsConfigured: !!options.stepFunctions }));
      }
      return send(
        res,
        404,
        { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' },
        JSON.stringify({ __type: 'com.amazon.coral.service#UnknownOperationException', message: `No service answers ${method} ${url.pathname}` }),
      );
    };

    const handleJsonProtocol = async (target: string, body: Buffer): Promise<void> => {
      const dot = target.indexOf('.');
      const prefix = dot < 0 ? target : target.slice(0, dot);
      const action = dot < 0 ? '' : target.slice(dot + 1);
      const route = TARGET_PREFIXES[prefix];
      if (!route) {
        return send(res, 400, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'UnknownOperationException' }, JSON.stringify({ __type: 'com.amazon.coral.service#UnknownOperationException', message: `Unknown target ${target}` }));
      }
      log.service = route.service;
      log.action = action;
      try {
        let request: unknown = {};
        if (body.length) {
          try {
            request = JSON.parse(body.toString('utf8'));
          } catch {
            throw AwsError.of(route.service, 'SerializationException', 'Start of structure or map found where not expected');
          }
        }
        const output = await dispatchJson(route.service, action, request);
        const text = awsJsonStringify(output);
        const headers: Record<string, string> = { 'content-type': route.contentType };
        if (route.service === 'dynamodb') headers['x-amz-crc32'] = crc32(text);
        send(res, 200, headers, text);
      } catch (err) {
        const e = toAwsError(route.service, err);
        log.errorCode = e.code;
        sendRendered(res, e.renderJson(route.contentType));
      }
    };

    const dispatchJson = (service: ServiceName, action: string, request: any): Promise<unknown> => {
      switch (service) {
        case 'dynamodb':
          return services.dynamodb.call(action, request);
        case 'sqs':
          return services.sqs.call(action, request, { host: hostHeader, signal: abortOnClose(res) }).catch((err) => {
            // An operation the local SQS lacks: what AWS answers for an unknown target (the query protocol says InvalidAction).
            if (err instanceof AwsError && err.code === 'UnsupportedOperation') throw AwsError.of('sqs', 'UnknownOperationException', err.message);
            throw err;
          });
        case 'events':
          return services.events.call(action, request);
        case 'stepfunctions': {
          if (!options.stepFunctions) throw AwsError.of('stepfunctions', 'UnknownOperationException', 'No Step Functions backend is configured on this endpoint');
          services.faults.check('stepfunctions', action);
          return options.stepFunctions.handle(action, request);
        }
        default:
          throw AwsError.of(service, 'UnknownOperationException', `Unknown operation ${action}`);
      }
    };

    const handleAppConfigData = async (body: Buffer): Promise<void> => {
      log.service = 'appconfigdata';
      try {
        if (method === 'POST' && url.pathname === '/configurationsessions') {
          log.action = 'StartConfigurationSession';
          let request: any;
          try {
            request = body.length ? JSON.parse(body.toString('utf8')) : {};
          } catch {
            throw AwsError.of('appconfigdata', 'BadRequestException', 'The request body is not valid JSON');
          }
          const out = await services.appConfigData.startConfigurationSession(request);
          return send(res, 201, { 'content-type': 'application/json' }, JSON.stringify(out));
        }
        if (method === 'GET' && url.pathname === '/configuration') {
          log.action = 'GetLatestConfiguration';
          const out = await services.appConfigData.getLatestConfiguration({ ConfigurationToken: url.searchParams.get('configuration_token') ?? '' });
          const headers: Record<string, string> = {
            'Next-Poll-Configuration-Token': out.NextPollConfigurationToken,
            'Next-Poll-Interval-In-Seconds': String(out.NextPollIntervalInSeconds),
            'Content-Type': out.ContentType ?? 'application/octet-stream',
          };
          if (out.VersionLabel) headers['Version-Label'] = out.VersionLabel;
          return send(res, 200, headers, out.Configuration);
        }
        return send(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'UnknownOperationException' }, JSON.stringify({ Message: `No AppConfigData operation for ${method} ${url.pathname}` }));
      } catch (err) {
        const e = toAwsError('appconfigdata', err);
        log.errorCode = e.code;
        sendRendered(res, e.renderRestJson());
      }
    };

    /** The REST-JSON control planes: AppConfig (errors as `{Message}`) and Lambda (errors as `{Type, message}`). */
    const handleRest = async (match: RestMatch, body: Buffer): Promise<void> => {
      log.service = match.service;
      log.action = match.operation;
      const request = { operation: match.operation, params: match.params, query: url.searchParams, headers: req.headers, body };
      try {
        const out: RestResponse = match.service === 'appconfig' ? handleAppConfig(services.appConfig, request) : handleLambdaControl(options.lambda, request);
        send(res, out.status, out.headers, out.body);
      } catch (err) {
        const e = toAwsError(match.service === 'appconfig' ? 'appconfigdata' : 'lambda', err);
        log.errorCode = e.code;
        sendRendered(res, match.service === 'appconfig' ? e.renderRestJson() : e.renderLambda());
      }
    };

    /** Lambda Invoke (REST-JSON): the function's result as the body; a function error is still HTTP 200, flagged by X-Amz-Function-Error. */
    const handleLambdaInvoke = async (functionRef: string, body: Buffer): Promise<void> => {
      log.service = 'lambda';
      log.action = 'Invoke';
      // A name, a name:qualifier or an ARN (with or without a qualifier) all name the function.
      const name = (functionRef.includes(':function:') ? functionRef.split(':function:')[1] : functionRef).split(':')[0];
      const lambda = options.lambda;
      if (!lambda || !lambda.has(name)) {
        log.errorCode = 'ResourceNotFoundException';
        const message = `Function not found: arn:aws:lambda:us-east-1:000000000000:function:${name}`;
        return send(res, 404, { 'content-type': 'application/json', 'x-amzn-errortype': 'ResourceNotFoundException' }, JSON.stringify({ Type: 'User', message }));
      }
      let payload: unknown = null;
      try {
        payload = body.length ? JSON.parse(body.toString('utf8')) : {};
      } catch {
        log.errorCode = 'InvalidRequestContentException';
        return send(res, 400, { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidRequestContentException' }, JSON.stringify({ Type: 'User', message: 'Could not parse request body into json' }));
      }
      const invocationType = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
      if (invocationType === 'DryRun') return send(res, 204, {}, '');
      const run = Promise.resolve().then(() => lambda.invoke(name, payload));
      const serviceError = (err: unknown) => err instanceof AwsError && err.service === 'lambda';
      if (invocationType === 'Event') {
        run.catch((err) => console.error(`Lambda ${name} (async invoke) failed:`, err));
        return send(res, 202, {}, '');
      }
      try {
        const result = await run;
        send(res, 200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' }, JSON.stringify(result ?? null));
      } catch (err) {
        // Throttled or failing service: an HTTP error (the SDK raises TooManyRequestsException), not a function error.
        if (serviceError(err)) {
          log.errorCode = (err as AwsError).code;
          return sendRendered(res, (err as AwsError).renderLambda());
        }
        const e = err as { errorType?: string; errorMessage?: string; trace?: string[]; message?: string; name?: string };
        const errorBody = { errorType: e.errorType ?? e.name ?? 'Error', errorMessage: e.errorMessage ?? e.message ?? String(err), trace: e.trace ?? [] };
        send(res, 200, { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST', 'x-amz-function-error': 'Unhandled' }, JSON.stringify(errorBody));
      }
    };

    const handleSqsQuery = async (body: Buffer): Promise<void> => {
      const params = new URLSearchParams(url.search);
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
      if (isCloudFormationQuery(params)) {
        log.service = 'cloudformation';
        const out = handleCloudFormationQuery(options.cloudFormation, params, requestId);
        log.action = out.action;
        log.errorCode = out.errorCode;
        return send(res, out.status, out.headers, out.body);
      }
      log.service = 'sqs';
      const pathMatch = /^\/(\d{12})\/([\w-]+)\/?$/.exec(url.pathname);
      const pathQueueUrl = pathMatch ? `http://${hostHeader}/${pathMatch[1]}/${pathMatch[2]}` : undefined;
      const { action, request } = decodeQueryRequest(params, pathQueueUrl);
      log.action = action;
      try {
        if (!action) throw AwsError.of('sqs', 'MissingParameter', 'The request must contain the parameter Action.');
        const result = await services.sqs.call(action, request, { host: hostHeader, signal: abortOnClose(res) }).catch((err) => {
          if (err instanceof AwsError && err.code === 'UnsupportedOperation') throw AwsError.of('sqs', 'InvalidAction', `The action ${action} is not valid for this endpoint.`);
          throw err;
        });
        send(res, 200, { 'content-type': 'text/xml' }, encodeQueryResponse(action, result, requestId));
      } catch (err) {
        const e = toAwsError('sqs', err);
        log.errorCode = e.code;
        sendRendered(res, e.renderQueryXml(requestId));
      }
    };

    route().catch((err) => {
      // Last resort: never leave a request hanging.
      const e = toAwsError('dynamodb', err);
      log.errorCode = e.code;
      if (!res.headersSent) sendJson(res, 500, { message: e.message });
      else res.destroy();
    });
  };
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** An AbortSignal that fires when the client goes away before the response is written (ends SQS long polls). */
function abortOnClose(res: http.ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}
