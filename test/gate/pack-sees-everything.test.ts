/**
 * The gate judges every resource that deploys: nested stacks at any depth, template content no
 * CfnResource backs, and what it cannot open reported as unverifiable. Each app is synthesized for
 * real with the shipped catalogue, and both entry points (synthesis and validateScope) must agree.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  Aws,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_s3 as s3,
  aws_sam as sam,
  CfnElement,
  CfnOutput,
  CfnCondition,
  CfnResource,
  CfnStack,
  Fn,
  NestedStack,
  Stack,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnterpriseCatalogueChecks, evaluate, loadCatalogue } from '../../src';
import { readCloudAssembly } from '../../src/assembly';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { Evaluation } from '../../src/engine/evaluate';
import { silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

/** A macro or a template the engine cannot open may create any resource: every control is unverifiable. */
const EVERY_CONTROL = loadCatalogue().controls.map((control) => control.id);

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const ENV = { account: '111111111111', region: 'eu-west-1' };

function newApp(): App {
  return new App({ builtinCloudFormationValidation: false, outdir: fs.mkdtempSync(path.join(dir, 'out-')) });
}

/** Synthesizes with the pack as the README registers it; returns the pack and the synth error. */
function synthesize(app: App) {
  const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3' });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  return { pack, error };
}

/** The comparable part of an evaluation: where, which control, what verdict. */
function verdicts(evaluations: readonly Evaluation[]) {
  return evaluations
    .map((e) => `${e.stackId} ${e.logicalId} ${e.controlId} ${e.status}`)
    .sort((a, b) => a.localeCompare(b));
}

/** The same app judged through validateScope on a fresh tree, as cdk-nag's direct entry point does. */
function judgedByValidateScope(build: (app: App) => void): readonly Evaluation[] {
  const app = newApp();
  build(app);
  const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3' });
  pack.validateScope(app);
  return pack.evaluations;
}

function of(evaluations: readonly Evaluation[], stackId: string, logicalIdPrefix: string, controlId: string) {
  return evaluations.find(
    (e) => e.stackId === stackId && e.logicalId.startsWith(logicalIdPrefix) && e.controlId === controlId,
  );
}

describe('nested stacks', () => {
  const build = (app: App) => {
    const parent = new Stack(app, 'Parent', { env: ENV });
    const key = new kms.Key(parent, 'Key', { enableKeyRotation: true });
    const nested = new NestedStack(parent, 'Nested');
    new s3.CfnBucket(nested, 'Bare');
    const deeper = new NestedStack(nested, 'Deeper');
    new s3.CfnBucket(deeper, 'DeepBare');
    // A reference into the parent becomes a parameter of the nested stack: the engine follows it.
    new s3.Bucket(nested, 'Encrypted', { encryptionKey: key, encryption: s3.BucketEncryption.KMS });
    // And the other way: the parent's bucket uses a key inside a nested stack (an output of it).
    const nestedKey = new kms.Key(nested, 'NestedKey', { enableKeyRotation: true });
    new s3.Bucket(parent, 'UsesNestedKey', { encryptionKey: nestedKey, encryption: s3.BucketEncryption.KMS });
  };

  it('judges the resources of nested stacks at any depth, and fails synthesis', () => {
    const app = newApp();
    build(app);
    const { pack, error } = synthesize(app);
    expect(of(pack.evaluations, 'Parent/Nested', 'Bare', 'S3.2')).toMatchObject({ status: 'non-compliant' });
    expect(of(pack.evaluations, 'Parent/Nested/Deeper', 'DeepBare', 'S3.2')).toMatchObject({
      status: 'non-compliant',
    });
    // jest runs without the CDK CLI's path metadata: the pack still knows every construct path.
    expect(of(pack.evaluations, 'Parent/Nested', 'Bare', 'S3.2')?.constructPath).toBe('Parent/Nested/Bare');
    expect(pack.evaluations.every((e) => e.constructPath)).toBe(true);
    expect(error?.message).toMatch(/Parent\/Nested\/Bare/);
    expect(error?.message).toMatch(/Parent\/Nested\/Deeper\/DeepBare/);
  });

  it('follows a nested stack parameter to the parent resource it is given', () => {
    const app = newApp();
    build(app);
    const { pack } = synthesize(app);
    expect(of(pack.evaluations, 'Parent/Nested', 'Encrypted', 'Encryption.1')).toMatchObject({
      status: 'compliant',
    });
  });

  it('follows a nested stack output to the resource inside it', () => {
    const app = newApp();
    const parent = new Stack(app, 'Parent', { env: ENV });
    const nested = new NestedStack(parent, 'Keys');
    const key = new kms.Key(nested, 'Key', { enableKeyRotation: true });
    new s3.Bucket(parent, 'Data', { encryptionKey: key, encryption: s3.BucketEncryption.KMS });
    const { pack } = synthesize(app);
    expect(of(pack.evaluations, 'Parent', 'Data', 'Encryption.1')).toMatchObject({ status: 'compliant' });
  });

  it('does not report the opened nested stack resources as unverifiable', () => {
    const app = newApp();
    build(app);
    const { pack } = synthesize(app);
    expect(pack.evaluations.filter((e) => e.resourceType === 'AWS::CloudFormation::Stack')).toEqual([]);
  });

  it('gives the same evaluations through validateScope as through synthesis', () => {
    const app = newApp();
    build(app);
    const { pack } = synthesize(app);
    expect(verdicts(judgedByValidateScope(build))).toEqual(verdicts(pack.evaluations));
    expect(of(pack.evaluations, 'Parent', 'UsesNestedKey', 'Encryption.1')).toMatchObject({
      status: 'compliant',
    });
    expect(pack.evaluations).toHaveLength(22);
  });
});

