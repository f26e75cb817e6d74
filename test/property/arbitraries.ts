/**
 * Shared fast-check arbitraries for the property tests: CloudFormation property trees as the
 * engine meets them in rendered templates (literals, nulls, wrong types, empty and huge arrays,
 * deep nesting, every intrinsic well-formed and malformed), the stack they live in, and helpers
 * to evaluate one subject resource with the shipped catalogue.
 */
import fc from 'fast-check';
import { loadCatalogue } from '../../src/catalogue/load';
import { Catalogue } from '../../src/catalogue/model';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { evaluate, Evaluation, EvaluationStatus } from '../../src/engine/evaluate';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../../src/engine/template';
import { RULES } from '../../src/rules';

/** The shipped catalogue: every control applies at the strictest rating the stacks get. */
export const CATALOGUE: Catalogue = loadCatalogue();

/** Every resource type some rule reads, with the rules that read it. */
export const RULE_TYPES: readonly string[] = [
  ...new Set(RULES.flatMap((rule) => rule.meta.resourceTypes)),
].sort();

/** The conditions the generated `Fn::If`s choose on (all declared in the context template). */
export const CONDITIONS = ['IsProd', 'UseKey', 'Legacy'] as const;
/** A condition no generated tree mentions: properties put it around subtrees of their own. */
export const FRESH_CONDITION = 'Fresh';

/** Logical ids of the context resources every generated subject can refer to. */
const CONTEXT_IDS = ['Key', 'Alias', 'LogBucket', 'Role', 'Fleet', 'Vpc', 'Pipeline', 'Project'];

/** The template around the subject: parameters, conditions, mappings, an export, resources to refer to. */
export function contextTemplate(): Required<
  Pick<CfnTemplate, 'Parameters' | 'Conditions' | 'Mappings' | 'Outputs' | 'Resources'>
