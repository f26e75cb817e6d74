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
    remediation: "sets VpcConfig to the configured VPC's private subnets and a security group",
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    return judgeVpcConfig(resource.properties.VpcConfig, resource.stack, FUNCTION_VPC_CONFIG, resolver);
  },
});
