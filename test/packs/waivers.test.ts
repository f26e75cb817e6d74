import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Ajv from 'ajv';
import { App, Aspects, aws_kms as kms, Stack, Validations } from 'aws-cdk-lib';
import {
  EnterpriseCatalogueChecks,
  EnterpriseCatalogueChecksProps,
  Evaluation,
  waive,
  Waivers,
} from '../../src';
import { silenceCdkReports, synthError, writeKeyRotationCatalogue } from '../helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'waivers-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
silenceCdkReports();

/** The day the waivers are judged on. */
const NOW = '2026-06-01';
const REASON = 'Imported key material, rotated by the HSM team';

interface Built {
  app: App;
  stack: Stack;
  key: kms.Key;
}

/** A stack with a key that breaks Corp's KMS.1 (rotation off). */
function appWithKey(context: Record<string, unknown> = {}): Built {
  const app = new App({
    builtinCloudFormationValidation: false,
    context,
    outdir: fs.mkdtempSync(path.join(dir, 'out-')),
  });
  const stack = new Stack(app, 'Workload');
  return { app, stack, key: new kms.Key(stack, 'Key') };
}

interface Violation {
  ruleName: string;
  severity: string;
  description: string;
  violatingConstructs: { constructPath: string }[];
}

function synth(built: Built, props: EnterpriseCatalogueChecksProps = {}, suppressible = true) {
  const catalogue = writeKeyRotationCatalogue(dir, [
    { id: 'KMS.1', ...(suppressible ? {} : { extra: 'suppressible: false' }) },
  ]);
  const pack = new EnterpriseCatalogueChecks({ catalogue, rating: 'C1I1A1', now: NOW, ...props });
  Aspects.of(built.app).add(pack);
  const error = synthError(built.app);
  const file = path.join(built.app.outdir, 'validation-report.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { pluginReports: [] };
  // CDK leaves out a plugin with nothing to say.
  const corp = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Corp');
  const violations: Violation[] = corp?.violations ?? [];
  return { pack, error, violations, suppressed: (corp?.suppressedViolations ?? []) as { reason: string }[] };
}

function acknowledge(built: Built, reason: string, id = 'Corp::Corp-KMS.1'): void {
  Validations.of(built.key).acknowledge({ id, reason });
}

describe('waive()', () => {
  it.each([
    ['waive()', waive],
    ['Waivers.waive()', Waivers.waive],
  ])(
    '%s acknowledges in the qualified form, CDK lists it, and the fields travel as metadata',
    (_name, write) => {
      const built = appWithKey();
      write(built.key, {
        control: 'KMS.1',
        packName: 'Corp',
        reason: REASON,
        ticket: 'SEC-123',
        expires: '2026-12-31',
        approvedBy: 'jane.doe',
      });
      const { pack, error, suppressed } = synth(built);
      expect(error).toBeUndefined();
      expect(pack.evaluations[0]).toMatchObject({
        status: 'waived',
        waiver: {
          id: 'Corp::Corp-KMS.1',
          form: 'qualified',
          reason: REASON,
          ticket: 'SEC-123',
          expires: '2026-12-31',
          approvedBy: 'jane.doe',
          acknowledgedAt: 'Workload/Key',
        },
      });
      const text = `${REASON} [ticket: SEC-123] [expires: 2026-12-31] [approved-by: jane.doe]`;
      expect(suppressed).toEqual([expect.objectContaining({ reason: text })]);
      const metadata = built.app
        .synth()
        .getStackByName('Workload')
        .findMetadataByType('cdk-catalogue:waiver');
      expect(metadata.map((m) => [m.path, m.data])).toEqual([
        [
          '/Workload/Key',
          {
            id: 'Corp::Corp-KMS.1',
            control: 'KMS.1',
            reason: REASON,
            ticket: 'SEC-123',
            expires: '2026-12-31',
            approvedBy: 'jane.doe',
          },
        ],
      ]);
    },
  );

  it('is the same waiver as the text a Python app writes with plain Validations.of(x).acknowledge', () => {
    const typed = appWithKey();
    waive(typed.key, {
      control: 'KMS.1',
      packName: 'Corp',
      reason: REASON,
      ticket: 'SEC-1',
      expires: '2026-09-30',
    });
    const python = appWithKey();
    // validations.of(key).acknowledge(id="Corp::Corp-KMS.1", reason="... [ticket: SEC-1] [expires: 2026-09-30]")
    acknowledge(python, `${REASON} [ticket: SEC-1] [expires: 2026-09-30]`);
    // The same waiver but for the line that wrote it, which is the user's line in both.
    const withoutSource = (evaluations: readonly Evaluation[]) =>
      evaluations.map(({ waiver, ...rest }) => ({
        ...rest,
        waiver: waiver && { ...waiver, source: undefined },
      }));
    const [fromPython, fromTyped] = [synth(python).pack.evaluations, synth(typed).pack.evaluations];
    expect(withoutSource(fromPython)).toEqual(withoutSource(fromTyped));
    for (const evaluation of [...fromPython, ...fromTyped]) {
      expect(evaluation.waiver?.source?.file).toMatch(/waivers\.test\.ts$/);
    }
    expect(synth(appWithKey()).pack.evaluations[0].status).toBe('non-compliant');
  });

  it.each([
    ['a bracket in the ticket', { ticket: 'SEC-1] [expires: 2099-01-01' }],
    ['a tag in the reason', { reason: `${REASON} [expires: 2099-01-01]` }],
  ])('refuses to write %s, which would read back differently', (_name, change) => {
    const built = appWithKey();
    expect(() =>
      waive(built.key, {
        control: 'KMS.1',
        reason: REASON,
        ticket: 'SEC-1',
        expires: '2026-09-30',
        ...change,
      }),
    ).toThrow(/cannot be written as a waiver/);
  });
});

describe('the waiver policy at synth', () => {
  it.each([
    ['valid through its expiry day', `${REASON} [ticket: SEC-1] [expires: ${NOW}]`],
    ['valid for exactly the maximum of 365 days', `${REASON} [ticket: SEC-1] [expires: 2027-06-01]`],
    [
      'tags in any case and order, bare form',
      `[EXPIRES: 2026-07-01] ${REASON} [Ticket: OPS-42]`,
      'Corp-KMS.1',
    ],
  ])('waives when %s', (_name, reason, id = 'Corp::Corp-KMS.1') => {
    const built = appWithKey();
    acknowledge(built, reason, id);
    const { pack, error } = synth(built);
    expect(error).toBeUndefined();
    expect(pack.evaluations[0].status).toBe('waived');
  });

  it.each([
    ['expired', `${REASON} [ticket: SEC-1] [expires: 2026-05-31]`, 'it expired on 2026-05-31'],
    ['no ticket', `${REASON} [expires: 2026-12-31]`, 'it has no ticket ([ticket: …])'],
    [
      'a malformed ticket',
      `${REASON} [ticket: sec-1] [expires: 2026-12-31]`,
      "the ticket 'sec-1' does not match the catalogue's ticketPattern ^[A-Z][A-Z0-9]+-[0-9]+$",
    ],
    [
      'a short reason',
      'legacy key [ticket: SEC-1] [expires: 2026-12-31]',
      'the reason is shorter than 20 characters (10, tags not counted)',
    ],
    [
      'validity over the maximum',
      `${REASON} [ticket: SEC-1] [expires: 2027-06-02]`,
      'it is valid for 366 days (until 2027-06-02), more than the maximum of 365',
    ],
    ['no expiry', `${REASON} [ticket: SEC-1]`, 'it has no expiry date ([expires: YYYY-MM-DD])'],
    [
      'an expiry that is no date',
      `${REASON} [ticket: SEC-1] [expires: 2026-02-30]`,
      "its expiry '2026-02-30' is not a date (YYYY-MM-DD)",
    ],
    [
      'an expiry given twice',
      `${REASON} [ticket: SEC-1] [expires: 2026-06-02] [expires: 2099-01-01]`,
      'the tag [expires: …] is given more than once',
    ],
    [
      'the old free text, every breach at once',
      'SEC-9',
      'the reason is shorter than 20 characters (5, tags not counted); it has no ticket ([ticket: …]); it has no expiry date ([expires: YYYY-MM-DD])',
    ],
  ])('keeps the finding, fatal, when the waiver has %s', (_name, reason, why) => {
    const built = appWithKey();
    acknowledge(built, reason);
    const { pack, error, violations } = synth(built);
    expect(pack.evaluations[0]).toMatchObject({
      status: 'non-compliant',
      refusedWaiver: { refusedBecause: why },
    });
    expect(violations.map((v) => [v.ruleName, v.severity])).toEqual([
      ['Corp-KMS.1', 'fatal'],
      ['Corp-Summary', 'info'],
    ]);
    expect(violations[0].description).toContain(
      `The waiver 'Corp::Corp-KMS.1' at Workload/Key is refused: ${why}.`,
    );
    expect(error).toBeDefined();
  });

  it('refuses even a valid waiver of a non-suppressible control, fatal, reportOnly or not', () => {
    for (const reportOnly of [false, true]) {
      const built = appWithKey();
      acknowledge(built, `${REASON} [ticket: SEC-1] [expires: 2026-12-31]`);
      const { pack, error, violations } = synth(built, { reportOnly }, false);
      expect(pack.evaluations[0]).toMatchObject({
        status: 'non-compliant',
        refusedWaiver: { refusedBecause: 'the control cannot be waived' },
      });
      expect(violations[0].severity).toBe('fatal');
      expect(error).toBeDefined();
    }
  });

  it('reportOnly cannot silence a non-suppressible control (no waiver): the finding stays fatal', () => {
    const { error, violations } = synth(appWithKey(), { reportOnly: true }, false);
    expect(violations[0]).toMatchObject({ ruleName: 'Corp-KMS.1', severity: 'fatal' });
    expect(error?.message).toMatch(/Corp-KMS\.1/);
    // A suppressible control is still downgraded to a warning.
    const downgraded = synth(appWithKey(), { reportOnly: true });
    expect(downgraded.violations[0].severity).toBe('warning');
    expect(downgraded.error).toBeUndefined();
  });

  it('an acknowledgement naming no control of the catalogue is a fatal finding on its construct', () => {
    const built = appWithKey();
    Validations.of(built.stack).acknowledge({ id: 'Corp::Corp-KMS.9', reason: `${REASON} [ticket: SEC-1]` });
    Validations.of(built.stack).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'another plugin',
    });
    const { error, violations } = synth(built);
    const typo = violations.find((v) => v.ruleName === 'Corp-UnknownWaiver');
    expect(typo).toMatchObject({ severity: 'fatal', violatingConstructs: [{ constructPath: 'Workload' }] });
    expect(typo?.description).toBe(
      "[Corp] The acknowledgement 'Corp::Corp-KMS.9' at Workload names no control of the catalogue, so it waives nothing (a typo?). Controls: Corp-KMS.1.",
    );
    expect(violations.filter((v) => v.ruleName.endsWith('Waiver'))).toHaveLength(1);
    expect(error).toBeDefined();
  });

  it('an acknowledgement that covers no finding is a stale warning, and synth passes', () => {
    // A bare id is stored by CDK as `Annotation::Corp-KMS.1`; it aims at this pack all the same.
    const built = appWithKey();
    (built.key.node.defaultChild as kms.CfnKey).enableKeyRotation = true;
    acknowledge(built, `${REASON} [ticket: SEC-1] [expires: 2026-12-31]`, 'Corp-KMS.1');
    const { error, violations } = synth(built);
    expect(violations).toEqual([
      expect.objectContaining({
        ruleName: 'Corp-StaleWaiver',
        severity: 'warning',
        description:
          "[Corp] The acknowledgement 'Annotation::Corp-KMS.1' at Workload/Key waives no finding: nothing under it breaks Corp-KMS.1 at its rating. Remove it.",
      }),
    ]);
    expect(error).toBeUndefined();
  });

  describe('the clock', () => {
    const reason = `${REASON} [ticket: SEC-1] [expires: 2026-12-31]`;
    it.each([
      ['the now prop', {}, { now: '2027-01-01' }, 'refused'],
      [
        'the context key cdk-catalogue:now',
        { 'cdk-catalogue:now': '2027-01-01' },
        { now: undefined },
        'refused',
      ],
      [
        'a date-time in the context, read in UTC',
        { 'cdk-catalogue:now': '2026-12-31T23:59:59Z' },
        { now: undefined },
        'waived',
      ],
      ['the prop over the context', { 'cdk-catalogue:now': '2027-01-01' }, { now: '2026-12-31' }, 'waived'],
    ])('is set by %s', (_name, context, props, outcome) => {
      const built = appWithKey(context);
      acknowledge(built, reason);
      const { pack } = synth(built, props);
      expect(pack.evaluations[0].status).toBe(outcome === 'waived' ? 'waived' : 'non-compliant');
      if (outcome === 'refused')
        expect(pack.evaluations[0].refusedWaiver?.refusedBecause).toBe('it expired on 2026-12-31');
    });

    it('refuses a clock that is not an ISO date', () => {
      expect(() => new EnterpriseCatalogueChecks({ now: '31/12/2026' })).toThrow(
        'EnterpriseCatalogueChecks now "31/12/2026" is not an ISO date (YYYY-MM-DD)',
      );
      const built = appWithKey({ 'cdk-catalogue:now': 'tomorrow' });
      acknowledge(built, reason);
      expect(synth(built, { now: undefined }).error?.message).toMatch(
        /context 'cdk-catalogue:now' "tomorrow" is not an ISO date/,
      );
    });
  });
});

