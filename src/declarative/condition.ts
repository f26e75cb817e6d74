import { conjoin, deploysWhenever } from '../engine/evidence';
import { describeAssumptions, intrinsicName, isPlainObject, propertyVariants } from '../engine/intrinsics';
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
  Place,
  PropertyNode,
  Scalar,
  Wording,
} from './operators';
import { nameSiblings, parsePath, PATH_PATTERN, PathStep, renderPath } from './path';
import { Link, linkTo, ReferencedResource, RESOURCE_TYPE_PATTERN } from './related';

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
 *
 * Two forms look beyond one value. An element scope (`{ path: List, some | every | none: condition }`)
 * judges the condition on each element of a list as a whole, paths relative to the element (so two
 * rules of a security group never combine into one); `not` swaps some and none, and every with
 * "some element does not". `referencedBy` holds when a resource of another type in the same
 * template names this one and meets a condition of its own; under `not`, no resource that names
 * it may meet it. Both stay three-valued: an element or a resource that cannot be read makes the
 * outcome unknown unless another decides it.
 */

export type { Scalar } from './operators';

export type Condition = AllOf | AnyOf | Not | PropertyCondition | ElementScope | ReferencedBy;

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

/**
 * A list and a condition on its elements (paths relative to the element; a leaf without a path is
 * the element itself). `some`: an element meets it (an absent or empty list fails); `every`: each
 * element does (an absent or empty list holds); `none`: no element does (an absent or empty list
 * holds). A single value where the list belongs is a list of one (IAM writes `Action: '*'`).
 */
export type ElementScope = { readonly path: string } & (
  { readonly some: Condition } | { readonly every: Condition } | { readonly none: Condition }
);

/**
 * Holds when some resource of `resourceType` in the same template names this one at `path` (a
 * `Ref` or `Fn::GetAtt` of it, or its literal name where the type has one) and meets `require`.
 */
export interface ReferencedBy {
  readonly referencedBy: {
    readonly resourceType: string;
    readonly path: string;
    readonly require: Condition;
  };
}

/** A property path (none for the element itself, inside some/every/none) and exactly one operator. */
export type PropertyCondition = { readonly path?: string } & (
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
  | { readonly onlyKeys: readonly string[] }
  | { readonly refersTo: { readonly attribute?: string; readonly suffix?: string } }
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

const COMBINATORS = ['all', 'any', 'not', 'referencedBy'] as const;

export const QUANTIFIERS = ['some', 'every', 'none'] as const;
type Quantifier = (typeof QUANTIFIERS)[number];

/** Deeper than this, a condition is refused (and a cyclic one, which YAML aliases can make, stops). */
const MAX_DEPTH = 32;
/** At most this many faults are spelt out in one reason; the rest are counted. */
const MAX_LISTED = 5;

type Compiled =
  | { readonly kind: 'all' | 'any'; readonly children: readonly Compiled[] }
  | { readonly kind: 'not'; readonly child: Compiled }
  | Leaf
  | Scope
  | Related
  | { readonly kind: 'invalid' };

/** `{ path, some | every | none }`: the walk to the list is a leaf's, with the quantifier as its test. */
interface Scope {
  readonly kind: 'scope';
  readonly quantifier: Quantifier;
  readonly path: string;
  readonly steps: readonly PathStep[];
  readonly child: Compiled;
}

interface Related {
  readonly kind: 'related';
  readonly resourceType: string;
  readonly path: string;
  readonly steps: readonly PathStep[];
  readonly child: Compiled;
}

/** Where in a condition a part stands: inside an element scope, inside a referencedBy. */
interface Within {
  readonly element: boolean;
  readonly related: boolean;
}

const TOP: Within = { element: false, related: false };

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
  const compiled = compileAt(condition, [], problems, 0, TOP);
  return { compiled, problems };
}

