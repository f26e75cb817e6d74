import {
  App,
  AspectPriority,
  Aspects,
  aws_codebuild as codebuild,
  aws_codecommit as codecommit,
  aws_ec2 as ec2,
  aws_iam as iam,
  pipelines,
  Stack,
} from 'aws-cdk-lib';
import rule from '../../src/rules/codebuild-in-vpc';
import { CfnTemplate } from '../../src/engine/template';
import { CodeBuildInVpc } from '../../src/remediations/aspects';
import {
  evaluateRule,
  logicalIdOf,
  madeOnFirstVisit,
  remediationRecords,
  resources,
  statementsOf,
  synthEnvAgnostic,
  synthStack,
  synthWithAspects,
  templateWith,
} from '../helpers';

const PROJECT = 'AWS::CodeBuild::Project';
const IN_VPC = { VpcId: 'vpc-1', Subnets: ['subnet-1'], SecurityGroupIds: ['sg-1'] };

function evaluateProject(
  properties: Record<string, unknown>,
  extra: Partial<CfnTemplate> = {},
  others: CfnTemplate[] = [],
) {
  return evaluateRule(rule, [templateWith(PROJECT, properties, extra), ...others]).Subject;
}

const evaluateConfig = (vpcConfig: unknown, extra: Partial<CfnTemplate> = {}, others: CfnTemplate[] = []) =>
  evaluateProject({ VpcConfig: vpcConfig }, extra, others);

