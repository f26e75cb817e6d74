import { Control, DECLARATIVE_RULE } from '../catalogue/model';
import { compliant, nonCompliant, RuleModule, unverifiable, Verdict } from '../rules/rule';
import { ConditionOutcome, describeCondition, evaluateCondition } from './condition';
import { applyPropertySettings } from './fix';
import { nameSiblings } from './path';

/**
 * A declarative control compiled into a rule module, so the engine judges it exactly as a library
 * rule: every `Fn::If` combination, `AWS::NoValue` as absence, a deploy-time value as unverifiable,
 * the waivers, the report and the docs. Its fix, when the control has one, sets property values.
 */

const compiled = new WeakMap<Control, RuleModule>();

/** The rule module a declarative control compiles into, once per control. */
export function declarativeRuleOf(control: Control): RuleModule {
  let rule = compiled.get(control);
  if (!rule) {
    rule = compile(control);
    compiled.set(control, rule);
  }
  return rule;
}

function compile(control: Control): RuleModule {
  const check = control.check!;
  const settings = control.remediation.set;
  const required = describeCondition(check.require);
  return {
    meta: {
      id: DECLARATIVE_RULE,
      description: control.title,
      resourceTypes: check.resourceTypes,
      compliantWhen: required,
      remediation: settings
        ? `sets ${describeSettings(settings)}`
        : 'none: the catalogue gives this control no fix',
      fix: {
        manually: settings ? `set ${describeSettings(settings)}` : `make sure ${required}`,
        aspect: 'EnterpriseCatalogueRemediations',
        settings: [],
      },
      paramsSchema: { type: 'object' },
    },
    check: (resource, _params, resolver) =>
      verdictOf(evaluateCondition(check.require, resource.properties, resource.stack, resolver)),
    ...(settings && { remediate: (resource) => applyPropertySettings(resource, settings) }),
  };
}

function verdictOf(outcome: ConditionOutcome): Verdict {
  switch (outcome.status) {
    case 'pass':
      return compliant;
    case 'fail':
      return nonCompliant(outcome.property, outcome.reason);
    default:
      return unverifiable(outcome.property, outcome.reason);
  }
}

/**
 * The settings in words, siblings that get one value said once:
 * `PublicAccessBlockConfiguration BlockPublicAcls, BlockPublicPolicy and IgnorePublicAcls to true`.
 */
export function describeSettings(settings: Readonly<Record<string, unknown>>): string {
  const groups = new Map<string, { parent: string; leaves: string[]; value: unknown }>();
  for (const [path, value] of Object.entries(settings)) {
    const dot = path.lastIndexOf('.');
    const parent = dot === -1 ? '' : path.slice(0, dot);
    const key = JSON.stringify([parent, value]);
    const group = groups.get(key) ?? { parent, leaves: [], value };
    group.leaves.push(path.slice(dot + 1));
    groups.set(key, group);
  }
  return [...groups.values()]
    .map(({ parent, leaves, value }) => `${nameSiblings(parent, leaves)} to ${JSON.stringify(value)}`)
    .join(', ');
}
