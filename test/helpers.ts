import { App, AspectPriority, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Catalogue } from '../src/catalogue/model';
import { evaluate, Evaluation } from '../src/engine/evaluate';
import { CfnTemplate, StackTemplate } from '../src/engine/template';
import { STRICTEST_RATING } from '../src/catalogue/rating';
import { RuleModule } from '../src/rules/rule';
import { withParamDefaults } from '../src/catalogue/params';

/** A catalogue with one control, `Test.1`, that runs `rule` with `params` (defaults filled in). */
export function singleRuleCatalogue(rule: RuleModule, params: Record<string, unknown> = {}): Catalogue {
  return {
    apiVersion: 'cdk-catalogue-checks/v1',
    metadata: { name: 'test', owner: 'test', version: '0', packName: 'Test' },
    baseline: { minimumScore: 95 },
    files: [],
    controls: [
      {
        id: 'Rule.1',
        title: rule.meta.description,
        description: '',
        rule: rule.meta.id,
        params: withParamDefaults(rule, params),
        severity: 'error',
        appliesFrom: {},
        references: { securityHub: [], config: [] },
        suppressible: true,
        remediation: { enabled: true, params: {} },
        source: { file: 'test', line: 1, column: 1 },
      },
    ],
  };
}

export function stackTemplate(template: CfnTemplate, stackId = 'Stack'): StackTemplate {
  return { stackId, template, rating: STRICTEST_RATING, ratingSource: 'props' };
}

/**
 * Runs one rule through the real engine (Fn::If expansion, cross-stack imports included) and
 * returns its evaluation for each resource it applies to, by logical id.
 */
export function evaluateRule(
  rule: RuleModule,
  templates: CfnTemplate | CfnTemplate[],
  params: Record<string, unknown> = {},
): Record<string, Evaluation> {
  const list = Array.isArray(templates) ? templates : [templates];
  const evaluations = evaluate({
    catalogue: singleRuleCatalogue(rule, params),
    stacks: list.map((t, i) => stackTemplate(t, `Stack${i}`)),
  });
  return Object.fromEntries(evaluations.map((e) => [e.logicalId, e]));
}

/** A template with one resource, `Subject`, plus any extra parameters, conditions and resources. */
export function templateWith(
  type: string,
  properties: Record<string, unknown> | undefined,
  extra: Partial<CfnTemplate> = {},
): CfnTemplate {
  return {
    ...extra,
    Resources: {
      ...(extra.Resources ?? {}),
      Subject: { Type: type, ...(properties ? { Properties: properties } : {}) },
    },
  };
}

/** Builds a stack with real CDK constructs and returns its synthesized template. */
export function synthStack(build: (stack: Stack) => void): CfnTemplate {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack');
  build(stack);
  return app.synth().getStackByName('Stack').template as CfnTemplate;
}

/**
 * Builds a stack with real CDK constructs, applies the Aspects (each a separate instance, at
 * MUTATING priority, as EnterpriseCatalogueRemediations.applyTo does) and synthesizes it.
 */
export function synthWithAspects(
  build: (stack: Stack) => void,
  ...aspects: IAspect[]
): { template: CfnTemplate; stack: Stack } {
  const app = new App({ builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } });
  build(stack);
  for (const aspect of aspects) Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
  return { template: app.synth().getStackByName('Stack').template as CfnTemplate, stack };
}

/** What the remediations recorded on a construct's resource (`cdk-catalogue:remediation` metadata). */
export function remediationRecords(construct: IConstruct): unknown[] {
  const resource = CfnResource.isCfnResource(construct) ? construct : construct.node.defaultChild;
  return (resource?.node.metadata ?? [])
    .filter((m) => m.type === 'cdk-catalogue:remediation')
    .map((m) => m.data);
}
