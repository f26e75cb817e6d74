/**
 * The condition language of declarative controls, judged on hand-built templates: every operator,
 * CloudFormation's coercions, absent against set, paths through objects and lists, three-valued
 * logic, intrinsics read through the resolver, odd shapes, the words of each outcome, the static
 * problems, the schema, and a property test that nothing throws and no condition passes together
 * with its negation.
 */
import fc from 'fast-check';
import { createAjv } from '../../src/catalogue/ajv';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import {
  Condition,
  conditionProblems,
  conditionSchema,
  describeCondition,
  evaluateCondition,
  OPERATORS,
  pathsOf,
} from '../../src/declarative/condition';
import { parsePath, PATH_PATTERN } from '../../src/declarative/path';
import { TemplateResolver } from '../../src/engine/resolve';
import { CfnTemplate, StackTemplate } from '../../src/engine/template';

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stackOf(stackId: string, template: CfnTemplate, extra: Partial<StackTemplate> = {}): StackTemplate {
  return { stackId, template, rating: STRICTEST_RATING, ratingSource: 'props', ...ENV, ...extra };
}

/** The stack the subject lives in: parameters, mappings and resources to refer to. */
const MAIN = stackOf('Main', {
  Parameters: {
    Stage: { Type: 'String' },
    Days: { Type: 'Number', Default: 400 },
    Cidrs: { Type: 'CommaDelimitedList' },
  },
  Mappings: { Settings: { Prod: { Days: 400, Short: 7, Status: 'Enabled', Flag: 'True' } } },
  Resources: {
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Logs: { Type: 'AWS::S3::Bucket', Properties: {} },
    Custom: { Type: 'Custom::Thing', Properties: {} },
  },
});

/** Another stack in the same account and region, exporting values. */
const EXPORTER = stackOf('Exporter', {
  Resources: { SharedKey: { Type: 'AWS::KMS::Key', Properties: {} } },
  Outputs: {
    Days: { Value: 400, Export: { Name: 'shared-days' } },
    Status: { Value: 'Enabled', Export: { Name: 'shared-status' } },
    Key: { Value: { 'Fn::GetAtt': ['SharedKey', 'Arn'] }, Export: { Name: 'shared-key' } },
  },
});

/** A stack in another region exporting a name the main stack imports: CloudFormation would not resolve it. */
const ELSEWHERE = stackOf(
  'Elsewhere',
  { Outputs: { Status: { Value: 'Enabled', Export: { Name: 'elsewhere-status' } } } },
  { region: 'us-east-1' },
);

/** A parent stack and its nested stack, whose parameters the parent passes (or leaves to their default). */
const PARENT = stackOf('Parent', {
  Parameters: { ParentStage: { Type: 'String' } },
  Resources: {
    Child: {
      Type: 'AWS::CloudFormation::Stack',
      Properties: { Parameters: { Passed: 'Enabled', FromParent: { Ref: 'ParentStage' } } },
    },
  },
});
const CHILD = stackOf(
  'Parent/Child',
  {
    Parameters: {
      Passed: { Type: 'String' },
      FromParent: { Type: 'String' },
      Defaulted: { Type: 'String', Default: 'Enabled' },
    },
  },
  { parent: { stackId: 'Parent', logicalId: 'Child' } },
);

const RESOLVER = new TemplateResolver([MAIN, EXPORTER, ELSEWHERE, PARENT, CHILD]);

function check(condition: unknown, properties: Record<string, unknown>, stack: StackTemplate = MAIN) {
  return evaluateCondition(condition as Condition, properties, stack, RESOLVER);
}

type Row = [
  name: string,
  condition: unknown,
  properties: Record<string, unknown>,
  status: string,
  reason?: string,
];

/** Runs a table: each row's status, and its reason (exactly) when given. */
function expectRows(rows: Row[], stack: StackTemplate = MAIN) {
  const cases = rows.map(([name, condition, properties, status, reason]) => ({
    name,
    condition,
    properties,
    status,
    reason,
  }));
  it.each(cases)('$name', ({ condition, properties, status, reason }) => {
    const outcome = check(condition, properties, stack);
    expect(outcome.status).toBe(status);
    if (reason !== undefined) expect(outcome).toMatchObject({ reason });
  });
}

const NO_VALUE = { Ref: 'AWS::NoValue' };

describe('operators', () => {
  expectRows([
    ['exists: true, set', { path: 'A', exists: true }, { A: 1 }, 'pass'],
    ['exists: true, set to false', { path: 'A', exists: true }, { A: false }, 'pass'],
    ['exists: true, set to the empty string', { path: 'A', exists: true }, { A: '' }, 'pass'],
    ['exists: true, set to a mapping', { path: 'A', exists: true }, { A: {} }, 'pass'],
    ['exists: true, absent', { path: 'A', exists: true }, {}, 'fail', 'A is not set (it must be set)'],
    ['exists: true, null', { path: 'A', exists: true }, { A: null }, 'fail', 'A is not set (it must be set)'],
    ['exists: false, absent', { path: 'A', exists: false }, {}, 'pass'],
    ['exists: false, set', { path: 'A', exists: false }, { A: 1 }, 'fail', 'A is 1 (it must not be set)'],
    ['equals, same', { path: 'A', equals: 'Enabled' }, { A: 'Enabled' }, 'pass'],
    [
      'equals, other case',
      { path: 'A', equals: 'Enabled' },
      { A: 'ENABLED' },
      'fail',
      "A is 'ENABLED' (it must be 'Enabled')",
    ],
    ['equals, absent', { path: 'A', equals: 'Enabled' }, {}, 'fail', "A is not set (it must be 'Enabled')"],
    [
      'notEquals, the value',
      { path: 'CidrIp', notEquals: '0.0.0.0/0' },
      { CidrIp: '0.0.0.0/0' },
      'fail',
      "CidrIp is '0.0.0.0/0' (it must not be '0.0.0.0/0')",
    ],
    [
      'notEquals, another value',
      { path: 'CidrIp', notEquals: '0.0.0.0/0' },
      { CidrIp: '10.0.0.0/8' },
      'pass',
    ],
    ['notEquals, absent', { path: 'CidrIp', notEquals: '0.0.0.0/0' }, {}, 'pass'],
    ['in, listed', { path: 'A', in: ['a', 'b'] }, { A: 'b' }, 'pass'],
    [
      'in, not listed',
      { path: 'A', in: ['a', 'b'] },
      { A: 'c' },
      'fail',
      "A is 'c' (it must be one of 'a', 'b')",
    ],
    ['in, absent', { path: 'A', in: ['a', 'b'] }, {}, 'fail', "A is not set (it must be one of 'a', 'b')"],
    [
      'notIn, listed',
      { path: 'A', notIn: ['a', 'b'] },
      { A: 'a' },
      'fail',
      "A is 'a' (it must not be one of 'a', 'b')",
    ],
    ['notIn, not listed', { path: 'A', notIn: ['a', 'b'] }, { A: 'c' }, 'pass'],
    ['notIn, absent', { path: 'A', notIn: ['a', 'b'] }, {}, 'pass'],
    [
      'matches, matching',
      { path: 'A', matches: '^arn:aws:kms:' },
      { A: 'arn:aws:kms:eu-west-1:1:key/x' },
      'pass',
    ],
    [
      'matches, not matching',
      { path: 'A', matches: '^arn:aws:kms:' },
      { A: 'alias/aws/s3' },
      'fail',
      "A is 'alias/aws/s3' (it must match the pattern '^arn:aws:kms:')",
    ],
    [
      'matches, absent',
      { path: 'A', matches: 'x' },
      {},
      'fail',
      "A is not set (it must match the pattern 'x')",
    ],
    ['matches, a number as text', { path: 'A', matches: '^3[0-9]$' }, { A: 35 }, 'pass'],
    ['matches, case-sensitive by default', { path: 'A', matches: '^prod$' }, { A: 'PROD' }, 'fail'],
    ['matches, (?i) for either case', { path: 'A', matches: '(?i)^prod$' }, { A: 'PROD' }, 'pass'],
    ['greaterThan, more', { path: 'A', greaterThan: 5 }, { A: 6 }, 'pass'],
    [
      'greaterThan, equal',
      { path: 'A', greaterThan: 5 },
      { A: 5 },
      'fail',
      'A is 5 (it must be more than 5)',
    ],
    [
      'greaterThanOrEqual, equal',
      { path: 'RetentionInDays', greaterThanOrEqual: 365 },
      { RetentionInDays: 365 },
      'pass',
    ],
    [
      'greaterThanOrEqual, less',
      { path: 'RetentionInDays', greaterThanOrEqual: 365 },
      { RetentionInDays: 7 },
      'fail',
      'RetentionInDays is 7 (it must be at least 365)',
    ],
    [
      'greaterThanOrEqual, absent',
      { path: 'RetentionInDays', greaterThanOrEqual: 365 },
      {},
      'fail',
      'RetentionInDays is not set (it must be at least 365)',
    ],
    ['lessThan, less', { path: 'A', lessThan: 10 }, { A: 9.5 }, 'pass'],
    ['lessThan, equal', { path: 'A', lessThan: 10 }, { A: 10 }, 'fail', 'A is 10 (it must be less than 10)'],
    ['lessThanOrEqual, equal', { path: 'A', lessThanOrEqual: 10 }, { A: 10 }, 'pass'],
    [
      'lessThanOrEqual, more',
      { path: 'A', lessThanOrEqual: 10 },
      { A: 11 },
      'fail',
      'A is 11 (it must be at most 10)',
    ],
    ['negative bounds', { path: 'A', greaterThan: -1 }, { A: 0 }, 'pass'],
  ]);
});

