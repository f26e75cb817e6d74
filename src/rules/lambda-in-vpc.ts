import { aws_lambda as lambda, Tokenization, Stack } from 'aws-cdk-lib';
import { changed, notApplied, RemediationResult, ResolvedVpc } from '../remediations/context';
import { internetConnectivity, placeInVpc } from '../remediations/network';
import { attachAwsManagedPolicy, cannotAttachManagedPolicy, roleInStack } from '../remediations/roles';
import { defineRule } from './rule';
import { judgeVpcConfig, VpcConfigShape } from './vpc-config';

// Ipv6AllowedForDualStack only adds IPv6 egress inside the VPC; it does not decide whether the function is in one.
const FUNCTION_VPC_CONFIG: VpcConfigShape = {
  property: 'VpcConfig',
  ids: [],
  lists: ['SubnetIds', 'SecurityGroupIds'],
};

/** Lambda functions run in a VPC: at least one subnet and one security group. */
export default defineRule({
  meta: {
    id: 'lambda-in-vpc',
    description: 'Lambda functions run in a VPC',
    resourceTypes: ['AWS::Lambda::Function'],
    compliantWhen:
      'VpcConfig has at least one subnet in SubnetIds and at least one security group in SecurityGroupIds ' +
      '(a single id from a parameter or an import counts, since Lambda rejects an empty id; a whole list from one is ' +
      'unverifiable, since empty lists take the function out of its VPC)',
    remediation:
      'completes VpcConfig with the configured VPC (settings vpc or vpcIds, context cdk-catalogue:vpc): its private ' +
      'subnets and its security groups, or a new egress-only security group per function when none are configured ' +
      '(what the user set is kept); attaches the AWS managed policy service-role/AWSLambdaVPCAccessExecutionRole to ' +
      'the function role once, and makes the function depend on the role and its policies',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    return judgeVpcConfig(resource.properties.VpcConfig, resource.stack, FUNCTION_VPC_CONFIG, resolver);
  },
  remediate(resource, _params, context) {
    if (!(resource instanceof lambda.CfnFunction)) {
      // CDK's own singleton providers (CustomResourceProvider) are raw CfnResources.
      return notApplied(
        'the function is not a lambda.CfnFunction (such as the provider functions CDK defines as raw CfnResources), ' +
          'so its VpcConfig cannot be set',
      );
    }
    return putFunctionInVpc(resource, context.vpc());
  },
});

const VPC_ACCESS_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';

function putFunctionInVpc(fn: lambda.CfnFunction, vpc: ResolvedVpc | string): RemediationResult {
  const current = fn.vpcConfig ?? {};
  if (Tokenization.isResolvable(current)) {
    return notApplied('VpcConfig is a token, so the fix cannot complete it');
  }
  if (typeof vpc === 'string') return notApplied(vpc);
  const role = roleInStack(Stack.of(fn), fn.role);
  if (typeof role === 'string') {
    return notApplied(
      `the execution role ${role} is not defined in this stack, so the fix cannot let it manage the function's ` +
        `network interfaces: attach the AWS managed policy ${VPC_ACCESS_POLICY} to it, then set VpcConfig yourself`,
    );
  }
  const unattachable = cannotAttachManagedPolicy(role);
  if (unattachable) return notApplied(`${unattachable}: attach ${VPC_ACCESS_POLICY} to it yourself`);

  const placement = placeInVpc(
    fn,
    vpc,
    vpc.vpcId,
    { subnets: current.subnetIds, securityGroupIds: current.securityGroupIds },
    { subnets: 'VpcConfig.SubnetIds', securityGroupIds: 'VpcConfig.SecurityGroupIds' },
    'Lambda function',
  );
  fn.vpcConfig = { ...current, subnetIds: placement.subnetIds, securityGroupIds: placement.securityGroupIds };
  const attached = attachAwsManagedPolicy(role, VPC_ACCESS_POLICY);
  // Lambda checks at creation that the role may manage network interfaces. Like the L2 Function, the
  // function waits for the whole L2 role (its policies included) and, in an IVpc, for the NAT routes;
  // a bare CfnRole carries the managed policy itself, and the Fn::GetAtt of its ARN already orders it first.
  fn.node.addDependency(...(role.role ? [role.role] : []), ...internetConnectivity(vpc, placement.subnetIds));
  return changed(
    ...placement.changes,
    ...(attached ? [`attached ${VPC_ACCESS_POLICY} to the ManagedPolicyArns of role ${role.path}`] : []),
  );
}
