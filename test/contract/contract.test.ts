/**
 * The contract test: against the local cloud, every route of the OpenAPI document the API serves, and every
 * status code the document lists for it, is provoked by a row of PROVOCATIONS and checked against the
 * document (status, headers, body schema). A documented status no row provokes fails the test, so the
 * document cannot promise more than the API does; an answer the document does not describe fails it too.
 * Then fast-check sends generated bad requests, which must get a documented 4xx problem and store nothing.
 */
import fc from 'fast-check';
import { RESOURCES } from '../../cdk/resources';
import { LOCAL_CREDENTIALS } from '../../local/auth/sign-request';
import type { LocalCloud } from '../e2e/helpers';
import { resourceOf, startTestCloud, storedIds, RESOURCE_CASES, ResourceCase } from '../e2e/helpers';
import { Answer, ContractChecker, SendOptions, send } from './contract-checker';

jest.setTimeout(300_000);

let cloud: LocalCloud;
let checker: ContractChecker;
const failures: string[] = [];
let counter = 0;
/** A second IAM caller: request records are shown to their own caller only. */
const OTHER_CALLER = { accessKeyId: 'other', secretAccessKey: 'other-secret' };

beforeAll(async () => {
  // Throttling on: the document lists 429, so this test provokes it.
  cloud = await startTestCloud({ credentials: [LOCAL_CREDENTIALS, OTHER_CALLER], throttling: true });
  const res = await fetch(`${cloud.apiUrl}/openapi.json`);
  expect(res.status).toBe(200);
  checker = new ContractChecker((await res.json()) as Record<string, any>);
});
afterAll(() => cloud?.stop());

/** Sends, checks against the document, and returns the answer. */
async function call(method: string, docPath: string, urlPath: string, options: SendOptions = {}): Promise<Answer> {
  const answer = await send(cloud.apiUrl, method, urlPath, { apiKey: apiKey(), ...options });
  failures.push(...checker.check(method, docPath, answer));
  return answer;
}

/** The first usage plan's key, when the stack has clients (every method but the document needs one). */
function apiKey(): string | undefined {
  return (cloud as LocalCloud & { apiKeys?: { value: string }[] }).apiKeys?.[0]?.value;
}

