/**
 * Reads a synthesized CloudFormation template the way CloudFormation would for the local cloud:
 * gives every resource a local physical id, and resolves the intrinsic functions our app uses
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, pseudo parameters). Anything it cannot
 * resolve throws with the resource and function named, never resolves silently to garbage.
 */
import { createHash } from 'node:crypto';

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string | string[];
  Metadata?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown }>;
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
}

/** What `Ref: AWS::NoValue` resolves to until the enclosing object or list drops it. */
const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

interface Physical {
  ref: string;
  attributes: Record<string, string>;
}

export class ResolvedTemplate {
  private readonly physical = new Map<string, Physical>();
  /** Resources whose physical id is being computed (a name that refers back to itself is a cycle). */
  private readonly naming = new Set<string>();

  constructor(
    readonly template: Template,
    readonly stackName: string,
    readonly options: { region?: string; account?: string; endpointUrl?: string } = {},
  ) {
    // Physical ids are computed on first use (a name may Ref another resource); computing them all now
    // reports a bad name at load time rather than at the first request.
    for (const logicalId of Object.keys(template.Resources)) this.physicalOf(logicalId);
  }

  get region(): string {
    return this.options.region ?? LOCAL_REGION;
  }
  get account(): string {
    return this.options.account ?? LOCAL_ACCOUNT;
  }
  /** `AWS::Partition` of the region: aws, aws-cn or aws-us-gov. */
  get partition(): string {
    return this.region.startsWith('cn-') ? 'aws-cn' : this.region.startsWith('us-gov-') ? 'aws-us-gov' : 'aws';
  }
  /** `AWS::URLSuffix` of the region. */
  get urlSuffix(): string {
    return this.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  }

  resourcesOfType(type: string): { logicalId: string; resource: TemplateResource; properties: Record<string, any> }[] {
    return Object.entries(this.template.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([logicalId, resource]) => ({ logicalId, resource, properties: this.resolve(resource.Properties ?? {}, logicalId) as Record<string, any> }));
  }

  /** Records the ids a local service actually gave a resource (e.g. AppConfig's generated ids). */
  setPhysical(logicalId: string, physical: { ref: string; attributes: Record<string, string> }): void {
    const current = this.physical.get(logicalId);
    this.physical.set(logicalId, { ref: physical.ref, attributes: { ...current?.attributes, ...physical.attributes } });
  }

  ref(logicalId: string): string {
    const p = this.physicalOf(logicalId);
    if (!p) throw new Error(`Ref to unknown resource ${logicalId}`);
    return p.ref;
  }