> {
  const equals = (value: string) => ({ 'Fn::Equals': [{ Ref: 'Stage' }, value] });
  return {
    Parameters: {
      Stage: { Type: 'String' },
      KeyArn: { Type: 'String', Default: 'arn:aws:kms:eu-west-1:111111111111:key/abc' },
    },
    Conditions: {
      IsProd: equals('prod'),
      UseKey: equals('key'),
      Legacy: equals('legacy'),
      [FRESH_CONDITION]: equals('fresh'),
    },
    Mappings: { Settings: { Prod: { Algorithm: 'aws:kms', Status: 'Enabled', Rotate: true } } },
    Outputs: { KeyExport: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: 'key-arn' } } },
    Resources: {
      Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
      Alias: { Type: 'AWS::KMS::Alias', Properties: { AliasName: 'alias/app', TargetKeyId: { Ref: 'Key' } } },
      LogBucket: {
        Type: 'AWS::S3::Bucket',
        Properties: { VersioningConfiguration: { Status: 'Enabled' } },
      },
      Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
      Fleet: { Type: 'AWS::CodeBuild::Fleet', Properties: { FleetVpcConfig: { VpcId: { Ref: 'Vpc' } } } },
      Vpc: { Type: 'AWS::EC2::VPC', Properties: { CidrBlock: '10.0.0.0/16' } },
      Pipeline: { Type: 'AWS::CodePipeline::Pipeline', Properties: { RoleArn: 'arn', Stages: [] } },
      Project: { Type: 'AWS::CodeBuild::Project', Properties: { Name: 'build' } },
      // What the TLS and rotation controls need beside a subject of their types.
      SubjectBucketPolicy: tlsOnlyPolicy('AWS::S3::BucketPolicy', { Bucket: { Ref: 'Subject' } }, 's3:*', [
        { 'Fn::GetAtt': ['Subject', 'Arn'] },
        { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Subject', 'Arn'] }, '/*']] },
      ]),
      SubjectQueuePolicy: tlsOnlyPolicy('AWS::SQS::QueuePolicy', { Queues: [{ Ref: 'Subject' }] }, 'sqs:*', [
        { 'Fn::GetAtt': ['Subject', 'Arn'] },
      ]),
      SubjectTopicPolicy: tlsOnlyPolicy(
        'AWS::SNS::TopicPolicy',
        { Topics: [{ Ref: 'Subject' }] },
        'sns:Publish',
        [{ Ref: 'Subject' }],
      ),
      SubjectRotation: {
        Type: 'AWS::SecretsManager::RotationSchedule',
        Properties: {
          SecretId: { Ref: 'Subject' },
          RotationLambdaARN: 'arn:aws:lambda:eu-west-1:111111111111:function:rotate',
          RotationRules: { AutomaticallyAfterDays: 30 },
        },
      },
    },
  };
}

/** A resource policy that denies every request to the subject without TLS, as enforceSSL renders it. */
function tlsOnlyPolicy(
  type: string,
  link: Record<string, unknown>,
  action: string,
  resources: unknown[],
): CfnResourceJson {
  return {
    Type: type,
    Properties: {
      ...link,
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: action,
            Resource: resources,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    },
  };
}

export const ENV = { account: '111111111111', region: 'eu-west-1' };

export function stackOf(template: CfnTemplate, stackId = 'Stack'): StackTemplate {
  return { stackId, template, rating: STRICTEST_RATING, ratingSource: 'props', ...ENV };
}

/** The context template with `Subject` (and any other resources) added. */
export function templateWithSubject(
  subject: CfnResourceJson,
  extraResources: Record<string, CfnResourceJson> = {},
): CfnTemplate {
  const context = contextTemplate();
  return { ...context, Resources: { ...context.Resources, ...extraResources, Subject: subject } };
}

/** Every evaluation of the shipped catalogue on a template, keyed `logicalId controlId`. */
export function evaluateTemplate(template: CfnTemplate): Map<string, Evaluation> {
  const evaluations = evaluate({ catalogue: CATALOGUE, stacks: [stackOf(template)] });
  return new Map(evaluations.map((e) => [`${e.logicalId} ${e.controlId}`, e]));
}

/** The statuses of the subject's evaluations, by control id. */
export function subjectStatuses(
  type: string,
  properties: Record<string, unknown>,
  extra: Partial<CfnResourceJson> = {},
): Map<string, EvaluationStatus> {
  const evaluations = evaluate({
    catalogue: CATALOGUE,
    stacks: [stackOf(templateWithSubject({ Type: type, Properties: properties, ...extra }))],
  });
  return new Map(evaluations.filter((e) => e.logicalId === 'Subject').map((e) => [e.controlId, e.status]));
}

/** A finding is what must not silently pass. */
export function isFindingStatus(status: EvaluationStatus | undefined): boolean {
  return status === 'non-compliant' || status === 'unverifiable';
}

/** Property names the rules read (and their neighbours), so generated trees reach the rules' paths. */
export const PROPERTY_NAMES = [
  'BucketName',
  'LoggingConfiguration',
  'DestinationBucketName',
  'LogFilePrefix',
  'VersioningConfiguration',
  'Status',
  'BucketEncryption',
  'ServerSideEncryptionConfiguration',
  'ServerSideEncryptionByDefault',
  'SSEAlgorithm',
  'KMSMasterKeyID',
  'VpcConfig',
  'VpcId',
  'Subnets',
  'SubnetIds',
  'SecurityGroupIds',
  'FleetArn',
  'Fleet',
  'Environment',
  'EnvironmentVariables',
  'Variables',
  'Name',
  'Value',
  'Type',
  'ComputeType',
  'Image',
  'Source',
  'BuildSpec',
  'SecondarySources',
  'EncryptionKey',
  'KmsKeyId',
  'KmsKeyArn',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
  'SSESpecification',
  'SSEEnabled',
  'SSEType',
  'Replicas',
  'Encrypted',
  'StorageEncrypted',
  'DBClusterIdentifier',
  'SourceDBInstanceIdentifier',
  'EncryptionConfiguration',
  'EncryptionType',
  'KmsKey',
  'StreamEncryption',
  'KeyId',
  'ArtifactStore',
  'ArtifactStores',
  'Id',
  'Region',
  'Stages',
  'Actions',
  'ActionTypeId',
  'Category',
  'Owner',
  'Provider',
  'Version',
  'Configuration',
  'ProjectName',
  'RunOrder',
  'BeforeEntry',
  'OnSuccess',
  'OnFailure',
  'Conditions',
  'Rules',
  'RuleTypeId',
  'Result',
  'EnableKeyRotation',
  'KeySpec',
  'KeyUsage',
  'MultiRegion',
] as const;

/** Strings that mean something to some rule, next to noise. */
const MEANINGFUL_STRINGS = [
  '',
  'Enabled',
  'Suspended',
  'aws:kms',
  'aws:kms:dsse',
  'AES256',
  'KMS',
  'KMS_DSSE',
  'AES256',
  'NONE',
  'true',
  'false',
  'prod',
  'Prod',
  'UAT',
  'Approval',
  'Manual',
  'AWS',
  'Deploy',
  'CloudFormation',
  'Build',
  'CodeBuild',
  'PLAINTEXT',
  'PARAMETER_STORE',
  'SECRETS_MANAGER',
  'LINUX_CONTAINER',
  'WINDOWS_SERVER_2019_CONTAINER',
  'SYMMETRIC_DEFAULT',
  'RSA_2048',
  'NPM_CONFIG_REGISTRY',
  'PIP_INDEX_URL',
  'https://corp-111111111111.d.codeartifact.eu-west-1.amazonaws.com/npm/repo/',
  'https://registry.npmjs.org/',
  'alias/aws/s3',
  'alias/app',
  'arn:aws:kms:eu-west-1:111111111111:key/1234',
  'arn:aws:kms:eu-west-1:111111111111:alias/aws/sns',
  'vpc-123',
  'subnet-1',
  'sg-1',
  'version: 0.2\nenv:\n  variables:\n    NPM_CONFIG_REGISTRY: https://registry.npmjs.org/\nphases:\n  build:\n    commands: [npm ci]\n',
  'version: 0.2\nphases:\n  install:\n    commands:\n      - pip install requests\n',
  'version: 0.2\nbatch:\n  build-list:\n    - identifier: a\n      env:\n        variables: { PIP_INDEX_URL: x }\n',
  '{{ not yaml: [',
  '[{"name":"NPM_CONFIG_REGISTRY","value":"https://registry.npmjs.org/","type":"PLAINTEXT"}]',
  '[{"name":1}]',
  '{not json',
  '${AWS::Region}',
  'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${Key}',
  '${Key.Arn}',
  '${!Literal}',
];

const REF_TARGETS = [
  ...CONTEXT_IDS,
  'Subject',
  'Stage',
  'KeyArn',
  'Missing',
  'AWS::NoValue',
  'AWS::Region',
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::URLSuffix',
  'AWS::StackName',
];
const ATTRIBUTES = ['Arn', 'KeyId', 'RoleId', 'DomainName', 'Nope', ''];
const CONDITION_NAMES = [...CONDITIONS, 'Undeclared'];

export const leaf: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...MEANINGFUL_STRINGS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.boolean() },
  {
    weight: 1,
    arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -1, 1, 365, NaN, Infinity)),
  },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Object keys: the rules' property names, intrinsic-looking keys and noise. */
const key: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PROPERTY_NAMES) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('Ref', 'Fn::If', 'Fn::Transform', 'Condition', '__proto__', 'constructor'),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
);

