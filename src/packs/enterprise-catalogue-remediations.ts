import { AspectPriority, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue } from '../catalogue/model';
import { CiaRating, parseRating, RatingInput } from '../catalogue/rating';
import { controlsByResourceType } from '../engine/controls';
import { remediateResourceInTurn } from '../remediations/apply';
import { forgetRenderedStack } from '../remediations/rendered-stack';
import { RemediationSettings } from '../remediations/context';
import { stacksReachedByRemediations } from '../remediations/records';
import { governedRatingOf } from './rating';

export interface EnterpriseCatalogueRemediationsProps extends RemediationSettings {
  /** A catalogue path or a model from `loadCatalogue`. @default the catalogue shipped in the package */
  readonly catalogue?: string | Catalogue;
  /** The workload's CIA rating. @default the context key `cdk-catalogue:rating` of each stack, else C3I3A3 */
  readonly rating?: RatingInput;
}

/**
 * Applies the fix of every control that applies at the workload's rating and whose catalogue entry
 * enables remediation. Add it with `EnterpriseCatalogueRemediations.applyTo(scope, props)` (or
 * `Aspects.of(scope).add(remediations, { priority: AspectPriority.MUTATING })`) to an App, Stage or
 * Stack.
 *
 * CDK Pipelines synthesizes each Stage when it is added to the pipeline, before any Aspect of the
 * App runs: apply the remediations to each Stage before `pipeline.addStage(stage)`.
 */
export class EnterpriseCatalogueRemediations implements IAspect {
  /** Adds the remediations to `scope` at `AspectPriority.MUTATING`, before read-only Aspects and checks. */
  public static applyTo(
    scope: IConstruct,
    props: EnterpriseCatalogueRemediationsProps = {},
  ): EnterpriseCatalogueRemediations {
    const remediations = new EnterpriseCatalogueRemediations(props);
    Aspects.of(scope).add(remediations, { priority: AspectPriority.MUTATING });
    return remediations;
  }

  /** True when remediations were added to this construct (e.g. the App) itself. */
  public static isAppliedTo(scope: IConstruct): boolean {
    return Aspects.of(scope).all.some((aspect) => aspect instanceof EnterpriseCatalogueRemediations);
  }

  public readonly catalogue: Catalogue;
  private readonly rating?: CiaRating;
  private promoted = false;
  /** The governed rating per stack, worked out once: a stack's context cannot change once it has children. */
  private readonly ratings = new WeakMap<Stack, CiaRating>();

  constructor(private readonly props: EnterpriseCatalogueRemediationsProps = {}) {
    this.catalogue = typeof props.catalogue === 'object' ? props.catalogue : loadCatalogue(props.catalogue);
    this.rating =
      props.rating === undefined
        ? undefined
        : parseRating(props.rating, 'EnterpriseCatalogueRemediations rating');
  }

  public visit(node: IConstruct): void {
    if (!this.promoted) this.promoteToMutating(node);
    if (Stack.isStack(node)) {
      stacksReachedByRemediations.add(node);
      // CDK visits a stack before what it holds: its resources are rendered afresh for this pass.
      forgetRenderedStack(node);
    }
    if (!CfnResource.isCfnResource(node)) return;
    const rating = this.ratingOf(Stack.of(node));
    const controls = controlsByResourceType(this.catalogue, rating).get(node.cfnResourceType) ?? [];
    remediateResourceInTurn(
      controls.filter((compiledControl) => compiledControl.control.remediation.enabled),
      node,
      this.props,
    );
  }

  private ratingOf(stack: Stack): CiaRating {
    let rating = this.ratings.get(stack);
    if (!rating) {
      rating = governedRatingOf(stack, this.rating, this.catalogue).rating;
      this.ratings.set(stack, rating);
    }
    return rating;
  }

  /**
   * Added with a plain `Aspects.of(scope).add(remediations)`, the Aspect would run at DEFAULT
   * priority; on its first visit (the scope it was added to) it moves its own application to
   * MUTATING, so fixes always run before read-only Aspects, whichever way it was added. CDK
   * restarts the Aspect pass when a priority changes.
   */
  private promoteToMutating(scope: IConstruct): void {
    this.promoted = true;
    const application = Aspects.of(scope).applied.find((a) => a.aspect === this);
    if (application && application.priority > AspectPriority.MUTATING)
      application.priority = AspectPriority.MUTATING;
  }
}
