import { LocalCloud, startLocalCloud } from './helpers';

describe('admin routes and health', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud();
  });
  afterAll(() => cloud.stop());

  const get = (path: string) => fetch(cloud.endpoint.url + path).then(async (r) => ({ status: r.status, requestId: r.headers.get('x-amzn-requestid'), body: (await r.json()) as any }));

  it('reports health on / and /_local/health', async () => {
    for (const path of ['/', '/_local/health']) {
      const { status, body, requestId } = await get(path);
      expect(status).toBe(200);
      expect(requestId).toBeTruthy();
      expect(body).toMatchObject({ status: 'running', services: { dynamodb: 'running', stepfunctions: 'not configured' }, persistence: 'in memory' });
    }
  });

  it('lists queues and peeks at messages without receiving them', async () => {
    const { QueueUrl } = await cloud.services.sqs.call('CreateQueue', { QueueName: 'peeked' });
    await cloud.services.sqs.call('SendMessage', { QueueUrl, MessageBody: 'look, do not touch' });
    const queues = await get('/_local/sqs/queues');
    expect(queues.body.queues).toEqual([expect.objectContaining({ name: 'peeked', visible: 1, inFlight: 0, url: `${cloud.endpoint.url}/000000000000/peeked` })]);
    const messages = await get('/_local/sqs/queues/peeked/messages');
    expect(messages.body.messages).toEqual([expect.objectContaining({ body: 'look, do not touch', receiveCount: 0, visible: true })]);
    expect((await get('/_local/sqs/queues/nope/messages')).status).toBe(404);
  });

  it('answers 404 for unknown routes, and CORS preflights', async () => {
    expect((await get('/_local/nope')).status).toBe(404);
    expect((await get('/somewhere')).status).toBe(404);
    const preflight = await fetch(cloud.endpoint.url, { method: 'OPTIONS', headers: { origin: 'http://localhost:3000', 'access-control-request-headers': 'x-amz-target' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
  });
});
