import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

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