function compileAt(
  raw: unknown,
  at: (string | number)[],
  problems: ConditionProblem[],
  depth: number,
  within: Within,
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
      return { kind: 'not', child: compileAt(value, [...at, 'not'], problems, depth + 1, within) };
    if (combinator === 'referencedBy')
      return compileRelated(value, [...at, combinator], problems, depth, within);
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
      children: value.map((child, i) =>
        compileAt(child, [...at, combinator, i], problems, depth + 1, within),
      ),
    };
  }
  return compileLeaf(raw, at, problems, depth, within);
}

const RELATED_KEYS = ['resourceType', 'path', 'require'];

/** `referencedBy: { resourceType, path, require }`, once: not inside another, nor inside an element scope. */
function compileRelated(
  raw: unknown,
  at: (string | number)[],
  problems: ConditionProblem[],
  depth: number,
  within: Within,
): Compiled {
  const before = problems.length;
  const problem = (where: (string | number)[], message: string) =>
    problems.push({ path: [...at, ...where], message });
  if (within.related)
    problem(
      [],
      "referencedBy cannot be nested in a referencedBy's require: related resources are one level deep",
    );
  else if (within.element)
    problem([], 'referencedBy is about the resource, not a list element: put it outside some/every/none');
  if (!isPlainObject(raw)) {
    problem([], `referencedBy must be a mapping of resourceType, path and require, not ${kindOf(raw)}`);
    return { kind: 'invalid' };
  }
  for (const key of Object.keys(raw).filter((key) => !RELATED_KEYS.includes(key)))
    problem(
      [key],
      `unknown key '${key}' in referencedBy${didYouMean(key, RELATED_KEYS) || `; it takes ${RELATED_KEYS.join(', ')}`}`,
    );
  for (const key of RELATED_KEYS.filter((key) => !Object.prototype.hasOwnProperty.call(raw, key)))
    problem([], `referencedBy needs ${key}`);
  const { resourceType, path } = raw;
  if (
    resourceType !== undefined &&
    (typeof resourceType !== 'string' || !RESOURCE_TYPE_PATTERN.test(resourceType))
  )
    problem(
      ['resourceType'],
      `resourceType must be a CloudFormation type (AWS::S3::BucketPolicy), not ${kindOf(resourceType)}`,
    );
  const parsed = typeof path === 'string' ? parsePath(path) : undefined;
  if (path !== undefined && !parsed) problem(['path'], `the path must be a string, not ${kindOf(path)}`);
  else if (parsed && !parsed.ok) problem(['path'], parsed.message);
  const child =
    raw.require === undefined
      ? undefined
      : compileAt(raw.require, [...at, 'require'], problems, depth + 1, { element: false, related: true });
  if (problems.length > before || !child || !parsed?.ok) return { kind: 'invalid' };
  return {
    kind: 'related',
    resourceType: resourceType as string,
    path: path as string,
    steps: parsed.steps,
    child,
  };
}

function isQuantifier(key: string): key is Quantifier {
  return (QUANTIFIERS as readonly string[]).includes(key);
}

function isOperator(key: string): key is Operator {
  return Object.prototype.hasOwnProperty.call(OPERATOR_SPECS, key);
}

