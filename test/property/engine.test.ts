/**
 * Properties of the engine on generated resources, judged by the shipped catalogue at the
 * strictest rating: every Fn::If branch counts, AWS::NoValue is absence, what no rule reads
 * changes nothing, and a resource Condition never hides a finding. Context resources carry no
 * Condition, so evidence from them holds under any assumption.
 */
import fc from 'fast-check';
import { EvaluationStatus } from '../../src/engine/evaluate';
import {
  alternativeTo,
  anyValue,
  COMPLIANT_EXEMPLARS,
  CONDITIONS,
  editAt,
  evaluateTemplate,
  FRESH_CONDITION,
  isFindingStatus,
  mentions,
  nodeAt,
  placed,
  placedInList,
  propertiesFor,
  RULE_TYPES,
  subjectStatuses,
  templateWithSubject,
  unrelatedPropertyName,
  withValueAt,
  settings,
} from './arbitraries';

const NUM_RUNS = 150;
const NO_VALUE = { Ref: 'AWS::NoValue' };

/**
 * How far a verdict is from a pass: a finding (non-compliant or unverifiable, which the engine may
 * report in place of each other) outranks compliant, which outranks not applicable.
 */
const LEVEL: Record<EvaluationStatus, number> = {
  'non-compliant': 2,
  unverifiable: 2,
  waived: 2,
  compliant: 1,
  remediated: 1,
  'not-applicable': 0,
};

function asObject(statuses: Map<string, EvaluationStatus>): Record<string, EvaluationStatus> {
  return Object.fromEntries([...statuses].sort(([a], [b]) => a.localeCompare(b)));
}

// The generators mutate these; were one not compliant, the properties would rarely meet a pass.
it.each(RULE_TYPES)('the compliant exemplar of %s passes every control', (type) => {
  const statuses = [...subjectStatuses(type, COMPLIANT_EXEMPLARS[type]).values()];
  expect(statuses.length).toBeGreaterThan(0);
  expect(statuses.every((status) => status === 'compliant')).toBe(true);
});

/** A place in a subject's properties and two values for it, mostly variations of what is there. */
const placedWithBranches = placed.chain((placement) => {
  const original = (nodeAt(placement.properties, placement.path) as Record<string, unknown>)[placement.key];
  const branch = alternativeTo(original);
  return fc.record({ placement: fc.constant(placement), a: branch, b: branch });
});

const IF_SEED = 1101;
it(`a resource with a Fn::If is judged by its worst branch (seed ${IF_SEED})`, () => {
  fc.assert(
    fc.property(placedWithBranches, ({ placement, a, b }) => {
      fc.pre(!mentions(placement.properties, FRESH_CONDITION) && !mentions([a, b], FRESH_CONDITION));
      const statuses = subjectStatuses(
        placement.type,
        withValueAt(placement, { 'Fn::If': [FRESH_CONDITION, a, b] }),
      );
      const withA = subjectStatuses(placement.type, withValueAt(placement, a));
      const withB = subjectStatuses(placement.type, withValueAt(placement, b));
      for (const [control, status] of statuses) {
        const worst = Math.max(LEVEL[withA.get(control)!], LEVEL[withB.get(control)!]);
        // Compliant (or not applicable) only if each branch in place is; a finding in either branch is one.
        expect({ control, status, atLeastWorstBranch: LEVEL[status] >= worst }).toEqual({
          control,
          status,
          atLeastWorstBranch: true,
        });
      }
    }),
    settings(IF_SEED, NUM_RUNS),
  );
});

const NO_VALUE_PROPERTY_SEED = 1102;
it(`a property of AWS::NoValue is judged as an absent one (seed ${NO_VALUE_PROPERTY_SEED})`, () => {
  fc.assert(
    fc.property(placed, (placement) => {
      fc.pre(!placement.key.startsWith('Fn::') && placement.key !== 'Ref');
      expect(asObject(subjectStatuses(placement.type, withValueAt(placement, NO_VALUE)))).toEqual(
        asObject(subjectStatuses(placement.type, withValueAt(placement, undefined))),
      );
    }),
    settings(NO_VALUE_PROPERTY_SEED, NUM_RUNS),
  );
});

const NO_VALUE_ITEM_SEED = 1103;
it(`a list item of AWS::NoValue is judged as no item (seed ${NO_VALUE_ITEM_SEED})`, () => {
  fc.assert(
    fc.property(placedInList, ({ type, properties, path, index }) => {
      const withItem = editAt(properties, path, (list) => {
        const items = [...(list as unknown[])];
        items.splice(index, 0, NO_VALUE);
        return items;
      }) as Record<string, unknown>;
      expect(nodeAt(withItem, path)).toContainEqual(NO_VALUE);
      expect(asObject(subjectStatuses(type, withItem))).toEqual(asObject(subjectStatuses(type, properties)));
    }),
    settings(NO_VALUE_ITEM_SEED, NUM_RUNS),
  );
});

