/**
 * Walks the object keys of a JSON text that JSON.parse already accepted, with the line each stands
 * on and whether its object already had it: JSON.parse silently keeps the last of two equal keys,
 * and a template whose meaning depends on which one CloudFormation keeps cannot be judged.
 */

export interface JsonKey {
  readonly key: string;
  /** The keys leading to the object that holds this one (`['Resources']` for a logical id). */
  readonly path: readonly string[];
  readonly line: number;
  readonly duplicate: boolean;
}

interface Frame {
  /** The keys seen so far, for an object; undefined for a list. */
  readonly keys: Set<string> | undefined;
  expectingKey: boolean;
  lastKey: string | undefined;
}

/** The characters the walk stops at; everything else (numbers, literals, spaces) is passed over. */
const STRUCTURE = /[\n{}[\],"]/g;

/**
 * Calls `visit` for each key in document order until it returns true; assumes valid JSON. `path` is
 * the walk's own list, read it during the call (copy it to keep it): templates have many thousand
 * keys, and one list per key would cost more than the walk.
 */
export function visitJsonKeys(text: string, visit: (key: JsonKey) => boolean | void): void {
  const frames: Frame[] = [];
  // The names of the containers below the top one: `path` of the keys in the innermost container.
  const path: string[] = [];
  let line = 1;
  const structure = new RegExp(STRUCTURE);
  for (let match = structure.exec(text); match; match = structure.exec(text)) {
    const c = match[0];
    const i = match.index;
    if (c === '\n') line++;
    else if (c === '{' || c === '[') {
      const parent = frames[frames.length - 1];
      if (parent) path.push(parent.keys ? (parent.lastKey ?? '') : '');
      frames.push({ keys: c === '{' ? new Set() : undefined, expectingKey: c === '{', lastKey: undefined });
    } else if (c === '}' || c === ']') {
      frames.pop();
      path.pop();
    } else if (c === ',') {
      const frame = frames[frames.length - 1];
      if (frame?.keys) frame.expectingKey = true;
    } else {
      const end = endOfString(text, i);
      const frame = frames[frames.length - 1];
      if (frame?.keys && frame.expectingKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const duplicate = frame.keys.has(key);
        frame.keys.add(key);
        frame.expectingKey = false;
        frame.lastKey = key;
        if (visit({ key, path, line, duplicate })) return;
      }
      structure.lastIndex = end + 1;
    }
  }
}

/** The index of the quote that closes the string opened at `start` (JSON strings hold no raw newline). */
function endOfString(text: string, start: number): number {
  for (let quote = text.indexOf('"', start + 1); quote !== -1; quote = text.indexOf('"', quote + 1)) {
    let backslashes = 0;
    while (text[quote - 1 - backslashes] === '\\') backslashes++;
    if (backslashes % 2 === 0) return quote;
  }
  return text.length;
}

const NEWLINE = 10;
const QUOTE = 34;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * The line of each key of the top-level `Resources` object (the first, should one appear twice) of
 * a JSON template that JSON.parse accepted: what reports point at, read in one pass that keeps no
 * other key (a template of thousands of resources has hundreds of thousands of keys).
 */
export function resourceKeyLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let line = 1;
  let depth = 0;
  let topLevelKey: string | undefined;
  let inResources = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === NEWLINE) line++;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      if (depth === 2) inResources = c === OPEN_BRACE && topLevelKey === 'Resources';
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
    else if (c === QUOTE) {
      const end = endOfString(text, i);
      if ((depth === 1 || (depth === 2 && inResources)) && isKey(text, end + 1)) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        if (depth === 1) topLevelKey = key;
        else if (!lines.has(key)) lines.set(key, line);
      }
      i = end;
    }
  }
  return lines;
}

/** Whether the string that ends before `from` is a key: the next character not blank is a colon. */
function isKey(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === COLON) return true;
    // JSON's blanks: space, tab, line feed, carriage return.
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return false;
}
