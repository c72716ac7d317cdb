/** The resource → handler table. */
import { TaskHandlerRegistry, splitResource } from '../../../local/asl';

describe('TaskHandlerRegistry', () => {
  const h = (name: string) => Object.assign(async () => name, { handlerName: name });
  const reg = new TaskHandlerRegistry()
    .register('arn:aws:states:::dynamodb:putItem', h('put'))
    .register('arn:aws:states:::aws-sdk:dynamodb:*', h('sdk'))
    .register('arn:aws:states:::sqs:sendMessage', h('sqs'))
    .registerLambdaFunction('flags', h('flags'));

  test.each([
    ['arn:aws:states:::dynamodb:putItem', 'put'],
    ['arn:aws:states:::aws-sdk:dynamodb:getItem', 'sdk'],
    ['arn:aws:states:::aws-sdk:dynamodb:query', 'sdk'],
    ['arn:aws:states:::sqs:sendMessage', 'sqs'],
    ['arn:aws:lambda:eu-west-1:111122223333:function:flags', 'flags'],
  ])('%s → %s', async (arn, name) => {
    expect((reg.resolve(arn) as unknown as { handlerName: string }).handlerName).toBe(name);
  });

  test('unknown resources resolve to undefined (exact patterns do not prefix-match)', () => {
    expect(reg.resolve('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).toBeUndefined();
    expect(reg.resolve('arn:aws:states:::dynamodb:getItem')).toBeUndefined();
  });

  test('splitResource gives the resourceType/resource of history events', () => {
    expect(splitResource('arn:aws:states:::lambda:invoke')).toEqual({ resourceType: 'lambda', resource: 'invoke' });
    expect(splitResource('arn:aws:states:::aws-sdk:dynamodb:getItem')).toEqual({ resourceType: 'aws-sdk:dynamodb', resource: 'getItem' });
    expect(splitResource('arn:aws:states:::sqs:sendMessage.waitForTaskToken')).toEqual({ resourceType: 'sqs', resource: 'sendMessage.waitForTaskToken' });
  });
});
