import { Catalogue, Severity } from '../catalogue/model';
import { CiaRating } from '../catalogue/rating';
import { ResourceUnderCheck, Verdict } from '../rules/rule';
import { controlsByResourceType, CompiledControl } from './controls';
import { describeAssumptions, PropertyVariant, propertyVariants } from './intrinsics';
import { TemplateResolver } from './resolve';
import { CfnResourceJson, constructPathOf, RatingSource, StackTemplate } from './template';

export type EvaluationStatus =
  | 'compliant'
  /** Compliant because a paired remediation fixed it during synthesis. */
  | 'remediated'
  | 'non-compliant'
  | 'unverifiable'
  | 'not-applicable'
  | 'waived';

/** What the paired remediation did to a resource for one control. */
export type RemediationRecord = { readonly changes: readonly string[] } | { readonly notApplied: string };

/** An acknowledgement that covers a finding. */
export interface Waiver {
  /** The id as acknowledged: `Enterprise::Enterprise-KMS.1` or the bare form. */
  readonly id: string;
  readonly reason: string;
  /** Construct path the acknowledgement was made on (the resource or an ancestor). */
  readonly acknowledgedAt: string;
}

/** The verdict of one applicable control on one resource. */
export interface Evaluation {
  readonly findingId: string;
  readonly controlId: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly suppressible: boolean;
  readonly stackId: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly constructPath?: string;
  readonly status: EvaluationStatus;
  /** The property at fault, for non-compliant and unverifiable results. */
  readonly property?: string;
  /** What is wrong, or why the control does not apply. */
  readonly reason?: string;
  readonly rating: CiaRating;
  readonly ratingSource: RatingSource;
  /** Present when an acknowledgement waived the finding. */
  readonly waiver?: Waiver;
  /** Present when the finding was acknowledged but the control cannot be waived. */
  readonly refusedWaiver?: Waiver;
  /** For remediated resources, what the fix changed. */
  readonly changes?: readonly string[];
}

export interface FindingSubject {
  readonly findingId: string;
  readonly stackId: string;
  readonly logicalId: string;
  readonly constructPath?: string;
}

export interface EvaluateOptions {
  readonly catalogue: Catalogue;
  readonly stacks: readonly StackTemplate[];
  /** Looks up an acknowledgement for a finding (from the construct tree, or from cdk.out metadata). */
  readonly waiverFor?: (subject: FindingSubject) => Waiver | undefined;
  /** Looks up what a paired remediation did to the resource for this control. */
  readonly remediationFor?: (subject: FindingSubject) => RemediationRecord | undefined;
}

/** Non-compliance outranks an undecidable value, which outranks compliance. */
const RANK: Record<Verdict['status'], number> = {
  'non-compliant': 3,
  unverifiable: 2,
  compliant: 1,
  'not-applicable': 0,
};

/**
 * A resource complies only if every way it can deploy complies: each `Fn::If` combination is
 * checked and the worst verdict wins, naming the branch that fails.
 */
function checkAllVariants(
  variants: readonly PropertyVariant[],
  base: Omit<ResourceUnderCheck, 'properties'>,
  compiledControl: CompiledControl,
  resolver: TemplateResolver,
): Verdict {
  let worst: { verdict: Verdict; variant: PropertyVariant } | undefined;
  for (const variant of variants) {
    const verdict = safeCheck(compiledControl, { ...base, properties: variant.properties }, resolver);
    if (!worst || RANK[verdict.status] > RANK[worst.verdict.status]) worst = { verdict, variant };
  }
  const { verdict, variant } = worst as { verdict: Verdict; variant: PropertyVariant };
  if (variant.assumptions.length === 0 || verdict.status === 'compliant') return verdict;
  return { ...verdict, reason: `when ${describeAssumptions(variant.assumptions)}: ${verdict.reason}` };
}

/** Rules are written never to throw; should one still fail, the finding says so instead of the synth crashing. */
function safeCheck(
  compiledControl: CompiledControl,
  resource: ResourceUnderCheck,
  resolver: TemplateResolver,
): Verdict {
  try {
    return compiledControl.rule.check(resource, compiledControl.control.params, resolver);
  } catch (e) {
    return {
      status: 'unverifiable',
      property: 'Properties',
      reason: `rule ${compiledControl.rule.meta.id} could not read this resource (${(e as Error).message}); please report this`,
    };
  }
}

