import type { aws_codepipeline as codepipeline } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { isIntrinsic, isPlainObject, prop, propertyVariants } from '../engine/intrinsics';
import { describe, Resolved, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationResult } from '../remediations/context';
import { renderStack } from '../remediations/rendered';
import { compliant, defineRule, nonCompliant, notApplicable, unverifiable } from './rule';
import { compilePattern, Pattern } from './pattern';
import { knownAtDeployTime } from './values';

interface Params {
  readonly productionStagePattern: string;
  readonly caseSensitive: boolean;
  readonly productionAccountIds: readonly string[];
}

/** Any word but `non` and `pre`, spelled out: a linear-time matcher (RE2) has no lookaround. */
const NOT_NEGATION = '[^ ]{1,2}|[^ ]{4,}|[^ np][^ ]{2}|n[^ o][^ ]|no[^ n]|p[^ r][^ ]|pr[^ e]';
/** The word prod, production, prd or live, first or after a word other than non or pre. */
const DEFAULT_PRODUCTION_PATTERN = `(^|(^| )(${NOT_NEGATION}) )(prod|production|prd|live)( |$)`;

/**
 * The words of a stage name, joined by single spaces, so that a pattern can tell `Prod-EU`, `ProdEU`
 * and `DeployProd` from `NonProd` and `Prodigy`: split at every character but an ASCII letter or digit,
 * where lower case turns upper (`NonProd`), before the last capital of a run followed by lower case
 * (`UATProd`), and between letters and digits (`prod1`).
 */
const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;

function wordsOf(name: string): string {
  return (name.match(WORD) ?? []).join(' ');
}

/** A value known at synth time, or a fragment saying why it is not. */
type Known<T> = { readonly known: true; readonly value: T } | Doubt;
interface Doubt {
  readonly known: false;
  readonly why: string;
}

function known<T>(value: T): Known<T> {
  return { known: true, value };
}

function doubt(why: string): Doubt {
  return { known: false, why };
}

function is<T>(value: Known<T>, expected: T): boolean {
  return value.known && value.value === expected;
}

function mayBe<T>(value: Known<T>, expected: T): boolean {
  return !value.known || value.value === expected;
}

function firstDoubt(values: ReadonlyArray<Known<unknown>>): Doubt | undefined {
  return values.find((value): value is Doubt => !value.known);
}

/** True if one value is known true; in doubt if none is but one is unknown. */
function anyTrue(values: ReadonlyArray<Known<boolean>>): Known<boolean> {
  return values.some((value) => is(value, true)) ? known(true) : (firstDoubt(values) ?? known(false));
}

/** Whether each value is the one expected: false as soon as one is known to differ. */
function allEqual(pairs: ReadonlyArray<readonly [Known<string | undefined>, string]>): Known<boolean> {
  if (pairs.some(([value, expected]) => !mayBe(value, expected))) return known(false);
  return firstDoubt(pairs.map(([value]) => value)) ?? known(true);
}

/** Something a stage runs: an action, or a rule of one of its conditions. */
interface Step {
  /** An AWS-owned manual approval: ActionTypeId Category `Approval`, Owner `AWS`, Provider `Manual`. */
  readonly approves: Known<boolean>;
  /** Anything but a source action, an AWS manual approval or an AWS rule that only reads. */
  readonly changes: Known<boolean>;
  /** The accounts it acts in, from its RoleArn and the ARNs of its Configuration; undefined where one names none. */
  readonly accounts: ReadonlyArray<Known<string | undefined>>;
}

interface Action extends Step {
  readonly runOrder: Known<number>;
}

interface PipelineStage {
  /** `'Prod'`, or the stage's position when its name is not a literal. */
  readonly mention: string;
  readonly name: Known<string | undefined>;
  readonly actions: readonly Action[];
  /** The rules of its BeforeEntry conditions, which run before any of its actions. */
  readonly entryRules: readonly Step[];
  /** The rules of its OnFailure conditions, which run when an action fails: a rejected approval too. */
  readonly failureRules: readonly Step[];
  /** The rules of its OnSuccess conditions, which run once all its actions succeeded. */
  readonly successRules: readonly Step[];
  /** A BeforeEntry or OnFailure Result of SKIP lets an execution past the stage and its approval. */
  readonly skippable: Known<boolean>;
}

