import { App } from 'aws-cdk-lib';
import { CrudApiStack } from '../stack';

/** `cdk synth` / `cdk deploy` entry point; the local cloud builds the same stack in-process (cdk/synth.ts). */
const app = new App();
new CrudApiStack(app, process.env.STACK_NAME ?? 'CrudApi', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
