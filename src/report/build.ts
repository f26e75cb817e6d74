import type { Catalogue, Control } from '../catalogue/model';
import { formatRating } from '../catalogue/rating';
import type { Evaluation, Waiver } from '../engine/evaluate';
import type { StackTemplate } from '../engine/template';
import type { RuleModule } from '../rules/rule';
import { credentialMasker, maskCredentials } from './mask';
import {
  CatalogueReport,
  EvaluationRecord,
  FileLine,
  REPORT_FORMAT_VERSION,
  ReportAcknowledgement,
  ReportControl,
  ReportStack,
  ReportWaiver,
  Score,
} from './model';
import { computeScore } from './score';
import { writeReportFile } from './file';

/** The parts of a rule's metadata a report explains a control with (pass `RULES.map((r) => r.meta)`). */
export type RuleHelp = Pick<RuleModule['meta'], 'id' | 'compliantWhen' | 'remediation'>;

export interface BuildReportInput {
  readonly evaluations: readonly Evaluation[];
  readonly catalogue: Catalogue;
  readonly stacks: readonly ReportStack[];
  readonly toolVersion: string;
  /**
   * The metadata of the rule that checks a control (a library rule, or a declarative check compiled
   * into one: pass `(control) => ruleOf(control)?.meta`), for the help texts of SARIF and markdown;
   * without it only the control's texts show.
   */
  readonly ruleHelpOf?: (control: Control) => RuleHelp | undefined;
  /** The line of the user's code that made the evaluated resource, when the assembly records it. */
  readonly locate?: (evaluation: Evaluation) => FileLine | undefined;
  /** The 1-based line of the resource's logical id in its stack's template file (see `templateLineOf`). */
  readonly templateLine?: (evaluation: Evaluation) => number | undefined;
  /** Every acknowledgement aimed at the pack, as the pack saw them in the tree (at synth only). */
  readonly acknowledgements?: readonly ReportAcknowledgement[];
}

/** A stack as the report lists it: the rating it was judged at, where that came from, and a refused one. */
export function reportStackOf(stack: StackTemplate, templateFile: string | undefined): ReportStack {
  return defined<ReportStack>({
    stackId: stack.stackId,
    rating: formatRating(stack.rating),
    ratingSource: stack.ratingSource,
    ratingSetAt: stack.ratingSetAt,
    ratingRefused: stack.ratingRefused,
    account: stack.account,
    region: stack.region,
    templateFile,
  });
}

function isLine(line: unknown): line is number {
  return Number.isInteger(line) && (line as number) >= 1;
}

/** A waiver as the report lists it, its free texts masked. */
function reportWaiver(waiver: Waiver | undefined, mask: (text: string) => string): ReportWaiver | undefined {
  if (!waiver) return undefined;
  const { id, reason, acknowledgedAt, form, scope, ticket, expires, approvedBy, refusedBecause, source } =
    waiver;
  return defined({
    id,
    reason: mask(reason),
    acknowledgedAt,
    form,
    scope,
    ticket,
    expires,
    approvedBy,
    refusedBecause: refusedBecause === undefined ? undefined : mask(refusedBecause),
    source: source && { file: source.file, line: source.line },
  });
}

function reportControl(control: Control, packName: string, rule: RuleHelp | undefined): ReportControl {
  return {
    id: control.id,
    findingId: `${packName}-${control.id}`,
    title: control.title,
    description: control.description,
    ruleId: control.rule,
    severity: control.severity,
    suppressible: control.suppressible,
    securityHub: control.references.securityHub,
    config: control.references.config,
    ...(rule && { compliantWhen: rule.compliantWhen, remediation: rule.remediation }),
  };
}

/** Leaves out the keys whose value is undefined, so the JSON has no `null`s and the schema stays strict. */
function defined<T extends object>(value: T): T {
  // A plain loop: a synth of thousands of resources builds a record per evaluation.
  const kept: Record<string, unknown> = {};
  for (const key in value) if (value[key] !== undefined) kept[key] = value[key];
  return kept as T;
}

