import { AppConfigDataClient, BadRequestException, GetLatestConfigurationCommand, StartConfigurationSessionCommand } from '@aws-sdk/client-appconfigdata';
import { Flags, defaultCircuitAttributes, featureFlagsDocument } from '../../lambdas/flags/definitions';
import { FlagsReader } from '../../lambdas/flags/flags-reader';
import { FakeAppConfigData, startFakeAppConfigData } from '../helpers/fake-appconfigdata';
import { LOCAL_CLIENT_CONFIG } from '../helpers/http-server';

/** What the reader answers for these flag values with the circuit breaker at its defaults. */
const loaded = (values: Partial<Flags>) => {
  const flags = { readOnly: false, softDelete: false, publishEvents: false, circuitBreaker: true, ...values };
  return { ...flags, circuit: { enabled: flags.circuitBreaker, ...defaultCircuitAttributes() } };
};

const SOURCE = { applicationId: 'crud-api', environmentId: 'live', profileId: 'feature-flags' };

let fake: FakeAppConfigData;
let clock: number;

/** A FlagsReader with the real AppConfigDataClient pointed at the local server, on an injected clock. */
const newReader = (url = fake.url) => new FlagsReader(new AppConfigDataClient({ ...LOCAL_CLIENT_CONFIG, endpoint: url }), SOURCE, () => clock);
const requestCount = () => fake.server.requests.length;

beforeEach(async () => {
  // GIVEN AppConfig serving readOnly=on, the others off, and a 15 s poll interval
  fake = await startFakeAppConfigData(featureFlagsDocument({ readOnly: true }), 15);
  clock = 1_000_000;
  jest.spyOn(console, 'warn').mockImplementation(() => undefined);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await fake.close();
});

describe('FlagsReader against an AppConfigData endpoint', () => {
  test('the first read starts a session and fetches the flags', async () => {
    const reading = await newReader().read();

    expect(reading).toEqual({ origin: 'appconfig', flags: loaded({ readOnly: true }) });
    expect(fake.count('StartConfigurationSession')).toBe(1);
    expect(fake.count('GetLatestConfiguration')).toBe(1);
    expect(JSON.parse(fake.server.requests[0].body)).toEqual({
      ApplicationIdentifier: 'crud-api',
      EnvironmentIdentifier: 'live',
      ConfigurationProfileIdentifier: 'feature-flags',
      RequiredMinimumPollIntervalInSeconds: 15,
    });
  });

  test('a second read within the poll interval is served from the cache without a request', async () => {
    const reader = newReader();
    await reader.read();
    const before = requestCount();

    clock += 14_999;
    const reading = await reader.read();

    expect(reading).toEqual({ origin: 'cache', flags: loaded({ readOnly: true }) });
    expect(requestCount()).toBe(before);
  });

  test('after the interval it polls once, with the token of the previous answer (tokens are single-use)', async () => {
    const reader = newReader();
    await reader.read();

    clock += 15_000;
    const reading = await reader.read();

    expect(reading.origin).toBe('appconfig');
    expect(fake.count('StartConfigurationSession')).toBe(1);
    expect(fake.count('GetLatestConfiguration')).toBe(2);
    expect(fake.tokensUsed).toEqual(['token-1', 'token-2']);
  });

  test('an empty body ("unchanged since your last poll") keeps the cached flags', async () => {
    const reader = newReader();
    await reader.read();

    clock += 15_000;
    const reading = await reader.read();

    const poll = fake.server.requests.at(-1)!;
    expect(poll.url).toContain('configuration_token=token-2');
    expect(poll.reply).toMatchObject({ status: 200, body: '' });
    expect(reading).toEqual({ origin: 'appconfig', flags: loaded({ readOnly: true }) });
  });

  test('a flag toggled on the server is seen after the interval, not before', async () => {
    const reader = newReader();
    await reader.read();

    fake.deploy(featureFlagsDocument({ readOnly: false, softDelete: true }));
    clock += 5_000;
    expect((await reader.read()).flags.readOnly).toBe(true);

    clock += 10_000;
    expect(await reader.read()).toEqual({ origin: 'appconfig', flags: loaded({ softDelete: true }) });
  });

  test("the server's Next-Poll-Interval-In-Seconds decides when to poll next", async () => {
    fake.pollIntervalSeconds = 60;
    const reader = newReader();
    await reader.read();

    clock += 59_000;
    expect((await reader.read()).origin).toBe('cache');
    clock += 1_000;
    expect((await reader.read()).origin).toBe('appconfig');
  });

  test('with AppConfig down and nothing known, the first read fails with FlagsUnavailable instead of guessing (writes never run blind)', async () => {
    await fake.close();

    await expect(newReader().read()).rejects.toMatchObject({ name: 'FlagsUnavailable' });
  });

  test('with AppConfig down later, reads serve the last known flags (stale cache)', async () => {
    const reader = newReader();
    await reader.read();
    await fake.close();

    clock += 15_000;
    const reading = await reader.read();

    expect(reading).toEqual({ origin: 'stale-cache', flags: loaded({ readOnly: true }) });
  });

  test('a rejected token serves stale flags, and the next poll starts a new session', async () => {
    const reader = newReader();
    await reader.read();
    fake.expireTokens();
    fake.deploy(featureFlagsDocument({ publishEvents: true }));

    clock += 15_000;
    expect((await reader.read()).origin).toBe('stale-cache');
    clock += 15_000;
    const reading = await reader.read();

    expect(reading).toEqual({ origin: 'appconfig', flags: loaded({ publishEvents: true }) });
    expect(fake.count('StartConfigurationSession')).toBe(2);
  });

  test("the circuitBreaker flag's attributes are the circuit settings; a value outside its constraints keeps its default", async () => {
    const reader = newReader();
    await reader.read();
    fake.deploy(featureFlagsDocument({ circuitBreaker: false }, { failureThreshold: 2, coolDownSeconds: 0, force: 'open' }));
    clock += 15_000;
    const { flags } = await reader.read();
    expect(flags.circuitBreaker).toBe(false);
    expect(flags.circuit).toEqual({ enabled: false, failureThreshold: 2, windowSeconds: 60, coolDownSeconds: 30, maxCoolDownSeconds: 300, force: 'open' });
  });
});