function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${++counter}`;
}

/** 10.5 MB: over API Gateway's 10 MB payload limit (the closed models accept no body over the workflow's 100 KiB). */
const OVERSIZE = JSON.stringify({ padding: 'x'.repeat(10.5 * 1024 * 1024) });

interface Route {
  method: string;
  docPath: string;
  /** A request that reaches the state machine (valid body, existing or not id). */
  path(): string;
  body?(): string;
}

function routesOf(r: ResourceCase): Route[] {
  const item = `/${r.name}/{id}`;
  const collection = `/${r.name}`;
  const body = () => JSON.stringify(r.sample(++counter));
  return [
    { method: 'GET', docPath: collection, path: () => collection },
    { method: 'POST', docPath: collection, path: () => collection, body },
    { method: 'PUT', docPath: collection, path: () => collection, body },
    { method: 'PATCH', docPath: collection, path: () => collection, body: () => JSON.stringify(r.patch) },
    { method: 'DELETE', docPath: collection, path: () => collection },
    { method: 'GET', docPath: item, path: () => `${collection}/${unique('x')}` },
    { method: 'PUT', docPath: item, path: () => `${collection}/${unique('x')}`, body },
    { method: 'PATCH', docPath: item, path: () => `${collection}/${unique('x')}`, body: () => JSON.stringify(r.patch) },
    { method: 'DELETE', docPath: item, path: () => `${collection}/${unique('x')}` },
    { method: 'POST', docPath: item, path: () => `${collection}/${unique('x')}`, body },
  ];
}

async function create(r: ResourceCase): Promise<{ id: string; etag: string }> {
  const res = await call('POST', `/${r.name}`, `/${r.name}`, { body: JSON.stringify(r.sample(++counter)) });
  expect(res.status).toBe(201);
  const id = JSON.parse(res.text)[r.key];
  return { id, etag: res.headers.get('etag')! };
}

/** Runs `fn` while the resource's state machine has another definition (UpdateStateMachine, locally). */
async function withDefinition(r: ResourceCase, definition: object, fn: () => Promise<void>): Promise<void> {
  const arn = resourceOf(cloud, r.name).stateMachineArn;
  const original = cloud.stepFunctions.getStateMachine(arn)!;
  const recreate = (text: string) => {
    cloud.stepFunctions.deleteStateMachine(arn);
    cloud.stepFunctions.createStateMachine({
      name: original.name,
      type: original.type,
      definition: text,
      roleArn: original.roleArn,
      loggingConfiguration: original.loggingConfiguration,
      tracingConfiguration: original.tracingConfiguration,
    });
  };
  recreate(JSON.stringify(definition));
  try {
    await fn();
  } finally {
    recreate(original.definition);
  }
}

async function withFault(rule: Parameters<LocalCloud['services']['faults']['add']>[0], fn: () => Promise<void>): Promise<void> {
  const { id } = cloud.services.faults.add({ count: 1, ...rule });
  try {
    await fn();
  } finally {
    cloud.services.faults.remove(id);
    await closeCircuits();
  }
}

/** Forgets the failures the provoked faults counted: no circuit is open for the requests that follow (docs/circuit-breaker.md). */
async function closeCircuits(): Promise<void> {
  const TableName = cloud.outputs.CircuitTableName;
  const { Items } = await cloud.services.dynamodb.call('Scan', { TableName });
  for (const item of Items) await cloud.services.dynamodb.call('DeleteItem', { TableName, Key: { pk: item.pk } });
}

const expectStatus = (answer: Answer, status: number) => expect({ status: answer.status, body: answer.text.slice(0, 300) }).toEqual({ status, body: expect.any(String) });

describe.each(RESOURCE_CASES)('$name: every route and documented status', (r) => {
  const collection = `/${r.name}`;
  const item = `/${r.name}/{id}`;
  const tableName = () => resourceOf(cloud, r.name).tableName;

  it('GET the collection: 200, 400', async () => {
    await create(r);
    expectStatus(await call('GET', collection, `${collection}?limit=1`), 200);
    expectStatus(await call('GET', collection, `${collection}?limit=0`), 400);
    expectStatus(await call('GET', collection, `${collection}?next=not-a-cursor`), 400);
  });

  it('POST: 201, 202, 400, 409, 413, 415, 422', async () => {
    const first = await create(r);
    expect(first.etag).toBe('"1"');
    await withFault({ service: 'dynamodb', operation: 'PutItem', table: tableName(), error: 'ResourceNotFoundException' }, async () => {
      expectStatus(await call('POST', collection, collection, { body: JSON.stringify(r.sample(++counter)) }), 202);
    });
    expectStatus(await call('POST', collection, collection, { body: JSON.stringify(r.missingRequired.body) }), 400);
    expectStatus(await call('POST', collection, collection, { body: JSON.stringify({ ...r.sample(++counter), [r.key]: first.id }) }), 409);
    expectStatus(await call('POST', collection, collection, { body: OVERSIZE }), 413);
    expectStatus(await call('POST', collection, collection, { body: JSON.stringify(r.sample(++counter)), headers: { 'Content-Type': 'text/plain' } }), 415);
    const key = unique('key');
    expectStatus(await call('POST', collection, collection, { body: JSON.stringify(r.sample(++counter)), headers: { 'Idempotency-Key': key } }), 201);
    expectStatus(await call('POST', collection, collection, { body: JSON.stringify(r.sample(++counter)), headers: { 'Idempotency-Key': key } }), 422);
  });

  it('GET an item: 200, 304, 404', async () => {
    const { id, etag } = await create(r);
    expectStatus(await call('GET', item, `${collection}/${id}`), 200);
    expectStatus(await call('GET', item, `${collection}/${id}`, { headers: { 'If-None-Match': etag } }), 304);
    expectStatus(await call('GET', item, `${collection}/${unique('missing')}`), 404);
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    const valid = () => JSON.stringify(method === 'PUT' ? r.replacement : r.patch);
    it(`${method}: 200, 202, 400, 404, 409, 412, 413, 415, 422`, async () => {
      const { id } = await create(r);
      const path = `${collection}/${id}`;
      expectStatus(await call(method, item, path, { body: valid(), headers: { 'If-Match': '"1"' } }), 200);
      await withFault({ service: 'dynamodb', operation: 'GetItem', table: tableName(), error: 'ResourceNotFoundException' }, async () => {
        expectStatus(await call(method, item, path, { body: valid() }), 202);
      });
      expectStatus(await call(method, item, path, { body: JSON.stringify(method === 'PUT' ? r.wrongType : r.badPatch) }), 400);
      expectStatus(await call(method, item, `${collection}/${unique('missing')}`, { body: valid() }), 404);
      await expectInProgress(method, path, valid());
      expectStatus(await call(method, item, path, { body: valid(), headers: { 'If-Match': '"999"' } }), 412);
      expectStatus(await call(method, item, path, { body: OVERSIZE }), 413);
      expectStatus(await call(method, item, path, { body: valid(), headers: { 'Content-Type': 'text/plain' } }), 415);
      expectStatus(await call(method, item, path, { body: JSON.stringify({ ...JSON.parse(valid()), [r.key]: `${id}-other` }) }), 422);
      if (method === 'PATCH') {
        const merge = await call(method, item, path, { body: valid(), headers: { 'Content-Type': 'application/merge-patch+json' } });
        expectStatus(merge, 200);
      }
    });
  }

  it('DELETE: 204, 202, 404, 409, 412, 422', async () => {
    const { id } = await create(r);
    const path = `${collection}/${id}`;
    await withFault({ service: 'dynamodb', operation: 'GetItem', table: tableName(), error: 'ResourceNotFoundException' }, async () => {
      expectStatus(await call('DELETE', item, path), 202);
    });
    expectStatus(await call('DELETE', item, path, { headers: { 'If-Match': '"999"' } }), 412);
    await expectInProgress('DELETE', path);
    const other = await create(r);
    const key = unique('key');
    expectStatus(await call('DELETE', item, `${collection}/${other.id}`, { headers: { 'Idempotency-Key': key } }), 204);
    expectStatus(await call('DELETE', item, path, { headers: { 'Idempotency-Key': key } }), 422);
    // The first of the two in-progress requests deleted it.
    expectStatus(await call('DELETE', item, path), 404);
  });

  it('the methods a path does not support: 405 with Allow', async () => {
    const unsupported = routesOf(r).filter((x) => (x.docPath === collection ? ['PUT', 'PATCH', 'DELETE'] : ['POST']).includes(x.method));
    expect(unsupported).toHaveLength(4);
    for (const route of unsupported) {
      expectStatus(await call(route.method, route.docPath, route.path(), { body: route.body?.() }), 405);
    }
  });

  it('every route: 403 unsigned; 502 and 503 when StartSyncExecution is refused; 500 and 504 when the execution fails or times out', async () => {
    const routes = routesOf(r);
    for (const route of routes) {
      expectStatus(await call(route.method, route.docPath, route.path(), { body: route.body?.(), unsigned: true }), 403);
      await withFault({ service: 'stepfunctions', operation: 'StartSyncExecution', error: 'StateMachineDoesNotExist' }, async () => {
        expectStatus(await call(route.method, route.docPath, route.path(), { body: route.body?.() }), 502);
      });
      await withFault({ service: 'stepfunctions', operation: 'StartSyncExecution', error: 'ThrottlingException' }, async () => {
        expectStatus(await call(route.method, route.docPath, route.path(), { body: route.body?.() }), 503);
      });
    }
    await withDefinition(r, { StartAt: 'Fail', States: { Fail: { Type: 'Fail', Error: 'Provoked', Cause: 'contract test' } } }, async () => {
      for (const route of routes) expectStatus(await call(route.method, route.docPath, route.path(), { body: route.body?.() }), 500);
    });
    await withDefinition(r, { StartAt: 'Wait', TimeoutSeconds: 1, States: { Wait: { Type: 'Wait', Seconds: 5, End: true } } }, async () => {
      const answers = await Promise.all(routes.map((route) => call(route.method, route.docPath, route.path(), { body: route.body?.() })));
      for (const answer of answers) expectStatus(answer, 504);
    });
  });

  /** 409: a second request with the Idempotency-Key of one still running (its read of the item is slowed down). */
  async function expectInProgress(method: string, path: string, body?: string): Promise<void> {
    const key = unique('key');
    const { id } = cloud.services.faults.add({ service: 'dynamodb', operation: 'GetItem', table: tableName(), latencyMs: 700, count: 1 });
    try {
      const first = call(method, item, path, { body, headers: { 'Idempotency-Key': key } });
      await new Promise((resolve) => setTimeout(resolve, 250));
      expectStatus(await call(method, item, path, { body, headers: { 'Idempotency-Key': key } }), 409);
      await first;
    } finally {
      cloud.services.faults.remove(id);
    }
  }
});

describe('GET /requests/{id} and GET /openapi.json', () => {
  it('a request record: 200 (unknown or queued), 404 to another caller, 503 when the table cannot be read, 403 unsigned', async () => {
    expectStatus(await call('GET', '/requests/{id}', `/requests/${unique('never')}`), 200);
    const orders = RESOURCE_CASES[0];
    let location = '';
    await withFault({ service: 'dynamodb', operation: 'PutItem', table: resourceOf(cloud, orders.name).tableName, error: 'ResourceNotFoundException' }, async () => {
      const queued = await call('POST', `/${orders.name}`, `/${orders.name}`, { body: JSON.stringify(orders.sample(++counter)) });
      expectStatus(queued, 202);
      location = queued.headers.get('location')!.replace(/^\/v1/, '');
    });
    expectStatus(await call('GET', '/requests/{id}', location), 200);
    expectStatus(await call('GET', '/requests/{id}', location, { credentials: OTHER_CALLER }), 404);
    await withFault({ service: 'dynamodb', operation: 'GetItem', table: cloud.outputs.RequestsTableName, error: 'ProvisionedThroughputExceededException' }, async () => {
      expectStatus(await call('GET', '/requests/{id}', `/requests/${unique('any')}`), 503);
    });
    expectStatus(await call('GET', '/requests/{id}', `/requests/${unique('any')}`, { unsigned: true }), 403);
  });

  it('the document itself: 200 without signing', async () => {
    expectStatus(await call('GET', '/openapi.json', '/openapi.json', { unsigned: true }), 200);
  });
});

describe('429 when throttled', () => {
  it('every route answers 429 once its bucket is empty (the client\'s usage plan; the stage\'s for the public document)', async () => {
    const routes = [...RESOURCE_CASES.flatMap(routesOf), { method: 'GET', docPath: '/requests/{id}', path: () => `/requests/${unique('any')}` }, { method: 'GET', docPath: '/openapi.json', path: () => '/openapi.json' }] as Route[];
    for (const route of routes) {
      if (!checker.operation(route.method, route.docPath).responses['429']) continue;
      const isPublic = route.docPath === '/openapi.json';
      // One wave: the cheapest requests that share the route's bucket (the document itself, or request records: no
      // execution), then a few of the route's own; those arrive at an empty bucket.
      const flood = isPublic ? () => send(cloud.apiUrl, 'GET', '/openapi.json', { unsigned: true }) : () => send(cloud.apiUrl, 'GET', `/requests/${unique('flood')}`, { apiKey: apiKey() });
      for (let attempt = 0; attempt < 3; attempt++) {
        const flooding = Array.from({ length: isPublic ? 300 : 200 }, flood);
        const targets = Array.from({ length: 5 }, () => call(route.method, route.docPath, route.path(), { body: route.body?.() }));
        const statuses = (await Promise.all(targets)).map((a) => a.status);
        await Promise.all(flooding);
        if (statuses.includes(429)) break;
      }
    }
    // Full buckets again for the tests that follow (50 and 100 tokens a second).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  });
});

describe('generated bad requests (fast-check)', () => {
  it('wrong types, missing required, unknown properties, bad JSON, non-objects, oversize bodies, bad ids: a documented 4xx problem, nothing stored', async () => {
    await closeCircuits();
    const before = new Map<string, number>();
    for (const r of RESOURCE_CASES) before.set(r.name, (await storedIds(cloud, r)).length);
    const badBodies = (r: ResourceCase) => {
      const declaration = RESOURCES.find((d) => d.name === r.name)!;
      const schema = declaration.schema as { properties: Record<string, { type?: string }>; required: string[] };
      const names = Object.keys(schema.properties).filter((p) => p !== r.key);
      const wrongValue = (type?: string) => fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 2 }), fc.string()).filter((v) => jsonType(v) !== type);
      return fc.oneof(
        // A declared property of the wrong type.
        fc.constantFrom(...names).chain((name) => wrongValue(schema.properties[name].type).map((v) => JSON.stringify({ ...r.sample(0), [name]: v }))),
        // A required property missing.
        fc.constantFrom(...schema.required).map((name) => {
          const body: Record<string, unknown> = { ...r.sample(0) };
          delete body[name];
          return JSON.stringify(body);
        }),
        // A property the model does not declare.
        fc
          .string({ minLength: 1, maxLength: 12 })
          .filter((name) => !(name in schema.properties))
          .chain((name) => fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify({ ...r.sample(0), [name]: v }))),
        // Not JSON at all, or JSON that is not an object.
        fc.string({ maxLength: 40 }).filter((text) => !isJson(text)),
        // Over API Gateway's 10 MB payload limit (a valid body is far below the workflow's 100 KiB).
        fc.integer({ min: 1, max: 4096 }).map((extra) => JSON.stringify({ ...r.sample(0), padding: 'x'.repeat(10 * 1024 * 1024 + extra) })),
        fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.array(fc.integer())).map((v) => JSON.stringify(v)),
      );
    };
    const badRequest = fc.constantFrom(...RESOURCE_CASES).chain((r) =>
      fc.oneof(
        fc.record({ r: fc.constant(r), method: fc.constant('POST'), item: fc.constant(false), body: badBodies(r) }),
        fc.record({ r: fc.constant(r), method: fc.constantFrom('PUT', 'PATCH'), item: fc.constant(true), body: badBodies(r) }),
        // Ids nobody created, in any characters a path segment can carry.
        fc.record({
          r: fc.constant(r),
          method: fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH'),
          item: fc.constant(true),
          id: fc.string({ minLength: 1, maxLength: 60, unit: 'grapheme' }).filter((s) => s !== '.' && s !== '..'),
        }),
      ),
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(badRequest, async (request: { r: ResourceCase; method: string; item: boolean; body?: string; id?: string }) => {
        runs++;
        const { r, method, item } = request;
        const id = request.id ?? `bad-${++counter}`;
        const docPath = item ? `/${r.name}/{id}` : `/${r.name}`;
        const urlPath = item ? `/${r.name}/${encodeURIComponent(id)}` : `/${r.name}`;
        const body = request.body ?? (method === 'PUT' ? JSON.stringify(r.replacement) : method === 'PATCH' ? JSON.stringify(r.patch) : undefined);
        const before = failures.length;
        const answer = await call(method, docPath, urlPath, { body });
        const problems = failures.splice(before);
        if (problems.length > 0) throw new Error(problems.join('\n'));
        if (answer.status < 400 || answer.status >= 500) throw new Error(`${method} ${urlPath} ${body ?? ''} → ${answer.status} ${answer.text}`);
        if (!(answer.headers.get('content-type') ?? '').startsWith('application/problem+json')) throw new Error(`not problem JSON: ${answer.text}`);
      }),
      { numRuns: 300, interruptAfterTimeLimit: 90_000 },
    );
    expect(runs).toBeGreaterThanOrEqual(300);
    for (const r of RESOURCE_CASES) expect((await storedIds(cloud, r)).length).toBe(before.get(r.name));
  });
});

describe('the document and the API agree', () => {
  it('every answer matched the document', () => {
    expect(failures).toEqual([]);
  });

  it('every documented route and status was provoked', () => {
    const missing = checker.documented().filter((k) => !checker.seen.has(k));
    expect(missing).toEqual([]);
  });
});

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