/** Objects as JSON.parse makes them (fast-check may otherwise make null-prototype objects). */
function record<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

/** Every intrinsic of the issue, each well-formed and malformed, with arguments drawn from `tree`. */
export function intrinsic(tree: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const text = fc.oneof(fc.constantFrom(...MEANINGFUL_STRINGS), tree);
  return fc.oneof(
    record({ Ref: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...REF_TARGETS) }, tree) }),
    record({
      'Fn::GetAtt': fc.oneof(
        fc.tuple(fc.constantFrom(...REF_TARGETS), fc.constantFrom(...ATTRIBUTES)),
        fc.constantFrom('Key.Arn', 'LogBucket.Arn', 'Role.Arn', 'Missing.Arn', 'Key'),
        tree,
      ),
    }),
    record({
      'Fn::If': fc.oneof(
        { weight: 4, arbitrary: fc.tuple(fc.constantFrom(...CONDITION_NAMES), tree, tree) },
        { weight: 1, arbitrary: fc.array(tree, { maxLength: 4 }) },
        { weight: 1, arbitrary: tree },
      ),
    }),
    record({ 'Fn::ImportValue': fc.oneof(fc.constantFrom('key-arn', 'missing-export'), tree) }),
    record({
      'Fn::Join': fc.oneof(fc.tuple(fc.constantFrom('', ':', '/'), fc.array(text, { maxLength: 5 })), tree),
    }),
    record({
      'Fn::Sub': fc.oneof(
        fc.constantFrom(...MEANINGFUL_STRINGS),
        fc.tuple(
          fc.constantFrom(...MEANINGFUL_STRINGS),
          fc.dictionary(fc.constantFrom('Key', 'X', 'AWS::Region'), tree, {
            maxKeys: 2,
            noNullPrototype: true,
          }),
        ),
        tree,
      ),
    }),
    record({
      'Fn::Select': fc.oneof(
        fc.tuple(
          fc.oneof(fc.integer({ min: -1, max: 3 }), tree),
          fc.oneof(fc.array(tree, { maxLength: 4 }), tree),
        ),
        fc.tuple(fc.nat(2), record({ 'Fn::Split': fc.tuple(fc.constantFrom(',', ''), text) })),
        tree,
      ),
    }),
    record({
      'Fn::FindInMap': fc.oneof(
        fc.tuple(
          fc.constantFrom('Settings', 'Nope'),
          fc.oneof(fc.constant('Prod'), fc.constant({ Ref: 'Stage' }), tree),
          fc.constantFrom('Algorithm', 'Status', 'Rotate', 'Missing'),
        ),
        fc.tuple(fc.constant('Nope'), fc.constant('a'), fc.constant('b'), record({ DefaultValue: tree })),
        tree,
      ),
    }),
    fc.constant({ Ref: 'AWS::NoValue' }),
    fc.record({ 'Fn::Split': tree, 'Fn::Base64': tree }, { requiredKeys: [], noNullPrototype: true }),
  );
}

