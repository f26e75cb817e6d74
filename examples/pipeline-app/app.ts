import { App, AppProps, Stage } from 'aws-cdk-lib';
import { EnterpriseCatalogueRemediations, RatingInput } from '../../src';
import { PipelineStack } from './pipeline-stack';
import { REMEDIATION_SETTINGS } from './remediation-settings';

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
  /**
   * Apply EnterpriseCatalogueRemediations as the README says: to the App (for the pipeline stack)
   * and to each Stage before it is added to the pipeline. @default false
   */
  readonly remediate?: boolean;
  /** The rating the remediations apply at. @default C3I3A3 */
  readonly rating?: RatingInput;
  /** Also applied to each pipeline Stage before `addStage`. */
  readonly prepareStage?: (stage: Stage) => void;
}

/** The example CDK Pipelines app used by the demo and the end-to-end tests. */
export function buildExampleApp(options: ExampleAppOptions = {}): { app: App; pipelineStack: PipelineStack } {
  const crossAccountKeys = options.crossAccountKeys ?? false;
  const app = new App(options.appProps);
  const remediations = { ...REMEDIATION_SETTINGS, rating: options.rating ?? 'C3I3A3' };
  if (options.remediate) EnterpriseCatalogueRemediations.applyTo(app, remediations);
  const pipelineStack = new PipelineStack(app, 'Pipeline', {
    env: { account: PIPELINE_ACCOUNT, region: REGION },
    crossAccountKeys,
    uatEnv: { account: crossAccountKeys ? UAT_ACCOUNT : PIPELINE_ACCOUNT, region: REGION },
    prodEnv: { account: crossAccountKeys ? PROD_ACCOUNT : PIPELINE_ACCOUNT, region: REGION },
    prepareStage: (stage) => {
      // CDK Pipelines synthesizes the Stage inside addStage(): the App's Aspects never reach it.
      if (options.remediate) EnterpriseCatalogueRemediations.applyTo(stage, remediations);
      options.prepareStage?.(stage);
    },
  });
  return { app, pipelineStack };
}
