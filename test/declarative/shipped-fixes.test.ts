/**
 * The fixes of the shipped catalogue's declarative controls, by EnterpriseCatalogueRemediations on
 * real CDK apps: the finding becomes `remediated`, the template has the value, a second application
 * changes nothing, what the user set is kept, and aws-cdk-lib's bundled CloudFormation validator
 * (with its findings made errors) accepts the result, in a Stage and in a nested stack too. A
 * control without a fix keeps its finding.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_logs as logs,
  CfnResource,
  CloudFormationValidatePlugin,
  NestedStack,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations } from '../../src';
import { Evaluation } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import { silenceCdkReports, synthError } from '../helpers';
import { Build, Fix, SHIPPED_CONTROLS, ShippedControl, subjectOf } from './shipped-controls';

silenceCdkReports();

const NOW = '2026-06-01';
const RATING = 'C3I3A3';
const ENV = { account: '111111111111', region: 'eu-west-1' };
/** The bundled validator's findings become errors that fail the synth. */
const VALIDATED = { '@aws-cdk/core:validateAgainstDefaultRules': true };
const FIXED = SHIPPED_CONTROLS.flatMap((control) => (control.fix ? [{ control, fix: control.fix }] : []));
const FIXED_IDS = FIXED.map(({ control }) => control.id);
const UNFIXED = SHIPPED_CONTROLS.filter((control) => !control.fix);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shipped-fixes-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function templateFiles(outdir: string): string[] {
  return fs.readdirSync(outdir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(outdir, entry.name);
    if (entry.isDirectory()) return templateFiles(file);
    return entry.name.endsWith('.template.json') ? [file] : [];
  });
}

/** Every template of the assembly (Stage and nested stacks included), by file relative to `outdir`. */
function templatesOf(outdir: string): Record<string, CfnTemplate> {
  return Object.fromEntries(
    templateFiles(outdir).map((file) => [
      path.relative(outdir, file),
      JSON.parse(fs.readFileSync(file, 'utf8')),
    ]),
  );
}

/**
 * CDK's synth validates the top-level and Stage stacks only: nested stack templates are assets. The
 * errors of the same bundled validator on those.
 */
function nestedTemplateErrors(app: App, outdir: string): string[] {
  const nested = templateFiles(outdir).filter((file) => file.endsWith('.nested.template.json'));
  expect(nested).toHaveLength(1);
  const report = new CloudFormationValidatePlugin().validate({
    appConstruct: app,
    templatePaths: nested,
    stackTemplates: nested.map((file) => ({
      stackConstructPath: path.relative(outdir, file),
      templatePath: file,
      accountId: ENV.account,
      region: ENV.region,
    })),
  });
  return report.violations
    .filter((v) => v.severity === 'error' || v.severity === 'fatal')
    .map((v) => `${v.ruleName} ${v.description}`);
}

interface Fixed {
  readonly error?: Error;
  readonly evaluations: readonly Evaluation[];
  /** The controls whose fix changed the subject. */
  readonly remediatedBy: readonly string[];
  /** The construct paths of what any fix changed. */
  readonly remediatedPaths: readonly string[];
  readonly templates: Record<string, CfnTemplate>;
  /** The subject's rendered properties. */
  readonly properties: Record<string, unknown>;
}

/**
 * Builds the control's non-compliant subject with `build` in a stack of an App, applies
 * `applications` separate instances of the remediations, and synthesizes with the pack
 * (report-only) and, when `validate`, the bundled validator.
 */
function synthFixed(control: ShippedControl, build: Build, applications: number, validate: boolean): Fixed {
  const outdir = fs.mkdtempSync(path.join(dir, 'out-'));
  const app = new App({
    builtinCloudFormationValidation: validate,
    outdir,
    context: validate ? VALIDATED : {},
  });
  const stack = new Stack(app, 'Main', { env: ENV });
  const subject = subjectOf(control, build(stack));
  for (let i = 0; i < applications; i++) EnterpriseCatalogueRemediations.applyTo(app, { rating: RATING });
  const pack = new EnterpriseCatalogueChecks({ rating: RATING, reportOnly: true, now: NOW });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  const templates = templatesOf(outdir);
  return {
    error,
    evaluations: pack.evaluations.filter(
      (e) => e.controlId === control.id && e.constructPath === subject.node.path,
    ),
    remediatedBy: pack.evaluations
      .filter((e) => e.status === 'remediated' && e.constructPath === subject.node.path)
      .map((e) => e.controlId),
    remediatedPaths: pack.evaluations.filter((e) => e.status === 'remediated').map((e) => e.constructPath!),
    templates,
    properties: templates['Main.template.json'].Resources![stack.getLogicalId(subject)].Properties ?? {},
  };
}

/** The value at a property path as findings name it (`Replicas[1].DeletionProtectionEnabled`). */
function valueAt(properties: Record<string, unknown>, property: string): unknown {
  return property
    .split(/[.[\]]+/)
    .filter((name) => name !== '')
    .reduce<unknown>((value, name) => (value as Record<string, unknown> | undefined)?.[name], properties);
}

