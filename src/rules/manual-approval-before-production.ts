import {
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as codepipeline_actions,
  Stack,
  Tokenization,
} from 'aws-cdk-lib';
import { isIntrinsic, prop, propertyVariants } from '../engine/intrinsics';
import { describe, Resolved, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationResult } from '../remediations/context';
import { renderStack } from '../remediations/rendered';
import { compliant, defineRule, nonCompliant, notApplicable, unverifiable } from './rule';
import { knownAtDeployTime } from './values';

interface Params {
  readonly productionStagePattern: string;
  readonly caseSensitive: boolean;
}

/** A value known at synth time, or a fragment saying why it is not. */
type Known<T> = { readonly known: true; readonly value: T } | { readonly known: false; readonly why: string };

function known<T>(value: T): Known<T> {
  return { known: true, value };
}

function is<T>(value: Known<T>, expected: T): boolean {
  return value.known && value.value === expected;
}

function mayBe<T>(value: Known<T>, expected: T): boolean {
  return !value.known || value.value === expected;
}

interface PipelineAction {
  readonly category: Known<string | undefined>;
  readonly provider: Known<string | undefined>;
  readonly runOrder: Known<number>;
}

interface PipelineStage {
  readonly name: Known<string | undefined>;
  readonly actions: readonly PipelineAction[];
}

type StageOutcome =
  /** `safe`: a production stage (or one that may be) that cannot deploy before an approval. */
  | { readonly kind: 'not-production' | 'safe' }
  | { readonly kind: 'unapproved'; readonly name: string }
  | { readonly kind: 'doubt'; readonly why: string };

const DEPLOY = 'Deploy';
const APPROVAL = 'Approval';
const MANUAL = 'Manual';

/** Reads template values as `Known`, following references the way every rule does. */
class StageReader {
  constructor(
    private readonly stack: StackTemplate,
    private readonly resolver: TemplateResolver,
  ) {}

  stages(rawStages: readonly unknown[]): PipelineStage[] {
    return rawStages.map((raw, index) => {
      const name = this.literalAt(raw, ['Name'], `the name of stage ${index + 1}`);
      const label = name.known && name.value !== undefined ? `stage '${name.value}'` : `stage ${index + 1}`;
      // An intrinsic in place of the stage or its action list stands for actions unknown until deploy.
      const container = isIntrinsic(raw) ? raw : prop(raw, 'Actions');
      const rawActions = Array.isArray(container) ? container : isIntrinsic(container) ? [container] : [];
      return { name, actions: rawActions.map((action, i) => this.action(action, i, label)) };
    });
  }

  private action(raw: unknown, index: number, stageLabel: string): PipelineAction {
    const name = this.literalAt(raw, ['Name'], 'name');
    const label = `action ${name.known && name.value !== undefined ? `'${name.value}'` : index + 1} in ${stageLabel}`;
    return {
      category: this.literalAt(raw, ['ActionTypeId', 'Category'], `the Category of ${label}`),
      provider: this.literalAt(raw, ['ActionTypeId', 'Provider'], `the Provider of ${label}`),
      runOrder: this.runOrder(raw, label),
    };
  }

  /** RunOrder defaults to 1; CloudFormation also accepts it as a string such as "2". */
  private runOrder(raw: unknown, label: string): Known<number> {
    const runOrder = this.literalAt(raw, ['RunOrder'], `the RunOrder of ${label}`);
    if (!runOrder.known) return runOrder;
    if (runOrder.value === undefined) return known(1);
    return /^[1-9]\d*$/.test(runOrder.value)
      ? known(Number(runOrder.value))
      : { known: false, why: `the RunOrder of ${label} is '${runOrder.value}', not a positive whole number` };
  }

  /** The literal at `path` inside `value`; an intrinsic on the way (a leftover `Fn::If`) makes it unknown. */
  private literalAt(value: unknown, path: readonly string[], label: string): Known<string | undefined> {
    const [key, ...rest] = path;
    if (key !== undefined) {
      return isIntrinsic(value)
        ? { known: false, why: `${label} comes from ${describe(value)}` }
        : this.literalAt(prop(value, key), rest, label);
    }
    const resolved = this.resolver.resolve(value, this.stack);
    switch (resolved.kind) {
      case 'absent':
        return known(undefined);
      case 'literal':
        return known(String(resolved.value));
      case 'unknown':
        return { known: false, why: `${label} comes from ${resolved.description}` };
      default:
        return { known: false, why: `${label} is ${describe(value)}` };
    }
  }
}

