/**
 * The declarative controls of the shipped catalogue, judged by the real pack on real CDK apps:
 * compliant, non-compliant (with the exact reason), not applicable below the control's rating, and
 * each intrinsic a developer may put where the value belongs.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_dynamodb as dynamodb,
  aws_sqs as sqs,
  CfnCondition,
  CfnParameter,
  Fn,
  Stack,
  Token,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnterpriseCatalogueChecks } from '../../src';
import { loadCatalogue } from '../../src/catalogue/load';
import { Evaluation } from '../../src/engine/evaluate';
import { silenceCdkReports, synthError } from '../helpers';
import { auroraCluster, Build, SHIPPED_CONTROLS, ShippedControl, subjectOf } from './shipped-controls';

silenceCdkReports();

const NOW = '2026-06-01';
const RATING = 'C3I3A3';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipped-controls-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The shipped catalogue's evaluations of an app whose stack `Main` holds what `build` makes, at `rating`. */
function judgeApp(build: Build, rating = RATING) {
  const app = new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(dir, 'out-')),
  });
  const built = build(new Stack(app, 'Main'));
  const pack = new EnterpriseCatalogueChecks({ rating, reportOnly: true, now: NOW });
  Aspects.of(app).add(pack);
  expect(synthError(app)).toBeUndefined();
  return { evaluations: pack.evaluations, built };
}

/** The shipped catalogue's evaluations of the app, at `rating`, and the path of the subject `build` makes. */
function judge(control: ShippedControl, build: Build, rating = RATING) {
  const { evaluations, built } = judgeApp(build, rating);
  return { evaluations, subjectPath: subjectOf(control, built).node.path };
}

/** The control's one evaluation of the subject, at the strictest rating. */
function judgeOne(control: ShippedControl, build: Build): Evaluation {
  const { evaluations, subjectPath } = judge(control, build);
  const ofSubject = evaluations.filter((e) => e.controlId === control.id && e.constructPath === subjectPath);
  expect(ofSubject).toHaveLength(1);
  return ofSubject[0];
}

