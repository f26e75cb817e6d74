import { aws_codebuild as codebuild, aws_ec2 as ec2 } from 'aws-cdk-lib';
import rule from '../../src/rules/codebuild-in-vpc';
import { CfnTemplate } from '../../src/engine/template';
import { evaluateRule, synthStack, templateWith } from '../helpers';

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
