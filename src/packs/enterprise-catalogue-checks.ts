import * as fs from 'fs';
import {
  CfnResource,
  IAspect,
  IPolicyValidationContext,
  PolicyValidationPluginReport,
  PolicyViolation,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import { NagPack } from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue } from '../catalogue/model';
import { CiaRating, parseRating, RatingInput } from '../catalogue/rating';
import { compiledControls } from '../engine/controls';
import { evaluate, Evaluation, isFinding } from '../engine/evaluate';
import { CfnTemplate, StackTemplate } from '../engine/template';
import { findAcknowledgement, isQualifiedFor } from './acknowledgements';
import { describeEvaluation, suggestedFix } from './messages';
import { remediationRecordOf, stacksReachedByRemediations } from '../remediations/records';
import { EnterpriseCatalogueRemediations } from './enterprise-catalogue-remediations';
import { ratingOf } from './rating';
import { PACKAGE_VERSION } from './version';

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
}

/** A stack's CfnResources by logical id, found once per validation by walking the tree. */
interface StackIndex {
  readonly stack: Stack;
  readonly resources: Map<string, CfnResource>;
}

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
  private readonly registeredOn = new WeakSet<IConstruct>();
  private lastEvaluations: Evaluation[] = [];
  private reported: PolicyViolation[] = [];
  private evaluationsByResource = new Map<string, Evaluation[]>();
  private stacksMissedByRemediations = new Set<string>();
  /** Each resource's key, found once by `indexStacks` (resolving a logical id is not free). */
  private keysOfResources = new Map<CfnResource, string>();

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
    this.rating =
      props.rating === undefined ? undefined : parseRating(props.rating, 'EnterpriseCatalogueChecks rating');
    this.reportOnly = props.reportOnly ?? false;
    this.verboseMessages = props.verbose ?? false;
  }

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
    const stacks = context.stackTemplates.map((s) => ({
      path: s.stackConstructPath,
      template: JSON.parse(fs.readFileSync(s.templatePath, 'utf8')) as CfnTemplate,
    }));
    return this.check(context.appConstruct, stacks);
  }

  /** cdk-nag's direct entry point: judges the stacks under `scope` as they render now, without a full synth. */
  public override validateScope(scope: IConstruct): PolicyValidationPluginReport {
    const stacks = scope.node
      .findAll()
      .filter(Stack.isStack)
      .map((stack) => ({ path: stack.node.path, template: renderTemplate(stack) }));
    return this.check(scope, stacks);
  }

  private check(
    root: IConstruct,
    rendered: Array<{ path: string; template: CfnTemplate }>,
  ): PolicyValidationPluginReport {
    const index = indexStacks(root);
    const stacks: StackTemplate[] = rendered.map(({ path, template }) => ({
      stackId: path,
      template,
      ...ratingOf(index.get(path)?.stack, this.rating),
    }));
    this.lastEvaluations = evaluate({
      catalogue: this.catalogue,
      stacks,
      waiverFor: ({ stackId, logicalId, findingId }) => {
        const resource = index.get(stackId)?.resources.get(logicalId);
        return resource ? findAcknowledgement(resource, findingId, this.name) : undefined;
      },
      remediationFor: ({ stackId, logicalId, findingId }) => {
        const resource = index.get(stackId)?.resources.get(logicalId);
        return resource ? remediationRecordOf(resource, findingId) : undefined;
      },
    });
    this.stacksMissedByRemediations = stacksMissedByRemediations(root, index);
    this.evaluationsByResource = groupByResource(this.lastEvaluations);
    this.reported = [];
    this.keysOfResources = new Map(
      [...index.values()].flatMap(({ stack, resources }) =>
        [...resources].map(
          ([logicalId, resource]) => [resource, resourceKey(stack.node.path, logicalId)] as const,
        ),
      ),
    );
    for (const resource of this.keysOfResources.keys()) this.checkResource(resource);
    const blocking = this.reported.some((v) => v.severity === 'error' || v.severity === 'fatal');
    return { success: !blocking, violations: this.reported };
  }

  /** Reports the findings of one resource: one violation per finding, so each says what is wrong here. */
  protected checkResource(node: CfnResource): void {
    const stack = Stack.of(node);
    const key =
      this.keysOfResources.get(node) ?? resourceKey(stack.node.path, stack.resolve(node.logicalId) as string);
    for (const evaluation of this.evaluationsByResource.get(key) ?? []) {
      // Waived with CDK's qualified id: report it so CDK records it under suppressedViolations.
      const reportToCdk =
        isFinding(evaluation) || (evaluation.waiver && isQualifiedFor(evaluation.waiver, this.name));
      if (!reportToCdk) continue;
      this.reported.push({
        ruleName: evaluation.findingId,
        description: describeEvaluation(evaluation, this.controlOf(evaluation), this.verboseMessages, {
          missedByRemediations: this.stacksMissedByRemediations.has(stack.node.path),
        }),
        fix: suggestedFix(evaluation, this.controlOf(evaluation), this.name),
        severity: this.severityOf(evaluation),
        ruleMetadata: {
          control: evaluation.controlId,
          rule: evaluation.ruleId,
          status: evaluation.status,
          ...(evaluation.property ? { property: evaluation.property } : {}),
        },
        violatingResources: [
          {
            constructPath: node.node.path,
            resourceLogicalId: evaluation.logicalId,
            locations: [evaluation.property ? `Properties/${evaluation.property}` : 'Properties'],
          },
        ],
      });
    }
  }

  private controlOf(evaluation: Evaluation) {
    return compiledControls(this.catalogue).find((c) => c.control.id === evaluation.controlId)!.control;
  }

  /** `fatal` is the severity CDK refuses to let anyone acknowledge: that is how non-suppressible controls hold. */
  private severityOf(evaluation: Evaluation): string {
    if (evaluation.status === 'waived') return evaluation.severity;
    if (this.reportOnly || evaluation.severity === 'warning') return 'warning';
    return evaluation.suppressible ? 'error' : 'fatal';
  }
}

