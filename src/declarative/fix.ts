import type { CfnResource } from 'aws-cdk-lib';
import { isDeepStrictEqual } from 'node:util';
import { isIntrinsic, isPlainObject } from '../engine/intrinsics';
import { describe } from '../engine/resolve';
import type { CfnResourceJson } from '../engine/template';
import { changed, notApplied, RemediationResult } from '../remediations/context';
import { renderResource } from '../remediations/rendered';
import { cdk } from '../rules/cdk';

/**
 * The fix of a declarative control: CloudFormation property paths and the values to set. The
 * values go into the L1's typed properties (`cfnTable.pointInTimeRecoverySpecification`), so that
 * cdk-nag's own rules, which read them, see the fix too; merged into what is there, never replacing
 * a token or an intrinsic, and written into the user's escape-hatch overrides as well where those
 * would win in the template.
 */

/** One value a fix sets, at a CloudFormation property path (`['PointInTimeRecoverySpecification', 'PointInTimeRecoveryEnabled']`). */
interface Setting {
  readonly path: readonly string[];
  readonly value: unknown;
}

/** What setting one value will do, or why it cannot be done (a string). Planned before anything changes. */
type Plan = ((typed: TypedRenderings) => string) | string;

/** A CloudFormation property name, as the catalogue's schema allows it in a fix. */
const PROPERTY_NAME = /^[A-Za-z0-9]+$/;

/**
 * Sets each path's value on the L1 resource, as typed L1 properties where the L1 has them. Values
 * already rendered are left alone (so a second application changes nothing); when one value
 * cannot be set, none is.
 */
export function applyPropertySettings(
  resource: CfnResource,
  settings: Readonly<Record<string, unknown>>,
  /** The resource as it renders now, when the caller has it (as its check judged it); else rendered here. */
  renderedNow?: CfnResourceJson,
): RemediationResult {
  const leaves = settingsOf(settings);
  if (typeof leaves === 'string') return notApplied(leaves);
  const rendered = renderedNow ?? renderResource(resource)?.json;
  if (!rendered)
    return notApplied('the resource cannot be rendered while the Aspects run, so the fix cannot be made');
  const properties = rendered.Properties ?? {};
  const steps: Array<(typed: TypedRenderings) => string> = [];
  for (const setting of leaves) {
    if (isDeepStrictEqual(valueAt(properties, setting.path), setting.value)) continue;
    const plan = planSetting(resource, properties, setting);
    if (typeof plan === 'string') return notApplied(plan);
    steps.push(plan);
  }
  const typed = new TypedRenderings(resource, properties);
  return changed(...steps.map((step) => step(typed)));
}

/**
 * The values to set, one per leaf: an object value sets each of its fields (and keeps the others),
 * like dotted paths do. A path that is not a property path, a value that is missing, or two values
 * for the same property are the catalogue's mistakes, reported rather than guessed at.
 */
function settingsOf(settings: Readonly<Record<string, unknown>>): Setting[] | string {
  const leaves: Setting[] = [];
  const add = (path: string[], value: unknown): string | undefined => {
    const text = path.join('.');
    if (!path.every((name) => PROPERTY_NAME.test(name)))
      return `the fix's path '${text}' is not a property path`;
    if (value === undefined || value === null) return `the fix gives no value for ${text}`;
    if (isPlainObject(value) && !isIntrinsic(value)) {
      const fields = Object.entries(value);
      if (fields.length === 0) return `the fix sets ${text} to an empty object, which sets nothing`;
      for (const [name, field] of fields) {
        const mistake = add([...path, name], field);
        if (mistake) return mistake;
      }
      return undefined;
    }
    const clash = leaves.find((leaf) => isPrefix(leaf.path, path) || isPrefix(path, leaf.path));
    if (clash) {
      const other = clash.path.join('.');
      return other === text ? `the fix sets ${text} twice` : `the fix sets both ${other} and ${text}`;
    }
    leaves.push({ path, value });
    return undefined;
  };
  for (const [path, value] of Object.entries(settings)) {
    const mistake = add(path.split('.'), value);
    if (mistake) return mistake;
  }
  return leaves;
}

