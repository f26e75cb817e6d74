import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { parse } from 'yaml';
import { buildExampleApp } from '../examples/pipeline-app/app';
import { EnterpriseCatalogueChecks } from '../src';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'lib', 'cli', 'main.js');
const HAS_MKFIFO = spawnSync('mkfifo', ['--version']).error === undefined;

/** The real CLI, as installed users run it: the compiled lib/cli/main.js in a child process. */
function cli(...args: string[]) {
  // A time limit, so that a CLI blocked on its input fails the test instead of hanging it.
  const result = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
  });
});

describe('cdk-catalogue validate', () => {
  it('accepts the shipped catalogue and lists its controls', () => {
    const { code, stdout } = cli('validate');
    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^Enterprise service catalogue 2026\.11\.0: 39 controls in 19 file\(s\), baseline 95%/,
    );
    expect(stdout).toMatch(/Enterprise-S3\.2 +error +applies I2 or A2 +S3 buckets are versioned/);
  });

  it('rejects a malformed catalogue with file:line:column problems and no stack trace', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(
      file,
      'apiVersion: cdk-catalogue-checks/v1\ncontrols:\n  - id: KMS.1\n    title: t\n    rule: key-rotaton\n    severity: error\n',
    );
    const { code, stderr, stdout } = cli('validate', file);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toContain(`${file}:5:11: unknown rule 'key-rotaton' (did you mean 'key-rotation'?)`);
    expect(stderr).toContain(`${file}:1:1: the catalogue has no 'metadata' section`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  (HAS_MKFIFO ? it : it.skip)('refuses a FIFO named *.yaml without opening it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    const { code, stderr } = cli('validate', dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${path.join(dir, 'pipe.yaml')}:1:1: this is a named pipe (FIFO), not a regular file`,
    );
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints one line per hostile input: a backreference, an alias bomb, a code tag, non-UTF-8 bytes', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-'));
    const control = (params: string) =>
      `apiVersion: cdk-catalogue-checks/v1\ncontrols:\n  - id: CodeBuild.2\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n${params}`;
    fs.writeFileSync(
      path.join(dir, 'a.yaml'),
      control(`    params:\n      allowedUrlPattern: '^(https)://\\1'\n`),
    );
    const laughs = ['x:', '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (const [name, previous] of ['ba', 'cb', 'dc', 'ed', 'fe', 'gf'])
      laughs.push(`  ${name}: &${name} [${Array(9).fill(`*${previous}`).join(', ')}]`);
    fs.writeFileSync(path.join(dir, 'b.yaml'), `${laughs.join('\n')}\n`);
    fs.writeFileSync(path.join(dir, 'c.yaml'), control(`    description: !!js/function 'function () {}'\n`));
    fs.writeFileSync(
      path.join(dir, 'd.yaml'),
      Buffer.from(control('    description: d\xe9j\xe0\n'), 'latin1'),
    );
    const { code, stderr } = cli('validate', dir);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(1);
    const at = (file: string) => `  ${path.join(dir, file)}`;
    expect(stderr.trim().split('\n')).toEqual([
      'The catalogue has 6 problems:',
      `${at('a.yaml')}:1:1: the catalogue has no 'metadata' section; add it to one of its files`,
      `${at('a.yaml')}:1:1: the catalogue has no 'baseline' section; add it to one of its files`,
      `${at('a.yaml')}:8:26: controls[0] (CodeBuild.2) params.allowedUrlPattern '^(https)://\\1' is not a valid regular expression (RE2 syntax): it uses a backreference \`\\1\`, which the catalogue's linear-time matcher (RE2) does not support`,
      `${at('b.yaml')}:7:10: aliases expand this file by more than 100000 values (an alias bomb?)`,
      `${at('c.yaml')}:7:18: unknown tag '!!js/function': a catalogue is plain YAML, whose only tags are !!str, !!int, !!float, !!bool, !!null, !!map, !!seq`,
      `${at('d.yaml')}:7:19: the file is not UTF-8 text: byte 0xe9 here is not valid UTF-8`,
    ]);
  });

  it('exits non-zero with one readable line on an unknown command', () => {
    const { code, stderr } = cli('valdate');
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')[0]).toBe("error: unknown command 'valdate'");
  });
});

