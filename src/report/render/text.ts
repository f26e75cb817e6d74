import { CatalogueReport, EvaluationRecord, isFindingStatus, ScopeScore } from '../model';
import {
  BASELINE_MEASURE,
  locationText,
  messageText,
  percentText,
  printable,
  refusedWaiverText,
  RenderOptions,
  resourceLabel,
} from './common';

const ANSI = { red: 31, green: 32, yellow: 33, cyan: 36, bold: 1, dim: 2 } as const;
type Style = keyof typeof ANSI;
type Paint = (style: Style, text: string) => string;

function painter(color: boolean): Paint {
  return color ? (style, text) => `\u001b[${ANSI[style]}m${text}\u001b[0m` : (_style, text) => text;
}

function scoreLines(score: ScopeScore, indent: string): string[] {
  const row = (label: string, view: 'acceptedRisk' | 'strict') =>
    `${indent}${label.padEnd(20)}${percentText(score[view].controls).padEnd(24)}${percentText(score[view].checks)}`;
  return [
    `${indent}${''.padEnd(20)}${'per control'.padEnd(24)}per resource check`,
    row('with accepted risk', 'acceptedRisk'),
    row('strict', 'strict'),
  ];
}

function findingLines(record: EvaluationRecord, paint: Paint): string[] {
  const severity = record.severity === 'error' ? paint('red', 'ERROR  ') : paint('yellow', 'WARNING');
  const status = record.status === 'unverifiable' ? paint('yellow', record.status) : record.status;
  const lines = [
    `  ${severity} ${paint('bold', printable(record.findingId))} ${status} ${printable(resourceLabel(record))}`,
    `          ${printable(messageText(record))}`,
  ];
  const refused = refusedWaiverText(record);
  if (refused) lines.push(`          ${paint('red', printable(refused))}`);
  const location = locationText(record);
  if (location) lines.push(`          at ${printable(location)}`);
  return lines;
}

function waivedLines(record: EvaluationRecord, paint: Paint): string[] {
  const waiver = record.waiver;
  const by = waiver ? ` (${waiver.id}, acknowledged at ${waiver.acknowledgedAt})` : '';
  return [
    `  ${paint('cyan', 'WAIVED ')} ${paint('bold', printable(record.findingId))} ${printable(resourceLabel(record))}`,
    `          ${printable(messageText(record))}`,
    `          reason: ${printable(`${record.waiver?.reason ?? ''}${by}`)}`,
  ];
}

/** For a terminal: the score, the baseline, then each finding and each waiver with where it is. */
export function renderText(report: CatalogueReport, options: RenderOptions = {}): string {
  const paint = painter(options.color === true);
  const { catalogue, score } = report;
  const findings = report.evaluations.filter((e) => isFindingStatus(e.status));
  const waived = report.evaluations.filter((e) => e.status === 'waived');
  const baseline = score.baseline;
  const verdict = baseline.met ? paint('green', 'met') : paint('red', 'NOT MET');
  const lines = [
    paint(
      'bold',
      printable(
        `${report.tool.name} ${report.tool.version}: catalogue ${catalogue.name} ${catalogue.version}, ${report.evaluations.length} evaluations in ${report.stacks.length} stack${report.stacks.length === 1 ? '' : 's'}`,
      ),
    ),
    '',
    'Score',
    ...scoreLines(score.overall, '  '),
    `Baseline: ${catalogue.minimumScore}% ${BASELINE_MEASURE}: ${baseline.score === null ? 'no data' : `${baseline.score.toFixed(2)}%`}, ${verdict}`,
  ];
  for (const stack of score.stacks) {
    lines.push('', `Stack ${printable(stack.stackId)}`, ...scoreLines(stack, '  '));
  }
  lines.push('', `Findings (${findings.length})`, ...findings.flatMap((f) => findingLines(f, paint)));
  if (waived.length > 0)
    lines.push('', `Waived (${waived.length})`, ...waived.flatMap((w) => waivedLines(w, paint)));
  return `${lines.join('\n')}\n`;
}
