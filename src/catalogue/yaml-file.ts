import type { Document, LineCounter, Node } from 'yaml';
import { yaml } from '../io/yaml';
import { readRegularFile, RegularFileError } from '../io/regular-file';
import { CatalogueProblem } from './errors';

/**
 * Reads one catalogue file into a YAML document, refusing with a position whatever could hang the
 * loader or be misread: anything but a regular file, bytes that are not UTF-8, tags outside the YAML
 * core schema, and aliases that blow up (an alias bomb) or refer to nothing or to themselves.
 */

/** Far above any catalogue file; a bigger one is a mistake, and reading it would only cost memory. */
const MAX_FILE_BYTES = 16 * 1024 * 1024;

/** How many values aliases may add to a file once expanded: far above any real use, far below a bomb. */
const MAX_ALIAS_EXPANSION = 100_000;

/** The tags of the YAML core schema; any other (`!!js/function`, `!Ref`, `!!binary`) is refused. */
const CORE_TAGS = ['!!str', '!!int', '!!float', '!!bool', '!!null', '!!map', '!!seq'];

export interface YamlFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: unknown;
}

/** A problem at a place in the text the parser saw, or at the start of the file. */
class FileProblem extends Error {
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

/** A regular file's bytes, at most MAX_FILE_BYTES (see `readRegularFile`: a FIFO can never hang the loader). */
function readCatalogueFile(file: string): Buffer {
  try {
    return readRegularFile(file, MAX_FILE_BYTES);
  } catch (e) {
    const { kind, message, size } = e as RegularFileError;
    if (kind === 'too-large') {
      throw new FileProblem(
        `the file has ${size} bytes; a catalogue file may have at most ${MAX_FILE_BYTES}`,
      );
    }
    throw new FileProblem(
      kind === 'not-regular' ? `${message}; a catalogue is read from regular files only` : message,
    );
  }
}

/** Where the first byte that is not UTF-8 lies: line and column in the text before it, and the byte. */
function firstInvalidUtf8(bytes: Buffer): { line: number; column: number; byte: number } {
  // The lenient decoder turns each invalid sequence into U+FFFD, which a valid file spells EF BF BD.
  const lenient = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let at = 0;
  let from = 0;
  for (let i = lenient.indexOf('\uFFFD'); i >= 0; i = lenient.indexOf('\uFFFD', i + 1)) {
    at += Buffer.byteLength(lenient.slice(from, i));
    from = i;
    if (bytes[at] !== 0xef || bytes[at + 1] !== 0xbf || bytes[at + 2] !== 0xbd) {
      const before = lenient.slice(0, i).replace(/^\uFEFF/, '');
      return {
        line: before.split('\n').length,
        column: before.length - before.lastIndexOf('\n'),
        byte: bytes[at],
      };
    }
  }
  // Only reached if the strict and the lenient decoder disagreed on what is invalid.
  return { line: 1, column: 1, byte: bytes[0] };
}

function tagProblem(tag: string): string {
  return CORE_TAGS.includes(tag)
    ? `the value is not a valid ${tag}`
    : `unknown tag '${tag}': a catalogue is plain YAML, whose only tags are ${CORE_TAGS.join(', ')}`;
}

function offsetOf(value: unknown): number | undefined {
  return yaml().isNode(value) ? value.range?.[0] : undefined;
}

/**
 * Walks the document as its data will be built, aliases expanded, before building it. Refuses an
 * alias with no anchor before it, one inside the value it names (a cycle), the alias that takes the
 * values aliases add past MAX_ALIAS_EXPANSION, and a mapping or list used as a key. yaml's own alias
 * limit is turned off for this one: it refuses a file that uses one anchor 101 times, and does not say where.
 */
function checkStructure(doc: Document): void {
  const { isAlias, isCollection, isNode, isPair } = yaml();
  const anchors = new Map<string, Node>();
  const sizes = new Map<Node, number>();
  const open = new Set<Node>();
  let added = 0;
  const aliased = (value: unknown) => (isAlias(value) ? anchors.get(value.source) : value);
  const sizeOf = (value: unknown): number => {
    if (isAlias(value)) {
      const name = value.source;
      const target = anchors.get(name);
      if (!target) throw new FileProblem(`alias *${name} has no anchor &${name} before it`, offsetOf(value));
      if (open.has(target))
        throw new FileProblem(`alias *${name} is inside the value it names`, offsetOf(value));
      const size = sizes.get(target)!;
      added += size;
      if (added > MAX_ALIAS_EXPANSION) {
        const message = `aliases expand this file by more than ${MAX_ALIAS_EXPANSION} values (an alias bomb?)`;
        throw new FileProblem(message, offsetOf(value));
      }
      return size;
    }
    if (!isNode(value)) return 0;
    if (value.anchor) {
      anchors.set(value.anchor, value);
      open.add(value);
    }
    let size = 1;
    for (const item of isCollection(value) ? value.items : []) {
      if (isPair(item) && isCollection(aliased(item.key))) {
        throw new FileProblem('a key must be a plain value, not a mapping or a list', offsetOf(item.key));
      }
      size += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
    }
    open.delete(value);
    sizes.set(value, size);
    return size;
  };
  sizeOf(doc.contents);
}

/** Parses the text; the first problems the parser or the structure check finds, with their offsets. */
function parse(text: string, lines: LineCounter): { doc: Document; problems: FileProblem[] } {
  const doc = yaml().parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    // Without this, yaml also reads YAML 1.1 tags (!!binary, !!set, !!timestamp) into Buffers, Sets and Dates.
    resolveKnownTags: false,
  });
  const problems = [
    ...doc.errors.map((e) => new FileProblem(`YAML syntax: ${e.message.split('\n')[0]}`, e.pos[0])),
    ...doc.warnings.map((w) =>
      w.code === 'TAG_RESOLVE_FAILED'
        ? new FileProblem(tagProblem(text.slice(w.pos[0], w.pos[1])), w.pos[0])
        : new FileProblem(`YAML: ${w.message.split('\n')[0]}`, w.pos[0]),
    ),
  ];
  if (problems.length === 0) {
    try {
      checkStructure(doc);
    } catch (e) {
      if (!(e instanceof FileProblem)) throw e;
      problems.push(e);
    }
  }
  return { doc, problems };
}

/** Reads a catalogue file; on failure, adds its problems (with positions) and returns undefined. */
export function readYamlFile(file: string, problems: CatalogueProblem[]): YamlFile | undefined {
  let bytes: Buffer;
  try {
    bytes = readCatalogueFile(file);
  } catch (e) {
    problems.push({ file, line: 1, column: 1, message: (e as FileProblem).message });
    return undefined;
  }
  let text: string;
  try {
    // A leading byte-order mark is dropped, as the parser would drop it.
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const { line, column, byte } = firstInvalidUtf8(bytes);
    const hex = byte.toString(16).padStart(2, '0');
    problems.push({
      file,
      line,
      column,
      message: `the file is not UTF-8 text: byte 0x${hex} here is not valid UTF-8`,
    });
    return undefined;
  }
  const lines = new (yaml().LineCounter)();
  const { doc, problems: found } = parse(text, lines);
  if (found.length > 0) {
    for (const problem of found) {
      const { line, col } = lines.linePos(problem.offset ?? 0);
      problems.push({ file, line, column: col, message: problem.message });
    }
    return undefined;
  }
  return { file, doc, lines, data: doc.toJS({ maxAliasCount: -1 }) };
}
