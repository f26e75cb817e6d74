import * as fs from 'fs';
import * as path from 'path';
import { readCloudAssembly, templateLineOf } from '../assembly';
import { Catalogue } from '../catalogue/model';
import { STRICTEST_RATING } from '../catalogue/rating';
import { Evaluation } from '../engine/evaluate';
import { StackTemplate } from '../engine/template';
import { buildReport, CatalogueReport, reportStackOf } from '../report';
import { REPORT_FILE } from '../report/file';
import { ruleOf } from '../rules';
import { PACKAGE_VERSION } from './version';
import { PackAcknowledgement } from './acknowledgements';

/**
 * Writes the record of this synth into the cloud assembly (`catalogue-report.json`), with what the
 * assembly CDK has just written adds: template files and lines, and the user's source lines. It is
 * read through the same reader as `cdk-catalogue check`, so both locate a finding alike.
 */
export function writeCatalogueReport(
  outdir: string,
  catalogue: Catalogue,
  stacks: readonly StackTemplate[],
  evaluations: readonly Evaluation[],
  acknowledgements: readonly PackAcknowledgement[],
): CatalogueReport {
  const assembly = readCloudAssembly(outdir, {
    rating: STRICTEST_RATING,
    ratingSource: 'default',
    packName: catalogue.metadata.packName,
  });
  const texts = new Map<string, string | undefined>();
  const templateText = (stackId: string): string | undefined => {
    if (!texts.has(stackId)) {
      const file = assembly.templateFiles.get(stackId);
      texts.set(stackId, file === undefined ? undefined : fs.readFileSync(path.join(outdir, file), 'utf8'));
    }
    return texts.get(stackId);
  };
  const report = buildReport({
    evaluations,
    catalogue,
    ruleHelpOf: (control) => ruleOf(control)?.meta,
    toolVersion: PACKAGE_VERSION,
    stacks: stacks.map((stack) => reportStackOf(stack, assembly.templateFiles.get(stack.stackId))),
    acknowledgements: acknowledgements.map(({ path: constructPath, id, text, scope, source }) => ({
      constructPath,
      id,
      text: typeof text === 'string' ? text : (JSON.stringify(text) ?? ''),
      scope,
      ...(source && { source: { file: source.file, line: source.line } }),
    })),
    locate: (evaluation) =>
      evaluation.constructPath ? assembly.sourceOf(evaluation.constructPath) : undefined,
    templateLine: (evaluation) => {
      const text = templateText(evaluation.stackId);
      return text === undefined ? undefined : templateLineOf(text, evaluation.logicalId);
    },
  });
  fs.writeFileSync(path.join(outdir, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}
