import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CIRCUIT_CONTROL_FILE } from './paths';

/** Throttled requests + system errors of a table's data operations in one minute that open its circuit. */
export const CIRCUIT_ALARM_THRESHOLD = 20;

export interface CircuitBreakerProps {
  /** The bus the state machines announce a closed circuit on. */
  readonly eventBus: events.IEventBus;
}

/**
 * Storage first + circuit breaker (docs/circuit-breaker.md): one item per resource and circuit
 * (`circuit#<resource>#writes`) in a table of its own, so reading it never competes with the data
 * table's throughput. The state machines read it at the start of every write and move it between
 * CLOSED, OPEN and HALF_OPEN with conditional writes; a probe that succeeds announces
 * `Circuit closed`, and this rule starts the redrive for that resource.
 */
export class CircuitBreaker extends Construct {
  readonly table: dynamodb.Table;
  /** Opens a circuit: `{resource, reason}` (the alarm rules start it; operators may too). */
  readonly control: sfn.StateMachine;
  private readonly eventBus: events.IEventBus;

  constructor(scope: Construct, id: string, props: CircuitBreakerProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.eventBus = props.eventBus;
    this.control = new sfn.StateMachine(this, 'Control', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      definitionBody: sfn.DefinitionBody.fromFile(CIRCUIT_CONTROL_FILE),
      definitionSubstitutions: { CircuitTableName: this.table.tableName },
      logs: {
        destination: new logs.LogGroup(this, 'ControlLogs', {
          logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-circuit-control`,
          retention: logs.RetentionDays.ONE_MONTH,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: sfn.LogLevel.ALL,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    this.table.grant(this.control, 'dynamodb:UpdateItem');
  }

  /**
   * The automatic path: an alarm on `table`'s throttled requests and system errors (DynamoDB publishes them per
   * operation) goes through EventBridge ("CloudWatch Alarm State Change" to ALARM) and opens `resource`'s circuit.
   * It is closed by a probe after the cool-down (a client write, or the every-minute redrive's first replay).
   */
  openOnAlarm(resource: string, table: dynamodb.ITable): cloudwatch.Alarm {
    // One metric per kind and operation (DynamoDB publishes them per TableName and Operation); a minute
    // without a datapoint counts as 0 in the sum.
    const usingMetrics: Record<string, cloudwatch.IMetric> = {};
    for (const operation of ['GetItem', 'PutItem', 'DeleteItem']) {
      for (const [prefix, metricName] of [['t', 'ThrottledRequests'], ['e', 'SystemErrors']] as const) {
        usingMetrics[`${prefix}${operation.toLowerCase()}`] = new cloudwatch.Metric({
          namespace: 'AWS/DynamoDB',
          metricName,
          dimensionsMap: { TableName: table.tableName, Operation: operation },
          statistic: 'Sum',
          period: Duration.minutes(1),
        });
      }
    }
    const failing = new cloudwatch.MathExpression({
      expression: Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(' + '),
      usingMetrics,
      period: Duration.minutes(1),
      label: `${resource} table: throttled + system errors`,
    });
    const alarm = new cloudwatch.Alarm(this, `Alarm-${resource}`, {
      alarmDescription: `The ${resource} table is throttling or failing: its write circuit opens (docs/circuit-breaker.md).`,
      metric: failing,
      threshold: CIRCUIT_ALARM_THRESHOLD,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    new events.Rule(this, `OpenOnAlarm-${resource}`, {
      description: `Open the ${resource} write circuit when its table alarm fires`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: [alarm.alarmArn],
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new targets.SfnStateMachine(this.control, { input: events.RuleTargetInput.fromObject({ resource, reason: `alarm ${alarm.alarmName}` }), retryAttempts: 2 })],
    });
    return alarm;
  }

  /** Starts `redrive` at once when a circuit closes, rather than on its next tick. */
  redriveWhenClosed(redrive: lambda.IFunction): events.Rule {
    return new events.Rule(this, 'RedriveWhenClosed', {
      description: 'A circuit closed: replay the queues now',
      eventBus: this.eventBus,
      eventPattern: { source: ['crud-api.circuit'], detailType: ['Circuit closed'] },
      targets: [new targets.LambdaFunction(redrive, { retryAttempts: 0 })],
    });
  }
}
