import * as fs from 'fs';
import * as path from 'path';
import { InputError, JudgedInput, readCloudAssembly, readTemplateFiles } from '../assembly';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue } from '../catalogue/model';
import { CiaRating, parseRating, STRICTEST_RATING } from '../catalogue/rating';
import { evaluate } from '../engine/evaluate';
import { RatingSource, StackTemplate } from '../engine/template';
import { PACKAGE_VERSION } from '../packs/version';
import { buildReport, CatalogueReport, meetsBaseline, reportStackOf } from '../report';
import { governRating } from '../engine/rating-policy';
import { REPORT_FILE } from '../report/file';
import { ruleOf } from '../rules';

export interface CheckOptions {
  readonly catalogue?: string;
  readonly rating?: string;
  /** The day waivers are judged on, `YYYY-MM-DD` in UTC. @default today */
  readonly today?: string;
  /** Where a progress line goes when the input is large (the CLI passes stderr on a terminal). */
  readonly progress?: (line: string) => void;
}

/** From this size on, `check` says what it is doing before it starts. */
const LARGE_INPUT = { stacks: 10, resources: 1000 };

/**
 * How `check` and `report` end: 0 when the gate holds, 1 when an error-severity finding is left, the
 * score is under the baseline, or the catalogue refused a stack's rating.
 */
export function exitCodeOf(report: CatalogueReport): number {
  const blocking = report.evaluations.some(
    (e) => (e.status === 'non-compliant' || e.status === 'unverifiable') && e.severity === 'error',
  );
  const ratingRefused = report.stacks.some((stack) => stack.ratingRefused !== undefined);
  return blocking || ratingRefused || !meetsBaseline(report) ? 1 : 0;
}

/** `check`: judges a cloud assembly or CloudFormation templates as the pack does at synth. */
export function checkInputs(inputs: readonly string[], options: CheckOptions): CatalogueReport {
  const catalogue = loadCatalogue(options.catalogue);
  const rating = ratingFor(options.rating);
  const readOptions = { ...rating, packName: catalogue.metadata.packName };
  const isAssembly = inputs.length === 1 && isDirectory(inputs[0]);
  const input = isAssembly
    ? readCloudAssembly(inputs[0], readOptions)
    : readTemplateFiles(inputs, readOptions);
  const stacks = isAssembly
    ? withRecordedRatings(input, inputs[0], options.rating !== undefined)
    : input.stacks;
  const resources = stacks.reduce(
    (sum, stack) => sum + Object.keys(stack.template.Resources ?? {}).length,
    0,
  );
  if (stacks.length >= LARGE_INPUT.stacks || resources >= LARGE_INPUT.resources) {
    options.progress?.(`cdk-catalogue: checking ${stacks.length} stacks, ${resources} resources...\n`);
  }
  return judge(
    catalogue,
    { ...input, stacks: stacks.map((stack) => governed(stack, catalogue)) },
    options.today,
  );
}

/**
 * The catalogue's rating policy holds here too: `--rating` below its minimum, or below the rating
 * pinned for the stack's account, is refused and the stack judged at the allowed rating. A rating
 * the pack recorded at synth was governed there; a refusal it recorded stays.
 */
function governed(stack: StackTemplate, catalogue: Catalogue): StackTemplate {
  if (stack.ratingRefused !== undefined) return stack;
  return { ...stack, ...governRating(stack, { account: stack.account }, catalogue.rating) };
}

function judge(catalogue: Catalogue, input: JudgedInput, today: string | undefined): CatalogueReport {
  const evaluations = evaluate({
    catalogue,
    today,
    stacks: input.stacks,
    waiverFor: input.waiverFor,
    constructPathOf: input.constructPathOf,
  });
  return buildReport({
    evaluations,
    catalogue,
    ruleHelpOf: (control) => ruleOf(control)?.meta,
    toolVersion: PACKAGE_VERSION,
    stacks: input.stacks.map((stack) => reportStackOf(stack, input.templateFiles.get(stack.stackId))),
    locate: (evaluation) => (evaluation.constructPath ? input.sourceOf(evaluation.constructPath) : undefined),
  });
}

/** `--rating`, else the strictest with a note (the assembly's recorded ratings may still apply per stack). */
function ratingFor(given: string | undefined): { rating: CiaRating; ratingSource: RatingSource } {
  if (given === undefined) return { rating: STRICTEST_RATING, ratingSource: 'default' };
  try {
    return { rating: parseRating(given, '--rating'), ratingSource: 'props' };
  } catch (e) {
    throw new InputError((e as Error).message);
  }
}

/**
 * Without `--rating`, each stack is held to the rating the pack judged it at during synthesis, as
 * recorded in the assembly's `catalogue-report.json`; a stack it does not list stays at the strictest.
 */
function withRecordedRatings(input: JudgedInput, dir: string, ratingGiven: boolean) {
  const file = path.join(dir, REPORT_FILE);
  if (ratingGiven || !fs.existsSync(file)) return input.stacks;
  const recorded = new Map(readReportFile(dir).stacks.map((stack) => [stack.stackId, stack]));
  return input.stacks.map((stack) => {
    const found = recorded.get(stack.stackId);
    return found
      ? {
          ...stack,
          rating: parseRating(found.rating, `${file} rating of ${stack.stackId}`),
          ratingSource: found.ratingSource,
          ...(found.ratingSetAt !== undefined && { ratingSetAt: found.ratingSetAt }),
          ...(found.ratingRefused !== undefined && { ratingRefused: found.ratingRefused }),
        }
      : stack;
  });
}

/** `report`: the record the pack wrote at synth. */
export function readReportFile(dir: string): CatalogueReport {
  const file = isDirectory(dir) ? path.join(dir, REPORT_FILE) : dir;
  if (!fs.existsSync(file)) {
    throw new InputError(
      `${file}: no catalogue report here (the pack writes it at synth; or use 'cdk-catalogue check ${dir}')`,
    );
  }
  try {
    const report = JSON.parse(fs.readFileSync(file, 'utf8')) as CatalogueReport;
    if (!Array.isArray(report?.evaluations) || !Array.isArray(report?.stacks))
      throw new Error('not a catalogue report');
    return report;
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