/** A huge array: a few hundred items. */
function hugeArray(item: fc.Arbitrary<unknown>): fc.Arbitrary<unknown[]> {
  return fc.integer({ min: 200, max: 400 }).chain((n) => fc.array(item, { minLength: n, maxLength: n }));
}

/** Arbitrary property values: JSON, wrong types, intrinsics anywhere, empty and huge arrays, deep nesting. */
export const value: fc.Arbitrary<unknown> = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { weight: 5, arbitrary: leaf },
    { weight: 3, arbitrary: intrinsic(tie('tree')) },
    { weight: 2, arbitrary: fc.dictionary(key, tie('tree'), { maxKeys: 4, noNullPrototype: true }) },
    { weight: 2, arbitrary: fc.array(tie('tree'), { maxLength: 4 }) },
    { weight: 1, arbitrary: fc.constant([]) },
  ),
})).tree;

/** Deeply nested wrapping: objects and arrays around a value, tens of levels deep. */
const deep: fc.Arbitrary<unknown> = fc
  .tuple(fc.array(fc.oneof(key, fc.constant('[]')), { minLength: 20, maxLength: 60 }), value)
  .map(([path, inner]) =>
    path.reduceRight<unknown>((acc, step) => (step === '[]' ? [acc] : { [step]: acc }), inner),
  );

/** A rare huge array or deep nest, otherwise an ordinary value. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 12, arbitrary: value },
  {
    weight: 1,
    arbitrary: hugeArray(fc.oneof({ weight: 20, arbitrary: leaf }, { weight: 1, arbitrary: value })),
  },
  { weight: 1, arbitrary: deep },
);

/** Random properties: the rules' property names (mostly) mapped to any value. */
export const randomProperties: fc.Arbitrary<Record<string, unknown>> = fc.dictionary(
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PROPERTY_NAMES) }, { weight: 1, arbitrary: key }),
  anyValue,
  { maxKeys: 6, noNullPrototype: true },
);

const KEY_ARN = { 'Fn::GetAtt': ['Key', 'Arn'] };
const REGISTRY = 'https://corp-111111111111.d.codeartifact.eu-west-1.amazonaws.com/';
const ACTION = (category: string, provider: string) => ({
  Category: category,
  Owner: 'AWS',
  Provider: provider,
  Version: '1',
});

