import { ChildProcess, execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CatalogueError, formatProblem } from '../../src/catalogue/errors';
import { loadCatalogue } from '../../src/catalogue/load';
import { pathPlacesOf, relatedPathPlacesOf } from '../../src/declarative/condition';
import { parsePath } from '../../src/declarative/path';
import { pathProblem } from '../../src/declarative/property-table';

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

/** Nine lists, each of nine aliases of the one before: 9^9 values once expanded, from 9 lines. */
const ALIAS_BOMB = [
  'x:',
  '  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...'bcdefghi'
    .split('')
    .map((name, i) => `  ${name}: &${name} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
  '',
].join('\n');

/** A CodeBuild.2 control whose allowedUrlPattern (line 15, column 26) is `pattern`, as written in YAML. */
function registryControl(pattern: string): string {
  return `${HEADER}controls:\n  - id: CodeBuild.2\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n    params:\n      allowedUrlPattern: ${pattern}\n`;
}

/** A CodePipeline.1 control whose productionStagePattern (line 15, column 31) is `pattern`, as written in YAML. */
function approvalControl(pattern: string): string {
  return `${HEADER}controls:\n  - id: CodePipeline.1\n    title: t\n    rule: manual-approval-before-production\n    severity: error\n    params:\n      productionStagePattern: ${pattern}\n`;
}

const ROOT = path.join(__dirname, '..', '..');
const HAS_MKFIFO = spawnSync('mkfifo', ['--version']).error === undefined;
const fifoWriters: ChildProcess[] = [];

/**
 * Makes a FIFO with a writer waiting in another process: a loader that opened it would read a line
 * and reach its end, so a loader that wrongly opens FIFOs fails the test instead of hanging it.
 */
function fifo(file: string): void {
  execFileSync('mkfifo', [file]);
  fifoWriters.push(spawn('sh', ['-c', 'printf "apiVersion: x\\n" > "$1"', 'sh', file], { stdio: 'ignore' }));
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalogue-'));
});
afterEach(() => {
  for (const writer of fifoWriters.splice(0)) writer.kill();
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(files: Record<string, string | Buffer>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
}

/** Loads the directory (or `target`) and returns every problem as `file:line:column: message`, file names relative. */
function problemsOf(files: Record<string, string | Buffer>, target = dir): string[] {
  write(files);
  try {
    loadCatalogue(target);
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
    it('loads the eight library-rule controls and the declarative ones, in file-name order', () => {
      const catalogue = loadCatalogue();
      expect(catalogue.metadata).toMatchObject({ packName: 'Enterprise', owner: 'CISO office' });
      expect(catalogue.baseline.minimumScore).toBe(95);
      expect(catalogue.controls.map((c) => [c.id, c.rule, c.severity])).toEqual([
        ['APIGateway.1', 'declarative', 'error'],
        ['APIGateway.2', 'declarative', 'error'],
        ['CloudTrail.1', 'declarative', 'error'],
        ['CloudTrail.2', 'declarative', 'error'],
        ['CloudTrail.3', 'declarative', 'error'],
        ['CodeBuild.1', 'codebuild-in-vpc', 'error'],
        ['CodeBuild.2', 'codebuild-internal-registry', 'error'],
        ['CodeBuild.3', 'declarative', 'error'],
        ['CodePipeline.1', 'manual-approval-before-production', 'error'],
        ['DynamoDB.1', 'declarative', 'error'],
        ['DynamoDB.2', 'declarative', 'error'],
        ['DynamoDB.3', 'declarative', 'error'],
        ['DynamoDB.4', 'declarative', 'error'],
        ['EC2.1', 'declarative', 'error'],
        ['ECR.1', 'declarative', 'error'],
        ['ECR.2', 'declarative', 'error'],
        ['ECR.3', 'declarative', 'warning'],
        ['EFS.1', 'declarative', 'error'],
        ['Encryption.1', 'customer-managed-key-encryption', 'error'],
        ['IAM.1', 'declarative', 'error'],
        ['KMS.1', 'key-rotation', 'error'],
        ['Lambda.1', 'lambda-in-vpc', 'error'],
        ['Lambda.2', 'declarative', 'error'],
        ['Logs.1', 'declarative', 'error'],
        ['RDS.1', 'declarative', 'error'],
        ['RDS.2', 'declarative', 'error'],
        ['RDS.3', 'declarative', 'error'],
        ['RDS.4', 'declarative', 'error'],
        ['RDS.5', 'declarative', 'error'],
        ['RDS.6', 'declarative', 'error'],
        ['RDS.7', 'declarative', 'error'],
        ['RDS.8', 'declarative', 'error'],
        ['S3.1', 'bucket-access-logging', 'error'],
        ['S3.2', 'bucket-versioning', 'error'],
        ['S3.3', 'declarative', 'error'],
        ['S3.4', 'declarative', 'error'],
        ['SecretsManager.1', 'declarative', 'error'],
        ['SNS.1', 'declarative', 'error'],
        ['SQS.1', 'declarative', 'error'],
      ]);
      // Every declarative control of the shipped catalogue has a fix, or says why it has none, and
      // the AWS Config rule that detects what it prevents, or says that none does.
      for (const control of catalogue.controls.filter((c) => c.check)) {
        if (!control.remediation.set && !control.remediation.add)
          expect(control.description).toMatch(/No automatic fix: /);
        if (control.references.config.length === 0)
          expect(control.description).toMatch(/No AWS Config rule or Security Hub control detects this/);
      }
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
    it.each<[string, Record<string, string | Buffer>, string[]]>([
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
        { 'c.yaml': registryControl('"^https://(internal"') },
        [
          "c.yaml:15:26: controls[0] (CodeBuild.2) params.allowedUrlPattern '^https://(internal' is not a valid regular expression (RE2 syntax): missing closing ): `^https://(internal`",
        ],
      ],
      [
        'a regular expression with a backreference, which only a backtracking matcher can run',
        { 'c.yaml': registryControl(`'^https://(\\w+)\\.\\1/'`) },
        [
          "c.yaml:15:26: controls[0] (CodeBuild.2) params.allowedUrlPattern '^https://(\\w+)\\.\\1/' is not a valid regular expression (RE2 syntax): it uses a backreference `\\1`, which the catalogue's linear-time matcher (RE2) does not support",
        ],
      ],
      [
        'a regular expression with a lookahead',
        { 'c.yaml': approvalControl("'^(?!dev).*'") },
        [
          "c.yaml:15:31: controls[0] (CodePipeline.1) params.productionStagePattern '^(?!dev).*' is not a valid regular expression (RE2 syntax): it uses a lookahead `(?!`, which the catalogue's linear-time matcher (RE2) does not support",
        ],
      ],
      [
        'a regular expression with a lookbehind',
        { 'c.yaml': approvalControl("'(?<=pre)prod'") },
        [
          "c.yaml:15:31: controls[0] (CodePipeline.1) params.productionStagePattern '(?<=pre)prod' is not a valid regular expression (RE2 syntax): it uses a lookbehind `(?<=`, which the catalogue's linear-time matcher (RE2) does not support",
        ],
      ],
      [
        'a JavaScript-only escape',
        { 'c.yaml': approvalControl("'\\u0070rod'") },
        [
          "c.yaml:15:31: controls[0] (CodePipeline.1) params.productionStagePattern '\\u0070rod' is not a valid regular expression (RE2 syntax): RE2 has no \\u escape: write a code point as \\x{0041}",
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
        'a tag that asks for code (!!js/function), never run nor read as a plain string',
        { 'c.yaml': `${HEADER}controls:\n  - id: KMS.1\n    title: !!js/function "function () {}"\n` },
        [
          "c.yaml:11:12: unknown tag '!!js/function': a catalogue is plain YAML, whose only tags are !!str, !!int, !!float, !!bool, !!null, !!map, !!seq",
        ],
      ],
      [
        'CloudFormation and YAML 1.1 tags, on values and on collections',
        {
          'c.yaml': `${HEADER}controls:\n  - id: !Ref ControlId\n    title: !!binary aGk=\n    params: !GetAtt\n      a: b\n`,
        },
        [
          "c.yaml:10:9: unknown tag '!Ref'",
          "c.yaml:11:12: unknown tag '!!binary'",
          "c.yaml:12:13: unknown tag '!GetAtt'",
        ],
      ],
      [
        'a core tag on a value it does not fit',
        { 'c.yaml': HEADER.replace('minimumScore: 95', 'minimumScore: !!int high') },
        ['c.yaml:8:17: the value is not a valid !!int'],
      ],
      [
        'an alias bomb (billion laughs), at the alias that blows up',
        { 'c.yaml': `${HEADER}${ALIAS_BOMB}` },
        ['c.yaml:15:10: aliases expand this file by more than 100000 values (an alias bomb?)'],
      ],
      [
        'an alias inside the value it names',
        { 'c.yaml': `${HEADER}controls: &all\n  - *all\n` },
        ['c.yaml:10:5: alias *all is inside the value it names'],
      ],
      [
        'an alias with no anchor',
        { 'c.yaml': `${HEADER}controls: *shared\n` },
        ['c.yaml:9:11: alias *shared has no anchor &shared before it'],
      ],
      [
        'a list as a key',
        { 'c.yaml': `${HEADER}? [controls]\n: []\n` },
        ['c.yaml:9:3: a key must be a plain value, not a mapping or a list'],
      ],
      [
        'Latin-1 bytes, at the first of them',
        { 'c.yaml': Buffer.from(`${HEADER}controls:\n  - id: KMS.1\n    title: Cl\xe9s KMS\n`, 'latin1') },
        ['c.yaml:11:14: the file is not UTF-8 text: byte 0xe9 here is not valid UTF-8'],
      ],
      [
        'an invalid byte after a byte-order mark and characters that are valid UTF-8, U+FFFD included',
        {
          'c.yaml': Buffer.concat([
            Buffer.from(`\ufeff${HEADER}controls:\n  - id: KMS.1\n    title: \ufffd € `),
            Buffer.from([0xc3, 0x28]),
          ]),
        },
        ['c.yaml:11:16: the file is not UTF-8 text: byte 0xc3 here is not valid UTF-8'],
      ],
      [
        'a problem in a file with CRLF line endings, at the same place',
        { 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    severty: error\n`.replace(/\n/g, '\r\n') },
        ["c.yaml:14:5: unknown key 'severty' in controls[0] (KMS.1) (did you mean 'severity'?)"],
      ],
      [
        'a waiver ticketPattern RE2 refuses',
        { 'c.yaml': `${HEADER}waivers:\n  ticketPattern: '^(?=SEC)-\\d+$'\n` },
        [
          "c.yaml:10:18: waivers.ticketPattern '^(?=SEC)-\\d+$' is not a valid regular expression (RE2 syntax): it uses a lookahead",
        ],
      ],
      [
        'a waiver policy with a wrong value and an unknown key',
        { 'c.yaml': `${HEADER}waivers:\n  maximumValidityDays: 0\n  minimumReasonLenght: 5\n` },
        [
          'c.yaml:10:24: waivers.maximumValidityDays must be',
          "c.yaml:11:3: unknown key 'minimumReasonLenght' in waivers",
        ],
      ],
      [
        'a waiver policy given in two files',
        {
          'a.yaml': `${HEADER}waivers: {}\n`,
          'b.yaml': 'apiVersion: cdk-catalogue-checks/v1\nwaivers: {}\n',
        },
        ["b.yaml:2:1: 'waivers' is already given in "],
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

  describe('the waiver policy', () => {
    const DEFAULTS = {
      minimumReasonLength: 20,
      ticketPattern: '^[A-Z][A-Z0-9]+-[0-9]+$',
      maximumValidityDays: 365,
      widestScope: 'stack',
      reportOnlyAppliesToUnsuppressible: false,
    };
    it('is stated in the shipped catalogue with the defaults', () => {
      expect(loadCatalogue().waivers).toEqual(DEFAULTS);
    });

    it.each([
      ['absent', '', DEFAULTS],
      [
        'partly given',
        'waivers:\n  ticketPattern: ^SEC-\\d+$\n',
        { ...DEFAULTS, ticketPattern: '^SEC-\\d+$' },
      ],
      [
        'fully given',
        'waivers: { minimumReasonLength: 40, ticketPattern: "^JIRA-[0-9]+$", maximumValidityDays: 90, widestScope: app, reportOnlyAppliesToUnsuppressible: true }\n',
        {
          minimumReasonLength: 40,
          ticketPattern: '^JIRA-[0-9]+$',
          maximumValidityDays: 90,
          widestScope: 'app',
          reportOnlyAppliesToUnsuppressible: true,
        },
      ],
    ])('is filled with the defaults where %s', (_name, section, expected) => {
      write({ 'c.yaml': `${HEADER}${section}controls:\n${KEY_ROTATION}` });
      expect(loadCatalogue(dir).waivers).toEqual(expected);
    });
  });

  describe('the rating policy', () => {
    it('is the default where absent: no minimum, no pinned account, no rating below the App', () => {
      write({ 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}` });
      expect(loadCatalogue(dir).rating).toEqual({ accounts: {}, perStackRatings: false });
    });

    it('reads ratings in either form', () => {
      write({
        'c.yaml': `${HEADER}rating:\n  minimum: c1i2a1\n  accounts:\n    '111111111111': { confidentiality: 3, integrity: 3, availability: 2 }\n  perStackRatings: true\ncontrols:\n${KEY_ROTATION}`,
      });
      expect(loadCatalogue(dir).rating).toEqual({
        minimum: { confidentiality: 1, integrity: 2, availability: 1 },
        accounts: { '111111111111': { confidentiality: 3, integrity: 3, availability: 2 } },
        perStackRatings: true,
      });
    });

    it.each([
      [
        'minimum: C4I1A1',
        "c.yaml:9:20: rating.minimum 'C4I1A1' is not a CIA rating: write it as 'C<1-3>I<1-3>A<1-3>'",
      ],
      [
        'minimum: { confidentiality: 3, integrity: 3 }',
        "c.yaml:9:20: rating.minimum is missing the required key 'availability'",
      ],
      [
        "accounts: { '12345': C1I1A1 }",
        "c.yaml:9:21: rating.accounts '12345' does not match the pattern ^[0-9]{12}$",
      ],
      [
        'perStack: true',
        "c.yaml:9:11: unknown key 'perStack' in rating; allowed keys: minimum, accounts, perStackRatings",
      ],
    ])('refuses %s with its position', (section, message) => {
      write({ 'c.yaml': `${HEADER}rating: { ${section} }\ncontrols:\n${KEY_ROTATION}` });
      expect(() => loadCatalogue(dir)).toThrow(message);
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

  describe('files that are not regular files: refused without being opened', () => {
    const withMkfifo = HAS_MKFIFO ? it : it.skip;
    const FIFO =
      'this is a named pipe (FIFO), not a regular file; a catalogue is read from regular files only';

    withMkfifo('a FIFO named *.yaml in a catalogue directory', () => {
      fifo(path.join(dir, 'b.yaml'));
      expect(problemsOf({ 'a.yaml': `${HEADER}controls:\n${KEY_ROTATION}` })).toEqual([
        `b.yaml:1:1: ${FIFO}`,
      ]);
    });

    withMkfifo('a symbolic link to a FIFO, and a FIFO given as the catalogue path', () => {
      fifo(path.join(dir, 'pipe'));
      fs.symlinkSync(path.join(dir, 'pipe'), path.join(dir, 'link.yaml'));
      expect(problemsOf({ 'a.yaml': `${HEADER}controls:\n${KEY_ROTATION}` })).toEqual([
        `link.yaml:1:1: ${FIFO}`,
      ]);
      expect(problemsOf({}, path.join(dir, 'pipe'))).toEqual([`pipe:1:1: ${FIFO}`]);
    });

    it('a directory named *.yaml', () => {
      fs.mkdirSync(path.join(dir, 'nested.yaml'));
      expect(problemsOf({ 'a.yaml': HEADER })).toEqual([
        'nested.yaml:1:1: this is a directory, not a regular file; a catalogue is read from regular files only',
      ]);
    });

    (fs.existsSync('/dev/null') ? it : it.skip)('a device (a symbolic link to /dev/null)', () => {
      fs.symlinkSync('/dev/null', path.join(dir, 'null.yaml'));
      expect(problemsOf({ 'a.yaml': HEADER })).toEqual([
        'null.yaml:1:1: this is a device, not a regular file; a catalogue is read from regular files only',
      ]);
    });
  });

  describe("a declarative control's paths, against its resource types' properties", () => {
    /** A declarative control on `types`, requiring `require` (YAML at 8 spaces) and setting `set` (at 8). */
    const declarative = (types: string, require: string, set = '') =>
      `${HEADER}controls:\n  - id: Tables.1\n    title: t\n    check:\n      resourceTypes: [${types}]\n      require:\n${require}    severity: error\n${set && `    remediation:\n      set:\n${set}`}`;
    const TABLE = 'AWS::DynamoDB::Table';
    const PITR = 'PointInTimeRecoverySpecification';
    const version = (
      JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')) as { version: string }
    ).version;
    const source = `(by the CloudFormation types of aws-cdk-lib ${version})`;
    const noProperty = (at: string, where: string, path: string, reason: string, types = TABLE) =>
      `c.yaml:${at}: controls[0] (Tables.1) ${where}: no ${types} has a property at '${path}': ${reason} ${source}`;
    const misspeltPitr = `${PITR} has no property 'PointInTimeRecoveryEnable' (did you mean 'PointInTimeRecoveryEnabled'?)`;

    it.each<[string, string, string, string[]]>([
      [
        'a misspelt leaf, at the path, with a did-you-mean',
        `        path: ${PITR}.PointInTimeRecoveryEnable\n        equals: true\n`,
        '',
        [noProperty('15:15', 'check.require', `${PITR}.PointInTimeRecoveryEnable`, misspeltPitr)],
      ],
      [
        'a misspelt path deep in any and not',
        `        any:\n          - path: DeletionProtectionEnabled\n            equals: true\n          - not:\n              path: TableClas\n              exists: false\n`,
        '',
        [
          noProperty(
            '19:21',
            'check.require',
            'TableClas',
            "the resource has no property 'TableClas' (did you mean 'TableClass'?)",
          ),
        ],
      ],
      [
        "a list's element without [*]",
        `        path: AttributeDefinitions.AttributeName\n        exists: true\n`,
        '',
        [
          noProperty(
            '15:15',
            'check.require',
            'AttributeDefinitions.AttributeName',
            "AttributeDefinitions is a list, so 'AttributeName' cannot follow it: write AttributeDefinitions[*].AttributeName for every element, or AttributeDefinitions[N].AttributeName for one",
          ),
        ],
      ],
      [
        "a fix's misspelt dotted path, at its key",
        `        path: ${PITR}.PointInTimeRecoveryEnabled\n        equals: true\n`,
        `        ${PITR}.PointInTimeRecoveryEnable: true\n`,
        [noProperty('20:9', 'remediation.set', `${PITR}.PointInTimeRecoveryEnable`, misspeltPitr)],
      ],
      [
        "a fix's misspelt field of an object value, at the field",
        `        path: ${PITR}.PointInTimeRecoveryEnabled\n        equals: true\n`,
        `        ${PITR}:\n          PointInTimeRecoveryEnable: true\n          RecoveryPeriodInDays: 35\n`,
        [noProperty('21:11', 'remediation.set', `${PITR}.PointInTimeRecoveryEnable`, misspeltPitr)],
      ],
    ])('refuses %s', (_name, require, set, expected) => {
      expect(problemsOf({ 'c.yaml': declarative(TABLE, require, set) })).toEqual(expected);
    });

    it("refuses a misspelt path of a list's elements, at the element's path, named with its list", () => {
      const require = `        path: SecurityGroupIngress\n        some:\n          path: CidrIpp\n          equals: 0.0.0.0/0\n`;
      expect(problemsOf({ 'c.yaml': declarative('AWS::EC2::SecurityGroup', require) })).toEqual([
        noProperty(
          '17:17',
          'check.require',
          'SecurityGroupIngress[*].CidrIpp',
          "SecurityGroupIngress[*] has no property 'CidrIpp' (did you mean 'CidrIp'?)",
          'AWS::EC2::SecurityGroup',
        ),
      ]);
    });

    it("refuses a referencedBy's misspelt paths against the type that references", () => {
      const require = `        referencedBy:\n          resourceType: AWS::S3::BucketPolicy\n          path: Buckett\n          require:\n            path: PolicyDocument.Statement[*].Effect\n            equals: Deny\n`;
      expect(problemsOf({ 'c.yaml': declarative('AWS::S3::Bucket', require) })).toEqual([
        noProperty(
          '17:17',
          'check.require',
          'Buckett',
          "the resource has no property 'Buckett' (did you mean 'Bucket'?)",
          'AWS::S3::BucketPolicy',
        ),
      ]);
    });

    it('checks every path the shipped catalogue reads and sets (its load does not) against its types', () => {
      const isIntrinsic = (value: object) =>
        Object.keys(value).some((key) => key === 'Ref' || key.startsWith('Fn::'));
      const leaves = (value: unknown, prefix: string): string[] =>
        value && typeof value === 'object' && !Array.isArray(value) && !isIntrinsic(value)
          ? Object.entries(value).flatMap(([key, child]) => leaves(child, prefix ? `${prefix}.${key}` : key))
          : [prefix];
      const checked = loadCatalogue()
        .controls.filter((control) => control.check)
        .flatMap(({ id, check, remediation }) => [
          ...pathPlacesOf(check!.require).map(({ path }) => ({ id, types: check!.resourceTypes, path })),
          ...relatedPathPlacesOf(check!.require).map(({ path, resourceType }) => ({
            id,
            types: [resourceType!],
            path,
          })),
          ...(remediation.set ? leaves(remediation.set, '') : []).map((path) => ({
            id,
            types: check!.resourceTypes,
            path,
          })),
        ]);
      expect(checked.length).toBeGreaterThan(60);
      const problems = checked.flatMap(({ id, types, path }) => {
        const parsed = parsePath(path);
        const problem = parsed.ok ? pathProblem(types, parsed.steps) : parsed.message;
        return problem ? [`${id}: ${problem}`] : [];
      });
      expect(problems).toEqual([]);
    });

    it.each<[string, string, string, string]>([
      [
        'a JSON property, at any depth',
        'AWS::IAM::Role',
        'AssumeRolePolicyDocument.Statement[*].Principal.Service',
        '',
      ],
      [
        'a path one of its types has',
        'AWS::DynamoDB::Table, AWS::DynamoDB::GlobalTable',
        'Replicas[*].Region',
        '',
      ],
      [
        'any path of a registry type aws-cdk-lib has no L1 for',
        'Acme::Billing::Ledger',
        'Ledger.Retention',
        '',
      ],
      [
        "a fix's intrinsic value, which is not read as fields",
        TABLE,
        'DeletionProtectionEnabled',
        "        DeletionProtectionEnabled: { 'Fn::If': [IsProd, true, false] }\n",
      ],
    ])('accepts %s', (_name, types, path, set) => {
      write({ 'c.yaml': declarative(types, `        path: ${path}\n        exists: true\n`, set) });
      expect(loadCatalogue(dir).controls.map((c) => c.id)).toEqual(['Tables.1']);
    });
  });

  describe('large and unusual files', () => {
    it('reads a 5 MB file', () => {
      const description = 'x'.repeat(5 * 1024 * 1024);
      write({ 'c.yaml': `${HEADER}controls:\n${KEY_ROTATION}    description: ${description}\n` });
      expect(loadCatalogue(dir).controls[0].description).toHaveLength(description.length);
    });

    it('refuses a file over 16 MiB without reading it', () => {
      write({ 'c.yaml': HEADER });
      fs.truncateSync(path.join(dir, 'c.yaml'), 17 * 1024 * 1024);
      expect(problemsOf({})).toEqual([
        'c.yaml:1:1: the file has 17825792 bytes; a catalogue file may have at most 16777216',
      ]);
    });

    it('reads a byte-order mark, CRLF line endings and one anchor shared by 150 controls', () => {
      const controls = Array.from(
        { length: 150 },
        (_, i) =>
          `  - id: CodeBuild.${i + 2}\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n    params: *registry\n`,
      );
      const text = `\ufeff${HEADER}controls:\n  - id: CodeBuild.1\n    title: t\n    rule: codebuild-internal-registry\n    severity: error\n    params: &registry\n      requiredVariables: [NPM_CONFIG_REGISTRY]\n${controls.join('')}`;
      write({ 'c.yaml': text.replace(/\n/g, '\r\n') });
      const catalogue = loadCatalogue(dir);
      expect(catalogue.metadata.name).toBe('Test catalogue');
      expect(catalogue.controls).toHaveLength(151);
      expect(catalogue.controls[150].params.requiredVariables).toEqual(['NPM_CONFIG_REGISTRY']);
    });
  });

  it('accepts ^(a+)+$, which the rules match in linear time: a 50,000-character name cannot hang them', () => {
    write({ 'c.yaml': approvalControl("'^(a+)+$'") });
    const { productionStagePattern } = loadCatalogue(dir).controls[0].params;
    expect(productionStagePattern).toBe('^(a+)+$');
    // In a child process with a time limit: a backtracking matcher would block this process for good.
    const script = `process.stdout.write(String(require('./src/rules/pattern').compilePattern(${JSON.stringify(productionStagePattern)}).test('a'.repeat(50000) + '!')))`;
    const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect({ error: child.error, signal: child.signal, stdout: child.stdout, stderr: child.stderr }).toEqual({
      error: undefined,
      signal: null,
      stdout: 'false',
      stderr: '',
    });
  });
});
