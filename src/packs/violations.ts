import { PolicyViolation } from 'aws-cdk-lib';

/**
 * The violations a validation reports, in the shape cdk-nag's own packs give CDK: one violation per
 * rule and message, listing every construct it was found on. CDK's work is per violation as well as
 * per construct (it formats each one, with every construct's creation trace), so a finding per
 * violation made CDK's part of a 5,000-resource synth cost more than the checks themselves (see
 * README, "Speed"). Nothing is lost: a violation is only shared by findings whose every field CDK
 * prints is the same, and CDK still acknowledges each construct on its own.
 */
export class ReportedViolations {
  private readonly byShape = new Map<string, PolicyViolation>();

  public add(violation: PolicyViolation): void {
    const shape = shapeOf(violation);
    const same = this.byShape.get(shape);
    if (same) same.violatingResources.push(...violation.violatingResources);
    else this.byShape.set(shape, { ...violation, violatingResources: [...violation.violatingResources] });
  }

  /** Whether any violation fails synthesis (CDK fails it on `error` and `fatal`). */
  public get blocking(): boolean {
    return this.all.some((v) => v.severity === 'error' || v.severity === 'fatal');
  }

  /** The violations in the order their first finding was reported. */
  public get all(): PolicyViolation[] {
    return [...this.byShape.values()];
  }
}

/**
 * Everything of a violation but its constructs, each text prefixed by its length so that no two
 * different violations read alike (whatever characters a template puts into a message).
 */
function shapeOf(violation: PolicyViolation): string {
  const { ruleName, severity, description, fix, ruleMetadata = {} } = violation;
  const metadata = Object.keys(ruleMetadata).flatMap((key) => [key, ruleMetadata[key]]);
  return [ruleName, severity ?? '', description, fix ?? '', ...metadata]
    .map((text) => `${text.length}:${text}`)
    .join('');
}
