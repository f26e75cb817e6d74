import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

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
      /^Enterprise service catalogue 2026\.11\.0: 8 controls in 7 file\(s\), baseline 95%/,
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
    expect(stdout.match(/^### Enterprise-/gm)).toHaveLength(8);
    expect(stdout).toContain('### Enterprise-KMS.1: KMS keys rotate\n');
  });
});
