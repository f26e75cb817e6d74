import type { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { cdk } from '../rules/cdk';
import { STRICTEST_RATING } from '../catalogue/rating';
import { isPlainObject } from '../engine/intrinsics';
import { ResourceOfType, TemplateResolver } from '../engine/resolve';
import { CfnResourceJson, StackTemplate } from '../engine/template';
import type { RuleModule } from '../rules/rule';
import { constructsOf, environmentOf, renderResource } from './rendered';
import { addedSince, allLogged, markAfterLooking, TreeMark } from './tree-changes';

/**
 * What a fix may change beside the resource it fixes, rendered again when next read: IAM policies,
 * roles and keys (grants and key policies), after any fix; and the resource policies that name the
 * fixed resource (a TLS-only statement, log delivery). Any other resource is rendered again only
 * after a fix of its own; the resources a fix adds are found after every fix but those that only
 * set their own resource's properties (`onlyItsOwnProperties`).
 */
const CHANGED_BESIDE_THE_FIXED_RESOURCE: ReadonlySet<string> = new Set([
  'AWS::IAM::Policy',
  'AWS::IAM::ManagedPolicy',
  'AWS::IAM::Role',
  'AWS::IAM::User',
  'AWS::IAM::Group',
  'AWS::KMS::Key',
  'AWS::Lambda::Permission',
]);

/** Resource policies, and the property by which each names the resources it guards. */
const RESOURCE_POLICY_LINKS: Readonly<Record<string, string>> = {
  'AWS::S3::BucketPolicy': 'Bucket',
  'AWS::SQS::QueuePolicy': 'Queues',
  'AWS::SNS::TopicPolicy': 'Topics',
};

/** One resource of the stack: its type at once, the rest rendered when first read. */
class RenderedResource {
  /** What checks read: `Type` as a plain value, the other sections rendered on first access. */
  public readonly json: CfnResourceJson;
  private rendered: CfnResourceJson | undefined | null = null;

  constructor(
    private readonly resource: CfnResource,
    public readonly logicalId: string,
  ) {
    const json = { Type: resource.cfnResourceType };
    for (const section of ['Properties', 'Metadata', 'Condition', 'DependsOn'] as const) {
      Object.defineProperty(json, section, {
        enumerable: true,
        get: () => this.render()?.[section],
      });
    }
    this.json = json;
  }

  public get type(): string {
    return this.resource.cfnResourceType;
  }

  /** Whether a fix of another resource may change this one (see `mayChangeWith`). */
  public mayChangeBesideFixes(): boolean {
    return CHANGED_BESIDE_THE_FIXED_RESOURCE.has(this.type) || RESOURCE_POLICY_LINKS[this.type] !== undefined;
  }

  /**
   * Whether a fix of `logicalId` may have changed this resource: always for the types fixes change
   * beside their resource; for a resource policy, when it names that resource by `Ref`, or names
   * something not by `Ref` (which could be it), or has not been rendered since it was last forgotten.
   */
  public mayChangeWith(logicalId: string | undefined): boolean {
    if (CHANGED_BESIDE_THE_FIXED_RESOURCE.has(this.type)) return true;
    const link = RESOURCE_POLICY_LINKS[this.type];
    if (link === undefined || this.rendered === null) return false;
    // A policy that could not be rendered, or a fixed resource of unknown id: read it again.
    if (this.rendered === undefined || logicalId === undefined) return true;
    const named = this.rendered.Properties?.[link];
    return (Array.isArray(named) ? named : [named]).some(
      (value) => !isPlainObject(value) || typeof value.Ref !== 'string' || value.Ref === logicalId,
    );
  }

  /** Forget the rendering: a fix may have changed the resource. */
  public stale(): void {
    this.rendered = null;
  }

  /** A rendering made elsewhere just now (the resource being judged), kept for later reads. */
  public renderedAs(json: CfnResourceJson): void {
    this.rendered = json;
  }

  private render(): CfnResourceJson | undefined {
    // undefined: it cannot be rendered yet (a Lazy not ready while Aspects run); it reads as empty.
    if (this.rendered === null) this.rendered = renderResource(this.resource)?.json;
    return this.rendered;
  }
}

/**
 * A stack's resources as they render now, for checks that look beyond the resource they judge (a
 * log bucket others deliver to, the bucket policy that denies plain HTTP), kept while the fixes
 * run. Each resource is rendered when a check first reads it and again only after a fix may have
 * changed it, so a stack of hundreds of resources is not rendered anew for every fix.
 */
export class RenderedStack {
  private readonly resources = new Map<CfnResource, RenderedResource>();
  private readonly byLogicalId = new Map<string, CfnResource>();
  /** The stack's own constructs, in the order a walk of the tree finds them (see `constructsOf`). */
  private constructsNow: IConstruct[] = [];
  /**
   * Each kept construct's place in that order: numbers that increase along `constructsNow`, spaced
   * so that a construct taken in between two gets a place between theirs.
   */
  private readonly placeOf = new Map<IConstruct, number>();
  /** Where the stack was last looked over in its tree's log; undefined when it must be walked again. */
  private lookedOverAt: TreeMark | undefined;
  /** The template the checks read: one object, kept up to date by `refresh`. */
  private readonly resourcesJson: Record<string, CfnResourceJson> = {};
  private readonly rendered: StackTemplate;
  /** What `selected` keeps, by name. */
  private readonly selections = new Map<string, Selection>();
  /** The resources a fix of another may change (see `mayChangeWith`): those `afterFix` looks at by default. */
  private readonly changedBesideFixes = new Set<RenderedResource>();
  /** The kept resources of each type, for the types a fix says it changes beside its resource. */
  private readonly keptOfType = new Map<string, Set<RenderedResource>>();
  /** The template's resources of each type, as `TemplateResolver.resourcesOfType` lists them; made when first asked. */
  private readonly byType = new Map<string, ResourceOfType[]>();

  constructor(private readonly stack: Stack) {
    this.rendered = {
      stackId: stack.node.path,
      template: { Resources: this.resourcesJson },
      rating: STRICTEST_RATING,
      ratingSource: 'props',
      // Judged in the stack's account and region, as the pack judges it.
      ...environmentOf(stack),
    };
    this.refresh();
  }

  /**
   * The stack's own constructs (see `constructsOf`) as last looked over: after the last fix, or when
   * a resource new to it was judged. Fixes read them here rather than walk the tree each time.
   */
  public constructs(): readonly IConstruct[] {
    return this.constructsNow;
  }

  /**
   * The answers of `select` that are not undefined, for the stack's constructs in order, kept under
   * `name`: what fixes select from the stack's constructs (its IAM policies, its resource policies).
   * `select` is asked once per construct, so its answer must depend only on what the construct is
   * (its class, what it was created with). A construct taken in is put in its place in the list; the
   * list is made again after a walk of the stack.
   */
  public selected<T>(name: string, select: (construct: IConstruct) => T | undefined): readonly T[] {
    let selection = this.selections.get(name);
    if (!selection) {
      selection = { select, answers: new WeakMap(), members: undefined, list: [] };
      this.selections.set(name, selection);
    }
    if (!selection.members) {
      selection.members = this.constructsNow.filter(
        (construct) => answerOf(selection, construct) !== undefined,
      );
      selection.list = selection.members.map((construct) => answerOf(selection, construct));
    }
    return selection.list as T[];
  }

  /** The stack's resource with this logical id, as last looked over. */
  public resourceNamed(logicalId: string): CfnResource | undefined {
    return this.byLogicalId.get(logicalId);
  }

  /** Whether the resource was in the stack when it was last looked over. */
  public has(resource: CfnResource): boolean {
    return this.resources.has(resource);
  }

  /**
   * The stack as a template the engine and the rules read, `current` (the resource being judged,
   * rendered just now) in place of its kept rendering.
   */
  public template(current?: { logicalId: string; json: CfnResourceJson }): StackTemplate {
    // The resource judged reads as `current` already (see `renderedAs`), unless it is not in the stack.
    if (!current || this.byLogicalId.has(current.logicalId)) return this.rendered;
    const resources = { ...this.rendered.template.Resources, [current.logicalId]: current.json };
    return { ...this.rendered, template: { Resources: resources } };
  }

  /**
   * A resolver to judge `template` (from `template()`) with. Its resources of a type are listed once
   * per look over the stack rather than once per verdict: they change only when resources are added
   * or removed, and each entry reads the resource's current rendering.
   */
  public resolverFor(template: StackTemplate): TemplateResolver {
    const kept = template === this.rendered;
    return new TemplateResolver([template], kept ? (type) => this.resourcesOfType(type) : undefined);
  }

  /** The resource as the checks read it (rendered when first read), if it was in the stack when last looked over. */
  public renderingOf(resource: CfnResource): CfnResourceJson | undefined {
    return this.resources.get(resource)?.json;
  }

  /** Keeps the rendering of the resource being judged, made just now. */
  public renderedAs(resource: CfnResource, json: CfnResourceJson): void {
    this.resources.get(resource)?.renderedAs(json);
  }

  /**
   * After a fix of `fixed`: what it may have changed is read again (see `RuleModule.meta.fix`), what
   * it may have added is found.
   */
  public afterFix(fixed: CfnResource, reach: FixReach = {}): void {
    const renderedFixed = this.resources.get(fixed);
    if (!reach.leavesItsOwnResource) renderedFixed?.stale();
    if (reach.onlyItsOwnProperties) return;
    if (reach.changesBeside) {
      for (const type of reach.changesBeside)
        this.keptOfType.get(type)?.forEach((rendered) => rendered.stale());
    } else {
      for (const rendered of this.changedBesideFixes) {
        if (rendered.mayChangeWith(renderedFixed?.logicalId)) rendered.stale();
      }
    }
    this.refresh();
  }

  /**
   * Looks the stack over again, when a construct was added to or removed from its tree since it was
   * last looked over: resources added since are kept (unrendered), removed ones dropped. Constructs
   * added since are put in their place in the kept list; after a removal, the stack is walked.
   */
  public refresh(): void {
    const added = addedSince(this.lookedOverAt);
    if (added?.length === 0) return;
    const takenIn = added && this.tookIn(added);
    if (takenIn) {
      for (const selection of this.selections.values()) this.selectFrom(selection, takenIn);
      this.keep(takenIn.filter(cdk.CfnResource.isCfnResource));
      return;
    }
    this.walk();
    for (const selection of this.selections.values()) selection.members = undefined;
    const current = new Set(this.constructsNow.filter(cdk.CfnResource.isCfnResource));
    for (const [resource, rendered] of this.resources) {
      if (!current.has(resource)) this.drop(resource, rendered);
    }
    this.keep(current);
  }

  /** Puts the constructs taken in that `selection` selects in their places in its list. */
  private selectFrom(selection: Selection, takenIn: readonly IConstruct[]): void {
    const { members, list } = selection;
    if (!members) return;
    for (const construct of takenIn) {
      const answer = answerOf(selection, construct);
      if (answer === undefined) continue;
      const at = this.firstAfter(members, this.place(construct));
      members.splice(at, 0, construct);
      list.splice(at, 0, answer);
    }
  }

  /** The index of the first of `constructs` (kept ones, in order) whose place is after `place`. */
  private firstAfter(constructs: readonly IConstruct[], place: number): number {
    let low = 0;
    let high = constructs.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.place(constructs[middle]) <= place) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private place(construct: IConstruct): number {
    return this.placeOf.get(construct) ?? Number.NaN;
  }

  /** The template's resources of `type`, in the template's order (as `TemplateResolver` lists them). */
  private resourcesOfType(type: string): readonly ResourceOfType[] {
    let ofType = this.byType.get(type);
    if (!ofType) {
      ofType = Object.entries(this.resourcesJson)
        .filter(([, resource]) => resource.Type === type)
        .map(([logicalId, resource]) => ({ logicalId, resource, stack: this.rendered }));
      this.byType.set(type, ofType);
    }
    return ofType;
  }

  /** Keeps the resources not kept yet, unrendered. */
  private keep(resources: Iterable<CfnResource>): void {
    for (const resource of resources) {
      if (this.resources.has(resource)) continue;
      const logicalId = this.logicalIdOf(resource);
      if (logicalId === undefined) {
        // Not kept: the stack is walked again next time, in case its logical id resolves then.
        this.lookedOverAt = undefined;
        continue;
      }
      const rendered = new RenderedResource(resource, logicalId);
      this.resources.set(resource, rendered);
      this.byLogicalId.set(logicalId, resource);
      this.resourcesJson[logicalId] = rendered.json;
      if (rendered.mayChangeBesideFixes()) this.changedBesideFixes.add(rendered);
      const keptOfType = this.keptOfType.get(rendered.type) ?? new Set();
      this.keptOfType.set(rendered.type, keptOfType.add(rendered));
      const ofType = this.byType.get(rendered.type);
      // A new key goes last in the template's order, unless it is an array index (listed first).
      if (ofType && !ARRAY_INDEX.test(logicalId))
        this.byType.set(rendered.type, [
          ...ofType,
          { logicalId, resource: rendered.json, stack: this.rendered },
        ]);
      else this.byType.delete(rendered.type);
    }
  }

  private drop(resource: CfnResource, rendered: RenderedResource): void {
    this.resources.delete(resource);
    this.byLogicalId.delete(rendered.logicalId);
    delete this.resourcesJson[rendered.logicalId];
    this.changedBesideFixes.delete(rendered);
    this.keptOfType.get(rendered.type)?.delete(rendered);
    this.byType.delete(rendered.type);
  }

  private walk(): void {
    this.constructsNow = constructsOf(this.stack);
    this.numberInOrder();
    this.lookedOverAt = markAfterLooking([this.stack, ...this.constructsNow]);
  }

  /**
   * Puts the constructs added to the tree since the last look (in the order they were added) that
   * belong to the stack where a walk would find them: each was its scope's last child when added,
   * so it goes after everything under its scope. Returns the constructs taken in; undefined when
   * that cannot be done exactly (a child whose id is an array index, which the tree lists before the
   * others): the stack must be walked.
   */
  private tookIn(added: readonly IConstruct[]): IConstruct[] | undefined {
    if (!allLogged(added)) return undefined;
    const { Stack: StackClass, Stage } = cdk;
    const takenIn: IConstruct[] = [];
    for (const construct of added) {
      const scope = construct.node.scope;
      const ours = scope === this.stack || (scope !== undefined && this.placeOf.has(scope));
      if (!ours || StackClass.isStack(construct) || Stage.isStage(construct)) continue;
      if (ARRAY_INDEX.test(construct.node.id) || this.placeOf.has(construct)) return undefined;
      const at = this.endOfSubtree(scope);
      this.constructsNow.splice(at, 0, construct);
      this.placeAt(at);
      takenIn.push(construct);
    }
    this.lookedOverAt = markAfterLooking([this.stack]);
    return this.lookedOverAt && takenIn;
  }

  /** Places the kept constructs 1, 2, 3... times `PLACE_SPACING`, in order. */
  private numberInOrder(): void {
    this.placeOf.clear();
    this.constructsNow.forEach((construct, i) => this.placeOf.set(construct, (i + 1) * PLACE_SPACING));
  }

  /** Places the construct just put at `index` between its neighbours; numbers them all again when there is no room. */
  private placeAt(index: number): void {
    const kept = this.constructsNow;
    const before = index > 0 ? this.place(kept[index - 1]) : 0;
    const after = index + 1 < kept.length ? this.place(kept[index + 1]) : before + 2 * PLACE_SPACING;
    const place = (before + after) / 2;
    if (place > before && place < after) this.placeOf.set(kept[index], place);
    else this.numberInOrder();
  }

  /** The index in the kept list just after `scope` and everything under it. */
  private endOfSubtree(scope: IConstruct): number {
    if (scope === this.stack) return this.constructsNow.length;
    let end = this.firstAfter(this.constructsNow, this.place(scope));
    while (end < this.constructsNow.length && isUnder(this.constructsNow[end], scope)) end++;
    return end;
  }

  private logicalIdOf(resource: CfnResource): string | undefined {
    try {
      return this.stack.resolve(resource.logicalId) as string;
    } catch {
      return undefined;
    }
  }
}

/** What a fix says it may change beside its resource, as its rule's `meta.fix` says it. */
export type FixReach = Pick<
  RuleModule['meta']['fix'],
  'onlyItsOwnProperties' | 'changesBeside' | 'leavesItsOwnResource'
>;

/** A selection from the stack's constructs (see `RenderedStack.selected`). */
interface Selection {
  readonly select: (construct: IConstruct) => unknown;
  /** What `select` answered for each construct it was asked about. */
  readonly answers: WeakMap<IConstruct, unknown>;
  /** The constructs it selects, in order; undefined when the list must be made again (after a walk). */
  members: IConstruct[] | undefined;
  /** Their answers. */
  list: unknown[];
}

function answerOf(selection: Selection, construct: IConstruct): unknown {
  if (!selection.answers.has(construct)) selection.answers.set(construct, selection.select(construct));
  return selection.answers.get(construct);
}

/** The gap between the places of constructs numbered in order: room for 50 or so halvings. */
const PLACE_SPACING = 2 ** 20;

/** Ids that may be array indices, which `Object.values` of a construct's children lists first. */
const ARRAY_INDEX = /^[0-9]+$/;

function isUnder(construct: IConstruct, scope: IConstruct): boolean {
  for (let up = construct.node.scope; up !== undefined; up = up.node.scope) if (up === scope) return true;
  return false;
}

const renderedStacks = new WeakMap<Stack, RenderedStack>();

/** The stack's kept rendering, looked over again when `resource` is new to it (constructs added while Aspects run). */
export function renderedStackOf(stack: Stack, resource?: CfnResource): RenderedStack {
  let rendered = renderedStacks.get(stack);
  if (!rendered) {
    rendered = new RenderedStack(stack);
    renderedStacks.set(stack, rendered);
  } else if (resource && !rendered.has(resource)) rendered.refresh();
  return rendered;
}

/** Starts the stack's kept rendering afresh: a new pass of the remediations over it. */
export function forgetRenderedStack(stack: Stack): void {
  renderedStacks.delete(stack);
}
