import { isPlainObject } from '../engine/intrinsics';
import { Resolved } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { Place } from './operators';
import { PathStep, renderPath } from './path';

/**
 * Whether a resource names another, for `referencedBy`: read as the library's rules read references.
 * A `Ref` or `Fn::GetAtt` of the resource (by logical id, in its own stack) names it; a literal names
 * it only where the type has a literal name (a bucket's BucketName) equal to it; a value known only
 * at deploy time (a parameter, an import, a computed string) may name it, which is never a pass.
 */

/** A CloudFormation resource type, as the catalogue writes one. */
export const RESOURCE_TYPE_PATTERN = /^[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+$/;

/** The property that holds a resource's name, for the types whose references may be written as that name. */
const NAME_PROPERTIES: Readonly<Record<string, string>> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SecretsManager::Secret': 'Name',
};

/** The resource the references are looked for: its identity, and its properties in the variant judged. */
export interface ReferencedResource {
  readonly logicalId: string;
  readonly stackId: string;
  readonly type: string;
  readonly stack: StackTemplate;
  readonly properties: Record<string, unknown>;
}

export type Link =
  | { readonly kind: 'names' | 'other' }
  /** `reason`: why it may name the resource, in words. */
  | { readonly kind: 'maybe'; readonly reason: string };

/** Whether the value(s) at `steps` of `properties` name `target` (any one of them does, for a list). */
export function linkTo(
  properties: Record<string, unknown>,
  steps: readonly PathStep[],
  place: Place,
  target: ReferencedResource,
): Link {
  const links = valuesAt(properties, steps, place).map((found) =>
    'undecided' in found ? maybe(found.at, found.undecided) : linkOf(found.at, found.resolved, target, place),
  );
  return (
    links.find((link) => link.kind === 'names') ??
    links.find((link) => link.kind === 'maybe') ?? { kind: 'other' }
  );
}

function maybe(at: string, source: string): Link {
  return { kind: 'maybe', reason: `${at} comes from ${source}, which is only known at deploy time` };
}

function linkOf(at: string, resolved: Resolved, target: ReferencedResource, place: Place): Link {
  if (resolved.kind === 'resource')
    return resolved.logicalId === target.logicalId && resolved.stack.stackId === target.stackId
      ? { kind: 'names' }
      : { kind: 'other' };
  if (resolved.kind === 'unknown') return maybe(at, resolved.description);
  if (resolved.kind !== 'literal') return { kind: 'other' };
  const nameProperty = NAME_PROPERTIES[target.type];
  if (nameProperty === undefined) return { kind: 'other' };
  const name = place.resolver.resolve(target.properties[nameProperty], target.stack);
  if (name.kind === 'literal') return name.value === resolved.value ? { kind: 'names' } : { kind: 'other' };
  if (name.kind === 'unknown')
    return {
      kind: 'maybe',
      reason: `${at} is ${JSON.stringify(resolved.value)} and this resource's ${nameProperty} comes from ${name.description}, which may be that name at deploy time`,
    };
  return { kind: 'other' };
}

type Found = { at: string; resolved: Resolved } | { at: string; undecided: string };

/**
 * The values at a path, `[*]` over every element (a single value where a list belongs is a list of
 * one); a value on the way known only at deploy time is undecided.
 */
function valuesAt(raw: unknown, steps: readonly PathStep[], place: Place, done: PathStep[] = []): Found[] {
  const resolved = place.resolver.resolve(raw, place.stack);
  const at = renderPath(done) || 'Properties';
  if (steps.length === 0) return [{ at, resolved }];
  if (resolved.kind === 'absent') return [];
  if (resolved.kind === 'unknown') return [{ at, undecided: resolved.description }];
  const [step, ...rest] = steps;
  const value = resolved.kind === 'structure' ? resolved.value : raw;
  if (step.kind === 'property') {
    if (!isPlainObject(value) || !Object.prototype.hasOwnProperty.call(value, step.name)) return [];
    return valuesAt(value[step.name], rest, place, [...done, step]);
  }
  const items = Array.isArray(value) ? value : [value];
  const indices = step.kind === 'element' ? [step.index] : items.map((_item, index) => index);
  return indices
    .filter((index) => index < items.length)
    .flatMap((index) => valuesAt(items[index], rest, place, [...done, { kind: 'element', index }]));
}
