import { Control } from '../catalogue/model';
import { formatRating } from '../catalogue/rating';
import { Evaluation } from '../engine/evaluate';
import { findRule } from '../rules';

/** Why a fix did not reach a pipeline Stage's stack, and what to do. */
export const MISSED_BY_REMEDIATIONS =
  "EnterpriseCatalogueRemediations was added to the App but never reached this stack (CDK Pipelines synthesizes a Stage when it is added, before the App's Aspects run): apply it to the Stage before pipeline.addStage(stage), with EnterpriseCatalogueRemediations.applyTo(stage, props)";

/** `[Enterprise-KMS.1] KMS keys rotate: EnableKeyRotation is not set (it defaults to false).` */
export function describeEvaluation(evaluation: Evaluation, control: Control, verbose: boolean): string {
  const parts = [`[${evaluation.findingId}] ${control.title}: ${whatIsWrong(evaluation)}.`];
  if (evaluation.refusedWaiver) {
    parts.push(
      `It was acknowledged at ${evaluation.refusedWaiver.acknowledgedAt}, but the catalogue does not allow this control to be waived.`,
    );
  }
  if (evaluation.ratingSource === 'default') {
    parts.push(
      `No workload rating was set, so the strictest (${formatRating(evaluation.rating)}) was assumed; set the pack's rating prop or the context key 'cdk-catalogue:rating'.`,
    );
  }
  if (verbose && control.description) parts.push(control.description);
  return parts.join(' ');
}

function whatIsWrong(evaluation: Evaluation): string {
  const reason = evaluation.reason ?? 'does not comply';
  return evaluation.status === 'unverifiable' ? `could not be verified at synth time: ${reason}` : reason;
}

/** How to fix the finding, then how to waive it (or that it cannot be waived). */
export function suggestedFix(evaluation: Evaluation, control: Control, packNamespace: string): string {
  const rule = findRule(evaluation.ruleId);
  const fix = rule ? `Remediation: ${rule.meta.remediation}.` : '';
  const waive = control.suppressible
    ? `Or waive it: Validations.of(construct).acknowledge({ id: '${packNamespace}::${evaluation.findingId}', reason: '<why, ticket, expiry>' }).`
    : 'This control cannot be waived.';
  return [fix, waive].filter(Boolean).join('\n');
}
