import type { CfnResource } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * Where a fix adds a construct for a resource (a security group, a policy): beside the L1, in its
 * parent, so that the new construct's path and logical id are named after the resource. Under an
 * L2 whose default child is the resource the id is `name` (`Build/VpcPolicy`, as the L2 would name
 * it); beside a bare L1 it is prefixed with the L1's id (`ProjectVpcPolicy`). A taken id gets a number.
 */
export function besideResource(resource: CfnResource, name: string): { scope: Construct; id: string } {
  const scope = resource.node.scope as Construct;
  const base = scope.node.defaultChild === resource ? name : `${resource.node.id}${name}`;
  let id = base;
  for (let n = 2; scope.node.tryFindChild(id); n++) id = `${base}${n}`;
  return { scope, id };
}
