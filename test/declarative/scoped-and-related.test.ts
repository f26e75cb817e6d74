/**
 * Element scopes (`some`, `every`, `none`) and related resources (`referencedBy`) in declarative
 * conditions, and the shipped controls built on them (S3.4, SQS.1, SNS.1, EC2.1, IAM.1,
 * SecretsManager.1): three-valued outcomes, `not` by De Morgan, the attacker's inputs that must not
 * pass, real synthesized apps, the `tlsOnlyPolicy` fix under the bundled validator, and the
 * loader's positions for mistakes in the new grammar.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
  aws_sns as sns,
  aws_sqs as sqs,
  CfnCondition,
  CfnParameter,
  Fn,
  Stack,
} from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations } from '../../src';
import { CatalogueError } from '../../src/catalogue/errors';
import { loadCatalogue } from '../../src/catalogue/load';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import {
  Condition,
  describeCondition,
  evaluateCondition,
  pathPlacesOf,
  relatedPathPlacesOf,
} from '../../src/declarative/condition';
import { evaluate } from '../../src/engine/evaluate';
import { TemplateResolver } from '../../src/engine/resolve';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../../src/engine/template';
import { remediationRecordOf } from '../../src/remediations/records';
import { silenceCdkReports, synthError } from '../helpers';
import { SCOPED_AND_RELATED_CONTROLS } from './scoped-and-related-controls';

silenceCdkReports();

const ENV = { account: '111111111111', region: 'eu-west-1' };

function stackOf(template: CfnTemplate, stackId = 'Main'): StackTemplate {
  return { stackId, template, rating: STRICTEST_RATING, ratingSource: 'props', ...ENV };
}

// ---------------------------------------------------------------------------------------------
// The grammar, on hand-built properties
// ---------------------------------------------------------------------------------------------

const MAIN = stackOf({
  Parameters: { Cidrs: { Type: 'CommaDelimitedList' }, Cidr: { Type: 'String' } },
  Resources: {},
});
const RESOLVER = new TemplateResolver([MAIN]);

const OPEN_SSH: Condition = {
  all: [
    { path: 'CidrIp', equals: '0.0.0.0/0' },
    { path: 'FromPort', lessThanOrEqual: 22 },
    { path: 'ToPort', greaterThanOrEqual: 22 },
  ],
};
const NONE_OPEN: Condition = { path: 'Rules', none: OPEN_SSH };
const SOME_OPEN: Condition = { path: 'Rules', some: OPEN_SSH };
const EVERY_OPEN: Condition = { path: 'Rules', every: OPEN_SSH };

const rule = (CidrIp: unknown, FromPort: unknown, ToPort = FromPort) => ({ CidrIp, FromPort, ToPort });

function outcome(condition: Condition, properties: Record<string, unknown>) {
  return evaluateCondition(condition, properties, MAIN, RESOLVER);
}

describe('element scopes', () => {
  const WEB_AND_INTERNAL_SSH = { Rules: [rule('0.0.0.0/0', 80), rule('10.0.0.0/8', 22)] };
  const OPEN = { Rules: [rule('10.0.0.0/8', 22), rule('0.0.0.0/0', 0, 65535)] };
  it.each([
    // Judged per element: 0.0.0.0/0 on 80 and 10.0.0.0/8 on 22 do not combine into an open port 22.
    ['none, two rules that only combine', NONE_OPEN, WEB_AND_INTERNAL_SSH, 'pass'],
    ['none, a rule 0-65535 from anywhere', NONE_OPEN, OPEN, 'fail'],
    ['some, none open', SOME_OPEN, WEB_AND_INTERNAL_SSH, 'fail'],
    ['some, one open', SOME_OPEN, OPEN, 'pass'],
    ['every, one not', EVERY_OPEN, OPEN, 'fail'],
    ['every, all', EVERY_OPEN, { Rules: [rule('0.0.0.0/0', 22)] }, 'pass'],
    // An absent or empty list: every and none hold vacuously, some fails.
    ['none, absent', NONE_OPEN, {}, 'pass'],
    ['every, empty', EVERY_OPEN, { Rules: [] }, 'pass'],
    ['some, absent', SOME_OPEN, {}, 'fail'],
    ['some, empty', SOME_OPEN, { Rules: [] }, 'fail'],
    // Three-valued: an unknown element leaves none unknown unless another element decides it.
    ['none, an element from a parameter', NONE_OPEN, { Rules: [rule({ Ref: 'Cidr' }, 22)] }, 'unknown'],
    [
      'none, an unknown element and an open one',
      NONE_OPEN,
      { Rules: [rule({ Ref: 'Cidr' }, 22), rule('0.0.0.0/0', 22)] },
      'fail',
    ],
    [
      'some, an unknown element and an open one',
      SOME_OPEN,
      { Rules: [rule({ Ref: 'Cidr' }, 22), rule('0.0.0.0/0', 22)] },
      'pass',
    ],
    [
      'none, an element that is an Fn::If left in place',
      NONE_OPEN,
      { Rules: [{ 'Fn::If': ['C', {}, {}] }] },
      'unknown',
    ],
    // A list known only at deploy time is unknown, never a pass.
    ['none, the list a CommaDelimitedList parameter', NONE_OPEN, { Rules: { Ref: 'Cidrs' } }, 'unknown'],
    ['none, the list an Fn::Split', NONE_OPEN, { Rules: { 'Fn::Split': [',', { Ref: 'Cidr' }] } }, 'unknown'],
    ['none, the list an import', NONE_OPEN, { Rules: { 'Fn::ImportValue': 'rules' } }, 'unknown'],
    // A single value is a list of one, as IAM writes Action: '*'.
    ['none, a single open rule', NONE_OPEN, { Rules: rule('0.0.0.0/0', 22) }, 'fail'],
    ['some element itself, a string', { path: 'Action', some: { equals: '*' } }, { Action: '*' }, 'pass'],
    [
      'some element itself, a list',
      { path: 'Action', some: { equals: '*' } },
      { Action: ['s3:Get*', '*'] },
      'pass',
    ],
    ['some element itself, none', { path: 'Action', some: { equals: '*' } }, { Action: ['s3:Get*'] }, 'fail'],
  ] as const)('%s: %s', (_name, condition, properties, status) => {
    expect(outcome(condition as Condition, properties as Record<string, unknown>).status).toBe(status);
  });

  it.each([
    ['not none is some', { not: NONE_OPEN }, SOME_OPEN],
    ['not some is none', { not: SOME_OPEN }, NONE_OPEN],
  ] as const)('%s', (_name, negated, same) => {
    for (const properties of [
      {},
      { Rules: [] },
      { Rules: [rule('0.0.0.0/0', 22)] },
      { Rules: [rule('1.2.3.4/32', 22)] },
    ])
      expect(outcome(negated as Condition, properties).status).toBe(outcome(same, properties).status);
  });

  it('not every is "some element is not": absent fails, one that is not passes', () => {
    expect(outcome({ not: EVERY_OPEN }, {}).status).toBe('fail');
    expect(
      outcome({ not: EVERY_OPEN }, { Rules: [rule('0.0.0.0/0', 22), rule('1.2.3.4/32', 22)] }).status,
    ).toBe('pass');
  });

  it('never passes a malformed element under a condition and its negation alike', () => {
    const malformed = { Rules: [{ CidrIp: ['0.0.0.0/0'], FromPort: 'x', ToPort: {} }] };
    for (const condition of [NONE_OPEN, SOME_OPEN, EVERY_OPEN]) {
      const both = [outcome(condition, malformed), outcome({ not: condition }, malformed)];
      expect(both.filter((o) => o.status === 'pass').length).toBeLessThan(2);
    }
  });

  it('names the concrete element in its finding', () => {
    expect(outcome(NONE_OPEN, OPEN)).toEqual({
      status: 'fail',
      property: 'Rules[1]',
      reason:
        "Rules[1] must not be such that all of: CidrIp is '0.0.0.0/0'; FromPort is at most 22; ToPort is at least 22: " +
        "none of these holds: Rules[1].CidrIp is '0.0.0.0/0' (it must not be '0.0.0.0/0'); Rules[1].FromPort is 0 (it must not be at most 22); Rules[1].ToPort is 65535 (it must not be at least 22)",
    });
  });

  it('words the scopes for the docs', () => {
    expect(describeCondition(NONE_OPEN)).toBe(
      "Rules has no element such that all of: CidrIp is '0.0.0.0/0'; FromPort is at most 22; ToPort is at least 22",
    );
    expect(describeCondition({ not: NONE_OPEN })).toBe(
      "Rules has an element such that all of: CidrIp is '0.0.0.0/0'; FromPort is at most 22; ToPort is at least 22",
    );
    expect(describeCondition({ path: 'Action', some: { equals: '*' } })).toBe(
      "Action has an element such that it is '*'",
    );
  });

  it('lists the paths it reads, relative paths under their list, and the related ones apart', () => {
    const condition: Condition = {
      all: [
        NONE_OPEN,
        { path: 'Action', some: { equals: '*' } },
        {
          referencedBy: {
            resourceType: 'AWS::S3::BucketPolicy',
            path: 'Bucket',
            require: { path: 'X', exists: true },
          },
        },
      ],
    };
    expect(pathPlacesOf(condition).map((p) => [p.path, p.at.join('.')])).toEqual([
      ['Rules', 'all.0.path'],
      ['Rules[*].CidrIp', 'all.0.none.all.0.path'],
      ['Rules[*].FromPort', 'all.0.none.all.1.path'],
      ['Rules[*].ToPort', 'all.0.none.all.2.path'],
      ['Action', 'all.1.path'],
    ]);
    expect(relatedPathPlacesOf(condition).map((p) => [p.resourceType, p.path])).toEqual([
      ['AWS::S3::BucketPolicy', 'Bucket'],
      ['AWS::S3::BucketPolicy', 'X'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The shipped controls, on hand-built templates through the real engine
// ---------------------------------------------------------------------------------------------

const CATALOGUE = loadCatalogue();

/** The control's verdict on `Subject` in the first template (the others are other stacks). */
function judge(controlId: string, ...templates: CfnTemplate[]) {
  const evaluations = evaluate({
    catalogue: { ...CATALOGUE, controls: CATALOGUE.controls.filter((c) => c.id === controlId) },
    stacks: templates.map((template, i) => stackOf(template, i === 0 ? 'Main' : `Other${i}`)),
    today: '2026-06-01',
  });
  const subject = evaluations.filter((e) => e.stackId === 'Main' && e.logicalId === 'Subject');
  expect(subject).toHaveLength(1);
  return subject[0];
}

