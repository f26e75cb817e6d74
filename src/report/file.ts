import * as fs from 'fs';
import type { CatalogueReport, EvaluationRecord } from './model';

/** The record of a synth, written by the pack into the cloud assembly and read by `cdk-catalogue report`. */
export const REPORT_FILE = 'catalogue-report.json';

/** How much text is gathered before it is written. */
const CHUNK = 1 << 16;

/**
 * Writes the report as `JSON.stringify(report, null, 2)` would, one evaluation at a time: the
 * record of a synth of thousands of resources is megabytes, and building it as one string would
 * be the largest allocation of the synth. `records`, when given, are written as its evaluations
 * (made as they are written, see `writeReport`).
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
      else write(indented(value, '  ', false));
      write(i < sections.length - 1 ? ',\n' : '\n');
    });
    write('}\n');
    fs.writeSync(fd, pending);
  } finally {
    fs.closeSync(fd);
  }
}

/** A list of the report's top level, an element at a time, as `JSON.stringify(list, null, 2)` indents it there. */
function writeList(items: Iterable<unknown>, write: (text: string) => void): void {
  let first = true;
  for (const item of items) {
    write(`${first ? '[\n' : ',\n'}${indented(item, '    ', true)}`);
    first = false;
  }
  write(first ? '[]' : '\n  ]');
}

/** `value` as JSON with two-space indentation, every line after the first (or every line) indented by `by`. */
function indented(value: unknown, by: string, firstLineToo: boolean): string {
  const text = JSON.stringify(value, null, 2).replace(/\n/g, `\n${by}`);
  return firstLineToo ? by + text : text;
}
