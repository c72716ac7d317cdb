/**
 * The baseline of the end-to-end benchmark: a bare `node:http` handler doing the same store operation as the app,
 * on the same in-process DynamoDB implementation (dynalite, in memory), with nothing else in between: no API
 * Gateway emulation, no VTL, no Step Functions, no flags Lambda, no JSON Schema validation.
 *
 *   POST /orders       → PutItem with attribute_not_exists(<key>) → 201 + Location + ETag, body = the new item
 *   GET  /orders/{id}  → GetItem (consistent read)                → 200 + ETag, body = the stored item | 404
 *
 * The stored item has the app's shape (see statemachines/crud-resource.asl.json, PutNewItem):
 * `{<key>: S, version: N, data: S (the item as JSON text), requestToken: S, lastRequestAt: N}`.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RESOURCES } from '../../cdk/resources';
import { AwsError, LocalServices } from '../services';

export interface BareServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  /** The resource served, e.g. 'orders' */
  resource: string;
  services: LocalServices;
  close(): Promise<void>;
}

export async function startBareServer(options: { resource?: string; host?: string } = {}): Promise<BareServer> {
  const resourceName = options.resource ?? 'orders';
  const declaration = RESOURCES.find((r) => r.name === resourceName);
  if (!declaration) throw new Error(`unknown resource ${resourceName}`);
  const key = declaration.key;
  const services = await LocalServices.open({ inMemory: true });
  // The same table properties as the CDK construct's AWS::DynamoDB::Table (cdk/crud-resource.ts).
  const { ref: tableName } = await services.dynamodb.createTableFromCloudFormation({
    TableName: `bare-${resourceName}`,
    KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
    AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
    BillingMode: 'PAY_PER_REQUEST',
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
  });
  const collection = `/${resourceName}`;
  const itemPrefix = `/${resourceName}/`;

  const reply = (res: http.ServerResponse, status: number, headers: Record<string, string>, body: string) => {
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  const create = async (raw: string, res: http.ServerResponse) => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reply(res, 400, {}, '{"message":"Invalid request body"}');
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) return reply(res, 422, {}, '{"title":"Unprocessable Entity"}');
    const requestId = randomUUID();
    const id = requestId;
    const now = new Date().toISOString();
    const item = { ...(body as object), [key]: id, version: 1, createdAt: now, updatedAt: now };
    const data = JSON.stringify(item);
    try {
      await services.dynamodb.call('PutItem', {
        TableName: tableName,
        Item: { [key]: { S: id }, version: { N: '1' }, data: { S: data }, requestToken: { S: requestId }, lastRequestAt: { N: String(Date.now()) } },
        ConditionExpression: 'attribute_not_exists(#key)',
        ExpressionAttributeNames: { '#key': key },
      });
    } catch (err) {
      if (err instanceof AwsError && err.code === 'ConditionalCheckFailedException') return reply(res, 409, {}, '{"title":"Conflict"}');
      throw err;
    }
    reply(res, 201, { location: `${collection}/${encodeURIComponent(id)}`, etag: '"1"' }, data);
  };

  const read = async (id: string, res: http.ServerResponse) => {
    const out = await services.dynamodb.call('GetItem', { TableName: tableName, Key: { [key]: { S: id } }, ConsistentRead: true });
    const item = out.Item as Record<string, { S?: string; N?: string }> | undefined;
    if (!item || item.deletedAt) return reply(res, 404, {}, '{"title":"Not Found"}');
    reply(res, 200, { etag: `"${item.version.N}"` }, item.data.S!);
  };

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    const fail = (err: unknown) => {
      if (!res.headersSent) reply(res, 500, {}, JSON.stringify({ title: 'Internal Server Error', detail: String(err) }));
    };
    if (req.method === 'POST' && path === collection) {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => create(Buffer.concat(chunks).toString('utf8'), res).catch(fail));
      return;
    }
    if (req.method === 'GET' && path.startsWith(itemPrefix) && path.length > itemPrefix.length) {
      req.resume();
      read(decodeURIComponent(path.slice(itemPrefix.length)), res).catch(fail);
      return;
    }
    req.resume();
    reply(res, 404, {}, '{"message":"Not Found"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    resource: resourceName,
    services,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await services.close();
    },
  };
}
