import * as fs from 'fs';
import * as path from 'path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { isMap, isScalar, LineCounter, Node, Document } from 'yaml';
import { RULES } from '../rules';
import { createAjv } from './ajv';
import { CatalogueError, CatalogueProblem } from './errors';
import {
  Baseline,
  Catalogue,
  CatalogueMetadata,
  Control,
  DEFAULT_WAIVER_POLICY,
  SourceLocation,
  WaiverPolicy,
} from './model';
import { Applicability } from './rating';
import { buildCatalogueSchema } from './schema';
import { describeSchemaError } from './schema-messages';
import { readYamlFile } from './yaml-file';

/** The catalogue shipped in the package (`catalogue/` at the package root). */
export const DEFAULT_CATALOGUE_PATH = path.join(__dirname, '..', '..', 'catalogue');

const YAML_FILE = /\.ya?ml$/i;

let validator: ValidateFunction | undefined;

/** Compiled once per process: the schema is derived from the rule library, which does not change. */
function catalogueValidator(): ValidateFunction {
  if (!validator) {
    validator = createAjv().compile(buildCatalogueSchema(RULES));
  }
  return validator;
}

/** A parsed file: its data (with defaults filled in) and a way back from a data path to a position. */
interface ParsedFile {
  readonly file: string;
  readonly doc: Document;
  readonly lines: LineCounter;
  readonly data: Record<string, unknown>;
}

function locate(parsed: ParsedFile, offset: number | undefined): SourceLocation {
  const { line, col } = parsed.lines.linePos(offset ?? 0);
  return { file: parsed.file, line, column: col };
}

/** The node at a data path, or the deepest ancestor that exists (for a missing key, the mapping). */
function nodeAt(doc: Document, segments: readonly (string | number)[]): Node | undefined {
  for (let depth = segments.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(segments.slice(0, depth), true);
    if (node && typeof node === 'object' && 'range' in node) return node as Node;
  }
  return undefined;
}

function keyNodeOf(map: Node | undefined, key: string): Node | undefined {
  if (!isMap(map)) return undefined;
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  return pair?.key as Node | undefined;
}

function pathSegments(instancePath: string): (string | number)[] {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/** `controls[1] (S3.1) severity`: how a data path reads in a message. */
function labelFor(data: Record<string, unknown>, segments: readonly (string | number)[]): string {
  let label = '';
  let value: unknown = data;
  for (const segment of segments) {
    value = (value as Record<string | number, unknown> | undefined)?.[segment];
    if (typeof segment === 'number') {
      label += `[${segment}]`;
      const id = (value as { id?: unknown } | undefined)?.id;
      if (label.startsWith('controls') && typeof id === 'string' && label.split('[').length === 2)
        label += ` (${id})`;
    } else {
      label += label ? (label.endsWith(')') ? ` ${segment}` : `.${segment}`) : segment;
    }
  }
  return label;
}

function schemaProblem(parsed: ParsedFile, error: ErrorObject): CatalogueProblem {
  const segments = pathSegments(error.instancePath);
  const target = nodeAt(parsed.doc, segments);
  const unknownKey =
    error.keyword === 'additionalProperties'
      ? keyNodeOf(target, String((error.params as { additionalProperty: string }).additionalProperty))
      : undefined;
  const node = unknownKey ?? target;
  return {
    ...locate(parsed, node?.range?.[0]),
    message: describeSchemaError(error, labelFor(parsed.data, segments), error.data),
  };
}

/**
 * ajv fills in defaults only inside objects that exist; the rule's params schema sits in an
 * if/then, so a control written without `params` would otherwise miss its rule's defaults.
 */
function giveEveryControlParams(data: Record<string, unknown>): void {
  if (!Array.isArray(data.controls)) return;
  for (const control of data.controls) {
    if (control && typeof control === 'object' && !('params' in control))
      (control as Record<string, unknown>).params = {};
  }
}

function parseFile(file: string, problems: CatalogueProblem[]): ParsedFile | undefined {
  const yamlFile = readYamlFile(file, problems);
  if (!yamlFile) return undefined;
  const { doc, lines, data } = yamlFile;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    problems.push({
      file,
      line: 1,
      column: 1,
      message: 'a catalogue file must be a mapping with apiVersion, metadata, baseline and controls',
    });
    return undefined;
  }
  const parsed: ParsedFile = { file, doc, lines, data: data as Record<string, unknown> };
  giveEveryControlParams(parsed.data);
  const validate = catalogueValidator();
  if (!validate(parsed.data)) {
    // `if` errors only say "must match then schema"; the `then` branch's own errors say what is wrong.
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if');
    problems.push(...errors.map((e) => schemaProblem(parsed, e)));
  }
  return parsed;
}

interface RawControl {
  id: string;
  title: string;
  description?: string;
  rule: string;
  params?: Record<string, unknown>;
  severity: Control['severity'];
  appliesFrom?: Applicability;
  references?: { securityHub?: string[]; config?: string[] };
  suppressible: boolean;
  remediation?: { enabled: boolean; params?: Record<string, unknown> };
}

