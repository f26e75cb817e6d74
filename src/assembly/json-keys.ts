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
  /** The key this container is the value of, or undefined for list items and the top. */
  readonly name: string | undefined;
  /** The keys seen so far, for an object; undefined for a list. */
  readonly keys: Set<string> | undefined;
  expectingKey: boolean;
  lastKey: string | undefined;
}

/** Calls `visit` for each key in document order until it returns true; assumes valid JSON. */
export function visitJsonKeys(text: string, visit: (key: JsonKey) => boolean | void): void {
  const frames: Frame[] = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    else if (c === '{' || c === '[') {
      const parent = frames[frames.length - 1];
      frames.push({
        name: parent?.keys ? parent.lastKey : undefined,
        keys: c === '{' ? new Set() : undefined,
        expectingKey: c === '{',
        lastKey: undefined,
      });
    } else if (c === '}' || c === ']') frames.pop();
    else if (c === ',') {
      const frame = frames[frames.length - 1];
      if (frame?.keys) frame.expectingKey = true;
    } else if (c === '"') {
      const end = endOfString(text, i);
      const frame = frames[frames.length - 1];
      if (frame?.keys && frame.expectingKey) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(text.slice(i, end + 1)) as string) : raw;
        const duplicate = frame.keys.has(key);
        frame.keys.add(key);
        frame.expectingKey = false;
        frame.lastKey = key;
        const path = frames.slice(1).map((f) => f.name ?? '');
        if (visit({ key, path, line, duplicate })) return;
      }
      i = end;
    }
  }
}

/** The index of the quote that closes the string opened at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}
