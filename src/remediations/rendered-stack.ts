import type { CfnResource, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { cdk } from '../rules/cdk';
import { STRICTEST_RATING } from '../catalogue/rating';
import { isPlainObject } from '../engine/intrinsics';
import { CfnResourceJson, StackTemplate } from '../engine/template';
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
  private readonly inStack = new Set<IConstruct>();
  /** Where the stack was last looked over in its tree's log; undefined when it must be walked again. */
  private lookedOverAt: TreeMark | undefined;
  /** The template the checks read: one object, kept up to date by `refresh`. */
  private readonly resourcesJson: Record<string, CfnResourceJson> = {};
  private readonly rendered: StackTemplate;
  private readonly memos = new Map<string, WeakMap<IConstruct, unknown>>();
  /** What `fromConstructs` computed from the constructs as last looked over, by name. */
  private readonly fromConstructsNow = new Map<string, unknown>();

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
   * `compute(constructs)` once per look over the stack, under `name`: what fixes select from the
   * stack's constructs (its IAM policies, its resource policies), found again only when a construct
   * was added or removed.
   */
  public fromConstructs<T>(name: string, compute: (constructs: readonly IConstruct[]) => T): T {
    if (!this.fromConstructsNow.has(name)) this.fromConstructsNow.set(name, compute(this.constructsNow));
    return this.fromConstructsNow.get(name) as T;
  }

  /** The stack's resource with this logical id, as last looked over. */
  public resourceNamed(logicalId: string): CfnResource | undefined {
    return this.byLogicalId.get(logicalId);
  }

  /**
   * `compute(construct)` once per construct for this pass of the fixes, under `name`: for what the
   * fixes never change (which resources a role's policies name: fixes only add statements on keys).
   */
  public remembered<T>(name: string, construct: IConstruct, compute: () => T): T {
    let memo = this.memos.get(name);
    if (!memo) {
      memo = new WeakMap();
      this.memos.set(name, memo);
    }
    if (!memo.has(construct)) memo.set(construct, compute());
    return memo.get(construct) as T;
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

  /** The resource as the checks read it (rendered when first read), if it was in the stack when last looked over. */
  public renderingOf(resource: CfnResource): CfnResourceJson | undefined {
    return this.resources.get(resource)?.json;
  }

  /** Keeps the rendering of the resource being judged, made just now. */
  public renderedAs(resource: CfnResource, json: CfnResourceJson): void {
    this.resources.get(resource)?.renderedAs(json);
  }

  /** After a fix of `fixed`: what it may have changed is read again, what it may have added is found. */
  public afterFix(fixed: CfnResource, onlyItsOwnProperties: boolean): void {
    if (onlyItsOwnProperties) {
      this.resources.get(fixed)?.stale();
      return;
    }
    const logicalId = this.resources.get(fixed)?.logicalId;
    for (const [resource, rendered] of this.resources) {
      if (resource === fixed || rendered.mayChangeWith(logicalId)) rendered.stale();
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
    if (!added || !this.tookIn(added)) this.walk();
    this.fromConstructsNow.clear();
    const current = new Set(this.constructsNow.filter(cdk.CfnResource.isCfnResource));
    for (const [resource, rendered] of this.resources) {
      if (current.has(resource)) continue;
      this.resources.delete(resource);
      this.byLogicalId.delete(rendered.logicalId);
      delete this.resourcesJson[rendered.logicalId];
    }
    for (const resource of current) {
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
    }
  }

  private walk(): void {
    this.constructsNow = constructsOf(this.stack);
    this.inStack.clear();
    for (const construct of this.constructsNow) this.inStack.add(construct);
    this.lookedOverAt = markAfterLooking([this.stack, ...this.constructsNow]);
  }

  /**
   * Puts the constructs added to the tree since the last look (in the order they were added) that
   * belong to the stack where a walk would find them: each was its scope's last child when added,
   * so it goes after everything under its scope. False when that cannot be done exactly (a child
   * whose id is an array index, which the tree lists before the others): the stack must be walked.
   */
  private tookIn(added: readonly IConstruct[]): boolean {
    if (!allLogged(added)) return false;
    const { Stack: StackClass, Stage } = cdk;
    for (const construct of added) {
      const scope = construct.node.scope;
      const ours = scope === this.stack || (scope !== undefined && this.inStack.has(scope));
      if (!ours || StackClass.isStack(construct) || Stage.isStage(construct)) continue;
      if (ARRAY_INDEX.test(construct.node.id) || this.inStack.has(construct)) return false;
      this.constructsNow.splice(this.endOfSubtree(scope), 0, construct);
      this.inStack.add(construct);
    }
    this.lookedOverAt = markAfterLooking([this.stack]);
    return this.lookedOverAt !== undefined;
  }

  /** The index in the kept list just after `scope` and everything under it. */
  private endOfSubtree(scope: IConstruct): number {
    if (scope === this.stack) return this.constructsNow.length;
    let end = this.constructsNow.indexOf(scope) + 1;
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