describe('the fake AppConfigData endpoint', () => {
  test('rejects a reused token with 400 BadRequestException, like AppConfigData', async () => {
    const client = new AppConfigDataClient({ ...LOCAL_CLIENT_CONFIG, endpoint: fake.url });
    const { InitialConfigurationToken } = await client.send(
      new StartConfigurationSessionCommand({ ApplicationIdentifier: 'a', EnvironmentIdentifier: 'e', ConfigurationProfileIdentifier: 'p' }),
    );
    const first = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }));
    expect(JSON.parse(Buffer.from(first.Configuration!).toString('utf8'))).toMatchObject({ readOnly: { enabled: true }, softDelete: { enabled: false }, publishEvents: { enabled: false }, circuitBreaker: { enabled: true, failureThreshold: 5 } });
    expect(first.NextPollIntervalInSeconds).toBe(15);

    await expect(client.send(new GetLatestConfigurationCommand({ ConfigurationToken: InitialConfigurationToken }))).rejects.toBeInstanceOf(BadRequestException);
    const second = await client.send(new GetLatestConfigurationCommand({ ConfigurationToken: first.NextPollConfigurationToken }));
    expect(second.Configuration?.length ?? 0).toBe(0);
  });
});

describe('the flags Lambda handler', () => {
  test('reads the flags through AWS_ENDPOINT_URL with the ids from its environment', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: fake.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      APPCONFIG_APPLICATION_ID: 'crud-api',
      APPCONFIG_ENVIRONMENT_ID: 'live',
      APPCONFIG_PROFILE_ID: 'feature-flags',
    });
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      let handler!: () => Promise<unknown>;
      jest.isolateModules(() => {
        handler = require('../../lambdas/flags/index').handler;
      });
      expect(await handler()).toEqual(loaded({ readOnly: true }));
      expect(JSON.parse(fake.server.requests[0].body)).toMatchObject({ ApplicationIdentifier: 'crud-api', EnvironmentIdentifier: 'live' });
    } finally {
      process.env = saved;
    }
  });
});
