import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadCatalogue } from '../../src';
import { DEFAULT_CATALOGUE_PATH } from '../../src/catalogue/load';
import { readPrebuiltCatalogue, writePrebuiltCatalogue } from '../../src/catalogue/prebuilt';

/**
 * The shipped catalogue as `npm run build` keeps it: the model the loader makes of the YAML, read
 * back only while the YAML is the same, wherever the package is installed.
 */

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prebuilt-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of the shipped catalogue's YAML in `tmp/<name>`. */
function copyOfShipped(name: string): string {
  const copy = path.join(tmp, name);
  fs.cpSync(DEFAULT_CATALOGUE_PATH, copy, { recursive: true });
  return copy;
}

describe('the prebuilt shipped catalogue', () => {
  it('reads back as the loader reads the YAML, with the paths of the directory it is installed in', () => {
    const built = copyOfShipped('built');
    const file = path.join(tmp, 'shipped-catalogue.json');
    writePrebuiltCatalogue(built, loadCatalogue(built), file);
    expect(fs.readFileSync(file, 'utf8')).not.toContain(built);

    // Installed elsewhere: the same bytes in another directory.
    const installed = copyOfShipped('installed');
    expect(readPrebuiltCatalogue(installed, file)).toEqual(loadCatalogue(installed));
    expect(readPrebuiltCatalogue(installed, file)!.controls[0].source.file).toBe(
      path.join(installed, path.basename(loadCatalogue(installed).controls[0].source.file)),
    );
  });

  it.each([
    ['a file edited', (dir: string) => fs.appendFileSync(path.join(dir, 's3.yaml'), '# edited\n')],
    [
      'a file added',
      (dir: string) =>
        fs.writeFileSync(
          path.join(dir, 'zz-extra.yaml'),
          'apiVersion: cdk-catalogue-checks/v1\ncontrols: []\n',
        ),
    ],
    ['a file removed', (dir: string) => fs.rmSync(path.join(dir, 'efs.yaml'))],
    [
      'a file renamed',
      (dir: string) => fs.renameSync(path.join(dir, 'efs.yaml'), path.join(dir, 'efs2.yaml')),
    ],
  ])('is not used after %s: the YAML is read and validated instead', (_name, change) => {
    const dir = copyOfShipped('catalogue');
    const file = path.join(tmp, 'shipped-catalogue.json');
    writePrebuiltCatalogue(dir, loadCatalogue(dir), file);
    change(dir);
    expect(readPrebuiltCatalogue(dir, file)).toBeUndefined();
  });

  it('is not used when the package was not built (no file)', () => {
    expect(readPrebuiltCatalogue(copyOfShipped('catalogue'), path.join(tmp, 'missing.json'))).toBeUndefined();
  });
});
