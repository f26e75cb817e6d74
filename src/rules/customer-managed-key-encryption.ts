import { isPlainObject, prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
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

/** How one resource type encrypts at rest and where it names its key. */
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

const ENCRYPTION_AT_REST: readonly EncryptionAtRest[] = [
  {
    type: 'AWS::S3::Bucket',
    settings: [
      {
        path: 'BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.SSEAlgorithm',
        allowed: ['aws:kms', 'aws:kms:dsse'],
        otherwise: 'S3 then encrypts with SSE-S3, an AWS-owned key',
      },
    ],
    keyPaths: [
      'BucketEncryption.ServerSideEncryptionConfiguration[*].ServerSideEncryptionByDefault.KMSMasterKeyID',
    ],
    withoutKey: 'S3 uses the AWS-managed key alias/aws/s3',
  },
  {
    type: 'AWS::SNS::Topic',
    keyPaths: ['KmsMasterKeyId'],
    withoutKey: 'the topic is not encrypted',
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
  },
  {
    type: 'AWS::Logs::LogGroup',
    keyPaths: ['KmsKeyId'],
    withoutKey: 'CloudWatch Logs encrypts the log group with an AWS-owned key',
  },
  { type: 'AWS::DynamoDB::Table', ...DYNAMODB_SSE, keyPaths: ['SSESpecification.KMSMasterKeyId'] },
  {
    type: 'AWS::DynamoDB::GlobalTable',
    ...DYNAMODB_SSE,
    keyPaths: ['Replicas[*].SSESpecification.KMSMasterKeyId'],
  },
  {
    type: 'AWS::SecretsManager::Secret',
    keyPaths: ['KmsKeyId'],
    withoutKey: 'Secrets Manager uses the AWS-managed key alias/aws/secretsmanager',
  },
  {
    type: 'AWS::EFS::FileSystem',
    settings: [{ path: 'Encrypted', allowed: [true], otherwise: 'the file system is not encrypted' }],
    keyPaths: ['KmsKeyId'],
    withoutKey: 'EFS uses the AWS-managed key alias/aws/elasticfilesystem',
  },
  { type: 'AWS::RDS::DBInstance', ...RDS_STORAGE, notApplicableBecause: storageDecidedElsewhere },
  { type: 'AWS::RDS::DBCluster', ...RDS_STORAGE },
  {
    type: 'AWS::ECR::Repository',
    settings: [
      {
        path: 'EncryptionConfiguration.EncryptionType',
        allowed: ['KMS', 'KMS_DSSE'],
        otherwise: 'ECR then encrypts with AES-256 under an AWS-owned key',
      },
    ],
    keyPaths: ['EncryptionConfiguration.KmsKey'],
    withoutKey: 'ECR uses the AWS-managed key alias/aws/ecr',
  },
  {
    type: 'AWS::Kinesis::Stream',
    settings: [
      { path: 'StreamEncryption.EncryptionType', allowed: ['KMS'], otherwise: 'the stream is not encrypted' },
    ],
    keyPaths: ['StreamEncryption.KeyId'],
    withoutKey: 'the stream has no KMS key to encrypt with',
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
  },
  {
    type: 'AWS::CodeBuild::Project',
    keyPaths: ['EncryptionKey'],
    withoutKey: 'CodeBuild uses the AWS-managed key alias/aws/s3',
  },
  {
    type: 'AWS::CodePipeline::Pipeline',
    keyPaths: ['ArtifactStore.EncryptionKey.Id', 'ArtifactStores[*].ArtifactStore.EncryptionKey.Id'],
    withoutKey: 'CodePipeline uses the AWS-managed key alias/aws/s3',
  },
  {
    type: 'AWS::Lambda::Function',
    keyPaths: ['KmsKeyArn'],
    withoutKey: 'Lambda encrypts the environment variables with the AWS-managed key alias/aws/lambda',
    notApplicableBecause: withoutEnvironmentVariables,
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
 * One table says, per resource type, which settings turn KMS encryption on and where the key is.
 */
export default defineRule<Params>({
  meta: {
    id: 'customer-managed-key-encryption',
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
    remediation: 'turns on KMS encryption with a customer-managed key, creating the key when none is given',
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
});
