/** EventBridge event patterns (examples from the EventBridge user guide's content-filtering page). */
import { EventPatternError, compileEventPattern } from '../../../local/services/events/pattern';

const event = {
  version: '0',
  id: '1',
  'detail-type': 'Order Placed',
  source: 'com.example.orders',
  account: '123456789012',
  time: '2024-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:dynamodb:us-east-1:123456789012:table/orders'],
  detail: { state: 'created', total: 42.5, items: ['apple', 'pear'], customer: { tier: 'gold', email: 'A@Example.com' }, note: null, ip: '10.0.0.1' },
};

const matches = (pattern: unknown) => compileEventPattern(pattern)(event);

describe('event patterns', () => {
  test.each([
    [{ source: ['com.example.orders'] }, true],
    [{ source: ['other', 'com.example.orders'] }, true],
    [{ source: ['other'] }, false],
    [{ source: ['com.example.orders'], 'detail-type': ['Order Shipped'] }, false],
    [{ detail: { customer: { tier: ['gold'] } } }, true],
    [{ detail: { customer: { tier: ['silver'] } } }, false],
    [{ detail: { items: ['pear'] } }, true], // an array in the event: any element
    [{ detail: { items: ['plum'] } }, false],
    [{ detail: { total: [42.5] } }, true],
    [{ detail: { total: ['42.5'] } }, false], // a string never matches a number
    [{ detail: { note: [null] } }, true],
    [{ source: [{ prefix: 'com.example.' }] }, true],
    [{ source: [{ prefix: 'org.' }] }, false],
    [{ 'detail-type': [{ suffix: 'Placed' }] }, true],
    [{ detail: { customer: { email: [{ 'equals-ignore-case': 'a@example.com' }] } } }, true],
    [{ source: [{ prefix: { 'equals-ignore-case': 'COM.EXAMPLE' } }] }, true],
    [{ source: [{ wildcard: 'com.*.orders' }] }, true],
    [{ source: [{ wildcard: 'com.*.users' }] }, false],
    [{ detail: { state: [{ 'anything-but': 'deleted' }] } }, true],
    [{ detail: { state: [{ 'anything-but': ['created', 'deleted'] }] } }, false],
    [{ detail: { state: [{ 'anything-but': { prefix: 'cre' } }] } }, false],
    [{ detail: { missing: [{ 'anything-but': 'x' }] } }, false], // anything-but needs the field
    [{ detail: { total: [{ numeric: ['>', 40, '<=', 50] }] } }, true],
    [{ detail: { total: [{ numeric: ['<', 40] }] } }, false],
    [{ detail: { total: [{ numeric: ['=', 42.5] }] } }, true],
    [{ detail: { state: [{ exists: true }] } }, true],
    [{ detail: { missing: [{ exists: true }] } }, false],
    [{ detail: { missing: [{ exists: false }] } }, true],
    [{ detail: { state: [{ exists: false }] } }, false],
    [{ detail: { customer: [{ exists: true }] } }, false], // exists matches leaves only
    [{ detail: { absent: { deeper: [{ exists: false }] } } }, true],
    [{ source: ['com.example.orders'], $or: [{ detail: { state: ['deleted'] } }, { detail: { total: [{ numeric: ['>', 10] }] } }] }, true],
    [{ $or: [{ detail: { state: ['deleted'] } }, { detail: { total: [{ numeric: ['>', 100] }] } }] }, false],
  ])('%j → %s', (pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });

  test('accepts the pattern as JSON text, as CloudFormation may give it', () => {
    expect(matches(JSON.stringify({ source: ['com.example.orders'] }))).toBe(true);
  });

  test.each([
    [{}, 'non-empty'],
    [{ source: 'com.example.orders' }, 'must be an array or an object'],
    [{ detail: { ip: [{ cidr: '10.0.0.0/24' }] } }, 'cidr operator is not supported'],
    [{ detail: { total: [{ numeric: ['>>', 1] }] } }, 'not an operator'],
    [{ detail: { total: [{ prefix: 'a', suffix: 'b' }] } }, 'exactly one operator'],
    ['{not json', 'not valid JSON'],
  ])('rejects %j, saying why', (pattern, message) => {
    expect(() => compileEventPattern(pattern)).toThrow(EventPatternError);
    expect(() => compileEventPattern(pattern)).toThrow(message);
  });
});
