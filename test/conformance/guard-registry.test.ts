/**
 * Conformance against the labelled CloudFormation test cases of the AWS Guard Rules Registry
 * (test/fixtures/guard-registry, Apache-2.0; see the README there for the data format).
 *
 * Each case runs the rule of ours that covers the file's control (or the shipped catalogue's
 * declarative control for it) through the real engine, and the evaluations are folded into a
 * template-level result the way Guard reports one. Every case must agree with the registry label, or
 * be listed in INTENDED_DIFFERENCES with the reason our documented semantics differ (mostly: the
 * registry accepts any key, or an AWS-managed one, where we require a customer-managed key we can see
 * at synth time; or a shorter retention than ours; or it judges a bucket policy, where S3.4 judges the
 * bucket).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadCatalogue } from '../../src/catalogue/load';
import { Catalogue } from '../../src/catalogue/model';
import { compiledControls } from '../../src/engine/controls';
import { evaluate, Evaluation, FindingSubject, isFinding, Waiver } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import { RuleModule } from '../../src/rules';
import bucketAccessLogging from '../../src/rules/bucket-access-logging';
import bucketVersioning from '../../src/rules/bucket-versioning';
import customerManagedKeyEncryption from '../../src/rules/customer-managed-key-encryption';
import keyRotation from '../../src/rules/key-rotation';
import lambdaInVpc from '../../src/rules/lambda-in-vpc';
import { singleRuleCatalogue, stackTemplate } from '../helpers';

type GuardResult = 'PASS' | 'FAIL' | 'SKIP';

interface GuardCase {
  readonly name: string;
  readonly expected: GuardResult;
  readonly index: number;
  readonly skipReason?: string;
  readonly addedParameters?: readonly string[];
  readonly unresolvedGetAtt?: readonly string[];
  readonly note?: string;
  readonly template: CfnTemplate;
}

interface GuardFile {
  readonly source: string;
  readonly guardRule: string;
  readonly control: string;
  readonly resourceTypes: readonly string[];
  readonly cfnNagSuppressionIds: readonly string[];
  readonly cases: readonly GuardCase[];
}

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'guard-registry');

/** Every fixture file, by file name. */
const FILES: ReadonlyMap<string, GuardFile> = new Map(
  fs
    .readdirSync(FIXTURES)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => [name, JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as GuardFile]),
);

/** The rule of ours that covers each control label of the corpus. */
const RULE_FOR_CONTROL: Readonly<Record<string, RuleModule>> = {
  's3-logging': bucketAccessLogging,
  's3-versioning': bucketVersioning,
  'kms-rotation': keyRotation,
  'lambda-vpc': lambdaInVpc,
  's3-sse-kms': customerManagedKeyEncryption,
  'sns-kms': customerManagedKeyEncryption,
  'sqs-kms': customerManagedKeyEncryption,
  'logs-kms': customerManagedKeyEncryption,
  'dynamodb-kms': customerManagedKeyEncryption,
  'secretsmanager-kms': customerManagedKeyEncryption,
  'efs-kms': customerManagedKeyEncryption,
  'rds-kms': customerManagedKeyEncryption,
  'kinesis-kms': customerManagedKeyEncryption,
  'ebs-kms': customerManagedKeyEncryption,
  'codebuild-kms': customerManagedKeyEncryption,
};

/** The catalogue shipped in the package, whose declarative controls cover the labels below. */
const SHIPPED = loadCatalogue();

/** A catalogue of the shipped catalogue's declarative control `id` alone. */
function shippedControl(id: string): Catalogue {
  const control = SHIPPED.controls.find((c) => c.id === id);
  if (!control?.check) throw new Error(`${id} is not a declarative control of the shipped catalogue`);
  return { ...SHIPPED, controls: [control] };
}