describe('codebuild-in-vpc', () => {
  it.each([
    ['a VPC, a subnet and a security group', IN_VPC],
    [
      'several subnets and security groups',
      { ...IN_VPC, Subnets: ['subnet-1', 'subnet-2'], SecurityGroupIds: ['a', 'b'] },
    ],
  ])('compliant: %s', (_name, vpcConfig) => {
    expect(evaluateConfig(vpcConfig).status).toBe('compliant');
  });

  it.each([
    ['no VpcConfig', undefined, 'VpcConfig', 'VpcConfig is not set'],
    [
      'a VpcId only',
      { VpcId: 'vpc-1' },
      'VpcConfig',
      'VpcConfig.Subnets is not set; VpcConfig.SecurityGroupIds is not set',
    ],
    [
      'an empty VpcConfig',
      {},
      'VpcConfig',
      'VpcConfig.VpcId is not set; VpcConfig.Subnets is not set; VpcConfig.SecurityGroupIds is not set',
    ],
    ['no VpcId', { ...IN_VPC, VpcId: undefined }, 'VpcConfig.VpcId', 'VpcConfig.VpcId is not set'],
    ['an empty VpcId', { ...IN_VPC, VpcId: '' }, 'VpcConfig.VpcId', 'VpcConfig.VpcId is empty'],
    ['empty Subnets', { ...IN_VPC, Subnets: [] }, 'VpcConfig.Subnets', 'VpcConfig.Subnets is empty'],
    [
      'empty SecurityGroupIds',
      { ...IN_VPC, SecurityGroupIds: [] },
      'VpcConfig.SecurityGroupIds',
      'VpcConfig.SecurityGroupIds is empty',
    ],
    [
      "Lambda's SubnetIds spelling, which CodeBuild does not read",
      { VpcId: 'vpc-1', SubnetIds: ['subnet-1'], SecurityGroupIds: ['sg-1'] },
      'VpcConfig.Subnets',
      'VpcConfig.Subnets is not set',
    ],
  ])('non-compliant: %s', (_name, vpcConfig, property, reason) => {
    expect(evaluateConfig(vpcConfig)).toMatchObject({ status: 'non-compliant', property, reason });
  });

  it.each([
    ['a number VpcConfig', 42, 'VpcConfig', 'VpcConfig is 42, not a VPC configuration'],
    [
      'an object VpcId',
      { ...IN_VPC, VpcId: { Id: 'vpc-1' } },
      'VpcConfig.VpcId',
      'VpcConfig.VpcId is {"Id":"vpc-1"}, not an id',
    ],
    [
      'an array VpcId',
      { ...IN_VPC, VpcId: ['vpc-1'] },
      'VpcConfig.VpcId',
      'VpcConfig.VpcId is ["vpc-1"], not an id',
    ],
    ['an object as Subnets', { ...IN_VPC, Subnets: { A: 'subnet-1' } }, 'VpcConfig.Subnets', 'not a list'],
  ])('odd shape, non-compliant without throwing: %s', (_name, vpcConfig, property, reason) => {
    const Subject = evaluateConfig(vpcConfig);
    expect(Subject).toMatchObject({ status: 'non-compliant', property });
    expect(Subject.reason).toContain(reason);
  });

  it('does not throw on an Environment that is not an object', () => {
    expect(evaluateProject({ Environment: 'LINUX_CONTAINER', VpcConfig: IN_VPC }).status).toBe('compliant');
    expect(evaluateProject({ Environment: { Fleet: 'arn' }, VpcConfig: IN_VPC }).status).toBe('compliant');
  });

  describe('intrinsics', () => {
    const NETWORK: Partial<CfnTemplate> = {
      Resources: {
        Vpc: { Type: 'AWS::EC2::VPC' },
        Subnet: { Type: 'AWS::EC2::Subnet' },
        Sg: { Type: 'AWS::EC2::SecurityGroup' },
      },
      Parameters: {
        VpcIdParam: { Type: 'AWS::EC2::VPC::Id' },
        SubnetsParam: { Type: 'List<AWS::EC2::Subnet::Id>' },
      },
    };

    it('accepts Ref to a VPC and a subnet, and Fn::GetAtt of a security group', () => {
      const vpcConfig = {
        VpcId: { Ref: 'Vpc' },
        Subnets: [{ Ref: 'Subnet' }],
        SecurityGroupIds: [{ 'Fn::GetAtt': ['Sg', 'GroupId'] }],
      };
      expect(evaluateConfig(vpcConfig, NETWORK).status).toBe('compliant');
    });

    it('counts a VpcId from a parameter: CodeBuild rejects an empty one', () => {
      expect(evaluateConfig({ ...IN_VPC, VpcId: { Ref: 'VpcIdParam' } }, NETWORK).status).toBe('compliant');
    });

    it('cannot verify Subnets from a list parameter, which may be empty', () => {
      expect(evaluateConfig({ ...IN_VPC, Subnets: { Ref: 'SubnetsParam' } }, NETWORK)).toMatchObject({
        status: 'unverifiable',
        property: 'VpcConfig.Subnets',
        reason: 'VpcConfig.Subnets comes from parameter SubnetsParam, which is only known at deploy time',
      });
    });

    it('reports a missing VpcId before a list it cannot verify', () => {
      const vpcConfig = { Subnets: { Ref: 'SubnetsParam' }, SecurityGroupIds: ['sg-1'] };
      expect(evaluateConfig(vpcConfig, NETWORK)).toMatchObject({
        status: 'non-compliant',
        property: 'VpcConfig.VpcId',
        reason: 'VpcConfig.VpcId is not set',
      });
    });

    it('fails Fn::If when one branch has no VpcId, naming the branch', () => {
      const vpcConfig = { ...IN_VPC, VpcId: { 'Fn::If': ['Shared', 'vpc-1', { Ref: 'AWS::NoValue' }] } };
      expect(evaluateConfig(vpcConfig)).toMatchObject({
        status: 'non-compliant',
        property: 'VpcConfig.VpcId',
        reason: 'when condition Shared is false: VpcConfig.VpcId is not set',
      });
    });

    it('passes Fn::If when both branches are in a VPC', () => {
      const vpcConfig = { 'Fn::If': ['Shared', IN_VPC, { ...IN_VPC, VpcId: 'vpc-2' }] };
      expect(evaluateConfig(vpcConfig).status).toBe('compliant');
    });

    it("accepts a VpcId imported from another stack's export", () => {
      const network: CfnTemplate = {
        Resources: { Vpc: { Type: 'AWS::EC2::VPC' } },
        Outputs: { VpcId: { Value: { Ref: 'Vpc' }, Export: { Name: 'network-vpc' } } },
      };
      const vpcConfig = { ...IN_VPC, VpcId: { 'Fn::ImportValue': 'network-vpc' } };
      expect(evaluateConfig(vpcConfig, {}, [network]).status).toBe('compliant');
    });

    it('counts a VpcId from an import that does not resolve, but not a whole list', () => {
      const vpcConfig = {
        VpcId: { 'Fn::ImportValue': 'elsewhere-vpc' },
        Subnets: ['subnet-1'],
        SecurityGroupIds: { 'Fn::ImportValue': 'elsewhere-sgs' },
      };
      expect(evaluateConfig(vpcConfig)).toMatchObject({
        status: 'unverifiable',
        property: 'VpcConfig.SecurityGroupIds',
        reason:
          'VpcConfig.SecurityGroupIds comes from import of export elsewhere-sgs, which is only known at deploy time',
      });
    });
  });

  describe('on a reserved-capacity fleet, judged by the fleet', () => {
    const onFleet = (fleetArn: unknown) => ({ Environment: { Fleet: { FleetArn: fleetArn } } });
    const FLEET_ARN = { 'Fn::GetAtt': ['Fleet', 'Arn'] };
    const withFleet = (properties?: Record<string, unknown>): Partial<CfnTemplate> => ({
      Resources: {
        Fleet: { Type: 'AWS::CodeBuild::Fleet', ...(properties ? { Properties: properties } : {}) },
      },
      Parameters: { FleetArnParam: { Type: 'String' } },
    });

    it('passes a project whose fleet is in a VPC, though the project has no VpcConfig', () => {
      expect(evaluateProject(onFleet(FLEET_ARN), withFleet({ FleetVpcConfig: IN_VPC })).status).toBe(
        'compliant',
      );
    });

    it.each([
      ['no FleetVpcConfig', undefined, 'Environment.Fleet is fleet Fleet, whose FleetVpcConfig is not set'],
      [
        'empty subnets',
        { FleetVpcConfig: { ...IN_VPC, Subnets: [] } },
        'Environment.Fleet is fleet Fleet, whose FleetVpcConfig.Subnets is empty',
      ],
    ])('fails a project whose fleet has %s, even with a project VpcConfig', (_name, fleet, reason) => {
      const properties = { ...onFleet(FLEET_ARN), VpcConfig: IN_VPC };
      expect(evaluateProject(properties, withFleet(fleet))).toMatchObject({
        status: 'non-compliant',
        property: 'Environment.Fleet',
        reason,
      });
    });

    it.each([
      [
        'a fleet ARN from a parameter',
        { Ref: 'FleetArnParam' },
        'Environment.Fleet comes from parameter FleetArnParam, so its VPC is only known at deploy time',
      ],
      [
        'a fleet outside the templates',
        'arn:aws:codebuild:eu-west-1:111122223333:fleet/shared',
        "Environment.Fleet 'arn:aws:codebuild:eu-west-1:111122223333:fleet/shared' is not a fleet in these templates, so its VPC cannot be verified",
      ],
      [
        'a fleet from an import that does not resolve',
        { 'Fn::ImportValue': 'shared-fleet' },
        'Environment.Fleet comes from import of export shared-fleet, so its VPC is only known at deploy time',
      ],
    ])('cannot verify %s', (_name, fleetArn, reason) => {
      const properties = { ...onFleet(fleetArn), VpcConfig: IN_VPC };
      expect(evaluateProject(properties, withFleet())).toMatchObject({
        status: 'unverifiable',
        property: 'Environment.Fleet',
        reason,
      });
    });

    it("judges a fleet imported from another stack's export", () => {
      const fleetStack: CfnTemplate = {
        Resources: {
          SharedFleet: { Type: 'AWS::CodeBuild::Fleet', Properties: { FleetVpcConfig: { VpcId: 'vpc-1' } } },
        },
        Outputs: {
          Arn: { Value: { 'Fn::GetAtt': ['SharedFleet', 'Arn'] }, Export: { Name: 'shared-fleet' } },
        },
      };
      expect(evaluateProject(onFleet({ 'Fn::ImportValue': 'shared-fleet' }), {}, [fleetStack])).toMatchObject(
        {
          status: 'non-compliant',
          property: 'Environment.Fleet',
          reason:
            'Environment.Fleet is fleet SharedFleet, whose FleetVpcConfig.Subnets is not set; FleetVpcConfig.SecurityGroupIds is not set',
        },
      );
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default codebuild.Project and passes one in a VPC', () => {
      const template = synthStack((stack) => {
        const buildSpec = codebuild.BuildSpec.fromObject({ version: '0.2' });
        new codebuild.Project(stack, 'Plain', { buildSpec });
        new codebuild.Project(stack, 'InVpc', { buildSpec, vpc: new ec2.Vpc(stack, 'Vpc') });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(
        byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status, e.reason]),
      ).toEqual([
        ['Plain', 'non-compliant', 'VpcConfig is not set'],
        ['InVpc', 'compliant', undefined],
      ]);
    });

    it('judges a project on a codebuild.Fleet by the fleet', () => {
      const template = synthStack((stack) => {
        const fleet = new codebuild.Fleet(stack, 'Fleet', {
          baseCapacity: 1,
          computeType: codebuild.FleetComputeType.SMALL,
          environmentType: codebuild.EnvironmentType.LINUX_CONTAINER,
        });
        new codebuild.Project(stack, 'OnFleet', {
          buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2' }),
          environment: { fleet, buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        });
      });
      const [evaluation] = Object.values(evaluateRule(rule, template));
      expect(evaluation).toMatchObject({ status: 'non-compliant', property: 'Environment.Fleet' });
      expect(evaluation.reason).toMatch(
        /^Environment.Fleet is fleet Fleet[0-9A-F]{8}, whose FleetVpcConfig is not set$/,
      );
    });
  });
});

describe('codebuild-in-vpc remediation (CodeBuildInVpc)', () => {
  const VPC_IDS = { '111111111111': { vpcId: 'vpc-0abc', subnetIds: ['subnet-1', 'subnet-2'] } };
  const buildSpec = codebuild.BuildSpec.fromObject({
    version: '0.2',
    phases: { build: { commands: ['make'] } },
  });
  const FINDING = 'Enterprise-CodeBuild.1';
  const NETWORK_INTERFACE_ACTIONS = [
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeSubnets',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeDhcpOptions',
    'ec2:DescribeVpcs',
  ];
  const ec2Arn = (resource: unknown) => ({
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':ec2:',
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        ...(typeof resource === 'string' ? [`:${resource}`] : [':subnet/', resource]),
      ],
    ],
  });
  const subnetArn = (id: unknown) => (typeof id === 'string' ? ec2Arn(`subnet/${id}`) : ec2Arn(id));

  const statuses = (template: CfnTemplate) =>
    Object.values(evaluateRule(rule, template)).map((e) => e.status);

  describe('a default codebuild.Project, with the VPC by ids', () => {
    let project!: codebuild.Project;
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          project = new codebuild.Project(stack, 'Build', { buildSpec, description: 'builds the app' });
        },
        new CodeBuildInVpc({ vpcIds: VPC_IDS }),
      ));
    });

    it('passes the rule and records what it changed', () => {
      expect(statuses(template)).toEqual(['compliant']);
      expect(remediationRecords(project)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set VpcConfig.VpcId to the configured VPC',
            'set VpcConfig.Subnets to the configured subnets',
            'set VpcConfig.SecurityGroupIds to new egress-only security group Stack/Build/SecurityGroup',
            'granted role Stack/Build/Role the network-interface permissions CodeBuild needs in a VPC, in policy ' +
              'Stack/Build/VpcPolicy, which the project depends on',
          ],
        },
      ]);
    });

    it('sets VpcConfig with a new egress-only security group in the VPC, keeping the rest', () => {
      const { Build, BuildSecurityGroup } = resources(template);
      expect(Build.Properties).toMatchObject({
        Description: 'builds the app',
        VpcConfig: {
          VpcId: 'vpc-0abc',
          Subnets: ['subnet-1', 'subnet-2'],
          SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(template, 'BuildSecurityGroup'), 'GroupId'] }],
        },
      });
      expect(BuildSecurityGroup.Properties).toEqual({
        GroupDescription: expect.stringMatching(
          /^Egress-only security group for CodeBuild project StackBuild/,
        ),
        VpcId: 'vpc-0abc',
        SecurityGroupEgress: [
          { CidrIp: '0.0.0.0/0', Description: 'Allow all outbound traffic by default', IpProtocol: '-1' },
        ],
      });
    });

    it('grants the role what CodeBuild needs in a VPC, in a policy the project depends on', () => {
      const policyId = logicalIdOf(template, 'BuildVpcPolicy');
      const { Build, BuildVpcPolicy } = resources(template);
      expect(BuildVpcPolicy.Properties?.Roles).toEqual([{ Ref: logicalIdOf(template, 'BuildRole') }]);
      expect(statementsOf(BuildVpcPolicy)).toEqual([
        { Effect: 'Allow', Action: NETWORK_INTERFACE_ACTIONS, Resource: '*' },
        {
          Effect: 'Allow',
          Action: 'ec2:CreateNetworkInterfacePermission',
          Resource: ec2Arn('network-interface/*'),
          Condition: {
            StringEquals: {
              'ec2:Subnet': [subnetArn('subnet-1'), subnetArn('subnet-2')],
              'ec2:AuthorizedService': 'codebuild.amazonaws.com',
            },
          },
        },
      ]);
      expect(Build.DependsOn).toEqual([policyId]);
    });
  });

  it('puts a project in an ec2.Vpc of the stack: its private subnets and an L2 security group', () => {
    let vpc!: ec2.Vpc;
    const { template, stack } = synthWithAspects(
      (s) => {
        vpc = new ec2.Vpc(s, 'Vpc', { maxAzs: 2 });
        new codebuild.Project(s, 'Build', { buildSpec });
      },
      madeOnFirstVisit(() => new CodeBuildInVpc({ vpc })),
    );
    const privateSubnets = vpc.privateSubnets.map((subnet) => stack.resolve(subnet.subnetId));
    const { Build, BuildSecurityGroup, BuildVpcPolicy } = resources(template);
    expect(statuses(template)).toEqual(['compliant']);
    expect(Build.Properties?.VpcConfig).toEqual({
      VpcId: { Ref: logicalIdOf(template, 'Vpc') },
      Subnets: privateSubnets,
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalIdOf(template, 'BuildSecurityGroup'), 'GroupId'] }],
    });
    expect(BuildSecurityGroup.Properties).toMatchObject({
      VpcId: { Ref: logicalIdOf(template, 'Vpc') },
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }],
    });
    expect(BuildSecurityGroup.Properties?.SecurityGroupIngress).toBeUndefined();
    expect(statementsOf(BuildVpcPolicy)[1]).toMatchObject({
      Condition: { StringEquals: { 'ec2:Subnet': privateSubnets.map(subnetArn) } },
    });
    expect(Build.DependsOn).toEqual([logicalIdOf(template, 'BuildVpcPolicy')]);
  });

  it.each([
    ['by ids', () => new CodeBuildInVpc({ vpcIds: VPC_IDS })],
    [
      'with configured security groups',
      () =>
        new CodeBuildInVpc({ vpcIds: { '*': { ...VPC_IDS['111111111111'], securityGroupIds: ['sg-1'] } } }),
    ],
  ])('changes nothing when applied twice (two instances): %s', (_name, aspect) => {
    const build = (stack: Stack) => new codebuild.Project(stack, 'Build', { buildSpec });
    const once = synthWithAspects(build, aspect()).template;
    const twice = synthWithAspects(build, aspect(), aspect()).template;
    expect(twice).toEqual(once);
  });

  it('changes nothing when applied twice (two instances): in an ec2.Vpc', () => {
    let vpc!: ec2.Vpc;
    const build = (stack: Stack) => {
      vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2 });
      new codebuild.Project(stack, 'Build', { buildSpec });
    };
    const aspect = () => madeOnFirstVisit(() => new CodeBuildInVpc({ vpc }));
    const once = synthWithAspects(build, aspect()).template;
    const twice = synthWithAspects(build, aspect(), aspect()).template;
    expect(twice).toEqual(once);
    expect(statuses(once)).toEqual(['compliant']);
  });

  it('uses the configured security groups instead of creating one', () => {
    let project!: codebuild.Project;
    const { template } = synthWithAspects(
      (stack) => {
        project = new codebuild.Project(stack, 'Build', { buildSpec });
      },
      new CodeBuildInVpc({
        vpcIds: { '*': { ...VPC_IDS['111111111111'], securityGroupIds: ['sg-1', 'sg-2'] } },
      }),
    );
    expect(resources(template).Build.Properties?.VpcConfig).toEqual({
      VpcId: 'vpc-0abc',
      Subnets: ['subnet-1', 'subnet-2'],
      SecurityGroupIds: ['sg-1', 'sg-2'],
    });
    expect(Object.values(template.Resources ?? {}).map((r) => r.Type)).not.toContain(
      'AWS::EC2::SecurityGroup',
    );
    expect((remediationRecords(project)[0] as { changes: string[] }).changes).toContain(
      'set VpcConfig.SecurityGroupIds to the configured security groups',
    );
  });

  describe('an L1 project with an L1 role and part of a VpcConfig', () => {
    let project!: codebuild.CfnProject;
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          const role = new iam.CfnRole(stack, 'BuildRole', {
            assumeRolePolicyDocument: {
              Statement: [
                {
                  Effect: 'Allow',
                  Principal: { Service: 'codebuild.amazonaws.com' },
                  Action: 'sts:AssumeRole',
                },
              ],
            },
          });
          project = new codebuild.CfnProject(stack, 'Build', {
            serviceRole: role.attrArn,
            source: { type: 'NO_SOURCE', buildSpec: '{"version":"0.2"}' },
            artifacts: { type: 'NO_ARTIFACTS' },
            environment: {
              type: 'LINUX_CONTAINER',
              image: 'aws/codebuild/standard:7.0',
              computeType: 'BUILD_GENERAL1_SMALL',
            },
            vpcConfig: { vpcId: 'vpc-0abc', securityGroupIds: ['sg-user'] },
          });
        },
        new CodeBuildInVpc({ vpcIds: VPC_IDS }),
      ));
    });

    it("fills in the subnets and keeps the user's VPC and security group", () => {
      expect(statuses(template)).toEqual(['compliant']);
      expect(resources(template).Build.Properties?.VpcConfig).toEqual({
        VpcId: 'vpc-0abc',
        Subnets: ['subnet-1', 'subnet-2'],
        SecurityGroupIds: ['sg-user'],
      });
      expect(remediationRecords(project)).toEqual([
        {
          findingId: FINDING,
          changes: [
            'set VpcConfig.Subnets to the configured subnets',
            'granted role Stack/BuildRole the network-interface permissions CodeBuild needs in a VPC, in policy ' +
              'Stack/BuildVpcPolicy, which the project depends on',
          ],
        },
      ]);
    });

    it('attaches the policy to the CfnRole by name, and the project depends on it', () => {
      const { Build, BuildVpcPolicy } = resources(template);
      expect(BuildVpcPolicy.Properties?.Roles).toEqual([{ Ref: 'BuildRole' }]);
      expect(statementsOf(BuildVpcPolicy)).toHaveLength(2);
      expect(Build.DependsOn).toEqual([logicalIdOf(template, 'BuildVpcPolicy')]);
    });
  });

  it('leaves a project already in a VPC untouched and records nothing', () => {
    let project!: codebuild.Project;
    const build = (stack: Stack) => {
      project = new codebuild.Project(stack, 'Build', {
        buildSpec,
        vpc: new ec2.Vpc(stack, 'Vpc', { maxAzs: 1 }),
      });
    };
    const untouched = synthWithAspects(build).template;
    const { template } = synthWithAspects(build, new CodeBuildInVpc({ vpcIds: VPC_IDS }));
    expect(template).toEqual(untouched);
    expect(remediationRecords(project)).toEqual([]);
  });

  describe('not applied, with the reason recorded and the project left as it was', () => {
    const notAppliedRecord = (reason: string | RegExp) => [{ findingId: FINDING, notApplied: reason }];

    it('without a VPC', () => {
      let project!: codebuild.Project;
      const build = (stack: Stack) => {
        project = new codebuild.Project(stack, 'Build', { buildSpec });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new CodeBuildInVpc());
      expect(template).toEqual(untouched);
      expect(remediationRecords(project)).toEqual(
        notAppliedRecord(
          "no VPC was given: set the remediations' vpc prop or the context key 'cdk-catalogue:vpc'",
        ),
      );
    });

    it('in an environment-agnostic stack with VPC ids per account only', () => {
      let project!: codebuild.Project;
      const build = (stack: Stack) => {
        project = new codebuild.Project(stack, 'Build', { buildSpec });
      };
      const untouched = synthEnvAgnostic(build);
      const template = synthEnvAgnostic(build, new CodeBuildInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      expect(remediationRecords(project)).toEqual(
        notAppliedRecord(
          "the stack is environment-agnostic, so the VPC ids per account in 'cdk-catalogue:vpc' cannot be chosen; give the stack an env or a '*' entry",
        ),
      );
    });

    it('when the role is imported, saying what to grant', () => {
      let project!: codebuild.Project;
      const build = (stack: Stack) => {
        const role = iam.Role.fromRoleArn(stack, 'Shared', 'arn:aws:iam::111111111111:role/build', {
          mutable: false,
        });
        project = new codebuild.Project(stack, 'Build', { buildSpec, role });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new CodeBuildInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      const [record] = remediationRecords(project) as Array<{ notApplied: string }>;
      expect(record.notApplied).toBe(
        "the service role 'arn:aws:iam::111111111111:role/build' is not defined in this stack, so the fix cannot " +
          `grant it what CodeBuild needs in a VPC: grant it ${NETWORK_INTERFACE_ACTIONS.join(', ')} and ` +
          'ec2:CreateNetworkInterfacePermission (condition ec2:AuthorizedService codebuild.amazonaws.com), then set VpcConfig yourself',
      );
    });

    it('when the user set another VPC than the configured one', () => {
      let project!: codebuild.CfnProject;
      const build = (stack: Stack) => {
        const role = new iam.Role(stack, 'Role', {
          assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
        });
        project = new codebuild.CfnProject(stack, 'Build', {
          serviceRole: role.roleArn,
          source: { type: 'NO_SOURCE', buildSpec: '{"version":"0.2"}' },
          artifacts: { type: 'NO_ARTIFACTS' },
          environment: {
            type: 'LINUX_CONTAINER',
            image: 'aws/codebuild/standard:7.0',
            computeType: 'BUILD_GENERAL1_SMALL',
          },
          vpcConfig: { vpcId: 'vpc-other' },
        });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new CodeBuildInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      expect(remediationRecords(project)).toEqual(
        notAppliedRecord(
          'VpcConfig.VpcId is already set to another VPC than the configured one (vpc-0abc), whose subnets and ' +
            'security groups would not fit it: complete VpcConfig yourself or configure that VPC',
        ),
      );
    });

    it('for a project on a reserved-capacity fleet, which ignores the project VpcConfig', () => {
      let project!: codebuild.Project;
      const build = (stack: Stack) => {
        const fleet = new codebuild.Fleet(stack, 'Fleet', {
          baseCapacity: 1,
          computeType: codebuild.FleetComputeType.SMALL,
          environmentType: codebuild.EnvironmentType.LINUX_CONTAINER,
        });
        project = new codebuild.Project(stack, 'Build', {
          buildSpec,
          environment: { fleet, buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
        });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(build, new CodeBuildInVpc({ vpcIds: VPC_IDS }));
      expect(template).toEqual(untouched);
      // Judged within its stack, the project is found to fail through its fleet; the fix says why it cannot help.
      expect(remediationRecords(project)).toEqual([
        {
          findingId: 'Enterprise-CodeBuild.1',
          notApplied:
            'the project runs on a reserved-capacity fleet, which ignores the project VpcConfig: set FleetVpcConfig on the fleet',
        },
      ]);
    });
  });

  describe('a CDK Pipelines CodePipeline, whose projects are built by a MUTATING Aspect', () => {
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          const repository = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
          new pipelines.CodePipeline(stack, 'Pipeline', {
            synth: new pipelines.ShellStep('Synth', {
              input: pipelines.CodePipelineSource.codeCommit(repository, 'main'),
              commands: ['npm ci', 'npx cdk synth'],
            }),
          });
        },
        new CodeBuildInVpc({ vpcIds: VPC_IDS }),
      ));
    });

    it('puts the synth and self-mutation projects in the VPC, each with its policy', () => {
      const evaluations = evaluateRule(rule, template);
      const synth = logicalIdOf(template, 'PipelineBuildSynthCdkBuildProject');
      const selfMutation = logicalIdOf(template, 'PipelineUpdatePipelineSelfMutation');
      expect(Object.keys(evaluations).sort()).toEqual([synth, selfMutation].sort());
      expect(Object.values(evaluations).map((e) => e.status)).toEqual(['compliant', 'compliant']);
      for (const [project, policy] of [
        [synth, 'PipelineBuildSynthCdkBuildProjectVpcPolicy'],
        [selfMutation, 'PipelineUpdatePipelineSelfMutationVpcPolicy'],
      ]) {
        expect(template.Resources?.[project].Properties?.VpcConfig).toMatchObject({
          VpcId: 'vpc-0abc',
          Subnets: ['subnet-1', 'subnet-2'],
        });
        expect(template.Resources?.[project].DependsOn).toEqual([logicalIdOf(template, policy)]);
      }
    });
  });

  it('gives templates that pass the bundled CloudFormation validator (by ids and in an ec2.Vpc)', () => {
    const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
    const env = { account: '111111111111', region: 'eu-west-1' };
    const byIds = new Stack(app, 'ByIds', { env });
    new codebuild.Project(byIds, 'Build', { buildSpec });
    Aspects.of(byIds).add(
      new CodeBuildInVpc({
        vpcIds: { '*': { vpcId: 'vpc-0a1b2c3d4e5f6a700', subnetIds: ['subnet-0a1b2c3d4e5f6a710'] } },
      }),
      { priority: AspectPriority.MUTATING },
    );
    const inVpc = new Stack(app, 'InVpc', { env });
    new codebuild.Project(inVpc, 'Build', { buildSpec });
    const vpc = new ec2.Vpc(inVpc, 'Vpc', { maxAzs: 2 });
    Aspects.of(inVpc).add(new CodeBuildInVpc({ vpc }), { priority: AspectPriority.MUTATING });

    let assembly!: ReturnType<App['synth']>;
    expect(() => (assembly = app.synth())).not.toThrow();
    for (const name of ['ByIds', 'InVpc']) {
      expect(statuses(assembly.getStackByName(name).template as CfnTemplate)).toEqual(['compliant']);
    }
  });
});
