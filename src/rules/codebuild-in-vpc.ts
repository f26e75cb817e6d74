import type { aws_codebuild as codebuild, aws_iam as iam } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationResult, ResolvedVpc } from '../remediations/context';
import { placeInVpc } from '../remediations/network';
import { grantInOwnPolicy, roleInStack } from '../remediations/roles';
import { defineRule, unverifiable, Verdict } from './rule';
import { judgeVpcConfig, VpcConfigShape } from './vpc-config';

const PROJECT_VPC_CONFIG: VpcConfigShape = {
  property: 'VpcConfig',
  ids: ['VpcId'],
  lists: ['Subnets', 'SecurityGroupIds'],
};
const FLEET_VPC_CONFIG: VpcConfigShape = { ...PROJECT_VPC_CONFIG, property: 'FleetVpcConfig' };
const FLEET = 'Environment.Fleet';

/**
 * CodeBuild projects run in a VPC. A build on a reserved-capacity fleet runs where the fleet does
 * (CodeBuild ignores the project's VpcConfig then), so such a project is judged by its fleet.
 */
export default defineRule({
  meta: {
    id: 'codebuild-in-vpc',
    fix: {
      manually: 'run the project in a VPC (codebuild.Project vpc, subnetSelection and securityGroups)',
      aspect: 'CodeBuildInVpc',
      settings: ['vpc', 'vpcIds'],
    },
    description: 'CodeBuild projects run in a VPC',
    resourceTypes: ['AWS::CodeBuild::Project'],
    compliantWhen:
      'VpcConfig has a VpcId, at least one subnet in Subnets and at least one security group in SecurityGroupIds ' +
      '(a single id from a parameter or an import counts, since CodeBuild rejects an empty id; a whole list from one is unverifiable); ' +
      'a project on a fleet (Environment.Fleet) is judged by the FleetVpcConfig of that AWS::CodeBuild::Fleet instead',
    remediation:
      'completes VpcConfig with the configured VPC (settings vpc or vpcIds, context cdk-catalogue:vpc): its VpcId, its ' +
      'private subnets and its security groups, or a new egress-only security group per project when none are ' +
      'configured (what the user set is kept); grants the project role the network-interface permissions CodeBuild ' +
      'needs in a VPC (ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces, ec2:DeleteNetworkInterface, ' +
      'ec2:DescribeSubnets, ec2:DescribeSecurityGroups, ec2:DescribeDhcpOptions, ec2:DescribeVpcs, and ' +
      'ec2:CreateNetworkInterfacePermission on its subnets for codebuild.amazonaws.com) in a policy the project depends on',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    const fleetArn = prop(prop(resource.properties.Environment, 'Fleet'), 'FleetArn');
    return fleetArn === undefined
      ? judgeVpcConfig(resource.properties.VpcConfig, resource.stack, PROJECT_VPC_CONFIG, resolver)
      : judgeFleet(fleetArn, resource.stack, resolver);
  },
  remediate(resource, _params, context) {
    if (!(resource instanceof cdk.aws_codebuild.CfnProject)) {
      return notApplied('the project is not a codebuild.CfnProject, so its VpcConfig cannot be set');
    }
    return putProjectInVpc(resource, context.vpc());
  },
});

const NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeVpcs',
];

