/**
 * `flags get/set` on AWS: the AppConfig control-plane calls and the document they write.
 *
 * What this proves: which deployed version is read, that the new hosted version is the deployed
 * document with exactly one value changed (AWS.AppConfig.FeatureFlags shape, application/json), and that
 * it is deployed with AppConfig.AllAtOnce to the stack's environment; how a refused deployment is
 * reported. What it does not prove: AppConfig's own validation of the document — nothing local implements
 * the AppConfig control plane, so the client's `send` is intercepted and answers like the API reference.
 */
import { featureFlagsDocument } from '../../../lambdas/flags/definitions';
import { ALL_AT_ONCE, getFlags, readDeployedDocument, setFlag, withFlag } from '../../../local/cli/appconfig-flags';
import { EXIT, OperationFailedError } from '../../../local/cli/errors';
import { FLAGS_AT as AT, fakeAppConfig } from './fakes';

/** What CDK deploys (cdk/feature-flags.ts), as AppConfig stores it (it adds _createdAt/_updatedAt to flags). */
const initial = () => {
  const doc = featureFlagsDocument() as any;
  doc.flags.readOnly._createdAt = '2026-01-01T00:00:00.000Z';
  return doc;
};

describe('reading the deployed flags', () => {
  test('the newest deployment that was not rolled back names the version read', async () => {
    const readOnlyOn = { ...initial(), values: { ...initial().values, readOnly: { enabled: true } } };
    const { client, calls } = fakeAppConfig({
      versions: { 1: initial(), 2: readOnlyOn, 3: initial() },
      deployments: [
        { DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' },
        { DeploymentNumber: 2, ConfigurationVersion: '2', State: 'BAKING' },
        { DeploymentNumber: 3, ConfigurationVersion: '3', State: 'ROLLED_BACK' },
      ],
    });
    const state = await getFlags(client, AT);
    expect(state.values).toEqual({ readOnly: true, softDelete: false, publishEvents: false, circuitBreaker: true });
    expect(state.source).toBe('AppConfig app1234/env5678/prof9012 version 2 (deployment 2, BAKING)');
    expect(calls.find((c) => c.command === 'ListDeploymentsCommand')!.input).toMatchObject({ ApplicationId: 'app1234', EnvironmentId: 'env5678' });
    expect(calls.find((c) => c.command === 'GetHostedConfigurationVersionCommand')!.input).toEqual({ ApplicationId: 'app1234', ConfigurationProfileId: 'prof9012', VersionNumber: 2 });
  });

  test('with no deployment yet, the newest hosted version', async () => {
    const { client } = fakeAppConfig({ versions: { 1: initial(), 4: initial() }, deployments: [] });
    expect(await readDeployedDocument(client, AT)).toMatchObject({ versionNumber: 4, deploymentNumber: undefined });
  });
});

describe('setting a flag', () => {
  test('creates a version from the deployed document with one value changed, and deploys it all at once', async () => {
    const versions: Record<number, any> = { 1: initial(), 2: { ...initial(), values: { ...initial().values, publishEvents: { enabled: true } } } };
    const { client, calls } = fakeAppConfig({ versions, deployments: [{ DeploymentNumber: 1, ConfigurationVersion: '1', State: 'COMPLETE' }] });

    const change = await setFlag(client, AT, 'readOnly', true);

    expect(change).toEqual({ flag: 'readOnly', enabled: true, previous: false, versionNumber: 3, deploymentNumber: 2, state: 'DEPLOYING' });
    // Based on the deployed version 1, not on the undeployed draft 2 (publishEvents stays off).
    const expected = initial();
    expected.values.readOnly = { enabled: true };
    expect(versions[3]).toEqual(expected);
    const create = calls.find((c) => c.command === 'CreateHostedConfigurationVersionCommand')!.input;
    expect(create).toMatchObject({ ApplicationId: 'app1234', ConfigurationProfileId: 'prof9012', ContentType: 'application/json' });
    expect(calls.find((c) => c.command === 'StartDeploymentCommand')!.input).toMatchObject({
      ApplicationId: 'app1234',
      EnvironmentId: 'env5678',
      ConfigurationProfileId: 'prof9012',
      ConfigurationVersion: '3',
      DeploymentStrategyId: ALL_AT_ONCE,
    });
    expect(ALL_AT_ONCE).toBe('AppConfig.AllAtOnce');
  });

  test('a refused deployment (another one in progress) is an operation failure (exit 1) that says what was left behind', async () => {
    const { client } = fakeAppConfig({ versions: { 1: initial() }, deployments: [{ DeploymentNumber: 7, ConfigurationVersion: '1', State: 'DEPLOYING' }], refuseDeployment: true });
    const failure = await setFlag(client, AT, 'softDelete', true).catch((e) => e);
    expect(failure).toBeInstanceOf(OperationFailedError);
    expect(failure.exitCode).toBe(EXIT.FAILED);
    expect(failure.message).toBe('AppConfig refused the deployment: Deployment 7 is in progress in environment env5678.');
    expect(failure.hints[0]).toContain('Version 2 was created but not deployed');
  });

  test('withFlag keeps every other flag and attribute, and adds a flag the document lacks', () => {
    const doc = { version: '1', flags: { readOnly: { name: 'readOnly', _createdAt: 'x' } }, values: { readOnly: { enabled: false, extra: 1 } } };
    expect(withFlag(doc, 'readOnly', true)).toEqual({ version: '1', flags: { readOnly: { name: 'readOnly', _createdAt: 'x' } }, values: { readOnly: { enabled: true, extra: 1 } } });
    expect(withFlag(doc, 'softDelete', true).flags.softDelete).toMatchObject({ name: 'softDelete' });
  });
});
