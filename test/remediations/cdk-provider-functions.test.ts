import {
  App,
  AspectPriority,
  Aspects,
  aws_ec2 as ec2,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_s3 as s3,
  aws_s3_notifications as s3n,
  aws_sns as sns,
  CfnResource,
  custom_resources as cr,
  CustomResource,
  IAspect,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, LambdaInVpc } from '../../src';
import { CfnTemplate } from '../../src/engine/template';
import { VpcIds } from '../../src/remediations/context';
import {
  logicalIdOf,
  madeOnFirstVisit,
  remediationRecords,
  resources,
  silenceCdkReports,
  synthWithAspects,
} from '../helpers';

silenceCdkReports();

/**
 * CDK's own custom-resource provider functions under the Lambda.1 fix: moved into the VPC when its
 * subnets are evidently private with egress, refused with a reason otherwise, since a provider that
 * cannot reach its AWS API (or CloudFormation's response URL) hangs the stack for up to an hour.
 */

const FUNCTION_PROPS = {
  runtime: lambda.Runtime.NODEJS_22_X,
  handler: 'index.handler',
  code: lambda.Code.fromInline('exports.handler = async () => {}'),
};

const AUTO_DELETE = 'Stack/Custom::S3AutoDeleteObjectsCustomResourceProvider/Handler';
const RESTRICT_DEFAULT_SG = 'Stack/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler';
const NOTIFICATIONS = 'Stack/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Resource';
const LOG_RETENTION = 'Stack/LogRetentionaae0aa3c5b4d4f87b02d85b201efdd8a/Resource';
const AWS_CUSTOM_RESOURCE = 'Stack/AWS679f53fac002430cb0da5b7982bd2287/Resource';
const FRAMEWORK = (name: string) => `Stack/Provider/framework-${name}/Resource`;
/** The user's own functions: not providers, so moved whatever the VPC's egress. */
const USER_FUNCTIONS = ['Stack/Retained/Resource', 'Stack/OnEvent/Resource'];

/** Each provider function by path, with how its refusal names it and the API it calls. */
const PROVIDERS: ReadonlyArray<readonly [path: string, name: string, calls: string]> = [
  [
    RESTRICT_DEFAULT_SG,
    "CDK's Custom::VpcRestrictDefaultSG provider (a CustomResourceProvider)",
    'the EC2 API',
  ],
  [AUTO_DELETE, "CDK's Custom::S3AutoDeleteObjects provider (a CustomResourceProvider)", 'the S3 API'],
  [NOTIFICATIONS, "CDK's S3 bucket notifications handler", 'the S3 API'],
  [LOG_RETENTION, "CDK's log retention function", 'the CloudWatch Logs API'],
  [AWS_CUSTOM_RESOURCE, "CDK's AwsCustomResource provider", 'the AWS APIs its SDK calls name'],
  ...['onEvent', 'isComplete', 'onTimeout'].map(
    (name) =>
      [
        FRAMEWORK(name),
        `the framework-${name} function of custom_resources.Provider Stack/Provider`,
        'the Lambda API (the user handlers) and the Step Functions API',
      ] as const,
  ),
];

/** The reason a provider function is refused, as the fix words it. */
function refusal(name: string, calls: string, noEgress: string): string {
  return (
    `${name} calls ${calls} and answers CloudFormation at a pre-signed S3 URL, but ${noEgress}; in the VPC its ` +
    'calls could not get out and the stack would hang on create and delete for up to an hour, so it is left outside the VPC'
  );
}

const ISOLATED_ONLY =
  'the VPC Stack/Vpc has no private subnets with egress, only isolated (or public) ones, so nothing in it reaches the AWS APIs without VPC endpoints';
const GIVEN_BY_IDS =
  'the VPC was given by ids (vpcIds or the context key cdk-catalogue:vpc), from which whether its subnets reach ' +
  'the AWS APIs cannot be known at synth time (give it as an ec2.IVpc with private subnets with egress)';

