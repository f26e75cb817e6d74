import * as fs from 'fs';
import * as path from 'path';
import { ConstructMetadata, resourceKeyLines } from '../assembly';
import { Catalogue } from '../catalogue/model';
import { Evaluation } from '../engine/evaluate';
import { StackTemplate } from '../engine/template';
import { reportStackOf, Score } from '../report';
import { writeReport } from '../report/build';
import { REPORT_FILE } from '../report/file';
import { ruleOf } from '../rules';
import { PACKAGE_VERSION } from './version';
import { PackAcknowledgement } from './acknowledgements';

/**
 * Writes the record of this synth into the cloud assembly (`catalogue-report.json`) and returns its
 * score, with what the assembly CDK has just written adds: template files and lines, and the user's
 * source lines (from the construct metadata, read as `cdk-catalogue check` reads it, so both locate a
 * finding alike).
 */
export function writeCatalogueReport(
  outdir: string,
  recorded: ConstructMetadata,
  catalogue: Catalogue,
  stacks: readonly StackTemplate[],
  evaluations: readonly Evaluation[],
  acknowledgements: readonly PackAcknowledgement[],
): Score {
  const relative = (stack: StackTemplate) => stack.templateFile && path.relative(outdir, stack.templateFile);
  const templateFileOf = new Map(stacks.map((stack) => [stack.stackId, stack.templateFile]));
  // Evaluations come stack by stack: one stack's lines are held at a time. CDK wrote the templates
  // as JSON, and the pack has parsed them already.
  let current: { stackId: string; lines: Map<string, number> | undefined } | undefined;
  const linesOf = (stackId: string): Map<string, number> | undefined => {
    if (current?.stackId !== stackId) {
      const file = templateFileOf.get(stackId);
      current = {
        stackId,
        lines: file === undefined ? undefined : resourceKeyLines(fs.readFileSync(file, 'utf8')),
      };
    }
    return current.lines;
  };
  return writeReport(path.join(outdir, REPORT_FILE), {
    evaluations,
    catalogue,
    ruleHelpOf: (control) => ruleOf(control)?.meta,
    toolVersion: PACKAGE_VERSION,
    stacks: stacks.map((stack) => reportStackOf(stack, relative(stack))),
    acknowledgements: acknowledgements.map(({ path: constructPath, id, text, scope, source }) => ({
      constructPath,
      id,
      text: typeof text === 'string' ? text : (JSON.stringify(text) ?? ''),
      scope,
      ...(source && { source: { file: source.file, line: source.line } }),
    })),
    locate: (evaluation) =>
      evaluation.constructPath ? recorded.sourceOf(evaluation.constructPath) : undefined,
    templateLine: (evaluation) => linesOf(evaluation.stackId)?.get(evaluation.logicalId),
  });
}
