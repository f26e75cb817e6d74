import { compareEnvironments, environmentMismatch, pseudoParameterValue } from './environment';
import { intrinsicName, isIntrinsic, isNoValue, isPlainObject, NO_VALUE, prop } from './intrinsics';
import { CfnResourceJson, StackTemplate } from './template';

/**
 * What a property value is known to be at synth time. Rules decide on this, never on raw
 * intrinsics, so every rule reads `Ref`, `Fn::GetAtt`, `Fn::ImportValue` and parameters alike.
 */
export type Resolved =
  | { readonly kind: 'absent' }
  | { readonly kind: 'literal'; readonly value: string | number | boolean }
  | { readonly kind: 'structure'; readonly value: unknown }
  | {
      readonly kind: 'resource';
      readonly logicalId: string;
      readonly resource: CfnResourceJson;
      readonly stack: StackTemplate;
      /** `Arn`, `KeyId`... for `Fn::GetAtt`; undefined for `Ref`. */
      readonly attribute?: string;
    }
  /** Known only at deploy time: a parameter, a pseudo parameter, an unresolved import, a computed string. */
  | { readonly kind: 'unknown'; readonly description: string };

const PSEUDO_PARAMETER = /^AWS::/;
const NESTED_STACK = 'AWS::CloudFormation::Stack';

/** Custom resources compute their physical id and attributes when they run: deploy-time values. */
function isCustomResource(resource: CfnResourceJson): boolean {
  return (
    String(resource.Type).startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource'
  );
}

/** Beyond this many hops (import of an import of a nested parameter...) a value counts as unknown. */
const MAX_REFERENCE_DEPTH = 16;

/** A resource of a type the rules look for (see `TemplateResolver.resourcesOfType`). */
export interface ResourceOfType {
  readonly logicalId: string;
  readonly resource: CfnResourceJson;
  readonly stack: StackTemplate;
}

interface Export {
  readonly stack: StackTemplate;
  readonly value: unknown;
}

/**
 * Resolves values against the set of templates being evaluated: references to resources in the
 * same stack, a nested stack's parameters to what its parent passes, and `Fn::ImportValue` of an
 * export from a stack in the same account and region, become the resource or value they name.
 * Pseudo parameters are known where the stack's environment is.
 */
export class TemplateResolver {
  private readonly exports = new Map<string, Export[]>();
  private readonly stacksById = new Map<string, StackTemplate>();
  /** Nested stacks by their parent's stack id and the logical id of the parent's stack resource. */
  private readonly nestedStacks = new Map<string, StackTemplate>();
  private readonly memo = new Map<string, unknown>();

