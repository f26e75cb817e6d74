import { aws_kms as kms, aws_s3 as s3, aws_sns as sns, aws_sqs as sqs } from 'aws-cdk-lib';
import { CfnTemplate } from '../../src/engine/template';
import rule from '../../src/rules/customer-managed-key-encryption';
import { evaluateRule, synthStack, templateWith } from '../helpers';

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
      ['Fn::Select', { 'Fn::Select': [0, ['alias/orders']] }, /comes from Fn::Select, /],
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
