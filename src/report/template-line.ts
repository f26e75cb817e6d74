interface Container {
  readonly kind: '{' | '[';
  /** The key this container is the value of, when its parent is an object. */
  readonly key?: string;
}

/** The index of the quote that closes the string opened at `start`. */
function closingQuote(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}

function decodeKey(raw: string): string | undefined {
  try {
    return JSON.parse(raw) as string;
  } catch {
    return undefined;
  }
}

/**
 * The 1-based line of a resource's logical id key (`"Bucket83908E77": {`) in a template's JSON
 * text, however it is formatted. Only a key of the top-level `Resources` object counts, not the
 * same name as an output, a parameter or a key inside some property. Undefined when absent.
 */
export function templateLineOf(templateJson: string, logicalId: string): number | undefined {
  const stack: Container[] = [];
  let line = 1;
  let expectKey = false;
  let valueKey: string | undefined;
  for (let i = 0; i < templateJson.length; i++) {
    const c = templateJson[i];
    if (c === '\n') line++;
    else if (c === '"') {
      const end = closingQuote(templateJson, i);
      if (expectKey) {
        const key = decodeKey(templateJson.slice(i, end + 1));
        const inResources = stack.length === 2 && stack[1].key === 'Resources' && stack[1].kind === '{';
        if (inResources && key === logicalId) return line;
        valueKey = key;
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      const parent = stack[stack.length - 1];
      stack.push({ kind: c, key: parent?.kind === '{' ? valueKey : undefined });
      expectKey = c === '{';
    } else if (c === '}' || c === ']') {
      stack.pop();
    } else if (c === ',') {
      expectKey = stack[stack.length - 1]?.kind === '{';
    }
  }
  return undefined;
}