function putProjectInVpc(project: codebuild.CfnProject, vpc: ResolvedVpc | string): RemediationResult {
  if (isOnFleet(project)) {
    return notApplied(
      'the project runs on a reserved-capacity fleet, which ignores the project VpcConfig: set FleetVpcConfig on the fleet',
    );
  }
  const current = project.vpcConfig ?? {};
  if (cdk.Tokenization.isResolvable(current)) {
    return notApplied('VpcConfig is a token, so the fix cannot complete it');
  }
  if (typeof vpc === 'string') return notApplied(vpc);
  const vpcId = current.vpcId ? current.vpcId : vpc.vpcId;
  if (!sameValue(project, vpcId, vpc.vpcId)) {
    return notApplied(
      `VpcConfig.VpcId is already set to another VPC than the configured one (${vpc.vpcId}), whose subnets and ` +
        'security groups would not fit it: complete VpcConfig yourself or configure that VPC',
    );
  }
  const role = roleInStack(cdk.Stack.of(project), project.serviceRole);
  if (typeof role === 'string') {
    return notApplied(
      `the service role ${role} is not defined in this stack, so the fix cannot grant it what CodeBuild needs in a ` +
        `VPC: grant it ${NETWORK_INTERFACE_ACTIONS.join(', ')} and ec2:CreateNetworkInterfacePermission ` +
        '(condition ec2:AuthorizedService codebuild.amazonaws.com), then set VpcConfig yourself',
    );
  }

  const placement = placeInVpc(
    project,
    vpc,
    vpcId,
    { subnets: current.subnets, securityGroupIds: current.securityGroupIds },
    { subnets: 'VpcConfig.Subnets', securityGroupIds: 'VpcConfig.SecurityGroupIds' },
    'CodeBuild project',
  );
  project.vpcConfig = {
    ...current,
    vpcId,
    subnets: placement.subnetIds,
    securityGroupIds: placement.securityGroupIds,
  };
  const policy = grantInOwnPolicy(
    project,
    role,
    'VpcPolicy',
    networkInterfaceStatements(placement.subnetIds),
  );
  return changed(
    ...(current.vpcId ? [] : ['set VpcConfig.VpcId to the configured VPC']),
    ...placement.changes,
    `granted role ${role.path} the network-interface permissions CodeBuild needs in a VPC, in policy ` +
      `${policy.node.path}, which the project depends on`,
  );
}

function isOnFleet(project: codebuild.CfnProject): boolean {
  const environment = project.environment;
  return !cdk.Tokenization.isResolvable(environment) && environment?.fleet !== undefined;
}

/** Whether two ids are the same value, also when they are tokens (a `Ref` to the same VPC). */
function sameValue(project: codebuild.CfnProject, a: string, b: string): boolean {
  if (!cdk.Token.isUnresolved(a) && !cdk.Token.isUnresolved(b)) return a === b;
  const stack = cdk.Stack.of(project);
  return JSON.stringify(stack.resolve(a)) === JSON.stringify(stack.resolve(b));
}

/** The statements the L2 `codebuild.Project` grants its role when it is given a VPC. */
function networkInterfaceStatements(subnetIds: readonly string[]): iam.PolicyStatement[] {
  const ec2Arn = (resource: string) =>
    `arn:${cdk.Aws.PARTITION}:ec2:${cdk.Aws.REGION}:${cdk.Aws.ACCOUNT_ID}:${resource}`;
  return [
    new cdk.aws_iam.PolicyStatement({ actions: NETWORK_INTERFACE_ACTIONS, resources: ['*'] }),
    new cdk.aws_iam.PolicyStatement({
      actions: ['ec2:CreateNetworkInterfacePermission'],
      resources: [ec2Arn('network-interface/*')],
      conditions: {
        StringEquals: {
          'ec2:Subnet': subnetIds.map((id) => ec2Arn(`subnet/${id}`)),
          'ec2:AuthorizedService': 'codebuild.amazonaws.com',
        },
      },
    }),
  ];
}

function judgeFleet(fleetArn: unknown, stack: StackTemplate, resolver: TemplateResolver): Verdict {
  const fleet = resolver.resolve(fleetArn, stack);
  if (fleet.kind === 'unknown') {
    return unverifiable(
      FLEET,
      `${FLEET} comes from ${fleet.description}, so its VPC is only known at deploy time`,
    );
  }
  if (fleet.kind !== 'resource' || fleet.resource.Type !== 'AWS::CodeBuild::Fleet') {
    return unverifiable(
      FLEET,
      `${FLEET} ${describe(fleetArn)} is not a fleet in these templates, so its VPC cannot be verified`,
    );
  }
  const fleetVpcConfig = prop(fleet.resource.Properties, 'FleetVpcConfig');
  const verdict = judgeVpcConfig(fleetVpcConfig, fleet.stack, FLEET_VPC_CONFIG, resolver);
  if (verdict.status !== 'non-compliant' && verdict.status !== 'unverifiable') return verdict;
  return {
    ...verdict,
    property: FLEET,
    reason: `${FLEET} is fleet ${fleet.logicalId}, whose ${verdict.reason}`,
  };
}