/** A CfnElement (not a CfnResource) that renders a bucket into the template. */
class RawBucketElement extends CfnElement {
  public _toCloudFormation(): object {
    return { Resources: { [this.logicalId]: { Type: 'AWS::S3::Bucket' } } };
  }
}

describe('template content that no CfnResource backs', () => {
  it('reports the finding against the element that rendered it', () => {
    const app = newApp();
    const stack = new Stack(app, 'Raw', { env: ENV });
    const element = new RawBucketElement(stack, 'RawBucket');
    const { pack, error } = synthesize(app);
    const logicalId = stack.resolve(element.logicalId) as string;
    expect(pack.evaluations.find((e) => e.logicalId === logicalId && e.controlId === 'S3.2')).toMatchObject({
      status: 'non-compliant',
    });
    expect(error?.message).toMatch(/\[Enterprise-S3\.2\]/);
    expect(error?.message).toMatch(/Raw\/RawBucket/);
  });

  it('reports a finding on a template-level macro against the stack', () => {
    const app = newApp();
    const stack = new Stack(app, 'Macro', { env: ENV });
    stack.addTransform('Corp::Rewrite');
    new kms.Key(stack, 'Key', { enableKeyRotation: true });
    const { pack, error } = synthesize(app);
    const macro = pack.evaluations.filter((e) => e.logicalId === 'Transform');
    expect(macro.map((e) => e.controlId).sort()).toEqual([...EVERY_CONTROL].sort());
    expect(macro.every((e) => e.status === 'unverifiable')).toBe(true);
    expect(macro.every((e) => e.constructPath === 'Macro')).toBe(true);
    expect(error?.message).toMatch(/Corp::Rewrite, a macro that may rewrite/);
  });
});

