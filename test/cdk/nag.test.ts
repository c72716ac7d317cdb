import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as fs from 'node:fs';
import { ACCEPTED_FINDINGS } from '../../cdk/nag-suppressions';
import { buildApp, removeSynthesized, withNag } from '../helpers/synth';

afterAll(removeSynthesized);

interface Violation {
  ruleName: string;
  violatingConstructs: { constructPath: string }[];
}

/** Synthesizes with AwsSolutionsChecks; returns the violations of the report when synth throws, [] when it passes. */
function nagViolations(app: { synth: () => unknown }): Violation[] {
  try {
    app.synth();
    return [];
  } catch (error) {
    return nagViolationsOf(error);
  }
}

/** The violations of the validation report a failed synth points to. */
function nagViolationsOf(error: unknown): Violation[] {
  const report = /found in: (\S+validation-report\.json)/.exec(String((error as Error).message));
  if (!report) throw error;
  const json = JSON.parse(fs.readFileSync(report[1], 'utf8'));
  return json.pluginReports.flatMap((p: { violations: Violation[] }) => p.violations);
}

/** Silences the report cdk prints to the console when validation fails (the test reads the report file instead). */
function quietly<T>(fn: () => T): T {
  const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    return fn();
  } finally {
    spy.mockRestore();
    log.mockRestore();
  }
}

describe('cdk-nag AwsSolutions', () => {
  test('the stack passes with its justified acknowledgements (synth does not throw)', () => {
    // GIVEN the app with the AwsSolutions pack registered
    const { app } = buildApp({ beforeSynth: (a) => withNag(a) });
    // WHEN / THEN
    expect(quietly(() => nagViolations(app))).toEqual([]);
  });

  test('it passes too with a concrete account and region, as `cdk deploy` builds the app', () => {
    const { app } = buildApp({ env: { account: '123456789012', region: 'eu-west-1' }, beforeSynth: (a) => withNag(a) });
    expect(quietly(() => nagViolations(app))).toEqual([]);
  });

  test('a non-compliant construct in the same app makes synth throw: the check is not vacuous', () => {
    // GIVEN a queue that does not enforce TLS, next to the stack's own (compliant) queues
    const { app } = buildApp({
      beforeSynth: (a, stack) => {
        withNag(a);
        new sqs.Queue(stack, 'QueueWithoutTls', { enforceSSL: false, encryption: sqs.QueueEncryption.SQS_MANAGED });
      },
    });
    // WHEN
    let thrown: unknown;
    const violations = quietly(() => {
      try {
        app.synth();
      } catch (error) {
        thrown = error;
      }
      return thrown ? nagViolationsOf(thrown) : [];
    });
    // THEN synth throws, and its report names exactly that finding on that construct
    expect(thrown).toBeInstanceOf(Error);
    expect(String((thrown as Error).message)).toContain('AwsSolutions-SQS4');
    expect(violations).toEqual([
      expect.objectContaining({
        ruleName: 'AwsSolutions-SQS4',
        violatingConstructs: [expect.objectContaining({ constructPath: 'CrudApiTest/QueueWithoutTls/Resource' })],
      }),
    ]);
  });

  test('every acknowledgement is still needed: without them, each one is a finding of this stack', () => {
    // GIVEN the same stack built with suppressJustifiedFindings turned off
    let violations: Violation[] = [];
    jest.isolateModules(() => {
      jest.doMock('../../cdk/nag-suppressions', () => ({
        ...jest.requireActual('../../cdk/nag-suppressions'),
        suppressJustifiedFindings: () => undefined,
      }));
      const isolated = require('../helpers/synth') as typeof import('../helpers/synth');
      const { app } = isolated.buildApp({ beforeSynth: (a) => isolated.withNag(a) });
      violations = quietly(() => nagViolations(app));
      isolated.removeSynthesized();
    });
    // THEN every acknowledged id names a finding that really occurs (none is stale or mistyped)
    const found = new Set(violations.map((v) => v.ruleName));
    for (const { id } of ACCEPTED_FINDINGS) expect({ id, found: found.has(id) }).toEqual({ id, found: true });
  });
});

describe('acknowledgements', () => {
  test.each(ACCEPTED_FINDINGS.map((f) => [f.id, f.reason]))('%s has a real reason', (id, reason) => {
    expect(id).toMatch(/^AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
    expect(reason.trim().length).toBeGreaterThanOrEqual(30);
    expect(reason.split(/\s+/).length).toBeGreaterThanOrEqual(6);
    expect(reason).not.toMatch(/^(todo|tbd|n\/?a|none|false positive|ok|suppressed|not needed)\.?$/i);
    expect(reason).not.toContain(id);
  });

  test('no rule is acknowledged twice', () => {
    const ids = ACCEPTED_FINDINGS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('acknowledgements are scoped: no blanket IAM4/IAM5 without the finding it covers', () => {
    for (const { id } of ACCEPTED_FINDINGS.filter((f) => /-IAM[45]/.test(f.id))) expect(id).toMatch(/\[(Policy|Resource|Action)::.+\]$/);
  });
});
