import * as fs from 'fs';
import * as path from 'path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { parse as parseCsv } from 'csv-parse/sync';
import { XMLParser } from 'fast-xml-parser';
import type { Log } from 'sarif';
import { CatalogueReport, EvaluationRecord, REPORT_FORMATS, renderReport } from '../../src/report';
import { engineReport, handReport, record, reportSchemaValidator, TEMPLATE_FILE } from './helpers';

const report = engineReport();

function sarifValidator() {
  const dir = path.join(__dirname, '..', 'fixtures', 'sarif');
  const schema = JSON.parse(fs.readFileSync(path.join(dir, 'sarif-schema-2.1.0.json'), 'utf8'));
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema);
}

function sarifOf(r: CatalogueReport, assemblyDir?: string): Log {
  return JSON.parse(renderReport(r, 'sarif', { assemblyDir })) as Log;
}

describe('json', () => {
  test('is the record itself, and validates against the report schema', () => {
    const parsed = JSON.parse(renderReport(report, 'json'));
    expect(parsed).toEqual(JSON.parse(JSON.stringify(report)));
    expect(reportSchemaValidator()(parsed)).toBe(true);
  });
});

describe('sarif', () => {
  const validate = sarifValidator();
  const log = sarifOf(report);
  const run = log.runs[0];
  const results = run.results!;

  test('validates against the OASIS SARIF 2.1.0 schema', () => {
    expect(validate(log)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
  });

  test('a rule per control, with help text, level and security-severity', () => {
    const rules = run.tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(report.controls.map((c) => c.findingId));
    const kms = rules.find((r) => r.id === 'Enterprise-KMS.1')!;
    expect(kms.shortDescription!.text).toBe('KMS keys rotate');
    expect(kms.help!.text).toContain('Compliant when: symmetric encryption keys');
    expect(kms.help!.text).toContain('Remediation: sets EnableKeyRotation to true on the key');
    expect(kms.help!.markdown).toContain('**Compliant when**');
    expect(kms.defaultConfiguration!.level).toBe('error');
    expect(kms.properties!['security-severity']).toBe('8.0');
    const warning = rules.find((r) => r.defaultConfiguration!.level === 'warning');
    if (warning) expect(warning.properties!['security-severity']).toBe('5.0');
  });

  test('results are the findings and the waived ones, not the compliant, remediated or not applicable', () => {
    expect(results.map((r) => r.properties!.logicalId).sort()).toEqual([
      'FromParameter',
      'NotRotating',
      'Waived',
    ]);
    expect(
      results.every(
        (r) => r.ruleId === 'Enterprise-KMS.1' && run.tool.driver.rules![r.ruleIndex!].id === r.ruleId,
      ),
    ).toBe(true);
  });

  test("at the user's source line when known, else at the resource's line in the template", () => {
    const at = (id: string) =>
      results.find((r) => r.properties!.logicalId === id)!.locations![0].physicalLocation!;
    expect(at('NotRotating')).toEqual({
      artifactLocation: { uri: 'lib/keys-stack.ts' },
      region: { startLine: 12 },
    });
    expect(at('FromParameter')).toEqual({
      artifactLocation: { uri: `cdk.out/${TEMPLATE_FILE}` },
      region: { startLine: 21 },
    });
    const elsewhere = sarifOf(report, 'infra/cdk.out').runs[0].results!;
    expect(elsewhere[1].locations![0].physicalLocation!.artifactLocation!.uri).toBe(
      `infra/cdk.out/${TEMPLATE_FILE}`,
    );
  });

  test('an absolute source path becomes a file URI; a resource without any file keeps its logical location', () => {
    const r = handReport([
      record('A.1', 'non-compliant', { source: { file: '/home/dev/app/lib/my stack.ts', line: 3 } }),
      record('B.1', 'non-compliant', { logicalId: 'Other', constructPath: 'Stack/Other/Resource' }),
    ]);
    const log = sarifOf({ ...r, stacks: [{ ...r.stacks[0], templateFile: undefined }] });
    const [first, second] = log.runs[0].results!;
    expect(first.locations![0].physicalLocation!.artifactLocation!.uri).toBe(
      'file:///home/dev/app/lib/my%20stack.ts',
    );
    expect(second.locations![0]).toEqual({
      logicalLocations: [{ fullyQualifiedName: 'Stack/Other/Resource', name: 'Other', kind: 'resource' }],
    });
    expect(validate(log)).toBe(true);
  });

  test('a waived finding is a suppressed result with the waiver reason as justification', () => {
    const waived = results.find((r) => r.properties!.logicalId === 'Waived')!;
    expect(waived.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'legacy key, see https://***@tickets.example.com/SEC-1',
      },
    ]);
    expect(results.filter((r) => r.suppressions).length).toBe(1);
  });

  test('fingerprints are stable per stack, logical id and control, whatever the line or message', () => {
    const fingerprint = (r: EvaluationRecord) =>
      sarifOf(handReport([r])).runs[0].results![0].partialFingerprints!['catalogueFinding/v1'];
    const base = fingerprint(record('A.1', 'non-compliant'));
    expect(
      fingerprint(record('A.1', 'non-compliant', { message: 'other', template: { file: 'x', line: 99 } })),
    ).toBe(base);
    expect(fingerprint(record('A.1', 'waived'))).toBe(base);
    expect(fingerprint(record('B.1', 'non-compliant'))).not.toBe(base);
    expect(fingerprint(record('A.1', 'non-compliant', { stackId: 'Other' }))).not.toBe(base);
    expect(fingerprint(record('A.1', 'non-compliant', { logicalId: 'Other' }))).not.toBe(base);
    // No separator tricks: stack "a" + id "bc" differs from stack "ab" + id "c".
    expect(fingerprint(record('A.1', 'non-compliant', { stackId: 'a', logicalId: 'bc' }))).not.toBe(
      fingerprint(record('A.1', 'non-compliant', { stackId: 'ab', logicalId: 'c' })),
    );
  });
});

