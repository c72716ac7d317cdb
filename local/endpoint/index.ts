export { startEndpoint, createEndpointHandler } from './server';
export type { EndpointOptions, RunningEndpoint, RequestLog, LambdaBackend, ConsoleHandler } from './server';
export type { StepFunctionsBackend } from './stepfunctions';