function isPrefix(prefix: readonly string[], path: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((name, i) => path[i] === name);
}

/** What setting one value will do: in the typed property, in an escape-hatch override, or both. */
function planSetting(resource: CfnResource, rendered: Record<string, unknown>, setting: Setting): Plan {
  const { path } = setting;
  const reach = overridesReaching(resource, path);
  const blocked =
    blockerOnPath(rendered, path, renderedView) ?? (typeof reach === 'string' ? reach : undefined);
  if (blocked) return blocked;
  const overridden = typeof reach !== 'string' && reach.touched;
  const l1 = resource as unknown as Record<string, unknown>;
  const typedName = typedPropertyName(resource, path[0]);
  if (typedName === undefined) {
    return () => asOverride(resource, setting, `the L1 has no typed property for ${path[0]}`);
  }
  const typedBlocker = blockerOnPath({ [path[0]]: l1[typedName] }, path, typedView);
  if (typedBlocker) return typedBlocker;
  return (typed) => {
    const before = l1[typedName];
    const renderedBefore = typed.now(path[0]);
    const kept = typed.kept();
    l1[typedName] = withValueAt(before, path.slice(1), setting.value, typedKey);
    if (!renderedBefore || !changedByExactly(renderedBefore, typed.changed(path[0]), setting)) {
      l1[typedName] = before;
      typed.restore(kept);
      return asOverride(resource, setting, `the L1's typed ${typedName} does not render ${path.join('.')}`);
    }
    if (!overridden) return setText(setting);
    resource.addPropertyOverride(path.join('.'), setting.value);
    return `${setText(setting)} (in the typed property, and in the escape-hatch override of it that wins in the template)`;
  };
}

/** Sets the value as an escape-hatch override, which cdk-nag's own rules do not see; the text says why. */
function asOverride(resource: CfnResource, setting: Setting, why: string): string {
  resource.addPropertyOverride(setting.path.join('.'), setting.value);
  return `${setText(setting)} (as an escape-hatch override: ${why})`;
}

function setText({ path, value }: Setting): string {
  return `set ${path.join('.')} to ${typeof value === 'string' ? value : JSON.stringify(value)}`;
}

/** How a walk along a path reads one kind of value: the rendered template, or the typed L1 properties. */
interface View {
  /** The key of `name` in `object`, or undefined when it has none. */
  readonly keyOf: (object: Record<string, unknown>, name: string) => string | undefined;
  /** What a value decided elsewhere is, that the fix must neither replace nor merge into. */
  readonly opaque: (value: unknown) => string | undefined;
}

const renderedView: View = {
  keyOf: (object, name) => (Object.hasOwn(object, name) ? name : undefined),
  opaque: (value) => (isIntrinsic(value) ? `${describe(value)}, known only at deploy time` : undefined),
};

const typedView: View = {
  keyOf: existingKey,
  opaque: (value) =>
    renderedView.opaque(value) ??
    (cdk.Token.isUnresolved(value)
      ? 'a token (an intrinsic, or a value CDK computes at synth time)'
      : undefined),
};

/**
 * Why the fix cannot set the value at `path` of `root`: a token or an intrinsic on the way or at
 * the path itself, or a value where a structure belongs. Undefined when nothing is in the way.
 */
function blockerOnPath(
  root: Record<string, unknown>,
  path: readonly string[],
  view: View,
): string | undefined {
  let node: unknown = root;
  for (let depth = 1; depth <= path.length; depth++) {
    const key = isPlainObject(node) ? view.keyOf(node, path[depth - 1]) : undefined;
    node = key === undefined ? undefined : (node as Record<string, unknown>)[key];
    if (node === undefined) return undefined;
    const at = path.slice(0, depth).join('.');
    const opaque = view.opaque(node);
    if (opaque) return cannotReplace(at, opaque, path);
    if (depth < path.length && !isPlainObject(node)) {
      return `${at} is ${describe(node)}, not a structure the fix can set ${path[depth]} in`;
    }
  }
  return undefined;
}

function cannotReplace(at: string, what: string, path: readonly string[]): string {
  return `${at} is ${what}: the fix does not overwrite it; set ${path.join('.')} in code`;
}

