import type { aws_lambda as lambda, CfnResource } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { changed, notApplied, RemediationResult, ResolvedVpc } from '../remediations/context';
import { internetConnectivity, placeInVpc, subnetsToUse, whyNoEgress } from '../remediations/network';
import { renderResource } from '../remediations/rendered';
import { renderedStackOf } from '../remediations/rendered-stack';
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
    fix: {
      manually: 'run the function in a VPC (lambda.Function vpc, vpcSubnets and securityGroups)',
      aspect: 'LambdaInVpc',
      settings: ['vpc', 'vpcIds'],
    },
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
      'the function role once (a raw AWS::IAM::Role gets it through an override of ManagedPolicyArns that keeps its ' +
      'own), and makes the function depend on the role and its policies and, in an IVpc, on the NAT routes of its ' +
      "subnets. CDK's own functions that are raw CfnResources (CustomResourceProvider handlers such as S3 " +
      'auto-delete-objects and restrict-default-security-group, the log retention and bucket notifications ' +
      'functions) get VpcConfig through a property override. A function that serves a custom resource (those of ' +
      "CDK, by their construct ids, the custom_resources.Provider framework's, and any function a custom resource " +
      'of its stack names in its ServiceToken) is moved only into private subnets with egress of a VPC given as an ' +
      'ec2.IVpc, and otherwise left out with the reason: in subnets given by ids or isolated ones it could not ' +
      'reach its AWS API or answer CloudFormation, and the stack would hang for up to an hour. VPC endpoints are ' +
      'not taken as evidence of egress.',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    return judgeVpcConfig(resource.properties.VpcConfig, resource.stack, FUNCTION_VPC_CONFIG, resolver);
  },
  remediate(resource, _params, context) {
    const fn = functionToPlace(resource);
    return typeof fn === 'string' ? notApplied(fn) : putFunctionInVpc(fn, context.vpc());
  },
});

const VPC_ACCESS_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';

/** A function the fix can move: its VpcConfig and role as they stand, and how to set its VpcConfig. */
interface FunctionToPlace {
  readonly resource: CfnResource;
  readonly vpcConfig: lambda.CfnFunction.VpcConfigProperty;
  readonly roleArn: unknown;
  setVpcConfig(subnetIds: string[], securityGroupIds: string[]): void;
}

/**
 * A `lambda.CfnFunction` through its typed properties; a raw CfnResource of the type (CDK's
 * CustomResourceProvider handlers, the log retention and bucket notifications functions) through
 * its rendered properties and a property override, when it has no VpcConfig yet.
 */
function functionToPlace(resource: CfnResource): FunctionToPlace | string {
  if (resource instanceof cdk.aws_lambda.CfnFunction) {
    const vpcConfig = resource.vpcConfig ?? {};
    if (cdk.Tokenization.isResolvable(vpcConfig))
      return 'VpcConfig is a token, so the fix cannot complete it';
    return {
      resource,
      vpcConfig,
      roleArn: resource.role,
      setVpcConfig: (subnetIds, securityGroupIds) => {
        resource.vpcConfig = { ...vpcConfig, subnetIds, securityGroupIds };
      },
    };
  }
  const properties = renderResource(resource)?.json.Properties;
  if (!properties) return 'the function cannot be rendered yet, so the fix cannot read its VpcConfig';
  if (properties.VpcConfig !== undefined) {
    return 'the function is a raw CfnResource whose VpcConfig is set by an override: complete it there';
  }
  return {
    resource,
    vpcConfig: {},
    roleArn: properties.Role,
    setVpcConfig: (subnetIds, securityGroupIds) =>
      resource.addPropertyOverride('VpcConfig', { SubnetIds: subnetIds, SecurityGroupIds: securityGroupIds }),
  };
}

function putFunctionInVpc(fn: FunctionToPlace, vpc: ResolvedVpc | string): RemediationResult {
  if (typeof vpc === 'string') return notApplied(vpc);
  const current = fn.vpcConfig;
  const noEgress = whyProviderStaysOut(fn.resource, vpc, subnetsToUse(vpc, current.subnetIds));
  if (noEgress) return notApplied(noEgress);
  const role = roleInStack(cdk.Stack.of(fn.resource), fn.roleArn);
  if (typeof role === 'string') {
    return notApplied(
      `the execution role ${role} is not defined in this stack, so the fix cannot let it manage the function's ` +
        `network interfaces: attach the AWS managed policy ${VPC_ACCESS_POLICY} to it, then set VpcConfig yourself`,
    );
  }
  const unattachable = cannotAttachManagedPolicy(role);
  if (unattachable) return notApplied(`${unattachable}: attach ${VPC_ACCESS_POLICY} to it yourself`);

  const placement = placeInVpc(
    fn.resource,
    vpc,
    vpc.vpcId,
    { subnets: current.subnetIds, securityGroupIds: current.securityGroupIds },
    { subnets: 'VpcConfig.SubnetIds', securityGroupIds: 'VpcConfig.SecurityGroupIds' },
    'Lambda function',
  );
  fn.setVpcConfig(placement.subnetIds, placement.securityGroupIds);
  const attached = attachAwsManagedPolicy(role, VPC_ACCESS_POLICY);
  // Lambda checks at creation that the role may manage network interfaces. Like the L2 Function, the
  // function waits for the whole L2 role (its policies included) and, in an IVpc, for the NAT routes;
  // a bare role carries the managed policy itself, and the Fn::GetAtt of its ARN already orders it first.
  // The NAT routes also outlive the function on deletion, so a custom resource's Delete call still gets out.
  fn.resource.node.addDependency(
    ...(role.role ? [role.role] : []),
    ...internetConnectivity(vpc, placement.subnetIds),
  );
  return changed(
    ...placement.changes,
    ...(attached ? [`attached ${VPC_ACCESS_POLICY} to the ManagedPolicyArns of role ${role.path}`] : []),
  );
}

