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

/** Generates the TypeScript client of the document in `file` into `outDir` (@hey-api/openapi-ts, fetch client). */
export async function generateClient(file: string, outDir: string): Promise<void> {
  // @hey-api/openapi-ts is ESM only.
  const { createClient } = await import('@hey-api/openapi-ts');
  await createClient({ input: file, output: { path: outDir }, plugins: ['@hey-api/client-fetch'], logs: { level: 'silent' } });
  // The generator writes ESM-style `./x.js` imports; this package is CommonJS (jest and tsx resolve `./x`).
  for (const name of fs.readdirSync(outDir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))) {
    const full = path.join(outDir, name);
    fs.writeFileSync(full, fs.readFileSync(full, 'utf8').replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'"));
  }
}

async function main(): Promise<void> {
  // `--client-to <dir>`: only the client of the committed document, elsewhere (the up-to-date test compares it).
  const to = process.argv.indexOf('--client-to');
  if (to > 0) return generateClient(OPENAPI_FILE, path.resolve(process.argv[to + 1]));
  fs.writeFileSync(OPENAPI_FILE, stackOpenApiText());
  console.log(`wrote ${path.relative(ROOT, OPENAPI_FILE)}`);
  await generateClient(OPENAPI_FILE, GENERATED_CLIENT_DIR);
  console.log(`wrote ${path.relative(ROOT, GENERATED_CLIENT_DIR)}/`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
