import type { CfnResource } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { CompiledControl } from '../engine/controls';
import { judgeResource } from '../engine/evaluate';
import { CfnResourceJson } from '../engine/template';
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

/** The resource as it renders now, kept as its stack's rendering of it; undefined when it cannot be rendered yet. */
function renderNow(resource: CfnResource): { logicalId: string; json: CfnResourceJson } | undefined {
  const current = renderResource(resource);
  if (current) renderedStackOf(cdk.Stack.of(resource), resource).renderedAs(resource, current.json);
  return current;
}

/** The control's verdict on the resource as rendered in `current`, judged within its stack. */
function verdictOn(
  compiledControl: CompiledControl,
  resource: CfnResource,
  current: { logicalId: string; json: CfnResourceJson },
): Verdict {
  const stack = renderedStackOf(cdk.Stack.of(resource), resource);
  const template = stack.template(current);
  return judgeResource(
    compiledControl,
    template,
    current.logicalId,
    current.json,
    stack.resolverFor(template),
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
  remediateResourceInTurn([compiledControl], resource, settings);
}

/**
 * Applies the fixes of `controls` to one resource, one after the other, as `remediateResource`
 * does for each: for the controls an Aspect applies in one visit of the resource. Nothing else
 * runs between them, so the resource is rendered when the first is judged and again only after a
 * fix (the rendering that confirms a fix is what the next control judges), rather than before and
 * after each control.
 */
export function remediateResourceInTurn(
  controls: readonly CompiledControl[],
  resource: CfnResource,
  settings: RemediationSettings,
): void {
  // null: not rendered since the last fix; undefined: it cannot be rendered yet (a Lazy not ready).
  let current: ReturnType<typeof renderNow> | null = null;
  for (const compiledControl of controls) {
    const { rule, control, findingId } = compiledControl;
    if (!rule.remediate || !rule.meta.resourceTypes.includes(resource.cfnResourceType)) continue;
    if (current === null) current = renderNow(resource);
    if (!current || verdictOn(compiledControl, resource, current).status !== 'non-compliant') continue;
    const context = new RemediationContext(
      resource,
      resolveSettings(settings, resource),
      control.remediation.params,
      current.json,
    );
    let result: RemediationResult;
    try {
      result = rule.remediate(resource, control.params, context);
    } catch (e) {
      result = notApplied(`the fix failed (${(e as Error).message}); please report this`);
    }
    if ('notApplied' in result && lacksEverySetting(rule.meta.fix.settings, context.settings)) {
      // It said why it cannot be applied and changed nothing: the next control judges `current`.
      recordRemediation(resource, findingId, result);
      continue;
    }
    renderedStackOf(cdk.Stack.of(resource)).afterFix(resource, rule.meta.fix);
    const judged: ReturnType<typeof renderNow> = current;
    current = null;
    if ('changes' in result) {
      // A fix that changed only other resources (a resource policy) is confirmed on the rendering it judged.
      current = rule.meta.fix.leavesItsOwnResource ? judged : renderNow(resource);
      const changes = [...context.describedAfterFix(current?.json), ...result.changes];
      const after = current && verdictOn(compiledControl, resource, current);
      result = confirmed({ changes }, after);
    }
    recordRemediation(resource, findingId, result);
  }
}

/**
 * Whether a fix that needs one of `needed` (its `meta.fix.settings`) was given none of them: such a
 * fix changes nothing (test/remediations/fix-reach.test.ts holds every shipped fix to that).
 */
function lacksEverySetting(
  needed: ReadonlyArray<keyof RemediationSettings>,
  given: RemediationSettings,
): boolean {
  return needed.length > 0 && needed.every((setting) => given[setting] === undefined);
}

/** The fix's changes, unless the check still finds the resource non-compliant after them. */
function confirmed(result: { changes: readonly string[] }, after: Verdict | undefined): RemediationResult {
  if (after?.status !== 'non-compliant') return changed(...result.changes);
  return notApplied(`the fix (${result.changes.join('; ')}) left it non-compliant: ${after.reason}`);
}
