import { compileConstructPathGlob, ConstructPathGlobError, globProblem } from '../../src/waivers/glob';

const HANDLER = 'Custom::S3AutoDeleteObjectsCustomResourceProvider';

describe('compileConstructPathGlob(...).covers', () => {
  it.each<[string, string, boolean]>([
    // Literal globs: the construct itself and everything under it, nothing beside it.
    ['Stack/Bucket', 'Stack/Bucket', true],
    ['Stack/Bucket', 'Stack/Bucket/Resource', true],
    ['Stack/Bucket', 'Stack/Bucket/Policy/Resource', true],
    ['Stack/Bucket', 'Stack/Bucket2', false],
    ['Stack/Bucket', 'Stack/Bucket2/Resource', false],
    ['Stack/Bucket', 'Stack', false],
    ['Stack/Bucket', 'Other/Bucket', false],
    ['Stack/Bucket', 'Stack/bucket', false],
    ['Stack/Bucket', 'stack/Bucket', false],
    ['Stack/Bucket', 'X/Stack/Bucket', false],
    ['Stack', 'Stack/Anything/Below', true],
    ['Stack', 'Stack2/Anything', false],
    // `*`: any text within one segment, never a `/`.
    ['Stack/Bucket*', 'Stack/Bucket', true],
    ['Stack/Bucket*', 'Stack/Bucket2', true],
    ['Stack/Bucket*', 'Stack/Bucket2/Resource', true],
    ['Stack/Bucket*', 'Stack/Logs', false],
    ['Stack/*/Resource', 'Stack/Bucket/Resource', true],
    ['Stack/*/Resource', 'Stack/Bucket/Resource/Child', true],
    ['Stack/*/Resource', 'Stack/A/B/Resource', false],
    ['Stack/*/Resource', 'Stack/Bucket', false],
    ['Stack/*', 'Stack', false],
    ['Stack/*', 'Stack/Anything', true],
    ['Stack/A*B', 'Stack/AB', true],
    ['Stack/A*B', 'Stack/AxxB', true],
    ['Stack/A*B', 'Stack/Ax/xB', false],
    // `?`: exactly one character that is not `/`.
    ['Stack/Bucket?', 'Stack/Bucket2', true],
    ['Stack/Bucket?', 'Stack/Bucket', false],
    ['Stack/Bucket?', 'Stack/Bucket22', false],
    ['Stack/A?B', 'Stack/A/B', false],
    ['Stack/A?B', 'Stack/AéB', true],
    // `**` at the end, in the middle, twice: zero or more whole segments.
    ['Stack/**', 'Stack', true],
    ['Stack/**', 'Stack/A/B/C', true],
    ['Stack/**', 'StackX/A', false],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/AppStack/${HANDLER}`, true],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/AppStack/${HANDLER}/Handler`, true],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/AppStack/Nested/Deep/${HANDLER}/Role`, true],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/AppStack/X${HANDLER}`, false],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/AppStack/${HANDLER}X`, false],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Prod/OtherStack/${HANDLER}`, false],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, `Pipeline/Test/AppStack/${HANDLER}`, false],
    ['Stack/**/A/**/B', 'Stack/A/B', true],
    ['Stack/**/A/**/B', 'Stack/x/A/y/z/B/Resource', true],
    ['Stack/**/A/**/B', 'Stack/x/B/y/A', false],
    ['Stack/**/**/B', 'Stack/B', true],
    ['Stack/**/B*', 'Stack/x/Bucket', true],
    // Every other character is itself: regex, glob and path syntax mean nothing.
    ['Stack/a.b', 'Stack/a.b', true],
    ['Stack/a.b', 'Stack/axb', false],
    ['Stack/a+b', 'Stack/a+b', true],
    ['Stack/a+b', 'Stack/aab', false],
    ['Stack/f(x)', 'Stack/f(x)', true],
    ['Stack/f(x)', 'Stack/fx', false],
    ['Stack/$cost^', 'Stack/$cost^', true],
    ['Stack/[ab]', 'Stack/[ab]', true],
    ['Stack/[ab]', 'Stack/a', false],
    ['Stack/{a,b}', 'Stack/{a,b}', true],
    ['Stack/{a,b}', 'Stack/a', false],
    ['Stack/!(x)', 'Stack/!(x)', true],
    ['Stack/!(x)', 'Stack/y', false],
    ['Stack/a\\*b', 'Stack/a\\xb', true],
    ['Stack/a\\*b', 'Stack/a*b', false],
    ['Stack/a|b', 'Stack/a', false],
    ['Stack/a|b', 'Stack/a|b', true],
    ['Stack/Queue (dlq)', 'Stack/Queue (dlq)/Resource', true],
    ['Stack/Custom::X', 'Stack/Custom::X', true],
    ['Stack/line', 'Stack/line\nbreak', false],
    ['Stack/*', 'Stack/line\nbreak', true],
  ])('%s covers %j: %s', (glob, constructPath, expected) => {
    expect(compileConstructPathGlob(glob).covers(constructPath)).toBe(expected);
  });

  it('matches a 10,000-character path without backtracking', () => {
    const glob = compileConstructPathGlob('Stack/**/*a*a*a*a*a*a*a*a*b/**/*?*?*?*c');
    const long = `Stack/${'a/'.repeat(2500)}${'a'.repeat(5000)}`;
    expect(long.length).toBeGreaterThan(10_000);
    expect(glob.covers(long)).toBe(false);
    expect(glob.covers(`${long}b/xyzc`)).toBe(true);
  });
});

