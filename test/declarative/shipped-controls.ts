/**
 * The declarative controls of the shipped catalogue, each with the constructs that exercise it:
 * shared by the check tests (shipped-controls.test.ts) and the fix tests (shipped-fixes.test.ts).
 */
import {
  aws_apigateway as apigateway,
  aws_cloudtrail as cloudtrail,
  aws_codebuild as codebuild,
  aws_dynamodb as dynamodb,
  aws_ec2 as ec2,
  aws_ecr as ecr,
  aws_efs as efs,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_rds as rds,
  aws_s3 as s3,
  CfnCondition,
  CfnParameter,
  CfnResource,
  Duration,
  Fn,
  Stack,
  Token,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';

/** Builds the subject in `scope` and returns it: an L1, or an L2 holding one resource of the control's type. */
export type Build = (scope: Construct) => IConstruct;

/** A construct to judge, and the verdict (with the exact reason for a finding). */
export interface Case {
  readonly name: string;
  readonly build: Build;
  readonly status: 'compliant' | 'non-compliant' | 'unverifiable';
  readonly reason?: string;
}

/** A control's fix, shown on a non-compliant L2 with something else set by its user. */
export interface Fix {
  readonly build: Build;
  /** What the user set elsewhere on the fixed resource, as rendered: it must survive the fix. */
  readonly kept: Readonly<Record<string, unknown>>;
  /** What the fix renders, at property paths. */
  readonly fixed: Readonly<Record<string, unknown>>;
}

export interface ShippedControl {
  readonly id: string;
  readonly resourceType: string;
  /** A rating below the control's `appliesFrom`. */
  readonly below: string;
  /** The property path the generic cases set, as findings name it. */
  readonly property: string;
  /** An L1 with `value` at `property` (typed properties; an intrinsic passed as a token). */
  readonly l1: (scope: Construct, value: unknown) => CfnResource;
  /**
   * A compliant value at `property`, and a non-compliant one as the reason shows it; none for a
   * control that asks only that the property be set (`anyValueComplies`).
   */
  readonly good: unknown;
  readonly bad?: unknown;
  readonly badText?: string;
  /** Whether an absent `property` complies (a log group without retention keeps its events forever). */
  readonly absentComplies?: boolean;
  /**
   * Whether any value complies, one known only at deploy time included (`exists: true`): only an
   * absent `property` is a finding.
   */
  readonly anyValueComplies?: boolean;
  /** With `anyValueComplies`: except '' (a parameter or an import may be it; a reference never is). */
  readonly emptyIsRefused?: boolean;
  /**
   * Whether the control says only what the value must not be (`notEquals`): a reference to a
   * resource is then unverifiable, its deploy-time value (a name, an id) may be the forbidden one.
   */
  readonly forbidsOnly?: boolean;
  /** The control's own cases: L2 with the right prop, default L2, L2 with a wrong value, and more. */
  readonly cases: readonly Case[];
  /** The catalogue's fix; none for a control without one (its description says why). */
  readonly fix?: Fix;
}

/** The one resource of the control's type that the construct is or holds. */
export function subjectOf(control: ShippedControl, construct: IConstruct): CfnResource {
  const found = construct.node
    .findAll()
    .filter(
      (c): c is CfnResource => CfnResource.isCfnResource(c) && c.cfnResourceType === control.resourceType,
    );
  if (found.length !== 1)
    throw new Error(`${construct.node.path} holds ${found.length} ${control.resourceType}`);
  return found[0];
}

/** The L1 properties without which these resources do not render or deploy. */
const KEY_SCHEMA = {
  keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
  attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
  billingMode: 'PAY_PER_REQUEST',
};
const INSTANCE = { engine: 'postgres', dbInstanceClass: 'db.t3.micro', allocatedStorage: '20' };
const POSTGRES = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 });
const AURORA = rds.DatabaseClusterEngine.auroraPostgres({
  version: rds.AuroraPostgresEngineVersion.VER_16_4,
});

/** The stack's VPC, without NAT gateways: the databases and file systems need one, nothing else does. */
function vpcOf(scope: Construct): ec2.IVpc {
  const stack = Stack.of(scope);
  return (
    (stack.node.tryFindChild('Vpc') as ec2.IVpc | undefined) ??
    new ec2.Vpc(stack, 'Vpc', { natGateways: 0, maxAzs: 2 })
  );
}

/** The VPC and its isolated subnets, for a database. */
function inVpc(scope: Construct) {
  return { vpc: vpcOf(scope), vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED } };
}

function table(scope: Construct, props: Partial<dynamodb.TableProps> = {}): dynamodb.Table {
  return new dynamodb.Table(scope, 'Subject', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    ...props,
  });
}

/** A stack with a region, in the scope's App: a TableV2 with replicas in other regions needs one. */
function regionalStack(scope: Construct): Stack {
  return new Stack(Stack.of(scope).node.scope as Construct, 'Regional', {
    env: { account: '111111111111', region: 'eu-west-1' },
  });
}

function tableV2(scope: Construct, props: Partial<dynamodb.TablePropsV2> = {}): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, 'Subject', {
    partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    ...props,
  });
}

/** An L1 global table of these replicas, in eu-west-1, us-east-1 and ap-southeast-2 in turn. */
function globalTable(
  scope: Construct,
  ...replicas: Partial<dynamodb.CfnGlobalTable.ReplicaSpecificationProperty>[]
): dynamodb.CfnGlobalTable {
  const regions = ['eu-west-1', 'us-east-1', 'ap-southeast-2'];
  return new dynamodb.CfnGlobalTable(scope, 'Subject', {
    ...KEY_SCHEMA,
    streamSpecification: { streamViewType: 'NEW_AND_OLD_IMAGES' },
    replicas: replicas.map((replica, i) => ({ region: regions[i], ...replica })),
  });
}

function instance(scope: Construct, props: Partial<rds.DatabaseInstanceProps> = {}): rds.DatabaseInstance {
  return new rds.DatabaseInstance(scope, 'Subject', { engine: POSTGRES, ...inVpc(scope), ...props });
}

function cluster(scope: Construct, props: Partial<rds.DatabaseClusterProps> = {}): rds.DatabaseCluster {
  return new rds.DatabaseCluster(scope, 'Subject', {
    engine: AURORA,
    ...inVpc(scope),
    writer: rds.ClusterInstance.provisioned('Writer'),
    ...props,
  });
}

function fileSystem(scope: Construct, props: Partial<efs.FileSystemProps> = {}): efs.FileSystem {
  return new efs.FileSystem(scope, 'Subject', { vpc: vpcOf(scope), ...props });
}

function cfnInstance(scope: Construct, props: Partial<rds.CfnDBInstanceProps>): rds.CfnDBInstance {
  return new rds.CfnDBInstance(scope, 'Subject', { ...INSTANCE, ...props });
}

/**
 * An L1 Multi-AZ DB cluster (PostgreSQL, with a DBClusterInstanceClass): CDK has no L2 for one. In
 * the VPC's isolated subnets, so that a template the fix makes deploys as it validates.
 */
