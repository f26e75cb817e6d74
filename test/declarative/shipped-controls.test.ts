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
  aws_apigateway as apigateway,
  aws_cloudtrail as cloudtrail,
  aws_dynamodb as dynamodb,
  aws_s3 as s3,
  aws_sqs as sqs,
  aws_ssm as ssm,
  CfnCondition,
  CfnParameter,
  CustomResource,
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
import { SCOPED_AND_RELATED_CONTROLS } from './scoped-and-related-controls';

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

const WITNESS = 'Witness';

/**
 * `build`, with a bucket beside the subject: every rating below a control's lowers one dimension
 * only, and the shipped catalogue has bucket controls of integrity and of confidentiality, so some
 * control judges the bucket at each such rating, which shows the pack ran.
 */
const withWitness =
  (build: Build): Build =>
  (scope) => {
    new s3.CfnBucket(Stack.of(scope), WITNESS);
    return build(scope);
  };

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
  /** Whether the case applies to the control (all do, unless said). */
  readonly appliesTo?: (control: ShippedControl) => boolean;
  readonly value: (scope: Construct, control: ShippedControl) => unknown;
  readonly expected: (control: ShippedControl) => { status: string; reason?: RegExp };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function isProd(scope: Construct): CfnCondition {
  return new CfnCondition(scope, 'IsProd', {
    expression: Fn.conditionEquals(new CfnParameter(scope, 'Env').valueAsString, 'prod'),
  });
}

/** A control that any value satisfies is met by one known only at deploy time too. */
const setIsEnough = (c: ShippedControl) => (c.anyValueComplies ? { status: 'compliant' } : undefined);

/** ... unless the empty string is refused: a parameter or an import may be ''. A reference never is. */
const deployTimeIsEnough = (c: ShippedControl) => (c.emptyIsRefused ? undefined : setIsEnough(c));

const INTRINSICS: readonly IntrinsicCase[] = [
  {
    name: 'Fn::If with a non-compliant branch',
    // A control that any value satisfies has no non-compliant value: the AWS::NoValue case is its Fn::If.
    appliesTo: (c) => c.bad !== undefined,
    value: (scope, c) => Fn.conditionIf(isProd(scope).logicalId, c.good, c.bad),
    expected: (c) => ({
      status: 'non-compliant',
      reason: new RegExp(
        `^when condition IsProd is false: .*${escape(c.property)} is ${escape(c.badText!)} `,
      ),
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
    expected: (c) =>
      deployTimeIsEnough(c) ?? {
        status: 'unverifiable',
        reason: new RegExp(
          `${escape(c.property)} comes from parameter Setting, which is only known at deploy time`,
        ),
      },
  },
  {
    name: 'Fn::ImportValue of an export no stack of the app makes',
    value: () => Token.asAny(Fn.importValue('no-such-export')),
    expected: (c) =>
      deployTimeIsEnough(c) ?? {
        status: 'unverifiable',
        reason: new RegExp(
          `${escape(c.property)} comes from import of export no-such-export, which is only known at deploy time`,
        ),
      },
  },
  {
    name: 'a Ref to a resource',
    value: (scope) => Token.asAny(new sqs.CfnQueue(scope, 'Other').ref),
    // Under notEquals the queue's deploy-time value (its URL) may be the forbidden one: unverifiable.
    expected: (c) =>
      setIsEnough(c) ?? {
        status: c.forbidsOnly ? 'unverifiable' : 'non-compliant',
        reason: new RegExp(
          `${escape(c.property)} is a reference to AWS::SQS::Queue Other, not a` +
            (c.forbidsOnly
              ? ' literal value: its value is made at deploy time and may be what it must not be'
              : ''),
        ),
      },
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
    const { evaluations } = judge(control, withWitness(noncompliant.build), control.below);
    // The pack judged the app (the witness at least); this control applied to nothing.
    expect(evaluations.filter((e) => e.logicalId === WITNESS)).not.toEqual([]);
    expect(evaluations.filter((e) => e.controlId === control.id)).toEqual([]);
  });

  const intrinsics = INTRINSICS.filter((intrinsic) => intrinsic.appliesTo?.(control) ?? true);
  it.each(intrinsics.map((c) => [c.name, c] as const))('%s', (_name, intrinsic) => {
    const evaluation = judgeOne(control, (scope) => control.l1(scope, intrinsic.value(scope, control)));
    const { status, reason } = intrinsic.expected(control);
    expect(evaluation.status).toBe(status);
    if (reason) expect(evaluation.reason).toMatch(reason);
    else expect(evaluation.reason).toBeUndefined();
  });
});

it('lists every declarative control of the shipped catalogue, with a fix exactly where the catalogue has one', () => {
  // The controls on element scopes and related resources have their own tests (scoped-and-related.test.ts).
  const declarative = loadCatalogue().controls.filter(
    (control) => control.check && !SCOPED_AND_RELATED_CONTROLS.includes(control.id),
  );
  expect(
    SHIPPED_CONTROLS.map(({ id, resourceType, fix }) => ({ id, resourceType, fix: fix !== undefined })),
  ).toEqual(
    declarative.map(({ id, check, remediation }) => ({
      id,
      resourceType: check!.resourceTypes[0],
      fix: remediation.set !== undefined,
    })),
  );
  // Only the API Gateway controls judge a second type: the deployment that creates its stage.
  expect(
    declarative
      .filter((control) => control.check!.resourceTypes.length !== 1)
      .map((control) => [control.id, control.check!.resourceTypes]),
  ).toEqual([
    ['APIGateway.1', ['AWS::ApiGateway::Stage', 'AWS::ApiGateway::Deployment']],
    ['APIGateway.2', ['AWS::ApiGateway::Stage', 'AWS::ApiGateway::Deployment']],
  ]);
});