/** The declarative control of the shipped catalogue that covers each of these control labels. */
const DECLARATIVE_FOR_CONTROL: Readonly<Record<string, string>> = {
  'apigw-execution-logging': 'APIGateway.1',
  'cloudtrail-kms': 'CloudTrail.3',
  'cloudtrail-log-validation': 'CloudTrail.1',
  'dynamodb-pitr': 'DynamoDB.1',
  'ecr-scan-on-push': 'ECR.1',
  'efs-backup': 'EFS.1',
  'iam-no-admin-policy': 'IAM.1',
  'logs-retention': 'Logs.1',
  'rds-deletion-protection': 'RDS.1',
  'rds-multi-az': 'RDS.3',
  'rds-backup-retention': 'RDS.4',
  'rds-not-public': 'RDS.6',
  's3-public-access-block': 'S3.3',
  's3-tls-only': 'S3.4',
  'secretsmanager-rotation': 'SecretsManager.1',
  'sg-restricted-ssh': 'EC2.1',
};

/**
 * The resource types our control judges where they are not the guard rule's: the registry judges each
 * bucket policy, S3.4 judges each bucket by the bucket policies that name it.
 */
const JUDGED_TYPES_FOR_CONTROL: Readonly<Record<string, readonly string[]>> = {
  's3-tls-only': ['AWS::S3::Bucket'],
};

/** The resource types whose evaluations make a case's result. */
const judgedTypes = (file: GuardFile): readonly string[] =>
  JUDGED_TYPES_FOR_CONTROL[file.control] ?? file.resourceTypes;

/** What judges each control label: a one-control catalogue of our rule, or of the shipped declarative control. */
const CATALOGUE_FOR_CONTROL: ReadonlyMap<string, Catalogue> = new Map([
  ...Object.entries(RULE_FOR_CONTROL).map(([label, rule]) => [label, singleRuleCatalogue(rule)] as const),
  ...Object.entries(DECLARATIVE_FOR_CONTROL).map(([label, id]) => [label, shippedControl(id)] as const),
]);

/** The rule a one-control catalogue compiles into. */
const ruleOf = (catalogue: Catalogue): RuleModule => compiledControls(catalogue)[0].rule;

/** Fixture files no rule of ours covers, and why. Exactly these are skipped. */
const NOT_COVERED: Readonly<Record<string, string>> = {
  'codebuild_project_envvar_awscred_check.json':
    'codebuild-credentials: we have no control for AWS credentials in CodeBuild environment variables',
  'codebuild_project_source_repo_url_check.json':
    'codebuild-credentials: we have no control for credentials in CodeBuild source repository URLs',
  'kinesis_firehose_delivery_stream_encryption_rule.json':
    'kinesis-firehose-kms: AWS::KinesisFirehose::DeliveryStream is not among the resource types of customer-managed-key-encryption',
  'ec2_security_group_ingress_open_to_world_rule.json':
    'sg-no-open-ingress: we have no control for ingress from 0.0.0.0/0 or ::/0 on any port (its FAIL cases open ports 80, 35 and 35-45); EC2.1 covers the admin ports 22 and 3389 only',
  'restricted_common_ports.json':
    'sg-restricted-common-ports: ports 20, 21, 3306, 3389 and 4333 from any source (its FAIL case is port 20 from 192.168.0.0/16); EC2.1 covers ports 22 and 3389 from 0.0.0.0/0 or ::/0 only, and no case opens either to the internet',
};

interface IntendedDifference {
  readonly ours: GuardResult;
  readonly why: string;
}

/**
 * Cases where our documented semantics (each rule's `meta.compliantWhen`, each declarative control's
 * `check`) differ from the registry's: mostly stricter, and looser where a control accepts what the
 * registry does not (a log group that never expires its events); and SKIP where the registry judges a
 * resource we do not (a bucket policy of a bucket outside the template).
 */
