import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CrudApiStack, CrudApiStackProps } from '../../cdk/stack';
import { ROOT } from '../../cdk/paths';

export interface SynthOptions extends CrudApiStackProps {
  /** Bundle the Lambdas with esbuild (slow; default false: no assertion here needs the bundled code). */
  readonly bundle?: boolean;
  /** Called after the stack is built and before synthesis: add extra constructs or validation plugins. */
  readonly beforeSynth?: (app: App, stack: CrudApiStack) => void;
}

export interface Synthesized {
  readonly app: App;
  readonly stack: CrudApiStack;
  readonly assembly: CloudAssembly;
  readonly template: Template;
}

/** The feature flags of cdk.json: the same context `cdk synth`/`cdk deploy` gives the app. */
export function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context ?? {};
}

const outdirs: string[] = [];

/** Removes the cloud assemblies this process synthesized (call from afterAll). */
export function removeSynthesized(): void {
  for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** Builds an App + CrudApiStack. Synthesis may throw (validation plugins), so it is separate. */
export function buildApp(options: SynthOptions = {}): { app: App; stack: CrudApiStack } {
  const { bundle = false, beforeSynth, ...props } = options;
  const context: Record<string, unknown> = { ...cdkJsonContext() };
  if (!bundle) context['aws:cdk:bundling-stacks'] = [];
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'crud-api-test-'));
  outdirs.push(outdir);
  const app = new App({ context, outdir });
  const stack = new CrudApiStack(app, 'CrudApiTest', props);
  beforeSynth?.(app, stack);
  return { app, stack };
}

/** Synthesizes once; share the result across a file (beforeAll): synthesis takes seconds. */
export function synthesize(options: SynthOptions = {}): Synthesized {
  const { app, stack } = buildApp(options);
  const assembly = app.synth();
  return { app, stack, assembly, template: Template.fromStack(stack) };
}

/** Registers cdk-nag's AwsSolutions pack (v3 API): any unacknowledged finding makes synth throw. */
export function withNag(app: App): void {
  // Required lazily so files that do not run nag do not pay for loading it.
  const { AwsSolutionsChecks } = require('cdk-nag') as typeof import('cdk-nag');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** The text of a file asset of the stack (e.g. a state machine definition uploaded to S3). */
export function fileAssetText(assembly: CloudAssembly, objectKey: string): string {
  for (const file of fs.readdirSync(assembly.directory).filter((f) => f.endsWith('.assets.json'))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, file), 'utf8'));
    for (const [, asset] of Object.entries<any>(manifest.files ?? {})) {
      const destinations = Object.values<any>(asset.destinations ?? {});
      if (destinations.some((d) => d.objectKey === objectKey)) {
        return fs.readFileSync(path.resolve(assembly.directory, asset.source.path), 'utf8');
      }
    }
  }
  throw new Error(`No file asset with object key ${objectKey} in ${assembly.directory}`);
}
