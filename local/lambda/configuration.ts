/**
 * A template function as Lambda's GetFunction / ListFunctions describe it (FunctionConfiguration), built from its
 * resolved `AWS::Lambda::Function` properties. Field set and formats as in the Lambda API reference and botocore's
 * lambda/2015-03-31 examples: LastModified like `2020-04-10T19:06:32.563+0000`, Version `$LATEST`, State Active,
 * LastUpdateStatus Successful, PackageType Zip.
 *
 * CodeSize and CodeSha256 describe the local bundle folder (its files' sizes and a SHA-256 over their paths and
 * contents), not a zip; they are computed on first use.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';

export interface LambdaFunctionDescription {
  /** The FunctionConfiguration (GetFunctionConfiguration, ListFunctions' items, GetFunction's Configuration). */
  configuration(): Record<string, unknown>;
  /** GetFunction's Code: the bundle folder as a file URL. */
  code(): { Location: string } | undefined;
  /** ReservedConcurrentExecutions, when the template sets it (GetFunction's Concurrency). */
  reservedConcurrency?: number;
  tags: Record<string, string>;
}

export interface FunctionFromTemplate {
  functionName: string;
  functionArn: string;
  /** The resolved properties of the AWS::Lambda::Function resource. */
  properties: Record<string, any>;
  /** The bundle folder, when the code is a local asset. */
  codeDir?: string;
  /** When the local cloud loaded it (LastModified). */
  loadedAt: Date;
}

export function describeTemplateFunction(fn: FunctionFromTemplate): LambdaFunctionDescription {
  const p = fn.properties;
  let stats: { size: number; sha256: string } | undefined;
  const codeStats = () => (stats ??= fn.codeDir ? folderStats(fn.codeDir) : { size: 0, sha256: createHash('sha256').digest('base64') });
  const environment = p.Environment?.Variables ? { Variables: stringRecord(p.Environment.Variables) } : undefined;
  const revisionId = createHash('sha256').update(JSON.stringify(p)).digest('hex');
  return {
    reservedConcurrency: p.ReservedConcurrentExecutions === undefined ? undefined : Number(p.ReservedConcurrentExecutions),
    tags: Object.fromEntries((Array.isArray(p.Tags) ? p.Tags : []).map((t: { Key: string; Value: unknown }) => [t.Key, String(t.Value ?? '')])),
    code: () => (fn.codeDir ? { Location: pathToFileURL(fn.codeDir).href } : undefined),
    configuration: () => {
      const { size, sha256 } = codeStats();
      return {
        FunctionName: fn.functionName,
        FunctionArn: fn.functionArn,
        Runtime: p.Runtime,
        Role: p.Role,
        Handler: p.Handler,
        CodeSize: size,
        Description: p.Description ?? '',
        Timeout: Number(p.Timeout ?? 3),
        MemorySize: Number(p.MemorySize ?? 128),
        LastModified: lambdaTimestamp(fn.loadedAt),
        CodeSha256: sha256,
        Version: '$LATEST',
        ...(environment ? { Environment: environment } : {}),
        TracingConfig: { Mode: p.TracingConfig?.Mode ?? 'PassThrough' },
        // A revision changes when the function's configuration does (here: its template properties).
        RevisionId: `${revisionId.slice(0, 8)}-${revisionId.slice(8, 12)}-${revisionId.slice(12, 16)}-${revisionId.slice(16, 20)}-${revisionId.slice(20, 32)}`,
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: 'Zip',
        Architectures: Array.isArray(p.Architectures) && p.Architectures.length ? p.Architectures : ['x86_64'],
        EphemeralStorage: { Size: Number(p.EphemeralStorage?.Size ?? 512) },
        SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
        LoggingConfig: {
          LogFormat: p.LoggingConfig?.LogFormat ?? 'Text',
          ...(p.LoggingConfig?.ApplicationLogLevel ? { ApplicationLogLevel: p.LoggingConfig.ApplicationLogLevel } : {}),
          ...(p.LoggingConfig?.SystemLogLevel ? { SystemLogLevel: p.LoggingConfig.SystemLogLevel } : {}),
          LogGroup: typeof p.LoggingConfig?.LogGroup === 'string' ? p.LoggingConfig.LogGroup : `/aws/lambda/${fn.functionName}`,
        },
      };
    },
  };
}

/** Lambda's LastModified format: ISO 8601 with milliseconds and a `+0000` offset. */
export function lambdaTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '+0000');
}

function stringRecord(value: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
}

function folderStats(dir: string): { size: number; sha256: string } {
  const hash = createHash('sha256');
  let size = 0;
  const visit = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile()) {
        const content = fs.readFileSync(full);
        size += content.length;
        hash.update(path.relative(dir, full)).update('\0').update(content);
      }
    }
  };
  try {
    visit(dir);
  } catch {
    // A missing bundle folder describes as empty.
  }
  return { size, sha256: hash.digest('base64') };
}
