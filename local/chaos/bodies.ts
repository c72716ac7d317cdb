/**
 * Valid request bodies for the app's two resources (cdk/schemas/order.schema.json, customer.schema.json),
 * each carrying the write's unique marker in one attribute, so that the final table tells which write
 * an item's state came from.
 *
 *   orders     marker in `customer`   (POST, PUT and every PATCH set it)
 *   customers  marker in `name`       (POST, PUT and every PATCH set it)
 */
import type { Rng } from './rng';

export type ResourceName = 'orders' | 'customers';
export const RESOURCES: readonly ResourceName[] = ['orders', 'customers'];
export const KEY_ATTRIBUTE: Record<ResourceName, string> = { orders: 'orderId', customers: 'customerId' };
export const MARKER_ATTRIBUTE: Record<ResourceName, string> = { orders: 'customer', customers: 'name' };

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Body = Record<string, unknown>;

const PIZZAS = ['margherita', 'diavola', 'funghi', 'capricciosa', 'quattro formaggi', 'marinara'];
const SIZES = ['small', 'medium', 'large'];
const STATUSES = ['placed', 'preparing', 'baking', 'delivering', 'delivered', 'cancelled'];

function orderLines(rng: Rng): Body[] {
  return Array.from({ length: rng.int(1, 3) }, () => ({
    pizza: rng.pick(PIZZAS),
    quantity: rng.int(1, 5),
    ...(rng.chance(0.6) ? { size: rng.pick(SIZES) } : {}),
  }));
}

function phone(rng: Rng): string {
  return `+1 555 ${String(rng.int(0, 9999)).padStart(4, '0')}`;
}

/** The body of a write (undefined for DELETE). Markers are [A-Za-z0-9.-]: valid in an e-mail local part. */
export function bodyFor(resource: ResourceName, method: WriteMethod, marker: string, rng: Rng): Body | undefined {
  if (method === 'DELETE') return undefined;
  if (resource === 'orders') {
    if (method === 'PATCH') {
      const change = rng.pick([{ status: rng.pick(STATUSES) }, { status: null }, { items: orderLines(rng) }]);
      return { customer: marker, ...change };
    }
    return { customer: marker, items: orderLines(rng), ...(rng.chance(0.5) ? { status: rng.pick(STATUSES) } : {}) };
  }
  if (method === 'PATCH') {
    const change = rng.pick([{ phone: phone(rng) }, { phone: null }, { email: `${marker}@patch.example.com` }]);
    return { name: marker, ...change };
  }
  const domain = method === 'POST' ? 'example.com' : 'example.org';
  return { name: marker, email: `${marker}@${domain}`, ...(rng.chance(0.4) ? { phone: phone(rng) } : {}) };
}