/** For each rule-read type, properties every control of the shipped catalogue finds compliant. */
export const COMPLIANT_EXEMPLARS: Readonly<Record<string, Record<string, unknown>>> = {
  'AWS::S3::Bucket': {
    BucketEncryption: {
      ServerSideEncryptionConfiguration: [
        { ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: KEY_ARN } },
      ],
    },
    LoggingConfiguration: { DestinationBucketName: { Ref: 'LogBucket' }, LogFilePrefix: 'subject/' },
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    },
  },
  'AWS::KMS::Key': { EnableKeyRotation: true, KeySpec: 'SYMMETRIC_DEFAULT' },
  'AWS::Lambda::Function': {
    VpcConfig: { SubnetIds: ['subnet-1', 'subnet-2'], SecurityGroupIds: ['sg-1'] },
    Environment: { Variables: { TABLE: 'orders' } },
    KmsKeyArn: KEY_ARN,
  },
  'AWS::CodeBuild::Project': {
    VpcConfig: { VpcId: { Ref: 'Vpc' }, Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
    EncryptionKey: KEY_ARN,
    Environment: {
      Type: 'LINUX_CONTAINER',
      ComputeType: 'BUILD_GENERAL1_SMALL',
      Image: 'aws/codebuild/standard:7.0',
      EnvironmentVariables: [
        { Name: 'NPM_CONFIG_REGISTRY', Value: `${REGISTRY}npm/repo/`, Type: 'PLAINTEXT' },
        { Name: 'PIP_INDEX_URL', Value: `${REGISTRY}pypi/repo/simple/`, Type: 'PLAINTEXT' },
      ],
    },
    Source: {
      Type: 'CODEPIPELINE',
      BuildSpec: 'version: 0.2\nphases:\n  build:\n    commands:\n      - npm ci\n',
    },
  },
  'AWS::CodePipeline::Pipeline': {
    RoleArn: { 'Fn::GetAtt': ['Role', 'Arn'] },
    ArtifactStore: {
      Type: 'S3',
      Location: { Ref: 'LogBucket' },
      EncryptionKey: { Id: KEY_ARN, Type: 'KMS' },
    },
    Stages: [
      {
        Name: 'Source',
        Actions: [
          { Name: 'Checkout', ActionTypeId: ACTION('Source', 'S3'), Configuration: { S3Bucket: 'b' } },
        ],
      },
      {
        Name: 'Prod',
        Actions: [
          { Name: 'Approve', ActionTypeId: ACTION('Approval', 'Manual'), RunOrder: 1 },
          {
            Name: 'Deploy',
            ActionTypeId: ACTION('Deploy', 'CloudFormation'),
            Configuration: { StackName: 'prod' },
            RunOrder: 2,
          },
        ],
      },
    ],
  },
  'AWS::SNS::Topic': { KmsMasterKeyId: { Ref: 'Key' } },
  'AWS::SQS::Queue': { KmsMasterKeyId: KEY_ARN },
  'AWS::Logs::LogGroup': { KmsKeyId: KEY_ARN, RetentionInDays: 400 },
  'AWS::CloudTrail::Trail': {
    EnableLogFileValidation: true,
    IsMultiRegionTrail: true,
    KMSKeyId: KEY_ARN,
    IsLogging: true,
    S3BucketName: 'trail-logs',
  },
  'AWS::DynamoDB::Table': {
    SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: KEY_ARN },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: true,
  },
  'AWS::DynamoDB::GlobalTable': {
    SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    Replicas: [
      {
        Region: 'eu-west-1',
        SSESpecification: { KMSMasterKeyId: KEY_ARN },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
    ],
  },
  'AWS::SecretsManager::Secret': { KmsKeyId: { Ref: 'Key' } },
  'AWS::EFS::FileSystem': { Encrypted: true, KmsKeyId: KEY_ARN, BackupPolicy: { Status: 'ENABLED' } },
  'AWS::RDS::DBInstance': {
    StorageEncrypted: true,
    KmsKeyId: KEY_ARN,
    DeletionProtection: true,
    MultiAZ: true,
    BackupRetentionPeriod: 7,
    PubliclyAccessible: false,
  },
  'AWS::RDS::DBCluster': {
    StorageEncrypted: true,
    KmsKeyId: KEY_ARN,
    DeletionProtection: true,
    BackupRetentionPeriod: 7,
    PubliclyAccessible: false,
  },
  'AWS::ECR::Repository': {
    EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: KEY_ARN },
    ImageScanningConfiguration: { ScanOnPush: true },
    ImageTagMutability: 'IMMUTABLE',
    LifecyclePolicy: { LifecyclePolicyText: '{"rules":[]}' },
  },
  'AWS::Kinesis::Stream': { StreamEncryption: { EncryptionType: 'KMS', KeyId: KEY_ARN } },
  'AWS::EC2::Volume': { Encrypted: true, KmsKeyId: KEY_ARN },
};