describe('the report of a synth', () => {
  it("records each waiver's ticket, expiry and approver, and why a refused one is refused", () => {
    const built = appWithKey();
    waive(built.key, {
      control: 'KMS.1',
      reason: REASON,
      ticket: 'SEC-1234',
      expires: '2026-09-30',
      approvedBy: 'jane.doe',
      packName: 'Corp',
    });
    const refused = new kms.Key(built.stack, 'Other');
    acknowledge({ ...built, key: refused }, `${REASON} [ticket: SEC-9] [expires: 2026-05-01]`);
    synth(built);
    const report = JSON.parse(fs.readFileSync(path.join(built.app.outdir, 'catalogue-report.json'), 'utf8'));
    const byPath = (suffix: string) =>
      report.evaluations.find((e: { constructPath: string }) => e.constructPath.endsWith(suffix));
    expect(byPath('Key/Resource')).toMatchObject({
      status: 'waived',
      waiver: {
        form: 'qualified',
        reason: REASON,
        ticket: 'SEC-1234',
        expires: '2026-09-30',
        approvedBy: 'jane.doe',
      },
    });
    expect(byPath('Other/Resource')).toMatchObject({
      status: 'non-compliant',
      refusedWaiver: { ticket: 'SEC-9', expires: '2026-05-01', refusedBecause: 'it expired on 2026-05-01' },
    });
    const schema = path.join(__dirname, '..', '..', 'schema', 'catalogue-report.schema.json');
    const validate = new Ajv({ allErrors: true }).compile(JSON.parse(fs.readFileSync(schema, 'utf8')));
    expect(validate(report) ? [] : validate.errors).toEqual([]);
  });
});

describe('what does not waive', () => {
  it('raw cdk-catalogue:waiver metadata without an acknowledgement waives nothing', () => {
    const built = appWithKey();
    built.key.node.addMetadata('cdk-catalogue:waiver', {
      control: 'KMS.1',
      reason: REASON,
      ticket: 'SEC-1234',
      expires: '2026-09-30',
    });
    const { pack, error } = synth(built);
    expect(pack.evaluations.map((e) => e.status)).toEqual(['non-compliant']);
    expect(error?.message).toMatch(/\[Corp-KMS\.1\]/);
  });

  it('a valid waiver on one resource does not cover its sibling', () => {
    const built = appWithKey();
    new kms.Key(built.stack, 'Sibling');
    waive(built.key, {
      control: 'KMS.1',
      reason: REASON,
      ticket: 'SEC-1234',
      expires: '2026-09-30',
      packName: 'Corp',
    });
    const { pack } = synth(built);
    expect(pack.evaluations.map((e) => [e.constructPath?.split('/')[1], e.status]).sort()).toEqual([
      ['Key', 'waived'],
      ['Sibling', 'non-compliant'],
    ]);
  });
});
