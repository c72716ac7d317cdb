/**
 * A client generated from the document works: test/contract/generated-client/ (@hey-api/openapi-ts, written by
 * `npm run openapi`) against the local cloud, with the repository's signing fetch (SigV4 + the local API key).
 */
import { signedFetch } from '../../local/auth/sign-request';
import { startTestCloud, LocalCloud } from '../e2e/helpers';
import { createClient } from './generated-client/client';
import type { OrdersItem } from './generated-client';
import { createOrder, deleteOrder, getOrder, getRequest, listOrders, patchOrder } from './generated-client';

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startTestCloud();
});
afterAll(() => cloud?.stop());

/** The generated client calls fetch(Request): sign what it would send. */
async function signingFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const request = new Request(input, init);
  const body = request.body ? await request.text() : undefined;
  return signedFetch(request.url, { method: request.method, headers: Object.fromEntries(request.headers), body });
}

it('create, get, patch with ETag, list, delete', async () => {
  const client = createClient({ baseUrl: cloud.apiUrl, fetch: signingFetch });

  const created = await createOrder({ client, body: { customer: 'Ada', items: [{ pizza: 'margherita', quantity: 1 }] } });
  expect(created.response?.status).toBe(201);
  const order = created.data as OrdersItem;
  expect(order).toMatchObject({ customer: 'Ada', version: 1 });

  const read = await getOrder({ client, path: { id: order.orderId as string } });
  expect(read.data).toEqual(order);
  const etag = read.response?.headers.get('etag') as string;
  expect(etag).toBe('"1"');

  const patched = await patchOrder({ client, path: { id: order.orderId as string }, headers: { 'If-Match': etag }, body: { status: 'baking' } });
  expect(patched.response?.status).toBe(200);
  expect(patched.data).toMatchObject({ status: 'baking', version: 2 });
  const stale = await patchOrder({ client, path: { id: order.orderId as string }, headers: { 'If-Match': etag }, body: { status: 'delivering' } });
  expect(stale.response?.status).toBe(412);
  expect(stale.error).toMatchObject({ status: 412, title: 'Precondition Failed' });

  const page = await listOrders({ client, query: { limit: 100 } });
  expect(page.data!.items.map((o) => o.orderId)).toContain(order.orderId);

  const deleted = await deleteOrder({ client, path: { id: order.orderId as string } });
  expect(deleted.response?.status).toBe(204);
  expect((await getOrder({ client, path: { id: order.orderId as string } })).response?.status).toBe(404);

  const unknown = await getRequest({ client, path: { id: 'never-answered-202' } });
  expect(unknown.data).toMatchObject({ status: 'unknown' });
});
