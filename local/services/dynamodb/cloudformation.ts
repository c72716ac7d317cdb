/** `AWS::DynamoDB::Table` properties → a CreateTable request dynalite accepts. */

/** What creating a resource from CloudFormation properties returns: its `Ref` value and `Fn::GetAtt` attributes. */
export interface CloudFormationResult {
  ref: string;
  attributes: Record<string, string>;
  /** False when the resource already existed (e.g. persisted from an earlier run) and was left as it was. */
  created: boolean;
  /** Properties the local service accepted but does not emulate. */
  ignored: string[];
}

/** Properties we accept and deliberately do not emulate. */
const IGNORED_PROPERTIES = [
  'PointInTimeRecoverySpecification',
  'SSESpecification',
  'StreamSpecification',
  // DynamoDbService alone ignores TTL; LocalServices adds it (./ttl.ts) and drops it from this list.
  'TimeToLiveSpecification',
  'DeletionProtectionEnabled',
  'TableClass',
  'ContributorInsightsSpecification',
  'KinesisStreamSpecification',
  'ResourcePolicy',
  'OnDemandThroughput',
  'WarmThroughput',
];

const HANDLED = new Set([
  'TableName',
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'Tags',
  ...IGNORED_PROPERTIES,
]);

export interface TableFromCloudFormation {
  request: Record<string, unknown>;
  tags: { Key: string; Value: string }[];
  ignored: string[];
}

export function createTableRequestFromCloudFormation(props: Record<string, unknown>, fallbackName?: string): TableFromCloudFormation {
  if (!props || typeof props !== 'object') throw new Error('AWS::DynamoDB::Table: properties must be an object');
  if (props.ImportSourceSpecification) throw new Error('AWS::DynamoDB::Table: ImportSourceSpecification is not supported locally');
  const tableName = (props.TableName as string | undefined) ?? fallbackName;
  if (!tableName) throw new Error('AWS::DynamoDB::Table: no TableName in the properties and no fallback name given');
  const billingMode = (props.BillingMode as string | undefined) ?? 'PROVISIONED';

  const request: Record<string, unknown> = {
    TableName: tableName,
    AttributeDefinitions: props.AttributeDefinitions,
    KeySchema: props.KeySchema,
    BillingMode: billingMode,
  };
  if (billingMode !== 'PAY_PER_REQUEST') request.ProvisionedThroughput = throughput(props.ProvisionedThroughput);

  if (Array.isArray(props.GlobalSecondaryIndexes) && props.GlobalSecondaryIndexes.length) {
    request.GlobalSecondaryIndexes = props.GlobalSecondaryIndexes.map((gsi: Record<string, unknown>) => {
      const index: Record<string, unknown> = { IndexName: gsi.IndexName, KeySchema: gsi.KeySchema, Projection: gsi.Projection };
      if (billingMode !== 'PAY_PER_REQUEST') index.ProvisionedThroughput = throughput(gsi.ProvisionedThroughput);
      return index;
    });
  }
  if (Array.isArray(props.LocalSecondaryIndexes) && props.LocalSecondaryIndexes.length) {
    request.LocalSecondaryIndexes = props.LocalSecondaryIndexes.map((lsi: Record<string, unknown>) => ({
      IndexName: lsi.IndexName,
      KeySchema: lsi.KeySchema,
      Projection: lsi.Projection,
    }));
  }

  const tags = Array.isArray(props.Tags) ? (props.Tags as { Key: string; Value: string }[]).map((t) => ({ Key: String(t.Key), Value: String(t.Value) })) : [];
  const ignored = Object.keys(props).filter((k) => IGNORED_PROPERTIES.includes(k) || !HANDLED.has(k));
  return { request, tags, ignored };
}

/** CloudFormation lets numbers arrive as strings ("5"); DynamoDB's wire format wants numbers. */
function throughput(value: unknown): Record<string, number> | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  return { ReadCapacityUnits: Number(v.ReadCapacityUnits), WriteCapacityUnits: Number(v.WriteCapacityUnits) };
}

/**
 * The TTL attribute of an `AWS::DynamoDB::Table` (`TimeToLiveSpecification: {AttributeName, Enabled}`), undefined
 * when TTL is off. CloudFormation lets booleans arrive as strings ("true").
 */
export function timeToLiveFromCloudFormation(props: Record<string, unknown>): string | undefined {
  const spec = props?.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
  if (!spec || !(spec.Enabled === true || spec.Enabled === 'true')) return undefined;
  if (typeof spec.AttributeName !== 'string' || spec.AttributeName === '') throw new Error('AWS::DynamoDB::Table: TimeToLiveSpecification.AttributeName is required when Enabled');
  return spec.AttributeName;
}
