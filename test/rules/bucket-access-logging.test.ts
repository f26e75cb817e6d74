import { App, AspectPriority, Aspects, Aws, aws_s3 as s3, CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { evaluate, Evaluation } from '../../src/engine/evaluate';
import { BucketAccessLogging, BucketVersioning } from '../../src/remediations/aspects';
import rule from '../../src/rules/bucket-access-logging';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../../src/engine/template';
import {
  evaluateRule,
  remediationRecords,
  singleRuleCatalogue,
  stackTemplate,
  synthStack,
  synthWithAspects,
  templateWith,
} from '../helpers';

const BUCKET = 'AWS::S3::Bucket';
const NOT_LOGGED = 'LoggingConfiguration is not set, so server access is not logged';
const NOT_LOGGING = `${NOT_LOGGED} (and no other bucket logs into this one)`;
const LOGS_INTO_ITSELF =
  'LoggingConfiguration has no DestinationBucketName, so the bucket logs into itself, which is no separate audit trail';
const IS_ITSELF =
  'LoggingConfiguration DestinationBucketName is the bucket itself, which is no separate audit trail';
const NOT_EVIDENT = (loggers: string) =>
  `${NOT_LOGGED}; bucket ${loggers} logs into this one, but nothing shows it is a log bucket: no bucket policy allows logging.s3.amazonaws.com s3:PutObject into it and its AccessControl is not LogDeliveryWrite`;
const NOT_DEPLOYED_TOGETHER = (when: string, loggers: string) =>
  `when ${when}: ${NOT_LOGGED}; bucket ${loggers} logs into this one, but no such bucket deploys then together with a bucket policy or ACL that lets S3 deliver its logs`;

/** A bucket that delivers its access logs to `destination`. */
function loggingTo(destination: unknown, extra: Record<string, unknown> = {}) {
  return {
    Type: BUCKET,
    Properties: { ...extra, LoggingConfiguration: { DestinationBucketName: destination } },
  };
}

/** A bucket policy on `bucket` that lets S3 server access logging write, as CDK renders it for `serverAccessLogsBucket`. */
function logDeliveryPolicy(
  bucket: unknown,
  statement: Record<string, unknown> = {},
  resource: Partial<CfnResourceJson> = {},
): CfnResourceJson {
  return {
    Type: 'AWS::S3::BucketPolicy',
    ...resource,
    Properties: {
      Bucket: bucket,
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'logging.s3.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Subject', 'Arn'] }, '/*']] },
            ...statement,
          },
        ],
      },
    },
  };
}

/** The permission that makes Subject evidently a log bucket. */
const SUBJECT_POLICY = logDeliveryPolicy({ Ref: 'Subject' });

const LOG_BUCKET = { Type: BUCKET, Properties: { BucketName: 'central-logs' } };
const PARAMETERS = { Parameters: { LogBucketName: { Type: 'String' }, OtherName: { Type: 'String' } } };

/** Evaluations by `<stack>/<logicalId>` of stacks that say their account and region. */
function evaluateStacks(stacks: readonly StackTemplate[]): Record<string, Evaluation> {
  const evaluations = evaluate({ catalogue: singleRuleCatalogue(rule), stacks });
  return Object.fromEntries(evaluations.map((e) => [`${e.stackId}/${e.logicalId}`, e]));
}

function inEnvironment(
  stackId: string,
  template: CfnTemplate,
  env: { account?: string; region?: string },
): StackTemplate {
  return { ...stackTemplate(template, stackId), ...env };
}

const HERE = { account: '111111111111', region: 'eu-west-1' };