const TLS_CONDITION = { Bool: { 'aws:SecureTransport': 'false' } };
const BUCKET_ARN = { 'Fn::GetAtt': ['Subject', 'Arn'] };
const OBJECTS_ARN = { 'Fn::Join': ['', [BUCKET_ARN, '/*']] };

/** What s3.Bucket's enforceSSL renders, with `change` applied. */
function tlsStatement(change: Record<string, unknown> = {}) {
  return {
    Effect: 'Deny',
    Principal: { AWS: '*' },
    Action: 's3:*',
    Resource: [BUCKET_ARN, OBJECTS_ARN],
    Condition: TLS_CONDITION,
    ...change,
  };
}

function bucketWith(
  policy: Partial<CfnResourceJson> & { Properties?: Record<string, unknown> },
  extra: CfnTemplate = {},
) {
  return {
    ...extra,
    Resources: {
      Subject: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'subject-bucket' } },
      Policy: {
        Type: 'AWS::S3::BucketPolicy',
        ...policy,
        Properties: {
          Bucket: { Ref: 'Subject' },
          PolicyDocument: { Version: '2012-10-17', Statement: [tlsStatement()] },
          ...policy.Properties,
        },
      },
      ...extra.Resources,
    },
  } as CfnTemplate;
}

const document = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

