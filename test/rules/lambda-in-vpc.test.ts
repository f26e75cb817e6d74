import { aws_ec2 as ec2, aws_lambda as lambda } from 'aws-cdk-lib';
import rule from '../../src/rules/lambda-in-vpc';
import { CfnTemplate } from '../../src/engine/template';
import { evaluateRule, synthStack, templateWith } from '../helpers';

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
