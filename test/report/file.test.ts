import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeReportFile } from '../../src/report/file';
import { buildReport, writeReport } from '../../src/report/build';
import { CatalogueReport } from '../../src/report';
import { engineEvaluations, engineReport, engineReportInput, handReport, record } from './helpers';

/**
 * The record file is written a record at a time, a compact record a line; the rest is laid out as
 * `JSON.stringify(report, null, 2)` lays it out, and the file parses to the report.
 */
function expectWritten(text: string, report: CatalogueReport): void {
  expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(report)));
  const recordLines = text.split('\n').filter((line) => line.startsWith('    {"'));
  expect(recordLines.map((line) => JSON.parse(line.replace(/,$/, '')))).toEqual(
    JSON.parse(JSON.stringify(report.evaluations)),
  );
  const rest = text.replace(/"evaluations": \[\n[\s\S]*?\n {2}\]/, '"evaluations": []');
  expect(rest).toBe(`${JSON.stringify({ ...report, evaluations: [] }, null, 2)}\n`);
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-file-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

it.each<[string, () => CatalogueReport]>([
  ['a report of the engine, waivers and templates included', () => engineReport()],
  [
    'a report with quotes, newlines and non-ASCII in its texts',
    () =>
      handReport([
        record('KMS.1', 'non-compliant', { message: 'a "quoted"\nvalue: café ☕' }),
        record('KMS.1', 'waived'),
      ]),
  ],
  ['a report without evaluations', () => handReport([])],
  ['a report without acknowledgements', () => ({ ...engineReport(), acknowledgements: undefined })],
])('%s is written a record a line, and parses to the report', (_name, make) => {
  const report = make();
  const file = path.join(dir, 'catalogue-report.json');
  writeReportFile(file, report);
  expectWritten(fs.readFileSync(file, 'utf8'), report);
});

it('writes a report larger than one chunk whole', () => {
  const evaluations = Array.from({ length: 2000 }, (_, i) =>
    record('KMS.1', 'non-compliant', { logicalId: `Key${i}`, message: `key ${i} does not rotate` }),
  );
  const report = handReport(evaluations);
  const file = path.join(dir, 'catalogue-report.json');
  writeReportFile(file, report);
  const text = fs.readFileSync(file, 'utf8');
  expect(text.length).toBeGreaterThan(1 << 16);
  expectWritten(text, report);
});

describe('writeReport, which makes each record only as it writes it', () => {
  it.each([
    ['the engine, waivers and templates included', engineEvaluations()],
    ['no evaluations', []],
  ])('writes what buildReport builds, and returns its score: %s', (_name, evaluations) => {
    const input = engineReportInput(evaluations);
    const file = path.join(dir, 'catalogue-report.json');
    const score = writeReport(file, input);
    const whole = buildReport(input);
    expectWritten(fs.readFileSync(file, 'utf8'), whole);
    expect(score).toEqual(whole.score);
  });
});