describe('S3.4: a bucket policy that denies requests without TLS', () => {
  it.each([
    ['the statement enforceSSL renders', bucketWith({}), 'compliant'],
    [
      'Principal *',
      bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Principal: '*' })) } }),
      'compliant',
    ],
    [
      'Action *',
      bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Action: ['*'] })) } }),
      'compliant',
    ],
    [
      'Statement as one object',
      bucketWith({ Properties: { PolicyDocument: { Statement: tlsStatement() } } }),
      'compliant',
    ],
    [
      'the bucket named by its literal BucketName',
      bucketWith({ Properties: { Bucket: 'subject-bucket' } }),
      'compliant',
    ],
    [
      'Fn::Sub for the objects',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({ Resource: [BUCKET_ARN, { 'Fn::Sub': '${Subject.Arn}/*' }] }),
          ),
        },
      }),
      'compliant',
    ],
    [
      'no bucket policy',
      { Resources: { Subject: { Type: 'AWS::S3::Bucket', Properties: {} } } },
      'non-compliant',
    ],
    // Attacker inputs: each must not pass.
    [
      'a policy for another bucket',
      bucketWith(
        { Properties: { Bucket: { Ref: 'Other' } } },
        { Resources: { Other: { Type: 'AWS::S3::Bucket' } } },
      ),
      'non-compliant',
    ],
    [
      'a policy naming another literal bucket',
      bucketWith({ Properties: { Bucket: 'other-bucket' } }),
      'non-compliant',
    ],
    [
      'a Deny for one account only',
      bucketWith({
        Properties: {
          PolicyDocument: document(tlsStatement({ Principal: { AWS: 'arn:aws:iam::222222222222:root' } })),
        },
      }),
      'non-compliant',
    ],
    [
      'Allow instead of Deny',
      bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Effect: 'Allow' })) } }),
      'non-compliant',
    ],
    [
      'Allow when aws:SecureTransport is true',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({ Effect: 'Allow', Condition: { Bool: { 'aws:SecureTransport': 'true' } } }),
          ),
        },
      }),
      'non-compliant',
    ],
    [
      'Deny when aws:SecureTransport is true',
      bucketWith({
        Properties: {
          PolicyDocument: document(tlsStatement({ Condition: { Bool: { 'aws:SecureTransport': true } } })),
        },
      }),
      'non-compliant',
    ],
    [
      'a Deny narrowed by another condition',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({ Condition: { ...TLS_CONDITION, StringEquals: { 'aws:username': 'nobody' } } }),
          ),
        },
      }),
      'non-compliant',
    ],
    [
      'a Deny narrowed by another Bool key',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({
              Condition: { Bool: { 'aws:SecureTransport': 'false', 'aws:ViaAWSService': 'false' } },
            }),
          ),
        },
      }),
      'non-compliant',
    ],
    [
      'a Deny of some actions',
      bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Action: ['s3:GetObject'] })) } }),
      'non-compliant',
    ],
    [
      'a Deny on a prefix of the objects',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({ Resource: [BUCKET_ARN, { 'Fn::Join': ['', [BUCKET_ARN, '/private/*']] }] }),
          ),
        },
      }),
      'non-compliant',
    ],
    [
      'a Deny on the bucket, not its objects',
      bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Resource: BUCKET_ARN })) } }),
      'non-compliant',
    ],
    [
      'a literal ARN (not followed to the bucket)',
      bucketWith({
        Properties: {
          PolicyDocument: document(
            tlsStatement({ Resource: ['arn:aws:s3:::subject-bucket', 'arn:aws:s3:::subject-bucket/*'] }),
          ),
        },
      }),
      'non-compliant',
    ],
    [
      'the statement under an Fn::If',
      bucketWith(
        {
          Properties: {
            PolicyDocument: document({ 'Fn::If': ['IsProd', tlsStatement(), { Ref: 'AWS::NoValue' }] }),
          },
        },
        { Conditions: { IsProd: { 'Fn::Equals': ['a', 'b'] } } },
      ),
      'non-compliant',
    ],
    [
      'a policy with a Condition',
      bucketWith({ Condition: 'IsProd' }, { Conditions: { IsProd: { 'Fn::Equals': ['a', 'b'] } } }),
      'non-compliant',
    ],
    [
      'a policy whose Bucket is a parameter',
      bucketWith({ Properties: { Bucket: { Ref: 'Name' } } }, { Parameters: { Name: { Type: 'String' } } }),
      'unverifiable',
    ],
    [
      'a policy whose Statement is a parameter',
      bucketWith(
        { Properties: { PolicyDocument: { Statement: { Ref: 'Statements' } } } },
        { Parameters: { Statements: { Type: 'String' } } },
      ),
      'unverifiable',
    ],
    [
      'a bucket whose name is a parameter and a policy naming a literal bucket',
      bucketWith(
        { Properties: { Bucket: 'maybe-this-one' } },
        {
          Parameters: { Name: { Type: 'String' } },
          Resources: { Subject: { Type: 'AWS::S3::Bucket', Properties: { BucketName: { Ref: 'Name' } } } },
        },
      ),
      'unverifiable',
    ],
  ] as const)('%s: %s', (_name, template, status) => {
    expect(judge('S3.4', template as CfnTemplate).status).toBe(status);
  });

  it('does not count a policy in another stack for a bucket of the same logical id', () => {
    const main = { Resources: { Subject: { Type: 'AWS::S3::Bucket', Properties: {} } } };
    const other = bucketWith({});
    expect(judge('S3.4', main, other)).toMatchObject({
      status: 'non-compliant',
      property: 'AWS::S3::BucketPolicy',
      reason: 'no AWS::S3::BucketPolicy in the template names this resource in Bucket',
    });
  });

  it('names the policy and the condition under which no policy deploys', () => {
    const conditional = bucketWith(
      { Condition: 'IsProd' },
      { Conditions: { IsProd: { 'Fn::Equals': ['a', 'b'] } } },
    );
    expect(judge('S3.4', conditional).reason).toMatch(
      /^when condition IsProd is false: no AWS::S3::BucketPolicy that names this resource in Bucket and meets the condition deploys/,
    );
    const allow = bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Effect: 'Allow' })) } });
    expect(judge('S3.4', allow)).toMatchObject({
      property: 'Policy.PolicyDocument.Statement',
      reason: expect.stringMatching(
        /^AWS::S3::BucketPolicy Policy names this resource in Bucket, but Policy\.PolicyDocument\.Statement must have an element such that .*: Policy\.PolicyDocument\.Statement\[0\]\.Effect is 'Allow' \(it must be 'Deny'\)$/,
      ),
    });
  });

  it('under not, no policy that names the bucket (or may) may meet the condition', () => {
    const condition: Condition = {
      not: {
        referencedBy: {
          resourceType: 'AWS::S3::BucketPolicy',
          path: 'Bucket',
          require: { path: 'PolicyDocument.Statement', some: { path: 'Effect', equals: 'Allow' } },
        },
      },
    };
    const run = (template: CfnTemplate) => {
      const stack = stackOf(template);
      return evaluateCondition(
        condition,
        template.Resources!.Subject.Properties ?? {},
        stack,
        new TemplateResolver([stack]),
        {
          logicalId: 'Subject',
          type: 'AWS::S3::Bucket',
          assumptions: [],
        },
      ).status;
    };
    expect(run(bucketWith({}))).toBe('pass');
    expect(
      run(bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Effect: 'Allow' })) } })),
    ).toBe('fail');
    expect(
      run(
        bucketWith(
          {
            Properties: {
              Bucket: { Ref: 'Name' },
              PolicyDocument: document(tlsStatement({ Effect: 'Allow' })),
            },
          },
          { Parameters: { Name: { Type: 'String' } } },
        ),
      ),
    ).toBe('unknown');
    // A malformed document neither meets the condition nor its negation.
    expect(
      run(bucketWith({ Properties: { PolicyDocument: document(tlsStatement({ Effect: ['Allow'] })) } })),
    ).toBe('fail');
  });
});

