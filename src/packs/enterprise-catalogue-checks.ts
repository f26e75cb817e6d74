import {
  CfnResource,
  IAspect,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
// The module that defines NagPack, not cdk-nag's index: the index loads every pack cdk-nag ships and
// their rules (about 20 MB and 0.2 s), which this pack never runs. It is the same class either way
// (test/package.test.ts).
import { NagPack } from 'cdk-nag/lib/nag-pack';
import { Construct, IConstruct } from 'constructs';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue, Control, DEFAULT_WAIVER_POLICY, WaiverPolicy } from '../catalogue/model';
import { CiaRating, formatRating, parseRating, RatingInput } from '../catalogue/rating';
import { compiledControls } from '../engine/controls';
import { centralWaiverId, isAimedAt } from '../engine/central-waivers';
import { evaluate, Evaluation, isFinding, Waiver } from '../engine/evaluate';
import { StackTemplate } from '../engine/template';
import { ConstructMetadata, readConstructMetadata } from '../assembly';
import { ConstructIndex } from './construct-index';
import { renderedStackTemplates, synthesizedStackTemplates } from './stack-templates';
import { AcknowledgementFinder, PackAcknowledgement, packAcknowledgementsUnder } from './acknowledgements';
import { parseClock, utcToday } from '../waivers/policy';
import {
  describeEvaluation,
  describeUnlistedWaiver,
  MISSED_BY_REMEDIATIONS,
  suggestedFix,
  summarize,
} from './messages';
import { remediationRecordOf, stacksReachedByRemediations } from '../remediations/records';
import { EnterpriseCatalogueRemediations } from './enterprise-catalogue-remediations';
import { PACKAGE_VERSION } from './version';
import { governedRatingOf } from './rating';
import { writeCatalogueReport } from './report-file';
import { ReportedViolations } from './violations';
import type { Score } from '../report';

export interface EnterpriseCatalogueChecksProps {
  /** A catalogue path (file or directory) or a model from `loadCatalogue`. @default the catalogue shipped in the package */
  readonly catalogue?: string | Catalogue;
  /**
   * The workload's CIA rating, `{ confidentiality, integrity, availability }` or `'C3I2A1'`.
   * @default the context key `cdk-catalogue:rating` of each stack (settable per App, Stage or Stack), else C3I3A3
   */
  readonly rating?: RatingInput;
  /** Report every finding in full but never fail synthesis. @default false */
  readonly reportOnly?: boolean;
  /** Add each control's description to its findings. @default false */
  readonly verbose?: boolean;
  /**
   * The day waivers are judged on (their expiry, their validity), an ISO date in UTC: `2027-03-31`.
   * @default the context key `cdk-catalogue:now`, else today by the system clock
   */
  readonly now?: string;
}

/** The context key that sets the day waivers are judged on, for tests and reproducible builds. */
export const NOW_CONTEXT_KEY = 'cdk-catalogue:now';

/**
 * The catalogue compiled into a cdk-nag v3 pack. Register it either way; it runs once:
 *
 *     Aspects.of(app).add(new EnterpriseCatalogueChecks({ rating: 'C3I2A1' }));
 *     Validations.of(app).addPlugins(new EnterpriseCatalogueChecks(app, { rating: 'C3I2A1' }));
 *
 * It judges the synthesized templates (overrides and escape hatches included) and fails synthesis
 * only on error-severity findings.
 */
export class EnterpriseCatalogueChecks extends NagPack implements IAspect {
  public readonly name: string;
  public override readonly version = PACKAGE_VERSION;
  public override readonly ruleIds: string[];
  public readonly catalogue: Catalogue;
  private readonly rating?: CiaRating;
  private readonly reportOnly: boolean;
  private readonly verboseMessages: boolean;
  private readonly now?: string;
  private readonly registeredOn = new WeakSet<IConstruct>();
  private lastEvaluations: Evaluation[] = [];
  private reported = new ReportedViolations();
  /** The last validation's evaluations by the construct they are reported against. */
  private evaluationsBySubject = new Map<IConstruct, Evaluation[]>();
  /** The catalogue's controls by id, for the findings' texts. */
  private readonly controlsById: ReadonlyMap<string, Control>;