const SOURCE = 'Source';
const APPROVAL = 'Approval';
const AWS_OWNER = 'AWS';
const MANUAL = 'Manual';
const SKIP = 'SKIP';
/** The AWS rule providers that only look: at an alarm, a time window, a variable. */
const READ_ONLY_RULES = new Set(['CloudWatchAlarm', 'DeploymentWindow', 'VariableCheck']);

/** One field of an ARN as `resolver.text` renders it: characters and `${...}` placeholders. */
const ARN_FIELD = String.raw`(?:[^:$]|\$\{[^{}]*\})*`;
/** `arn:partition:service:region:account:...`, capturing the account. */
const ARN = new RegExp(`^arn:${ARN_FIELD}:${ARN_FIELD}:${ARN_FIELD}:(${ARN_FIELD}):`);
const ACCOUNT_ID = /^[0-9]{12}$/;
/** The pipeline's own account, as Fn::Sub and Fn::Join render it. */
const OWN_ACCOUNT = /^\$\{(Ref )?AWS::AccountId\}$/;

/** `value[key]`; an intrinsic stands for whatever it computes, so it is also its own every property. */
function at(value: unknown, key: string): unknown {
  return isIntrinsic(value) ? value : prop(value, key);
}

/** A list's items; an intrinsic in place of the list stands for items unknown until deploy. */
function itemsOf(value: unknown): unknown[] {
  return Array.isArray(value) ? value : isIntrinsic(value) ? [value] : [];
}

function conditionsOf(stage: unknown, key: string): unknown[] {
  return itemsOf(at(at(stage, key), 'Conditions'));
}

function actionChanges(category: Known<string | undefined>, approves: Known<boolean>): Known<boolean> {
  if (is(category, SOURCE) || is(approves, true)) return known(false);
  return firstDoubt([category, approves]) ?? known(true);
}

function ruleChanges(owner: Known<string | undefined>, provider: Known<string | undefined>): Known<boolean> {
  const readOnlyProvider = !provider.known || READ_ONLY_RULES.has(String(provider.value));
  if (!mayBe(owner, AWS_OWNER) || !readOnlyProvider) return known(true);
  return firstDoubt([owner, provider]) ?? known(false);
}

/** Reads template values as `Known`, following references the way every rule does. */
class StageReader {
  constructor(
    private readonly stack: StackTemplate,
    private readonly resolver: TemplateResolver,
  ) {}

  stages(rawStages: readonly unknown[]): PipelineStage[] {
    return rawStages.map((raw, index) => this.stage(raw, index));
  }

  private stage(raw: unknown, index: number): PipelineStage {
    const name = this.literalAt(raw, ['Name'], `the name of stage ${index + 1}`);
    const mention = name.known && name.value !== undefined ? `'${name.value}'` : String(index + 1);
    const where = `stage ${mention}`;
    const rules = (key: string, kind: string) =>
      conditionsOf(raw, key)
        .flatMap((condition) => itemsOf(at(condition, 'Rules')))
        .map((rule, i) => this.rule(rule, i, `the ${kind} conditions of ${where}`));
    return {
      mention,
      name,
      actions: itemsOf(at(raw, 'Actions')).map((action, i) => this.action(action, i, where)),
      entryRules: rules('BeforeEntry', 'entry'),
      failureRules: rules('OnFailure', 'failure'),
      successRules: rules('OnSuccess', 'success'),
      skippable: this.skippable(raw, where),
    };
  }

  private action(raw: unknown, index: number, where: string): Action {
    const label = `action ${this.mentionOf(raw, index)} in ${where}`;
    const category = this.literalAt(raw, ['ActionTypeId', 'Category'], `the Category of ${label}`);
    const approves = allEqual([
      [category, APPROVAL],
      [this.literalAt(raw, ['ActionTypeId', 'Owner'], `the Owner of ${label}`), AWS_OWNER],
      [this.literalAt(raw, ['ActionTypeId', 'Provider'], `the Provider of ${label}`), MANUAL],
    ]);
    return {
      approves,
      changes: actionChanges(category, approves),
      runOrder: this.runOrder(raw, label),
      accounts: this.accounts(raw, label),
    };
  }