/** Every kind of function CDK defines for its own custom resources, and two functions of the user's. */
function buildEveryKind(stack: Stack): void {
  const bucket = new s3.Bucket(stack, 'Bucket', {
    autoDeleteObjects: true,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  bucket.addEventNotification(
    s3.EventType.OBJECT_CREATED,
    new s3n.SnsDestination(new sns.Topic(stack, 'Topic')),
  );
  new lambda.Function(stack, 'Retained', { ...FUNCTION_PROPS, logRetention: logs.RetentionDays.ONE_WEEK });
  new cr.AwsCustomResource(stack, 'Lookup', {
    onCreate: {
      service: 'SSM',
      action: 'getParameter',
      parameters: { Name: 'name' },
      physicalResourceId: cr.PhysicalResourceId.of('name'),
    },
    policy: cr.AwsCustomResourcePolicy.fromSdkCalls({ resources: cr.AwsCustomResourcePolicy.ANY_RESOURCE }),
    installLatestAwsSdk: false,
  });
  const onEvent = new lambda.Function(stack, 'OnEvent', FUNCTION_PROPS);
  const provider = new cr.Provider(stack, 'Provider', {
    onEventHandler: onEvent,
    isCompleteHandler: onEvent,
  });
  new CustomResource(stack, 'Custom', { serviceToken: provider.serviceToken });
}

function vpcOf(stack: Stack, subnets: 'egress' | 'isolated'): ec2.Vpc {
  return subnets === 'egress'
    ? new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: true })
    : new ec2.Vpc(stack, 'Vpc', {
        maxAzs: 2,
        natGateways: 0,
        restrictDefaultSecurityGroup: true,
        subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
      });
}

/**
 * The app with every kind, in a VPC of its own, fixed by LambdaInVpc and judged by the pack in
 * reportOnly mode, synthesized with the bundled CloudFormation validator turned into errors.
 */
function synthValidated(subnets: 'egress' | 'isolated') {
  const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  const vpc = vpcOf(stack, subnets);
  buildEveryKind(stack);
  Aspects.of(app).add(new LambdaInVpc({ vpc }), { priority: AspectPriority.MUTATING });
  const pack = new EnterpriseCatalogueChecks({ reportOnly: true });
  Aspects.of(app).add(pack);
  const template = app.synth().getStackByName('Stack').template as CfnTemplate; // throws on a validator error
  const lambda1: Record<string, { status: string; reason?: string }> = Object.fromEntries(
    pack.evaluations
      .filter((e) => e.controlId === 'Lambda.1')
      .map((e) => [e.constructPath, { status: e.status, reason: e.reason }]),
  );
  return { template, lambda1, stack };
}

const FINDING = 'Enterprise-Lambda.1';
const VPC_ACCESS = {
  'Fn::Join': [
    '',
    ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
  ],
};

describe('in a VPC whose private subnets have egress (NAT)', () => {
  let result: ReturnType<typeof synthValidated>;
  beforeAll(() => {
    result = synthValidated('egress');
  });

  it('remediates Lambda.1 for every provider function and the user functions, and the validator accepts it', () => {
    expect(Object.keys(result.lambda1).sort()).toEqual(
      [...PROVIDERS.map(([path]) => path), ...USER_FUNCTIONS].sort(),
    );
    for (const evaluation of Object.values(result.lambda1)) expect(evaluation.status).toBe('remediated');
  });

  it('sets the VpcConfig of a raw CustomResourceProvider handler with an override, in the private subnets', () => {
    const handler = resources(result.template).CustomS3AutoDeleteObjectsCustomResourceProviderHandler;
    expect(handler.Properties?.VpcConfig).toEqual({
      SubnetIds: [
        { Ref: logicalIdOf(result.template, 'VpcPrivateSubnet1Subnet') },
        { Ref: logicalIdOf(result.template, 'VpcPrivateSubnet2Subnet') },
      ],
      SecurityGroupIds: [
        {
          'Fn::GetAtt': [
            logicalIdOf(
              result.template,
              'CustomS3AutoDeleteObjectsCustomResourceProviderHandlerSecurityGroup',
            ),
            'GroupId',
          ],
        },
      ],
    });
  });

  it("appends the VPC access policy to the raw role's ManagedPolicyArns, keeping CDK's own", () => {
    const role = resources(result.template).CustomS3AutoDeleteObjectsCustomResourceProviderRole;
    expect(role.Properties?.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
      VPC_ACCESS,
    ]);
  });

  it('makes each provider depend on the NAT routes, so that they outlive its custom resources on deletion', () => {
    const routes = ['VpcPrivateSubnet1DefaultRoute', 'VpcPrivateSubnet2DefaultRoute'].map((id) =>
      logicalIdOf(result.template, id),
    );
    const byPath = Object.values(result.template.Resources ?? {}).filter(
      (r) => r.Type === 'AWS::Lambda::Function',
    );
    expect(byPath).toHaveLength(PROVIDERS.length + USER_FUNCTIONS.length);
    for (const fn of byPath) expect(fn.DependsOn).toEqual(expect.arrayContaining(routes));
    // Each custom resource names its provider in its ServiceToken, so it is deleted before the provider.
    const autoDelete = resources(result.template).BucketAutoDeleteObjectsCustomResource;
    expect(autoDelete.Properties?.ServiceToken).toEqual({
      'Fn::GetAtt': [
        logicalIdOf(result.template, 'CustomS3AutoDeleteObjectsCustomResourceProviderHandler'),
        'Arn',
      ],
    });
  });
});