describe('junit', () => {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  });
  const xml = renderReport(report, 'junit');
  const doc = parser.parse(xml);
  const suites = doc.testsuites.testsuite as Record<string, unknown>[];

  test('parses as XML: a test suite per control, a test case per evaluated resource', () => {
    expect(suites.map((s) => s.name)).toEqual(report.controls.map((c) => `${c.findingId} ${c.title}`));
    const kms = suites.find((s) => String(s.name).startsWith('Enterprise-KMS.1 '))!;
    const cases = kms.testcase as Record<string, unknown>[];
    expect(cases).toHaveLength(6);
    expect(kms).toMatchObject({ tests: '6', failures: '2', errors: '0', skipped: '2' });
    expect(doc.testsuites).toMatchObject({ tests: '6', failures: '2', skipped: '2' });
  });

  test('failures for findings, skipped with the reason for not applicable and waived, nothing for passes', () => {
    const kms = suites.find((s) => String(s.name).startsWith('Enterprise-KMS.1 '))!;
    const byId = Object.fromEntries(
      (kms.testcase as Record<string, unknown>[]).map((c) => [/\((\w+), /.exec(String(c.name))![1], c]),
    );
    expect(byId.NotRotating).toMatchObject({
      failure: {
        type: 'error non-compliant',
        message: 'EnableKeyRotation is not set (it defaults to false)',
      },
      file: 'lib/keys-stack.ts',
      line: '12',
    });
    expect(byId.FromParameter).toMatchObject({ failure: { type: 'error unverifiable' } });
    expect(byId.Hmac).toMatchObject({
      skipped: { message: 'not applicable: KeySpec HMAC_256 keys cannot rotate automatically' },
    });
    expect(byId.Waived).toMatchObject({
      skipped: { message: 'waived: legacy key, see https://***@tickets.example.com/SEC-1' },
    });
    expect(byId.Rotating.failure ?? byId.Rotating.skipped).toBeUndefined();
    expect(byId.Fixed.failure ?? byId.Fixed.skipped).toBeUndefined();
  });

  test('XML special and control characters from a template stay text', () => {
    const r = handReport([
      record('A.1', 'non-compliant', { message: '<evil a="b">&\u0001\u001b[2K</evil>' }),
    ]);
    const parsed = parser.parse(renderReport(r, 'junit'));
    const message = parsed.testsuites.testsuite[0].testcase[0].failure.message as string;
    expect(message).toContain('<evil a="b">&');
    expect(message).not.toMatch(/[\u0000-\u001f]/); // eslint-disable-line no-control-regex
  });
});

describe('csv', () => {
  const rows = parseCsv(renderReport(report, 'csv'), { columns: true }) as Record<string, string>[];

  test('a header row, then a row per evaluation', () => {
    expect(rows).toHaveLength(report.evaluations.length);
    expect(Object.keys(rows[0])).toEqual(
      expect.arrayContaining([
        'stack',
        'logicalId',
        'resourceType',
        'control',
        'rule',
        'severity',
        'status',
        'property',
        'message',
        'rating',
        'ratingSource',
        'waiverReason',
        'changes',
        'sourceFile',
        'sourceLine',
        'templateFile',
        'templateLine',
      ]),
    );
    expect(rows.map((r) => [r.logicalId, r.status])).toEqual(
      report.evaluations.map((e) => [e.logicalId, e.status]),
    );
    expect(rows.find((r) => r.logicalId === 'NotRotating')).toMatchObject({
      stack: 'App/Keys',
      control: 'KMS.1',
      severity: 'error',
      property: 'EnableKeyRotation',
      rating: 'C3I3A3',
      sourceFile: 'lib/keys-stack.ts',
      sourceLine: '12',
      templateFile: TEMPLATE_FILE,
      templateLine: '17',
    });
    expect(rows.find((r) => r.logicalId === 'Fixed')!.changes).toBe('set EnableKeyRotation to true');
  });

  test('commas, quotes and newlines round-trip; a formula from a template is not run by a spreadsheet', () => {
    const message = 'a, "b"\nc';
    const r = handReport([
      record('A.1', 'non-compliant', { message }),
      record('A.1', 'non-compliant', { logicalId: 'K2', message: '=HYPERLINK("http://evil.example")' }),
    ]);
    const [first, second] = parseCsv(renderReport(r, 'csv'), { columns: true }) as Record<string, string>[];
    expect(first.message).toBe(message);
    expect(second.message.startsWith('=')).toBe(false);
  });
});

