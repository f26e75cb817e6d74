/**
 * No rule ever throws, whatever the properties hold: each rule's `check` is called directly (the
 * engine would catch a throw and turn it into an unverifiable "please report this"), on raw
 * generated properties (unexpanded `Fn::If`, `AWS::NoValue`, malformed intrinsics, nulls, wrong
 * types, empty and huge arrays, deep nesting), and the engine's evaluation of the same resource
 * never says "please report this".
 */
import fc from 'fast-check';
import { TemplateResolver } from '../../src/engine/resolve';
import { RULES } from '../../src/rules';
import {
  CATALOGUE,
  CONDITIONS,
  evaluateTemplate,
  propertiesFor,
  stackOf,
  templateWithSubject,
  settings,
} from './arbitraries';

const SEED = 20261101;
const NUM_RUNS = 100;

const assumptions = fc
  .subarray(CONDITIONS.map((c) => c))
  .chain((names) => fc.tuple(...names.map((name) => fc.tuple(fc.constant(name), fc.boolean()))));

describe.each(RULES.map((rule) => [rule.meta.id, rule] as const))('rule %s never throws', (_id, rule) => {
  const params = CATALOGUE.controls.find((c) => c.rule === rule.meta.id)!.params;

  it.each([...rule.meta.resourceTypes])(`on any %s properties (seed ${SEED})`, (type) => {
    fc.assert(
      fc.property(propertiesFor(type), assumptions, fc.boolean(), (props, assumed, withCondition) => {
        const subject = { Type: type, Properties: props, ...(withCondition ? { Condition: 'IsProd' } : {}) };
        const template = templateWithSubject(subject);
        const stack = stackOf(template);
        const verdict = rule.check(
          { logicalId: 'Subject', type, properties: props, stack, assumptions: assumed },
          params,
          new TemplateResolver([stack]),
        );
        expect(['compliant', 'non-compliant', 'unverifiable', 'not-applicable']).toContain(verdict.status);
        for (const evaluation of evaluateTemplate(template).values()) {
          expect(evaluation.reason ?? '').not.toContain('please report this');
        }
      }),
      settings(SEED, NUM_RUNS),
    );
  });
});
