import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeReportFile } from '../../src/report/file';
import { buildReport, writeReport } from '../../src/report/build';
import { CatalogueReport } from '../../src/report';
import { engineEvaluations, engineReport, engineReportInput, handReport, record } from './helpers';

/** The record file is written a record at a time, and reads exactly as the whole report would. */

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
])('%s is written as JSON.stringify(report, null, 2)', (_name, make) => {
  const report = make();
  const file = path.join(dir, 'catalogue-report.json');
  writeReportFile(file, report);
  expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify(report, null, 2)}\n`);
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
  expect(text).toBe(`${JSON.stringify(report, null, 2)}\n`);
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
    expect(fs.readFileSync(file, 'utf8')).toBe(`${JSON.stringify(whole, null, 2)}\n`);
    expect(score).toEqual(whole.score);
  });
});
