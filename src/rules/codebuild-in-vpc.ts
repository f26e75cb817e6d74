import { prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
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
    description: 'CodeBuild projects run in a VPC',
    resourceTypes: ['AWS::CodeBuild::Project'],
    compliantWhen:
      'VpcConfig has a VpcId, at least one subnet in Subnets and at least one security group in SecurityGroupIds ' +
      '(a single id from a parameter or an import counts, since CodeBuild rejects an empty id; a whole list from one is unverifiable); ' +
      'a project on a fleet (Environment.Fleet) is judged by the FleetVpcConfig of that AWS::CodeBuild::Fleet instead',
    remediation: 'sets VpcConfig to the configured VPC, its private subnets and a security group',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    const fleetArn = prop(prop(resource.properties.Environment, 'Fleet'), 'FleetArn');
    return fleetArn === undefined
      ? judgeVpcConfig(resource.properties.VpcConfig, resource.stack, PROJECT_VPC_CONFIG, resolver)
      : judgeFleet(fleetArn, resource.stack, resolver);
  },
});

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