/** The rendered value at `path`, read through own properties only. */
function valueAt(properties: Record<string, unknown>, path: readonly string[]): unknown {
  return path.reduce<unknown>(
    (value, name) => (isPlainObject(value) && Object.hasOwn(value, name) ? value[name] : undefined),
    properties,
  );
}

/**
 * Whether the user's escape-hatch overrides (`addPropertyOverride`) reach `path`, so that they
 * would win over the typed property in the template: touched when one sets the path or something
 * below it; a string when one is in the way (a token above it, or the removal of something above
 * it). A scalar above it shows in the rendered template, where `blockerOnPath` finds it.
 */
function overridesReaching(resource: CfnResource, path: readonly string[]): { touched: boolean } | string {
  let node: unknown = propertyOverrides(resource);
  for (const [i, name] of path.entries()) {
    if (!isPlainObject(node) || !Object.hasOwn(node, name)) return { touched: false };
    node = node[name];
    if (i === path.length - 1) return { touched: true };
    const at = path.slice(0, i + 1).join('.');
    if (node === undefined) {
      return `an escape-hatch override removes ${at} (addPropertyDeletionOverride), which the fix would bring back: set ${path.join('.')} in code`;
    }
    const opaque = typedView.opaque(node);
    if (opaque) return cannotReplace(`the escape-hatch override of ${at}`, opaque, path);
  }
  return { touched: false };
}

/**
 * The L1's typed property for a top-level CloudFormation name, by CDK's own map of the two
 * (`cfnPropertyName('sseSpecification')` is `SSESpecification`). L1s hold their properties as
 * accessors on their prototype (own fields in older releases); `tags` is a TagManager, not a value.
 */
function typedPropertyName(resource: CfnResource, cfnName: string): string | undefined {
  const names = new Set(Object.keys(resource));
  for (
    let prototype = Object.getPrototypeOf(resource);
    prototype && prototype !== cdk.CfnResource.prototype;
    prototype = Object.getPrototypeOf(prototype)
  ) {
    for (const name of Object.getOwnPropertyNames(prototype)) names.add(name);
  }
  const l1 = resource as unknown as Record<string, unknown>;
  return [...names].find(
    (name) => resource.cfnPropertyName(name) === cfnName && !(l1[name] instanceof cdk.TagManager),
  );
}

/** The key of `name` in a typed structure: as the user wrote it when it is there, in any casing. */
function existingKey(object: Record<string, unknown>, name: string): string | undefined {
  if (Object.hasOwn(object, name)) return name;
  const lower = name.toLowerCase();
  return Object.keys(object).find((key) => key.toLowerCase() === lower);
}

/** Where a value goes in a structure: the key of a property name in it. */
type KeyOf = (object: Record<string, unknown>, name: string) => string;

/**
 * In a typed structure, a new field takes the casing of its structure: the key already there in
 * any casing, CloudFormation's when every key is capitalised (a structure the L1 takes as raw
 * JSON), else CDK's camelCase.
 */
const typedKey: KeyOf = (object, name) => existingKey(object, name) ?? newKey(object, name);

/** `current` with `value` at `path`, every other field kept; never changes `current` itself. */
function withValueAt(current: unknown, path: readonly string[], value: unknown, keyOf: KeyOf): unknown {
  if (path.length === 0) return value;
  const object: Record<string, unknown> = isPlainObject(current) ? current : {};
  const [name, ...rest] = path;
  const key = keyOf(object, name);
  return { ...object, [key]: withValueAt(object[key], rest, value, keyOf) };
}

function newKey(object: Record<string, unknown>, cfnName: string): string {
  const keys = Object.keys(object);
  const capitalised = keys.length > 0 && keys.every((key) => /^[A-Z]/.test(key));
  return capitalised ? cfnName : camelCase(cfnName);
}

/**
 * CDK's name for a CloudFormation property: words split at case changes, an acronym is one word
 * (`KMSMasterKeyId` is `kmsMasterKeyId`). CDK names a few otherwise (`ProviderARNs` is
 * `providerArns`); whether the L1 renders the name is checked after setting it.
 */
