import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  App,
  Aspects,
  aws_kms as kms,
  aws_s3 as s3,
  aws_sqs as sqs,
  CfnResource,
  NestedStack,
  Stack,
  Stage,
  Validations,
} from 'aws-cdk-lib';
import { buildExampleApp } from '../../examples/pipeline-app/app';
import { InputError, readCloudAssembly, readTemplateFiles } from '../../src/assembly';
import { loadCatalogue } from '../../src/catalogue/load';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { evaluate, Evaluation } from '../../src/engine/evaluate';
import { EnterpriseCatalogueChecks } from '../../src';
import { governed, silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'assembly-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const catalogue = loadCatalogue();
const OPTIONS = { rating: STRICTEST_RATING, ratingSource: 'props' as const, packName: 'Enterprise' };

/** The CLI's context flags: `aws:cdk:path` and `aws:asset:path` in the templates, as `cdk synth` writes them. */
const CLI_CONTEXT = { 'aws:cdk:enable-path-metadata': true, 'aws:cdk:enable-asset-metadata': true };

function newApp(context: Record<string, unknown> = {}): App {
  return new App({
    builtinCloudFormationValidation: false,
    outdir: fs.mkdtempSync(path.join(tmp, 'out-')),
    context,
  });
}

/**
 * Synthesizes with the pack registered (explicit rating) and returns its evaluations, also when a
 * refused waiver fails the synth.
 */
function synthWithPack(app: App): readonly Evaluation[] {
  const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3', reportOnly: true });
  Aspects.of(app).add(pack);
  synthError(app);
  return pack.evaluations;
}

/** What the comparison is about: which control, on which resource of which stack, says what (and who waived it). */
function verdicts(evaluations: readonly Evaluation[]): string[] {
  return evaluations
    .map(
      (e) =>
        `${e.stackId} ${e.logicalId} ${e.controlId} ${e.status} ${e.waiver?.acknowledgedAt ?? ''} ${e.refusedWaiver?.refusedBecause ?? ''}`,
    )
    .sort();
}

function check(outdir: string): readonly Evaluation[] {
  const input = readCloudAssembly(outdir, OPTIONS);
  return evaluate({ catalogue, stacks: input.stacks, waiverFor: input.waiverFor });
}

/**
 * A top-level stack with a bucket, a key and nested stacks two deep, a Stage with a stack, a Stage
 * inside a stack, an environment-agnostic stack, and acknowledgements in both forms at several levels.
 */
function buildMixedApp(app: App): void {
  const stack = new Stack(app, 'Plain', { env: { account: '111111111111', region: 'eu-west-1' } });
  const bucket = new s3.Bucket(stack, 'Bucket');
  Validations.of(bucket).acknowledge({ id: 'Enterprise::Enterprise-S3.1', reason: governed('qualified') });
  Validations.of(stack).acknowledge({ id: 'Enterprise-S3.2', reason: governed('bare') });
  new kms.Key(stack, 'Key', { enableKeyRotation: false });
  const outer = new NestedStack(stack, 'Outer');
  new sqs.Queue(outer, 'Queue');
  const inner = new NestedStack(outer, 'Inner');
  const deep = new s3.Bucket(inner, 'Deep');
  Validations.of(inner).acknowledge({ id: 'Enterprise::Enterprise-S3.2', reason: governed('nested') });
  Validations.of(deep).acknowledge({
    id: 'Enterprise-Encryption.1',
    reason: governed('bare on a nested resource'),
  });
  const stage = new Stage(app, 'UAT', { env: { account: '222222222222', region: 'eu-west-1' } });
  new s3.Bucket(new Stack(stage, 'AppStack'), 'Bucket');
  const host = new Stack(app, 'Host');
  const stageInStack = new Stage(host, 'Inner');
  Validations.of(stageInStack).acknowledge({
    id: 'Enterprise::Enterprise-S3.1',
    reason: governed('whole stage'),
  });
  new s3.Bucket(new Stack(stageInStack, 'Workload'), 'Bucket');
}

describe('readCloudAssembly on real synthesized apps', () => {
  it.each([
    ['a plain app.synth()', {}],
    ['cdk synth (path and asset metadata)', CLI_CONTEXT],
  ])('reads every stack by construct path, with environments and nested links (%s)', (_name, context) => {
    const app = newApp(context);
    buildMixedApp(app);
    app.synth();
    const input = readCloudAssembly(app.outdir, OPTIONS);
    const summary = input.stacks.map(({ stackId, account, region, parent }) => ({
      stackId,
      account,
      region,
      // The object keys are checked by the gate's TemplateURL test.
      parent: parent && { stackId: parent.stackId, logicalId: parent.logicalId },
    }));
    const plainNestedLogicalId = Object.keys(
      input.stacks.find((s) => s.stackId === 'Plain')!.template.Resources!,
    ).find((id) => id.startsWith('OuterNestedStack'));
    const innerLogicalId = Object.keys(
      input.stacks.find((s) => s.stackId === 'Plain/Outer')!.template.Resources!,
    ).find((id) => id.startsWith('InnerNestedStack'));
    const env = { account: '111111111111', region: 'eu-west-1' };
    expect(summary).toEqual(
      expect.arrayContaining([
        { stackId: 'Plain', ...env, parent: undefined },
        { stackId: 'Plain/Outer', ...env, parent: { stackId: 'Plain', logicalId: plainNestedLogicalId } },
        {
          stackId: 'Plain/Outer/Inner',
          ...env,
          parent: { stackId: 'Plain/Outer', logicalId: innerLogicalId },
        },
        { stackId: 'UAT/AppStack', account: '222222222222', region: 'eu-west-1', parent: undefined },
        { stackId: 'Host', account: undefined, region: undefined, parent: undefined },
        { stackId: 'Host/Inner/Workload', account: undefined, region: undefined, parent: undefined },
      ]),
    );
    expect(summary).toHaveLength(6);
    expect(input.templateFiles.get('UAT/AppStack')).toBe(
      path.join('assembly-UAT', 'UATAppStack7E206DEC.template.json'),
    );
    expect(input.templateFiles.get('Plain/Outer/Inner')).toMatch(
      /^PlainOuterInner[0-9A-F]{8}\.nested\.template\.json$/,
    );
  });

  it.each([
    ['a plain app.synth()', {}],
    ['cdk synth (path and asset metadata)', CLI_CONTEXT],
  ])('gives exactly the pack evaluations, waivers included (%s)', (_name, context) => {
    const app = newApp(context);
    buildMixedApp(app);
    const fromPack = synthWithPack(app);
    const fromCheck = check(app.outdir);
    expect(verdicts(fromCheck)).toEqual(verdicts(fromPack));
    // The acknowledgements did waive something, in both forms and at each level.
    const waivedAt = new Set(
      fromCheck.filter((e) => e.status === 'waived').map((e) => e.waiver!.acknowledgedAt),
    );
    expect([...waivedAt].sort()).toEqual([
      'Plain',
      'Plain/Bucket',
      'Plain/Outer/Inner',
      'Plain/Outer/Inner/Deep',
    ]);
    // A Stage inside a stack is a Stage to both: wider than the default widestScope, so refused.
    const refused = fromCheck.filter((e) => e.refusedWaiver).map((e) => e.refusedWaiver!);
    expect(refused).toEqual([
      expect.objectContaining({
        acknowledgedAt: 'Host/Inner',
        scope: 'stage',
        refusedBecause: expect.stringMatching(/it is made on a Stage/),
      }),
    ]);
  });

  it.each([true, false])(
    'gives exactly the pack evaluations on the example CDK Pipelines app (crossAccountKeys: %s)',
    (crossAccountKeys) => {
      const { app } = buildExampleApp({
        crossAccountKeys,
        appProps: {
          builtinCloudFormationValidation: false,
          outdir: fs.mkdtempSync(path.join(tmp, 'example-')),
        },
      });
      const fromPack = synthWithPack(app);
      const fromCheck = check(app.outdir);
      expect(fromCheck.filter((e) => e.status === 'non-compliant').length).toBeGreaterThan(20);
      expect(verdicts(fromCheck)).toEqual(verdicts(fromPack));
      expect(new Set(fromCheck.map((e) => e.stackId))).toEqual(
        new Set(['Pipeline', 'Pipeline/UAT/AppStack', 'Pipeline/Prod/AppStack']),
      );
    },
  );
});

describe('readTemplateFiles on the example app templates', () => {
  it.each([true, false])(
    'gives the pack evaluations, stack ids being file names (crossAccountKeys: %s)',
    (crossAccountKeys) => {
      const { app } = buildExampleApp({
        crossAccountKeys,
        appProps: {
          builtinCloudFormationValidation: false,
          outdir: fs.mkdtempSync(path.join(tmp, 'example-')),
        },
      });
      const fromPack = synthWithPack(app);
      const assembly = readCloudAssembly(app.outdir, OPTIONS);
      const files = [...assembly.templateFiles.values()].map((file) => path.join(app.outdir, file));
      const input = readTemplateFiles(files, OPTIONS);
      const stackIdOfFile = new Map(
        [...assembly.templateFiles].map(([stackId, file]) => [
          path.basename(file).replace(/\.template\.json$/, ''),
          stackId,
        ]),
      );
      const fromFiles = evaluate({ catalogue, stacks: input.stacks, waiverFor: input.waiverFor }).map(
        (e) => ({
          ...e,
          stackId: stackIdOfFile.get(e.stackId) ?? e.stackId,
        }),
      );
      expect(verdicts(fromFiles)).toEqual(verdicts(fromPack));
    },
  );
});

describe('nested stack templates', () => {
  function synthNested(context: Record<string, unknown> = {}): App {
    const app = newApp(context);
    const stack = new Stack(app, 'Parent');
    const nested = new NestedStack(stack, 'Child');
    new kms.Key(nested, 'Key', { enableKeyRotation: false });
    app.synth();
    return app;
  }

  const childFile = (app: App) =>
    fs.readdirSync(app.outdir).find((f) => f.endsWith('.nested.template.json'))!;

  it('finds the template by the name CDK gives it when the metadata does not record it', () => {
    const app = synthNested();
    const metadataFile = path.join(app.outdir, 'Parent.metadata.json');
    const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8'));
    for (const entries of Object.values(metadata) as { type: string }[][])
      entries.splice(0, entries.length, ...entries.filter((e) => e.type !== 'aws:cdk:templateFile'));
    fs.writeFileSync(metadataFile, JSON.stringify(metadata));
    const input = readCloudAssembly(app.outdir, OPTIONS);
    expect(input.stacks.map((s) => s.stackId)).toEqual(['Parent', 'Parent/Child']);
    expect(input.templateFiles.get('Parent/Child')).toBe(childFile(app));
  });

  it('leaves a nested stack whose template is missing unopened: its resource in the parent is unverifiable', () => {
    const app = synthNested(CLI_CONTEXT);
    fs.renameSync(path.join(app.outdir, childFile(app)), path.join(app.outdir, 'elsewhere.json'));
    const input = readCloudAssembly(app.outdir, OPTIONS);
    expect(input.stacks.map((s) => s.stackId)).toEqual(['Parent']);
    const evaluations = evaluate({ catalogue, stacks: input.stacks, waiverFor: input.waiverFor });
    expect(evaluations.find((e) => e.controlId === 'KMS.1')).toMatchObject({
      status: 'unverifiable',
      resourceType: 'AWS::CloudFormation::Stack',
    });
  });
});

describe('acknowledgements cannot be stretched through metadata', () => {
  /** A key that breaks KMS.1 and an acknowledged construct that claims to be it. */
  function forgedApp(forge: (key: kms.Key, acknowledged: Stack | NestedStack | kms.Key) => void): App {
    const app = newApp();
    const stack = new Stack(app, 'Workload');
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: false });
    const acknowledged = new kms.Key(stack, 'Acknowledged', { enableKeyRotation: false });
    Validations.of(acknowledged).acknowledge({
      id: 'Enterprise::Enterprise-KMS.1',
      reason: governed('legacy'),
    });
    forge(key, acknowledged);
    return app;
  }

  it.each([
    [
      'a second aws:cdk:logicalId entry naming the key on the acknowledged construct',
      (key: kms.Key, acknowledged: kms.Key) =>
        acknowledged.node.addMetadata(
          'aws:cdk:logicalId',
          Stack.of(key).resolve((key.node.defaultChild as CfnResource).logicalId),
        ),
    ],
    [
      // The pack reads logical ids from the assembly's metadata: only the entry a resource recorded of
      // itself counts, not one that carries another resource's logical-id token.
      "an aws:cdk:logicalId entry holding the key's own logical-id token on the acknowledged resource",
      (key: kms.Key, acknowledged: kms.Key) =>
        acknowledged.node.defaultChild!.node.addMetadata(
          'aws:cdk:logicalId',
          (key.node.defaultChild as CfnResource).logicalId,
        ),
    ],
    [
      'an aws:cdk:path in the key resource pointing at the acknowledged construct',
      (key: kms.Key, acknowledged: kms.Key) =>
        (key.node.defaultChild as CfnResource).addMetadata('aws:cdk:path', acknowledged.node.path),
    ],
  ])('%s waives nothing, as in the pack', (_name, forge) => {
    const app = forgedApp(forge as never);
    const fromPack = synthWithPack(app);
    const fromCheck = check(app.outdir);
    expect(verdicts(fromCheck)).toEqual(verdicts(fromPack));
    expect(
      fromCheck
        .filter((e) => e.controlId === 'KMS.1')
        .map((e) => e.status)
        .sort(),
    ).toEqual(['non-compliant', 'waived']);
  });
});

