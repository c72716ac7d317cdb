/**
 * Which endpoint the CLI talks to without --aws: `--endpoint`, else AWS_ENDPOINT_URL, else the endpoint of the
 * local cloud running on the data folder (`<dataDir>/local-cloud.json`, written by `npm start`; the folder is
 * `--data-dir` or `.local-cloud`), else http://127.0.0.1:4566. When the user named none, the choice and its
 * reason are said on stderr, so a CLI pointed at the wrong port never fails silently.
 */
import * as path from 'node:path';
import { INSTANCE_FILE, readInstance, runningInstance } from '../instance';
import { DEFAULT_ENDPOINT } from './target';

export const DEFAULT_DATA_DIR = '.local-cloud';

export interface EndpointChoice {
  endpoint: string;
  /** What to print on stderr (undefined when the user named the endpoint). */
  note?: string;
}

export function chooseEndpoint(options: { endpoint?: string; dataDir?: string; env: NodeJS.ProcessEnv; cwd?: string }): EndpointChoice {
  if (options.endpoint) return { endpoint: options.endpoint };
  if (options.env.AWS_ENDPOINT_URL) return { endpoint: options.env.AWS_ENDPOINT_URL };
  const shown = options.dataDir ?? DEFAULT_DATA_DIR;
  const dir = path.resolve(options.cwd ?? process.cwd(), shown);
  const file = path.join(shown, INSTANCE_FILE);
  const running = runningInstance(dir);
  if (running?.state === 'running' && running.endpointUrl) {
    return { endpoint: running.endpointUrl, note: `Using the local cloud at ${running.endpointUrl} (pid ${running.pid}, from ${file}).` };
  }
  const reason = running
    ? `the local cloud on ${shown} (pid ${running.pid}) is still starting`
    : readInstance(dir)
      ? `${file} names a local cloud that is no longer running`
      : `no local cloud is running on ${shown}`;
  return { endpoint: DEFAULT_ENDPOINT, note: `Using ${DEFAULT_ENDPOINT}: ${reason} (pass --endpoint, AWS_ENDPOINT_URL or --data-dir).` };
}
