/**
 * `npm run openapi`: writes the stack's OpenAPI document to docs/openapi.json and generates the TypeScript
 * client the contract test uses (test/contract/generated-client/, @hey-api/openapi-ts). Both are committed;
 * test/contract/openapi-document.test.ts fails when they are not up to date.
 */
import { App } from 'aws-cdk-lib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT } from '../paths';
import { CrudApiStack } from '../stack';

export const OPENAPI_FILE = path.join(ROOT, 'docs', 'openapi.json');
export const GENERATED_CLIENT_DIR = path.join(ROOT, 'test', 'contract', 'generated-client');

/** The document of the stack `cdk synth` builds (cdk.json's context), without bundling the Lambdas. */
export function stackOpenApiText(context: Record<string, unknown> = {}): string {
  const cdkContext = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context ?? {};
  const app = new App({ context: { ...cdkContext, ...context, 'aws:cdk:bundling-stacks': [] } });
  const stack = new CrudApiStack(app, 'CrudApi');
  return JSON.stringify(stack.openApi.document, null, 2) + '\n';
}

async function main(): Promise<void> {
  fs.writeFileSync(OPENAPI_FILE, stackOpenApiText());
  console.log(`wrote ${path.relative(ROOT, OPENAPI_FILE)}`);
  // @hey-api/openapi-ts is ESM only.
  const { createClient } = await import('@hey-api/openapi-ts');
  await createClient({ input: OPENAPI_FILE, output: { path: GENERATED_CLIENT_DIR }, plugins: ['@hey-api/client-fetch'], logs: { level: 'warn' } });
  // The generator writes ESM-style `./x.js` imports; this package is CommonJS (jest and tsx resolve `./x`).
  for (const file of fs.readdirSync(GENERATED_CLIENT_DIR, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const full = path.join(GENERATED_CLIENT_DIR, file);
    fs.writeFileSync(full, fs.readFileSync(full, 'utf8').replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'"));
  }
  console.log(`wrote ${path.relative(ROOT, GENERATED_CLIENT_DIR)}/`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
