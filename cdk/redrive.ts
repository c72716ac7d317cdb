import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { Construct } from 'constructs';
import { CrudResource } from './crud-resource';
import { bundledFunction } from './feature-flags';

/**
 * The redrive Lambda: replays each resource's dead-letter queue through its own state machine.
 * Invocable on demand, and run on a schedule so failed requests are redriven without user input.
 */
export class Redrive extends Construct {
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string, props: { resources: Record<string, CrudResource>; schedule?: Duration }) {
    super(scope, id);
    const redriveTargets = Object.entries(props.resources).map(([resource, r]) => ({
      resource,
      queueUrl: r.deadLetterQueue.queueUrl,
      stateMachineArn: r.stateMachine.stateMachineArn,
    }));
    this.function = bundledFunction(this, 'Function', 'redrive/index.ts', {
      description: 'Replays requests from the dead-letter queues through their state machines (StartSyncExecution)',
      timeout: Duration.minutes(5),
      environment: { REDRIVE_TARGETS: Stack.of(this).toJsonString(redriveTargets) },
    });
    for (const r of Object.values(props.resources)) {
      r.deadLetterQueue.grantConsumeMessages(this.function);
      r.stateMachine.grantStartSyncExecution(this.function);
    }
    new events.Rule(this, 'Schedule', {
      description: 'Redrive every dead-letter queue periodically',
      schedule: events.Schedule.rate(props.schedule ?? Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.function, { event: events.RuleTargetInput.fromObject({}) })],
    });
  }
}