  private rule(raw: unknown, index: number, where: string): Step {
    const label = `rule ${this.mentionOf(raw, index)} of ${where}`;
    const owner = this.literalAt(raw, ['RuleTypeId', 'Owner'], `the Owner of ${label}`);
    const provider = this.literalAt(raw, ['RuleTypeId', 'Provider'], `the Provider of ${label}`);
    return {
      approves: known(false),
      changes: ruleChanges(owner, provider),
      accounts: this.accounts(raw, label),
    };
  }

  private mentionOf(raw: unknown, index: number): string {
    const name = this.literalAt(raw, ['Name'], 'name');
    return name.known && name.value !== undefined ? `'${name.value}'` : String(index + 1);
  }

  /** RunOrder defaults to 1; CloudFormation also accepts it as a string such as "2". */
  private runOrder(raw: unknown, label: string): Known<number> {
    const runOrder = this.literalAt(raw, ['RunOrder'], `the RunOrder of ${label}`);
    if (!runOrder.known) return runOrder;
    if (runOrder.value === undefined) return known(1);
    return /^[1-9]\d*$/.test(runOrder.value)
      ? known(Number(runOrder.value))
      : doubt(`the RunOrder of ${label} is '${runOrder.value}', not a positive whole number`);
  }

  private skippable(raw: unknown, where: string): Known<boolean> {
    const resultOf = (condition: unknown, label: string) => this.literalAt(condition, ['Result'], label);
    const results = [
      ...conditionsOf(raw, 'BeforeEntry').map((c) =>
        resultOf(c, `the Result of an entry condition of ${where}`),
      ),
      resultOf(at(raw, 'OnFailure'), `the OnFailure Result of ${where}`),
      ...conditionsOf(raw, 'OnFailure').map((c) =>
        resultOf(c, `the Result of a failure condition of ${where}`),
      ),
    ];
    if (results.some((result) => result.known && result.value?.toUpperCase() === SKIP)) return known(true);
    return firstDoubt(results) ?? known(false);
  }

  /** The accounts a step acts in: its RoleArn's (the pipeline's own without one) and its Configuration's ARNs'. */
  private accounts(raw: unknown, label: string): Array<Known<string | undefined>> {
    const roleArn = at(raw, 'RoleArn');
    const configuration = at(raw, 'Configuration');
    return [
      roleArn === undefined || roleArn === null
        ? this.accountOf(this.stack, `${label}, without a RoleArn, runs in`)
        : this.accountIn(roleArn, `the RoleArn of ${label}`, true),
      ...(isIntrinsic(configuration)
        ? [this.accountIn(configuration, `the Configuration of ${label}`, true)]
        : Object.entries(isPlainObject(configuration) ? configuration : {}).map(([key, value]) =>
            this.accountIn(value, `${key} in the Configuration of ${label}`, key.endsWith('Arn')),
          )),
    ];
  }

  /**
   * The account an ARN names: the ARN's account field, or the account of the stack whose resource it
   * is (the pipeline's own for `${AWS::AccountId}` or no RoleArn); undefined when it names none. A
   * value that is not an ARN counts only where an ARN is expected.
   */
  private accountIn(value: unknown, label: string, arnExpected: boolean): Known<string | undefined> {
    const resolved = this.resolver.resolve(value, this.stack);
    switch (resolved.kind) {
      case 'absent':
        return known(undefined);
      case 'resource':
        return arnExpected ? this.accountOf(resolved.stack, `${label} names`) : known(undefined);
      case 'structure':
        return arnExpected ? doubt(`${label} is ${describe(value)}`) : known(undefined);
      default: {
        const text =
          resolved.kind === 'literal' ? String(resolved.value) : this.resolver.text(value, this.stack).text;
        const account = ARN.exec(text)?.[1];
        if (account === undefined) {
          if (!arnExpected) return known(undefined);
          return doubt(
            resolved.kind === 'unknown'
              ? `${label} comes from ${resolved.description}`
              : `${label} is '${text}', not an ARN`,
          );
        }
        if (ACCOUNT_ID.test(account)) return known(account);
        if (OWN_ACCOUNT.test(account)) return this.accountOf(this.stack, `${label} names`);
        return account === ''
          ? known(undefined)
          : doubt(`the account in ${label} is ${account}, known only at deploy time`);
      }
    }
  }

