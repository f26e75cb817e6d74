import {
  App,
  aws_codebuild as codebuild,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
  aws_ssm as ssm,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * The app the benchmark synthesizes: fourteen stacks of the resource types the shipped controls judge
 * (buckets, keys, topics, queues, functions, CodeBuild projects, log groups, tables) and types they
 * ignore (parameters, roles), added round-robin until the stacks hold about `resources` resources.
 * Every construct is left at its defaults, so most of them break some control at C3I3A3.
 */

interface Kind {
  /** How many template resources one instance renders (the L2 and what it creates beside itself). */
  readonly resources: number;
  readonly add: (scope: Construct, id: string) => void;
}

const KINDS: readonly Kind[] = [
  { resources: 1, add: (scope, id) => new s3.Bucket(scope, id) },
  { resources: 1, add: (scope, id) => new kms.Key(scope, id) },
  { resources: 1, add: (scope, id) => new sns.Topic(scope, id) },
  { resources: 1, add: (scope, id) => new sqs.Queue(scope, id) },
  {
    resources: 2, // the function and its service role
    add: (scope, id) =>
      new lambda.Function(scope, id, {
        runtime: lambda.Runtime.NODEJS_22_X,
        handler: 'index.handler',
        code: lambda.Code.fromInline('exports.handler = async () => undefined;'),
      }),
  },
  { resources: 3, add: (scope, id) => new codebuild.PipelineProject(scope, id) }, // project, role, policy
  { resources: 1, add: (scope, id) => new logs.LogGroup(scope, id) },
  {
    resources: 1,
    add: (scope, id) =>
      new dynamodb.Table(scope, id, { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
  },
  { resources: 1, add: (scope, id) => new ssm.StringParameter(scope, id, { stringValue: id }) },
  {
    resources: 1,
    add: (scope, id) => new iam.Role(scope, id, { assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com') }),
  },
];

// Fourteen, not ten: at 5,000 resources the remediations add a resource policy to every bucket, queue and
// topic (S3.4, SQS.1, SNS.1), and ten stacks would pass CloudFormation's 500 resources per stack.
export const STACKS = 14;

/** Adds the stacks and their resources to `app`, each stack its share; returns how many resources they render. */
export function addBenchStacks(app: App, resources: number): number {
  const perStack = Math.ceil(resources / STACKS);
  let added = 0;
  let next = 0;
  for (let s = 0; s < STACKS; s++) {
    const stack = new Stack(app, `Bench${s}`);
    // The kinds in turn, carried on from stack to stack, so each stack gets its share of each.
    for (let inStack = 0; inStack < perStack && added < resources; next++) {
      const kind = KINDS[next % KINDS.length];
      kind.add(stack, `R${next}`);
      inStack += kind.resources;
      added += kind.resources;
    }
  }
  return added;
}
