import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_kms as kms,
  CfnResource,
  NestedStack,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks } from '../src';
import { Evaluation } from '../src/engine/evaluate';
import { silenceCdkReports, synthError, writeKeyRotationCatalogue } from './helpers';

silenceCdkReports();

/**
 * The catalogue's governance end to end: apps synthesized with the pack to real `cdk.out`
 * directories, then the real CLI in a child process on them. Central waivers, a waiver on the App,
 * and a lowered rating are judged the same at synth, by `check` and by `suppressions`.
 */
const ROOT = path.join(__dirname, '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
const MAIN = path.join(ROOT, 'src', 'cli', 'main.ts');
const TODAY = '2026-06-01';
const VALID = 'Imported key material, rotated by the HSM team [ticket: SEC-9] [expires: 2026-12-31]';

function cli(args: string[]) {
  const env = { ...process.env };
  delete env.CDK_CATALOGUE_NOW;
  const result = spawnSync(process.execPath, [...TS_NODE, MAIN, ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `cdk-catalogue suppressions <outdir> --format json` on the test's day. */
function reviewJson(outdir: string, catalogue: string) {
  return cli(['suppressions', outdir, '-c', catalogue, '--now', TODAY, '--format', 'json']);
}

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-governance-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(tmp, 'out-')),
    context,
  });
}

/** Synthesizes with the pack (report-only, so every finding is listed) and returns its evaluations and CDK's report. */
function synthWithPack(app: App, catalogue: string, rating = 'C1I1A1') {
  const pack = new EnterpriseCatalogueChecks({ catalogue, rating, now: TODAY, reportOnly: true });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
  const violations: { ruleName: string; severity: string; description: string }[] =
    report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Corp')?.violations ?? [];
  return { pack, error, violations };
}

function verdicts(evaluations: readonly Pick<Evaluation, 'logicalId' | 'status'>[]): string[] {
  return evaluations.map((e) => `${e.logicalId.replace(/[0-9A-F]{8}$/, '')} ${e.status}`).sort();
}

