/**
 * DynamoDB's item size limit: 400 KB (409,600 bytes), counted in UTF-8 bytes of attribute names and values.
 * "The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length)
 * and attribute value lengths (again binary length)."
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items
 * "Strings are Unicode with UTF-8 binary encoding. The size of a string is (number of UTF-8-encoded bytes of
 * attribute name) + (number of UTF-8-encoded bytes)"; a map or list adds 3 bytes plus 1 per element.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 * Over it: ValidationException "Item size has exceeded the maximum allowed size" (PutItem, BatchWriteItem) and
 * "Item size to update has exceeded the maximum allowed size" (UpdateItem), dynalite's messages.
 */
import { DynamoDbService } from '../../../local/services/dynamodb';
import { AwsError } from '../../../local/services/errors';
import { rejectsWith } from '../endpoint/helpers';

const MAX = 409600;
const CJK = '\u4e2d'; // 3 bytes in UTF-8
const TOO_BIG = 'Item size has exceeded the maximum allowed size';

describe('DynamoDB item size (400 KB, UTF-8)', () => {
  let dynamo: DynamoDbService;
  const put = (Item: object) => dynamo.call('PutItem', { TableName: 'items', Item });

  beforeAll(async () => {
    dynamo = await DynamoDbService.open({ inMemory: true });
    await dynamo.call('CreateTable', {
      TableName: 'items',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });
  afterAll(() => dynamo.close());

  it('accepts an item of exactly 409,600 bytes and rejects 409,601 with ValidationException', async () => {
    // 'pk' + 'a' = 3 bytes, 'd' = 1 byte: the string makes up the rest.
    await put({ pk: { S: 'a' }, d: { S: 'x'.repeat(MAX - 4) } });
    const err = await rejectsWith<AwsError>(put({ pk: { S: 'a' }, d: { S: 'x'.repeat(MAX - 3) } }), 'ValidationException');
    expect(err.message).toBe(TOO_BIG);
    expect(err.httpStatus).toBe(400);
    expect(err.type).toBe('com.amazon.coral.validate#ValidationException');
  });

  it('counts strings in UTF-8 bytes: 150,000 CJK characters (450,000 bytes) are too big', async () => {
    await rejectsWith(put({ pk: { S: 'b' }, d: { S: CJK.repeat(150000) } }), 'ValidationException');
    // 136,532 CJK characters = 409,596 bytes: exactly at the limit with 'pk', 'b', 'd'.
    await put({ pk: { S: 'b' }, d: { S: CJK.repeat(136532) } });
    await rejectsWith(put({ pk: { S: 'b' }, d: { S: CJK.repeat(136532) + 'x' } }), 'ValidationException');
  });

  it('counts attribute names, string sets, and nested map keys and values in UTF-8 too', async () => {
    const name = CJK.repeat(10); // 30 bytes
    await put({ pk: { S: 'c' }, [name]: { S: 'x'.repeat(MAX - 3 - 30) } });
    await rejectsWith(put({ pk: { S: 'c' }, [name]: { S: 'x'.repeat(MAX - 3 - 29) } }), 'ValidationException');

    // SS: the sum of its strings.
    const set = [CJK.repeat(60000), 'y'.repeat(MAX - 3 - 1 - 180000)];
    await put({ pk: { S: 'c' }, s: { SS: set } });
    await rejectsWith(put({ pk: { S: 'c' }, s: { SS: [set[0], set[1] + 'y'] } }), 'ValidationException');

    // M: 3 bytes + 1 per entry + the entries (names and values); L: 3 bytes + 1 per element + the elements.
    // 'pk'+'c' (3) + 'm' (1) + 3 + 1 + 'k' (1) + L: 3 + 1 + string = 13 bytes around the string.
    const nested = (s: string) => ({ pk: { S: 'c' }, m: { M: { k: { L: [{ S: s }] } } } });
    await put(nested(CJK.repeat(Math.floor((MAX - 13) / 3)) + 'x'.repeat((MAX - 13) % 3)));
    await rejectsWith(put(nested(CJK.repeat(Math.floor((MAX - 13) / 3)) + 'x'.repeat(((MAX - 13) % 3) + 1))), 'ValidationException');
  });

  it('sizes numbers, binaries and booleans as before (bytes, not characters)', async () => {
    // B counts decoded bytes: 'pk'+'d'(3) + 'b'(1) + 409,596 bytes.
    await put({ pk: { S: 'd' }, b: { B: Buffer.alloc(MAX - 4).toString('base64') } });
    await rejectsWith(put({ pk: { S: 'd' }, b: { B: Buffer.alloc(MAX - 3).toString('base64') } }), 'ValidationException');
  });

  it('BatchWriteItem rejects the whole request when one item is too big', async () => {
    const err = await rejectsWith<AwsError>(
      dynamo.call('BatchWriteItem', {
        RequestItems: { items: [{ PutRequest: { Item: { pk: { S: 'e1' } } } }, { PutRequest: { Item: { pk: { S: 'e2' }, d: { S: CJK.repeat(140000) } } } }] },
      }),
      'ValidationException',
    );
    expect(err.message).toBe(TOO_BIG);
    expect((await dynamo.call('GetItem', { TableName: 'items', Key: { pk: { S: 'e1' } } })).Item).toBeUndefined();
  });

  it('UpdateItem that would grow an item over 400 KB fails and leaves it as it was', async () => {
    await put({ pk: { S: 'f' }, a: { S: CJK.repeat(100000) } }); // 300,000 bytes
    const err = await rejectsWith<AwsError>(
      dynamo.call('UpdateItem', {
        TableName: 'items',
        Key: { pk: { S: 'f' } },
        UpdateExpression: 'SET b = :b',
        ExpressionAttributeValues: { ':b': { S: CJK.repeat(40000) } }, // 120,000 bytes more
      }),
      'ValidationException',
    );
    expect(err.message).toBe('Item size to update has exceeded the maximum allowed size');
    const item = (await dynamo.call('GetItem', { TableName: 'items', Key: { pk: { S: 'f' } } })).Item;
    expect(Object.keys(item).sort()).toEqual(['a', 'pk']);
    // Within the limit, the same update works: 300,000 + 100,000 + names.
    await dynamo.call('UpdateItem', { TableName: 'items', Key: { pk: { S: 'f' } }, UpdateExpression: 'SET b = :b', ExpressionAttributeValues: { ':b': { S: CJK.repeat(33000) } } });
  });
});