  constructor(props?: EnterpriseCatalogueChecksProps);
  constructor(scope: IConstruct, props?: EnterpriseCatalogueChecksProps);
  constructor(
    scopeOrProps?: IConstruct | EnterpriseCatalogueChecksProps,
    maybeProps?: EnterpriseCatalogueChecksProps,
  ) {
    const scope = Construct.isConstruct(scopeOrProps) ? scopeOrProps : undefined;
    const props = (scope ? maybeProps : (scopeOrProps as EnterpriseCatalogueChecksProps | undefined)) ?? {};
    super(scope, { verbose: props.verbose });
    this.catalogue = typeof props.catalogue === 'object' ? props.catalogue : loadCatalogue(props.catalogue);
    this.packName = this.catalogue.metadata.packName;
    this.name = this.packName;
    this.ruleIds = compiledControls(this.catalogue).map((c) => c.findingId);
    this.controlsById = new Map(this.catalogue.controls.map((control) => [control.id, control]));
    this.rating =
      props.rating === undefined ? undefined : parseRating(props.rating, 'EnterpriseCatalogueChecks rating');
    this.reportOnly = props.reportOnly ?? false;
    this.verboseMessages = props.verbose ?? false;
    this.now = props.now === undefined ? undefined : parseClock(props.now, 'EnterpriseCatalogueChecks now');
  }

  private readonly rateStack = (stack: Stack | undefined) =>
    governedRatingOf(stack, this.rating, this.catalogue);

  /** Every evaluation of the last validation: compliant, not applicable, waived and findings. */
  public get evaluations(): readonly Evaluation[] {
    return this.lastEvaluations;
  }

  /** As an Aspect: registers the pack as a validation plugin on the App or Stage it was added to, once. */
  public visit(node: IConstruct): void {
    const stage = Stage.of(node) ?? (Stage.isStage(node) ? node : undefined);
    const root = Stage.isStage(node) ? node : stage;
    if (!root || this.registeredOn.has(root)) return;
    this.registeredOn.add(root);
    Validations.of(root).addPlugins(this);
  }

