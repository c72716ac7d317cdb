/**
 * Small readers for synthesized CloudFormation: tests assert on what a template *means*
 * (which table a policy names) rather than on its exact shape (array vs. single value, merged statements).
 */
export type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: unknown }>;

/** Renders an intrinsic as text: {Ref: X} → <X>, {Fn::GetAtt: [X, Y]} → <X.Y>, Fn::Join is joined. */
export function cfnText(value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(cfnText).join(',');
  if (value && typeof value === 'object') {
    const v = value as Record<string, any>;
    if ('Ref' in v) return `<${v.Ref}>`;
    if ('Fn::GetAtt' in v) return `<${[].concat(v['Fn::GetAtt']).join('.')}>`;
    if ('Fn::Join' in v) return (v['Fn::Join'][1] as unknown[]).map(cfnText).join(v['Fn::Join'][0]);
    if ('Fn::Sub' in v) return String([].concat(v['Fn::Sub'])[0]);
    return JSON.stringify(v);
  }
  return '';
}

export const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

export interface Statement {
  effect: string;
  actions: string[];
  /** Each resource rendered with cfnText. */
  resources: string[];
}

/** Every Allow/Deny statement of the inline policies (AWS::IAM::Policy and Role.Policies) attached to a role. */
export function statementsOfRole(resources: Resources, roleLogicalId: string): Statement[] {
  const documents: any[] = [];
  for (const r of Object.values(resources)) {
    if (r.Type === 'AWS::IAM::Policy' && asArray(r.Properties.Roles).some((x: any) => x?.Ref === roleLogicalId)) {
      documents.push(r.Properties.PolicyDocument);
    }
  }
  for (const p of resources[roleLogicalId]?.Properties?.Policies ?? []) documents.push(p.PolicyDocument);
  return documents.flatMap((d) =>
    asArray<any>(d.Statement).map((s) => ({
      effect: s.Effect,
      actions: asArray<string>(s.Action),
      resources: asArray(s.Resource).map(cfnText),
    })),
  );
}

export function ofType(resources: Resources, type: string): [string, any][] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}
