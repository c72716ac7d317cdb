import customerSchema from './schemas/customer.schema.json';
import orderSchema from './schemas/order.schema.json';

/** A REST resource of the API: everything else (table, state machine, queue, routes) is derived from it. */
export interface ResourceDeclaration {
  /** Plural path segment and name, e.g. "orders" → /orders and /orders/{id}. */
  readonly name: string;
  /** The table's partition key attribute, e.g. "orderId". */
  readonly key: string;
  /** JSON Schema (draft-04) of a full item; POST and PUT must match it, PATCH bodies match it without `required`. */
  readonly schema: object;
  /**
   * Accept properties the schema does not declare (default false: every object schema that does not set
   * `additionalProperties` itself gets `additionalProperties: false`, so a typo is a 400, not stored data).
   */
  readonly allowUnknownProperties?: boolean;
}

/** Adding a resource is one entry here. */
export const RESOURCES: readonly ResourceDeclaration[] = [
  { name: 'orders', key: 'orderId', schema: orderSchema },
  { name: 'customers', key: 'customerId', schema: customerSchema },
];
