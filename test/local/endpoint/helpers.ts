/** Shared helpers for the local services and endpoint tests. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LocalServices, LocalServicesOptions } from '../../../local/services';
import { RunningEndpoint, StepFunctionsBackend, startEndpoint } from '../../../local/endpoint';

export const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

export function tempDir(prefix = 'local-cloud-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

export interface LocalCloud {
  services: LocalServices;
  endpoint: RunningEndpoint;
  /** Config for any AWS SDK v3 client: endpoint on the ephemeral port, us-east-1, static credentials. */
  clientConfig: { endpoint: string; region: string; credentials: typeof credentials };
  stop(): Promise<void>;
}

/** Opens the services (in memory unless a dataDir is given) and an endpoint on an ephemeral port. */
export async function startLocalCloud(options: LocalServicesOptions & { stepFunctions?: StepFunctionsBackend } = {}): Promise<LocalCloud> {
  const { stepFunctions, ...serviceOptions } = options;
  const services = await LocalServices.open({ inMemory: !serviceOptions.dataDir, ...serviceOptions });
  const endpoint = await startEndpoint({ services, stepFunctions, port: 0 });
  return {
    services,
    endpoint,
    clientConfig: { endpoint: endpoint.url, region: 'us-east-1', credentials },
    async stop() {
      await endpoint.close();
      await services.close();
    },
  };
}

/** A controllable clock (epoch ms). */
export function fakeClock(start = Date.UTC(2026, 10, 1)): { now: () => number; advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
    set(ms: number) {
      t = ms;
    },
  };
}

/** Expects a promise to reject with an error of this `name`; returns the error for more assertions. */
export async function rejectsWith<T = any>(promise: Promise<unknown>, name: string): Promise<T> {
  try {
    await promise;
  } catch (err) {
    expect((err as Error).name).toBe(name);
    return err as T;
  }
  throw new Error(`Expected the call to fail with ${name}, but it succeeded`);
}

export const FEATURE_FLAGS = {
  version: '1',
  flags: {
    maintenance: { name: 'Maintenance mode', attributes: { message: { constraints: { type: 'string' } } } },
    softDelete: { name: 'Soft delete' },
  },
  values: {
    maintenance: { enabled: false, message: 'back soon', _createdAt: '2026-11-01T00:00:00.000Z', _updatedAt: '2026-11-01T00:00:00.000Z' },
    softDelete: { enabled: true },
  },
};
