import {
  App,
  aws_dynamodb as dynamodb,
  aws_ecr as ecr,
  aws_iam as iam,
  aws_logs as logs,
  aws_rds as rds,
  aws_s3 as s3,
  CfnCondition,
  CfnParameter,
  CfnResource,
  Fn,
  Lazy,
  Stack,
} from 'aws-cdk-lib';
import { applyPropertySettings } from '../../src/declarative/fix';
import { CfnTemplate } from '../../src/engine/template';
import { renderResource } from '../../src/remediations/rendered';

type Build = (stack: Stack) => CfnResource;

const KEY_SCHEMA = [{ attributeName: 'id', keyType: 'HASH' }];
const PITR = 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled';

const cfnTable =
  (props: Partial<dynamodb.CfnTableProps> = {}, escapeHatch?: (table: dynamodb.CfnTable) => void): Build =>
  (stack) => {
    const table = new dynamodb.CfnTable(stack, 'Subject', { keySchema: KEY_SCHEMA, ...props });
    escapeHatch?.(table);
    return table;
  };

function l2Table(props: Partial<dynamodb.TableProps> = {}): Build {
  return (stack) =>
    new dynamodb.Table(stack, 'Subject', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      ...props,
    }).node.defaultChild as CfnResource;
}

/** Builds a real app, applies the fix to the resource `build` returns, and synthesizes it. */
function fixed(build: Build, settings: Record<string, unknown>) {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack');
  const resource = build(stack);
  const before = renderResource(resource)?.json;
  const result = applyPropertySettings(resource, settings);
  const template = app.synth().getStackByName('Stack').template as CfnTemplate;
  const rendered = template.Resources![stack.resolve(resource.logicalId) as string];
  return { resource, before, result, properties: rendered.Properties ?? {} };
}

/** The L1's typed property, as cdk-nag's own rules read it. */
function typed(resource: CfnResource, name: string): unknown {
  return Stack.of(resource).resolve((resource as unknown as Record<string, unknown>)[name]);
}

/** The escape-hatch overrides, which CfnResource keeps in a private field. */
function rawOverrides(resource: CfnResource): unknown {
  return (resource as unknown as { rawOverrides: unknown }).rawOverrides;
}

