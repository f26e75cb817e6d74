/**
 * The one text form of a governed waiver, so that any CDK language can write it with plain
 * `Validations.of(x).acknowledge({ id, reason })`: the reason in words, then the fields as tags.
 *
 *     Public website bucket, logged by CloudFront [ticket: SEC-1234] [expires: 2027-03-31] [approved-by: jane.doe]
 *
 * Tags are `[ticket: …]`, `[expires: YYYY-MM-DD]` and `[approved-by: …]` (names in any case, anywhere in
 * the text); the reason is the rest of the text. No CDK import here: the CLI reads the same text from
 * a cloud assembly.
 */

/** What a waiver's acknowledgement text says. */
export interface WaiverText {
  /** The reason in words: the text without its tags, spaces collapsed. */
  readonly reason: string;
  readonly ticket?: string;
  /** As written; the policy decides whether it is a date. */
  readonly expires?: string;
  readonly approvedBy?: string;
  /** What makes the text ambiguous (a tag given twice); a waiver with problems is refused. */
  readonly problems?: readonly string[];
}

const TAGS = { ticket: 'ticket', expires: 'expires', 'approved-by': 'approvedBy' } as const;
type TagName = keyof typeof TAGS;
type Field = (typeof TAGS)[TagName];

/** The text `waive()` writes and the parser reads back. */
export function formatWaiverText(fields: {
  readonly reason: string;
  readonly ticket: string;
  readonly expires: string;
  readonly approvedBy?: string;
}): string {
  const tags = [`[ticket: ${fields.ticket}]`, `[expires: ${fields.expires}]`];
  if (fields.approvedBy !== undefined) tags.push(`[approved-by: ${fields.approvedBy}]`);
  return `${fields.reason} ${tags.join(' ')}`;
}

/**
 * Reads a waiver's acknowledgement text; never throws, whatever it is given. A tag is `[name: value]`
 * with no bracket inside; a bracketed text that is not one of the tags stays in the reason. Linear in
 * the length of the text.
 */
export function parseWaiverText(text: unknown): WaiverText {
  const source = textOf(text);
  const fields: Partial<Record<Field, string>> = {};
  const problems: string[] = [];
  const kept: string[] = [];
  let position = 0;
  while (position < source.length) {
    const open = source.indexOf('[', position);
    if (open === -1) break;
    const close = nextBracket(source, open + 1);
    if (close === -1) break;
    if (source[close] === '[') {
      // `[` again before any `]`: the first one opens no tag.
      kept.push(source.slice(position, close));
      position = close;
      continue;
    }
    const tag = tagOf(source.slice(open + 1, close));
    if (tag) {
      kept.push(source.slice(position, open), ' ');
      if (tag.field in fields) problems.push(`the tag [${tag.name}: …] is given more than once`);
      else fields[tag.field] = tag.value;
    } else {
      kept.push(source.slice(position, close + 1));
    }
    position = close + 1;
  }
  kept.push(source.slice(position));
  const reason = kept.join('').replace(/\s+/g, ' ').trim();
  return { reason, ...fields, ...(problems.length > 0 && { problems }) };
}

/** Metadata is the app's to write: a value that is no string is read as its text, if it has one. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  try {
    return String(value);
  } catch {
    // An object without a prototype, or whose toString throws.
    return '';
  }
}

/** The index of the first `[` or `]` from `from`, or -1: each character is looked at once overall. */
function nextBracket(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === '[' || text[i] === ']') return i;
  return -1;
}

function tagOf(inside: string): { name: TagName; field: Field; value: string } | undefined {
  const colon = inside.indexOf(':');
  if (colon === -1) return undefined;
  const name = inside.slice(0, colon).trim().toLowerCase();
  if (!Object.prototype.hasOwnProperty.call(TAGS, name)) return undefined;
  return { name: name as TagName, field: TAGS[name as TagName], value: inside.slice(colon + 1).trim() };
}
