import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_CATALOGUE_PATH, loadCatalogue } from '../../src';
import { diffCatalogues } from '../../src/catalogue/diff';

/**
 * `cdk-catalogue diff <old> <new>`: what a change to the catalogue adds, removes, tightens and
 * loosens, for the CISO office's own pull requests. The catalogues are copies of the shipped one,
 * edited as a pull request would.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diff-'));
  fs.cpSync(DEFAULT_CATALOGUE_PATH, path.join(dir, 'catalogue'), { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The shipped catalogue with one file's text replaced, as the new side of a pull request. */
function edited(file: string, from: string | RegExp, to: string): string {
  const target = path.join(dir, 'catalogue', file);
  const before = fs.readFileSync(target, 'utf8');
  const after = before.replace(from, to);
  expect(after).not.toBe(before);
  fs.writeFileSync(target, after);
  return path.join(dir, 'catalogue');
}

const diffWith = (catalogue: string) => diffCatalogues(loadCatalogue(), loadCatalogue(catalogue));

describe('diffCatalogues', () => {
  it.each([
    [
      'a higher baseline',
      '00-catalogue.yaml',
      'minimumScore: 95',
      'minimumScore: 98',
      ['baseline', 'minimumScore', 'tightens'],
    ],
    [
      'a lower baseline',
      '00-catalogue.yaml',
      'minimumScore: 95',
      'minimumScore: 80',
      ['baseline', 'minimumScore', 'loosens'],
    ],
    [
      'error to warning',
      'kms.yaml',
      'severity: error',
      'severity: warning',
      ['KMS.1', 'severity', 'loosens'],
    ],
    [
      'no longer waivable',
      'kms.yaml',
      'severity: error',
      'severity: error\n    suppressible: false',
      ['KMS.1', 'suppressible', 'tightens'],
    ],
    [
      'applies from a lower level',
      'dynamodb.yaml',
      'appliesFrom: { availability: 3 }',
      'appliesFrom: { availability: 2 }',
      ['DynamoDB.2', 'appliesFrom', 'tightens'],
    ],
    [
      'applies from a higher level',
      'dynamodb.yaml',
      'appliesFrom: { availability: 2 }',
      'appliesFrom: { availability: 3 }',
      ['DynamoDB.1', 'appliesFrom', 'loosens'],
    ],
    [
      'applies always',
      'efs.yaml',
      '    appliesFrom: { availability: 2 }\n',
      '',
      ['EFS.1', 'appliesFrom', 'tightens'],
    ],
    [
      'a shorter waiver validity',
      '00-catalogue.yaml',
      'maximumValidityDays: 365',
      'maximumValidityDays: 90',
      ['waivers', 'maximumValidityDays', 'tightens'],
    ],
    [
      'a wider waiver scope',
      '00-catalogue.yaml',
      'maximumValidityDays: 365',
      'maximumValidityDays: 365\n  widestScope: app',
      ['waivers', 'widestScope', 'loosens'],
    ],
    [
      'a rating minimum',
      '00-catalogue.yaml',
      'baseline:',
      'rating:\n  minimum: C2I2A2\nbaseline:',
      ['rating', 'minimum', 'tightens'],
    ],
    [
      'a weaker requirement',
      'logs.yaml',
      'greaterThanOrEqual: 365',
      'greaterThanOrEqual: 30',
      ['Logs.1', 'check', 'changes'],
    ],
  ])('%s', (_name, file, from, to, [subject, setting, direction]) => {
    const diff = diffWith(edited(file, from, to));
    expect(diff.changes).toEqual([expect.objectContaining({ subject, setting, direction })]);
    expect(diff.added).toEqual([]);
    expect(diff.removed).toEqual([]);
  });

  it('lists controls added and removed', () => {
    fs.rmSync(path.join(dir, 'catalogue', 'ecr.yaml'));
    const catalogue = edited('kms.yaml', 'id: KMS.1', 'id: KMS.9');
    expect(diffWith(catalogue)).toMatchObject({
      added: ['KMS.9'],
      removed: ['ECR.1', 'ECR.2', 'ECR.3', 'KMS.1'],
    });
  });

  it('an unchanged catalogue has no changes', () => {
    expect(diffWith(path.join(dir, 'catalogue'))).toEqual({ added: [], removed: [], changes: [] });
  });
});

describe('cdk-catalogue diff', () => {
  const ROOT = path.join(__dirname, '..', '..');
  const cli = (...args: string[]) =>
    spawnSync(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'src', 'cli', 'main.ts'), 'diff', ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );

  it('prints a pull-request comment, or JSON', () => {
    const catalogue = edited('kms.yaml', 'severity: error', 'severity: warning');
    const markdown = cli(DEFAULT_CATALOGUE_PATH, catalogue);
    expect(markdown.status).toBe(0);
    expect(markdown.stdout).toContain('0 control(s) added, 0 removed; 0 setting(s) tightened, 1 loosened');
    expect(markdown.stdout).toContain('| KMS.1 | severity | error | warning | loosens |');
    const json = cli(DEFAULT_CATALOGUE_PATH, catalogue, '--format', 'json');
    expect(JSON.parse(json.stdout).changes).toEqual([
      { subject: 'KMS.1', setting: 'severity', before: 'error', after: 'warning', direction: 'loosens' },
    ]);
  });

  it('exits 2 with the catalogue problems, a line each, on a catalogue that does not load', () => {
    const result = cli(DEFAULT_CATALOGUE_PATH, path.join(dir, 'missing'));
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toEqual([
      'The catalogue has 1 problem:',
      expect.stringMatching(/missing:1:1: no such file or directory$/),
    ]);
    expect(result.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
