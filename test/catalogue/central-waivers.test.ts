import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CatalogueError, CatalogueProblem, formatProblem } from '../../src/catalogue/errors';
import { loadCatalogue } from '../../src/catalogue/load';
import { readCentralWaivers } from '../../src/waivers/central';

/** A catalogue whose `waivers.file` (line 10, value at column 9) is `file`, with the controls Lambda.1 and S3.1. */
function catalogueFile(file = '../central.yaml', extra = ''): string {
  return `apiVersion: cdk-catalogue-checks/v1
metadata:
  name: Test catalogue
  owner: CISO office
  version: 1.0.0
  packName: Test
baseline:
  minimumScore: 95
waivers:
  file: ${file}
controls:
  - id: Lambda.1
    title: Functions run in a VPC
    rule: lambda-in-vpc
    severity: error
  - id: S3.1
    title: Buckets log access
    rule: bucket-access-logging
    severity: error
${extra}`;
}

const HEAD = `# yaml-language-server: $schema=../schema/central-waivers.schema.json
apiVersion: cdk-catalogue-checks/v1
kind: CentralWaivers
waivers:
`;

const HANDLER_PATH = 'Pipeline/Prod/AppStack/**/Custom::S3AutoDeleteObjectsCustomResourceProvider';

/**
 * One list item, written from line 5 of a file that starts with HEAD: control (value at column 14),
 * path (line 6, column 11), reason (7), ticket (8, column 13), expires (9, column 14), then `extra` lines.
 */
function entry(fields: Record<string, string> = {}, extra = ''): string {
  const all = {
    control: 'Lambda.1',
    path: HANDLER_PATH,
    reason: "CDK's own singleton handler, no data, VPC not needed",
    ticket: 'SEC-1234',
    expires: "'2027-03-31'",
    ...fields,
  };
  const lines = Object.entries(all)
    .filter(([, value]) => value !== '')
    .map(([key, value]) => `${key}: ${value}`);
  return `  - ${lines.join('\n    ')}\n${extra}`;
}

let root: string;
let catalogueDir: string;
let centralFile: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'central-waivers-'));
  catalogueDir = path.join(root, 'catalogue');
  centralFile = path.join(root, 'central.yaml');
  fs.mkdirSync(catalogueDir);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

function write(central: string | undefined, catalogue = catalogueFile()): void {
  fs.writeFileSync(path.join(catalogueDir, '00-base.yaml'), catalogue);
  if (central !== undefined) fs.writeFileSync(centralFile, central);
}

/** `file:line:column: message`, the file relative to the temporary root, the root in messages as `<root>`. */
function show(problem: CatalogueProblem): string {
  return formatProblem({ ...problem, file: path.relative(root, problem.file) })
    .split(root)
    .join('<root>');
}

function problemsOf(central: string | undefined, catalogue?: string): string[] {
  write(central, catalogue);
  try {
    loadCatalogue(catalogueDir);
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogueError);
    return (e as CatalogueError).problems.map(show);
  }
  throw new Error('expected the catalogue to be rejected');
}

