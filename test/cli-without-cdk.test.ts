import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { RULES } from '../src/rules';

/**
 * A Python or Java team's CI runs the CLI on its `cdk.out` without a Node CDK app: the package is
 * installed for its CLI alone, and aws-cdk-lib (an optional peer) is not there. The CLI, the
 * catalogue loader, the engine and every rule's check must then work; only the fixes need CDK.
 */
const ROOT = path.join(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures', 'without-cdk');
const CDK_PACKAGES = ['aws-cdk-lib', 'constructs', 'cdk-nag'];
const TS_NODE = ['-r', 'ts-node/register/transpile-only'];
/** In the source tree aws-cdk-lib is installed (the tests need it): a preload makes it unresolvable. */
const WITHOUT_CDK = [...TS_NODE, '-r', path.join(FIXTURES, 'forbid-cdk.ts')];

function node(args: string[], cwd = ROOT) {
  const env = { ...process.env };
  delete env.NODE_PATH;
  const result = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Probe {
  readonly rules: readonly string[];
  readonly evaluations: ReadonlyArray<{ ruleId: string; status: string; reason?: string; fix: string }>;
  readonly loaded: readonly string[];
}

/** Runs every shipped control on a bare resource of each type, with the modules under `modules`. */
function checkEveryRule(preload: string[], modules: string): Probe {
  const { code, stdout, stderr } = node([...preload, path.join(FIXTURES, 'check-every-rule.ts'), modules]);
  expect(stderr).toBe('');
  expect(code).toBe(0);
  return JSON.parse(stdout) as Probe;
}

function expectEveryRuleChecked(probe: Probe): void {
  expect(probe.loaded).toEqual([]);
  expect(probe.rules).toEqual(RULES.map((rule) => rule.meta.id));
  for (const id of probe.rules) {
    // A bare resource breaks every control but the approval one, which needs a production stage.
    const statuses = probe.evaluations.filter((e) => e.ruleId === id).map((e) => e.status);
    expect([id, statuses.some((s) => s === 'non-compliant' || s === 'not-applicable')]).toEqual([id, true]);
  }
  // The engine turns a check that throws into an unverifiable finding; none may have thrown.
  expect(probe.evaluations.filter((e) => /could not read/.test(e.reason ?? ''))).toEqual([]);
  expect(probe.evaluations.filter((e) => e.status === 'non-compliant').every((e) => e.fix !== '')).toBe(true);
}

function expectCliWorks(run: (...args: string[]) => ReturnType<typeof node>): void {
  const validate = run('validate');
  expect(validate.stderr).toBe('');
  expect(validate.code).toBe(0);
  expect(validate.stdout).toMatch(/^Enterprise service catalogue .*: 39 controls in 19 file\(s\)/);
  const docs = run('docs');
  expect(docs.stderr).toBe('');
  expect(docs.code).toBe(0);
  expect(docs.stdout).toContain('Enterprise-S3.2');
}

describe('in the source tree, with aws-cdk-lib, constructs and cdk-nag unresolvable', () => {
  it('the preload does make them unresolvable', () => {
    for (const name of CDK_PACKAGES) {
      const { code, stderr } = node([...WITHOUT_CDK, '-e', `require(${JSON.stringify(name)})`]);
      expect(code).toBe(1);
      expect(stderr).toContain(`Cannot find module '${name}'`);
    }
  });

  it('the CLI validates and documents the catalogue', () => {
    expectCliWorks((...args) => node([...WITHOUT_CDK, path.join(ROOT, 'src', 'cli', 'main.ts'), ...args]));
  });

  it("the catalogue loader, the engine and every rule's check run, and the findings say how to fix them", () => {
    expectEveryRuleChecked(checkEveryRule(WITHOUT_CDK, path.join(ROOT, 'src')));
  });
});

/**
 * The built package as a CLI-only install sees it: lib/, catalogue/, schema/ and package.json in a
 * directory whose node_modules holds the runtime dependencies but no CDK package.
 */
describe('the built package, installed without aws-cdk-lib', () => {
  let dir: string;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-without-cdk-'));
    // Built into the temporary directory, not lib/, which test/cli.test.ts may be building meanwhile.
    execFileSync(
      process.execPath,
      [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(dir, 'lib')],
      { cwd: ROOT },
    );
    for (const entry of ['catalogue', 'schema', 'package.json']) {
      fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    for (const name of Object.keys(manifest.dependencies ?? {})) {
      if (CDK_PACKAGES.includes(name)) continue;
      // Linked: a dependency's own requires resolve from its real path, as npm would install them.
      const link = path.join(dir, 'node_modules', name);
      fs.mkdirSync(path.dirname(link), { recursive: true });
      fs.symlinkSync(path.join(ROOT, 'node_modules', name), link, 'dir');
    }
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('cannot resolve aws-cdk-lib, constructs or cdk-nag from the package', () => {
    for (const name of CDK_PACKAGES) {
      const { code, stderr } = node(
        ['-e', `require.resolve(${JSON.stringify(name)})`],
        path.join(dir, 'lib'),
      );
      expect(code).toBe(1);
      expect(stderr).toContain(`Cannot find module '${name}'`);
    }
  });

  it('the CLI validates and documents the catalogue', () => {
    expectCliWorks((...args) => node([path.join(dir, 'lib', 'cli', 'main.js'), ...args], dir));
  });

  it("the catalogue loader, the engine and every rule's check run", () => {
    expectEveryRuleChecked(checkEveryRule(TS_NODE, path.join(dir, 'lib')));
  });
});