describe.each(FIXED.map(({ control, fix }) => [control.id, control, fix] as const))(
  'the fix of %s',
  (_id, control, { build, kept, fixed }: Fix) => {
    let once: Fixed;
    beforeAll(() => {
      // silenceCdkReports' spy starts before each test, after this.
      const report = jest.spyOn(console, 'error').mockImplementation(() => undefined);
      once = synthFixed(control, build, 1, true);
      report.mockRestore();
    });

    it('makes the finding remediated, and the bundled CloudFormation validator accepts the template', () => {
      expect(once.error).toBeUndefined();
      expect(once.evaluations.map((e) => e.status)).toEqual(['remediated']);
    });

    it('renders the value, and keeps what the user set elsewhere on the resource', () => {
      for (const [property, value] of Object.entries({ ...fixed, ...kept })) {
        expect({ property, value: valueAt(once.properties, property) }).toEqual({ property, value });
      }
    });

    it('changes nothing when applied twice', () => {
      expect(synthFixed(control, build, 2, false).templates).toEqual(once.templates);
    });
  },
);

/**
 * Resource types no fix changes (a function URL, an API Gateway stage): a log group beside the
 * subject shows the remediations ran.
 */
const NO_FIX_OF_TYPE = ['AWS::Lambda::Url', 'AWS::ApiGateway::Stage'];
const WITNESS = 'Main/Witness';

describe.each(UNFIXED.map((control) => [control.id, control] as const))(
  '%s, which has no fix',
  (_id, control) => {
    const [noncompliant] = control.cases.filter((c) => c.status === 'non-compliant');
    const unfixedType = NO_FIX_OF_TYPE.includes(control.resourceType);
    const build: Build = (scope) => {
      if (unfixedType) new logs.CfnLogGroup(Stack.of(scope), 'Witness', { retentionInDays: 7 });
      return noncompliant.build(scope);
    };

    it('keeps its finding under EnterpriseCatalogueRemediations, with the reason and the value it had', () => {
      const before = synthFixed(control, build, 0, false);
      const after = synthFixed(control, build, 1, false);
      expect(after.error).toBeUndefined();
      // The remediations ran on the subject (another control's fix changed it), or on the witness.
      if (unfixedType) expect(after.remediatedPaths).toContain(WITNESS);
      else expect(after.remediatedBy.length).toBeGreaterThan(0);
      expect(after.evaluations.map(({ status, reason, changes }) => ({ status, reason, changes }))).toEqual([
        { status: 'non-compliant', reason: noncompliant.reason, changes: undefined },
      ]);
      expect(after.evaluations[0].property).toBe(before.evaluations[0].property);
      const property = after.evaluations[0].property!;
      expect(valueAt(after.properties, property)).toEqual(valueAt(before.properties, property));
    });
  },
);

it('synthesizes with a validator that is live: an unknown property fails the synth', () => {
  const app = new App({ outdir: fs.mkdtempSync(path.join(dir, 'out-')), context: VALIDATED });
  new CfnResource(new Stack(app, 'Main'), 'Log', {
    type: 'AWS::Logs::LogGroup',
    properties: { Retention: 365 },
  });
  expect(synthError(app)?.message).toMatch(
    /Additional properties are not allowed \('Retention' was unexpected\)/,
  );
});

describe('the fixes in an app of real shape: a Stage, its stack and a nested stack', () => {
  /** Half the controls' subjects in the Stage's stack, the other half in its nested stack. */
  function build(): { app: App; outdir: string; pack: EnterpriseCatalogueChecks } {
    const outdir = fs.mkdtempSync(path.join(dir, 'out-'));
    const app = new App({ outdir, context: VALIDATED });
    const stage = new Stage(app, 'Prod', { env: ENV });
    EnterpriseCatalogueRemediations.applyTo(stage, { rating: RATING });
    const stack = new Stack(stage, 'Data');
    const nested = new NestedStack(stack, 'Storage');
    FIXED.forEach(({ control, fix }, i) => {
      const scope = i % 2 === 0 ? stack : nested;
      fix.build(new Construct(scope, control.id.replace('.', '')));
    });
    const pack = new EnterpriseCatalogueChecks({ rating: RATING, reportOnly: true, now: NOW });
    Aspects.of(app).add(pack);
    return { app, outdir, pack };
  }

  it('remediates every shipped declarative control, leaves none of their findings, and validates', () => {
    const { app, outdir, pack } = build();
    expect(synthError(app)).toBeUndefined();
    expect(nestedTemplateErrors(app, outdir)).toEqual([]);
    const ours = pack.evaluations.filter((e) => FIXED_IDS.includes(e.controlId));
    expect(new Set(ours.filter((e) => e.status === 'remediated').map((e) => e.controlId))).toEqual(
      new Set(FIXED_IDS),
    );
    expect(ours.filter((e) => !['remediated', 'compliant'].includes(e.status))).toEqual([]);
  });
});
