import {
  App,
  AspectPriority,
  Aspects,
  aws_ec2 as ec2,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_s3 as s3,
  CfnResource,
  IAspect,
  RemovalPolicy,
  Stack,
} from 'aws-cdk-lib';
import rule from '../../src/rules/lambda-in-vpc';
import { CfnTemplate } from '../../src/engine/template';
import { LambdaInVpc } from '../../src/remediations/aspects';
import {
  evaluateRule,
  logicalIdOf,
  madeOnFirstVisit,
  remediationRecords,
  resources,
  synthStack,
  synthWithAspects,
  templateWith,
} from '../helpers';

const FUNCTION = 'AWS::Lambda::Function';
const IN_VPC = { SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] };

function evaluateConfig(vpcConfig: unknown, extra: Partial<CfnTemplate> = {}, others: CfnTemplate[] = []) {
  const template = templateWith(FUNCTION, { VpcConfig: vpcConfig }, extra);
  return evaluateRule(rule, [template, ...others]).Subject;
}

/** Six conditions the engine expands, so that a seventh `Fn::If` is left in place. */
const SIX_EXPANDED = [1, 2, 3, 4, 5, 6].map((n) => ({ 'Fn::If': [`C${n}`, 'sg-1', 'sg-2'] }));

describe('lambda-in-vpc', () => {
  it.each([
    ['one subnet and one security group', IN_VPC],
    ['several of each', { SubnetIds: ['subnet-1', 'subnet-2'], SecurityGroupIds: ['sg-1', 'sg-2'] }],
    ['dual-stack allowed, which is irrelevant', { ...IN_VPC, Ipv6AllowedForDualStack: true }],
    ['dual-stack refused, which is irrelevant', { ...IN_VPC, Ipv6AllowedForDualStack: false }],
    ['one usable id among junk', { SubnetIds: ['', 'subnet-1', {}], SecurityGroupIds: ['sg-1'] }],
  ])('compliant: %s', (_name, vpcConfig) => {
    expect(evaluateConfig(vpcConfig).status).toBe('compliant');
  });

  it.each([
    ['no VpcConfig', undefined, 'VpcConfig', 'VpcConfig is not set'],
    [
      'an empty VpcConfig',
      {},
      'VpcConfig',
      'VpcConfig.SubnetIds is not set; VpcConfig.SecurityGroupIds is not set',
    ],
    [
      'empty lists, the way a function leaves its VPC',
      { SubnetIds: [], SecurityGroupIds: [] },
      'VpcConfig',
      'VpcConfig.SubnetIds is empty; VpcConfig.SecurityGroupIds is empty',
    ],
    [
      'no security group',
      { SubnetIds: ['subnet-1'], SecurityGroupIds: [] },
      'VpcConfig.SecurityGroupIds',
      'VpcConfig.SecurityGroupIds is empty',
    ],
    [
      'no subnet',
      { SecurityGroupIds: ['sg-1'], Ipv6AllowedForDualStack: true },
      'VpcConfig.SubnetIds',
      'VpcConfig.SubnetIds is not set',
    ],
    [
      'subnets that are only empty strings',
      { SubnetIds: ['', ''], SecurityGroupIds: ['sg-1'] },
      'VpcConfig.SubnetIds',
      'VpcConfig.SubnetIds holds no id: ["",""]',
    ],
  ])('non-compliant: %s', (_name, vpcConfig, property, reason) => {
    const Subject = evaluateConfig(vpcConfig);
    expect(Subject).toMatchObject({ status: 'non-compliant', property, reason });
  });

  describe('odd shapes do not throw', () => {
    it.each([
      ['a string VpcConfig', 'vpc-1', 'VpcConfig', "VpcConfig is 'vpc-1', not a VPC configuration"],
      ['an array VpcConfig', [IN_VPC], 'VpcConfig', 'not a VPC configuration'],
      ['a null VpcConfig', null, 'VpcConfig', 'VpcConfig is not set'],
      [
        'a string where a list belongs',
        { SubnetIds: 'subnet-1', SecurityGroupIds: ['sg-1'] },
        'VpcConfig.SubnetIds',
        "VpcConfig.SubnetIds is 'subnet-1', not a list",
      ],
      [
        'nested arrays and nulls as ids',
        { SubnetIds: [[['subnet-1']]], SecurityGroupIds: [null, 7] },
        'VpcConfig.SubnetIds',
        'VpcConfig.SubnetIds holds no id: [[["subnet-1"]]]',
      ],
    ])('non-compliant: %s', (_name, vpcConfig, property, reason) => {
      const Subject = evaluateConfig(vpcConfig);
      expect(Subject).toMatchObject({ status: 'non-compliant', property });
      expect(Subject.reason).toContain(reason);
    });

    it.each([
      ['an unknown intrinsic as VpcConfig', { 'Fn::Nonsense': [1] }, 'VpcConfig', 'Fn::Nonsense'],
      [
        'Fn::Split for a list',
        { SubnetIds: { 'Fn::Split': [',', 'subnet-1,subnet-2'] }, SecurityGroupIds: ['sg-1'] },
        'VpcConfig.SubnetIds',
        'VpcConfig.SubnetIds comes from Fn::Split, which is only known at deploy time',
      ],
    ])('unverifiable: %s', (_name, vpcConfig, property, reason) => {
      const Subject = evaluateConfig(vpcConfig);
      expect(Subject).toMatchObject({ status: 'unverifiable', property });
      expect(Subject.reason).toContain(reason);
    });
  });

  describe('intrinsics', () => {
    const NETWORK: Partial<CfnTemplate> = {
      Resources: {
        Subnet: { Type: 'AWS::EC2::Subnet' },
        Sg: { Type: 'AWS::EC2::SecurityGroup' },
        Lookup: { Type: 'Custom::SubnetLookup' },
      },
    };

    it('accepts a Ref to a subnet and a Fn::GetAtt of a security group', () => {
      const vpcConfig = {
        SubnetIds: [{ Ref: 'Subnet' }],
        SecurityGroupIds: [{ 'Fn::GetAtt': ['Sg', 'GroupId'] }],
      };
      expect(evaluateConfig(vpcConfig, NETWORK).status).toBe('compliant');
    });

    it('cannot verify a whole list from a Fn::GetAtt, which may be empty', () => {
      const vpcConfig = { SubnetIds: { 'Fn::GetAtt': ['Lookup', 'SubnetIds'] }, SecurityGroupIds: ['sg-1'] };
      expect(evaluateConfig(vpcConfig, NETWORK)).toMatchObject({
        status: 'unverifiable',
        property: 'VpcConfig.SubnetIds',
        reason:
          'VpcConfig.SubnetIds comes from attribute SubnetIds of custom resource Lookup, which is only known at deploy time',
      });
    });

    it('fails Fn::If when one branch empties the subnets, naming the branch', () => {
      const vpcConfig = { SubnetIds: { 'Fn::If': ['InVpc', ['subnet-1'], []] }, SecurityGroupIds: ['sg-1'] };
      expect(evaluateConfig(vpcConfig)).toMatchObject({
        status: 'non-compliant',
        property: 'VpcConfig.SubnetIds',
        reason: 'when condition InVpc is false: VpcConfig.SubnetIds is empty',
      });
    });

    it('fails Fn::If when one branch drops the whole VpcConfig', () => {
      const vpcConfig = { 'Fn::If': ['InVpc', IN_VPC, { Ref: 'AWS::NoValue' }] };
      expect(evaluateConfig(vpcConfig).reason).toBe('when condition InVpc is false: VpcConfig is not set');
    });

    it('passes Fn::If when both branches are in a VPC', () => {
      const vpcConfig = {
        SubnetIds: { 'Fn::If': ['Prod', ['subnet-1'], ['subnet-2']] },
        SecurityGroupIds: ['sg-1'],
      };
      expect(evaluateConfig(vpcConfig).status).toBe('compliant');
    });

    it('cannot verify a Fn::If left in place beyond the conditions the engine expands', () => {
      const vpcConfig = {
        SecurityGroupIds: SIX_EXPANDED,
        SubnetIds: [{ 'Fn::If': ['C7', 'subnet-1', { Ref: 'AWS::NoValue' }] }],
      };
      const Subject = evaluateConfig(vpcConfig);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VpcConfig.SubnetIds[0]' });
      expect(Subject.reason).toMatch(
        /: VpcConfig.SubnetIds\[0\] comes from Fn::If, which is only known at deploy time$/,
      );
    });

    describe('parameters', () => {
      const PARAMETERS: Partial<CfnTemplate> = {
        Parameters: {
          Subnets: { Type: 'List<AWS::EC2::Subnet::Id>' },
          Subnet: { Type: 'AWS::EC2::Subnet::Id' },
          Sgs: { Type: 'List<AWS::EC2::SecurityGroup::Id>' },
        },
      };

      it('counts a single id from a parameter: Lambda rejects an empty one', () => {
        const vpcConfig = { SubnetIds: [{ Ref: 'Subnet' }], SecurityGroupIds: ['sg-1'] };
        expect(evaluateConfig(vpcConfig, PARAMETERS).status).toBe('compliant');
      });

      it('cannot verify a whole list from a parameter, which may be empty', () => {
        const vpcConfig = { SubnetIds: { Ref: 'Subnets' }, SecurityGroupIds: ['sg-1'] };
        expect(evaluateConfig(vpcConfig, PARAMETERS)).toMatchObject({
          status: 'unverifiable',
          property: 'VpcConfig.SubnetIds',
          reason: 'VpcConfig.SubnetIds comes from parameter Subnets, which is only known at deploy time',
        });
      });

      it('reports two lists from parameters together', () => {
        const vpcConfig = { SubnetIds: { Ref: 'Subnets' }, SecurityGroupIds: { Ref: 'Sgs' } };
        const Subject = evaluateConfig(vpcConfig, PARAMETERS);
        expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VpcConfig' });
        expect(Subject.reason).toMatch(
          /parameter Subnets.*; VpcConfig.SecurityGroupIds comes from parameter Sgs/,
        );
      });

      it('is non-compliant when another list is empty, whatever the parameter holds', () => {
        const vpcConfig = { SubnetIds: { Ref: 'Subnets' }, SecurityGroupIds: [] };
        expect(evaluateConfig(vpcConfig, PARAMETERS)).toMatchObject({
          status: 'non-compliant',
          property: 'VpcConfig.SecurityGroupIds',
          reason: 'VpcConfig.SecurityGroupIds is empty',
        });
      });
    });

    describe('Fn::ImportValue', () => {
      const NETWORK_STACK: CfnTemplate = {
        Resources: { Subnet: { Type: 'AWS::EC2::Subnet' } },
        Outputs: { SubnetId: { Value: { Ref: 'Subnet' }, Export: { Name: 'network-subnet' } } },
      };

      it("accepts a subnet imported from another stack's export", () => {
        const vpcConfig = {
          SubnetIds: [{ 'Fn::ImportValue': 'network-subnet' }],
          SecurityGroupIds: ['sg-1'],
        };
        expect(evaluateConfig(vpcConfig, {}, [NETWORK_STACK]).status).toBe('compliant');
      });

      it('counts a single id from an import that does not resolve', () => {
        const vpcConfig = { SubnetIds: [{ 'Fn::ImportValue': 'elsewhere' }], SecurityGroupIds: ['sg-1'] };
        expect(evaluateConfig(vpcConfig).status).toBe('compliant');
      });

      it('cannot verify a whole list from an import that does not resolve', () => {
        const vpcConfig = {
          SubnetIds: { 'Fn::Split': [',', { 'Fn::ImportValue': 'subnets' }] },
          SecurityGroupIds: { 'Fn::ImportValue': 'sgs' },
        };
        const Subject = evaluateConfig(vpcConfig);
        expect(Subject).toMatchObject({ status: 'unverifiable', property: 'VpcConfig' });
        expect(Subject.reason).toContain(
          'VpcConfig.SecurityGroupIds comes from import of export sgs, which is only known at deploy time',
        );
      });
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default lambda.Function and passes one in a VPC', () => {
      const template = synthStack((stack) => {
        const props = {
          runtime: lambda.Runtime.NODEJS_20_X,
          handler: 'index.handler',
          code: lambda.Code.fromInline('exports.handler=async()=>{}'),
        };
        new lambda.Function(stack, 'Plain', props);
        new lambda.Function(stack, 'InVpc', { ...props, vpc: new ec2.Vpc(stack, 'Vpc') });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(
        byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status, e.reason]),
      ).toEqual([
        ['Plain', 'non-compliant', 'VpcConfig is not set'],
        ['InVpc', 'compliant', undefined],
      ]);
    });
  });
});