  /** Called by CDK after synthesis with every stack's template, those in pipeline Stages included. */
  public override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const root = context.appConstruct;
    const stacks = synthesizedStackTemplates(context, root, this.rateStack);
    const outdir = Stage.isStage(root) ? root.outdir : undefined;
    const recorded = outdir ? assemblyMetadataIn(outdir) : undefined;
    return this.check(root, stacks, recorded, (evaluations, acknowledgements) => {
      if (!outdir || !recorded) return undefined;
      try {
        return writeCatalogueReport(outdir, recorded, this.catalogue, stacks, evaluations, acknowledgements);
      } catch (e) {
        // The verdicts stand whatever happens to the record; say so rather than fail the synth here.
        this.reported.add({
          ruleName: `${this.name}-Report`,
          description: `[${this.name}] The catalogue report could not be written to ${outdir}: ${(e as Error).message}. The findings above stand.`,
          severity: 'warning',
          violatingResources: [{ constructPath: root.node.path, resourceLogicalId: '', locations: [] }],
        });
        return undefined;
      }
    });
  }

  /** cdk-nag's direct entry point: judges the stacks under `scope` as they render now, without a full synth. */
  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    return this.check(scope, renderedStackTemplates(scope, this.rateStack), undefined);
  }

  /** Judges the stacks and reports the findings; `record` writes the report of a synth and returns its score. */
  private check(
    root: IConstruct,
    stacks: StackTemplate[],
    recorded: ConstructMetadata | undefined,
    record: (
      evaluations: readonly Evaluation[],
      acknowledgements: readonly PackAcknowledgement[],
    ) => Score | undefined = () => undefined,
  ): PolicyValidationPluginReport {
    const tree = new ConstructIndex(root, recorded);
    const missed = stacksMissedByRemediations(root, tree.stacks());
    const used = new UsedAcknowledgements();
    const acknowledgementOf = new AcknowledgementFinder(this.name);
    this.lastEvaluations = evaluate({
      catalogue: this.catalogue,
      stacks,
      today: this.now ?? clockOf(root),
      constructPathOf: (stackId, logicalId) => tree.subjectOf({ stackId, logicalId }).node.path,
      waiverFor: (subject) => used.record(acknowledgementOf.find(tree.subjectOf(subject), subject.findingId)),
      remediationFor: (subject) => {
        const element = tree.elementOf(subject);
        return element ? remediationRecordOf(element, subject.findingId) : undefined;
      },
    }).map((evaluation) => withMissedRemediationNote(evaluation, missed));
    this.reported = new ReportedViolations();
    this.evaluationsBySubject = new Map();
    for (const evaluation of this.lastEvaluations) {
      const subject = tree.subjectOf(evaluation);
      const evaluations = this.evaluationsBySubject.get(subject);
      if (evaluations) evaluations.push(evaluation);
      else this.evaluationsBySubject.set(subject, [evaluation]);
    }
    // Every finding is reported: against its resource, else the nearest construct, else its stack.
    for (const [subject, evaluations] of this.evaluationsBySubject) this.report(subject, evaluations);
    const acknowledgements = packAcknowledgementsUnder(root, this.name);
    this.reportAcknowledgementProblems(acknowledgements, used);
    this.reportStaleCentralWaivers(root, stacks);
    this.reportRefusedRatings(stacks);
    this.reportSummary(root, record(this.lastEvaluations, acknowledgements));
    return { success: !this.reported.blocking, violations: this.reported.all };
  }

  /** cdk-nag's per-resource hook: reports the findings of the last validation on one resource. */
  protected checkResource(node: CfnResource): void {
    this.report(node, this.evaluationsBySubject.get(node) ?? []);
  }

  /**
   * Every finding, with what is wrong in its own words (findings worded alike share a violation). A
   * finding waived with CDK's qualified id is reported too, so CDK lists it under suppressedViolations;
   * one waived in a form CDK cannot match (a bare id, a central waiver) is listed as an `info` entry,
   * so CDK's report loses none.
   */
  private report(subject: IConstruct, evaluations: readonly Evaluation[]): void {
    for (const evaluation of evaluations) {
      if (evaluation.waiver && evaluation.waiver.form !== 'qualified') {
        this.reportUnlistedWaiver(subject, evaluation);
        continue;
      }
      if (!isFinding(evaluation) && !evaluation.waiver) continue;
      this.reported.add({
        ruleName: evaluation.findingId,
        description: describeEvaluation(evaluation, this.controlOf(evaluation), this.verboseMessages),
        fix: suggestedFix(evaluation, this.controlOf(evaluation)),
        severity: this.severityOf(evaluation),
        ruleMetadata: {
          control: evaluation.controlId,
          rule: evaluation.ruleId,
          status: evaluation.status,
          ...(evaluation.property ? { property: evaluation.property } : {}),
        },
        violatingResources: [violatingResourceOf(subject, evaluation)],
      });
    }
  }

  private reportUnlistedWaiver(subject: IConstruct, evaluation: Evaluation): void {
    this.reported.add({
      ruleName: `${this.name}-Waived`,
      description: describeUnlistedWaiver(evaluation, `${this.name}::${evaluation.findingId}`),
      severity: 'info',
      ruleMetadata: { control: evaluation.controlId, rule: evaluation.ruleId, status: evaluation.status },
      violatingResources: [violatingResourceOf(subject, evaluation)],
    });
  }

  /**
   * Acknowledgements aimed at this pack that waive nothing: one naming no control of the catalogue is
   * a typo and fails synth (fatal, so it cannot be acknowledged away); one that covers no finding is
   * stale, a warning.
   */
  private reportAcknowledgementProblems(
    acknowledgements: readonly PackAcknowledgement[],
    used: UsedAcknowledgements,
  ): void {
    const known = new Set([...this.ruleIds, `${this.name}-Summary`, `${this.name}-Report`]);
    for (const { id, path, findingId } of acknowledgements) {
      const typo = !known.has(findingId);
      if (!typo && used.has(path, id)) continue;
      this.reported.add({
        ruleName: typo ? `${this.name}-UnknownWaiver` : `${this.name}-StaleWaiver`,
        description: typo
          ? `[${this.name}] The acknowledgement '${id}' at ${path} names no control of the catalogue, so it waives nothing (a typo?). Controls: ${this.ruleIds.join(', ')}.`
          : `[${this.name}] The acknowledgement '${id}' at ${path} waives no finding: nothing under it breaks ${findingId} at its rating. Remove it.`,
        severity: typo ? 'fatal' : 'warning',
        violatingResources: [{ constructPath: path, resourceLogicalId: '', locations: [] }],
      });
    }
  }

  /**
   * A central waiver aimed at this app (its path starts where one of the app's stacks does) that
   * covers no finding is stale, as an acknowledgement would be: a warning. The central file serves
   * every app, so an entry for another app's stacks says nothing here.
   */
  private reportStaleCentralWaivers(root: IConstruct, stacks: readonly StackTemplate[]): void {
    const used = new Set(
      this.lastEvaluations.flatMap((e) => [e.waiver?.id, e.refusedWaiver?.id]).filter(Boolean),
    );
    const stackIds = stacks.map((stack) => stack.stackId);
    for (const entry of this.catalogue.centralWaivers ?? []) {
      if (used.has(centralWaiverId(entry)) || !isAimedAt(entry, stackIds)) continue;
      this.reported.add({
        ruleName: `${this.name}-StaleWaiver`,
        description: `[${this.name}] The central waiver of ${entry.control} for ${entry.path} (${entry.source.file}:${entry.source.line}) waives no finding in this app: nothing it covers breaks ${entry.control} at its rating.`,
        severity: 'warning',
        violatingResources: [{ constructPath: root.node.path, resourceLogicalId: '', locations: [] }],
      });
    }
  }

  /**
   * A stack given a rating below what the catalogue's `rating` section allows is judged at the allowed
   * rating, and the refusal fails synth (fatal, so no one can acknowledge it away, `reportOnly` or not).
   */
  private reportRefusedRatings(stacks: readonly StackTemplate[]): void {
    for (const stack of stacks) {
      if (stack.ratingRefused === undefined) continue;
      this.reported.add({
        ruleName: `${this.name}-Rating`,
        description: `[${this.name}] Stack ${stack.stackId}: ${stack.ratingRefused}. It was judged at ${formatRating(stack.rating)}. Raise the rating, or ask the catalogue's owner to change its rating section.`,
        severity: 'fatal',
        violatingResources: [{ constructPath: stack.stackId, resourceLogicalId: '', locations: [] }],
      });
    }
  }

  /** One `info` entry, which CDK prints after every finding: the counts, the fixes, the rating note. */
  private reportSummary(root: IConstruct, score: Score | undefined): void {
    const summary = summarize(this.lastEvaluations, (evaluation) => this.controlOf(evaluation), score);
    if (!summary) return;
    this.reported.add({
      ruleName: `${this.name}-Summary`,
      description: `[${this.name}] ${summary}`,
      severity: 'info',
      violatingResources: [{ constructPath: root.node.path, resourceLogicalId: '', locations: [] }],
    });
  }

  private controlOf(evaluation: Evaluation): Control {
    return this.controlsById.get(evaluation.controlId)!;
  }

  /**
   * `fatal` is the severity CDK refuses to let anyone acknowledge: that is how a refused waiver and a
   * non-suppressible control hold, `reportOnly` or not (unless the catalogue lets `reportOnly` cover
   * them: `waivers.reportOnlyAppliesToUnsuppressible`).
   */
  private severityOf(evaluation: Evaluation): string {
    if (evaluation.status === 'waived') return evaluation.severity;
    if (evaluation.refusedWaiver) return 'fatal';
    if (evaluation.severity === 'warning') return 'warning';
    if (this.reportOnly && (evaluation.suppressible || this.waiverPolicy.reportOnlyAppliesToUnsuppressible))
      return 'warning';
    return evaluation.suppressible ? 'error' : 'fatal';
  }

  private get waiverPolicy(): WaiverPolicy {
    return this.catalogue.waivers ?? DEFAULT_WAIVER_POLICY;
  }
}

