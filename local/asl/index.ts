/**
 * Our Amazon States Language engine: compile once, run many.
 *
 *   const machine = compileStateMachine(definitionJson);           // throws DefinitionError (InvalidDefinition)
 *   const handlers = new TaskHandlerRegistry().register('arn:aws:states:::dynamodb:putItem', putItem);
 *   const result = await machine.execute({ executionArn, stateMachineArn, name, input, taskHandlers: handlers });
 */
export * from './types';
export * from './errors';
export { compileStateMachine } from './compile';
export { systemClock, scaledClock, fakeClock, FakeClock } from './clock';
export { TaskHandlerRegistry } from './handlers';
export { splitResource } from './states/task';
