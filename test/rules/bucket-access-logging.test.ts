import { App, AspectPriority, Aspects, Aws, aws_s3 as s3, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { BucketAccessLogging, BucketVersioning } from '../../src/remediations/aspects';
import rule from '../../src/rules/bucket-access-logging';
import { CfnTemplate } from '../../src/engine/template';
import { evaluateRule, remediationRecords, synthStack, synthWithAspects, templateWith } from '../helpers';

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

describe('bucket-access-logging remediation (BucketAccessLogging)', () => {
  const FINDING = 'Enterprise-S3.1';
  const CENTRAL = 'central-logs-${AWS::AccountId}-${AWS::Region}';
  const CENTRAL_HERE = 'central-logs-111111111111-eu-west-1';
  const fix = () => new BucketAccessLogging({ accessLogsBucketName: CENTRAL });

  /** Resources by logical id without CDK's hash suffix. */
  const byId = (template: CfnTemplate) =>
    Object.fromEntries(
      Object.entries(template.Resources ?? {}).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
    );
  const statusesById = (template: CfnTemplate) =>
    Object.fromEntries(
      Object.entries(evaluateRule(rule, template)).map(([id, e]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        e.status,
      ]),
    );
  const loggingOf = (template: CfnTemplate, id: string) =>
    byId(template)[id].Properties?.LoggingConfiguration;
  /** The template of the same stack without the fix, to show what was left as it was. */
  const unfixed = (build: (stack: Stack) => void) => synthWithAspects(build).template;

  it("sends a default bucket's logs to the central bucket under its own prefix, and records the change", () => {
    let bucket!: s3.Bucket;
    const { template } = synthWithAspects((stack) => {
      bucket = new s3.Bucket(new Construct(stack, 'Api'), 'Uploads');
    }, fix());
    expect(statusesById(template)).toEqual({ ApiUploads: 'compliant' });
    expect(loggingOf(template, 'ApiUploads')).toEqual({
      DestinationBucketName: CENTRAL_HERE,
      LogFilePrefix: 'Stack/Api/Uploads/',
    });
    expect(remediationRecords(bucket)).toEqual([
      {
        findingId: FINDING,
        changes: [
          `set LoggingConfiguration DestinationBucketName to ${CENTRAL_HERE}`,
          'set LoggingConfiguration LogFilePrefix to Stack/Api/Uploads/',
        ],
      },
    ]);
  });

  it('reads the central bucket from the context key cdk-catalogue:access-logs-bucket', () => {
    const { template } = synthWithAspects((stack) => {
      stack.node.setContext('cdk-catalogue:access-logs-bucket', 'logs-${AWS::Region}');
      new s3.CfnBucket(stack, 'Data');
    }, new BucketAccessLogging());
    expect(loggingOf(template, 'Data')).toEqual({
      DestinationBucketName: 'logs-eu-west-1',
      LogFilePrefix: 'Stack/Data/',
    });
  });

  it('leaves the account and Region to Fn::Sub in an environment-agnostic stack', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Agnostic');
    const bucket = new s3.Bucket(stack, 'Data');
    Aspects.of(app).add(fix(), { priority: AspectPriority.MUTATING });
    const template = app.synth().getStackByName('Agnostic').template as CfnTemplate;
    expect(loggingOf(template, 'Data')).toEqual({
      DestinationBucketName: { 'Fn::Sub': CENTRAL },
      LogFilePrefix: 'Agnostic/Data/',
    });
    expect(statusesById(template)).toEqual({ Data: 'compliant' });
    expect(remediationRecords(bucket)).toEqual([
      {
        findingId: FINDING,
        changes: [
          `set LoggingConfiguration DestinationBucketName to ${CENTRAL}`,
          'set LoggingConfiguration LogFilePrefix to Agnostic/Data/',
        ],
      },
    ]);
  });

  it('changes nothing when applied twice (two instances)', () => {
    const build = (stack: Stack) => {
      new s3.Bucket(stack, 'Data', { bucketName: 'orders' });
      new s3.Bucket(stack, 'Prefixed', { serverAccessLogsPrefix: 'custom/' });
      const logs = new s3.Bucket(stack, 'Logs');
      new s3.Bucket(stack, 'Logged', { serverAccessLogsBucket: logs });
    };
    const once = synthWithAspects(build, fix()).template;
    const twice = synthWithAspects(build, fix(), fix()).template;
    expect(twice).toEqual(once);
  });

  describe('keeps what the user set', () => {
    it("keeps a bucket's own log prefix (an s3.Bucket that logged into itself)", () => {
      let bucket!: s3.Bucket;
      const { template } = synthWithAspects((stack) => {
        bucket = new s3.Bucket(stack, 'Data', { bucketName: 'orders', serverAccessLogsPrefix: 'custom/' });
      }, fix());
      expect(byId(template).Data.Properties).toMatchObject({
        BucketName: 'orders',
        LoggingConfiguration: { DestinationBucketName: CENTRAL_HERE, LogFilePrefix: 'custom/' },
      });
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          changes: [`set LoggingConfiguration DestinationBucketName to ${CENTRAL_HERE}`],
        },
      ]);
    });

    it('keeps TargetObjectKeyFormat and replaces a destination that is the bucket itself', () => {
      let bucket!: s3.CfnBucket;
      const { template } = synthWithAspects((stack) => {
        bucket = new s3.CfnBucket(stack, 'Data', {
          loggingConfiguration: { targetObjectKeyFormat: { simplePrefix: {} } },
        });
        bucket.loggingConfiguration = {
          destinationBucketName: bucket.ref,
          targetObjectKeyFormat: { partitionedPrefix: { partitionDateSource: 'EventTime' } },
        };
      }, fix());
      expect(statusesById(template)).toEqual({ Data: 'compliant' });
      expect(loggingOf(template, 'Data')).toEqual({
        DestinationBucketName: CENTRAL_HERE,
        LogFilePrefix: 'Stack/Data/',
        TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: 'EventTime' } },
      });
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          changes: [
            `changed LoggingConfiguration DestinationBucketName from the bucket itself to ${CENTRAL_HERE}`,
            'set LoggingConfiguration LogFilePrefix to Stack/Data/',
          ],
        },
      ]);
    });

    it('replaces a destination that is its own BucketName', () => {
      const { template } = synthWithAspects((stack) => {
        new s3.CfnBucket(stack, 'Data', {
          bucketName: 'orders',
          loggingConfiguration: { destinationBucketName: 'orders', logFilePrefix: 'mine/' },
        });
      }, fix());
      expect(loggingOf(template, 'Data')).toEqual({
        DestinationBucketName: CENTRAL_HERE,
        LogFilePrefix: 'mine/',
      });
    });
  });

  it('leaves buckets that log elsewhere, and adds nothing else to the app', () => {
    let logged!: s3.Bucket;
    let elsewhere!: s3.CfnBucket;
    const build = (stack: Stack) => {
      const logs = new s3.Bucket(stack, 'Logs');
      logged = new s3.Bucket(stack, 'Logged', { serverAccessLogsBucket: logs, serverAccessLogsPrefix: 'x/' });
      elsewhere = new s3.CfnBucket(stack, 'Elsewhere', {
        loggingConfiguration: { destinationBucketName: 'team-logs' },
      });
      new s3.Bucket(stack, 'Data');
    };
    const before = unfixed(build);
    const { template } = synthWithAspects(build, fix());
    expect(Object.keys(byId(template))).toEqual(Object.keys(byId(before)));
    expect(byId(template).Logged).toEqual(byId(before).Logged);
    expect(byId(template).Elsewhere).toEqual(byId(before).Elsewhere);
    expect(byId(template).LogsPolicy).toEqual(byId(before).LogsPolicy);
    expect(remediationRecords(logged)).toEqual([]);
    expect(remediationRecords(elsewhere)).toEqual([]);
    expect(statusesById(template)).toEqual({
      Logs: 'compliant',
      Logged: 'compliant',
      Elsewhere: 'compliant',
      Data: 'compliant',
    });
  });

  describe('never makes a log bucket log into itself', () => {
    it('leaves a bucket that other buckets of the stack log into as it is, saying why', () => {
      let logs!: s3.Bucket;
      const build = (stack: Stack) => {
        logs = new s3.Bucket(stack, 'Logs');
        new s3.Bucket(stack, 'Data', { serverAccessLogsBucket: logs });
        new s3.CfnBucket(stack, 'ByName', {
          loggingConfiguration: { destinationBucketName: logs.bucketName },
        });
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, fix());
      expect(byId(template).Logs).toEqual(byId(before).Logs);
      expect(statusesById(template).Logs).toBe('compliant');
      // Judged within its stack, the log bucket complies: the fix is not called and nothing is recorded.
      expect(remediationRecords(logs)).toEqual([]);
    });

    it('leaves the central log bucket itself alone, saying why', () => {
      let central!: s3.Bucket;
      const build = (stack: Stack) => {
        central = new s3.Bucket(stack, 'Central', {
          bucketName: `central-logs-${stack.account}-${stack.region}`,
        });
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, fix());
      expect(template).toEqual(before);
      expect(remediationRecords(central)).toEqual([
        {
          findingId: FINDING,
          notApplied: `the bucket is the central access-log bucket named by accessLogsBucketName (${CENTRAL_HERE}), which must not deliver its access logs to itself`,
        },
      ]);
    });

    it('recognises the central bucket by the same Fn::Sub in an environment-agnostic stack', () => {
      const app = new App({ builtinCloudFormationValidation: false });
      const stack = new Stack(app, 'Agnostic');
      const central = new s3.CfnBucket(stack, 'Central', { bucketName: Fn.sub(CENTRAL) });
      Aspects.of(app).add(fix(), { priority: AspectPriority.MUTATING });
      const template = app.synth().getStackByName('Agnostic').template as CfnTemplate;
      expect(loggingOf(template, 'Central')).toBeUndefined();
      expect(remediationRecords(central)).toEqual([
        {
          findingId: FINDING,
          notApplied: `the bucket is the central access-log bucket named by accessLogsBucketName (${CENTRAL}), which must not deliver its access logs to itself`,
        },
      ]);
    });
  });

  describe('cannot be applied', () => {
    it('when no central log bucket is configured, naming the prop and the context key', () => {
      let bucket!: s3.Bucket;
      const build = (stack: Stack) => {
        bucket = new s3.Bucket(stack, 'Data');
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, new BucketAccessLogging());
      expect(template).toEqual(before);
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            "no central access-log bucket was given: set the remediations' accessLogsBucketName prop or the context key 'cdk-catalogue:access-logs-bucket'",
        },
      ]);
    });

    it('to a bucket that is not an s3.CfnBucket', () => {
      let raw!: CfnResource;
      const { template } = synthWithAspects((stack) => {
        raw = new CfnResource(stack, 'Raw', { type: BUCKET });
      }, fix());
      expect(byId(template).Raw.Properties).toBeUndefined();
      expect(remediationRecords(raw)).toEqual([
        {
          findingId: FINDING,
          notApplied: 'the bucket is not an s3.CfnBucket, so its LoggingConfiguration cannot be set',
        },
      ]);
    });

    it("over a destination the user chose that is not a bucket's name (its own Arn)", () => {
      let bucket!: s3.CfnBucket;
      const build = (stack: Stack) => {
        bucket = new s3.CfnBucket(stack, 'Data');
        bucket.loggingConfiguration = { destinationBucketName: bucket.attrArn, logFilePrefix: 'p/' };
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, fix());
      expect(template).toEqual(before);
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'LoggingConfiguration DestinationBucketName is Fn::GetAtt Data.Arn, which the fix does not replace: name the log bucket by its name (Ref or bucketName)',
        },
      ]);
    });

    it('to a LoggingConfiguration computed as a whole (Fn::If)', () => {
      let bucket!: s3.CfnBucket;
      const build = (stack: Stack) => {
        // Inside an intrinsic CDK does not rename typed properties: the value is written as CloudFormation.
        const logging = Fn.conditionIf('Central', { DestinationBucketName: 'team-logs' }, Aws.NO_VALUE);
        bucket = new s3.CfnBucket(stack, 'Data', { loggingConfiguration: logging });
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, fix());
      expect(template).toEqual(before);
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'LoggingConfiguration is Fn::If, computed as a whole, so the fix cannot merge a DestinationBucketName into it; give one in each of its branches',
        },
      ]);
    });

    it('when an escape-hatch override points the logs at the bucket itself', () => {
      let bucket!: s3.CfnBucket;
      const build = (stack: Stack) => {
        bucket = new s3.CfnBucket(stack, 'Data');
        bucket.addPropertyOverride('LoggingConfiguration.DestinationBucketName', { Ref: 'Data' });
      };
      const before = unfixed(build);
      const { template } = synthWithAspects(build, fix());
      expect(template).toEqual(before);
      expect(bucket.loggingConfiguration).toBeUndefined();
      expect(remediationRecords(bucket)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            'an escape-hatch override (addPropertyOverride) of LoggingConfiguration wins over the typed property the fix sets; set DestinationBucketName to the central log bucket in the override or remove it',
        },
      ]);
    });
  });

  it('gives a template that passes the CloudFormation validator bundled with aws-cdk-lib', () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    const logs = new s3.Bucket(stack, 'Logs');
    new s3.Bucket(stack, 'Data', { serverAccessLogsPrefix: 'custom/' });
    new s3.Bucket(stack, 'Logged', { serverAccessLogsBucket: logs });
    new s3.CfnBucket(stack, 'Raw', { versioningConfiguration: { status: 'Suspended' } });
    for (const aspect of [fix(), new BucketVersioning()]) {
      Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
    }
    let template!: CfnTemplate;
    expect(() => {
      template = app.synth().getStackByName('Stack').template as CfnTemplate;
    }).not.toThrow();
    expect(statusesById(template)).toEqual({
      Logs: 'compliant',
      Data: 'compliant',
      Logged: 'compliant',
      Raw: 'compliant',
    });
  });
});
