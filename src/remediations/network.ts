import type { CfnResource } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import type { IDependable } from 'constructs';
import { ResolvedVpc } from './context';
import { besideResource } from './scope';

/** True when a list the user set holds an id (a non-empty string or a token): such a list is kept. */
function holdsId(list: unknown): list is string[] {
  if (cdk.Token.isUnresolved(list)) return true;
  return Array.isArray(list) && list.some((id) => typeof id === 'string' && id !== '');
}

/** The subnets a fix puts a resource in: those the user set when they hold an id, else the configured ones. */
export function subnetsToUse(vpc: ResolvedVpc, current: unknown): string[] {
  return holdsId(current) ? current : vpc.subnetIds;
}

/** The subnets and security groups a fix puts a resource in, and what it changed to get them. */
export interface Placement {
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  readonly changes: string[];
}

/**
 * Completes a resource's network: the subnets and security groups the user set are kept when they
 * hold an id; otherwise the configured VPC's subnets and security groups are used, and when none
 * are configured the resource gets an egress-only security group of its own, as the L2 constructs
 * create one. `names` are the resource type's property paths, for the change descriptions.
 */
export function placeInVpc(
  resource: CfnResource,
  vpc: ResolvedVpc,
  vpcId: string,
  current: { readonly subnets: unknown; readonly securityGroupIds: unknown },
  names: { readonly subnets: string; readonly securityGroupIds: string },
  service: string,
): Placement {
  const changes: string[] = [];
  const subnetIds = subnetsToUse(vpc, current.subnets);
  if (subnetIds !== current.subnets) changes.push(`set ${names.subnets} to the configured subnets`);
  let securityGroupIds: string[];
  if (holdsId(current.securityGroupIds)) {
    securityGroupIds = current.securityGroupIds;
  } else if (vpc.securityGroupIds && vpc.securityGroupIds.length > 0) {
    securityGroupIds = vpc.securityGroupIds;
    changes.push(`set ${names.securityGroupIds} to the configured security groups`);
  } else {
    const group = egressOnlySecurityGroup(resource, vpc, vpcId, service);
    securityGroupIds = [group.id];
    changes.push(`set ${names.securityGroupIds} to new egress-only security group ${group.path}`);
  }
  return { subnetIds, securityGroupIds, changes };
}

/**
 * A security group that allows all outbound traffic and no inbound, beside the resource: the L2
 * `ec2.SecurityGroup` when the VPC was given as an `IVpc` (and the resource uses that VPC), a
 * `ec2.CfnSecurityGroup` in the VPC by id otherwise.
 */
function egressOnlySecurityGroup(
  resource: CfnResource,
  vpc: ResolvedVpc,
  vpcId: string,
  service: string,
): { id: string; path: string } {
  const { scope, id } = besideResource(resource, 'SecurityGroup');
  // Stable across synths: a changed GroupDescription would replace the group.
  const description = `Egress-only security group for ${service} ${cdk.Names.uniqueId(resource)} (cdk-catalogue-checks)`;
  if (vpc.vpc && vpc.vpc.vpcId === vpcId) {
    const group = new cdk.aws_ec2.SecurityGroup(scope, id, {
      vpc: vpc.vpc,
      description,
      allowAllOutbound: true,
    });
    return { id: group.securityGroupId, path: group.node.path };
  }
  const group = new cdk.aws_ec2.CfnSecurityGroup(scope, id, {
    groupDescription: description,
    vpcId,
    securityGroupEgress: [
      { ipProtocol: '-1', cidrIp: '0.0.0.0/0', description: 'Allow all outbound traffic by default' },
    ],
  });
  return { id: group.attrGroupId, path: group.node.path };
}

/**
 * What a resource in these subnets of an `IVpc` must wait for so that it can reach the internet
 * (the NAT routes), as the L2 Lambda Function waits: nothing when the VPC was given by ids.
 */
export function internetConnectivity(vpc: ResolvedVpc, subnetIds: readonly string[]): IDependable[] {
  if (!vpc.vpc) return [];
  const subnets = [...vpc.vpc.privateSubnets, ...vpc.vpc.isolatedSubnets, ...vpc.vpc.publicSubnets];
  return subnets
    .filter((subnet) => subnetIds.includes(subnet.subnetId))
    .map((subnet) => subnet.internetConnectivityEstablished);
}

/**
 * Why a resource in these subnets may have no route to AWS's public API endpoints, or undefined
 * when it has one: every subnet is a private subnet with egress (`privateSubnets`) of the `IVpc`
 * the VPC was given as, which an `ec2.Vpc` of the app backs with NAT routes (CDK refuses such
 * subnets without NAT gateways) and an imported `IVpc` declares (`Vpc.fromLookup` from the route
 * tables). Subnets given by ids, and isolated subnets, are no such evidence; VPC endpoints are not
 * looked for.
 */
export function whyNoEgress(vpc: ResolvedVpc, subnetIds: readonly string[]): string | undefined {
  if (!vpc.vpc) {
    return (
      'the VPC was given by ids (vpcIds or the context key cdk-catalogue:vpc), from which whether its subnets reach ' +
      'the AWS APIs cannot be known at synth time (give it as an ec2.IVpc with private subnets with egress)'
    );
  }
  const withEgress = new Set(vpc.vpc.privateSubnets.map((subnet) => subnet.subnetId));
  if (subnetIds.every((id) => withEgress.has(id))) return undefined;
  return withEgress.size === 0
    ? `the VPC ${vpc.vpc.node.path} has no private subnets with egress, only isolated (or public) ones, so nothing in it reaches the AWS APIs without VPC endpoints`
    : `not all of its subnets are private subnets with egress of the VPC ${vpc.vpc.node.path}`;
}
