/**
 * Checks HTTP answers against the OpenAPI document: the status is documented for the operation, the
 * required headers are there and every documented header matches its schema, the media type is a documented
 * one and the body matches its schema (compiled with ajv), or there is no body when none is documented.
 * It also counts which (operation, status) pairs were seen, so a test can demand that every documented
 * status was provoked.
 */
import Ajv, { ValidateFunction } from 'ajv';
import { Credentials, signRequest } from '../../local/auth/sign-request';

type Json = Record<string, any>;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export interface SendOptions {
  headers?: Record<string, string>;
  /** Sent as is; Content-Type defaults to application/json. */
  body?: string;
  /** Leave the request unsigned (default: SigV4 with the local cloud's credentials). */
  unsigned?: boolean;
  /** Sent as x-api-key (a usage plan's key). */
  apiKey?: string;
  /** Sign with these instead of the local cloud's default credentials. */
  credentials?: Credentials;
}

/** A curl-like client of the stage URL that signs with the local cloud's credentials unless told not to. */
export async function send(baseUrl: string, method: string, path: string, options: SendOptions = {}): Promise<Answer> {
  const url = baseUrl + path;
  let headers: Record<string, string> = { ...options.headers };
  if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey;
  if (options.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
  if (!options.unsigned) headers = await signRequest({ method, url, headers, body: options.body }, { credentials: options.credentials });
  const res = await fetch(url, { method, headers, body: options.body });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

export class ContractChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  /** "METHOD /path status" → times seen. */
  readonly seen = new Map<string, number>();

  constructor(readonly document: Json) {
    // The components under a base id, so the document's own "#/components/..." references resolve.
    this.ajv.addSchema({ components: document.components }, 'openapi.json');
  }

  /** Every documented "METHOD /path status". */
  documented(): string[] {
    const out: string[] = [];
    for (const [path, item] of Object.entries<Json>(this.document.paths)) {
      for (const [method, operation] of Object.entries<Json>(item)) for (const status of Object.keys(operation.responses)) out.push(key(method, path, status));
    }
    return out.sort();
  }

  operation(method: string, path: string): Json {
    const operation = this.document.paths[path]?.[method.toLowerCase()];
    if (!operation) throw new Error(`${method} ${path} is not in the document`);
    return operation;
  }

  /** The problems of `answer` against the document, [] when it conforms; counts it as seen when it does. */
  check(method: string, path: string, answer: Answer): string[] {
    const where = `${method} ${path} → ${answer.status}`;
    const documented = this.operation(method, path).responses[String(answer.status)];
    if (!documented) return [`${where}: status not documented (${answer.text.slice(0, 300)})`];
    const response = this.resolve(documented);
    const problems: string[] = [];
    for (const [name, raw] of Object.entries<Json>(response.headers ?? {})) {
      const header = this.resolve(raw);
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      const schema = header.schema ?? {};
      const typed = schema.type === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
      const validate = this.validator(schema);
      if (!validate(typed)) problems.push(`${where}: header ${name}: ${JSON.stringify(value)} ${this.ajv.errorsText(validate.errors)}`);
    }
    const content: Json | undefined = response.content;
    if (!content) {
      if (answer.text !== '') problems.push(`${where}: a body where none is documented: ${answer.text.slice(0, 200)}`);
    } else {
      const mediaType = (answer.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
      const entry = content[mediaType];
      if (!entry) problems.push(`${where}: Content-Type ${mediaType} is not documented (${Object.keys(content).join(', ')})`);
      else {
        let body: unknown;
        try {
          body = JSON.parse(answer.text);
        } catch {
          problems.push(`${where}: the body is not JSON: ${answer.text.slice(0, 200)}`);
        }
        if (body !== undefined && entry.schema) {
          const validate = this.validator(entry.schema);
          if (!validate(body)) problems.push(`${where}: body ${this.ajv.errorsText(validate.errors)}: ${answer.text.slice(0, 300)}`);
        }
      }
    }
    if (problems.length === 0) {
      const k = key(method, path, String(answer.status));
      this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
    }
    return problems;
  }

  private resolve(node: Json): Json {
    let current = node;
    while (typeof current.$ref === 'string') {
      const parts = current.$ref.replace(/^#\//, '').split('/');
      current = parts.reduce((n: Json, p: string) => n?.[p], this.document);
      if (!current) throw new Error(`Unresolvable ${node.$ref}`);
    }
    return current;
  }

  private validator(schema: Json): ValidateFunction {
    const text = JSON.stringify(schema);
    let validate = this.compiled.get(text);
    if (!validate) {
      // References are relative to the document: give them its base id.
      validate = this.ajv.compile(JSON.parse(text.replace(/"\$ref":"#\//g, '"$ref":"openapi.json#/')));
      this.compiled.set(text, validate);
    }
    return validate;
  }
}

function key(method: string, path: string, status: string): string {
  return `${method.toUpperCase()} ${path} ${status}`;
}