describe('compileConstructPathGlob', () => {
  it.each<[string, readonly string[]]>([
    ['Stack', ['Stack']],
    ['Pipeline/Prod/AppStack/Bucket', ['Pipeline', 'Prod', 'AppStack', 'Bucket']],
    [`Pipeline/Prod/AppStack/**/${HANDLER}`, ['Pipeline', 'Prod', 'AppStack']],
    ['Stack/Bucket*/Resource', ['Stack']],
    ['Stack/Bucket?', ['Stack']],
  ])('gives %s the literal segments %j', (glob, literalSegments) => {
    expect(compileConstructPathGlob(glob)).toMatchObject({ source: glob, literalSegments });
  });

  it('throws a ConstructPathGlobError for a refused glob', () => {
    expect(() => compileConstructPathGlob('*/Bucket')).toThrow(ConstructPathGlobError);
    expect(() => compileConstructPathGlob('')).toThrow("invalid construct-path glob '': it is empty");
  });
});

describe('globProblem', () => {
  it.each<[string, string | undefined]>([
    ['Stack', undefined],
    ['Stack/**', undefined],
    ['Stack/*/?', undefined],
    ['', 'it is empty'],
    [
      '/Stack/Bucket',
      "it starts with '/'; a construct path begins with the stack's path, without a leading '/'",
    ],
    ['Stack/Bucket/', "it ends with '/'"],
    ['Stack//Bucket', "it has an empty segment ('//')"],
    ['/', "it starts with '/'; a construct path begins with the stack's path, without a leading '/'"],
    ['*/Bucket', "its first segment '*' has a wildcard; a glob begins with a stack's path, written out"],
    ['**/Bucket', "its first segment '**' has a wildcard; a glob begins with a stack's path, written out"],
    [
      'Stack?/Bucket',
      "its first segment 'Stack?' has a wildcard; a glob begins with a stack's path, written out",
    ],
    ['Prod*', "its first segment 'Prod*' has a wildcard; a glob begins with a stack's path, written out"],
    [
      'Stack/a**b',
      "its segment 'a**b' mixes '**' with other text; '**' must be a whole segment ('*' is any text within one)",
    ],
    [
      'Stack/***',
      "its segment '***' mixes '**' with other text; '**' must be a whole segment ('*' is any text within one)",
    ],
    [
      'Stack/**Bucket/x',
      "its segment '**Bucket' mixes '**' with other text; '**' must be a whole segment ('*' is any text within one)",
    ],
  ])('%j: %s', (glob, expected) => {
    expect(globProblem(glob)).toBe(expected);
  });
});