describe('EC2.1: no ingress from anywhere to 22 or 3389', () => {
  const group = (...rules: Record<string, unknown>[]) => ({
    Parameters: { Cidr: { Type: 'String' } },
    Resources: {
      Subject: {
        Type: 'AWS::EC2::SecurityGroup',
        Properties: { GroupDescription: 'g', SecurityGroupIngress: rules },
      },
    },
  });
  const ingress = (properties: Record<string, unknown>) => ({
    Parameters: { Cidr: { Type: 'String' } },
    Resources: {
      Subject: { Type: 'AWS::EC2::SecurityGroupIngress', Properties: { GroupId: 'sg-1', ...properties } },
    },
  });
  const tcp = (CidrIp: unknown, FromPort: number, ToPort = FromPort) => ({
    IpProtocol: 'tcp',
    CidrIp,
    FromPort,
    ToPort,
  });
  it.each([
    [
      'web from anywhere, SSH from 10/8 (they do not combine)',
      group(tcp('0.0.0.0/0', 80), tcp('10.0.0.0/8', 22)),
      'compliant',
    ],
    ['no rules', group(), 'compliant'],
    ['SSH from anywhere', group(tcp('0.0.0.0/0', 22)), 'non-compliant'],
    ['RDP from anywhere', group(tcp('0.0.0.0/0', 3389)), 'non-compliant'],
    ['FromPort 0 ToPort 65535 from anywhere', group(tcp('0.0.0.0/0', 0, 65535)), 'non-compliant'],
    ['IpProtocol -1 from anywhere', group({ IpProtocol: '-1', CidrIp: '0.0.0.0/0' }), 'non-compliant'],
    ['IpProtocol -1 as a number', group({ IpProtocol: -1, CidrIp: '0.0.0.0/0' }), 'non-compliant'],
    [
      'CidrIpv6 ::/0 on SSH',
      group({ IpProtocol: 'tcp', CidrIpv6: '::/0', FromPort: 22, ToPort: 22 }),
      'non-compliant',
    ],
    [
      'TCP in capitals',
      group({ IpProtocol: 'TCP', CidrIp: '0.0.0.0/0', FromPort: 22, ToPort: 22 }),
      'non-compliant',
    ],
    [
      'UDP 53 from anywhere',
      group({ IpProtocol: 'udp', CidrIp: '0.0.0.0/0', FromPort: 53, ToPort: 53 }),
      'compliant',
    ],
    // Every CIDR of prefix length 0 is the whole internet, however the address is spelt.
    [
      'CidrIpv6 0::/0 on SSH',
      group({ IpProtocol: 'tcp', CidrIpv6: '0::/0', FromPort: 22, ToPort: 22 }),
      'non-compliant',
    ],
    ['CidrIp 10.0.0.0/0 on SSH', group(tcp('10.0.0.0/0', 22)), 'non-compliant'],
    ['CidrIp 0.0.0.0/00 on RDP', group(tcp('0.0.0.0/00', 3389)), 'non-compliant'],
    ['CidrIp 10.0.0.0/10 on SSH (a prefix, not everything)', group(tcp('10.0.0.0/10', 22)), 'compliant'],
    [
      'UDP 3389 from anywhere (RDP listens on UDP too)',
      group({ IpProtocol: 'udp', CidrIp: '0.0.0.0/0', FromPort: 3389, ToPort: 3389 }),
      'non-compliant',
    ],
    [
      'protocol 17 (UDP) over 3389 from anywhere',
      group({ IpProtocol: '17', CidrIp: '0.0.0.0/0', FromPort: 3000, ToPort: 4000 }),
      'non-compliant',
    ],
    ['SSH from a parameter', group(tcp({ Ref: 'Cidr' }, 22)), 'unverifiable'],
    ['standalone ingress: SSH from anywhere', ingress(tcp('0.0.0.0/0', 22)), 'non-compliant'],
    ['standalone ingress: 443 from anywhere', ingress(tcp('0.0.0.0/0', 443)), 'compliant'],
    [
      'standalone ingress: all traffic over IPv6',
      ingress({ IpProtocol: '-1', CidrIpv6: '::/0' }),
      'non-compliant',
    ],
    ['standalone ingress: SSH from a parameter', ingress(tcp({ Ref: 'Cidr' }, 22)), 'unverifiable'],
  ] as const)('%s', (_name, template, status) => {
    expect(judge('EC2.1', template as CfnTemplate).status).toBe(status);
  });
});

