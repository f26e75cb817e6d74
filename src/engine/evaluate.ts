import {
  Catalogue,
  Control,
  DEFAULT_WAIVER_POLICY,
  Severity,
  WaiverPolicy,
  WaiverScope,
} from '../catalogue/model';
import { CiaRating } from '../catalogue/rating';
import { ResourceUnderCheck, unverifiable, Verdict } from '../rules/rule';
import { applicableControls, controlsByResourceType, CompiledControl } from './controls';
import { hasPropertyTransform, opaqueContentOf } from './opaque';
import { describeAssumptions, propertyVariants, prop } from './intrinsics';
import { TemplateResolver } from './resolve';
import { CentralWaiverIndex } from './central-waivers';
import { utcToday, waiverRefusals } from '../waivers/policy';
import { CfnResourceJson, constructPathOf, NestedStackLink, RatingSource, StackTemplate } from './template';

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

/** An acknowledgement that covers a finding, with the fields its text gives (see `parseWaiverText`). */
export interface Waiver {
  /** The id as acknowledged: `Enterprise::Enterprise-KMS.1` or the bare form. */
  readonly id: string;
  /**
   * `qualified` (`Pack::Pack-Rule`, which CDK itself matches and lists), `bare` (any other form) or
   * `central` (an entry of the catalogue's central waivers file; `acknowledgedAt` is its glob).
   */
  readonly form: 'qualified' | 'bare' | 'central';
  /** The reason in words: the acknowledgement's text without its tags. */
  readonly reason: string;
  readonly ticket?: string;
  /** The expiry date as written (`YYYY-MM-DD` when valid). */
  readonly expires?: string;
  readonly approvedBy?: string;
  /** What makes the text ambiguous (a tag given twice). */
  readonly problems?: readonly string[];
  /** Construct path the acknowledgement was made on (the resource or an ancestor). */
  readonly acknowledgedAt: string;
  /** What it was made on: a construct in a stack, a stack, a Stage or the App (see the policy's `widestScope`). */
  readonly scope?: WaiverScope;
  /** On a refused waiver: every way it breaks the catalogue's waiver policy, in words. */
  readonly refusedBecause?: string;
  /** Where it is written: the user's line that acknowledged (CDK's trace), or the central file's entry. */
  readonly source?: { readonly file: string; readonly line: number };
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
  /** For a rating from context: the construct path the key is set on (`''` for the App). */
  readonly ratingSetAt?: string;
  /** Present when an acknowledgement waived the finding. */
  readonly waiver?: Waiver;
  /** Present when the finding was acknowledged but the waiver was refused (`refusedBecause` says why). */
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
  /** The day waivers are judged on, `YYYY-MM-DD` in UTC. @default today, by the system clock */
  readonly today?: string;
  /**
   * A resource's construct path as the construct tree (or the assembly's metadata) knows it, which
   * outranks the template's `aws:cdk:path` (written only when the CDK CLI asks, and by the app if it
   * likes). Central waivers match on it.
   */
  readonly constructPathOf?: (stackId: string, logicalId: string) => string | undefined;
}

/** The options as `evaluate` runs them: one day, and the central waivers indexed once. */
interface Run extends EvaluateOptions {
  readonly today: string;
  readonly centralWaivers: CentralWaiverIndex;
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
  variants: readonly ResourceUnderCheck[],
  compiledControl: CompiledControl,
  resolver: TemplateResolver,
): Verdict {
  let worst = safeCheck(compiledControl, variants[0], resolver);
  let worstVariant = variants[0];
  for (let i = 1; i < variants.length; i++) {
    const verdict = safeCheck(compiledControl, variants[i], resolver);
    if (RANK[verdict.status] > RANK[worst.status]) [worst, worstVariant] = [verdict, variants[i]];
  }
  if (worstVariant.assumptions.length === 0 || worst.status === 'compliant') return worst;
  return { ...worst, reason: `when ${describeAssumptions(worstVariant.assumptions)}: ${worst.reason}` };
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
  return checkAllVariants(variantsOf(stack, logicalId, resource), compiledControl, resolver);
}