function compileLeaf(
  raw: Record<string, unknown>,
  at: (string | number)[],
  problems: ConditionProblem[],
  depth: number,
  within: Within,
): Compiled {
  const keys = Object.keys(raw);
  const operators = keys.filter((key) => isOperator(key) || isQuantifier(key));
  const unknownKeys = keys.filter((key) => key !== 'path' && !isOperator(key) && !isQuantifier(key));
  const before = problems.length;
  const problem = (where: (string | number)[], message: string) =>
    problems.push({ path: [...at, ...where], message });
  for (const key of unknownKeys) {
    const hint = didYouMean(key, ['path', ...OPERATORS, ...QUANTIFIERS, ...COMBINATORS]);
    problem(
      [key],
      `unknown key '${key}' in a condition${hint || `; the operators are: ${OPERATORS.join(', ')}`}`,
    );
  }
  const hasPath = Object.prototype.hasOwnProperty.call(raw, 'path');
  const parsed = typeof raw.path === 'string' ? parsePath(raw.path) : undefined;
  const operator = operators[0];
  // Inside some/every/none, an operator without a path judges the element itself.
  const elementItself = !hasPath && within.element && operator !== undefined && !isQuantifier(operator);
  if (!hasPath && operators.length === 0 && unknownKeys.length === 0)
    problem(
      [],
      `a condition needs all, any, not, referencedBy, or a path with one of: ${OPERATORS.join(', ')}`,
    );
  else if (!hasPath && operators.length > 0 && !elementItself)
    problem(
      [],
      isQuantifier(operators[0])
        ? `${operators[0]} needs the path of a list`
        : `a condition with ${operators[0]} needs a path (only inside some, every or none may it judge the element itself)`,
    );
  else if (hasPath && !parsed) problem(['path'], `the path must be a string, not ${kindOf(raw.path)}`);
  else if (parsed && !parsed.ok) problem(['path'], parsed.message);
  // An unknown key is most often a misspelt operator: its message says so.
  if (hasPath && operators.length === 0 && unknownKeys.length === 0)
    problem([], `a condition on a path needs one operator: ${OPERATORS.join(', ')}; or some, every or none`);
  for (const extra of operators.slice(1))
    problem(
      [extra],
      `a condition has one operator, this one has ${operators.join(' and ')}; combine conditions with 'all'`,
    );
  if (operator === 'refersTo' && !within.related)
    problem(
      [operator],
      'refersTo names the resource a referencedBy checks: use it inside referencedBy.require',
    );
  if (operator !== undefined && isQuantifier(operator)) {
    const child = compileAt(raw[operator], [...at, operator], problems, depth + 1, {
      ...within,
      element: true,
    });
    if (problems.length > before || !parsed?.ok) return { kind: 'invalid' };
    return { kind: 'scope', quantifier: operator, path: raw.path as string, steps: parsed.steps, child };
  }
  const valueProblem = operator && OPERATOR_SPECS[operator as Operator].problem(raw[operator]);
  if (valueProblem) problem([operator], `${operator} ${valueProblem}`);
  if (problems.length > before || !operator || !(elementItself || parsed?.ok)) return { kind: 'invalid' };
  return {
    kind: 'leaf',
    path: elementItself ? '' : (raw.path as string),
    steps: parsed?.ok ? parsed.steps : [],
    ...OPERATOR_SPECS[operator as Operator].compile(raw[operator]),
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

/** Where a condition is judged; `subject` is the resource whose properties are read at the root. */
interface Context extends Place {
  readonly subject?: ReferencedResource & { readonly assumptions: Assumptions };
}

type Assumptions = ReadonlyArray<readonly [string, boolean]>;

/** The resource a condition is judged on, for `referencedBy`: who it is and which branches it assumes. */
export interface ConditionSubject {
  readonly logicalId: string;
  readonly type: string;
  readonly assumptions: Assumptions;
}

const PASS: ConditionOutcome = { status: 'pass' };

/**
 * Judges a resource's properties (one `Fn::If` combination, `AWS::NoValue` removed, as the engine
 * gives them): `pass`, `fail` or `unknown` (a deploy-time value decides), with the property at
 * fault and the reason in words. `subject` names the resource, for `referencedBy` (without it, a
 * `referencedBy` is unknown). Never throws; a condition with mistakes fails.
 */
export function evaluateCondition(
  condition: Condition,
  properties: Record<string, unknown>,
  stack: StackTemplate,
  resolver: TemplateResolver,
  subject?: ConditionSubject,
): ConditionOutcome {
  const { compiled, problems } = compilationOf(condition);
  if (problems.length > 0) {
    return {
      status: 'fail',
      property: problems[0].path.join('.') || '(condition)',
      reason: `the check's condition is invalid: ${listed(problems.map((p) => p.message))}`,
    };
  }
  const context: Context = {
    stack,
    resolver,
    ...(subject && { subject: { ...subject, stackId: stack.stackId, stack, properties } }),
  };
  return evaluate(compiled, properties, context, false, []);
}

/** `negated`: under an odd number of `not`s; `at`: where `value` is (a list element, inside a scope). */
function evaluate(
  condition: Compiled,
  value: unknown,
  context: Context,
  negated: boolean,
  at: readonly PathStep[],
): ConditionOutcome {
  switch (condition.kind) {
    case 'not':
      return evaluate(condition.child, value, context, !negated, at);
    case 'all':
    case 'any': {
      const outcomes = condition.children.map((child) => evaluate(child, value, context, negated, at));
      // not (all of) is any of the nots, and the other way round.
      return (condition.kind === 'all') !== negated ? allOf(outcomes) : anyOf(outcomes);
    }
    case 'leaf':
      return walk(
        { leaf: condition, context, negated, end: (w, node, done) => judge(condition, w, node, done) },
        value,
        at,
        0,
      );
    case 'scope':
      return walk(
        {
          leaf: scopeTarget(condition),
          context,
          negated,
          end: (w, node, done) => quantify(condition, w, node, done),
        },
        value,
        at,
        0,
      );
    case 'related':
      return evaluateRelated(condition, context, negated);
    default:
      return { status: 'fail', property: '(condition)', reason: "the check's condition is invalid" };
  }
}

/** What a walk reads the path for: a leaf's operator, or a scope's quantifier (worded as a test). */
interface WalkTarget extends Omit<CompiledOperator, 'test'> {
  readonly steps: readonly PathStep[];
  readonly test: { wording(negated: boolean): Wording };
}

interface Walk {
  readonly leaf: WalkTarget;
  readonly context: Context;
  readonly negated: boolean;
  /** Judges the value at the end of the path; `done` is its path. */
  readonly end: (w: Walk, node: PropertyNode, done: readonly PathStep[]) => ConditionOutcome;
}

/**
 * Reads the path step by step from `raw`, the value at `done`, resolving each value on the way. The
 * words of a fault are put together only when there is one: most values pass.
 */
function walk(w: Walk, raw: unknown, done: readonly PathStep[], i: number): ConditionOutcome {
  const { leaf, context } = w;
  const resolved = context.resolver.resolve(raw, context.stack);
  const node: PropertyNode = { raw, resolved, place: context };
  if (i === leaf.steps.length) return w.end(w, node, done);
  const wanted = () => renderPath([...done, ...leaf.steps.slice(i)]);
  const here = () => renderPath(done) || 'Properties';
  const requirement = () => `${wanted()} must ${wordingHere(w).must}`;
  const step = leaf.steps[i];
  const unreadable = (kind: string) =>
    fail(
      here(),
      `${here()} ${foundText(node)}, not ${kind}, so ${wanted()} cannot be read (it must ${wordingHere(w).must})`,
    );
  switch (resolved.kind) {
    case 'absent':
      return absentOnTheWay(w, node, done, i);
    case 'unknown':
      return unknown(here(), `${deployTime(here(), resolved.description)} (${requirement()})`);
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
        `${element} is not known at synth time: ${here()}[${conditional}] is an Fn::If that may remove itself from the list, which is only known at deploy time (${element === wanted() ? `it must ${wordingHere(w).must}` : requirement()})`,
      );
    }
    return walk(w, value[step.index], [...done, step], i + 1);
  }
  if (value.length === 0) return emptyList(w, here(), 'is empty', wanted());
  const outcomes = value.map((item, index) => walk(w, item, [...done, { kind: 'element', index }], i + 1));
  return w.negated ? someElement(outcomes, wanted(), wordingHere(w)) : allOf(outcomes);
}

