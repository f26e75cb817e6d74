import { aws_s3 as s3, CfnParameter, CfnResource, Duration, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { CfnTemplate } from '../../src/engine/template';
import { BucketVersioning } from '../../src/remediations/aspects';
import rule from '../../src/rules/bucket-versioning';
import { evaluateRule, remediationRecords, synthStack, synthWithAspects, templateWith } from '../helpers';

const BUCKET = 'AWS::S3::Bucket';

/** Seven Fn::If in Tags and Status: the engine expands six conditions and leaves the last in place. */
function withSevenConditions(status: unknown) {
  const tags = [1, 2, 3, 4, 5, 6].map((n) => ({
    'Fn::If': [`C${n}`, { Key: 'k', Value: 'v' }, { Ref: 'AWS::NoValue' }],
  }));
  return { Tags: tags, VersioningConfiguration: { Status: status } };
}

describe('bucket-versioning', () => {
  it.each([
    ['versioning enabled', { VersioningConfiguration: { Status: 'Enabled' } }],
    [
      'versioning enabled next to other settings',
      { BucketName: 'b', VersioningConfiguration: { Status: 'Enabled' } },
    ],
  ])('compliant: %s', (_name, properties) => {
    expect(evaluateRule(rule, templateWith(BUCKET, properties)).Subject.status).toBe('compliant');
  });

  it.each([
    ['no properties', undefined, 'VersioningConfiguration is not set (buckets are unversioned by default)'],
    ['no versioning configuration', { BucketName: 'b' }, 'VersioningConfiguration is not set'],
    [
      'a null versioning configuration',
      { VersioningConfiguration: null },
      'VersioningConfiguration is not set',
    ],
    [
      'suspended',
      { VersioningConfiguration: { Status: 'Suspended' } },
      "Status is 'Suspended', not 'Enabled'",
    ],
    [
      'a lower-case status',
      { VersioningConfiguration: { Status: 'enabled' } },
      "Status is 'enabled', not 'Enabled'",
    ],
    ['no status', { VersioningConfiguration: {} }, 'VersioningConfiguration has no Status'],
    ['a null status', { VersioningConfiguration: { Status: null } }, 'VersioningConfiguration has no Status'],
  ])('non-compliant: %s', (_name, properties, reason) => {
    const { Subject } = evaluateRule(rule, templateWith(BUCKET, properties));
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'VersioningConfiguration' });
    expect(Subject.reason).toContain(reason);
  });

  it.each([
    [
      'a string configuration',
      { VersioningConfiguration: 'Enabled' },
      "VersioningConfiguration is 'Enabled', not a versioning configuration",
    ],
    [
      'an array configuration',
      { VersioningConfiguration: [{ Status: 'Enabled' }] },
      'not a versioning configuration',
    ],
    [
      'a numeric configuration',
      { VersioningConfiguration: 1 },
      'VersioningConfiguration is 1, not a versioning',
    ],
    [
      'an array status',
      { VersioningConfiguration: { Status: ['Enabled'] } },
      `Status is ["Enabled"], not 'Enabled'`,
    ],
    ['a boolean status', { VersioningConfiguration: { Status: true } }, "Status is true, not 'Enabled'"],
    [
      'a nested object status',
      { VersioningConfiguration: { Status: { Nested: [1] } } },
      `Status is {"Nested":[1]}`,
    ],
  ])('odd shape, non-compliant without throwing: %s', (_name, properties, reason) => {
    const { Subject } = evaluateRule(rule, templateWith(BUCKET, properties));
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'VersioningConfiguration' });
    expect(Subject.reason).toContain(reason);
  });

  describe('intrinsics', () => {
    it.each([
      [
        'a Ref to a resource',
        { VersioningConfiguration: { Status: { Ref: 'Other' } } },
        "VersioningConfiguration Status is Ref Other, not 'Enabled'",
      ],
      [
        'a Fn::GetAtt of a resource',
        { VersioningConfiguration: { Status: { 'Fn::GetAtt': ['Other', 'Arn'] } } },
        "VersioningConfiguration Status is Fn::GetAtt Other.Arn, not 'Enabled'",
      ],
      [
        'a Ref to a resource in place of the configuration',
        { VersioningConfiguration: { Ref: 'Other' } },
        'VersioningConfiguration is Ref Other, not a versioning configuration',
      ],
    ])('non-compliant: %s', (_name, properties, reason) => {
      const template = templateWith(BUCKET, properties, {
        Resources: { Other: { Type: 'AWS::SQS::Queue' } },
      });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'VersioningConfiguration' });
      expect(Subject.reason).toBe(reason);
    });

    it('fails Fn::If when one branch suspends versioning, naming the branch', () => {
      const template = templateWith(BUCKET, {
        VersioningConfiguration: { Status: { 'Fn::If': ['IsProd', 'Enabled', 'Suspended'] } },
      });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject.status).toBe('non-compliant');
      expect(Subject.reason).toBe(
        "when condition IsProd is false: VersioningConfiguration Status is 'Suspended', not 'Enabled'",
      );
    });

    it('fails Fn::If when one branch drops the configuration', () => {
      const template = templateWith(BUCKET, {
        VersioningConfiguration: { 'Fn::If': ['IsProd', { Status: 'Enabled' }, { Ref: 'AWS::NoValue' }] },
      });
      expect(evaluateRule(rule, template).Subject.reason).toMatch(
        /^when condition IsProd is false: VersioningConfiguration is not set/,
      );
    });

    it('passes Fn::If when both branches enable versioning', () => {
      const template = templateWith(BUCKET, {
        VersioningConfiguration: { 'Fn::If': ['IsProd', { Status: 'Enabled' }, { Status: 'Enabled' }] },
      });
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('cannot verify a status from a template parameter', () => {
      const template = templateWith(
        BUCKET,
        { VersioningConfiguration: { Status: { Ref: 'VersioningStatus' } } },
        { Parameters: { VersioningStatus: { Type: 'String', Default: 'Enabled' } } },
      );
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VersioningConfiguration' });
      expect(Subject.reason).toBe(
        'VersioningConfiguration Status comes from parameter VersioningStatus, which is only known at deploy time',
      );
    });

    it('passes a status imported from another stack that exports Enabled', () => {
      const subject = templateWith(BUCKET, {
        VersioningConfiguration: { Status: { 'Fn::ImportValue': 'status' } },
      });
      const exporter = { Outputs: { X: { Value: 'Enabled', Export: { Name: 'status' } } } };
      expect(evaluateRule(rule, [subject, exporter]).Subject.status).toBe('compliant');
    });

    it('fails a status imported from another stack that exports a resource', () => {
      const subject = templateWith(BUCKET, {
        VersioningConfiguration: { Status: { 'Fn::ImportValue': 'x' } },
      });
      const exporter = {
        Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
        Outputs: { X: { Value: { Ref: 'Topic' }, Export: { Name: 'x' } } },
      };
      const { Subject } = evaluateRule(rule, [subject, exporter]);
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'VersioningConfiguration' });
      expect(Subject.reason).toBe("VersioningConfiguration Status is Fn::ImportValue x, not 'Enabled'");
    });

    it('cannot verify a status imported from an export that is not in the templates', () => {
      const template = templateWith(BUCKET, {
        VersioningConfiguration: { Status: { 'Fn::ImportValue': 'missing' } },
      });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VersioningConfiguration' });
      expect(Subject.reason).toContain('comes from import of export missing');
    });

    it('cannot verify a Fn::If the engine did not expand (and does not throw)', () => {
      const template = templateWith(
        BUCKET,
        withSevenConditions({ 'Fn::If': ['C7', 'Enabled', 'Suspended'] }),
      );
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VersioningConfiguration' });
      expect(Subject.reason).toContain('VersioningConfiguration Status comes from Fn::If');
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default s3.Bucket and passes a versioned one', () => {
      const template = synthStack((stack) => {
        new s3.Bucket(stack, 'Plain');
        new s3.Bucket(stack, 'Versioned', { versioned: true });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status])).toEqual([
        ['Plain', 'non-compliant'],
        ['Versioned', 'compliant'],
      ]);
    });
  });
});

