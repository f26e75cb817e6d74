import { aws_s3 as s3 } from 'aws-cdk-lib';
import rule from '../../src/rules/bucket-access-logging';
import { CfnTemplate } from '../../src/engine/template';
import { evaluateRule, synthStack, templateWith } from '../helpers';

const BUCKET = 'AWS::S3::Bucket';
const NOT_LOGGING =
  'LoggingConfiguration is not set, so server access is not logged (and no other bucket logs into this one)';
const LOGS_INTO_ITSELF =
  'LoggingConfiguration has no DestinationBucketName, so the bucket logs into itself, which is no separate audit trail';
const IS_ITSELF =
  'LoggingConfiguration DestinationBucketName is the bucket itself, which is no separate audit trail';

/** A bucket that delivers its access logs to `destination`. */
function loggingTo(destination: unknown, extra: Record<string, unknown> = {}) {
  return {
    Type: BUCKET,
    Properties: { ...extra, LoggingConfiguration: { DestinationBucketName: destination } },
  };
}

const LOG_BUCKET = { Type: BUCKET, Properties: { BucketName: 'central-logs' } };
const PARAMETERS = { Parameters: { LogBucketName: { Type: 'String' }, OtherName: { Type: 'String' } } };

describe('bucket-access-logging', () => {
  describe('a bucket that logs', () => {
    it.each([
      ['to a literal bucket name', { DestinationBucketName: 'central-logs' }],
      [
        'to a literal bucket name with a prefix',
        { DestinationBucketName: 'central-logs', LogFilePrefix: 'app/' },
      ],
      ['to a Ref of another bucket', { DestinationBucketName: { Ref: 'Log' } }],
      ['to a computed name', { DestinationBucketName: { 'Fn::Sub': 'logs-${AWS::AccountId}' } }],
      [
        'to a joined name',
        { DestinationBucketName: { 'Fn::Join': ['-', ['logs', { Ref: 'AWS::Region' }]] } },
      ],
      ['to a name from a parameter', { DestinationBucketName: { Ref: 'LogBucketName' } }],
      [
        'to a name from a custom resource',
        { DestinationBucketName: { 'Fn::GetAtt': ['Names', 'LogBucket'] } },
      ],
      ['to an export not in the templates', { DestinationBucketName: { 'Fn::ImportValue': 'shared-logs' } }],
    ])('complies: %s', (_name, logging) => {
      const template = templateWith(
        BUCKET,
        { LoggingConfiguration: logging },
        { ...PARAMETERS, Resources: { Log: LOG_BUCKET, Names: { Type: 'Custom::Names' } } },
      );
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('complies when it logs to a bucket of another stack through Fn::ImportValue', () => {
      const subject = templateWith(BUCKET, {
        LoggingConfiguration: { DestinationBucketName: { 'Fn::ImportValue': 'x' } },
      });
      const exporter: CfnTemplate = {
        Resources: { Log: { Type: BUCKET } },
        Outputs: { X: { Value: { Ref: 'Log' }, Export: { Name: 'x' } } },
      };
      const { Subject, Log } = evaluateRule(rule, [subject, exporter]);
      expect([Subject.status, Log.status]).toEqual(['compliant', 'compliant']);
    });
  });

  describe('a log bucket that does not log itself', () => {
    it.each<[string, Record<string, unknown> | undefined, CfnTemplate['Resources']]>([
      ['is the Ref destination of another bucket', undefined, { Source: loggingTo({ Ref: 'Subject' }) }],
      [
        'is named by BucketName as the destination of another bucket',
        { BucketName: 'central-logs' },
        { Source: loggingTo('central-logs') },
      ],
      [
        'is named by the same parameter as the destination of another bucket',
        { BucketName: { Ref: 'LogBucketName' } },
        { Source: loggingTo({ Ref: 'LogBucketName' }) },
      ],
      [
        'is the destination in one Fn::If branch of another bucket',
        undefined,
        { Source: loggingTo({ 'Fn::If': ['Central', 'central-logs', { Ref: 'Subject' }] }) },
      ],
    ])('complies: %s', (_name, properties, resources) => {
      const { Subject } = evaluateRule(
        rule,
        templateWith(BUCKET, properties, { ...PARAMETERS, Resources: resources }),
      );
      expect(Subject.status).toBe('compliant');
    });

    it('complies when a bucket in another template imports it as its destination', () => {
      const logStack: CfnTemplate = {
        ...templateWith(BUCKET, undefined),
        Outputs: { LogRef: { Value: { Ref: 'Subject' }, Export: { Name: 'log-bucket' } } },
      };
      const appStack: CfnTemplate = { Resources: { Source: loggingTo({ 'Fn::ImportValue': 'log-bucket' }) } };
      const { Subject, Source } = evaluateRule(rule, [appStack, logStack]);
      expect([Subject.status, Source.status]).toEqual(['compliant', 'compliant']);
    });

    it('complies when a bucket in another template names it by BucketName', () => {
      const logStack = templateWith(BUCKET, { BucketName: 'central-logs' });
      const appStack: CfnTemplate = { Resources: { Source: loggingTo('central-logs') } };
      expect(evaluateRule(rule, [appStack, logStack]).Subject.status).toBe('compliant');
    });
  });

  it.each<[string, Record<string, unknown> | undefined, CfnTemplate['Resources'], string]>([
    ['no properties', undefined, {}, NOT_LOGGING],
    ['no logging configuration', { BucketName: 'data' }, {}, NOT_LOGGING],
    [
      'another bucket logs elsewhere',
      { BucketName: 'data' },
      { Source: loggingTo('central-logs') },
      NOT_LOGGING,
    ],
    [
      'another bucket names it by GetAtt Arn',
      undefined,
      { Source: loggingTo({ 'Fn::GetAtt': ['Subject', 'Arn'] }) },
      NOT_LOGGING,
    ],
    ['an empty logging configuration', { LoggingConfiguration: {} }, {}, LOGS_INTO_ITSELF],
    ['only a log prefix', { LoggingConfiguration: { LogFilePrefix: 'logs/' } }, {}, LOGS_INTO_ITSELF],
    ['an empty destination', { LoggingConfiguration: { DestinationBucketName: '' } }, {}, LOGS_INTO_ITSELF],
    [
      'an empty logging configuration on a log bucket',
      { LoggingConfiguration: {} },
      { Source: loggingTo({ Ref: 'Subject' }) },
      LOGS_INTO_ITSELF,
    ],
    [
      'a Ref to itself',
      { LoggingConfiguration: { DestinationBucketName: { Ref: 'Subject' } } },
      {},
      IS_ITSELF,
    ],
    [
      'its own literal BucketName',
      { BucketName: 'data', LoggingConfiguration: { DestinationBucketName: 'data' } },
      {},
      IS_ITSELF,
    ],
    [
      'the parameter that names it',
      {
        BucketName: { Ref: 'LogBucketName' },
        LoggingConfiguration: { DestinationBucketName: { Ref: 'LogBucketName' } },
      },
      {},
      IS_ITSELF,
    ],
    [
      'the Arn of another bucket',
      { LoggingConfiguration: { DestinationBucketName: { 'Fn::GetAtt': ['Log', 'Arn'] } } },
      { Log: LOG_BUCKET },
      "LoggingConfiguration DestinationBucketName is Fn::GetAtt Log.Arn, the bucket's Arn rather than its name",
    ],
  ])('non-compliant: %s', (_name, properties, resources, reason) => {
    const { Subject } = evaluateRule(
      rule,
      templateWith(BUCKET, properties, { ...PARAMETERS, Resources: resources }),
    );
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'LoggingConfiguration' });
    expect(Subject.reason).toBe(reason);
  });

  it('does not match a parameter of the same name in another stack', () => {
    const logStack = templateWith(BUCKET, { BucketName: { Ref: 'LogBucketName' } }, PARAMETERS);
    const appStack: CfnTemplate = {
      ...PARAMETERS,
      Resources: { Source: loggingTo({ Ref: 'LogBucketName' }) },
    };
    const { Subject } = evaluateRule(rule, [appStack, logStack]);
    expect(Subject).toMatchObject({ status: 'non-compliant', reason: NOT_LOGGING });
  });

  it.each([
    [
      'a string configuration',
      'central-logs',
      "LoggingConfiguration is 'central-logs', not a logging configuration",
    ],
    ['an array configuration', [{ DestinationBucketName: 'b' }], 'not a logging configuration'],
    [
      'a numeric destination',
      { DestinationBucketName: 42 },
      'LoggingConfiguration DestinationBucketName is 42, not a bucket name',
    ],
    [
      'a boolean destination',
      { DestinationBucketName: true },
      'DestinationBucketName is true, not a bucket name',
    ],
    [
      'an object destination',
      { DestinationBucketName: { Nested: [1] } },
      'DestinationBucketName is {"Nested":[1]}, not a bucket name',
    ],
    [
      'an array destination',
      { DestinationBucketName: ['central-logs'] },
      'is ["central-logs"], not a bucket name',
    ],
  ])('odd shape, non-compliant without throwing: %s', (_name, logging, reason) => {
    const { Subject } = evaluateRule(rule, templateWith(BUCKET, { LoggingConfiguration: logging }));
    expect(Subject).toMatchObject({ status: 'non-compliant', property: 'LoggingConfiguration' });
    expect(Subject.reason).toContain(reason);
  });

  it('reads other buckets of any shape without throwing', () => {
    const template = templateWith(BUCKET, undefined, {
      Resources: {
        Junk: { Type: BUCKET, Properties: 'junk' as never },
        Odd: { Type: BUCKET, Properties: { LoggingConfiguration: 'junk', BucketName: [1] } },
        Deep: {
          Type: BUCKET,
          Properties: { LoggingConfiguration: { DestinationBucketName: { Ref: ['x'] } } },
        },
        Null: null as never,
      },
    });
    expect(evaluateRule(rule, template).Subject).toMatchObject({
      status: 'non-compliant',
      reason: NOT_LOGGING,
    });
  });

  describe('intrinsics', () => {
    it('fails Fn::If when one branch drops the destination, naming the branch', () => {
      const template = templateWith(
        BUCKET,
        {
          LoggingConfiguration: {
            DestinationBucketName: { 'Fn::If': ['Central', { Ref: 'Log' }, { Ref: 'AWS::NoValue' }] },
          },
        },
        { Resources: { Log: LOG_BUCKET } },
      );
      const { Subject } = evaluateRule(rule, template);
      expect(Subject.status).toBe('non-compliant');
      expect(Subject.reason).toBe(`when condition Central is false: ${LOGS_INTO_ITSELF}`);
    });

    it('passes Fn::If when both branches name a destination', () => {
      const template = templateWith(
        BUCKET,
        {
          LoggingConfiguration: {
            'Fn::If': [
              'Central',
              { DestinationBucketName: 'central-logs' },
              { DestinationBucketName: { Ref: 'Log' } },
            ],
          },
        },
        { Resources: { Log: LOG_BUCKET } },
      );
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('cannot verify a logging configuration from a template parameter', () => {
      const template = templateWith(
        BUCKET,
        { LoggingConfiguration: { Ref: 'Logging' } },
        { Parameters: { Logging: { Type: 'String' } } },
      );
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'LoggingConfiguration' });
      expect(Subject.reason).toBe(
        'LoggingConfiguration comes from parameter Logging, which is only known at deploy time',
      );
    });

    it('cannot verify a destination chosen by a Fn::If the engine did not expand (and does not throw)', () => {
      const tags = [1, 2, 3, 4, 5, 6].map((n) => ({
        'Fn::If': [`C${n}`, { Key: 'k', Value: 'v' }, { Ref: 'AWS::NoValue' }],
      }));
      const template = templateWith(BUCKET, {
        Tags: tags,
        LoggingConfiguration: {
          DestinationBucketName: { 'Fn::If': ['C7', 'central-logs', { Ref: 'AWS::NoValue' }] },
        },
      });
      const { Subject } = evaluateRule(rule, template);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'LoggingConfiguration' });
      expect(Subject.reason).toContain('LoggingConfiguration DestinationBucketName is chosen by Fn::If');
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default s3.Bucket, passes one with serverAccessLogsBucket and the log bucket itself', () => {
      const template = synthStack((stack) => {
        new s3.Bucket(stack, 'Plain');
        const logBucket = new s3.Bucket(stack, 'Logs');
        new s3.Bucket(stack, 'Data', { versioned: true, serverAccessLogsBucket: logBucket });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status])).toEqual([
        ['Plain', 'non-compliant'],
        ['Logs', 'compliant'],
        ['Data', 'compliant'],
      ]);
    });
  });
});
