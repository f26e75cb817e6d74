import type { CfnResource, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import type { IConstruct } from 'constructs';
import { isDeepStrictEqual } from 'node:util';
import { STRICTEST_RATING } from '../catalogue/rating';
import { prop } from '../engine/intrinsics';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../engine/template';

/**
 * A resource as it renders now, the way the checks read it: typed L1 properties, Lazy values and
 * escape-hatch overrides merged, tokens resolved in its stack. Undefined when it cannot be rendered
 * yet (a Lazy that is not ready while Aspects run).
 */
export function renderResource(
  resource: CfnResource,
): { logicalId: string; json: CfnResourceJson } | undefined {
  const stack = cdk.Stack.of(resource);
  try {
    // `_toCloudFormation` is CDK's internal renderer, the only one that applies overrides. It renders
    // the resource alone, under its logical id.
    const template = stack.resolve(
      (resource as unknown as { _toCloudFormation(): CfnTemplate })._toCloudFormation(),
    ) as CfnTemplate;
    const [[logicalId, json] = []] = Object.entries(template.Resources ?? {});
    return logicalId !== undefined && json ? { logicalId, json } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stack's resources that `include` selects, rendered as they stand, as a template that the
 * rules' own logic (and `TemplateResolver`) can read: for fixes that must look beyond one resource,
 * such as which buckets receive the access logs of others.
 */
export function renderStack(stack: Stack, include: (resource: CfnResource) => boolean): StackTemplate {
  const resources: Record<string, CfnResourceJson> = {};
  for (const construct of constructsOf(stack)) {
    if (!cdk.CfnResource.isCfnResource(construct) || !include(construct)) continue;
    const rendered = renderResource(construct);
    if (rendered) resources[rendered.logicalId] = rendered.json;
  }
  return {
    stackId: stack.node.path,
    template: { Resources: resources },
    rating: STRICTEST_RATING,
    ratingSource: 'props',
    // Judged in the stack's account and region, as the pack judges it.
    ...environmentOf(stack),
  };
}

/**
 * Whether the resource renders `expected` (a typed value, resolved in its stack) at `path` of its
 * properties. A fix that set a typed property checks this: an escape-hatch override of the same
 * property (`addPropertyOverride`) wins over typed properties, and the fix would not show.
 */
export function rendersAs(resource: CfnResource, path: readonly string[], expected: unknown): boolean {
  const properties = renderResource(resource)?.json.Properties;
  const actual = path.reduce<unknown>((value, key) => prop(value, key), properties);
  return isDeepStrictEqual(actual, cdk.Stack.of(resource).resolve(expected));
}

/** Why a fix undid its change: the user's escape-hatch override of `property` wins over typed properties. */
export function overriddenReason(property: string, wanted: string): string {
  return `an escape-hatch override (addPropertyOverride) of ${property} wins over the typed property the fix sets; set ${wanted} in the override or remove it`;
}

/**
 * The constructs of the stack itself: not those of nested stacks, nor of the Stages that CDK
 * Pipelines apps often create inside the pipeline's stack (they deploy as other stacks).
 */
export function constructsOf(stack: Stack): IConstruct[] {
  const found: IConstruct[] = [];
  // Read once: each read of `cdk.X` goes through aws-cdk-lib's lazy exports.
  const { Stack: StackClass, Stage } = cdk;
  const visit = (construct: IConstruct) => {
    for (const child of construct.node.children) {
      if (StackClass.isStack(child) || Stage.isStage(child)) continue;
      found.push(child);
      visit(child);
    }
  };
  visit(stack);
  return found;
}

/** Account and region when the stack (or, for a nested stack, the top-level stack it deploys with) names them. */
export function environmentOf(stack: Stack | undefined): { account?: string; region?: string } {
  let deploying = stack;
  while (deploying && cdk.NestedStack.isNestedStack(deploying) && deploying.nestedStackParent) {
    deploying = deploying.nestedStackParent;
  }
  if (!deploying) return {};
  const known = (value: string) => (cdk.Token.isUnresolved(value) ? undefined : value);
  return { account: known(deploying.account), region: known(deploying.region) };
}