describe('bucket-versioning remediation (BucketVersioning)', () => {
  const FINDING = 'Enterprise-S3.2';

  /** Resources by logical id without CDK's hash suffix. */
  const byId = (template: CfnTemplate) =>
    Object.fromEntries(
      Object.entries(template.Resources ?? {}).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
    );
  const statuses = (template: CfnTemplate) =>
    Object.values(evaluateRule(rule, template)).map((e) => e.status);

  it('makes a default bucket pass the rule, and records the change', () => {
    let bucket!: s3.Bucket;
    const { template } = synthWithAspects((stack) => {
      bucket = new s3.Bucket(stack, 'Data');
    }, new BucketVersioning());
    expect(statuses(template)).toEqual(['compliant']);
    expect(byId(template).Data.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(remediationRecords(bucket)).toEqual([
      { findingId: FINDING, changes: ['set VersioningConfiguration Status to Enabled'] },
    ]);
  });

  it('enables versioning the user suspended, saying so', () => {
    let bucket!: s3.CfnBucket;
    const { template } = synthWithAspects((stack) => {
      bucket = new s3.CfnBucket(stack, 'Data', { versioningConfiguration: { status: 'Suspended' } });
    }, new BucketVersioning());
    expect(statuses(template)).toEqual(['compliant']);
    expect(bucket.versioningConfiguration).toEqual({ status: 'Enabled' });
    expect(remediationRecords(bucket)).toEqual([
      { findingId: FINDING, changes: ['changed VersioningConfiguration Status from Suspended to Enabled'] },
    ]);
  });

  it('replaces a status that Fn::If suspends in one branch', () => {
    let bucket!: s3.CfnBucket;
    const { template } = synthWithAspects((stack) => {
      bucket = new s3.CfnBucket(stack, 'Data', {
        versioningConfiguration: { status: Fn.conditionIf('IsProd', 'Enabled', 'Suspended').toString() },
      });
    }, new BucketVersioning());
    expect(byId(template).Data.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(remediationRecords(bucket)).toEqual([
      { findingId: FINDING, changes: ['changed VersioningConfiguration Status from Fn::If to Enabled'] },
    ]);
  });

  it('changes nothing when applied twice (two instances)', () => {
    const build = (stack: Stack) => {
      new s3.Bucket(stack, 'Data', { bucketName: 'orders' });
      new s3.CfnBucket(stack, 'Suspended', { versioningConfiguration: { status: 'Suspended' } });
    };
    const once = synthWithAspects(build, new BucketVersioning()).template;
    const twice = synthWithAspects(build, new BucketVersioning(), new BucketVersioning()).template;
    expect(twice).toEqual(once);
  });

  it('keeps what the user set, adds no other resource and leaves versioned buckets alone', () => {
    let versioned!: s3.Bucket;
    const { template } = synthWithAspects((stack) => {
      new s3.Bucket(stack, 'Data', {
        bucketName: 'orders',
        encryption: s3.BucketEncryption.S3_MANAGED,
        lifecycleRules: [{ expiration: Duration.days(30) }],
        removalPolicy: RemovalPolicy.RETAIN,
      });
      versioned = new s3.Bucket(stack, 'Versioned', { versioned: true, bucketName: 'kept' });
    }, new BucketVersioning());
    const resources = byId(template);
    expect(Object.keys(resources)).toEqual(['Data', 'Versioned']);
    expect(resources.Data).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        BucketName: 'orders',
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
        VersioningConfiguration: { Status: 'Enabled' },
      },
    });
    expect(resources.Versioned.Properties).toEqual({
      BucketName: 'kept',
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(remediationRecords(versioned)).toEqual([]);
  });

  it('leaves a status from a parameter alone (it cannot be judged, so it is not overwritten)', () => {
    let bucket!: s3.CfnBucket;
    const { template } = synthWithAspects((stack) => {
      const status = new CfnParameter(stack, 'Status', { type: 'String' });
      bucket = new s3.CfnBucket(stack, 'Data', { versioningConfiguration: { status: status.valueAsString } });
    }, new BucketVersioning());
    expect(byId(template).Data.Properties?.VersioningConfiguration).toEqual({ Status: { Ref: 'Status' } });
    expect(remediationRecords(bucket)).toEqual([]);
  });

  describe('cannot be applied', () => {
    it('to a bucket that is not an s3.CfnBucket, and says why', () => {
      let raw!: CfnResource;
      const { template } = synthWithAspects((stack) => {
        raw = new CfnResource(stack, 'Raw', { type: BUCKET, properties: { BucketName: 'raw' } });
      }, new BucketVersioning());
      expect(byId(template).Raw.Properties).toEqual({ BucketName: 'raw' });
      expect(remediationRecords(raw)).toEqual([
        {
          findingId: FINDING,
          notApplied: 'the bucket is not an s3.CfnBucket, so its VersioningConfiguration cannot be set',
        },
      ]);
    });

    it('when an escape-hatch override suspends versioning: the typed property is restored', () => {
      let bucket!: s3.Bucket;
      const { template } = synthWithAspects((stack) => {
        bucket = new s3.Bucket(stack, 'Data', { versioned: true });
        (bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
          'VersioningConfiguration.Status',
          'Suspended',
        );
      }, new BucketVersioning());
      expect(byId(template).Data.Properties?.VersioningConfiguration).toEqual({ Status: 'Suspended' });
      expect((bucket.node.defaultChild as s3.CfnBucket).versioningConfiguration).toEqual({
        status: 'Enabled',
      });
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            "an escape-hatch override (addPropertyOverride) of VersioningConfiguration wins over the typed property the fix sets; set Status 'Enabled' in the override or remove it",
        },
      ]);
    });
  });
});
