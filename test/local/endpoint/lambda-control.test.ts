/**
 * Lambda's ListFunctions / GetFunction / GetFunctionConfiguration / GetFunctionConcurrency on the endpoint.
 * @aws-sdk/client-lambda is not a dependency, so the requests are raw HTTP shaped as the SDK and the AWS CLI send
 * them (botocore lambda/2015-03-31: `GET /2015-03-31/functions/`, `GET /2015-03-31/functions/{FunctionName}`);
 * the expected fields follow that model's GetFunction/ListFunctions examples.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunningEndpoint, startEndpoint } from '../../../local/endpoint';
import { LambdaFunctionDescription, describeTemplateFunction } from '../../../local/lambda/configuration';
import { LocalServices } from '../../../local/services';
import { removeDir, tempDir } from './helpers';

const ARN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const LOADED_AT = new Date('2026-11-01T10:00:00.123Z');

let services: LocalServices;
let endpoint: RunningEndpoint;
let codeDir: string;

beforeAll(async () => {
  codeDir = tempDir('lambda-code-');
  fs.writeFileSync(path.join(codeDir, 'index.js'), 'exports.handler = async () => ({ ok: true });\n');
  const functions = new Map<string, LambdaFunctionDescription>([
    [
      'CrudApi-Redrive',
      describeTemplateFunction({
        functionName: 'CrudApi-Redrive',
        functionArn: ARN('CrudApi-Redrive'),
        codeDir,
        loadedAt: LOADED_AT,
        properties: {
          Runtime: 'nodejs22.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::000000000000:role/redrive',
          Description: 'Replays the DLQ',
          Timeout: 300,
          MemorySize: 256,
          ReservedConcurrentExecutions: 1,
          Architectures: ['arm64'],
          Environment: { Variables: { REDRIVE_TARGETS: '[]', RETRIES: 3 } },
          TracingConfig: { Mode: 'Active' },
          Tags: [{ Key: 'team', Value: 'ops' }],
        },
      }),
    ],
    ['CrudApi-Flags', describeTemplateFunction({ functionName: 'CrudApi-Flags', functionArn: ARN('CrudApi-Flags'), loadedAt: LOADED_AT, properties: { Runtime: 'nodejs22.x', Handler: 'index.handler' } })],
  ]);
  services = await LocalServices.open({ inMemory: true });
  endpoint = await startEndpoint({ services, port: 0, lambda: { functions: () => functions, has: (n) => functions.has(n), invoke: async () => ({ ok: true }) } });
});

afterAll(async () => {
  await endpoint?.close();
  await services?.close();
  removeDir(codeDir);
});

/** A request as the AWS SDK sends it (signed headers omitted: the endpoint does not check them). */
async function lambdaGet(pathAndQuery: string): Promise<{ status: number; errorType: string | null; body: any }> {
  const res = await fetch(`${endpoint.url}${pathAndQuery}`, { headers: { 'x-amz-date': '20261101T100000Z', authorization: 'AWS4-HMAC-SHA256 Credential=x/20261101/us-east-1/lambda/aws4_request' } });
  return { status: res.status, errorType: res.headers.get('x-amzn-errortype'), body: await res.json() };
}