/** The intrinsics a developer may put where the control wants a literal, each on the control's own L1. */
interface IntrinsicCase {
  readonly name: string;
  readonly value: (scope: Construct, control: ShippedControl) => unknown;
  readonly expected: (control: ShippedControl) => { status: string; reason?: RegExp };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function isProd(scope: Construct): CfnCondition {
  return new CfnCondition(scope, 'IsProd', {
    expression: Fn.conditionEquals(new CfnParameter(scope, 'Env').valueAsString, 'prod'),
  });
}

const INTRINSICS: readonly IntrinsicCase[] = [
  {
    name: 'Fn::If with a non-compliant branch',
    value: (scope, c) => Fn.conditionIf(isProd(scope).logicalId, c.good, c.bad),
    expected: (c) => ({
      status: 'non-compliant',
      reason: new RegExp(`^when condition IsProd is false: .*${escape(c.property)} is ${escape(c.badText)} `),
    }),
  },
  {
    name: 'Fn::If with an AWS::NoValue branch',
    value: (scope, c) => Fn.conditionIf(isProd(scope).logicalId, c.good, Fn.ref('AWS::NoValue')),
    expected: (c) =>
      c.absentComplies
        ? { status: 'compliant' }
        : {
            status: 'non-compliant',
            reason: new RegExp(`^when condition IsProd is false: .*${escape(c.property)} is not set `),
          },
  },
  {
    name: 'a CfnParameter',
    value: (scope) => new CfnParameter(scope, 'Setting').value,
    expected: (c) => ({
      status: 'unverifiable',
      reason: new RegExp(
        `${escape(c.property)} comes from parameter Setting, which is only known at deploy time`,
      ),
    }),
  },
  {
    name: 'Fn::ImportValue of an export no stack of the app makes',
    value: () => Token.asAny(Fn.importValue('no-such-export')),
    expected: (c) => ({
      status: 'unverifiable',
      reason: new RegExp(
        `${escape(c.property)} comes from import of export no-such-export, which is only known at deploy time`,
      ),
    }),
  },
  {
    name: 'a Ref to a resource',
    value: (scope) => Token.asAny(new sqs.CfnQueue(scope, 'Other').ref),
    expected: (c) => ({
      status: 'non-compliant',
      reason: new RegExp(`${escape(c.property)} is a reference to AWS::SQS::Queue Other, not a`),
    }),
  },
];

describe.each(SHIPPED_CONTROLS.map((control) => [control.id, control] as const))('%s', (_id, control) => {
  it.each(control.cases.map((c) => [c.name, c] as const))('%s', (_name, { build, status, reason }) => {
    const evaluation = judgeOne(control, build);
    expect({ status: evaluation.status, reason: evaluation.reason }).toEqual({ status, reason });
  });

  it('L1 with a compliant value', () => {
    expect(judgeOne(control, (scope) => control.l1(scope, control.good)).status).toBe('compliant');
  });

  it(`does not apply below its rating (${control.below})`, () => {
    const [noncompliant] = control.cases.filter((c) => c.status === 'non-compliant');
    const { evaluations } = judge(control, noncompliant.build, control.below);
    // The pack judged the app (other controls, other resources); this control applied to nothing.
    expect(evaluations.length).toBeGreaterThan(0);
    expect(evaluations.filter((e) => e.controlId === control.id)).toEqual([]);
  });

  it.each(INTRINSICS.map((c) => [c.name, c] as const))('%s', (_name, intrinsic) => {
    const evaluation = judgeOne(control, (scope) => control.l1(scope, intrinsic.value(scope, control)));
    const { status, reason } = intrinsic.expected(control);
    expect(evaluation.status).toBe(status);
    if (reason) expect(evaluation.reason).toMatch(reason);
    else expect(evaluation.reason).toBeUndefined();
  });
});

it('lists every declarative control of the shipped catalogue, with a fix exactly where the catalogue has one', () => {
  const declarative = loadCatalogue().controls.filter((control) => control.check);
  expect(
    SHIPPED_CONTROLS.map(({ id, resourceType, fix }) => ({ id, resourceType, fix: fix !== undefined })),
  ).toEqual(
    declarative.map(({ id, check, remediation }) => ({
      id,
      resourceType: check!.resourceTypes[0],
      fix: remediation.set !== undefined,
    })),
  );
  expect(declarative.every((control) => control.check!.resourceTypes.length === 1)).toBe(true);
});

it("judges a real Aurora cluster: its writer by the cluster's settings, the cluster by RDS.2 and RDS.5", () => {
  const { evaluations } = judgeApp(auroraCluster);
  const rds = evaluations
    .filter((e) => e.controlId.startsWith('RDS.'))
    .map(({ controlId, resourceType, status, reason }) => ({ controlId, resourceType, status, reason }));
  const instance = 'AWS::RDS::DBInstance';
  const cluster = 'AWS::RDS::DBCluster';
  expect(rds).toEqual(
    expect.arrayContaining([
      { controlId: 'RDS.1', resourceType: instance, status: 'compliant', reason: undefined },
      { controlId: 'RDS.3', resourceType: instance, status: 'compliant', reason: undefined },
      { controlId: 'RDS.4', resourceType: instance, status: 'compliant', reason: undefined },
      { controlId: 'RDS.2', resourceType: cluster, status: 'compliant', reason: undefined },
      {
        controlId: 'RDS.5',
        resourceType: cluster,
        status: 'non-compliant',
        reason: 'BackupRetentionPeriod is not set (it must be at least 7)',
      },
    ]),
  );
  expect(rds.filter((e) => e.status !== 'not-applicable')).toHaveLength(5);
});

it('does not let a global table with no replica pass DynamoDB.3 and DynamoDB.4 on an empty list', () => {
  const { evaluations } = judgeApp(
    (stack) =>
      new dynamodb.CfnGlobalTable(stack, 'Empty', {
        keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
        attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
        billingMode: 'PAY_PER_REQUEST',
        replicas: [],
      }),
  );
  const judged = evaluations.filter((e) => e.controlId === 'DynamoDB.3' || e.controlId === 'DynamoDB.4');
  expect(judged.map((e) => [e.controlId, e.status])).toEqual([
    ['DynamoDB.3', 'non-compliant'],
    ['DynamoDB.4', 'non-compliant'],
  ]);
  expect(judged[0].reason).toMatch(/Replicas is empty/);
});
