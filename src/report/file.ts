import * as fs from 'fs';
import type { CatalogueReport, EvaluationRecord } from './model';

/** The record of a synth, written by the pack into the cloud assembly and read by `cdk-catalogue report`. */
export const REPORT_FILE = 'catalogue-report.json';

/** How much text is gathered before it is written. */
const CHUNK = 1 << 16;

/**
 * Writes the report as `JSON.stringify(report, null, 2)` would, but for its evaluations: one record
 * a line, compact, written one at a time. The record of a synth of thousands of resources is
 * megabytes; building it as one string would be the synth's largest allocation, and indenting each
 * record took as long as making it. A record a line also reads well in grep and diff. `records`,
 * when given, are written as its evaluations (made as they are written, see `writeReport`).
 */
export function writeReportFile(
  file: string,
  report: CatalogueReport,
  records: Iterable<EvaluationRecord> = report.evaluations,
): void {
  const fd = fs.openSync(file, 'w');
  let pending = '';
  const write = (text: string) => {
    pending += text;
    if (pending.length >= CHUNK) {
      fs.writeSync(fd, pending);
      pending = '';
    }
  };
  try {
    const sections = Object.entries(report).filter(([, value]) => value !== undefined);
    write('{\n');
    sections.forEach(([key, value], i) => {
      write(`  ${JSON.stringify(key)}: `);
      if (key === 'evaluations') writeList(records, write);
      else write(indented(value, '  '));
      write(i < sections.length - 1 ? ',\n' : '\n');
    });
    write('}\n');
    fs.writeSync(fd, pending);
  } finally {
    fs.closeSync(fd);
  }
}

/** The evaluations, a compact record a line. */
function writeList(items: Iterable<unknown>, write: (text: string) => void): void {
  let first = true;
  for (const item of items) {
    write(`${first ? '[\n' : ',\n'}    ${JSON.stringify(item)}`);
    first = false;
  }
  write(first ? '[]' : '\n  ]');
}

/** `value` as JSON with two-space indentation, every line after the first indented by `by`. */
function indented(value: unknown, by: string): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, `\n${by}`);
}
