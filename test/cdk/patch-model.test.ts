import { closeObjects, itemModelSchema, mergePatchSchema, patchModelSchema } from '../../cdk/crud-resource';
import { RESOURCES } from '../../cdk/resources';
import { ModelRegistry, validateBody } from '../../local/apigateway/models';

/** The merge-patch model builder on shapes the declared schemas do not have (yet); validated as the local API Gateway does. */
const DRAFT_04 = 'http://json-schema.org/draft-04/schema#';
const validator = (schema: object) => {
  const patch = mergePatchSchema(schema, 'thingId', 'ThingsPatch');
  return new ModelRegistry({ ThingsPatch: patch }).validator('ThingsPatch');
};

test('drops required, keeps the key and required attributes non-null, lets every optional attribute be null', () => {
  const validate = validator({
    $schema: DRAFT_04,
    title: 'Thing',
    type: 'object',
    properties: {
      thingId: { type: 'string' },
      name: { type: 'string' },
      count: { type: 'integer', minimum: 0 },
      tags: { type: ['array', 'string'], items: { type: 'string' } },
    },
    required: ['name'],
  });
  expect(validate({})).toBe(false); // an empty patch changes nothing: minProperties 1
  expect(validate({ count: null, tags: null })).toBe(true);
  expect(validate({ count: -1 })).toBe(false);
  expect(validate({ tags: 3 })).toBe(false);
  expect(validate({ name: null })).toBe(false);
  expect(validate({ thingId: null })).toBe(false);
});

test('an enum gains null once; a property without a type, or a composite one, becomes anyOf [it, null]', () => {
  const patch = mergePatchSchema(
    {
      type: 'object',
      properties: {
        size: { type: 'string', enum: ['s', 'm'] },
        mood: { type: ['string', 'null'], enum: ['happy', null] },
        colour: { enum: ['red', 'blue'] },
        shape: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
      },
    },
    'thingId',
    'ThingsPatch',
  ) as { properties: Record<string, object> };
  expect(patch.properties.size).toEqual({ type: ['string', 'null'], enum: ['s', 'm', null] });
  expect(patch.properties.mood).toEqual({ type: ['string', 'null'], enum: ['happy', null] });
  expect(patch.properties.colour).toEqual({ anyOf: [{ enum: ['red', 'blue'] }, { type: 'null' }] });

  const validate = validator(patch);
  expect(validate({ size: null, mood: null, colour: null, shape: null })).toBe(true);
  expect(validate({ size: 'xl' })).toBe(false);
  expect(validate({ colour: 'green' })).toBe(false);
  expect(validate({ shape: true })).toBe(false);
});

test('additionalProperties stays as the full model has it; as a schema, an extra attribute may be null too', () => {
  const closed = validator({ type: 'object', properties: { name: { type: 'string' } }, additionalProperties: false });
  expect(closed({ name: null })).toBe(true);
  expect(closed({ other: null })).toBe(false);

  const typed = validator({ type: 'object', properties: {}, additionalProperties: { type: 'number' }, patternProperties: { '^x-': { type: 'string' } } });
  expect(typed({ weight: 3, 'x-note': 'hi' })).toBe(true);
  expect(typed({ weight: null, 'x-note': null })).toBe(true);
  expect(typed({ weight: 'heavy' })).toBe(false);
  expect(typed({ 'x-note': 1 })).toBe(false);
});

test('nested values keep their schema: they are replaced whole, not merged', () => {
  const validate = validator({
    type: 'object',
    properties: { address: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
  });
  expect(validate({ address: null })).toBe(true);
  expect(validate({ address: { city: 'Leeds' } })).toBe(true);
  expect(validate({ address: { city: null } })).toBe(false);
  expect(validate({ address: {} })).toBe(false);
});

describe('unknown properties are refused by default', () => {
  const thing = {
    $schema: DRAFT_04,
    type: 'object',
    properties: {
      name: { type: 'string' },
      lines: { type: 'array', items: { type: 'object', properties: { sku: { type: 'string' } } } },
      meta: { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      either: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }, { type: 'string' }] },
    },
  };

  test('every object schema without its own additionalProperties is closed, through properties and items; composites stay open', () => {
    const closed = closeObjects(thing) as any;
    expect(closed.additionalProperties).toBe(false);
    expect(closed.properties.lines.items.additionalProperties).toBe(false);
    expect(closed.properties.meta.additionalProperties).toEqual({ type: 'string' });
    expect(closed.properties.either.anyOf[0]).not.toHaveProperty('additionalProperties');
    expect(thing).not.toHaveProperty('additionalProperties'); // the declaration's schema is not changed
  });

  test('a declaration may allow them', () => {
    expect(itemModelSchema({ name: 'things', key: 'thingId', schema: thing, allowUnknownProperties: true })).toBe(thing);
    expect(itemModelSchema({ name: 'things', key: 'thingId', schema: thing })).toMatchObject({ additionalProperties: false });
  });

  test.each(RESOURCES.map((r) => [r.name, r] as const))('%s: POST/PUT and PATCH models refuse a typo and the workflow\'s bookkeeping names, naming them as API Gateway\'s validator does', (_name, declaration) => {
    const models = new ModelRegistry({ Item: itemModelSchema(declaration), Patch: patchModelSchema(declaration, 'Patch') });
    const report = validateBody(models, 'Patch', JSON.stringify({ custmer: 'typo', requestToken: 'x', lastRequestAt: 1, version: 3 }));
    expect(report).toEqual(['object instance has properties which are not allowed by the schema: ["custmer","lastRequestAt","requestToken","version"]']);
    expect(validateBody(models, 'Item', JSON.stringify({ custmer: 'typo' }))).toContain('object instance has properties which are not allowed by the schema: ["custmer"]');
    expect(validateBody(models, 'Patch', '{}')).toEqual(['object has too few properties (found 0 but schema requires at least 1)']);
  });
});