/** The acknowledgements the evaluation looked up and found, by where they were made and their id. */
class UsedAcknowledgements {
  private readonly keys = new Set<string>();

  public record(waiver: Waiver | undefined): Waiver | undefined {
    if (waiver) this.keys.add(JSON.stringify([waiver.acknowledgedAt, waiver.id]));
    return waiver;
  }

  public has(path: string, id: string): boolean {
    return this.keys.has(JSON.stringify([path, id]));
  }
}

/**
 * Where CDK's report shows an evaluation: the construct, the logical id and the property at fault,
 * written as CDK documents it (`Properties.MyProperty`), so CDK can add where the property was set.
 */
function violatingResourceOf(subject: IConstruct, evaluation: Evaluation) {
  return {
    constructPath: subject.node.path,
    resourceLogicalId: evaluation.logicalId,
    locations: [evaluation.property ? `Properties.${evaluation.property}` : 'Properties'],
  };
}

/**
 * The metadata CDK wrote into the assembly it has just synthesized; none when it cannot be read (the
 * pack then works everything out from the tree, as for `validateScope`).
 */
function assemblyMetadataIn(outdir: string): ConstructMetadata | undefined {
  try {
    return readConstructMetadata(outdir);
  } catch {
    return undefined;
  }
}

/** The day waivers are judged on from the context key, else today. */
function clockOf(root: IConstruct): string {
  const value: unknown = root.node.tryGetContext(NOW_CONTEXT_KEY);
  return value === undefined ? utcToday() : parseClock(value, `context '${NOW_CONTEXT_KEY}'`);
}

/**
 * For a finding in a stack the App's remediations never reached, why. (The construct path is the
 * engine's already: it asks the tree through `constructPathOf`.)
 */
function withMissedRemediationNote(evaluation: Evaluation, missed: ReadonlySet<string>): Evaluation {
  return isFinding(evaluation) && missed.has(evaluation.stackId)
    ? { ...evaluation, reason: `${evaluation.reason}; ${MISSED_BY_REMEDIATIONS}` }
    : evaluation;
}

/**
 * Stacks that remediations added to the App never reached: CDK Pipelines synthesizes a Stage when
 * it is added to the pipeline, before the App's Aspects run, so App-level fixes miss its stacks.
 */
function stacksMissedByRemediations(root: IConstruct, stacks: readonly Stack[]): Set<string> {
  if (!EnterpriseCatalogueRemediations.isAppliedTo(root)) return new Set();
  return new Set(stacks.filter((stack) => !stacksReachedByRemediations.has(stack)).map((s) => s.node.path));
}
