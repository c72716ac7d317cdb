/**
 * Lambda's read-only control plane on the endpoint (REST-JSON, as `@aws-sdk/client-lambda` and `aws lambda ...`
 * call it): ListFunctions, GetFunction, GetFunctionConfiguration and GetFunctionConcurrency over the template's
 * functions (the LambdaBackend's `functions()`). Invoke stays in ./server.ts. Any other Lambda operation answers
 * UnknownOperationException naming itself (./rest-routes.ts).
 *
 * A function is named by its name, its ARN or a partial ARN (`<account>:function:<name>`), with an optional
 * `:$LATEST` or `Qualifier=$LATEST`; other qualifiers are versions or aliases, which the local cloud has none of.
 */
import { AwsError } from '../services/errors';
import type { LambdaFunctionDescription } from '../lambda/configuration';
import type { RestRequest, RestResponse } from './rest-routes';

/** What the Lambda control plane needs: the functions by name. */
export interface LambdaFunctions {
  functions?(): ReadonlyMap<string, LambdaFunctionDescription>;
}

type Handler = (functions: ReadonlyMap<string, LambdaFunctionDescription>, req: RestRequest) => RestResponse;

/** ListFunctions returns at most 50 functions per page, whatever MaxItems says. */
const LIST_PAGE = 50;

const HANDLERS: Record<string, Handler> = {
  ListFunctions: (functions, req) => {
    const maxText = req.query.get('MaxItems');
    const size = maxText === null ? LIST_PAGE : Number(maxText);
    if (!Number.isInteger(size) || size < 1 || size > 10_000) throw invalidParameter(`MaxItems must be between 1 and 10000, got ${maxText}`);
    const names = [...functions.keys()].sort();
    const marker = req.query.get('Marker');
    const start = marker ? names.findIndex((n) => n > marker) : 0;
    const from = start < 0 ? names.length : start;
    const chosen = names.slice(from, from + Math.min(size, LIST_PAGE));
    const more = from + chosen.length < names.length;
    return json({ Functions: chosen.map((n) => functions.get(n)!.configuration()), ...(more ? { NextMarker: chosen[chosen.length - 1] } : {}) });
  },
  GetFunction: (functions, req) => {
    const fn = requireFunction(functions, req);
    const code = fn.code();
    return json({
      Configuration: fn.configuration(),
      ...(code ? { Code: code } : {}),
      ...(Object.keys(fn.tags).length ? { Tags: fn.tags } : {}),
      ...(fn.reservedConcurrency !== undefined ? { Concurrency: { ReservedConcurrentExecutions: fn.reservedConcurrency } } : {}),
    });
  },
  GetFunctionConfiguration: (functions, req) => json(requireFunction(functions, req).configuration()),
  GetFunctionConcurrency: (functions, req) => {
    const fn = requireFunction(functions, req);
    return json(fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency });
  },
};

export const LAMBDA_IMPLEMENTED: readonly string[] = ['Invoke', ...Object.keys(HANDLERS)];

/** Runs one Lambda control-plane operation; throws an AwsError (service 'lambda', rendered by `renderLambda`). */
export function handleLambdaControl(backend: LambdaFunctions | undefined, req: RestRequest): RestResponse {
  const handler = HANDLERS[req.operation];
  if (!handler) throw new AwsError('UnknownOperationException', `${req.operation} is not supported by the local Lambda`, { service: 'lambda', httpStatus: 404 });
  return handler(backend?.functions?.() ?? new Map(), req);
}

/** The function name of a name, `name:qualifier`, ARN or partial ARN, and its qualifier if any. */
export function parseFunctionRef(ref: string): { name: string; qualifier?: string } {
  const afterFunction = ref.includes(':function:') ? ref.split(':function:')[1] : ref;
  const [name, qualifier] = afterFunction.split(':');
  return { name, ...(qualifier !== undefined ? { qualifier } : {}) };
}

function requireFunction(functions: ReadonlyMap<string, LambdaFunctionDescription>, req: RestRequest): LambdaFunctionDescription {
  const { name, qualifier } = parseFunctionRef(req.params.FunctionName ?? '');
  const q = req.query.get('Qualifier') ?? qualifier;
  const fn = functions.get(name);
  if (!fn || (q !== undefined && q !== '$LATEST')) {
    const arn = `arn:aws:lambda:us-east-1:000000000000:function:${name}${q !== undefined && q !== '$LATEST' ? `:${q}` : ''}`;
    throw AwsError.of('lambda', 'ResourceNotFoundException', `Function not found: ${arn}`);
  }
  return fn;
}

function json(value: unknown): RestResponse {
  return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function invalidParameter(message: string): AwsError {
  return new AwsError('InvalidParameterValueException', message, { service: 'lambda', httpStatus: 400 });
}
