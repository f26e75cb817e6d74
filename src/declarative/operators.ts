import { intrinsicName, isIntrinsic, isPlainObject } from '../engine/intrinsics';
import { describe, Resolved, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { compilePattern, patternProblem } from '../rules/pattern';

/**
 * The operators of a declarative condition's leaf (`path` with one operator): what each accepts as
 * its value, how it judges the value at the path, and how it reads in words.
 */

export type Scalar = string | number | boolean;

/** The value at the end of a path: as written in the template, and what the resolver makes of it. */
export interface PropertyNode {
  readonly raw: unknown;
  readonly resolved: Resolved;
  /** Where the value is read: for tests that look into intrinsics (`refersTo`). */
  readonly place?: Place;
}

/** A resource by its logical id and its stack. */
export interface ResourceId {
  readonly logicalId: string;
  readonly stackId: string;
}

/** The stack a value is read in, and, inside a `referencedBy`, the resource under check it may refer to. */
export interface Place {
  readonly stack: StackTemplate;
  readonly resolver: TemplateResolver;
  readonly checked?: ResourceId;
}

/**
 * How a value stands against an operator's test, before any `not`: it `holds` or `fails` (a `not`
 * swaps them), is known only at deploy time, or is `malformed`, a shape the test cannot judge (a
 * list where a single value belongs, text where a number belongs). A malformed value fails whether
 * or not a `not` is around it, so no shape satisfies both a condition and its negation.
 */
export type Truth =
  | { readonly kind: 'holds' | 'fails'; readonly found: string }
  | { readonly kind: 'unknown'; readonly source: string }
  | { readonly kind: 'malformed'; readonly found: string }
  /**
   * A reference to a resource where values are compared: no literal, so it equals none of them as
   * written; but its value (a name, an id) is made at deploy time and may be one of them, so "is
   * not one of them" is not known, unless every one is '' (a reference is never empty).
   */
  | { readonly kind: 'reference'; readonly found: string; readonly mayEqual: boolean };

/** A requirement in words: `is at least 365` for the docs, `be at least 365` after "must". */
export interface Wording {
  readonly is: string;
  readonly must: string;
}

/** An operator with its value from the condition, ready to judge values. */
export interface Test {
  judge(node: PropertyNode): Truth;
  wording(negated: boolean): Wording;
}

/** A leaf's operator compiled: its test, and whether the operator means the test's negation. */
export interface CompiledOperator {
  readonly test: Test;
  /** `notEquals` is `equals` negated, `notIn` is `in` negated, `exists: false` is `exists: true` negated. */
  readonly negated: boolean;
  /** Whether `[*]` over an empty or absent list holds (before any `not`): only `exists: true` needs an element. */
  readonly holdsOnEmptyList: boolean;
}

interface OperatorSpec {
  readonly description: string;
  readonly schema: Record<string, unknown>;
  /** Why the condition's value does not fit the operator, or undefined when it does. */
  problem(value: unknown): string | undefined;
  /** Only called with a value `problem` accepts. */
  compile(value: unknown): CompiledOperator;
}

const SCALAR_TYPES = ['string', 'number', 'boolean'];

/**
 * Deploy-time values that always deploy as some value. An `Fn::If` the engine left in place may
 * be `AWS::NoValue`, and an intrinsic not listed may compute anything: neither counts as set.
 */
const ALWAYS_A_VALUE = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::ImportValue',
  'Fn::Join',
  'Fn::Sub',
  'Fn::Select',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::Cidr',
  'Fn::Split',
  'Fn::Length',
  'Fn::ToJsonString',
]);

/** A number as CloudFormation writes one: a JSON number, or a string of one (no hex, no spaces, no Infinity). */
const NUMERIC_TEXT = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
/** CloudFormation reads these strings, in any case, as the booleans. */
const BOOLEAN_TEXT = /^(?:true|false)$/i;

export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  return typeof value === 'string' && NUMERIC_TEXT.test(value) ? Number(value) : undefined;
}

function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  return typeof value === 'string' && BOOLEAN_TEXT.test(value) ? value.toLowerCase() === 'true' : undefined;
}