/**
 * Why a custom resource's provider function stays outside the VPC, or undefined when it may move:
 * it must reach the AWS APIs it calls and the pre-signed S3 URL CloudFormation takes its answer at.
 * Without egress its create and delete calls never answer, and the stack hangs for up to an hour.
 */
function whyProviderStaysOut(
  resource: CfnResource,
  vpc: ResolvedVpc,
  subnetIds: readonly string[],
): string | undefined {
  const provider = providerKind(resource);
  if (!provider) return undefined;
  const noEgress = whyNoEgress(vpc, subnetIds);
  if (!noEgress) return undefined;
  return (
    `${provider.name} calls ${provider.calls} and answers CloudFormation at a pre-signed S3 URL, but ${noEgress}; ` +
    'in the VPC its calls could not get out and the stack would hang on create and delete for up to an hour, ' +
    'so it is left outside the VPC'
  );
}

/** The AWS APIs CDK's CustomResourceProvider handlers call, by custom resource type. */
const PROVIDER_APIS: Readonly<Record<string, string>> = {
  'Custom::S3AutoDeleteObjects': 'the S3 API',
  'Custom::VpcRestrictDefaultSG': 'the EC2 API',
  'Custom::CrossRegionExportWriter': 'the SSM API of other regions',
  'Custom::CrossRegionExportReader': 'the SSM API',
  'Custom::CrossRegionStringParameterReader': 'the SSM API of another region',
  'Custom::ECRAutoDeleteImages': 'the ECR API',
};

/** CDK's functions that are built on lambda.Function (SingletonFunction and the like), by construct id. */
const CDK_FUNCTIONS: ReadonlyArray<{ id: RegExp; name: string; calls: string }> = [
  {
    id: /^LogRetention[0-9a-f]{32}$/,
    name: "CDK's log retention function",
    calls: 'the CloudWatch Logs API',
  },
  {
    id: /^BucketNotificationsHandler[0-9a-f]{32}$/,
    name: "CDK's S3 bucket notifications handler",
    calls: 'the S3 API',
  },
  {
    id: /^AWS679f53fac002430cb0da5b7982bd2287$/,
    name: "CDK's AwsCustomResource provider",
    calls: 'the AWS APIs its SDK calls name',
  },
  {
    id: /^Custom::CDKBucketDeployment[0-9A-F]{32}$/,
    name: "CDK's BucketDeployment handler",
    calls: 'the S3 (and CloudFront) API',
  },
];

/**
 * What the function is, when it serves a custom resource: one of CDK's own provider functions (by
 * the construct ids CDK gives them), a function of a `custom_resources.Provider` framework, or any
 * function a custom resource of its stack names in its ServiceToken.
 */
function providerKind(resource: CfnResource): { name: string; calls: string } | undefined {
  const owner = resource.node.scope;
  const ownerId = owner?.node.id ?? '';
  const singleton = /^(Custom::.+)CustomResourceProvider$/.exec(ownerId);
  if (singleton) {
    return {
      name: `CDK's ${singleton[1]} provider (a CustomResourceProvider)`,
      calls: PROVIDER_APIS[singleton[1]] ?? 'the AWS APIs of its service',
    };
  }
  const known = CDK_FUNCTIONS.find((kind) => kind.id.test(ownerId));
  if (known) return { name: known.name, calls: known.calls };
  if (owner?.node.scope instanceof cdk.custom_resources.Provider && /^framework-/.test(ownerId)) {
    return {
      name: `the ${ownerId} function of custom_resources.Provider ${owner.node.scope.node.path}`,
      calls: 'the Lambda API (the user handlers) and the Step Functions API',
    };
  }
  const served = customResourcesServedBy(resource);
  if (served.length === 0) return undefined;
  return {
    name: `the function, the provider of custom resource ${served.join(', ')},`,
    calls: 'the AWS APIs its handler uses',
  };
}

/** The paths of the custom resources of the function's stack whose ServiceToken names the function. */
function customResourcesServedBy(fn: CfnResource): string[] {
  const stack = cdk.Stack.of(fn);
  const logicalId = JSON.stringify(stack.resolve(fn.logicalId));
  return renderedStackOf(stack)
    .constructs()
    .filter(
      (c): c is CfnResource =>
        cdk.CfnResource.isCfnResource(c) &&
        (c.cfnResourceType === 'AWS::CloudFormation::CustomResource' ||
          c.cfnResourceType.startsWith('Custom::')),
    )
    .filter((c) =>
      JSON.stringify(renderResource(c)?.json.Properties?.ServiceToken ?? null).includes(logicalId),
    )
    .map((c) => c.node.path);
}
