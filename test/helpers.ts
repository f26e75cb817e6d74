import * as fs from 'fs';
import * as path from 'path';
import { App, AspectPriority, Aspects, CfnResource, IAspect, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Catalogue } from '../src/catalogue/model';
import { evaluate, Evaluation } from '../src/engine/evaluate';
import { CfnResourceJson, CfnTemplate, StackTemplate } from '../src/engine/template';
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

/** The template's resources by logical id without the hash CDK appends (`BuildVpcPolicy`). */
export function resources(template: CfnTemplate): Record<string, CfnResourceJson> {
  return Object.fromEntries(
    Object.entries(template.Resources ?? {}).map(([id, r]) => [id.replace(/[0-9A-F]{8}$/, ''), r]),
  );
}

/** The full logical id of the resource whose id without hash is `prefix`. */
export function logicalIdOf(template: CfnTemplate, prefix: string): string {
  return Object.keys(template.Resources ?? {}).find((id) => id.replace(/[0-9A-F]{8}$/, '') === prefix)!;
}

/** The statements of an IAM policy resource's PolicyDocument. */
export function statementsOf(policy: CfnResourceJson): unknown[] {
  return (policy.Properties?.PolicyDocument as { Statement: unknown[] }).Statement;
}

/** An Aspect made when it first visits, for one that needs a construct of the stack the test builds (an ec2.Vpc). */
export function madeOnFirstVisit(make: () => IAspect): IAspect {
  let aspect: IAspect | undefined;
  return { visit: (node) => (aspect ??= make()).visit(node) };
}

/** As synthWithAspects, for an environment-agnostic stack (no account or region). */
export function synthEnvAgnostic(build: (stack: Stack) => void, ...aspects: IAspect[]): CfnTemplate {
  const app = new App({ builtinCloudFormationValidation: false });
  build(new Stack(app, 'Stack'));
  for (const aspect of aspects) Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
  return app.synth().getStackByName('Stack').template as CfnTemplate;
}

/**
 * CDK prints its validation report (warnings, report-only findings) to stderr; tests read the
 * pack's evaluations and validation-report.json instead. Call once at the top of a test file.
 */
export function silenceCdkReports(): void {
  beforeEach(() => jest.spyOn(console, 'error').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());
}

/** Synthesizes the app and returns the error synthesis threw (a failed validation), if any. */
export function synthError(app: App): Error | undefined {
  try {
    app.synth();
    return undefined;
  } catch (e) {
    return e as Error;
  }
}

/** A control of a test catalogue written in `dir`: key-rotation with the given id, severity and extra keys. */
export interface KeyRotationControl {
  readonly id: string;
  readonly severity?: 'error' | 'warning';
  /** More YAML flow-mapping entries, e.g. `suppressible: false`. */
  readonly extra?: string;
}

/** Writes a catalogue of key-rotation controls (pack name `Corp`), as the CISO office would, and returns its path. */
/** `sections`: more top-level YAML (a `waivers:` or `rating:` section). */
export function writeKeyRotationCatalogue(
  dir: string,
  controls: readonly KeyRotationControl[],
  sections = '',
): string {
  const file = path.join(dir, `catalogue-${Math.random().toString(36).slice(2)}.yaml`);
  const entries = controls.map(
    (c) =>
      `  - { id: ${c.id}, title: Keys rotate, rule: key-rotation, severity: ${c.severity ?? 'error'}${c.extra ? `, ${c.extra}` : ''} }`,
  );
  fs.writeFileSync(
    file,
    `apiVersion: cdk-catalogue-checks/v1
metadata: { name: Test, owner: Test, version: '1', packName: Corp }
baseline: { minimumScore: 95 }
${sections}
controls:
${entries.join('\n')}
`,
  );
  return file;
}

/**
 * An acknowledgement text that keeps the default waiver policy today by the real clock (for tests of
 * something else): the reason, a ticket, and an expiry 90 days from now.
 */
export function governed(reason: string): string {
  const expires = new Date(Date.now() + 90 * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  return `${reason}, accepted by the security team [ticket: SEC-1] [expires: ${expires}]`;
}
