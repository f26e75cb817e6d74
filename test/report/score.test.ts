import { EvaluationStatus } from '../../src/engine/evaluate';
import { computeScore, EvaluationRecord, meetsBaseline } from '../../src/report';
import { engineReport, handReport, record } from './helpers';

/** `n` controls, each with one resource of the given status. */
function controls(prefix: string, n: number, status: EvaluationStatus): EvaluationRecord[] {
  return Array.from({ length: n }, (_, i) => record(`${prefix}.${i + 1}`, status));
}

describe('the per-control score, the Security Hub way', () => {
  test.each([
    // Security Hub's own examples: 10 enabled, 7 passed -> 70%; 12 enabled, 6 passed, 2 no data -> 60%.
    [
      '7 of 10 controls pass',
      [...controls('P', 7, 'compliant'), ...controls('F', 3, 'non-compliant')],
      70,
      10,
    ],
    [
      'controls with only not-applicable resources are left out',
      [
        ...controls('P', 6, 'compliant'),
        ...controls('F', 4, 'non-compliant'),
        ...controls('N', 2, 'not-applicable'),
      ],
      60,
      10,
    ],
    [
      'remediated counts as passed',
      [...controls('R', 3, 'remediated'), record('F.1', 'non-compliant')],
      75,
      4,
    ],
    ['unverifiable counts against', [record('P.1', 'compliant'), record('U.1', 'unverifiable')], 50, 2],
  ])('%s', (_name, evaluations, percent, total) => {
    const score = computeScore(evaluations, 95);
    expect(score.overall.acceptedRisk.controls).toMatchObject({ percent, total });
    expect(score.overall.strict.controls).toMatchObject({ percent, total });
  });

  test('a control passes only when every one of its resources passes', () => {
    const score = computeScore(
      [
        record('A.1', 'compliant', { logicalId: 'K1' }),
        record('A.1', 'remediated', { logicalId: 'K2' }),
        record('B.1', 'compliant', { logicalId: 'K1' }),
        record('B.1', 'non-compliant', { logicalId: 'K2' }),
        record('C.1', 'compliant', { logicalId: 'K1' }),
        record('C.1', 'unverifiable', { logicalId: 'K2' }),
        record('D.1', 'unverifiable', { logicalId: 'K1' }),
        record('D.1', 'non-compliant', { logicalId: 'K2' }),
      ],
      95,
    );
    expect(score.overall.controls.map((c) => [c.controlId, c.acceptedRisk])).toEqual([
      ['A.1', 'passed'],
      ['B.1', 'failed'],
      ['C.1', 'unknown'],
      ['D.1', 'failed'],
    ]);
    expect(score.overall.acceptedRisk.controls).toEqual({
      passed: 1,
      failed: 2,
      unknown: 1,
      waived: 0,
      total: 4,
      percent: 25,
    });
    expect(score.overall.acceptedRisk.checks).toEqual({
      passed: 4,
      failed: 2,
      unknown: 2,
      waived: 0,
      total: 8,
      percent: 50,
    });
  });
});