describe('source locations', () => {
  it('gives the line of user code that created a construct and that acknowledged a finding', () => {
    const app = newApp();
    const stack = new Stack(app, 'Workload');
    const keyLine = Number(new Error().stack!.split('\n')[1].match(/:(\d+):\d+\)?$/)![1]) + 1;
    const key = new kms.Key(stack, 'Key', { enableKeyRotation: false });
    Validations.of(key).acknowledge({ id: 'Enterprise-KMS.1', reason: governed('legacy') });
    app.synth();
    const input = readCloudAssembly(app.outdir, OPTIONS);
    const here = expect.stringMatching(/cloud-assembly\.test\.ts$/);
    expect(input.sourceOf('Workload/Key/Resource')).toEqual({ file: here, line: keyLine });
    expect(input.sourceOf('Workload/Key')).toEqual({ file: here, line: keyLine });
    const logicalId =
      input.stacks[0].template.Resources && Object.keys(input.stacks[0].template.Resources)[0];
    expect(input.constructPathOf('Workload', logicalId!)).toBe('Workload/Key/Resource');
    const waiver = input.waiverFor({
      findingId: 'Enterprise-KMS.1',
      stackId: 'Workload',
      logicalId: logicalId!,
    });
    // The assembly's waiver carries the fields of the text, as the pack's does.
    expect(waiver).toEqual({
      id: 'Annotation::Enterprise-KMS.1',
      form: 'bare',
      scope: 'resource',
      reason: 'legacy, accepted by the security team',
      ticket: 'SEC-1',
      expires: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      acknowledgedAt: 'Workload/Key',
      source: { file: here, line: keyLine + 1 },
    });
  });
});