describe("CloudFormation's coercions", () => {
  it.each<[unknown, unknown, boolean]>([
    [true, true, true],
    [true, 'true', true],
    [true, 'True', true],
    [true, 'TRUE', true],
    [true, false, false],
    [true, 'false', false],
    [true, 'yes', false],
    [true, 1, false],
    [true, 'truthy', false],
    [false, 'False', true],
    [false, '', false],
    ['true', true, true],
    ['true', 'True', true],
    [35, 35, true],
    [35, '35', true],
    [35, '35.0', true],
    [35, '3.5e1', true],
    [35, '+35', true],
    [35, ' 35', false],
    [35, '0x23', false],
    [35, '35abc', false],
    [35, '', false],
    [35, true, false],
    [0, '-0', true],
    ['35', 35, true],
    ['35', '35.0', false],
    ['Enabled', 'enabled', false],
  ])('equals %p on %p: %p', (expected, actual, passes) => {
    expect(check({ path: 'A', equals: expected }, { A: actual }).status).toBe(passes ? 'pass' : 'fail');
    expect(check({ path: 'A', notEquals: expected }, { A: actual }).status).toBe(passes ? 'fail' : 'pass');
    expect(check({ path: 'A', in: ['other', expected] }, { A: actual }).status).toBe(
      passes ? 'pass' : 'fail',
    );
    expect(check({ path: 'A', notIn: ['other', expected] }, { A: actual }).status).toBe(
      passes ? 'fail' : 'pass',
    );
  });

  expectRows([
    [
      'a numeric string under a numeric operator',
      { path: 'A', greaterThanOrEqual: 365 },
      { A: '400' },
      'pass',
    ],
    [
      'a smaller numeric string',
      { path: 'A', greaterThanOrEqual: 365 },
      { A: '364' },
      'fail',
      "A is '364' (it must be at least 365)",
    ],
    [
      'a word under a numeric operator',
      { path: 'A', greaterThanOrEqual: 365 },
      { A: 'forever' },
      'fail',
      "A is 'forever', not a number (it must be at least 365)",
    ],
    [
      'a boolean under a numeric operator',
      { path: 'A', lessThan: 1 },
      { A: false },
      'fail',
      'A is false, not a number (it must be less than 1)',
    ],
    [
      'the empty string under a numeric operator',
      { path: 'A', lessThan: 1 },
      { A: '' },
      'fail',
      "A is '', not a number (it must be less than 1)",
    ],
    [
      'Infinity is not a number CloudFormation writes',
      { path: 'A', greaterThan: 1 },
      { A: Infinity },
      'fail',
    ],
    ['NaN is not a number', { path: 'A', lessThan: 1 }, { A: NaN }, 'fail'],
  ]);
});

