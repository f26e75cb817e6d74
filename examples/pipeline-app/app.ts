import { App, AppProps, Stage } from 'aws-cdk-lib';
import { PipelineStack } from './pipeline-stack';

export const PIPELINE_ACCOUNT = '111111111111';
const UAT_ACCOUNT = '222222222222';
const PROD_ACCOUNT = '333333333333';
const REGION = 'eu-west-1';

export interface ExampleAppOptions {
  /**
   * CDK Pipelines' `crossAccountKeys`. With true, UAT and Prod deploy to their own accounts; with
   * false CDK refuses cross-account stages, so both stay in the pipeline's account.
   */
  readonly crossAccountKeys?: boolean;
  readonly appProps?: AppProps;
  /** Applied to each pipeline Stage before `addStage` (remediations must be attached there). */
  readonly prepareStage?: (stage: Stage) => void;
}

/** The example CDK Pipelines app used by the demo and the end-to-end tests. */
export function buildExampleApp(options: ExampleAppOptions = {}): { app: App; pipelineStack: PipelineStack } {
  const crossAccountKeys = options.crossAccountKeys ?? false;
  const app = new App(options.appProps);
  const pipelineStack = new PipelineStack(app, 'Pipeline', {
    env: { account: PIPELINE_ACCOUNT, region: REGION },
    crossAccountKeys,
    uatEnv: { account: crossAccountKeys ? UAT_ACCOUNT : PIPELINE_ACCOUNT, region: REGION },
    prodEnv: { account: crossAccountKeys ? PROD_ACCOUNT : PIPELINE_ACCOUNT, region: REGION },
    prepareStage: options.prepareStage,
  });
  return { app, pipelineStack };
}
