import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CatalogueError, formatProblem } from '../../src/catalogue/errors';
import { loadCatalogue } from '../../src/catalogue/load';

const HEADER = `apiVersion: cdk-catalogue-checks/v1
metadata:
  name: Test catalogue
  owner: CISO office
  version: 1.0.0
  packName: Test
baseline:
  minimumScore: 95
`;

const KEY_ROTATION = `  - id: KMS.1
    title: KMS keys rotate
    rule: key-rotation
    severity: error
`;

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalogue-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

/** Loads the directory and returns every problem as `file:line:column: message`, file names relative. */
function problemsOf(files: Record<string, string>): string[] {
  write(files);
  try {
    loadCatalogue(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogueError);
    return (e as CatalogueError).problems.map((p) =>
      formatProblem({ ...p, file: path.relative(dir, p.file) }),
    );
  }
  throw new Error('expected the catalogue to be rejected');
}

describe('loadCatalogue', () => {
  describe('the shipped catalogue', () => {
    it('loads the eight contract controls with their rules, in file-name order', () => {
      const catalogue = loadCatalogue();
      expect(catalogue.metadata).toMatchObject({ packName: 'Enterprise', owner: 'CISO office' });
      expect(catalogue.baseline.minimumScore).toBe(95);
      expect(catalogue.controls.map((c) => [c.id, c.rule, c.severity])).toEqual([
        ['CodeBuild.1', 'codebuild-in-vpc', 'error'],
        ['CodeBuild.2', 'codebuild-internal-registry', 'error'],
        ['CodePipeline.1', 'manual-approval-before-production', 'error'],
        ['Encryption.1', 'customer-managed-key-encryption', 'error'],
        ['KMS.1', 'key-rotation', 'error'],
        ['Lambda.1', 'lambda-in-vpc', 'error'],
        ['S3.1', 'bucket-access-logging', 'error'],
        ['S3.2', 'bucket-versioning', 'error'],
      ]);
    });

    it('records where each control is defined and fills in defaults', () => {
      const kms = loadCatalogue().controls.find((c) => c.id === 'KMS.1')!;
      expect(path.basename(kms.source.file)).toBe('kms.yaml');
      expect(kms.source.line).toBe(4);
      expect(kms).toMatchObject({
        suppressible: true,
        remediation: { enabled: true, params: {} },
        appliesFrom: {},
      });
    });

    it('is read once per process while its files are unchanged', () => {
      expect(loadCatalogue()).toBe(loadCatalogue());
    });
  });

  it('merges a directory in name order and reads a single file too', () => {
    write({
      'b.yaml': `apiVersion: cdk-catalogue-checks/v1\ncontrols:\n${KEY_ROTATION.replace('KMS.1', 'KMS.2')}`,
      'a.yml': `${HEADER}controls:\n${KEY_ROTATION}`,
      'notes.txt': 'ignored',
    });
    expect(loadCatalogue(dir).controls.map((c) => c.id)).toEqual(['KMS.1', 'KMS.2']);
    expect(loadCatalogue(path.join(dir, 'a.yml')).controls.map((c) => c.id)).toEqual(['KMS.1']);
  });

  it('reloads a file after it changes', () => {
    write({ 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}` });
    expect(loadCatalogue(dir).controls).toHaveLength(1);
    write({ 'c.yaml': `${HEADER}controls: []\n` });
    const stat = fs.statSync(path.join(dir, 'c.yaml'));
    fs.utimesSync(path.join(dir, 'c.yaml'), stat.atime, new Date(stat.mtimeMs + 5000));
    expect(loadCatalogue(dir).controls).toHaveLength(0);
  });

  it('fills in rule param defaults', () => {
    write({
      'c.yaml': `${HEADER}controls:\n  - id: CodeBuild.2\n    title: registry\n    rule: codebuild-internal-registry\n    severity: warning\n`,
    });
    expect(loadCatalogue(dir).controls[0].params).toMatchObject({
      requiredVariables: ['NPM_CONFIG_REGISTRY', 'PIP_INDEX_URL'],
    });
    const encryption = loadCatalogue().controls.find((c) => c.id === 'Encryption.1')!;
    expect(encryption.params.resourceTypes).toContain('AWS::SQS::Queue');
  });

  describe('malformed catalogues: every problem with file, line, column and a plain message', () => {
    it.each<[string, Record<string, string>, string[]]>([
      [
        'YAML syntax error',
        { 'c.yaml': `${HEADER}controls:\n  - id: "KMS.1\n    title: x\n` },
        ['c.yaml:12:1: YAML syntax: Missing closing "quote'],
      ],
      [
        'a key given twice',
        { 'c.yaml': `${HEADER}controls:\n  - id: KMS.1\n    id: KMS.2\n` },
        ['c.yaml:11:5: YAML syntax: Map keys must be unique'],
      ],
      [
        'an unknown top-level key, with a suggestion',
        { 'c.yaml': `${HEADER}control: []\n` },
        ["c.yaml:9:1: unknown key 'control' (did you mean 'controls'?)"],
      ],
      [
        'an unknown control key, with a suggestion',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    severty: error\n` },
        ["c.yaml:14:5: unknown key 'severty' in controls[0] (KMS.1) (did you mean 'severity'?)"],
      ],
      [
        'a wrong type',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    suppressible: "no"\n` },
        ["c.yaml:14:19: controls[0] (KMS.1) suppressible must be true or false, not string 'no'"],
      ],
      [
        'a severity outside the enum',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION.replace('severity: error', 'severity: fatal')}` },
        ["c.yaml:13:15: controls[0] (KMS.1) severity must be one of error, warning, not 'fatal'"],
      ],
      [
        'an unknown rule, with a did-you-mean',
        {
          'c.yaml': `${HEADER}controls:\n${KEY_ROTATION.replace('rule: key-rotation', 'rule: key-rotaton')}`,
        },
        ["c.yaml:12:11: unknown rule 'key-rotaton' (did you mean 'key-rotation'?); the rules are: "],
      ],
      [
        'params the rule does not take',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    params:\n      period: 90\n` },
        ["c.yaml:15:7: unknown key 'period' in controls[0] (KMS.1) params"],
      ],
      [
        'params of the wrong type',
        {
          'c.yaml': `${HEADER}controls:\n  - id: CodeBuild.2\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n    params:\n      requiredVariables: NPM_CONFIG_REGISTRY\n`,
        },
        [
          "c.yaml:15:26: controls[0] (CodeBuild.2) params.requiredVariables must be a list, not string 'NPM_CONFIG_REGISTRY'",
        ],
      ],
      [
        'a bad regular expression',
        {
          'c.yaml': `${HEADER}controls:\n  - id: CodeBuild.2\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n    params:\n      allowedUrlPattern: "^https://(internal"\n`,
        },
        [
          "c.yaml:15:26: controls[0] (CodeBuild.2) params.allowedUrlPattern '^https://(internal' is not a valid regular expression: /^https://(internal/: Unterminated group",
        ],
      ],
      [
        'a duplicate control id across files',
        {
          'a.yaml': `${HEADER}controls:\n${KEY_ROTATION}`,
          'b.yaml': `apiVersion: cdk-catalogue-checks/v1\ncontrols:\n  - id: S3.1\n    title: t\n    rule: bucket-versioning\n    severity: error\n${KEY_ROTATION}`,
        },
        ["b.yaml:7:5: duplicate control id 'KMS.1': already defined at " + '<dir>/a.yaml:10'],
      ],
      [
        'a CIA level out of range',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    appliesFrom: { confidentiality: 4 }\n` },
        ['c.yaml:14:37: controls[0] (KMS.1) appliesFrom.confidentiality must be <= 3, not 4'],
      ],
      [
        'a misspelt CIA dimension',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    appliesFrom:\n      confidentality: 2\n` },
        [
          "c.yaml:15:7: unknown key 'confidentality' in controls[0] (KMS.1) appliesFrom (did you mean 'confidentiality'?)",
        ],
      ],
      [
        'a missing required key',
        { 'c.yaml': `${HEADER}controls:\n  - id: KMS.1\n    rule: key-rotation\n    severity: error\n` },
        ["c.yaml:10:5: controls[0] (KMS.1) is missing the required key 'title'"],
      ],
      [
        'a wrong apiVersion',
        { 'c.yaml': HEADER.replace('cdk-catalogue-checks/v1', 'v2') },
        ["c.yaml:1:13: apiVersion must be 'cdk-catalogue-checks/v1', not 'v2'"],
      ],
      [
        'no metadata in any file',
        { 'c.yaml': `apiVersion: cdk-catalogue-checks/v1\nbaseline:\n  minimumScore: 90\n` },
        ["c.yaml:1:1: the catalogue has no 'metadata' section; add it to one of its files"],
      ],
      [
        'metadata in two files',
        {
          'a.yaml': HEADER,
          'b.yaml': `apiVersion: cdk-catalogue-checks/v1\nmetadata:\n  name: n\n  owner: o\n  version: v\n  packName: Other\n`,
        },
        ["b.yaml:2:1: 'metadata' is already given in <dir>/a.yaml:2; it must appear in only one file"],
      ],
      [
        'a pack name that cannot be a finding id prefix',
        { 'c.yaml': HEADER.replace('packName: Test', 'packName: My-Pack') },
        ["c.yaml:6:13: metadata.packName 'My-Pack' does not match the pattern ^[A-Za-z][A-Za-z0-9]*$"],
      ],
      [
        'a baseline above 100%',
        { 'c.yaml': HEADER.replace('minimumScore: 95', 'minimumScore: 120') },
        ['c.yaml:8:17: baseline.minimumScore must be <= 100, not 120'],
      ],
      [
        'an empty file',
        { 'c.yaml': '' },
        ['c.yaml:1:1: a catalogue file must be a mapping with apiVersion, metadata, baseline and controls'],
      ],
      [
        'several problems at once, in document order',
        {
          'c.yaml': `${HEADER}controls:\n  - id: KMS 1\n    title: t\n    rule: nope\n    severity: error\n`,
        },
        [
          "c.yaml:10:9: controls[0] (KMS 1) id 'KMS 1' does not match the pattern ^[A-Za-z][A-Za-z0-9]*(\\.[A-Za-z0-9]+)*$",
          "c.yaml:12:11: unknown rule 'nope'; the rules are: ",
        ],
      ],
    ])('%s', (_name, files, expected) => {
      const problems = problemsOf(files).map((p) => p.replace(dir, '<dir>'));
      // Each expected message is the start of the problem (long tails such as rule lists are cut).
      expect(problems.map((problem, i) => problem.slice(0, expected[i]?.length ?? problem.length))).toEqual(
        expected,
      );
    });
  });

  it('names a missing path', () => {
    expect(() => loadCatalogue(path.join(dir, 'missing.yaml'))).toThrow(
      /missing\.yaml:1:1: no such file or directory/,
    );
  });

  it('rejects a directory without catalogue files', () => {
    expect(() => loadCatalogue(dir)).toThrow(/the directory holds no \.yaml or \.yml files/);
  });
});