  /**
   * @param listResourcesOfType lists a type's resources when the caller keeps them listed (the
   *   remediations judge one stack many times); the same list as `resourcesOfType` would make.
   */
  constructor(
    public readonly stacks: readonly StackTemplate[],
    private readonly listResourcesOfType?: (type: string) => readonly ResourceOfType[],
  ) {
    for (const stack of stacks) {
      this.stacksById.set(stack.stackId, stack);
      if (stack.parent) this.nestedStacks.set(nestedKey(stack.parent.stackId, stack.parent.logicalId), stack);
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = prop(prop(output, 'Export'), 'Name');
        if (typeof name === 'string')
          this.exports.set(name, [...(this.exports.get(name) ?? []), { stack, value: output.Value }]);
      }
    }
  }

  /** Computes a value once per evaluation run (e.g. an index over all buckets) and shares it. */
  memoize<T>(key: string, compute: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, compute());
    return this.memo.get(key) as T;
  }

  /** Every resource of one type across all stacks. */
  resourcesOfType(type: string): readonly ResourceOfType[] {
    if (this.listResourcesOfType) return this.listResourcesOfType(type);
    return this.memoize(`type:${type}`, () =>
      this.stacks.flatMap((stack) =>
        Object.entries(stack.template.Resources ?? {})
          .filter(([, resource]) => resource?.Type === type)
          .map(([logicalId, resource]) => ({ logicalId, resource, stack })),
      ),
    );
  }

  /** The default of a template parameter, when it has one (a deploy may still pass another value). */
  parameterDefault(name: string, stack: StackTemplate): unknown {
    return prop(stack.template.Parameters?.[name], 'Default');
  }

  resolve(value: unknown, stack: StackTemplate, depth = 0): Resolved {
    if (value === undefined || value === null) return { kind: 'absent' };
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'literal', value };
    }
    if (!isIntrinsic(value)) return { kind: 'structure', value };
    if (depth > MAX_REFERENCE_DEPTH) return { kind: 'unknown', description: `${describe(value)} (too deep)` };
    const name = intrinsicName(value) as string;
    const args = value[name];
    switch (name) {
      case 'Ref':
        return this.resolveRef(args, stack, depth);
      case 'Fn::GetAtt':
        return this.resolveGetAtt(args, stack, depth);
      case 'Fn::ImportValue':
        return this.resolveImport(args, stack, depth);
      case 'Fn::FindInMap':
        return this.resolveFindInMap(args, stack, depth);
      case 'Fn::Select':
        return this.resolveSelect(args, stack, depth);
      case 'Fn::Join':
      case 'Fn::Sub': {
        const text = this.text(value, stack, depth);
        return text.exact
          ? { kind: 'literal', value: text.text }
          : { kind: 'unknown', description: describe(value) };
      }
      default:
        return { kind: 'unknown', description: describe(value) };
    }
  }

  /**
   * Renders a string value with the parts known at synth time; unknown parts become `${Name}` or
   * `${Resource.Attribute}` placeholders, the way `Fn::Sub` writes them, and `exact` is false. So
   * one name reads the same however it is spelt (`Fn::Join` of `Ref`s, or `Fn::Sub`), and rules see
   * `alias/aws/sns` inside a `Fn::Join`.
   */
  text(value: unknown, stack: StackTemplate, depth = 0): { text: string; exact: boolean } {
    if (typeof value === 'string') return { text: value, exact: true };
    if (typeof value === 'number' || typeof value === 'boolean') return { text: String(value), exact: true };
    const name = intrinsicName(value);
    const args = name ? (value as Record<string, unknown>)[name] : undefined;
    if (depth > MAX_REFERENCE_DEPTH) return { text: `\${${describe(value)}}`, exact: false };
    if (name === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
      const parts = args[1].map((part) => this.text(part, stack, depth + 1));
      return { text: parts.map((p) => p.text).join(args[0]), exact: parts.every((p) => p.exact) };
    }
    if (name === 'Fn::Sub') return this.subText(args, stack, depth);
    if (name === 'Ref' && typeof args === 'string') {
      const resolved = this.resolveRef(args, stack, depth);
      return resolved.kind === 'literal'
        ? { text: String(resolved.value), exact: true }
        : { text: `\${${args}}`, exact: false };
    }
    if (name === 'Fn::GetAtt') {
      const [logicalId, attribute] = getAttParts(args);
      if (typeof logicalId === 'string' && typeof attribute === 'string')
        return { text: `\${${logicalId}.${attribute}}`, exact: false };
    }
    if (name === 'Fn::FindInMap' || name === 'Fn::Select' || name === 'Fn::ImportValue') {
      const resolved = this.resolve(value, stack, depth + 1);
      if (resolved.kind === 'literal') return { text: String(resolved.value), exact: true };
    }
    return { text: `\${${describe(value)}}`, exact: false };
  }

  private subText(args: unknown, stack: StackTemplate, depth: number): { text: string; exact: boolean } {
    const template = Array.isArray(args) ? args[0] : args;
    if (typeof template !== 'string') return { text: `\${${describe({ 'Fn::Sub': args })}}`, exact: false };
    const variables = Array.isArray(args) && isPlainObject(args[1]) ? args[1] : {};
    let exact = true;
    // `${!Literal}` renders as `${Literal}`; `${Name}` and `${Resource.Attribute}` as Ref and Fn::GetAtt.
    const text = template.replace(/\$\{(!?)([^}]*)\}/g, (_placeholder, bang: string, variable: string) => {
      if (bang) return `\${${variable}}`;
      const reference = Object.prototype.hasOwnProperty.call(variables, variable)
        ? variables[variable]
        : variable.includes('.')
          ? { 'Fn::GetAtt': variable }
          : { Ref: variable };
      const part = this.text(reference, stack, depth + 1);
      exact &&= part.exact;
      return part.text;
    });
    return { text, exact };
  }

  private resolveRef(target: unknown, stack: StackTemplate, depth: number): Resolved {
    if (typeof target !== 'string') return { kind: 'unknown', description: describe({ Ref: target }) };
    if (target === NO_VALUE) return { kind: 'absent' };
    const found = this.findResource(target, stack);
    if (found && isCustomResource(found.resource))
      return { kind: 'unknown', description: `custom resource ${target}` };
    if (found) return { kind: 'resource', logicalId: target, ...found };
    if (stack.template.Parameters?.[target]) return this.resolveParameter(target, stack, depth);
    if (PSEUDO_PARAMETER.test(target)) {
      const known = pseudoParameterValue(target, stack);
      return known === undefined
        ? { kind: 'unknown', description: `pseudo parameter ${target}` }
        : { kind: 'literal', value: known };
    }
    return { kind: 'unknown', description: `Ref to ${target}, which is not in the template` };
  }

  /**
   * A nested stack's parameter is what its parent passes (or, when the parent passes nothing, its
   * default); a top-level stack's parameters are chosen at deploy time.
   */
  private resolveParameter(name: string, stack: StackTemplate, depth: number): Resolved {
    const parent = stack.parent && this.stacksById.get(stack.parent.stackId);
    const link = parent?.template.Resources?.[stack.parent!.logicalId];
    if (parent && link) {
      const passed = prop(prop(link.Properties, 'Parameters'), name);
      if (passed !== undefined) return this.resolve(passed, parent, depth + 1);
      const fallback = this.parameterDefault(name, stack);
      if (fallback !== undefined) return this.resolve(fallback, stack, depth + 1);
    }
    return { kind: 'unknown', description: `parameter ${name}` };
  }

  private resolveGetAtt(args: unknown, stack: StackTemplate, depth: number): Resolved {
    const [logicalId, attribute] = getAttParts(args);
    const found = typeof logicalId === 'string' ? this.findResource(logicalId, stack) : undefined;
    const resource = found?.resource;
    if (!found || !resource || typeof attribute !== 'string') {
      const missing =
        typeof logicalId === 'string' && !resource
          ? `, whose resource ${logicalId} is not in the template`
          : '';
      return { kind: 'unknown', description: `${describe({ 'Fn::GetAtt': args })}${missing}` };
    }
    if (isCustomResource(resource)) {
      return { kind: 'unknown', description: `attribute ${attribute} of custom resource ${logicalId}` };
    }
    if (resource.Type === NESTED_STACK && attribute.startsWith('Outputs.')) {
      return this.resolveNestedOutput(
        found.stack,
        logicalId as string,
        attribute.slice('Outputs.'.length),
        depth,
      );
    }
    return { kind: 'resource', logicalId: logicalId as string, ...found, attribute };
  }

  /** A nested stack's output, read in the nested template when it is among those checked. */
  private resolveNestedOutput(
    parent: StackTemplate,
    logicalId: string,
    output: string,
    depth: number,
  ): Resolved {
    const nested = this.nestedStacks.get(nestedKey(parent.stackId, logicalId));
    const value = nested?.template.Outputs?.[output]?.Value;
    if (!nested || value === undefined) {
      return { kind: 'unknown', description: `output ${output} of nested stack ${logicalId}` };
    }
    return this.resolve(value, nested, depth + 1);
  }

  /**
   * A resource of the stack by logical id. In a tree rendered before synthesis prepares it
   * (`validateScope`), a nested stack and its parent still refer to each other's resources
   * directly, not through parameters and outputs; such a reference is looked up in the parents,
   * then in the nested stacks (in a synthesized template it would not deploy at all).
   */
  private findResource(
    logicalId: string,
    stack: StackTemplate,
  ): { resource: CfnResourceJson; stack: StackTemplate } | undefined {
    for (let current: StackTemplate | undefined = stack; current;) {
      const resource = current.template.Resources?.[logicalId];
      if (resource) return { resource, stack: current };
      current = current.parent && this.stacksById.get(current.parent.stackId);
    }
    return this.findInNestedStacks(logicalId, stack);
  }

  private findInNestedStacks(
    logicalId: string,
    stack: StackTemplate,
  ): { resource: CfnResourceJson; stack: StackTemplate } | undefined {
    for (const nested of this.stacks.filter((s) => s.parent?.stackId === stack.stackId)) {
      const resource = nested.template.Resources?.[logicalId];
      const found = resource ? { resource, stack: nested } : this.findInNestedStacks(logicalId, nested);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * CloudFormation resolves an import in the importing stack's own account and region: only an
   * export from a stack there counts, and only when exactly one stack of the templates exports it.
   */
  private resolveImport(exportName: unknown, stack: StackTemplate, depth: number): Resolved {
    const name = this.text(exportName, stack, depth + 1);
    if (!name.exact) return { kind: 'unknown', description: `import of export ${name.text}` };
    const candidates = (this.exports.get(name.text) ?? []).map((exported) => ({
      exported,
      match: compareEnvironments(stack, exported.stack),
    }));
    const possible = candidates.filter(({ match }) => match !== 'different');
    if (possible.length === 1 && possible[0].match === 'same') {
      // The export's value is itself a Ref/GetAtt in the exporting stack.
      return this.resolve(possible[0].exported.value, possible[0].exported.stack, depth + 1);
    }
    const why =
      possible.length > 1
        ? `, which several stacks export (${possible.map(({ exported }) => exported.stack.stackId).join(', ')})`
        : possible.length === 1
          ? `: ${environmentMismatch('undecided', stack, possible[0].exported.stack)}`
          : candidates.length > 0
            ? `, which only stacks in other accounts or regions export (${candidates.map(({ exported }) => exported.stack.stackId).join(', ')})`
            : '';
    return { kind: 'unknown', description: `import of export ${name.text}${why}` };
  }

  /** `Fn::FindInMap` with keys known at synth time reads the template's Mappings. */
  private resolveFindInMap(args: unknown, stack: StackTemplate, depth: number): Resolved {
    const description = describe({ 'Fn::FindInMap': args });
    if (!Array.isArray(args) || args.length < 3) return { kind: 'unknown', description };
    const keys = args.slice(0, 3).map((key) => this.text(key, stack, depth + 1));
    if (!keys.every((key) => key.exact)) return { kind: 'unknown', description };
    const found = prop(prop(prop(stack.template.Mappings, keys[0].text), keys[1].text), keys[2].text);
    if (found === undefined) {
      // Language extensions allow a DefaultValue for a key that is not in the map.
      const fallback = prop(args[3], 'DefaultValue');
      return fallback === undefined
        ? { kind: 'unknown', description: `${description}, which is not in the template's Mappings` }
        : this.resolve(fallback, stack, depth + 1);
    }
    return this.resolve(found, stack, depth + 1);
  }

  /** `Fn::Select` of a known index from a literal list or a `Fn::Split` of a known string. */
  private resolveSelect(args: unknown, stack: StackTemplate, depth: number): Resolved {
    const description = describe({ 'Fn::Select': args });
    if (!Array.isArray(args) || args.length !== 2) return { kind: 'unknown', description };
    const index = this.resolve(args[0], stack, depth + 1);
    const position = index.kind === 'literal' ? Number(index.value) : NaN;
    if (!Number.isInteger(position) || position < 0) return { kind: 'unknown', description };
    const list = this.listOf(args[1], stack, depth + 1);
    if (!list) return { kind: 'unknown', description };
    return position < list.length
      ? this.resolve(list[position], stack, depth + 1)
      : { kind: 'unknown', description: `${description}, whose index is past the end of the list` };
  }

  private listOf(value: unknown, stack: StackTemplate, depth: number): unknown[] | undefined {
    if (Array.isArray(value)) return value.filter((item) => !isNoValue(item));
    const split = prop(value, 'Fn::Split');
    if (isIntrinsic(value) && Array.isArray(split) && typeof split[0] === 'string' && split[0] !== '') {
      const text = this.text(split[1], stack, depth);
      return text.exact ? text.text.split(split[0]) : undefined;
    }
    const resolved = this.resolve(value, stack, depth);
    return resolved.kind === 'structure' && Array.isArray(resolved.value) ? resolved.value : undefined;
  }
}

function nestedKey(parentStackId: string, logicalId: string): string {
  return `${parentStackId}\u0000${logicalId}`;
}

function getAttParts(args: unknown): [unknown, unknown] {
  if (typeof args === 'string') {
    const [logicalId, attribute] = args.split(/\.(.*)/s);
    return [logicalId, attribute];
  }
  return Array.isArray(args) ? [args[0], args[1]] : [undefined, undefined];
}

/** A short, readable rendering of a value for messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (isIntrinsic(value)) {
    const name = intrinsicName(value) as string;
    const args = value[name];
    if (name === 'Ref') return `Ref ${plainText(args)}`;
    if (name === 'Fn::GetAtt')
      return `Fn::GetAtt ${Array.isArray(args) ? args.map(plainText).join('.') : plainText(args)}`;
    if (name === 'Fn::ImportValue')
      return `Fn::ImportValue ${typeof args === 'string' ? args : '(computed name)'}`;
    return name;
  }
  const json = JSON.stringify(value);
  return json === undefined ? plainText(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** Any value as text, never throwing (an object without a prototype has no toString). */
function plainText(value: unknown): string {
  if (typeof value !== 'object' || value === null) return String(value);
  return JSON.stringify(value) ?? typeof value;
}
