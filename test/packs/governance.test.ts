import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, aws_kms as kms, Stack, Stage, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueChecksProps } from '../../src';
import { silenceCdkReports, synthError, writeKeyRotationCatalogue } from '../helpers';

/**
 * The catalogue's governance at synth: the rating (a minimum, ratings pinned per account, a Stage or
 * Stack rated below its App), the widest scope a waiver may be made on, reportOnly and controls that
 * cannot be waived, and waivers CDK's own report could not list.
 */

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'governance-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
silenceCdkReports();

const NOW = '2026-06-01';
const WAIVER = 'Imported key material, rotated by the HSM team [ticket: SEC-123] [expires: 2026-12-31]';

interface Violation {
  ruleName: string;
  severity: string;
  description: string;
}

function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    context,
    outdir: fs.mkdtempSync(path.join(dir, 'out-')),
  });
}

/** A stack with a key that breaks KMS.1 (rotation off); KMS.2 applies only from C2. */
function keyIn(scope: IConstruct, id = 'Workload', env?: { account: string; region: string }) {
  const stack = new Stack(scope, id, { env });
  return { stack, key: new kms.Key(stack, 'Key') };
}

function synth(app: App, sections: string, props: EnterpriseCatalogueChecksProps = {}, extra = '') {
  const catalogue = writeKeyRotationCatalogue(
    dir,
    [
      { id: 'KMS.1', extra },
      { id: 'KMS.2', extra: 'appliesFrom: { confidentiality: 2 }' },
    ],
    sections,
  );
  const pack = new EnterpriseCatalogueChecks({ catalogue, now: NOW, ...props });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  const file = path.join(app.outdir, 'validation-report.json');
  const report = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : { pluginReports: [] };
  const corp = report.pluginReports.find((r: { pluginName: string }) => r.pluginName === 'Corp');
  const violations: Violation[] = corp?.violations ?? [];
  const recordFile = path.join(app.outdir, 'catalogue-report.json');
  const record = fs.existsSync(recordFile) ? JSON.parse(fs.readFileSync(recordFile, 'utf8')) : undefined;
  return {
    pack,
    error,
    violations,
    record,
    named: (name: string) => violations.filter((v) => v.ruleName === name),
  };
}

