import * as fs from 'fs';
import * as path from 'path';
import type { ValidateFunction } from 'ajv';
import type { Node } from 'yaml';
import { RULES } from '../rules';
import { readCentralWaivers } from '../waivers/central';
import { conditionProblems, pathPlacesOf, relatedPathPlacesOf } from '../declarative/condition';
import { isIntrinsic, isPlainObject } from '../engine/intrinsics';
import { parsePath } from '../declarative/path';
import { templateProblem } from '../declarative/templates';
import { pathProblem } from '../declarative/property-table';
import { applyOverrides, resolveExtends } from './layering';
import { createAjv } from './ajv';
import { readPrebuiltCatalogue } from './prebuilt';
import { CatalogueError, CatalogueProblem } from './errors';
import {
  Baseline,
  Catalogue,
  CatalogueMetadata,
  CentralWaiver,
  Control,
  DECLARATIVE_RULE,
  DeclarativeCheck,
  DEFAULT_RATING_POLICY,
  DEFAULT_WAIVER_POLICY,
  RatingPolicy,
  WaiverPolicy,
} from './model';
import { Applicability, parseRating, RatingInput } from './rating';
import { buildCatalogueSchema } from './schema';
import { keyNodeOf, locate, locateValue, ParsedFile, readYamlMapping, schemaProblem } from './yaml-positions';

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

/** How the catalogue's messages name a control: by its id. */
const ITEM_NAMES = { controls: 'id' };

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
  const parsed = readYamlMapping(
    file,
    problems,
    'a catalogue file must be a mapping with apiVersion, metadata, baseline and controls',
  );
  if (!parsed) return undefined;
  giveEveryControlParams(parsed.data);
  const validate = catalogueValidator();
  if (!validate(parsed.data)) {
    // `if` errors only say "must match then schema", `propertyNames` only "property name must be
    // valid": the errors beside them say what is wrong.
    const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && e.keyword !== 'propertyNames');
    problems.push(...errors.map((e) => schemaProblem(parsed, e, ITEM_NAMES)));
  }
  return parsed;
}

interface RawControl {
  id: string;
  title: string;
  description?: string;
  rule?: string;
  check?: DeclarativeCheck;
  params?: Record<string, unknown>;
  severity: Control['severity'];
  appliesFrom?: Applicability;
  references?: { securityHub?: string[]; config?: string[] };
  suppressible: boolean;
  remediation?: {
    enabled: boolean;
    params?: Record<string, unknown>;
    set?: Record<string, unknown>;
    add?: string;
  };
}

/**
 * What the schema cannot say about a control: it has a library rule or a declarative check (one of
 * them), a fix that sets values only with a check, and a check's condition that holds together.
 */
function controlProblems(parsed: ParsedFile, raw: RawControl, index: number): CatalogueProblem[] {
  const at = (...path: (string | number)[]) => locateValue(parsed, ['controls', index, ...path]);
  const label = `controls[${index}] (${raw.id})`;
  if (raw.rule === undefined && raw.check === undefined)
    return [{ ...at(), message: `${label} needs a rule (of the library) or a check (declarative)` }];
  if (raw.rule !== undefined && raw.check !== undefined)
    return [{ ...at('check'), message: `${label} has both a rule and a check; give one` }];
  const problems: CatalogueProblem[] = [];
  if (raw.rule !== undefined && raw.remediation?.set !== undefined)
    problems.push({
      ...at('remediation', 'set'),
      message: `${label} remediation.set is a declarative control's fix; a library rule brings its own`,
    });
  if (raw.rule !== undefined && raw.remediation?.add !== undefined)
    problems.push({
      ...at('remediation', 'add'),
      message: `${label} remediation.add is a declarative control's fix; a library rule brings its own`,
    });
  const templateFault =
    raw.check && typeof raw.remediation?.add === 'string' && Array.isArray(raw.check.resourceTypes)
      ? templateProblem(raw.remediation.add, raw.check.resourceTypes)
      : undefined;
  if (templateFault)
    problems.push({ ...at('remediation', 'add'), message: `${label} remediation.add: ${templateFault}` });
  if (raw.check !== undefined && Object.keys(raw.params ?? {}).length > 0)
    problems.push({ ...at('params'), message: `${label} params are for a library rule; a check has none` });
  if (raw.check?.require !== undefined) {
    for (const problem of conditionProblems(raw.check.require)) {
      problems.push({
        ...at('check', 'require', ...problem.path),
        message: `${label} check.require: ${problem.message}`,
      });
    }
  }
  const shipped = path.dirname(parsed.file) === DEFAULT_CATALOGUE_PATH;
  if (raw.check !== undefined && !shipped) problems.push(...propertyPathProblems(parsed, raw, index, label));
  return problems;
}

