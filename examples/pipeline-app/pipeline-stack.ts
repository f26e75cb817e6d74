import { aws_codecommit as codecommit, Environment, Stack, StackProps, Stage, StageProps } from 'aws-cdk-lib';
import { CodePipeline, CodePipelineSource, ShellStep } from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { AppStack } from './app-stack';

/** One deployment of the workload (UAT or Prod). */
export class AppStage extends Stage {
  constructor(scope: Construct, id: string, props?: StageProps) {
    super(scope, id, props);
    new AppStack(this, 'AppStack');
  }
}

export interface PipelineStackProps extends StackProps {
  readonly crossAccountKeys: boolean;
  readonly uatEnv: Environment;
  readonly prodEnv: Environment;
  /** Called with each stage before it is added to the pipeline, e.g. to apply remediations. */
  readonly prepareStage?: (stage: Stage) => void;
}

/** A stock CDK Pipelines pipeline: CodeCommit source, a synth step, UAT then Prod, no manual approval. */
export class PipelineStack extends Stack {
  public readonly pipeline: CodePipeline;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id, props);
    const repository = new codecommit.Repository(this, 'Repository', { repositoryName: 'workload' });
    this.pipeline = new CodePipeline(this, 'Pipeline', {
      crossAccountKeys: props.crossAccountKeys,
      synth: new ShellStep('Synth', {
        input: CodePipelineSource.codeCommit(repository, 'main'),
        commands: ['npm ci', 'npm run build', 'npx cdk synth'],
      }),
    });
    for (const [name, env] of [
      ['UAT', props.uatEnv],
      ['Prod', props.prodEnv],
    ] as const) {
      const stage = new AppStage(this, name, { env });
      props.prepareStage?.(stage);
      this.pipeline.addStage(stage);
    }
  }
}