function multiAzCluster(scope: Construct, props: Partial<rds.CfnDBClusterProps> = {}): rds.CfnDBCluster {
  const subnets = new rds.SubnetGroup(scope, 'Subnets', {
    description: 'Multi-AZ DB cluster',
    ...inVpc(scope),
  });
  return new rds.CfnDBCluster(scope, 'Subject', {
    engine: 'postgres',
    dbClusterInstanceClass: 'db.m6gd.large',
    allocatedStorage: 100,
    storageType: 'io1',
    iops: 1000,
    masterUsername: 'postgres',
    manageMasterUserPassword: true,
    dbSubnetGroupName: subnets.subnetGroupName,
    ...props,
  });
}

/** A real Aurora cluster (aurora-postgresql, deletion protection on, CDK's default backup retention). */
export const auroraCluster: Build = (scope) => cluster(scope, { deletionProtection: true });

/** A condition on a parameter, for an Fn::If whose branches are both deployable. */
function condition(scope: Construct, id: string): CfnCondition {
  return new CfnCondition(scope, id, {
    expression: Fn.conditionEquals(new CfnParameter(scope, `${id}Value`).valueAsString, 'yes'),
  });
}

/** An instance that breaks RDS.1, RDS.3 and RDS.4 alike, unless the Aurora exemption applies to it. */
function unprotectedInstance(scope: Construct, props: Partial<rds.CfnDBInstanceProps>): rds.CfnDBInstance {
  return cfnInstance(scope, { multiAz: false, backupRetentionPeriod: 0, ...props });
}

const NOT_AURORA = "Engine is 'postgres' (it must match the pattern '^aurora')";

/** Why a Multi-AZ DB cluster (postgres, with a DBClusterInstanceClass) is not exempt as an Aurora cluster. */
const NOT_AURORA_CLUSTER = `${NOT_AURORA}; DBClusterInstanceClass is 'db.m6gd.large' (it must not be set)`;

/** The reason of an instance outside any cluster, for an instance control that also says `own`. */
const notInCluster = (own: string) =>
  `none of these holds: DBClusterIdentifier is not set (it must be set); ${NOT_AURORA}; ${own}`;

/**
 * The Aurora exemption of the instance controls (RDS.1, RDS.3, RDS.4): only an aurora engine with
 * a cluster identifier that is not empty is exempt. `own` is the control's own fault on
 * `unprotectedInstance` (multiAz false, backups off, no deletion protection).
 */
function auroraExemptionCases(own: string): Case[] {
  const aurora = { engine: 'aurora-postgresql' };
  return [
    {
      name: "a real Aurora cluster's writer instance",
      build: auroraCluster,
      status: 'compliant',
    },
    {
      name: 'L1 Aurora instance in a cluster (DBClusterIdentifier)',
      build: (scope) => unprotectedInstance(scope, { ...aurora, dbClusterIdentifier: 'orders' }),
      status: 'compliant',
    },
    {
      name: "L1 postgres instance with DBClusterIdentifier ''",
      build: (scope) => unprotectedInstance(scope, { dbClusterIdentifier: '' }),
      status: 'non-compliant',
      reason: `none of these holds: DBClusterIdentifier is '' (it must not be ''); ${NOT_AURORA}; ${own}`,
    },
    {
      name: 'L1 postgres instance with a DBClusterIdentifier',
      build: (scope) => unprotectedInstance(scope, { dbClusterIdentifier: 'orders' }),
      status: 'non-compliant',
      reason: `none of these holds: ${NOT_AURORA}; ${own}`,
    },
    {
      name: "L1 Aurora instance, DBClusterIdentifier '' when a condition is false",
      build: (scope) =>
        unprotectedInstance(scope, {
          ...aurora,
          dbClusterIdentifier: Fn.conditionIf(
            condition(scope, 'InCluster').logicalId,
            'orders',
            '',
          ).toString(),
        }),
      status: 'non-compliant',
      reason: `when condition InCluster is false: none of these holds: DBClusterIdentifier is '' (it must not be ''); ${own}`,
    },
    {
      name: "L1 Aurora instance, DBClusterIdentifier from a parameter with default ''",
      build: (scope) =>
        unprotectedInstance(scope, {
          ...aurora,
          dbClusterIdentifier: new CfnParameter(scope, 'ClusterId', { default: '' }).valueAsString,
        }),
      status: 'unverifiable',
      reason: `none of these is known to hold: DBClusterIdentifier comes from parameter ClusterId, which is only known at deploy time (it must not be ''); ${own}`,
    },
    {
      name: 'L1 instance in a cluster, Engine from a parameter',
      build: (scope) =>
        unprotectedInstance(scope, {
          engine: new CfnParameter(scope, 'Engine', { default: 'aurora-postgresql' }).valueAsString,
          dbClusterIdentifier: 'orders',
        }),
      status: 'unverifiable',
      reason: `none of these is known to hold: Engine comes from parameter Engine, which is only known at deploy time (it must match the pattern '^aurora'); ${own}`,
    },
  ];
}

function cfnTrail(scope: Construct, props: Partial<cloudtrail.CfnTrailProps> = {}): cloudtrail.CfnTrail {
  return new cloudtrail.CfnTrail(scope, 'Subject', { isLogging: true, s3BucketName: 'trail-logs', ...props });
}

/** A REST API with one method (CDK refuses one without), whose one stage has these options. */
function restApi(scope: Construct, deployOptions: apigateway.StageOptions = {}): apigateway.RestApi {
  const api = new apigateway.RestApi(scope, 'Subject', { deployOptions });
  api.root.addMethod('GET');
  api.root.addResource('items').addMethod('GET');
  return api;
}

function cfnStage(scope: Construct, props: Partial<apigateway.CfnStageProps>): apigateway.CfnStage {
  return new apigateway.CfnStage(scope, 'Subject', { restApiId: 'a1b2c3d4e5', stageName: 'prod', ...props });
}

/** Execution logging for every method of a stage, as CDK renders `deployOptions.loggingLevel`. */
const everyMethod = (loggingLevel: unknown): apigateway.CfnStage.MethodSettingProperty => ({
  resourcePath: '/*',
  httpMethod: '*',
  loggingLevel: loggingLevel as string,
});

/** The reason of a method setting without LoggingLevel: it breaks both tests of APIGateway.1. */
const unsetLevel = (index: number) =>
  `${NOT_SET(`MethodSettings[${index}].LoggingLevel`, 'set')}; ` +
  NOT_SET(`MethodSettings[${index}].LoggingLevel`, "one of 'ERROR', 'INFO'");

/**
 * The reason of an API Gateway control on a stage: its own `fault`, then the alternatives that
 * judge a deployment making its stage (StageDescription.`property`), which a stage has not.
 */
const onStage = (fault: string, property = 'LoggingLevel', must = "one of 'ERROR', 'INFO'") =>
  `none of these holds: ${fault}; ${NOT_SET(`StageDescription.${property}`, must)}; ` +
  "StageName is 'prod' (it must not be set)";

/** A function with a URL of these options (the URL is the subject). */
function functionUrl(scope: Construct, options: lambda.FunctionUrlOptions = {}): lambda.Function {
  const fn = new lambda.Function(scope, 'Subject', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  fn.addFunctionUrl(options);
  return fn;
}

function project(scope: Construct, environment: codebuild.BuildEnvironment = {}): codebuild.Project {
  return new codebuild.Project(scope, 'Subject', {
    buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2', phases: { build: { commands: ['make'] } } }),
    environment,
  });
}

function cfnProject(scope: Construct, privilegedMode: unknown): codebuild.CfnProject {
  return new codebuild.CfnProject(scope, 'Subject', {
    artifacts: { type: 'NO_ARTIFACTS' },
    source: { type: 'NO_SOURCE', buildSpec: 'version: 0.2' },
    serviceRole: 'arn:aws:iam::111111111111:role/build',
    environment: {
      type: 'LINUX_CONTAINER',
      computeType: 'BUILD_GENERAL1_SMALL',
      image: 'aws/codebuild/standard:7.0',
      privilegedMode: privilegedMode as boolean,
    },
  });
}

/** A lifecycle policy that keeps the last 10 images, as CDK renders `lifecycleRules`. */
const KEEP_TEN = [{ maxImageCount: 10 }];
const KEEP_TEN_TEXT = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 10 },
      action: { type: 'expire' },
    },
  ],
});

