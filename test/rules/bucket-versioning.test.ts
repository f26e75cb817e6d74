import { aws_s3 as s3 } from 'aws-cdk-lib';
import rule from '../../src/rules/bucket-versioning';
import { evaluateRule, synthStack, templateWith } from '../helpers';

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