describe('cdk-catalogue docs', () => {
  it('prints the catalogue as Markdown, one section per control', () => {
    const { code, stdout } = cli('docs');
    expect(code).toBe(0);
    expect(stdout).toMatch(/^## Enterprise service catalogue 2026\.11\.0\n/);
    expect(stdout.match(/^### Enterprise-/gm)).toHaveLength(39);
    expect(stdout).toContain('### Enterprise-KMS.1: KMS keys rotate\n');
  });
});

/** Synthesizes the example pipeline app into a fresh cdk.out with the pack (report-only), as `cdk synth` would. */
function synthExample(rating: string) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-check-'));
  const { app } = buildExampleApp({
    crossAccountKeys: true,
    appProps: { outdir, builtinCloudFormationValidation: false },
  });
  const pack = new EnterpriseCatalogueChecks({ rating, reportOnly: true });
  Aspects.of(app).add(pack);
  app.synth();
  return { outdir, pack };
}

type Row = { stackId: string; logicalId: string; controlId: string; status: string };
const rows = (evaluations: readonly Row[], withStack = true) =>
  evaluations
    .map((e) => `${withStack ? `${e.stackId} ` : ''}${e.logicalId} ${e.controlId} ${e.status}`)
    .sort((a, b) => a.localeCompare(b));

describe('cdk-catalogue check', () => {
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  const example = synthExample('C3I3A3');

  it("gives exactly the pack's verdicts on the example app's cdk.out, and exits 1 on its findings", () => {
    const { code, stdout, stderr } = cli('check', example.outdir, '--rating', 'C3I3A3', '--format', 'json');
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(rows(report.evaluations)).toEqual(rows(example.pack.evaluations));
    expect(report.evaluations.filter((e: Row) => e.status === 'non-compliant').length).toBe(40);
  });

  it('holds each stack to the rating recorded at synth when no --rating is given', () => {
    const lenient = synthExample('C1I1A1');
    const { stdout } = cli('check', lenient.outdir, '--format', 'json');
    const report = JSON.parse(stdout);
    expect(rows(report.evaluations)).toEqual(rows(lenient.pack.evaluations));
    expect(new Set(report.stacks.map((s: { rating: string }) => s.rating))).toEqual(new Set(['C1I1A1']));
  });

  it('gives the same verdicts on the template files alone', () => {
    const templates = fs
      .readdirSync(example.outdir, { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.template.json'))
      .map((file) => path.join(example.outdir, file));
    const { stdout } = cli('check', ...templates, '--rating', 'C3I3A3', '--format', 'json');
    expect(rows(JSON.parse(stdout).evaluations, false)).toEqual(rows(example.pack.evaluations, false));
  });

  it('reads YAML templates with short-form intrinsics as their JSON equivalents', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-yaml-'));
    fs.writeFileSync(
      path.join(dir, 'app.yaml'),
      [
        'Conditions:',
        '  IsProd: !Equals [!Ref Env, prod]',
        'Parameters:',
        '  Env: { Type: String }',
        'Resources:',
        '  Key: { Type: AWS::KMS::Key, Properties: { EnableKeyRotation: !If [IsProd, true, false] } }',
        '  Topic:',
        '    Type: AWS::SNS::Topic',
        '    Properties: { KmsMasterKeyId: !GetAtt Key.Arn }',
        '  Queue:',
        '    Type: AWS::SQS::Queue',
        '    Properties: { KmsMasterKeyId: !Sub "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/aws/sqs" }',
      ].join('\n'),
    );
    const { code, stdout } = cli('check', path.join(dir, 'app.yaml'), '--format', 'json');
    expect(code).toBe(1);
    const byResource = Object.fromEntries(
      JSON.parse(stdout).evaluations.map((e: Row & { message?: string }) => [
        `${e.logicalId} ${e.controlId}`,
        e,
      ]),
    );
    expect(byResource['Key KMS.1']).toMatchObject({
      status: 'non-compliant',
      message: expect.stringMatching(/when condition IsProd is false/),
    });
    expect(byResource['Topic Encryption.1']).toMatchObject({ status: 'compliant' });
    expect(byResource['Queue Encryption.1']).toMatchObject({ status: 'non-compliant' });
  });

  it.each([
    [
      'text',
      (out: string) => {
        expect(out).toMatch(/Enterprise-KMS\.1 non-compliant/);
        // Piped, so no colour.
        expect(out).not.toContain(String.fromCharCode(27));
      },
    ],
    ['markdown', (out: string) => expect(out).toMatch(/^\|.*Encryption\.1.*\|$/m)],
    ['sarif', (out: string) => expect(JSON.parse(out).version).toBe('2.1.0')],
    ['junit', (out: string) => expect(out).toMatch(/^<\?xml/)],
    ['csv', (out: string) => expect(out.split('\n')[0]).toMatch(/^stack,constructPath,logicalId,/)],
  ])('writes %s', (format, expectations) => {
    const { stdout, stderr } = cli('check', example.outdir, '--rating', 'C3I3A3', '--format', format);
    expect(stderr).toBe('');
    expectations(stdout);
  });

  it('checks a 10,000-resource template rather than refusing it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-large-'));
    const template = path.join(dir, 'large.json');
    const resources = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [
        `Key${i}`,
        { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: i > 0 } },
      ]),
    );
    fs.writeFileSync(template, JSON.stringify({ Resources: resources }));
    const { code, stdout } = cli('check', template, '--format', 'json');
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.evaluations).toHaveLength(10_000);
    expect(
      report.evaluations.filter((e: Row) => e.status === 'non-compliant').map((e: Row) => e.logicalId),
    ).toEqual(['Key0']);
  });

  it('writes to --output and exits 0 on a clean app', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-clean-'));
    const template = path.join(dir, 'clean.json');
    fs.writeFileSync(
      template,
      JSON.stringify({
        Resources: { Key: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } } },
      }),
    );
    const output = path.join(dir, 'report.sarif');
    const { code, stdout } = cli('check', template, '--format', 'sarif', '--output', output);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(JSON.parse(fs.readFileSync(output, 'utf8')).runs[0].results).toEqual([]);
  });

  it.each([
    ['a missing path', () => ['/nonexistent/cdk.out'], /\/nonexistent\/cdk\.out/],
    ['an empty directory', () => [fs.mkdtempSync(path.join(os.tmpdir(), 'cli-empty-'))], /manifest\.json/],
    [
      'corrupt JSON',
      () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bad-')), 'bad.json');
        fs.writeFileSync(file, '{"Resources": {');
        return [file];
      },
      /bad\.json/,
    ],
    [
      'YAML that is not CloudFormation',
      () => {
        const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-bad-')), 'list.yaml');
        fs.writeFileSync(file, '- a\n- b\n');
        return [file];
      },
      /list\.yaml/,
    ],
    ['an unknown format', () => [example.outdir, '--format', 'pdf'], /pdf/],
    ['an invalid rating', () => [example.outdir, '--rating', 'C9'], /C9/],
  ])('exits 2 with one readable line on %s', (_name, args, mentions) => {
    const { code, stdout, stderr } = cli('check', ...args());
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(mentions);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});

