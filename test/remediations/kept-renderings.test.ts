import {
  App,
  aws_iam as iam,
  aws_s3 as s3,
  aws_sqs as sqs,
  CfnResource,
  IAspect,
  NestedStack,
  Stack,
} from 'aws-cdk-lib';
import { Construct, IConstruct } from 'constructs';
import { EncryptWithCustomerManagedKey } from '../../src';
import { loadCatalogue } from '../../src/catalogue/load';
import { CompiledControl, compiledControls } from '../../src/engine/controls';
import { TemplateResolver } from '../../src/engine/resolve';
import { remediateResource, remediateResourceInTurn } from '../../src/remediations/apply';
import { changed } from '../../src/remediations/context';
import { forgetRenderedStack, renderedStackOf } from '../../src/remediations/rendered-stack';
import { constructsOf } from '../../src/remediations/rendered';
import { addedSince, markAfterLooking } from '../../src/remediations/tree-changes';
import { compliant, defineRule, nonCompliant } from '../../src/rules/rule';
import {
  remediationRecords,
  resources,
  silenceCdkReports,
  singleRuleCatalogue,
  synthWithAspects,
} from '../helpers';

silenceCdkReports();

/**
 * The remediations keep what they read of a stack (its constructs, what fixes select from them, its
 * resources' renderings) between fixes. Each case here fails when something kept is not read again
 * after a change that could alter it.
 */

describe('tree logs', () => {
  const app = new App();
  const stack = new Stack(app, 'Stack');
  new s3.Bucket(stack, 'Bucket');
  const look = () => markAfterLooking([stack, ...stack.node.findAll()]);

  it('list the constructs added anywhere in the tree, in order', () => {
    const mark = look();
    expect(addedSince(mark)).toEqual([]);
    const deep = new Construct(stack.node.findChild('Bucket'), 'Deep');
    const deeper = new Construct(deep, 'Deeper');
    expect(addedSince(mark)).toEqual([deep, deeper]);
  });

  it('a construct removed means the tree must be looked over again', () => {
    new Construct(stack, 'Removed');
    const mark = look();
    stack.node.tryRemoveChild('Removed');
    expect(addedSince(mark)).toBeUndefined();
  });

  it('a construct added to another tree is not in this one', () => {
    const mark = look();
    new Stack(new App(), 'Other');
    expect(addedSince(mark)).toEqual([]);
  });

  it('no mark (never looked) means the tree must be looked over', () => {
    expect(addedSince(undefined)).toBeUndefined();
  });
});

