import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as appconfig from 'aws-cdk-lib/aws-appconfig';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'node:path';
import { featureFlagsDocument } from '../lambdas/flags/definitions';
import { LAMBDAS_DIR } from './paths';

/** Bundles a handler from lambdas/ with the local esbuild (no Docker), for Lambda's Node.js 22 runtime. */
export function bundledFunction(scope: Construct, id: string, entry: string, props: Partial<nodejs.NodejsFunctionProps> = {}): nodejs.NodejsFunction {
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, { retention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
  return new nodejs.NodejsFunction(scope, id, {
    entry: path.join(LAMBDAS_DIR, entry),
    runtime: lambda.Runtime.NODEJS_22_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: 256,
    tracing: lambda.Tracing.ACTIVE,
    logGroup,
    bundling: { minify: true, sourceMap: true, target: 'node22', forceDockerBundling: false, logLevel: nodejs.LogLevel.WARNING },
    ...props,
  });
}

/**
 * AppConfig feature flags (application, environment, `AWS.AppConfig.FeatureFlags` profile with hosted
 * initial values, deployment) and the Lambda that serves them to the state machines.
 */
export class FeatureFlags extends Construct {
  readonly application: appconfig.Application;
  readonly environment: appconfig.Environment;
  readonly configuration: appconfig.HostedConfiguration;
  readonly function: nodejs.NodejsFunction;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.application = new appconfig.Application(this, 'Application', {
      description: 'Feature flags of the CRUD API: toggled at runtime, read by the flags Lambda',
    });
    this.environment = new appconfig.Environment(this, 'Environment', { application: this.application, environmentName: 'live' });
    this.configuration = new appconfig.HostedConfiguration(this, 'Flags', {
      application: this.application,
      name: 'feature-flags',
      type: appconfig.ConfigurationType.FEATURE_FLAGS,
      content: appconfig.ConfigurationContent.fromInlineJson(JSON.stringify(featureFlagsDocument())),
      deployTo: [this.environment],
      deploymentStrategy: appconfig.DeploymentStrategy.fromDeploymentStrategyId(this, 'AllAtOnce', appconfig.DeploymentStrategyId.ALL_AT_ONCE),
    });
    this.function = bundledFunction(this, 'Reader', 'flags/index.ts', {
      description: 'Reads the feature flags from AppConfigData (cached across warm invocations; the last known flags if AppConfig fails, else FlagsUnavailable)',
      timeout: Duration.seconds(2),
      environment: {
        APPCONFIG_APPLICATION_ID: this.application.applicationId,
        APPCONFIG_ENVIRONMENT_ID: this.environment.environmentId,
        APPCONFIG_PROFILE_ID: this.configuration.configurationProfileId,
      },
    });
    this.environment.grantReadConfig(this.function);
  }
}
