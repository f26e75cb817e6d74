import {
  conditionNamesIn,
  MAX_EXPANDED_CONDITIONS,
  propertyVariants,
  selectBranches,
} from '../../src/engine/intrinsics';

describe('propertyVariants', () => {
  it('returns the properties unchanged when they hold no Fn::If', () => {
    const properties = { A: 1, B: { Ref: 'X' } };
    expect(propertyVariants(properties)).toEqual([{ assumptions: [], properties }]);
    expect(propertyVariants(properties, 'IsProd')).toEqual([{ assumptions: [['IsProd', true]], properties }]);
  });

  it('removes AWS::NoValue even where no Fn::If is', () => {
    expect(propertyVariants({ A: { Ref: 'AWS::NoValue' }, B: [{ Ref: 'AWS::NoValue' }, 1] })).toEqual([
      { assumptions: [], properties: { B: [1] } },
    ]);
  });

  it('reads properties that are not an object as none', () => {
    expect(propertyVariants('odd' as unknown as Record<string, unknown>)).toEqual([
      { assumptions: [], properties: {} },
    ]);
  });

  it('takes the same branch for the same condition everywhere in one variant', () => {
    const properties = { A: { 'Fn::If': ['C', 1, 2] }, B: [{ 'Fn::If': ['C', 'x', 'y'] }] };
    expect(propertyVariants(properties)).toEqual([
      { assumptions: [['C', true]], properties: { A: 1, B: ['x'] } },
      { assumptions: [['C', false]], properties: { A: 2, B: ['y'] } },
    ]);
  });

  it('combines distinct conditions and removes AWS::NoValue branches', () => {
    const properties = {
      A: { 'Fn::If': ['C1', 1, { Ref: 'AWS::NoValue' }] },
      B: [{ 'Fn::If': ['C2', { Ref: 'AWS::NoValue' }, 'y'] }],
    };
    expect(propertyVariants(properties).map((v) => v.properties)).toEqual([
      { A: 1, B: [] },
      { B: [] },
      { A: 1, B: ['y'] },
      { B: ['y'] },
    ]);
  });

  it('expands nested Fn::If inside a branch', () => {
    const properties = { A: { 'Fn::If': ['Outer', { 'Fn::If': ['Inner', 'a', 'b'] }, 'c'] } };
    expect(
      propertyVariants(properties)
        .map((v) => v.properties.A)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'c']);
  });

  it(`stops at ${MAX_EXPANDED_CONDITIONS} conditions and leaves the rest in place`, () => {
    const properties = Object.fromEntries(
      Array.from({ length: MAX_EXPANDED_CONDITIONS + 1 }, (_, i) => [
        `P${i}`,
        { 'Fn::If': [`C${i}`, true, false] },
      ]),
    );
    const variants = propertyVariants(properties);
    expect(variants).toHaveLength(2 ** MAX_EXPANDED_CONDITIONS);
    expect(variants[0].properties[`P${MAX_EXPANDED_CONDITIONS}`]).toEqual({
      'Fn::If': [`C${MAX_EXPANDED_CONDITIONS}`, true, false],
    });
  });

  it('never throws on malformed Fn::If', () => {
    for (const odd of [
      { 'Fn::If': 'C' },
      { 'Fn::If': [1, 2, 3] },
      { 'Fn::If': ['C', 1] },
      { 'Fn::If': null },
    ]) {
      expect(() => propertyVariants({ A: odd })).not.toThrow();
    }
    expect(conditionNamesIn({ A: { 'Fn::If': [1, 2, 3] } }).size).toBe(0);
    expect(selectBranches({ 'Fn::If': ['C', 1] }, new Map([['C', true]]))).toEqual({ 'Fn::If': ['C', 1] });
  });
});

describe('a Fn::If beyond the expanded conditions', () => {
  it('keeps both branches, AWS::NoValue included', () => {
    const fnIf = { 'Fn::If': ['C7', { Ref: 'AWS::NoValue' }, { Status: 'Enabled' }] };
    expect(selectBranches({ Versioning: fnIf }, new Map())).toEqual({ Versioning: fnIf });
  });
});

describe('selectBranches shares what it leaves as it was', () => {
  const assignment = new Map([['C', true]]);

  it('returns the value itself when it holds no Fn::If and no AWS::NoValue', () => {
    const value = { A: 1, B: [{ Ref: 'X' }, 'y'], C: { D: { 'Fn::GetAtt': ['K', 'Arn'] } } };
    expect(selectBranches(value, assignment)).toBe(value);
  });

  it('copies only the way to a change, and never changes the value it was given', () => {
    const untouched = { Keep: ['a', 'b'] };
    const value = {
      Before: untouched,
      Chosen: { 'Fn::If': ['C', 'yes', 'no'] },
      Gone: { Ref: 'AWS::NoValue' },
      List: ['x', { Ref: 'AWS::NoValue' }, { 'Fn::If': ['Other', 1, 2] }],
    };
    const before = JSON.stringify(value);
    const selected = selectBranches(value, assignment) as Record<string, unknown>;
    expect(selected).toEqual({
      Before: untouched,
      Chosen: 'yes',
      List: ['x', { 'Fn::If': ['Other', 1, 2] }],
    });
    expect(Object.keys(selected)).toEqual(['Before', 'Chosen', 'List']);
    expect(selected.Before).toBe(untouched);
    expect((selected.List as unknown[])[1]).toBe(value.List[2]);
    expect(JSON.stringify(value)).toBe(before);
  });

  it('removes AWS::NoValue met first, before anything else changed', () => {
    const value = { Gone: { Ref: 'AWS::NoValue' }, Kept: 1 };
    expect(selectBranches(value, assignment)).toEqual({ Kept: 1 });
    expect(selectBranches([{ Ref: 'AWS::NoValue' }], assignment)).toEqual([]);
  });
});
