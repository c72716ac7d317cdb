import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { CrudResource } from './crud-resource';
import { bundledFunction } from './feature-flags';

/** CloudWatch namespace of the redrive's own metrics (embedded metric format in its logs). */
export const REDRIVE_METRICS_NAMESPACE = 'CrudApi/Redrive';

export interface RedriveProps {
  readonly resources: Record<string, CrudResource>;
  /** The bus of the change events: deferred events (DLQ messages of kind "event") are published to it. */
  readonly eventBus: events.IEventBus;
  /** How often the queues are replayed (default 1 minute: a cleared cause is noticed within a minute). */
  readonly schedule?: Duration;
  /** Alarm when a queued request is older than this (default 6 hours, far below the queues' 14-day retention). */
  readonly maxQueuedAge?: Duration;
}

/**
 * The redrive Lambda: replays each resource's dead-letter queue through its own state machine.
 * One run at a time (reserved concurrency 1; a schedule tick that finds a run going is dropped, not
 * queued for hours), every minute and on demand. Transient failures never make a request poison
 * (lambdas/redrive/redrive.ts); an alarm pages when a request waits longer than `maxQueuedAge`.
 */
export class Redrive extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly queuedAgeAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: RedriveProps) {
    super(scope, id);
    const redriveTargets = Object.entries(props.resources).map(([resource, r]) => ({
      resource,
      queueUrl: r.deadLetterQueue.queueUrl,
      stateMachineArn: r.stateMachine.stateMachineArn,
    }));
    this.function = bundledFunction(this, 'Function', 'redrive/index.ts', {
      description: 'Replays requests from the dead-letter queues through their state machines (StartSyncExecution)',
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: 1,
      // A tick throttled by the run in progress is dropped after a minute: the next tick comes anyway.
      maxEventAge: Duration.seconds(60),
      retryAttempts: 0,
      environment: { REDRIVE_TARGETS: Stack.of(this).toJsonString(redriveTargets), METRICS_NAMESPACE: REDRIVE_METRICS_NAMESPACE },
    });
    for (const r of Object.values(props.resources)) {
      r.deadLetterQueue.grantConsumeMessages(this.function);
      r.deadLetterQueue.grantSendMessages(this.function); // requeue before retention (lambdas/redrive)
      r.stateMachine.grantStartSyncExecution(this.function);
    }
    props.eventBus.grantPutEventsTo(this.function);
    new events.Rule(this, 'Schedule', {
      description: 'Redrive every dead-letter queue periodically',
      schedule: events.Schedule.rate(props.schedule ?? Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({}), retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    // SQS's ApproximateAgeOfOldestMessage skips messages received three times or more — exactly the ones
    // an outage keeps — so the redrive reports the age of the oldest message it saw, and both are alarmed.
    const maxAge = props.maxQueuedAge ?? Duration.hours(6);
    for (const [resource, r] of Object.entries(props.resources)) {
      const oldestSeen = new cloudwatch.Metric({
        namespace: REDRIVE_METRICS_NAMESPACE,
        metricName: 'OldestQueuedRequestAgeSeconds',
        dimensionsMap: { Resource: resource },
        statistic: 'Maximum',
        period: Duration.minutes(5),
      });
      const oldestReported = r.deadLetterQueue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: Duration.minutes(5) });
      for (const [name, metric] of [['QueuedAgeAlarm', oldestSeen], ['QueueAgeAlarm', oldestReported]] as const) {
        this.queuedAgeAlarms.push(
          new cloudwatch.Alarm(this, `${name}-${resource}`, {
            alarmDescription: `A request to /${resource} has waited more than ${maxAge.toHours()} h in the dead-letter queue (retention 14 days): find the cause (docs/operations.md).`,
            metric,
            threshold: maxAge.toSeconds(),
            evaluationPeriods: 1,
            comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
          }),
        );
      }
    }
  }
}
