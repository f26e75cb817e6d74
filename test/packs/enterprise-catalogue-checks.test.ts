import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { App, Aspects, aws_kms as kms, Stack, Stage, Validations } from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueChecksProps } from '../../src';
import { KeyRotationControl, silenceCdkReports, synthError, writeKeyRotationCatalogue } from '../helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pack-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
silenceCdkReports();

/** A catalogue of key-rotation controls, one per entry, written as the CISO office would. */
function catalogueFile(controls: KeyRotationControl[], sections = ''): string {
  return writeKeyRotationCatalogue(dir, controls, sections);
}

interface Built {
  app: App;
  stack: Stack;
  key: kms.Key;
}

function appWithKey(context: Record<string, unknown> = {}): Built {
  const app = new App({
    builtinCloudFormationValidation: false,
    context,
    outdir: fs.mkdtempSync(path.join(dir, 'out-')),
  });
  const stack = new Stack(app, 'Workload');
  const key = new kms.Key(stack, 'Key');
  return { app, stack, key };
}

function synthWith(
  built: Built,
  props: EnterpriseCatalogueChecksProps,
  register: 'aspect' | 'plugin' = 'aspect',
) {
  const pack =
    register === 'aspect'
      ? new EnterpriseCatalogueChecks(props)
      : new EnterpriseCatalogueChecks(built.app, props);
  if (register === 'aspect') Aspects.of(built.app).add(pack);
  else Validations.of(built.app).addPlugins(pack);
  const error = synthError(built.app);
  const reportFile = path.join(built.app.outdir, 'validation-report.json');
  const report = fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined;
  return { pack, error, report };
}

const ONE_CONTROL = () => catalogueFile([{ id: 'KMS.1' }]);

/** The day the tests' waivers are judged on, and a waiver that keeps the default policy on it. */
const NOW = '2026-06-01';
const VALID_WAIVER = 'Imported key material, rotated by the HSM team [ticket: SEC-123] [expires: 2026-12-31]';