function camelCase(cfnName: string): string {
  const words = cfnName.match(/[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g) ?? [cfnName];
  return words
    .map((word, i) => (i === 0 ? word.toLowerCase() : word[0].toUpperCase() + word.slice(1).toLowerCase()))
    .join('');
}

/** How one typed property renders (`value` undefined: it renders nothing). */
interface TypedValue {
  readonly value: unknown;
}

/**
 * How the L1's typed properties render as the fix's steps change them, without overrides. Until a
 * step changes them, a property no escape-hatch override touches renders as the resource did when
 * its check judged it (the typed rendering and the template agree there); otherwise the typed
 * properties are rendered.
 */
class TypedRenderings {
  /** The typed properties as last rendered; null while no step has changed them; undefined when they do not render. */
  private latest: Record<string, unknown> | undefined | null = null;

  constructor(
    private readonly resource: CfnResource,
    /** The resource's properties as its check judged them. */
    private readonly judged: Record<string, unknown>,
  ) {}

  /** How `cfnName` renders now; undefined when the typed properties do not render. */
  now(cfnName: string): TypedValue | undefined {
    if (this.latest === null && !overridesTouch(this.resource, cfnName))
      return { value: asJson(this.judged[cfnName]) };
    if (this.latest === null) this.latest = typedRendering(this.resource);
    return this.latest && { value: this.latest[cfnName] };
  }

  /** How `cfnName` renders after a step changed its typed property. */
  changed(cfnName: string): TypedValue | undefined {
    this.latest = typedRendering(this.resource);
    return this.latest && { value: this.latest[cfnName] };
  }

  /** What `restore` takes back to, once a step has undone its change. */
  kept(): Record<string, unknown> | undefined | null {
    return this.latest;
  }

  restore(kept: Record<string, unknown> | undefined | null): void {
    this.latest = kept;
  }
}

/** The value as plain JSON, as `typedRendering` gives it (CDK tags the values it resolves). */
function asJson(value: unknown): unknown {
  return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/** The escape-hatch overrides of `Properties`, as `addOverride` writes them. */
function propertyOverrides(resource: CfnResource): unknown {
  // CfnResource keeps the overrides in a private field, `rawOverrides`.
  return (resource as unknown as { rawOverrides: Record<string, unknown> }).rawOverrides.Properties;
}

/** Whether an escape-hatch override sets or removes anything at or under `Properties.<cfnName>`. */
function overridesTouch(resource: CfnResource, cfnName: string): boolean {
  const properties = propertyOverrides(resource);
  return properties !== undefined && (!isPlainObject(properties) || Object.hasOwn(properties, cfnName));
}

/**
 * The L1's typed properties as it renders them, without overrides, as JSON (the template drops
 * what is undefined); undefined when they do not render (a value of a type the L1 refuses).
 */
function typedRendering(resource: CfnResource): Record<string, unknown> | undefined {
  // `cfnProperties` and `renderProperties` are CDK's protected members for what the L1 renders.
  const l1 = resource as unknown as {
    cfnProperties: Record<string, unknown>;
    renderProperties(properties: Record<string, unknown>): Record<string, unknown>;
  };
  try {
    return JSON.parse(JSON.stringify(l1.renderProperties(cdk.Stack.of(resource).resolve(l1.cfnProperties))));
  } catch {
    return undefined;
  }
}

/**
 * Whether the typed property renders the setting, and nothing else of it changed: a field CDK names
 * otherwise than `camelCase` guesses is not rendered, nor a structure's field in the wrong casing.
 * (A step changes one typed property, which renders as that one CloudFormation property.)
 */
function changedByExactly(
  before: TypedValue,
  after: TypedValue | undefined,
  { path, value }: Setting,
): boolean {
  const [cfnName] = path;
  const asProperties = ({ value: rendered }: TypedValue) =>
    rendered === undefined ? {} : { [cfnName]: rendered };
  return (
    after !== undefined &&
    isDeepStrictEqual(
      asProperties(after),
      withValueAt(asProperties(before), path, value, (_object, name) => name),
    )
  );
}
