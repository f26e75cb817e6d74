import * as fs from 'fs';
import * as path from 'path';
import { IPolicyValidationContext, NestedStack, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { publishedObjectKeys } from '../assembly';
import { GovernedRating } from '../engine/rating-policy';
import { CfnTemplate, NestedStackLink, StackTemplate } from '../engine/template';
import { environmentOf } from '../remediations/rendered';

/** The rating each stack is judged at (see `governedRatingOf`). */
export type RateStack = (stack: Stack | undefined) => GovernedRating;

/**
 * The templates the engine judges, gathered the same way from a synthesis (the files CDK wrote)
 * and from the tree as it renders now, so both entry points judge the same stacks: the top-level
 * ones CDK hands to validation plugins and, at any depth, the nested stacks CDK writes as assets
 * beside them.
 */

/** From a synthesis: the templates CDK wrote, nested stacks read from the asset files beside their parents. */
export function synthesizedStackTemplates(
  context: IPolicyValidationContext,
  root: IConstruct,
  rate: RateStack,
): StackTemplate[] {
  const stacks = stacksUnder(root);
  const templateFiles = new Map<string, string>();
  for (const { stackConstructPath, templatePath } of context.stackTemplates) {
    templateFiles.set(stackConstructPath, templatePath);
  }
  const fileOf = (stack: Stack): string | undefined => {
    const known = templateFiles.get(stack.node.path);
    if (known || !NestedStack.isNestedStack(stack) || !stack.nestedStackParent) return known;
    const parentFile = fileOf(stack.nestedStackParent);
    // CDK writes a nested stack's template as a file asset in its parent's assembly directory.
    const file = parentFile && path.join(path.dirname(parentFile), stack.templateFile);
    if (file) templateFiles.set(stack.node.path, file);
    return file;
  };
  const found = context.stackTemplates.map(({ stackConstructPath, templatePath }) => {
    const stack = stacks.get(stackConstructPath);
    return {
      ...stackTemplate(stackConstructPath, readTemplate(templatePath), stack, rate),
      templateFile: templatePath,
    };
  });
  for (const stack of stacks.values()) {
    if (!NestedStack.isNestedStack(stack) || templateFiles.has(stack.node.path)) continue;
    const file = fileOf(stack);
    // A nested stack whose template cannot be found stays opaque: its parent's resource is reported as unverifiable.
    if (file && fs.existsSync(file)) {
      const nested = {
        ...stackTemplate(stack.node.path, readTemplate(file), stack, rate),
        templateFile: file,
      };
      const objectKeys = publishedObjectKeys(path.dirname(file), path.basename(file));
      found.push(nested.parent ? { ...nested, parent: { ...nested.parent, objectKeys } } : nested);
    }
  }
  return found;
}

/** From the tree as it renders now (cdk-nag's `validateScope`), without a synthesis. */
export function renderedStackTemplates(scope: IConstruct, rate: RateStack): StackTemplate[] {
  return [...stacksUnder(scope).values()].map((stack) =>
    stackTemplate(stack.node.path, renderTemplate(stack), stack, rate),
  );
}

function stacksUnder(root: IConstruct): Map<string, Stack> {
  return new Map(
    root.node
      .findAll()
      .filter(Stack.isStack)
      .map((stack) => [stack.node.path, stack]),
  );
}

function stackTemplate(
  stackId: string,
  template: CfnTemplate,
  stack: Stack | undefined,
  rate: RateStack,
): StackTemplate {
  return {
    stackId,
    template,
    ...rate(stack),
    ...environmentOf(stack),
    ...(stack && NestedStack.isNestedStack(stack) ? { parent: linkToParent(stack) } : {}),
  };
}

function linkToParent(stack: NestedStack): NestedStackLink | undefined {
  const parent = stack.nestedStackParent;
  const resource = stack.nestedStackResource;
  if (!parent || !resource) return undefined;
  return { stackId: parent.node.path, logicalId: parent.resolve(resource.logicalId) as string };
}

function readTemplate(file: string): CfnTemplate {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as CfnTemplate;
}

/** The template a stack renders to now; `_toCloudFormation` is what CDK's own synthesizer calls. */
function renderTemplate(stack: Stack): CfnTemplate {
  return (stack as unknown as { _toCloudFormation(): CfnTemplate })._toCloudFormation();
}