describe('bucket-access-logging', () => {
  describe('a bucket that logs', () => {
    it.each([
      ['to a literal bucket name', { DestinationBucketName: 'central-logs' }],
      [
        'to a literal bucket name with a prefix',
        { DestinationBucketName: 'central-logs', LogFilePrefix: 'app/' },
      ],
      ['to a Ref of another bucket', { DestinationBucketName: { Ref: 'Log' } }],
      ['to another bucket as ${Id} in Fn::Sub', { DestinationBucketName: { 'Fn::Sub': '${Log}' } }],
      ['to a computed name', { DestinationBucketName: { 'Fn::Sub': 'logs-${AWS::AccountId}' } }],
      [
        'to a joined name',
        { DestinationBucketName: { 'Fn::Join': ['-', ['logs', { Ref: 'AWS::Region' }]] } },
      ],
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

    it.each<[string, Record<string, unknown>]>([
      [
        'a parameter, when its literal text rules out the own name',
        {
          BucketName: 'data',
          LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': 'logs-${LogBucketName}' } },
        },
      ],
      [
        'a deploy-time name that cannot be the own name',
        {
          BucketName: 'orders',
          LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': 'central-logs-${AWS::AccountId}' } },
        },
      ],
      [
        'a parameter whose default is another name, with a BucketName from another literal prefix',
        {
          BucketName: 'data-x',
          LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': 'logs-${Defaulted}' } },
        },
      ],
    ])('complies, named: %s', (_name, properties) => {
      const template = templateWith(BUCKET, properties, {
        Parameters: { ...PARAMETERS.Parameters, Defaulted: { Type: 'String', Default: 'data-x' } },
      });
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('complies when it logs to a bucket of another stack through Fn::ImportValue', () => {
      const subject = templateWith(BUCKET, {
        LoggingConfiguration: { DestinationBucketName: { 'Fn::ImportValue': 'x' } },
      });
      const exporter: CfnTemplate = {
        Resources: { Log: { Type: BUCKET }, LogPolicy: logDeliveryPolicy({ Ref: 'Log' }) },
        Outputs: { X: { Value: { Ref: 'Log' }, Export: { Name: 'x' } } },
      };
      const { Subject, Log } = evaluateRule(rule, [subject, exporter]);
      expect([Subject.status, Log.status]).toEqual(['compliant', 'compliant']);
    });
  });

  describe('a log bucket that does not log itself', () => {
    it.each<[string, Record<string, unknown> | undefined, CfnTemplate['Resources']]>([
      [
        'is the Ref destination of another bucket, and its policy lets S3 deliver',
        undefined,
        { Source: loggingTo({ Ref: 'Subject' }), Policy: SUBJECT_POLICY },
      ],
      [
        'is the ${Id} destination of another bucket',
        undefined,
        { Source: loggingTo({ 'Fn::Sub': '${Subject}' }), Policy: SUBJECT_POLICY },
      ],
      [
        'is named by BucketName as the destination of another bucket, and by the policy',
        { BucketName: 'central-logs' },
        { Source: loggingTo('central-logs'), Policy: logDeliveryPolicy('central-logs') },
      ],
      [
        'is named by the same parameter as the destination of another bucket',
        { BucketName: { Ref: 'LogBucketName' } },
        { Source: loggingTo({ Ref: 'LogBucketName' }), Policy: logDeliveryPolicy({ Ref: 'LogBucketName' }) },
      ],
      [
        'is named as Fn::Join by the claim and as Fn::Sub by the policy',
        { BucketName: { 'Fn::Sub': 'logs-${AWS::AccountId}-${AWS::Region}' } },
        {
          Source: loggingTo({
            'Fn::Join': ['-', ['logs', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]],
          }),
          Policy: logDeliveryPolicy({ 'Fn::Sub': 'logs-${AWS::AccountId}-${AWS::Region}' }),
        },
      ],
      [
        'has its own ACL LogDeliveryWrite (CDK without the bucket-policy flag)',
        {
          AccessControl: 'LogDeliveryWrite',
          OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] },
        },
        { Source: loggingTo({ Ref: 'Subject' }) },
      ],
      [
        'has a policy whose actions are a list with s3:*',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy({ Ref: 'Subject' }, { Action: ['s3:GetObject', 's3:*'] }),
        },
      ],
      [
        'has a policy whose principal services are a list and action a wildcard',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy(
            { Ref: 'Subject' },
            {
              Principal: { Service: ['delivery.logs.amazonaws.com', 'logging.s3.amazonaws.com'] },
              Action: 'S3:Put*',
            },
          ),
        },
      ],
      [
        'is claimed in each branch of a Fn::If, by two buckets',
        undefined,
        {
          One: loggingTo({ 'Fn::If': ['Central', { Ref: 'Subject' }, 'elsewhere'] }),
          Two: loggingTo({ 'Fn::If': ['Central', 'elsewhere', { Ref: 'Subject' }] }),
          Policy: SUBJECT_POLICY,
        },
      ],
    ])('complies: %s', (_name, properties, resources) => {
      const template = templateWith(BUCKET, properties, { ...PARAMETERS, Resources: resources });
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('complies when the claiming bucket and the policy have the same Condition as its own', () => {
      const template = templateWith(BUCKET, undefined, {
        Resources: {
          Source: { ...loggingTo({ Ref: 'Subject' }), Condition: 'Logged' },
          Policy: { ...SUBJECT_POLICY, Condition: 'Logged' },
        },
      });
      template.Resources!.Subject = { ...template.Resources!.Subject, Condition: 'Logged' };
      expect(evaluateRule(rule, template).Subject.status).toBe('compliant');
    });

    it('complies when a bucket in another template imports it as its destination', () => {
      const logStack: CfnTemplate = {
        ...templateWith(BUCKET, undefined, { Resources: { Policy: SUBJECT_POLICY } }),
        Outputs: { LogRef: { Value: { Ref: 'Subject' }, Export: { Name: 'log-bucket' } } },
      };
      const appStack: CfnTemplate = { Resources: { Source: loggingTo({ 'Fn::ImportValue': 'log-bucket' }) } };
      const { Subject, Source } = evaluateRule(rule, [appStack, logStack]);
      expect([Subject.status, Source.status]).toEqual(['compliant', 'compliant']);
    });

    it('complies when a bucket in another template of the same account and region names it by BucketName', () => {
      const logStack = templateWith(
        BUCKET,
        { BucketName: 'central-logs' },
        { Resources: { Policy: logDeliveryPolicy('central-logs') } },
      );
      const appStack: CfnTemplate = { Resources: { Source: loggingTo('central-logs') } };
      const found = evaluateStacks([
        inEnvironment('App', appStack, HERE),
        inEnvironment('Logs', logStack, HERE),
      ]);
      expect(found['Logs/Subject'].status).toBe('compliant');
    });
  });

  /** Each of these made a bucket an exempt log bucket before evidence had to deploy with it. */
  describe('only evidence that deploys makes a log bucket', () => {
    it.each<[string, Record<string, unknown> | undefined, CfnTemplate['Resources'], string]>([
      [
        'another bucket logs into it, but no policy or ACL lets S3 deliver',
        undefined,
        { Source: loggingTo({ Ref: 'Subject' }) },
        NOT_EVIDENT('Source'),
      ],
      [
        'another bucket names it by BucketName, but no policy or ACL lets S3 deliver',
        { BucketName: 'central-logs' },
        { Source: loggingTo('central-logs') },
        NOT_EVIDENT('Source'),
      ],
      [
        'the policy is on another bucket',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Other: { Type: BUCKET },
          Policy: logDeliveryPolicy({ Ref: 'Other' }),
        },
        NOT_EVIDENT('Source'),
      ],
      [
        'the policy denies',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy({ Ref: 'Subject' }, { Effect: 'Deny' }),
        },
        NOT_EVIDENT('Source'),
      ],
      [
        'the policy allows another service',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy(
            { Ref: 'Subject' },
            { Principal: { Service: 'delivery.logs.amazonaws.com' } },
          ),
        },
        NOT_EVIDENT('Source'),
      ],
      [
        'the policy allows only s3:GetObject',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy({ Ref: 'Subject' }, { Action: 's3:GetObject' }),
        },
        NOT_EVIDENT('Source'),
      ],
      [
        'its ACL is LogDeliveryWrite but ACLs are disabled (BucketOwnerEnforced)',
        {
          AccessControl: 'LogDeliveryWrite',
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
        },
        { Source: loggingTo({ Ref: 'Subject' }) },
        NOT_EVIDENT('Source'),
      ],
      [
        'the claiming bucket has a Condition',
        undefined,
        { Source: { ...loggingTo({ Ref: 'Subject' }), Condition: 'Central' }, Policy: SUBJECT_POLICY },
        NOT_DEPLOYED_TOGETHER('condition Central is false', 'Source'),
      ],
      [
        'the claim is one Fn::If branch of another bucket',
        undefined,
        {
          Source: loggingTo({ 'Fn::If': ['Central', 'central-logs', { Ref: 'Subject' }] }),
          Policy: SUBJECT_POLICY,
        },
        NOT_DEPLOYED_TOGETHER('condition Central is true', 'Source'),
      ],
      [
        'the claim is an Fn::If branch of a bucket whose Condition differs',
        undefined,
        {
          Source: {
            ...loggingTo({ 'Fn::If': ['Central', { Ref: 'Subject' }, 'central-logs'] }),
            Condition: 'Prod',
          },
          Policy: SUBJECT_POLICY,
        },
        NOT_DEPLOYED_TOGETHER('condition Prod is false', 'Source'),
      ],
      [
        'the policy has a Condition',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy({ Ref: 'Subject' }, {}, { Condition: 'Grant' }),
        },
        NOT_DEPLOYED_TOGETHER('condition Grant is false', 'Source'),
      ],
      [
        'the policy statement is one Fn::If branch',
        undefined,
        {
          Source: loggingTo({ Ref: 'Subject' }),
          Policy: logDeliveryPolicy({ Ref: 'Subject' }, { Effect: { 'Fn::If': ['Grant', 'Allow', 'Deny'] } }),
        },
        NOT_DEPLOYED_TOGETHER('condition Grant is false', 'Source'),
      ],
      [
        'claim and policy deploy under opposite outcomes of one condition',
        undefined,
        {
          Source: { ...loggingTo({ Ref: 'Subject' }), Condition: 'Central' },
          Policy: {
            ...logDeliveryPolicy({ Ref: 'Subject' }),
            Properties: {
              ...logDeliveryPolicy({ Ref: 'Subject' }).Properties,
              Bucket: { 'Fn::If': ['Central', 'elsewhere', { Ref: 'Subject' }] },
            },
          },
        },
        `${NOT_LOGGED}; bucket Source logs into this one, but never together with a bucket policy or ACL that lets S3 deliver its logs`,
      ],
    ])('non-compliant: %s', (_name, properties, resources, reason) => {
      const { Subject } = evaluateRule(rule, templateWith(BUCKET, properties, { Resources: resources }));
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'LoggingConfiguration', reason });
    });

    it('names the failing outcome after the conditions of the bucket itself', () => {
      const template = templateWith(BUCKET, undefined, {
        Resources: {
          Source: { ...loggingTo({ Ref: 'Subject' }), Condition: 'Central' },
          Policy: SUBJECT_POLICY,
        },
      });
      template.Resources!.Subject = { ...template.Resources!.Subject, Condition: 'Prod' };
      expect(evaluateRule(rule, template).Subject.reason).toBe(
        `when condition Prod is true: ${NOT_DEPLOYED_TOGETHER('condition Central is false', 'Source')}`,
      );
    });

    it('tells the conditions of another stack apart by its id', () => {
      const logStack = templateWith(
        BUCKET,
        { BucketName: 'central-logs' },
        { Resources: { Policy: logDeliveryPolicy('central-logs') } },
      );
      logStack.Resources!.Subject = { ...logStack.Resources!.Subject, Condition: 'Central' };
      const appStack: CfnTemplate = {
        Resources: { Source: { ...loggingTo('central-logs'), Condition: 'Central' } },
      };
      const found = evaluateStacks([
        inEnvironment('App', appStack, HERE),
        inEnvironment('Logs', logStack, HERE),
      ]);
      expect(found['Logs/Subject']).toMatchObject({
        status: 'non-compliant',
        reason: `when condition Central is true: ${NOT_DEPLOYED_TOGETHER('condition Central (stack App) is false', 'Source')}`,
      });
    });
  });

  describe('a nested stack deploys only when the Condition of its stack resource holds', () => {
    const parentWith = (resources: CfnTemplate['Resources']): CfnTemplate => ({
      Resources: {
        ...resources,
        Child: { Type: 'AWS::CloudFormation::Stack', Condition: 'WithChild', Properties: {} },
      },
    });
    const nested = (template: CfnTemplate) => ({
      ...stackTemplate(template, 'Child'),
      parent: { stackId: 'Parent', logicalId: 'Child' },
    });

    it('non-compliant: the claim comes from a conditional nested stack', () => {
      const parent = parentWith(
        templateWith(
          BUCKET,
          { BucketName: 'central-logs' },
          { Resources: { Policy: logDeliveryPolicy('central-logs') } },
        ).Resources,
      );
      const found = evaluateStacks([
        stackTemplate(parent, 'Parent'),
        nested({ Resources: { Source: loggingTo('central-logs') } }),
      ]);
      expect(found['Parent/Subject']).toMatchObject({
        status: 'non-compliant',
        reason: NOT_DEPLOYED_TOGETHER('condition WithChild is false', 'Source'),
      });
    });

    it('complies: log bucket, claim and policy all in the one conditional nested stack', () => {
      const child = templateWith(BUCKET, undefined, {
        Resources: { Source: loggingTo({ Ref: 'Subject' }), Policy: SUBJECT_POLICY },
      });
      const found = evaluateStacks([stackTemplate(parentWith({}), 'Parent'), nested(child)]);
      expect(found['Child/Subject'].status).toBe('compliant');
    });
  });

  describe('only claims from the same account and region count', () => {
    const logStack = templateWith(
      BUCKET,
      { BucketName: 'central-logs' },
      { Resources: { Policy: logDeliveryPolicy('central-logs') } },
    );
    const appStack: CfnTemplate = { Resources: { Source: loggingTo('central-logs') } };

    it.each([
      ['another region', { ...HERE, region: 'us-east-1' }, 'region us-east-1'],
      ['another account', { ...HERE, account: '222222222222' }, 'account 222222222222'],
    ])('non-compliant: a claim from a stack in %s', (_name, env, where) => {
      const found = evaluateStacks([
        inEnvironment('App', appStack, env),
        inEnvironment('Logs', logStack, HERE),
      ]);
      expect(found['Logs/Subject']).toMatchObject({
        status: 'non-compliant',
        property: 'LoggingConfiguration',
      });
      expect(found['Logs/Subject'].reason).toBe(
        `${NOT_LOGGED} (bucket Source logs into this one, but S3 delivers access logs only within one account and region: stack App deploys to ${where === 'region us-east-1' ? 'account 111111111111, region us-east-1' : 'account 222222222222, region eu-west-1'}, not account 111111111111, region eu-west-1 like stack Logs)`,
      );
    });

    it('unverifiable: a claim from an environment-agnostic stack, saying what could not be decided', () => {
      const found = evaluateStacks([
        inEnvironment('App', appStack, {}),
        inEnvironment('Logs', logStack, HERE),
      ]);
      expect(found['Logs/Subject']).toMatchObject({
        status: 'unverifiable',
        reason: `${NOT_LOGGED}; bucket Source logs into this one, but S3 delivers access logs only within one account and region and stack App (account (environment-agnostic), region (environment-agnostic)) and stack Logs (account 111111111111, region eu-west-1) may deploy to different accounts or regions`,
      });
    });

    it('unverifiable: the policy in an environment-agnostic stack', () => {
      const subjectStack = templateWith(
        BUCKET,
        { BucketName: 'central-logs' },
        { Resources: { Source: loggingTo('central-logs') } },
      );
      const policyStack: CfnTemplate = { Resources: { Policy: logDeliveryPolicy('central-logs') } };
      const found = evaluateStacks([
        inEnvironment('Logs', subjectStack, HERE),
        inEnvironment('Policies', policyStack, {}),
      ]);
      expect(found['Logs/Subject'].status).toBe('unverifiable');
    });

    it('a claim from the same account and region still counts when another region also claims', () => {
      const found = evaluateStacks([
        inEnvironment('Far', appStack, { ...HERE, region: 'us-east-1' }),
        inEnvironment('Near', appStack, HERE),
        inEnvironment('Logs', logStack, HERE),
      ]);
      expect(found['Logs/Subject'].status).toBe('compliant');
    });
  });

  describe('self-logging, however the name is spelt', () => {
    const SUB = { 'Fn::Sub': 'data-${AWS::AccountId}-${AWS::Region}' };
    const JOIN = { 'Fn::Join': ['-', ['data', { Ref: 'AWS::AccountId' }, { Ref: 'AWS::Region' }]] };
    const withDefaults = {
      Parameters: {
        Destination: { Type: 'String', Default: 'data' },
        OwnName: { Type: 'String', Default: 'data' },
        NoDefault: { Type: 'String' },
      },
    };

    it.each<[string, Record<string, unknown>, StackTemplate['account']]>([
      [
        'BucketName as Fn::Sub, destination as Fn::Join (environment-agnostic)',
        { BucketName: SUB, LoggingConfiguration: { DestinationBucketName: JOIN } },
        undefined,
      ],
      [
        'BucketName as Fn::Join, destination as Fn::Sub (environment known)',
        { BucketName: JOIN, LoggingConfiguration: { DestinationBucketName: SUB } },
        HERE.account,
      ],
      [
        'BucketName as Fn::Sub, destination the literal name (environment known)',
        { BucketName: SUB, LoggingConfiguration: { DestinationBucketName: 'data-111111111111-eu-west-1' } },
        HERE.account,
      ],
      [
        'destination ${Subject} in Fn::Sub',
        { LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': '${Subject}' } } },
        undefined,
      ],
      [
        'destination Fn::Join of a Ref to itself',
        { LoggingConfiguration: { DestinationBucketName: { 'Fn::Join': ['', [{ Ref: 'Subject' }]] } } },
        undefined,
      ],
    ])('non-compliant: %s', (_name, properties, account) => {
      const stack = inEnvironment('Stack', templateWith(BUCKET, properties), account ? HERE : {});
      expect(evaluateStacks([stack])['Stack/Subject']).toMatchObject({
        status: 'non-compliant',
        reason: IS_ITSELF,
      });
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'a parameter destination whose default is its BucketName',
        { BucketName: 'data', LoggingConfiguration: { DestinationBucketName: { Ref: 'Destination' } } },
        "LoggingConfiguration DestinationBucketName is ${Destination} and the bucket's BucketName data: with the parameters' defaults both are data",
      ],
      [
        'a literal destination that is the default of the parameter naming it',
        { BucketName: { Ref: 'OwnName' }, LoggingConfiguration: { DestinationBucketName: 'data' } },
        "LoggingConfiguration DestinationBucketName is data and the bucket's BucketName ${OwnName}: with the parameters' defaults both are data",
      ],
      [
        'two parameters with the same default',
        {
          BucketName: { Ref: 'OwnName' },
          LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': '${Destination}' } },
        },
        "with the parameters' defaults both are data, so unless the deployer passes other values the bucket logs into itself, which is no separate audit trail",
      ],
    ])('non-compliant by default: %s', (_name, properties, reason) => {
      const { Subject } = evaluateRule(rule, templateWith(BUCKET, properties, withDefaults));
      expect(Subject).toMatchObject({ status: 'non-compliant', property: 'LoggingConfiguration' });
      expect(Subject.reason).toContain(reason);
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'a parameter without default, which may be set to the own name',
        { BucketName: 'data', LoggingConfiguration: { DestinationBucketName: { Ref: 'NoDefault' } } },
        "LoggingConfiguration DestinationBucketName is ${NoDefault}, which depends on parameter NoDefault, chosen at deploy time, and may be the bucket's own name (BucketName data), so the bucket may log into itself",
      ],
      [
        'a parameter without default, on a bucket whose name CloudFormation generates',
        { LoggingConfiguration: { DestinationBucketName: { Ref: 'NoDefault' } } },
        "LoggingConfiguration DestinationBucketName is ${NoDefault}, which depends on parameter NoDefault, chosen at deploy time, and may be the bucket's own name (the name CloudFormation generates for it), so the bucket may log into itself",
      ],
      [
        'a parameter whose default is another bucket (the deployer may pass the own name)',
        { BucketName: 'orders', LoggingConfiguration: { DestinationBucketName: { Ref: 'Destination' } } },
        'which depends on parameter Destination, chosen at deploy time, and may be the bucket',
      ],
      [
        'a deploy-time destination that may render the own name',
        {
          BucketName: 'logs-111111111111',
          LoggingConfiguration: { DestinationBucketName: { 'Fn::Sub': 'logs-${AWS::AccountId}' } },
        },
        "LoggingConfiguration DestinationBucketName is logs-${AWS::AccountId}, which depends on values only known at deploy time and may be the bucket's own name (BucketName logs-111111111111)",
      ],
      [
        'an own name from a parameter, and an import as destination',
        {
          BucketName: { Ref: 'NoDefault' },
          LoggingConfiguration: { DestinationBucketName: { 'Fn::ImportValue': 'x' } },
        },
        'which depends on values only known at deploy time and may be the bucket',
      ],
    ])('unverifiable: %s', (_name, properties, reason) => {
      const { Subject } = evaluateRule(rule, templateWith(BUCKET, properties, withDefaults));
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'LoggingConfiguration' });
      expect(Subject.reason).toContain(reason);
    });

    it('a nested stack destination is what the parent passes: its own name passed is self-logging', () => {
      const parent: CfnTemplate = {
        Resources: {
          Child: { Type: 'AWS::CloudFormation::Stack', Properties: { Parameters: { Destination: 'data' } } },
        },
      };
      const child = templateWith(
        BUCKET,
        { BucketName: 'data', LoggingConfiguration: { DestinationBucketName: { Ref: 'Destination' } } },
        { Parameters: { Destination: { Type: 'String' } } },
      );
      const found = evaluateStacks([
        stackTemplate(parent, 'Parent'),
        { ...stackTemplate(child, 'Child'), parent: { stackId: 'Parent', logicalId: 'Child' } },
      ]);
      expect(found['Child/Subject']).toMatchObject({ status: 'non-compliant', reason: IS_ITSELF });
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
    it('passes serverAccessLogsBucket with the bucket policy CDK renders (serverAccessLogsUseBucketPolicy)', () => {
      const app = new App({
        builtinCloudFormationValidation: false,
        context: { '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true },
      });
      const stack = new Stack(app, 'Stack', { env: HERE });
      const logs = new s3.Bucket(stack, 'Logs');
      new s3.Bucket(stack, 'Data', { serverAccessLogsBucket: logs, serverAccessLogsPrefix: 'data/' });
      const template = app.synth().getStackByName('Stack').template as CfnTemplate;
      const logsId = Object.keys(template.Resources ?? {}).find(
        (id) => id.startsWith('Logs') && template.Resources![id].Type === BUCKET,
      )!;
      // The evidence is the policy: CDK sets no ACL with this flag.
      expect(template.Resources![logsId].Properties?.AccessControl).toBeUndefined();
      const statuses = Object.entries(evaluateRule(rule, template)).map(([id, e]) => [
        id.replace(/[0-9A-F]{8}$/, ''),
        e.status,
      ]);
      expect(statuses).toEqual([
        ['Logs', 'compliant'],
        ['Data', 'compliant'],
      ]);
    });

    it('flags a plain bucket that another bucket logs into: without a log-delivery permission it is no log bucket', () => {
      const template = synthStack((stack) => {
        const plain = new s3.Bucket(stack, 'Plain');
        new s3.CfnBucket(stack, 'Data', {
          loggingConfiguration: { destinationBucketName: plain.bucketName },
        });
      });
      const found = Object.fromEntries(
        Object.entries(evaluateRule(rule, template)).map(([id, e]) => [id.replace(/[0-9A-F]{8}$/, ''), e]),
      );
      expect(found.Data.status).toBe('compliant');
      expect(found.Plain).toMatchObject({ status: 'non-compliant', reason: NOT_EVIDENT('Data') });
    });

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

  it('sends the logs of a bucket that others log into, but that S3 may not deliver to, to the central bucket', () => {
    let plain!: s3.CfnBucket;
    const { template } = synthWithAspects((stack) => {
      plain = new s3.CfnBucket(stack, 'Plain');
      new s3.CfnBucket(stack, 'Data', { loggingConfiguration: { destinationBucketName: plain.ref } });
    }, fix());
    expect(loggingOf(template, 'Plain')).toEqual({
      DestinationBucketName: CENTRAL_HERE,
      LogFilePrefix: 'Stack/Plain/',
    });
    expect(loggingOf(template, 'Data')).toEqual({ DestinationBucketName: { Ref: 'Plain' } });
    expect(statusesById(template)).toEqual({ Plain: 'compliant', Data: 'compliant' });
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
