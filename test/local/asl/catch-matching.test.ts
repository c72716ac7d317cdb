/**
 * Error-name matching for Retry and Catch.
 * https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
 */
import { AslError, RuntimeError, TimeoutError, TaskFailedError, toAslError, TaskError } from '../../../local/asl';
import { errorMatches } from '../../../local/asl/retry';

describe('error matching', () => {
  test('exact names match, case-sensitively', () => {
    expect(errorMatches(['DynamoDB.ConditionalCheckFailedException'], new TaskError('DynamoDB.ConditionalCheckFailedException'))).toBe(true);
    expect(errorMatches(['dynamodb.conditionalcheckfailedexception'], new TaskError('DynamoDB.ConditionalCheckFailedException'))).toBe(false);
  });

  test('States.ALL matches any error but States.Runtime', () => {
    expect(errorMatches(['States.ALL'], new TaskError('Anything'))).toBe(true);
    expect(errorMatches(['States.ALL'], new TimeoutError())).toBe(true);
    expect(errorMatches(['States.ALL'], new RuntimeError('x'))).toBe(false);
  });

  test('States.TaskFailed matches any error except States.Timeout', () => {
    expect(errorMatches(['States.TaskFailed'], new TaskError('Lambda.Unknown'))).toBe(true);
    expect(errorMatches(['States.TaskFailed'], new TaskFailedError('x'))).toBe(true);
    expect(errorMatches(['States.TaskFailed'], new TimeoutError())).toBe(false);
  });

  test('States.Timeout also matches States.HeartbeatTimeout', () => {
    expect(errorMatches(['States.Timeout'], new AslError('States.HeartbeatTimeout'))).toBe(true);
  });

  test('handler errors are mapped: AslError kept, named Error kept, plain Error → States.TaskFailed', () => {
    expect(toAslError(new TaskError('X.Y', 'c')).toErrorOutput()).toEqual({ Error: 'X.Y', Cause: 'c' });
    const sdk = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    expect(toAslError(sdk).toErrorOutput()).toEqual({ Error: 'ConditionalCheckFailedException', Cause: 'The conditional request failed' });
    expect(toAslError(new Error('boom')).toErrorOutput()).toEqual({ Error: 'States.TaskFailed', Cause: 'boom' });
    expect(toAslError(new TypeError('bad')).name).toBe('States.TaskFailed');
    expect(toAslError({ error: 'Custom', cause: 'why' }).toErrorOutput()).toEqual({ Error: 'Custom', Cause: 'why' });
  });
});
