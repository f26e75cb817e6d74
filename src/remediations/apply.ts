import type { CfnResource, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { CompiledControl } from '../engine/controls';
import { judgeResource } from '../engine/evaluate';
import { TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { Verdict } from '../rules/rule';
import {
  changed,
  notApplied,
  RemediationContext,
  RemediationResult,
  RemediationSettings,
  resolveSettings,
} from './context';
import { recordRemediation } from './records';
import { renderResource, renderStack } from './rendered';

/**
 * The stack as it renders now, for checks that look beyond one resource (a log bucket others
 * deliver to, a CodeBuild fleet). Rendered once and reused until a fix changes something or
 * constructs are added (CDK Pipelines builds its pipeline while Aspects run).
 */
const renderedStacks = new WeakMap<Stack, { constructs: number; template: StackTemplate }>();

function renderedStack(stack: Stack): StackTemplate {
  const constructs = stack.node.findAll().length;
  const cached = renderedStacks.get(stack);
  if (cached && cached.constructs === constructs) return cached.template;
  const template = renderStack(stack, () => true);
  renderedStacks.set(stack, { constructs, template });
  return template;
}

/** The control's verdict on the resource as it stands, judged within its stack; undefined when it cannot be rendered yet. */
function verdictNow(compiledControl: CompiledControl, resource: CfnResource): Verdict | undefined {
  const current = renderResource(resource);
  if (!current) return undefined;
  const stack = renderedStack(cdk.Stack.of(resource));
  const withCurrent: StackTemplate = {
    ...stack,
    template: { Resources: { ...stack.template.Resources, [current.logicalId]: current.json } },
  };
  return judgeResource(
    compiledControl,
    withCurrent,
    current.logicalId,
    current.json,
    new TemplateResolver([withCurrent]),
  );
}

/**
 * Applies one control's fix to one resource, only when the check finds it non-compliant as it
 * stands: compliant resources, and values known only at deploy time (a key given as a parameter),
 * are left alone, which is also why a second application changes nothing. Records what happened;
 * a fix after which the check still fails is recorded as not applied, with the check's reason.
 */
export function remediateResource(
  compiledControl: CompiledControl,
  resource: CfnResource,
  settings: RemediationSettings,
): void {
  const { rule, control, findingId } = compiledControl;
  if (!rule.remediate || !rule.meta.resourceTypes.includes(resource.cfnResourceType)) return;
  if (verdictNow(compiledControl, resource)?.status !== 'non-compliant') return;
  const context = new RemediationContext(
    resource,
    resolveSettings(settings, resource),
    control.remediation.params,
  );
  let result: RemediationResult;
  try {
    result = rule.remediate(resource, control.params, context);
  } catch (e) {
    result = notApplied(`the fix failed (${(e as Error).message}); please report this`);
  }
  renderedStacks.delete(cdk.Stack.of(resource));
  recordRemediation(
    resource,
    findingId,
    'changes' in result ? confirmed(result, compiledControl, resource) : result,
  );
}

function confirmed(
  result: { changes: readonly string[] },
  compiledControl: CompiledControl,
  resource: CfnResource,
) {
  const after = verdictNow(compiledControl, resource);
  if (after?.status !== 'non-compliant') return changed(...result.changes);
  return notApplied(`the fix (${result.changes.join('; ')}) left it non-compliant: ${after.reason}`);
}
