import {
  App,
  AspectPriority,
  Aspects,
  aws_codebuild as codebuild,
  aws_codecommit as codecommit,
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as actions,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_efs as efs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kinesis as kinesis,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_rds as rds,
  aws_s3 as s3,
  aws_s3_notifications as notifications,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  aws_sqs as sqs,
  CfnResource,
  cx_api as cxapi,
  Duration,
  pipelines,
  Size,
  Stack,
  Stage,
  Tags,
} from 'aws-cdk-lib';
import { CfnResourceJson, CfnTemplate } from '../../src/engine/template';
import { EncryptWithCustomerManagedKey } from '../../src/remediations/aspects';
import rule from '../../src/rules/customer-managed-key-encryption';
import keyRotation from '../../src/rules/key-rotation';
import { evaluateRule, remediationRecords, synthStack, synthWithAspects, templateWith } from '../helpers';

const KEY_RESOURCE = { Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } } };

/** Evaluates `Subject` of `type` with a KMS key resource `Key` (and `extra`) in the template. */
function subject(
  type: string,
  properties: Record<string, unknown> | undefined,
  extra: Partial<CfnTemplate> = {},
  params: Record<string, unknown> = {},
) {
  const template = templateWith(type, properties, {
    ...extra,
    Resources: { ...KEY_RESOURCE, ...(extra.Resources ?? {}) },
  });
  return evaluateRule(rule, template, params).Subject;
}

interface TypeCase {
  readonly type: string;
  /** The properties with `key` as the customer-managed key, and every setting that selects KMS. */
  readonly withKey: (key: unknown) => Record<string, unknown>;
  /** Where `withKey` puts the key, as the rule names it. */
  readonly keyPath: string;
  readonly awsManagedAlias: string;
  readonly unencrypted: Record<string, unknown> | undefined;
  readonly unencryptedProperty: string;
  readonly unencryptedReason: string;
}

const S3_RULE_0 = 'BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault';
const bucketWith = (...defaults: Array<Record<string, unknown>>) => ({
  BucketEncryption: {
    ServerSideEncryptionConfiguration: defaults.map((byDefault) => ({
      ServerSideEncryptionByDefault: byDefault,
    })),
  },
});
const globalTableWith = (...replicaKeys: unknown[]) => ({
  SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
  Replicas: replicaKeys.map((key, i) => ({
    Region: `eu-west-${i + 1}`,
    SSESpecification: { KMSMasterKeyId: key },
  })),
});
const ENVIRONMENT = { Environment: { Variables: { TABLE: 'orders' } } };