describe('IAM.1: no full administrator statement', () => {
  const ADMIN = { Effect: 'Allow', Action: '*', Resource: '*' };
  const policy = (Statement: unknown) => ({
    Parameters: { Actions: { Type: 'CommaDelimitedList' }, Effect: { Type: 'String' } },
    Resources: {
      Subject: {
        Type: 'AWS::IAM::ManagedPolicy',
        Properties: { PolicyDocument: { Version: '2012-10-17', Statement } },
      },
    },
  });
  const role = (...statements: unknown[]) => ({
    Resources: {
      Subject: {
        Type: 'AWS::IAM::Role',
        Properties: {
          AssumeRolePolicyDocument: {},
          Policies: [{ PolicyName: 'p', PolicyDocument: { Statement: statements } }],
        },
      },
    },
  });
  it.each([
    ['Action * Resource * (Statement a single object)', policy(ADMIN), 'non-compliant'],
    ['in a list, Action a list', policy([{ ...ADMIN, Action: ['s3:GetObject', '*'] }]), 'non-compliant'],
    ['Action *:*', policy([{ ...ADMIN, Action: '*:*' }]), 'non-compliant'],
    // Every spelling of every action and every resource.
    ['Action ** (wildcards alone)', policy([{ ...ADMIN, Action: '**' }]), 'non-compliant'],
    ['Resource arn:*', policy([{ ...ADMIN, Resource: 'arn:*' }]), 'non-compliant'],
    ['Resource arn:aws:*:*:*:*', policy([{ ...ADMIN, Resource: ['arn:aws:*:*:*:*'] }]), 'non-compliant'],
    [
      'Allow every action but iam:PassRole (NotAction) on *',
      policy([{ Effect: 'Allow', NotAction: 'iam:PassRole', Resource: '*' }]),
      'non-compliant',
    ],
    [
      'Allow * on every resource but one (NotResource)',
      policy([{ Effect: 'Allow', Action: '*', NotResource: 'arn:aws:s3:::audit' }]),
      'non-compliant',
    ],
    [
      'Allow * on every S3 object (arn:aws:s3:::*)',
      policy([{ ...ADMIN, Resource: 'arn:aws:s3:::*' }]),
      'compliant',
    ],
    [
      'Deny every action but one (NotAction) on *',
      policy([{ Effect: 'Deny', NotAction: 'iam:PassRole', Resource: '*' }]),
      'compliant',
    ],
    ['Deny * on *', policy([{ ...ADMIN, Effect: 'Deny' }]), 'compliant'],
    ['Allow * on one bucket', policy([{ ...ADMIN, Resource: 'arn:aws:s3:::b' }]), 'compliant'],
    ['Allow s3:* on *', policy([{ ...ADMIN, Action: 's3:*' }]), 'compliant'],
    ['Action from a parameter', policy([{ ...ADMIN, Action: { Ref: 'Actions' } }]), 'unverifiable'],
    ['Effect from a parameter', policy([{ ...ADMIN, Effect: { Ref: 'Effect' } }]), 'unverifiable'],
    [
      'an inline policy of a role',
      role({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, ADMIN),
      'non-compliant',
    ],
    ['a role without admin', role({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }), 'compliant'],
  ] as const)('%s', (_name, template, status) => {
    expect(judge('IAM.1', template as CfnTemplate).status).toBe(status);
  });

  it('names the statement', () => {
    expect(
      judge('IAM.1', role({ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }, ADMIN)).property,
    ).toBe('Policies[0]');
  });
});

describe('SQS.1, SNS.1 and SecretsManager.1 on hand-built templates', () => {
  const queue = (Queues: unknown, statement: Record<string, unknown> = {}) => ({
    Resources: {
      Subject: { Type: 'AWS::SQS::Queue', Properties: {} },
      Other: { Type: 'AWS::SQS::Queue', Properties: {} },
      Policy: {
        Type: 'AWS::SQS::QueuePolicy',
        Properties: {
          Queues,
          PolicyDocument: document({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Action: 'sqs:*',
            Resource: { 'Fn::GetAtt': ['Subject', 'Arn'] },
            Condition: TLS_CONDITION,
            ...statement,
          }),
        },
      },
    },
  });
  it.each([
    ['SQS.1', 'a queue policy for it', queue([{ Ref: 'Subject' }]), 'compliant'],
    [
      'SQS.1',
      'a policy for it and another queue',
      queue([{ Ref: 'Other' }, { Ref: 'Subject' }]),
      'compliant',
    ],
    ['SQS.1', 'a policy for another queue', queue([{ Ref: 'Other' }]), 'non-compliant'],
    [
      'SQS.1',
      'a policy for it whose statement is about another queue',
      queue([{ Ref: 'Subject' }], { Resource: { 'Fn::GetAtt': ['Other', 'Arn'] } }),
      'non-compliant',
    ],
    ['SQS.1', 'Resource *', queue([{ Ref: 'Subject' }], { Resource: '*' }), 'compliant'],
    [
      'SQS.1',
      'Action sqs:SendMessage only',
      queue([{ Ref: 'Subject' }], { Action: 'sqs:SendMessage' }),
      'non-compliant',
    ],
    [
      'SNS.1',
      'a topic policy as enforceSSL renders it',
      {
        Resources: {
          Subject: { Type: 'AWS::SNS::Topic', Properties: {} },
          Policy: {
            Type: 'AWS::SNS::TopicPolicy',
            Properties: {
              Topics: [{ Ref: 'Subject' }],
              PolicyDocument: document({
                Effect: 'Deny',
                Principal: '*',
                Action: 'sns:Publish',
                Resource: { Ref: 'Subject' },
                Condition: TLS_CONDITION,
              }),
            },
          },
        },
      },
      'compliant',
    ],
    [
      'SecretsManager.1',
      'a rotation schedule with a function',
      {
        Resources: {
          Subject: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
          Rotation: {
            Type: 'AWS::SecretsManager::RotationSchedule',
            Properties: {
              SecretId: { Ref: 'Subject' },
              RotationLambdaARN: 'arn:aws:lambda:eu-west-1:111111111111:function:rotate',
            },
          },
        },
      },
      'compliant',
    ],
    [
      'SecretsManager.1',
      'a rotation schedule without a function',
      {
        Resources: {
          Subject: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
          Rotation: {
            Type: 'AWS::SecretsManager::RotationSchedule',
            Properties: { SecretId: { Ref: 'Subject' } },
          },
        },
      },
      'non-compliant',
    ],
    [
      'SecretsManager.1',
      'a rotation schedule for another secret',
      {
        Resources: {
          Subject: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
          Other: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
          Rotation: {
            Type: 'AWS::SecretsManager::RotationSchedule',
            Properties: {
              SecretId: { Ref: 'Other' },
              HostedRotationLambda: { RotationType: 'MySQLSingleUser' },
            },
          },
        },
      },
      'non-compliant',
    ],
  ] as const)('%s, %s', (controlId, _name, template, status) => {
    expect(judge(controlId, template as CfnTemplate).status).toBe(status);
  });
});

// ---------------------------------------------------------------------------------------------
// Real synthesized apps, and the fix
// ---------------------------------------------------------------------------------------------

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scoped-related-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const VALIDATED = { '@aws-cdk/core:validateAgainstDefaultRules': true };

/** The app's verdicts of our controls by construct path, after `applications` remediation Aspects; the templates. */
function synth(
  build: (stack: Stack) => void,
  { applications = 0, rating = 'C3I3A3', validate = false } = {},
) {
  const outdir = fs.mkdtempSync(path.join(dir, 'out-'));
  const app = new App({
    builtinCloudFormationValidation: validate,
    outdir,
    context: validate ? VALIDATED : {},
  });
  build(new Stack(app, 'Main', { env: ENV }));
  for (let i = 0; i < applications; i++) EnterpriseCatalogueRemediations.applyTo(app, { rating });
  const pack = new EnterpriseCatalogueChecks({ rating, reportOnly: true, now: '2026-06-01' });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  const verdicts = Object.fromEntries(
    pack.evaluations
      .filter((e) => SCOPED_AND_RELATED_CONTROLS.includes(e.controlId) && e.constructPath)
      .map((e) => [`${e.controlId} ${e.constructPath}`, e.status]),
  );
  const template = JSON.parse(
    fs.readFileSync(path.join(outdir, 'Main.template.json'), 'utf8'),
  ) as CfnTemplate;
  return { error, verdicts, template };
}

function realApp(stack: Stack): void {
  new s3.Bucket(stack, 'TlsBucket', { enforceSSL: true });
  new s3.Bucket(stack, 'PlainBucket');
  new s3.CfnBucket(stack, 'L1Bucket');
  new sqs.Queue(stack, 'TlsQueue', { enforceSSL: true });
  new sqs.Queue(stack, 'PlainQueue');
  new sns.Topic(stack, 'TlsTopic', { enforceSSL: true });
  new sns.Topic(stack, 'PlainTopic');
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    natGateways: 0,
    maxAzs: 1,
    subnetConfiguration: [{ name: 'p', subnetType: ec2.SubnetType.PUBLIC }],
  });
  const web = new ec2.SecurityGroup(stack, 'WebGroup', { vpc });
  web.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80));
  web.addIngressRule(ec2.Peer.ipv4('10.0.0.0/8'), ec2.Port.tcp(22));
  const open = new ec2.SecurityGroup(stack, 'OpenGroup', { vpc });
  open.addIngressRule(ec2.Peer.anyIpv6(), ec2.Port.allTraffic());
  new iam.Role(stack, 'AdminRole', {
    assumedBy: new iam.AccountRootPrincipal(),
    inlinePolicies: {
      all: new iam.PolicyDocument({
        statements: [new iam.PolicyStatement({ actions: ['*'], resources: ['*'] })],
      }),
    },
  });
  new iam.Role(stack, 'ReaderRole', { assumedBy: new iam.AccountRootPrincipal() }).addToPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }),
  );
  new secretsmanager.Secret(stack, 'StaticSecret');
  new secretsmanager.Secret(stack, 'RotatedSecret').addRotationSchedule('Rotation', {
    hostedRotation: secretsmanager.HostedRotation.mysqlSingleUser(),
  });
}

