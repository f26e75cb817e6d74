import type * as XmlBuilder from 'xmlbuilder2';
import type { XMLBuilder } from 'xmlbuilder2/lib/interfaces';
import { CatalogueReport, EvaluationRecord, isFindingStatus, ReportControl } from '../model';
import { locationText, messageText, printable, refusedWaiverText, resourceLabel } from './common';

/** xmlbuilder2, loaded when a JUnit report is written: the pack and most commands never write one. */
function xmlBuilder(): typeof XmlBuilder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  return require('xmlbuilder2') as typeof XmlBuilder;
}

interface Counts {
  tests: number;
  failures: number;
  skipped: number;
}

function countsOf(records: readonly EvaluationRecord[]): Counts {
  return {
    tests: records.length,
    failures: records.filter((r) => isFindingStatus(r.status)).length,
    skipped: records.filter((r) => r.status === 'not-applicable' || r.status === 'waived').length,
  };
}

function attributes(counts: Counts): Record<string, string> {
  return {
    tests: String(counts.tests),
    failures: String(counts.failures),
    errors: '0',
    skipped: String(counts.skipped),
  };
}

/** A finding fails its test case; not applicable and waived skip it, saying why. */
function addOutcome(testcase: XMLBuilder, record: EvaluationRecord): void {
  if (isFindingStatus(record.status)) {
    const details = [
      `${record.severity} ${record.status}: ${messageText(record)}`,
      refusedWaiverText(record),
      locationText(record) && `at ${locationText(record)}`,
    ].filter((line): line is string => Boolean(line));
    testcase
      .ele('failure', {
        message: printable(messageText(record)),
        type: `${record.severity} ${record.status}`,
      })
      .txt(details.map(printable).join('\n'));
  } else if (record.status === 'not-applicable') {
    testcase.ele('skipped', { message: printable(`not applicable: ${record.message ?? ''}`) });
  } else if (record.status === 'waived') {
    testcase.ele('skipped', { message: printable(`waived: ${record.waiver?.reason ?? ''}`) });
  }
}

function addSuite(root: XMLBuilder, control: ReportControl, records: readonly EvaluationRecord[]): void {
  const suite = root.ele('testsuite', {
    name: printable(`${control.findingId} ${control.title}`),
    ...attributes(countsOf(records)),
  });
  for (const record of records) {
    const testcase = suite.ele('testcase', {
      classname: printable(control.findingId),
      name: printable(resourceLabel(record)),
      ...(record.source && { file: printable(record.source.file), line: String(record.source.line) }),
    });
    addOutcome(testcase, record);
  }
}

/** JUnit XML: a test suite per control, a test case per evaluated resource. */
export function renderJunit(report: CatalogueReport): string {
  const suites = report.controls.map((control) => ({
    control,
    records: report.evaluations.filter((e) => e.controlId === control.id),
  }));
  const root = xmlBuilder()
    .create({ version: '1.0', encoding: 'UTF-8' })
    .ele('testsuites', {
      name: printable(`${report.tool.name} ${report.catalogue.name} ${report.catalogue.version}`),
      ...attributes(countsOf(suites.flatMap((s) => s.records))),
    });
  for (const { control, records } of suites) addSuite(root, control, records);
  return `${root.end({ prettyPrint: true })}\n`;
}
