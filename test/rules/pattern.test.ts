import { spawnSync } from 'child_process';
import * as path from 'path';
import { loadCatalogue } from '../../src/catalogue/load';
import { RULES } from '../../src/rules';
import {
  compilePattern,
  matchesWildcard,
  matchesWithGaps,
  PatternError,
  patternProblem,
} from '../../src/rules/pattern';

const ROOT = path.join(__dirname, '..', '..');
const CODEARTIFACT = '^https://[a-z0-9-]+-[0-9]{12}\\.d\\.codeartifact\\.[a-z0-9-]+\\.amazonaws\\.com/';

/** Every `format: regex` param of the rules, with its default and its value in the shipped catalogue. */
function shippedPatterns(): string[] {
  const defaults = RULES.flatMap((rule) =>
    Object.entries((rule.meta.paramsSchema.properties ?? {}) as Record<string, Record<string, unknown>>)
      .filter(([, schema]) => schema.format === 'regex')
      .map(([name, schema]) => ({ name, value: schema.default as string })),
  );
  const configured = loadCatalogue().controls.flatMap((control) =>
    defaults.filter(({ name }) => name in control.params).map(({ name }) => control.params[name] as string),
  );
  return [...defaults.map(({ value }) => value), ...configured];
}

describe('compilePattern', () => {
  it('compiles every regex default of the rules and every pattern of the shipped catalogue', () => {
    const patterns = shippedPatterns();
    expect(patterns).toContain(CODEARTIFACT);
    expect(patterns.length).toBeGreaterThanOrEqual(4); // two regex params, each with a default and a value
    for (const source of patterns) expect(patternProblem(source)).toBeUndefined();
  });

  it.each<[string, string]>([
    ['(a)\\1', 'it uses a backreference `\\1`'],
    ['(?<n>a)\\k<n>', 'it uses a backreference `\\k`'],
    ['prod(?=uction)', 'it uses a lookahead `(?=`'],
    ['^(?!dev)', 'it uses a lookahead `(?!`'],
    ['(?<=pre)prod', 'it uses a lookbehind `(?<=`'],
    ['(?<!pre)prod', 'it uses a lookbehind `(?<!`'],
    ['\\u0070rod', 'RE2 has no \\u escape: write a code point as \\x{0041}'],
    ['^https://(internal', 'missing closing ): `^https://(internal`'],
    ['[a-', 'missing closing ]: `[a-`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
  ])('refuses %s: %s', (source, reason) => {
    expect(patternProblem(source)).toMatch(new RegExp(`^${reason.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}`));
    expect(() => compilePattern(source)).toThrow(PatternError);
  });

  it.each([
    '^(a+)+$',
    '\\d{12}',
    '(?i)prod',
    '(?P<env>prod)',
    '(?<env>prod)',
    '\\x{70}rod',
    '[[:alpha:]]+',
    '',
  ])('accepts %s (RE2 syntax)', (source) => expect(patternProblem(source)).toBeUndefined());

  describe('test: a search anywhere in the text, as RegExp.prototype.test does', () => {
    it.each<[string, string, boolean]>([
      [CODEARTIFACT, 'https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/npm/repo/', true],
      [CODEARTIFACT, 'https://registry.npmjs.org/', false],
      [CODEARTIFACT, 'http://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/', false],
      [
        CODEARTIFACT,
        'https://evil.com/?https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com/',
        false,
      ],
      [CODEARTIFACT, 'https://acme-123456789012.d.codeartifact.eu-west-1.amazonaws.com.evil.com/', false],
      ['prod', 'eu-prod-1', true],
      ['prod', 'Production', false],
      ['^prod$', 'prod\n', false],
      ['^prod$', 'prod', true],
      ['\\d{3}', 'ab123', true],
    ])('/%s/ on %j: %s, as RegExp says', (source, text, expected) => {
      expect(compilePattern(source).test(text)).toBe(expected);
      expect(new RegExp(source).test(text)).toBe(expected);
    });

    it('ignores case when asked, and only then', () => {
      expect(compilePattern('prod', { ignoreCase: true }).test('PRODUCTION')).toBe(true);
      expect(compilePattern('prod').test('PRODUCTION')).toBe(false);
      expect(compilePattern('(?i)prod').test('PRODUCTION')).toBe(true);
    });

    it('never throws on text that is not well-formed UTF-16', () => {
      expect(compilePattern('a').test('\ud800a')).toBe(true);
      expect(compilePattern('^b').test('\udc00')).toBe(false);
    });
  });

  describe('keepsMatchWhenExtended: whether text appended to a match can undo it', () => {
    it.each<[string, boolean]>([
      [CODEARTIFACT, true],
      ['^https://registry\\.internal/', true],
      ['prod', true],
      ['^https://registry\\.internal/$', false],
      ['^https://registry\\.internal/\\z', false],
      ['^https://registry\\.internal\\b', false],
      ['internal\\B', false],
      ['(?m)^https://x$', false],
      // Erring on false: an escaped dollar is read as if it were the assertion.
      ['^price\\$', false],
    ])('%s: %s', (source, keeps) => {
      expect(compilePattern(source).keepsMatchWhenExtended).toBe(keeps);
    });

    it('holds: a pattern said to keep its match still matches whatever is appended', () => {
      const prefixes = [
        'https://registry.internal/',
        'https://acme-123456789012.d.codeartifact.x.amazonaws.com/',
      ];
      const suffixes = ['', 'x', '\n', ' ', '/npm', '.evil.com', '\u2028', '$'];
      for (const source of [CODEARTIFACT, '^https://registry\\.internal/', '(?m)^https://', 'internal\\.']) {
        const pattern = compilePattern(source);
        expect(pattern.keepsMatchWhenExtended).toBe(true);
        for (const prefix of prefixes.filter((p) => pattern.test(p))) {
          for (const suffix of suffixes) expect(pattern.test(prefix + suffix)).toBe(true);
        }
      }
    });
  });

  it('matches the classic catastrophic patterns against 50,000 characters at once', () => {
    // [pattern, text repeated, times, then]: the texts are built in the child, too long for its command line.
    const cases: Array<[string, string, number, string]> = [
      ['^(a+)+$', 'a', 50_000, '!'],
      ['(x+x+)+y', 'x', 50_000, ''],
      ['^(a|aa)+$', 'a', 50_000, 'b'],
      ['^(\\w+\\s?)*$', 'word ', 10_000, '!'],
      ['(.*a){20}', 'a', 50_000, ''],
    ];
    // In a child process with a time limit: a backtracking matcher would block this process for good.
    const script = `const { compilePattern } = require('./src/rules/pattern');
      const results = ${JSON.stringify(cases)}.map(([source, unit, times, then]) =>
        compilePattern(source).test(unit.repeat(times) + then));
      process.stdout.write(JSON.stringify(results));`;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ error: child.error, signal: child.signal, stderr: child.stderr }).toEqual({
      error: undefined,
      signal: null,
      stderr: '',
    });
    expect(JSON.parse(child.stdout)).toEqual([false, false, false, false, true]);
  });
});