describe('EnterpriseCatalogueChecks', () => {
  it.each(['aspect', 'plugin'] as const)(
    'fails synthesis on an error finding when registered as %s',
    (register) => {
      const { error, pack } = synthWith(
        appWithKey(),
        { catalogue: ONE_CONTROL(), rating: 'C1I1A1' },
        register,
      );
      expect(error?.message).toMatch(/\[Corp-KMS\.1\] Keys rotate: EnableKeyRotation is not set/);
      expect(error?.message).toMatch(/Workload\/Key\/Resource/);
      expect(error?.message).toMatch(/Acknowledge with 'Corp::Corp-KMS\.1'/);
      expect(pack.evaluations.map((e) => e.status)).toEqual(['non-compliant']);
    },
  );

  it('runs once when the same pack is registered both ways', () => {
    const built = appWithKey();
    const pack = new EnterpriseCatalogueChecks(built.app, { catalogue: ONE_CONTROL(), reportOnly: true });
    Validations.of(built.app).addPlugins(pack);
    Aspects.of(built.app).add(pack);
    built.app.synth();
    const report = JSON.parse(fs.readFileSync(path.join(built.app.outdir, 'validation-report.json'), 'utf8'));
    expect(
      report.pluginReports.map((r: { pluginName: string; violations: Array<{ severity: string }> }) => [
        r.pluginName,
        r.violations.map((v) => v.severity),
      ]),
    ).toEqual([['Corp', ['warning', 'info']]]);
  });

  it('registers once although the Aspect visits every construct', () => {
    const { report } = synthWith(appWithKey(), { catalogue: ONE_CONTROL(), reportOnly: true });
    expect(report.pluginReports.filter((r: { pluginName: string }) => r.pluginName === 'Corp')).toHaveLength(
      1,
    );
  });

  it('passes when the resource complies, and records the compliant evaluation', () => {
    const built = appWithKey();
    (built.key.node.defaultChild as kms.CfnKey).enableKeyRotation = true;
    const { error, pack } = synthWith(built, { catalogue: ONE_CONTROL() });
    expect(error).toBeUndefined();
    expect(pack.evaluations).toEqual([
      expect.objectContaining({ findingId: 'Corp-KMS.1', status: 'compliant' }),
    ]);
  });

  it('does not fail synthesis on warnings, but reports them', () => {
    const { error, report } = synthWith(appWithKey(), {
      catalogue: catalogueFile([{ id: 'KMS.1', severity: 'warning' }]),
      rating: 'C1I1A1',
    });
    expect(error).toBeUndefined();
    expect(report.pluginReports[0]).toMatchObject({
      conclusion: 'success',
      violations: [{ severity: 'warning' }, { severity: 'info', ruleName: 'Corp-Summary' }],
    });
  });

  it('ends with one summary: findings per control and how many the remediations can fix', () => {
    const { report } = synthWith(appWithKey(), {
      catalogue: ONE_CONTROL(),
      reportOnly: true,
      rating: 'C1I1A1',
    });
    const summaries = report.pluginReports[0].violations.filter(
      (v: { severity: string }) => v.severity === 'info',
    );
    expect(summaries).toHaveLength(1);
    expect(summaries[0].description).toBe(
      '[Corp] 1 finding in 1 evaluations.\n' +
        'Score: 0% of controls pass (strict, waivers counted as failures: 0%); baseline 95%: not met.\n' +
        'KMS.1 Keys rotate: 1 (1 fixable by EnterpriseCatalogueRemediations)',
    );
  });

  it('still reports its findings, and says why, when the report cannot be written', () => {
    const built = appWithKey();
    fs.mkdirSync(path.join(built.app.outdir, 'catalogue-report.json'));
    const { error } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1' });
    expect(error?.message).toMatch(/\[Corp-KMS\.1\] Keys rotate/);
    expect(error?.message).toMatch(/The catalogue report could not be written to .*EISDIR/);
  });

  it('writes every evaluation to catalogue-report.json in the cloud assembly, valid against its schema', () => {
    const built = appWithKey();
    new kms.Key(built.stack, 'Rotating', { enableKeyRotation: true });
    const { pack } = synthWith(built, { catalogue: ONE_CONTROL(), reportOnly: true, rating: 'C1I1A1' });
    const report = JSON.parse(fs.readFileSync(path.join(built.app.outdir, 'catalogue-report.json'), 'utf8'));
    expect(report.evaluations.map((e: { status: string }) => e.status).sort()).toEqual([
      'compliant',
      'non-compliant',
    ]);
    expect(report.evaluations).toHaveLength(pack.evaluations.length);
    expect(report.stacks).toEqual([
      expect.objectContaining({
        stackId: 'Workload',
        rating: 'C1I1A1',
        ratingSource: 'props',
        templateFile: 'Workload.template.json',
      }),
    ]);
    const finding = report.evaluations.find((e: { status: string }) => e.status === 'non-compliant');
    expect(finding.template).toEqual({ file: 'Workload.template.json', line: expect.any(Number) });
    expect(finding.source).toEqual({
      file: expect.stringMatching(/enterprise-catalogue-checks\.test\.ts$/),
      line: expect.any(Number),
    });
    const schema = JSON.parse(
      fs.readFileSync(path.join(__dirname, '..', '..', 'schema', 'catalogue-report.schema.json'), 'utf8'),
    );
    const validate = new Ajv({ allErrors: true }).compile(schema);
    expect(validate(report) ? [] : validate.errors).toEqual([]);
  });

  it('in report-only mode reports errors in full and never fails', () => {
    const { error, report, pack } = synthWith(appWithKey(), { catalogue: ONE_CONTROL(), reportOnly: true });
    expect(error).toBeUndefined();
    expect(report.pluginReports[0].violations[0].description).toMatch(/EnableKeyRotation is not set/);
    expect(pack.evaluations[0]).toMatchObject({ status: 'non-compliant', severity: 'error' });
  });

  describe('CIA applicability', () => {
    const catalogue = (sections = '') =>
      catalogueFile(
        [
          { id: 'Always.1' },
          { id: 'Conf.2', extra: 'appliesFrom: { confidentiality: 2 }' },
          { id: 'IntOrAvail.3', extra: 'appliesFrom: { integrity: 3, availability: 3 }' },
        ],
        sections,
      );
    it.each([
      ['C1I1A1', ['Always.1']],
      ['C2I1A1', ['Always.1', 'Conf.2']],
      ['C1I1A3', ['Always.1', 'IntOrAvail.3']],
      ['C3I3A1', ['Always.1', 'Conf.2', 'IntOrAvail.3']],
    ])('at %s applies %j', (rating, expected) => {
      const { pack } = synthWith(appWithKey(), { catalogue: catalogue(), rating, reportOnly: true });
      expect(pack.evaluations.map((e) => e.controlId)).toEqual(expected);
    });

    it('takes the rating from context per Stage, so stages can differ where the catalogue allows it', () => {
      const app = new App({
        builtinCloudFormationValidation: false,
        outdir: fs.mkdtempSync(path.join(dir, 'out-')),
      });
      for (const [name, rating] of [
        ['Dev', 'C1I1A1'],
        ['Prod', { confidentiality: 3, integrity: 3, availability: 3 }],
      ] as const) {
        const stage = new Stage(app, name);
        stage.node.setContext('cdk-catalogue:rating', rating);
        new kms.Key(new Stack(stage, 'Workload'), 'Key');
      }
      const { pack } = synthWith({ app } as Built, {
        catalogue: catalogue('rating: { perStackRatings: true }'),
        reportOnly: true,
      });
      expect(pack.evaluations.map((e) => [e.stackId, e.controlId, e.ratingSource])).toEqual([
        ['Dev/Workload', 'Always.1', 'context'],
        ['Prod/Workload', 'Always.1', 'context'],
        ['Prod/Workload', 'Conf.2', 'context'],
        ['Prod/Workload', 'IntOrAvail.3', 'context'],
      ]);
    });

    it('assumes the strictest rating when none is set, and says so', () => {
      const { pack, error } = synthWith(appWithKey(), { catalogue: catalogue() });
      expect(pack.evaluations.map((e) => e.controlId)).toEqual(['Always.1', 'Conf.2', 'IntOrAvail.3']);
      // Said once, in the summary, not in every finding.
      expect(error?.message.match(/No workload rating was set/g)).toHaveLength(1);
      expect(error?.message).toMatch(
        /No workload rating was set for stack Workload, so the strictest \(C3I3A3\) was assumed/,
      );
    });

    it.each([
      ['props', { rating: 'C4I1A1' }, {}, /EnterpriseCatalogueChecks rating 'C4I1A1' is not a CIA rating/],
      ['props', { rating: { confidentiality: 2 } }, {}, /rating.integrity must be 1, 2 or 3/],
      [
        'context',
        {},
        { 'cdk-catalogue:rating': 'high' },
        /context 'cdk-catalogue:rating' of Workload 'high' is not a CIA rating/,
      ],
    ])('rejects an invalid rating from %s with a clear error', (_from, props, context, message) => {
      const attempt = () =>
        synthWith(appWithKey(context), {
          catalogue: catalogue(),
          ...props,
        } as EnterpriseCatalogueChecksProps);
      if (_from === 'props') expect(attempt).toThrow(message);
      else expect(attempt().error?.message).toMatch(message);
    });
  });

  describe('acknowledgements', () => {
    it.each([
      ['CDK qualified form', 'Corp::Corp-KMS.1'],
      ['bare form', 'Corp-KMS.1'],
    ])('waive a finding in the %s', (_name, id) => {
      const built = appWithKey();
      Validations.of(built.key).acknowledge({ id, reason: VALID_WAIVER });
      const { error, pack } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1', now: NOW });
      expect(error).toBeUndefined();
      expect(pack.evaluations[0]).toMatchObject({
        status: 'waived',
        waiver: {
          reason: 'Imported key material, rotated by the HSM team',
          ticket: 'SEC-123',
          expires: '2026-12-31',
          acknowledgedAt: 'Workload/Key',
        },
      });
    });

    it('in the qualified form, appear in CDK validation-report.json as suppressed violations', () => {
      const built = appWithKey();
      Validations.of(built.stack).acknowledge({ id: 'Corp::Corp-KMS.1', reason: VALID_WAIVER });
      const { report } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1', now: NOW });
      const corp = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Corp');
      expect(corp.violations).toEqual([]);
      expect(corp.suppressedViolations).toEqual([
        expect.objectContaining({ ruleName: 'Corp-KMS.1', reason: VALID_WAIVER, acknowledgedAt: 'Workload' }),
      ]);
    });

    it('cannot waive a non-suppressible control: the finding stays, says why, and still fails synth', () => {
      const built = appWithKey();
      Validations.of(built.key).acknowledge({ id: 'Corp::Corp-KMS.1', reason: 'please' });
      const { error, pack } = synthWith(built, {
        catalogue: catalogueFile([{ id: 'KMS.1', extra: 'suppressible: false' }]),
        rating: 'C1I1A1',
      });
      expect(pack.evaluations[0]).toMatchObject({
        status: 'non-compliant',
        refusedWaiver: { reason: 'please' },
      });
      expect(error?.message).toMatch(/FATAL/);
      expect(error?.message).toMatch(
        /The waiver 'Corp::Corp-KMS\.1' at Workload\/Key is refused: the control cannot be waived\./,
      );
    });

    it('do not waive other controls', () => {
      const built = appWithKey();
      Validations.of(built.key).acknowledge({ id: 'Corp::Corp-KMS.2', reason: 'other control' });
      const { error } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1' });
      expect(error?.message).toMatch(/Corp-KMS\.1/);
    });
  });

  it('judges the rendered template, so escape-hatch overrides count', () => {
    const built = appWithKey();
    (built.key.node.defaultChild as kms.CfnKey).addPropertyOverride('EnableKeyRotation', true);
    expect(synthWith(built, { catalogue: ONE_CONTROL() }).error).toBeUndefined();
  });

  describe("reports to CDK as cdk-nag's packs do: one violation per rule and message", () => {
    interface ReportedViolation {
      ruleName: string;
      description: string;
      severity: string;
      violatingConstructs: { constructPath: string }[];
    }
    const corpViolations = (report: {
      pluginReports: {
        pluginName: string;
        violations: ReportedViolation[];
        suppressedViolations?: ReportedViolation[];
      }[];
    }) => report.pluginReports.find((r) => r.pluginName === 'Corp')!;
    const constructsOf = (violations: ReportedViolation[], ruleName: string) =>
      violations
        .filter((v) => v.ruleName === ruleName)
        .map((v) => v.violatingConstructs.map((c) => c.constructPath));

    it('lists every key that breaks the control under one violation', () => {
      const built = appWithKey();
      new kms.Key(built.stack, 'Second');
      new kms.Key(built.stack, 'Third', { enableKeyRotation: true });
      const { report } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1', reportOnly: true });
      expect(constructsOf(corpViolations(report).violations, 'Corp-KMS.1')).toEqual([
        ['Workload/Key/Resource', 'Workload/Second/Resource'],
      ]);
    });

    it('keeps findings worded differently apart, each with its own message', () => {
      const built = appWithKey();
      new kms.Key(built.stack, 'Disabled', { enableKeyRotation: false });
      const { report, pack } = synthWith(built, {
        catalogue: ONE_CONTROL(),
        rating: 'C1I1A1',
        reportOnly: true,
      });
      const violations = corpViolations(report).violations.filter((v) => v.ruleName === 'Corp-KMS.1');
      expect(new Set(pack.evaluations.map((e) => e.reason)).size).toBe(2);
      expect(violations).toHaveLength(2);
      expect(violations.map((v) => v.violatingConstructs.length)).toEqual([1, 1]);
      expect(new Set(violations.map((v) => v.description)).size).toBe(2);
    });

    it('still lets CDK acknowledge one construct of a shared violation and fail on the other', () => {
      const built = appWithKey();
      const second = new kms.Key(built.stack, 'Second');
      Validations.of(second).acknowledge({ id: 'Corp::Corp-KMS.1', reason: VALID_WAIVER });
      const { report, error } = synthWith(built, { catalogue: ONE_CONTROL(), rating: 'C1I1A1', now: NOW });
      expect(error?.message).toMatch(/Workload\/Key\/Resource/);
      const corp = corpViolations(report);
      expect(constructsOf(corp.violations, 'Corp-KMS.1')).toEqual([['Workload/Key/Resource']]);
      expect(constructsOf(corp.suppressedViolations ?? [], 'Corp-KMS.1')).toEqual([
        ['Workload/Second/Resource'],
      ]);
    });
  });

  it("supports cdk-nag's validateScope for direct use", () => {
    const built = appWithKey();
    const pack = new EnterpriseCatalogueChecks({ catalogue: ONE_CONTROL(), rating: 'C1I1A1' });
    const report = pack.validateScope(built.app);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => [v.ruleName, v.violatingResources[0].constructPath])).toEqual([
      ['Corp-KMS.1', 'Workload/Key/Resource'],
      ['Corp-Summary', ''],
    ]);
    // The location as CDK documents it, so CDK can match where the property was set.
    expect(report.violations[0].violatingResources[0].locations).toEqual(['Properties.EnableKeyRotation']);
  });

  it('uses the packName of the catalogue as plugin name and lists its rule ids', () => {
    const pack = new EnterpriseCatalogueChecks();
    expect(pack.name).toBe('Enterprise');
    expect(pack.readPackName).toBe('Enterprise');
    expect(pack.ruleIds).toContain('Enterprise-KMS.1');
  });
});