  /** The account a stack deploys to; `subject` says what is in it, for the doubt of an environment-agnostic stack. */
  private accountOf(stack: StackTemplate, subject: string): Known<string | undefined> {
    return stack.account !== undefined
      ? known(stack.account)
      : doubt(`${subject} the account of stack ${stack.stackId}, which is known only at deploy time`);
  }

  /** The literal at `path` inside `value`; an intrinsic on the way (a leftover `Fn::If`) makes it unknown. */
  private literalAt(value: unknown, path: readonly string[], label: string): Known<string | undefined> {
    const [key, ...rest] = path;
    if (key !== undefined) {
      return isIntrinsic(value)
        ? doubt(`${label} comes from ${describe(value)}`)
        : this.literalAt(prop(value, key), rest, label);
    }
    const resolved = this.resolver.resolve(value, this.stack);
    switch (resolved.kind) {
      case 'absent':
        return known(undefined);
      case 'literal':
        return known(String(resolved.value));
      case 'unknown':
        return doubt(`${label} comes from ${resolved.description}`);
      default:
        return doubt(`${label} is ${describe(value)}`);
    }
  }
}

function stepsOf(stage: PipelineStage): Step[] {
  return [...stage.actions, ...stage.entryRules, ...stage.failureRules, ...stage.successRules];
}

/**
 * How unknown values are read. CERTAINLY counts only what surely guards a stage, POSSIBLY all that
 * may: a stage guarded CERTAINLY is safe, one not guarded even POSSIBLY is not, the rest in doubt.
 */
interface Reading {
  approves(step: Step): boolean;
  changes(step: Step): boolean;
  ordered(first: Known<number>, second: Known<number>, holds: (a: number, b: number) => boolean): boolean;
  skippable(stage: PipelineStage): boolean;
}

const CERTAINLY: Reading = {
  approves: (step) => is(step.approves, true),
  changes: (step) => mayBe(step.changes, true),
  ordered: (first, second, holds) => first.known && second.known && holds(first.value, second.value),
  skippable: (stage) => mayBe(stage.skippable, true),
};

const POSSIBLY: Reading = {
  approves: (step) => mayBe(step.approves, true),
  changes: (step) => is(step.changes, true),
  ordered: (first, second, holds) => !first.known || !second.known || holds(first.value, second.value),
  skippable: (stage) => is(stage.skippable, true),
};

/**
 * An approval in the stage runs before (a lower RunOrder: the same one runs in parallel) its every
 * action that can change something, and no rule acts before it (entry) or when it is rejected (failure).
 */
function approvedWithin(stage: PipelineStage, reading: Reading): boolean {
  if ([...stage.entryRules, ...stage.failureRules].some(reading.changes)) return false;
  const changing = stage.actions.filter(reading.changes);
  return stage.actions.some(
    (approval) =>
      reading.approves(approval) &&
      changing.every((action) => reading.ordered(approval.runOrder, action.runOrder, (a, b) => a < b)),
  );
}

/** The stage's last actions (highest RunOrder) include an approval that can be neither skipped nor answered by a rule. */
function endsWithApproval(stage: PipelineStage | undefined, reading: Reading): boolean {
  if (!stage || reading.skippable(stage) || stage.failureRules.some(reading.changes)) return false;
  return stage.actions.some(
    (approval) =>
      reading.approves(approval) &&
      stage.actions.every((action) => reading.ordered(approval.runOrder, action.runOrder, (a, b) => a >= b)),
  );
}

function guardedIn(reading: Reading, stage: PipelineStage, previous: PipelineStage | undefined): boolean {
  return (
    !stepsOf(stage).some(reading.changes) ||
    approvedWithin(stage, reading) ||
    endsWithApproval(previous, reading)
  );
}

