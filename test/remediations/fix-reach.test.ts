import {
  App,
  aws_cloudtrail as cloudtrail,
  aws_codebuild as codebuild,
  aws_dynamodb as dynamodb,
  aws_ecr as ecr,
  aws_efs as efs,
  aws_iam as iam,
  aws_kms as kms,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_rds as rds,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
  CfnResource,
  Stack,
} from 'aws-cdk-lib';
import { loadCatalogue } from '../../src/catalogue/load';
import { IConstruct } from 'constructs';
import { CompiledControl, compiledControls } from '../../src/engine/controls';
import { RemediationSettings } from '../../src/remediations/context';
import { RuleModule } from '../../src/rules/rule';
import { remediateResource } from '../../src/remediations/apply';
import { remediationRecordOf } from '../../src/remediations/records';
import { forgetRenderedStack, renderedStackOf } from '../../src/remediations/rendered-stack';
import { constructsOf, renderResource } from '../../src/remediations/rendered';
import { silenceCdkReports } from '../helpers';

silenceCdkReports();

/**
 * What a rule's fix says it may change beside its resource (`onlyItsOwnProperties`, `changesBeside`)
 * tells the remediations what to read again after it (see `RenderedStack.afterFix`). Each shipped fix
 * that says so is applied here to resources of every type it fixes, in a stack with IAM policies, a
 * key and resource policies beside them: it must change its resource, add no construct if it changes
 * only its own properties, and leave every resource of the other types rendering as it did.
 */

/** Resources of the types those fixes cover, at the defaults that break their controls, and others beside. */
function buildStack(stack: Stack): void {
  const bucket = new s3.Bucket(stack, 'Bucket');
  bucket.grantRead(new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() }));
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.AccountRootPrincipal()],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('*')],
    }),
  );
  // Services their resource policies let write: the key fix allows them in the key policy instead.
  const events = new iam.ServicePrincipal('events.amazonaws.com');
  const queue = new sqs.Queue(stack, 'Queue');
  queue.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [events],
      actions: ['sqs:SendMessage'],
      resources: [queue.queueArn],
    }),
  );
  const topic = new sns.Topic(stack, 'Topic');
  topic.addToResourcePolicy(
    new iam.PolicyStatement({ principals: [events], actions: ['sns:Publish'], resources: [topic.topicArn] }),
  );
  queue.grantSendMessages(new iam.Role(stack, 'Sender', { assumedBy: new iam.AccountRootPrincipal() }));
  // Without a policy yet, and without an L2: a TLS fix makes the bucket policy.
  new s3.CfnBucket(stack, 'L1Bucket');
  new sqs.Queue(stack, 'QueueWithoutPolicy');
  new sns.Topic(stack, 'TopicWithoutPolicy');
  new kms.Key(stack, 'Key');
  new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_WEEK });
  new dynamodb.Table(stack, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
  new ecr.Repository(stack, 'Repository');
  new efs.CfnFileSystem(stack, 'FileSystem');
  new rds.CfnDBInstance(stack, 'Instance', {
    dbInstanceClass: 'db.t3.micro',
    engine: 'mysql',
    autoMinorVersionUpgrade: false,
  });
  new rds.CfnDBCluster(stack, 'Cluster', { engine: 'aurora-mysql' });
  new rds.CfnDBCluster(stack, 'MultiAzCluster', { engine: 'mysql', dbClusterInstanceClass: 'db.m5d.large' });
  new cloudtrail.CfnTrail(stack, 'Trail', { isLogging: true, s3BucketName: bucket.bucketName });
  new codebuild.Project(stack, 'Project', {
    buildSpec: codebuild.BuildSpec.fromObject({
      version: '0.2',
      phases: { build: { commands: ['npm ci'] } },
    }),
  });
  new lambda.Function(stack, 'Function', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
  });
}

/** One resource of a stack as it renders. */
interface Rendering {
  readonly path: string;
  readonly type: string;
  readonly json: unknown;
}

/** Every resource of the stack and how it renders, in the stack's order. */
function renderingsOf(stack: Stack): Rendering[] {
  return constructsOf(stack)
    .filter(CfnResource.isCfnResource)
    .map((resource) => ({
      path: resource.node.path,
      type: resource.cfnResourceType,
      json: renderResource(resource)?.json,
    }));
}

/** What one application of a fix to one resource did, and how the stack was before it. */
interface Applied {
  readonly resource: CfnResource;
  readonly record: ReturnType<typeof remediationRecordOf>;
  /** Every resource of the stack and how it rendered before the fix, and right after it. */
  readonly before: readonly Rendering[];
  readonly after: readonly Rendering[];
  readonly constructsBefore: readonly IConstruct[];
  readonly constructsAfter: readonly IConstruct[];
  /** The resource as the remediations keep it after the fix (what the next control judges), as JSON. */
  readonly kept: unknown;
}

/**
 * Applies the control's fix, with `settings`, to each resource of a new `buildStack` stack that it
 * would fix, the stack looked over afresh before each; what each application did, in order.
 */
function appliedToEach(compiled: CompiledControl, settings: RemediationSettings): Applied[] {
  const app = new App();
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  buildStack(stack);
  const fixable = constructsOf(stack).filter(
    (c): c is CfnResource =>
      CfnResource.isCfnResource(c) && compiled.rule.meta.resourceTypes.includes(c.cfnResourceType),
  );
  return fixable.map((resource) => {
    forgetRenderedStack(stack);
    const constructsBefore = constructsOf(stack);
    const before = renderingsOf(stack);
    remediateResource(compiled, resource, settings);
    return {
      resource,
      record: remediationRecordOf(resource, compiled.findingId),
      before,
      after: renderingsOf(stack),
      constructsBefore,
      constructsAfter: constructsOf(stack),
      kept: asJson(renderedStackOf(stack).renderingOf(resource)),
    };
  });
}

