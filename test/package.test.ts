import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function devVersion(name: string): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/**
 * The published artifact, not the source tree: `npm pack`, install the tarball into a fresh CDK
 * app, and synthesize it there with a plain `node app.js`, as a user's `cdk synth` would.
 */
describe('the npm package', () => {
  let appDir: string;

  beforeAll(() => {
    appDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-app-'));
    const packed = execFileSync(NPM, ['pack', '--json', '--pack-destination', appDir], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    const tarball = JSON.parse(packed.slice(packed.indexOf('[')))[0].filename as string;
    fs.writeFileSync(
      path.join(appDir, 'package.json'),
      JSON.stringify({
        name: 'fresh-cdk-app',
        private: true,
        dependencies: {
          'cdk-catalogue-checks': `file:./${path.basename(tarball)}`,
          'aws-cdk-lib': devVersion('aws-cdk-lib'),
          constructs: devVersion('constructs'),
          'cdk-nag': devVersion('cdk-nag'),
        },
      }),
    );
    execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: appDir,
      stdio: 'pipe',
    });
  });

  afterAll(() => fs.rmSync(appDir, { recursive: true, force: true }));

  it('ships the compiled code, types, catalogue and schema, and no sources or tests', () => {
    const installed = path.join(appDir, 'node_modules', 'cdk-catalogue-checks');
    for (const file of [
      'lib/index.js',
      'lib/index.d.ts',
      'catalogue/kms.yaml',
      'lib/catalogue/shipped-catalogue.json',
      'schema/catalogue.schema.json',
      'LICENSE',
    ]) {
      expect(fs.existsSync(path.join(installed, file))).toBe(true);
    }
    expect(fs.existsSync(path.join(installed, 'src'))).toBe(false);
    expect(fs.existsSync(path.join(installed, 'test'))).toBe(false);
  });

  it('fails a synth of a non-compliant app with the finding, and passes once it is fixed', () => {
    const app = (rotate: boolean) => `
      const { App, Aspects, Stack, aws_kms: kms } = require('aws-cdk-lib');
      const { EnterpriseCatalogueChecks, loadCatalogue } = require('cdk-catalogue-checks');
      const app = new App({ builtinCloudFormationValidation: false });
      new kms.Key(new Stack(app, 'Workload'), 'Key', { enableKeyRotation: ${rotate} });
      Aspects.of(app).add(new EnterpriseCatalogueChecks({ catalogue: loadCatalogue(), rating: 'C1I1A1' }));
      app.synth();
      console.log('synthesized');
    `;
    fs.writeFileSync(path.join(appDir, 'bad.js'), app(false));
    fs.writeFileSync(path.join(appDir, 'good.js'), app(true));
    const bad = spawnSync(process.execPath, ['bad.js'], {
      cwd: appDir,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain('[Enterprise-KMS.1] KMS keys rotate: EnableKeyRotation is false');
    const good = spawnSync(process.execPath, ['good.js'], {
      cwd: appDir,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    });
    expect(good.stderr).toBe('');
    expect(good.stdout.trim()).toBe('synthesized');
    expect(good.status).toBe(0);
  });

  it("loads cdk-nag's NagPack and none of the packs cdk-nag ships, and its pack is cdk-nag's NagPack", () => {
    const script = `
      require('aws-cdk-lib');
      const loaded = () => Object.keys(require.cache).filter((file) => file.includes('/node_modules/cdk-nag/'));
      const { EnterpriseCatalogueChecks } = require('cdk-catalogue-checks');
      const byThePackage = loaded().map((file) => file.replace(/.*\\/node_modules\\/cdk-nag\\//, ''));
      const { NagPack } = require('cdk-nag');
      console.log(JSON.stringify({ byThePackage, isNagPack: new EnterpriseCatalogueChecks() instanceof NagPack }));
    `;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: appDir, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      byThePackage: ['lib/nag-pack.js', 'lib/nag-rules.js'],
      isNagPack: true,
    });
  });

  it('loads the shipped catalogue from the model prebuilt when the package was built', () => {
    const script = `
      const path = require('path');
      const lib = path.dirname(require.resolve('cdk-catalogue-checks'));
      const { readPrebuiltCatalogue } = require(path.join(lib, 'catalogue', 'prebuilt.js'));
      const { DEFAULT_CATALOGUE_PATH } = require(path.join(lib, 'catalogue', 'load.js'));
      const prebuilt = readPrebuiltCatalogue(path.resolve(DEFAULT_CATALOGUE_PATH));
      console.log(JSON.stringify({ controls: prebuilt.controls.length, file: prebuilt.controls[0].source.file }));
    `;
    const result = spawnSync(process.execPath, ['-e', script], { cwd: appDir, encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const { controls, file } = JSON.parse(result.stdout) as { controls: number; file: string };
    expect(controls).toBe(39);
    // The paths are those of the installed package, not of the machine that built it.
    expect(fs.realpathSync(file)).toBe(
      fs.realpathSync(
        path.join(appDir, 'node_modules', 'cdk-catalogue-checks', 'catalogue', path.basename(file)),
      ),
    );
  });

  it('installs the cdk-catalogue command', () => {
    const result = spawnSync(path.join(appDir, 'node_modules', '.bin', 'cdk-catalogue'), ['validate'], {
      encoding: 'utf8',
    });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/39 controls/);
  });

  it('installs for CLI-only use without aws-cdk-lib, and checks a template', () => {
    const cliOnly = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-only-'));
    const tarball = fs.readdirSync(appDir).find((file) => file.endsWith('.tgz'))!;
    fs.copyFileSync(path.join(appDir, tarball), path.join(cliOnly, tarball));
    fs.writeFileSync(
      path.join(cliOnly, 'package.json'),
      JSON.stringify({
        name: 'python-team-ci',
        private: true,
        dependencies: { 'cdk-catalogue-checks': `file:./${tarball}` },
      }),
    );
    execFileSync(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], {
      cwd: cliOnly,
      stdio: 'pipe',
    });
    for (const peer of ['aws-cdk-lib', 'constructs', 'cdk-nag'])
      expect(fs.existsSync(path.join(cliOnly, 'node_modules', peer))).toBe(false);
    const template = path.join(cliOnly, 'template.json');
    fs.writeFileSync(template, JSON.stringify({ Resources: { Key: { Type: 'AWS::KMS::Key' } } }));
    const result = spawnSync(
      path.join(cliOnly, 'node_modules', '.bin', 'cdk-catalogue-checks'),
      ['check', template],
      {
        encoding: 'utf8',
      },
    );
    fs.rmSync(cliOnly, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/Enterprise-KMS\.1 non-compliant/);
    expect(result.status).toBe(1);
  });
});