/** The unknown values the two readings of a stage and the one before it can differ on. */
function doubtsAbout(stage: PipelineStage, previous: PipelineStage | undefined): Array<Known<unknown>> {
  return [
    ...stepsOf(stage).flatMap((step) => [step.approves, step.changes]),
    ...stage.actions.map((action) => action.runOrder),
    ...(previous
      ? [
          ...previous.actions.flatMap((action) => [action.approves, action.runOrder]),
          ...previous.failureRules.map((rule) => rule.changes),
          previous.skippable,
        ]
      : []),
  ];
}

/** Whether an approval precedes everything in the stage that can change something. */
function guarded(stage: PipelineStage, previous: PipelineStage | undefined): Known<boolean> {
  if (guardedIn(CERTAINLY, stage, previous)) return known(true);
  if (!guardedIn(POSSIBLY, stage, previous)) return known(false);
  return firstDoubt(doubtsAbout(stage, previous)) ?? known(false);
}

interface ProductionTest {
  readonly pattern: Pattern;
  readonly accounts: ReadonlySet<string>;
}

function productionTest(params: Params): ProductionTest {
  return {
    pattern: compilePattern(params.productionStagePattern, { ignoreCase: !params.caseSensitive }),
    accounts: new Set(params.productionAccountIds),
  };
}

function nameIsProduction(name: Known<string | undefined>, pattern: Pattern): Known<boolean> {
  if (!name.known) return name;
  return known(name.value !== undefined && (pattern.test(name.value) || pattern.test(wordsOf(name.value))));
}

/** A production account that a step able to change something names; in doubt if one names an unknown account. */
function productionAccount(stage: PipelineStage, accounts: ReadonlySet<string>): Known<string | undefined> {
  if (accounts.size === 0) return known(undefined);
  const named = stepsOf(stage)
    .filter((step) => mayBe(step.changes, true))
    .flatMap((step) => step.accounts);
  const production = named.find((account) => account.known && accounts.has(account.value ?? ''));
  return production ?? firstDoubt(named) ?? known(undefined);
}

type StageOutcome =
  /** `safe`: a production stage (or one that may be) that changes nothing before an approval. */
  | { readonly kind: 'not-production' | 'safe' }
  | { readonly kind: 'unapproved'; readonly stage: PipelineStage; readonly account?: string }
  | { readonly kind: 'doubt'; readonly why: string };

function judgeStage(
  stage: PipelineStage,
  previous: PipelineStage | undefined,
  test: ProductionTest,
): StageOutcome {
  const byName = nameIsProduction(stage.name, test.pattern);
  const account = productionAccount(stage, test.accounts);
  const production = anyTrue([byName, account.known ? known(account.value !== undefined) : account]);
  if (is(production, false)) return { kind: 'not-production' };
  const guard = guarded(stage, previous);
  if (is(guard, true)) return { kind: 'safe' };
  const doubtful = firstDoubt([production, guard]);
  if (doubtful) return { kind: 'doubt', why: doubtful.why };
  return {
    kind: 'unapproved',
    stage,
    account: is(byName, true) || !account.known ? undefined : account.value,
  };
}

/** How each stage stands, from the resolved Stages (anything but a list has no stages). */
function stageOutcomes(
  rawStages: Resolved,
  test: ProductionTest,
  stack: StackTemplate,
  resolver: TemplateResolver,
): StageOutcome[] {
  const stageList = rawStages.kind === 'structure' && Array.isArray(rawStages.value) ? rawStages.value : [];
  const stages = new StageReader(stack, resolver).stages(stageList);
  return stages.map((stage, i) => judgeStage(stage, stages[i - 1], test));
}

type Unapproved = Extract<StageOutcome, { kind: 'unapproved' }>;

function unapprovedOf(outcomes: readonly StageOutcome[]): Unapproved[] {
  return outcomes.filter((outcome): outcome is Unapproved => outcome.kind === 'unapproved');
}