/** The resource with `value` at `path` as written, past the L1's types: a string where CloudFormation reads a boolean. */
function withOverride<T extends CfnResource>(resource: T, path: string, value: unknown): T {
  resource.addPropertyOverride(path, value);
  return resource;
}

const NOT_SET = (property: string, must: string) => `${property} is not set (it must be ${must})`;

export const SHIPPED_CONTROLS: readonly ShippedControl[] = [
  /*
   * APIGateway.1 reads a list (MethodSettings[*].LoggingLevel): the generic intrinsic cases put their
   * value at the first method setting (MethodSettings[0]), where the list path reads it, so none is
   * skipped; what only a list has (no element, a second element) is in the cases below. No fix (see
   * the catalogue): shipped-fixes.test.ts shows the finding stays.
   */
  {
    id: 'APIGateway.1',
    resourceType: 'AWS::ApiGateway::Stage',
    below: 'C3I1A3',
    property: 'MethodSettings[0].LoggingLevel',
    l1: (scope, value) => cfnStage(scope, { methodSettings: [everyMethod(value)] }),
    good: 'ERROR',
    bad: 'OFF',
    badText: "'OFF'",
    cases: [
      {
        name: 'L2 with loggingLevel INFO',
        build: (scope) => restApi(scope, { loggingLevel: apigateway.MethodLoggingLevel.INFO }),
        status: 'compliant',
      },
      {
        name: 'L2 with loggingLevel ERROR',
        build: (scope) => restApi(scope, { loggingLevel: apigateway.MethodLoggingLevel.ERROR }),
        status: 'compliant',
      },
      {
        name: 'L2 with loggingLevel ERROR and INFO on one method',
        build: (scope) =>
          restApi(scope, {
            loggingLevel: apigateway.MethodLoggingLevel.ERROR,
            methodOptions: { '/items/GET': { loggingLevel: apigateway.MethodLoggingLevel.INFO } },
          }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (no method settings)",
        build: (scope) => restApi(scope),
        status: 'non-compliant',
        reason: onStage(
          'MethodSettings is not set (every MethodSettings[*].LoggingLevel must be set, and there must be at least one)',
        ),
      },
      {
        name: 'L2 with loggingLevel OFF',
        build: (scope) => restApi(scope, { loggingLevel: apigateway.MethodLoggingLevel.OFF }),
        status: 'non-compliant',
        reason: onStage("MethodSettings[0].LoggingLevel is 'OFF' (it must be one of 'ERROR', 'INFO')"),
      },
      {
        name: 'L2 with loggingLevel INFO, OFF on one method',
        build: (scope) =>
          restApi(scope, {
            loggingLevel: apigateway.MethodLoggingLevel.INFO,
            methodOptions: { '/items/GET': { loggingLevel: apigateway.MethodLoggingLevel.OFF } },
          }),
        status: 'non-compliant',
        reason: onStage("MethodSettings[1].LoggingLevel is 'OFF' (it must be one of 'ERROR', 'INFO')"),
      },
      {
        name: 'L2 with metrics only (a method setting without LoggingLevel)',
        build: (scope) => restApi(scope, { metricsEnabled: true }),
        status: 'non-compliant',
        reason: onStage(unsetLevel(0)),
      },
      {
        name: 'L1 with an empty list of method settings',
        build: (scope) => cfnStage(scope, { methodSettings: [] }),
        status: 'non-compliant',
        reason: onStage(
          'MethodSettings is empty (every MethodSettings[*].LoggingLevel must be set, and there must be at least one)',
        ),
      },
      {
        name: 'L1 with a second method setting without LoggingLevel',
        build: (scope) =>
          cfnStage(scope, {
            methodSettings: [everyMethod('INFO'), { resourcePath: '/~1items', httpMethod: 'GET' }],
          }),
        status: 'non-compliant',
        reason: onStage(unsetLevel(1)),
      },
    ],
  },
  /* APIGateway.2 has no fix (see the catalogue): shipped-fixes.test.ts shows the finding stays. */
  {
    id: 'APIGateway.2',
    resourceType: 'AWS::ApiGateway::Stage',
    below: 'C3I2A3',
    property: 'TracingEnabled',
    l1: (scope, value) => cfnStage(scope, { tracingEnabled: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with tracingEnabled',
        build: (scope) => restApi(scope, { tracingEnabled: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => restApi(scope),
        status: 'non-compliant',
        reason: onStage(NOT_SET('TracingEnabled', 'true'), 'TracingEnabled', 'true'),
      },
      {
        name: 'L2 with tracingEnabled false',
        build: (scope) => restApi(scope, { tracingEnabled: false }),
        status: 'non-compliant',
        reason: onStage('TracingEnabled is false (it must be true)', 'TracingEnabled', 'true'),
      },
    ],
  },
  {
    id: 'CloudTrail.1',
    resourceType: 'AWS::CloudTrail::Trail',
    below: 'C3I1A3',
    property: 'EnableLogFileValidation',
    l1: (scope, value) => cfnTrail(scope, { enableLogFileValidation: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with enableFileValidation',
        build: (scope) => new cloudtrail.Trail(scope, 'Subject', { enableFileValidation: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (validation on)",
        build: (scope) => new cloudtrail.Trail(scope, 'Subject'),
        status: 'compliant',
      },
      {
        name: 'L2 with enableFileValidation false',
        build: (scope) => new cloudtrail.Trail(scope, 'Subject', { enableFileValidation: false }),
        status: 'non-compliant',
        reason: 'EnableLogFileValidation is false (it must be true)',
      },
      {
        name: 'L1 without EnableLogFileValidation',
        build: (scope) => cfnTrail(scope),
        status: 'non-compliant',
        reason: NOT_SET('EnableLogFileValidation', 'true'),
      },
    ],
    fix: {
      build: (scope) =>
        new cloudtrail.Trail(scope, 'Subject', { enableFileValidation: false, trailName: 'audit' }),
      kept: { TrailName: 'audit', IsLogging: true },
      fixed: { EnableLogFileValidation: true },
    },
  },
  {
    id: 'CloudTrail.2',
    resourceType: 'AWS::CloudTrail::Trail',
    below: 'C3I1A3',
    property: 'IsMultiRegionTrail',
    l1: (scope, value) => cfnTrail(scope, { isMultiRegionTrail: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with isMultiRegionTrail',
        build: (scope) => new cloudtrail.Trail(scope, 'Subject', { isMultiRegionTrail: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (every region)",
        build: (scope) => new cloudtrail.Trail(scope, 'Subject'),
        status: 'compliant',
      },
      {
        name: 'L2 with isMultiRegionTrail false',
        build: (scope) => new cloudtrail.Trail(scope, 'Subject', { isMultiRegionTrail: false }),
        status: 'non-compliant',
        reason: 'IsMultiRegionTrail is false (it must be true)',
      },
      {
        name: "L1 with IsMultiRegionTrail 'false' (CloudFormation reads it as false)",
        build: (scope) => withOverride(cfnTrail(scope), 'IsMultiRegionTrail', 'false'),
        status: 'non-compliant',
        reason: "IsMultiRegionTrail is 'false' (it must be true)",
      },
      {
        name: "L1 without IsMultiRegionTrail (CloudFormation's default: one region)",
        build: (scope) => cfnTrail(scope),
        status: 'non-compliant',
        reason: NOT_SET('IsMultiRegionTrail', 'true'),
      },
    ],
    fix: {
      build: (scope) =>
        new cloudtrail.Trail(scope, 'Subject', { isMultiRegionTrail: false, trailName: 'audit' }),
      kept: { TrailName: 'audit', IsLogging: true, IncludeGlobalServiceEvents: true },
      fixed: { IsMultiRegionTrail: true },
    },
  },
  /*
   * CloudTrail.3 asks only that KMSKeyId be set: any value complies, a parameter, an import or a
   * reference too (the generic intrinsic cases show it), so it has no non-compliant value and the
   * Fn::If case with one does not apply; its Fn::If with AWS::NoValue is a finding. No fix (see the
   * catalogue): shipped-fixes.test.ts shows the finding stays.
   */
  {
    id: 'CloudTrail.3',
    resourceType: 'AWS::CloudTrail::Trail',
    below: 'C1I3A3',
    property: 'KMSKeyId',
    // CfnTrail takes a key or a string here, so an intrinsic goes in as a string token.
    l1: (scope, value) => cfnTrail(scope, { kmsKeyId: Token.asString(value) }),
    good: 'alias/trail-logs',
    anyValueComplies: true,
    emptyIsRefused: true,
    cases: [
      {
        name: 'L2 with an encryptionKey',
        build: (scope) =>
          new cloudtrail.Trail(scope, 'Subject', { encryptionKey: new kms.Key(scope, 'TrailKey') }),
        status: 'compliant',
      },
      {
        // First: CloudTrail.2's fix changes it, so the no-fix test sees the remediations at work on it.
        name: 'L2 of one region without a key',
        build: (scope) => new cloudtrail.Trail(scope, 'Subject', { isMultiRegionTrail: false }),
        status: 'non-compliant',
        reason: NOT_SET('KMSKeyId', 'set'),
      },
      {
        name: "L2 with CDK's default (no key)",
        build: (scope) => new cloudtrail.Trail(scope, 'Subject'),
        status: 'non-compliant',
        reason: NOT_SET('KMSKeyId', 'set'),
      },
    ],
  },
  /* CodeBuild.3 has no fix (see the catalogue): shipped-fixes.test.ts shows the finding stays. */
  {
    id: 'CodeBuild.3',
    resourceType: 'AWS::CodeBuild::Project',
    below: 'C3I1A3',
    property: 'Environment.PrivilegedMode',
    l1: cfnProject,
    good: false,
    bad: true,
    badText: 'true',
    absentComplies: true,
    forbidsOnly: true,
    cases: [
      {
        name: 'L2 with privileged false',
        build: (scope) => project(scope, { privileged: false }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (PrivilegedMode false)",
        build: (scope) => project(scope),
        status: 'compliant',
      },
      {
        name: "L1 without PrivilegedMode (CloudFormation's default: false)",
        build: (scope) => cfnProject(scope, undefined),
        status: 'compliant',
      },
      {
        name: 'L2 with privileged',
        build: (scope) => project(scope, { privileged: true }),
        status: 'non-compliant',
        reason: 'Environment.PrivilegedMode is true (it must not be true)',
      },
      {
        name: "L1 with PrivilegedMode 'True' (CloudFormation reads it as true)",
        build: (scope) => withOverride(cfnProject(scope, false), 'Environment.PrivilegedMode', 'True'),
        status: 'non-compliant',
        reason: "Environment.PrivilegedMode is 'True' (it must not be true)",
      },
    ],
  },
  {
    id: 'DynamoDB.1',
    resourceType: 'AWS::DynamoDB::Table',
    below: 'C3I3A1',
    property: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled',
    l1: (scope, value) =>
      new dynamodb.CfnTable(scope, 'Subject', {
        ...KEY_SCHEMA,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: value as boolean },
      }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with point-in-time recovery',
        build: (scope) =>
          table(scope, { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => table(scope),
        status: 'non-compliant',
        reason: NOT_SET('PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', 'true'),
      },
      {
        name: 'L2 with point-in-time recovery off',
        build: (scope) =>
          table(scope, { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false } }),
        status: 'non-compliant',
        reason: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false (it must be true)',
      },
    ],
    fix: {
      build: (scope) =>
        table(scope, {
          tableClass: dynamodb.TableClass.STANDARD_INFREQUENT_ACCESS,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
        }),
      kept: { TableClass: 'STANDARD_INFREQUENT_ACCESS' },
      fixed: { 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled': true },
    },
  },
  {
    id: 'DynamoDB.2',
    resourceType: 'AWS::DynamoDB::Table',
    below: 'C3I3A2',
    property: 'DeletionProtectionEnabled',
    l1: (scope, value) =>
      new dynamodb.CfnTable(scope, 'Subject', { ...KEY_SCHEMA, deletionProtectionEnabled: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with deletionProtection',
        build: (scope) => table(scope, { deletionProtection: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => table(scope),
        status: 'non-compliant',
        reason: NOT_SET('DeletionProtectionEnabled', 'true'),
      },
      {
        name: 'L2 with deletionProtection false',
        build: (scope) => table(scope, { deletionProtection: false }),
        status: 'non-compliant',
        reason: 'DeletionProtectionEnabled is false (it must be true)',
      },
    ],
    fix: {
      build: (scope) =>
        table(scope, {
          deletionProtection: false,
          pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 14 },
        }),
      kept: {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 14 },
      },
      fixed: { DeletionProtectionEnabled: true },
    },
  },
  /*
   * DynamoDB.3 and DynamoDB.4 read a list (Replicas[*]). The generic intrinsic cases put their value
   * at the first replica's property (Replicas[0]), where the list path reads it, so none is skipped;
   * what only a list has (a second replica, an Fn::If over a whole replica) is in the cases below.
   * No fix (see the catalogue): shipped-fixes.test.ts shows the finding stays.
   */
  {
    id: 'DynamoDB.3',
    resourceType: 'AWS::DynamoDB::GlobalTable',
    below: 'C3I3A1',
    property: 'Replicas[0].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled',
    l1: (scope, value) =>
      globalTable(scope, {
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: value as boolean },
      }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'TableV2 with point-in-time recovery',
        build: (scope) =>
          tableV2(scope, { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }),
        status: 'compliant',
      },
      {
        name: 'TableV2 with point-in-time recovery and a replica in another region',
        build: (scope) =>
          tableV2(regionalStack(scope), {
            pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
            replicas: [{ region: 'us-east-1' }],
          }),
        status: 'compliant',
      },
      {
        name: "TableV2 with CDK's default",
        build: (scope) => tableV2(scope),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[0].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', 'true'),
      },
      {
        name: 'TableV2 with point-in-time recovery off',
        build: (scope) =>
          tableV2(scope, { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false } }),
        status: 'non-compliant',
        reason:
          'Replicas[0].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false (it must be true)',
      },
      {
        name: 'TableV2 with point-in-time recovery, off on its replica in another region',
        build: (scope) =>
          tableV2(regionalStack(scope), {
            pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
            replicas: [
              {
                region: 'us-east-1',
                pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false },
              },
            ],
          }),
        status: 'non-compliant',
        reason:
          'Replicas[0].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false (it must be true)',
      },
      {
        name: 'TableV2 with point-in-time recovery on its replica in another region only',
        build: (scope) =>
          tableV2(regionalStack(scope), {
            replicas: [
              { region: 'us-east-1', pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } },
            ],
          }),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[1].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', 'true'),
      },
      {
        name: 'L1 whose second replica has no point-in-time recovery',
        build: (scope) =>
          globalTable(scope, { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }, {}),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[1].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', 'true'),
      },
      {
        name: 'L1 whose second replica, there when a condition is true, has no point-in-time recovery',
        build: (scope) => {
          const subject = globalTable(scope, {
            pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
          });
          subject.addPropertyOverride(
            'Replicas.1',
            Fn.conditionIf(
              condition(scope, 'TwoRegions').logicalId,
              { Region: 'us-east-1' },
              Fn.ref('AWS::NoValue'),
            ),
          );
          return subject;
        },
        status: 'non-compliant',
        reason: `when condition TwoRegions is true: ${NOT_SET('Replicas[1].PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', 'true')}`,
      },
    ],
  },
  {
    id: 'DynamoDB.4',
    resourceType: 'AWS::DynamoDB::GlobalTable',
    below: 'C3I3A2',
    property: 'Replicas[0].DeletionProtectionEnabled',
    l1: (scope, value) => globalTable(scope, { deletionProtectionEnabled: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'TableV2 with deletionProtection',
        build: (scope) => tableV2(scope, { deletionProtection: true }),
        status: 'compliant',
      },
      {
        name: 'TableV2 with deletionProtection and a replica in another region',
        build: (scope) =>
          tableV2(regionalStack(scope), { deletionProtection: true, replicas: [{ region: 'us-east-1' }] }),
        status: 'compliant',
      },
      {
        name: "TableV2 with CDK's default",
        build: (scope) => tableV2(scope),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[0].DeletionProtectionEnabled', 'true'),
      },
      {
        name: 'TableV2 with deletionProtection false',
        build: (scope) => tableV2(scope, { deletionProtection: false }),
        status: 'non-compliant',
        reason: 'Replicas[0].DeletionProtectionEnabled is false (it must be true)',
      },
      {
        name: 'TableV2 with deletionProtection, off on its replica in another region',
        build: (scope) =>
          tableV2(regionalStack(scope), {
            deletionProtection: true,
            replicas: [{ region: 'us-east-1', deletionProtection: false }],
          }),
        status: 'non-compliant',
        reason: 'Replicas[0].DeletionProtectionEnabled is false (it must be true)',
      },
      {
        name: 'TableV2 with deletionProtection on its replica in another region only',
        build: (scope) =>
          tableV2(regionalStack(scope), { replicas: [{ region: 'us-east-1', deletionProtection: true }] }),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[1].DeletionProtectionEnabled', 'true'),
      },
      {
        name: 'L1 whose second replica has no deletion protection',
        build: (scope) => globalTable(scope, { deletionProtectionEnabled: true }, {}),
        status: 'non-compliant',
        reason: NOT_SET('Replicas[1].DeletionProtectionEnabled', 'true'),
      },
      {
        name: 'L1 whose replica is one of two under a condition, one without deletion protection',
        build: (scope) => {
          const subject = globalTable(scope, {});
          subject.addPropertyOverride(
            'Replicas.0',
            Fn.conditionIf(
              condition(scope, 'Protected').logicalId,
              { Region: 'eu-west-1', DeletionProtectionEnabled: true },
              { Region: 'eu-west-1' },
            ),
          );
          return subject;
        },
        status: 'non-compliant',
        reason: `when condition Protected is false: ${NOT_SET('Replicas[0].DeletionProtectionEnabled', 'true')}`,
      },
    ],
  },
  {
    id: 'ECR.1',
    resourceType: 'AWS::ECR::Repository',
    below: 'C3I1A3',
    property: 'ImageScanningConfiguration.ScanOnPush',
    l1: (scope, value) =>
      new ecr.CfnRepository(scope, 'Subject', {
        imageScanningConfiguration: { scanOnPush: value as boolean },
      }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with imageScanOnPush',
        build: (scope) => new ecr.Repository(scope, 'Subject', { imageScanOnPush: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => new ecr.Repository(scope, 'Subject'),
        status: 'non-compliant',
        reason: NOT_SET('ImageScanningConfiguration.ScanOnPush', 'true'),
      },
      {
        name: 'L2 with imageScanOnPush false',
        build: (scope) => new ecr.Repository(scope, 'Subject', { imageScanOnPush: false }),
        status: 'non-compliant',
        reason: 'ImageScanningConfiguration.ScanOnPush is false (it must be true)',
      },
    ],
    fix: {
      build: (scope) =>
        new ecr.Repository(scope, 'Subject', {
          repositoryName: 'app',
          imageTagMutability: ecr.TagMutability.IMMUTABLE,
        }),
      kept: { RepositoryName: 'app', ImageTagMutability: 'IMMUTABLE' },
      fixed: { 'ImageScanningConfiguration.ScanOnPush': true },
    },
  },
  {
    id: 'ECR.2',
    resourceType: 'AWS::ECR::Repository',
    below: 'C3I1A3',
    property: 'ImageTagMutability',
    l1: (scope, value) => new ecr.CfnRepository(scope, 'Subject', { imageTagMutability: value as string }),
    good: 'IMMUTABLE',
    bad: 'MUTABLE',
    badText: "'MUTABLE'",
    cases: [
      {
        name: 'L2 with immutable tags',
        build: (scope) =>
          new ecr.Repository(scope, 'Subject', { imageTagMutability: ecr.TagMutability.IMMUTABLE }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => new ecr.Repository(scope, 'Subject'),
        status: 'non-compliant',
        reason: NOT_SET('ImageTagMutability', "'IMMUTABLE'"),
      },
      {
        name: 'L2 with mutable tags',
        build: (scope) =>
          new ecr.Repository(scope, 'Subject', { imageTagMutability: ecr.TagMutability.MUTABLE }),
        status: 'non-compliant',
        reason: "ImageTagMutability is 'MUTABLE' (it must be 'IMMUTABLE')",
      },
    ],
    fix: {
      build: (scope) =>
        new ecr.Repository(scope, 'Subject', {
          imageTagMutability: ecr.TagMutability.MUTABLE,
          imageScanOnPush: true,
        }),
      kept: { ImageScanningConfiguration: { ScanOnPush: true } },
      fixed: { ImageTagMutability: 'IMMUTABLE' },
    },
  },
  /*
   * ECR.3 asks only that a lifecycle policy be set: any value complies (see CloudTrail.3). No fix
   * (see the catalogue): shipped-fixes.test.ts shows the finding stays.
   */
  {
    id: 'ECR.3',
    resourceType: 'AWS::ECR::Repository',
    below: 'C3I1A3',
    property: 'LifecyclePolicy.LifecyclePolicyText',
    l1: (scope, value) =>
      new ecr.CfnRepository(scope, 'Subject', { lifecyclePolicy: { lifecyclePolicyText: value as string } }),
    good: KEEP_TEN_TEXT,
    anyValueComplies: true,
    cases: [
      {
        name: 'L2 with lifecycleRules',
        build: (scope) => new ecr.Repository(scope, 'Subject', { lifecycleRules: KEEP_TEN }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => new ecr.Repository(scope, 'Subject'),
        status: 'non-compliant',
        reason: NOT_SET('LifecyclePolicy.LifecyclePolicyText', 'set'),
      },
      {
        name: 'L1 with a LifecyclePolicy of a RegistryId only',
        build: (scope) =>
          new ecr.CfnRepository(scope, 'Subject', { lifecyclePolicy: { registryId: '111111111111' } }),
        status: 'non-compliant',
        reason: NOT_SET('LifecyclePolicy.LifecyclePolicyText', 'set'),
      },
    ],
  },
  {
    id: 'EFS.1',
    resourceType: 'AWS::EFS::FileSystem',
    below: 'C3I3A1',
    property: 'BackupPolicy.Status',
    l1: (scope, value) =>
      new efs.CfnFileSystem(scope, 'Subject', { backupPolicy: { status: value as string } }),
    good: 'ENABLED',
    bad: 'DISABLED',
    badText: "'DISABLED'",
    cases: [
      {
        name: 'L2 with enableAutomaticBackups',
        build: (scope) => fileSystem(scope, { enableAutomaticBackups: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => fileSystem(scope),
        status: 'non-compliant',
        reason: NOT_SET('BackupPolicy.Status', "'ENABLED'"),
      },
      {
        name: 'L2 with enableAutomaticBackups false',
        build: (scope) => fileSystem(scope, { enableAutomaticBackups: false }),
        status: 'non-compliant',
        reason: NOT_SET('BackupPolicy.Status', "'ENABLED'"),
      },
    ],
    fix: {
      build: (scope) => fileSystem(scope, { performanceMode: efs.PerformanceMode.MAX_IO }),
      kept: { PerformanceMode: 'maxIO' },
      fixed: { 'BackupPolicy.Status': 'ENABLED' },
    },
  },
  /*
   * Lambda.2 has no fix (see the catalogue), and no control fixes a function URL: shipped-fixes.test.ts
   * shows the finding stays.
   */
  {
    id: 'Lambda.2',
    resourceType: 'AWS::Lambda::Url',
    below: 'C1I3A3',
    property: 'AuthType',
    l1: (scope, value) =>
      new lambda.CfnUrl(scope, 'Subject', {
        authType: value as string,
        targetFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:orders',
      }),
    good: 'AWS_IAM',
    bad: 'NONE',
    badText: "'NONE'",
    cases: [
      {
        name: 'L2 with authType AWS_IAM',
        build: (scope) => functionUrl(scope, { authType: lambda.FunctionUrlAuthType.AWS_IAM }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (AWS_IAM)",
        build: (scope) => functionUrl(scope),
        status: 'compliant',
      },
      {
        name: 'L2 with authType NONE',
        build: (scope) => functionUrl(scope, { authType: lambda.FunctionUrlAuthType.NONE }),
        status: 'non-compliant',
        reason: "AuthType is 'NONE' (it must be 'AWS_IAM')",
      },
      {
        name: "L1 with AuthType 'aws_iam' (not the value Lambda accepts)",
        build: (scope) =>
          new lambda.CfnUrl(scope, 'Subject', {
            authType: 'aws_iam',
            targetFunctionArn: 'arn:aws:lambda:eu-west-1:111111111111:function:orders',
          }),
        status: 'non-compliant',
        reason: "AuthType is 'aws_iam' (it must be 'AWS_IAM')",
      },
    ],
  },
  {
    id: 'Logs.1',
    resourceType: 'AWS::Logs::LogGroup',
    below: 'C3I1A1',
    property: 'RetentionInDays',
    l1: (scope, value) => new logs.CfnLogGroup(scope, 'Subject', { retentionInDays: value as number }),
    good: 400,
    bad: 7,
    badText: '7',
    absentComplies: true,
    cases: [
      {
        name: 'L2 with a retention of a year',
        build: (scope) => new logs.LogGroup(scope, 'Subject', { retention: logs.RetentionDays.ONE_YEAR }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (two years)",
        build: (scope) => new logs.LogGroup(scope, 'Subject'),
        status: 'compliant',
      },
      {
        name: 'L2 that never expires its events',
        build: (scope) => new logs.LogGroup(scope, 'Subject', { retention: logs.RetentionDays.INFINITE }),
        status: 'compliant',
      },
      {
        name: 'L1 without RetentionInDays (never expire)',
        build: (scope) => new logs.CfnLogGroup(scope, 'Subject', {}),
        status: 'compliant',
      },
      {
        name: 'L2 with a retention of a week',
        build: (scope) => new logs.LogGroup(scope, 'Subject', { retention: logs.RetentionDays.ONE_WEEK }),
        status: 'non-compliant',
        reason:
          'none of these holds: RetentionInDays is 7 (it must not be set); RetentionInDays is 7 (it must be at least 365)',
      },
      {
        name: 'L2 with a retention of six months',
        build: (scope) => new logs.LogGroup(scope, 'Subject', { retention: logs.RetentionDays.SIX_MONTHS }),
        status: 'non-compliant',
        reason:
          'none of these holds: RetentionInDays is 180 (it must not be set); RetentionInDays is 180 (it must be at least 365)',
      },
    ],
    fix: {
      build: (scope) =>
        new logs.LogGroup(scope, 'Subject', {
          retention: logs.RetentionDays.ONE_MONTH,
          logGroupName: '/app/audit',
        }),
      kept: { LogGroupName: '/app/audit' },
      fixed: { RetentionInDays: 365 },
    },
  },
  {
    id: 'RDS.1',
    resourceType: 'AWS::RDS::DBInstance',
    below: 'C3I3A2',
    property: 'DeletionProtection',
    l1: (scope, value) => cfnInstance(scope, { deletionProtection: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with deletionProtection',
        build: (scope) => instance(scope, { deletionProtection: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => instance(scope),
        status: 'non-compliant',
        reason: notInCluster(NOT_SET('DeletionProtection', 'true')),
      },
      {
        name: 'L2 with deletionProtection false',
        build: (scope) => instance(scope, { deletionProtection: false }),
        status: 'non-compliant',
        reason: notInCluster('DeletionProtection is false (it must be true)'),
      },
      ...auroraExemptionCases(NOT_SET('DeletionProtection', 'true')),
    ],
    fix: {
      build: (scope) => instance(scope, { deletionProtection: false, multiAz: true }),
      kept: { MultiAZ: true, Engine: 'postgres' },
      fixed: { DeletionProtection: true },
    },
  },
  {
    id: 'RDS.2',
    resourceType: 'AWS::RDS::DBCluster',
    below: 'C3I3A2',
    property: 'DeletionProtection',
    l1: (scope, value) =>
      new rds.CfnDBCluster(scope, 'Subject', {
        engine: 'aurora-postgresql',
        deletionProtection: value as boolean,
      }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with deletionProtection',
        build: auroraCluster,
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => cluster(scope),
        status: 'non-compliant',
        reason: NOT_SET('DeletionProtection', 'true'),
      },
      {
        name: 'L2 with deletionProtection false',
        build: (scope) => cluster(scope, { deletionProtection: false }),
        status: 'non-compliant',
        reason: 'DeletionProtection is false (it must be true)',
      },
    ],
    fix: {
      build: (scope) =>
        cluster(scope, { deletionProtection: false, backup: { retention: Duration.days(14) } }),
      kept: { BackupRetentionPeriod: 14, Engine: 'aurora-postgresql' },
      fixed: { DeletionProtection: true },
    },
  },
  {
    id: 'RDS.3',
    resourceType: 'AWS::RDS::DBInstance',
    below: 'C3I3A2',
    property: 'MultiAZ',
    l1: (scope, value) => cfnInstance(scope, { multiAz: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 with multiAz',
        build: (scope) => instance(scope, { multiAz: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => instance(scope),
        status: 'non-compliant',
        reason: notInCluster(NOT_SET('MultiAZ', 'true')),
      },
      {
        name: 'L2 with multiAz false',
        build: (scope) => instance(scope, { multiAz: false }),
        status: 'non-compliant',
        reason: notInCluster('MultiAZ is false (it must be true)'),
      },
      ...auroraExemptionCases('MultiAZ is false (it must be true)'),
    ],
    fix: {
      build: (scope) => instance(scope, { multiAz: false, deletionProtection: true }),
      kept: { DeletionProtection: true, Engine: 'postgres' },
      fixed: { MultiAZ: true },
    },
  },
  {
    id: 'RDS.4',
    resourceType: 'AWS::RDS::DBInstance',
    below: 'C3I3A1',
    property: 'BackupRetentionPeriod',
    l1: (scope, value) => cfnInstance(scope, { backupRetentionPeriod: value as number }),
    good: 7,
    bad: 1,
    badText: '1',
    cases: [
      {
        name: 'L2 with a backup retention of 7 days',
        build: (scope) => instance(scope, { backupRetention: Duration.days(7) }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (CloudFormation's one day)",
        build: (scope) => instance(scope),
        status: 'non-compliant',
        reason: notInCluster(NOT_SET('BackupRetentionPeriod', 'at least 7')),
      },
      {
        name: 'L2 with backups off',
        build: (scope) => instance(scope, { backupRetention: Duration.days(0) }),
        status: 'non-compliant',
        reason: notInCluster('BackupRetentionPeriod is 0 (it must be at least 7)'),
      },
      {
        name: 'L2 with a backup retention of 6 days',
        build: (scope) => instance(scope, { backupRetention: Duration.days(6) }),
        status: 'non-compliant',
        reason: notInCluster('BackupRetentionPeriod is 6 (it must be at least 7)'),
      },
      ...auroraExemptionCases('BackupRetentionPeriod is 0 (it must be at least 7)'),
    ],
    fix: {
      build: (scope) =>
        instance(scope, { backupRetention: Duration.days(1), preferredBackupWindow: '03:00-04:00' }),
      kept: { PreferredBackupWindow: '03:00-04:00', Engine: 'postgres' },
      fixed: { BackupRetentionPeriod: 7 },
    },
  },
  {
    id: 'RDS.5',
    resourceType: 'AWS::RDS::DBCluster',
    below: 'C3I3A1',
    property: 'BackupRetentionPeriod',
    l1: (scope, value) =>
      new rds.CfnDBCluster(scope, 'Subject', {
        engine: 'aurora-postgresql',
        backupRetentionPeriod: value as number,
      }),
    good: 7,
    bad: 1,
    badText: '1',
    cases: [
      {
        name: 'L2 with a backup retention of 7 days',
        build: (scope) => cluster(scope, { backup: { retention: Duration.days(7) } }),
        status: 'compliant',
      },
      {
        name: 'L2 with a backup retention of 35 days',
        build: (scope) => cluster(scope, { backup: { retention: Duration.days(35) } }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (CloudFormation's one day), deletion protection on",
        build: auroraCluster,
        status: 'non-compliant',
        reason: NOT_SET('BackupRetentionPeriod', 'at least 7'),
      },
      {
        name: 'L2 with a backup retention of 6 days',
        build: (scope) => cluster(scope, { backup: { retention: Duration.days(6) } }),
        status: 'non-compliant',
        reason: 'BackupRetentionPeriod is 6 (it must be at least 7)',
      },
    ],
    fix: {
      build: (scope) =>
        cluster(scope, {
          deletionProtection: true,
          backup: { retention: Duration.days(1), preferredWindow: '03:00-04:00' },
        }),
      kept: { DeletionProtection: true, PreferredBackupWindow: '03:00-04:00', Engine: 'aurora-postgresql' },
      fixed: { BackupRetentionPeriod: 7 },
    },
  },
  {
    id: 'RDS.6',
    resourceType: 'AWS::RDS::DBInstance',
    below: 'C1I3A3',
    property: 'PubliclyAccessible',
    l1: (scope, value) => cfnInstance(scope, { publiclyAccessible: value as boolean }),
    good: false,
    bad: true,
    badText: 'true',
    cases: [
      {
        name: 'L2 with publiclyAccessible false',
        build: (scope) => instance(scope, { publiclyAccessible: false }),
        status: 'compliant',
      },
      {
        name: "L2 in isolated subnets with CDK's default (CDK renders PubliclyAccessible false)",
        build: (scope) => instance(scope),
        status: 'compliant',
      },
      {
        name: "a real Aurora cluster's writer instance (CDK renders PubliclyAccessible false)",
        build: auroraCluster,
        status: 'compliant',
      },
      {
        name: "L2 in public subnets with CDK's default (CDK renders PubliclyAccessible true)",
        build: (scope) => instance(scope, { vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC } }),
        status: 'non-compliant',
        reason: 'PubliclyAccessible is true (it must be false)',
      },
      {
        name: 'L2 in isolated subnets with publiclyAccessible true',
        build: (scope) => instance(scope, { publiclyAccessible: true }),
        status: 'non-compliant',
        reason: 'PubliclyAccessible is true (it must be false)',
      },
      {
        name: "L1 without PubliclyAccessible (CloudFormation's default depends on the subnet group)",
        build: (scope) => cfnInstance(scope, {}),
        status: 'non-compliant',
        reason: NOT_SET('PubliclyAccessible', 'false'),
      },
      {
        name: 'L1 Aurora instance in a cluster without PubliclyAccessible (no Aurora exemption)',
        build: (scope) => cfnInstance(scope, { engine: 'aurora-postgresql', dbClusterIdentifier: 'orders' }),
        status: 'non-compliant',
        reason: NOT_SET('PubliclyAccessible', 'false'),
      },
    ],
    fix: {
      build: (scope) =>
        instance(scope, {
          vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
          instanceIdentifier: 'orders',
        }),
      kept: { DBInstanceIdentifier: 'orders', Engine: 'postgres' },
      fixed: { PubliclyAccessible: false },
    },
  },
  {
    id: 'RDS.7',
    resourceType: 'AWS::RDS::DBInstance',
    below: 'C3I1A3',
    property: 'AutoMinorVersionUpgrade',
    l1: (scope, value) => cfnInstance(scope, { autoMinorVersionUpgrade: value as boolean }),
    good: true,
    bad: false,
    badText: 'false',
    absentComplies: true,
    forbidsOnly: true,
    cases: [
      {
        name: 'L2 with autoMinorVersionUpgrade',
        build: (scope) => instance(scope, { autoMinorVersionUpgrade: true }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default (not set: CloudFormation's default takes them)",
        build: (scope) => instance(scope),
        status: 'compliant',
      },
      {
        name: "a real Aurora cluster's writer instance",
        build: auroraCluster,
        status: 'compliant',
      },
      {
        name: 'L2 with autoMinorVersionUpgrade false',
        build: (scope) => instance(scope, { autoMinorVersionUpgrade: false }),
        status: 'non-compliant',
        reason: 'AutoMinorVersionUpgrade is false (it must not be false)',
      },
      {
        name: 'an Aurora cluster whose writer has autoMinorVersionUpgrade false',
        build: (scope) =>
          cluster(scope, {
            writer: rds.ClusterInstance.provisioned('Writer', { autoMinorVersionUpgrade: false }),
          }).node.findChild('Writer'),
        status: 'non-compliant',
        reason: 'AutoMinorVersionUpgrade is false (it must not be false)',
      },
      {
        name: "L1 with AutoMinorVersionUpgrade 'False' (CloudFormation reads it as false)",
        build: (scope) => withOverride(cfnInstance(scope, {}), 'AutoMinorVersionUpgrade', 'False'),
        status: 'non-compliant',
        reason: "AutoMinorVersionUpgrade is 'False' (it must not be false)",
      },
    ],
    fix: {
      build: (scope) =>
        instance(scope, {
          autoMinorVersionUpgrade: false,
          preferredMaintenanceWindow: 'sun:03:00-sun:04:00',
        }),
      kept: { PreferredMaintenanceWindow: 'sun:03:00-sun:04:00', Engine: 'postgres' },
      fixed: { AutoMinorVersionUpgrade: true },
    },
  },
  {
    id: 'RDS.8',
    resourceType: 'AWS::RDS::DBCluster',
    below: 'C1I3A3',
    property: 'PubliclyAccessible',
    l1: (scope, value) => multiAzCluster(scope, { publiclyAccessible: value as boolean }),
    good: false,
    bad: true,
    badText: 'true',
    cases: [
      {
        name: 'L1 Multi-AZ DB cluster with PubliclyAccessible false',
        build: (scope) => multiAzCluster(scope, { publiclyAccessible: false }),
        status: 'compliant',
      },
      {
        name: "L1 Multi-AZ DB cluster without PubliclyAccessible (CloudFormation's default may be public)",
        build: (scope) => multiAzCluster(scope),
        status: 'non-compliant',
        reason: `none of these holds: ${NOT_AURORA_CLUSTER}; ${NOT_SET('PubliclyAccessible', 'false')}`,
      },
      {
        name: 'L1 Multi-AZ DB cluster with PubliclyAccessible true',
        build: (scope) => multiAzCluster(scope, { publiclyAccessible: true }),
        status: 'non-compliant',
        reason: `none of these holds: ${NOT_AURORA_CLUSTER}; PubliclyAccessible is true (it must be false)`,
      },
      {
        name: 'a real Aurora cluster (its instances carry PubliclyAccessible, judged by RDS.6)',
        build: auroraCluster,
        status: 'compliant',
      },
      {
        name: 'L1 Aurora cluster without PubliclyAccessible',
        build: (scope) => new rds.CfnDBCluster(scope, 'Subject', { engine: 'aurora-mysql' }),
        status: 'compliant',
      },
      {
        name: 'L1 cluster with an aurora engine and a DBClusterInstanceClass (not exempt)',
        build: (scope) => multiAzCluster(scope, { engine: 'aurora-postgresql' }),
        status: 'non-compliant',
        reason: `none of these holds: DBClusterInstanceClass is 'db.m6gd.large' (it must not be set); ${NOT_SET('PubliclyAccessible', 'false')}`,
      },
      {
        name: 'L1 cluster without Engine or DBClusterInstanceClass (not known to be Aurora)',
        build: (scope) => new rds.CfnDBCluster(scope, 'Subject', { snapshotIdentifier: 'orders-snapshot' }),
        status: 'non-compliant',
        reason: `none of these holds: Engine is not set (it must match the pattern '^aurora'); ${NOT_SET('PubliclyAccessible', 'false')}`,
      },
      {
        name: 'L1 cluster without DBClusterInstanceClass, Engine from a parameter',
        build: (scope) =>
          new rds.CfnDBCluster(scope, 'Subject', {
            engine: new CfnParameter(scope, 'Engine', { default: 'aurora-postgresql' }).valueAsString,
          }),
        status: 'unverifiable',
        reason: `none of these is known to hold: Engine comes from parameter Engine, which is only known at deploy time (it must match the pattern '^aurora'); ${NOT_SET('PubliclyAccessible', 'false')}`,
      },
    ],
    fix: {
      build: (scope) => multiAzCluster(scope, { publiclyAccessible: true, deletionProtection: true }),
      kept: { DeletionProtection: true, DBClusterInstanceClass: 'db.m6gd.large' },
      fixed: { PubliclyAccessible: false },
    },
  },
  {
    id: 'S3.3',
    resourceType: 'AWS::S3::Bucket',
    below: 'C1I3A3',
    property: 'PublicAccessBlockConfiguration.BlockPublicPolicy',
    l1: (scope, value) =>
      new s3.CfnBucket(scope, 'Subject', {
        publicAccessBlockConfiguration: {
          blockPublicAcls: true,
          blockPublicPolicy: value as boolean,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        },
      }),
    good: true,
    bad: false,
    badText: 'false',
    cases: [
      {
        name: 'L2 blocking all public access',
        build: (scope) =>
          new s3.Bucket(scope, 'Subject', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL }),
        status: 'compliant',
      },
      {
        name: "L2 with CDK's default",
        build: (scope) => new s3.Bucket(scope, 'Subject'),
        status: 'non-compliant',
        reason:
          'PublicAccessBlockConfiguration BlockPublicAcls, BlockPublicPolicy, IgnorePublicAcls and RestrictPublicBuckets are not set (each must be true)',
      },
      {
        name: 'L2 blocking public ACLs only',
        build: (scope) =>
          new s3.Bucket(scope, 'Subject', { blockPublicAccess: s3.BlockPublicAccess.BLOCK_ACLS }),
        status: 'non-compliant',
        reason:
          'PublicAccessBlockConfiguration BlockPublicPolicy and RestrictPublicBuckets are not set (each must be true)',
      },
      {
        name: 'L2 with one setting false',
        build: (scope) =>
          new s3.Bucket(scope, 'Subject', {
            blockPublicAccess: new s3.BlockPublicAccess({
              blockPublicAcls: true,
              blockPublicPolicy: true,
              ignorePublicAcls: true,
              restrictPublicBuckets: false,
            }),
          }),
        status: 'non-compliant',
        reason: 'PublicAccessBlockConfiguration.RestrictPublicBuckets is false (it must be true)',
      },
    ],
    fix: {
      build: (scope) =>
        new s3.Bucket(scope, 'Subject', {
          blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true, blockPublicPolicy: false }),
          versioned: true,
        }),
      kept: { VersioningConfiguration: { Status: 'Enabled' } },
      fixed: {
        'PublicAccessBlockConfiguration.BlockPublicAcls': true,
        'PublicAccessBlockConfiguration.BlockPublicPolicy': true,
        'PublicAccessBlockConfiguration.IgnorePublicAcls': true,
        'PublicAccessBlockConfiguration.RestrictPublicBuckets': true,
      },
    },
  },
];
