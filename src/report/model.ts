import type { Severity, WaiverScope } from '../catalogue/model';
import type { EvaluationStatus } from '../engine/evaluate';
import type { RatingSource } from '../engine/template';

/**
 * The version of the report's JSON format (`schema/catalogue-report.schema.json`). The minor part
 * grows when fields are added, the major part when a field changes meaning or goes away.
 */
export const REPORT_FORMAT_VERSION = '1.1';

/** A line in a file: the user's source (from the assembly's stack traces) or a template in the assembly. */
export interface FileLine {
  /** For a template: relative to the cloud assembly; for the user's source: as the assembly records it. */
  readonly file: string;
  /** 1-based. */
  readonly line: number;
}

/** One stack of the app, as judged. */
export interface ReportStack {
  /** The stack's construct path (`Pipeline/UAT/AppStack`), or outside CDK the template's file name. */
  readonly stackId: string;
  /** The workload's CIA rating the stack was held to, in short form: `C3I2A1`. */
  readonly rating: string;
  readonly ratingSource: RatingSource;
  /** For a rating from context: the construct path the key is set on (`''` for the App). */
  readonly ratingSetAt?: string;
  /** When the catalogue refused the rating the stack was given (and judged it at `rating` instead): why. */
  readonly ratingRefused?: string;
  readonly account?: string;
  readonly region?: string;
  /** The stack's template file, relative to the cloud assembly. */
  readonly templateFile?: string;
}

/** An acknowledgement as the report shows it. */
export interface ReportWaiver {
  readonly id: string;
  readonly reason: string;
  readonly acknowledgedAt: string;
  /** `qualified` (CDK lists it), `bare` (the pack lists it), `central` (the catalogue's waivers file). */
  readonly form?: 'qualified' | 'bare' | 'central';
  /** What it was made on: a construct in a stack (`resource`), a stack, a Stage, the App. */
  readonly scope?: WaiverScope;
  readonly ticket?: string;
  readonly expires?: string;
  readonly approvedBy?: string;
  /** On a refused waiver: every way it breaks the catalogue's waiver policy. */
  readonly refusedBecause?: string;
  /** Where it is written: the user's line (from CDK's trace), or the central waivers file's entry. */
  readonly source?: FileLine;
}

/**
 * An acknowledgement aimed at the pack, as the pack saw it in the construct tree: those on a Stage
 * or the App are in no stack's metadata, so this record is where the review finds them.
 */
export interface ReportAcknowledgement {
  /** The construct path it was made on (`''` for the App). */
  readonly constructPath: string;
  /** As acknowledged: `Enterprise::Enterprise-S3.1` or a bare form. */
  readonly id: string;
  /** Its text as written (the reason with its tags); credentials masked. */
  readonly text: string;
  /** What it was made on: a construct in a stack (`resource`), a stack, a Stage, the App. */
  readonly scope: WaiverScope;
  /** The user's line that made it, when CDK recorded the trace. */
  readonly source?: FileLine;
}

/** One evaluation: the verdict of one applicable control on one resource. */
export interface EvaluationRecord {
  readonly stackId: string;
  readonly constructPath?: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly controlId: string;
  /** `<packName>-<controlId>`: the id CDK prints and acknowledgements name. */
  readonly findingId: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly status: EvaluationStatus;
  /** The property at fault (a finding, or a waived one). */
  readonly property?: string;
  /** What is wrong, or why the control does not apply; credentials masked. */
  readonly message?: string;
  readonly rating: string;
  readonly ratingSource: RatingSource;
  /** For a rating from context: the construct path the key is set on (`''` for the App). */
  readonly ratingSetAt?: string;
  /** For `waived`: the acknowledgement that waived the finding. */
  readonly waiver?: ReportWaiver;
  /** The finding was acknowledged, but the catalogue refused the waiver (its control or its policy). */
  readonly refusedWaiver?: ReportWaiver;
  /** For `remediated`: what the paired remediation changed. */
  readonly changes?: readonly string[];
  /** The line of the user's code that made the resource, when the assembly records it. */
  readonly source?: FileLine;
  /** The stack's template in the assembly, and the line of the resource's logical id in it when known. */
  readonly template?: { readonly file: string; readonly line?: number };
}

