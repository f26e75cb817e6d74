import { intrinsicName, isPlainObject } from '../engine/intrinsics';
import { TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { didYouMean } from '../catalogue/schema-messages';
import { knownAtDeployTime } from '../rules/values';
import {
  CompiledOperator,
  foundText,
  kindOf,
  Operator,
  OPERATOR_SPECS,
  PropertyNode,
  Scalar,
  Wording,
} from './operators';
import { nameSiblings, parsePath, PATH_PATTERN, PathStep, renderPath } from './path';

/**
 * The condition language of declarative controls: a control's `check.require`, written in the
 * catalogue's YAML, judged on a resource's properties with three-valued (Kleene) logic. Each leaf
 * reads one property path through the engine's resolver, so a parameter, an import or a reference
 * reads as it does for the library's rules, and a value known only at deploy time is `unknown`,
 * never a guess.
 *
 * `not` is pushed down to the leaves (De Morgan holds in Kleene logic), which keeps two promises:
 * a shape an operator cannot judge (a list where a single value belongs, text where a number
 * belongs, a path through a string) fails under any number of `not`s, so a malformed value never
 * satisfies a condition and its negation alike; and `not` over a `[*]` path reads "some element".
 */

export type { Scalar } from './operators';

export type Condition = AllOf | AnyOf | Not | PropertyCondition;

/** Holds when every condition holds. */
export interface AllOf {
  readonly all: readonly Condition[];
}

/** Holds when some condition holds. */
export interface AnyOf {
  readonly any: readonly Condition[];
}

/** Holds when the condition fails (and fails when it holds; unknown stays unknown). */
export interface Not {
  readonly not: Condition;
}

/** A property path and exactly one operator. */
export type PropertyCondition = { readonly path: string } & (
  | { readonly exists: boolean }
  | { readonly equals: Scalar }
  | { readonly notEquals: Scalar }
  | { readonly in: readonly Scalar[] }
  | { readonly notIn: readonly Scalar[] }
  | { readonly matches: string }
  | { readonly greaterThan: number }
  | { readonly greaterThanOrEqual: number }
  | { readonly lessThan: number }
  | { readonly lessThanOrEqual: number }
);

export type ConditionOutcome =
  | { readonly status: 'pass' }
  | { readonly status: 'fail' | 'unknown'; readonly property: string; readonly reason: string };

export interface ConditionProblem {
  /** Where in the condition, as keys and list indices (`['all', 1, 'matches']`). */
  readonly path: (string | number)[];
  readonly message: string;
}

export const OPERATORS: readonly string[] = Object.keys(OPERATOR_SPECS);

const COMBINATORS = ['all', 'any', 'not'] as const;

/** Deeper than this, a condition is refused (and a cyclic one, which YAML aliases can make, stops). */
const MAX_DEPTH = 32;
/** At most this many faults are spelt out in one reason; the rest are counted. */
const MAX_LISTED = 5;

type Compiled =
  | { readonly kind: 'all' | 'any'; readonly children: readonly Compiled[] }
  | { readonly kind: 'not'; readonly child: Compiled }
  | Leaf
  | { readonly kind: 'invalid' };

interface Leaf extends CompiledOperator {
  readonly kind: 'leaf';
  readonly path: string;
  readonly steps: readonly PathStep[];
}

// ---------------------------------------------------------------------------------------------
// Compiling, and the mistakes found on the way
// ---------------------------------------------------------------------------------------------

interface Compilation {
  readonly compiled: Compiled;
  readonly problems: readonly ConditionProblem[];
}

const compilations = new WeakMap<object, Compilation>();

function compilationOf(condition: unknown): Compilation {
  if (!isPlainObject(condition)) return compile(condition);
  let compilation = compilations.get(condition);
  if (!compilation) {
    compilation = compile(condition);
    compilations.set(condition, compilation);
  }
  return compilation;
}

function compile(condition: unknown): Compilation {
  const problems: ConditionProblem[] = [];
  const compiled = compileAt(condition, [], problems, 0);
  return { compiled, problems };
}

function compileAt(
  raw: unknown,
  at: (string | number)[],
  problems: ConditionProblem[],
  depth: number,
): Compiled {
  const invalid = (path: (string | number)[], message: string): Compiled => {
    problems.push({ path, message });
    return { kind: 'invalid' };
  };
  if (depth > MAX_DEPTH) return invalid(at, `conditions are nested more than ${MAX_DEPTH} deep`);
  if (!isPlainObject(raw))
    return invalid(
      at,
      `a condition must be a mapping (all, any, not, or a path with an operator), not ${kindOf(raw)}`,
    );
  const keys = Object.keys(raw);
  const combinator = COMBINATORS.find((key) => Object.prototype.hasOwnProperty.call(raw, key));
  if (combinator) {
    const other = keys.find((key) => key !== combinator);
    if (other !== undefined)
      return invalid(
        [...at, other],
        `'${combinator}' stands alone in its condition; '${other}' belongs in a condition of its own`,
      );
    const value = raw[combinator];
    if (combinator === 'not')
      return { kind: 'not', child: compileAt(value, [...at, 'not'], problems, depth + 1) };
    if (!Array.isArray(value))
      return invalid(
        [...at, combinator],
        `'${combinator}' must be a list of conditions, not ${kindOf(value)}`,
      );
    if (value.length === 0)
      return invalid(
        [...at, combinator],
        `'${combinator}' of no conditions ${combinator === 'all' ? 'always holds' : 'never holds'}; list at least one`,
      );
    return {
      kind: combinator,
      children: value.map((child, i) => compileAt(child, [...at, combinator, i], problems, depth + 1)),
    };
  }
  return compileLeaf(raw, at, problems);
}

function isOperator(key: string): key is Operator {
  return Object.prototype.hasOwnProperty.call(OPERATOR_SPECS, key);
}

function compileLeaf(
  raw: Record<string, unknown>,
  at: (string | number)[],
  problems: ConditionProblem[],
): Compiled {
  const keys = Object.keys(raw);
  const operators = keys.filter(isOperator);
  const unknownKeys = keys.filter((key) => key !== 'path' && !isOperator(key));
  const before = problems.length;
  const problem = (where: (string | number)[], message: string) =>
    problems.push({ path: [...at, ...where], message });
  for (const key of unknownKeys) {
    const hint = didYouMean(key, ['path', ...OPERATORS, ...COMBINATORS]);
    problem(
      [key],
      `unknown key '${key}' in a condition${hint || `; the operators are: ${OPERATORS.join(', ')}`}`,
    );
  }
  const hasPath = Object.prototype.hasOwnProperty.call(raw, 'path');
  const parsed = typeof raw.path === 'string' ? parsePath(raw.path) : undefined;
  if (!hasPath && operators.length === 0 && unknownKeys.length === 0)
    problem([], `a condition needs all, any, not, or a path with one of: ${OPERATORS.join(', ')}`);
  else if (!hasPath && operators.length > 0) problem([], `a condition with ${operators[0]} needs a path`);
  else if (hasPath && !parsed) problem(['path'], `the path must be a string, not ${kindOf(raw.path)}`);
  else if (parsed && !parsed.ok) problem(['path'], parsed.message);
  // An unknown key is most often a misspelt operator: its message says so.
  if (hasPath && operators.length === 0 && unknownKeys.length === 0)
    problem([], `a condition on a path needs one operator: ${OPERATORS.join(', ')}`);
  for (const extra of operators.slice(1))
    problem(
      [extra],
      `a condition has one operator, this one has ${operators.join(' and ')}; combine conditions with 'all'`,
    );
  const operator = operators[0];
  const valueProblem = operator && OPERATOR_SPECS[operator].problem(raw[operator]);
  if (valueProblem) problem([operator], `${operator} ${valueProblem}`);
  if (problems.length > before || !parsed?.ok || !operator) return { kind: 'invalid' };
  return {
    kind: 'leaf',
    path: raw.path as string,
    steps: parsed.steps,
    ...OPERATOR_SPECS[operator].compile(raw[operator]),
  };
}

/**
 * The mistakes in a condition that the JSON Schema cannot state, and those it can (so the condition
 * may be checked without it): a path that does not parse (and where), a regular expression RE2
 * refuses, an operator value of the wrong type, no operator or two, an empty `all`/`any`. Each with
 * its place inside the condition, for the catalogue loader's file:line:column.
 */
export function conditionProblems(
  condition: Condition,
): { readonly path: (string | number)[]; readonly message: string }[] {
  return [...compilationOf(condition).problems];
}

// ---------------------------------------------------------------------------------------------
// Evaluating
// ---------------------------------------------------------------------------------------------

interface Context {
  readonly stack: StackTemplate;
  readonly resolver: TemplateResolver;
}

const PASS: ConditionOutcome = { status: 'pass' };

/**
 * Judges a resource's properties (one `Fn::If` combination, `AWS::NoValue` removed, as the engine
 * gives them): `pass`, `fail` or `unknown` (a deploy-time value decides), with the property at
 * fault and the reason in words. Never throws; a condition with mistakes fails.
 */
export function evaluateCondition(
  condition: Condition,
  properties: Record<string, unknown>,
  stack: StackTemplate,
  resolver: TemplateResolver,
): ConditionOutcome {
  const { compiled, problems } = compilationOf(condition);
  if (problems.length > 0) {
    return {
      status: 'fail',
      property: problems[0].path.join('.') || '(condition)',
      reason: `the check's condition is invalid: ${listed(problems.map((p) => p.message))}`,
    };
  }
  return evaluate(compiled, properties, { stack, resolver }, false);
}

/** `negated`: under an odd number of `not`s. */
function evaluate(
  condition: Compiled,
  properties: unknown,
  context: Context,
  negated: boolean,
): ConditionOutcome {
  switch (condition.kind) {
    case 'not':
      return evaluate(condition.child, properties, context, !negated);
    case 'all':
    case 'any': {
      const outcomes = condition.children.map((child) => evaluate(child, properties, context, negated));
      // not (all of) is any of the nots, and the other way round.
      return (condition.kind === 'all') !== negated ? allOf(outcomes) : anyOf(outcomes);
    }
    case 'leaf':
      return walk({ leaf: condition, context, negated }, properties, [], 0);
    default:
      return { status: 'fail', property: '(condition)', reason: "the check's condition is invalid" };
  }
}

interface Walk {
  readonly leaf: Leaf;
  readonly context: Context;
  readonly negated: boolean;
}

/** Reads the path step by step from `raw`, the value at `done`, resolving each value on the way. */
function walk(w: Walk, raw: unknown, done: readonly PathStep[], i: number): ConditionOutcome {
  const { leaf, context } = w;
  const resolved = context.resolver.resolve(raw, context.stack);
  const node: PropertyNode = { raw, resolved };
  const wanted = renderPath([...done, ...leaf.steps.slice(i)]);
  if (i === leaf.steps.length) return judge(w, node, wanted);
  const here = renderPath(done) || 'Properties';
  const { must } = wordingHere(w);
  const requirement = `${wanted} must ${must}`;
  const step = leaf.steps[i];
  const unreadable = (kind: string) =>
    fail(here, `${here} ${foundText(node)}, not ${kind}, so ${wanted} cannot be read (it must ${must})`);
  switch (resolved.kind) {
    case 'absent':
      return absentOnTheWay(w, node, done, i);
    case 'unknown':
      return unknown(here, `${deployTime(here, resolved.description)} (${requirement})`);
    case 'structure':
      break;
    default:
      return unreadable(step.kind === 'property' ? 'an object' : 'a list');
  }
  const value = resolved.value;
  if (step.kind === 'property') {
    if (!isPlainObject(value)) return unreadable('an object');
    // Own properties only: `constructor` or `__proto__` must not be found on Object.prototype.
    const child = Object.prototype.hasOwnProperty.call(value, step.name) ? value[step.name] : undefined;
    return walk(w, child, [...done, step], i + 1);
  }
  if (!Array.isArray(value)) return unreadable('a list');
  if (step.kind === 'element') {
    // An Fn::If the engine left in place may be AWS::NoValue and remove itself, moving later elements.
    const conditional = value.slice(0, step.index + 1).findIndex((item) => intrinsicName(item) === 'Fn::If');
    if (conditional >= 0) {
      const element = renderPath([...done, step]);
      return unknown(
        element,
        `${element} is not known at synth time: ${here}[${conditional}] is an Fn::If that may remove itself from the list, which is only known at deploy time (${element === wanted ? `it must ${must}` : requirement})`,
      );
    }
    return walk(w, value[step.index], [...done, step], i + 1);
  }
  if (value.length === 0) return emptyList(w, here, 'is empty', wanted);
  const outcomes = value.map((item, index) => walk(w, item, [...done, { kind: 'element', index }], i + 1));
  return w.negated ? someElement(outcomes, wanted, wordingHere(w)) : allOf(outcomes);
}

/** A value on the way is not set: so is the path, and a list on the rest of it is an empty list. */
function absentOnTheWay(w: Walk, node: PropertyNode, done: readonly PathStep[], i: number): ConditionOutcome {
  const rest = w.leaf.steps.slice(i);
  const wanted = renderPath([...done, ...rest]);
  const every = rest.findIndex((step) => step.kind === 'every');
  if (every < 0) return judge(w, node, wanted);
  return emptyList(w, renderPath([...done, ...rest.slice(0, every)]), 'is not set', wanted);
}

/**
 * `[*]` over no elements: every element (there is none) meets the test, except for `exists: true`,
 * which needs one; under `not`, some element (there is none) must, so it fails but for `exists: true`.
 */
function emptyList(w: Walk, list: string, found: string, wanted: string): ConditionOutcome {
  if (w.leaf.holdsOnEmptyList !== w.negated) return PASS;
  const { must } = wordingHere(w);
  return fail(
    list,
    w.negated
      ? `${list} ${found} (some ${wanted} must ${must})`
      : `${list} ${found} (every ${wanted} must ${must}, and there must be at least one)`,
  );
}

/** How the leaf's test is meant here: negated by the operator (`notEquals`) and by each `not` around it. */
function polarity(w: Walk): boolean {
  return w.leaf.negated !== w.negated;
}

function wordingHere(w: Walk) {
  return w.leaf.test.wording(polarity(w));
}

/** The value at the end of the path against the leaf's operator. */
function judge(w: Walk, node: PropertyNode, subject: string): ConditionOutcome {
  const truth = w.leaf.test.judge(node);
  const requirement = `it must ${wordingHere(w).must}`;
  switch (truth.kind) {
    case 'unknown':
      return unknown(subject, `${deployTime(subject, truth.source)} (${requirement})`);
    case 'malformed':
      return fail(subject, `${subject} ${truth.found} (${requirement})`);
    case 'reference':
      // Not equal as written; under notEquals/notIn (or a `not`) its deploy-time value may still be equal.
      if (!polarity(w) || !truth.mayEqual)
        return polarity(w) ? PASS : fail(subject, `${subject} ${truth.found} (${requirement})`);
      return unknown(
        subject,
        `${subject} ${truth.found}: its value is made at deploy time and may be what it must not be (${requirement})`,
      );
    default:
      return (truth.kind === 'holds') !== polarity(w)
        ? PASS
        : fail(subject, `${subject} ${truth.found} (${requirement})`);
  }
}

/** `X comes from parameter P, which is only known at deploy time`, worded as the library's rules word it. */
function deployTime(subject: string, source: string): string {
  const verdict = knownAtDeployTime(subject, source);
  return verdict.status === 'unverifiable' ? verdict.reason : `${subject} comes from ${source}`;
}

function fail(property: string, reason: string): ConditionOutcome {
  return { status: 'fail', property, reason };
}

function unknown(property: string, reason: string): ConditionOutcome {
  return { status: 'unknown', property, reason };
}

type Fault = Extract<ConditionOutcome, { property: string }>;

/** Some reasons, the first few spelt out and the rest counted; unset siblings that need one value said once. */
function listed(reasons: readonly string[]): string {
  const merged = mergeUnsetSiblings(reasons);
  const rest = merged.length - MAX_LISTED;
  return merged.slice(0, MAX_LISTED).join('; ') + (rest > 0 ? `; and ${rest} more` : '');
}

const UNSET = /^(?:(.*)\.)?([^.[\]]+) is not set \(it must be (.*)\)$/;

/**
 * `A.X is not set (it must be true); A.Y is not set (it must be true)` reads as
 * `A X and Y are not set (each must be true)`, in the place of the first.
 */
function mergeUnsetSiblings(reasons: readonly string[]): string[] {
  const groups = new Map<string, { parent: string; need: string; leaves: string[] }>();
  for (const reason of reasons) {
    const match = UNSET.exec(reason);
    if (!match) continue;
    const [, parent = '', leaf, need] = match;
    const key = JSON.stringify([parent, need]);
    const group = groups.get(key) ?? { parent, need, leaves: [] };
    group.leaves.push(leaf);
    groups.set(key, group);
  }
  const said = new Set<string>();
  return reasons.flatMap((reason) => {
    const match = UNSET.exec(reason);
    if (!match) return [reason];
    const key = JSON.stringify([match[1] ?? '', match[3]]);
    const group = groups.get(key)!;
    if (group.leaves.length === 1) return [reason];
    if (said.has(key)) return [];
    said.add(key);
    return [`${nameSiblings(group.parent, group.leaves)} are not set (each must be ${group.need})`];
  });
}

/** Kleene conjunction: a fail decides; else an unknown leaves it open; the faults of that status are listed. */
function allOf(outcomes: readonly ConditionOutcome[]): ConditionOutcome {
  for (const status of ['fail', 'unknown'] as const) {
    const faults = outcomes.filter((o): o is Fault => o.status === status);
    if (faults.length > 0)
      return { status, property: faults[0].property, reason: listed(faults.map((f) => f.reason)) };
  }
  return PASS;
}

/** Kleene disjunction: a pass decides; else an unknown leaves it open; what each alternative needed is listed. */
function anyOf(outcomes: readonly ConditionOutcome[]): ConditionOutcome {
  const faults = outcomes.filter((o): o is Fault => o.status !== 'pass');
  if (faults.length < outcomes.length) return PASS;
  if (faults.length === 1) return faults[0];
  const status = faults.some((f) => f.status === 'unknown') ? 'unknown' : 'fail';
  const header = status === 'fail' ? 'none of these holds' : 'none of these is known to hold';
  return {
    status,
    property: faults[0].property,
    reason: `${header}: ${listed(faults.map((f) => f.reason))}`,
  };
}

/** `not` over a `[*]` path: some element must meet the negated test. */
function someElement(
  outcomes: readonly ConditionOutcome[],
  wanted: string,
  wording: Wording,
): ConditionOutcome {
  const combined = anyOf(outcomes);
  if (combined.status === 'pass' || outcomes.length === 1) return combined;
  const faults = outcomes.filter((o): o is Fault => o.status !== 'pass');
  const header =
    combined.status === 'fail' ? `no ${wanted} ${wording.is}` : `no ${wanted} is known to ${wording.must}`;
  return {
    status: combined.status,
    property: wanted,
    reason: `${header}: ${listed(faults.map((f) => f.reason))}`,
  };
}

// ---------------------------------------------------------------------------------------------
// Words, schema, paths
// ---------------------------------------------------------------------------------------------

/**
 * The condition in words, for the docs and the findings' advice: `RetentionInDays is at least 365`,
 * `all of: A is true; B is set`, `every Rules[*].Status is 'Enabled'`.
 */
export function describeCondition(condition: Condition): string {
  const { compiled, problems } = compilationOf(condition);
  return problems.length > 0 ? 'an invalid condition' : describeCompiled(compiled, false);
}

function describeCompiled(condition: Compiled, negated: boolean): string {
  switch (condition.kind) {
    case 'not':
      return describeCompiled(condition.child, !negated);
    case 'all':
    case 'any': {
      const parts = condition.children.map((child) => {
        const text = describeCompiled(child, false);
        return child.kind === 'all' || child.kind === 'any' ? `(${text})` : text;
      });
      const text = `${condition.kind} of: ${parts.join('; ')}`;
      return negated ? `not (${text})` : text;
    }
    case 'leaf': {
      const { is } = condition.test.wording(condition.negated !== negated);
      const text = `${condition.path} ${is}`;
      if (!condition.steps.some((step) => step.kind === 'every')) return text;
      if (!negated) return `every ${text}${condition.holdsOnEmptyList ? '' : ', and there is at least one'}`;
      return `some ${text}${condition.holdsOnEmptyList ? '' : ', or there is none'}`;
    }
    default:
      return 'an invalid condition';
  }
}

/**
 * JSON Schema (draft-07) definitions for a condition, to merge into a schema's `definitions`:
 * `{ condition }`, recursive through `#/definitions/condition`. One object with every key (so
 * editors complete each with its description) and, instead of a `oneOf` that would answer a
 * mistake with one error per form, dependencies: `all`, `any` and `not` stand alone, a `path` has
 * exactly one operator, an operator needs a `path`.
 */
export function conditionSchema(): Record<string, unknown> {
  const condition = { $ref: '#/definitions/condition' };
  const list = (description: string) => ({ type: 'array', minItems: 1, items: condition, description });
  return {
    condition: {
      type: 'object',
      description:
        "A condition on the resource's properties: a `path` with one operator, or `all`, `any` or `not` of conditions. " +
        'A value known only at deploy time makes it unverifiable, never a pass.',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        all: list('Holds when every condition of the list holds.'),
        any: list('Holds when at least one condition of the list holds.'),
        not: {
          allOf: [condition],
          description: 'Holds when the condition fails. Over a [*] path it reads "some element".',
        },
        path: {
          type: 'string',
          pattern: PATH_PATTERN,
          description:
            "A property path in the resource's Properties: dotted names (VersioningConfiguration.Status); " +
            'Name[*] for every element of a list (the condition must hold for each; an empty or absent list holds, ' +
            'except for exists: true), Name[N] for one element.',
          examples: [
            'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled',
            'SecurityGroupIngress[*].CidrIp',
          ],
        },
        ...Object.fromEntries(
          Object.entries(OPERATOR_SPECS).map(([name, spec]) => [
            name,
            { ...spec.schema, description: spec.description },
          ]),
        ),
      },
      dependencies: {
        all: { maxProperties: 1 },
        any: { maxProperties: 1 },
        not: { maxProperties: 1 },
        path: { minProperties: 2, maxProperties: 2 },
        ...Object.fromEntries(OPERATORS.map((name) => [name, ['path']])),
      },
    },
  };
}

/** Every property path the condition reads, once each, in order: for a check against the resource types. */
export function pathsOf(condition: Condition): string[] {
  const paths = new Set<string>();
  const visit = (raw: unknown, depth: number) => {
    if (!isPlainObject(raw) || depth > MAX_DEPTH) return;
    if (typeof raw.path === 'string') paths.add(raw.path);
    for (const key of COMBINATORS) {
      const value = Object.prototype.hasOwnProperty.call(raw, key) ? raw[key] : undefined;
      for (const child of Array.isArray(value) ? value : [value]) visit(child, depth + 1);
    }
  };
  visit(condition, 0);
  return [...paths];
}