describe('central waivers', () => {
  let catalogue: string;
  let centralFile: string;
  let outdir: string;
  let synth: ReturnType<typeof synthWithPack>;

  beforeAll(() => {
    centralFile = path.join(tmp, 'central-waivers.yaml');
    fs.writeFileSync(
      centralFile,
      `apiVersion: cdk-catalogue-checks/v1
kind: CentralWaivers
waivers:
  - control: KMS.1
    path: Workload/Legacy
    reason: Imported key material, rotated by the HSM team
    ticket: SEC-1
    approvedBy: ciso.office
    expires: '2026-12-31'
  - control: KMS.1
    path: Workload/Expired*
    reason: Scheduled for deletion by the operations team
    ticket: SEC-2
    expires: '2026-05-01'
  - control: KMS.1
    path: Workload/Gone
    reason: The key was removed in the last release
    ticket: SEC-3
    expires: '2026-12-31'
  - control: KMS.1
    path: OtherApp/**
    reason: Another application's stack, not one of this app
    ticket: SEC-4
    expires: '2026-12-31'
`,
    );
    catalogue = writeKeyRotationCatalogue(tmp, [{ id: 'KMS.1' }], 'waivers: { file: central-waivers.yaml }');
    const app = newApp();
    const stack = new Stack(app, 'Workload');
    for (const id of ['Legacy', 'ExpiredKey', 'Plain']) new kms.Key(stack, id);
    synth = synthWithPack(app, catalogue);
    outdir = app.outdir;
  });

  it('waive at synth by construct path, refuse an expired one, and list what CDK cannot', () => {
    expect(verdicts(synth.pack.evaluations)).toEqual([
      'ExpiredKey non-compliant',
      'Legacy waived',
      'Plain non-compliant',
    ]);
    const legacy = synth.pack.evaluations.find((e) => e.status === 'waived')!;
    expect(legacy.waiver!.source).toEqual({ file: centralFile, line: 4 });
    expect(legacy.waiver).toMatchObject({
      form: 'central',
      acknowledgedAt: 'Workload/Legacy',
      ticket: 'SEC-1',
    });
    const expired = synth.pack.evaluations.find((e) => e.refusedWaiver)!;
    expect(expired.refusedWaiver!.refusedBecause).toMatch(/it expired on 2026-05-01/);
    // A refused waiver fails synth even under reportOnly.
    expect(synth.error?.message).toMatch(/FATAL \[Corp-KMS.1\]/);
    const byRule = (name: string) => synth.violations.filter((v) => v.ruleName === name);
    expect(byRule('Corp-Waived').map((v) => [v.severity, v.description])).toEqual([
      [
        'info',
        expect.stringMatching(/Waived by the catalogue's central waiver for Workload\/Legacy: Imported key/),
      ],
    ]);
    // Stale: aimed at this app, covering nothing. The entry for another app's stack is not this app's business.
    expect(byRule('Corp-StaleWaiver').map((v) => v.description)).toEqual([
      expect.stringMatching(
        /central waiver of KMS.1 for Workload\/Gone \(.*central-waivers\.yaml:15\) waives no finding/,
      ),
    ]);
  });

  it('`check` on the cdk.out gives the same verdicts', () => {
    const { code, stdout } = cli(['check', outdir, '-c', catalogue, '--now', TODAY, '--format', 'json']);
    expect(code).toBe(1);
    expect(verdicts(JSON.parse(stdout).evaluations)).toEqual(verdicts(synth.pack.evaluations));
  });

  it('`suppressions` lists each central waiver aimed at the app with its status, coverage and line', () => {
    const { code, stdout } = reviewJson(outdir, catalogue);
    expect(code).toBe(1);
    const central = JSON.parse(stdout).waivers.filter((w: { scope: string }) => w.scope === 'central');
    expect(
      central.map((w: Record<string, unknown>) => [
        w.constructPath,
        w.stackId,
        w.status,
        w.resourcesCovered,
        w.source,
      ]),
    ).toEqual([
      ['Workload/Legacy', 'Workload', 'active', 1, { file: centralFile, line: 4 }],
      ['Workload/Expired*', 'Workload', 'expired', 1, { file: centralFile, line: 10 }],
      ['Workload/Gone', 'Workload', 'stale', 0, { file: centralFile, line: 15 }],
    ]);
    expect(central[0]).toMatchObject({ ticket: 'SEC-1', approvedBy: 'ciso.office', expires: '2026-12-31' });
    const markdown = cli(['suppressions', outdir, '-c', catalogue, '--now', TODAY]).stdout;
    expect(markdown).toContain(
      '| active | KMS.1 | Workload | Workload/Legacy | central | Imported key material',
    );
  });

  it("a resource cannot claim a waived construct's path through its own template metadata", () => {
    const app = newApp({ 'aws:cdk:enable-path-metadata': true });
    const stack = new Stack(app, 'Workload');
    const impostor = new kms.Key(stack, 'Impostor');
    (impostor.node.defaultChild as CfnResource).addMetadata('aws:cdk:path', 'Workload/Legacy/Resource');
    const { pack } = synthWithPack(app, catalogue);
    expect(pack.evaluations.map((e) => [e.constructPath, e.status])).toEqual([
      ['Workload/Impostor/Resource', 'non-compliant'],
    ]);
    const { stdout } = cli(['check', app.outdir, '-c', catalogue, '--now', TODAY, '--format', 'json']);
    expect(JSON.parse(stdout).evaluations.map((e: { status: string }) => e.status)).toEqual([
      'non-compliant',
    ]);
  });

  it("a stack's glob covers its nested stacks, but not a Stage built inside it", () => {
    const hostFile = path.join(tmp, 'host-waivers.yaml');
    fs.writeFileSync(
      hostFile,
      `apiVersion: cdk-catalogue-checks/v1
kind: CentralWaivers
waivers:
  - { control: KMS.1, path: Host/**, reason: Keys of the host stack rotated by the HSM team, ticket: SEC-6, expires: '2026-12-31' }
`,
    );
    const hostCatalogue = writeKeyRotationCatalogue(
      tmp,
      [{ id: 'KMS.1' }],
      'waivers: { file: host-waivers.yaml }',
    );
    const app = newApp();
    const host = new Stack(app, 'Host');
    new kms.Key(host, 'Own');
    new kms.Key(new NestedStack(host, 'Nested'), 'Deep');
    new kms.Key(new Stack(new Stage(host, 'Inner'), 'Svc'), 'Other');
    const { pack } = synthWithPack(app, hostCatalogue);
    expect(pack.evaluations.map((e) => [e.stackId, e.status]).sort()).toEqual([
      ['Host', 'waived'],
      ['Host/Inner/Svc', 'non-compliant'],
      ['Host/Nested', 'waived'],
    ]);
  });

  it('a glob that names no stack waives nothing: it is refused where it matches', () => {
    const noStack = path.join(tmp, 'no-stack.yaml');
    fs.writeFileSync(
      noStack,
      `apiVersion: cdk-catalogue-checks/v1
kind: CentralWaivers
waivers:
  - { control: KMS.1, path: Prod/**, reason: Every key of the Prod stage at once, ticket: SEC-5, expires: '2026-12-31' }
`,
    );
    const stageCatalogue = writeKeyRotationCatalogue(
      tmp,
      [{ id: 'KMS.1' }],
      'waivers: { file: no-stack.yaml }',
    );
    const app = newApp();
    new kms.Key(new Stack(new Stage(app, 'Prod'), 'Svc'), 'Key');
    const { pack, error } = synthWithPack(app, stageCatalogue);
    expect(pack.evaluations[0].status).toBe('non-compliant');
    expect(pack.evaluations[0].refusedWaiver?.refusedBecause).toMatch(/does not begin with a stack's path/);
    expect(error?.message).toMatch(/FATAL/);
    const review = JSON.parse(reviewJson(app.outdir, stageCatalogue).stdout);
    expect(review.waivers).toEqual([
      expect.objectContaining({ constructPath: 'Prod/**', status: 'refused', resourcesCovered: 1 }),
    ]);
  });
});

describe('each breach of the waiver policy', () => {
  const REASON = 'Imported key material, rotated by the HSM team';
  it.each([
    [
      'a reason too short',
      `Legacy [ticket: SEC-1] [expires: 2026-12-31]`,
      'resource',
      /the reason is shorter than 20 characters/,
    ],
    ['no ticket', `${REASON} [expires: 2026-12-31]`, 'resource', /it has no ticket/],
    [
      'a malformed ticket',
      `${REASON} [ticket: sec1] [expires: 2026-12-31]`,
      'resource',
      /the ticket 'sec1' does not match/,
    ],
    ['no expiry', `${REASON} [ticket: SEC-1]`, 'resource', /it has no expiry date/],
    [
      'validity over the maximum',
      `${REASON} [ticket: SEC-1] [expires: 2028-01-01]`,
      'resource',
      /more than the maximum of 365/,
    ],
    [
      'an expired waiver',
      `${REASON} [ticket: SEC-1] [expires: 2026-05-01]`,
      'resource',
      /it expired on 2026-05-01/,
    ],
    [
      'a tag given twice',
      `${REASON} [ticket: SEC-1] [ticket: SEC-2] [expires: 2026-12-31]`,
      'resource',
      /given more than once/,
    ],
    ['a scope wider than allowed', VALID, 'stage', /it is made on a Stage/],
    ['a control that cannot be waived', VALID, 'unsuppressible', /the control cannot be waived/],
  ])('%s: a fatal finding at synth, and `suppressions` exits 1', (_breach, text, where, why) => {
    const catalogue = writeKeyRotationCatalogue(tmp, [
      { id: 'KMS.1', ...(where === 'unsuppressible' && { extra: 'suppressible: false' }) },
    ]);
    const app = newApp();
    const stage = new Stage(app, 'Prod');
    const key = new kms.Key(new Stack(stage, 'Svc'), 'Key');
    Validations.of(where === 'stage' ? stage : key).acknowledge({ id: 'Corp::Corp-KMS.1', reason: text });
    const { pack, error } = synthWithPack(app, catalogue);
    expect(pack.evaluations[0].status).toBe('non-compliant');
    expect(pack.evaluations[0].refusedWaiver?.refusedBecause).toMatch(why);
    expect(error?.message).toMatch(/FATAL \[Corp-KMS.1\]/);

    const { code, stdout } = reviewJson(app.outdir, catalogue);
    expect(code).toBe(1);
    const [waiver] = JSON.parse(stdout).waivers;
    expect(waiver.status).toBe(/expired/.test(String(why)) ? 'expired' : 'refused');
    expect(waiver.refusedBecause.join('; ')).toMatch(why);
  });
});

describe('a waiver on the App', () => {
  it('is refused by the default widestScope, and the review lists it from the pack record', () => {
    const catalogue = writeKeyRotationCatalogue(tmp, [{ id: 'KMS.1' }]);
    const app = newApp();
    new kms.Key(new Stack(new Stage(app, 'Prod'), 'Svc'), 'Key');
    Validations.of(app).acknowledge({ id: 'Corp::Corp-KMS.1', reason: VALID });
    const { pack, error } = synthWithPack(app, catalogue);
    expect(pack.evaluations[0].refusedWaiver).toMatchObject({ scope: 'app', acknowledgedAt: '' });
    expect(error?.message).toMatch(
      /it is made on the App, wider than the catalogue's widestScope 'stack' allows/,
    );

    const { code, stdout } = reviewJson(app.outdir, catalogue);
    expect(code).toBe(1);
    expect(JSON.parse(stdout).waivers).toEqual([
      expect.objectContaining({
        constructPath: '',
        scope: 'app',
        status: 'refused',
        resourcesCovered: 1,
        refusedBecause: [expect.stringMatching(/made on the App/)],
        source: expect.objectContaining({ file: expect.stringMatching(/cli-governance\.test\.ts$/) }),
      }),
    ]);
  });
});

describe('acknowledgements written as raw metadata', () => {
  it("waive like CDK's own, appear in CDK's report (listed by CDK or by the pack) and in the review", () => {
    const catalogue = writeKeyRotationCatalogue(tmp, [{ id: 'KMS.1' }]);
    const app = newApp();
    const stack = new Stack(app, 'Workload');
    // What a cdk-nag v2 habit or another language's helper might write, without Validations.acknowledge.
    new kms.Key(stack, 'Bare').node.addMetadata('aws:cdk:acknowledged-rules', { 'Corp-KMS.1': VALID });
    new kms.Key(stack, 'Qualified').node.addMetadata('aws:cdk:acknowledged-rules', {
      'Corp::Corp-KMS.1': VALID,
    });
    const { pack, error, violations } = synthWithPack(app, catalogue);
    expect(error).toBeUndefined();
    expect(pack.evaluations.map((e) => [e.status, e.waiver?.form])).toEqual([
      ['waived', 'bare'],
      ['waived', 'qualified'],
    ]);
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf8'));
    const corp = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Corp');
    expect(
      corp.suppressedViolations.map((v: { acknowledgedId: string }) => v.acknowledgedId ?? v),
    ).toHaveLength(1);
    expect(violations.filter((v) => v.ruleName === 'Corp-Waived').map((v) => v.description)).toEqual([
      expect.stringMatching(/'Corp-KMS.1' at Workload\/Bare.*write 'Corp::Corp-KMS.1'/),
    ]);

    const { code, stdout } = reviewJson(app.outdir, catalogue);
    expect(code).toBe(0);
    expect(
      JSON.parse(stdout).waivers.map((w: Record<string, unknown>) => [
        w.constructPath,
        w.id,
        w.status,
        w.resourcesCovered,
      ]),
    ).toEqual([
      ['Workload/Bare', 'Corp-KMS.1', 'active', 1],
      ['Workload/Qualified', 'Corp::Corp-KMS.1', 'active', 1],
    ]);
  });
});

describe('a lowered rating', () => {
  let catalogue: string;
  beforeAll(() => {
    catalogue = writeKeyRotationCatalogue(
      tmp,
      [{ id: 'KMS.1' }, { id: 'KMS.2', extra: 'appliesFrom: { confidentiality: 2 }' }],
      'rating: { minimum: C2I1A1 }',
    );
  });

  it('is refused at synth, and `check` keeps the refusal it recorded (exit 1)', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key', { enableKeyRotation: true });
    const { error } = synthWithPack(app, catalogue, 'C1I1A1');
    expect(error?.message).toMatch(/FATAL.*Stack Workload: the rating C1I1A1 of the rating prop/s);

    const { code, stdout } = cli(['check', app.outdir, '-c', catalogue, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.stacks[0]).toMatchObject({ rating: 'C2I1A1', ratingSource: 'catalogue' });
    expect(report.stacks[0].ratingRefused).toMatch(/below the catalogue's minimum C2I1A1/);
    // Every finding is fixed; the refused rating alone fails the check.
    expect(report.evaluations.map((e: { status: string }) => e.status)).toEqual(['compliant', 'compliant']);
  });

  it('`check --rating` below the minimum is refused too, on templates as on an assembly', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key', { enableKeyRotation: true });
    app.synth();
    const template = path.join(app.outdir, 'Workload.template.json');
    for (const input of [app.outdir, template]) {
      const { code, stdout } = cli([
        'check',
        input,
        '-c',
        catalogue,
        '--rating',
        'C1I1A1',
        '--format',
        'json',
      ]);
      expect(code).toBe(1);
      expect(JSON.parse(stdout).stacks[0].ratingRefused).toMatch(
        /the rating C1I1A1 of the rating prop \(or --rating\) is below the catalogue's minimum C2I1A1/,
      );
    }
    expect(cli(['check', template, '-c', catalogue, '--rating', 'C2I1A1']).code).toBe(0);
  });
});
