import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { LocalCloud, startLocalCloud } from './helpers';

describe('EventBridge PutEvents through the endpoint (AWS SDK v3, JSON 1.1)', () => {
  let cloud: LocalCloud;
  let events: EventBridgeClient;

  beforeAll(async () => {
    cloud = await startLocalCloud();
    events = new EventBridgeClient({ ...cloud.clientConfig, maxAttempts: 1 });
  });
  afterAll(async () => {
    events.destroy();
    await cloud.stop();
  });

  it('records events per bus and returns their EventIds', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 'crud.items', DetailType: 'ItemCreated', Detail: JSON.stringify({ id: 'a' }) },
          { Source: 'crud.items', DetailType: 'ItemDeleted', Detail: JSON.stringify({ id: 'b' }), EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/app', Time: new Date('2026-11-01T00:00:00Z') },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries!.map((e) => e.EventId)).toEqual([expect.stringMatching(/^[0-9a-f-]{36}$/), expect.stringMatching(/^[0-9a-f-]{36}$/)]);

    expect(cloud.services.events.listEvents('default')).toEqual([
      expect.objectContaining({ id: out.Entries![0].EventId, source: 'crud.items', detailType: 'ItemCreated', detail: { id: 'a' }, eventBusName: 'default' }),
    ]);
    const res = await fetch(`${cloud.endpoint.url}/_local/events?bus=app`);
    expect(((await res.json()) as any).events).toEqual([expect.objectContaining({ detailType: 'ItemDeleted', time: '2026-11-01T00:00:00.000Z' })]);
  });

  it('fails malformed entries one by one, as AWS does', async () => {
    const out = await events.send(
      new PutEventsCommand({
        Entries: [
          { Source: 's', DetailType: 'ok', Detail: '{}' },
          { Source: 's', DetailType: 'bad', Detail: 'not json' },
          { Source: 's', Detail: '{}' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(2);
    expect(out.Entries![1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
    expect(out.Entries![2]).toMatchObject({ ErrorCode: 'InvalidArgument' });
  });

  it('rejects more than 10 entries with ValidationException', async () => {
    const err = await events
      .send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => ({ Source: 's', DetailType: 'd', Detail: '{}' })) }))
      .catch((e) => e);
    expect(err.name).toBe('ValidationException');
    expect(err.$metadata.httpStatusCode).toBe(400);
  });
});
