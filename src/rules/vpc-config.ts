import { intrinsicName, isPlainObject } from '../engine/intrinsics';
import { describe, Resolved, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { compliant, nonCompliant, Verdict } from './rule';
import { allOf, knownAtDeployTime } from './values';

/**
 * How a resource type spells its VPC configuration: CodeBuild's `VpcConfig` names the VPC, its
 * `Subnets` and `SecurityGroupIds`; Lambda's has only `SubnetIds` and `SecurityGroupIds`.
 */
export interface VpcConfigShape {
  /** The property that holds the configuration: `VpcConfig`, `FleetVpcConfig`. */
  readonly property: string;
  /** Properties that must hold an id: `VpcId`. */
  readonly ids: readonly string[];
  /** Properties that must hold a list of at least one id: `SubnetIds`, `SecurityGroupIds`. */
  readonly lists: readonly string[];
}

/**
 * Judges a VPC configuration: every id present and every list holding at least one id. All the
 * pieces at fault are named at once; with one at fault, `property` is its path.
 *
 * Deploy-time values are judged by what they can deploy as:
 * - a single id (`VpcId`, or one item of a list) from a parameter, an import, another resource or
 *   a computed string counts as present: the services reject an empty id, so the resource deploys
 *   with a real id or not at all (a leftover `Fn::If` is the exception: it may remove the id);
 * - a whole list (or the whole configuration) from a parameter, an import or an attribute is
 *   unverifiable, whatever the parameter's type: an empty list deploys (it is how a Lambda
 *   function leaves its VPC), so its emptiness matters and is only known at deploy time.
 */
export function judgeVpcConfig(
  config: unknown,
  stack: StackTemplate,
  shape: VpcConfigShape,
  resolver: TemplateResolver,
): Verdict {
  const resolved = resolver.resolve(config, stack);
  const path = shape.property;
  if (resolved.kind === 'absent') return nonCompliant(path, `${path} is not set`);
  if (resolved.kind === 'unknown' || resolved.kind === 'resource') return comesFrom(path, resolved, config);
  if (!isPlainObject(config))
    return nonCompliant(path, `${path} is ${describe(config)}, not a VPC configuration`);
  return allOf(path, [
    ...shape.ids.map((id) => judgeId(config[id], `${path}.${id}`, stack, resolver)),
    ...shape.lists.map((list) => judgeList(config[list], `${path}.${list}`, stack, resolver)),
  ]);
}

/** Names where a deploy-time value is read from: `parameter Subnets`, `Fn::GetAtt Lookup.SubnetIds`. */
function comesFrom(path: string, resolved: Resolved, value: unknown): Verdict {
  const source = resolved.kind === 'unknown' ? resolved.description : describe(value);
  return knownAtDeployTime(path, source);
}

function judgeId(value: unknown, path: string, stack: StackTemplate, resolver: TemplateResolver): Verdict {
  const resolved = resolver.resolve(value, stack);
  switch (resolved.kind) {
    case 'absent':
      return nonCompliant(path, `${path} is not set`);
    case 'literal':
      return String(resolved.value) === '' ? nonCompliant(path, `${path} is empty`) : compliant;
    case 'structure':
      return nonCompliant(path, `${path} is ${describe(value)}, not an id`);
    case 'resource':
      return compliant;
    case 'unknown':
      // A leftover Fn::If (beyond the conditions the engine expands) may select AWS::NoValue.
      return intrinsicName(value) === 'Fn::If' ? comesFrom(path, resolved, value) : compliant;
  }
}

function judgeList(value: unknown, path: string, stack: StackTemplate, resolver: TemplateResolver): Verdict {
  const resolved = resolver.resolve(value, stack);
  if (resolved.kind === 'absent') return nonCompliant(path, `${path} is not set`);
  if (resolved.kind === 'unknown' || resolved.kind === 'resource') return comesFrom(path, resolved, value);
  if (!Array.isArray(value)) return nonCompliant(path, `${path} is ${describe(value)}, not a list`);
  if (value.length === 0) return nonCompliant(path, `${path} is empty`);
  const items = value.map((item, i) => judgeId(item, `${path}[${i}]`, stack, resolver));
  if (items.some((item) => item.status === 'compliant')) return compliant;
  const undecided = items.find((item) => item.status === 'unverifiable');
  return undecided ?? nonCompliant(path, `${path} holds no id: ${describe(value)}`);
}
