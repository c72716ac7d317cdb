import * as fs from 'node:fs';
import * as path from 'node:path';
import { VTL_DIR } from './paths';

/** Reads a mapping template from cdk/vtl and fills its ${Name} placeholders (values may be CDK tokens). */
export function mappingTemplate(file: string, substitutions: Record<string, string> = {}): string {
  let text = fs.readFileSync(path.join(VTL_DIR, file), 'utf8');
  for (const [name, value] of Object.entries(substitutions)) text = text.split('${' + name + '}').join(value);
  const missing = text.match(/\$\{[A-Za-z]+\}/);
  if (missing) throw new Error(`${file}: no value for placeholder ${missing[0]}`);
  return text;
}

/** Problem JSON (RFC 9457) bodies for API Gateway's own errors (validation, unknown route, throttling). */
export function gatewayProblemTemplate(title: string, status: number | undefined, detail: string): string {
  const statusField = status === undefined ? '' : `"status":${status},`;
  return `{"type":"about:blank","title":"${title}",${statusField}"detail":${detail},"requestId":"$context.requestId"}`;
}