describe('matchesWildcard (IAM actions)', () => {
  it.each([
    ['s3:*', 's3:PutObject', true],
    ['S3:put*', 's3:PutObject', true],
    ['s3:Put?bject', 's3:PutObject', true],
    ['s3:Get*', 's3:PutObject', false],
    ['*', 'kms:Decrypt', true],
    ['s3:PutObject.', 's3:PutObjectX', false],
  ])('%s against %s is %s', (wildcard, text, expected) => {
    expect(matchesWildcard(wildcard, text)).toBe(expected);
  });

  it('answers at once on a wildcard that would make a backtracking engine hang', () => {
    expect(matchesWildcard(`${'*?'.repeat(30)}Z`, 'kms:GenerateDataKeyWithoutPlaintext'.repeat(20))).toBe(
      false,
    );
  });
});

describe('matchesWithGaps (names with deploy-time parts)', () => {
  it.each([
    [['logs-', ''], 'logs-123', true],
    [['logs-', '-eu'], 'logs-1-eu', true],
    [['logs-', '-eu'], 'data-1-eu', false],
    [['a.b'], 'aXb', false],
  ])('%j against %s is %s', (parts, text, expected) => {
    expect(matchesWithGaps(parts, text)).toBe(expected);
  });

  it('answers at once on many parts against a long name', () => {
    expect(matchesWithGaps(Array(40).fill('a'), `${'a'.repeat(60)}b`)).toBe(false);
  });
});
