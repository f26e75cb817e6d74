import { credentialMasker, maskRecord } from './mask';
import { CatalogueReport } from './model';
import { RenderOptions } from './render/common';
import { renderCsv } from './render/csv';
import { renderJunit } from './render/junit';
import { renderMarkdown } from './render/markdown';
import { renderSarif } from './render/sarif';
import { renderText } from './render/text';

/*
 * The catalogue report: the record of every evaluation, the score and its renderings. Pure: no
 * aws-cdk-lib or constructs here, so the CLI can render a report where CDK is not installed.
 */

export { buildReport, reportStackOf } from './build';
export type { BuildReportInput, RuleHelp } from './build';
export { MASK, maskCredentials, maskRecord } from './mask';
export * from './model';
export type { RenderOptions } from './render/common';
export { computeScore, meetsBaseline } from './score';

export type ReportFormat = 'text' | 'json' | 'markdown' | 'sarif' | 'junit' | 'csv';

const RENDERERS: Record<ReportFormat, (report: CatalogueReport, options: RenderOptions) => string> = {
  text: renderText,
  json: (report) => `${JSON.stringify(report, null, 2)}\n`,
  markdown: renderMarkdown,
  sarif: renderSarif,
  junit: renderJunit,
  csv: renderCsv,
};

export const REPORT_FORMATS: readonly ReportFormat[] = Object.keys(RENDERERS) as ReportFormat[];

/** The report in one format. Every message has its credentials masked, whatever made the report. */
export function renderReport(
  report: CatalogueReport,
  format: ReportFormat,
  options: RenderOptions = {},
): string {
  const render = RENDERERS[format];
  if (!render) throw new Error(`unknown report format '${format}': use one of ${REPORT_FORMATS.join(', ')}`);
  // Masked here, once for every format: a report read back from a file may not have been built by buildReport.
  const mask = credentialMasker();
  return render(
    { ...report, evaluations: report.evaluations.map((record) => maskRecord(record, mask)) },
    options,
  );
}