const INTENDED_DIFFERENCES: Readonly<Record<string, IntendedDifference>> = {
  // A key from a parameter: we require a key we can see to be customer-managed; a deploy-time value is unverifiable.
  'cloudwatch_log_group_encrypted.json#2': {
    ours: 'FAIL',
    why: 'KmsKeyId is parameter myKmsKeyId: a deploy-time key is unverifiable, not a known customer-managed key',
  },
  'dynamodb_table_encrypted_kms.json#6': {
    ours: 'FAIL',
    why: 'KMSMasterKeyId is parameter pKmsArn: a deploy-time key is unverifiable, not a known customer-managed key',
  },
  'kinesis_stream_encryption_rule.json#2': {
    ours: 'FAIL',
    why: 'KeyId is parameter myKey: a deploy-time key is unverifiable, not a known customer-managed key',
  },
  'rds_storage_encrypted.json#2': {
    ours: 'SKIP',
    why: 'a read replica (SourceDBInstanceIdentifier) is encrypted as its source instance, which the control checks',
  },
  'rds_storage_encrypted.json#4': {
    ours: 'SKIP',
    why: 'a read replica inherits StorageEncrypted from its source (CloudFormation: do not set it on one)',
  },
  'rds_storage_encrypted.json#6': {
    ours: 'SKIP',
    why: 'a read replica inherits StorageEncrypted from its source (CloudFormation: do not set it on one)',
  },
  'secretsmanager_using_cmk.json#2': {
    ours: 'FAIL',
    why: 'KmsKeyId is parameter MyKMSKey: a deploy-time key is unverifiable, not a known customer-managed key',
  },
  // A key from Fn::GetAtt of a resource the template does not define: not a Ref/GetAtt to a KMS key.
  'sns_encrypted_kms.json#5': {
    ours: 'FAIL',
    why: 'KmsMasterKeyId is Fn::GetAtt of myTestBucketKey, which is not in the template, so not a known KMS key',
  },
  'sns_encrypted_kms.json#6': {
    ours: 'FAIL',
    why: 'KmsMasterKeyId (both topics) is Fn::GetAtt of myTestBucketKey, which is not in the template, so not a known KMS key',
  },
  // Encrypted, but with an AWS-managed or AWS-owned key: the registry accepts it, we require a customer-managed key.
  's3_default_encryption_kms.json#2': {
    ours: 'FAIL',
    why: 'SSEAlgorithm AES256 is SSE-S3; we require aws:kms or aws:kms:dsse with a customer-managed key',
  },
  's3_bucket_server_side_encryption_enabled.json#2': {
    ours: 'FAIL',
    why: 'SSEAlgorithm AES256 is SSE-S3; we require aws:kms or aws:kms:dsse with a customer-managed key',
  },
  'dynamodb_table_must_be_encrypted.json#5': {
    ours: 'FAIL',
    why: 'SSEEnabled true without KMSMasterKeyId uses the AWS-managed key alias/aws/dynamodb',
  },
  'efs_encrypted_check.json#2': {
    ours: 'FAIL',
    why: 'Encrypted true without KmsKeyId uses the AWS-managed key alias/aws/elasticfilesystem',
  },
  'rds_storage_encrypted.json#3': {
    ours: 'FAIL',
    why: 'cluster StorageEncrypted true without KmsKeyId uses the AWS-managed key alias/aws/rds',
  },
  'encrypted_volumes.json#4': {
    ours: 'FAIL',
    why: "Encrypted true without KmsKeyId uses the account's default EBS key (alias/aws/ebs unless changed)",
  },
  'encrypted_volumes.json#2': {
    ours: 'FAIL',
    why: 'KmsKeyId without Encrypted true: we require EBS Encrypted true (the registry accepts either one)',
  },
  // A log destination from a parameter: the deployer may pass the bucket's own name, so it may log into itself.
  's3_bucket_logging_enabled.json#2': {
    ours: 'FAIL',
    why: "DestinationBucketName is parameter LoggingBucket (no default), chosen at deploy time: it may be the bucket's own name my-bucket, so self-logging is unverifiable",
  },
  // The registry judges each bucket policy; S3.4 judges each bucket of the template by the bucket policies that name it.
  's3_bucket_ssl_requests_only.json#2': {
    ours: 'SKIP',
    why: 'the policy is for Bucket Ref rLogsBucket, a parameter: no bucket in the template for S3.4 to judge (S3.4 judges a bucket where it is defined)',
  },
  's3_bucket_ssl_requests_only.json#3': {
    ours: 'SKIP',
    why: 'the policy is for Bucket Ref rLogsBucket, a parameter: no bucket in the template for S3.4 to judge (S3.4 judges a bucket where it is defined)',
  },
  's3_bucket_ssl_requests_only.json#4': {
    ours: 'SKIP',
    why: 'the policy is for Bucket Ref rLogsBucket, a parameter: no bucket in the template for S3.4 to judge (S3.4 judges a bucket where it is defined)',
  },
  's3_bucket_ssl_requests_only.json#5': {
    ours: 'SKIP',
    why: 'the policy is for Bucket Ref rLogsBucket, a parameter: no bucket in the template for S3.4 to judge (S3.4 judges a bucket where it is defined)',
  },
  // The Deny on aws:SecureTransport false names Resource '*': S3.4 requires the bucket's Arn and Arn/* (what enforceSSL renders).
  's3_bucket_ssl_requests_only.json#7': {
    ours: 'FAIL',
    why: "statement EnforceTls has Resource '*', not the bucket's Arn and Arn/* that S3.4 requires",
  },
  's3_bucket_ssl_requests_only.json#8': {
    ours: 'FAIL',
    why: "statement EnforceTls has Resource '*', not the bucket's Arn and Arn/* that S3.4 requires (DeleteProtection has no aws:SecureTransport condition)",
  },
  // The guard rule selects only groups with a tcp 22-22 entry; EC2.1 judges every security group.
  'restricted_ssh.json#2': {
    ours: 'PASS',
    why: 'the only ingress entry has no IpProtocol (its key is spelled IpProtocol"), which CloudFormation requires, so it is no TCP or all-protocol rule; spelled right, tcp 0-65535 from 0.0.0.0/0 would FAIL EC2.1',
  },
  // Suspect registry label (see the fixture README).
  'encrypted_volumes.json#7': {
    ours: 'FAIL',
    why: 'Metadata key cfn-nag (hyphen) is no cfn_nag suppression, so the volume without Encrypted is a finding',
  },
  'codebuild_encryption_key_rule.json#2': {
    ours: 'FAIL',
    why: "EncryptionKey 'TestEncryptionKey' is a placeholder, not a KMS key id, ARN or alias",
  },
  'ebs_volume_encryption_key_rule.json#2': {
    ours: 'FAIL',
    why: "KmsKeyId 'testKey' is a placeholder, not a KMS key id, ARN or alias",
  },
  's3_bucket_server_side_encryption_enabled.json#3': {
    ours: 'FAIL',
    why: 'KMSMasterKeyID is a placeholder, not a KMS key id, ARN or alias',
  },
  's3_default_encryption_kms.json#3': {
    ours: 'FAIL',
    why: 'KMSMasterKeyID is a placeholder, not a KMS key id, ARN or alias',
  },
  'sqs_queue_kms_master_key_id_rule.json#2': {
    ours: 'FAIL',
    why: "KmsMasterKeyId 'TestKey' is a placeholder, not a KMS key id, ARN or alias",
  },
  // Retention: Logs.1 asks for at least 365 days, or none (never expire); the registry asks for one of its listed values.
  'cw_loggroup_retention_period_check.json#2': {
    ours: 'FAIL',
    why: 'RetentionInDays 7 is less than the 365 days Logs.1 requires (the registry accepts any value it lists)',
  },
  'cw_loggroup_retention_period_check.json#3': {
    ours: 'PASS',
    why: 'RetentionInDays 8675309 is at least 365; Logs.1 reads the number, not the values CloudFormation accepts (which rejects this one at deploy)',
  },
  'cw_loggroup_retention_period_check.json#4': {
    ours: 'PASS',
    why: 'a log group without RetentionInDays keeps its events forever, which Logs.1 accepts (the registry requires a retention)',
  },
  'db_instance_backup_enabled.json#2': {
    ours: 'FAIL',
    why: 'BackupRetentionPeriod 1 is less than the 7 days RDS.4 requires (the registry accepts 1 or more)',
  },
  // A suppression on a resource that complies: Guard skips the resource; a waiver of ours covers findings only.
  'cw_loggroup_retention_period_check.json#5': {
    ours: 'PASS',
    why: 'the log group without RetentionInDays complies with Logs.1 (never expire), so there is no finding for the guard suppression to waive',
  },
  'cw_loggroup_retention_period_check.json#6': {
    ours: 'PASS',
    why: 'the log group without RetentionInDays complies with Logs.1 (never expire), so there is no finding for the cfn_nag suppression to waive',
  },
  'dynamodb_pitr_enabled.json#2': {
    ours: 'PASS',
    why: 'the table has PointInTimeRecoveryEnabled true (despite the test name), so there is no finding for the guard suppression to waive',
  },
  'dynamodb_pitr_enabled.json#3': {
    ours: 'PASS',
    why: 'the table has PointInTimeRecoveryEnabled true (despite the test name), so there is no finding for the cfn_nag suppression to waive',
  },
};

