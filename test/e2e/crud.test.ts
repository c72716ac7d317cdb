/**
 * Every route and status code of both resources, over plain HTTP against the local cloud running the
 * synthesized template (API Gateway VTL + models → StartSyncExecution → the ASL → DynamoDB).
 */
import { randomUUID } from 'node:crypto';
import {
  Api,
  HttpResponse,
  ISO_DATE,
  LocalCloud,
  RESOURCE_CASES,
  executionsNamed,
  expectExecution,
  expectGatewayProblem,
  expectGatewayRejection,
  expectProblem,
  idFromIdempotencyKey,
  LOCAL_CALLER,
  listAllPages,
  startTestCloud,
  storedIds,
  storedItem,
} from './helpers';

let cloud: LocalCloud;
let api: Api;

beforeAll(async () => {
  cloud = await startTestCloud();
  api = new Api(cloud.apiUrl);
});

afterAll(async () => {
  await cloud?.stop();
});

describe.each(RESOURCE_CASES)('/$name', (resource) => {
  const { name, key } = resource;
  const collection = `/${name}`;
  const itemPath = (id: string) => `/${name}/${encodeURIComponent(id)}`;
  let counter = 0;
  const sample = () => resource.sample(++counter);

  /** Creates an item with a client-chosen id and returns the 201 response. */
  async function create(body: Record<string, unknown> = sample()): Promise<HttpResponse & { id: string }> {
    const id = `${name}-${randomUUID()}`;
    const res = await api.post(collection, { ...body, [key]: id });
    expect(res.status).toBe(201);
    return { ...res, id };
  }

  /** The execution answered with the response's status (see expectExecution). */
  const traced = (res: HttpResponse) => expectExecution(cloud, res, name);

  describe('POST /' + name, () => {
    it('creates an item named after the request id → 201, Location, ETag "1", the stored item, application/json', async () => {
      const body = sample();
      const res = await api.post(collection, body);
      expect(res.status).toBe(201);
      const id = res.requestId!;
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(res.headers.get('location')).toBe(`${api.stagePath}/${name}/${id}`);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.json).toEqual({ ...body, [key]: id, version: 1, createdAt: expect.stringMatching(ISO_DATE), updatedAt: expect.stringMatching(ISO_DATE) });
      expect(res.json.updatedAt).toBe(res.json.createdAt);
      traced(res);

      const stored = await storedItem(cloud, resource, id);
      expect(stored).toEqual({
        [key]: { S: id },
        version: { N: '1' },
        data: { S: expect.any(String) },
        requestToken: { S: res.requestId },
        // The tokens of the last writes with the version each made: a retry finds its own write here
        recentTokens: { L: [{ M: { t: { S: res.requestId }, v: { N: '1' } } }] },
        lastRequestAt: { N: expect.stringMatching(/^\d{13}$/) },
        // UTF-8 bytes of data (pages are bounded by it)
        size: { N: String(Buffer.byteLength(stored!.data.S)) },
      });
      expect(JSON.parse(stored!.data.S)).toEqual(res.json);
    });

    it('keeps a client-chosen id and every character of string attributes (quotes, backslashes, unicode survive the VTL escaping)', async () => {
      const id = `o'neil-${randomUUID()}`;
      const tricky = `Ada "the Countess" O'Neil \\ back\\slash / tab\t newline\n é ü 🍕 </script>`;
      // A declared free-text attribute (models refuse undeclared ones): orders' notes, customers' name.
      const body = { ...sample(), [key]: id, [name === 'orders' ? 'notes' : 'name']: tricky };
      const res = await api.post(collection, body);
      expect(res.status).toBe(201);
      expect(res.headers.get('location')).toBe(`${api.stagePath}/${name}/${encodeURIComponent(id)}`);
      expect(res.json).toEqual({ ...body, version: 1, createdAt: expect.any(String), updatedAt: expect.any(String) });

      const got = await api.get(itemPath(id));
      expect(got.status).toBe(200);
      expect(got.json).toEqual(res.json);
      traced(got);
    });

    it('derives the id from the Idempotency-Key, and a replay with the same key answers the same 201 without a second write', async () => {
      const idempotencyKey = randomUUID();
      const body = sample();
      const first = await api.post(collection, body, { 'Idempotency-Key': idempotencyKey });
      expect(first.status).toBe(201);
      const id = idFromIdempotencyKey(idempotencyKey);
      expect(first.json[key]).toBe(id);
      expect(first.headers.get('location')).toBe(`${api.stagePath}/${name}/${id}`);
      traced(first);

      const replay = await api.post(collection, body, { 'Idempotency-Key': idempotencyKey });
      expect(replay.status).toBe(201);
      expect(replay.requestId).not.toBe(first.requestId);
      expect(replay.json).toEqual(first.json);
      expect(replay.headers.get('location')).toBe(first.headers.get('location'));
      expect(replay.headers.get('etag')).toBe('"1"');
      traced(replay);

      // Same key, other body: a client error (IETF Idempotency-Key draft), and the stored item is untouched.
      const sameKeyOtherBody = await api.post(collection, sample(), { 'Idempotency-Key': idempotencyKey });
      expect(sameKeyOtherBody.status).toBe(422);
      expect(sameKeyOtherBody.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(sameKeyOtherBody.json.detail).toMatch(/Idempotency-Key was already used with a different request/);

      const stored = await storedItem(cloud, resource, id);
      expect(stored?.version).toEqual({ N: '1' });
      // The token names the caller: another caller's write with the same key is not taken for this one's (docs/auth.md).
      expect(stored?.requestToken).toEqual({ S: `${LOCAL_CALLER} ${idempotencyKey}` });
      expect(JSON.parse(stored!.data.S)).toEqual(first.json);
      expect((await storedIds(cloud, resource)).filter((x) => x === id)).toEqual([id]);
    });

    it('answers 409 problem JSON when the id already exists (another request), and leaves the item alone', async () => {
      const { id, json: original } = await create();
      const res = await api.post(collection, { ...sample(), [key]: id }, { 'Idempotency-Key': randomUUID() });
      expectProblem(res, 409, 'Conflict');
      expect(res.json.detail).toBe(`${name}/${id} already exists.`);
      traced(res);
      expect((await api.get(itemPath(id))).json).toEqual(original);
    });
  });

  describe('GET /' + name + '/{id}', () => {
    it('answers 200 with the item and its ETag; If-None-Match with that ETag → 304 without a body; another ETag → 200', async () => {
      const created = await create();
      const got = await api.get(itemPath(created.id));
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(got.headers.get('etag')).toBe('"1"');
      expect(got.json).toEqual(created.json);
      traced(got);

      const notModified = await api.get(itemPath(created.id), { 'If-None-Match': '"1"' });
      expect(notModified.status).toBe(304);
      expect(notModified.text).toBe('');
      expect(notModified.headers.get('etag')).toBe('"1"');
      traced(notModified);

      const listed = await api.get(itemPath(created.id), { 'If-None-Match': '"0", "1"' });
      expect(listed.status).toBe(304);

      const stale = await api.get(itemPath(created.id), { 'If-None-Match': '"7"' });
      expect(stale.status).toBe(200);
      expect(stale.json).toEqual(created.json);
    });

    it('If-None-Match: * and the weak form W/"1" also answer 304 (RFC 9110 §13.1.2: weak comparison; * matches any current representation)', async () => {
      const created = await create();
      expect((await api.get(itemPath(created.id), { 'If-None-Match': '*' })).status).toBe(304);
      expect((await api.get(itemPath(created.id), { 'If-None-Match': 'W/"1"' })).status).toBe(304);
    });

    it('only the stage path serves the API: without /<stage> → 403 {"message":"Forbidden"}, as on AWS', async () => {
      const created = await create();
      const origin = new URL(cloud.apiUrl).origin;
      const res = await fetch(`${origin}/${name}/${encodeURIComponent(created.id)}`);
      expect(res.status).toBe(403);
      expect(res.headers.get('x-amzn-errortype')).toBe('ForbiddenException');
      expect(await res.json()).toEqual({ message: 'Forbidden' });
    });

    it('304 sends no body and no content-length but 0', async () => {
      const created = await create();
      const res = await api.get(itemPath(created.id), { 'If-None-Match': '"1"' });
      expect(res.status).toBe(304);
      expect(res.headers.get('content-length') ?? '0').toBe('0');
      expect(res.text).toBe('');
    });
  });

  describe('a missing id', () => {
    const missing = `missing-${randomUUID()}`;

    it.each([
      ['GET', undefined],
      ['PUT', 'full'],
      ['PATCH', 'patch'],
      ['DELETE', undefined],
    ] as const)('%s → 404 problem JSON naming the id', async (method, bodyKind) => {
      const body = bodyKind === 'full' ? resource.replacement : bodyKind === 'patch' ? resource.patch : undefined;
      const res = await api.request(method, itemPath(missing), { body });
      expectProblem(res, 404, 'Not Found');
      expect(res.json.detail).toBe(`${name}/${missing} does not exist.`);
      traced(res);
      expect(await storedItem(cloud, resource, missing)).toBeUndefined();
    });
  });

  describe('PUT /' + name + '/{id}', () => {
    it('replaces the item with a matching If-Match → 200, ETag "2", attributes replaced, createdAt kept', async () => {
      const created = await create({ ...sample(), [resource.optional.field]: resource.optional.value });
      const res = await api.put(itemPath(created.id), resource.replacement, { 'If-Match': '"1"' });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"2"');
      expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
      expect(res.json).toEqual({
        ...resource.replacement,
        [key]: created.id,
        version: 2,
        createdAt: created.json.createdAt,
        updatedAt: expect.stringMatching(ISO_DATE),
      });
      expect(res.json).not.toHaveProperty(resource.optional.field);
      traced(res);
      expect((await api.get(itemPath(created.id))).json).toEqual(res.json);
    });

    it('answers 412 with a stale If-Match and writes nothing', async () => {
      const created = await create();
      expect((await api.put(itemPath(created.id), resource.replacement, { 'If-Match': '"1"' })).status).toBe(200);
      const lost = { ...resource.replacement, [resource.optional.field]: resource.optional.value };
      const stale = await api.put(itemPath(created.id), lost, { 'If-Match': '"1"' });
      expectProblem(stale, 412, 'Precondition Failed');
      traced(stale);
      const current = await api.get(itemPath(created.id));
      expect(current.headers.get('etag')).toBe('"2"');
      expect(current.json).not.toHaveProperty(resource.optional.field);
    });

    it('without If-Match (or with If-Match: *) replaces unconditionally', async () => {
      const created = await create();
      const res = await api.put(itemPath(created.id), resource.replacement);
      expect(res.status).toBe(200);
      expect(res.json.version).toBe(2);
      const star = await api.put(itemPath(created.id), resource.sample(99), { 'If-Match': '*' });
      expect(star.status).toBe(200);
      expect(star.headers.get('etag')).toBe('"3"');
    });

    it('a replay with the same Idempotency-Key answers 200 as the first time and writes nothing', async () => {
      const created = await create();
      const idempotencyKey = randomUUID();
      const first = await api.put(itemPath(created.id), resource.replacement, { 'Idempotency-Key': idempotencyKey });
      expect(first.status).toBe(200);
      const replay = await api.put(itemPath(created.id), resource.replacement, { 'Idempotency-Key': idempotencyKey });
      expect(replay.status).toBe(200);
      expect(replay.json).toEqual(first.json);
      expect(replay.headers.get('etag')).toBe('"2"');
      traced(replay);
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '2' });
    });

    it('answers 422 when the body carries another id than the path', async () => {
      const created = await create();
      const res = await api.put(itemPath(created.id), { ...resource.replacement, [key]: 'someone-else' });
      expectProblem(res, 422, 'Unprocessable Content');
      expect(res.json.detail).toBe(`${key} in the body must match the id in the path (${created.id}).`);
      traced(res);
    });
  });

  describe('PATCH /' + name + '/{id}', () => {
    it('merges the patch (JSON Merge Patch): changed attributes replaced, others kept, null removes an attribute, ETag "2"', async () => {
      // An optional attribute other than the one the patch sets (orders patch their status).
      const [field, value] = name === 'orders' ? ['notes', 'ring twice'] : [resource.optional.field, resource.optional.value];
      const created = await create({ ...sample(), [field]: value });
      const res = await api.patch(itemPath(created.id), { ...resource.patch, [field]: null }, { 'If-Match': '"1"' });
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"2"');
      const { [field]: _removed, ...kept } = created.json;
      expect(res.json).toEqual({ ...kept, ...resource.patch, version: 2, updatedAt: expect.stringMatching(ISO_DATE) });
      expect(res.json.createdAt).toBe(created.json.createdAt);
      traced(res);
      expect((await api.get(itemPath(created.id))).json).toEqual(res.json);
    });

    it(`null removes an optional attribute declared in the schema ("${resource.optional.field}"), as RFC 7396 and docs/architecture.md say`, async () => {
      const created = await create({ ...sample(), [resource.optional.field]: resource.optional.value });
      const res = await api.patch(itemPath(created.id), { [resource.optional.field]: null });
      expect({ status: res.status, body: res.json }).toEqual({ status: 200, body: expect.not.objectContaining({ [resource.optional.field]: expect.anything() }) });
      expect(res.json.version).toBe(2);
    });

    it('accepts application/merge-patch+json (RFC 7396) as well as application/json; another media type → 415', async () => {
      const created = await create();
      const merge = await api.request('PATCH', itemPath(created.id), { body: resource.patch, headers: { 'Content-Type': 'application/merge-patch+json; charset=utf-8' } });
      expect(merge.status).toBe(200);
      expect(merge.json).toMatchObject({ ...resource.patch, version: 2 });
      traced(merge);
      const typo = await api.request('PATCH', itemPath(created.id), { body: { statuss: 'x' }, headers: { 'Content-Type': 'application/merge-patch+json' } });
      expectGatewayProblem(cloud, typo, 400, 'Bad Request');
      const text = await api.request('PATCH', itemPath(created.id), { rawBody: JSON.stringify(resource.patch), headers: { 'Content-Type': 'text/plain' } });
      expectGatewayProblem(cloud, text, 415, 'Unsupported Media Type');
      // merge-patch+json is for PATCH only: a POST in it has no model or template → 415.
      const post = await api.request('POST', collection, { body: sample(), headers: { 'Content-Type': 'application/merge-patch+json' } });
      expectGatewayProblem(cloud, post, 415, 'Unsupported Media Type');
    });

    it('an empty patch {} → 400 (it would change nothing), no new version', async () => {
      const created = await create();
      for (const type of ['application/json', 'application/merge-patch+json']) {
        const res = await api.request('PATCH', itemPath(created.id), { body: {}, headers: { 'Content-Type': type } });
        expectGatewayProblem(cloud, res, 400, 'Bad Request');
      }
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '1' });
    });

    it('answers 412 with a stale If-Match', async () => {
      const created = await create();
      const res = await api.patch(itemPath(created.id), resource.patch, { 'If-Match': '"5"' });
      expectProblem(res, 412, 'Precondition Failed');
      expect(res.json.detail).toBe(`If-Match does not match the current ETag "1" of ${name}/${created.id} (strong comparison: a weak W/ tag never matches).`);
      traced(res);
      expect((await api.get(itemPath(created.id))).json).toEqual(created.json);
    });

    it('answers 400 for server-owned attributes (not in the model) and 422 for another id in the body', async () => {
      const created = await create();
      for (const attribute of ['version', 'createdAt', 'updatedAt', 'deletedAt', 'requestToken', 'lastRequestAt']) {
        const res = await api.patch(itemPath(created.id), { [attribute]: attribute === 'version' ? 9 : '2020-01-01T00:00:00Z' });
        expectGatewayProblem(cloud, res, 400, 'Bad Request');
      }
      const mismatch = await api.patch(itemPath(created.id), { [key]: 'other' });
      expectProblem(mismatch, 422, 'Unprocessable Content');
      traced(mismatch);
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '1' });
    });
  });

  describe('DELETE /' + name + '/{id}', () => {
    it('deletes → 204 without a body; then GET → 404 and DELETE again → 404', async () => {
      const created = await create();
      const res = await api.delete(itemPath(created.id));
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      // An empty template result: no body, and not the `content-length: 1` of a stray newline.
      expect(res.headers.get('content-length') ?? '0').toBe('0');
      traced(res);
      expect(await storedItem(cloud, resource, created.id)).toBeUndefined();
      expectProblem(await api.get(itemPath(created.id)), 404, 'Not Found');
      expectProblem(await api.delete(itemPath(created.id)), 404, 'Not Found');
    });

    it('answers 412 with a stale If-Match and keeps the item; 204 with the current ETag', async () => {
      const created = await create();
      const stale = await api.delete(itemPath(created.id), { 'If-Match': '"2"' });
      expectProblem(stale, 412, 'Precondition Failed');
      expect((await api.get(itemPath(created.id))).status).toBe(200);
      expect((await api.delete(itemPath(created.id), { 'If-Match': '"1"' })).status).toBe(204);
    });

    it('If-Match uses strong comparison: W/"1" never matches → 412; If-Match: * on a missing item → 412, not 404', async () => {
      const created = await create();
      const weak = await api.delete(itemPath(created.id), { 'If-Match': 'W/"1"' });
      expectProblem(weak, 412, 'Precondition Failed');
      expect((await api.get(itemPath(created.id))).status).toBe(200);
      const missing = `missing-${randomUUID()}`;
      for (const res of [
        await api.delete(itemPath(missing), { 'If-Match': '*' }),
        await api.put(itemPath(missing), resource.replacement, { 'If-Match': '*' }),
        await api.patch(itemPath(missing), resource.patch, { 'If-Match': '"1"' }),
      ]) {
        expectProblem(res, 412, 'Precondition Failed');
        expect(res.json.detail).toBe(`If-Match cannot match: ${name}/${missing} does not exist.`);
      }
    });
  });

  describe('concurrent writes (optimistic concurrency, no lost update)', () => {
    it('5 PUTs with the same If-Match at once: exactly one 200, the others 412, and the item is at version 2', async () => {
      const created = await create();
      const results = await Promise.all(
        [1, 2, 3, 4, 5].map((n) => api.put(itemPath(created.id), resource.sample(n), { 'If-Match': '"1"' })),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 412, 412, 412, 412]);
      for (const r of results.filter((x) => x.status === 412)) expectProblem(r, 412, 'Precondition Failed');
      const winner = results.find((r) => r.status === 200)!;
      const current = await api.get(itemPath(created.id));
      expect(current.headers.get('etag')).toBe('"2"');
      expect(current.json).toEqual(winner.json);
    });

    it('5 PUTs without If-Match at once: each answers 200 or 409, and the version counts exactly the 200s', async () => {
      const created = await create();
      const results = await Promise.all([1, 2, 3, 4, 5].map((n) => api.put(itemPath(created.id), resource.sample(n))));
      for (const r of results) expect([200, 409]).toContain(r.status);
      const applied = results.filter((r) => r.status === 200);
      expect(applied.length).toBeGreaterThanOrEqual(1);
      const current = await api.get(itemPath(created.id));
      expect(current.json.version).toBe(1 + applied.length);
      expect(applied.map((r) => r.json.version).sort()).toEqual(applied.map((_, i) => i + 2));
    });

    it('5 POSTs with the same Idempotency-Key at once: one 201, the others 409 + Retry-After while it runs (IETF draft), written once; a retry then gets the 201', async () => {
      const idempotencyKey = randomUUID();
      const body = sample();
      const results = await Promise.all([1, 2, 3, 4, 5].map(() => api.post(collection, body, { 'Idempotency-Key': idempotencyKey })));
      const created = results.filter((r) => r.status === 201);
      expect(created).toHaveLength(1);
      for (const r of results.filter((x) => x.status !== 201)) {
        expect(r.status).toBe(409);
        expect(r.headers.get('retry-after')).toBe('1');
      }
      const retry = await api.post(collection, body, { 'Idempotency-Key': idempotencyKey });
      expect(retry.status).toBe(201);
      expect(retry.json).toEqual(created[0].json);
      const id = idFromIdempotencyKey(idempotencyKey);
      expect((await storedItem(cloud, resource, id))?.version).toEqual({ N: '1' });
    });
  });

  describe('GET /' + name + ' (list)', () => {
    it('pages with limit=3 and the next cursor until next is null: every item exactly once', async () => {
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.push((await create()).id);
      const { pages, cursors, responses } = await listAllPages(api, name, 3);

      for (const res of responses) {
        expect(res.headers.get('content-type')).toMatch(/^application\/json\b/);
        expect(Object.keys(res.json).sort()).toEqual(['items', 'next']);
        traced(res);
      }
      // No soft-deleted items here, so every page but the last is full.
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(3);
      expect(pages[pages.length - 1].length).toBeLessThanOrEqual(3);
      for (const cursor of cursors.slice(0, -1)) expect(cursor).toMatch(/^[A-Za-z0-9_~-]+$/);
      expect(cursors[cursors.length - 1]).toBeNull();

      const listedIds = pages.flat().map((item) => item[key]);
      expect(new Set(listedIds).size).toBe(listedIds.length);
      expect(listedIds).toEqual(expect.arrayContaining(created));
      expect([...listedIds].sort()).toEqual((await storedIds(cloud, resource)).sort());
      // Items come back as GET returns them.
      const one = pages.flat().find((item) => item[key] === created[0]);
      expect(one).toEqual((await api.get(itemPath(created[0]))).json);
    });

    it('without limit answers the first page (default 20)', async () => {
      const res = await api.get(collection);
      expect(res.status).toBe(200);
      expect(Array.isArray(res.json.items)).toBe(true);
      expect(res.json.items.length).toBeGreaterThan(0);
      expect(res.json.items.length).toBeLessThanOrEqual(20);
      traced(res);
    });

    it.each(['0', '101', 'abc', '-1', '2.5', '1000'])('limit=%s → 400 problem JSON', async (limit) => {
      const res = await api.get(`${collection}?limit=${limit}`);
      expectProblem(res, 400, 'Bad Request');
      traced(res);
    });

    const b64url = (text: string) => Buffer.from(text).toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=/g, '~');
    it.each([
      ['not base64 JSON', 'not-a-cursor'],
      ['a key of another table', b64url(JSON.stringify({ someOtherKey: { S: 'x' } }))],
      ['a non-string key', b64url(JSON.stringify({ [key]: { N: '1' } }))],
      ['extra attributes', b64url(JSON.stringify({ [key]: { S: 'x' }, version: { N: '1' } }))],
    ])('next = %s → 400 problem JSON', async (_what, cursor) => {
      const res = await api.get(`${collection}?limit=3&next=${cursor}`);
      expectProblem(res, 400, 'Bad Request');
      traced(res);
    });
  });

  describe('methods a route does not have', () => {
    it.each(['PUT', 'PATCH', 'DELETE'])(`%s /${name} → 405 with Allow: GET, POST, OPTIONS`, async (method) => {
      const res = await api.request(method, collection, { body: method === 'DELETE' ? undefined : resource.sample(1) });
      expectProblem(res, 405, 'Method Not Allowed');
      expect(res.headers.get('allow')).toBe('GET, POST, OPTIONS');
      traced(res);
    });

    it(`POST /${name}/{id} → 405 with Allow: GET, PUT, PATCH, DELETE, OPTIONS`, async () => {
      const res = await api.post(itemPath('some-id'), resource.sample(1));
      expectProblem(res, 405, 'Method Not Allowed');
      expect(res.headers.get('allow')).toBe('GET, PUT, PATCH, DELETE, OPTIONS');
      traced(res);
    });
  });

  describe('request validation', () => {
    it(`a body missing "${resource.missingRequired.field}" → 400 from API Gateway's model, before any execution`, async () => {
      const res = await api.post(collection, resource.missingRequired.body);
      expectGatewayRejection(cloud, res, 400);
      expect(res.text).toContain('"title":"Bad Request"');
      // validationErrorString quotes property names unescaped, so on AWS as here the detail names the model, not the property.
      expect(res.json.detail).toBe(`Invalid request body: the body does not match the model of POST /${name}.`);
    });

    it('an undeclared property (a typo) → 400 on POST, PUT and PATCH, nothing stored', async () => {
      const created = await create();
      const typo = `${resource.missingRequired.field}x`;
      const postId = `${name}-${randomUUID()}`;
      for (const res of [
        await api.post(collection, { ...sample(), [key]: postId, [typo]: 'typo' }),
        await api.put(itemPath(created.id), { ...resource.replacement, [typo]: 'typo' }),
        await api.patch(itemPath(created.id), { [typo]: 'typo' }),
        await api.post(collection, { ...sample(), [key]: postId, requestToken: 'x', lastRequestAt: 1 }),
      ]) {
        expectGatewayProblem(cloud, res, 400, 'Bad Request');
      }
      expect(await storedItem(cloud, resource, postId)).toBeUndefined();
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '1' });
    });

    it('a property of the wrong type → 400 (POST, PUT and PATCH models), nothing written', async () => {
      const created = await create();
      for (const res of [
        await api.post(collection, resource.wrongType),
        await api.put(itemPath(created.id), resource.wrongType),
        await api.patch(itemPath(created.id), resource.badPatch),
      ]) {
        expectGatewayRejection(cloud, res, 400);
        expect(res.text).toContain('"title":"Bad Request"');
      }
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '1' });
    });

    it('a value outside the schema (enum, pattern) → 400', async () => {
      expectGatewayRejection(cloud, await api.post(collection, resource.badValue), 400);
    });

    it('a JSON body that is not an object → 400 (the model requires an object)', async () => {
      expectGatewayRejection(cloud, await api.request('POST', collection, { rawBody: '[1, 2]' }), 400);
    });

    it('a body that is not JSON → 400 problem JSON', async () => {
      const res = await api.request('POST', collection, { rawBody: '{"oops": ' });
      expectGatewayProblem(cloud, res, 400, 'Bad Request');
    });

    it("the 400 of a schema violation is valid problem JSON (the validator's message quotes property names)", async () => {
      const res = await api.post(collection, resource.missingRequired.body);
      expectGatewayProblem(cloud, res, 400, 'Bad Request');
      expect(res.json.detail).toBe(`Invalid request body: the body does not match the model of POST /${name}.`);
    });

    it('a server-owned attribute in a POST → 400 from the model (it declares none of them), nothing written', async () => {
      const id = `${name}-${randomUUID()}`;
      const res = await api.post(collection, { ...sample(), [key]: id, version: 7 });
      expectGatewayProblem(cloud, res, 400, 'Bad Request');
      expect(await storedItem(cloud, resource, id)).toBeUndefined();
    });

    // Only orders declare a free-text attribute (notes) long enough to get past the model: the test exists for them only.
    if (name === 'orders') it('a body over 240,000 characters → 413 from the workflow, and the execution input does not carry it (POST and PUT)', async () => {
      // Only a declared free-text attribute can carry it past the model: orders' notes.
      const created = await create();
      const huge = { ...resource.sample(1), notes: 'x'.repeat(250_000) };
      for (const res of [await api.post(collection, huge), await api.put(itemPath(created.id), huge)]) {
        expectProblem(res, 413, 'Payload Too Large');
        const execution = traced(res);
        const input = JSON.parse(execution.input);
        expect(input.rejected).toBe('PayloadTooLarge');
        expect(input.body).toBeNull();
      }
      expect((await storedItem(cloud, resource, created.id))?.version).toEqual({ N: '1' });
    });

    it('a Content-Type other than JSON → 415', async () => {
      const res = await api.request('POST', collection, { rawBody: JSON.stringify(sample()), headers: { 'Content-Type': 'text/plain' } });
      expectGatewayProblem(cloud, res, 415, 'Unsupported Media Type');
    });
  });

  describe('CORS', () => {
    it.each([collection, `${collection}/some-id`])('preflight OPTIONS %s → 204 with the allowed origin, methods and headers', async (p) => {
      const res = await api.request('OPTIONS', p, {
        headers: { Origin: 'https://example.com', 'Access-Control-Request-Method': 'PATCH', 'Access-Control-Request-Headers': 'if-match,content-type' },
      });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type,If-Match,If-None-Match,Idempotency-Key,X-Api-Key,Authorization,X-Amz-Date,X-Amz-Security-Token,X-Amz-Content-Sha256');
      expect(executionsNamed(cloud, res.headers.get('x-amzn-requestid') ?? '')).toEqual([]);
    });

    it('actual responses allow any origin and expose ETag, Location, X-Request-Id, X-Execution-Arn, Retry-After', async () => {
      const res = await api.post(collection, sample(), { Origin: 'https://example.com' });
      expect(res.status).toBe(201);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toBe('ETag,Location,X-Request-Id,X-Execution-Arn,Retry-After');
    });
  });

  it('never forwards Authorization (the SigV4 signature), X-Amz-* or Cookie into the execution input or history', async () => {
    const res = await api.post(collection, sample(), { Cookie: 'session=e2e-secret-cookie', 'X-Amz-Meta-Secret': 'e2e-secret-header' });
    expect(res.status).toBe(201);
    const execution = traced(res);
    const everything = JSON.stringify(execution);
    expect(everything).not.toMatch(/AWS4-HMAC-SHA256|Signature=|x-amz-date/i);
    expect(everything).not.toContain('e2e-secret-header');
    expect(everything).not.toContain('e2e-secret-cookie');
    expect(Object.keys(JSON.parse(execution.input).headers).sort()).toEqual(['idempotencyKey', 'ifMatch', 'ifNoneMatch']);
  });

  it('the execution input is the request as the VTL template builds it', async () => {
    const idempotencyKey = randomUUID();
    const body = sample();
    const res = await api.post(`${collection}?limit=5`, body, { 'Idempotency-Key': idempotencyKey, 'If-Match': '"3"' });
    expect(res.status).toBe(201);
    const input = JSON.parse(traced(res).input);
    expect(input).toEqual({
      method: 'POST',
      resource: name,
      stage: 'v1',
      path: `${api.stagePath}/${name}`,
      id: '',
      query: { limit: '5', next: '' },
      headers: { ifMatch: '"3"', ifNoneMatch: '', idempotencyKey },
      requestId: res.requestId,
      caller: LOCAL_CALLER,
      receivedAt: expect.any(Number),
      rejected: '',
      body,
    });
    expect(Math.abs(input.receivedAt - Date.now())).toBeLessThan(60_000);
  });
});

