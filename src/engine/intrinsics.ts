/**
 * Intrinsic functions as they appear in a rendered template: `{ Ref }`, `{ 'Fn::GetAtt' }`,
 * `{ 'Fn::If' }`... These helpers never throw: whatever the shape, they answer.
 */

export type IntrinsicObject = Record<string, unknown>;

/** True for `{ Ref: x }` and `{ 'Fn::X': ... }`, the only single-key objects CloudFormation evaluates. */
export function isIntrinsic(value: unknown): value is IntrinsicObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}

export function intrinsicName(value: unknown): string | undefined {
  return isIntrinsic(value) ? Object.keys(value)[0] : undefined;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `object[key]` whatever `object` is; `undefined` when it is not an object. */
export function prop(object: unknown, key: string): unknown {
  return isPlainObject(object) ? object[key] : undefined;
}

/** `{ Ref: AWS::NoValue }` removes the property or list item it stands for, wherever it stands. */
export const NO_VALUE = 'AWS::NoValue';

export function isNoValue(value: unknown): boolean {
  return isIntrinsic(value) && value.Ref === NO_VALUE;
}

/** The condition names of every `Fn::If` in a value, in the order they are first met. */
export function conditionNamesIn(value: unknown, into: Set<string> = new Set()): Set<string> {
  branchPointsIn(value, into);
  return into;
}

/**
 * Adds the condition names of the `Fn::If`s in `value` to `names`; true when it also holds an
 * `AWS::NoValue` (which selection removes even where no condition is assumed).
 */
function branchPointsIn(value: unknown, names: Set<string>): boolean {
  let noValue = false;
  if (Array.isArray(value)) {
    for (const item of value) noValue = branchPointsIn(item, names) || noValue;
  } else if (isPlainObject(value)) {
    if (isNoValue(value)) return true;
    const args = value['Fn::If'];
    if (isIntrinsic(value) && Array.isArray(args) && typeof args[0] === 'string') names.add(args[0]);
    for (const key in value) noValue = branchPointsIn(value[key], names) || noValue;
  }
  return noValue;
}

/**
 * Replaces every `Fn::If` whose condition is in `assignment` by the branch it selects; a branch of
 * `AWS::NoValue` removes the property or array item, as CloudFormation does. What it leaves as it
 * was is returned as it was, not copied (most resources have no `Fn::If`): rules only read it.
 */
export function selectBranches(value: unknown, assignment: ReadonlyMap<string, boolean>): unknown {
  if (Array.isArray(value)) {
    const items = value.map((item) => selectBranches(item, assignment)).filter((item) => !isNoValue(item));
    return items.length === value.length && items.every((item, i) => item === value[i]) ? value : items;
  }
  if (!isPlainObject(value)) return value;
  const args = value['Fn::If'];
  if (isIntrinsic(value) && Array.isArray(args) && args.length === 3) {
    if (assignment.has(args[0] as string)) {
      return selectBranches(assignment.get(args[0] as string) ? args[1] : args[2], assignment);
    }
    // A Fn::If left in place keeps both branches, AWS::NoValue included, as it will deploy.
    const [whenTrue, whenFalse] = [selectBranches(args[1], assignment), selectBranches(args[2], assignment)];
    return whenTrue === args[1] && whenFalse === args[2]
      ? value
      : { 'Fn::If': [args[0], whenTrue, whenFalse] };
  }
  const entries = Object.entries(value);
  let result: Record<string, unknown> | undefined;
  entries.forEach(([key, child], i) => {
    const selected = selectBranches(child, assignment);
    // At the first change, a copy of what came before it; nothing is copied when nothing changes.
    if (!result && (selected !== child || isNoValue(selected)))
      result = Object.fromEntries(entries.slice(0, i));
    if (result && !isNoValue(selected)) result[key] = selected;
  });
  return result ?? value;
}

/** One way the properties can deploy: the branches taken and the properties that result. */
export interface PropertyVariant {
  /** e.g. `[['IsProd', true]]`; empty when the resource has no `Condition` and its properties no `Fn::If`. */
  readonly assumptions: ReadonlyArray<readonly [string, boolean]>;
  readonly properties: Record<string, unknown>;
}

/**
 * Beyond this many distinct conditions the variants would explode (2^n); the remaining `Fn::If`
 * are left in place and rules report them as values that cannot be verified.
 */
export const MAX_EXPANDED_CONDITIONS = 6;

/**
 * Every combination of condition outcomes the properties can deploy with. The same condition
 * takes the same branch everywhere in one variant, as it does in CloudFormation; a resource's own
 * `Condition` holds whenever it deploys. `AWS::NoValue` is removed from every variant.
 */
export function propertyVariants(
  properties: Record<string, unknown>,
  resourceCondition?: unknown,
): readonly PropertyVariant[] {
  if (!isPlainObject(properties)) return makeVariants(properties, resourceCondition);
  let byCondition = variantsMade.get(properties);
  if (!byCondition) {
    byCondition = new Map();
    variantsMade.set(properties, byCondition);
  }
  let variants = byCondition.get(resourceCondition);
  if (!variants) {
    variants = makeVariants(properties, resourceCondition);
    byCondition.set(resourceCondition, variants);
  }
  return variants;
}

/**
 * The variants made of each properties object, by the resource's `Condition`: templates are only
 * read (a test holds the engine to that), so an object has the same variants however often a rule
 * asks (a bucket policy, for every bucket of its stack).
 */
const variantsMade = new WeakMap<object, Map<unknown, readonly PropertyVariant[]>>();

function makeVariants(
  properties: Record<string, unknown>,
  resourceCondition: unknown,
): readonly PropertyVariant[] {
  const given: Array<readonly [string, boolean]> =
    typeof resourceCondition === 'string' ? [[resourceCondition, true]] : [];
  const found = new Set<string>();
  const holdsNoValue = branchPointsIn(properties, found);
  // Most resources hold neither: one variant, the properties as they are.
  if (found.size === 0 && !holdsNoValue)
    return [{ assumptions: given, properties: isPlainObject(properties) ? properties : {} }];
  const names = [...found].filter((name) => name !== resourceCondition).slice(0, MAX_EXPANDED_CONDITIONS);
  const variants: PropertyVariant[] = [];
  for (let mask = 0; mask < 1 << names.length; mask++) {
    const assumptions = [...given, ...names.map((name, i) => [name, (mask & (1 << i)) === 0] as const)];
    const selected = selectBranches(properties, new Map(assumptions));
    variants.push({ assumptions, properties: isPlainObject(selected) ? selected : {} });
  }
  return variants;
}

export function describeAssumptions(assumptions: PropertyVariant['assumptions']): string {
  return assumptions.map(([name, outcome]) => `condition ${name} is ${outcome}`).join(' and ');
}