describe('what the engine cannot open is unverifiable, never silence', () => {
  it('a nested stack whose TemplateURL is overridden to deploy some other template, at synth and in check', () => {
    const app = newApp();
    const stack = new Stack(app, 'Redirected', { env: ENV });
    const nested = new NestedStack(stack, 'N');
    new kms.Key(nested, 'Key', { enableKeyRotation: true });
    nested.nestedStackResource!.addPropertyOverride('TemplateURL', 'https://example.com/other.template.json');
    const { pack, error } = synthesize(app);
    const judged = (evaluations: readonly Evaluation[]) =>
      evaluations.filter((e) => e.resourceType === 'AWS::CloudFormation::Stack').map((e) => e.status);
    expect(judged(pack.evaluations)).toEqual(Array(EVERY_CONTROL.length).fill('unverifiable'));
    expect(error?.message).toMatch(/Redirected\/N/);
    const input = readCloudAssembly(app.outdir, {
      rating: STRICTEST_RATING,
      ratingSource: 'props',
      packName: 'Enterprise',
    });
    expect(judged(evaluate({ catalogue: loadCatalogue(), stacks: input.stacks }))).toEqual(
      Array(EVERY_CONTROL.length).fill('unverifiable'),
    );
  });

  it('a nested stack with an external TemplateURL', () => {
    const app = newApp();
    const stack = new Stack(app, 'External', { env: ENV });
    new CfnStack(stack, 'Vendor', { templateUrl: 'https://example.com/vendor.template.json' });
    const { pack, error } = synthesize(app);
    const found = pack.evaluations.filter((e) => e.resourceType === 'AWS::CloudFormation::Stack');
    expect(found).toHaveLength(EVERY_CONTROL.length);
    expect(found.every((e) => e.status === 'unverifiable')).toBe(true);
    expect(found[0].reason).toMatch(
      /nested stack whose template \(TemplateURL\) is not among the templates checked/,
    );
    expect(error?.message).toMatch(/External\/Vendor/);
  });

  it('a SAM function, for the controls whose resource types it creates', () => {
    const app = newApp();
    const stack = new Stack(app, 'Sam', { env: ENV });
    stack.addTransform('AWS::Serverless-2016-10-31');
    new sam.CfnFunction(stack, 'Fn', {
      codeUri: 's3://b/k',
      handler: 'index.handler',
      runtime: 'nodejs20.x',
    });
    const { pack } = synthesize(app);
    const found = pack.evaluations.filter((e) => e.resourceType === 'AWS::Serverless::Function');
    // Lambda.1 (the function), Lambda.2 (its function URL), Encryption.1, SNS.1 and SQS.1 (its
    // queues, topics), IAM.1 (its role and policies); no bucket, key or project controls.
    expect(found.map((e) => e.controlId).sort()).toEqual([
      'Encryption.1',
      'IAM.1',
      'Lambda.1',
      'Lambda.2',
      'SNS.1',
      'SQS.1',
    ]);
    expect(found.every((e) => e.status === 'unverifiable')).toBe(true);
  });

  it('a CloudFormation module', () => {
    const app = newApp();
    const stack = new Stack(app, 'Module', { env: ENV });
    new CfnResource(stack, 'Vpc', { type: 'Corp::Network::Vpc::MODULE' });
    const { pack } = synthesize(app);
    expect(pack.evaluations.filter((e) => e.logicalId.startsWith('Vpc')).map((e) => e.status)).toEqual(
      Array(EVERY_CONTROL.length).fill('unverifiable'),
    );
  });

  it('a resource whose properties hold Fn::Transform', () => {
    const app = newApp();
    const stack = new Stack(app, 'Include', { env: ENV });
    const key = new kms.CfnKey(stack, 'Key', { enableKeyRotation: true });
    key.addPropertyOverride('Fn::Transform', { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } });
    const { pack } = synthesize(app);
    expect(of(pack.evaluations, 'Include', 'Key', 'KMS.1')).toMatchObject({
      status: 'unverifiable',
      reason: expect.stringMatching(/Fn::Transform/),
    });
  });
});

describe('AWS::NoValue is absence wherever it stands', () => {
  it('a subnet list of only AWS::NoValue deploys empty and fails Lambda.1', () => {
    const app = newApp();
    const stack = new Stack(app, 'NoValue', { env: ENV });
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const cfn = fn.node.defaultChild as lambda.CfnFunction;
    cfn.addPropertyOverride('VpcConfig', {
      SubnetIds: [{ Ref: 'AWS::NoValue' }],
      SecurityGroupIds: ['sg-1'],
    });
    const { pack } = synthesize(app);
    expect(of(pack.evaluations, 'NoValue', 'Fn', 'Lambda.1')).toMatchObject({
      status: 'non-compliant',
      property: 'VpcConfig.SubnetIds',
    });
  });

  it('a property set to AWS::NoValue is not set', () => {
    const app = newApp();
    const stack = new Stack(app, 'Unset', { env: ENV });
    const key = new kms.CfnKey(stack, 'Key', {});
    key.addPropertyOverride('EnableKeyRotation', { Ref: 'AWS::NoValue' });
    const { pack } = synthesize(app);
    expect(of(pack.evaluations, 'Unset', 'Key', 'KMS.1')).toMatchObject({
      status: 'non-compliant',
      reason: expect.stringMatching(/is not set/),
    });
  });
});

