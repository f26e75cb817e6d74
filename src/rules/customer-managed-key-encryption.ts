import type {
  aws_codepipeline as codepipeline,
  aws_dynamodb as dynamodb,
  aws_s3 as s3,
  CfnResource,
} from 'aws-cdk-lib';
import { cdk } from './cdk';
import { isDeepStrictEqual } from 'node:util';
import { isPlainObject, prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { changed, notApplied } from '../remediations/context';
import { renderedStackOf } from '../remediations/rendered-stack';
import {
  allowCloudWatchLogs,
  allowLogDelivery,
  allowServiceWriters,
  ENCRYPT_DECRYPT,
  grantsToUsersOf,
  grantToRole,
  KeyUse,
  servicesThatCannotUseKmsFor,
} from '../remediations/key-grants';
import {
  allOf,
  eachItem,
  fields,
  fixed,
  KeyFixScope,
  KeyPlan,
  keptIf,
  PropertySpecs,
  propertiesPlan,
  Spec,
  theKeyArn,
} from '../remediations/key-properties';
import { judgeKmsKeyReference } from './kms-key-reference';
import { compliant, defineRule, nonCompliant, notApplicable, ResourceUnderCheck, Verdict } from './rule';
import { knownAtDeployTime } from './values';

/** A setting that must hold before the key matters, e.g. S3's SSEAlgorithm `aws:kms`. */
interface RequiredSetting {
  /** Property path; `[*]` stands for every item of a list, and every item must comply. */
  readonly path: string;
  /** Compared as strings, as CloudFormation also accepts `'true'` for `true`. */
  readonly allowed: readonly (string | boolean)[];
  /** Unset is fine: the service then applies an allowed value (DynamoDB's SSEType is KMS). */
  readonly optional?: true;
  /** What the service does when the setting is missing or not allowed, for the reason. */
  readonly otherwise: string;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function withoutEnvironmentVariables(properties: Record<string, unknown>): string | undefined {
  const variables = prop(properties.Environment, 'Variables');
  const none = isPlainObject(variables) ? Object.keys(variables).length === 0 : !isSet(variables);
  return none
    ? 'Environment.Variables is not set: the function has no environment variables to encrypt'
    : undefined;
}

/**
 * Aurora instances keep no storage of their own: the cluster's settings decide. A read replica is
 * encrypted as its source instance is (CloudFormation rejects StorageEncrypted on one).
 */
function storageDecidedElsewhere(properties: Record<string, unknown>): string | undefined {
  const cluster = properties.DBClusterIdentifier;
  if (isSet(cluster)) {
    return `DBClusterIdentifier is ${describe(cluster)}: the instance's storage belongs to its DB cluster, which this control checks`;
  }
  const source = properties.SourceDBInstanceIdentifier;
  return isSet(source)
    ? `SourceDBInstanceIdentifier is ${describe(source)}: a read replica is encrypted as its source instance, which this control checks`
    : undefined;
}

/** How one resource type encrypts at rest, where it names its key, and how the fix sets it. */
interface EncryptionAtRest {
  readonly type: string;
  /** Settings that select KMS encryption. */
  readonly settings?: readonly RequiredSetting[];
  /**
   * Paths of the key property. A type with several (CodePipeline's single- and cross-region
   * artifact stores) is judged on each path the resource sets, or on the first when it sets none.
   */
  readonly keyPaths: readonly string[];
  /** What the service encrypts with when no key is given, for the reason. */
  readonly withoutKey: string;
  readonly notApplicableBecause?: (properties: Record<string, unknown>) => string | undefined;
  readonly fix: KeyFix;
}

/**
 * The fix for one type: the L1 class it sets typed properties on (read when the fix runs, so that
 * the checks never load aws-cdk-lib), and what it will change.
 */
interface KeyFix {
  readonly l1: () => abstract new (...args: never[]) => CfnResource;
  readonly plan: (scope: KeyFixScope) => KeyPlan;
}

type KeyUsers<T extends CfnResource> = (scope: KeyFixScope<T>) => KeyPlan;

/**
 * A fix on the L1 class that `l1` returns: `set` gives the typed properties to set (the key and the settings
 * that select KMS), `unless` the cases it cannot fix, and `keyUsers` who else must be able to use
 * the key for the stack to keep working (grants, key-policy statements).
 */
function fixOn<T extends CfnResource>(
  l1: () => abstract new (...args: never[]) => T,
  fix: {
    readonly set: PropertySpecs<T>;
    readonly unless?: (resource: T) => string | undefined;
    readonly keyUsers?: readonly KeyUsers<T>[];
  },
): KeyFix {
  return {
    l1,
    plan: (untyped) => {
      const scope = untyped as KeyFixScope<T>;
      const cannot = fix.unless?.(scope.resource);
      if (cannot) return cannot;
      return allOf([propertiesPlan(scope, fix.set), ...(fix.keyUsers ?? []).map((users) => users(scope))]);
    },
  };
}

/**
 * Principals of the stack allowed to read or write the resource get what they need on the key
 * (from its IAM policies), and AWS services its resource policy lets write to it are allowed in
 * the key policy.
 */
function dataUsers<T extends CfnResource>(
  uses: readonly KeyUse[],
  cannotUseKms?: (scope: KeyFixScope<T>) => Record<string, string>,
): KeyUsers<T> {
  return (scope) =>
    allOf([
      grantsToUsersOf(scope, scope.resource, uses),
      allowServiceWriters(scope, scope.resource, uses, cannotUseKms?.(scope)),
    ]);
}

/** The role the resource runs as (named by a typed property) gets `keyActions` on the key. */
function runsAs<T extends CfnResource>(
  roleArnOf: (resource: T) => unknown,
  whose: string,
  keyActions: readonly string[],
): KeyUsers<T> {
  return (scope) => grantToRole(scope, roleArnOf(scope.resource), whose, keyActions);
}

/**
 * What principals need on the key for what they do with the data, as each service's guide
 * documents it (S3 writers as the L2 bucket grants; DynamoDB as the L2 table grants).
 */
const DECRYPT = ['kms:Decrypt'];
const S3_USES: readonly KeyUse[] = [
  { actions: ['s3:PutObject'], keyActions: ENCRYPT_DECRYPT },
  { actions: ['s3:GetObject'], keyActions: DECRYPT },
];
const SQS_USES: readonly KeyUse[] = [
  { actions: ['sqs:SendMessage'], keyActions: ['kms:GenerateDataKey', 'kms:Decrypt'] },
  { actions: ['sqs:ReceiveMessage'], keyActions: DECRYPT },
];
const SNS_USES: readonly KeyUse[] = [
  { actions: ['sns:Publish'], keyActions: ['kms:GenerateDataKey*', 'kms:Decrypt'] },
];
const KINESIS_USES: readonly KeyUse[] = [
  { actions: ['kinesis:PutRecord', 'kinesis:PutRecords'], keyActions: ['kms:GenerateDataKey'] },
  { actions: ['kinesis:GetRecords', 'kinesis:SubscribeToShard'], keyActions: DECRYPT },
];
const DYNAMODB_READ_KEY = ['kms:Decrypt', 'kms:DescribeKey'];
const DYNAMODB_USES: readonly KeyUse[] = [
  {
    actions: [
      'dynamodb:GetItem',
      'dynamodb:BatchGetItem',
      'dynamodb:Query',
      'dynamodb:Scan',
      'dynamodb:GetRecords',
    ],
    keyActions: DYNAMODB_READ_KEY,
  },
  {
    actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'],
    keyActions: [...DYNAMODB_READ_KEY, 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
  },
];
const SECRETS_MANAGER_USES: readonly KeyUse[] = [
  { actions: ['secretsmanager:GetSecretValue'], keyActions: DECRYPT },
  {
    actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecret'],
    keyActions: ['kms:GenerateDataKey'],
  },
];

/** `true`, keeping the string `'true'` CloudFormation also accepts. */
const TRUE = keptIf([true], true);

const S3_KMS_ALGORITHMS = ['aws:kms', 'aws:kms:dsse'];
const ECR_KMS_TYPES = ['KMS', 'KMS_DSSE'];

/**
 * One S3 encryption rule: SSE-KMS (or the DSSE-KMS the user chose) with the key, and an S3 Bucket
 * Key (fewer KMS requests) unless the user set BucketKeyEnabled or chose DSSE-KMS, which has none.
 */
const S3_RULE: Spec = (current, keyArn, path) => {
  const rule = fields({
    serverSideEncryptionByDefault: fields({
      sseAlgorithm: keptIf(S3_KMS_ALGORITHMS, 'aws:kms'),
      kmsMasterKeyId: theKeyArn,
    }),
  })(current, keyArn, path) as Record<string, unknown>;
  const algorithm = prop(rule.serverSideEncryptionByDefault, 'sseAlgorithm');
  return rule.bucketKeyEnabled !== undefined || algorithm === 'aws:kms:dsse'
    ? rule
    : { ...rule, bucketKeyEnabled: true };
};

/** KMS keys are regional: the stack's key cannot encrypt a replica in another region. */
function replicasInOtherRegions(table: dynamodb.CfnGlobalTable): string | undefined {
  const stack = table.stack;
  const here: unknown = stack.resolve(stack.region);
  const replicas: unknown = stack.resolve(table.replicas);
  if (!Array.isArray(replicas) || replicas.length === 0) return 'the global table has no Replicas to encrypt';
  const elsewhere = replicas
    .map((replica) => prop(replica, 'region'))
    .filter((r) => !isDeepStrictEqual(r, here));
  return elsewhere.length === 0
    ? undefined
    : `the global table has replicas in ${elsewhere.map(describe).join(', ')}, and a KMS key serves only its own ` +
        'region: encrypt it with TableEncryptionV2.customerManagedKey(key, replicaKeyArns), a key in each region';
}

/** Cross-region artifact stores need a key in each region, which the L2 creates with crossAccountKeys. */
function artifactStoresToEncrypt(pipeline: codepipeline.CfnPipeline): string | undefined {
  const stack = pipeline.stack;
  const stores: unknown = stack.resolve(pipeline.artifactStores);
  if (Array.isArray(stores) && stores.length > 0) {
    return (
      'the pipeline has artifact stores in several regions (ArtifactStores), and a KMS key serves only its own ' +
      "region: create the pipeline with crossAccountKeys: true, which gives each region's artifact store a key"
    );
  }
  return stack.resolve(pipeline.artifactStore) === undefined
    ? 'the pipeline has no ArtifactStore to encrypt'
    : undefined;
}

/** The pipeline's artifact bucket, when it is in the stack: the roles that use it need the key too. */
function artifactBucketUsers(scope: KeyFixScope<codepipeline.CfnPipeline>): KeyPlan {
  const { stack } = scope;
  const location = prop(stack.resolve(scope.resource.artifactStore), 'location');
  const bucket = renderedStackOf(stack)
    .constructs()
    .find(
      (c): c is s3.CfnBucket =>
        c instanceof cdk.aws_s3.CfnBucket && isDeepStrictEqual({ Ref: stack.resolve(c.logicalId) }, location),
    );
  return bucket ? grantsToUsersOf(scope, bucket, S3_USES) : [];
}

const DYNAMODB_SSE = {
  settings: [
    {
      path: 'SSESpecification.SSEEnabled',
      allowed: [true],
      otherwise: 'DynamoDB then encrypts with an AWS-owned key',
    },
    {
      path: 'SSESpecification.SSEType',
      allowed: ['KMS'],
      optional: true,
      otherwise: 'KMS is the only type with a key',
    },
  ],
  withoutKey: 'DynamoDB uses the AWS-managed key alias/aws/dynamodb',
} as const;

const RDS_STORAGE = {
  settings: [{ path: 'StorageEncrypted', allowed: [true], otherwise: 'the storage is not encrypted' }],
  keyPaths: ['KmsKeyId'],
  withoutKey: 'RDS uses the AWS-managed key alias/aws/rds',
} as const;

const RDS_STORAGE_FIX = { storageEncrypted: TRUE, kmsKeyId: theKeyArn } as const;

const ENCRYPTION_AT_REST: readonly EncryptionAtRest[] = [
  {
    type: 'AWS::S3::Bucket',
    settings: [
      {
        path: 'BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.SSEAlgorithm',
        allowed: S3_KMS_ALGORITHMS,
        otherwise: 'S3 then encrypts with SSE-S3, an AWS-owned key',
      },
    ],
    keyPaths: [
      'BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.KMSMasterKeyID',
    ],
    withoutKey: 'S3 uses the AWS-managed key alias/aws/s3',
    fix: fixOn(() => cdk.aws_s3.CfnBucket, {
      set: { bucketEncryption: fields({ serverSideEncryptionConfiguration: eachItem(S3_RULE) }) },
      keyUsers: [
        dataUsers(S3_USES, ({ stack, resource }) => servicesThatCannotUseKmsFor(stack, resource)),
        (scope) => allowLogDelivery(scope, scope.resource, S3_USES),
      ],
    }),
  },
  {
    type: 'AWS::SNS::Topic',
    keyPaths: ['KmsMasterKeyId'],
    withoutKey: 'the topic is not encrypted',
    fix: fixOn(() => cdk.aws_sns.CfnTopic, {
      set: { kmsMasterKeyId: theKeyArn },
      keyUsers: [dataUsers(SNS_USES)],
    }),
  },
  {
    type: 'AWS::SQS::Queue',
    settings: [
      {
        path: 'SqsManagedSseEnabled',
        allowed: [false],
        optional: true,
        otherwise: 'the queue then uses SQS-managed encryption, SSE-SQS',
      },
    ],
    keyPaths: ['KmsMasterKeyId'],
    withoutKey: 'the queue uses SQS-managed encryption, SSE-SQS (or none when SqsManagedSseEnabled is false)',
    fix: fixOn(() => cdk.aws_sqs.CfnQueue, {
      set: { kmsMasterKeyId: theKeyArn, sqsManagedSseEnabled: keptIf([false], undefined) },
      keyUsers: [dataUsers(SQS_USES)],
    }),
  },
  {
    type: 'AWS::Logs::LogGroup',
    keyPaths: ['KmsKeyId'],
    withoutKey: 'CloudWatch Logs encrypts the log group with an AWS-owned key',
    fix: fixOn(() => cdk.aws_logs.CfnLogGroup, {
      set: { kmsKeyId: theKeyArn },
      keyUsers: [allowCloudWatchLogs],
    }),
  },
  {
    type: 'AWS::DynamoDB::Table',
    ...DYNAMODB_SSE,
    keyPaths: ['SSESpecification.KMSMasterKeyId'],
    fix: fixOn(() => cdk.aws_dynamodb.CfnTable, {
      set: {
        sseSpecification: fields(
          { sseEnabled: TRUE, sseType: fixed('KMS'), kmsMasterKeyId: theKeyArn },
          { whole: true },
        ),
      },
      keyUsers: [dataUsers(DYNAMODB_USES)],
    }),
  },
  {
    type: 'AWS::DynamoDB::GlobalTable',
    ...DYNAMODB_SSE,
    keyPaths: ['Replicas[*].SSESpecification.KMSMasterKeyId'],
    fix: fixOn(() => cdk.aws_dynamodb.CfnGlobalTable, {
      unless: replicasInOtherRegions,
      set: {
        sseSpecification: fields({ sseEnabled: TRUE, sseType: fixed('KMS') }, { whole: true }),
        replicas: eachItem(fields({ sseSpecification: fields({ kmsMasterKeyId: theKeyArn }) })),
      },
      keyUsers: [dataUsers(DYNAMODB_USES)],
    }),
  },
  {
    type: 'AWS::SecretsManager::Secret',
    keyPaths: ['KmsKeyId'],
    withoutKey: 'Secrets Manager uses the AWS-managed key alias/aws/secretsmanager',
    fix: fixOn(() => cdk.aws_secretsmanager.CfnSecret, {
      set: { kmsKeyId: theKeyArn },
      keyUsers: [dataUsers(SECRETS_MANAGER_USES)],
    }),
  },
  {
    type: 'AWS::EFS::FileSystem',
    settings: [{ path: 'Encrypted', allowed: [true], otherwise: 'the file system is not encrypted' }],
    keyPaths: ['KmsKeyId'],
    withoutKey: 'EFS uses the AWS-managed key alias/aws/elasticfilesystem',
    fix: fixOn(() => cdk.aws_efs.CfnFileSystem, { set: { encrypted: TRUE, kmsKeyId: theKeyArn } }),
  },
  {
    type: 'AWS::RDS::DBInstance',
    ...RDS_STORAGE,
    notApplicableBecause: storageDecidedElsewhere,
    fix: fixOn(() => cdk.aws_rds.CfnDBInstance, { set: RDS_STORAGE_FIX }),
  },
  {
    type: 'AWS::RDS::DBCluster',
    ...RDS_STORAGE,
    fix: fixOn(() => cdk.aws_rds.CfnDBCluster, { set: RDS_STORAGE_FIX }),
  },
  {
    type: 'AWS::ECR::Repository',
    settings: [
      {
        path: 'EncryptionConfiguration.EncryptionType',
        allowed: ECR_KMS_TYPES,
        otherwise: 'ECR then encrypts with AES-256 under an AWS-owned key',
      },
    ],
    keyPaths: ['EncryptionConfiguration.KmsKey'],
    withoutKey: 'ECR uses the AWS-managed key alias/aws/ecr',
    fix: fixOn(() => cdk.aws_ecr.CfnRepository, {
      set: {
        encryptionConfiguration: fields(
          { encryptionType: keptIf(ECR_KMS_TYPES, 'KMS'), kmsKey: theKeyArn },
          { whole: true },
        ),
      },
    }),
  },
  {
    type: 'AWS::Kinesis::Stream',
    settings: [
      { path: 'StreamEncryption.EncryptionType', allowed: ['KMS'], otherwise: 'the stream is not encrypted' },
    ],
    keyPaths: ['StreamEncryption.KeyId'],
    withoutKey: 'the stream has no KMS key to encrypt with',
    fix: fixOn(() => cdk.aws_kinesis.CfnStream, {
      // The L2's default is an Fn::If between no encryption and the AWS-managed key: replaced whole.
      set: { streamEncryption: fields({ encryptionType: fixed('KMS'), keyId: theKeyArn }, { whole: true }) },
      keyUsers: [dataUsers(KINESIS_USES)],
    }),
  },
  {
    type: 'AWS::EC2::Volume',
    settings: [
      {
        path: 'Encrypted',
        allowed: [true],
        otherwise: 'the volume is only encrypted if the account turns on EBS encryption by default',
      },
    ],
    keyPaths: ['KmsKeyId'],
    withoutKey: "EBS uses the account's default EBS key, alias/aws/ebs unless the account changed it",
    fix: fixOn(() => cdk.aws_ec2.CfnVolume, { set: { encrypted: TRUE, kmsKeyId: theKeyArn } }),
  },
  {
    type: 'AWS::CodeBuild::Project',
    keyPaths: ['EncryptionKey'],
    withoutKey: 'CodeBuild uses the AWS-managed key alias/aws/s3',
    fix: fixOn(() => cdk.aws_codebuild.CfnProject, {
      set: { encryptionKey: theKeyArn },
      // As the L2's encryptionKey prop grants (grantEncryptDecrypt).
      keyUsers: [runsAs((project) => project.serviceRole, "the project's service role", ENCRYPT_DECRYPT)],
    }),
  },
  {
    type: 'AWS::CodePipeline::Pipeline',
    keyPaths: ['ArtifactStore.EncryptionKey.Id', 'ArtifactStores[*].ArtifactStore.EncryptionKey.Id'],
    withoutKey: 'CodePipeline uses the AWS-managed key alias/aws/s3',
    fix: fixOn(() => cdk.aws_codepipeline.CfnPipeline, {
      unless: artifactStoresToEncrypt,
      // The L2 renders the artifact store lazily, from its bucket: the key is merged into what it renders.
      set: {
        artifactStore: fields({
          encryptionKey: fields({ id: theKeyArn, type: fixed('KMS') }, { whole: true }),
        }),
      },
      keyUsers: [
        runsAs((pipeline) => pipeline.roleArn, "the pipeline's role", ENCRYPT_DECRYPT),
        artifactBucketUsers,
      ],
    }),
  },
  {
    type: 'AWS::Lambda::Function',
    keyPaths: ['KmsKeyArn'],
    withoutKey: 'Lambda encrypts the environment variables with the AWS-managed key alias/aws/lambda',
    notApplicableBecause: withoutEnvironmentVariables,
    fix: fixOn(() => cdk.aws_lambda.CfnFunction, {
      set: { kmsKeyArn: theKeyArn },
      keyUsers: [runsAs((fn) => fn.role, "the function's role", DECRYPT)],
    }),
  },
];

const BY_TYPE = new Map(ENCRYPTION_AT_REST.map((encryption) => [encryption.type, encryption]));
const SUPPORTED_TYPES = ENCRYPTION_AT_REST.map((encryption) => encryption.type);

const EACH = '[*]';

/** `A.B[*].C` → `['A', 'B', '[*]', 'C']`. */
function stepsOf(path: string): string[] {
  return path.split(/\.|(?=\[\*\])/);
}

/** What walking a path found at one place (one per list item under `[*]`). */
type Located =
  | { readonly kind: 'set'; readonly path: string; readonly value: unknown }
  | { readonly kind: 'unset'; readonly path: string; readonly state: 'is not set' | 'is empty' }
  | { readonly kind: 'decided'; readonly verdict: Verdict };

/** Follows `steps` from `value` (found at `path`), through every item of a list at `[*]`. */
function locate(
  value: unknown,
  path: string,
  steps: readonly string[],
  resource: ResourceUnderCheck,
  resolver: TemplateResolver,
): Located[] {
  if (!isSet(value)) return [{ kind: 'unset', path, state: 'is not set' }];
  if (steps.length === 0) return [{ kind: 'set', path, value }];
  const [step, ...rest] = steps;
  const resolved = resolver.resolve(value, resource.stack);
  if (resolved.kind === 'unknown')
    return [{ kind: 'decided', verdict: knownAtDeployTime(path, resolved.description) }];
  if (step === EACH && Array.isArray(value)) {
    if (value.length === 0) return [{ kind: 'unset', path, state: 'is empty' }];
    return value.flatMap((item, i) => locate(item, `${path}[${i}]`, rest, resource, resolver));
  }
  if (step !== EACH && resolved.kind === 'structure' && isPlainObject(value)) {
    return locate(value[step], `${path}.${step}`, rest, resource, resolver);
  }
  const expected = step === EACH ? 'a list' : 'an object';
  return [{ kind: 'decided', verdict: nonCompliant(path, `${path} is ${describe(value)}, not ${expected}`) }];
}

function locateAll(path: string, resource: ResourceUnderCheck, resolver: TemplateResolver): Located[] {
  const [first, ...rest] = stepsOf(path);
  return locate(resource.properties[first], first, rest, resource, resolver);
}

function judgeSetting(
  located: Located,
  setting: RequiredSetting,
  resource: ResourceUnderCheck,
  resolver: TemplateResolver,
): Verdict {
  if (located.kind === 'decided') return located.verdict;
  const { path } = located;
  if (located.kind === 'unset') {
    return setting.optional
      ? compliant
      : nonCompliant(path, `${path} ${located.state} (${setting.otherwise})`);
  }
  const resolved = resolver.resolve(located.value, resource.stack);
  if (resolved.kind === 'unknown') return knownAtDeployTime(path, resolved.description);
  const allowed =
    resolved.kind === 'literal' && setting.allowed.some((value) => String(value) === String(resolved.value));
  return allowed
    ? compliant
    : nonCompliant(
        path,
        `${path} is ${describe(located.value)}, not ${setting.allowed.join(' or ')} (${setting.otherwise})`,
      );
}

function judgeKey(
  located: Located,
  encryption: EncryptionAtRest,
  resource: ResourceUnderCheck,
  resolver: TemplateResolver,
): Verdict {
  if (located.kind === 'decided') return located.verdict;
  if (located.kind === 'unset') {
    return nonCompliant(located.path, `${located.path} ${located.state}, so ${encryption.withoutKey}`);
  }
  return judgeKmsKeyReference(located.value, located.path, resource.stack, resolver);
}

function keyPathsInUse(encryption: EncryptionAtRest, properties: Record<string, unknown>): readonly string[] {
  const inUse = encryption.keyPaths.filter((path) => isSet(properties[stepsOf(path)[0]]));
  return inUse.length > 0 ? inUse : encryption.keyPaths.slice(0, 1);
}

/** Settings first, so that a bucket on SSE-S3 is reported for its algorithm rather than its missing key. */
function* verdicts(
  encryption: EncryptionAtRest,
  resource: ResourceUnderCheck,
  resolver: TemplateResolver,
): Generator<Verdict> {
  for (const setting of encryption.settings ?? []) {
    for (const located of locateAll(setting.path, resource, resolver)) {
      yield judgeSetting(located, setting, resource, resolver);
    }
  }
  for (const keyPath of keyPathsInUse(encryption, resource.properties)) {
    for (const located of locateAll(keyPath, resource, resolver)) {
      yield judgeKey(located, encryption, resource, resolver);
    }
  }
}

/** Any failure decides; a deploy-time value is reported only when nothing else fails. */
function worstOf(all: Iterable<Verdict>): Verdict {
  let unverified: Verdict | undefined;
  for (const verdict of all) {
    if (verdict.status === 'non-compliant') return verdict;
    if (verdict.status === 'unverifiable') unverified ??= verdict;
  }
  return unverified ?? compliant;
}

interface Params {
  readonly resourceTypes: readonly string[];
}

/**
 * Data at rest is encrypted with a customer-managed KMS key, across the services that store data.
 * One table says, per resource type, which settings turn KMS encryption on and where the key is,
 * and how the fix sets them on the L1 and who it lets use the key so that the stack keeps working.
 */
export default defineRule<Params>({
  meta: {
    id: 'customer-managed-key-encryption',
    fix: {
      manually:
        "encrypt with a customer-managed kms.Key (the construct's encryptionKey prop, or its KMS key property on the L1)",
      aspect: 'EncryptWithCustomerManagedKey',
      settings: [],
      // Grants go into IAM policies (a role's DefaultPolicy), services into the created key's policy.
      changesBeside: ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::KMS::Key'],
    },
    description: 'Data at rest is encrypted with a customer-managed KMS key',
    resourceTypes: SUPPORTED_TYPES,
    compliantWhen:
      "the resource's KMS key property is a Ref or Fn::GetAtt to an AWS::KMS::Key, AWS::KMS::ReplicaKey or AWS::KMS::Alias " +
      "(in the same template or through Fn::ImportValue of another stack's export), or a literal key id, ARN or alias not " +
      'under alias/aws/, and the settings that select KMS encryption hold: S3 SSEAlgorithm aws:kms or aws:kms:dsse in every ' +
      'rule; DynamoDB SSEEnabled true and SSEType KMS, with the key on every replica of a global table; EFS and EBS Encrypted ' +
      'and RDS StorageEncrypted true; ECR EncryptionType KMS or KMS_DSSE; Kinesis EncryptionType KMS; SQS without ' +
      'SqsManagedSseEnabled; CodePipeline with the key on every artifact store. Lambda functions without environment ' +
      'variables, DB instances of a cluster, read replicas and types left out of resourceTypes are not applicable',
    remediation:
      "sets the resource's key property to one rotating customer-managed key per stack, created on first use, or to the " +
      "key of the remediations' encryptionKeyArn prop (context cdk-catalogue:encryption-key-arn), and the settings that " +
      'select KMS (S3 SSEAlgorithm aws:kms with BucketKeyEnabled unless set; DynamoDB SSEEnabled and SSEType KMS; EFS and ' +
      'EBS Encrypted and RDS StorageEncrypted true; ECR and Kinesis EncryptionType KMS; SQS SqsManagedSseEnabled removed), ' +
      'keeping the other settings. It grants the key, in their IAM policies, to the roles and policies of the stack that ' +
      'read or write the bucket, queue, topic, stream, table or secret (kms:Decrypt to readers; kms:GenerateDataKey* and ' +
      'kms:Decrypt to senders and publishers; kms:Encrypt, ReEncrypt*, GenerateDataKey* and Decrypt to S3 writers), to ' +
      "the function's role (kms:Decrypt) and to the project's and pipeline's roles (kms:Encrypt, Decrypt, ReEncrypt*, " +
      "GenerateDataKey*); a created key's policy allows CloudWatch Logs for log groups, and the AWS services that the " +
      "stack's queue, topic and bucket policies let write. A key policy names no resource, so that the templates deploy " +
      '(the key every encrypted resource depends on cannot depend on one of them, a cycle, nor Ref a resource of another ' +
      "stack): of the resource policy's aws:SourceArn and aws:SourceAccount conditions it keeps those known before " +
      'deployment (literals, pseudo parameters), rebuilds the ARN of a topic or bucket with a literal name from its name, ' +
      "and replaces any other by aws:SourceAccount = the stack's account; a service writing to a queue or topic is also " +
      "limited by the encryption context to the account's queues (kms:EncryptionContext:aws:sqs:arn) or topics " +
      '(kms:EncryptionContext:aws:sns:topicArn) in the region. It is not applied, saying why, when a user cannot get the key: ' +
      'a role outside the stack or a raw L1 policy; CloudWatch Logs or a writing service with encryptionKeyArn, whose ' +
      'key policy only its owner can change; a load balancer access-log bucket (SSE-S3 only); replicas or artifact stores ' +
      'in other regions. Not seen: principals of other stacks and accounts, statements on *, services without a resource ' +
      'policy in the stack (alarm actions to a topic). Changing the encryption of an existing RDS DB instance or cluster, ' +
      'EFS file system or ECR repository replaces it, and an EBS volume cannot be re-encrypted in place: fix them before ' +
      'their first deployment or migrate the data',
    paramsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        resourceTypes: {
          type: 'array',
          description:
            'The resource types the control checks; resources of the other supported types are not applicable',
          items: { type: 'string', enum: SUPPORTED_TYPES },
          minItems: 1,
          uniqueItems: true,
          default: SUPPORTED_TYPES,
        },
      },
    },
  },
  check(resource, params, resolver) {
    const encryption = BY_TYPE.get(resource.type);
    if (!encryption || !params.resourceTypes.includes(resource.type)) {
      return notApplicable(`${resource.type} is not among the resourceTypes of this control`);
    }
    const whyNotApplicable = encryption.notApplicableBecause?.(resource.properties);
    if (whyNotApplicable) return notApplicable(whyNotApplicable);
    return worstOf(verdicts(encryption, resource, resolver));
  },
  /**
   * Plans every change (properties, grants, key-policy statements) before making any, so that a fix
   * that cannot be made leaves the resource, and the stack, as they were and creates no key.
   */
  remediate(resource, _params, context) {
    const encryption = BY_TYPE.get(resource.cfnResourceType);
    if (!encryption) return notApplied(`${resource.cfnResourceType} is not a type this fix supports`);
    const { fix } = encryption;
    const l1 = fix.l1();
    if (!(resource instanceof l1)) {
      return notApplied(`the resource is not a ${l1.name}, so its typed key property cannot be set`);
    }
    const plan = fix.plan({
      resource,
      stack: context.stack,
      keyIsImported: context.settings.encryptionKeyArn !== undefined,
      judged: context.judged,
      describeAfterFix: (describe) => context.describeAfterFix(describe),
    });
    if (typeof plan === 'string') return notApplied(plan);
    const key = context.encryptionKey();
    return changed(...plan.flatMap((step) => step(key)));
  },
});