/**
 * A compliant exemplar with some of its nodes mutated: replaced by any value, put in a `Fn::If`
 * with a mutation, removed, or given extra keys. How often depends on a rate drawn per sample, so
 * samples range from intact (compliant) to unrecognisable.
 */
function mutated(node: unknown, keep: number): fc.Arbitrary<unknown> {
  const structural = structurallyMutated(node, keep);
  return fc.oneof(
    { weight: keep, arbitrary: structural },
    { weight: 1, arbitrary: anyValue },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...CONDITION_NAMES), structural, anyValue, fc.boolean())
        .map(([condition, kept, other, first]) => ({
          'Fn::If': first ? [condition, kept, other] : [condition, other, kept],
        })),
    },
    { weight: 1, arbitrary: fc.constant({ Ref: 'AWS::NoValue' }) },
  );
}

function structurallyMutated(node: unknown, keep: number): fc.Arbitrary<unknown> {
  if (Array.isArray(node)) {
    return fc
      .tuple(
        fc.tuple(...node.map((item) => mutated(item, keep))),
        fc.array(anyValue, { maxLength: keep > 10 ? 0 : 2 }),
      )
      .map(([items, extra]) => [...items, ...extra]);
  }
  if (typeof node !== 'object' || node === null || isIntrinsicObject(node)) return fc.constant(node);
  const entries = Object.entries(node);
  return fc
    .tuple(
      fc.tuple(
        ...entries.map(([, child]) => fc.option(mutated(child, keep), { freq: keep + 1, nil: undefined })),
      ),
      keep > 10 ? fc.constant({}) : fc.dictionary(key, anyValue, { maxKeys: 2, noNullPrototype: true }),
    )
    .map(([children, extra]) => {
      const result: Record<string, unknown> = { ...extra };
      entries.forEach(([k], i) => {
        if (children[i] !== undefined) result[k] = children[i];
      });
      return result;
    });
}

/** The properties of a resource of `type`: mostly mutated exemplars, sometimes random trees. */
export function propertiesFor(type: string): fc.Arbitrary<Record<string, unknown>> {
  const exemplar = COMPLIANT_EXEMPLARS[type] ?? {};
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(60, 12, 3)
        .chain((keep) => structurallyMutated(exemplar, keep) as fc.Arbitrary<Record<string, unknown>>),
    },
    { weight: 1, arbitrary: randomProperties },
  );
}

/** Whether a value contains a `Fn::If` on `condition` (to keep the fresh condition fresh). */
export function mentions(value: unknown, condition: string): boolean {
  return JSON.stringify(value ?? null).includes(JSON.stringify(condition));
}

/** A path into a value through plain objects and arrays, never into an intrinsic's arguments. */
export type Path = ReadonlyArray<string | number>;

function isIntrinsicObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

/**
 * A value to put where `original` is: itself, a mutation of it, its removal or anything, so
 * that the branches of a generated Fn::If are often one compliant and one not.
 */
export function alternativeTo(original: unknown): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.constant(original) },
    { weight: 2, arbitrary: mutated(original, 3) },
    { weight: 1, arbitrary: fc.constant({ Ref: 'AWS::NoValue' }) },
    { weight: 1, arbitrary: anyValue },
  );
}