/** What a control requires, for reports that explain their rules (SARIF, markdown). */
export interface ReportControl {
  readonly id: string;
  readonly findingId: string;
  readonly title: string;
  readonly description: string;
  readonly ruleId: string;
  readonly severity: Severity;
  readonly suppressible: boolean;
  readonly securityHub: readonly string[];
  readonly config: readonly string[];
  /** From the rule's metadata, when the report was given it. */
  readonly compliantWhen?: string;
  readonly remediation?: string;
}

/**
 * A control's state the Security Hub way: passed when all its resources pass, failed when one
 * fails, unknown when none failed but one could not be verified, no-data when nothing counts.
 */
export type ControlStatus = 'passed' | 'failed' | 'unknown' | 'no-data';

/**
 * Counts behind one percentage; `total` is the denominator, `passed + failed + unknown`.
 * `waived` counts the checks waived (or the controls with a waived check): in the accepted-risk
 * view waived checks are left out, in the strict view they count as failed.
 */
export interface Tally {
  readonly passed: number;
  readonly failed: number;
  readonly unknown: number;
  readonly waived: number;
  readonly total: number;
  /** `passed / total` in percent, rounded to two decimals; null when `total` is 0. */
  readonly percent: number | null;
}

/** The two measures in one view. */
export interface ScoreView {
  /** Per control: a control passes only when every resource it applies to passes. */
  readonly controls: Tally;
  /** Per resource check: each (resource, control) evaluation on its own. */
  readonly checks: Tally;
}

export interface ControlScore {
  readonly controlId: string;
  readonly findingId: string;
  readonly acceptedRisk: ControlStatus;
  readonly strict: ControlStatus;
  readonly counts: Readonly<Record<EvaluationStatus, number>>;
}

/** The score of one scope (one stack, or the whole app). */
export interface ScopeScore {
  /** Waived findings left out, as Security Hub leaves out suppressed findings. */
  readonly acceptedRisk: ScoreView;
  /** Waived findings counted as failed, so waiving cannot raise the score unseen. */
  readonly strict: ScoreView;
  readonly controls: readonly ControlScore[];
}

/** Which score the catalogue's baseline holds the app to, and whether it does. */
export interface BaselineResult {
  readonly minimumScore: number;
  readonly scope: 'overall';
  readonly measure: 'controls';
  readonly view: 'acceptedRisk';
  /** The score compared: `overall.acceptedRisk.controls.percent`. */
  readonly score: number | null;
  readonly met: boolean;
}

export interface Score {
  readonly baseline: BaselineResult;
  readonly overall: ScopeScore;
  readonly stacks: ReadonlyArray<ScopeScore & { readonly stackId: string }>;
}

export interface CatalogueReport {
  readonly formatVersion: typeof REPORT_FORMAT_VERSION;
  readonly tool: { readonly name: 'cdk-catalogue-checks'; readonly version: string };
  readonly catalogue: {
    readonly name: string;
    readonly owner: string;
    readonly version: string;
    readonly packName: string;
    readonly minimumScore: number;
  };
  readonly controls: readonly ReportControl[];
  readonly stacks: readonly ReportStack[];
  readonly evaluations: readonly EvaluationRecord[];
  /** Every acknowledgement aimed at the pack, used or not (written by the pack at synth; `check` has none). */
  readonly acknowledgements?: readonly ReportAcknowledgement[];
  readonly score: Score;
}

/** Findings are the evaluations that still need a fix or a waiver (as the engine's `isFinding`). */
export function isFindingStatus(status: EvaluationStatus): boolean {
  return status === 'non-compliant' || status === 'unverifiable';
}

/** What the reports list as results: the findings and the waived ones. */
export function isReported(record: EvaluationRecord): boolean {
  return isFindingStatus(record.status) || record.status === 'waived';
}

const STATUS_ORDER: Record<EvaluationStatus, number> = {
  'non-compliant': 0,
  unverifiable: 1,
  waived: 2,
  remediated: 3,
  compliant: 4,
  'not-applicable': 5,
};

/** Every status, worst first (the order reports list them in). */
export const EVALUATION_STATUSES = Object.keys(STATUS_ORDER) as EvaluationStatus[];
