/** FlagsTracker: when a deployed flag change takes effect (first AppConfigData poll that serves it). */
import { AppConfigDataService, AppConfigStore, FEATURE_FLAGS_TYPE } from '../../../local/services/appconfigdata';
import { FlagsEvent, FlagsTracker } from '../../../local/console/flags';

const DOC = {
  version: '1',
  flags: { readOnly: { name: 'readOnly' }, banner: { name: 'banner', attributes: { text: { constraints: { type: 'string' } } } } },
  values: { readOnly: { enabled: false }, banner: { enabled: true, text: 'hello' } },
};

function setup(pollIntervalMs = 80) {
  const store = AppConfigStore.open({ inMemory: true });
  const data = new AppConfigDataService(store, { enforcePollInterval: false });
  const app = store.createApplication({ Name: 'app' });
  const env = store.createEnvironment({ ApplicationId: app.Id, Name: 'live' });
  const profile = store.createConfigurationProfile({ ApplicationId: app.Id, Name: 'flags', Type: FEATURE_FLAGS_TYPE });
  const target = { application: app.Id, environment: env.Id, configurationProfile: profile.Id };
  store.publish({ ...target, content: DOC, contentType: 'application/json' });
  // A poller like the flags Lambda: one session, polled on demand.
  let token: string | undefined;
  const poll = jest.fn(async () => {
    token ??= (await data.startConfigurationSession({ ApplicationIdentifier: app.Id, EnvironmentIdentifier: env.Id, ConfigurationProfileIdentifier: profile.Id, RequiredMinimumPollIntervalInSeconds: 15 })).InitialConfigurationToken;
    token = (await data.getLatestConfiguration({ ConfigurationToken: token })).NextPollConfigurationToken;
  });
  const events: FlagsEvent[] = [];
  const tracker = new FlagsTracker({ store, data, poll, pollIntervalMs, onEvent: (e) => events.push(e) });
  const view = () => tracker.environments()[0];
  const states = () => Object.fromEntries(view().flags.map((f) => [f.key, f.state]));
  return { store, tracker, poll, events, view, states, target };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('FlagsTracker', () => {
  it('shows the deployed values, pending until a poller has been served them, then effective since that poll', async () => {
    const { tracker, poll, view, states } = setup();
    expect(view()).toMatchObject({ environment: { name: 'live' }, configurationProfile: { name: 'flags' }, deployment: { deploymentNumber: 1, version: 1 } });
    expect(view().flags.map((f) => [f.key, f.enabled, f.attributes])).toEqual([
      ['readOnly', false, {}],
      ['banner', true, { text: 'hello' }],
    ]);
    expect(states()).toEqual({ readOnly: 'pending', banner: 'pending' });
    expect(view().lastPollAt).toBeUndefined();

    await poll();
    expect(states()).toEqual({ readOnly: 'effective', banner: 'effective' });
    expect(view().effective).toMatchObject({ deploymentNumber: 1, version: 1, effectiveSince: expect.any(String) });
    expect(view().deployment?.effectiveSince).toBe(view().effective?.effectiveSince);
    tracker.close();
  });

  it('a change is pending (only the flag changed) until the poller is due, then the poller is made to poll and it takes effect', async () => {
    const { tracker, poll, events, view, states } = setup(150);
    await poll();
    poll.mockClear();

    const result = tracker.set({ flag: 'readOnly', enabled: true });
    expect(result).toMatchObject({ versionNumber: 2, deploymentNumber: 2 });
    expect(result.environment.flags.find((f) => f.key === 'readOnly')).toMatchObject({ enabled: true, state: 'pending' });
    expect(states()).toEqual({ readOnly: 'pending', banner: 'effective' });
    expect(view().effective?.deploymentNumber).toBe(1);
    expect(view().nextPollAt).toBeDefined();

    await sleep(600);
    expect(poll).toHaveBeenCalledTimes(1);
    expect(states()).toEqual({ readOnly: 'effective', banner: 'effective' });
    expect(view().effective).toMatchObject({ deploymentNumber: 2, version: 2 });
    expect(events.map((e) => `${e.kind} #${e.deploymentNumber}`)).toEqual(['effective #1', 'deployed #2', 'effective #2']);
    tracker.close();
  });

  it('does not poke a poller that never polled (a cold flags Lambda reads the latest on its first request)', async () => {
    const { tracker, poll, states } = setup(20);
    tracker.set({ flag: 'readOnly', enabled: true });
    await sleep(150);
    expect(poll).not.toHaveBeenCalled();
    expect(states()).toEqual({ readOnly: 'pending', banner: 'pending' });
    tracker.close();
  });

  it('edits attributes, and refuses unknown flags and malformed changes', async () => {
    const { tracker, view } = setup();
    tracker.set({ flag: 'banner', attributes: { text: 'maintenance at 5' } });
    expect(view().flags.find((f) => f.key === 'banner')).toMatchObject({ enabled: true, attributes: { text: 'maintenance at 5' } });
    expect(() => tracker.set({ flag: 'nope', enabled: true })).toThrow('Unknown feature flag "nope"');
    expect(() => tracker.set({ flag: 'readOnly', enabled: 'yes' as never })).toThrow('"enabled" must be a boolean');
    expect(() => tracker.set({ flag: 'readOnly', environment: 'staging', enabled: true })).toThrow('No environment "staging"');
    expect(() => tracker.set({} as never)).toThrow('"flag" is required');
    tracker.close();
  });
});