/** `A`, `A and B`, `A, B and C`. */
function listOf(items: readonly string[]): string {
  return items.length === 1 ? items[0] : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function quoted(names: readonly string[]): string[] {
  return names.map((name) => `'${name}'`);
}

function describeUnapproved(unapproved: readonly Unapproved[]): string {
  const stages = listOf(
    unapproved.map(({ stage, account }) =>
      account ? `${stage.mention} (acting in production account ${account})` : stage.mention,
    ),
  );
  return unapproved.length === 1
    ? `stage ${stages} deploys without a manual approval before its first action that can change anything`
    : `stages ${stages} deploy without a manual approval before their first action that can change anything`;
}

function noProductionStage(test: ProductionTest): string {
  const accounts = [...test.accounts];
  const byAccount =
    accounts.length > 0 ? ` and no stage acts in a production account (${accounts.join(', ')})` : '';
  return `has no production stage (no stage name matches /${test.pattern.source}/${byAccount})`;
}

/**
 * Four eyes before production: nothing in a production stage (named so, or acting in a production
 * account) can change anything before an AWS manual approval, either earlier in the same stage or
 * at the end of the stage before it (as CDK Pipelines' `pre: [new ManualApprovalStep(...)]` and a
 * hand-written approval stage do).
 */
export default defineRule<Params>({
  meta: {
    id: 'manual-approval-before-production',
    fix: {
      manually:
        "put a manual approval before the production stage's first action that can change anything (CDK Pipelines: pre: [new ManualApprovalStep('Approve')] on addStage)",
      aspect: 'ManualApprovalBeforeProduction',
      settings: [],
    },
    description: 'A manual approval precedes every production deployment',
    resourceTypes: ['AWS::CodePipeline::Pipeline'],
    compliantWhen: [
      "nothing in a production stage that can change anything runs before an AWS-owned manual approval (ActionTypeId Category 'Approval', Owner 'AWS', Provider 'Manual'; a custom or third-party approval is an action like any other).",
      "A stage is production when productionStagePattern (case-insensitive unless caseSensitive) is found in its Name as written or in its words joined by single spaces (split at every character but an ASCII letter or digit, where lower case turns upper, before the last capital of a run followed by lower case, and between letters and digits: 'NonProd-eu1' is 'Non Prod eu 1'); the default pattern finds the word prod, production, prd or live unless the word before it is non or pre (Prod-EU, prod_us, ProdDeploy, UATProd, PRD and Live are production; NonProd, non-prod, preprod, PreProduction and Prodigy are not; lower case run together, such as prodeu, is one word).",
      "A stage is production too when one of its actions or condition rules that can change something acts in an account of productionAccountIds: the account of its RoleArn (a role ARN's account field; a role of a template, the account of that template's stack; no RoleArn or ${AWS::AccountId}, the pipeline stack's) or of an ARN in its Configuration. So a CDK Pipelines stage that deploys there is production, and so is every stage of a pipeline that lives in a production account. An account not known at synth time (a parameter, an unresolved import, an environment-agnostic stack) leaves the stage in doubt.",
      'Every action can change something except a Source action and an AWS manual approval (Build, Test, Invoke, Deploy, Compute, custom and third-party actions all can), and so can every condition rule except an AWS CloudWatchAlarm, DeploymentWindow or VariableCheck rule.',
      'The approval precedes them when it is in the stage with a lower RunOrder (default 1) than each such action (the same RunOrder runs in parallel and does not count) and the stage has no such rule in its BeforeEntry conditions (they run first) or OnFailure conditions (they run when the approval is rejected);',
      'or when the stage just before ends with it (its RunOrder is the highest of that stage) and that stage can neither be skipped (a BeforeEntry or OnFailure Result of SKIP) nor run such a rule OnFailure. An approval two stages back does not count.',
      'A stage whose name, actions, run order, conditions or accounts are known only at deploy time is unverifiable unless an approval surely precedes it; pipelines without a production stage are not applicable',
    ].join(' '),
    remediation:
      "adds a stage 'Approve<Stage>' holding one AWS manual approval action (no notification topic, no conditions) just before each production stage that changes something without an approval, through the L2 pipeline (CDK Pipelines included; the L2 adds the action's role, which the pipeline role may assume) or, for a CfnPipeline of its own, into its typed Stages; approvals the user added are kept",
    paramsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        productionStagePattern: {
          type: 'string',
          format: 'regex',
          description:
            "Regular expression (RE2 syntax: no lookaround or backreferences) searched in the Name of each stage as written and in its words joined by single spaces ('NonProd-eu1' is 'Non Prod eu 1'). The default finds the word prod, production, prd or live unless the word before it is non or pre, without lookaround so that a linear-time (RE2) matcher runs it",
          default: DEFAULT_PRODUCTION_PATTERN,
        },
        caseSensitive: {
          type: 'boolean',
          description: 'Whether productionStagePattern is matched case-sensitively',
          default: false,
        },
        productionAccountIds: {
          type: 'array',
          items: { type: 'string', pattern: '^[0-9]{12}$' },
          uniqueItems: true,
          description:
            "AWS account ids whose stages are production whatever their name: a stage is production when an action or condition rule in it that can change something acts in one of them, by its RoleArn (without one, the pipeline stack's account) or an ARN of its Configuration; an account known only at deploy time makes the stage unverifiable",
          default: [],
        },
      },
    },
  },
  check(resource, params, resolver) {
    const rawStages = resolver.resolve(resource.properties.Stages, resource.stack);
    if (rawStages.kind === 'unknown') {
      return knownAtDeployTime('Stages', rawStages.description);
    }
    const test = productionTest(params);
    const outcomes = stageOutcomes(rawStages, test, resource.stack, resolver);

    const unapproved = unapprovedOf(outcomes);
    if (unapproved.length > 0) return nonCompliant('Stages', describeUnapproved(unapproved));
    const doubts = outcomes.flatMap((outcome) => (outcome.kind === 'doubt' ? [outcome.why] : []));
    if (doubts.length > 0) {
      return unverifiable(
        'Stages',
        `${doubts.join('; ')}, so whether a manual approval precedes the production deployment cannot be verified`,
      );
    }
    if (outcomes.every((outcome) => outcome.kind === 'not-production')) {
      return notApplicable(noProductionStage(test));
    }
    return compliant;
  },
  remediate(resource, params) {
    if (!(resource instanceof cdk.aws_codepipeline.CfnPipeline)) {
      return notApplied(
        'the pipeline is not a codepipeline.CfnPipeline, so no approval stage can be added to it',
      );
    }
    const stageNames = unapprovedStagesOf(resource, params);
    if (stageNames.length === 0) {
      return notApplied(
        'no production stage without an approval could be named in the rendered Stages (a stage name or action chosen at deploy time); add a stage holding a manual approval just before each production stage',
      );
    }
    // The L2 pipeline renders Stages from its own stage list (CDK Pipelines builds it from an Aspect): add there.
    const pipeline = resource.node.scope;
    return pipeline instanceof cdk.aws_codepipeline.Pipeline && pipeline.node.defaultChild === resource
      ? approveWithPipeline(pipeline, stageNames)
      : approveWithStages(resource, stageNames);
  },
});