describe('in a VPC with isolated subnets only', () => {
  let result: ReturnType<typeof synthValidated>;
  beforeAll(() => {
    result = synthValidated('isolated');
  });

  it.each(PROVIDERS)('refuses %s, and the finding says why', (path, name, calls) => {
    expect(result.lambda1[path]).toEqual({
      status: 'non-compliant',
      reason: `VpcConfig is not set; the remediation could not be applied: ${refusal(name, calls, ISOLATED_ONLY)}`,
    });
  });

  it("still moves the user's own functions, and leaves the refused providers and their roles as CDK made them", () => {
    for (const path of USER_FUNCTIONS) expect(result.lambda1[path].status).toBe('remediated');
    const { CustomS3AutoDeleteObjectsCustomResourceProviderHandler: handler, ...all } = resources(
      result.template,
    );
    expect(handler.Properties?.VpcConfig).toBeUndefined();
    expect(all.CustomS3AutoDeleteObjectsCustomResourceProviderRole.Properties?.ManagedPolicyArns).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
    ]);
  });
});

describe('with the VPC given by ids', () => {
  const VPC_IDS: Record<string, VpcIds> = { '*': { vpcId: 'vpc-0abc', subnetIds: ['subnet-1'] } };

  function lambda1Of(build: (stack: Stack) => void, ...aspects: IAspect[]) {
    let stack!: Stack;
    const { template } = synthWithAspects(
      (s) => {
        stack = s;
        build(s);
      },
      ...aspects,
    );
    const functions = stack.node
      .findAll()
      .filter(
        (c): c is CfnResource =>
          CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function',
      );
    return {
      template,
      records: Object.fromEntries(functions.map((fn) => [fn.node.path, remediationRecords(fn)])),
    };
  }

  it("refuses every provider function, since egress cannot be known from ids, and moves the user's", () => {
    const { records } = lambda1Of(
      (stack) => {
        vpcOf(stack, 'egress'); // for its restrict-default-security-group provider
        buildEveryKind(stack);
      },
      new LambdaInVpc({ vpcIds: VPC_IDS }),
    );
    for (const [path, name, calls] of PROVIDERS) {
      expect(records[path]).toEqual([{ findingId: FINDING, notApplied: refusal(name, calls, GIVEN_BY_IDS) }]);
    }
    for (const path of USER_FUNCTIONS)
      expect(records[path]).toEqual([expect.objectContaining({ changes: expect.any(Array) })]);
  });

  it("refuses a user's function that a custom resource names in its ServiceToken, and moves one that none names", () => {
    const { records } = lambda1Of(
      (stack) => {
        const handler = new lambda.Function(stack, 'Handler', FUNCTION_PROPS);
        new CustomResource(stack, 'Thing', { serviceToken: handler.functionArn });
        new lambda.Function(stack, 'Plain', FUNCTION_PROPS);
      },
      new LambdaInVpc({ vpcIds: VPC_IDS }),
    );
    expect(records['Stack/Handler/Resource']).toEqual([
      {
        findingId: FINDING,
        notApplied: refusal(
          'the function, the provider of custom resource Stack/Thing/Default,',
          'the AWS APIs its handler uses',
          GIVEN_BY_IDS,
        ),
      },
    ]);
    expect(records['Stack/Plain/Resource']).toEqual([
      expect.objectContaining({ changes: expect.any(Array) }),
    ]);
  });
});