function knownNumbers(values: readonly Known<number>[]): number[] | undefined {
  const numbers = values.flatMap((value) => (value.known ? [value.value] : []));
  return numbers.length === values.length ? numbers : undefined;
}

function isManualApproval(action: PipelineAction): boolean {
  return is(action.category, APPROVAL) && is(action.provider, MANUAL);
}

function mayBeManualApproval(action: PipelineAction): boolean {
  return mayBe(action.category, APPROVAL) && mayBe(action.provider, MANUAL);
}

function mayDeploy(action: PipelineAction): boolean {
  return mayBe(action.category, DEPLOY);
}

/** A manual approval in the stage runs before every action that deploys (or may deploy). */
function approvedWithinStage(stage: PipelineStage): boolean {
  const deployOrders = knownNumbers(stage.actions.filter(mayDeploy).map((action) => action.runOrder));
  if (!deployOrders) return false;
  const firstDeploy = Math.min(...deployOrders);
  return stage.actions.some(
    (action) => isManualApproval(action) && action.runOrder.known && action.runOrder.value < firstDeploy,
  );
}

/** The stage's last actions (highest RunOrder) include a manual approval. */
function endsWithApproval(stage: PipelineStage | undefined): boolean {
  const orders = stage && knownNumbers(stage.actions.map((action) => action.runOrder));
  if (!stage || !orders) return false;
  const last = Math.max(...orders);
  return stage.actions.some((action) => isManualApproval(action) && is(action.runOrder, last));
}

/** Why the actions' kinds or order cannot be decided: unknown categories, approval providers, run orders. */
function doubtsIn(actions: readonly PipelineAction[]): string[] {
  return actions.flatMap((action) =>
    [
      action.category,
      mayBe(action.category, APPROVAL) ? action.provider : known(''),
      action.runOrder,
    ].flatMap((value) => (value.known ? [] : [value.why])),
  );
}

function judgeStage(
  stage: PipelineStage,
  previous: PipelineStage | undefined,
  production: RegExp,
): StageOutcome {
  const approved = !stage.actions.some(mayDeploy) || approvedWithinStage(stage) || endsWithApproval(previous);
  // A stage named at deploy time may be production: fine if it cannot deploy unapproved, in doubt otherwise.
  if (!stage.name.known) return approved ? { kind: 'safe' } : { kind: 'doubt', why: stage.name.why };
  const name = stage.name.value;
  if (name === undefined || !production.test(name)) return { kind: 'not-production' };
  if (approved) return { kind: 'safe' };
  const nearby = [...stage.actions, ...(previous?.actions ?? [])];
  // With no possible approval near the stage, only whether it really deploys is in doubt.
  const doubts = nearby.some(mayBeManualApproval)
    ? doubtsIn(nearby)
    : stage.actions.flatMap((action) => (action.category.known ? [] : [action.category.why]));
  return doubts.length > 0 ? { kind: 'doubt', why: doubts[0] } : { kind: 'unapproved', name };
}

function productionPattern(params: Params): RegExp {
  return new RegExp(params.productionStagePattern, params.caseSensitive ? '' : 'i');
}

/** How each stage stands, from the resolved Stages (anything but a list has no stages). */
function stageOutcomes(
  rawStages: Resolved,
  production: RegExp,
  stack: StackTemplate,
  resolver: TemplateResolver,
): StageOutcome[] {
  const stageList = rawStages.kind === 'structure' && Array.isArray(rawStages.value) ? rawStages.value : [];
  const stages = new StageReader(stack, resolver).stages(stageList);
  return stages.map((stage, i) => judgeStage(stage, stages[i - 1], production));
}

function unapprovedNames(outcomes: readonly StageOutcome[]): string[] {
  return outcomes.flatMap((outcome) => (outcome.kind === 'unapproved' ? [outcome.name] : []));
}

/** `'A'`, `'A' and 'B'`, `'A', 'B' and 'C'`. */
function listNames(names: readonly string[]): string {
  const quoted = names.map((name) => `'${name}'`);
  return quoted.length === 1
    ? quoted[0]
    : `${quoted.slice(0, -1).join(', ')} and ${quoted[quoted.length - 1]}`;
}

/**
 * Four eyes before production: every production stage that deploys waits for a manual approval,
 * either earlier in the same stage or at the end of the stage before it (as CDK Pipelines'
 * `pre: [new ManualApprovalStep(...)]` and a hand-written approval stage do).
 */