describe('the engine only reads the templates', () => {
  /** Frozen all the way down, so a rule or the engine writing into a template would throw (and be unverifiable). */
  function deepFreeze<T>(value: T): T {
    if (typeof value === 'object' && value !== null) {
      for (const child of Object.values(value)) deepFreeze(child);
      Object.freeze(value);
    }
    return value;
  }

  it('gives the same verdicts on deep-frozen templates, every shipped control, Fn::If and AWS::NoValue included', () => {
    const app = newApp();
    const stack = new Stack(app, 'ReadOnly', { env: ENV });
    const bucket = new s3.Bucket(stack, 'Bucket');
    new kms.Key(stack, 'Key');
    const fn = new lambda.Function(stack, 'Fn', {
      runtime: lambda.Runtime.NODEJS_20_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    cfnBucket.addPropertyOverride('VersioningConfiguration', {
      'Fn::If': ['IsProd', { Status: 'Enabled' }, { Ref: 'AWS::NoValue' }],
    });
    (fn.node.defaultChild as lambda.CfnFunction).addPropertyOverride('VpcConfig', {
      SubnetIds: [{ Ref: 'AWS::NoValue' }, 'subnet-1'],
      SecurityGroupIds: [{ 'Fn::If': ['IsProd', 'sg-1', { Ref: 'AWS::NoValue' }] }],
    });
    new CfnCondition(stack, 'IsProd', { expression: Fn.conditionEquals(Aws.REGION, 'eu-west-1') });
    synthesize(app);
    const read = () =>
      readCloudAssembly(app.outdir, {
        rating: STRICTEST_RATING,
        ratingSource: 'props',
        packName: 'Enterprise',
      });
    const judge = (stacks: ReturnType<typeof read>['stacks']) =>
      evaluate({ catalogue: loadCatalogue(), stacks, today: '2026-11-30' });
    const open = judge(read().stacks);
    const frozen = judge(read().stacks.map((template) => deepFreeze(template)));
    expect(frozen).toEqual(open);
    expect(new Set(open.map((e) => e.resourceType))).toEqual(
      new Set(['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Lambda::Function', 'AWS::IAM::Role']),
    );
    expect(open.filter((e) => /could not read this resource/.test(e.reason ?? ''))).toEqual([]);
  });
});

describe('imports resolve only within one account and region', () => {
  /** A producer exporting a key's ARN and a consumer topic importing it by name. */
  function importing(
    consumerEnv: { account?: string; region?: string } | undefined,
    exporters: Array<typeof ENV | undefined>,
  ) {
    const app = newApp();
    exporters.forEach((env, i) => {
      const producer = new Stack(app, `Producer${i}`, { env });
      const key = new kms.Key(producer, 'Key', { enableKeyRotation: true });
      new CfnOutput(producer, 'KeyArn', { value: key.keyArn, exportName: 'shared-key-arn' });
    });
    const consumer = new Stack(app, 'Consumer', { env: consumerEnv });
    new CfnResource(consumer, 'Topic', {
      type: 'AWS::SNS::Topic',
      properties: { KmsMasterKeyId: Fn.importValue('shared-key-arn') },
    });
    return of(synthesize(app).pack.evaluations, 'Consumer', 'Topic', 'Encryption.1');
  }

  it('follows an export from the same account and region', () => {
    expect(importing(ENV, [ENV])).toMatchObject({ status: 'compliant' });
  });

  it('follows an export between environment-agnostic stacks of one app', () => {
    expect(importing(undefined, [undefined])).toMatchObject({ status: 'compliant' });
  });

  it('does not follow an export found only in another region', () => {
    expect(importing(ENV, [{ ...ENV, region: 'us-east-1' }])).toMatchObject({
      status: 'unverifiable',
      reason: expect.stringMatching(/only stacks in other accounts or regions export \(Producer0\)/),
    });
  });

  it('does not decide between an environment-agnostic exporter and a known importer', () => {
    expect(importing(ENV, [undefined])).toMatchObject({
      status: 'unverifiable',
      reason: expect.stringMatching(/may deploy to different accounts or regions/),
    });
  });

  it('does not pick one of several exporters', () => {
    const app = newApp();
    for (const name of ['A', 'B']) {
      const producer = new Stack(app, name, { env: ENV });
      new CfnOutput(producer, 'KeyArn', {
        value: new kms.Key(producer, 'Key', { enableKeyRotation: true }).keyArn,
        exportName: 'shared-key-arn',
      });
    }
    const consumer = new Stack(app, 'Consumer', { env: ENV });
    new CfnResource(consumer, 'Topic', {
      type: 'AWS::SNS::Topic',
      properties: { KmsMasterKeyId: Fn.importValue('shared-key-arn') },
    });
    expect(of(synthesize(app).pack.evaluations, 'Consumer', 'Topic', 'Encryption.1')).toMatchObject({
      status: 'unverifiable',
      reason: expect.stringMatching(/several stacks export \(A, B\)/),
    });
  });
});

describe('pseudo parameters of a stack with a known environment', () => {
  it('make a key ARN written with Fn::Sub a known customer-managed key', () => {
    const app = newApp();
    const stack = new Stack(app, 'Known', { env: ENV });
    new CfnResource(stack, 'Topic', {
      type: 'AWS::SNS::Topic',
      properties: {
        KmsMasterKeyId: Fn.sub('arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sns'),
      },
    });
    expect(of(synthesize(app).pack.evaluations, 'Known', 'Topic', 'Encryption.1')).toMatchObject({
      status: 'non-compliant',
      reason: expect.stringMatching(
        /arn:aws:kms:eu-west-1:111111111111:alias\/aws\/sns' is an AWS-managed key/,
      ),
    });
  });
});

// Keep `Construct` imported for the element class's scope type in editors.
export type Scope = Construct;
