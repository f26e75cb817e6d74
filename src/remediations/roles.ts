import type { aws_iam as iam, CfnResource, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { renderResource } from './rendered';
import { renderedStackOf } from './rendered-stack';
import { besideResource } from './scope';

/** A role defined in the same stack as the resource that uses it. */
export interface StackRole {
  /** The role's L1: an `iam.CfnRole`, or a raw `AWS::IAM::Role` CfnResource (CDK's CustomResourceProvider roles). */
  readonly cfnRole: CfnResource;
  /** The L2 role that owns `cfnRole`, when there is one: fixes use its API so that it stays in charge. */
  readonly role?: iam.Role;
  /** The construct path findings name it by. */
  readonly path: string;
}

/**
 * The role a resource's typed role property names (`cfnProject.serviceRole`, `cfnFunction.role`)
 * when that role is defined in the resource's stack; otherwise a description of the property, for
 * the reason a fix gives. In the same stack the property is a token for `Fn::GetAtt <Role>.Arn`:
 * resolving it gives the role's logical id. A literal ARN, an import or a role of another stack
 * (whose reference is still a `Fn::GetAtt` while Aspects run) is not found here.
 */
export function roleInStack(stack: Stack, roleArn: unknown): StackRole | string {
  const resolved: unknown = stack.resolve(roleArn);
  const logicalId = getAttArnOf(resolved);
  const named = logicalId === undefined ? undefined : renderedStackOf(stack).resourceNamed(logicalId);
  const cfnRole = named?.cfnResourceType === 'AWS::IAM::Role' ? named : undefined;
  if (!cfnRole) return typeof resolved === 'string' ? `'${resolved}'` : JSON.stringify(resolved ?? null);
  const parent = cfnRole.node.scope;
  const role =
    parent instanceof cdk.aws_iam.Role && parent.node.defaultChild === cfnRole ? parent : undefined;
  return { cfnRole, role, path: (role ?? cfnRole).node.path };
}

function getAttArnOf(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  return Array.isArray(getAtt) && getAtt[1] === 'Arn' && typeof getAtt[0] === 'string'
    ? getAtt[0]
    : undefined;
}

/**
 * Grants `statements` to the role in a policy of their own, beside the resource, and makes the
 * resource depend on it, as the L2 CodeBuild Project does for its VPC permissions: otherwise
 * CloudFormation may create the resource (and a pipeline start its first build) before the role can
 * use them.
 */
export function grantInOwnPolicy(
  resource: CfnResource,
  role: StackRole,
  name: string,
  statements: iam.PolicyStatement[],
): iam.Policy {
  const { scope, id } = besideResource(resource, name);
  const policy = new cdk.aws_iam.Policy(scope, id, { statements });
  // A role without an L2 is attached by name: `Roles: [{ Ref: <CfnRole> }]`.
  policy.attachToRole(role.role ?? cdk.aws_iam.Role.fromRoleName(scope, `${id}Role`, role.cfnRole.ref));
  resource.node.addDependency(policy);
  return policy;
}

/**
 * The role's ManagedPolicyArns as they stand: the typed property of an `iam.CfnRole`; of a raw
 * CfnResource, the rendered value (its properties and overrides, resolved), or `unreadable` when it
 * cannot be rendered yet, since an override written without them would drop them.
 */
function managedPolicyArnsOf(cfnRole: CfnResource): unknown {
  if (cfnRole instanceof cdk.aws_iam.CfnRole) return cfnRole.managedPolicyArns;
  const rendered = renderResource(cfnRole);
  return rendered ? rendered.json.Properties?.ManagedPolicyArns : UNREADABLE;
}

const UNREADABLE = Symbol('unreadable');

/** Why an AWS managed policy cannot be added to the role, or undefined when it can. */
export function cannotAttachManagedPolicy(role: StackRole): string | undefined {
  if (role.role) return undefined;
  const arns = managedPolicyArnsOf(role.cfnRole);
  if (arns === UNREADABLE) return `the ManagedPolicyArns of role ${role.path} cannot be read yet`;
  if (arns === undefined || (Array.isArray(arns) && !cdk.Token.isUnresolved(arns))) return undefined;
  return `the ManagedPolicyArns of role ${role.path} are a token, so a policy cannot be added to them`;
}

/**
 * Attaches the AWS managed policy `name` (`service-role/AWSLambdaVPCAccessExecutionRole`) to the
 * role once: through the L2's `addManagedPolicy`, or appended to the CfnRole's ManagedPolicyArns
 * (with an override of the whole list on a raw CfnResource, which has no typed property).
 * Returns false when the role already has it (as an ARN token or a literal ARN in any partition).
 */
export function attachAwsManagedPolicy(role: StackRole, name: string): boolean {
  const policy = cdk.aws_iam.ManagedPolicy.fromAwsManagedPolicyName(name);
  const stack = cdk.Stack.of(role.cfnRole);
  const wanted = JSON.stringify(stack.resolve(policy.managedPolicyArn));
  const arns = managedPolicyArnsOf(role.cfnRole);
  if (arns === UNREADABLE) throw new Error(`the ManagedPolicyArns of role ${role.path} cannot be read yet`);
  const current: unknown = stack.resolve(arns);
  const literal = new RegExp(`^arn:[a-z-]+:iam::aws:policy/${name}$`);
  const has = (arn: unknown) =>
    JSON.stringify(arn) === wanted || (typeof arn === 'string' && literal.test(arn));
  if (Array.isArray(current) && current.some(has)) return false;
  if (role.role) {
    role.role.addManagedPolicy(policy);
  } else if (role.cfnRole instanceof cdk.aws_iam.CfnRole) {
    role.cfnRole.managedPolicyArns = [...(role.cfnRole.managedPolicyArns ?? []), policy.managedPolicyArn];
  } else {
    const kept = Array.isArray(current) ? current : [];
    role.cfnRole.addPropertyOverride('ManagedPolicyArns', [...kept, policy.managedPolicyArn]);
  }
  return true;
}