describe('the rating is governed', () => {
  it.each([
    [
      'the rating prop',
      {},
      { rating: 'C1I1A1' },
      /the rating C1I1A1 of the rating prop \(or --rating\) is below the catalogue's minimum C2I1A1/,
    ],
    [
      'the App context (cdk.json, --context)',
      { 'cdk-catalogue:rating': 'C1I1A1' },
      {},
      /the rating C1I1A1 from context 'cdk-catalogue:rating' on the App is below the catalogue's minimum C2I1A1/,
    ],
  ])(
    'a rating from %s below the minimum is refused: a fatal finding, and the stack is judged at the minimum',
    (_from, context, props, message) => {
      const app = newApp(context);
      keyIn(app);
      const { pack, error, named, record } = synth(app, 'rating: { minimum: C2I1A1 }', {
        ...props,
        reportOnly: true,
      });
      expect(error?.message).toMatch(message);
      expect(named('Corp-Rating')).toEqual([expect.objectContaining({ severity: 'fatal' })]);
      // KMS.2 applies from C2: judged at the minimum, not at the rating asked for.
      expect(pack.evaluations.map((e) => [e.controlId, e.ratingSource])).toEqual([
        ['KMS.1', 'catalogue'],
        ['KMS.2', 'catalogue'],
      ]);
      expect(record.stacks[0]).toMatchObject({ rating: 'C2I1A1', ratingSource: 'catalogue' });
      expect(record.stacks[0].ratingRefused).toMatch(message);
    },
  );

  it('a rating at or above the minimum holds, and says where it was set', () => {
    const app = newApp();
    const stage = new Stage(app, 'Prod');
    stage.node.setContext('cdk-catalogue:rating', 'C3I1A1');
    keyIn(stage);
    const { pack, violations, record } = synth(app, 'rating: { minimum: C2I1A1, perStackRatings: true }', {
      reportOnly: true,
    });
    expect(violations.map((v) => v.ruleName)).not.toContain('Corp-Rating');
    expect(pack.evaluations[0]).toMatchObject({ ratingSource: 'context', ratingSetAt: 'Prod' });
    expect(record.stacks[0]).toMatchObject({
      rating: 'C3I1A1',
      ratingSource: 'context',
      ratingSetAt: 'Prod',
    });
    expect(record.evaluations[0]).toMatchObject({ ratingSetAt: 'Prod' });
  });

  it('a stack in a pinned account is judged at least at the pinned rating; another account is not', () => {
    const app = newApp({ 'cdk-catalogue:rating': 'C1I1A1' });
    keyIn(app, 'Prod', { account: '111111111111', region: 'eu-west-1' });
    keyIn(app, 'Sandbox', { account: '222222222222', region: 'eu-west-1' });
    const { pack, named } = synth(app, "rating: { accounts: { '111111111111': C3I3A3 } }", {
      reportOnly: true,
    });
    expect(named('Corp-Rating').map((v) => v.description)).toEqual([
      expect.stringMatching(
        /Stack Prod: .* below the rating C3I3A3 the catalogue pins for account 111111111111/,
      ),
    ]);
    expect(pack.evaluations.map((e) => [e.stackId, e.controlId])).toEqual([
      ['Prod', 'KMS.1'],
      ['Prod', 'KMS.2'],
      ['Sandbox', 'KMS.1'],
    ]);
  });

  it('an environment-agnostic stack may deploy to any pinned account: it is held to the strictest pin', () => {
    const app = newApp({ 'cdk-catalogue:rating': 'C1I1A1' });
    keyIn(app);
    const { pack, named } = synth(
      app,
      "rating: { accounts: { '111111111111': C2I1A1, '333333333333': C1I3A1 } }",
      { reportOnly: true },
    );
    expect(named('Corp-Rating')[0].description).toMatch(
      /C2I3A1, the strictest the catalogue pins .* environment-agnostic/,
    );
    expect(pack.evaluations[0].rating).toEqual({ confidentiality: 2, integrity: 3, availability: 1 });
  });

  it('a Stage rated below its App is refused unless the catalogue allows per-stack ratings', () => {
    const build = () => {
      const app = newApp({ 'cdk-catalogue:rating': 'C3I3A3' });
      const dev = new Stage(app, 'Dev');
      dev.node.setContext('cdk-catalogue:rating', 'C1I1A1');
      keyIn(dev);
      return app;
    };
    const refused = synth(build(), '', { reportOnly: true });
    expect(refused.error?.message).toMatch(
      /Stack Dev\/Workload: the rating C1I1A1 from context 'cdk-catalogue:rating' on Dev is below the App's rating C3I3A3/,
    );
    expect(refused.pack.evaluations.map((e) => e.controlId)).toEqual(['KMS.1', 'KMS.2']);

    const allowed = synth(build(), 'rating: { perStackRatings: true }', { reportOnly: true });
    expect(allowed.error).toBeUndefined();
    expect(allowed.pack.evaluations.map((e) => e.controlId)).toEqual(['KMS.1']);
  });

  it('a Stack rated above its App, or a Stage with no rating of its own, is no finding', () => {
    const app = newApp({ 'cdk-catalogue:rating': 'C1I1A1' });
    const stack = new Stack(new Stage(app, 'Prod'), 'Workload');
    stack.node.setContext('cdk-catalogue:rating', 'C3I1A1');
    new kms.Key(stack, 'Key');
    keyIn(new Stage(app, 'Dev'));
    const { named } = synth(app, '', { reportOnly: true });
    expect(named('Corp-Rating')).toEqual([]);
  });

  it('no one can acknowledge the refusal away', () => {
    const app = newApp({ 'cdk-catalogue:rating': 'C1I1A1' });
    const { stack } = keyIn(app);
    Validations.of(stack).acknowledge({ id: 'Corp::Corp-Rating', reason: WAIVER });
    const { error } = synth(app, 'rating: { minimum: C2I2A2 }', { reportOnly: true });
    expect(error?.message).toMatch(/below the catalogue's minimum C2I2A2/);
  });
});

describe('the widest scope a waiver may be made on', () => {
  type Where = 'resource' | 'stack' | 'stage' | 'app';
  function waivedAt(where: Where, sections: string) {
    const app = newApp();
    const stage = new Stage(app, 'Prod');
    const { stack, key } = keyIn(stage);
    const target = { resource: key, stack, stage, app }[where];
    Validations.of(target).acknowledge({ id: 'Corp::Corp-KMS.1', reason: WAIVER });
    return synth(app, sections, { rating: 'C1I1A1' });
  }

  it.each([
    ['resource', '', 'waived'],
    ['stack', '', 'waived'],
    ['stage', '', 'refused'],
    ['app', '', 'refused'],
    ['stack', 'waivers: { widestScope: resource }', 'refused'],
    ['stage', 'waivers: { widestScope: stage }', 'waived'],
    ['app', 'waivers: { widestScope: app }', 'waived'],
  ] as const)('on the %s with %j: %s', (where, sections, outcome) => {
    const { pack, error } = waivedAt(where, sections);
    const [evaluation] = pack.evaluations;
    if (outcome === 'waived') {
      expect(error).toBeUndefined();
      expect(evaluation).toMatchObject({ status: 'waived', waiver: { scope: where } });
      // Where the user's code wrote it, from CDK's creation trace.
      expect(evaluation.waiver!.source?.file).toMatch(/governance\.test\.ts$/);
    } else {
      expect(evaluation.status).toBe('non-compliant');
      expect(evaluation.refusedWaiver?.refusedBecause).toMatch(
        /wider than the catalogue's widestScope '\w+' allows/,
      );
      expect(error?.message).toMatch(/The waiver 'Corp::Corp-KMS.1' at .* is refused: it is made on/);
    }
  });

  it("records every acknowledgement, a Stage's and the App's too (in no stack's metadata), in catalogue-report.json", () => {
    const { record } = waivedAt('app', '');
    expect(record.acknowledgements).toEqual([
      expect.objectContaining({ constructPath: '', id: 'Corp::Corp-KMS.1', scope: 'app', text: WAIVER }),
    ]);
    expect(record.acknowledgements[0].source.file).toMatch(/governance\.test\.ts$/);
  });
});

describe('reportOnly and controls that cannot be waived', () => {
  it.each([
    ['', 'fatal'],
    ['waivers: { reportOnlyAppliesToUnsuppressible: true }', 'warning'],
  ])('with %j a finding of an unsuppressible control is %s under reportOnly', (sections, severity) => {
    const app = newApp();
    keyIn(app);
    const { error, named } = synth(
      app,
      sections,
      { rating: 'C1I1A1', reportOnly: true },
      'suppressible: false',
    );
    expect(named('Corp-KMS.1').map((v) => v.severity)).toEqual([severity]);
    expect(error === undefined).toBe(severity === 'warning');
  });
});

describe("CDK's own report loses no waiver", () => {
  // CDK stores a bare id as `Annotation::<id>`, which it never matches to a plugin's violation.
  it('lists a finding waived in the bare form as info, with the qualified form to write', () => {
    const app = newApp();
    const { key } = keyIn(app);
    Validations.of(key).acknowledge({ id: 'Corp-KMS.1', reason: WAIVER });
    const { error, named, pack } = synth(app, '', { rating: 'C1I1A1' });
    expect(error).toBeUndefined();
    expect(pack.evaluations[0]).toMatchObject({ status: 'waived', waiver: { form: 'bare' } });
    expect(named('Corp-Waived')).toEqual([
      expect.objectContaining({
        severity: 'info',
        description: expect.stringMatching(
          /\[Corp-KMS.1\] Waived by the acknowledgement 'Annotation::Corp-KMS.1' at Workload\/Key: Imported key material, rotated by the HSM team \(ticket SEC-123, expires 2026-12-31\)\. CDK lists only the qualified form as suppressed: write 'Corp::Corp-KMS.1'/,
        ),
      }),
    ]);
  });

  it('acknowledging the listing itself is a typo that fails synth', () => {
    const app = newApp();
    const { key } = keyIn(app);
    Validations.of(key).acknowledge({ id: 'Corp-KMS.1', reason: WAIVER });
    Validations.of(app).acknowledge({ id: 'Corp::Corp-Waived', reason: WAIVER });
    const { error } = synth(app, '', { rating: 'C1I1A1' });
    expect(error?.message).toMatch(/'Corp::Corp-Waived' at .* names no control of the catalogue/);
  });
});
