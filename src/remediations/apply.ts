import { CfnResource, Stack } from 'aws-cdk-lib';
import { STRICTEST_RATING } from '../catalogue/rating';
import { CompiledControl } from '../engine/controls';
import { judgeResource } from '../engine/evaluate';
import { TemplateResolver } from '../engine/resolve';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../engine/template';
import {
  notApplied,
  RemediationContext,
  RemediationResult,
  RemediationSettings,
  resolveSettings,
} from './context';
import { recordRemediation } from './records';

/** The resource as it renders now, in a one-resource template (what the check reads at synth). */
function renderNow(resource: CfnResource): { logicalId: string; rendered: CfnResourceJson } | undefined {
  const stack = Stack.of(resource);
  try {
    const logicalId = stack.resolve(resource.logicalId) as string;
    const template = stack.resolve(
      (resource as unknown as { _toCloudFormation(): CfnTemplate })._toCloudFormation(),
    );
    const rendered = (template as CfnTemplate).Resources?.[logicalId];
    return rendered ? { logicalId, rendered } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fix only what the check finds non-compliant as the resource stands: compliant resources, and
 * values known only at deploy time (a key the user passed as a parameter), are left alone. This is
 * also what makes a second application change nothing.
 */
function needsFix(compiledControl: CompiledControl, resource: CfnResource): boolean {
  const current = renderNow(resource);
  if (!current) return false;
  const stack: StackTemplate = {
    stackId: Stack.of(resource).node.path,
    template: { Resources: { [current.logicalId]: current.rendered } },
    rating: STRICTEST_RATING,
    ratingSource: 'props',
  };
  const verdict = judgeResource(
    compiledControl,
    stack,
    current.logicalId,
    current.rendered,
    new TemplateResolver([stack]),
  );
  return verdict.status === 'non-compliant';
}

/** Applies one control's fix to one resource if it needs it, and records what happened. */
export function remediateResource(
  compiledControl: CompiledControl,
  resource: CfnResource,
  settings: RemediationSettings,
): void {
  const { rule, control, findingId } = compiledControl;
  if (!rule.remediate || !rule.meta.resourceTypes.includes(resource.cfnResourceType)) return;
  if (!needsFix(compiledControl, resource)) return;
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
  recordRemediation(resource, findingId, result);
}
