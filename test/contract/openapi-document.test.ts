/**
 * The OpenAPI document: valid OpenAPI 3.0 (@seriousme/openapi-schema-validator) in every auth mode, the same as
 * the stack serves (its MOCK integration's response template) and as docs/openapi.json, under API Gateway's
 * mapping template size limit, and served by the local cloud from that template.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GENERATED_CLIENT_DIR, OPENAPI_FILE, stackOpenApiText } from '../../cdk/bin/openapi';
import { buildOpenApiDocument } from '../../cdk/openapi';
import { MAX_MAPPING_TEMPLATE_BYTES, documentTemplate } from '../../cdk/openapi-route';
import { ROOT } from '../../cdk/paths';
import { RESOURCES } from '../../cdk/resources';
import { buildApp, removeSynthesized, synthesize } from '../helpers/synth';
import { startTestCloud } from '../e2e/helpers';

afterAll(() => removeSynthesized());

/** The validator is ESM only: its CLI runs in a child process. */
function validate(document: object): { valid: boolean; errors?: unknown } {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-')), 'openapi.json');
  fs.writeFileSync(file, JSON.stringify(document));
  const cli = path.join(ROOT, 'node_modules', '@seriousme', 'openapi-schema-validator', 'bin', 'validate-api-cli.js');
  try {
    return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' }));
  } catch (error) {
    return JSON.parse((error as { stdout: string }).stdout);
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

describe('the document', () => {
  it.each([
    ['iam', false],
    ['cognito', true],
    ['none', false],
  ] as const)('is valid OpenAPI 3.0 with auth %s (API key required: %s)', (auth, apiKeyRequired) => {
    const document = buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth, apiKeyRequired, throttled: true, debugHeaders: true });
    expect(validate(document)).toEqual({ valid: true });
    expect(document.openapi).toBe('3.0.3');
  });

  it('docs/openapi.json is the default stack\'s document and is valid (npm run openapi rewrites it)', () => {
    const committed = fs.readFileSync(OPENAPI_FILE, 'utf8');
    expect(committed).toBe(stackOpenApiText());
    expect(validate(JSON.parse(committed))).toEqual({ valid: true });
  });

  it('test/contract/generated-client/ is the client of docs/openapi.json (npm run openapi rewrites it)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'openapi-client-'));
    try {
      execFileSync(path.join(ROOT, 'node_modules', '.bin', 'tsx'), [path.join(ROOT, 'cdk', 'bin', 'openapi.ts'), '--client-to', dir], { cwd: ROOT });
      const files = (root: string) => fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).sort();
      expect(files(GENERATED_CLIENT_DIR)).toEqual(files(dir));
      for (const file of files(dir)) expect([file, fs.readFileSync(path.join(GENERATED_CLIENT_DIR, file), 'utf8')]).toEqual([file, fs.readFileSync(path.join(dir, file), 'utf8')]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names the security of each auth mode: SigV4, the Cognito token, and the API key of a usage plan', () => {
    const iam = buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth: 'iam', apiKeyRequired: true });
    expect(iam.security).toEqual([{ sigv4: [], apiKey: [] }]);
    expect((iam.components as any).securitySchemes.sigv4).toMatchObject({ type: 'apiKey', in: 'header', name: 'Authorization', 'x-amazon-apigateway-authtype': 'awsSigv4' });
    const cognito = buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth: 'cognito' });
    expect(cognito.security).toEqual([{ cognito: [] }]);
    expect(cognito.paths['/orders'].get.responses['401']).toBeDefined();
    const none = buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth: 'none' });
    expect(none.security).toBeUndefined();
    expect(none.paths['/orders'].get.responses['403']).toBeUndefined();
    expect(iam.paths['/openapi.json'].get.security).toEqual([]);
  });

  it('X-Execution-Arn only with debugHeaders', () => {
    const text = (debugHeaders: boolean) => JSON.stringify(buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth: 'iam', debugHeaders }));
    expect(text(true)).toContain('X-Execution-Arn');
    expect(text(false)).not.toContain('X-Execution-Arn');
  });
});

describe('served by API Gateway (MOCK integration)', () => {
  it('the template\'s response template is the document, with nothing Velocity interprets, under the size limit', () => {
    const { stack } = buildApp();
    const template = documentTemplate(stack.openApi.document);
    expect(template).not.toMatch(/[$#]/);
    expect(JSON.parse(template)).toEqual(stack.openApi.document);
    expect(Buffer.byteLength(template)).toBeLessThan(MAX_MAPPING_TEMPLATE_BYTES);
  });

  it('GET /openapi.json is a public MOCK method: no authorizer, no API key', () => {
    const { template } = synthesize();
    const resources = template.findResources('AWS::ApiGateway::Resource', { Properties: { PathPart: 'openapi.json' } });
    expect(Object.keys(resources)).toHaveLength(1);
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')).filter((m: any) => m.Properties.ResourceId?.Ref === Object.keys(resources)[0]);
    expect(methods.map((m: any) => [m.Properties.HttpMethod, m.Properties.AuthorizationType, m.Properties.ApiKeyRequired ?? false, m.Properties.Integration.Type])).toEqual(
      expect.arrayContaining([['GET', 'NONE', false, 'MOCK']]),
    );
  });

  it('a document over the limit fails synthesis loudly', () => {
    const huge = buildOpenApiDocument({ resources: RESOURCES, stageName: 'v1', auth: 'iam' });
    (huge.info as Record<string, unknown>).description = 'x'.repeat(MAX_MAPPING_TEMPLATE_BYTES);
    expect(() => documentTemplate(huge)).toThrow(/over API Gateway's 300000-byte limit/);
  });

  it('the local cloud serves it at /v1/openapi.json, unsigned, as docs/openapi.json', async () => {
    // The default settings, as docs/openapi.json is built (test clouds otherwise turn debugHeaders on).
    const cloud = await startTestCloud({ context: { debugHeaders: false } });
    try {
      const res = await fetch(`${cloud.apiUrl}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual(JSON.parse(fs.readFileSync(OPENAPI_FILE, 'utf8')));
    } finally {
      await cloud.stop();
    }
  });
});
