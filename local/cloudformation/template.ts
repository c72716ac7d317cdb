/**
 * Reads a synthesized CloudFormation template the way CloudFormation would for the local cloud:
 * gives every resource a local physical id, and resolves the intrinsic functions our app uses
 * (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, pseudo parameters). Anything it cannot
 * resolve throws with the resource and function named, never resolves silently to garbage.
 */

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
  Parameters?: Record<string, { Default?: unknown }>;
}

interface Physical {
  ref: string;
  attributes: Record<string, string>;
}

export class ResolvedTemplate {
  private readonly physical = new Map<string, Physical>();

  constructor(
    readonly template: Template,
    readonly stackName: string,
    readonly options: { region?: string; account?: string; endpointUrl?: string } = {},
  ) {
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      this.physical.set(logicalId, this.physicalIdOf(logicalId, resource));
    }
  }

  get region(): string {
    return this.options.region ?? LOCAL_REGION;
  }
  get account(): string {
    return this.options.account ?? LOCAL_ACCOUNT;
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
    const p = this.physical.get(logicalId);
    if (!p) throw new Error(`Ref to unknown resource ${logicalId}`);
    return p.ref;
  }

  getAtt(logicalId: string, attribute: string): string {
    const p = this.physical.get(logicalId);
    if (!p) throw new Error(`Fn::GetAtt on unknown resource ${logicalId}`);
    const value = p.attributes[attribute];
    if (value === undefined) {
      throw new Error(`Fn::GetAtt ${logicalId}.${attribute} (${this.template.Resources[logicalId].Type}) is not emulated`);
    }
    return value;
  }

  outputs(): Record<string, unknown> {
    return Object.fromEntries(Object.entries(this.template.Outputs ?? {}).map(([k, o]) => [k, this.resolve(o.Value, `Outputs.${k}`)]));
  }

  /** Resolves intrinsic functions in any value of the template. */
  resolve(value: unknown, where = 'template'): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, where));
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [fn, arg] = entries[0];
      switch (fn) {
        case 'Ref':
          return this.resolveRef(arg as string);
        case 'Fn::GetAtt': {
          const [id, attr] = Array.isArray(arg) ? (arg as string[]) : String(arg).split(/\.(.+)/);
          return this.getAtt(id, attr);
        }
        case 'Fn::Join': {
          const [sep, parts] = arg as [string, unknown[]];
          return (this.resolve(parts, where) as unknown[]).join(sep);
        }
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(list, where) as unknown[])[Number(this.resolve(index, where))];
        }
        case 'Fn::Split': {
          const [sep, text] = arg as [string, unknown];
          return String(this.resolve(text, where)).split(sep);
        }
        case 'Fn::Sub':
          return this.resolveSub(arg, where);
        case 'Fn::GetAZs':
          return [`${this.region}a`, `${this.region}b`];
        default:
          if (fn.startsWith('Fn::')) throw new Error(`${where}: intrinsic ${fn} is not emulated`);
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(v, where)]));
  }

  private resolveRef(name: string): string {
    switch (name) {
      case 'AWS::Region':
        return this.region;
      case 'AWS::AccountId':
        return this.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.region}:${this.account}:stack/${this.stackName}/local`;
      case 'AWS::NoValue':
        return undefined as unknown as string;
    }
    const parameter = this.template.Parameters?.[name];
    if (parameter) return String(parameter.Default ?? '');
    return this.ref(name);
  }

  private resolveSub(arg: unknown, where: string): string {
    const [text, vars] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [arg as string, {}];
    const resolvedVars = this.resolve(vars, where) as Record<string, unknown>;
    return text.replace(/\$\{([^}!][^}]*)\}/g, (_m, name: string) => {
      if (name in resolvedVars) return String(resolvedVars[name]);
      if (name.includes('.')) {
        const [id, attr] = name.split(/\.(.+)/);
        return this.getAtt(id, attr);
      }
      return this.resolveRef(name);
    }).replace(/\$\{!/g, '${');
  }

  /** Local physical names follow CloudFormation's pattern: <stack>-<logicalId>-<suffix>. */
  private physicalIdOf(logicalId: string, resource: TemplateResource): Physical {
    const props = resource.Properties ?? {};
    const region = this.region;
    const account = this.account;
    const generated = `${this.stackName}-${logicalId}`.slice(0, 64);
    const named = (key: string) => (typeof props[key] === 'string' ? (props[key] as string) : generated);
    const arn = (service: string, resourcePart: string) => `arn:aws:${service}:${region}:${account}:${resourcePart}`;
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
      case 'AWS::Events::Rule':
        return { ref: generated, attributes: { Arn: arn('events', `rule/${generated}`) } };
      case 'AWS::IAM::Role': {
        const name = named('RoleName');
        return { ref: name, attributes: { Arn: `arn:aws:iam::${account}:role/${name}`, RoleId: `AROA${logicalId.toUpperCase().slice(0, 16)}` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named('LogGroupName');
        return { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } };
      }
      case 'AWS::ApiGateway::Stage':
        return { ref: named('StageName'), attributes: {} };
      case 'AWS::ApiGateway::RestApi':
        return { ref: shortId(logicalId), attributes: { RootResourceId: shortId(`${logicalId}Root`) } };
      case 'AWS::AppConfig::Application':
      case 'AWS::AppConfig::Environment':
      case 'AWS::AppConfig::ConfigurationProfile':
        return { ref: shortId(logicalId), attributes: { ApplicationId: shortId(logicalId), EnvironmentId: shortId(logicalId), ConfigurationProfileId: shortId(logicalId) } };
      case 'AWS::AppConfig::HostedConfigurationVersion':
        return { ref: '1', attributes: { VersionNumber: '1' } };
      default:
        return { ref: generated, attributes: { Arn: arn('local', generated) } };
    }
  }
}

/** A stable 7-character lowercase id, like API Gateway's and AppConfig's generated ids. */
export function shortId(seed: string): string {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619) >>> 0;
  return h.toString(36).padStart(7, '0').slice(-7);
}