/** The resource as each of its `Fn::If` combinations deploys it, as rules are given it. */
function variantsOf(
  stack: StackTemplate,
  logicalId: string,
  resource: CfnResourceJson,
): ResourceUnderCheck[] {
  return propertyVariants(propertiesOf(resource), resource.Condition).map(({ properties, assumptions }) => ({
    logicalId,
    type: resource.Type,
    stack,
    properties,
    assumptions,
  }));
}

function propertiesOf(resource: CfnResourceJson): Record<string, unknown> {
  return typeof resource.Properties === 'object' && resource.Properties !== null ? resource.Properties : {};
}

/** A macro in the properties may add, change or remove any of them: no verdict on them holds. */
const TRANSFORMED = unverifiable(
  'Properties',
  'the properties hold Fn::Transform (a macro such as AWS::Include), which may change them at deploy time',
);

function evaluateResource(
  stack: StackTemplate,
  logicalId: string,
  resource: CfnResourceJson,
  controls: readonly CompiledControl[],
  options: Run,
  resolver: TemplateResolver,
): Evaluation[] {
  // Resolved once per resource, however many controls read it.
  const variants = variantsOf(stack, logicalId, resource);
  const constructPath = constructPathOf(resource);
  const transformed = hasPropertyTransform(resource.Properties);
  return controls.map((compiledControl) => {
    const verdict = transformed ? TRANSFORMED : checkAllVariants(variants, compiledControl, resolver);
    return record(
      stack,
      { logicalId, resourceType: resource.Type, constructPath },
      compiledControl,
      verdict,
      options,
    );
  });
}

/** An evaluation of one control, with the remediation and the waiver that apply to it. */
function record(
  stack: StackTemplate,
  resource: { logicalId: string; resourceType: string; constructPath?: string },
  compiledControl: CompiledControl,
  verdict: Verdict,
  options: Run,
): Evaluation {
  const { control, rule, findingId } = compiledControl;
  // The caller's path first: the tree's (or the assembly metadata's) cannot be claimed by a resource's
  // own template metadata, which the app writes, and central waivers match on it.
  const constructPath =
    options.constructPathOf?.(stack.stackId, resource.logicalId) ?? resource.constructPath;
  const evaluation: Evaluation = {
    findingId,
    controlId: control.id,
    ruleId: rule.meta.id,
    severity: control.severity,
    suppressible: control.suppressible,
    stackId: stack.stackId,
    logicalId: resource.logicalId,
    resourceType: resource.resourceType,
    constructPath,
    status: verdict.status,
    property: 'property' in verdict ? verdict.property : undefined,
    reason: 'reason' in verdict ? verdict.reason : undefined,
    rating: stack.rating,
    ratingSource: stack.ratingSource,
    ratingSetAt: stack.ratingSetAt,
  };
  const subject = { findingId, stackId: stack.stackId, logicalId: resource.logicalId, constructPath };
  return withWaiver(
    withRemediation(evaluation, options.remediationFor?.(subject)),
    control,
    // The acknowledgement closest to the resource, else the catalogue's central waivers.
    () =>
      options.waiverFor?.(subject) ?? options.centralWaivers.find(control.id, constructPath, stack.stackId),
    options.catalogue.waivers ?? DEFAULT_WAIVER_POLICY,
    options.today,
  );
}

/**
 * What the engine cannot open (a nested stack without its template, a SAM resource, a module, a
 * macro) is unverifiable for every applicable control whose resource types it can create.
 */
function evaluateOpaque(
  stack: StackTemplate,
  openedNestedStacks: ReadonlySet<string>,
  options: Run,
): Evaluation[] {
  const opaque = opaqueContentOf(stack, openedNestedStacks);
  if (opaque.length === 0) return [];
  const controls = applicableControls(options.catalogue, stack.rating);
  return opaque.flatMap((content) =>
    controls
      .filter(
        ({ rule }) => !content.creates || rule.meta.resourceTypes.some((t) => content.creates!.includes(t)),
      )
      .map((compiledControl) =>
        record(
          stack,
          content,
          compiledControl,
          unverifiable(
            'Type',
            `${content.resourceType} ${content.logicalId} may create ${compiledControl.rule.meta.resourceTypes.join(' or ')} resources the checks cannot see: ${content.reason}`,
          ),
          options,
        ),
      ),
  );
}

