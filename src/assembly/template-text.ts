import * as path from 'path';
import type { Document, Node } from 'yaml';
import { yaml } from '../io/yaml';
import type { CfnTemplate } from '../engine/template';
import { InputError } from './input-error';
import { resourceKeyLines, visitJsonKeys } from './json-keys';

/**
 * A CloudFormation template's text, JSON or YAML, read into the long JSON form the engine judges:
 * YAML short-form intrinsics (`!Ref`, `!GetAtt a.b`, `!If [...]`) become `Ref`, `Fn::GetAtt`, `Fn::If`.
 */

/** Short forms written `!Name` for `Fn::Name`. */
const FN_SHORT_FORMS = new Set([
  'And',
  'Base64',
  'Cidr',
  'Equals',
  'FindInMap',
  'GetAZs',
  'GetAtt',
  'If',
  'ImportValue',
  'Join',
  'Length',
  'Not',
  'Or',
  'Select',
  'Split',
  'Sub',
  'ToJsonString',
  'Transform',
]);

/** YAML core-schema tags (as the parser reports them); any other tag is refused, not guessed at. */
const CORE_TAGS = new Set(
  ['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`),
);

/** A problem at a line of the text. */
class TextProblem extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

export interface ParseOptions {
  /** Template files must declare `Resources`; a cloud assembly's template may omit it (a stack with none). */
  readonly requireResources: boolean;
}

/** Parses a template's text, or throws an InputError naming `file` (and the line, when known). */
export function parseTemplateText(text: string, file: string, options: ParseOptions): CfnTemplate {
  try {
    const data = looksLikeJson(text, file) ? parseJson(text) : parseYaml(text);
    return checkShape(data, options);
  } catch (e) {
    if (e instanceof TextProblem) throw new InputError(`${file}${e.line ? `:${e.line}` : ''}: ${e.message}`);
    // Whatever else a parser throws (a nesting too deep for the stack) still names the file.
    throw new InputError(`${file}: cannot parse the template (${(e as Error).message})`);
  }
}

/** JSON by its name, else by its first character; a YAML flow mapping that is not JSON falls back to YAML. */
function looksLikeJson(text: string, file: string): boolean {
  if (path.extname(file).toLowerCase() === '.json') return true;
  if (!/^\uFEFF?\s*\{/.test(text)) return false;
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}

function parseJson(text: string): unknown {
  const source = text.replace(/^\uFEFF/, '');
  let data: unknown;
  try {
    data = JSON.parse(source);
  } catch (e) {
    throw new TextProblem(`not valid JSON: ${(e as Error).message}`, jsonErrorLine(source, e as Error));
  }
  visitJsonKeys(source, ({ key, line, duplicate }) => {
    if (duplicate) throw new TextProblem(`the key '${key}' appears twice in one object`, line);
  });
  return data;
}

/** Node's JSON.parse messages give a character position; turned into a line. */
function jsonErrorLine(text: string, error: Error): number | undefined {
  const position = /position (\d+)/.exec(error.message);
  if (!position) return undefined;
  return text.slice(0, Number(position[1])).split('\n').length;
}

function parseYaml(text: string): unknown {
  const lines = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    // Keeps YAML 1.1 tags (!!binary, !!timestamp) from being read into Buffers and Dates.
    resolveKnownTags: false,
  });
  const lineOf = (offset: number | undefined) => lines.linePos(offset ?? 0).line;
  const error = doc.errors[0];
  if (error) throw new TextProblem(`YAML syntax: ${firstLine(error.message)}`, lineOf(error.pos[0]));
  for (const warning of doc.warnings) {
    // The short-form intrinsics are tags the parser does not know; they are read below.
    if (warning.code === 'TAG_RESOLVE_FAILED' && isShortForm(text.slice(warning.pos[0], warning.pos[1])))
      continue;
    throw new TextProblem(`YAML: ${firstLine(warning.message)}`, lineOf(warning.pos[0]));
  }
  return toJson(doc.contents, (node) => lineOf(node.range?.[0]));
}