describe('cdk-catalogue report', () => {
  it("renders the record the pack wrote at synth, in any format, with the gate's exit code", () => {
    const { outdir, pack } = synthExample('C3I3A3');
    const json = cli('report', outdir, '--format', 'json');
    expect(json.code).toBe(1);
    expect(rows(JSON.parse(json.stdout).evaluations)).toEqual(rows(pack.evaluations));
    const markdown = cli('report', outdir, '--format', 'markdown');
    expect(markdown.stdout).toMatch(/Enterprise-CodePipeline\.1/);
  });

  it('exits 2 with one line when the assembly has no report', () => {
    const { code, stderr } = cli('report', fs.mkdtempSync(path.join(os.tmpdir(), 'cli-none-')));
    expect(code).toBe(2);
    expect(stderr).toMatch(/no catalogue report here/);
  });
});

describe('the pre-commit hooks for consumers (.pre-commit-hooks.yaml)', () => {
  const hooks = parse(fs.readFileSync(path.join(ROOT, '.pre-commit-hooks.yaml'), 'utf8')) as Array<{
    id: string;
    entry: string;
    args: string[];
  }>;

  it('offers catalogue-validate and catalogue-check', () => {
    expect(hooks.map((hook) => hook.id)).toEqual(['catalogue-validate', 'catalogue-check']);
  });

  it.each([
    ['catalogue-validate', () => [path.join(ROOT, 'catalogue')], 0],
    ['catalogue-check', () => [synthExample('C3I3A3').outdir], 1],
  ])('%s runs the installed command as written', (id, args, expected) => {
    const hook = hooks.find((h) => h.id === id)!;
    const [command, ...words] = hook.entry.split(' ');
    expect(command).toBe('cdk-catalogue');
    expect(cli(...words, ...args()).code).toBe(expected);
  });
});