describe('a real app', () => {
  it('judges the constructs as they are written', () => {
    expect(synth(realApp).verdicts).toEqual({
      // The hosted rotation's AWS::SecretsManager transform (a macro) may add any resource: each
      // control's finding on the stack says so.
      'S3.4 Main': 'unverifiable',
      'SQS.1 Main': 'unverifiable',
      'SNS.1 Main': 'unverifiable',
      'EC2.1 Main': 'unverifiable',
      'IAM.1 Main': 'unverifiable',
      'SecretsManager.1 Main': 'unverifiable',
      'S3.4 Main/TlsBucket/Resource': 'compliant',
      'S3.4 Main/PlainBucket/Resource': 'non-compliant',
      'S3.4 Main/L1Bucket': 'non-compliant',
      'SQS.1 Main/TlsQueue/Resource': 'compliant',
      'SQS.1 Main/PlainQueue/Resource': 'non-compliant',
      'SNS.1 Main/TlsTopic/Resource': 'compliant',
      'SNS.1 Main/PlainTopic/Resource': 'non-compliant',
      'EC2.1 Main/WebGroup/Resource': 'compliant',
      'EC2.1 Main/OpenGroup/Resource': 'non-compliant',
      'IAM.1 Main/AdminRole/Resource': 'non-compliant',
      'IAM.1 Main/ReaderRole/Resource': 'compliant',
      'IAM.1 Main/ReaderRole/DefaultPolicy/Resource': 'compliant',
      'SecretsManager.1 Main/StaticSecret/Resource': 'non-compliant',
      'SecretsManager.1 Main/RotatedSecret/Resource': 'compliant',
    });
  });

  it('applies none of these controls below their ratings (C1I1A1: only EC2.1 and IAM.1)', () => {
    const controls = new Set(
      Object.keys(synth(realApp, { rating: 'C1I1A1' }).verdicts).map((key) => key.split(' ')[0]),
    );
    expect([...controls].sort()).toEqual(['EC2.1', 'IAM.1']);
  });

  it('fixes S3.4, SQS.1 and SNS.1 (L2 through addToResourcePolicy, L1 with a new policy), and the bundled validator accepts it', () => {
    const { error, verdicts } = synth(realApp, { applications: 1, validate: true });
    expect(error).toBeUndefined();
    expect(verdicts).toMatchObject({
      'S3.4 Main/PlainBucket/Resource': 'remediated',
      'S3.4 Main/L1Bucket': 'remediated',
      'SQS.1 Main/PlainQueue/Resource': 'remediated',
      'SNS.1 Main/PlainTopic/Resource': 'remediated',
      // No fix: the finding stays.
      'EC2.1 Main/OpenGroup/Resource': 'non-compliant',
      'IAM.1 Main/AdminRole/Resource': 'non-compliant',
      'SecretsManager.1 Main/StaticSecret/Resource': 'non-compliant',
    });
  });

  it('changes nothing when applied twice', () => {
    expect(synth(realApp, { applications: 2 }).template).toEqual(
      synth(realApp, { applications: 1 }).template,
    );
  });

  it("adds to the bucket's one existing policy, keeping the user's statements, and never a second policy", () => {
    const build = (stack: Stack) => {
      const bucket = new s3.CfnBucket(stack, 'Subject');
      new s3.CfnBucketPolicy(stack, 'UserPolicy', {
        bucket: bucket.ref,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { AWS: 'arn:aws:iam::111111111111:root' },
              Action: 's3:GetObject',
              Resource: `${bucket.attrArn}/*`,
            },
          ],
        },
      });
    };
    const { error, verdicts, template } = synth(build, { applications: 1, validate: true });
    expect(error).toBeUndefined();
    expect(verdicts['S3.4 Main/Subject']).toBe('remediated');
    const policies = Object.values(template.Resources!).filter((r) => r.Type === 'AWS::S3::BucketPolicy');
    expect(policies).toHaveLength(1);
    const statements = (policies[0].Properties!.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    expect(statements.map((s) => s.Effect)).toEqual(['Allow', 'Deny']);
  });

  it('does not call the bucket remediated when its one policy may not deploy (a Condition): the confirm reads the policy again', () => {
    let subject: s3.CfnBucket | undefined;
    const build = (stack: Stack) => {
      subject = new s3.CfnBucket(stack, 'Subject');
      const flag = new CfnParameter(stack, 'WithPolicy', { allowedValues: ['yes', 'no'] });
      const deploys = new CfnCondition(stack, 'PolicyDeploys', {
        expression: Fn.conditionEquals(flag.valueAsString, 'yes'),
      });
      const policy = new s3.CfnBucketPolicy(stack, 'UserPolicy', {
        bucket: subject.ref,
        policyDocument: { Version: '2012-10-17', Statement: [] },
      });
      policy.cfnOptions.condition = deploys;
    };
    const { verdicts } = synth(build, { applications: 1 });
    expect(verdicts['S3.4 Main/Subject']).toBe('non-compliant');
    expect(remediationRecordOf(subject!, 'Enterprise-S3.4')).toEqual({
      notApplied: expect.stringContaining('left it non-compliant'),
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The loader
// ---------------------------------------------------------------------------------------------

const HEADER = `apiVersion: cdk-catalogue-checks/v1
metadata: { name: t, owner: t, version: '1', packName: Test }
baseline: { minimumScore: 95 }
controls:
  - id: X.1
    title: t
    severity: error
`;

function problemsOf(yaml: string): string[] {
  const file = path.join(fs.mkdtempSync(path.join(dir, 'catalogue-')), 'catalogue.yaml');
  fs.writeFileSync(file, HEADER + yaml);
  try {
    loadCatalogue(file);
    return [];
  } catch (e) {
    if (!(e instanceof CatalogueError)) throw e;
    return e.problems.map((p) => `${p.line}:${p.column} ${p.message}`);
  }
}

describe('the loader', () => {
  it('accepts the new grammar and a template fix', () => {
    expect(
      problemsOf(`    check:
      resourceTypes: [AWS::SQS::Queue]
      require:
        referencedBy:
          resourceType: AWS::SQS::QueuePolicy
          path: Queues[*]
          require:
            path: PolicyDocument.Statement
            some: { path: Resource, some: { refersTo: { attribute: Arn } } }
    remediation: { add: tlsOnlyPolicy }
`),
    ).toEqual([]);
  });

  it.each([
    [
      'a referencedBy nested in another',
      `    check:
      resourceTypes: [AWS::S3::Bucket]
      require:
        referencedBy:
          resourceType: AWS::S3::BucketPolicy
          path: Bucket
          require:
            referencedBy: { resourceType: AWS::S3::Bucket, path: X, require: { path: Y, exists: true } }
`,
      "15:27 controls[0] (X.1) check.require: referencedBy cannot be nested in a referencedBy's require: related resources are one level deep",
    ],
    [
      'refersTo outside referencedBy',
      `    check:
      resourceTypes: [AWS::S3::Bucket]
      require: { path: BucketName, refersTo: {} }
`,
      '10:46 controls[0] (X.1) check.require: refersTo names the resource a referencedBy checks: use it inside referencedBy.require',
    ],
    [
      'an operator without a path outside a scope',
      `    check:
      resourceTypes: [AWS::S3::Bucket]
      require: { equals: 1 }
`,
      '10:16 controls[0] (X.1) check.require: a condition with equals needs a path (only inside some, every or none may it judge the element itself)',
    ],
    [
      'a template for a type it does not cover',
      `    check:
      resourceTypes: [AWS::DynamoDB::Table]
      require: { path: TableName, exists: true }
    remediation: { add: tlsOnlyPolicy }
`,
      '11:25 controls[0] (X.1) remediation.add: tlsOnlyPolicy covers AWS::S3::Bucket, AWS::SQS::Queue, AWS::SNS::Topic, not AWS::DynamoDB::Table',
    ],
  ])('reports %s with its position', (_name, yaml, expected) => {
    expect(problemsOf(yaml)).toContain(expected);
  });

  it('refuses an unknown template by the schema', () => {
    const problems = problemsOf(`    check:
      resourceTypes: [AWS::S3::Bucket]
      require: { path: BucketName, exists: true }
    remediation: { add: tlsOnly }
`);
    expect(problems.join('\n')).toMatch(
      /^11:25 .*remediation.add must be one of tlsOnlyPolicy, not 'tlsOnly'$/m,
    );
  });
});