/** How a finding's reason says why its paired fix did not mend it. */
export const REMEDIATION_NOT_APPLIED = 'the remediation could not be applied';

/** A compliant resource a fix made compliant is `remediated`; a finding a fix could not mend says why. */
function withRemediation(evaluation: Evaluation, remediation: RemediationRecord | undefined): Evaluation {
  if (!remediation) return evaluation;
  if (evaluation.status === 'compliant' && 'changes' in remediation) {
    return { ...evaluation, status: 'remediated', changes: remediation.changes };
  }
  if (isFinding(evaluation) && 'notApplied' in remediation) {
    return {
      ...evaluation,
      reason: `${evaluation.reason}; ${REMEDIATION_NOT_APPLIED}: ${remediation.notApplied}`,
    };
  }
  return evaluation;
}

/**
 * A finding covered by an acknowledgement is waived only when the waiver keeps the catalogue's policy
 * and the control can be waived; otherwise the finding stays, with the refused waiver and why.
 */
function withWaiver(
  evaluation: Evaluation,
  control: Control,
  lookUp: () => Waiver | undefined,
  policy: WaiverPolicy,
  today: string,
): Evaluation {
  if (!isFinding(evaluation)) return evaluation;
  const waiver = lookUp();
  if (!waiver) return evaluation;
  const refusals = waiverRefusals(waiver, policy, control.suppressible, today);
  return refusals.length === 0
    ? { ...evaluation, status: 'waived', waiver }
    : { ...evaluation, refusedWaiver: { ...waiver, refusedBecause: refusals.join('; ') } };
}

/**
 * The pure engine: every applicable control of the catalogue on every resource of the templates.
 * No CDK here, so `cdk synth` (through the pack) and the CLI (on files) give identical verdicts.
 */
export function evaluate(evaluateOptions: EvaluateOptions): Evaluation[] {
  const options: Run = {
    ...evaluateOptions,
    // One day for the whole evaluation, even across midnight.
    today: evaluateOptions.today ?? utcToday(),
    centralWaivers: new CentralWaiverIndex(
      evaluateOptions.catalogue.centralWaivers ?? [],
      evaluateOptions.stacks,
    ),
  };
  const resolver = new TemplateResolver(options.stacks);
  const evaluations: Evaluation[] = [];
  const opened = openedNestedStacks(options.stacks, resolver);
  for (const stack of options.stacks) {
    evaluations.push(...evaluateOpaque(stack, opened.get(stack.stackId) ?? new Set(), options));
    const byType = controlsByResourceType(options.catalogue, stack.rating);
    for (const [logicalId, resource] of Object.entries(stack.template.Resources ?? {})) {
      const controls = resource && byType.get(resource.Type);
      if (controls)
        evaluations.push(...evaluateResource(stack, logicalId, resource, controls, options, resolver));
    }
  }
  return evaluations;
}

/**
 * For each stack, the logical ids of its nested-stack resources whose templates are among `stacks`
 * and which deploy that template: a `TemplateURL` overridden to point elsewhere deploys another one.
 */
function openedNestedStacks(
  stacks: readonly StackTemplate[],
  resolver: TemplateResolver,
): Map<string, Set<string>> {
  const byId = new Map(stacks.map((stack) => [stack.stackId, stack]));
  const opened = new Map<string, Set<string>>();
  for (const { parent } of stacks) {
    const parentStack = parent && byId.get(parent.stackId);
    if (!parent || !parentStack || !deploysPublishedTemplate(parent, parentStack, resolver)) continue;
    opened.set(parent.stackId, (opened.get(parent.stackId) ?? new Set()).add(parent.logicalId));
  }
  return opened;
}

function deploysPublishedTemplate(
  link: NestedStackLink,
  parent: StackTemplate,
  resolver: TemplateResolver,
): boolean {
  if (!link.objectKeys) return true;
  const url = prop(parent.template.Resources?.[link.logicalId]?.Properties, 'TemplateURL');
  const text = resolver.text(url, parent);
  return link.objectKeys.some((key) => text.text.endsWith(`/${key}`));
}

/** Findings are the evaluations that still need a fix or a waiver. */
export function isFinding(evaluation: Evaluation): boolean {
  return evaluation.status === 'non-compliant' || evaluation.status === 'unverifiable';
}
