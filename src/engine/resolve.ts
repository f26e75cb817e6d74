import { intrinsicName, isIntrinsic, isPlainObject } from './intrinsics';
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

/** Custom resources compute their physical id and attributes when they run: deploy-time values. */
function isCustomResource(resource: CfnResourceJson): boolean {
  return (
    String(resource.Type).startsWith('Custom::') || resource.Type === 'AWS::CloudFormation::CustomResource'
  );
}

/**
 * Resolves values against the set of templates being evaluated: references to resources in the
 * same stack, and `Fn::ImportValue` of another stack's export, become the resource they name.
 */
export class TemplateResolver {
  private readonly exports = new Map<string, { stack: StackTemplate; value: unknown }>();
  private readonly memo = new Map<string, unknown>();

  constructor(public readonly stacks: readonly StackTemplate[]) {
    for (const stack of stacks) {
      for (const output of Object.values(stack.template.Outputs ?? {})) {
        const name = output?.Export?.Name;
        if (typeof name === 'string') this.exports.set(name, { stack, value: output.Value });
      }
    }
  }

  /** Computes a value once per evaluation run (e.g. an index over all buckets) and shares it. */
  memoize<T>(key: string, compute: () => T): T {
    if (!this.memo.has(key)) this.memo.set(key, compute());
    return this.memo.get(key) as T;
  }

  /** Every resource of one type across all stacks. */
  resourcesOfType(
    type: string,
  ): Array<{ logicalId: string; resource: CfnResourceJson; stack: StackTemplate }> {
    return this.memoize(`type:${type}`, () =>
      this.stacks.flatMap((stack) =>
        Object.entries(stack.template.Resources ?? {})
          .filter(([, resource]) => resource?.Type === type)
          .map(([logicalId, resource]) => ({ logicalId, resource, stack })),
      ),
    );
  }

  resolve(value: unknown, stack: StackTemplate): Resolved {
    if (value === undefined || value === null) return { kind: 'absent' };
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      return { kind: 'literal', value };
    }
    if (!isIntrinsic(value)) return { kind: 'structure', value };
    const name = intrinsicName(value) as string;
    const args = value[name];
    switch (name) {
      case 'Ref':
        return this.resolveRef(args, stack);
      case 'Fn::GetAtt':
        return this.resolveGetAtt(args, stack);
      case 'Fn::ImportValue':
        return this.resolveImport(args, stack);
      case 'Fn::Join':
      case 'Fn::Sub': {
        const text = this.text(value, stack);
        return text.exact
          ? { kind: 'literal', value: text.text }
          : { kind: 'unknown', description: describe(value) };
      }
      default:
        return { kind: 'unknown', description: describe(value) };
    }
  }

  /**
   * Renders a string value with the parts known at synth time; unknown parts become `${...}`
   * placeholders and `exact` is false. Lets rules see `alias/aws/sns` inside a `Fn::Join`.
   */
  text(value: unknown, stack: StackTemplate): { text: string; exact: boolean } {
    if (typeof value === 'string') return { text: value, exact: true };
    if (typeof value === 'number' || typeof value === 'boolean') return { text: String(value), exact: true };
    const name = intrinsicName(value);
    const args = name ? (value as Record<string, unknown>)[name] : undefined;
    if (name === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
      const parts = args[1].map((part) => this.text(part, stack));
      return { text: parts.map((p) => p.text).join(args[0]), exact: parts.every((p) => p.exact) };
    }
    if (name === 'Fn::Sub') {
      const template = Array.isArray(args) ? args[0] : args;
      if (typeof template === 'string') {
        const variables = Array.isArray(args) && isPlainObject(args[1]) ? args[1] : {};
        let exact = true;
        const text = template.replace(/\$\{([^!}][^}]*)\}/g, (placeholder, variable: string) => {
          if (variable in variables) {
            const part = this.text(variables[variable], stack);
            exact &&= part.exact;
            return part.text;
          }
          exact = false;
          return placeholder;
        });
        return { text, exact };
      }
    }
    return { text: `\${${describe(value)}}`, exact: false };
  }

  private resolveRef(target: unknown, stack: StackTemplate): Resolved {
    if (typeof target !== 'string') return { kind: 'unknown', description: describe({ Ref: target }) };
    const resource = stack.template.Resources?.[target];
    if (resource && isCustomResource(resource))
      return { kind: 'unknown', description: `custom resource ${target}` };
    if (resource) return { kind: 'resource', logicalId: target, resource, stack };
    if (stack.template.Parameters?.[target]) return { kind: 'unknown', description: `parameter ${target}` };
    if (PSEUDO_PARAMETER.test(target)) return { kind: 'unknown', description: `pseudo parameter ${target}` };
    return { kind: 'unknown', description: `Ref to ${target}, which is not in the template` };
  }

  private resolveGetAtt(args: unknown, stack: StackTemplate): Resolved {
    const [logicalId, attribute] =
      typeof args === 'string' ? args.split(/\.(.*)/s) : Array.isArray(args) ? args : [undefined, undefined];
    const resource = typeof logicalId === 'string' ? stack.template.Resources?.[logicalId] : undefined;
    if (!resource || typeof attribute !== 'string') {
      const missing =
        typeof logicalId === 'string' && !resource
          ? `, whose resource ${logicalId} is not in the template`
          : '';
      return { kind: 'unknown', description: `${describe({ 'Fn::GetAtt': args })}${missing}` };
    }
    if (isCustomResource(resource)) {
      return { kind: 'unknown', description: `attribute ${attribute} of custom resource ${logicalId}` };
    }
    return { kind: 'resource', logicalId: logicalId as string, resource, stack, attribute };
  }

  private resolveImport(exportName: unknown, stack: StackTemplate): Resolved {
    const name = this.text(exportName, stack);
    const exported = name.exact ? this.exports.get(name.text) : undefined;
    if (!exported) return { kind: 'unknown', description: `import of export ${name.text}` };
    // The export's value is itself a Ref/GetAtt in the exporting stack.
    return this.resolve(exported.value, exported.stack);
  }
}

/** A short, readable rendering of a value for messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (isIntrinsic(value)) {
    const name = intrinsicName(value) as string;
    const args = value[name];
    if (name === 'Ref') return `Ref ${String(args)}`;
    if (name === 'Fn::GetAtt') return `Fn::GetAtt ${Array.isArray(args) ? args.join('.') : String(args)}`;
    if (name === 'Fn::ImportValue')
      return `Fn::ImportValue ${typeof args === 'string' ? args : '(computed name)'}`;
    return name;
  }
  const json = JSON.stringify(value);
  return json === undefined ? String(value) : json.length > 60 ? `${json.slice(0, 57)}...` : json;
}
