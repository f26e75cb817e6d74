import { Control, DECLARATIVE_RULE } from '../catalogue/model';
import { compliant, nonCompliant, RuleModule, unverifiable, Verdict } from '../rules/rule';
import { ConditionOutcome, describeCondition, evaluateCondition } from './condition';
import { applyPropertySettings } from './fix';
import { applyTemplate, TEMPLATE_MANUALLY, TEMPLATE_WORDS } from './templates';
import { changed, RemediationResult } from '../remediations/context';
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
  const { set: settings, add } = control.remediation;
  const required = describeCondition(check.require);
  const fixes = [
    ...(settings ? [`sets ${describeSettings(settings)}`] : []),
    ...(add ? [TEMPLATE_WORDS[add] ?? `adds ${add}`] : []),
  ];
  return {
    meta: {
      id: DECLARATIVE_RULE,
      description: control.title,
      resourceTypes: check.resourceTypes,
      compliantWhen: required,
      remediation: fixes.length > 0 ? fixes.join('; ') : 'none: the catalogue gives this control no fix',
      fix: {
        manually: settings
          ? `set ${describeSettings(settings)}`
          : ((add && TEMPLATE_MANUALLY[add]) ?? `make sure ${required}`),
        aspect: 'EnterpriseCatalogueRemediations',
        settings: [],
        // Values set on the resource itself; a template adds or changes a resource policy.
        onlyItsOwnProperties: add === undefined,
        leavesItsOwnResource: settings === undefined,
      },
      paramsSchema: { type: 'object' },
    },
    check: (resource, _params, resolver) =>
      verdictOf(evaluateCondition(check.require, resource.properties, resource.stack, resolver, resource)),
    ...((settings || add) && {
      remediate: (resource, _params, context) =>
        inTurn([
          // First, so the resource is still as its check judged it.
          ...(settings ? [() => applyPropertySettings(resource, settings, context.judged)] : []),
          ...(add ? [() => applyTemplate(resource, add)] : []),
        ]),
    }),
  };
}

/** The fixes one after the other; the first that cannot be applied stops the rest. */
function inTurn(fixes: readonly (() => RemediationResult)[]): RemediationResult {
  const changes: string[] = [];
  for (const fix of fixes) {
    const result = fix();
    if ('notApplied' in result) return result;
    changes.push(...result.changes);
  }
  return changed(...changes);
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