/**
 * The paths of a check and its fix that no resource of the control's types can have (a typo that
 * would fail every resource, or pass every one under `exists: false`), at the path as written.
 * A type that aws-cdk-lib has no L1 for, or every type without aws-cdk-lib, accepts any path.
 * Not run on the shipped catalogue: loading it costs nothing, and an older aws-cdk-lib than the one
 * it was released with (which lacks a newer property) cannot make it fail to load.
 */
function propertyPathProblems(
  parsed: ParsedFile,
  raw: RawControl,
  index: number,
  label: string,
): CatalogueProblem[] {
  const types = raw.check?.resourceTypes;
  if (!Array.isArray(types) || !types.every((type) => typeof type === 'string')) return [];
  const problemAt = (path: string, on: readonly string[] = types) => {
    const steps = parsePath(path);
    return steps.ok ? pathProblem(on, steps.steps) : undefined;
  };
  const problems: CatalogueProblem[] = [];
  const condition = raw.check!.require;
  // An element's paths come with their list's (`SecurityGroupIngress[*].CidrIp`); a referencedBy's are its type's.
  for (const { path, at, resourceType } of [...pathPlacesOf(condition), ...relatedPathPlacesOf(condition)]) {
    const problem = problemAt(path, resourceType === undefined ? types : [resourceType]);
    if (problem)
      problems.push({
        ...locateValue(parsed, ['controls', index, 'check', 'require', ...at]),
        message: `${label} check.require: ${problem}`,
      });
  }
  // A fix's object value sets each of its fields: each level is checked, at its key.
  const settings = (value: unknown, prefix: string, mapAt: (string | number)[]): void => {
    if (!isPlainObject(value) || isIntrinsic(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const path = prefix ? `${prefix}.${key}` : key;
      const problem = problemAt(path);
      if (!problem) settings(child, path, [...mapAt, key]);
      else
        problems.push({
          ...locate(parsed, keyNodeOf(parsed.doc.getIn(mapAt, true) as Node, key)?.range?.[0]),
          message: `${label} remediation.set: ${problem}`,
        });
    }
  };
  settings(raw.remediation?.set, '', ['controls', index, 'remediation', 'set']);
  return problems;
}

function toControl(parsed: ParsedFile, raw: RawControl, index: number): Control {
  return {
    id: raw.id,
    title: raw.title,
    description: raw.description ?? '',
    rule: raw.rule ?? DECLARATIVE_RULE,
    ...(raw.check && { check: raw.check }),
    params: raw.params ?? {},
    severity: raw.severity,
    appliesFrom: raw.appliesFrom ?? {},
    references: { securityHub: raw.references?.securityHub ?? [], config: raw.references?.config ?? [] },
    suppressible: raw.suppressible,
    remediation: {
      enabled: raw.remediation?.enabled ?? true,
      params: raw.remediation?.params ?? {},
      ...(raw.remediation?.set && { set: raw.remediation.set }),
      ...(raw.remediation?.add && { add: raw.remediation.add }),
    },
    source: locateValue(parsed, ['controls', index]),
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

interface RawRatingPolicy {
  minimum?: RatingInput;
  accounts: Record<string, RatingInput>;
  perStackRatings: boolean;
}

/** The schema has checked the ratings' shapes; this only turns the short form into levels. */
function toRatingPolicy(raw: RawRatingPolicy): RatingPolicy {
  const accounts = Object.fromEntries(
    Object.entries(raw.accounts).map(([account, rating]) => [account, parseRating(rating)]),
  );
  return {
    ...(raw.minimum !== undefined && { minimum: parseRating(raw.minimum) }),
    accounts,
    perStackRatings: raw.perStackRatings,
  };
}

/** In file order, then by position; a file that is not one of `files` (the central waivers file) comes last. */
function byPosition(a: CatalogueProblem, b: CatalogueProblem, files: readonly string[]): number {
  const rank = (file: string) => (files.includes(file) ? files.indexOf(file) : files.length);
  return rank(a.file) - rank(b.file) || a.line - b.line || a.column - b.column;
}

/** The central waivers file that `waivers.file` names, and the catalogue file that names it. */
interface CentralFileReference {
  /** Absolute: resolved against the directory of the catalogue file that declares `waivers`. */
  readonly file: string;
  readonly declaredIn: ParsedFile;
}

function centralFileReference(parsed: readonly ParsedFile[]): CentralFileReference | undefined {
  const declaredIn = parsed.find((f) => f.data.waivers !== undefined);
  const file = (declaredIn?.data.waivers as { file?: unknown } | undefined)?.file;
  // Any other value is reported by the schema.
  if (!declaredIn || typeof file !== 'string' || file === '') return undefined;
  return { file: path.resolve(path.dirname(declaredIn.file), file), declaredIn };
}

/** The central waivers file's entries, checked against the catalogue's controls; problems are added. */
function readCentralFile(
  reference: CentralFileReference,
  files: readonly string[],
  controls: readonly Control[],
  problems: CatalogueProblem[],
): CentralWaiver[] {
  const { file, declaredIn } = reference;
  const at = locateValue(declaredIn, ['waivers', 'file']);
  if (files.includes(file)) {
    problems.push({
      ...at,
      message: `waivers.file names ${file}, a file of the catalogue itself; keep the central waivers file outside the catalogue`,
    });
    return [];
  }
  if (!fs.existsSync(file)) {
    problems.push({ ...at, message: `waivers.file names ${file}: no such file` });
    return [];
  }
  return readCentralWaivers(
    file,
    controls.map((c) => c.id),
    problems,
  );
}

/** The catalogue an overlay extends, loaded (or its problems added); a cycle of extends is a problem. */
function loadBase(
  parsed: readonly ParsedFile[],
  chain: readonly string[],
  problems: CatalogueProblem[],
): { catalogue: Catalogue; path: string } | undefined {
  const declaredIn = parsed.find((f) => typeof f.data.extends === 'string');
  if (!declaredIn) return undefined;
  const at = locateValue(declaredIn, ['extends']);
  const resolved = resolveExtends(declaredIn.data.extends as string, declaredIn.file, DEFAULT_CATALOGUE_PATH);
  if ('problem' in resolved) {
    problems.push({ ...at, message: resolved.problem });
    return undefined;
  }
  const target = path.resolve(resolved.path);
  if (chain.includes(target)) {
    problems.push({ ...at, message: `extends makes a cycle: ${[...chain, target].join(' -> ')}` });
    return undefined;
  }
  try {
    return { catalogue: loadWithin(target, chain), path: target };
  } catch (e) {
    if (!(e instanceof CatalogueError)) throw e;
    problems.push(
      { ...at, message: `the catalogue it extends, ${target}, has ${e.problems.length} problem(s):` },
      ...e.problems,
    );
    return undefined;
  }
}

function readCatalogue(target: string, chain: readonly string[]): LoadedCatalogue {
  const problems: CatalogueProblem[] = [];
  const files = catalogueFiles(target, problems);
  const parsed = files
    .map((file) => parseFile(file, problems))
    .filter((p): p is ParsedFile => p !== undefined);
  if (parsed.length === 0) throw new CatalogueError(problems);

  singleSection<string>(parsed, 'extends', problems, files[0], true);
  const extended = loadBase(parsed, [...chain, target], problems);
  const base = extended?.catalogue;
  const inherits = base !== undefined;
  const metadata =
    singleSection<CatalogueMetadata>(parsed, 'metadata', problems, files[0], inherits) ?? base?.metadata;
  const baseline =
    singleSection<Baseline>(parsed, 'baseline', problems, files[0], inherits) ?? base?.baseline;
  // The schema filled in the defaults of a section that is given; a missing one gets the base's, or them all.
  const waivers =
    singleSection<WaiverPolicy>(parsed, 'waivers', problems, files[0], true) ??
    base?.waivers ??
    DEFAULT_WAIVER_POLICY;
  const rating = singleSection<RawRatingPolicy>(parsed, 'rating', problems, files[0], true);
  let controls: Control[] = [...(base?.controls ?? [])];
  for (const file of parsed) {
    if (file.data.overrides === undefined) continue;
    if (!base)
      problems.push({
        ...locateValue(file, ['overrides']),
        message: 'overrides change the controls of the catalogue this one extends: add extends',
      });
    else controls = applyOverrides(controls, file, problems);
  }
  const inherited = new Map(controls.map((control) => [control.id, control]));
  const seen = new Map<string, Control>();
  for (const file of parsed) {
    rawControlsOf(file).forEach((raw) => {
      const index = (file.data.controls as unknown[]).indexOf(raw);
      problems.push(...controlProblems(file, raw, index));
      const control = toControl(file, raw, index);
      const first = seen.get(control.id) ?? inherited.get(control.id);
      if (first) {
        const where = inherited.has(control.id)
          ? ' in the catalogue this one extends; change it under overrides'
          : '';
        problems.push({
          ...control.source,
          message: `duplicate control id '${control.id}': already defined at ${first.source.file}:${first.source.line}${where}`,
        });
      } else {
        seen.set(control.id, control);
        controls.push(control);
      }
    });
  }
  const central = centralFileReference(parsed);
  // Taken before the file is read, so that an edit made while it is read is seen by the next load.
  const centralStamp = central ? fileStamp(central.file) : '';
  const centralWaivers = central
    ? readCentralFile(central, files, controls, problems)
    : (base?.centralWaivers ?? []);
  if (problems.length > 0 || !metadata || !baseline) {
    throw new CatalogueError([...problems].sort((a, b) => byPosition(a, b, files)));
  }
  const catalogue: Catalogue = {
    apiVersion: parsed[0].data.apiVersion as string,
    metadata,
    baseline,
    waivers: { ...waivers, ...(central && { file: central.file }) },
    centralWaivers,
    rating: rating ? toRatingPolicy(rating) : (base?.rating ?? DEFAULT_RATING_POLICY),
    controls,
    files,
    ...(extended && { extends: extended.path }),
  };
  return { catalogue, centralStamp, base };
}

interface LoadedCatalogue {
  readonly catalogue: Catalogue;
  readonly centralStamp: string;
  /** The catalogue it extends, as loaded: a cached overlay is reused only while its base is. */
  readonly base?: Catalogue;
}

const cache = new Map<string, LoadedCatalogue & { stamp: string }>();

/** A file's size and modification time, or 'missing'. */
function fileStamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return 'missing';
  }
}

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
    return files.map((name) => `${name}:${fileStamp(path.join(target, name))}`).join('|');
  } catch {
    return 'missing';
  }
}

