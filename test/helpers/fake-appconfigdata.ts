import { LocalServer, RecordedRequest, Reply, startServer } from './http-server';

/**
 * A tiny AppConfigData (REST-JSON) server: StartConfigurationSession and GetLatestConfiguration,
 * with single-use tokens and "empty body when unchanged" like the real service.
 */
export interface FakeAppConfigData {
  readonly server: LocalServer;
  readonly url: string;
  /**
   * Replaces the deployed configuration (e.g. a flag toggled in the console). A feature-flag document
   * (`{version, flags, values}`, what the profile stores) is served as its values, like AppConfigData does.
   */
  deploy(configuration: object): void;
  /** Next-Poll-Interval-In-Seconds the server answers. */
  pollIntervalSeconds: number;
  /** The tokens presented to GetLatestConfiguration, in order. */
  readonly tokensUsed: string[];
  /** Invalidates every outstanding token, as when a session expires (24 h) on the real service. */
  expireTokens(): void;
  /** Requests per operation. */
  count(operation: 'StartConfigurationSession' | 'GetLatestConfiguration'): number;
  close(): Promise<void>;
}

interface Session {
  /** The configuration version this session last received. */
  seenVersion: number;
}

const problem = (status: number, type: string, message: string): Reply => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  body: JSON.stringify({ Message: message }),
});

/** What GetLatestConfiguration returns for a stored configuration. */
function served(configuration: object): string {
  const doc = configuration as { flags?: unknown; values?: unknown };
  return JSON.stringify(doc.flags && doc.values ? doc.values : configuration);
}

export async function startFakeAppConfigData(initial: object, pollIntervalSeconds = 15): Promise<FakeAppConfigData> {
  let configuration = served(initial);
  let version = 1;
  let counter = 0;
  const liveTokens = new Map<string, Session>();
  const tokensUsed: string[] = [];
  const newToken = (session: Session) => {
    const token = `token-${++counter}`;
    liveTokens.set(token, session);
    return token;
  };

  const fake = {
    pollIntervalSeconds,
    tokensUsed,
    expireTokens() {
      liveTokens.clear();
    },
    deploy(next: object) {
      configuration = served(next);
      version += 1;
    },
  } as FakeAppConfigData & { server: LocalServer; url: string };

  const handle = (request: RecordedRequest): Reply => {
    const url = new URL(request.url, 'http://localhost');
    if (request.method === 'POST' && url.pathname === '/configurationsessions') {
      const input = JSON.parse(request.body || '{}');
      for (const field of ['ApplicationIdentifier', 'EnvironmentIdentifier', 'ConfigurationProfileIdentifier']) {
        if (!input[field]) return problem(400, 'BadRequestException', `${field} is required`);
      }
      if (input.RequiredMinimumPollIntervalInSeconds !== undefined && input.RequiredMinimumPollIntervalInSeconds < 15) {
        return problem(400, 'BadRequestException', 'RequiredMinimumPollIntervalInSeconds must be at least 15');
      }
      return { status: 201, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ InitialConfigurationToken: newToken({ seenVersion: 0 }) }) };
    }
    if (request.method === 'GET' && url.pathname === '/configuration') {
      const token = url.searchParams.get('configuration_token') ?? '';
      tokensUsed.push(token);
      const session = liveTokens.get(token);
      if (!session) return problem(400, 'BadRequestException', 'Invalid or already used configuration token');
      liveTokens.delete(token); // single use
      const changed = session.seenVersion !== version;
      session.seenVersion = version;
      return {
        status: 200,
        headers: {
          'content-type': 'application/json',
          'next-poll-configuration-token': newToken(session),
          'next-poll-interval-in-seconds': fake.pollIntervalSeconds,
          ...(changed ? { 'version-label': `v${version}` } : {}),
        },
        body: changed ? configuration : '',
      };
    }
    return problem(404, 'ResourceNotFoundException', `No route ${request.method} ${url.pathname}`);
  };

  const server = await startServer(handle);
  return Object.assign(fake, {
    server,
    url: server.url,
    count: (operation: 'StartConfigurationSession' | 'GetLatestConfiguration') =>
      server.requests.filter((r) => (operation === 'StartConfigurationSession' ? r.method === 'POST' : r.method === 'GET')).length,
    close: () => server.close(),
  });
}
