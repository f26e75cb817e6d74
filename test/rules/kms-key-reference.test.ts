/**
 * Key references written as ARNs built from parts: the key is known when the part that names it is.
 */
import {
  App,
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as actions,
  aws_s3 as s3,
  Stack,
} from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks } from '../../src';
import customerManagedKeyEncryption from '../../src/rules/customer-managed-key-encryption';
import { evaluateRule, templateWith } from '../helpers';

const KEY = { Key: { Type: 'AWS::KMS::Key' } };
const ALIAS = {
  Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/app', TargetKeyId: { Ref: 'Key' } } },
};
const PARTITION = { Ref: 'AWS::Partition' };

function topicWith(key: unknown) {
  return evaluateRule(
    customerManagedKeyEncryption,
    templateWith('AWS::SNS::Topic', { KmsMasterKeyId: key }, { Resources: { ...KEY, ...ALIAS } }),
  ).Subject;
}

describe('a key ARN built from parts', () => {
  it.each([
    [
      'Join of an ARN prefix and a Ref to an alias',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':kms:us-east-1:111111111111:', { Ref: 'Alias' }]] },
    ],
    [
      'Join of an ARN prefix and key/ and a Ref to a key',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':kms:us-east-1:111111111111:key/', { Ref: 'Key' }]] },
    ],
    [
      'Sub ending in an alias Ref',
      { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:${Alias}' },
    ],
    [
      'a literal alias after an unknown partition',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':kms:us-east-1:111111111111:alias/app']] },
    ],
  ])('%s names a customer-managed key', (_name, key) => {
    expect(topicWith(key)).toMatchObject({ status: 'compliant' });
  });

  it.each([
    [
      'an AWS-managed alias after an unknown partition',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':kms:us-east-1:111111111111:alias/aws/sns']] },
      'non-compliant',
    ],
    [
      'a Ref to a key without key/',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':kms:us-east-1:111111111111:', { Ref: 'Key' }]] },
      'unverifiable',
    ],
    [
      'a Ref to a parameter at the end',
      {
        'Fn::Sub': [
          'arn:${AWS::Partition}:kms:us-east-1:111111111111:${A}',
          { A: { Ref: 'AWS::StackName' } },
        ],
      },
      'unverifiable',
    ],
    [
      'a Ref to an alias not at the end of an ARN',
      { 'Fn::Join': ['', [{ Ref: 'Alias' }, '-suffix']] },
      'unverifiable',
    ],
    [
      'a Ref to an alias after something that is not a KMS ARN',
      { 'Fn::Join': ['', ['arn:', PARTITION, ':s3:::', { Ref: 'Alias' }]] },
      'unverifiable',
    ],
  ])('%s', (_name, key, status) => {
    expect(topicWith(key)).toMatchObject({ status });
  });
});

it('the replication bucket of a cross-region CodePipeline is encrypted with its customer-managed key', () => {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Pipe', { env: { account: '111111111111', region: 'eu-west-1' } });
  const source = new codepipeline.Artifact();
  const bucket = new s3.Bucket(stack, 'Source', { versioned: true });
  new codepipeline.Pipeline(stack, 'Pipeline', {
    crossAccountKeys: true,
    stages: [
      {
        stageName: 'Source',
        actions: [new actions.S3SourceAction({ actionName: 'S', bucket, bucketKey: 'k', output: source })],
      },
      {
        stageName: 'Deploy',
        actions: [
          new actions.CloudFormationCreateUpdateStackAction({
            actionName: 'Deploy',
            stackName: 'app',
            templatePath: source.atPath('template.json'),
            adminPermissions: true,
            region: 'us-east-1',
          }),
        ],
      },
    ],
  });
  const pack = new EnterpriseCatalogueChecks(app, { rating: 'C3I3A3', reportOnly: true });
  pack.validateScope(app);
  const replication = pack.evaluations.find(
    (e) =>
      e.stackId === 'cross-region-stack-111111111111:us-east-1' &&
      e.logicalId.startsWith('CrossRegionCodePipelineReplicationBucket') &&
      e.controlId === 'Encryption.1',
  );
  expect(replication).toMatchObject({ status: 'compliant' });
});