const keyOf = (file: string, guardCase: GuardCase) => `${file}#${guardCase.index}`;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Guard's two suppression mechanisms on a resource, mapped to our acknowledgement of the finding:
 * `Metadata.guard.SuppressedRules` naming the guard rule, or `Metadata.cfn_nag.rules_to_suppress`
 * with one of the cfn_nag ids the guard rule honours.
 */
function guardSuppression(
  file: GuardFile,
  metadata: Record<string, unknown> | undefined,
): string | undefined {
  const guard = metadata?.guard;
  const suppressedRules = isObject(guard) ? guard.SuppressedRules : undefined;
  if (Array.isArray(suppressedRules) && suppressedRules.includes(file.guardRule)) {
    return `Metadata.guard.SuppressedRules names ${file.guardRule}`;
  }
  const cfnNag = metadata?.cfn_nag;
  const toSuppress = isObject(cfnNag) ? cfnNag.rules_to_suppress : undefined;
  const match = Array.isArray(toSuppress)
    ? toSuppress.find((rule) => isObject(rule) && file.cfnNagSuppressionIds.includes(String(rule.id)))
    : undefined;
  return match ? `Metadata.cfn_nag suppresses ${String(match.id)}: ${String(match.reason ?? '')}` : undefined;
}

/** The day the conformance cases' waivers are judged on (and expire). */
const GUARD_DAY = '2026-01-01';