describe('lambda-in-vpc remediation (LambdaInVpc)', () => {
  const VPC_IDS = { '111111111111': { vpcId: 'vpc-0abc', subnetIds: ['subnet-1', 'subnet-2'] } };
  const FINDING = 'Enterprise-Lambda.1';
  const FUNCTION_PROPS = {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {}'),
  };
  const awsManaged = (name: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::aws:policy/${name}`]],
  });
  const BASIC = awsManaged('service-role/AWSLambdaBasicExecutionRole');
  const VPC_ACCESS = awsManaged('service-role/AWSLambdaVPCAccessExecutionRole');

  const statuses = (template: CfnTemplate) =>
    Object.values(evaluateRule(rule, template)).map((e) => e.status);

  describe('a default lambda.Function, with the VPC by ids', () => {
    let fn!: lambda.Function;
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          fn = new lambda.Function(stack, 'Fn', { ...FUNCTION_PROPS, memorySize: 256 });
          fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));
        },
        new LambdaInVpc({ vpcIds: VPC_IDS }),
      ));
    });

    it('passes the rule and records what it changed', () => {
      expect(statuses(template)).toEqual(['compliant']);
      expect(remediationRecords(fn)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set VpcConfig.SubnetIds to the configured subnets',
            'set VpcConfig.SecurityGroupIds to new egress-only security group Stack/Fn/SecurityGroup',
            'attached service-role/AWSLambdaVPCAccessExecutionRole to the ManagedPolicyArns of role Stack/Fn/ServiceRole',
          ],
        },
      ]);
    });

    it('sets VpcConfig with a new egress-only security group, keeping the rest', () => {
      const { Fn, FnSecurityGroup } = resources(template);
      expect(Fn.Properties).toMatchObject({
        MemorySize: 256,
        VpcConfig: {
          SubnetIds: ['subnet-1', 'subnet-2'],
          SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(template, 'FnSecurityGroup'), 'GroupId'] }],
        },
      });
      expect(FnSecurityGroup.Properties).toEqual({
        GroupDescription: expect.stringMatching(/^Egress-only security group for Lambda function StackFn/),
        VpcId: 'vpc-0abc',
        SecurityGroupEgress: [
          { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
        ],
      });
    });

    it('attaches the VPC access managed policy to the role, which the function depends on with its policy', () => {
      const { Fn, FnServiceRole } = resources(template);
      expect(FnServiceRole.Properties?.ManagedPolicyArns).toEqual([BASIC, VPC_ACCESS]);
      expect(Fn.DependsOn).toEqual([
        logicalIdOf(template, 'FnServiceRoleDefaultPolicy'),
        logicalIdOf(template, 'FnServiceRole'),
      ]);
    });
  });

  it('puts a function in an ec2.Vpc of the stack and waits for its NAT routes, as the L2 does', () => {
    let vpc!: ec2.Vpc;
    const { template, stack } = synthWithAspects(
      (s) => {
        vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2 });
        new lambda.Function(s, 'Fn', FUNCTION_PROPS);
      },
      madeOnFirstVisit(() => new LambdaInVpc({ vpc })),
    );
    const { Fn, FnSecurityGroup } = resources(template);
    expect(statuses(template)).toEqual(['compliant']);
    expect(Fn.Properties?.VpcConfig).toEqual({
      SubnetIds: vpc.privateSubnets.map((subnet) => stack.resolve(subnet.subnetId)),
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(template, 'FnSecurityGroup'), 'GroupId'] }],
    });
    expect(FnSecurityGroup.Properties).toMatchObject({ VpcId: { Ref: logicalIdOf(template, 'Vpc') } });
    expect(Fn.DependsOn).toEqual([
      logicalIdOf(template, 'FnServiceRole'),
      logicalIdOf(template, 'VpcPrivateSubnet1DefaultRoute'),
      logicalIdOf(template, 'VpcPrivateSubnet1RouteTableAssociation'),
      logicalIdOf(template, 'VpcPrivateSubnet2DefaultRoute'),
      logicalIdOf(template, 'VpcPrivateSubnet2RouteTableAssociation'),
    ]);
  });

  it('changes nothing when applied twice (two instances), and attaches the policy once to a shared role', () => {
    const build = (stack: Stack) => {
      const role = new iam.Role(stack, 'Shared', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      });
      new lambda.Function(stack, 'One', { ...FUNCTION_PROPS, role });
      new lambda.Function(stack, 'Two', { ...FUNCTION_PROPS, role });
      new lambda.Function(stack, 'Own', FUNCTION_PROPS);
    };
    const once = synthWithAspects(build, new LambdaInVpc({ vpcIds: VPC_IDS })).template;
    const twice = synthWithAspects(
      build,
      new LambdaInVpc({ vpcIds: VPC_IDS }),
      new LambdaInVpc({ vpcIds: VPC_IDS }),
    ).template;
    expect(twice).toEqual(once);
    expect(statuses(once)).toEqual(['compliant', 'compliant', 'compliant']);
    expect(resources(once).Shared.Properties?.ManagedPolicyArns).toEqual([VPC_ACCESS]);
  });

  describe('an L1 function with an L1 role and part of a VpcConfig', () => {
    let fn!: lambda.CfnFunction;
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          const role = new iam.CfnRole(stack, 'Role', {
            assumeRolePolicyDocument: {
              Statement: [
                { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
              ],
            },
            managedPolicyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],
          });
          fn = new lambda.CfnFunction(stack, 'Fn', {
            role: role.attrArn,
            runtime: 'nodejs22.x',
            handler: 'index.handler',
            code: { zipFile: 'exports.handler = async () => {}' },
            vpcConfig: { securityGroupIds: ['sg-user'], ipv6AllowedForDualStack: true },
          });
        },
        new LambdaInVpc({ vpcIds: { '*': { ...VPC_IDS['111111111111'], securityGroupIds: ['sg-1'] } } }),
      ));
    });

    it("fills in the subnets and keeps the user's security group and dual-stack setting", () => {
      expect(statuses(template)).toEqual(['compliant']);
      expect(resources(template).Fn.Properties?.VpcConfig).toEqual({
        SubnetIds: ['subnet-1', 'subnet-2'],
        SecurityGroupIds: ['sg-user'],
        Ipv6AllowedForDualStack: true,
      });
      expect(remediationRecords(fn)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set VpcConfig.SubnetIds to the configured subnets',
            'attached service-role/AWSLambdaVPCAccessExecutionRole to the ManagedPolicyArns of role Stack/Role',
          ],
        },
      ]);
    });

    it("appends the policy to the CfnRole's ManagedPolicyArns", () => {
      expect(resources(template).Role.Properties?.ManagedPolicyArns).toEqual([
        'arn:aws:iam::aws:policy/ReadOnlyAccess',
        VPC_ACCESS,
      ]);
      // The Fn::GetAtt of the role already orders the function after it.
      expect(resources(template).Fn.DependsOn).toBeUndefined();
    });
  });

  it('does not attach the policy again to a role that has it as a literal ARN', () => {
    let fn!: lambda.Function;
    const { template } = synthWithAspects(
      (stack) => {
        const role = new iam.Role(stack, 'Role', {
          assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
          managedPolicies: [
            iam.ManagedPolicy.fromManagedPolicyArn(
              stack,
              'VpcAccess',
              'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
            ),
          ],
        });
        fn = new lambda.Function(stack, 'Fn', { ...FUNCTION_PROPS, role });
      },
      new LambdaInVpc({ vpcIds: VPC_IDS }),
    );
    expect(resources(template).Role.Properties?.ManagedPolicyArns).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
    ]);
    expect((remediationRecords(fn)[0] as { changes: string[] }).changes).toEqual([
      'set VpcConfig.SubnetIds to the configured subnets',
      'set VpcConfig.SecurityGroupIds to new egress-only security group Stack/Fn/SecurityGroup',
    ]);
  });

  it('leaves a function already in a VPC untouched and records nothing', () => {
    let fn!: lambda.Function;
    const build = (stack: Stack) => {
      fn = new lambda.Function(stack, 'Fn', {
        ...FUNCTION_PROPS,
        vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 }),
      });
    };
    const untouched = synthWithAspects(build).template;
    const { template } = synthWithAspects(build, new LambdaInVpc({ vpcIds: VPC_IDS }));
    expect(template).toEqual(untouched);
    expect(remediationRecords(fn)).toEqual([]);
  });

  describe('not applied, with the reason recorded and the function left as it was', () => {
    const notAppliedRecord = (reason: string) => [{ findingId: FINDING, notApplied: reason }];

    it('without a VPC', () => {
      let fn!: lambda.Function;
      const build = (stack: Stack) => {
        fn = new lambda.Function(stack, 'Fn', FUNCTION_PROPS);
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new LambdaInVpc());
      expect(template).toEqual(untouched);
      expect(remediationRecords(fn)).toEqual(
        notAppliedRecord(
          "no VPC was given: set the remediations' vpc prop or the context key 'cdk-catalogue:vpc'",
        ),
      );
    });

    it('in an environment-agnostic stack with VPC ids per account only', () => {
      const synthEnvAgnostic = (...aspects: IAspect[]) => {
        const app = new App({ builtinCloudFormationValidation: false });
        const fn = new lambda.Function(new Stack(app, 'Stack'), 'Fn', FUNCTION_PROPS);
        for (const aspect of aspects) Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
        return { fn, template: app.synth().getStackByName('Stack').template as CfnTemplate };
      };
      const { fn, template } = synthEnvAgnostic(new LambdaInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(synthEnvAgnostic().template);
      expect(remediationRecords(fn)).toEqual(
        notAppliedRecord(
          "the stack is environment-agnostic, so the VPC ids per account in 'cdk-catalogue:vpc' cannot be chosen; give the stack an env or a '*' entry",
        ),
      );
    });

    it('when the role is imported, saying what to attach', () => {
      let fn!: lambda.Function;
      const build = (stack: Stack) => {
        const role = iam.Role.fromRoleArn(stack, 'Shared', 'arn:aws:iam::111111111111:role/fn', {
          mutable: false,
        });
        fn = new lambda.Function(stack, 'Fn', { ...FUNCTION_PROPS, role });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new LambdaInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      expect(remediationRecords(fn)).toEqual(
        notAppliedRecord(
          "the execution role 'arn:aws:iam::111111111111:role/fn' is not defined in this stack, so the fix cannot let " +
            "it manage the function's network interfaces: attach the AWS managed policy " +
            'service-role/AWSLambdaVPCAccessExecutionRole to it, then set VpcConfig yourself',
        ),
      );
    });

    it("for CDK's own provider functions when the VPC is given by ids, whose egress cannot be known", () => {
      const providerOf = (stack: Stack) =>
        stack.node
          .findAll()
          .find(
            (c): c is CfnResource =>
              CfnResource.isCfnResource(c) && c.cfnResourceType === 'AWS::Lambda::Function',
          )!;
      let stack!: Stack;
      const build = (s: Stack) => {
        stack = s;
        new s3.Bucket(s, 'Bucket', { autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new LambdaInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      const provider = providerOf(stack);
      expect(provider).not.toBeInstanceOf(lambda.CfnFunction);
      expect(remediationRecords(provider)).toEqual(
        notAppliedRecord(
          "CDK's Custom::S3AutoDeleteObjects provider (a CustomResourceProvider) calls the S3 API and answers " +
            'CloudFormation at a pre-signed S3 URL, but the VPC was given by ids (vpcIds or the context key ' +
            'cdk-catalogue:vpc), from which whether its subnets reach the AWS APIs cannot be known at synth time ' +
            '(give it as an ec2.IVpc with private subnets with egress); in the VPC its calls could not get out and ' +
            'the stack would hang on create and delete for up to an hour, so it is left outside the VPC',
        ),
      );
    });
  });

  it('gives a template that passes the bundled CloudFormation validator', () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
    new lambda.Function(stack, 'Fn', FUNCTION_PROPS);
    Aspects.of(stack).add(
      new LambdaInVpc({
        vpcIds: { '*': { vpcId: 'vpc-0a1b2c3d4e5f6a700', subnetIds: ['subnet-0a1b2c3d4e5f6a710'] } },
      }),
      { priority: AspectPriority.MUTATING },
    );
    let assembly!: ReturnType<App['synth']>;
    expect(() => (assembly = app.synth())).not.toThrow();
    expect(statuses(assembly.getStackByName('Stack').template as CfnTemplate)).toEqual(['compliant']);
  });
});
