import { App } from 'aws-cdk-lib';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CrudApiStack } from '../cdk/stack';
import { ROOT } from '../cdk/paths';
import type { Template } from './cloudformation/template';

export interface SynthesizedApp {
  stackName: string;
  template: Template;
  /** The cloud assembly folder: Lambda bundles are its asset.<hash> folders. */
  assemblyDir: string;
  /** True when the template came from the cache (sources unchanged). */
  cached: boolean;
}

const SOURCES = ['cdk', 'statemachines', 'lambdas', 'package-lock.json'];

/**
 * Synthesizes the CDK app in-process, exactly as `cdk synth` would, and caches the cloud assembly
 * under <cacheDir>/<hash of the sources> so that a restart with unchanged sources skips synthesis.
 */
export function synthesizeApp(cacheDir: string, stackName = 'CrudApi', context: Record<string, unknown> = {}): SynthesizedApp {
  // One entry per sources and context: clouds with other contexts (tests run them side by side) keep theirs.
  const sources = sourceHash();
  const key = `${sources}-${createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 8)}`;
  const assemblyDir = path.join(cacheDir, `assembly-${key}`);
  const templateFile = path.join(assemblyDir, `${stackName}.template.json`);
  if (fs.existsSync(templateFile)) {
    return { stackName, template: JSON.parse(fs.readFileSync(templateFile, 'utf8')), assemblyDir, cached: true };
  }
  const building = path.join(cacheDir, `building-${key}-${process.pid}`);
  fs.rmSync(building, { recursive: true, force: true });
  // CloudFormation validation (a 5 s WebAssembly pass) is left to `cdk synth` and the CDK tests.
  // Extra context (e.g. { stage: 'prod' }) wins over cdk.json's, as `cdk synth -c stage=prod` does.
  const app = new App({ outdir: building, context: { ...readCdkContext(), ...context }, builtinCloudFormationValidation: false });
  new CrudApiStack(app, stackName);
  app.synth();
  // The rename makes the cache entry appear whole or not at all; another process may have won the race.
  try {
    fs.renameSync(building, assemblyDir);
  } catch (error) {
    if (!fs.existsSync(templateFile)) throw error;
    fs.rmSync(building, { recursive: true, force: true });
  }
  // Assemblies of older sources are stale; those of the same sources with another context may be in use.
  for (const old of fs.readdirSync(cacheDir)) {
    if (old.startsWith('assembly-') && !old.startsWith(`assembly-${sources}-`)) fs.rmSync(path.join(cacheDir, old), { recursive: true, force: true });
  }
  return { stackName, template: JSON.parse(fs.readFileSync(templateFile, 'utf8')), assemblyDir, cached: false };
}

/** The feature flags of cdk.json, so the local template equals what `cdk synth` prints. */
function readCdkContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8'));
  return cdkJson.context ?? {};
}

function sourceHash(): string {
  const hash = createHash('sha256');
  const visit = (p: string) => {
    const stat = fs.statSync(p);
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p).sort()) visit(path.join(p, entry));
    } else {
      hash.update(path.relative(ROOT, p));
      hash.update(fs.readFileSync(p));
    }
  };
  for (const source of [...SOURCES, 'cdk.json']) visit(path.join(ROOT, source));
  return hash.digest('hex').slice(0, 16);
}
