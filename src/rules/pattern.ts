import type * as Re2js from 're2js';

let re2jsLoaded: typeof Re2js | undefined;

/** re2js, loaded when the first pattern is compiled: requiring the package compiles none. */
function re2js(): typeof Re2js {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  return (re2jsLoaded ??= require('re2js') as typeof Re2js);
}

/**
 * Regular expressions from catalogue params, matched in time linear in the text (RE2 semantics through
 * re2js), so that no pattern, however written, can hang a synth on a long stage name or URL. The syntax
 * is RE2's: no backreferences and no lookaround; `\d`, `(?i)`, `(?P<name>…)` and `(?<name>…)` work; a
 * code point is written `\x{41}`, not `\u0041`.
 */
export interface Pattern {
  /** The pattern as written in the catalogue. */
  readonly source: string;
  /** Whether the pattern matches somewhere in `text`, like `RegExp.prototype.test`. */
  test(text: string): boolean;
  /**
   * False when the pattern can look past the end of its match (`$`, `\z`, `\b`, `\B`), so that text
   * appended to a string that matches may make it stop matching. Judged on the source, erring on false
   * (an escaped `\$` counts too).
   */
  readonly keepsMatchWhenExtended: boolean;
}

export interface PatternOptions {
  /** Match letters in either case (Unicode simple case folding), like the `i` flag. */
  readonly ignoreCase?: boolean;
}

/** Thrown by `compilePattern` for a pattern RE2 does not accept; `reason` says why in plain words. */
export class PatternError extends Error {
  constructor(
    public readonly source: string,
    public readonly reason: string,
  ) {
    super(`invalid regular expression '${source}': ${reason}`);
    this.name = 'PatternError';
  }
}

/** RE2's only assertions about text after the current position: end of text or line, word boundaries. */
const LOOKS_PAST_MATCH = /\$|\\[zbB]/;

/** JavaScript syntax that RE2 leaves out on purpose, recognised by the fragment RE2 complains about. */
const UNSUPPORTED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\\([1-9]|k)/, 'a backreference'],
  [/^\(\?[=!]/, 'a lookahead'],
  [/^\(\?<[=!]/, 'a lookbehind'],
];

function reasonFor(error: unknown): string {
  if (!(error instanceof re2js().RE2JSSyntaxException))
    return error instanceof Error ? error.message : String(error);
  const fragment = error.input ?? '';
  for (const [syntax, name] of UNSUPPORTED) {
    const used = syntax.exec(fragment)?.[0];
    if (used)
      return `it uses ${name} \`${used}\`, which the catalogue's linear-time matcher (RE2) does not support`;
  }
  if (fragment.startsWith('\\u')) return 'RE2 has no \\u escape: write a code point as \\x{0041}';
  return fragment ? `${error.error}: \`${fragment}\`` : error.error;
}

/** Compiled patterns by flags and source: rules ask for the same few patterns once per resource. */
const compiledPatterns = new Map<string, Pattern>();
const MAX_CACHED_PATTERNS = 1000;

/** Compiles a pattern for linear-time matching; throws a `PatternError` saying why RE2 refuses it. */
export function compilePattern(source: string, options: PatternOptions = {}): Pattern {
  const key = `${options.ignoreCase ? 'i' : ''}:${source}`;
  let pattern = compiledPatterns.get(key);
  if (!pattern) {
    if (compiledPatterns.size >= MAX_CACHED_PATTERNS) compiledPatterns.clear();
    pattern = compileUncached(source, options);
    compiledPatterns.set(key, pattern);
  }
  return pattern;
}

function compileUncached(source: string, options: PatternOptions): Pattern {
  const { RE2JS } = re2js();
  let compiled: Re2js.RE2JS;
  try {
    compiled = RE2JS.compile(source, options.ignoreCase ? RE2JS.CASE_INSENSITIVE : 0);
  } catch (e) {
    throw new PatternError(source, reasonFor(e));
  }
  return {
    source,
    test: (text) => compiled.test(text),
    keepsMatchWhenExtended: !LOOKS_PAST_MATCH.test(source),
  };
}

/** Why `compilePattern` would refuse the pattern, or undefined when it accepts it. */
export function patternProblem(source: string): string | undefined {
  try {
    compilePattern(source);
    return undefined;
  } catch (e) {
    if (e instanceof PatternError) return e.reason;
    throw e;
  }
}

/** `text` as a pattern that matches exactly it. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Whether `text` is the `parts` in order with any text (newlines included) between them: a name
 * rendered with deploy-time parts against a known name. Linear time, whatever the parts hold.
 */
export function matchesWithGaps(
  parts: readonly string[],
  text: string,
  options: PatternOptions = {},
): boolean {
  return compilePattern(`(?s)^${parts.map(literal).join('.*')}$`, options).test(text);
}

/**
 * IAM-style wildcard matching, case-insensitive as IAM action names are: `*` is any text, `?` one
 * character. Wildcards come from the app's own policies, so they are matched in linear time too.
 */
export function matchesWildcard(wildcard: string, text: string): boolean {
  const source = wildcard
    .split('*')
    .map((part) => part.split('?').map(literal).join('.'))
    .join('.*');
  return compilePattern(`(?s)^${source}$`, { ignoreCase: true }).test(text);
}