describe('applyPropertySettings', () => {
  it.each<[string, Build, Record<string, unknown>, Record<string, unknown>, string[]]>([
    [
      'a nested value in a structure not set (CfnTable PITR)',
      cfnTable(),
      { [PITR]: true },
      { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } },
      [`set ${PITR} to true`],
    ],
    [
      'a nested value next to a field the user set (kept)',
      cfnTable({
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false, recoveryPeriodInDays: 7 },
      }),
      { [PITR]: true },
      { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 } },
      [`set ${PITR} to true`],
    ],
    [
      'an L2 table (dynamodb.Table, PITR off) and a top-level value together',
      l2Table({ pointInTimeRecovery: false }),
      { [PITR]: true, DeletionProtectionEnabled: true },
      {
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      },
      [`set ${PITR} to true`, 'set DeletionProtectionEnabled to true'],
    ],
    [
      'an acronym in the names (SSESpecification, KMSMasterKeyId)',
      cfnTable(),
      { 'SSESpecification.SSEEnabled': true, 'SSESpecification.KMSMasterKeyId': 'alias/data' },
      { SSESpecification: { SSEEnabled: true, KMSMasterKeyId: 'alias/data' } },
      ['set SSESpecification.SSEEnabled to true', 'set SSESpecification.KMSMasterKeyId to alias/data'],
    ],
    [
      'an acronym field next to the fields the user set',
      cfnTable({ sseSpecification: { sseEnabled: false, sseType: 'KMS', kmsMasterKeyId: 'alias/mine' } }),
      { 'SSESpecification.SSEEnabled': true },
      { SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: 'alias/mine' } },
      ['set SSESpecification.SSEEnabled to true'],
    ],
    [
      'a top-level number an L2 set (logs.LogGroup RetentionInDays)',
      (stack) => new logs.LogGroup(stack, 'Subject').node.defaultChild as CfnResource,
      { RetentionInDays: 365 },
      { RetentionInDays: 365 },
      ['set RetentionInDays to 365'],
    ],
    [
      'a top-level boolean (rds.CfnDBInstance DeletionProtection)',
      (stack) =>
        new rds.CfnDBInstance(stack, 'Subject', {
          dbInstanceClass: 'db.t3.micro',
          deletionProtection: false,
        }),
      { DeletionProtection: true },
      { DeletionProtection: true, DBInstanceClass: 'db.t3.micro' },
      ['set DeletionProtection to true'],
    ],
    [
      'a top-level string on an L2 (ecr.Repository ImageTagMutability)',
      (stack) => new ecr.Repository(stack, 'Subject').node.defaultChild as CfnResource,
      { ImageTagMutability: 'IMMUTABLE' },
      { ImageTagMutability: 'IMMUTABLE' },
      ['set ImageTagMutability to IMMUTABLE'],
    ],
    [
      's3.Bucket public access block with fields the user set (kept)',
      (stack) =>
        new s3.Bucket(stack, 'Subject', {
          blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true, ignorePublicAcls: false }),
        }).node.defaultChild as CfnResource,
      {
        'PublicAccessBlockConfiguration.BlockPublicPolicy': true,
        'PublicAccessBlockConfiguration.RestrictPublicBuckets': true,
      },
      {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          IgnorePublicAcls: false,
          BlockPublicPolicy: true,
          RestrictPublicBuckets: true,
        },
      },
      [
        'set PublicAccessBlockConfiguration.BlockPublicPolicy to true',
        'set PublicAccessBlockConfiguration.RestrictPublicBuckets to true',
      ],
    ],
    [
      'an object value, merged field by field like dotted paths',
      (stack) =>
        new s3.Bucket(stack, 'Subject', {
          blockPublicAccess: new s3.BlockPublicAccess({ blockPublicAcls: true }),
        }).node.defaultChild as CfnResource,
      { PublicAccessBlockConfiguration: { BlockPublicPolicy: true } },
      { PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true } },
      ['set PublicAccessBlockConfiguration.BlockPublicPolicy to true'],
    ],
    [
      'a value already there is not set again, the others are',
      cfnTable({ deletionProtectionEnabled: true }),
      { DeletionProtectionEnabled: true, [PITR]: true },
      {
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      [`set ${PITR} to true`],
    ],
    [
      'a value its typed property refuses as an override, and the next in its typed property',
      cfnTable(),
      { DeletionProtectionEnabled: 'yes', [PITR]: true },
      {
        DeletionProtectionEnabled: 'yes',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      [
        "set DeletionProtectionEnabled to yes (as an escape-hatch override: the L1's typed deletionProtectionEnabled does not render DeletionProtectionEnabled)",
        `set ${PITR} to true`,
      ],
    ],
    [
      'a structure the L1 takes as raw JSON keeps its casing (IAM AssumeRolePolicyDocument)',
      (stack) =>
        new iam.CfnRole(stack, 'Subject', {
          assumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] },
        }),
      { 'AssumeRolePolicyDocument.Version': '2012-10-17' },
      {
        AssumeRolePolicyDocument: {
          Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }],
          Version: '2012-10-17',
        },
      },
      ['set AssumeRolePolicyDocument.Version to 2012-10-17'],
    ],
  ])('sets %s', (_name, build, settings, expected, changes) => {
    const { result, properties } = fixed(build, settings);
    expect(result).toEqual({ changes });
    expect(properties).toMatchObject(expected);
  });

  it.each<[string, Build, string, unknown]>([
    ['CfnTable PITR', cfnTable(), 'pointInTimeRecoverySpecification', { pointInTimeRecoveryEnabled: true }],
    [
      'dynamodb.Table PITR',
      l2Table({ pointInTimeRecovery: false }),
      'pointInTimeRecoverySpecification',
      { pointInTimeRecoveryEnabled: true },
    ],
    [
      'CfnTable PITR next to a field the user set',
      cfnTable({
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false, recoveryPeriodInDays: 7 },
      }),
      'pointInTimeRecoverySpecification',
      { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 7 },
    ],
  ])("cdk-nag's typed view sees the fix: %s", (_name, build, property, expected) => {
    const { resource } = fixed(build, { [PITR]: true });
    expect(resource).toBeInstanceOf(dynamodb.CfnTable);
    expect(typed(resource, property)).toEqual(expected);
  });

  it.each<[string, Build, Record<string, unknown>]>([
    ['CfnTable PITR', cfnTable(), { [PITR]: true }],
    [
      'dynamodb.Table PITR and deletion protection',
      l2Table(),
      { [PITR]: true, DeletionProtectionEnabled: true },
    ],
    [
      'logs.LogGroup retention',
      (stack) => new logs.LogGroup(stack, 'Subject').node.defaultChild as CfnResource,
      { RetentionInDays: 365 },
    ],
    [
      "a user's escape-hatch override on the path",
      cfnTable({}, (table) => table.addPropertyOverride(PITR, false)),
      { [PITR]: true },
    ],
    [
      'a property the L1 has no typed property for',
      (stack) => new CfnResource(stack, 'Subject', { type: 'AWS::DynamoDB::Table' }),
      { [PITR]: true },
    ],
  ])('applying twice changes nothing the second time: %s', (_name, build, settings) => {
    const app = new App({ builtinCloudFormationValidation: false });
    const resource = build(new Stack(app, 'Stack'));
    expect(applyPropertySettings(resource, settings)).toMatchObject({ changes: expect.any(Array) });
    const once = renderResource(resource)?.json;
    const overridesOnce = JSON.stringify(rawOverrides(resource));
    expect(applyPropertySettings(resource, settings)).toEqual({ changes: [] });
    expect(renderResource(resource)?.json).toEqual(once);
    expect(JSON.stringify(rawOverrides(resource))).toBe(overridesOnce);
  });

  it.each<[string, (table: dynamodb.CfnTable) => void, Record<string, unknown>]>([
    [
      'on the path itself',
      (table) => table.addPropertyOverride(PITR, false),
      { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    ],
    [
      'on the whole structure',
      (table) =>
        table.addPropertyOverride('PointInTimeRecoverySpecification', { PointInTimeRecoveryEnabled: false }),
      { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    ],
    [
      'on the path, next to an override of another field (kept)',
      (table) => {
        table.addPropertyOverride(PITR, false);
        table.addPropertyOverride('PointInTimeRecoverySpecification.RecoveryPeriodInDays', 14);
      },
      { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 14 },
    ],
    [
      'removing the value itself (addPropertyDeletionOverride)',
      (table) => table.addPropertyDeletionOverride(PITR),
      { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 },
    ],
  ])(
    "a user's escape-hatch override %s: the fix is in the template, the typed property and the override",
    (_n, hatch, expected) => {
      const { resource, result, properties } = fixed(
        cfnTable(
          {
            pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false, recoveryPeriodInDays: 7 },
            tableClass: 'STANDARD',
          },
          (table) => {
            hatch(table);
            table.addPropertyOverride('TableClass', 'STANDARD_INFREQUENT_ACCESS');
          },
        ),
        { [PITR]: true },
      );
      expect(result).toEqual({
        changes: [
          `set ${PITR} to true (in the typed property, and in the escape-hatch override of it that wins in the template)`,
        ],
      });
      expect(properties.PointInTimeRecoverySpecification).toEqual(expected);
      expect(properties.TableClass).toBe('STANDARD_INFREQUENT_ACCESS');
      expect(typed(resource, 'pointInTimeRecoverySpecification')).toMatchObject({
        pointInTimeRecoveryEnabled: true,
      });
    },
  );

  it.each<
    [string, Build, Record<string, unknown>, Record<string, unknown>, string, [string, unknown] | undefined]
  >([
    [
      'a resource without typed properties (CfnResource)',
      (stack) =>
        new CfnResource(stack, 'Subject', {
          type: 'AWS::DynamoDB::Table',
          properties: {
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false, RecoveryPeriodInDays: 7 },
          },
        }),
      { [PITR]: true },
      { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInDays: 7 } },
      `set ${PITR} to true (as an escape-hatch override: the L1 has no typed property for PointInTimeRecoverySpecification)`,
      undefined,
    ],
    [
      'a top-level property the L1 does not know',
      cfnTable(),
      { WarmThroughputSomeday: 5 },
      { WarmThroughputSomeday: 5, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] },
      'set WarmThroughputSomeday to 5 (as an escape-hatch override: the L1 has no typed property for WarmThroughputSomeday)',
      ['keySchema', KEY_SCHEMA],
    ],
    [
      "a field the L1's structure does not render",
      cfnTable({ pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }),
      { 'PointInTimeRecoverySpecification.RecoveryPeriodInHours': 12 },
      { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true, RecoveryPeriodInHours: 12 } },
      "set PointInTimeRecoverySpecification.RecoveryPeriodInHours to 12 (as an escape-hatch override: the L1's typed pointInTimeRecoverySpecification does not render PointInTimeRecoverySpecification.RecoveryPeriodInHours)",
      ['pointInTimeRecoverySpecification', { pointInTimeRecoveryEnabled: true }],
    ],
    [
      'a value of a type the L1 refuses (a string for a number)',
      (stack) => new logs.CfnLogGroup(stack, 'Subject', { retentionInDays: 7 }),
      { RetentionInDays: '365' },
      { RetentionInDays: '365' },
      "set RetentionInDays to 365 (as an escape-hatch override: the L1's typed retentionInDays does not render RetentionInDays)",
      ['retentionInDays', 7],
    ],
  ])(
    'falls back to an escape-hatch override, and says so: %s',
    (_name, build, settings, expected, change, kept) => {
      const { resource, result, properties } = fixed(build, settings);
      expect(result).toEqual({ changes: [change] });
      expect(properties).toMatchObject(expected);
      // The typed property is as it was: nothing it does not render is left in it.
      if (kept) expect(typed(resource, kept[0])).toEqual(kept[1]);
    },
  );

  it('a typed structure the user wrote in CloudFormation casing (which CDK drops) gets the value as an override', () => {
    const { resource, result, properties } = fixed(
      cfnTable({ pointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } as never }),
      { [PITR]: true },
    );
    expect(result).toEqual({
      changes: [
        `set ${PITR} to true (as an escape-hatch override: the L1's typed pointInTimeRecoverySpecification does not render ${PITR})`,
      ],
    });
    expect(properties.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(typed(resource, 'pointInTimeRecoverySpecification')).toEqual({
      PointInTimeRecoveryEnabled: false,
    });
  });

  const isCondition = (stack: Stack) =>
    new CfnCondition(stack, 'IsProd', { expression: Fn.conditionEquals('a', 'b') });

  it.each<[string, Build, Record<string, unknown>, string]>([
    [
      'an Fn::If for the whole structure',
      (stack) =>
        new dynamodb.CfnTable(stack, 'Subject', {
          keySchema: KEY_SCHEMA,
          pointInTimeRecoverySpecification: Fn.conditionIf(
            isCondition(stack).logicalId,
            { PointInTimeRecoveryEnabled: true },
            { PointInTimeRecoveryEnabled: false },
          ),
        }),
      { [PITR]: true },
      `PointInTimeRecoverySpecification is Fn::If, known only at deploy time: the fix does not overwrite it; set ${PITR} in code`,
    ],
    [
      'an Fn::If for the value itself',
      (stack) =>
        new dynamodb.CfnTable(stack, 'Subject', {
          keySchema: KEY_SCHEMA,
          pointInTimeRecoverySpecification: {
            pointInTimeRecoveryEnabled: Fn.conditionIf(isCondition(stack).logicalId, true, false),
          },
        }),
      { [PITR]: true },
      `${PITR} is Fn::If, known only at deploy time: the fix does not overwrite it; set ${PITR} in code`,
    ],
    [
      'a parameter for a top-level value',
      (stack) =>
        new logs.CfnLogGroup(stack, 'Subject', {
          retentionInDays: new CfnParameter(stack, 'Days', { type: 'Number' }).valueAsNumber,
        }),
      { RetentionInDays: 365 },
      'RetentionInDays is Ref Days, known only at deploy time: the fix does not overwrite it; set RetentionInDays in code',
    ],
    [
      'a Lazy structure in the typed property',
      cfnTable({
        pointInTimeRecoverySpecification: Lazy.any({
          produce: () => ({ pointInTimeRecoveryEnabled: false }),
        }),
      }),
      { [PITR]: true },
      `PointInTimeRecoverySpecification is a token (an intrinsic, or a value CDK computes at synth time): the fix does not overwrite it; set ${PITR} in code`,
    ],
    [
      "an Fn::If in the user's escape-hatch override",
      (stack) =>
        cfnTable({}, (table) =>
          table.addPropertyOverride(
            'PointInTimeRecoverySpecification',
            Fn.conditionIf(
              isCondition(stack).logicalId,
              { PointInTimeRecoveryEnabled: true },
              Fn.ref('AWS::NoValue'),
            ),
          ),
        )(stack),
      { [PITR]: true },
      `PointInTimeRecoverySpecification is Fn::If, known only at deploy time: the fix does not overwrite it; set ${PITR} in code`,
    ],
    [
      "a Lazy in the user's escape-hatch override",
      cfnTable({}, (table) =>
        table.addPropertyOverride(
          'PointInTimeRecoverySpecification',
          Lazy.any({ produce: () => ({ PointInTimeRecoveryEnabled: false }) }),
        ),
      ),
      { [PITR]: true },
      `the escape-hatch override of PointInTimeRecoverySpecification is a token (an intrinsic, or a value CDK computes at synth time): the fix does not overwrite it; set ${PITR} in code`,
    ],
    [
      'an escape-hatch override that removes the structure',
      cfnTable(
        { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false, recoveryPeriodInDays: 7 } },
        (table) => table.addPropertyDeletionOverride('PointInTimeRecoverySpecification'),
      ),
      { [PITR]: true },
      `an escape-hatch override removes PointInTimeRecoverySpecification (addPropertyDeletionOverride), which the fix would bring back: set ${PITR} in code`,
    ],
    [
      'a value where the structure belongs',
      cfnTable({}, (table) => table.addPropertyOverride('PointInTimeRecoverySpecification', 'on')),
      { [PITR]: true },
      "PointInTimeRecoverySpecification is 'on', not a structure the fix can set PointInTimeRecoveryEnabled in",
    ],
    [
      'a token in the way of one value: the others are not set either',
      (stack) =>
        new dynamodb.CfnTable(stack, 'Subject', {
          keySchema: KEY_SCHEMA,
          deletionProtectionEnabled: false,
          pointInTimeRecoverySpecification: Fn.conditionIf(isCondition(stack).logicalId, {}, {}),
        }),
      { DeletionProtectionEnabled: true, [PITR]: true },
      `PointInTimeRecoverySpecification is Fn::If, known only at deploy time: the fix does not overwrite it; set ${PITR} in code`,
    ],
  ])('not applied, the resource left as it was: %s', (_name, build, settings, reason) => {
    const { before, result, properties } = fixed(build, settings);
    expect(result).toEqual({ notApplied: reason });
    expect(properties).toEqual(before?.Properties ?? {});
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a list index',
      { 'Rules[0].Status': 'Enabled' },
      "the fix's path 'Rules[0].Status' is not a property path",
    ],
    ['an empty name', { 'A..B': true }, "the fix's path 'A..B' is not a property path"],
    ['no value', { DeletionProtectionEnabled: null }, 'the fix gives no value for DeletionProtectionEnabled'],
    [
      'an empty object',
      { SSESpecification: {} },
      'the fix sets SSESpecification to an empty object, which sets nothing',
    ],
    [
      'a value and a field inside it',
      { SSESpecification: { SSEEnabled: true }, 'SSESpecification.SSEEnabled': false },
      'the fix sets SSESpecification.SSEEnabled twice',
    ],
    [
      'a value and its structure',
      { 'SSESpecification.SSEEnabled': true, SSESpecification: 'on' },
      'the fix sets both SSESpecification.SSEEnabled and SSESpecification',
    ],
  ])("a mistake in the catalogue's fix is not applied: %s", (_name, settings, reason) => {
    const { before, result, properties } = fixed(cfnTable(), settings);
    expect(result).toEqual({ notApplied: reason });
    expect(properties).toEqual(before?.Properties);
  });
});