describe('markdown', () => {
  const markdown = renderReport(report, 'markdown');
  const tableAfter = (heading: string) => {
    const lines = markdown.split('\n');
    const start = lines.findIndex((l) => l.startsWith(heading));
    const rows = [];
    for (let i = start + 2; i < lines.length && lines[i].startsWith('|'); i++) rows.push(lines[i]);
    return rows;
  };

  test('the baseline and the scores', () => {
    expect(markdown).toContain(
      'Baseline 95%, per control, with accepted risk (as Security Hub scores): **0.00%**, ❌ not met',
    );
    expect(markdown).toContain('| strict | 0.00% (0/1) | 40.00% (2/5) |');
  });

  test('a row per control, a row per finding, a row per waiver', () => {
    expect(tableAfter('#### Controls')).toHaveLength(2 + report.controls.length);
    expect(tableAfter('#### Controls').find((r) => r.startsWith('| Enterprise-KMS.1 '))).toBe(
      '| Enterprise-KMS.1 | KMS keys rotate | error | failed | failed | 1 | 1 | 1 | 1 | 1 | 1 |',
    );
    expect(tableAfter('#### Findings (2)')).toHaveLength(2 + 2);
    expect(tableAfter('#### Waived (1)')).toHaveLength(2 + 1);
    expect(tableAfter('#### Stacks')).toHaveLength(2 + 1);
  });

  test('text from a template cannot add columns, links, images or HTML', () => {
    const r = handReport([
      record('A.1', 'non-compliant', { message: 'a | b ![x](http://evil.example/p.png) <img src=x>\nrow' }),
    ]);
    const row = renderReport(r, 'markdown')
      .split('\n')
      .find((l) => l.includes('evil'))!;
    expect(row.split(/(?<!\\)\|/)).toHaveLength(9);
    expect(row).not.toContain('<img');
    expect(row).not.toContain('![');
  });
});

describe('text', () => {
  test('no ANSI codes unless colour is asked for', () => {
    const plain = renderReport(report, 'text');
    expect(plain).not.toContain('\u001b[');
    expect(plain).toContain('NOT MET');
    expect(plain).toContain('at lib/keys-stack.ts:12');
    expect(plain).toContain(`at template ${TEMPLATE_FILE}:21`);
    expect(renderReport(report, 'text', { color: true })).toContain('\u001b[31m');
  });

  test('both scores, per control and per check, overall and per stack', () => {
    const text = renderReport(report, 'text');
    expect(text).toMatch(/with accepted risk\s+0\.00% \(0\/1\)\s+50\.00% \(2\/4\)/);
    expect(text).toMatch(/strict\s+0\.00% \(0\/1\)\s+40\.00% \(2\/5\)/);
    expect(text).toContain('Stack App/Keys');
    expect(text).toContain('Findings (2)');
    expect(text).toContain('Waived (1)');
  });

  test('escape sequences and newlines from a template are shown, not sent to the terminal', () => {
    const r = handReport([
      record('A.1', 'waived', {
        message: 'x\u001b[2K\nERROR forged',
        waiver: { id: 'i', reason: 'r\u001b[8m', acknowledgedAt: 'S' },
      }),
    ]);
    const text = renderReport(r, 'text');
    expect(text).not.toContain('\u001b');
    expect(text).toContain('x\\u001b[2K\\u000aERROR forged');
  });
});

describe('no credentials in any format', () => {
  // A report read back from a file, not made by buildReport: rendering masks it all the same.
  const leaky = handReport([
    record('A.1', 'non-compliant', {
      message: 'PIP_INDEX_URL is https://ci:hunter2@pypi.example.com/simple',
    }),
    record('A.1', 'waived', {
      logicalId: 'K2',
      waiver: { id: 'i', reason: 'see ?token=hunter2', acknowledgedAt: 'S' },
    }),
    record('A.1', 'remediated', { logicalId: 'K3', changes: ['set NPM_TOKEN=hunter2'] }),
    record('A.1', 'non-compliant', {
      logicalId: 'K4',
      message: 'x',
      refusedWaiver: { id: 'i', reason: 'Authorization: Bearer hunter2', acknowledgedAt: 'S' },
    }),
  ]);

  test.each(REPORT_FORMATS)('%s', (format) => {
    const out = renderReport(leaky, format);
    expect(out).not.toContain('hunter2');
    expect(out).toContain(format === 'markdown' ? '\\*\\*\\*' : '***');
  });
});

describe('renderReport', () => {
  test('refuses an unknown format', () => {
    expect(() => renderReport(report, 'html' as never)).toThrow(/unknown report format 'html'/);
  });
});