const ROLE = 'AWS::IAM::Role';

/**
 * The production stages that change something without an approval, named by a literal, as the check
 * sees the pipeline rendered now, in every combination of its `Fn::If` branches (as the engine judges it).
 */
function unapprovedStagesOf(pipeline: codepipeline.CfnPipeline, params: Params): string[] {
  const cdkStack = cdk.Stack.of(pipeline);
  // Roles too, so that a step's RoleArn resolves to a resource in the pipeline's account, as in the check.
  const stack: StackTemplate = {
    ...renderStack(cdkStack, (resource) => resource === pipeline || resource.cfnResourceType === ROLE),
    account: cdk.Token.isUnresolved(cdkStack.account) ? undefined : cdkStack.account,
  };
  const rendered = stack.template.Resources?.[cdkStack.resolve(pipeline.logicalId) as string];
  const resolver = new TemplateResolver([stack]);
  const test = productionTest(params);
  const names = propertyVariants(rendered?.Properties ?? {}).flatMap(({ properties }) =>
    unapprovedOf(stageOutcomes(resolver.resolve(properties.Stages, stack), test, stack, resolver)).flatMap(
      ({ stage }) => (stage.name.known && stage.name.value !== undefined ? [stage.name.value] : []),
    ),
  );
  return [...new Set(names)];
}

