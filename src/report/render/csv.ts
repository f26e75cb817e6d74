import type * as CsvStringify from 'csv-stringify/sync';
import { CatalogueReport, EvaluationRecord } from '../model';

/** The columns, in order, each with how a record fills it. */
const COLUMNS: ReadonlyArray<readonly [string, (r: EvaluationRecord) => string | number | undefined]> = [
  ['stack', (r) => r.stackId],
  ['constructPath', (r) => r.constructPath],
  ['logicalId', (r) => r.logicalId],
  ['resourceType', (r) => r.resourceType],
  ['control', (r) => r.controlId],
  ['findingId', (r) => r.findingId],
  ['rule', (r) => r.ruleId],
  ['severity', (r) => r.severity],
  ['status', (r) => r.status],
  ['property', (r) => r.property],
  ['message', (r) => r.message],
  ['rating', (r) => r.rating],
  ['ratingSource', (r) => r.ratingSource],
  ['waiverId', (r) => r.waiver?.id ?? r.refusedWaiver?.id],
  ['waiverReason', (r) => r.waiver?.reason ?? r.refusedWaiver?.reason],
  ['waiverAcknowledgedAt', (r) => r.waiver?.acknowledgedAt ?? r.refusedWaiver?.acknowledgedAt],
  ['waiverRefused', (r) => (r.refusedWaiver ? 'true' : undefined)],
  ['changes', (r) => r.changes?.join('; ')],
  ['sourceFile', (r) => r.source?.file],
  ['sourceLine', (r) => r.source?.line],
  ['templateFile', (r) => r.template?.file],
  ['templateLine', (r) => r.template?.line],
];

/**
 * CSV with a header row and a row per evaluation. A cell starting with `=`, `+`, `-`, `@` is
 * prefixed with `'` so a spreadsheet never runs a formula from a template.
 */
export function renderCsv(report: CatalogueReport): string {
  // Loaded when a CSV report is written: the pack and most commands never write one.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose
  const { stringify } = require('csv-stringify/sync') as typeof CsvStringify;
  return stringify(
    report.evaluations.map((record) => COLUMNS.map(([, value]) => value(record) ?? '')),
    { header: true, columns: COLUMNS.map(([name]) => name), escape_formulas: true },
  );
}