function recordOf(
  evaluation: Evaluation,
  stack: ReportStack | undefined,
  input: BuildReportInput,
  mask: (text: string) => string,
): EvaluationRecord {
  const source = input.locate?.(evaluation);
  const templateLine = input.templateLine?.(evaluation);
  // Every key in one literal, so all records share one shape: a synth of thousands of resources builds
  // one per evaluation, and filtering each was the report's largest cost. A key left undefined is not
  // in the JSON (JSON.stringify leaves it out), nor does reading it differ from a missing one.
  return {
    stackId: evaluation.stackId,
    constructPath: evaluation.constructPath,
    logicalId: evaluation.logicalId,
    resourceType: evaluation.resourceType,
    controlId: evaluation.controlId,
    findingId: evaluation.findingId,
    ruleId: evaluation.ruleId,
    severity: evaluation.severity,
    status: evaluation.status,
    property: evaluation.property,
    message: evaluation.reason === undefined ? undefined : mask(evaluation.reason),
    rating: formatRating(evaluation.rating),
    ratingSource: evaluation.ratingSource,
    ratingSetAt: evaluation.ratingSetAt,
    waiver: reportWaiver(evaluation.waiver, mask),
    refusedWaiver: reportWaiver(evaluation.refusedWaiver, mask),
    changes: evaluation.changes?.map((change) => mask(change)),
    source: source && isLine(source.line) ? { file: source.file, line: source.line } : undefined,
    template: stack?.templateFile
      ? { file: stack.templateFile, line: isLine(templateLine) ? templateLine : undefined }
      : undefined,
  };
}

/**
 * The record of a synth: every evaluation with where it comes from, the catalogue's controls and
 * the score. Every text that may quote a value has its credentials masked.
 */
export function buildReport(input: BuildReportInput): CatalogueReport {
  return reportWith(input, input.evaluations.map(recordMaker(input)));
}

/**
 * Writes the report of `input` to `file` (see `writeReportFile`) as `buildReport(input)` would be,
 * making each evaluation's record only as it is written: a synth of thousands of resources holds
 * no second copy of its evaluations. Returns the score.
 */
export function writeReport(file: string, input: BuildReportInput): Score {
  const report = reportWith(input, []);
  writeReportFile(file, report, lazily(input.evaluations, recordMaker(input)));
  return report.score;
}

function* lazily<T, R>(items: readonly T[], map: (item: T) => R): Iterable<R> {
  for (const item of items) yield map(item);
}

/** Makes each evaluation's record, with one credential masker for the whole report. */
function recordMaker(input: BuildReportInput): (evaluation: Evaluation) => EvaluationRecord {
  const stacks = new Map(input.stacks.map((s) => [s.stackId, s]));
  const mask = credentialMasker();
  return (evaluation) => recordOf(evaluation, stacks.get(evaluation.stackId), input, mask);
}

/** The report with these records (none, when they are streamed into the file); the score counts them all. */
function reportWith(input: BuildReportInput, evaluations: EvaluationRecord[]): CatalogueReport {
  const { catalogue } = input;
  return {
    formatVersion: REPORT_FORMAT_VERSION,
    tool: { name: 'cdk-catalogue-checks', version: input.toolVersion },
    catalogue: {
      name: catalogue.metadata.name,
      owner: catalogue.metadata.owner,
      version: catalogue.metadata.version,
      packName: catalogue.metadata.packName,
      minimumScore: catalogue.baseline.minimumScore,
    },
    controls: catalogue.controls.map((c) =>
      reportControl(c, catalogue.metadata.packName, input.ruleHelpOf?.(c)),
    ),
    stacks: input.stacks.map((s) => defined({ ...s })),
    evaluations,
    ...(input.acknowledgements && {
      acknowledgements: input.acknowledgements.map((a) => ({ ...a, text: maskCredentials(a.text) })),
    }),
    score: computeScore(input.evaluations, catalogue.baseline.minimumScore),
  };
}