describe('RenderedStack', () => {
  function setUp() {
    const app = new App();
    const stack = new Stack(app, 'Stack');
    const bucket = new s3.Bucket(stack, 'Bucket');
    forgetRenderedStack(stack);
    const rendered = renderedStackOf(stack);
    const policies = () =>
      rendered.selected('bucket policies', (c) => (c instanceof s3.CfnBucketPolicy ? c : undefined));
    return { stack, bucket, rendered, policies };
  }

  const allowGet = (bucket: s3.Bucket) =>
    new iam.PolicyStatement({
      principals: [new iam.AccountRootPrincipal()],
      actions: ['s3:GetObject'],
      resources: [bucket.arnForObjects('*')],
    });

  it('after a fix that added a construct, looks the stack over again and selects from it again', () => {
    const { stack, bucket, rendered, policies } = setUp();
    expect(policies()).toHaveLength(0);
    bucket.addToResourcePolicy(allowGet(bucket)); // a BucketPolicy, as a fix adds one
    rendered.afterFix(bucket.node.defaultChild as CfnResource);
    expect(policies()).toHaveLength(1);
    const policyId = stack.resolve((bucket.policy!.node.defaultChild as CfnResource).logicalId) as string;
    expect(rendered.template().template.Resources).toHaveProperty(policyId);
    expect(rendered.resourceNamed(policyId)).toBe(bucket.policy!.node.defaultChild);
  });

  it('finds at the next fix a construct added between fixes, by something else than a fix', () => {
    const { stack, bucket, rendered, policies } = setUp();
    expect(policies()).toHaveLength(0);
    new s3.CfnBucketPolicy(stack, 'Added', {
      bucket: bucket.bucketName,
      policyDocument: new iam.PolicyDocument({ statements: [allowGet(bucket)] }),
    });
    rendered.afterFix(bucket.node.defaultChild as CfnResource);
    expect(policies()).toHaveLength(1);
  });

  it("keeps the stack's constructs, and selections from them, in the order a walk finds them, wherever constructs were added", () => {
    const { stack, bucket, rendered } = setUp();
    const paths = (constructs: readonly IConstruct[]) => constructs.map((c) => c.node.path);
    const walked = () => paths(constructsOf(stack));
    // A selection made before the additions: the constructs with ids A to D, and a number or none.
    const selects = (c: IConstruct) => /^[A-D][0-9]*$/.test(c.node.id);
    const selection = () => rendered.selected('A to D', (c) => (selects(c) ? c : undefined));
    expect(paths(selection())).toEqual([]);
    const inOrder = () => {
      expect(paths(rendered.constructs())).toEqual(walked());
      expect(paths(selection())).toEqual(paths(constructsOf(stack).filter(selects)));
    };
    const other = new s3.Bucket(stack, 'Other');
    rendered.refresh();
    inOrder();
    const a = new Construct(bucket, 'A');
    new Construct(other, 'B');
    new Construct(a, 'A1');
    new Construct(bucket, 'C');
    new Construct(stack, 'Top');
    new Construct(a, 'A2');
    rendered.refresh();
    inOrder();
    // More constructs in one place than the places between two neighbours can tell apart.
    for (let i = 0; i < 80; i++) new Construct(a, `D${i}`);
    rendered.refresh();
    inOrder();
    // An id that is an array index is listed first among its siblings.
    new Construct(bucket, '7');
    rendered.refresh();
    inOrder();
    // A nested stack's constructs are its own.
    const nested = new NestedStack(stack, 'Nested');
    new s3.Bucket(nested, 'InNested');
    new Construct(other, 'D');
    rendered.refresh();
    inOrder();
    expect(rendered.constructs().includes(nested)).toBe(false);
  });

  it("lists a type's resources as a resolver of the template would, after resources are added and removed", () => {
    const { stack, bucket, rendered } = setUp();
    const listed = (resolver: TemplateResolver) =>
      resolver.resourcesOfType('AWS::S3::Bucket').map((entry) => [entry.logicalId, entry.resource]);
    const asKept = () => listed(rendered.resolverFor(rendered.template()));
    const asTemplate = () => listed(new TemplateResolver([rendered.template()]));
    expect(asKept()).toEqual(asTemplate());
    const second = new s3.Bucket(stack, 'Second');
    new s3.CfnBucket(stack, '5'); // an array index, listed first by the template
    rendered.refresh();
    expect(asKept()).toEqual(asTemplate());
    expect(asKept()).toHaveLength(3);
    bucket.node.tryRemoveChild('Resource');
    new s3.Bucket(stack, 'Third');
    rendered.refresh();
    expect(asKept()).toEqual(asTemplate());
    expect(asKept().map(([id]) => id)).toEqual([
      '5',
      stack.resolve((second.node.defaultChild as CfnResource).logicalId),
      expect.stringMatching(/^Third/),
    ]);
  });

  it('drops a resource removed from the stack', () => {
    const { stack, bucket, rendered } = setUp();
    const cfnBucket = bucket.node.defaultChild as CfnResource;
    const id = stack.resolve(cfnBucket.logicalId) as string;
    expect(rendered.has(cfnBucket)).toBe(true);
    bucket.node.tryRemoveChild('Resource');
    rendered.refresh();
    expect(rendered.has(cfnBucket)).toBe(false);
    expect(rendered.template().template.Resources).not.toHaveProperty(id);
  });
});

/**
 * A fix that lets EventBridge send to a queue, in the queue's existing policy. Its check reads the
 * queue policies, so their renderings are kept before it fixes anything.
 */