/** The shipped controls whose rule's `meta.fix` says `claim` of its fix. */
function controlsWhoseFix(claim: (fix: RuleModule['meta']['fix']) => unknown): CompiledControl[] {
  return compiledControls(loadCatalogue()).filter(({ rule }) => rule.remediate && claim(rule.meta.fix));
}

const asJson = (value: unknown): unknown =>
  value === undefined ? undefined : JSON.parse(JSON.stringify(value));

/** The renderings of the resources at `paths`, in `renderings` now. */
const renderingsAt = (renderings: readonly Rendering[], paths: readonly string[]) =>
  paths.map((path) => renderings.find((rendering) => rendering.path === path));

const settings = { accessLogsBucketName: 'central-access-logs' };

const claiming = controlsWhoseFix((fix) => fix.onlyItsOwnProperties || fix.changesBeside);

describe.each(claiming.map((compiled) => [compiled.findingId, compiled] as const))(
  '%s, whose fix says what it changes beside its resource',
  (_id, compiled) => {
    const { onlyItsOwnProperties, changesBeside = [] } = compiled.rule.meta.fix;
    it('changes its resource and no resource of another type (nor adds a construct, if it changes only its own properties)', () => {
      const applied = appliedToEach(compiled, settings);
      for (const { resource, before, after, constructsBefore, constructsAfter } of applied) {
        if (onlyItsOwnProperties) expect(constructsAfter).toEqual(constructsBefore);
        const others = before
          .filter(({ path, type }) => path !== resource.node.path && !changesBeside.includes(type))
          .map(({ path }) => path);
        expect(renderingsAt(after, others)).toEqual(renderingsAt(before, others));
      }
      // The stack is built so that the fix applies: the case would prove nothing otherwise.
      expect(applied.filter(({ record }) => record && 'changes' in record).length).toBeGreaterThan(0);
    });
  },
);

/*
 * A fix that needs a setting (a VPC, the central log bucket) and is given none of them says why it
 * cannot be applied and changes nothing: the remediations then judge the next control on the
 * rendering they have rather than render the resource again (see `remediateResourceInTurn`).
 */
describe.each(
  controlsWhoseFix((fix) => fix.settings.length > 0).map(
    (compiled) => [compiled.findingId, compiled] as const,
  ),
)('%s, whose fix needs a setting', (_id, compiled) => {
  it('changes nothing when it is given none of its settings', () => {
    const applied = appliedToEach(compiled, {});
    for (const { record, before, after } of applied) {
      expect(record && 'changes' in record).toBeFalsy();
      expect(after).toEqual(before);
    }
    // The stack is built so that the fix is tried: the case would prove nothing otherwise.
    expect(applied.filter(({ record }) => record && 'notApplied' in record).length).toBeGreaterThan(0);
  });
});

/*
 * A fix that says it leaves its own resource as it was (it adds a statement to the resource policy
 * that names the resource) is confirmed on the rendering its check judged (see
 * `remediateResourceInTurn`): the resource must render the same after it.
 */
describe.each(
  controlsWhoseFix((fix) => fix.leavesItsOwnResource).map(
    (compiled) => [compiled.findingId, compiled] as const,
  ),
)('%s, whose fix says it leaves its own resource as it was', (_id, compiled) => {
  it('changes other resources and renders its resource as before', () => {
    const changed = appliedToEach(compiled, settings).filter(({ record }) => record && 'changes' in record);
    for (const { resource, before, after } of changed) {
      const others = (renderings: readonly Rendering[]) =>
        renderings.filter(({ path }) => path !== resource.node.path);
      expect(renderingsAt(after, [resource.node.path])).toEqual(renderingsAt(before, [resource.node.path]));
      expect(others(after)).not.toEqual(others(before));
    }
    // A resource with a policy and one without: the case would prove little otherwise.
    expect(changed.length).toBeGreaterThan(1);
  });
});

/*
 * What the remediations keep of a resource after its fix is what the next control judges: whatever a
 * fix says of itself, that must be the resource as it renders after the fix (in the sections the
 * checks read).
 */
const SECTIONS_KEPT = ['Type', 'Properties', 'Metadata', 'Condition', 'DependsOn'];

const typesInTheStack = new Set(
  (() => {
    const stack = new Stack(new App(), 'Stack');
    buildStack(stack);
    return renderingsOf(stack).map(({ type }) => type);
  })(),
);

describe.each(
  controlsWhoseFix(() => true)
    .filter(({ rule }) => rule.meta.resourceTypes.some((type) => typesInTheStack.has(type)))
    .map((compiled) => [compiled.findingId, compiled] as const),
)('%s', (_id, compiled) => {
  it.each([
    ['with the settings', settings],
    ['without settings', {}],
  ])('keeps the resource as it renders after the fix (%s)', (_how, given) => {
    const applied = appliedToEach(compiled, given);
    for (const { resource, kept, after } of applied) {
      const rendered = after.find(({ path }) => path === resource.node.path)?.json as Record<string, unknown>;
      const sections = Object.fromEntries(SECTIONS_KEPT.map((section) => [section, rendered[section]]));
      expect(kept).toEqual(asJson(sections));
    }
    expect(applied.length).toBeGreaterThan(0);
  });
});