describe('routes the API does not have', () => {
  // API Gateway answers MISSING_AUTHENTICATION_TOKEN for an unknown route and for an unsigned request on an IAM
  // route alike; with auth iam (the default) the problem is AWS's 403 and names both causes (docs/auth.md).
  it.each(['/nope', '/orders/a/b', '/'])('GET %s → 403 problem JSON from the customised gateway response naming the route, no execution', async (p) => {
    const res = await api.get(p);
    expectGatewayProblem(cloud, res, 403, 'Forbidden');
    expect(res.json.detail).toMatch(new RegExp(`or there is no route for GET ${api.stagePath}${p === '/' ? '/?' : p}$`));
  });

  it('DELETE on an unknown route → 403 too', async () => {
    const res = await api.delete('/nope/1');
    expectGatewayProblem(cloud, res, 403, 'Forbidden');
  });
});

describe("API Gateway's own errors", () => {
  it('are served as application/problem+json like the workflow errors (docs/architecture.md: "All errors are problem JSON ... with Content-Type: application/problem+json")', async () => {
    const unknownRoute = await api.get('/nope');
    const badBody = await api.post('/orders', { customer: 'Ada' });
    expect({ unknownRoute: unknownRoute.headers.get('content-type'), badBody: badBody.headers.get('content-type') }).toEqual({
      unknownRoute: expect.stringMatching(/^application\/problem\+json\b/),
      badBody: expect.stringMatching(/^application\/problem\+json\b/),
    });
  });

  it('carry their request id in x-amzn-RequestId and the body (a gateway response cannot map it to X-Request-Id) and allow any origin', async () => {
    for (const res of [await api.get('/nope'), await api.post('/orders', { customer: 'Ada' })]) {
      expect(res.requestId).toBeNull();
      expect(res.json.requestId).toBe(res.headers.get('x-amzn-requestid'));
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });
});