const allowEvents = defineRule({
  meta: {
    id: 'test-allow-events',
    description: 'EventBridge may send to the queue',
    resourceTypes: ['AWS::SQS::Queue'],
    compliantWhen: 'a queue policy allows events.amazonaws.com',
    remediation: 'allows events.amazonaws.com in the queue policy',
    fix: { manually: '', aspect: '', settings: [] },
    paramsSchema: { type: 'object' },
  },
  check(_resource, _params, resolver) {
    const policies = resolver.resourcesOfType('AWS::SQS::QueuePolicy');
    const allowed = policies.some((p) =>
      JSON.stringify(p.resource.Properties).includes('events.amazonaws.com'),
    );
    return allowed ? compliant : nonCompliant('Policy', 'EventBridge may not send to the queue');
  },
  remediate(resource) {
    const queue = resource.node.scope as sqs.Queue;
    queue.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: ['sqs:SendMessage'],
        resources: [queue.queueArn],
      }),
    );
    return changed('allowed events.amazonaws.com in the queue policy');
  },
});

const allowEventsControl: CompiledControl = {
  rule: allowEvents,
  control: singleRuleCatalogue(allowEvents).controls[0],
  findingId: 'Test-Rule.1',
};

const allowEventsFix: IAspect = {
  visit: (node: IConstruct) => {
    if (CfnResource.isCfnResource(node)) remediateResource(allowEventsControl, node, {});
  },
};

describe('a fix that reads a resource policy after another fix changed it', () => {
  it('the key fix allows a service that an earlier fix let write to the queue', () => {
    const { template } = synthWithAspects(
      (stack) => {
        const queue = new sqs.Queue(stack, 'Queue', { encryption: sqs.QueueEncryption.UNENCRYPTED });
        // The queue has a policy before the fixes, which the first check renders: it lets nobody
        // send or receive, so its kept rendering alone gives the key fix nothing to allow.
        queue.addToResourcePolicy(
          new iam.PolicyStatement({
            principals: [new iam.AccountRootPrincipal()],
            actions: ['sqs:GetQueueAttributes'],
            resources: [queue.queueArn],
          }),
        );
      },
      allowEventsFix,
      new EncryptWithCustomerManagedKey(),
    );
    const key = resources(template).CatalogueEncryptionKey;
    const statements = (key.Properties?.KeyPolicy as { Statement: Array<{ Principal?: unknown }> }).Statement;
    expect(statements.map((s) => s.Principal)).toContainEqual({ Service: 'events.amazonaws.com' });
  });
});

describe('the IAM policies the key fix reads, by the resources they name', () => {
  it.each([
    ['Fn::GetAtt as a list', { 'Fn::GetAtt': ['Queue', 'Arn'] }],
    ['Fn::GetAtt as a string', { 'Fn::GetAtt': 'Queue.Arn' }],
    ['Ref inside a join', { 'Fn::Join': ['', [{ Ref: 'Queue' }, '/x']] }],
  ])('a raw L1 policy naming the queue by %s is found (and refused)', (_how, resource) => {
    const { stack } = synthWithAspects((stack) => {
      new sqs.CfnQueue(stack, 'Queue');
      new iam.CfnPolicy(stack, 'Raw', {
        policyName: 'raw',
        roles: ['some-role'],
        policyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: resource }] },
      });
    }, new EncryptWithCustomerManagedKey());
    expect(remediationRecords(stack.node.findChild('Queue'))).toEqual([
      expect.objectContaining({
        notApplied: expect.stringContaining('Raw allows access to Queue but is a raw L1 policy'),
      }),
    ]);
  });

  it('a raw L1 policy naming another resource is not in the way', () => {
    const { stack } = synthWithAspects((stack) => {
      new sqs.CfnQueue(stack, 'Queue');
      new iam.CfnPolicy(stack, 'Raw', {
        policyName: 'raw',
        roles: ['some-role'],
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': 'Queue2.Arn' } },
          ],
        },
      });
    }, new EncryptWithCustomerManagedKey());
    expect(remediationRecords(stack.node.findChild('Queue'))).toEqual([
      expect.objectContaining({ changes: expect.any(Array) }),
    ]);
  });
});