/*
 * A `notEquals` control must not pass a value it cannot read. The Ref of a custom resource is the
 * physical id its handler returns, and the Ref of an SSM parameter is its name: either may be the
 * very value the control forbids ('true' for PrivilegedMode, 'false' for AutoMinorVersionUpgrade).
 */
const DEPLOY_TIME_VALUES: readonly [string, (scope: Construct, forbidden: string) => unknown][] = [
  [
    'an attribute of a custom resource',
    (scope) => new CustomResource(scope, 'Flag', { serviceToken: FLAG_HANDLER }).getAtt('Value'),
  ],
  [
    'the Ref of a custom resource',
    (scope) => new CustomResource(scope, 'Flag', { serviceToken: FLAG_HANDLER }).ref,
  ],
  [
    'the Ref of an SSM parameter named as the forbidden value',
    (scope, forbidden) =>
      new ssm.CfnParameter(scope, 'Flag', { name: forbidden, type: 'String', value: 'x' }).ref,
  ],
];
const FLAG_HANDLER = 'arn:aws:lambda:eu-west-1:111111111111:function:flag';

describe.each([
  ['CodeBuild.3', 'true'],
  ['RDS.7', 'false'],
])('%s, a notEquals control', (id, forbidden) => {
  const control = SHIPPED_CONTROLS.find((c) => c.id === id)!;
  it.each(DEPLOY_TIME_VALUES)('does not pass %s: it is unverifiable', (_name, value) => {
    const evaluation = judgeOne(control, (scope) => control.l1(scope, Token.asAny(value(scope, forbidden))));
    expect(evaluation.status).toBe('unverifiable');
  });
});

/*
 * API Gateway stages made another way, or judged in part: an AWS::ApiGateway::Deployment with a
 * StageName makes its stage from StageDescription (no AWS::ApiGateway::Stage); without a StageName
 * it makes no stage.
 */
describe('API Gateway stages', () => {
  const deployment = (props: Partial<apigateway.CfnDeploymentProps>) => (stack: Construct) =>
    new apigateway.CfnDeployment(stack, 'Deployment', { restApiId: 'a1b2c3d4e5', ...props });

  it.each([
    [
      'judges the stage a Deployment makes (StageName, StageDescription) as non-compliant',
      deployment({ stageName: 'prod', stageDescription: { loggingLevel: 'OFF', tracingEnabled: false } }),
      'non-compliant',
    ],
    ['passes a Deployment without StageName: it makes no stage', deployment({}), 'compliant'],
  ])('%s, by APIGateway.1 and APIGateway.2', (_name, build, status) => {
    const { evaluations } = judgeApp(build);
    const judged = evaluations.filter((e) => e.controlId.startsWith('APIGateway.'));
    expect(judged.map((e) => [e.controlId, e.resourceType, e.status])).toEqual([
      ['APIGateway.1', 'AWS::ApiGateway::Deployment', status],
      ['APIGateway.2', 'AWS::ApiGateway::Deployment', status],
    ]);
  });

  /*
   * A documented limitation, shared by the AWS Config rule: every method setting the stage has must
   * log, but a method without a setting of its own is not seen. Logging on /items/GET only leaves
   * GET / and POST / without execution logs, and the stage passes.
   */
  it('passes APIGateway.1 on a stage that logs one method only (a documented limitation)', () => {
    const control = SHIPPED_CONTROLS.find((c) => c.id === 'APIGateway.1')!;
    const evaluation = judgeOne(control, (scope) => {
      const api = new apigateway.RestApi(scope, 'Subject', {
        deployOptions: {
          methodOptions: { '/items/GET': { loggingLevel: apigateway.MethodLoggingLevel.INFO } },
        },
      });
      api.root.addMethod('GET');
      api.root.addMethod('POST');
      api.root.addResource('items').addMethod('GET');
      return api;
    });
    expect(evaluation.status).toBe('compliant');
  });
});

it("judges a real Aurora cluster: its writer by the cluster's settings and its own, the cluster by RDS.2, RDS.5 and RDS.8", () => {
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
      // Its own settings: CDK renders PubliclyAccessible false, and leaves AutoMinorVersionUpgrade to the default.
      { controlId: 'RDS.6', resourceType: instance, status: 'compliant', reason: undefined },
      { controlId: 'RDS.7', resourceType: instance, status: 'compliant', reason: undefined },
      { controlId: 'RDS.2', resourceType: cluster, status: 'compliant', reason: undefined },
      // Its instances carry PubliclyAccessible (RDS.6): the Aurora cluster has none.
      { controlId: 'RDS.8', resourceType: cluster, status: 'compliant', reason: undefined },
      {
        controlId: 'RDS.5',
        resourceType: cluster,
        status: 'non-compliant',
        reason: 'BackupRetentionPeriod is not set (it must be at least 7)',
      },
    ]),
  );
  expect(rds.filter((e) => e.status !== 'not-applicable')).toHaveLength(8);
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

it('does not let an empty key id pass CloudTrail.3', () => {
  const { evaluations } = judgeApp(
    (stack) =>
      new cloudtrail.CfnTrail(stack, 'Trail', {
        isLogging: true,
        s3BucketName: 'trail-logs',
        kmsKeyId: '',
      }),
  );
  const [judged] = evaluations.filter((e) => e.controlId === 'CloudTrail.3');
  expect(judged).toMatchObject({ status: 'non-compliant', reason: "KMSKeyId is '' (it must not be '')" });
});