function toControl(parsed: ParsedFile, raw: RawControl, index: number): Control {
  return {
    id: raw.id,
    title: raw.title,
    description: raw.description ?? '',
    rule: raw.rule,
    params: raw.params ?? {},
    severity: raw.severity,
    appliesFrom: raw.appliesFrom ?? {},
    references: { securityHub: raw.references?.securityHub ?? [], config: raw.references?.config ?? [] },
    suppressible: raw.suppressible,
    remediation: { enabled: raw.remediation?.enabled ?? true, params: raw.remediation?.params ?? {} },
    source: locate(parsed, nodeAt(parsed.doc, ['controls', index])?.range?.[0]),
  };
}

/** One section (metadata, baseline) that must appear in exactly one of the files (or at most one, if optional). */
function singleSection<T>(
  files: ParsedFile[],
  key: string,
  problems: CatalogueProblem[],
  anchor: string,
  optional = false,
): T | undefined {
  const holders = files.filter((f) => f.data[key] !== undefined);
  if (holders.length === 0) {
    if (optional) return undefined;
    problems.push({
      file: anchor,
      line: 1,
      column: 1,
      message: `the catalogue has no '${key}' section; add it to one of its files`,
    });
    return undefined;
  }
  for (const extra of holders.slice(1)) {
    const first = locate(holders[0], keyNodeOf(holders[0].doc.contents as Node, key)?.range?.[0]);
    problems.push({
      ...locate(extra, keyNodeOf(extra.doc.contents as Node, key)?.range?.[0]),
      message: `'${key}' is already given in ${first.file}:${first.line}; it must appear in only one file`,
    });
  }
  return holders[0].data[key] as T;
}

function catalogueFiles(target: string, problems: CatalogueProblem[]): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    problems.push({ file: target, line: 1, column: 1, message: 'no such file or directory' });
    return [];
  }
  if (!stat.isDirectory()) return [target];
  const files = fs
    .readdirSync(target)
    .filter((name) => YAML_FILE.test(name))
    .sort()
    .map((name) => path.join(target, name));
  if (files.length === 0)
    problems.push({
      file: target,
      line: 1,
      column: 1,
      message: 'the directory holds no .yaml or .yml files',
    });
  return files;
}

function rawControlsOf(file: ParsedFile): RawControl[] {
  const controls = file.data.controls;
  // Schema problems are already reported; only well-formed entries take part in the cross-file checks.
  return Array.isArray(controls) ? controls.filter((c): c is RawControl => typeof c?.id === 'string') : [];
}

function byPosition(a: CatalogueProblem, b: CatalogueProblem, files: readonly string[]): number {
  return files.indexOf(a.file) - files.indexOf(b.file) || a.line - b.line || a.column - b.column;
}

function readCatalogue(target: string): Catalogue {
  const problems: CatalogueProblem[] = [];
  const files = catalogueFiles(target, problems);
  const parsed = files
    .map((file) => parseFile(file, problems))
    .filter((p): p is ParsedFile => p !== undefined);
  if (parsed.length === 0) throw new CatalogueError(problems);

  const metadata = singleSection<CatalogueMetadata>(parsed, 'metadata', problems, files[0]);
  const baseline = singleSection<Baseline>(parsed, 'baseline', problems, files[0]);
  // The schema filled in the defaults of a section that is given; a missing one gets them all.
  const waivers =
    singleSection<WaiverPolicy>(parsed, 'waivers', problems, files[0], true) ?? DEFAULT_WAIVER_POLICY;
  const controls: Control[] = [];
  const seen = new Map<string, Control>();
  for (const file of parsed) {
    rawControlsOf(file).forEach((raw) => {
      const control = toControl(file, raw, (file.data.controls as unknown[]).indexOf(raw));
      const first = seen.get(control.id);
      if (first) {
        problems.push({
          ...control.source,
          message: `duplicate control id '${control.id}': already defined at ${first.source.file}:${first.source.line}`,
        });
      } else {
        seen.set(control.id, control);
        controls.push(control);
      }
    });
  }
  if (problems.length > 0 || !metadata || !baseline) {
    throw new CatalogueError([...problems].sort((a, b) => byPosition(a, b, files)));
  }
  return {
    apiVersion: parsed[0].data.apiVersion as string,
    metadata,
    baseline,
    waivers: { ...waivers },
    controls,
    files,
  };
}

const cache = new Map<string, { stamp: string; catalogue: Catalogue }>();

/** Size and modification time of every file: a cached catalogue is reused only while these hold. */
function stampOf(target: string): string {
  try {
    const stat = fs.statSync(target);
    const files = stat.isDirectory()
      ? fs
          .readdirSync(target)
          .filter((n) => YAML_FILE.test(n))
          .sort()
      : [''];
    return files
      .map((name) => {
        const s = fs.statSync(path.join(target, name));
        return `${name}:${s.size}:${s.mtimeMs}`;
      })
      .join('|');
  } catch {
    return 'missing';
  }
}

/**
 * Loads and validates a catalogue: a YAML file, or a directory of them merged in name order.
 * Without a path, the catalogue shipped in the package. Throws a `CatalogueError` listing every
 * problem with file, line and column. Loaded once per process and path while the files are unchanged.
 */
export function loadCatalogue(catalogPath?: string): Catalogue {
  const target = path.resolve(catalogPath ?? DEFAULT_CATALOGUE_PATH);
  const stamp = stampOf(target);
  const cached = cache.get(target);
  if (cached && cached.stamp === stamp) return cached.catalogue;
  const catalogue = readCatalogue(target);
  cache.set(target, { stamp, catalogue });
  return catalogue;
}