/** The stamp of the central waivers file a catalogue was read with, '' when it names none. */
function centralStampOf(catalogue: Catalogue): string {
  return catalogue.waivers?.file ? fileStamp(catalogue.waivers.file) : '';
}

/**
 * Loads and validates a catalogue: a YAML file, or a directory of them merged in name order, and
 * the central waivers file it names. Without a path, the catalogue shipped in the package. Throws a
 * `CatalogueError` listing every problem with file, line and column. Loaded once per process and
 * path while the files (the central waivers file too) are unchanged.
 */
export function loadCatalogue(catalogPath?: string): Catalogue {
  return loadWithin(path.resolve(catalogPath ?? DEFAULT_CATALOGUE_PATH), []);
}

/** `loadCatalogue` of a catalogue an overlay extends; `chain` are the overlays on the way to it. */
function loadWithin(target: string, chain: readonly string[]): Catalogue {
  const stamp = stampOf(target);
  const cached = cache.get(target);
  if (
    cached &&
    cached.stamp === stamp &&
    cached.centralStamp === centralStampOf(cached.catalogue) &&
    (!cached.catalogue.extends || loadWithin(cached.catalogue.extends, [...chain, target]) === cached.base)
  )
    return cached.catalogue;
  const prebuilt =
    target === path.resolve(DEFAULT_CATALOGUE_PATH) ? readPrebuiltCatalogue(target) : undefined;
  const loaded = prebuilt ? { catalogue: prebuilt, centralStamp: '' } : readCatalogue(target, chain);
  cache.set(target, { ...loaded, stamp });
  return loaded.catalogue;
}
