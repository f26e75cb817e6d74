import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'lib', 'cli', 'main.js');

/** The real CLI, as installed users run it: the compiled lib/cli/main.js in a child process. */
function cli(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
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