export default defineRule<Params>({
  meta: {
    id: 'manual-approval-before-production',
    description: 'A manual approval precedes every production deployment',
    resourceTypes: ['AWS::CodePipeline::Pipeline'],
    compliantWhen:
      "every stage whose Name matches productionStagePattern and holds a deploy action (ActionTypeId Category 'Deploy') has a manual approval (Category 'Approval', Provider 'Manual') with a lower RunOrder (default 1) than its first deploy action, or the stage just before it ends with one (its RunOrder is the highest of that stage); pipelines without a production stage are not applicable",
    remediation:
      "adds a stage 'Approve<Stage>' holding one manual approval action (no notification topic) just before each production stage that deploys without an approval, through the L2 pipeline (CDK Pipelines included; the L2 adds the action's role, which the pipeline role may assume) or, for a CfnPipeline of its own, into its typed Stages; approvals the user added are kept",
    paramsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        productionStagePattern: {
          type: 'string',
          format: 'regex',
          description: 'Regular expression found anywhere in the name of a production stage',
          default: 'prod',
        },
        caseSensitive: {
          type: 'boolean',
          description: 'Whether productionStagePattern is matched case-sensitively',
          default: false,
        },
      },
    },
  },
  check(resource, params, resolver) {
    const rawStages = resolver.resolve(resource.properties.Stages, resource.stack);
    if (rawStages.kind === 'unknown') {
      return knownAtDeployTime('Stages', rawStages.description);
    }
    const production = productionPattern(params);
    const outcomes = stageOutcomes(rawStages, production, resource.stack, resolver);

    const unapproved = unapprovedNames(outcomes);
    if (unapproved.length > 0) {
      return nonCompliant(
        'Stages',
        unapproved.length === 1
          ? `stage ${listNames(unapproved)} deploys without a manual approval before its first deploy action`
          : `stages ${listNames(unapproved)} deploy without a manual approval before their first deploy action`,
      );
    }
    const doubts = outcomes.flatMap((outcome) => (outcome.kind === 'doubt' ? [outcome.why] : []));
    if (doubts.length > 0) {
      return unverifiable(
        'Stages',
        `${doubts.join('; ')}, so whether a manual approval precedes the production deployment cannot be verified`,
      );
    }
    if (outcomes.every((outcome) => outcome.kind === 'not-production')) {
      return notApplicable(`has no production stage (no stage name matches ${production})`);
    }
    return compliant;
  },
  remediate(resource, params) {
    if (!(resource instanceof codepipeline.CfnPipeline)) {
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
    return pipeline instanceof codepipeline.Pipeline && pipeline.node.defaultChild === resource
      ? approveWithPipeline(pipeline, stageNames)
      : approveWithStages(resource, stageNames);
  },
});

/**
 * The production stages that deploy without an approval, as the check sees the pipeline rendered
 * now, in every combination of its `Fn::If` branches (as the engine judges it).
 */
function unapprovedStagesOf(pipeline: codepipeline.CfnPipeline, params: Params): string[] {
  const stack = renderStack(Stack.of(pipeline), (resource) => resource === pipeline);
  const [rendered] = Object.values(stack.template.Resources ?? {});
  const resolver = new TemplateResolver([stack]);
  const production = productionPattern(params);
  const names = propertyVariants(rendered?.Properties ?? {}).flatMap(({ properties }) =>
    unapprovedNames(stageOutcomes(resolver.resolve(properties.Stages, stack), production, stack, resolver)),
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
      actions: [new codepipeline_actions.ManualApprovalAction({ actionName: APPROVAL_ACTION })],
    });
    return [describeApproval(approvalStage, stageName)];
  });
  return changes.length > 0
    ? changed(...changes)
    : notApplied(`the pipeline has no stage named ${listNames(stageNames)} to add an approval before`);
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
  const stack = Stack.of(pipeline);
  const stages = pipeline.stages;
  if (!Array.isArray(stages)) {
    return notApplied(
      `Stages is ${describe(stack.resolve(stages))}, computed as a whole, so no stage can be inserted; add a stage holding a manual approval just before ${listNames(stageNames)}`,
    );
  }
  const nameOf = (stage: (typeof stages)[number]) =>
    Tokenization.isResolvable(stage) ? undefined : (stack.resolve(stage.name) as unknown);
  const missing = stageNames.filter((name) => !stages.some((stage) => nameOf(stage) === name));
  if (missing.length > 0) {
    return notApplied(
      `stage ${listNames(missing)} is not a plain entry of the typed Stages list (it comes from a token or Fn::If), so no stage can be inserted before it; add a stage holding a manual approval just before it`,
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
