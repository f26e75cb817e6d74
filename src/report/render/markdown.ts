import type { EvaluationStatus } from '../../engine/evaluate';
import { CatalogueReport, ControlScore, EvaluationRecord, isFindingStatus } from '../model';
import {
  BASELINE_MEASURE,
  locationText,
  messageText,
  percentText,
  refusedWaiverText,
  resourceLabel,
} from './common';

/**
 * A table cell: one line, and nothing from a template can add markup (a link, an image, HTML,
 * another column) to a pull-request comment.
 */
function cell(text: string | undefined): string {
  return (text ?? '')
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ') // eslint-disable-line no-control-regex
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]!|~#]/g, (c) => `\\${c}`);
}

/** A Markdown table whose cells can add no markup (see `cell`); numbers are written as they are. */
export function markdownTable(
  header: readonly string[],
  rows: ReadonlyArray<readonly (string | number | undefined)[]>,
): string[] {
  const line = (cells: readonly (string | number | undefined)[]) =>
    `| ${cells.map((c) => (typeof c === 'number' ? String(c) : cell(c))).join(' | ')} |`;
  return [line(header), `| ${header.map(() => '---').join(' | ')} |`, ...rows.map(line)];
}

const COUNTED: readonly EvaluationStatus[] = [
  'compliant',
  'remediated',
  'non-compliant',
  'unverifiable',
  'waived',
  'not-applicable',
];

function controlRows(report: CatalogueReport): (string | number | undefined)[][] {
  const scores = new Map<string, ControlScore>(report.score.overall.controls.map((c) => [c.controlId, c]));
  return report.controls.map((control) => {
    const score = scores.get(control.id);
    return [
      control.findingId,
      control.title,
      control.severity,
      score?.acceptedRisk ?? 'no-data',
      score?.strict ?? 'no-data',
      ...COUNTED.map((status) => score?.counts[status] ?? 0),
    ];
  });
}

function findingRow(record: EvaluationRecord): (string | undefined)[] {
  const refused = refusedWaiverText(record);
  return [
    record.severity,
    record.status,
    record.findingId,
    resourceLabel(record),
    record.property,
    refused ? `${messageText(record)} (${refused})` : messageText(record),
    locationText(record),
  ];
}

function waivedRow(record: EvaluationRecord): (string | undefined)[] {
  return [
    record.findingId,
    resourceLabel(record),
    messageText(record),
    record.waiver?.reason,
    record.waiver?.ticket,
    record.waiver?.expires,
    record.waiver?.approvedBy,
    record.waiver?.acknowledgedAt,
  ];
}

/** For a pull-request comment: the score, a row per control, a row per finding and per waiver. */
export function renderMarkdown(report: CatalogueReport): string {
  const { catalogue, score } = report;
  const findings = report.evaluations.filter((e) => isFindingStatus(e.status));
  const waived = report.evaluations.filter((e) => e.status === 'waived');
  const baseline = score.baseline;
  const lines = [
    `### ${cell(`Catalogue checks: ${catalogue.name} ${catalogue.version}`)}`,
    '',
    `Baseline ${catalogue.minimumScore}%, ${BASELINE_MEASURE}: **${baseline.score === null ? 'no data' : `${baseline.score.toFixed(2)}%`}**, ${baseline.met ? '✅ met' : '❌ not met'}`,
    '',
    ...markdownTable(
      ['Score', 'per control', 'per resource check'],
      [
        [
          'with accepted risk',
          percentText(score.overall.acceptedRisk.controls),
          percentText(score.overall.acceptedRisk.checks),
        ],
        ['strict', percentText(score.overall.strict.controls), percentText(score.overall.strict.checks)],
      ],
    ),
    '',
    '#### Stacks',
    '',
    ...markdownTable(
      [
        'Stack',
        'Rating',
        'Controls, accepted risk',
        'Controls, strict',
        'Checks, accepted risk',
        'Checks, strict',
      ],
      score.stacks.map((s) => [
        s.stackId,
        report.stacks.find((r) => r.stackId === s.stackId)?.rating,
        percentText(s.acceptedRisk.controls),
        percentText(s.strict.controls),
        percentText(s.acceptedRisk.checks),
        percentText(s.strict.checks),
      ]),
    ),
    '',
    '#### Controls',
    '',
    ...markdownTable(
      ['Control', 'Title', 'Severity', 'With accepted risk', 'Strict', ...COUNTED],
      controlRows(report),
    ),
    '',
    `#### Findings (${findings.length})`,
    '',
  ];
  if (findings.length > 0) {
    lines.push(
      ...markdownTable(
        ['Severity', 'Status', 'Control', 'Resource', 'Property', 'Message', 'Location'],
        findings.map(findingRow),
      ),
      '',
    );
  }
  if (waived.length > 0) {
    lines.push(
      `#### Waived (${waived.length})`,
      '',
      ...markdownTable(
        ['Control', 'Resource', 'Finding', 'Reason', 'Ticket', 'Expires', 'Approved by', 'Acknowledged at'],
        waived.map(waivedRow),
      ),
      '',
    );
  }
  return `${lines.join('\n')}\n`;
}
