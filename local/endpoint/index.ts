export { startEndpoint, createEndpointHandler } from './server';
export type { EndpointOptions, RunningEndpoint, RequestLog } from './server';
export type { StepFunctionsBackend } from './stepfunctions';
