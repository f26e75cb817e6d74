/**
 * Property paths of declarative checks: dotted property names from a resource's `Properties`
 * (`VersioningConfiguration.Status`), `[*]` after a name for every element of that list
 * (`SecurityGroupIngress[*].CidrIp`) and `[N]` for one element (`Rules[0].Status`).
 */

/** One step of a path: a property of an object, one element of a list, or every element. */
export type PathStep =
  | { readonly kind: 'property'; readonly name: string }
  | { readonly kind: 'element'; readonly index: number }
  | { readonly kind: 'every' };

export type ParsedPath =
  | { readonly ok: true; readonly steps: readonly PathStep[] }
  | { readonly ok: false; readonly message: string };

/**
 * A property name: any characters but `.`, brackets, `*` and white space. `*` is refused so that
 * `Tags.*.Key` is a mistake reported, not a lookup of a property named `*` that is never there.
 */
const NAME_CHARACTERS = '[^.\\[\\]\\s*]+';
/** `[*]`, or `[N]` with N a whole number without leading zeros, below a billion. */
const INDEX = '\\[(?:\\*|0|[1-9][0-9]{0,8})\\]';
/** An all-digit name is refused: `Rules.0` almost always meant `Rules[0]`. */
const NOT_ALL_DIGITS = '(?![0-9]+(?:[.[]|$))';
const SEGMENT = `${NOT_ALL_DIGITS}${NAME_CHARACTERS}(?:${INDEX})*`;

/** The whole grammar as one ECMAScript regular expression, for the catalogue's JSON Schema. */
export const PATH_PATTERN = `^${SEGMENT}(?:\\.${SEGMENT})*$`;

const NAME_AT = new RegExp(NAME_CHARACTERS, 'y');
const INDEX_AT = new RegExp(INDEX, 'y');

/** Parses a path; a mistake is reported with the character (1-based) where it is. */
export function parsePath(text: string): ParsedPath {
  if (text === '') return { ok: false, message: 'the path is empty' };
  const steps: PathStep[] = [];
  let at = 0;
  const mistake = (what: string, hint = ''): ParsedPath => ({
    ok: false,
    message: `the path '${text}' has ${what} at character ${at + 1}${hint && ` (${hint})`}`,
  });
  for (;;) {
    NAME_AT.lastIndex = at;
    const name = NAME_AT.exec(text)?.[0];
    if (name === undefined) return mistake(...missingName(text[at]));
    if (/^[0-9]+$/.test(name))
      return mistake(
        `'${name}' where a property name belongs`,
        `write [${name}] after a list's name for one element`,
      );
    steps.push({ kind: 'property', name });
    at += name.length;
    while (text[at] === '[') {
      INDEX_AT.lastIndex = at;
      const index = INDEX_AT.exec(text)?.[0];
      if (index === undefined) return mistake('a bracket that is neither [*] nor [N] (N a whole number)');
      steps.push(
        index === '[*]' ? { kind: 'every' } : { kind: 'element', index: Number(index.slice(1, -1)) },
      );
      at += index.length;
    }
    if (at === text.length) return { ok: true, steps };
    if (text[at] !== '.') return mistake(`'${text[at]}' where a '.', '[*]' or '[N]' belongs`);
    at += 1;
  }
}

/** What stands where a property name belongs, and a hint when the mistake is a common one. */
function missingName(found: string | undefined): [string, string?] {
  if (found === undefined) return ['no property name after the last dot'];
  if (found === '*')
    return ["'*' where a property name belongs", "write [*] after a list's name for every element"];
  if (found === '.') return ['an empty property name'];
  if (found === '[')
    return ['a bracket where a property name belongs', 'an index follows the name of a list'];
  if (found === ']') return ["a ']' without its '['"];
  return ['white space'];
}

/** The steps as a path: `SecurityGroupIngress[2].CidrIp`. */
export function renderPath(steps: readonly PathStep[]): string {
  return steps
    .map((step, i) => {
      if (step.kind === 'every') return '[*]';
      if (step.kind === 'element') return `[${step.index}]`;
      return i === 0 ? step.name : `.${step.name}`;
    })
    .join('');
}

/**
 * Sibling properties named once: `PublicAccessBlockConfiguration BlockPublicAcls, IgnorePublicAcls
 * and RestrictPublicBuckets` (one leaf: `Parent.Leaf`), for messages that would repeat the parent.
 */
export function nameSiblings(parent: string, leaves: readonly string[]): string {
  if (leaves.length === 1) return [parent, leaves[0]].filter(Boolean).join('.');
  const list = `${leaves.slice(0, -1).join(', ')} and ${leaves[leaves.length - 1]}`;
  return parent ? `${parent} ${list}` : list;
}