/**
 * Equality as CloudFormation reads values: a boolean equals `'true'`/`'false'` in any case, a number
 * equals a string of the same number (`35` and `'35.0'`); two other strings compare exactly.
 */
export function sameValue(actual: Scalar, expected: Scalar): boolean {
  const [a, e] = [booleanOf(actual), booleanOf(expected)];
  if (typeof actual === 'boolean' || typeof expected === 'boolean' || (a !== undefined && e !== undefined))
    return a !== undefined && a === e;
  if (typeof actual === 'number' || typeof expected === 'number') {
    const n = numberOf(actual);
    return n !== undefined && n === numberOf(expected);
  }
  return actual === expected;
}

/** `describe` never throws for template JSON; a cyclic or BigInt value (not JSON) still gets a word. */
function show(value: unknown): string {
  try {
    return describe(value);
  } catch {
    return 'a value that is not JSON';
  }
}

function resourceText(resolved: Extract<Resolved, { kind: 'resource' }>): string {
  const resource = `${String(resolved.resource.Type)} ${resolved.logicalId}`;
  return resolved.attribute === undefined ? resource : `the ${resolved.attribute} of ${resource}`;
}

/** What a value is, after the path: `is 7`, `is not set`, `is a reference to AWS::S3::Bucket Logs`. */
export function foundText({ raw, resolved }: PropertyNode): string {
  switch (resolved.kind) {
    case 'absent':
      return 'is not set';
    case 'literal':
      return `is ${show(resolved.value)}${isIntrinsic(raw) ? ` (from ${show(raw)})` : ''}`;
    case 'structure':
      return `is ${show(resolved.value)}`;
    case 'resource':
      return `is a reference to ${resourceText(resolved)}`;
    default:
      return `comes from ${resolved.description}`;
  }
}

function wordingOf(verb: 'be' | 'match', predicate: string): (negated: boolean) => Wording {
  const [plain, negated] = [false, true].map((not) =>
    verb === 'be'
      ? { is: `is ${not ? 'not ' : ''}${predicate}`, must: `${not ? 'not ' : ''}be ${predicate}` }
      : {
          is: `${not ? 'does not match' : 'matches'} ${predicate}`,
          must: `${not ? 'not ' : ''}match ${predicate}`,
        },
  );
  return (not) => (not ? negated : plain);
}

// What was found is put in words only when a finding quotes it: most values pass.
const holds = (condition: boolean, node: PropertyNode): Truth => ({
  kind: condition ? 'holds' : 'fails',
  get found() {
    return foundText(node);
  },
});

const malformed = (node: PropertyNode, wanted: string): Truth => ({
  kind: 'malformed',
  get found() {
    return `${foundText(node)}, not ${wanted}`;
  },
});

/** Judges the kinds every test treats alike; `literal` and `resource` are the test's own. */
function judgeWith(
  node: PropertyNode,
  wanted: string,
  own: (value: Extract<Resolved, { kind: 'literal' | 'resource' }>) => Truth,
): Truth {
  const { resolved } = node;
  switch (resolved.kind) {
    case 'absent':
      return { kind: 'fails', found: 'is not set' };
    case 'unknown':
      return { kind: 'unknown', source: resolved.description };
    case 'structure':
      return malformed(node, wanted);
    default:
      return own(resolved);
  }
}

const EXISTS: Test = {
  judge(node) {
    const { raw, resolved } = node;
    if (resolved.kind === 'absent') return { kind: 'fails', found: 'is not set' };
    if (resolved.kind !== 'unknown') return holds(true, node);
    return ALWAYS_A_VALUE.has(intrinsicName(raw) ?? '')
      ? { kind: 'holds', found: `is set, from ${resolved.description}` }
      : { kind: 'unknown', source: resolved.description };
  },
  wording: wordingOf('be', 'set'),
};

/** `equals` and `in`: the value is one of `expected`. A reference to a resource is not a literal, so equals none. */
function equality(expected: readonly Scalar[], predicate: string): Test {
  return {
    judge: (node) =>
      judgeWith(node, 'a single value', (resolved) =>
        resolved.kind === 'literal'
          ? holds(
              expected.some((e) => sameValue(resolved.value, e)),
              node,
            )
          : {
              kind: 'reference',
              found: `${foundText(node)}, not a literal value`,
              mayEqual: expected.some((e) => e !== ''),
            },
      ),
    wording: wordingOf('be', predicate),
  };
}

