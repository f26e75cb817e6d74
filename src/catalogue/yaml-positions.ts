import type { ErrorObject } from 'ajv';
import type { Document, LineCounter, Node } from 'yaml';
import { yaml } from '../io/yaml';
import { CatalogueProblem } from './errors';
import { SourceLocation } from './model';
import { describeSchemaError } from './schema-messages';
import { readYamlFile } from './yaml-file';

/**
 * From data back to the YAML text: positions of values and keys, and schema errors as problems at
 * the value they are about. Shared by the catalogue and the central waivers file.
 */

/** A parsed mapping file: its data (with defaults filled in) and a way back from a data path to a position. */
export interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: Record<string, unknown>;
}

/**
 * Reads a YAML file that must hold a mapping (see `readYamlFile` for what it refuses); otherwise adds
 * `notAMapping` as a problem at its start (`a catalogue file must be a mapping with ...`).
 */
export function readYamlMapping(
  file: string,
  problems: CatalogueProblem[],
  notAMapping: string,
): ParsedFile | undefined {
  const yamlFile = readYamlFile(file, problems);
  if (!yamlFile) return undefined;
  const { doc, lines, data } = yamlFile;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push({ file, line: 1, column: 1, message: notAMapping });
    return undefined;
  }
  return { file, doc, lines, data: data as Record<string, unknown> };
}

/** A data path, as ajv's instance path splits and the YAML document takes it. */
export type DataPath = readonly (string | number)[];

export function locate(parsed: ParsedFile, offset: number | undefined): SourceLocation {
  const { line, col } = parsed.lines.linePos(offset ?? 0);
  return { file: parsed.file, line, column: col };
}

/** The node at a data path, or the deepest ancestor that exists (for a missing key, the mapping). */
function nodeAt(doc: Document, segments: DataPath): Node | undefined {
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(segments.slice(0, depth), true);
    if (node && typeof node === 'object' && 'range' in node) return node as Node;
  }
  return undefined;
}

/** Where the value at a data path is written (or its deepest ancestor that is). */
export function locateValue(parsed: ParsedFile, segments: DataPath): SourceLocation {
  return locate(parsed, nodeAt(parsed.doc, segments)?.range?.[0]);
}

export function keyNodeOf(map: Node | undefined, key: string): Node | undefined {
  if (!yaml().isMap(map)) return undefined;
  const pair = map.items.find((item) => yaml().isScalar(item.key) && item.key.value === key);
  return pair?.key as Node | undefined;
}

function pathSegments(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * By top-level list, the field that names its items in messages: `{ controls: 'id' }` reads
 * `controls[1] (S3.1) severity`.
 */
export type ItemNames = Readonly<Record<string, string>>;

/** `controls[1] (S3.1) severity`: how a data path reads in a message. */
export function labelFor(data: Record<string, unknown>, segments: DataPath, itemNames: ItemNames): string {
  let label = '';
  let value: unknown = data;
  segments.forEach((segment, index) => {
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
    if (typeof segment === 'number') {
      label += `[${segment}]`;
      const name = (value as Record<string, unknown> | undefined)?.[itemNames[segments[0]] ?? ''];
      if (index === 1 && typeof name === 'string') label += ` (${name})`;
    } else {
      label += label ? (label.endsWith(')') ? ` ${segment}` : `.${segment}`) : segment;
    }
  });
  return label;
}

/** One ajv error as a problem at the value it is about (for an unknown key, at the key). */
export function schemaProblem(
  parsed: ParsedFile,
  error: ErrorObject,
  itemNames: ItemNames,
): CatalogueProblem {
  const segments = pathSegments(error.instancePath);
  const target = nodeAt(parsed.doc, segments);
  const unknownKey =
    error.keyword === 'additionalProperties'
      ? keyNodeOf(target, String((error.params as { additionalProperty: string }).additionalProperty))
      : undefined;
  const node = unknownKey ?? target;
  return {
    ...locate(parsed, node?.range?.[0]),
    message: describeSchemaError(error, labelFor(parsed.data, segments, itemNames), error.data),
  };
}
