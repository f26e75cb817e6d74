import { describe, TemplateResolver } from '../engine/resolve';
import { compliant, nonCompliant, ResourceUnderCheck, unverifiable, Verdict } from './rule';

/**
 * Shared judgement for a property that must be a boolean `true`. CloudFormation also accepts the
 * strings 'true'/'false'; a parameter or other deploy-time value cannot be verified.
 */
export function requireTrue(
  resource: ResourceUnderCheck,
  property: string,
  resolver: TemplateResolver,
): Verdict {
  const resolved = resolver.resolve(resource.properties[property], resource.stack);
  switch (resolved.kind) {
    case 'absent':
      return nonCompliant(property, `${property} is not set (it defaults to false)`);
    case 'literal':
      return resolved.value === true || resolved.value === 'true'
        ? compliant
        : nonCompliant(property, `${property} is ${JSON.stringify(resolved.value)}`);
    case 'unknown':
      return unverifiable(
        property,
        `${property} comes from ${resolved.description}, which is only known at deploy time`,
      );
    default:
      return nonCompliant(property, `${property} is ${describe(resource.properties[property])}, not true`);
  }
}
