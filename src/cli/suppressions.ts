import * as fs from 'fs';
import * as path from 'path';
import { InputError, listAcknowledgements } from '../assembly';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue } from '../catalogue/model';
import { markdownTable } from '../report/render/markdown';
import { parseClock, utcToday } from '../waivers/policy';
import {
  CoveringWaiver,
  diffWaivers,
  policyHolds,
  reviewWaivers,
  ReviewedWaiver,
  WaiverDiff,
  WaiverStatus,
} from '../waivers/review';
import { checkInputs, readReportFile } from './check';
import type { CatalogueReport, EvaluationRecord } from '../report';
import { REPORT_FILE } from '../report/file';

/** `cdk-catalogue suppressions`: every waiver of a cloud assembly, judged, and what changed since a base. */

export const SUPPRESSIONS_FORMATS = ['markdown', 'json'] as const;
export type SuppressionsFormat = (typeof SUPPRESSIONS_FORMATS)[number];

/** The clock tests set when `--now` is not given. */
export const NOW_VARIABLE = 'CDK_CATALOGUE_NOW';

export interface SuppressionsOptions {
  readonly catalogue?: string;
  /** Another cloud assembly (the pull request's base) to compare with. */
  readonly base?: string;
  /** The day waivers are judged on (`YYYY-MM-DD`, or an ISO date-time read in UTC). @default $CDK_CATALOGUE_NOW, else today in UTC */
  readonly now?: string;
}

export interface SuppressionsReview {
  /** The day the waivers were judged on, `YYYY-MM-DD` in UTC. */
  readonly today: string;
  /** False when a waiver is refused or expired: the command exits 1. */
  readonly policyHolds: boolean;
  readonly counts: Readonly<Record<WaiverStatus, number>>;
  readonly waivers: readonly ReviewedWaiver[];
  /** With a base assembly only. */
  readonly changes?: WaiverDiff;
}

const STATUSES: readonly WaiverStatus[] = ['refused', 'expired', 'stale', 'active'];

export function reviewSuppressions(dir: string, options: SuppressionsOptions): SuppressionsReview {
  const today = clockOf(options.now);
  const catalogue = loadCatalogue(options.catalogue);
  const waivers = reviewAssembly(dir, catalogue, options.catalogue, today);
  const base =
    options.base === undefined
      ? undefined
      : reviewAssembly(options.base, catalogue, options.catalogue, today);
  return {
    today,
    policyHolds: policyHolds(waivers),
    counts: Object.fromEntries(
      STATUSES.map((status) => [status, waivers.filter((w) => w.status === status).length]),
    ) as Record<WaiverStatus, number>,
    waivers,
    ...(base && { changes: diffWaivers(base, waivers) }),
  };
}

