import { PolicyViolation } from 'aws-cdk-lib';
import { ReportedViolations } from '../../src/packs/violations';

const on = (constructPath: string) => ({ constructPath, resourceLogicalId: '', locations: ['Properties'] });

function violation(overrides: Partial<PolicyViolation>, constructPath = 'S/A'): PolicyViolation {
  return {
    ruleName: 'Corp-KMS.1',
    description: 'EnableKeyRotation is not set',
    fix: 'turn rotation on',
    severity: 'error',
    ruleMetadata: { control: 'KMS.1', status: 'non-compliant' },
    violatingResources: [on(constructPath)],
    ...overrides,
  };
}

const pathsOf = (reported: ReportedViolations) =>
  reported.all.map((v) => v.violatingResources.map((r) => r.constructPath));

describe('ReportedViolations', () => {
  it('lists the constructs of findings alike under one violation, in the order they came', () => {
    const reported = new ReportedViolations();
    reported.add(violation({}, 'S/A'));
    reported.add(violation({ ruleName: 'Corp-S3.1' }, 'S/B'));
    reported.add(violation({}, 'S/C'));
    expect(pathsOf(reported)).toEqual([['S/A', 'S/C'], ['S/B']]);
  });

  it.each<[string, Partial<PolicyViolation>, Partial<PolicyViolation>]>([
    ['the message', { description: 'a' }, { description: 'b' }],
    ['the severity', { severity: 'error' }, { severity: 'warning' }],
    ['the fix', { fix: 'x' }, { fix: 'y' }],
    ['the metadata', { ruleMetadata: { status: 'waived' } }, { ruleMetadata: { status: 'non-compliant' } }],
    [
      'a text split differently between two fields',
      { description: 'a:b', fix: 'c' },
      { description: 'a', fix: 'b:c' },
    ],
    [
      'a metadata key and value split differently',
      { ruleMetadata: { a: 'b=c' } },
      { ruleMetadata: { 'a=b': 'c' } },
    ],
  ])('keeps findings apart that differ in %s', (_name, first, second) => {
    const reported = new ReportedViolations();
    reported.add(violation(first, 'S/A'));
    reported.add(violation(second, 'S/B'));
    expect(pathsOf(reported)).toEqual([['S/A'], ['S/B']]);
  });

  it('never changes the violation it was given', () => {
    const given = violation({});
    const reported = new ReportedViolations();
    reported.add(given);
    reported.add(violation({}, 'S/B'));
    expect(given.violatingResources).toEqual([on('S/A')]);
  });

  it.each([
    [['warning', 'info'], false],
    [['warning', 'error'], true],
    [['fatal'], true],
  ])('blocks synthesis when a severity of %j fails it: %s', (severities, blocking) => {
    const reported = new ReportedViolations();
    for (const severity of severities) reported.add(violation({ severity }));
    expect(reported.blocking).toBe(blocking);
  });
});