function firstLine(message: string): string {
  return message.split('\n')[0];
}

function isShortForm(tag: string): boolean {
  const name = tag.replace(/^!/, '');
  return tag.startsWith('!') && (name === 'Ref' || name === 'Condition' || FN_SHORT_FORMS.has(name));
}

/** The document's data, short-form intrinsics in their long form. */
function toJson(node: unknown, lineOf: (node: Node) => number): unknown {
  if (node === null || node === undefined) return null;
  const { isAlias, isMap, isScalar, isSeq } = yaml();
  if (isAlias(node)) {
    throw new TextProblem(`YAML alias *${node.source}: CloudFormation does not accept aliases`, lineOf(node));
  }
  let value: unknown;
  if (isMap(node)) {
    const object: Record<string, unknown> = {};
    for (const pair of node.items) {
      if (!isScalar(pair.key) || pair.key.tag) {
        const at = isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? lineOf(pair.key) : undefined;
        throw new TextProblem('a key must be a plain value, not a mapping, list, alias or tagged value', at);
      }
      object[String(pair.key.value ?? '')] = toJson(pair.value, lineOf);
    }
    value = object;
  } else if (isSeq(node)) value = node.items.map((item) => toJson(item, lineOf));
  else if (isScalar(node)) value = node.value;
  else throw new TextProblem('unexpected YAML content');
  return withTag(value, (node as Node).tag, () => lineOf(node as Node));
}

function withTag(value: unknown, tag: string | undefined, line: () => number): unknown {
  if (!tag || CORE_TAGS.has(tag)) return value;
  if (!isShortForm(tag)) throw new TextProblem(`unknown tag '${tag}'`, line());
  const name = tag.slice(1);
  if (name === 'Ref' || name === 'Condition') return { [name]: value };
  // `!GetAtt Resource.Attribute`: the attribute may itself hold dots (`Outputs.Name`).
  if (name === 'GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': dot === -1 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${name}`]: value };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Refuses what is not a template: the engine must never pass over a resource it cannot read. */
function checkShape(data: unknown, options: ParseOptions): CfnTemplate {
  if (!isObject(data)) throw new TextProblem('not a CloudFormation template: the top level is not a mapping');
  const resources = data.Resources;
  if (resources === undefined && !options.requireResources) return data as CfnTemplate;
  if (!isObject(resources))
    throw new TextProblem('not a CloudFormation template: it has no Resources mapping');
  for (const [logicalId, resource] of Object.entries(resources)) {
    if (!isObject(resource) || typeof resource.Type !== 'string')
      throw new TextProblem(`resource '${logicalId}' is not a mapping with a Type`);
  }
  return data as CfnTemplate;
}

/** The last template text indexed, for templateLineOf called once per finding. */
let indexed: { text: string; lines: Map<string, number> } | undefined;

/** The line on which `logicalId` is declared under `Resources` (JSON or YAML), if it is. */
export function templateLineOf(templateText: string, logicalId: string): number | undefined {
  if (indexed?.text !== templateText) indexed = { text: templateText, lines: resourceLines(templateText) };
  return indexed.lines.get(logicalId);
}

function resourceLines(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  try {
    if (/^\uFEFF?\s*\{/.test(text) && isJson(text)) return resourceKeyLines(text.replace(/^\uFEFF/, ''));
    const { isMap, isScalar, LineCounter, parseDocument } = yaml();
    const counter = new LineCounter();
    const doc: Document = parseDocument(text, { lineCounter: counter, resolveKnownTags: false });
    const resources = isMap(doc.contents) ? doc.contents.get('Resources', true) : undefined;
    if (!isMap(resources)) return lines;
    for (const pair of resources.items) {
      if (isScalar(pair.key) && pair.key.range && !lines.has(String(pair.key.value)))
        lines.set(String(pair.key.value), counter.linePos(pair.key.range[0]).line);
    }
  } catch {
    // A text that does not parse has no lines to point at.
  }
  return lines;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text.replace(/^\uFEFF/, ''));
    return true;
  } catch {
    return false;
  }
}