  getAtt(logicalId: string, attribute: string): string {
    const p = this.physicalOf(logicalId);
    if (!p) throw new Error(`Fn::GetAtt on unknown resource ${logicalId}`);
    const value = p.attributes[attribute];
    if (value === undefined) {
      throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${this.template.Resources[logicalId]?.Type ?? 'not in the template'}) is not emulated`);
    }
    return value;
  }

  outputs(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.template.Outputs ?? {}).map(([k, o]) => [k, this.resolve(o.Value, `Outputs.${k}`)]));
  }

  /**
   * Resolves intrinsic functions in any value of the template. `where` (a logical id, `Outputs.X`...) names
   * the place in error messages. `Ref: AWS::NoValue` removes the property or list element holding it.
   */
  resolve(value: unknown, where = 'template'): unknown {
    const resolved = this.resolveValue(value, where);
    return resolved === NO_VALUE ? undefined : resolved;
  }

  private resolveValue(value: unknown, where: string): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolveValue(v, where)).filter((v) => v !== NO_VALUE);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.resolveRef(String(arg), where);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as unknown[]) : String(arg).split(/\.(.+)/);
          return this.attributeOf(String(id), String(this.resolveValue(attr, where)), where);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown];
          const list = this.resolveValue(parts, where);
          if (!Array.isArray(list)) throw new Error(`${where}: Fn::Join needs a list, got ${describe(list)}`);
          for (const part of list) {
            if (part !== null && typeof part === 'object') throw new Error(`${where}: Fn::Join cannot join ${describe(part)}`);
          }
          return list.join(sep);
        }
        case 'Fn::Select': {
          const [rawIndex, rawList] = arg as [unknown, unknown];
          const index = Number(this.resolveValue(rawIndex, where));
          const list = this.resolveValue(rawList, where);
          if (!Array.isArray(list)) throw new Error(`${where}: Fn::Select needs a list, got ${describe(list)}`);
          if (!Number.isInteger(index) || index < 0 || index >= list.length) {
            throw new Error(`${where}: Fn::Select index ${describe(rawIndex)} is out of range (the list has ${list.length} elements)`);
          }
          return list[index];
        }
        case 'Fn::Split': {
          const [sep, rawText] = arg as [string, unknown];
          const text = this.resolveValue(rawText, where);
          if (typeof text !== 'string') throw new Error(`${where}: Fn::Split needs a string, got ${describe(text)}`);
          return text.split(sep);
        }
        case 'Fn::Sub':
          return this.resolveSub(arg, where);
        case 'Fn::GetAZs':
          return [`${this.region}a`, `${this.region}b`];
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${where}: intrinsic ${fn} is not emulated`);
      }
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const resolved = this.resolveValue(v, where);
      if (resolved !== NO_VALUE) out[k] = resolved;
    }
    return out;
  }

  private resolveRef(name: string, where: string): unknown {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return this.partition;
      case 'AWS::URLSuffix':
        return this.urlSuffix;
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:${this.partition}:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/local`;
      case 'AWS::NotificationARNs':
        return [];
      case 'AWS::NoValue':
        return NO_VALUE;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) {
      if (parameter.Default === undefined) throw new Error(`${where}: Ref to parameter ${name}, which has no Default (the local cloud passes no parameter values)`);
      const listType = /^(List<.*>|CommaDelimitedList)$/.test(parameter.Type ?? '');
      if (listType) return Array.isArray(parameter.Default) ? parameter.Default.map(String) : String(parameter.Default).split(',');
      return String(parameter.Default);
    }
    const p = this.physicalOf(name);
    if (!p) throw new Error(`${where}: Ref to unknown resource or parameter ${name}`);
    return p.ref;
  }

  private attributeOf(logicalId: string, attribute: string, where: string): string {
    try {
      return this.getAtt(logicalId, attribute);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }

  private resolveSub(arg: unknown, where: string): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [unknown, Record<string, unknown>]) : [arg, {}];
    if (typeof text !== 'string') throw new Error(`${where}: Fn::Sub needs a string, got ${describe(text)}`);
    const resolvedVars = this.resolveValue(vars ?? {}, where) as Record<string, unknown>;
    const asText = (name: string, value: unknown): string => {
      if (value === NO_VALUE) return '';
      if (value !== null && typeof value === 'object') throw new Error(`${where}: Fn::Sub \${${name}} is ${describe(value)}, not a string`);
      return String(value);
    };
    // One pass, so that a substituted value is never read again: `${!Literal}` writes `${Literal}`.
    return text.replace(/\$\{(!?)([^}]*)\}/g, (_m, bang: string, name: string) => {
      if (bang) return `\${${name}}`;
      if (Object.prototype.hasOwnProperty.call(resolvedVars, name)) return asText(name, resolvedVars[name]);
      if (name.includes('.')) {
        const [id, attr] = name.split(/\.(.+)/);
        return this.attributeOf(id, attr, where);
      }
      return asText(name, this.resolveRef(name, where));
    });
  }

  /** The physical id of a resource of the template (computed once), or one recorded by {@link setPhysical}. */
  private physicalOf(logicalId: string): Physical | undefined {
    const known = this.physical.get(logicalId);
    if (known) return known;
    const resource = this.template.Resources[logicalId];
    if (!resource) return undefined;
    if (this.naming.has(logicalId)) throw new Error(`${logicalId}: its name refers back to itself`);
    this.naming.add(logicalId);
    try {
      const physical = this.physicalIdOf(logicalId, resource);
      this.physical.set(logicalId, physical);
      return physical;
    } finally {
      this.naming.delete(logicalId);
    }
  }

  /** Local physical names follow CloudFormation's pattern: <stack>-<logicalId>-<suffix>. */
  private physicalIdOf(logicalId: string, resource: TemplateResource): Physical {
    const props = resource.Properties ?? {};
    const region = this.region;
    const account = this.account;
    const generated = `${this.stackName}-${logicalId}`.slice(0, 64);
    // A name given with an intrinsic (`Fn::Sub: ${AWS::StackName}-orders`) is the resolved name, not a generated one.
    const named = (key: string): string => {
      if (props[key] === undefined) return generated;
      const name = this.resolve(props[key], logicalId);
      if (name === undefined) return generated;
      if (typeof name !== 'string' || name === '') throw new Error(`${logicalId}: ${key} resolves to ${describe(name)}, not a name`);
      return name;
    };
    const partition = this.partition;
    const arn = (service: string, resourcePart: string) => `arn:${partition}:${service}:${region}:${account}:${resourcePart}`;
    const endpoint = this.options.endpointUrl ?? `http://localhost:4566`;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table': {
        const name = named('TableName');
        return { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`), StreamArn: arn('dynamodb', `table/${name}/stream/local`) } };
      }
      case 'AWS::SQS::Queue': {
        const name = named('QueueName');
        const url = `${endpoint}/${account}/${name}`;
        return { ref: url, attributes: { Arn: arn('sqs', name), QueueName: name, QueueUrl: url } };
      }
      case 'AWS::StepFunctions::StateMachine': {
        const name = named('StateMachineName');
        const smArn = arn('states', `stateMachine:${name}`);
        return { ref: smArn, attributes: { Arn: smArn, Name: name, StateMachineRevisionId: smArn } };
      }
      case 'AWS::Lambda::Function': {
        const name = named('FunctionName');
        return { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } };
      }
      case 'AWS::Events::EventBus': {
        const name = named('Name');
        return { ref: name, attributes: { Arn: arn('events', `event-bus/${name}`), Name: name } };
      }
      case 'AWS::Events::Rule': {
        const name = named('Name');
        return { ref: name, attributes: { Arn: arn('events', `rule/${name}`) } };
      }
      case 'AWS::IAM::Role': {
        const name = named('RoleName');
        return { ref: name, attributes: { Arn: `arn:${partition}:iam::${account}:role/${name}`, RoleId: `AROA${logicalId.toUpperCase().slice(0, 16)}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName');
        return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
      }
      case 'AWS::ApiGateway::Stage':
        return { ref: named('StageName'), attributes: {} };
      case 'AWS::ApiGateway::RestApi':
        return { ref: shortId(logicalId), attributes: { RestApiId: shortId(logicalId), RootResourceId: shortId(`${logicalId}Root`) } };
      case 'AWS::AppConfig::Application':
      case 'AWS::AppConfig::Environment':
      case 'AWS::AppConfig::ConfigurationProfile':
        return { ref: shortId(logicalId), attributes: { ApplicationId: shortId(logicalId), EnvironmentId: shortId(logicalId), ConfigurationProfileId: shortId(logicalId) } };
      case 'AWS::AppConfig::HostedConfigurationVersion':
        return { ref: '1', attributes: { VersionNumber: '1' } };
      case 'AWS::ApiGateway::Authorizer':
        return { ref: shortId(logicalId), attributes: { AuthorizerId: shortId(logicalId) } };
      case 'AWS::ApiGateway::ApiKey':
        return { ref: stableId(`${this.stackName}/${logicalId}`, 10, LOWER_ALNUM), attributes: { APIKeyId: stableId(`${this.stackName}/${logicalId}`, 10, LOWER_ALNUM) } };
      case 'AWS::ApiGateway::UsagePlan':
        return { ref: shortId(logicalId), attributes: { Id: shortId(logicalId) } };
      case 'AWS::ApiGateway::UsagePlanKey':
        return { ref: shortId(logicalId), attributes: { Id: shortId(logicalId) } };
      case 'AWS::Cognito::UserPool': {
        // `<region>_<9 characters>`, the same on every start so that tokens and users outlive a restart.
        const id = `${region}_${stableId(`${this.stackName}/${logicalId}`, 9, ALNUM)}`;
        const issuer = `${endpoint}/${id}`;
        return { ref: id, attributes: { UserPoolId: id, Arn: arn('cognito-idp', `userpool/${id}`), ProviderName: issuer.replace(/^https?:\/\//, ''), ProviderURL: issuer } };
      }
      case 'AWS::Cognito::UserPoolClient': {
        const id = stableId(`${this.stackName}/${logicalId}`, 26, LOWER_ALNUM);
        return { ref: id, attributes: { ClientId: id, Name: String(this.resolve(props.ClientName, logicalId) ?? id), ClientSecret: stableId(`${this.stackName}/${logicalId}/secret`, 51, LOWER_ALNUM) } };
      }
      default:
        return { ref: generated, attributes: { Arn: arn('local', generated) } };
    }
  }
}

function describe(value: unknown): string {
  if (value === NO_VALUE) return 'AWS::NoValue';
  if (value === undefined) return 'nothing';
  return Array.isArray(value) ? `the list ${JSON.stringify(value)}` : JSON.stringify(value);
}

const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const LOWER_ALNUM = '0123456789abcdefghijklmnopqrstuvwxyz';

/** A stable id of `length` characters of `alphabet` derived from `seed` (Cognito pool and client ids, API key ids). */
export function stableId(seed: string, length: number, alphabet: string): string {
  let out = '';
  for (let round = 0; out.length < length; round++) {
    for (const byte of createHash('sha256').update(`${seed}#${round}`).digest()) {
      if (out.length === length) break;
      out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A stable 7-character lowercase id, like API Gateway's and AppConfig's generated ids. */
export function shortId(seed: string): string {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(-7);
}