/** The day waivers are judged on: `--now`, else $CDK_CATALOGUE_NOW, else today (UTC). */
export function clockOf(given: string | undefined): string {
  const value = given ?? process.env[NOW_VARIABLE];
  if (value === undefined || value === '') return utcToday();
  try {
    return parseClock(value, given === undefined ? `$${NOW_VARIABLE}` : '--now');
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/**
 * The assembly's waivers, each with the evaluations it covers as `check` judges them. Acknowledgements
 * on a Stage or the App are in no stack's metadata: the pack's record of the synth
 * (`catalogue-report.json`) lists them, with the evaluations they covered then.
 */
function reviewAssembly(
  dir: string,
  catalogue: Catalogue,
  cataloguePath: string | undefined,
  today: string,
): ReviewedWaiver[] {
  // Read first: it refuses anything that is not a cloud assembly with one line.
  const fromMetadata = listAcknowledgements(dir);
  const checked = checkInputs([dir], { catalogue: cataloguePath, today });
  const recorded = recordedReport(dir);
  const known = new Set(fromMetadata.map((a) => keyOf(a.constructPath, a.id)));
  const onlyRecorded = (recorded?.acknowledgements ?? []).filter(
    (a) => !known.has(keyOf(a.constructPath, a.id)),
  );
  const onlyRecordedKeys = new Set(onlyRecorded.map((a) => keyOf(a.constructPath, a.id)));
  const covering = [
    ...coveringOf(checked.evaluations),
    ...coveringOf(recorded?.evaluations ?? []).filter((c) =>
      onlyRecordedKeys.has(keyOf(c.acknowledgedAt, c.id)),
    ),
  ];
  const acknowledgements = [
    ...fromMetadata,
    ...onlyRecorded.map(({ constructPath, id, text, scope, source }) => ({
      stackId: constructPath,
      constructPath,
      id,
      text,
      scope,
      ...(source && { source }),
    })),
  ];
  const stackIds = checked.stacks.map((stack) => stack.stackId);
  return reviewWaivers({ catalogue, stackIds, acknowledgements, covering, today });
}

/** One acknowledgement: where it was made and its id as acknowledged. */
function keyOf(constructPath: string, id: string): string {
  return JSON.stringify([constructPath, id]);
}

function coveringOf(evaluations: readonly EvaluationRecord[]): CoveringWaiver[] {
  return evaluations.flatMap((record) => {
    const waiver = record.waiver ?? record.refusedWaiver;
    return waiver ? [{ acknowledgedAt: waiver.acknowledgedAt, id: waiver.id }] : [];
  });
}

/** The pack's record of the synth, when the assembly has one. */
function recordedReport(dir: string): CatalogueReport | undefined {
  return fs.existsSync(path.join(dir, REPORT_FILE)) ? readReportFile(dir) : undefined;
}

export function renderSuppressions(review: SuppressionsReview, format: SuppressionsFormat): string {
  return format === 'json' ? `${JSON.stringify(review, null, 2)}\n` : renderMarkdown(review);
}

const HEADER = [
  'Status',
  'Control',
  'Stack',
  'Construct path',
  'Scope',
  'Reason',
  'Ticket',
  'Expires',
  'Approved by',
  'Resources',
  'Source',
];

function row(waiver: ReviewedWaiver): (string | number | undefined)[] {
  return [
    waiver.status,
    waiver.control,
    waiver.stackId || '(the App)',
    waiver.constructPath || '(the App)',
    waiver.scope,
    waiver.reason,
    waiver.ticket,
    waiver.expires,
    waiver.approvedBy,
    waiver.resourcesCovered,
    waiver.source && `${displayedFile(waiver.source.file)}:${waiver.source.line}`,
  ];
}

/** Paths under the working directory (the checkout) are shown relative to it, as in the repository. */
function displayedFile(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative.split(path.sep).join('/');
}

/** A pull-request comment: the verdict, every waiver, why the refused and expired ones fail, and the changes. */
function renderMarkdown(review: SuppressionsReview): string {
  const { counts, waivers } = review;
  const verdict = review.policyHolds
    ? '**The waiver policy holds.**'
    : `**The waiver policy does not hold:** ${counts.refused} refused, ${counts.expired} expired.`;
  const lines = [
    '## Waivers',
    '',
    `${verdict} ${waivers.length} waiver(s): ${STATUSES.map((s) => `${counts[s]} ${s}`).join(', ')} (judged on ${review.today}, UTC).`,
    '',
  ];
  if (waivers.length > 0) lines.push(...markdownTable(HEADER, waivers.map(row)), '');
  const breaches = waivers.filter((w) => w.status === 'refused' || w.status === 'expired');
  if (breaches.length > 0) {
    lines.push(
      '### Why the policy does not hold',
      '',
      ...markdownTable(
        ['Control', 'Construct path', 'Why'],
        breaches.map((w) => [w.control, w.constructPath, w.refusedBecause.join('; ')]),
      ),
      '',
    );
  }
  const stale = waivers.filter((w) => w.status === 'stale');
  if (stale.length > 0) {
    lines.push(
      `Warning: ${stale.length} stale waiver(s) cover no finding; remove them, or they will waive a future finding unseen.`,
      '',
    );
  }
  if (review.changes) lines.push(...changesMarkdown(review.changes));
  return `${lines.join('\n').trimEnd()}\n`;
}

function changesMarkdown(changes: WaiverDiff): string[] {
  const lines = [
    '### Changes since the base',
    '',
    `${changes.added.length} added, ${changes.removed.length} removed, ${changes.changed.length} changed.`,
    '',
  ];
  const section = (title: string, waivers: readonly ReviewedWaiver[]) =>
    waivers.length === 0 ? [] : [`#### ${title}`, '', ...markdownTable(HEADER, waivers.map(row)), ''];
  lines.push(...section('Added', changes.added), ...section('Removed', changes.removed));
  if (changes.changed.length > 0) {
    lines.push(
      '#### Changed',
      '',
      ...markdownTable(
        ['Control', 'Construct path', 'Before', 'After', 'Status'],
        changes.changed.map(({ before, after }) => [
          after.control,
          after.constructPath,
          before.text,
          after.text,
          after.status,
        ]),
      ),
      '',
    );
  }
  return lines;
}

/** 0 when the waiver policy holds, 1 when a waiver is refused or expired. */
export function suppressionsExitCode(review: SuppressionsReview): number {
  return review.policyHolds ? 0 : 1;
}