/** Resource types no rule reads, as evidence or otherwise. */
const UNRELATED_TYPES = ['AWS::CloudWatch::Alarm', 'AWS::SSM::Parameter', 'AWS::CloudWatch::Dashboard'];
/** Values with no intrinsic that could reference, expand or transform anything. */
const inertValue = fc.jsonValue({ maxDepth: 3 });

function allStatuses(template: ReturnType<typeof templateWithSubject>): Record<string, EvaluationStatus> {
  return Object.fromEntries([...evaluateTemplate(template)].map(([id, e]) => [id, e.status]));
}

const UNRELATED_RESOURCE_SEED = 1104;
it(`an unrelated resource changes no verdict (seed ${UNRELATED_RESOURCE_SEED})`, () => {
  const subject = fc
    .constantFrom(...RULE_TYPES)
    .chain((type) => fc.record({ Type: fc.constant(type), Properties: propertiesFor(type) }));
  const unrelated = fc.record(
    {
      Type: fc.constantFrom(...UNRELATED_TYPES),
      Properties: fc.dictionary(fc.string({ maxLength: 10 }), inertValue, {
        maxKeys: 4,
        noNullPrototype: true,
      }),
      Condition: fc.constantFrom(...CONDITIONS),
    },
    { requiredKeys: ['Type'], noNullPrototype: true },
  );
  fc.assert(
    fc.property(subject, unrelated, fc.stringMatching(/^[A-Za-z0-9]{1,12}$/), (resource, extra, id) => {
      expect(allStatuses(templateWithSubject(resource, { [`Unrelated${id}`]: extra }))).toEqual(
        allStatuses(templateWithSubject(resource)),
      );
    }),
    settings(UNRELATED_RESOURCE_SEED, NUM_RUNS),
  );
});

const UNRELATED_PROPERTY_SEED = 1105;
it(`an unrelated property changes no verdict (seed ${UNRELATED_PROPERTY_SEED})`, () => {
  const unrelatedValue = fc.oneof(
    inertValue,
    anyValue.filter((v) => !mentions(v, 'Fn::If') && !mentions(v, 'Fn::Transform')),
  );
  fc.assert(
    fc.property(placed, unrelatedPropertyName, unrelatedValue, (placement, name, value) => {
      const before = allStatuses(
        templateWithSubject({ Type: placement.type, Properties: placement.properties }),
      );
      const after = allStatuses(
        templateWithSubject({ Type: placement.type, Properties: { ...placement.properties, [name]: value } }),
      );
      expect(after).toEqual(before);
    }),
    settings(UNRELATED_PROPERTY_SEED, NUM_RUNS),
  );
});

const FRESH_CONDITION_SEED = 1106;
it(`a resource Condition never hides a finding (seed ${FRESH_CONDITION_SEED})`, () => {
  fc.assert(
    fc.property(placed, ({ type, properties }) => {
      fc.pre(!mentions(properties, FRESH_CONDITION));
      const unconditional = subjectStatuses(type, properties);
      const conditional = subjectStatuses(type, properties, { Condition: FRESH_CONDITION });
      for (const [control, status] of unconditional) {
        if (isFindingStatus(status))
          expect({ control, status: conditional.get(control) }).toEqual({ control, status });
      }
    }),
    settings(FRESH_CONDITION_SEED, NUM_RUNS),
  );
});

/** `value` with every well-formed `Fn::If` on `condition` replaced by its true branch, nothing else touched. */
function trueBranchOf(value: unknown, condition: string): unknown {
  if (Array.isArray(value)) return value.map((item) => trueBranchOf(item, condition));
  if (typeof value !== 'object' || value === null) return value;
  const args = (value as Record<string, unknown>)['Fn::If'];
  if (Object.keys(value).length === 1 && Array.isArray(args) && args.length === 3 && args[0] === condition) {
    return trueBranchOf(args[1], condition);
  }
  return Object.fromEntries(Object.entries(value).map(([k, child]) => [k, trueBranchOf(child, condition)]));
}

const CONDITION_BRANCH_SEED = 1107;
it(`a resource Condition C is judged as its Fn::If on C taking the true branch (seed ${CONDITION_BRANCH_SEED})`, () => {
  fc.assert(
    fc.property(placed, fc.constantFrom(...CONDITIONS), ({ type, properties }, condition) => {
      // Fn::Transform anywhere, even in a branch the Condition rules out, makes the resource unverifiable.
      fc.pre(!mentions(properties, 'Fn::Transform'));
      const conditional = subjectStatuses(type, properties, { Condition: condition });
      const trueBranch = trueBranchOf(properties, condition) as Record<string, unknown>;
      expect(asObject(conditional)).toEqual(asObject(subjectStatuses(type, trueBranch)));
    }),
    settings(CONDITION_BRANCH_SEED, NUM_RUNS),
  );
});
