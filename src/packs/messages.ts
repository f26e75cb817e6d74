import { Control } from '../catalogue/model';
import { formatRating, RATING_CONTEXT_KEY, STRICTEST_RATING } from '../catalogue/rating';
import { Evaluation, isFinding, REMEDIATION_NOT_APPLIED } from '../engine/evaluate';
import type { Score } from '../report';
import { ruleOf } from '../rules';
import { REMEDIATION_CONTEXT_KEYS, RemediationSettings } from '../remediations/context';

/** Why a fix did not reach a pipeline Stage's stack, and what to do. */
export const MISSED_BY_REMEDIATIONS =
  "EnterpriseCatalogueRemediations was added to the App but never reached this stack (CDK Pipelines synthesizes a Stage when it is added, before the App's Aspects run): apply it to the Stage before pipeline.addStage(stage), with EnterpriseCatalogueRemediations.applyTo(stage, props)";

/** `[Enterprise-KMS.1] KMS keys rotate: EnableKeyRotation is not set (it defaults to false).` */
export function describeEvaluation(evaluation: Evaluation, control: Control, verbose: boolean): string {
  const parts = [`[${evaluation.findingId}] ${control.title}: ${whatIsWrong(evaluation)}.`];
  if (evaluation.refusedWaiver) {
    const { id, acknowledgedAt, refusedBecause } = evaluation.refusedWaiver;
    parts.push(`The waiver '${id}' at ${acknowledgedAt} is refused: ${refusedBecause}.`);
  }
  if (verbose && control.description) parts.push(control.description);
  return parts.join(' ');
}

/**
 * A finding waived in a form CDK cannot match to our violation (a bare id, or the catalogue's central
 * waivers file), listed by the pack so CDK's report still shows it: what is waived, by what, and why.
 */
export function describeUnlistedWaiver(evaluation: Evaluation, qualifiedId: string): string {
  const waiver = evaluation.waiver!;
  const fields = [
    waiver.ticket && `ticket ${waiver.ticket}`,
    waiver.expires && `expires ${waiver.expires}`,
    waiver.approvedBy && `approved by ${waiver.approvedBy}`,
  ].filter(Boolean);
  const by =
    waiver.form === 'central'
      ? `the catalogue's central waiver for ${waiver.acknowledgedAt}`
      : `the acknowledgement '${waiver.id}' at ${waiver.acknowledgedAt || 'the App'}`;
  const hint =
    waiver.form === 'bare'
      ? ` CDK lists only the qualified form as suppressed: write '${qualifiedId}' (or use waive()).`
      : '';
  return `[${evaluation.findingId}] Waived by ${by}: ${waiver.reason}${fields.length > 0 ? ` (${fields.join(', ')})` : ''}.${hint}`;
}

function whatIsWrong(evaluation: Evaluation): string {
  const reason = evaluation.reason ?? 'does not comply';
  return evaluation.status === 'unverifiable' ? `could not be verified at synth time: ${reason}` : reason;
}

/**
 * What to do, in a line or two: the change to make, and how to let the paired remediation make it
 * (which Aspect, which setting it needs). The long texts live in the docs, under the finding id.
 * CDK itself prints how to acknowledge a finding that can be waived.
 */
export function suggestedFix(evaluation: Evaluation, control: Control): string {
  const rule = ruleOf(control);
  const lines: string[] = [];
  if (rule) {
    lines.push(`${capitalize(rule.meta.fix.manually)}.`);
    if (rule.remediate && control.remediation.enabled) {
      const settings = rule.meta.fix.settings.map(describeSetting).join(' or ');
      const aspect = rule.meta.fix.aspect;
      const by =
        aspect === 'EnterpriseCatalogueRemediations'
          ? aspect
          : `EnterpriseCatalogueRemediations (or the ${aspect} Aspect)`;
      lines.push(`Or let ${by} do it${settings ? `; it needs ${settings}` : ''}.`);
    }
  }
  lines.push(
    control.suppressible
      ? `Details: README, control ${evaluation.findingId}.`
      : `Details: README, control ${evaluation.findingId}. This control cannot be waived.`,
  );
  return lines.join('\n');
}

function describeSetting(setting: keyof RemediationSettings): string {
  const contextKey = REMEDIATION_CONTEXT_KEYS[setting];
  return contextKey ? `${setting} (or context ${contextKey})` : setting;
}

/**
 * Said once per synth, after the findings: how many per control, how many a paired remediation can
 * fix, and which stacks were judged at the strictest rating because none was set.
 */
export function summarize(
  evaluations: readonly Evaluation[],
  controlOf: (evaluation: Evaluation) => Control,
  score?: Score,
): string | undefined {
  const findings = evaluations.filter(isFinding);
  const unrated = [...new Set(evaluations.filter((e) => e.ratingSource === 'default').map((e) => e.stackId))];
  if (findings.length === 0 && unrated.length === 0) return undefined;
  const lines = [
    `${findings.length} finding${findings.length === 1 ? '' : 's'} in ${evaluations.length} evaluations.`,
  ];
  if (score) lines.push(describeScore(score));
  const byControl = new Map<string, Evaluation[]>();
  for (const finding of findings) {
    const list = byControl.get(finding.controlId);
    if (list) list.push(finding);
    else byControl.set(finding.controlId, [finding]);
  }
  for (const [controlId, list] of [...byControl].sort(([a], [b]) => a.localeCompare(b))) {
    const control = controlOf(list[0]);
    const fixable = ruleOf(control)?.remediate && control.remediation.enabled;
    const notApplied = list.filter((e) => e.reason?.includes(REMEDIATION_NOT_APPLIED)).length;
    const fix = fixable
      ? `${list.length - notApplied} fixable by EnterpriseCatalogueRemediations${notApplied ? `, ${notApplied} where it could not apply` : ''}`
      : 'no automatic fix enabled';
    lines.push(`${controlId} ${control.title}: ${list.length} (${fix})`);
  }
  if (unrated.length > 0) {
    lines.push(
      `No workload rating was set for ${unrated.length === 1 ? 'stack' : 'stacks'} ${unrated.join(', ')}, so the strictest (${formatRating(STRICTEST_RATING)}) was assumed; set the pack's rating prop or the context key '${RATING_CONTEXT_KEY}'.`,
    );
  }
  return lines.join('\n');
}

/** `Score 40% of controls (strict 40%), baseline 95%: not met.` */
function describeScore(score: Score): string {
  const { acceptedRisk, strict } = score.overall;
  const percent = (value: number | null) => (value === null ? 'n/a' : `${value}%`);
  return `Score: ${percent(acceptedRisk.controls.percent)} of controls pass (strict, waivers counted as failures: ${percent(strict.controls.percent)}); baseline ${score.baseline.minimumScore}%: ${score.baseline.met ? 'met' : 'not met'}.`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