describe('paths', () => {
  const ingress = (...cidrs: unknown[]) => ({ SecurityGroupIngress: cidrs.map((CidrIp) => ({ CidrIp })) });
  const noOpenIngress = { path: 'SecurityGroupIngress[*].CidrIp', notEquals: '0.0.0.0/0' };
  const someRuleEnabled = { not: { path: 'Rules[*].Status', notEquals: 'Enabled' } };

  expectRows([
    ['a nested property', { path: 'A.B.C', equals: 1 }, { A: { B: { C: 1 } } }, 'pass'],
    [
      'a nested property, its parent absent',
      { path: 'A.B.C', equals: 1 },
      {},
      'fail',
      'A.B.C is not set (it must be 1)',
    ],
    [
      'a nested property, its parent null',
      { path: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', equals: true },
      { PointInTimeRecoverySpecification: null },
      'fail',
      'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not set (it must be true)',
    ],
    [
      'a nested property set false',
      { path: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', equals: true },
      { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } },
      'fail',
      'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false (it must be true)',
    ],
    ['[*], every element meets it', noOpenIngress, ingress('10.0.0.0/8', '192.168.0.0/16'), 'pass'],
    [
      '[*], an element without the property',
      noOpenIngress,
      { SecurityGroupIngress: [{ CidrIpv6: '::/0' }] },
      'pass',
    ],
    [
      '[*], the element at fault is named',
      noOpenIngress,
      ingress('10.0.0.0/8', '192.168.0.0/16', '0.0.0.0/0'),
      'fail',
      "SecurityGroupIngress[2].CidrIp is '0.0.0.0/0' (it must not be '0.0.0.0/0')",
    ],
    [
      '[*], every element at fault is listed, up to five',
      noOpenIngress,
      ingress(...Array(8).fill('0.0.0.0/0')),
      'fail',
      [0, 1, 2, 3, 4]
        .map((i) => `SecurityGroupIngress[${i}].CidrIp is '0.0.0.0/0' (it must not be '0.0.0.0/0')`)
        .join('; ') + '; and 3 more',
    ],
    ['[*], an empty list holds', noOpenIngress, { SecurityGroupIngress: [] }, 'pass'],
    ['[*], an absent list holds', noOpenIngress, {}, 'pass'],
    ['[*], a list under an absent parent holds', { path: 'A.B[*].C', equals: 1 }, {}, 'pass'],
    [
      '[*] with exists: true, an empty list fails',
      { path: 'SecurityGroupIngress[*].CidrIp', exists: true },
      { SecurityGroupIngress: [] },
      'fail',
      'SecurityGroupIngress is empty (every SecurityGroupIngress[*].CidrIp must be set, and there must be at least one)',
    ],
    [
      '[*] with exists: true, an absent list fails',
      { path: 'SecurityGroupIngress[*].CidrIp', exists: true },
      {},
      'fail',
      'SecurityGroupIngress is not set (every SecurityGroupIngress[*].CidrIp must be set, and there must be at least one)',
    ],
    [
      '[*] with exists: true, every element has it',
      { path: 'L[*].C', exists: true },
      { L: [{ C: 1 }, { C: 2 }] },
      'pass',
    ],
    [
      '[*] with exists: true, one element lacks it',
      { path: 'L[*].C', exists: true },
      { L: [{ C: 1 }, {}] },
      'fail',
      'L[1].C is not set (it must be set)',
    ],
    ['[*] with exists: false, an empty list holds', { path: 'L[*].C', exists: false }, { L: [] }, 'pass'],
    [
      '[*] with exists: false, one element has it',
      { path: 'L[*].C', exists: false },
      { L: [{}, { C: 1 }] },
      'fail',
      'L[1].C is 1 (it must not be set)',
    ],
    [
      'not over [*]: some element meets it',
      someRuleEnabled,
      { Rules: [{ Status: 'Disabled' }, { Status: 'Enabled' }] },
      'pass',
    ],
    [
      'not over [*]: no element meets it',
      someRuleEnabled,
      { Rules: [{ Status: 'Disabled' }, {}] },
      'fail',
      "no Rules[*].Status is 'Enabled': Rules[0].Status is 'Disabled' (it must be 'Enabled'); Rules[1].Status is not set (it must be 'Enabled')",
    ],
    [
      'not over [*]: an empty list fails',
      someRuleEnabled,
      { Rules: [] },
      'fail',
      "Rules is empty (some Rules[*].Status must be 'Enabled')",
    ],
    [
      'not over [*]: an absent list fails',
      someRuleEnabled,
      {},
      'fail',
      "Rules is not set (some Rules[*].Status must be 'Enabled')",
    ],
    [
      'not over [*] with exists: true: an empty list holds',
      { not: { path: 'L[*].C', exists: true } },
      { L: [] },
      'pass',
    ],
    [
      '[*][*], nested lists',
      { path: 'A[*].B[*].C', equals: 1 },
      { A: [{ B: [{ C: 1 }] }, { B: [] }, {}] },
      'pass',
    ],
    [
      '[*][*], the element at fault is named',
      { path: 'A[*].B[*].C', equals: 1 },
      { A: [{ B: [{ C: 1 }] }, { B: [{ C: 1 }, { C: 2 }] }] },
      'fail',
      'A[1].B[1].C is 2 (it must be 1)',
    ],
    ['[*] of a list of lists', { path: 'A[*][*]', in: [1, 2] }, { A: [[1], [2, 1]] }, 'pass'],
    [
      '[N], the element',
      { path: 'Rules[1].Status', equals: 'Enabled' },
      { Rules: [{}, { Status: 'Enabled' }] },
      'pass',
    ],
    [
      '[N], past the end',
      { path: 'Rules[2].Status', equals: 'Enabled' },
      { Rules: [{}, {}] },
      'fail',
      "Rules[2].Status is not set (it must be 'Enabled')",
    ],
    ['[N], exists: false past the end', { path: 'Rules[2]', exists: false }, { Rules: [{}, {}] }, 'pass'],
    ['[0] then [*]', { path: 'A[0].B[*]', equals: 'x' }, { A: [{ B: ['x', 'x'] }, { B: ['y'] }] }, 'pass'],
  ]);
});

describe('three-valued logic', () => {
  const PASS = { path: 'Yes', equals: true };
  const FAIL = { path: 'No', equals: true };
  const UNKNOWN = { path: 'Param', equals: true };
  const PROPERTIES = { Yes: true, No: false, Param: { Ref: 'Stage' } };
  const LEAVES = { pass: PASS, fail: FAIL, unknown: UNKNOWN } as const;
  type Value = keyof typeof LEAVES;
  const rank = { fail: 0, unknown: 1, pass: 2 } as const;
  const values: Value[] = ['pass', 'fail', 'unknown'];
  const pairs = values.flatMap((a) => values.map((b) => [a, b] as const));
  const min = (a: Value, b: Value) => (rank[a] <= rank[b] ? a : b);
  const max = (a: Value, b: Value) => (rank[a] >= rank[b] ? a : b);
  const swap = { pass: 'fail', fail: 'pass', unknown: 'unknown' } as const;

  it.each(values)('the leaf gives %s', (value) => {
    expect(check(LEAVES[value], PROPERTIES).status).toBe(value);
  });

  it.each(pairs)('all of %s and %s', (a, b) => {
    expect(check({ all: [LEAVES[a], LEAVES[b]] }, PROPERTIES).status).toBe(min(a, b));
  });

  it.each(pairs)('any of %s and %s', (a, b) => {
    expect(check({ any: [LEAVES[a], LEAVES[b]] }, PROPERTIES).status).toBe(max(a, b));
  });

  it.each(values)('not %s', (a) => {
    expect(check({ not: LEAVES[a] }, PROPERTIES).status).toBe(swap[a]);
    expect(check({ not: { not: LEAVES[a] } }, PROPERTIES).status).toBe(a);
  });

  it.each(pairs)('not (all of %s and %s), and not (any of them)', (a, b) => {
    expect(check({ not: { all: [LEAVES[a], LEAVES[b]] } }, PROPERTIES).status).toBe(swap[min(a, b)]);
    expect(check({ not: { any: [LEAVES[a], LEAVES[b]] } }, PROPERTIES).status).toBe(swap[max(a, b)]);
  });

  expectRows([
    [
      'all lists every failure',
      { all: [FAIL, { path: 'Missing', exists: true }] },
      PROPERTIES,
      'fail',
      'No is false (it must be true); Missing is not set (it must be set)',
    ],
    [
      'all says unset siblings that need one value once, in the place of the first',
      {
        all: [
          { path: 'Block.A', equals: true },
          FAIL,
          { path: 'Block.B', equals: true },
          { path: 'Block.C', equals: false },
          { path: 'Other.D', equals: true },
        ],
      },
      PROPERTIES,
      'fail',
      'Block A and B are not set (each must be true); No is false (it must be true); Block.C is not set (it must be false); Other.D is not set (it must be true)',
    ],
    [
      'any says what each alternative needed',
      { any: [FAIL, { path: 'Missing', exists: true }] },
      PROPERTIES,
      'fail',
      'none of these holds: No is false (it must be true); Missing is not set (it must be set)',
    ],
    [
      'any, one alternative unknown',
      { any: [FAIL, UNKNOWN] },
      PROPERTIES,
      'unknown',
      'none of these is known to hold: No is false (it must be true); Param comes from parameter Stage, which is only known at deploy time (it must be true)',
    ],
    [
      'not words the negated requirement',
      { not: PASS },
      PROPERTIES,
      'fail',
      'Yes is true (it must not be true)',
    ],
    [
      'not over a retention rule: the log group keeps logs forever or at least a year',
      {
        any: [
          { path: 'RetentionInDays', exists: false },
          { path: 'RetentionInDays', greaterThanOrEqual: 365 },
        ],
      },
      { RetentionInDays: 30 },
      'fail',
      'none of these holds: RetentionInDays is 30 (it must not be set); RetentionInDays is 30 (it must be at least 365)',
    ],
  ]);
});

describe('intrinsics, read through the resolver', () => {
  expectRows([
    [
      'Ref to a parameter is only known at deploy time',
      { path: 'A', equals: 'prod' },
      { A: { Ref: 'Stage' } },
      'unknown',
      "A comes from parameter Stage, which is only known at deploy time (it must be 'prod')",
    ],
    [
      "Ref to a parameter with a default: the deploy may pass another value, so it is unknown, not the default's verdict",
      { path: 'A', greaterThanOrEqual: 365 },
      { A: { Ref: 'Days' } },
      'unknown',
      'A comes from parameter Days, which is only known at deploy time (it must be at least 365)',
    ],
    [
      'a parameter under notEquals is unknown too',
      { path: 'A', notEquals: '0.0.0.0/0' },
      { A: { Ref: 'Stage' } },
      'unknown',
    ],
    [
      'a parameter under not is unknown too',
      { not: { path: 'A', equals: 'x' } },
      { A: { Ref: 'Stage' } },
      'unknown',
    ],
    ['exists: true on a parameter: it is set', { path: 'A', exists: true }, { A: { Ref: 'Stage' } }, 'pass'],
    [
      'exists: false on a parameter: it is set',
      { path: 'A', exists: false },
      { A: { Ref: 'Stage' } },
      'fail',
      'A is set, from parameter Stage (it must not be set)',
    ],
    [
      'exists: true on an import that does not resolve',
      { path: 'A', exists: true },
      { A: { 'Fn::ImportValue': 'missing' } },
      'pass',
    ],
    [
      'an Fn::If the engine left in place may be AWS::NoValue: exists: true is unknown',
      { path: 'A', exists: true },
      { A: { 'Fn::If': ['C7', 'x', NO_VALUE] } },
      'unknown',
      'A comes from Fn::If, which is only known at deploy time (it must be set)',
    ],
    [
      'an Fn::If left in place: exists: false is unknown',
      { path: 'A', exists: false },
      { A: { 'Fn::If': ['C7', 'x', NO_VALUE] } },
      'unknown',
    ],
    [
      'an intrinsic the resolver does not know: exists: true is unknown',
      { path: 'A', exists: true },
      { A: { 'Fn::Transform': {} } },
      'unknown',
    ],
    ['Ref AWS::NoValue is not set', { path: 'A', exists: false }, { A: NO_VALUE }, 'pass'],
    [
      'Ref to a resource is not a literal',
      { path: 'A', equals: 'my-bucket' },
      { A: { Ref: 'Logs' } },
      'fail',
      "A is a reference to AWS::S3::Bucket Logs, not a literal value (it must be 'my-bucket')",
    ],
    [
      'Ref to a resource under notIn: its deploy-time value may be one of the literals',
      { path: 'A', notIn: ['alias/aws/s3'] },
      { A: { Ref: 'Logs' } },
      'unknown',
      "A is a reference to AWS::S3::Bucket Logs, not a literal value: its value is made at deploy time and may be what it must not be (it must not be one of 'alias/aws/s3')",
    ],
    [
      "Ref to a resource under notEquals '': a reference is never empty",
      { path: 'A', notEquals: '' },
      { A: { Ref: 'Logs' } },
      'pass',
    ],
    ['Ref to a resource is set', { path: 'A', exists: true }, { A: { Ref: 'Logs' } }, 'pass'],
    [
      'Ref to a resource is not a number',
      { path: 'A', greaterThan: 1 },
      { A: { Ref: 'Logs' } },
      'fail',
      'A is a reference to AWS::S3::Bucket Logs, not a number (it must be more than 1)',
    ],
    [
      "Fn::GetAtt Arn under matches: the ARN's text is made at deploy time",
      { path: 'KMSMasterKeyID', matches: '^arn:aws:kms:' },
      { KMSMasterKeyID: { 'Fn::GetAtt': ['Key', 'Arn'] } },
      'unknown',
      "KMSMasterKeyID comes from the Arn of AWS::KMS::Key Key, which is only known at deploy time (it must match the pattern '^arn:aws:kms:')",
    ],
    [
      'Fn::GetAtt under equals',
      { path: 'A', equals: 'x' },
      { A: { 'Fn::GetAtt': 'Key.Arn' } },
      'fail',
      "A is a reference to the Arn of AWS::KMS::Key Key, not a literal value (it must be 'x')",
    ],
    [
      'Fn::ImportValue of an export no stack makes',
      { path: 'A', equals: 'Enabled' },
      { A: { 'Fn::ImportValue': 'missing' } },
      'unknown',
      "A comes from import of export missing, which is only known at deploy time (it must be 'Enabled')",
    ],
    [
      'Fn::ImportValue of an export from another region',
      { path: 'A', equals: 'Enabled' },
      { A: { 'Fn::ImportValue': 'elsewhere-status' } },
      'unknown',
    ],
    [
      'Fn::ImportValue resolved to a literal',
      { path: 'A', equals: 'Enabled' },
      { A: { 'Fn::ImportValue': 'shared-status' } },
      'pass',
    ],
    [
      'Fn::ImportValue resolved to a number',
      { path: 'A', lessThan: 365 },
      { A: { 'Fn::ImportValue': 'shared-days' } },
      'fail',
      'A is 400 (from Fn::ImportValue shared-days) (it must be less than 365)',
    ],
    [
      "Fn::ImportValue resolved to another stack's resource",
      { path: 'A', equals: 'x' },
      { A: { 'Fn::ImportValue': 'shared-key' } },
      'fail',
      "A is a reference to the Arn of AWS::KMS::Key SharedKey, not a literal value (it must be 'x')",
    ],
    [
      'Fn::FindInMap resolved',
      { path: 'A', greaterThanOrEqual: 365 },
      { A: { 'Fn::FindInMap': ['Settings', 'Prod', 'Days'] } },
      'pass',
    ],
    [
      'Fn::FindInMap resolved, too small',
      { path: 'A', greaterThanOrEqual: 365 },
      { A: { 'Fn::FindInMap': ['Settings', 'Prod', 'Short'] } },
      'fail',
      'A is 7 (from Fn::FindInMap) (it must be at least 365)',
    ],
    [
      'Fn::FindInMap resolved to a boolean word',
      { path: 'A', equals: true },
      { A: { 'Fn::FindInMap': ['Settings', 'Prod', 'Flag'] } },
      'pass',
    ],
    [
      'Fn::FindInMap with a deploy-time key',
      { path: 'A', equals: 'Enabled' },
      { A: { 'Fn::FindInMap': ['Settings', { Ref: 'Stage' }, 'Status'] } },
      'unknown',
    ],
    ['Fn::Join of literals', { path: 'A', equals: 'a-b' }, { A: { 'Fn::Join': ['-', ['a', 'b']] } }, 'pass'],
    [
      'Fn::Sub of a parameter',
      { path: 'A', matches: '^prod-' },
      { A: { 'Fn::Sub': 'prod-${Stage}' } },
      'unknown',
    ],
    ['Ref to a custom resource', { path: 'A', equals: 'x' }, { A: { Ref: 'Custom' } }, 'unknown'],
    [
      'Ref to a pseudo parameter known from the environment',
      { path: 'A', equals: 'eu-west-1' },
      { A: { Ref: 'AWS::Region' } },
      'pass',
    ],
    [
      'a parameter on the way',
      { path: 'A.B', equals: 1 },
      { A: { Ref: 'Stage' } },
      'unknown',
      'A comes from parameter Stage, which is only known at deploy time (A.B must be 1)',
    ],
    [
      'a list parameter under [*]',
      { path: 'Cidrs[*]', notEquals: '0.0.0.0/0' },
      { Cidrs: { Ref: 'Cidrs' } },
      'unknown',
      "Cidrs comes from parameter Cidrs, which is only known at deploy time (Cidrs[*] must not be '0.0.0.0/0')",
    ],
    [
      'an element from a parameter under [*]',
      { path: 'L[*]', notEquals: '0.0.0.0/0' },
      { L: ['10.0.0.0/8', { Ref: 'Stage' }] },
      'unknown',
    ],
    [
      'an element from a parameter under [*], another one failing',
      { path: 'L[*]', notEquals: '0.0.0.0/0' },
      { L: ['0.0.0.0/0', { Ref: 'Stage' }] },
      'fail',
    ],
    [
      '[N] behind an Fn::If left in place, which may remove itself and move the element',
      { path: 'L[1]', equals: 'ok' },
      { L: [{ 'Fn::If': ['C7', 'x', NO_VALUE] }, 'ok', 'bad'] },
      'unknown',
      "L[1] is not known at synth time: L[0] is an Fn::If that may remove itself from the list, which is only known at deploy time (it must be 'ok')",
    ],
    [
      '[N] before an Fn::If left in place',
      { path: 'L[0]', equals: 'ok' },
      { L: ['ok', { 'Fn::If': ['C7', 'x', NO_VALUE] }] },
      'pass',
    ],
    [
      '[*] over an Fn::If left in place',
      { path: 'L[*]', equals: 'ok' },
      { L: ['ok', { 'Fn::If': ['C7', 'bad', NO_VALUE] }] },
      'unknown',
    ],
  ]);

  describe('in a nested stack, a parameter is what the parent passes', () => {
    expectRows(
      [
        ['a literal the parent passes', { path: 'A', equals: 'Enabled' }, { A: { Ref: 'Passed' } }, 'pass'],
        [
          "the parent's own parameter",
          { path: 'A', equals: 'Enabled' },
          { A: { Ref: 'FromParent' } },
          'unknown',
          "A comes from parameter ParentStage, which is only known at deploy time (it must be 'Enabled')",
        ],
        [
          'the default, when the parent passes nothing',
          { path: 'A', equals: 'Enabled' },
          { A: { Ref: 'Defaulted' } },
          'pass',
        ],
      ],
      CHILD,
    );
  });
});

describe('odd shapes never throw, and fail naming the path', () => {
  const SHAPES: unknown[] = [
    null,
    0,
    -1,
    'text',
    true,
    [],
    [1],
    [null],
    [[1]],
    {},
    { B: null },
    { B: [] },
    { B: { C: {} } },
    { Ref: 5 },
    { Ref: ['Stage'] },
    { 'Fn::GetAtt': 7 },
    { 'Fn::GetAtt': ['Missing', 'Arn'] },
    { 'Fn::Join': 'x' },
    { 'Fn::If': 'x' },
    { 'Fn::Select': [0, { 'Fn::Split': [',', 'a,b'] }] },
    { 'Fn::Unknown': 1 },
    { Ref: 'Stage', Other: 1 },
    NO_VALUE,
    JSON.parse('{"__proto__": {"B": 1}}'),
    Object.assign(Object.create(null), { B: 1 }),
    Array(5000).fill({ B: 'x' }),
  ];
  const PATHS = ['A', 'A.B', 'A[*]', 'A[*].B', 'A[0]', 'A[0].B', 'A.B[*].C', 'A[*][*]'];
  const OPERATOR_VALUES: Record<string, unknown> = {
    exists: true,
    equals: 'x',
    notEquals: 'x',
    in: ['x', 1],
    notIn: ['x'],
    matches: 'x',
    greaterThan: 0,
    greaterThanOrEqual: 0,
    lessThan: 0,
    lessThanOrEqual: 0,
    onlyKeys: ['B'],
  };

  it('on every shape, path and operator, under not too', () => {
    for (const shape of SHAPES)
      for (const path of PATHS)
        // refersTo is read only inside referencedBy (scoped-and-related.test.ts).
        for (const operator of OPERATORS.filter((name) => name !== 'refersTo'))
          for (const condition of [
            { path, [operator]: OPERATOR_VALUES[operator] },
            { not: { path, [operator]: OPERATOR_VALUES[operator] } },
          ]) {
            const outcome = check(condition, { A: shape });
            expect(['pass', 'fail', 'unknown']).toContain(outcome.status);
            if (outcome.status !== 'pass') {
              expect(outcome.property).toMatch(/^A/);
              expect(outcome.reason.length).toBeGreaterThan(0);
            }
          }
  });

  expectRows([
    [
      'text where an object belongs',
      { path: 'A.B', equals: true },
      { A: 'text' },
      'fail',
      "A is 'text', not an object, so A.B cannot be read (it must be true)",
    ],
    [
      'a list where an object belongs',
      { path: 'A.B', equals: true },
      { A: [{ B: true }] },
      'fail',
      'A is [{"B":true}], not an object, so A.B cannot be read (it must be true)',
    ],
    [
      'an object where a list belongs',
      { path: 'A[*].B', equals: true },
      { A: { B: true } },
      'fail',
      'A is {"B":true}, not a list, so A[*].B cannot be read (it must be true)',
    ],
    [
      'a number where a list belongs',
      { path: 'A[0]', equals: 1 },
      { A: 1 },
      'fail',
      'A is 1, not a list, so A[0] cannot be read (it must be 1)',
    ],
    [
      'a reference where an object belongs',
      { path: 'A.B', exists: false },
      { A: { Ref: 'Logs' } },
      'fail',
      'A is a reference to AWS::S3::Bucket Logs, not an object, so A.B cannot be read (it must not be set)',
    ],
    [
      'a list where a single value belongs',
      { path: 'A', equals: 'x' },
      { A: ['x'] },
      'fail',
      'A is ["x"], not a single value (it must be \'x\')',
    ],
    [
      'an object under matches',
      { path: 'A', matches: '.*' },
      { A: {} },
      'fail',
      "A is {}, not a single value (it must match the pattern '.*')",
    ],
    [
      'a malformed value fails under not too',
      { not: { path: 'A', equals: 'x' } },
      { A: ['x'] },
      'fail',
      'A is ["x"], not a single value (it must not be \'x\')',
    ],
    ['under notEquals too', { path: 'A', notEquals: 'x' }, { A: ['y'] }, 'fail'],
    [
      'a path through text fails under not too',
      { not: { path: 'A.B', exists: true } },
      { A: 'text' },
      'fail',
    ],
    ['a non-number fails under not too', { not: { path: 'A', greaterThan: 5 } }, { A: 'many' }, 'fail'],
    [
      'a malformed element fails under not over [*] when no element meets it',
      { not: { path: 'L[*]', notEquals: 'x' } },
      { L: [['x']] },
      'fail',
    ],
    [
      'but another element may meet it',
      { not: { path: 'L[*]', notEquals: 'x' } },
      { L: [['x'], 'x'] },
      'pass',
    ],
    ['a huge list', { path: 'L[*].B', equals: 'x' }, { L: Array(20000).fill({ B: 'x' }) }, 'pass'],
  ]);
});

describe('bypasses', () => {
  expectRows([
    ...['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'].map((name): Row => [
      `'${name}' is not read from Object.prototype`,
      { path: name, exists: true },
      {},
      'fail',
      `${name} is not set (it must be set)`,
    ]),
    [
      'constructor.name is not read from Object.prototype',
      { path: 'constructor.name', equals: 'Object' },
      {},
      'fail',
    ],
    ['length of a list is not a property', { path: 'L.length', greaterThan: 0 }, { L: [1] }, 'fail'],
    [
      'an own __proto__ key, as JSON.parse makes it, is read',
      { path: '__proto__.B', equals: 1 },
      JSON.parse('{"__proto__": {"B": 1}}'),
      'pass',
    ],
    [
      "'*' as a name is refused, not looked up (which would pass notEquals)",
      { path: 'SecurityGroupIngress.*.CidrIp', notEquals: '0.0.0.0/0' },
      { SecurityGroupIngress: [{ CidrIp: '0.0.0.0/0' }] },
      'fail',
    ],
    [
      'an index written as a name is refused',
      { path: 'Rules.0.Status', notEquals: 'Disabled' },
      { Rules: [{ Status: 'Disabled' }] },
      'fail',
    ],
    [
      'a mistake in one alternative of any fails the whole condition, though another passes',
      {
        any: [
          { path: 'A', equals: 1 },
          { path: 'B', matches: '(?=x)' },
        ],
      },
      { A: 1 },
      'fail',
    ],
    ['a mistake under not fails too', { not: { path: 'A', in: 'x' } }, { A: 1 }, 'fail'],
    ["'all' of nothing would pass anything: refused", { all: [] }, {}, 'fail'],
    ["'notIn' of nothing would pass anything: refused", { path: 'A', notIn: [] }, { A: 1 }, 'fail'],
    ['two operators: refused', { path: 'A', equals: 1, notEquals: 1 }, { A: 2 }, 'fail'],
    ['an operator without a path: refused', { notEquals: 1 }, {}, 'fail'],
    ['not a condition at all', 'A equals 1', {}, 'fail'],
    ['null', null, {}, 'fail'],
  ]);

  it('an invalid condition fails with its mistakes as the reason', () => {
    expect(
      check(
        {
          all: [
            { path: 'A', equals: 1 },
            { path: 'B', matches: '(?=x)' },
          ],
        },
        { A: 1 },
      ),
    ).toEqual({
      status: 'fail',
      property: 'all.1.matches',
      reason: expect.stringMatching(
        /^the check's condition is invalid: matches is not a regular expression RE2 accepts: it uses a lookahead/,
      ),
    });
  });

  it('a condition nested a thousand deep (or cyclic) is refused, not a stack overflow', () => {
    let deep: unknown = { path: 'A', exists: true };
    for (let i = 0; i < 1000; i++) deep = { not: deep };
    expect(check(deep, {}).status).toBe('fail');
    const cyclic: { all: unknown[] } = { all: [] };
    cyclic.all.push(cyclic);
    expect(check(cyclic, {}).status).toBe('fail');
    expect(conditionProblems(cyclic as Condition)).toEqual([
      expect.objectContaining({ message: 'conditions are nested more than 32 deep' }),
    ]);
  });
});

describe('describeCondition', () => {
  it.each<[unknown, string]>([
    [
      { path: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled', equals: true },
      'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is true',
    ],
    [{ path: 'RetentionInDays', greaterThanOrEqual: 365 }, 'RetentionInDays is at least 365'],
    [{ path: 'A', greaterThan: 1 }, 'A is more than 1'],
    [{ path: 'A', lessThan: 1 }, 'A is less than 1'],
    [{ path: 'A', lessThanOrEqual: 1 }, 'A is at most 1'],
    [{ path: 'A', exists: true }, 'A is set'],
    [{ path: 'A', exists: false }, 'A is not set'],
    [{ path: 'ImageTagMutability', equals: 'IMMUTABLE' }, "ImageTagMutability is 'IMMUTABLE'"],
    [{ path: 'A', notEquals: 'x' }, "A is not 'x'"],
    [{ path: 'A', in: ['a', 1, true] }, "A is one of 'a', 1, true"],
    [{ path: 'A', notIn: ['a'] }, "A is not one of 'a'"],
    [{ path: 'A', matches: '^arn:' }, "A matches the pattern '^arn:'"],
    [{ not: { path: 'A', matches: '^arn:' } }, "A does not match the pattern '^arn:'"],
    [{ not: { not: { path: 'A', equals: 1 } } }, 'A is 1'],
    [
      { path: 'SecurityGroupIngress[*].CidrIp', notEquals: '0.0.0.0/0' },
      "every SecurityGroupIngress[*].CidrIp is not '0.0.0.0/0'",
    ],
    [{ path: 'L[*].C', exists: true }, 'every L[*].C is set, and there is at least one'],
    [{ not: { path: 'Rules[*].Status', notEquals: 'Enabled' } }, "some Rules[*].Status is 'Enabled'"],
    [{ not: { path: 'L[*].C', exists: true } }, 'some L[*].C is not set, or there is none'],
    [
      {
        all: [
          { path: 'A', equals: true },
          {
            any: [
              { path: 'R', exists: false },
              { path: 'R', greaterThanOrEqual: 365 },
            ],
          },
        ],
      },
      'all of: A is true; (any of: R is not set; R is at least 365)',
    ],
    [
      {
        not: {
          all: [
            { path: 'A', equals: 1 },
            { path: 'B', equals: 2 },
          ],
        },
      },
      'not (all of: A is 1; B is 2)',
    ],
    [{ path: 'A..B', equals: 1 }, 'an invalid condition'],
  ])('%j reads: %s', (condition, words) => {
    expect(describeCondition(condition as Condition)).toBe(words);
  });
});

describe('conditionProblems', () => {
  it.each<[string, unknown, Array<{ path: (string | number)[]; message: string | RegExp }>]>([
    [
      'a valid condition',
      { all: [{ path: 'A[*].B', in: [1, 'a', true] }, { not: { path: 'C', matches: '^x' } }] },
      [],
    ],
    [
      'a path that does not parse, where',
      { path: 'A..B', equals: 1 },
      [{ path: ['path'], message: "the path 'A..B' has an empty property name at character 3" }],
    ],
    [
      "'*' as a name",
      {
        any: [
          { path: 'A', exists: true },
          { path: 'Tags.*.Key', exists: true },
        ],
      },
      [
        {
          path: ['any', 1, 'path'],
          message:
            "the path 'Tags.*.Key' has '*' where a property name belongs at character 6 (write [*] after a list's name for every element)",
        },
      ],
    ],
    [
      'an index as a name',
      { path: 'Rules.0.Status', exists: true },
      [
        {
          path: ['path'],
          message:
            "the path 'Rules.0.Status' has '0' where a property name belongs at character 7 (write [0] after a list's name for one element)",
        },
      ],
    ],
    [
      'a bad index',
      { path: 'A[-1]', exists: true },
      [{ path: ['path'], message: /a bracket that is neither \[\*\] nor \[N\]/ }],
    ],
    [
      'an index with a leading zero',
      { path: 'A[01]', exists: true },
      [{ path: ['path'], message: /at character 2/ }],
    ],
    [
      'an index first',
      { path: '[0].A', exists: true },
      [{ path: ['path'], message: /a bracket where a property name belongs at character 1/ }],
    ],
    [
      'a trailing dot',
      { path: 'A.', exists: true },
      [{ path: ['path'], message: "the path 'A.' has no property name after the last dot at character 3" }],
    ],
    ['an empty path', { path: '', exists: true }, [{ path: ['path'], message: 'the path is empty' }]],
    [
      'a space',
      { path: 'A B', exists: true },
      [{ path: ['path'], message: /' ' where a '\.', '\[\*\]' or '\[N\]' belongs at character 2/ }],
    ],
    [
      'a path that is not text',
      { path: 5, exists: true },
      [{ path: ['path'], message: 'the path must be a string, not number 5' }],
    ],
    [
      'a regex RE2 refuses',
      { not: { path: 'A', matches: '(a)\\1' } },
      [
        {
          path: ['not', 'matches'],
          message: /^matches is not a regular expression RE2 accepts: it uses a backreference/,
        },
      ],
    ],
    [
      'in needs a list',
      { path: 'A', in: 'x' },
      [{ path: ['in'], message: "in must be a list of values, not string 'x'" }],
    ],
    [
      'notIn needs values',
      { path: 'A', notIn: [] },
      [{ path: ['notIn'], message: 'notIn must list at least one value' }],
    ],
    [
      'in needs scalars',
      { path: 'A', in: ['a', { b: 1 }] },
      [{ path: ['in'], message: 'in item 1 must be a string, a number or true/false, not a mapping' }],
    ],
    [
      'numeric operators need a number',
      { path: 'A', greaterThan: '5' },
      [{ path: ['greaterThan'], message: "greaterThan must be a number, not string '5'" }],
    ],
    [
      'exists needs a boolean',
      { path: 'A', exists: 'yes' },
      [{ path: ['exists'], message: "exists must be true or false, not string 'yes'" }],
    ],
    [
      'equals needs a single value',
      { path: 'A', equals: [1] },
      [{ path: ['equals'], message: 'equals must be a string, a number or true/false, not a list' }],
    ],
    [
      'equals needs a value',
      { path: 'A', equals: null },
      [{ path: ['equals'], message: 'equals must be a string, a number or true/false, not empty' }],
    ],
    [
      'no operator',
      { all: [{ path: 'A' }] },
      [
        {
          path: ['all', 0],
          message: /^a condition on a path needs one operator: exists, equals, notEquals, in, notIn, matches/,
        },
      ],
    ],
    [
      'two operators',
      { path: 'A', equals: 1, in: [1] },
      [
        {
          path: ['in'],
          message: "a condition has one operator, this one has equals and in; combine conditions with 'all'",
        },
      ],
    ],
    [
      'an operator without a path',
      { equals: 1 },
      [
        {
          path: [],
          message:
            'a condition with equals needs a path (only inside some, every or none may it judge the element itself)',
        },
      ],
    ],
    [
      'a typo',
      { path: 'A', equal: 1 },
      [{ path: ['equal'], message: "unknown key 'equal' in a condition (did you mean 'equals'?)" }],
    ],
    [
      'a misspelt path',
      { pth: 'A', equals: 1 },
      [
        { path: ['pth'], message: "unknown key 'pth' in a condition (did you mean 'path'?)" },
        {
          path: [],
          message:
            'a condition with equals needs a path (only inside some, every or none may it judge the element itself)',
        },
      ],
    ],
    [
      'an empty mapping',
      {},
      [
        {
          path: [],
          message: /^a condition needs all, any, not, referencedBy, or a path with one of: exists/,
        },
      ],
    ],
    [
      'all with a path',
      { all: [{ path: 'A', exists: true }], path: 'A' },
      [
        {
          path: ['path'],
          message: "'all' stands alone in its condition; 'path' belongs in a condition of its own",
        },
      ],
    ],
    [
      'all of nothing',
      { all: [] },
      [{ path: ['all'], message: "'all' of no conditions always holds; list at least one" }],
    ],
    [
      'any of nothing',
      { any: [] },
      [{ path: ['any'], message: "'any' of no conditions never holds; list at least one" }],
    ],
    [
      'all of a mapping',
      { all: { path: 'A' } },
      [{ path: ['all'], message: "'all' must be a list of conditions, not a mapping" }],
    ],
    [
      'not of a list',
      { not: [] },
      [{ path: ['not'], message: /^a condition must be a mapping .* not a list$/ }],
    ],
    [
      'several mistakes, each in its place',
      { all: [{ path: 'A..B', equals: 1 }, { any: [{ path: 'C', lessThan: 'x' }] }] },
      [
        { path: ['all', 0, 'path'], message: /empty property name/ },
        { path: ['all', 1, 'any', 0, 'lessThan'], message: /must be a number/ },
      ],
    ],
  ])('%s', (_name, condition, problems) => {
    expect(conditionProblems(condition as Condition)).toEqual(
      problems.map(({ path, message }) => ({
        path,
        message: typeof message === 'string' ? message : expect.stringMatching(message),
      })),
    );
  });
});

describe('conditionSchema', () => {
  const validate = createAjv().compile({
    $schema: 'http://json-schema.org/draft-07/schema#',
    definitions: conditionSchema(),
    $ref: '#/definitions/condition',
  });

  const VALID: unknown[] = [
    { path: 'A.B', equals: true },
    { path: 'A[*].B[0]', in: [1, 'a', false] },
    { path: 'aws:cdk:path', exists: true },
    { all: [{ path: 'A', exists: true }, { any: [{ not: { path: 'B', matches: '^x' } }] }] },
    ...OPERATORS.filter((operator) => operator !== 'refersTo').map((operator) => ({
      path: 'A',
      [operator]: { exists: false, in: ['a'], notIn: ['a'], matches: 'a', onlyKeys: ['a'] }[operator] ?? 1,
    })),
    { path: 'A', none: { path: 'B', equals: 1 } },
    { path: 'A', some: { equals: 1 } },
    { not: { path: 'A', every: { any: [{ in: [1] }, { path: 'B', exists: true }] } } },
    {
      referencedBy: {
        resourceType: 'AWS::S3::BucketPolicy',
        path: 'Bucket',
        require: { path: 'Resource', some: { refersTo: { attribute: 'Arn', suffix: '/*' } } },
      },
    },
  ];
  const INVALID: unknown[] = [
    {},
    { path: 'A' },
    { path: 'A', equals: 1, in: [1] },
    { path: 'A', some: { path: 'B', exists: true }, none: { path: 'B', exists: true } },
    { some: { path: 'B', exists: true } },
    { referencedBy: { resourceType: 'AWS::S3::BucketPolicy', path: 'Bucket' } },
    { referencedBy: { resourceType: 'S3', path: 'Bucket', require: { path: 'A', exists: true } } },
    { path: 'A', refersTo: { attribute: 1 } },
    { path: 'A', onlyKeys: 'Bool' },
    { path: 'A', equal: 1 },
    { all: [] },
    { all: [{ path: 'A', exists: true }], path: 'A' },
    { all: [{ path: 'A', exists: true }], any: [{ path: 'A', exists: true }] },
    { not: {} },
    { not: { path: 'A..B', equals: 1 } },
    { path: 'A.*', equals: 1 },
    { path: 'A.0', equals: 1 },
    { path: 'A[01]', equals: 1 },
    { path: '[0]', equals: 1 },
    { path: 'A', matches: '(?=a)' },
    { path: 'A', greaterThan: '5' },
    { path: 'A', in: [] },
    { path: 'A', in: [{}] },
    { path: 'A', exists: 'yes' },
    { path: 'A', equals: [1] },
    [],
  ];

  it.each(VALID)('accepts %j, as conditionProblems does', (condition) => {
    expect(validate(condition)).toBe(true);
    expect(conditionProblems(condition as Condition)).toEqual([]);
  });

  // Inside some/every/none an operator without a path is the element itself: the schema cannot tell where it stands.
  it('accepts an operator without a path, which conditionProblems refuses outside a scope', () => {
    expect(validate({ equals: 1 })).toBe(true);
    expect(conditionProblems({ equals: 1 } as unknown as Condition)).not.toEqual([]);
  });

  it.each(INVALID)('refuses %j, as conditionProblems does', (condition) => {
    expect(validate(condition)).toBe(false);
    expect(conditionProblems(condition as Condition)).not.toEqual([]);
  });

  it('describes every key, so editors complete each with its meaning', () => {
    const { condition } = conditionSchema() as {
      condition: { properties: Record<string, { description?: string }> };
    };
    expect(Object.keys(condition.properties).sort()).toEqual(
      [...OPERATORS, 'all', 'any', 'not', 'path', 'some', 'every', 'none', 'referencedBy'].sort(),
    );
    for (const [key, schema] of Object.entries(condition.properties))
      expect([key, schema.description]).toEqual([key, expect.any(String)]);
  });

  it.each([
    'A',
    'A.B',
    'A[*]',
    'A[0].B[12][*]',
    'Tags',
    'aws:cdk:path',
    'A-b_c/d',
    'A1.2B',
    'A.B[999999999]',
  ])("the schema's path pattern and the parser agree that %s is a path", (path) => {
    expect(parsePath(path).ok).toBe(true);
    expect(new RegExp(PATH_PATTERN, 'u').test(path)).toBe(true);
  });

  it.each([
    '',
    '.',
    'A.',
    '.A',
    'A..B',
    'A[',
    'A[]',
    'A[x]',
    'A[-1]',
    'A[01]',
    'A[1000000000]',
    'A.*',
    'A*',
    '*',
    'A.0',
    '0',
    'A.12.B',
    'A B',
    'A]',
    '[0]',
    'A[*]B',
  ])("the schema's path pattern and the parser agree that %j is not a path", (path) => {
    expect(parsePath(path).ok).toBe(false);
    expect(new RegExp(PATH_PATTERN, 'u').test(path)).toBe(false);
  });
});

describe('pathsOf', () => {
  it('lists every path once, in order', () => {
    const condition = {
      all: [
        { path: 'A.B', equals: 1 },
        { any: [{ path: 'C[*].D', exists: true }, { not: { path: 'A.B', notEquals: 2 } }] },
        { not: { path: 'E', matches: 'x' } },
      ],
    };
    expect(pathsOf(condition as Condition)).toEqual(['A.B', 'C[*].D', 'E']);
  });

  it('never throws on what is not a condition', () => {
    for (const raw of [null, 1, 'x', [], { all: 'x' }, { not: null }])
      expect(pathsOf(raw as unknown as Condition)).toEqual([]);
  });
});

describe('property: never throws, and no condition passes together with its negation', () => {
  const SEED = 20261110;
  const NAMES = ['A', 'B', 'Rules', 'Status'] as const;
  const REF_TARGETS = [
    'Stage',
    'Days',
    'Cidrs',
    'Key',
    'Logs',
    'Custom',
    'Missing',
    'AWS::NoValue',
    'AWS::Region',
  ];

  const words = fc.constantFrom('Enabled', 'true', 'True', 'false', '35', '0.0.0.0/0', '', 'abc');
  /** Values a condition may compare with: finite numbers only. */
  const scalar = fc.oneof(
    words,
    fc.boolean(),
    fc.integer({ min: -5, max: 400 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );
  /** Values a template may hold (NaN and Infinity too, though JSON has neither). */
  const anyScalar = fc.oneof(words, fc.boolean(), fc.integer({ min: -5, max: 400 }), fc.double());

  const objectOf = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }) =>
    fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

  const intrinsicOf = (tree: fc.Arbitrary<unknown>) =>
    fc.oneof(
      objectOf({ Ref: fc.oneof(fc.constantFrom(...REF_TARGETS), tree) }),
      objectOf({ 'Fn::GetAtt': fc.oneof(fc.constant(['Key', 'Arn']), fc.constant('Logs.Arn'), tree) }),
      objectOf({
        'Fn::ImportValue': fc.oneof(fc.constantFrom('shared-days', 'shared-key', 'missing'), tree),
      }),
      objectOf({ 'Fn::FindInMap': fc.oneof(fc.constant(['Settings', 'Prod', 'Days']), tree) }),
      objectOf({ 'Fn::If': fc.oneof(fc.tuple(fc.constant('C7'), tree, tree), tree) }),
      objectOf({
        'Fn::Join': fc.oneof(fc.tuple(fc.constantFrom('', ','), fc.array(tree, { maxLength: 3 })), tree),
      }),
      objectOf({ 'Fn::Sub': fc.oneof(fc.constant('x-${Stage}'), tree) }),
      fc.constant(NO_VALUE),
    );

  const value: fc.Arbitrary<unknown> = fc.letrec<{ tree: unknown }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 4, arbitrary: anyScalar },
      { weight: 1, arbitrary: fc.constant(null) },
      { weight: 2, arbitrary: intrinsicOf(tie('tree')) },
      {
        weight: 2,
        arbitrary: fc.dictionary(fc.constantFrom(...NAMES, 'constructor', '__proto__'), tie('tree'), {
          maxKeys: 3,
          noNullPrototype: true,
        }),
      },
      { weight: 2, arbitrary: fc.array(tie('tree'), { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
    ),
  })).tree;

  const properties = fc.dictionary(fc.constantFrom(...NAMES), value, { maxKeys: 4, noNullPrototype: true });

  const segment = fc
    .tuple(
      fc.constantFrom(...NAMES, 'constructor'),
      fc.array(fc.constantFrom('[*]', '[0]', '[1]'), { maxLength: 2 }),
    )
    .map(([name, indices]) => name + indices.join(''));
  const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((segments) => segments.join('.'));
  const number = fc.oneof(
    fc.integer({ min: -5, max: 400 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
  );

  const leaf = fc.oneof(
    objectOf({ path, exists: fc.boolean() }),
    objectOf({ path, equals: scalar }),
    objectOf({ path, notEquals: scalar }),
    objectOf({ path, in: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
    objectOf({ path, notIn: fc.array(scalar, { minLength: 1, maxLength: 3 }) }),
    objectOf({ path, matches: fc.constantFrom('^E', 'abc', '^[0-9]+$', '(?i)^true$', '') }),
    objectOf({ path, greaterThan: number }),
    objectOf({ path, greaterThanOrEqual: number }),
    objectOf({ path, lessThan: number }),
    objectOf({ path, lessThanOrEqual: number }),
  );

  const condition: fc.Arbitrary<unknown> = fc.letrec<{ condition: unknown }>((tie) => ({
    condition: fc.oneof(
      { depthSize: 'small', withCrossShrink: true, maxDepth: 4 },
      { weight: 4, arbitrary: leaf },
      { weight: 1, arbitrary: objectOf({ all: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }) }) },
      { weight: 1, arbitrary: objectOf({ any: fc.array(tie('condition'), { minLength: 1, maxLength: 3 }) }) },
      { weight: 1, arbitrary: objectOf({ not: tie('condition') }) },
    ),
  })).condition;

  const seed = Number(process.env.PROPERTY_SEED ?? SEED);

  function expectWellFormed(outcome: ReturnType<typeof check>) {
    expect(['pass', 'fail', 'unknown']).toContain(outcome.status);
    if (outcome.status !== 'pass') {
      expect(typeof outcome.property).toBe('string');
      expect(outcome.reason).toEqual(expect.any(String));
      expect(outcome.reason.length).toBeGreaterThan(0);
    }
  }

  it(`on grammar conditions and template-like properties (seed ${seed})`, () => {
    fc.assert(
      fc.property(condition, properties, (c, props) => {
        expect(conditionProblems(c as Condition)).toEqual([]);
        const outcome = check(c, props);
        const negation = check({ not: c }, props);
        expectWellFormed(outcome);
        expectWellFormed(negation);
        expect([outcome.status, negation.status]).not.toEqual(['pass', 'pass']);
        if (outcome.status === 'unknown') expect(negation.status).not.toBe('pass');
        expect(describeCondition(c as Condition)).toEqual(expect.any(String));
      }),
      { seed, numRuns: 500 },
    );
  });

  it(`on anything at all, as condition and as properties (seed ${seed})`, () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (c, props) => {
        expectWellFormed(check(c, props as Record<string, unknown>));
        expect(Array.isArray(conditionProblems(c as Condition))).toBe(true);
        expect(describeCondition(c as Condition)).toEqual(expect.any(String));
        expect(Array.isArray(pathsOf(c as Condition))).toBe(true);
      }),
      { seed, numRuns: 300 },
    );
  });
});