describe('with accepted risk and strict', () => {
  test('an all-waived control is left out with accepted risk and fails when strict', () => {
    const score = computeScore(
      [record('P.1', 'compliant'), record('W.1', 'waived'), record('W.1', 'waived')],
      95,
    );
    expect(score.overall.controls.find((c) => c.controlId === 'W.1')).toMatchObject({
      acceptedRisk: 'no-data',
      strict: 'failed',
    });
    expect(score.overall.acceptedRisk.controls).toMatchObject({
      passed: 1,
      total: 1,
      waived: 1,
      percent: 100,
    });
    expect(score.overall.strict.controls).toMatchObject({
      passed: 1,
      failed: 1,
      total: 2,
      waived: 1,
      percent: 50,
    });
    expect(score.overall.acceptedRisk.checks).toMatchObject({ passed: 1, total: 1, waived: 2, percent: 100 });
    expect(score.overall.strict.checks).toMatchObject({ passed: 1, failed: 2, total: 3, percent: 33.33 });
  });

  test('a control with a waived resource passes with accepted risk on its other resources only', () => {
    const score = computeScore(
      [record('A.1', 'compliant'), record('A.1', 'waived', { logicalId: 'K2' })],
      95,
    );
    expect(score.overall.controls[0]).toMatchObject({ acceptedRisk: 'passed', strict: 'failed' });
  });

  test('a waived unverifiable finding fails when strict', () => {
    const score = computeScore(
      [record('A.1', 'unverifiable'), record('A.1', 'waived', { logicalId: 'K2' })],
      95,
    );
    expect(score.overall.controls[0]).toMatchObject({ acceptedRisk: 'unknown', strict: 'failed' });
  });

  test('waiving a finding raises the accepted-risk score and leaves the strict one where it was', () => {
    const before = [record('P.1', 'compliant'), record('F.1', 'non-compliant')];
    const after = [record('P.1', 'compliant'), record('F.1', 'waived')];
    const [scoreBefore, scoreAfter] = [computeScore(before, 95), computeScore(after, 95)];
    expect(scoreBefore.overall.acceptedRisk.controls.percent).toBe(50);
    expect(scoreAfter.overall.acceptedRisk.controls.percent).toBe(100);
    expect(scoreAfter.overall.strict.controls.percent).toBe(scoreBefore.overall.strict.controls.percent);
    expect(scoreAfter.overall.strict.checks.percent).toBe(scoreBefore.overall.strict.checks.percent);
  });

  test.each<[string, EvaluationStatus, number | null, number | null]>([
    ['all waived', 'waived', null, 0],
    ['all unverifiable', 'unverifiable', 0, 0],
    ['all not applicable', 'not-applicable', null, null],
  ])('%s', (_name, status, acceptedRisk, strict) => {
    const score = computeScore(controls('X', 3, status), 95);
    expect(score.overall.acceptedRisk.controls.percent).toBe(acceptedRisk);
    expect(score.overall.strict.controls.percent).toBe(strict);
    expect(score.overall.acceptedRisk.checks.percent).toBe(acceptedRisk);
    expect(score.overall.strict.checks.percent).toBe(strict);
  });
});

describe('per stack and overall', () => {
  const evaluations = [
    record('A.1', 'compliant', { stackId: 'Dev' }),
    record('A.1', 'non-compliant', { stackId: 'Prod' }),
    record('B.1', 'compliant', { stackId: 'Dev' }),
    record('B.1', 'compliant', { stackId: 'Prod' }),
  ];

  test('a control passes overall only when it passes in every stack', () => {
    const score = computeScore(evaluations, 95);
    expect(score.overall.acceptedRisk.controls).toMatchObject({ passed: 1, failed: 1, percent: 50 });
    expect(score.overall.acceptedRisk.checks).toMatchObject({ passed: 3, total: 4, percent: 75 });
    expect(score.stacks.map((s) => [s.stackId, s.acceptedRisk.controls.percent])).toEqual([
      ['Dev', 100],
      ['Prod', 50],
    ]);
  });
});

describe('the baseline', () => {
  test('applies to the overall per-control score with accepted risk', () => {
    const score = computeScore([record('P.1', 'compliant'), record('W.1', 'waived')], 95);
    expect(score.baseline).toEqual({
      minimumScore: 95,
      scope: 'overall',
      measure: 'controls',
      view: 'acceptedRisk',
      score: 100,
      met: true,
    });
  });

  test.each([
    ['19 of 20 meet 95%', 19, 20, true],
    ['94.95% does not meet 95%', 1899, 2000, false],
    // 94.995% rounds to 95.00 for display; the baseline compares the counts.
    ['94.995% does not meet 95% though it shows as 95.00%', 18999, 20000, false],
  ])('%s', (_name, passed, total, met) => {
    const evaluations = [
      ...controls('P', passed, 'compliant'),
      ...controls('F', total - passed, 'non-compliant'),
    ];
    expect(computeScore(evaluations, 95).baseline.met).toBe(met);
  });

  test('is met when no control has data (nothing applies)', () => {
    expect(computeScore([], 95).baseline).toMatchObject({ score: null, met: true });
  });

  test('meetsBaseline recomputes from the evaluations, whatever the report says', () => {
    const report = handReport([record('F.1', 'non-compliant')]);
    const tampered = {
      ...report,
      score: { ...report.score, baseline: { ...report.score.baseline, met: true } },
    };
    expect(meetsBaseline(tampered)).toBe(false);
    expect(meetsBaseline(handReport([record('P.1', 'compliant')]))).toBe(true);
  });

  test('on the real engine: one control, failed by NotRotating', () => {
    const report = engineReport();
    expect(report.score.overall.acceptedRisk.checks).toMatchObject({
      passed: 2,
      failed: 1,
      unknown: 1,
      waived: 1,
    });
    expect(report.score.overall.strict.checks).toMatchObject({ passed: 2, failed: 2, unknown: 1, total: 5 });
    expect(meetsBaseline(report)).toBe(false);
  });
});