/**
 * Stacks that remediations added to the App never reached: CDK Pipelines synthesizes a Stage when
 * it is added to the pipeline, before the App's Aspects run, so App-level fixes miss its stacks.
 */
function stacksMissedByRemediations(root: IConstruct, index: Map<string, StackIndex>): Set<string> {
  if (!EnterpriseCatalogueRemediations.isAppliedTo(root)) return new Set();
  return new Set(
    [...index.values()]
      .filter(({ stack }) => !stacksReachedByRemediations.has(stack))
      .map(({ stack }) => stack.node.path),
  );
}

function resourceKey(stackPath: string, logicalId: string): string {
  return `${stackPath}\u0000${logicalId}`;
}

function groupByResource(evaluations: readonly Evaluation[]): Map<string, Evaluation[]> {
  const grouped = new Map<string, Evaluation[]>();
  for (const evaluation of evaluations) {
    const key = resourceKey(evaluation.stackId, evaluation.logicalId);
    grouped.set(key, [...(grouped.get(key) ?? []), evaluation]);
  }
  return grouped;
}

/** Every stack under `root` with its CfnResources by logical id, in one walk of the tree. */
function indexStacks(root: IConstruct): Map<string, StackIndex> {
  const index = new Map<string, StackIndex>();
  for (const construct of root.node.findAll()) {
    if (!CfnResource.isCfnResource(construct)) continue;
    const stack = Stack.of(construct);
    let entry = index.get(stack.node.path);
    if (!entry) index.set(stack.node.path, (entry = { stack, resources: new Map() }));
    entry.resources.set(stack.resolve(construct.logicalId) as string, construct);
  }
  return index;
}

/** The template a stack renders to now; `_toCloudFormation` is what CDK's own synthesizer calls. */
function renderTemplate(stack: Stack): CfnTemplate {
  return (stack as unknown as { _toCloudFormation(): CfnTemplate })._toCloudFormation();
}