describe('the central waivers file', () => {
  it('is read relative to the catalogue file that names it, each entry with its position', () => {
    write(
      `${HEAD}${entry({ approvedBy: 'jane.doe' })}${entry({ control: 'S3.1', path: 'Shared/LogBucket', expires: '2027-01-15' })}`,
    );
    const catalogue = loadCatalogue(catalogueDir);
    expect(catalogue.waivers?.file).toBe(centralFile);
    expect(catalogue.centralWaivers).toEqual([
      {
        control: 'Lambda.1',
        path: HANDLER_PATH,
        reason: "CDK's own singleton handler, no data, VPC not needed",
        ticket: 'SEC-1234',
        expires: '2027-03-31',
        approvedBy: 'jane.doe',
        source: { file: centralFile, line: 5, column: 5 },
      },
      {
        control: 'S3.1',
        path: 'Shared/LogBucket',
        reason: "CDK's own singleton handler, no data, VPC not needed",
        ticket: 'SEC-1234',
        // Unquoted: the YAML core schema leaves a date as text.
        expires: '2027-01-15',
        source: { file: centralFile, line: 11, column: 5 },
      },
    ]);
    expect(catalogue.centralWaivers?.[1]).not.toHaveProperty('approvedBy');
  });

  it('is resolved against the declaring file, not the working directory, when the catalogue is one file', () => {
    write(`${HEAD}${entry()}`);
    const cwd = process.cwd();
    try {
      process.chdir(os.tmpdir());
      const catalogue = loadCatalogue(path.join(catalogueDir, '00-base.yaml'));
      expect(catalogue.waivers?.file).toBe(centralFile);
      expect(catalogue.centralWaivers).toHaveLength(1);
    } finally {
      process.chdir(cwd);
    }
  });

  it('may be absolute, and may list no waivers', () => {
    write(`${HEAD.replace('waivers:\n', 'waivers: []\n')}`, catalogueFile(centralFile));
    const catalogue = loadCatalogue(catalogueDir);
    expect(catalogue.waivers?.file).toBe(centralFile);
    expect(catalogue.centralWaivers).toEqual([]);
  });

  it('is optional: a catalogue that names none has no central waivers and no file', () => {
    write(undefined, catalogueFile().replace('waivers:\n  file: ../central.yaml\n', ''));
    const catalogue = loadCatalogue(catalogueDir);
    expect(catalogue.centralWaivers).toEqual([]);
    expect(catalogue.waivers).not.toHaveProperty('file');
  });

  it('is read again when it changes, in the same process', () => {
    write(`${HEAD}${entry()}`);
    const first = loadCatalogue(catalogueDir);
    expect(first.centralWaivers?.map((w) => w.control)).toEqual(['Lambda.1']);
    expect(loadCatalogue(catalogueDir)).toBe(first);

    fs.writeFileSync(centralFile, `${HEAD}${entry()}${entry({ control: 'S3.1', path: 'Shared/LogBucket' })}`);
    const stat = fs.statSync(centralFile);
    fs.utimesSync(centralFile, stat.atime, new Date(stat.mtimeMs + 5000));
    expect(loadCatalogue(catalogueDir).centralWaivers?.map((w) => w.control)).toEqual(['Lambda.1', 'S3.1']);

    fs.writeFileSync(centralFile, `${HEAD}${entry({ control: 'Lambda.9' })}`);
    fs.utimesSync(centralFile, stat.atime, new Date(stat.mtimeMs + 10000));
    expect(() => loadCatalogue(catalogueDir)).toThrow("control 'Lambda.9' is not a control of the catalogue");

    fs.rmSync(centralFile);
    expect(() => loadCatalogue(catalogueDir)).toThrow('no such file');
  });

  describe('problems, with file, line, column and a plain message', () => {
    it.each<[string, string | undefined, string[]]>([
      [
        'a file that does not exist',
        undefined,
        ['catalogue/00-base.yaml:10:9: waivers.file names <root>/central.yaml: no such file'],
      ],
      [
        'YAML syntax',
        `${HEAD}  - control: "Lambda.1\n`,
        ['central.yaml:6:1: YAML syntax: Missing closing "quote'],
      ],
      [
        'not a mapping',
        '- control: Lambda.1\n',
        [
          'central.yaml:1:1: a central waivers file must be a mapping with apiVersion, kind (CentralWaivers) and waivers',
        ],
      ],
      [
        'a wrong kind and apiVersion',
        `${HEAD.replace('kind: CentralWaivers', 'kind: Waivers').replace('/v1', '/v2')}${entry()}`,
        [
          "central.yaml:2:13: apiVersion must be 'cdk-catalogue-checks/v1', not 'cdk-catalogue-checks/v2'",
          "central.yaml:3:7: kind must be 'CentralWaivers', not 'Waivers'",
        ],
      ],
      [
        'no waivers list',
        `${HEAD.replace('waivers:\n', '')}`,
        ["central.yaml:2:1: the file is missing the required key 'waivers'"],
      ],
      [
        'waivers that are not a list',
        `${HEAD}  control: Lambda.1\n`,
        ['central.yaml:5:3: waivers must be a list, not a mapping'],
      ],
      [
        'an unknown key, with a did-you-mean',
        `${HEAD}${entry({ expires: '' }, "    expiry: '2027-03-31'\n")}`,
        [
          "central.yaml:5:5: waivers[0] (Lambda.1) is missing the required key 'expires'",
          "central.yaml:9:5: unknown key 'expiry' in waivers[0] (Lambda.1) (did you mean 'expires'?)",
        ],
      ],
      [
        'a missing field',
        `${HEAD}${entry({ ticket: '' })}`,
        ["central.yaml:5:5: waivers[0] (Lambda.1) is missing the required key 'ticket'"],
      ],
      [
        'a wrong type',
        `${HEAD}${entry({ ticket: '1234' })}`,
        ['central.yaml:8:13: waivers[0] (Lambda.1) ticket must be a string, not number 1234'],
      ],
      [
        'an empty field',
        `${HEAD}${entry({ reason: "''" })}`,
        ['central.yaml:7:13: waivers[0] (Lambda.1) reason must not be empty'],
      ],
      [
        'a control not in the catalogue, with a did-you-mean',
        `${HEAD}${entry({ control: 'Lambda.2' })}`,
        [
          "central.yaml:5:14: waivers[0] control 'Lambda.2' is not a control of the catalogue (did you mean 'Lambda.1'?)",
        ],
      ],
      [
        'a control in another case',
        `${HEAD}${entry({ control: 's3.1' })}`,
        [
          "central.yaml:5:14: waivers[0] control 's3.1' is not a control of the catalogue (did you mean 'S3.1'?)",
        ],
      ],
      [
        'a control far from any',
        `${HEAD}${entry({ control: 'CodeBuild.1' })}`,
        [
          "central.yaml:5:14: waivers[0] control 'CodeBuild.1' is not a control of the catalogue; its controls are: Lambda.1, S3.1",
        ],
      ],
      [
        'a glob that does not begin with a stack path',
        `${HEAD}${entry({ path: "'**/Custom::S3AutoDeleteObjectsCustomResourceProvider'" })}`,
        [
          "central.yaml:6:11: waivers[0] (Lambda.1) path '**/Custom::S3AutoDeleteObjectsCustomResourceProvider' is not a valid construct-path glob: its first segment '**' has a wildcard; a glob begins with a stack's path, written out",
        ],
      ],
      [
        'a glob with a leading slash',
        `${HEAD}${entry({ path: '/AppStack/Bucket' })}`,
        [
          "central.yaml:6:11: waivers[0] (Lambda.1) path '/AppStack/Bucket' is not a valid construct-path glob: it starts with '/'; a construct path begins with the stack's path, without a leading '/'",
        ],
      ],
      [
        'a glob with ** inside a segment',
        `${HEAD}${entry({ path: 'AppStack/Handler**' })}`,
        [
          "central.yaml:6:11: waivers[0] (Lambda.1) path 'AppStack/Handler**' is not a valid construct-path glob: its segment 'Handler**' mixes '**' with other text; '**' must be a whole segment ('*' is any text within one)",
        ],
      ],
      [
        'a day that does not exist (quoted)',
        `${HEAD}${entry({ expires: "'2027-02-30'" })}`,
        ["central.yaml:9:14: waivers[0] (Lambda.1) expires '2027-02-30' is not a calendar date (YYYY-MM-DD)"],
      ],
      [
        'a month that does not exist (unquoted)',
        `${HEAD}${entry({ expires: '2027-13-01' })}`,
        ["central.yaml:9:14: waivers[0] (Lambda.1) expires '2027-13-01' is not a calendar date (YYYY-MM-DD)"],
      ],
      [
        'a date in another format',
        `${HEAD}${entry({ expires: '31/03/2027' })}`,
        ["central.yaml:9:14: waivers[0] (Lambda.1) expires '31/03/2027' is not a calendar date (YYYY-MM-DD)"],
      ],
      [
        'a date-time',
        `${HEAD}${entry({ expires: '2027-03-31T00:00:00Z' })}`,
        [
          "central.yaml:9:14: waivers[0] (Lambda.1) expires '2027-03-31T00:00:00Z' is not a calendar date (YYYY-MM-DD)",
        ],
      ],
      [
        'an unquoted date in a YAML 1.1 file, read as a timestamp',
        `%YAML 1.1\n---\n${HEAD}${entry({ expires: '2027-03-31' })}`,
        [
          'central.yaml:11:14: waivers[0] (Lambda.1) expires must be a string, not a YAML 1.1 timestamp (quote it)',
        ],
      ],
      [
        'several entries, each problem at its own entry',
        `${HEAD}${entry()}${entry({ control: 'S3.2', path: 'Shared/' })}`,
        [
          "central.yaml:10:14: waivers[1] control 'S3.2' is not a control of the catalogue (did you mean 'S3.1'?)",
          "central.yaml:11:11: waivers[1] (S3.2) path 'Shared/' is not a valid construct-path glob: it ends with '/'",
        ],
      ],
    ])('%s', (_name, central, expected) => {
      expect(problemsOf(central)).toEqual(expected);
    });

    it('reports a central file that is one of the catalogue files', () => {
      const problems = problemsOf(undefined, catalogueFile('00-base.yaml'));
      expect(problems[0]).toBe(
        'catalogue/00-base.yaml:10:9: waivers.file names <root>/catalogue/00-base.yaml, a file of the catalogue itself; keep the central waivers file outside the catalogue',
      );
    });

    it('lists the problems of the central file after those of the catalogue', () => {
      const problems = problemsOf(
        `${HEAD}${entry({ control: 'Lambda.2' })}`,
        catalogueFile('../central.yaml', '    suppressible: maybe\n'),
      );
      expect(problems).toEqual([
        "catalogue/00-base.yaml:20:19: controls[1] (S3.1) suppressible must be true or false, not string 'maybe'",
        "central.yaml:5:14: waivers[0] control 'Lambda.2' is not a control of the catalogue (did you mean 'Lambda.1'?)",
      ]);
    });

    it('reports a central file that is a directory', () => {
      fs.mkdirSync(centralFile);
      expect(problemsOf(undefined)).toEqual([
        'central.yaml:1:1: this is a directory, not a regular file; a catalogue is read from regular files only',
      ]);
    });
  });
});

describe('readCentralWaivers', () => {
  it('returns only the entries without problems, and adds the problems', () => {
    fs.writeFileSync(
      centralFile,
      `${HEAD}${entry({ control: 'Nope.1' })}${entry({ expires: '2027-02-29' })}${entry({ ticket: '' })}${entry({ control: 'S3.1' })}`,
    );
    const problems: CatalogueProblem[] = [];
    const waivers = readCentralWaivers(centralFile, ['Lambda.1', 'S3.1'], problems);
    expect(waivers.map((w) => [w.control, w.source.line])).toEqual([['S3.1', 19]]);
    expect(problems.map((p) => `${p.line}:${p.column}`).sort()).toEqual(['14:14', '15:5', '5:14']);
  });
});