/** A fix that names the bucket, and says how its check found the bucket's versioning. */
const namedBucket = defineRule({
  meta: {
    id: 'test-named-bucket',
    description: 'The bucket is named',
    resourceTypes: ['AWS::S3::Bucket'],
    compliantWhen: 'BucketName is fixed',
    remediation: 'sets BucketName to fixed',
    fix: { manually: '', aspect: '', settings: [], onlyItsOwnProperties: true },
    paramsSchema: { type: 'object' },
  },
  check: (resource) =>
    resource.properties.BucketName === 'fixed' &&
    JSON.stringify(resource.properties.VersioningConfiguration) === '{"Status":"Enabled"}'
      ? compliant
      : nonCompliant('BucketName', 'not named, or not versioned'),
  remediate(resource, _params, context) {
    (resource as s3.CfnBucket).bucketName = 'fixed';
    return changed(`named it; judged ${JSON.stringify(context.judged?.Properties?.VersioningConfiguration)}`);
  },
});

const namedBucketControl: CompiledControl = {
  rule: namedBucket,
  control: singleRuleCatalogue(namedBucket).controls[0],
  findingId: 'Test-Rule.1',
};

const versioningControl = compiledControls(loadCatalogue()).find(
  (c) => c.rule.meta.id === 'bucket-versioning',
)!;

function fixedInTurn(controls: CompiledControl[], build?: (bucket: s3.CfnBucket) => void): unknown[] {
  const { stack } = synthWithAspects(
    (stack) => {
      const bucket = new s3.CfnBucket(stack, 'Bucket');
      build?.(bucket);
    },
    {
      visit: (node: IConstruct) => {
        if (CfnResource.isCfnResource(node)) remediateResourceInTurn(controls, node, {});
      },
    },
  );
  return remediationRecords(stack.node.findChild('Bucket'));
}

describe('the fixes of one visit, in turn', () => {
  it('the next control judges the resource as the previous fix left it', () => {
    expect(fixedInTurn([versioningControl, namedBucketControl])).toEqual([
      { findingId: versioningControl.findingId, changes: [expect.stringContaining('Enabled')] },
      { findingId: 'Test-Rule.1', changes: ['named it; judged {"Status":"Enabled"}'] },
    ]);
  });

  it('a fix judged compliant after an earlier fix is not applied', () => {
    // Named already: versioning alone was missing, and the versioning fix adds it.
    expect(
      fixedInTurn([versioningControl, namedBucketControl], (bucket) => (bucket.bucketName = 'fixed')),
    ).toEqual([{ findingId: versioningControl.findingId, changes: [expect.stringContaining('Enabled')] }]);
  });

  it('a fix is confirmed against what it added beside the resource, not what was there when it was judged', () => {
    // The check reads an index of the stack's bucket policies, which the judging before the fix builds.
    const hasPolicy = defineRule({
      ...namedBucket,
      meta: {
        ...namedBucket.meta,
        id: 'test-has-policy',
        fix: { ...namedBucket.meta.fix, onlyItsOwnProperties: false },
      },
      check: (_resource, _params, resolver) =>
        resolver.resourcesOfType('AWS::S3::BucketPolicy').length > 0
          ? compliant
          : nonCompliant('Bucket', 'no bucket policy in the stack'),
      remediate(resource) {
        new s3.CfnBucketPolicy(Stack.of(resource), 'Policy', {
          bucket: (resource as s3.CfnBucket).ref,
          policyDocument: { Statement: [] },
        });
        return changed('added a bucket policy');
      },
    });
    const hasPolicyControl = { ...namedBucketControl, rule: hasPolicy, findingId: 'Test-Policy.1' };
    expect(fixedInTurn([hasPolicyControl])).toEqual([
      { findingId: 'Test-Policy.1', changes: ['added a bucket policy'] },
    ]);
  });

  it('after a fix that was not applied, the resource is rendered again (it may have changed)', () => {
    const halfDone = defineRule({
      ...namedBucket,
      meta: { ...namedBucket.meta, id: 'test-half-done' },
      remediate(resource) {
        (resource as s3.CfnBucket).versioningConfiguration = { status: 'Enabled' };
        return { notApplied: 'enabled versioning, then gave up' };
      },
    });
    const halfDoneControl = { ...namedBucketControl, rule: halfDone, findingId: 'Test-Half.1' };
    expect(fixedInTurn([halfDoneControl, namedBucketControl])).toEqual([
      { findingId: 'Test-Half.1', notApplied: 'enabled versioning, then gave up' },
      { findingId: 'Test-Rule.1', changes: ['named it; judged {"Status":"Enabled"}'] },
    ]);
  });
});
