import { CatalogueReport, EvaluationRecord, ReportControl, Tally } from '../model';

export interface RenderOptions {
  /** ANSI colours in the text format (the CLI decides from the TTY and NO_COLOR). */
  readonly color?: boolean;
  /** Where the cloud assembly is, relative to the repository root, for SARIF locations in templates. Default `cdk.out`. */
  readonly assemblyDir?: string;
}

/** `Pipeline/UAT/App/Key/Resource`, else the stack and the logical id. */
export function resourceName(record: EvaluationRecord): string {
  return record.constructPath ?? `${record.stackId}/${record.logicalId}`;
}

/** `Pipeline/UAT/App/Key/Resource (Key1234, AWS::KMS::Key)`. */
export function resourceLabel(record: EvaluationRecord): string {
  return `${resourceName(record)} (${record.logicalId}, ${record.resourceType})`;
}

/** `lib/app.ts:12`, or `template App.template.json:40` (in the cloud assembly). */
export function locationText(record: EvaluationRecord): string | undefined {
  if (record.source) return `${record.source.file}:${record.source.line}`;
  if (!record.template) return undefined;
  const { file, line } = record.template;
  return `template ${line === undefined ? file : `${file}:${line}`}`;
}

/** What a result says: the message, with the property at fault first unless the message names it. */
export function messageText(record: EvaluationRecord): string {
  const message = record.message ?? record.status;
  return record.property && !message.includes(record.property) ? `${record.property}: ${message}` : message;
}

/** Said of a finding whose acknowledgement the catalogue refused. */
export function refusedWaiverText(record: EvaluationRecord): string | undefined {
  return (
    record.refusedWaiver &&
    `acknowledged at ${record.refusedWaiver.acknowledgedAt}, but the catalogue refused the waiver`
  );
}

export function percentText(tally: Tally): string {
  return tally.percent === null ? 'no data' : `${tally.percent.toFixed(2)}% (${tally.passed}/${tally.total})`;
}

export function controlsById(report: CatalogueReport): Map<string, ReportControl> {
  return new Map(report.controls.map((c) => [c.id, c]));
}

/** Which score the baseline applies to, in words. */
export const BASELINE_MEASURE = 'per control, with accepted risk (as Security Hub scores)';

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * A text from the templates or the waivers, safe for a terminal: control characters (an escape
 * sequence that would clear a line or recolour it, a newline that would forge another finding) are
 * shown as `\u001b`, never sent.
 */
export function printable(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