/** A resource's name or ARN is made at deploy time: whether it matches is not known before. */
function matching(source: string): Test {
  const pattern = compilePattern(source);
  return {
    judge: (node) =>
      judgeWith(node, 'a single value', (resolved) =>
        resolved.kind === 'literal'
          ? holds(pattern.test(String(resolved.value)), node)
          : { kind: 'unknown', source: resourceText(resolved) },
      ),
    wording: wordingOf('match', `the pattern ${show(source)}`),
  };
}

function numeric(bound: number, predicate: string, compare: (value: number) => boolean): Test {
  return {
    judge: (node) =>
      judgeWith(node, 'a number', (resolved) => {
        const value = resolved.kind === 'literal' ? numberOf(resolved.value) : undefined;
        return value === undefined ? malformed(node, 'a number') : holds(compare(value), node);
      }),
    wording: wordingOf('be', `${predicate} ${bound}`),
  };
}

const isScalar = (value: unknown): value is Scalar =>
  typeof value === 'string' ||
  typeof value === 'boolean' ||
  (typeof value === 'number' && Number.isFinite(value));

const scalarProblem = (value: unknown) =>
  isScalar(value) ? undefined : `must be a string, a number or true/false, not ${kindOf(value)}`;

function listProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `must be a list of values, not ${kindOf(value)}`;
  if (value.length === 0) return 'must list at least one value';
  const index = value.findIndex((item) => !isScalar(item));
  return index < 0 ? undefined : `item ${index} ${scalarProblem(value[index])}`;
}

const numberProblem = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : `must be a number, not ${kindOf(value)}`;