describe('bad cloud assemblies are refused with one line naming the file', () => {
  function synthOne(): string {
    const app = newApp();
    new s3.Bucket(new Stack(app, 'Workload'), 'Bucket');
    const stage = new Stage(app, 'UAT');
    new s3.Bucket(new Stack(stage, 'AppStack'), 'Bucket');
    app.synth();
    return app.outdir;
  }

  it.each<[string, (dir: string) => string, RegExp]>([
    ['a missing directory', (dir) => path.join(dir, 'nope'), /\/nope: no such directory$/],
    [
      'a file instead of a directory',
      (dir) => path.join(dir, 'manifest.json'),
      /manifest\.json: this is not a directory; give the cloud assembly directory \(cdk\.out\), or template files$/,
    ],
    [
      'an empty directory',
      (dir) => fs.mkdtempSync(path.join(dir, 'empty-')),
      /empty-\w+: no manifest\.json, so this is not a cloud assembly \(run cdk synth first, or pass template files\)$/,
    ],
    [
      'a manifest that is cut off',
      (dir) => {
        const text = fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8');
        fs.writeFileSync(path.join(dir, 'manifest.json'), text.slice(0, 200));
        return dir;
      },
      /manifest\.json: not valid JSON \(.*\); a half-written cdk\.out\? run cdk synth again$/,
    ],
    [
      'a manifest naming a template that is missing',
      (dir) => {
        fs.rmSync(path.join(dir, 'Workload.template.json'));
        return dir;
      },
      /manifest\.json: the template of stack 'Workload', Workload\.template\.json, is missing \(a half-written cdk\.out\? run cdk synth again\)$/,
    ],
    [
      'a missing metadata file',
      (dir) => {
        fs.rmSync(path.join(dir, 'Workload.metadata.json'));
        return dir;
      },
      /manifest\.json: the metadata of stack 'Workload', Workload\.metadata\.json, is missing/,
    ],
    [
      'a missing Stage assembly',
      (dir) => {
        fs.rmSync(path.join(dir, 'assembly-UAT'), { recursive: true });
        return dir;
      },
      /assembly-UAT: no such directory$/,
    ],
    [
      'a corrupt template',
      (dir) => {
        fs.writeFileSync(
          path.join(dir, 'assembly-UAT', 'UATAppStack7E206DEC.template.json'),
          '{"Resources": {',
        );
        return dir;
      },
      /assembly-UAT\/UATAppStack7E206DEC\.template\.json:1: not valid JSON: /,
    ],
    [
      'a manifest without stacks',
      (dir) => {
        fs.writeFileSync(
          path.join(dir, 'manifest.json'),
          JSON.stringify({ version: '55.0.0', artifacts: {} }),
        );
        return dir;
      },
      /manifest\.json: the manifest lists no stacks$/,
    ],
  ])('%s', (_name, breakIt, message) => {
    const dir = breakIt(synthOne());
    let error: unknown;
    try {
      readCloudAssembly(dir, OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });
});

describe('the module runs without aws-cdk-lib', () => {
  const CDK_MODULES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];
  afterEach(() => CDK_MODULES.forEach((name) => jest.dontMock(name)));

  it('imports neither aws-cdk-lib, constructs nor cdk-nag, even transitively', async () => {
    await jest.isolateModulesAsync(async () => {
      for (const name of CDK_MODULES) {
        jest.doMock(name, () => {
          throw new Error(`${name} was imported`);
        });
      }
      const assembly = await import('../../src/assembly');
      expect(typeof assembly.readCloudAssembly).toBe('function');
      expect(typeof assembly.readTemplateFiles).toBe('function');
    });
  });
});