const TYPES: readonly TypeCase[] = [
  {
    type: 'AWS::S3::Bucket',
    withKey: (key) => bucketWith({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }),
    keyPath: `${S3_RULE_0}.KMSMasterKeyID`,
    awsManagedAlias: 'alias/aws/s3',
    unencrypted: undefined,
    unencryptedProperty: 'BucketEncryption',
    unencryptedReason: 'BucketEncryption is not set (S3 then encrypts with SSE-S3, an AWS-owned key)',
  },
  {
    type: 'AWS::SNS::Topic',
    withKey: (key) => ({ KmsMasterKeyId: key }),
    keyPath: 'KmsMasterKeyId',
    awsManagedAlias: 'alias/aws/sns',
    unencrypted: { TopicName: 'orders' },
    unencryptedProperty: 'KmsMasterKeyId',
    unencryptedReason: 'KmsMasterKeyId is not set, so the topic is not encrypted',
  },
  {
    type: 'AWS::SQS::Queue',
    withKey: (key) => ({ KmsMasterKeyId: key }),
    keyPath: 'KmsMasterKeyId',
    awsManagedAlias: 'alias/aws/sqs',
    unencrypted: { SqsManagedSseEnabled: true },
    unencryptedProperty: 'SqsManagedSseEnabled',
    unencryptedReason:
      'SqsManagedSseEnabled is true, not false (the queue then uses SQS-managed encryption, SSE-SQS)',
  },
  {
    type: 'AWS::Logs::LogGroup',
    withKey: (key) => ({ KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/logs',
    unencrypted: { RetentionInDays: 30 },
    unencryptedProperty: 'KmsKeyId',
    unencryptedReason: 'KmsKeyId is not set, so CloudWatch Logs encrypts the log group with an AWS-owned key',
  },
  {
    type: 'AWS::DynamoDB::Table',
    withKey: (key) => ({ SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: key } }),
    keyPath: 'SSESpecification.KMSMasterKeyId',
    awsManagedAlias: 'alias/aws/dynamodb',
    unencrypted: { BillingMode: 'PAY_PER_REQUEST' },
    unencryptedProperty: 'SSESpecification',
    unencryptedReason: 'SSESpecification is not set (DynamoDB then encrypts with an AWS-owned key)',
  },
  {
    type: 'AWS::DynamoDB::GlobalTable',
    withKey: (key) => globalTableWith(key),
    keyPath: 'Replicas[0].SSESpecification.KMSMasterKeyId',
    awsManagedAlias: 'alias/aws/dynamodb',
    unencrypted: { Replicas: [{ Region: 'eu-west-1' }] },
    unencryptedProperty: 'SSESpecification',
    unencryptedReason: 'SSESpecification is not set (DynamoDB then encrypts with an AWS-owned key)',
  },
  {
    type: 'AWS::SecretsManager::Secret',
    withKey: (key) => ({ KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/secretsmanager',
    unencrypted: undefined,
    unencryptedProperty: 'KmsKeyId',
    unencryptedReason:
      'KmsKeyId is not set, so Secrets Manager uses the AWS-managed key alias/aws/secretsmanager',
  },
  {
    type: 'AWS::EFS::FileSystem',
    withKey: (key) => ({ Encrypted: true, KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/elasticfilesystem',
    unencrypted: { PerformanceMode: 'generalPurpose' },
    unencryptedProperty: 'Encrypted',
    unencryptedReason: 'Encrypted is not set (the file system is not encrypted)',
  },
  {
    type: 'AWS::RDS::DBInstance',
    withKey: (key) => ({ Engine: 'postgres', StorageEncrypted: true, KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/rds',
    unencrypted: { Engine: 'postgres' },
    unencryptedProperty: 'StorageEncrypted',
    unencryptedReason: 'StorageEncrypted is not set (the storage is not encrypted)',
  },
  {
    type: 'AWS::RDS::DBCluster',
    withKey: (key) => ({ Engine: 'aurora-postgresql', StorageEncrypted: true, KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/rds',
    unencrypted: { Engine: 'aurora-postgresql', StorageEncrypted: false },
    unencryptedProperty: 'StorageEncrypted',
    unencryptedReason: 'StorageEncrypted is false, not true (the storage is not encrypted)',
  },
  {
    type: 'AWS::ECR::Repository',
    withKey: (key) => ({ EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: key } }),
    keyPath: 'EncryptionConfiguration.KmsKey',
    awsManagedAlias: 'alias/aws/ecr',
    unencrypted: { RepositoryName: 'app' },
    unencryptedProperty: 'EncryptionConfiguration',
    unencryptedReason:
      'EncryptionConfiguration is not set (ECR then encrypts with AES-256 under an AWS-owned key)',
  },
  {
    type: 'AWS::Kinesis::Stream',
    withKey: (key) => ({ ShardCount: 1, StreamEncryption: { EncryptionType: 'KMS', KeyId: key } }),
    keyPath: 'StreamEncryption.KeyId',
    awsManagedAlias: 'alias/aws/kinesis',
    unencrypted: { ShardCount: 1 },
    unencryptedProperty: 'StreamEncryption',
    unencryptedReason: 'StreamEncryption is not set (the stream is not encrypted)',
  },
  {
    type: 'AWS::EC2::Volume',
    withKey: (key) => ({ Size: 20, Encrypted: true, KmsKeyId: key }),
    keyPath: 'KmsKeyId',
    awsManagedAlias: 'alias/aws/ebs',
    unencrypted: { Size: 20, Encrypted: false },
    unencryptedProperty: 'Encrypted',
    unencryptedReason:
      'Encrypted is false, not true (the volume is only encrypted if the account turns on EBS encryption by default)',
  },
  {
    type: 'AWS::CodeBuild::Project',
    withKey: (key) => ({ EncryptionKey: key }),
    keyPath: 'EncryptionKey',
    awsManagedAlias: 'alias/aws/s3',
    unencrypted: { Name: 'build' },
    unencryptedProperty: 'EncryptionKey',
    unencryptedReason: 'EncryptionKey is not set, so CodeBuild uses the AWS-managed key alias/aws/s3',
  },
  {
    type: 'AWS::CodePipeline::Pipeline',
    withKey: (key) => ({
      ArtifactStore: { Type: 'S3', Location: 'artifacts', EncryptionKey: { Id: key, Type: 'KMS' } },
    }),
    keyPath: 'ArtifactStore.EncryptionKey.Id',
    awsManagedAlias: 'alias/aws/s3',
    unencrypted: { ArtifactStore: { Type: 'S3', Location: 'artifacts' } },
    unencryptedProperty: 'ArtifactStore.EncryptionKey',
    unencryptedReason:
      'ArtifactStore.EncryptionKey is not set, so CodePipeline uses the AWS-managed key alias/aws/s3',
  },
  {
    type: 'AWS::Lambda::Function',
    withKey: (key) => ({ ...ENVIRONMENT, KmsKeyArn: key }),
    keyPath: 'KmsKeyArn',
    awsManagedAlias: 'alias/aws/lambda',
    unencrypted: ENVIRONMENT,
    unencryptedProperty: 'KmsKeyArn',
    unencryptedReason:
      'KmsKeyArn is not set, so Lambda encrypts the environment variables with the AWS-managed key alias/aws/lambda',
  },
];

describe('customer-managed-key-encryption', () => {
  it('dispatches on every supported type and checks them all by default', () => {
    expect(rule.meta.resourceTypes).toEqual(TYPES.map((t) => t.type));
    expect(rule.meta.paramsSchema).toMatchObject({ additionalProperties: false });
  });

  describe.each(TYPES)('$type', (typeCase) => {
    const { type, withKey, keyPath } = typeCase;

    it.each([
      ['a Ref to a KMS key', { Ref: 'Key' }],
      ['a Fn::GetAtt of the key Arn', { 'Fn::GetAtt': ['Key', 'Arn'] }],
      ['a literal customer alias', 'alias/orders'],
    ])('complies with %s', (_name, key) => {
      expect(subject(type, withKey(key)).status).toBe('compliant');
    });

    it('fails without encryption, naming the property', () => {
      expect(subject(type, typeCase.unencrypted)).toMatchObject({
        status: 'non-compliant',
        property: typeCase.unencryptedProperty,
        reason: typeCase.unencryptedReason,
      });
    });

    it('fails with the AWS-managed key of the service', () => {
      expect(subject(type, withKey(typeCase.awsManagedAlias))).toMatchObject({
        status: 'non-compliant',
        property: keyPath,
        reason: `${keyPath} '${typeCase.awsManagedAlias}' is an AWS-managed key`,
      });
    });

    it('cannot verify a key from a parameter', () => {
      const parameters = { Parameters: { KeyArn: { Type: 'String' } } };
      const evaluation = subject(type, withKey({ Ref: 'KeyArn' }), parameters);
      expect(evaluation).toMatchObject({ status: 'unverifiable', property: keyPath });
      expect(evaluation.reason).toBe(
        `${keyPath} comes from parameter KeyArn, so whether the key is customer-managed is only known at deploy time`,
      );
    });

    it('is not applicable when the catalogue leaves the type out of resourceTypes', () => {
      const others = TYPES.map((t) => t.type).filter((t) => t !== type);
      expect(subject(type, typeCase.unencrypted, {}, { resourceTypes: others })).toMatchObject({
        status: 'not-applicable',
        reason: `${type} is not among the resourceTypes of this control`,
      });
    });
  });

  describe('what counts as a customer-managed key', () => {
    const topic = (key: unknown, extra: Partial<CfnTemplate> = {}) =>
      subject('AWS::SNS::Topic', { KmsMasterKeyId: key }, extra);

    it.each([
      ['Fn::GetAtt KeyId in string form', { 'Fn::GetAtt': 'Key.KeyId' }, {}],
      ['a Ref to an alias resource', { Ref: 'Alias' }, { Alias: { Type: 'AWS::KMS::Alias' } }],
      [
        'a Ref to a multi-Region replica key',
        { Ref: 'Replica' },
        { Replica: { Type: 'AWS::KMS::ReplicaKey' } },
      ],
      ['a key ARN', 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab', {}],
      ['an alias ARN', 'arn:aws:kms:eu-west-1:111122223333:alias/orders', {}],
      ['a key id', '1234abcd-12ab-34cd-56ef-1234567890ab', {}],
      ['a multi-Region key id', 'mrk-1234abcd12ab34cd56ef1234567890ab', {}],
      [
        'a multi-Region key ARN',
        'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab',
        {},
      ],
      [
        'a key ARN in another partition',
        'arn:aws-cn:kms:cn-north-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        {},
      ],
      ['an alias whose name only contains aws', 'alias/orders/aws/key', {}],
      [
        'an alias ARN built with Fn::Sub from pseudo parameters',
        { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/orders' },
        {},
      ],
      [
        'a key ARN built with Fn::Join from pseudo parameters',
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':kms:eu-west-1:',
              { Ref: 'AWS::AccountId' },
              ':key/1234abcd',
            ],
          ],
        },
        {},
      ],
      ['a Fn::Join that renders exactly', { 'Fn::Join': ['/', ['alias', 'orders']] }, {}],
    ])('complies with %s', (_name, key, resources) => {
      expect(topic(key, { Resources: resources }).status).toBe('compliant');
    });

    it.each([
      ['an AWS-managed alias ARN', 'arn:aws:kms:eu-west-1:111122223333:alias/aws/sns'],
      [
        'an AWS-managed alias ARN built with Fn::Join from pseudo parameters',
        {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':kms:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':alias/aws/sns',
            ],
          ],
        },
      ],
      [
        'an AWS-managed alias ARN built with Fn::Sub',
        { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sns' },
      ],
      ['an AWS-managed alias with a computed service', { 'Fn::Sub': ['alias/aws/${Service}', {}] }],
    ])('fails %s', (_name, key) => {
      const evaluation = topic(key);
      expect(evaluation).toMatchObject({ status: 'non-compliant', property: 'KmsMasterKeyId' });
      expect(evaluation.reason).toMatch(/^KmsMasterKeyId '.*alias\/aws\/.*' is an AWS-managed key$/);
    });

    it.each([
      ['a placeholder word', 'TestKey'],
      ['an ARN-looking placeholder', 'ARN:AWS:12345678912'],
      ['a key id with a typo', '1234abcd-12ab-34cd-56ef-1234567890a'],
      ['an ARN of another service', 'arn:aws:s3:::my-bucket'],
    ])('fails a literal that names no KMS key: %s', (_name, key) => {
      expect(topic(key)).toMatchObject({
        status: 'non-compliant',
        property: 'KmsMasterKeyId',
        reason: `KmsMasterKeyId is '${key}', not a KMS key id, ARN or alias`,
      });
    });

    it('shows the unknown parts of a rendered AWS-managed ARN', () => {
      const key = { 'Fn::Sub': 'arn:${AWS::Partition}:kms:eu-west-1:111122223333:alias/aws/sns' };
      expect(topic(key).reason).toBe(
        "KmsMasterKeyId 'arn:${AWS::Partition}:kms:eu-west-1:111122223333:alias/aws/sns' is an AWS-managed key",
      );
    });

    it.each([
      [
        'a Ref to a bucket',
        { Ref: 'Bucket' },
        'KmsMasterKeyId refers to Bucket (AWS::S3::Bucket), not a KMS key or alias',
      ],
      [
        'a Fn::GetAtt of a bucket',
        { 'Fn::GetAtt': ['Bucket', 'Arn'] },
        'KmsMasterKeyId refers to Bucket.Arn (AWS::S3::Bucket), not a KMS key or alias',
      ],
    ])('fails %s, saying what it points to', (_name, key, reason) => {
      const evaluation = topic(key, { Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } });
      expect(evaluation).toMatchObject({ status: 'non-compliant', property: 'KmsMasterKeyId', reason });
    });

    it('cannot verify a key a custom resource returns', () => {
      const evaluation = topic(
        { 'Fn::GetAtt': ['KeyLookup', 'KeyArn'] },
        { Resources: { KeyLookup: { Type: 'Custom::KeyLookup' } } },
      );
      expect(evaluation).toMatchObject({ status: 'unverifiable', property: 'KmsMasterKeyId' });
      expect(evaluation.reason).toMatch(
        /^KmsMasterKeyId comes from attribute KeyArn of custom resource KeyLookup, /,
      );
    });

    it.each([
      ['a computed alias', { 'Fn::Sub': 'alias/${Environment}-orders' }, /comes from Fn::Sub, /],
      ['a pseudo parameter', { Ref: 'AWS::StackName' }, /comes from pseudo parameter AWS::StackName, /],
      [
        'Fn::Select from a deploy-time list',
        { 'Fn::Select': [0, { 'Fn::Split': [',', { Ref: 'AWS::StackName' }] }] },
        /comes from Fn::Select, /,
      ],
      [
        'a Ref to nothing in the template',
        { Ref: 'Missing' },
        /Ref to Missing, which is not in the template/,
      ],
    ])('cannot verify %s', (_name, key, reason) => {
      const evaluation = topic(key);
      expect(evaluation).toMatchObject({ status: 'unverifiable', property: 'KmsMasterKeyId' });
      expect(evaluation.reason).toMatch(reason);
    });
  });

  describe('cross-stack keys through Fn::ImportValue', () => {
    const exporting = (value: unknown, resources: CfnTemplate['Resources']): CfnTemplate => ({
      Resources: resources,
      Outputs: { Exported: { Value: value, Export: { Name: 'shared-key' } } },
    });
    const importingTopic = templateWith('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::ImportValue': 'shared-key' },
    });

    it.each([
      ['a Fn::GetAtt of a key', { 'Fn::GetAtt': ['SharedKey', 'Arn'] }],
      ['a Ref to a key', { Ref: 'SharedKey' }],
    ])('complies with an import of another stack export of %s', (_name, value) => {
      const other = exporting(value, { SharedKey: { Type: 'AWS::KMS::Key' } });
      expect(evaluateRule(rule, [importingTopic, other]).Subject.status).toBe('compliant');
    });

    it('fails an import of another stack export of a bucket, naming the stack', () => {
      const other = exporting({ Ref: 'Bucket' }, { Bucket: { Type: 'AWS::S3::Bucket' } });
      expect(evaluateRule(rule, [importingTopic, other]).Subject).toMatchObject({
        status: 'non-compliant',
        reason: 'KmsMasterKeyId refers to Bucket in stack Stack1 (AWS::S3::Bucket), not a KMS key or alias',
      });
    });

    it('fails an import of an exported AWS-managed alias', () => {
      const other = exporting('alias/aws/sns', {});
      expect(evaluateRule(rule, [importingTopic, other]).Subject).toMatchObject({
        status: 'non-compliant',
        reason: "KmsMasterKeyId 'alias/aws/sns' is an AWS-managed key",
      });
    });

    it('cannot verify an import no template exports', () => {
      expect(evaluateRule(rule, importingTopic).Subject).toMatchObject({
        status: 'unverifiable',
        property: 'KmsMasterKeyId',
        reason:
          'KmsMasterKeyId comes from import of export shared-key, so whether the key is customer-managed is only known at deploy time',
      });
    });
  });

  describe('Fn::If', () => {
    it('fails when one branch uses an AWS-managed key, naming the condition', () => {
      const evaluation = subject('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::If': ['IsProd', { Ref: 'Key' }, 'alias/aws/sns'] },
      });
      expect(evaluation).toMatchObject({
        status: 'non-compliant',
        property: 'KmsMasterKeyId',
        reason: "when condition IsProd is false: KmsMasterKeyId 'alias/aws/sns' is an AWS-managed key",
      });
    });

    it('fails when one branch drops the bucket key with AWS::NoValue', () => {
      const evaluation = subject(
        'AWS::S3::Bucket',
        bucketWith({
          SSEAlgorithm: 'aws:kms',
          KMSMasterKeyID: { 'Fn::If': ['HasKey', { Ref: 'Key' }, { Ref: 'AWS::NoValue' }] },
        }),
      );
      expect(evaluation).toMatchObject({ status: 'non-compliant', property: `${S3_RULE_0}.KMSMasterKeyID` });
      expect(evaluation.reason).toBe(
        `when condition HasKey is false: ${S3_RULE_0}.KMSMasterKeyID is not set, so S3 uses the AWS-managed key alias/aws/s3`,
      );
    });

    it('complies when both branches use customer-managed keys', () => {
      const evaluation = subject('AWS::SNS::Topic', {
        KmsMasterKeyId: { 'Fn::If': ['IsProd', { Ref: 'Key' }, { 'Fn::GetAtt': ['Key', 'Arn'] }] },
      });
      expect(evaluation.status).toBe('compliant');
    });

    it('fails when a branch turns off the setting that selects KMS', () => {
      const evaluation = subject('AWS::EFS::FileSystem', {
        Encrypted: { 'Fn::If': ['IsProd', true, false] },
        KmsKeyId: { Ref: 'Key' },
      });
      expect(evaluation).toMatchObject({
        status: 'non-compliant',
        property: 'Encrypted',
        reason:
          'when condition IsProd is false: Encrypted is false, not true (the file system is not encrypted)',
      });
    });
  });

  describe('S3 buckets', () => {
    it.each([
      ['aws:kms:dsse', bucketWith({ SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: { Ref: 'Key' } })],
      [
        'two rules, both with the key',
        bucketWith(
          { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { Ref: 'Key' } },
          { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: 'alias/orders' },
        ),
      ],
    ])('complies with %s', (_name, properties) => {
      expect(subject('AWS::S3::Bucket', properties).status).toBe('compliant');
    });

    it.each([
      [
        'SSE-S3',
        bucketWith({ SSEAlgorithm: 'AES256' }),
        `${S3_RULE_0}.SSEAlgorithm`,
        `${S3_RULE_0}.SSEAlgorithm is 'AES256', not aws:kms or aws:kms:dsse (S3 then encrypts with SSE-S3, an AWS-owned key)`,
      ],
      [
        'aws:kms without a key',
        bucketWith({ SSEAlgorithm: 'aws:kms' }),
        `${S3_RULE_0}.KMSMasterKeyID`,
        `${S3_RULE_0}.KMSMasterKeyID is not set, so S3 uses the AWS-managed key alias/aws/s3`,
      ],
      [
        'a second rule on SSE-S3',
        bucketWith({ SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { Ref: 'Key' } }, { SSEAlgorithm: 'AES256' }),
        'BucketEncryption.ServerSideEncryptionConfiguration[1].ServerSideEncryptionByDefault.SSEAlgorithm',
        "BucketEncryption.ServerSideEncryptionConfiguration[1].ServerSideEncryptionByDefault.SSEAlgorithm is 'AES256', not aws:kms or aws:kms:dsse (S3 then encrypts with SSE-S3, an AWS-owned key)",
      ],
      [
        'an empty rule list',
        bucketWith(),
        'BucketEncryption.ServerSideEncryptionConfiguration',
        'BucketEncryption.ServerSideEncryptionConfiguration is empty (S3 then encrypts with SSE-S3, an AWS-owned key)',
      ],
      [
        'a rule without a default encryption',
        { BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true }] } },
        S3_RULE_0,
        `${S3_RULE_0} is not set (S3 then encrypts with SSE-S3, an AWS-owned key)`,
      ],
      [
        'an algorithm that refers to a resource',
        bucketWith({ SSEAlgorithm: { Ref: 'Key' }, KMSMasterKeyID: { Ref: 'Key' } }),
        `${S3_RULE_0}.SSEAlgorithm`,
        `${S3_RULE_0}.SSEAlgorithm is Ref Key, not aws:kms or aws:kms:dsse (S3 then encrypts with SSE-S3, an AWS-owned key)`,
      ],
    ])('fails %s', (_name, properties, property, reason) => {
      expect(subject('AWS::S3::Bucket', properties)).toMatchObject({
        status: 'non-compliant',
        property,
        reason,
      });
    });
  });

  describe('SQS queues', () => {
    it.each([
      ['no properties', undefined, 'KmsMasterKeyId'],
      ['SqsManagedSseEnabled false', { SqsManagedSseEnabled: false }, 'KmsMasterKeyId'],
      ['SqsManagedSseEnabled true', { SqsManagedSseEnabled: 'true' }, 'SqsManagedSseEnabled'],
    ])('fails with %s, as the queue uses SQS-managed encryption', (_name, properties, property) => {
      const evaluation = subject('AWS::SQS::Queue', properties);
      expect(evaluation).toMatchObject({ status: 'non-compliant', property });
      expect(evaluation.reason).toMatch(/uses SQS-managed encryption/);
    });

    it('complies with a customer-managed key and SqsManagedSseEnabled false', () => {
      const evaluation = subject('AWS::SQS::Queue', {
        SqsManagedSseEnabled: false,
        KmsMasterKeyId: { Ref: 'Key' },
      });
      expect(evaluation.status).toBe('compliant');
    });
  });

  describe('DynamoDB tables', () => {
    it.each([
      [
        'SSEEnabled true without a key',
        { SSESpecification: { SSEEnabled: true } },
        'SSESpecification.KMSMasterKeyId',
        'SSESpecification.KMSMasterKeyId is not set, so DynamoDB uses the AWS-managed key alias/aws/dynamodb',
      ],
      [
        'SSEEnabled false',
        { SSESpecification: { SSEEnabled: false, KMSMasterKeyId: { Ref: 'Key' } } },
        'SSESpecification.SSEEnabled',
        'SSESpecification.SSEEnabled is false, not true (DynamoDB then encrypts with an AWS-owned key)',
      ],
      [
        'an SSEType other than KMS',
        { SSESpecification: { SSEEnabled: true, SSEType: 'AES256', KMSMasterKeyId: { Ref: 'Key' } } },
        'SSESpecification.SSEType',
        "SSESpecification.SSEType is 'AES256', not KMS (KMS is the only type with a key)",
      ],
    ])('fails with %s', (_name, properties, property, reason) => {
      expect(subject('AWS::DynamoDB::Table', properties)).toMatchObject({
        status: 'non-compliant',
        property,
        reason,
      });
    });

    it('complies without SSEType, which defaults to KMS', () => {
      const properties = { SSESpecification: { SSEEnabled: 'true', KMSMasterKeyId: { Ref: 'Key' } } };
      expect(subject('AWS::DynamoDB::Table', properties).status).toBe('compliant');
    });

    it('checks the key of every replica of a global table', () => {
      expect(
        subject('AWS::DynamoDB::GlobalTable', globalTableWith({ Ref: 'Key' }, 'alias/orders')).status,
      ).toBe('compliant');
      const oneReplicaWithout = {
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          { Region: 'eu-west-1', SSESpecification: { KMSMasterKeyId: { Ref: 'Key' } } },
          { Region: 'eu-west-2' },
        ],
      };
      expect(subject('AWS::DynamoDB::GlobalTable', oneReplicaWithout)).toMatchObject({
        status: 'non-compliant',
        property: 'Replicas[1].SSESpecification',
        reason:
          'Replicas[1].SSESpecification is not set, so DynamoDB uses the AWS-managed key alias/aws/dynamodb',
      });
    });
  });

  describe('RDS', () => {
    it('is not applicable to an instance of a cluster, which holds the storage', () => {
      const evaluation = subject('AWS::RDS::DBInstance', {
        Engine: 'aurora-postgresql',
        DBClusterIdentifier: { Ref: 'Cluster' },
      });
      expect(evaluation.status).toBe('not-applicable');
      expect(evaluation.reason).toMatch(
        /^DBClusterIdentifier is Ref Cluster: the instance's storage belongs to/,
      );
    });

    it('is not applicable to a read replica, which is encrypted as its source', () => {
      const evaluation = subject('AWS::RDS::DBInstance', { SourceDBInstanceIdentifier: 'orders-primary' });
      expect(evaluation).toMatchObject({
        status: 'not-applicable',
        reason:
          "SourceDBInstanceIdentifier is 'orders-primary': a read replica is encrypted as its source instance, which this control checks",
      });
    });

    it.each(['AWS::RDS::DBInstance', 'AWS::RDS::DBCluster'])(
      'fails %s with encrypted storage under the AWS-managed key',
      (type) => {
        expect(subject(type, { StorageEncrypted: 'true' })).toMatchObject({
          status: 'non-compliant',
          property: 'KmsKeyId',
          reason: 'KmsKeyId is not set, so RDS uses the AWS-managed key alias/aws/rds',
        });
      },
    );
  });

  describe('ECR, Kinesis and EBS encryption types', () => {
    it.each([
      [
        'AWS::ECR::Repository',
        { EncryptionConfiguration: { EncryptionType: 'AES256' } },
        'EncryptionConfiguration.EncryptionType',
        "EncryptionConfiguration.EncryptionType is 'AES256', not KMS or KMS_DSSE (ECR then encrypts with AES-256 under an AWS-owned key)",
      ],
      [
        'AWS::ECR::Repository',
        { EncryptionConfiguration: { EncryptionType: 'KMS' } },
        'EncryptionConfiguration.KmsKey',
        'EncryptionConfiguration.KmsKey is not set, so ECR uses the AWS-managed key alias/aws/ecr',
      ],
      [
        'AWS::Kinesis::Stream',
        { StreamEncryption: { EncryptionType: 'NONE', KeyId: { Ref: 'Key' } } },
        'StreamEncryption.EncryptionType',
        "StreamEncryption.EncryptionType is 'NONE', not KMS (the stream is not encrypted)",
      ],
      [
        'AWS::EC2::Volume',
        { Encrypted: true },
        'KmsKeyId',
        "KmsKeyId is not set, so EBS uses the account's default EBS key, alias/aws/ebs unless the account changed it",
      ],
    ])('%s fails with %j', (type, properties, property, reason) => {
      expect(subject(type, properties)).toMatchObject({ status: 'non-compliant', property, reason });
    });

    it('complies with ECR KMS_DSSE and a customer-managed key', () => {
      const properties = { EncryptionConfiguration: { EncryptionType: 'KMS_DSSE', KmsKey: { Ref: 'Key' } } };
      expect(subject('AWS::ECR::Repository', properties).status).toBe('compliant');
    });
  });

  describe('CodePipeline artifact stores', () => {
    const store = (region: string, encryptionKey?: unknown) => ({
      Region: region,
      ArtifactStore: {
        Type: 'S3',
        Location: `artifacts-${region}`,
        ...(encryptionKey ? { EncryptionKey: encryptionKey } : {}),
      },
    });

    it('complies when every cross-region artifact store has a customer-managed key', () => {
      const ArtifactStores = [
        store('eu-west-1', { Id: { Ref: 'Key' }, Type: 'KMS' }),
        store('us-east-1', { Id: 'arn:aws:kms:us-east-1:111122223333:alias/pipeline', Type: 'KMS' }),
      ];
      expect(subject('AWS::CodePipeline::Pipeline', { ArtifactStores }).status).toBe('compliant');
    });

    it('fails when one cross-region artifact store has no key', () => {
      const ArtifactStores = [store('eu-west-1', { Id: { Ref: 'Key' }, Type: 'KMS' }), store('us-east-1')];
      expect(subject('AWS::CodePipeline::Pipeline', { ArtifactStores })).toMatchObject({
        status: 'non-compliant',
        property: 'ArtifactStores[1].ArtifactStore.EncryptionKey',
        reason:
          'ArtifactStores[1].ArtifactStore.EncryptionKey is not set, so CodePipeline uses the AWS-managed key alias/aws/s3',
      });
    });

    it('fails a pipeline without any artifact store', () => {
      expect(subject('AWS::CodePipeline::Pipeline', { Name: 'release' })).toMatchObject({
        status: 'non-compliant',
        property: 'ArtifactStore',
      });
    });
  });

  describe('Lambda environment variables', () => {
    it.each([
      ['no Environment', { Runtime: 'nodejs20.x' }],
      ['an Environment without Variables', { Environment: {} }],
      ['empty Variables', { Environment: { Variables: {} } }],
    ])('is not applicable with %s', (_name, properties) => {
      expect(subject('AWS::Lambda::Function', properties)).toMatchObject({
        status: 'not-applicable',
        reason: 'Environment.Variables is not set: the function has no environment variables to encrypt',
      });
    });
  });

  describe('settings only known at deploy time', () => {
    const parameters = { Parameters: { Encrypt: { Type: 'String' } } };

    it('cannot verify an Encrypted flag from a parameter when the key is customer-managed', () => {
      const evaluation = subject(
        'AWS::EFS::FileSystem',
        { Encrypted: { Ref: 'Encrypt' }, KmsKeyId: { Ref: 'Key' } },
        parameters,
      );
      expect(evaluation).toMatchObject({
        status: 'unverifiable',
        property: 'Encrypted',
        reason: 'Encrypted comes from parameter Encrypt, which is only known at deploy time',
      });
    });

    it('still fails on the key when the flag comes from a parameter', () => {
      const evaluation = subject('AWS::EFS::FileSystem', { Encrypted: { Ref: 'Encrypt' } }, parameters);
      expect(evaluation).toMatchObject({ status: 'non-compliant', property: 'KmsKeyId' });
    });

    it('cannot verify a list of replicas from an unresolved import', () => {
      const evaluation = subject('AWS::DynamoDB::GlobalTable', {
        SSESpecification: { SSEEnabled: true },
        Replicas: { 'Fn::ImportValue': 'replicas' },
      });
      expect(evaluation).toMatchObject({ status: 'unverifiable', property: 'Replicas' });
      expect(evaluation.reason).toMatch(/^Replicas comes from import of export replicas, /);
    });
  });

  describe('odd shapes never throw', () => {
    it.each([
      [
        'AWS::S3::Bucket',
        { BucketEncryption: { ServerSideEncryptionConfiguration: 'x' } },
        'BucketEncryption.ServerSideEncryptionConfiguration',
        "BucketEncryption.ServerSideEncryptionConfiguration is 'x', not a list",
      ],
      [
        'AWS::S3::Bucket',
        { BucketEncryption: 'x' },
        'BucketEncryption',
        "BucketEncryption is 'x', not an object",
      ],
      [
        'AWS::S3::Bucket',
        { BucketEncryption: { ServerSideEncryptionConfiguration: [1, null] } },
        'BucketEncryption.ServerSideEncryptionConfiguration[0]',
        'BucketEncryption.ServerSideEncryptionConfiguration[0] is 1, not an object',
      ],
      [
        'AWS::S3::Bucket',
        { BucketEncryption: { ServerSideEncryptionConfiguration: [[]] } },
        'BucketEncryption.ServerSideEncryptionConfiguration[0]',
        'BucketEncryption.ServerSideEncryptionConfiguration[0] is [], not an object',
      ],
      [
        'AWS::DynamoDB::GlobalTable',
        { SSESpecification: { SSEEnabled: true }, Replicas: [null] },
        'Replicas[0]',
        'Replicas[0] is not set, so DynamoDB uses the AWS-managed key alias/aws/dynamodb',
      ],
      [
        'AWS::DynamoDB::GlobalTable',
        { SSESpecification: { SSEEnabled: true }, Replicas: 'x' },
        'Replicas',
        "Replicas is 'x', not a list",
      ],
      [
        'AWS::DynamoDB::Table',
        { SSESpecification: { Ref: 'Key' } },
        'SSESpecification',
        'SSESpecification is Ref Key, not an object',
      ],
      [
        'AWS::SNS::Topic',
        { KmsMasterKeyId: { Nested: [1] } },
        'KmsMasterKeyId',
        'KmsMasterKeyId is {"Nested":[1]}, not a KMS key id, ARN or alias',
      ],
      [
        'AWS::SNS::Topic',
        { KmsMasterKeyId: 42 },
        'KmsMasterKeyId',
        'KmsMasterKeyId is 42, not a KMS key id, ARN or alias',
      ],
      [
        'AWS::SNS::Topic',
        { KmsMasterKeyId: '' },
        'KmsMasterKeyId',
        "KmsMasterKeyId is '', not a KMS key id, ARN or alias",
      ],
      [
        'AWS::SNS::Topic',
        { KmsMasterKeyId: ['alias/orders'] },
        'KmsMasterKeyId',
        'KmsMasterKeyId is ["alias/orders"], not a KMS key id, ARN or alias',
      ],
      [
        'AWS::CodePipeline::Pipeline',
        { ArtifactStore: { EncryptionKey: 'alias/orders' } },
        'ArtifactStore.EncryptionKey',
        "ArtifactStore.EncryptionKey is 'alias/orders', not an object",
      ],
    ])('%s with %j', (type, properties, property, reason) => {
      expect(subject(type, properties)).toMatchObject({ status: 'non-compliant', property, reason });
    });

    it('treats Lambda environment junk as having nothing to encrypt', () => {
      expect(subject('AWS::Lambda::Function', { Environment: 'x' }).status).toBe('not-applicable');
    });

    it('cannot verify a leftover Fn::If beyond the expanded conditions', () => {
      const conditions = ['A', 'B', 'C', 'D', 'E', 'F'].map((c) => ({
        [`Tag${c}`]: { 'Fn::If': [c, 'x', 'y'] },
      }));
      const evaluation = subject('AWS::SNS::Topic', {
        ...Object.assign({}, ...conditions),
        KmsMasterKeyId: { 'Fn::If': ['G', { Ref: 'Key' }, { Ref: 'Key' }] },
      });
      expect(evaluation).toMatchObject({ status: 'unverifiable', property: 'KmsMasterKeyId' });
      expect(evaluation.reason).toMatch(/KmsMasterKeyId comes from Fn::If, /);
    });
  });

  describe('the resourceTypes param', () => {
    it('restricts the control to the listed types', () => {
      const template: CfnTemplate = {
        Resources: {
          Topic: { Type: 'AWS::SNS::Topic' },
          Bucket: { Type: 'AWS::S3::Bucket' },
        },
      };
      const evaluations = evaluateRule(rule, template, { resourceTypes: ['AWS::S3::Bucket'] });
      expect(evaluations.Topic.status).toBe('not-applicable');
      expect(evaluations.Bucket.status).toBe('non-compliant');
    });

    it.each([
      ['an unsupported type', ['AWS::SNS::Subscription']],
      ['an empty list', []],
    ])('rejects %s', (_name, resourceTypes) => {
      expect(() => evaluateRule(rule, { Resources: {} }, { resourceTypes })).toThrow(/invalid params/);
    });
  });

  describe('with real CDK constructs', () => {
    /** Statuses by construct id (the L2 hash taken off), keys left out. */
    function statuses(template: CfnTemplate): Record<string, string> {
      return Object.fromEntries(
        Object.entries(evaluateRule(rule, template)).map(([logicalId, e]) => [
          logicalId.replace(/[0-9A-F]{8}$/, ''),
          e.status,
        ]),
      );
    }

    it('flags a default bucket, queue and topic and passes them with customer-managed keys', () => {
      const template = synthStack((stack) => {
        new s3.Bucket(stack, 'PlainBucket');
        new s3.Bucket(stack, 'KmsBucket', { encryption: s3.BucketEncryption.KMS });
        new s3.Bucket(stack, 'ManagedKeyBucket', { encryption: s3.BucketEncryption.KMS_MANAGED });
        new sqs.Queue(stack, 'PlainQueue');
        new sqs.Queue(stack, 'SqsManagedQueue', { encryption: sqs.QueueEncryption.SQS_MANAGED });
        new sqs.Queue(stack, 'KmsQueue', { encryptionMasterKey: new kms.Key(stack, 'QueueKey') });
        new sns.Topic(stack, 'PlainTopic');
        new sns.Topic(stack, 'KmsTopic', { masterKey: new kms.Key(stack, 'TopicKey') });
      });
      expect(statuses(template)).toEqual({
        PlainBucket: 'non-compliant',
        KmsBucket: 'compliant',
        ManagedKeyBucket: 'non-compliant',
        PlainQueue: 'non-compliant',
        SqsManagedQueue: 'non-compliant',
        KmsQueue: 'compliant',
        PlainTopic: 'non-compliant',
        KmsTopic: 'compliant',
      });
    });

    it('explains why the CDK defaults fail', () => {
      const template = synthStack((stack) => {
        new s3.Bucket(stack, 'Bucket');
        new sqs.Queue(stack, 'Queue');
        new s3.Bucket(stack, 'ManagedKeyBucket', { encryption: s3.BucketEncryption.KMS_MANAGED });
      });
      const reasons = Object.values(evaluateRule(rule, template)).map((e) => e.reason);
      expect(reasons).toEqual([
        'BucketEncryption is not set (S3 then encrypts with SSE-S3, an AWS-owned key)',
        'KmsMasterKeyId is not set, so the queue uses SQS-managed encryption, SSE-SQS (or none when SqsManagedSseEnabled is false)',
        `${S3_RULE_0}.KMSMasterKeyID is not set, so S3 uses the AWS-managed key alias/aws/s3`,
      ]);
    });
  });
});