function waiverFor(file: GuardFile, template: CfnTemplate) {
  return (subject: FindingSubject): Waiver | undefined => {
    const reason = guardSuppression(file, template.Resources?.[subject.logicalId]?.Metadata);
    return reason === undefined
      ? undefined
      : {
          id: subject.findingId,
          form: 'bare',
          reason,
          // The guard's suppressions are read as waivers that keep the default policy on GUARD_DAY.
          ticket: 'GUARD-1',
          expires: GUARD_DAY,
          acknowledgedAt: subject.constructPath ?? `${subject.stackId}/${subject.logicalId}`,
        };
  };
}

/** Our evaluations of the case's template, limited to the resource types the guard rule selects (or we judge instead). */
function evaluateCase(file: GuardFile, guardCase: GuardCase, catalogue: Catalogue): Evaluation[] {
  return evaluate({
    catalogue,
    stacks: [stackTemplate(guardCase.template)],
    waiverFor: waiverFor(file, guardCase.template),
    today: GUARD_DAY,
  }).filter((evaluation) => judgedTypes(file).includes(evaluation.resourceType));
}

/** Guard's template-level result: SKIP with nothing in scope, FAIL on any finding, PASS otherwise. */
function templateResult(evaluations: readonly Evaluation[]): GuardResult {
  const judged = evaluations.filter((e) => e.status !== 'not-applicable' && e.status !== 'waived');
  if (judged.length === 0) return 'SKIP';
  return judged.some(isFinding) ? 'FAIL' : 'PASS';
}

/** The engine turns an exception in a rule into an unverifiable finding with this text. */
const RULE_CRASHED = /could not read this resource/;