/** A value on the way is not set: so is the path, and a list on the rest of it is an empty list. */
function absentOnTheWay(w: Walk, node: PropertyNode, done: readonly PathStep[], i: number): ConditionOutcome {
  const rest = w.leaf.steps.slice(i);
  const wanted = renderPath([...done, ...rest]);
  const every = rest.findIndex((step) => step.kind === 'every');
  if (every < 0) return w.end(w, node, [...done, ...rest]);
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
function judge(leaf: Leaf, w: Walk, node: PropertyNode, done: readonly PathStep[]): ConditionOutcome {
  const truth = leaf.test.judge(node);
  if (truth.kind === 'holds' && !polarity(w)) return PASS;
  if (truth.kind === 'fails' && polarity(w)) return PASS;
  if (truth.kind === 'reference' && polarity(w) && !truth.mayEqual) return PASS;
  const subject = renderPath(done) || 'Properties';
  const requirement = `it must ${wordingHere(w).must}`;
  switch (truth.kind) {
    case 'unknown':
      return unknown(subject, `${deployTime(subject, truth.source)} (${requirement})`);
    case 'malformed':
      return fail(subject, `${subject} ${truth.found} (${requirement})`);
    case 'reference':
      // Not equal as written; under notEquals/notIn (or a `not`) its deploy-time value may still be equal.
      if (!polarity(w)) return fail(subject, `${subject} ${truth.found} (${requirement})`);
      return unknown(
        subject,
        `${subject} ${truth.found}: its value is made at deploy time and may be what it must not be (${requirement})`,
      );
    default:
      return fail(subject, `${subject} ${truth.found} (${requirement})`);
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
  if (reasons.length === 1) return reasons[0];
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
  const matches = reasons.map((reason) => UNSET.exec(reason));
  const keyOf = ([, parent = '', , need]: RegExpExecArray) => JSON.stringify([parent, need]);
  const groups = new Map<string, { parent: string; need: string; leaves: string[] }>();
  for (const match of matches) {
    if (!match) continue;
    const [, parent = '', leaf, need] = match;
    const key = keyOf(match);
    const group = groups.get(key) ?? { parent, need, leaves: [] };
    group.leaves.push(leaf);
    groups.set(key, group);
  }
  const said = new Set<string>();
  return reasons.flatMap((reason, i) => {
    const match = matches[i];
    if (!match) return [reason];
    const key = keyOf(match);
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
// Element scopes and related resources
// ---------------------------------------------------------------------------------------------

/**
 * A quantifier as it reads under `negated`: whether some element must meet the condition (else
 * every element), and whether the condition is meant negated. `not some` is `none`, `not none` is
 * `some`, `not every` is "some element does not".
 */
function effectiveQuantifier(quantifier: Quantifier, negated: boolean) {
  return { exists: (quantifier === 'some') !== negated, inner: (quantifier === 'none') !== negated };
}

const scopeTargets = new WeakMap<Scope, WalkTarget>();

/**
 * The scope walked like a leaf to its list; on the way, an absent list holds for every and none only.
 * Made once per scope, its words too.
 */
function scopeTarget(scope: Scope): WalkTarget {
  let target = scopeTargets.get(scope);
  if (!target) {
    const [plain, negated] = [false, true].map((not) => scopeWording(scope, not));
    target = {
      steps: scope.steps,
      negated: false,
      holdsOnEmptyList: scope.quantifier !== 'some',
      test: { wording: (not) => (not ? negated : plain) },
    };
    scopeTargets.set(scope, target);
  }
  return target;
}

function scopeWording(scope: Scope, negated: boolean): Wording {
  const { exists, inner } = effectiveQuantifier(scope.quantifier, negated);
  const such = `such that ${describeCompiled(scope.child, false)}`;
  if (exists && !inner) return { is: `has an element ${such}`, must: `have an element ${such}` };
  if (exists)
    return { is: `has an element that is not ${such}`, must: `have an element that is not ${such}` };
  if (!inner) return { is: `has only elements ${such}`, must: `have only elements ${such}` };
  return { is: `has no element ${such}`, must: `have no element ${such}` };
}

/**
 * The scope's condition on each element of the list at the end of its path. An absent or empty list:
 * every and none hold, some fails; a list known only at deploy time (a parameter, Fn::Split, an
 * import) is unknown; a single value is a list of one.
 */
function quantify(scope: Scope, w: Walk, node: PropertyNode, done: readonly PathStep[]): ConditionOutcome {
  const list = renderPath(done) || 'Properties';
  const { exists, inner } = effectiveQuantifier(scope.quantifier, w.negated);
  const { must } = wordingHere(w); // made once per scope (scopeTarget)
  const { raw, resolved } = node;
  if (resolved.kind === 'absent') return exists ? fail(list, `${list} is not set (it must ${must})`) : PASS;
  if (resolved.kind === 'unknown')
    return unknown(list, `${deployTime(list, resolved.description)} (it must ${must})`);
  const value = resolved.kind === 'structure' ? resolved.value : raw;
  const elements = Array.isArray(value)
    ? value.map((item, index) => ({ item, at: [...done, { kind: 'element', index } as PathStep] }))
    : [{ item: value, at: done }];
  if (elements.length === 0) return exists ? fail(list, `${list} is empty (it must ${must})`) : PASS;
  const outcomes = elements.map(({ item, at }) => ({
    at,
    outcome: evaluate(scope.child, item, w.context, inner, at),
  }));
  if (exists) {
    const combined = anyOf(outcomes.map(({ outcome }) => outcome));
    if (combined.status === 'pass') return PASS;
    const faults = outcomes.map(({ outcome }) => outcome).filter((o): o is Fault => o.status !== 'pass');
    return {
      status: combined.status,
      property: list,
      reason: `${list} must ${must}: ${listed(faults.map((f) => f.reason))}`,
    };
  }
  if (outcomes.every(({ outcome }) => outcome.status === 'pass')) return PASS;
  const such = `such that ${describeCompiled(scope.child, false)}`;
  return allOf(
    outcomes.map(({ at, outcome }) =>
      outcome.status === 'pass'
        ? outcome
        : {
            ...outcome,
            property: renderPath(at),
            reason: `${renderPath(at)} must ${inner ? 'not ' : ''}be ${such}: ${outcome.reason}`,
          },
    ),
  );
}

/**
 * `referencedBy`: the resources of the type in the subject's own template, in each way they can
 * deploy (their `Condition`, the branches of their `Fn::If`s) that can deploy with the subject.
 * Some resource that names the subject and meets the condition must deploy whenever the subject
 * does; under `not`, none that names it (or may) may meet it.
 */
function evaluateRelated(related: Related, context: Context, negated: boolean): ConditionOutcome {
  const { subject, resolver } = context;
  const { resourceType: type, path } = related;
  if (!subject)
    return unknown(
      type,
      `no resource is named to look for a ${type} that names it (${describeRelated(related, negated)})`,
    );
  const judged = resolver
    .resourcesOfType(type)
    .filter((candidate) => candidate.stack.stackId === subject.stackId)
    .flatMap(({ logicalId, resource, stack }) =>
      propertyVariants(isPlainObject(resource.Properties) ? resource.Properties : {}, resource.Condition)
        .filter(({ assumptions }) => conjoin(assumptions, subject.assumptions) !== undefined)
        .map(({ properties, assumptions }) => {
          const place: Context = { stack, resolver, checked: subject };
          const link = linkTo(properties, related.steps, place, subject);
          const outcome =
            link.kind === 'other'
              ? PASS
              : evaluate(related.child, properties, place, negated, [{ kind: 'property', name: logicalId }]);
          return { logicalId, assumptions, link, outcome };
        }),
    )
    .filter(({ link }) => link.kind !== 'other');
  const names = (logicalId: string, link: Link) =>
    link.kind === 'maybe'
      ? `${type} ${logicalId} may name this resource (${link.reason})`
      : `${type} ${logicalId} names this resource in ${path}`;
  const faultOf = ({ logicalId, link, outcome }: (typeof judged)[number]): ConditionOutcome => {
    if (outcome.status === 'pass' && link.kind === 'names') return PASS;
    if (outcome.status === 'pass') return unknown(`${logicalId}.${path}`, names(logicalId, link));
    // Under not, one that may name it and meets the condition may be the resource's own: unknown.
    const status = negated && link.kind === 'maybe' ? 'unknown' : outcome.status;
    return { ...outcome, status, reason: `${names(logicalId, link)}, but ${outcome.reason}` };
  };
  if (negated) return allOf(judged.map(faultOf));
  const evidence = judged.filter(({ link, outcome }) => link.kind === 'names' && outcome.status === 'pass');
  const coverage = deploysWhenever(
    evidence.map(({ assumptions }) => assumptions),
    subject.assumptions,
  );
  if (coverage.holds) return PASS;
  if (evidence.length > 0)
    return fail(
      type,
      `when ${describeAssumptions(coverage.when)}: no ${type} that names this resource in ${path} and meets the condition deploys`,
    );
  if (judged.length === 0) return fail(type, `no ${type} in the template names this resource in ${path}`);
  const outcomes = judged.map(faultOf);
  const status = outcomes.some((o) => o.status === 'unknown') ? 'unknown' : 'fail';
  const faults = outcomes.filter((o): o is Fault => o.status === status);
  return { status, property: faults[0].property, reason: listed(faults.map((f) => f.reason)) };
}

function describeRelated(related: Related, negated: boolean): string {
  const such = describeCompiled(related.child, false);
  const { resourceType: type, path } = related;
  return negated
    ? `no ${type} of the same template that names it in ${path} is such that ${such}`
    : `some ${type} of the same template names it in ${path} and is such that ${such}`;
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
    case 'scope':
      return `${condition.path} ${scopeWording(condition, negated).is}`;
    case 'related':
      return describeRelated(condition, negated);
    case 'leaf': {
      const { is } = condition.test.wording(condition.negated !== negated);
      const text = `${condition.path || 'it'} ${is}`;
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
        "A condition on the resource's properties: a `path` with one operator, a `path` to a list with `some`, `every` or " +
        '`none` of a condition on its elements, `all`, `any` or `not` of conditions, or `referencedBy`. ' +
        'A value known only at deploy time makes it unverifiable, never a pass.',
      additionalProperties: false,
      minProperties: 1,
      properties: {
        all: list('Holds when every condition of the list holds.'),
        any: list('Holds when at least one condition of the list holds.'),
        not: {
          allOf: [condition],
          description:
            'Holds when the condition fails. Over a [*] path it reads "some element"; it turns some into none and none into some.',
        },
        some: {
          allOf: [condition],
          description:
            'With path (a list): holds when some element meets this condition, its paths relative to the element (a leaf ' +
            'without path is the element itself). An absent or empty list fails; a single value is a list of one.',
        },
        every: {
          allOf: [condition],
          description:
            'With path (a list): holds when every element meets this condition, its paths relative to the element. An absent or empty list holds.',
        },
        none: {
          allOf: [condition],
          description:
            'With path (a list): holds when no element meets this condition, its paths relative to the element. An absent or empty list holds.',
        },
        referencedBy: {
          type: 'object',
          additionalProperties: false,
          required: ['resourceType', 'path', 'require'],
          description:
            'Holds when a resource of resourceType in the same template names this one at path (a Ref or Fn::GetAtt of it, ' +
            "or its literal name where the type has one, such as a bucket's BucketName) and meets require, whenever this " +
            'resource deploys. A name known only at deploy time (a parameter, an import) is unverifiable; a resource that may ' +
            'not deploy (its Condition, an Fn::If) is no evidence; one in another stack does not count. Not nested.',
          properties: {
            resourceType: {
              type: 'string',
              pattern: RESOURCE_TYPE_PATTERN.source,
              examples: ['AWS::S3::BucketPolicy'],
            },
            path: { type: 'string', pattern: PATH_PATTERN, examples: ['Bucket', 'Queues[*]'] },
            require: condition,
          },
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
        referencedBy: { maxProperties: 1 },
        path: { minProperties: 2, maxProperties: 2 },
        // An operator without a path judges a list's element itself, inside some/every/none (the loader checks where).
        ...Object.fromEntries(QUANTIFIERS.map((name) => [name, ['path']])),
      },
    },
  };
}

/** A property path a condition reads, and where it is written in the condition (`['all', 0, 'path']`). */
export interface PathPlace {
  readonly path: string;
  readonly at: (string | number)[];
  /** For a path of a referencedBy: the type of the resource it is read on. */
  readonly resourceType?: string;
}

/**
 * Every property path of the resource the condition reads, once each, in order: for a check against
 * the resource types. A path inside some/every/none is the list's path, `[*]` and the element's path
 * (`SecurityGroupIngress[*].CidrIp`); the paths of a referencedBy are another type's (`relatedPathPlacesOf`).
 */
export function pathsOf(condition: Condition): string[] {
  return [...new Set(pathPlacesOf(condition).map((place) => place.path))];
}

/** `pathsOf` with where each path is written, once per place. */
export function pathPlacesOf(condition: Condition): PathPlace[] {
  return placesOf(condition).filter((place) => place.resourceType === undefined);
}

/** The paths the condition's referencedBy read on their resource types: where they name it, and their require's. */
export function relatedPathPlacesOf(condition: Condition): PathPlace[] {
  return placesOf(condition).filter((place) => place.resourceType !== undefined);
}

function placesOf(condition: Condition): PathPlace[] {
  const places: PathPlace[] = [];
  const visit = (
    raw: unknown,
    at: (string | number)[],
    prefix: string,
    resourceType: string | undefined,
    depth: number,
  ): void => {
    if (!isPlainObject(raw) || depth > MAX_DEPTH) return;
    const report = (path: string, where: (string | number)[]) =>
      places.push({ path, at: where, ...(resourceType !== undefined && { resourceType }) });
    const own = typeof raw.path === 'string' ? raw.path : undefined;
    const quantifier = QUANTIFIERS.find((key) => Object.prototype.hasOwnProperty.call(raw, key));
    const operator = OPERATORS.find((key) => Object.prototype.hasOwnProperty.call(raw, key));
    if (own !== undefined && (quantifier || operator)) report(`${prefix}${own}`, [...at, 'path']);
    // A leaf without a path judges the element: its list's path stands for it.
    if (own !== undefined && quantifier) {
      visit(raw[quantifier], [...at, quantifier], `${prefix}${own}[*].`, resourceType, depth + 1);
    }
    for (const key of ['all', 'any', 'not'] as const) {
      const value = Object.prototype.hasOwnProperty.call(raw, key) ? raw[key] : undefined;
      if (Array.isArray(value))
        value.forEach((child, i) => visit(child, [...at, key, i], prefix, resourceType, depth + 1));
      else visit(value, [...at, key], prefix, resourceType, depth + 1);
    }
    const reference = raw.referencedBy;
    if (isPlainObject(reference) && typeof reference.resourceType === 'string') {
      const where = [...at, 'referencedBy'];
      if (typeof reference.path === 'string')
        places.push({ path: reference.path, at: [...where, 'path'], resourceType: reference.resourceType });
      visit(reference.require, [...where, 'require'], '', reference.resourceType, depth + 1);
    }
  };
  visit(condition, [], '', undefined, 0);
  return places;
}
