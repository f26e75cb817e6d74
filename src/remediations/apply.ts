import type { CfnResource } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { CompiledControl } from '../engine/controls';
import { judgeResource } from '../engine/evaluate';
import { TemplateResolver } from '../engine/resolve';
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
import { renderResource } from './rendered';
import { renderedStackOf } from './rendered-stack';

/** The control's verdict on the resource as it stands, judged within its stack; undefined when it cannot be rendered yet. */
function verdictNow(compiledControl: CompiledControl, resource: CfnResource): Verdict | undefined {
  const current = renderResource(resource);
  if (!current) return undefined;
  const stack = renderedStackOf(cdk.Stack.of(resource), resource);
  stack.renderedAs(resource, current.json);
  const template = stack.template(current);
  return judgeResource(
    compiledControl,
    template,
    current.logicalId,
    current.json,
    new TemplateResolver([template]),
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
  renderedStackOf(cdk.Stack.of(resource)).afterFix(resource, rule.meta.fix.onlyItsOwnProperties ?? false);
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