export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${typeof value === 'number' ? String(value) : show(value)}`;
}

const listText = (values: readonly Scalar[]) => `one of ${values.map(show).join(', ')}`;

function equalityOperator(negated: boolean, description: string): OperatorSpec {
  return {
    description,
    schema: { type: SCALAR_TYPES },
    problem: scalarProblem,
    compile: (value) => ({
      test: equality([value as Scalar], show(value)),
      negated,
      holdsOnEmptyList: true,
    }),
  };
}

function membershipOperator(negated: boolean, description: string): OperatorSpec {
  return {
    description,
    schema: { type: 'array', minItems: 1, items: { type: SCALAR_TYPES } },
    problem: listProblem,
    compile: (value) => ({
      test: equality(value as Scalar[], listText(value as Scalar[])),
      negated,
      holdsOnEmptyList: true,
    }),
  };
}

function numericOperator(
  predicate: string,
  compare: (value: number, bound: number) => boolean,
  description: string,
): OperatorSpec {
  return {
    description,
    schema: { type: 'number' },
    problem: numberProblem,
    compile: (value) => ({
      test: numeric(value as number, predicate, (n) => compare(n, value as number)),
      negated: false,
      holdsOnEmptyList: true,
    }),
  };
}

/**
 * A reference to the resource under check (inside a `referencedBy`): its `Ref` (no attribute) or an
 * attribute, followed by exactly `suffix`, as `Fn::Join` or `Fn::Sub` write it
 * (`{ 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] }` is the Arn followed by '/*').
 * A literal refers to nothing (a hand-written ARN is not followed to the resource); a value that
 * starts with a deploy-time value other than a reference is unknown.
 */
function referring(attribute: string | undefined, suffix: string): Test {
  const target = `${attribute === undefined ? 'a Ref' : `the ${attribute}`} of the resource under check${suffix === '' ? '' : ` followed by ${show(suffix)}`}`;
  return {
    judge(node) {
      const { raw, resolved, place } = node;
      const checked = place?.checked;
      if (!place || !checked) return malformed(node, `${target} (refersTo is read only inside referencedBy)`);
      const referenced =
        resolved.kind === 'resource'
          ? { resolved, suffix: '' }
          : resolved.kind === 'unknown'
            ? referenceWithSuffix(raw, place)
            : undefined;
      if (!referenced)
        return resolved.kind === 'unknown'
          ? { kind: 'unknown', source: resolved.description }
          : judgeWith(node, 'a single value', () => holds(false, node));
      const { logicalId, stack, attribute: found } = referenced.resolved;
      const same =
        logicalId === checked.logicalId &&
        stack.stackId === checked.stackId &&
        found === attribute &&
        referenced.suffix === suffix;
      const followed = referenced.suffix === '' ? '' : ` followed by ${show(referenced.suffix)}`;
      return {
        kind: same ? 'holds' : 'fails',
        found: `is a reference to ${resourceText(referenced.resolved)}${followed}`,
      };
    },
    wording: wordingOf('be', target),
  };
}

type ReferenceResolved = Extract<Resolved, { kind: 'resource' }>;

/** `Fn::Join` or `Fn::Sub` of a reference to a resource and literal text after it; undefined for anything else. */
function referenceWithSuffix(
  raw: unknown,
  { stack, resolver }: Place,
): { resolved: ReferenceResolved; suffix: string } | undefined {
  const name = intrinsicName(raw);
  const args = name && (raw as Record<string, unknown>)[name];
  const literal = (parts: readonly unknown[]) => {
    const texts = parts.map((part) => resolver.text(part, stack));
    return texts.every((text) => text.exact) ? texts.map((text) => text.text) : undefined;
  };
  let head: unknown;
  let suffix: string | undefined;
  if (name === 'Fn::Join' && Array.isArray(args) && typeof args[0] === 'string' && Array.isArray(args[1])) {
    const [first, ...rest] = args[1] as unknown[];
    const texts = literal(rest);
    head = first;
    suffix = texts && (rest.length === 0 ? '' : args[0] + texts.join(args[0]));
  } else if (name === 'Fn::Sub') {
    const template = Array.isArray(args) ? args[0] : args;
    const variables = Array.isArray(args) && isPlainObject(args[1]) ? args[1] : {};
    const match = typeof template === 'string' ? /^\$\{([^!}][^}]*)\}([^]*)$/.exec(template) : null;
    // Literal text only after the reference: `${!Literal}` is text, any other `${...}` a deploy-time value.
    if (match && !/\$\{(?!!)/.test(match[2])) {
      const variable = match[1];
      head = Object.prototype.hasOwnProperty.call(variables, variable)
        ? variables[variable]
        : variable.includes('.')
          ? { 'Fn::GetAtt': variable.split(/\.(.*)/s).slice(0, 2) }
          : { Ref: variable };
      suffix = match[2].replace(/\$\{!/g, '${');
    }
  }
  if (suffix === undefined) return undefined;
  const resolved = resolver.resolve(head, stack);
  return resolved.kind === 'resource' ? { resolved, suffix } : undefined;
}

/** A mapping with no keys but these (not set: no keys at all). */
function onlyKeys(allowed: readonly string[]): Test {
  const predicate =
    allowed.length === 0 ? 'an empty mapping' : `a mapping with no keys but ${allowed.map(show).join(', ')}`;
  return {
    judge(node) {
      const { resolved } = node;
      if (resolved.kind === 'absent') return { kind: 'holds', found: 'is not set' };
      if (resolved.kind === 'unknown') return { kind: 'unknown', source: resolved.description };
      if (resolved.kind !== 'structure' || !isPlainObject(resolved.value))
        return malformed(node, 'a mapping');
      const others = Object.keys(resolved.value).filter((key) => !allowed.includes(key));
      return {
        kind: others.length === 0 ? 'holds' : 'fails',
        found: others.length === 0 ? foundText(node) : `has ${others.map(show).join(', ')}`,
      };
    },
    wording: wordingOf('be', predicate),
  };
}

function refersToProblem(value: unknown): string | undefined {
  if (!isPlainObject(value))
    return `must be a mapping of attribute and suffix (both optional), not ${kindOf(value)}`;
  const other = Object.keys(value).find((key) => key !== 'attribute' && key !== 'suffix');
  if (other !== undefined) return `takes attribute and suffix, not '${other}'`;
  if (
    value.attribute !== undefined &&
    (typeof value.attribute !== 'string' || !/^[A-Za-z0-9.]+$/.test(value.attribute))
  )
    return `attribute must be an attribute name (Arn, QueueName), not ${kindOf(value.attribute)}`;
  if (value.suffix !== undefined && typeof value.suffix !== 'string')
    return `suffix must be a string, not ${kindOf(value.suffix)}`;
  return undefined;
}

function onlyKeysProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return `must be a list of keys, not ${kindOf(value)}`;
  const index = value.findIndex((item) => typeof item !== 'string');
  return index < 0 ? undefined : `item ${index} must be a string, not ${kindOf(value[index])}`;
}

const SAME =
  "CloudFormation's way: true equals 'true' and 'True', 35 equals '35'; other strings compare exactly, case included.";
const NUMBERS = 'A number, or a string of one, as CloudFormation reads it; anything else fails.';

/** The operators, by the key a leaf writes them with. */
export const OPERATOR_SPECS = {
  exists: {
    description:
      'true: the property must be set (a value known only at deploy time counts as set); false: it must not be set. ' +
      'With [*] in the path, `exists: true` also needs the list to have an element.',
    schema: { type: 'boolean' },
    problem: (value) =>
      typeof value === 'boolean' ? undefined : `must be true or false, not ${kindOf(value)}`,
    compile: (value) => ({ test: EXISTS, negated: value === false, holdsOnEmptyList: value === false }),
  },
  equals: equalityOperator(false, `The property must be set to this value. ${SAME}`),
  notEquals: equalityOperator(
    true,
    `The property must not be this value (not set is not this value). ${SAME}`,
  ),
  in: membershipOperator(false, `The property must be one of these values. ${SAME}`),
  notIn: membershipOperator(
    true,
    `The property must be none of these values (not set is none of them). ${SAME}`,
  ),
  matches: {
    description:
      'The property, as text, must match this regular expression (RE2 syntax, matched anywhere unless anchored with ^ and $).',
    schema: { type: 'string', format: 'regex' },
    problem: (value) => {
      if (typeof value !== 'string') return `must be a regular expression (a string), not ${kindOf(value)}`;
      const refused = patternProblem(value);
      return refused && `is not a regular expression RE2 accepts: ${refused}`;
    },
    compile: (value) => ({ test: matching(value as string), negated: false, holdsOnEmptyList: true }),
  },
  greaterThan: numericOperator(
    'more than',
    (n, bound) => n > bound,
    `The property must be more than this number. ${NUMBERS}`,
  ),
  greaterThanOrEqual: numericOperator(
    'at least',
    (n, bound) => n >= bound,
    `The property must be at least this number. ${NUMBERS}`,
  ),
  lessThan: numericOperator(
    'less than',
    (n, bound) => n < bound,
    `The property must be less than this number. ${NUMBERS}`,
  ),
  lessThanOrEqual: numericOperator(
    'at most',
    (n, bound) => n <= bound,
    `The property must be at most this number. ${NUMBERS}`,
  ),
  onlyKeys: {
    description:
      'The property must be a mapping with no keys but these (not set counts as no keys): a policy statement whose ' +
      'Condition holds nothing that narrows it. A value known only at deploy time is unverifiable.',
    schema: { type: 'array', items: { type: 'string' } },
    problem: onlyKeysProblem,
    compile: (value) => ({ test: onlyKeys(value as string[]), negated: false, holdsOnEmptyList: true }),
  },
  refersTo: {
    description:
      'Only inside referencedBy.require: the property must be a reference to the resource under check, its Ref ' +
      '(no attribute) or the attribute given, followed by exactly the suffix (as Fn::Join or Fn::Sub write ' +
      "an ARN and '/*'). A literal (a hand-written ARN) refers to nothing; a deploy-time value is unverifiable.",
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attribute: { type: 'string', pattern: '^[A-Za-z0-9.]+$', examples: ['Arn'] },
        suffix: { type: 'string', examples: ['/*'] },
      },
    },
    problem: refersToProblem,
    compile: (value) => {
      const { attribute, suffix } = value as { attribute?: string; suffix?: string };
      return { test: referring(attribute, suffix ?? ''), negated: false, holdsOnEmptyList: true };
    },
  },
} satisfies Record<string, OperatorSpec>;

export type Operator = keyof typeof OPERATOR_SPECS;