/** The verdict of one control on one rendered resource, every `Fn::If` branch considered. */
export function judgeResource(
  compiledControl: CompiledControl,
  stack: StackTemplate,
  logicalId: string,
  resource: CfnResourceJson,
  resolver: TemplateResolver,
): Verdict {
  const base = { logicalId, type: resource.Type, stack };
  return checkAllVariants(propertyVariants(propertiesOf(resource)), base, compiledControl, resolver);
}

function propertiesOf(resource: CfnResourceJson): Record<string, unknown> {
  return typeof resource.Properties === 'object' && resource.Properties !== null ? resource.Properties : {};
}

function evaluateResource(
  stack: StackTemplate,
  logicalId: string,
  resource: CfnResourceJson,
  controls: readonly CompiledControl[],
  options: EvaluateOptions,
  resolver: TemplateResolver,
): Evaluation[] {
  // Resolved once per resource, however many controls read it.
  const variants = propertyVariants(propertiesOf(resource));
  const base = { logicalId, type: resource.Type, stack };
  const constructPath = constructPathOf(resource);
  return controls.map((compiledControl) => {
    const verdict = checkAllVariants(variants, base, compiledControl, resolver);
    const { control, rule, findingId } = compiledControl;
    const evaluation: Evaluation = {
      findingId,
      controlId: control.id,
      ruleId: rule.meta.id,
      severity: control.severity,
      suppressible: control.suppressible,
      stackId: stack.stackId,
      logicalId,
      resourceType: resource.Type,
      constructPath,
      status: verdict.status,
      property: 'property' in verdict ? verdict.property : undefined,
      reason: 'reason' in verdict ? verdict.reason : undefined,
      rating: stack.rating,
      ratingSource: stack.ratingSource,
    };
    const subject = { findingId, stackId: stack.stackId, logicalId, constructPath };
    return withWaiver(
      withRemediation(evaluation, options.remediationFor?.(subject)),
      control.suppressible,
      () => options.waiverFor?.(subject),
    );
  });
}

/** A compliant resource a fix made compliant is `remediated`; a finding a fix could not mend says why. */
function withRemediation(evaluation: Evaluation, remediation: RemediationRecord | undefined): Evaluation {
  if (!remediation) return evaluation;
  if (evaluation.status === 'compliant' && 'changes' in remediation) {
    return { ...evaluation, status: 'remediated', changes: remediation.changes };
  }
  if (isFinding(evaluation) && 'notApplied' in remediation) {
    return {
      ...evaluation,
      reason: `${evaluation.reason}; the remediation could not be applied: ${remediation.notApplied}`,
    };
  }
  return evaluation;
}

/** A finding covered by an acknowledgement is waived, unless the control cannot be waived. */
function withWaiver(
  evaluation: Evaluation,
  suppressible: boolean,
  lookUp: () => Waiver | undefined,
): Evaluation {
  if (!isFinding(evaluation)) return evaluation;
  const waiver = lookUp();
  if (!waiver) return evaluation;
  return suppressible
    ? { ...evaluation, status: 'waived', waiver }
    : { ...evaluation, refusedWaiver: waiver };
}

/**
 * The pure engine: every applicable control of the catalogue on every resource of the templates.
 * No CDK here, so `cdk synth` (through the pack) and the CLI (on files) give identical verdicts.
 */
export function evaluate(options: EvaluateOptions): Evaluation[] {
  const resolver = new TemplateResolver(options.stacks);
  const evaluations: Evaluation[] = [];
  for (const stack of options.stacks) {
    const byType = controlsByResourceType(options.catalogue, stack.rating);
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const controls = resource && byType.get(resource.Type);
      if (controls)
        evaluations.push(...evaluateResource(stack, logicalId, resource, controls, options, resolver));
    }
  }
  return evaluations;
}

/** Findings are the evaluations that still need a fix or a waiver. */
export function isFinding(evaluation: Evaluation): boolean {
  return evaluation.status === 'non-compliant' || evaluation.status === 'unverifiable';
}
