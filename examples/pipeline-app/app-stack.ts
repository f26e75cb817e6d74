import {
  aws_lambda as lambda,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
  Stack,
  StackProps,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The workload each pipeline stage deploys: written as a team would, with CDK's defaults. */
export class AppStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const bucket = new s3.Bucket(this, 'Uploads');
    const queue = new sqs.Queue(this, 'Jobs');
    const topic = new sns.Topic(this, 'Events');
    const handler = new lambda.Function(this, 'Processor', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ ok: true });'),
      environment: { QUEUE_URL: queue.queueUrl, TOPIC_ARN: topic.topicArn },
    });
    bucket.grantRead(handler);
    queue.grantSendMessages(handler);
    topic.grantPublish(handler);
  }
}