const APPROVAL_ACTION = 'Approve';
/** CodePipeline stage names: letters, digits, `.@-_`, at most 100 characters. */
const MAX_STAGE_NAME = 100;

/** `Approve<Stage>`, cut to the length CodePipeline allows and numbered if the pipeline has a stage of that name. */
function approvalStageName(stageName: string, taken: readonly string[]): string {
  const base = `Approve${stageName}`;
  let name = base.slice(0, MAX_STAGE_NAME);
  for (let n = 2; taken.includes(name); n++) name = `${base.slice(0, MAX_STAGE_NAME - String(n).length)}${n}`;
  return name;
}

function describeApproval(approvalStage: string, stageName: string): string {
  return `added stage '${approvalStage}' with a manual approval action to Stages just before '${stageName}'`;
}

/**
 * Adds a stage holding a ManualApprovalAction just before each production stage, through the L2
 * pipeline: the check accepts an approval that ends the stage before. The L2 gives the action what
 * it needs to deploy: its own CodePipelineActionRole, which the pipeline role may assume (as for a
 * CDK Pipelines ManualApprovalStep); no artifacts and, without a notification topic, no SNS.
 */
function approveWithPipeline(
  pipeline: codepipeline.Pipeline,
  stageNames: readonly string[],
): RemediationResult {
  const changes = stageNames.flatMap((stageName) => {
    const stage = pipeline.stages.find((s) => s.stageName === stageName);
    if (!stage) return [];
    const approvalStage = approvalStageName(
      stageName,
      pipeline.stages.map((s) => s.stageName),
    );
    pipeline.addStage({
      stageName: approvalStage,
      placement: { rightBefore: stage },
      actions: [new cdk.aws_codepipeline_actions.ManualApprovalAction({ actionName: APPROVAL_ACTION })],
    });
    return [describeApproval(approvalStage, stageName)];
  });
  return changes.length > 0
    ? changed(...changes)
    : notApplied(`the pipeline has no stage named ${listOf(quoted(stageNames))} to add an approval before`);
}

/**
 * The same on a CfnPipeline without an L2 pipeline: a stage inserted into its typed `stages` list.
 * A manual approval needs no role, artifact or permission of the pipeline's service role. A list
 * that is a token, or a stage not found by its literal name, is left to the user.
 */
function approveWithStages(
  pipeline: codepipeline.CfnPipeline,
  stageNames: readonly string[],
): RemediationResult {
  const stack = cdk.Stack.of(pipeline);
  const stages = pipeline.stages;
  if (!Array.isArray(stages)) {
    return notApplied(
      `Stages is ${describe(stack.resolve(stages))}, computed as a whole, so no stage can be inserted; add a stage holding a manual approval just before ${listOf(quoted(stageNames))}`,
    );
  }
  const nameOf = (stage: (typeof stages)[number]) =>
    cdk.Tokenization.isResolvable(stage) ? undefined : (stack.resolve(stage.name) as unknown);
  const missing = stageNames.filter((name) => !stages.some((stage) => nameOf(stage) === name));
  if (missing.length > 0) {
    return notApplied(
      `stage ${listOf(quoted(missing))} is not a plain entry of the typed Stages list (it comes from a token or Fn::If), so no stage can be inserted before it; add a stage holding a manual approval just before it`,
    );
  }
  const updated = [...stages];
  const changes = stageNames.map((stageName) => {
    const approvalStage = approvalStageName(
      stageName,
      updated.map((stage) => String(nameOf(stage))),
    );
    const index = updated.findIndex((stage) => nameOf(stage) === stageName);
    updated.splice(index, 0, manualApprovalStage(approvalStage));
    return describeApproval(approvalStage, stageName);
  });
  pipeline.stages = updated;
  return changed(...changes);
}

function manualApprovalStage(name: string): codepipeline.CfnPipeline.StageDeclarationProperty {
  return {
    name,
    actions: [
      {
        name: APPROVAL_ACTION,
        actionTypeId: { category: APPROVAL, owner: 'AWS', provider: MANUAL, version: '1' },
        runOrder: 1,
      },
    ],
  };
}