/** Every position a property or list item can be placed at (the root object included as `[]`). */
export function positions(root: unknown, kind: 'object' | 'array'): Path[] {
  const found: Path[] = [];
  const walk = (node: unknown, path: Path): void => {
    if (isIntrinsicObject(node)) return;
    if (Array.isArray(node)) {
      if (kind === 'array') found.push(path);
      node.forEach((child, i) => walk(child, [...path, i]));
    } else if (typeof node === 'object' && node !== null) {
      if (kind === 'object') found.push(path);
      for (const [k, child] of Object.entries(node)) walk(child, [...path, k]);
    }
  };
  if (kind === 'object' && isIntrinsicObject(root)) found.push([]);
  walk(root, []);
  return found;
}

/** A copy of `root` with `edit` applied to the node at `path`. */
export function editAt(root: unknown, path: Path, edit: (node: unknown) => unknown): unknown {
  if (path.length === 0) return edit(root);
  const [step, ...rest] = path;
  if (Array.isArray(root)) return root.map((child, i) => (i === step ? editAt(child, rest, edit) : child));
  const object = root as Record<string, unknown>;
  return { ...object, [step]: editAt(object[step as string], rest, edit) };
}

/** A subject resource of a rule-read type, its properties and one place in them. */
export interface Placed {
  readonly type: string;
  readonly properties: Record<string, unknown>;
  /** An object in the properties (`[]`: the properties themselves) and a key in it. */
  readonly path: Path;
  readonly key: string;
}

/** Property names no rule reads and no resource type's schema has. */
export const unrelatedPropertyName: fc.Arbitrary<string> = fc
  .stringMatching(/^[A-Z][A-Za-z0-9]{0,10}$/)
  .map((suffix) => `XUnrelated${suffix}`);

/** A subject, its properties, and an object inside them with a key (existing, or new) to put a value at. */
export const placed: fc.Arbitrary<Placed> = fc
  .constantFrom(...RULE_TYPES)
  .chain((type) => record({ type: fc.constant(type), properties: propertiesFor(type) }))
  .chain(({ type, properties: props }) =>
    fc.constantFrom(...positions(props, 'object')).chain((path) => {
      const existing = Object.keys(nodeAt(props, path) as object);
      const keys = fc.oneof(fc.constantFrom(...PROPERTY_NAMES), unrelatedPropertyName);
      return record({
        type: fc.constant(type),
        properties: fc.constant(props),
        path: fc.constant(path),
        key: existing.length > 0 ? fc.oneof(fc.constantFrom(...existing), keys) : keys,
      });
    }),
  );

/** A subject, its properties, and a list inside them with an index to insert an item at. */
export const placedInList: fc.Arbitrary<{
  type: string;
  properties: Record<string, unknown>;
  path: Path;
  index: number;
}> = fc
  .constantFrom(...RULE_TYPES)
  .chain((type) => record({ type: fc.constant(type), properties: propertiesFor(type) }))
  .filter(({ properties: props }) => positions(props, 'array').length > 0)
  .chain(({ type, properties: props }) =>
    fc.constantFrom(...positions(props, 'array')).chain((path) =>
      record({
        type: fc.constant(type),
        properties: fc.constant(props),
        path: fc.constant(path),
        index: fc.nat((nodeAt(props, path) as unknown[]).length),
      }),
    ),
  );

export function nodeAt(root: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, step) => (node as Record<string | number, unknown>)[step], root);
}

/** `properties` with `value` at `key` of the object at `path` (or that key removed, for `undefined`). */
export function withValueAt(placement: Placed, value: unknown): Record<string, unknown> {
  return editAt(placement.properties, placement.path, (node) => {
    const edited = { ...(node as Record<string, unknown>) };
    delete edited[placement.key];
    return value === undefined ? edited : { ...edited, [placement.key]: value };
  }) as Record<string, unknown>;
}

/**
 * fast-check settings: a fixed seed and a bounded number of runs, so CI is reproducible and fast
 * (fast-check prints the seed and the counterexample when a property fails). For a deeper local
 * search, `PROPERTY_SEED=<n> PROPERTY_RUNS=<n> npx jest test/property` overrides both.
 */
export function settings(seed: number, numRuns: number): fc.Parameters<unknown> {
  const env = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
  return { seed: env('PROPERTY_SEED') ?? seed, numRuns: env('PROPERTY_RUNS') ?? numRuns };
}