describe('the fix on raw CfnResource functions', () => {
  it('changes nothing when applied twice', () => {
    const build = (stack: Stack) => {
      const vpc = vpcOf(stack, 'egress');
      buildEveryKind(stack);
      return vpc;
    };
    const synthFixed = (times: number) => {
      let vpc!: ec2.Vpc;
      return synthWithAspects(
        (stack) => {
          vpc = build(stack);
        },
        ...Array.from({ length: times }, () => madeOnFirstVisit(() => new LambdaInVpc({ vpc }))),
      ).template;
    };
    expect(synthFixed(2)).toEqual(synthFixed(1));
  });

  it('refuses a raw function whose VpcConfig an override set in part, and keeps the override', () => {
    let handler!: CfnResource;
    let vpc!: ec2.Vpc;
    const { template } = synthWithAspects(
      (stack) => {
        vpc = vpcOf(stack, 'egress');
        new s3.Bucket(stack, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY });
        handler = stack.node
          .findChild('Custom::S3AutoDeleteObjectsCustomResourceProvider')
          .node.findChild('Handler') as CfnResource;
        handler.addPropertyOverride('VpcConfig.SecurityGroupIds', ['sg-user']);
      },
      madeOnFirstVisit(() => new LambdaInVpc({ vpc })),
    );
    expect(remediationRecords(handler)).toEqual([
      {
        findingId: FINDING,
        notApplied:
          'the function is a raw CfnResource whose VpcConfig is set by an override: complete it there',
      },
    ]);
    expect(
      resources(template).CustomS3AutoDeleteObjectsCustomResourceProviderHandler.Properties?.VpcConfig,
    ).toEqual({
      SecurityGroupIds: ['sg-user'],
    });
  });

  it('refuses a raw role whose ManagedPolicyArns an override made a token', () => {
    let handler!: CfnResource;
    let vpc!: ec2.Vpc;
    synthWithAspects(
      (stack) => {
        vpc = vpcOf(stack, 'egress');
        new s3.Bucket(stack, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY });
        const provider = stack.node.findChild('Custom::S3AutoDeleteObjectsCustomResourceProvider');
        handler = provider.node.findChild('Handler') as CfnResource;
        (provider.node.findChild('Role') as CfnResource).addPropertyOverride('ManagedPolicyArns', {
          'Fn::Split': [',', 'arn:aws:iam::aws:policy/ReadOnlyAccess'],
        });
      },
      madeOnFirstVisit(() => new LambdaInVpc({ vpc })),
    );
    expect(remediationRecords(handler)).toEqual([
      {
        findingId: FINDING,
        notApplied:
          'the ManagedPolicyArns of role Stack/Custom::S3AutoDeleteObjectsCustomResourceProvider/Role are a token, ' +
          'so a policy cannot be added to them: attach service-role/AWSLambdaVPCAccessExecutionRole to it yourself',
      },
    ]);
  });

  it("keeps a raw role's own managed policies, and does not add the VPC access policy twice", () => {
    let vpc!: ec2.Vpc;
    const { template } = synthWithAspects(
      (stack) => {
        vpc = vpcOf(stack, 'egress');
        new s3.Bucket(stack, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY });
        const role = stack.node
          .findChild('Custom::S3AutoDeleteObjectsCustomResourceProvider')
          .node.findChild('Role');
        (role as CfnResource).addPropertyOverride('ManagedPolicyArns', [
          'arn:aws:iam::aws:policy/ReadOnlyAccess',
          'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
        ]);
      },
      madeOnFirstVisit(() => new LambdaInVpc({ vpc })),
    );
    expect(
      resources(template).CustomS3AutoDeleteObjectsCustomResourceProviderRole.Properties?.ManagedPolicyArns,
    ).toEqual([
      'arn:aws:iam::aws:policy/ReadOnlyAccess',
      'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ]);
    expect(
      resources(template).CustomS3AutoDeleteObjectsCustomResourceProviderHandler.Properties?.VpcConfig,
    ).toBeDefined();
  });
});