describe('GetFunction', () => {
  it('describes a template function: Configuration, Code location, Tags and Concurrency', async () => {
    const { status, body } = await lambdaGet('/2015-03-31/functions/CrudApi-Redrive');
    expect(status).toBe(200);
    expect(body).toEqual({
      Configuration: {
        FunctionName: 'CrudApi-Redrive',
        FunctionArn: ARN('CrudApi-Redrive'),
        Runtime: 'nodejs22.x',
        Role: 'arn:aws:iam::000000000000:role/redrive',
        Handler: 'index.handler',
        CodeSize: fs.statSync(path.join(codeDir, 'index.js')).size,
        Description: 'Replays the DLQ',
        Timeout: 300,
        MemorySize: 256,
        LastModified: '2026-11-01T10:00:00.123+0000',
        CodeSha256: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
        Version: '$LATEST',
        Environment: { Variables: { REDRIVE_TARGETS: '[]', RETRIES: '3' } },
        TracingConfig: { Mode: 'Active' },
        RevisionId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: 'Zip',
        Architectures: ['arm64'],
        EphemeralStorage: { Size: 512 },
        SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
        LoggingConfig: { LogFormat: 'Text', LogGroup: '/aws/lambda/CrudApi-Redrive' },
      },
      Code: { Location: pathToFileURL(codeDir).href },
      Tags: { team: 'ops' },
      Concurrency: { ReservedConcurrentExecutions: 1 },
    });
  });

  it('finds a function by ARN, partial ARN or :$LATEST, and defaults what the template leaves out', async () => {
    for (const ref of [ARN('CrudApi-Flags'), '000000000000:function:CrudApi-Flags', 'CrudApi-Flags:$LATEST', encodeURIComponent(ARN('CrudApi-Flags'))]) {
      const { status, body } = await lambdaGet(`/2015-03-31/functions/${ref}`);
      expect({ ref, status }).toEqual({ ref, status: 200 });
      expect(body.Configuration).toMatchObject({ FunctionName: 'CrudApi-Flags', Timeout: 3, MemorySize: 128, Architectures: ['x86_64'], TracingConfig: { Mode: 'PassThrough' }, CodeSize: 0 });
      expect(body.Code).toBeUndefined();
      expect(body.Concurrency).toBeUndefined();
    }
  });

  it('answers ResourceNotFoundException (404) for an unknown function or a version/alias qualifier', async () => {
    const unknown = await lambdaGet('/2015-03-31/functions/nope');
    expect(unknown).toEqual({ status: 404, errorType: 'ResourceNotFoundException', body: { Type: 'User', message: `Function not found: ${ARN('nope')}` } });
    const versioned = await lambdaGet('/2015-03-31/functions/CrudApi-Flags?Qualifier=1');
    expect(versioned).toMatchObject({ status: 404, errorType: 'ResourceNotFoundException', body: { message: `Function not found: ${ARN('CrudApi-Flags')}:1` } });
  });
});

describe('GetFunctionConfiguration and GetFunctionConcurrency', () => {
  it('answer the Configuration alone, and the reserved concurrency ({} without one)', async () => {
    const config = await lambdaGet('/2015-03-31/functions/CrudApi-Redrive/configuration');
    expect(config.body).toMatchObject({ FunctionName: 'CrudApi-Redrive', State: 'Active', Timeout: 300 });
    expect((await lambdaGet('/2019-09-30/functions/CrudApi-Redrive/concurrency')).body).toEqual({ ReservedConcurrentExecutions: 1 });
    expect((await lambdaGet('/2019-09-30/functions/CrudApi-Flags/concurrency')).body).toEqual({});
  });
});

describe('ListFunctions', () => {
  it('lists every function by name, paged by MaxItems and Marker', async () => {
    const all = await lambdaGet('/2015-03-31/functions/');
    expect(all.status).toBe(200);
    expect(all.body.Functions.map((f: any) => f.FunctionName)).toEqual(['CrudApi-Flags', 'CrudApi-Redrive']);
    expect(all.body.NextMarker).toBeUndefined();
    expect(all.body.Functions[1]).toEqual((await lambdaGet('/2015-03-31/functions/CrudApi-Redrive')).body.Configuration);

    const first = await lambdaGet('/2015-03-31/functions/?MaxItems=1');
    expect(first.body.Functions.map((f: any) => f.FunctionName)).toEqual(['CrudApi-Flags']);
    const second = await lambdaGet(`/2015-03-31/functions/?MaxItems=1&Marker=${encodeURIComponent(first.body.NextMarker)}`);
    expect(second.body).toEqual({ Functions: [expect.objectContaining({ FunctionName: 'CrudApi-Redrive' })] });

    expect(await lambdaGet('/2015-03-31/functions/?MaxItems=0')).toMatchObject({ status: 400, errorType: 'InvalidParameterValueException' });
  });
});

describe('Lambda operations that are not emulated', () => {
  it('answer UnknownOperationException naming the operation', async () => {
    expect(await lambdaGet('/2015-03-31/functions/CrudApi-Redrive/policy')).toEqual({
      status: 404,
      errorType: 'UnknownOperationException',
      body: { Type: 'User', message: 'GetPolicy is not supported by the local Lambda' },
    });
    expect((await lambdaGet('/2015-03-31/functions/CrudApi-Redrive/versions')).body.message).toBe('ListVersionsByFunction is not supported by the local Lambda');
  });
});
