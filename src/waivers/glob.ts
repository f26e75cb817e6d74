import { compilePattern, literal } from '../rules/pattern';

/**
 * Construct-path globs, as the central waivers file names constructs, e.g. `Pipeline/Prod/AppStack/**`.
 * No CDK import here: the loader checks globs, the pack matches them.
 *
 * - `*` is any text within one path segment (never a `/`);
 * - `?` is one character that is not `/`;
 * - a segment that is exactly `**` is zero or more whole segments;
 * - every other character is itself. There are no braces, character classes or escapes: construct ids
 *   hold `{`, `[`, `!`, `\` and more, and each of them means only itself. Matching is case-sensitive.
 *
 * A glob begins with a segment without wildcards (a stack's path), so that it names constructs of
 * known stacks only. Globs are matched with RE2 (`compilePattern`), in time linear in the path. Not
 * picomatch or minimatch: they compile to backtracking JavaScript RegExps, and they give meaning to
 * braces, brackets, `!` and extglobs, which construct ids contain as plain characters.
 */

const SEPARATOR = '/';
const GLOBSTAR = '**';
const WILDCARD = /[*?]/;

/** Any text within a segment, one character of it, and zero or more whole segments after a segment. */
const ANY_TEXT = '[^/]*';
const ONE_CHARACTER = '[^/]';
const ANY_SEGMENTS = '(?:/[^/]+)*';

/** A compiled construct-path glob. */
export interface ConstructPathGlob {
  /** The glob as written. */
  readonly source: string;
  /** The leading segments before the first one with a wildcard: the path of a stack, or of a construct in it. */
  readonly literalSegments: readonly string[];
  /**
   * Whether the glob matches `constructPath` or the path of one of its ancestors: a waiver on a
   * construct covers everything under it. `Stack/Bucket` covers `Stack/Bucket/Resource`, not `Stack/Bucket2`.
   */
  covers(constructPath: string): boolean;
}

/** Why the glob is refused, in words, or undefined when it is a valid construct-path glob. */
export function globProblem(glob: string): string | undefined {
  if (glob === '') return 'it is empty';
  if (glob.startsWith(SEPARATOR))
    return "it starts with '/'; a construct path begins with the stack's path, without a leading '/'";
  if (glob.endsWith(SEPARATOR)) return "it ends with '/'";
  const segments = glob.split(SEPARATOR);
  if (segments.includes('')) return "it has an empty segment ('//')";
  if (WILDCARD.test(segments[0]))
    return `its first segment '${segments[0]}' has a wildcard; a glob begins with a stack's path, written out`;
  const mixed = segments.find((segment) => segment.includes(GLOBSTAR) && segment !== GLOBSTAR);
  if (mixed !== undefined)
    return `its segment '${mixed}' mixes '**' with other text; '**' must be a whole segment ('*' is any text within one)`;
  return undefined;
}

/** Thrown by `compileConstructPathGlob` for a glob `globProblem` refuses. */
export class ConstructPathGlobError extends Error {
  constructor(
    public readonly glob: string,
    public readonly reason: string,
  ) {
    super(`invalid construct-path glob '${glob}': ${reason}`);
    this.name = 'ConstructPathGlobError';
  }
}

function segmentPattern(segment: string): string {
  return segment
    .split('*')
    .map((part) => part.split('?').map(literal).join(ONE_CHARACTER))
    .join(ANY_TEXT);
}

/** Compiles a glob; throws a `ConstructPathGlobError` saying why when `globProblem` refuses it. */
export function compileConstructPathGlob(glob: string): ConstructPathGlob {
  const problem = globProblem(glob);
  if (problem !== undefined) throw new ConstructPathGlobError(glob, problem);
  const segments = glob.split(SEPARATOR);
  const body = segments
    .map((segment, index) => {
      if (segment === GLOBSTAR) return ANY_SEGMENTS;
      return `${index === 0 ? '' : SEPARATOR}${segmentPattern(segment)}`;
    })
    .join('');
  // The optional tail takes the descendants of a match: the body ends at a segment boundary.
  const pattern = compilePattern(`(?s)^${body}(?:/.*)?$`);
  const wildcardAt = segments.findIndex((segment) => WILDCARD.test(segment));
  return {
    source: glob,
    literalSegments: segments.slice(0, wildcardAt < 0 ? segments.length : wildcardAt),
    covers: (constructPath) => pattern.test(constructPath),
  };
}
