import { Assumptions, conjoin, deploysWhenever } from '../../src/engine/evidence';

describe('deploysWhenever', () => {
  it.each<[string, Assumptions[], Assumptions]>([
    ['unconditional evidence, unconditional target', [[]], []],
    ['unconditional evidence, conditional target', [[]], [['Prod', true]]],
    ['evidence under the condition the target assumes', [[['Prod', true]]], [['Prod', true]]],
    ['evidence under a condition and under its opposite', [[['Central', true]], [['Central', false]]], []],
    [
      'one of several pieces of evidence deploys with the target',
      [
        [['Other', true]],
        [
          ['Prod', true],
          ['Central', false],
        ],
      ],
      [
        ['Prod', true],
        ['Central', false],
      ],
    ],
  ])('holds: %s', (_name, evidence, target) => {
    expect(deploysWhenever(evidence, target)).toEqual({ holds: true });
  });

  it.each<[string, Assumptions[], Assumptions, Assumptions]>([
    ['no evidence', [], [], []],
    ['evidence under a condition, unconditional target', [[['Central', true]]], [], [['Central', false]]],
    ['evidence under the other outcome the target assumes', [[['Prod', false]]], [['Prod', true]], []],
    [
      'evidence under a condition beyond the target, named with the target kept apart',
      [[['Central', true]]],
      [['Prod', true]],
      [['Central', false]],
    ],
    [
      'evidence under two conditions: only the outcome that matters is named',
      [
        [
          ['Prod', true],
          ['Central', true],
        ],
      ],
      [],
      [['Prod', false]],
    ],
    [
      'two pieces under different conditions: both must fail',
      [[['A', true]], [['B', true]]],
      [],
      [
        ['A', false],
        ['B', false],
      ],
    ],
  ])('fails: %s', (_name, evidence, target, when) => {
    expect(deploysWhenever(evidence, target)).toEqual({ holds: false, when });
  });

  it('with more conditions than it enumerates, counts only evidence the target implies', () => {
    const many: Assumptions = Array.from({ length: 12 }, (_, i) => [`C${i}`, true] as const);
    expect(deploysWhenever([many], many)).toEqual({ holds: true });
    expect(deploysWhenever([many], [])).toEqual({ holds: false, when: [['C0', false]] });
  });
});

describe('conjoin', () => {
  it('joins consistent conditions and rejects contradicting ones', () => {
    expect(conjoin([['A', true]], [['B', false]])).toEqual([
      ['A', true],
      ['B', false],
    ]);
    expect(conjoin([['A', true]], [['A', true]])).toEqual([['A', true]]);
    expect(conjoin([['A', true]], [['A', false]])).toBeUndefined();
  });
});
