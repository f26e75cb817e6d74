import type { EvaluationStatus } from '../engine/evaluate';
import {
  CatalogueReport,
  ControlScore,
  ControlStatus,
  EVALUATION_STATUSES,
  EvaluationRecord,
  Score,
  ScopeScore,
  ScoreView,
  Tally,
} from './model';

/** What the score reads of an evaluation: an engine evaluation or a report's record. */
type Scored = Pick<EvaluationRecord, 'stackId' | 'controlId' | 'findingId' | 'status'>;

type View = 'acceptedRisk' | 'strict';
type Counts = Record<EvaluationStatus, number>;

function countStatuses(records: readonly Scored[]): Counts {
  const counts = Object.fromEntries(EVALUATION_STATUSES.map((s) => [s, 0])) as Counts;
  for (const record of records) counts[record.status]++;
  return counts;
}

/**
 * One resource check's outcome in a view. Remediated counts as passed; unverifiable counts against
 * (Security Hub's "unknown"); waived is left out with accepted risk and fails when strict.
 */
function checkOutcomes(counts: Counts, view: View): { passed: number; failed: number; unknown: number } {
  return {
    passed: counts.compliant + counts.remediated,
    failed: counts['non-compliant'] + (view === 'strict' ? counts.waived : 0),
    unknown: counts.unverifiable,
  };
}

/** A control passes only when all its resources pass; with none that counts it has no data. */
function controlStatus(counts: Counts, view: View): ControlStatus {
  const { passed, failed, unknown } = checkOutcomes(counts, view);
  if (failed > 0) return 'failed';
  if (unknown > 0) return 'unknown';
  return passed > 0 ? 'passed' : 'no-data';
}

function tally(passed: number, failed: number, unknown: number, waived: number): Tally {
  const total = passed + failed + unknown;
  return {
    passed,
    failed,
    unknown,
    waived,
    total,
    percent: total === 0 ? null : Math.round((passed * 10000) / total) / 100,
  };
}

function viewOf(controls: readonly ControlScore[], all: Counts, view: View): ScoreView {
  const statuses = controls.map((c) => c[view]);
  const checks = checkOutcomes(all, view);
  return {
    controls: tally(
      statuses.filter((s) => s === 'passed').length,
      statuses.filter((s) => s === 'failed').length,
      statuses.filter((s) => s === 'unknown').length,
      controls.filter((c) => c.counts.waived > 0).length,
    ),
    checks: tally(checks.passed, checks.failed, checks.unknown, all.waived),
  };
}

/** `KMS.2` before `KMS.10`. */
const byControlId = new Intl.Collator('en', { numeric: true }).compare;

/** The records by a key, in the order the keys first appear. */
function groupBy(records: readonly Scored[], key: (r: Scored) => string) {
  const groups = new Map<string, Scored[]>();
  for (const record of records) {
    const group = groups.get(key(record));
    if (group) group.push(record);
    else groups.set(key(record), [record]);
  }
  return groups;
}

function scopeScore(records: readonly Scored[]): ScopeScore {
  const byControl = groupBy(records, (r) => r.controlId);
  const controls = [...byControl.keys()].sort(byControlId).map((controlId): ControlScore => {
    const list = byControl.get(controlId)!;
    const counts = countStatuses(list);
    return {
      controlId,
      findingId: list[0].findingId,
      acceptedRisk: controlStatus(counts, 'acceptedRisk'),
      strict: controlStatus(counts, 'strict'),
      counts,
    };
  });
  const all = countStatuses(records);
  return {
    acceptedRisk: viewOf(controls, all, 'acceptedRisk'),
    strict: viewOf(controls, all, 'strict'),
    controls,
  };
}

/** Compared on the counts, not the rounded percentage: 94.996% does not meet 95%. */
function meets(controls: Tally, minimumScore: number): boolean {
  return controls.total === 0 || controls.passed * 100 >= minimumScore * controls.total;
}

/**
 * The score the Security Hub way and stricter, per stack and overall. A control counts once
 * overall: it passes only when it passes on every resource of every stack. The catalogue's
 * baseline holds the app to the overall per-control score with accepted risk (Security Hub's own
 * security score); the strict score and the per-check scores are always computed beside it.
 */
export function computeScore(evaluations: readonly Scored[], minimumScore: number): Score {
  const overall = scopeScore(evaluations);
  return {
    baseline: {
      minimumScore,
      scope: 'overall',
      measure: 'controls',
      view: 'acceptedRisk',
      score: overall.acceptedRisk.controls.percent,
      met: meets(overall.acceptedRisk.controls, minimumScore),
    },
    overall,
    stacks: [...groupBy(evaluations, (e) => e.stackId)].map(([stackId, records]) => ({
      stackId,
      ...scopeScore(records),
    })),
  };
}

/** Whether the app meets the catalogue's baseline, recomputed from the evaluations (not read from the report). */
export function meetsBaseline(report: CatalogueReport): boolean {
  return computeScore(report.evaluations, report.catalogue.minimumScore).baseline.met;
}