describe('customer-managed-key-encryption remediation (EncryptWithCustomerManagedKey)', () => {
  const GIVEN_KEY_ARN = 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];
  const FINDING = 'Enterprise-Encryption.1';

  /** The resources by construct id (the L2 hash taken off). */
  function resources(template: CfnTemplate): Record<string, CfnResourceJson> {
    return Object.fromEntries(
      Object.entries(template.Resources ?? {}).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
    );
  }

  function keysOf(template: CfnTemplate): Array<[string, CfnResourceJson]> {
    return Object.entries(template.Resources ?? {}).filter(([, r]) => r.Type === 'AWS::KMS::Key');
  }

  /** The one key the fix created, as the resources refer to it. */
  function createdKey(template: CfnTemplate): { ref: unknown; resource: CfnResourceJson } {
    const keys = keysOf(template).filter(([id]) => id.startsWith('CatalogueEncryptionKey'));
    expect(keys).toHaveLength(1);
    return { ref: { 'Fn::GetAtt': [keys[0][0], 'Arn'] }, resource: keys[0][1] };
  }

  function statuses(template: CfnTemplate, params: Record<string, unknown> = {}): Record<string, string> {
    return Object.fromEntries(
      Object.entries(evaluateRule(rule, template, params)).map(([id, e]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        e.status,
      ]),
    );
  }

  function statementsOf(resource: CfnResourceJson): Array<Record<string, unknown>> {
    const document = (resource.Properties?.PolicyDocument ?? resource.Properties?.KeyPolicy) as {
      Statement: Array<Record<string, unknown>>;
    };
    return document.Statement;
  }

  /** The key statement of an IAM policy: its actions on `keyRef`. */
  function keyActionsIn(policy: CfnResourceJson, keyRef: unknown): unknown[] {
    return statementsOf(policy)
      .filter((s) => JSON.stringify(s.Resource) === JSON.stringify(keyRef))
      .map((s) => s.Action);
  }

  const withEnvironment = (stack: Stack, id: string, props: Partial<lambda.FunctionProps> = {}) =>
    new lambda.Function(stack, id, {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
      environment: { TABLE: 'orders' },
      ...props,
    });

  /** The stock L2 defaults of the types the brief names, with one user of each. */
  function defaults(stack: Stack) {
    const bucket = new s3.Bucket(stack, 'Bucket');
    const queue = new sqs.Queue(stack, 'Queue');
    const topic = new sns.Topic(stack, 'Topic');
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const fn = withEnvironment(stack, 'Fn');
    const project = new codebuild.Project(stack, 'Build', {
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: { build: { commands: ['make'] } },
      }),
    });
    queue.grantSendMessages(fn);
    return { bucket, queue, topic, logGroup, table, fn, project };
  }

  describe('the CDK defaults', () => {
    let built: ReturnType<typeof defaults>;
    let template: CfnTemplate;
    beforeAll(() => {
      template = synthWithAspects((stack) => {
        built = defaults(stack);
      }, new EncryptWithCustomerManagedKey()).template;
    });

    it('pass the rule after the fix', () => {
      expect(statuses(template)).toEqual({
        Bucket: 'compliant',
        Queue: 'compliant',
        Topic: 'compliant',
        Logs: 'compliant',
        Table: 'compliant',
        Fn: 'compliant',
        Build: 'compliant',
      });
    });

    it('all use one rotating key created for the stack, which passes key-rotation', () => {
      expect(keysOf(template)).toHaveLength(1);
      const { ref, resource } = createdKey(template);
      expect(resource.Properties?.EnableKeyRotation).toBe(true);
      expect(Object.values(evaluateRule(keyRotation, template)).map((e) => e.status)).toEqual(['compliant']);
      const byId = resources(template);
      expect(byId.Queue.Properties?.KmsMasterKeyId).toEqual(ref);
      expect(byId.Topic.Properties?.KmsMasterKeyId).toEqual(ref);
      expect(byId.Logs.Properties?.KmsKeyId).toEqual(ref);
      expect(byId.Fn.Properties?.KmsKeyArn).toEqual(ref);
      expect(byId.Build.Properties?.EncryptionKey).toEqual(ref);
      expect(byId.Table.Properties?.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: ref,
      });
      expect(byId.Bucket.Properties?.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ref },
          },
        ],
      });
    });

    it('records what it changed, property by property, and the grants', () => {
      expect(remediationRecords(built.queue)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set KmsMasterKeyId to the customer-managed key',
            'granted kms:GenerateDataKey, kms:Decrypt on the key to Fn/ServiceRole/DefaultPolicy',
          ],
        },
      ]);
      expect(remediationRecords(built.table)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set SSESpecification.KMSMasterKeyId to the customer-managed key',
            'set SSESpecification.SSEEnabled to true',
            'set SSESpecification.SSEType to KMS',
          ],
        },
      ]);
      expect(remediationRecords(built.bucket)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set BucketEncryption.ServerSideEncryptionConfiguration[0].BucketKeyEnabled to true',
            'set BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.KMSMasterKeyID to the customer-managed key',
            'set BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm to aws:kms',
          ],
        },
      ]);
    });

    it("lets the function's role decrypt its environment and the sender encrypt to the queue", () => {
      const { ref } = createdKey(template);
      const policy = resources(template).FnServiceRoleDefaultPolicy;
      expect(keyActionsIn(policy, ref)).toEqual([['kms:GenerateDataKey', 'kms:Decrypt']]);
      expect(remediationRecords(built.fn)).toEqual([
        {
          findingId: FINDING,
          // kms:Decrypt is there already, granted for the queue.
          changes: ['set KmsKeyArn to the customer-managed key'],
        },
      ]);
    });

    it("grants the project's service role what the L2 encryptionKey prop grants", () => {
      const { ref } = createdKey(template);
      expect(keyActionsIn(resources(template).BuildRoleDefaultPolicy, ref)).toEqual([ENCRYPT_DECRYPT]);
    });

    it('allows CloudWatch Logs in the key policy, as the CloudWatch Logs guide documents', () => {
      const { resource } = createdKey(template);
      expect(statementsOf(resource)).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'logs.eu-west-1.amazonaws.com' },
        Action: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        Resource: '*',
        Condition: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': {
              'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:eu-west-1:111111111111:*']],
            },
          },
        },
      });
    });
  });

  /** One of each other type: L2 where CDK has one, L1 where it needs a VPC. */
  function others(stack: Stack) {
    const repository = new ecr.Repository(stack, 'Repository');
    const stream = new kinesis.Stream(stack, 'Stream');
    const secret = new secretsmanager.Secret(stack, 'Secret');
    const volume = new ec2.Volume(stack, 'Volume', {
      availabilityZone: 'eu-west-1a',
      size: Size.gibibytes(20),
    });
    const fileSystem = new efs.CfnFileSystem(stack, 'FileSystem', { performanceMode: 'generalPurpose' });
    const database = new rds.CfnDBInstance(stack, 'Database', {
      engine: 'postgres',
      dbInstanceClass: 'db.t3.micro',
      allocatedStorage: '20',
      masterUsername: 'app',
      manageMasterUserPassword: true,
    });
    const globalTable = new dynamodb.TableV2(stack, 'GlobalTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    });
    const reader = withEnvironment(stack, 'Reader');
    secret.grantRead(reader);
    stream.grantWrite(reader);
    return { repository, stream, secret, volume, fileSystem, database, globalTable, reader };
  }

  /** A CodePipeline as CDK Pipelines builds it: crossAccountKeys false, so no key of its own. */
  function pipeline(stack: Stack) {
    const source = new s3.Bucket(stack, 'Source', { versioned: true });
    const sourceOutput = new codepipeline.Artifact('Source');
    const project = new codebuild.PipelineProject(stack, 'Synth');
    return new codepipeline.Pipeline(stack, 'Pipeline', {
      crossAccountKeys: false,
      stages: [
        {
          stageName: 'Source',
          actions: [
            new actions.S3SourceAction({
              actionName: 'Source',
              bucket: source,
              bucketKey: 'app.zip',
              output: sourceOutput,
            }),
          ],
        },
        {
          stageName: 'Build',
          actions: [
            new actions.CodeBuildAction({
              actionName: 'Synth',
              project,
              input: sourceOutput,
              outputs: [new codepipeline.Artifact('Synth')],
            }),
          ],
        },
      ],
    });
  }

  /** A queue subscribed to a topic that S3 events publish to, and a publisher role. */
  function servicesWriting(stack: Stack) {
    const queue = new sqs.Queue(stack, 'Queue');
    const topic = new sns.Topic(stack, 'Topic');
    topic.addSubscription(new subscriptions.SqsSubscription(queue));
    const publisher = new iam.Role(stack, 'Publisher', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
    });
    topic.grantPublish(publisher);
    new s3.Bucket(stack, 'Uploads').addEventNotification(
      s3.EventType.OBJECT_CREATED,
      new notifications.SnsDestination(topic),
    );
  }

  it.each([
    ['the CDK defaults', defaults],
    ['the other types', others],
    ['a pipeline', pipeline],
    ['services writing to a queue and a topic', servicesWriting],
  ])('changes nothing more when applied twice (two instances): %s', (_name, build) => {
    const once = synthWithAspects(build, new EncryptWithCustomerManagedKey()).template;
    const twice = synthWithAspects(
      build,
      new EncryptWithCustomerManagedKey(),
      new EncryptWithCustomerManagedKey(),
    );
    expect(twice.template).toEqual(once);
  });

  describe('the other types', () => {
    let built: ReturnType<typeof others>;
    let template: CfnTemplate;
    beforeAll(() => {
      template = synthWithAspects((stack) => {
        built = others(stack);
      }, new EncryptWithCustomerManagedKey()).template;
    });

    it('pass the rule after the fix, with the one key of the stack', () => {
      expect(statuses(template)).toEqual({
        Repository: 'compliant',
        Stream: 'compliant',
        Secret: 'compliant',
        Volume: 'compliant',
        FileSystem: 'compliant',
        Database: 'compliant',
        GlobalTable: 'compliant',
        Reader: 'compliant',
      });
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Repository.Properties?.EncryptionConfiguration).toEqual({
        EncryptionType: 'KMS',
        KmsKey: ref,
      });
      expect(byId.Secret.Properties).toMatchObject({ KmsKeyId: ref, GenerateSecretString: {} });
      expect(byId.Volume.Properties).toMatchObject({ Encrypted: true, KmsKeyId: ref, Size: 20 });
      expect(byId.FileSystem.Properties).toMatchObject({
        Encrypted: true,
        KmsKeyId: ref,
        PerformanceMode: 'generalPurpose',
      });
      expect(byId.Database.Properties).toMatchObject({
        StorageEncrypted: true,
        KmsKeyId: ref,
        DBInstanceClass: 'db.t3.micro',
      });
    });

    it("replaces the L2 stream's Fn::If (no encryption or the AWS-managed key) and lets producers encrypt", () => {
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Stream.Properties).toMatchObject({
        ShardCount: 1,
        StreamEncryption: { EncryptionType: 'KMS', KeyId: ref },
      });
      // One statement a use; a single action renders as a string.
      expect(keyActionsIn(byId.ReaderServiceRoleDefaultPolicy, ref)).toEqual([
        'kms:GenerateDataKey',
        'kms:Decrypt',
      ]);
    });

    it("encrypts a TableV2's replica in the stack's region, through the L2's lazy replicas", () => {
      const { ref } = createdKey(template);
      expect(resources(template).GlobalTable.Properties).toMatchObject({
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [{ Region: 'eu-west-1', SSESpecification: { KMSMasterKeyId: ref } }],
      });
      expect(remediationRecords(built.globalTable)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set Replicas[0].SSESpecification.KMSMasterKeyId to the customer-managed key',
            'set SSESpecification.SSEEnabled to true',
            'set SSESpecification.SSEType to KMS',
          ],
        },
      ]);
    });

    it('does not encrypt a global table with a replica in another region, saying why', () => {
      let table!: dynamodb.TableV2;
      const build = (stack: Stack) => {
        table = new dynamodb.TableV2(stack, 'GlobalTable', {
          partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
          replicas: [{ region: 'us-east-1' }],
        });
      };
      const fixed = synthWithAspects(build, new EncryptWithCustomerManagedKey()).template;
      expect(remediationRecords(table)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            "the global table has replicas in 'us-east-1', and a KMS key serves only its own region: " +
            'encrypt it with TableEncryptionV2.customerManagedKey(key, replicaKeyArns), a key in each region',
        },
      ]);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(fixed).toEqual(synthWithAspects(build).template);
    });
  });

  describe('S3 buckets', () => {
    it("keeps the bucket's versioning, tags and lifecycle, and grants the key to its readers and writers", () => {
      const { template } = synthWithAspects((stack) => {
        const bucket = new s3.Bucket(stack, 'Bucket', {
          versioned: true,
          lifecycleRules: [{ expiration: Duration.days(30) }],
        });
        Tags.of(bucket).add('team', 'orders');
        const reader = new iam.Role(stack, 'Reader', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        });
        const writer = new iam.Role(stack, 'Writer', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        });
        bucket.grantRead(reader);
        bucket.grantPut(writer);
      }, new EncryptWithCustomerManagedKey());
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Bucket.Properties).toMatchObject({
        VersioningConfiguration: { Status: 'Enabled' },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
        Tags: [{ Key: 'team', Value: 'orders' }],
      });
      expect(keyActionsIn(byId.ReaderDefaultPolicy, ref)).toEqual(['kms:Decrypt']);
      expect(keyActionsIn(byId.WriterDefaultPolicy, ref)).toEqual([ENCRYPT_DECRYPT]);
      expect(statuses(template)).toEqual({ Bucket: 'compliant' });
    });

    it('keeps DSSE-KMS and a Bucket Key setting the user chose, adding the key', () => {
      const { template } = synthWithAspects((stack) => {
        new s3.Bucket(stack, 'Dsse', { encryption: s3.BucketEncryption.DSSE_MANAGED });
        new s3.Bucket(stack, 'NoBucketKey', {
          encryption: s3.BucketEncryption.KMS_MANAGED,
          bucketKeyEnabled: false,
        });
      }, new EncryptWithCustomerManagedKey());
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Dsse.Properties?.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms:dsse', KMSMasterKeyID: ref } },
        ],
      });
      expect(byId.NoBucketKey.Properties?.BucketEncryption).toEqual({
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: false,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ref },
          },
        ],
      });
    });

    it('leaves a bucket already on a customer-managed key untouched, records nothing and creates no key', () => {
      let bucket!: s3.Bucket;
      const build = (stack: Stack) => {
        bucket = new s3.Bucket(stack, 'Bucket', {
          encryptionKey: new kms.Key(stack, 'Own', { enableKeyRotation: true }),
        });
      };
      const { template } = synthWithAspects(build, new EncryptWithCustomerManagedKey());
      expect(remediationRecords(bucket)).toEqual([]);
      expect(keysOf(template).map(([id]) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual(['Own']);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(template).toEqual(synthWithAspects(build).template);
    });

    it('lets S3 deliver server access logs to a log bucket it encrypts, as the L2 does for a key it is given', () => {
      const { template } = synthWithAspects((stack) => {
        const logs = new s3.Bucket(stack, 'AccessLogs');
        new s3.Bucket(stack, 'Data', { serverAccessLogsBucket: logs });
      }, new EncryptWithCustomerManagedKey());
      expect(statementsOf(createdKey(template).resource)).toContainEqual({
        Effect: 'Allow',
        Principal: { Service: 'logging.s3.amazonaws.com' },
        Action: ENCRYPT_DECRYPT,
        Resource: '*',
      });
      expect(statuses(template)).toEqual({ AccessLogs: 'compliant', Data: 'compliant' });
    });

    it('does not encrypt a load balancer access-log bucket (ELB delivers to SSE-S3 buckets only)', () => {
      let bucket!: s3.Bucket;
      const build = (stack: Stack) => {
        bucket = new s3.Bucket(stack, 'AlbLogs', { encryption: s3.BucketEncryption.S3_MANAGED });
        new elbv2.CfnLoadBalancer(stack, 'Alb', {
          subnets: ['subnet-1', 'subnet-2'],
          loadBalancerAttributes: [
            { key: 'access_logs.s3.enabled', value: 'true' },
            { key: 'access_logs.s3.bucket', value: bucket.bucketName },
          ],
        });
      };
      const { template } = synthWithAspects(build, new EncryptWithCustomerManagedKey());
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'Alb delivers Elastic Load Balancing access logs to AlbLogs, and ELB only delivers them to ' +
            'buckets encrypted with SSE-S3: keep this bucket on SSE-S3 and acknowledge the finding for it',
        },
      ]);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(template).toEqual(synthWithAspects(build).template);
    });
  });

  describe('queues and topics', () => {
    it('keeps the queue settings, drops SSE-SQS, and grants senders and consumers what SQS documents', () => {
      let queue!: sqs.Queue;
      const { template } = synthWithAspects((stack) => {
        queue = new sqs.Queue(stack, 'Queue', {
          visibilityTimeout: Duration.seconds(90),
          encryption: sqs.QueueEncryption.SQS_MANAGED,
        });
        const sender = new iam.Role(stack, 'Sender', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        });
        const consumer = new iam.Role(stack, 'Consumer', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        });
        queue.grantSendMessages(sender);
        queue.grantConsumeMessages(consumer);
      }, new EncryptWithCustomerManagedKey());
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Queue.Properties).toEqual({ VisibilityTimeout: 90, KmsMasterKeyId: ref });
      expect(keyActionsIn(byId.SenderDefaultPolicy, ref)).toEqual([['kms:GenerateDataKey', 'kms:Decrypt']]);
      expect(keyActionsIn(byId.ConsumerDefaultPolicy, ref)).toEqual(['kms:Decrypt']);
      expect(remediationRecords(queue)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set KmsMasterKeyId to the customer-managed key',
            'removed SqsManagedSseEnabled',
            'granted kms:GenerateDataKey, kms:Decrypt on the key to Sender/DefaultPolicy',
            'granted kms:Decrypt on the key to Consumer/DefaultPolicy',
          ],
        },
      ]);
    });

    const arnPattern = (service: string) => ({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:${service}:eu-west-1:111111111111:*`]],
    });

    it('allows the services that the stack lets write to a queue or topic in the key policy (SNS, S3 events)', () => {
      const { template } = synthWithAspects(servicesWriting, new EncryptWithCustomerManagedKey());
      const { ref, resource } = createdKey(template);
      const byId = resources(template);
      expect(statementsOf(resource)).toEqual(
        expect.arrayContaining([
          {
            Effect: 'Allow',
            Principal: { Service: 'sns.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
            // Not aws:SourceArn = the topic: the encrypted topic would depend on the key and the key on it.
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111111111111' },
              StringLike: { 'kms:EncryptionContext:aws:sqs:arn': arnPattern('sqs') },
            },
          },
          {
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: ['kms:GenerateDataKey*', 'kms:Decrypt'],
            Resource: '*',
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111111111111' },
              StringLike: { 'kms:EncryptionContext:aws:sns:topicArn': arnPattern('sns') },
            },
          },
        ]),
      );
      expect(keyActionsIn(byId.PublisherDefaultPolicy, ref)).toEqual([
        ['kms:GenerateDataKey*', 'kms:Decrypt'],
      ]);
      expect(statuses(template)).toMatchObject({
        Queue: 'compliant',
        Topic: 'compliant',
        Uploads: 'compliant',
      });
    });

    it("grants through a role's inline policies, to its DefaultPolicy", () => {
      const { template } = synthWithAspects((stack) => {
        const queue = new sqs.Queue(stack, 'Queue');
        new iam.Role(stack, 'Worker', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
          inlinePolicies: {
            queue: new iam.PolicyDocument({
              statements: [new iam.PolicyStatement({ actions: ['sqs:*'], resources: [queue.queueArn] })],
            }),
          },
        });
      }, new EncryptWithCustomerManagedKey());
      const { ref } = createdKey(template);
      expect(keyActionsIn(resources(template).WorkerDefaultPolicy, ref)).toEqual([
        ['kms:GenerateDataKey', 'kms:Decrypt'],
      ]);
    });

    it('does not encrypt a queue that a raw L1 policy uses, saying what to grant, and leaves the stack alone', () => {
      let queue!: sqs.Queue;
      const build = (stack: Stack) => {
        queue = new sqs.Queue(stack, 'Queue');
        const role = new iam.Role(stack, 'Worker', {
          assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
        });
        new iam.CfnPolicy(stack, 'RawPolicy', {
          policyName: 'raw',
          roles: [role.roleName],
          policyDocument: {
            Version: '2012-10-17',
            Statement: [{ Effect: 'Allow', Action: 'sqs:ReceiveMessage', Resource: queue.queueArn }],
          },
        });
      };
      const { template } = synthWithAspects(build, new EncryptWithCustomerManagedKey());
      expect(remediationRecords(queue)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'RawPolicy allows access to Queue but is a raw L1 policy, which the fix does not edit: ' +
            'add kms:Decrypt on the key to it, or define it with iam.Policy or iam.Role',
        },
      ]);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(template).toEqual(synthWithAspects(build).template);
    });
  });

  describe('log groups', () => {
    it('allows CloudWatch Logs once in the key policy for several log groups', () => {
      const { template } = synthWithAspects((stack) => {
        new logs.LogGroup(stack, 'App', { retention: logs.RetentionDays.ONE_MONTH });
        new logs.LogGroup(stack, 'Audit');
      }, new EncryptWithCustomerManagedKey());
      const logsStatements = statementsOf(createdKey(template).resource).filter(
        (s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: 'logs.eu-west-1.amazonaws.com' }),
      );
      expect(logsStatements).toHaveLength(1);
      expect(resources(template).App.Properties).toMatchObject({ RetentionInDays: 30 });
      expect(statuses(template)).toEqual({ App: 'compliant', Audit: 'compliant' });
    });

    it('names the region and account through pseudo parameters in an environment-agnostic stack', () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Stack');
      new logs.LogGroup(stack, 'App');
      Aspects.of(app).add(new EncryptWithCustomerManagedKey(), { priority: AspectPriority.MUTATING });
      const template = app.synth().getStackByName('Stack').template as CfnTemplate;
      expect(statementsOf(createdKey(template).resource)).toContainEqual(
        expect.objectContaining({
          Principal: { Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } },
          Condition: {
            ArnLike: {
              'kms:EncryptionContext:aws:logs:arn': {
                'Fn::Join': [
                  '',
                  [
                    'arn:',
                    { Ref: 'AWS::Partition' },
                    ':logs:',
                    { Ref: 'AWS::Region' },
                    ':',
                    { Ref: 'AWS::AccountId' },
                    ':*',
                  ],
                ],
              },
            },
          },
        }),
      );
    });
  });

  describe('functions and projects', () => {
    it("grants kms:Decrypt to the function's role, and leaves a function without environment variables alone", () => {
      let plain!: lambda.Function;
      const { template } = synthWithAspects((stack) => {
        withEnvironment(stack, 'Fn', { timeout: Duration.seconds(30) });
        plain = withEnvironment(stack, 'Plain', { environment: {} });
      }, new EncryptWithCustomerManagedKey());
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Fn.Properties).toMatchObject({
        KmsKeyArn: ref,
        Timeout: 30,
        Environment: ENVIRONMENT.Environment,
      });
      expect(keyActionsIn(byId.FnServiceRoleDefaultPolicy, ref)).toEqual(['kms:Decrypt']);
      // The function depends on its role, so on the DefaultPolicy the grant created.
      expect(byId.Fn.DependsOn).toEqual(
        expect.arrayContaining([expect.stringMatching(/^FnServiceRoleDefaultPolicy/)]),
      );
      expect(byId.Plain.Properties?.KmsKeyArn).toBeUndefined();
      expect(remediationRecords(plain)).toEqual([]);
    });

    it('does not encrypt a function whose role is not in the stack, saying what to grant', () => {
      let fn!: lambda.Function;
      const build = (stack: Stack) => {
        fn = withEnvironment(stack, 'Fn', {
          role: iam.Role.fromRoleArn(stack, 'Shared', 'arn:aws:iam::111111111111:role/shared'),
        });
      };
      const { template } = synthWithAspects(build, new EncryptWithCustomerManagedKey());
      expect(remediationRecords(fn)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            "the function's role ('arn:aws:iam::111111111111:role/shared') is not an iam.Role of this stack, so the " +
            'fix cannot let it use the key: set the key yourself and grant the role kms:Decrypt on it',
        },
      ]);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(template).toEqual(synthWithAspects(build).template);
    });

    it('does not touch a raw CfnResource of a supported type (no typed properties to set)', () => {
      let raw!: CfnResource;
      const { template } = synthWithAspects((stack) => {
        raw = new CfnResource(stack, 'Raw', { type: 'AWS::SNS::Topic', properties: { TopicName: 'orders' } });
      }, new EncryptWithCustomerManagedKey());
      expect(template.Resources?.Raw).toEqual({
        Type: 'AWS::SNS::Topic',
        Properties: { TopicName: 'orders' },
      });
      expect(remediationRecords(raw)).toEqual([
        {
          findingId: FINDING,
          notApplied: 'the resource is not a CfnTopic, so its typed key property cannot be set',
        },
      ]);
    });
  });

  describe('pipelines', () => {
    let template: CfnTemplate;
    let built: codepipeline.Pipeline;
    beforeAll(() => {
      template = synthWithAspects((stack) => {
        built = pipeline(stack);
      }, new EncryptWithCustomerManagedKey()).template;
    });

    it('encrypts the artifact store with the key of its artifact bucket, merged into what the L2 renders', () => {
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(byId.Pipeline.Properties?.ArtifactStore).toEqual({
        Type: 'S3',
        Location: { Ref: expect.stringMatching(/^PipelineArtifactsBucket/) },
        EncryptionKey: { Id: ref, Type: 'KMS' },
      });
      expect(byId.PipelineArtifactsBucket.Properties?.BucketEncryption).toMatchObject({
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: ref } },
        ],
      });
      expect(byId.Synth.Properties?.EncryptionKey).toEqual(ref);
      expect(statuses(template)).toEqual({
        Source: 'compliant',
        Synth: 'compliant',
        PipelineArtifactsBucket: 'compliant',
        Pipeline: 'compliant',
      });
    });

    it('lets the pipeline role, the action roles and the project use the key', () => {
      const { ref } = createdKey(template);
      const byId = resources(template);
      expect(keyActionsIn(byId.PipelineRoleDefaultPolicy, ref)).toEqual([ENCRYPT_DECRYPT]);
      // It reads the source bucket and writes the artifact bucket, both now encrypted.
      expect(keyActionsIn(byId.PipelineSourceCodePipelineActionRoleDefaultPolicy, ref)).toEqual([
        'kms:Decrypt',
        ENCRYPT_DECRYPT,
      ]);
      expect(keyActionsIn(byId.SynthRoleDefaultPolicy, ref)).toEqual([ENCRYPT_DECRYPT]);
      expect(remediationRecords(built)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set ArtifactStore.EncryptionKey.Id to the customer-managed key',
            'set ArtifactStore.EncryptionKey.Type to KMS',
          ],
        },
      ]);
    });

    it('fixes a CDK Pipelines pipeline, whose Stages live inside the pipeline stack', () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Delivery', { env: { account: '111111111111', region: 'eu-west-1' } });
      const repository = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      const delivery = new pipelines.CodePipeline(stack, 'Pipeline', {
        synth: new pipelines.ShellStep('Synth', {
          input: pipelines.CodePipelineSource.codeCommit(repository, 'main'),
          commands: ['npm ci', 'npx cdk synth'],
        }),
      });
      const uat = new Stage(stack, 'UAT');
      new sqs.Queue(new Stack(uat, 'App'), 'Queue');
      delivery.addStage(uat);
      Aspects.of(app).add(new EncryptWithCustomerManagedKey(), { priority: AspectPriority.MUTATING });
      const template = app.synth().getStackByName('Delivery').template as CfnTemplate;
      const { ref } = createdKey(template);
      expect(Object.values(statuses(template))).toEqual(['compliant', 'compliant', 'compliant', 'compliant']);
      const [, pipelineResource] = Object.entries(template.Resources ?? {}).find(
        ([, r]) => r.Type === 'AWS::CodePipeline::Pipeline',
      )!;
      expect(pipelineResource.Properties?.ArtifactStore).toMatchObject({
        EncryptionKey: { Id: ref, Type: 'KMS' },
      });
      const failures = stack.node
        .findAll()
        .flatMap((c) => remediationRecords(c))
        .filter((r) => (r as { notApplied?: string }).notApplied);
      expect(failures).toEqual([]);
    });

    it('does not encrypt artifact stores in several regions, naming the L2 prop that does', () => {
      let cfnPipeline!: codepipeline.CfnPipeline;
      const { template: fixedTemplate } = synthWithAspects((stack) => {
        const role = new iam.Role(stack, 'Role', {
          assumedBy: new iam.ServicePrincipal('codepipeline.amazonaws.com'),
        });
        cfnPipeline = new codepipeline.CfnPipeline(stack, 'CrossRegion', {
          roleArn: role.roleArn,
          stages: [],
          artifactStores: ['eu-west-1', 'us-east-1'].map((region) => ({
            region,
            artifactStore: { type: 'S3', location: `artifacts-${region}` },
          })),
        });
      }, new EncryptWithCustomerManagedKey());
      expect(keysOf(fixedTemplate)).toEqual([]);
      expect(resources(fixedTemplate).CrossRegion.Properties?.ArtifactStores).toEqual([
        { Region: 'eu-west-1', ArtifactStore: { Type: 'S3', Location: 'artifacts-eu-west-1' } },
        { Region: 'us-east-1', ArtifactStore: { Type: 'S3', Location: 'artifacts-us-east-1' } },
      ]);
      expect(remediationRecords(cfnPipeline)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'the pipeline has artifact stores in several regions (ArtifactStores), and a KMS key serves only its ' +
            "own region: create the pipeline with crossAccountKeys: true, which gives each region's artifact store a key",
        },
      ]);
    });
  });

  describe('with encryptionKeyArn', () => {
    it('uses the given key, creates none, and grants it in IAM policies only', () => {
      const { template } = synthWithAspects(
        (stack) => {
          const { queue } = defaults(stack);
          const consumer = new iam.Role(stack, 'Consumer', {
            assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
          });
          queue.grantConsumeMessages(consumer);
        },
        new EncryptWithCustomerManagedKey({ encryptionKeyArn: GIVEN_KEY_ARN }),
      );
      expect(keysOf(template)).toEqual([]);
      const byId = resources(template);
      expect(byId.Queue.Properties?.KmsMasterKeyId).toBe(GIVEN_KEY_ARN);
      expect(byId.Fn.Properties?.KmsKeyArn).toBe(GIVEN_KEY_ARN);
      expect(keyActionsIn(byId.ConsumerDefaultPolicy, GIVEN_KEY_ARN)).toEqual(['kms:Decrypt']);
      expect(statuses(template)).toEqual({
        Bucket: 'compliant',
        Queue: 'compliant',
        Topic: 'compliant',
        Logs: 'non-compliant',
        Table: 'compliant',
        Fn: 'compliant',
        Build: 'compliant',
      });
    });

    it("leaves a log group alone, naming the statement the key owner must add to the key's policy", () => {
      let logGroup!: logs.LogGroup;
      const build = (stack: Stack) => {
        logGroup = new logs.LogGroup(stack, 'Logs');
      };
      const settings = { encryptionKeyArn: GIVEN_KEY_ARN };
      const { template } = synthWithAspects(build, new EncryptWithCustomerManagedKey(settings));
      const [record] = remediationRecords(logGroup) as Array<{ notApplied: string }>;
      expect(record.notApplied).toMatch(
        /^CloudWatch Logs can only use the key given by encryptionKeyArn \(context cdk-catalogue:encryption-key-arn\) if its key policy has this statement, which only the key owner can add: \{"Action":\["kms:Encrypt\*",/,
      );
      expect(record.notApplied).toContain('"Principal":{"Service":"logs.eu-west-1.amazonaws.com"}');
      expect(record.notApplied).toContain('"kms:EncryptionContext:aws:logs:arn"');
      expect(record.notApplied).toMatch(/or leave encryptionKeyArn unset so that the fix creates a key$/);
      // Compared last: the build without the fix reassigns the construct read above.
      expect(template).toEqual(synthWithAspects(build).template);
    });

    it('leaves a queue that SNS writes to alone, naming the statement for sns.amazonaws.com', () => {
      let queue!: sqs.Queue;
      const build = (stack: Stack) => {
        queue = new sqs.Queue(stack, 'Queue');
        new sns.Topic(stack, 'Topic').addSubscription(new subscriptions.SqsSubscription(queue));
      };
      const { template } = synthWithAspects(
        build,
        new EncryptWithCustomerManagedKey({ encryptionKeyArn: GIVEN_KEY_ARN }),
      );
      const [record] = remediationRecords(queue) as Array<{ notApplied: string }>;
      expect(record.notApplied).toMatch(
        /^sns\.amazonaws\.com writes to Queue, so the key given by encryptionKeyArn \(context cdk-catalogue:encryption-key-arn\) must allow it in its key policy/,
      );
      // Compared last: the build without the fix reassigns the construct read above.
      expect(resources(template).Queue).toEqual(resources(synthWithAspects(build).template).Queue);
    });
  });

  it('keeps the stack valid CloudFormation (the bundled validator, its default rules as errors)', () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    defaults(stack);
    others(stack);
    pipeline(stack);
    Aspects.of(app).add(new EncryptWithCustomerManagedKey(), { priority: AspectPriority.MUTATING });
    let assembly!: cxapi.CloudAssembly;
    expect(() => (assembly = app.synth())).not.toThrow();
    const template = assembly.getStackByName('Stack').template as CfnTemplate;
    expect(Object.values(statuses(template)).every((status) => status === 'compliant')).toBe(true);
    expect(keysOf(template)).toHaveLength(1);
  });
});
