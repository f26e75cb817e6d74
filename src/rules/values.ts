import { describe, TemplateResolver } from '../engine/resolve';
import { compliant, nonCompliant, ResourceUnderCheck, unverifiable, Verdict } from './rule';

/** `<subject> comes from parameter P, which is only known at deploy time`: the finding for a value nobody can check at synth. */
export function knownAtDeployTime(property: string, source: string, subject = property): Verdict {
  return unverifiable(property, `${subject} comes from ${source}, which is only known at deploy time`);
}

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
      return knownAtDeployTime(property, resolved.description);
    default:
      return nonCompliant(property, `${property} is ${describe(resource.properties[property])}, not true`);
  }
}

type Faulty = Extract<Verdict, { reason: string; property: string }>;

/**
 * Combines the verdicts on the parts of one property: non-compliant parts outrank deploy-time ones,
 * and several parts at fault are reported together under the `parent` property.
 */
export function allOf(parent: string, pieces: readonly Verdict[]): Verdict {
  for (const status of ['non-compliant', 'unverifiable'] as const) {
    const found = pieces.filter((piece): piece is Faulty => piece.status === status);
    if (found.length === 1) return found[0];
    if (found.length > 1) {
      const reason = found.map((piece) => piece.reason).join('; ');
      return status === 'non-compliant' ? nonCompliant(parent, reason) : unverifiable(parent, reason);
    }
  }
  return compliant;
}
