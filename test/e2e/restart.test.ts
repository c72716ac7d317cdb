/**
 * Data persists under the data folder between restarts: tables, executions and deployed flag values.
 */
import * as fs from 'node:fs';
import { Api, LocalCloud, RESOURCE_CASES, startTestCloud, tempDir } from './helpers';

const customers = RESOURCE_CASES.find((r) => r.name === 'customers')!;

describe('a local cloud restarted on the same data folder', () => {
  const dataDir = tempDir();
  let cloud: LocalCloud | undefined;

  afterAll(async () => {
    await cloud?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves the items, executions and flag values written before the restart, and keeps accepting writes', async () => {
    cloud = await startTestCloud({ inMemory: false, dataDir });
    let api = new Api(cloud.apiUrl);
    const body = customers.sample(1);
    const created = await api.post('/customers', body);
    expect(created.status).toBe(201);
    const executionArn = created.headers.get('x-execution-arn')!;
    const flags = { ...cloud.flags };
    cloud.services.appConfig.setFeatureFlag({ ...flags, flag: 'softDelete', enabled: true });
    // Stopped right after the write: stop() must flush what was acknowledged.
    await cloud.stop();
    cloud = undefined;

    cloud = await startTestCloud({ inMemory: false, dataDir });
    api = new Api(cloud.apiUrl);
    const id = created.json.customerId;
    const got = await api.get(`/customers/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get('etag')).toBe('"1"');
    expect(got.json).toEqual(created.json);

    const execution = cloud.stepFunctions.getExecution(executionArn);
    expect(execution).toMatchObject({ name: created.requestId, status: 'SUCCEEDED' });
    expect(execution!.events.length).toBeGreaterThan(2);

    // The flag toggled before the restart is still deployed (the template's initial version does not undo it).
    expect(cloud.flags).toEqual(flags);
    const deployed = cloud.services.appConfig.getFeatureFlags(cloud.flags) as any;
    expect(deployed.values.softDelete.enabled).toBe(true);

    const replaced = await api.put(`/customers/${id}`, customers.replacement, { 'If-Match': '"1"' });
    expect(replaced.status).toBe(200);
    expect(replaced.headers.get('etag')).toBe('"2"');
  });
});