interface Row {
  readonly file: string;
  readonly guardFile: GuardFile;
  readonly guardCase: GuardCase;
  readonly catalogue: Catalogue;
}

const ROWS: readonly Row[] = [...FILES].flatMap(([file, guardFile]) => {
  const catalogue = CATALOGUE_FOR_CONTROL.get(guardFile.control);
  if (!catalogue) return [];
  return guardFile.cases.map((guardCase) => ({ file, guardFile, guardCase, catalogue }));
});

describe('Guard Rules Registry conformance', () => {
  it('skips exactly the files listed in NOT_COVERED', () => {
    expect(FILES.size).toBeGreaterThan(0);
    const uncovered = [...FILES]
      .filter(([, f]) => !CATALOGUE_FOR_CONTROL.has(f.control))
      .map(([file]) => file);
    expect(uncovered.sort()).toEqual(Object.keys(NOT_COVERED).sort());
    // Should Firehose join the CMK rule, its fixture must be checked rather than stay listed.
    expect(customerManagedKeyEncryption.meta.resourceTypes).not.toContain(
      'AWS::KinesisFirehose::DeliveryStream',
    );
  });

  it('covers every resource type of each covered file with the mapped rule', () => {
    for (const [file, guardFile] of FILES) {
      const catalogue = CATALOGUE_FOR_CONTROL.get(guardFile.control);
      if (!catalogue) continue;
      const { resourceTypes } = ruleOf(catalogue).meta;
      expect({
        file,
        missing: judgedTypes(guardFile).filter((t) => !resourceTypes.includes(t)),
      }).toEqual({ file, missing: [] });
    }
  });

  it('lists only covered cases whose registry label differs, in INTENDED_DIFFERENCES', () => {
    const labels = new Map(ROWS.map((row) => [keyOf(row.file, row.guardCase), row.guardCase.expected]));
    const stale = Object.entries(INTENDED_DIFFERENCES)
      .filter(([key, difference]) => labels.get(key) === undefined || labels.get(key) === difference.ours)
      .map(([key]) => key);
    expect(stale).toEqual([]);
  });

  it('evaluates templates with dangling Fn::GetAtt targets without throwing', () => {
    const dangling = ROWS.filter((row) => (row.guardCase.unresolvedGetAtt ?? []).length > 0);
    expect(dangling.length).toBeGreaterThan(0);
    for (const { guardFile, guardCase, catalogue } of dangling) {
      for (const target of guardCase.unresolvedGetAtt ?? []) {
        expect(guardCase.template.Resources?.[target]).toBeUndefined();
      }
      // All our resource types, not only the guard rule's, meet the dangling references.
      let evaluations: Evaluation[] = [];
      expect(() => {
        evaluations = evaluate({
          catalogue,
          stacks: [stackTemplate(guardCase.template)],
          waiverFor: waiverFor(guardFile, guardCase.template),
          today: GUARD_DAY,
        });
      }).not.toThrow();
      expect(evaluations.filter((e) => RULE_CRASHED.test(e.reason ?? ''))).toEqual([]);
    }
  });

  it.each(
    ROWS.map((row): [string, Row] => [
      `${row.file} #${row.guardCase.index} ${row.guardCase.name}: expected ${row.guardCase.expected}`,
      row,
    ]),
  )('%s', (_title, { file, guardFile, guardCase, catalogue }) => {
    const evaluations = evaluateCase(guardFile, guardCase, catalogue);
    const outcome = {
      result: templateResult(evaluations),
      evaluations: evaluations.map(
        (e) => `${e.logicalId} (${e.resourceType}): ${e.status}${e.reason ? ` - ${e.reason}` : ''}`,
      ),
    };
    expect(outcome.evaluations.filter((line) => RULE_CRASHED.test(line))).toEqual([]);
    const intended = INTENDED_DIFFERENCES[keyOf(file, guardCase)];
    expect(outcome).toEqual({ ...outcome, result: intended ? intended.ours : guardCase.expected });
  });
});
