import type { aws_kms as kms, CfnResource, IResolvable, IResolveContext, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import { isDeepStrictEqual } from 'node:util';
import { isIntrinsic, isPlainObject } from '../engine/intrinsics';
import { describe } from '../engine/resolve';
import type { CfnResourceJson } from '../engine/template';
import { renderResource } from './rendered';
import type { RemediationContext } from './context';

/** What the parts of a key fix know before they change anything. */
export interface KeyFixScope<T extends CfnResource = CfnResource> {
  readonly resource: T;
  readonly stack: Stack;
  /** The key is the one given by `encryptionKeyArn`: it can be used, but its key policy cannot be changed. */
  readonly keyIsImported: boolean;
  /** The resource as its check judged it just before the fix (see `RemediationContext.judged`). */
  readonly judged?: CfnResourceJson;
  /** See `RemediationContext.describeAfterFix`. */
  readonly describeAfterFix: RemediationContext['describeAfterFix'];
}

/** One change of a fix, made once the key exists; says what it changed (nothing when it was there already). */
export type KeyStep = (key: kms.IKey) => readonly string[];

/**
 * The changes a part of a fix will make, or why the fix cannot be made (a string). Every part is
 * planned before anything changes, so that a fix that cannot be made leaves the resource as it was.
 */
export type KeyPlan = readonly KeyStep[] | string;

/** The steps of every plan, or the reason of the first that cannot be made. */
export function allOf(plans: Iterable<KeyPlan>): KeyPlan {
  const steps: KeyStep[] = [];
  for (const plan of plans) {
    if (typeof plan === 'string') return plan;
    steps.push(...plan);
  }
  return steps;
}

/**
 * What an L1 property value becomes, from its current value (camelCase, as the L1 holds it or as an
 * L2's Lazy renders it) and the key's ARN. Specs compose like the structures they fix.
 */
export type Spec = (current: unknown, keyArn: string, path: string) => unknown;

/** A value a spec cannot merge into (a token where fields are expected); caught while planning. */
class CannotMerge extends Error {}

export const theKeyArn: Spec = (_current, keyArn) => keyArn;

export function fixed(value: unknown): Spec {
  return () => value;
}

/**
 * Keeps the current value when it is one of `allowed` (compared as strings, as CloudFormation reads
 * them), else `otherwise`; `undefined` removes the property.
 */
export function keptIf(allowed: readonly unknown[], otherwise: unknown): Spec {
  return (current) =>
    current !== undefined && allowed.some((value) => String(value) === String(current)) ? current : otherwise;
}

/**
 * Merges into an object: the named fields take their specs and every other field is kept. With
 * `whole`, the specs set every field the structure has, so a token or intrinsic (an `Fn::If` the L2
 * renders) is replaced rather than merged into: nothing of the user's is lost.
 */
export function fields(specs: Readonly<Record<string, Spec>>, options: { whole?: boolean } = {}): Spec {
  return (current, keyArn, path) => {
    const object = objectToMerge(current, path, options.whole ?? false);
    const merged: Record<string, unknown> = { ...object };
    for (const [name, spec] of Object.entries(specs)) {
      const next = spec(object[name], keyArn, `${path}.${name}`);
      if (next === undefined) delete merged[name];
      else merged[name] = next;
    }
    return merged;
  };
}

/** Applies `spec` to every item of a list; an unset list gets one item. */
export function eachItem(spec: Spec): Spec {
  return (current, keyArn, path) => {
    if (current === undefined) return [spec(undefined, keyArn, `${path}[0]`)];
    if (!Array.isArray(current) || cdk.Token.isUnresolved(current)) {
      throw new CannotMerge(`${path} is ${describeValue(current)}, not a list the fix can merge into`);
    }
    return current.map((item, i) => spec(item, keyArn, `${path}[${i}]`));
  };
}

function objectToMerge(current: unknown, path: string, whole: boolean): Record<string, unknown> {
  if (current === undefined) return {};
  const inspectable = isPlainObject(current) && !cdk.Token.isUnresolved(current) && !isIntrinsic(current);
  if (inspectable) return current;
  if (whole && (cdk.Token.isUnresolved(current) || isIntrinsic(current))) return {};
  throw new CannotMerge(`${path} is ${describeValue(current)}, not an object the fix can merge into`);
}

function describeValue(value: unknown): string {
  return cdk.Token.isUnresolved(value)
    ? 'a token (an intrinsic or a value computed at synth)'
    : describe(value);
}

/**
 * A value merged at synth time into what an L2 renders lazily (CodePipeline's `artifactStore`,
 * TableV2's `replicas`): the L2 stays in charge of its part, and references to other stacks are
 * resolved in the right context, as they would be without the fix.
 */
class MergedIntoLazy implements IResolvable {
  public readonly creationStack: string[] = [];

  constructor(
    private readonly original: unknown,
    private readonly merge: (rendered: unknown) => unknown,
  ) {}

  public resolve(context: IResolveContext): unknown {
    return this.merge(context.resolve(this.original));
  }

  public toString(): string {
    return cdk.Token.asString(this);
  }
}

/** The L1 property setters, by the typed property names of `T` (`kmsMasterKeyId`). */
export type PropertySpecs<T> = Partial<Record<keyof T & string, Spec>>;

/**
 * Plans setting typed L1 properties by their specs. What changed is described by comparing the
 * resource as it renders before and after the fix: CloudFormation property paths, as findings name them.
 */
export function propertiesPlan<T extends CfnResource>(
  scope: KeyFixScope<T>,
  specs: PropertySpecs<T>,
): KeyPlan {
  const l1 = scope.resource as unknown as Record<string, unknown>;
  const setters: Array<(keyArn: string) => void> = [];
  for (const [name, spec] of Object.entries(specs) as Array<[string, Spec]>) {
    const setter = propertySetter(scope.stack, name, l1[name], spec);
    if (typeof setter === 'string') return setter;
    setters.push((keyArn) => {
      l1[name] = setter(keyArn);
    });
  }
  return [
    (key) => {
      // As judged: the plans change nothing, and this step is the first to change the resource.
      const before = scope.judged ? (scope.judged.Properties ?? {}) : renderedProperties(scope.resource);
      for (const set of setters) set(key.keyArn);
      const keyArn: unknown = scope.stack.resolve(key.keyArn);
      scope.describeAfterFix((after) => describeChanges(before, after?.Properties ?? {}, keyArn));
      return [];
    },
  ];
}

/** A placeholder for the key while planning: the specs are pure, so a dry run predicts the real one. */
const PLANNED_KEY_ARN = 'arn:aws:kms:planned';

function propertySetter(
  stack: Stack,
  name: string,
  current: unknown,
  spec: Spec,
): ((keyArn: string) => unknown) | string {
  // An L2 that renders a structure lazily: merge into what it renders, when it renders.
  let rendered: unknown;
  try {
    rendered = cdk.Token.isUnresolved(current) ? stack.resolve(current) : undefined;
  } catch (e) {
    return `${name} cannot be rendered while the Aspects run (${(e as Error).message})`;
  }
  const lazyStructure = (isPlainObject(rendered) && !isIntrinsic(rendered)) || Array.isArray(rendered);
  try {
    spec(lazyStructure ? rendered : current, PLANNED_KEY_ARN, name);
  } catch (e) {
    if (e instanceof CannotMerge) return `${e.message}: set it in code instead`;
    throw e;
  }
  return lazyStructure
    ? (keyArn) => new MergedIntoLazy(current, (now) => spec(now, keyArn, name))
    : (keyArn) => spec(current, keyArn, name);
}

/** The resource's properties as they render now (typed properties, Lazy values and overrides). */
function renderedProperties(resource: CfnResource): Record<string, unknown> {
  return renderResource(resource)?.json.Properties ?? {};
}

/** `set KmsMasterKeyId to the key`, `removed SqsManagedSseEnabled`: one per changed leaf. */
function describeChanges(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  keyArn: unknown,
): string[] {
  return [...changedLeaves(before, after, '')].map(([path, value]) => {
    if (value === undefined) return `removed ${path}`;
    if (isDeepStrictEqual(value, keyArn)) return `set ${path} to the customer-managed key`;
    return `set ${path} to ${typeof value === 'string' ? value : JSON.stringify(value)}`;
  });
}

function isStructure(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && !isIntrinsic(value);
}

function* changedLeaves(before: unknown, after: unknown, path: string): Generator<[string, unknown]> {
  if (isDeepStrictEqual(before, after)) return;
  const at = (key: string | number) =>
    typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  // A structure that replaces a scalar or an intrinsic (an L2's Fn::If) is described leaf by leaf.
  if (isStructure(after)) {
    const prior = isStructure(before) ? before : {};
    const keys = new Set([...Object.keys(prior), ...Object.keys(after)]);
    for (const key of keys) yield* changedLeaves(prior[key], after[key], at(key));
  } else if (Array.isArray(after)) {
    const prior: unknown[] = Array.isArray(before) ? before : [];
    const length = Math.max(prior.length, after.length);
    for (let i = 0; i < length; i++) yield* changedLeaves(prior[i], after[i], at(i));
  } else {
    yield [path, after];
  }
}
