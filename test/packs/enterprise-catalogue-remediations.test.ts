import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  AspectPriority,
  Aspects,
  aws_kms as kms,
  aws_lambda as lambda,
  CfnResource,
  IAspect,
  Stack,
  Stage,
} from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations } from '../../src';
import { silenceCdkReports, synthError, writeKeyRotationCatalogue } from '../helpers';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediations-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
silenceCdkReports();

function catalogue(extra?: string): string {
  return writeKeyRotationCatalogue(dir, [{ id: 'KMS.1', extra }]);
}

function newApp(): App {
  return new App({ builtinCloudFormationValidation: false, outdir: fs.mkdtempSync(path.join(dir, 'out-')) });
}

function synth(app: App, catalogueFile: string) {
  const pack = new EnterpriseCatalogueChecks({ catalogue: catalogueFile, rating: 'C3I3A3' });
  Aspects.of(app).add(pack);
  return { pack, error: synthError(app) };
}

describe('EnterpriseCatalogueRemediations', () => {
  it.each([
    [
      'applyTo (MUTATING priority)',
      (app: App, file: string) => EnterpriseCatalogueRemediations.applyTo(app, { catalogue: file }),
    ],
    [
      'a plain Aspects.of().add()',
      (app: App, file: string) =>
        Aspects.of(app).add(new EnterpriseCatalogueRemediations({ catalogue: file })),
    ],
  ])('fixes what it finds when added with %s, and the pack counts it as remediated', (_name, add) => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key');
    const file = catalogue();
    add(app, file);
    const { pack, error } = synth(app, file);
    expect(error).toBeUndefined();
    expect(pack.evaluations).toEqual([
      expect.objectContaining({
        findingId: 'Corp-KMS.1',
        status: 'remediated',
        changes: ['set EnableKeyRotation to true'],
      }),
    ]);
  });

  it('leaves controls whose catalogue entry disables remediation', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key');
    const file = catalogue('remediation: { enabled: false }');
    EnterpriseCatalogueRemediations.applyTo(app, { catalogue: file });
    expect(synth(app, file).pack.evaluations[0].status).toBe('non-compliant');
  });

  it('fixes only the controls that apply at the rating', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key');
    const file = catalogue('appliesFrom: { confidentiality: 3 }');
    EnterpriseCatalogueRemediations.applyTo(app, { catalogue: file, rating: 'C1I1A1' });
    expect(synth(app, file).pack.evaluations[0].status).toBe('non-compliant');
  });

  it('says why a fix could not be applied in the finding', () => {
    const app = newApp();
    new CfnResource(new Stack(app, 'Workload'), 'RawKey', { type: 'AWS::KMS::Key', properties: {} });
    const file = catalogue();
    EnterpriseCatalogueRemediations.applyTo(app, { catalogue: file });
    const { pack, error } = synth(app, file);
    expect(pack.evaluations[0].reason).toBe(
      'EnableKeyRotation is not set (it defaults to false); the remediation could not be applied: the key is not a kms.CfnKey, so its rotation cannot be set',
    );
    expect(error?.message).toContain('the remediation could not be applied');
  });

  describe('and Stages', () => {
    function appWithStage(): { app: App; stage: Stage } {
      const app = newApp();
      const stage = new Stage(app, 'Prod');
      new kms.Key(new Stack(stage, 'Workload'), 'Key');
      return { app, stage };
    }

    it("says loudly when remediations on the App never reached a Stage's stacks", () => {
      const { app } = appWithStage();
      const file = catalogue();
      EnterpriseCatalogueRemediations.applyTo(app, { catalogue: file });
      const { pack, error } = synth(app, file);
      expect(pack.evaluations[0]).toMatchObject({
        stackId: 'Prod/Workload',
        status: 'non-compliant',
        reason: expect.stringContaining(
          'EnterpriseCatalogueRemediations was added to the App but never reached',
        ),
      });
      expect(error?.message).toContain(
        'EnterpriseCatalogueRemediations was added to the App but never reached this stack',
      );
      expect(error?.message).toContain('EnterpriseCatalogueRemediations.applyTo(stage, props)');
    });

    it('remediates a Stage when applied to it', () => {
      const { app, stage } = appWithStage();
      const file = catalogue();
      EnterpriseCatalogueRemediations.applyTo(stage, { catalogue: file });
      const { pack, error } = synth(app, file);
      expect(error).toBeUndefined();
      expect(pack.evaluations[0].status).toBe('remediated');
    });
  });

  it('remediates only under the Stack it was added to', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Fixed'), 'Key');
    new kms.Key(new Stack(app, 'Other'), 'Key');
    const file = catalogue();
    EnterpriseCatalogueRemediations.applyTo(app.node.findChild('Fixed'), { catalogue: file });
    const { pack } = synth(app, file);
    expect(pack.evaluations.map((e) => [e.stackId, e.status])).toEqual([
      ['Fixed', 'remediated'],
      ['Other', 'non-compliant'],
    ]);
  });

  it('reads environment inputs from context set on a Stage', () => {
    const app = newApp();
    const stage = new Stage(app, 'Prod', { env: { account: '222222222222', region: 'eu-west-1' } });
    stage.node.setContext('cdk-catalogue:vpc', {
      '*': { vpcId: 'vpc-0123456789abcdef0', subnetIds: ['subnet-0123456789abcdef0'] },
    });
    new lambda.Function(new Stack(stage, 'Workload'), 'Fn', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    EnterpriseCatalogueRemediations.applyTo(stage, { rating: 'C3I3A3' });
    const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3', reportOnly: true });
    Aspects.of(app).add(pack);
    app.synth();
    expect(pack.evaluations.find((e) => e.controlId === 'Lambda.1')).toMatchObject({
      status: 'remediated',
      changes: expect.arrayContaining(['set VpcConfig.SubnetIds to the configured subnets']),
    });
  });

  it('runs at MUTATING priority even when added with a plain Aspects.of().add(), before read-only Aspects', () => {
    const app = newApp();
    new kms.Key(new Stack(app, 'Workload'), 'Key');
    const file = catalogue();
    // A user's read-only Aspect, added first at DEFAULT priority, records what it sees on the key.
    const seen: unknown[] = [];
    const reader: IAspect = {
      visit: (node) => {
        if (node instanceof kms.CfnKey) seen.push(node.enableKeyRotation);
      },
    };
    Aspects.of(app).add(reader);
    const remediations = new EnterpriseCatalogueRemediations({ catalogue: file });
    Aspects.of(app).add(remediations);
    app.synth();
    expect(Aspects.of(app).applied.find((a) => a.aspect === remediations)?.priority).toBe(
      AspectPriority.MUTATING,
    );
    expect(seen).toEqual([true]);
  });
});
