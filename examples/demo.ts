/**
 * `npm run demo`: synthesizes the example CDK Pipelines app with the shipped catalogue in
 * report-only mode and prints what the pack finds, grouped by control.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, Evaluation, formatRating, isFinding } from '../src';
import { buildExampleApp } from './pipeline-app/app';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

function printFindings(pack: EnterpriseCatalogueChecks): void {
  const findings = pack.evaluations.filter(isFinding);
  const byControl = new Map<string, Evaluation[]>();
  for (const finding of findings)
    byControl.set(finding.findingId, [...(byControl.get(finding.findingId) ?? []), finding]);
  for (const control of pack.catalogue.controls) {
    const findingId = `${pack.catalogue.metadata.packName}-${control.id}`;
    const own = byControl.get(findingId) ?? [];
    const checked = pack.evaluations.filter((e) => e.findingId === findingId).length;
    console.log(
      `\n${bold(findingId)}  ${control.title}  (${control.severity}; ${own.length} of ${checked} resources fail)`,
    );
    for (const finding of own) {
      console.log(`  ${finding.constructPath ?? `${finding.stackId}/${finding.logicalId}`}`);
      console.log(`      ${finding.status === 'unverifiable' ? 'cannot verify: ' : ''}${finding.reason}`);
    }
  }
  const counts = (status: string) => pack.evaluations.filter((e) => e.status === status).length;
  console.log(
    `\n${bold(`${findings.length} findings`)} in ${byControl.size} of ${pack.catalogue.controls.length} controls; ` +
      `${counts('compliant')} compliant, ${counts('not-applicable')} not applicable, ${counts('waived')} waived.`,
  );
}

function main(): void {
  const rating = process.env.CATALOGUE_RATING ?? 'C3I3A3';
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-catalogue-demo-'));
  const { app } = buildExampleApp({
    crossAccountKeys: process.argv.includes('--cross-account-keys'),
    appProps: {
      outdir,
      context: {
        'aws:cdk:enable-path-metadata': true,
        // CDK would print its own full report to stderr; the demo prints a summary grouped by control instead.
        '@aws-cdk/core:failSynthOnValidationErrors': false,
      },
    },
  });
  const pack = new EnterpriseCatalogueChecks({ rating, reportOnly: true });
  Aspects.of(app).add(pack);
  app.synth();
  console.log(
    `${pack.catalogue.metadata.name} ${pack.catalogue.metadata.version} against the example CDK Pipelines app ` +
      `(UAT + Prod), rating ${formatRating(pack.evaluations[0]?.rating ?? { confidentiality: 3, integrity: 3, availability: 3 })}, report-only`,
  );
  printFindings(pack);
  console.log(`\nCloud assembly: ${outdir} (CDK's own report: validation-report.json)`);
}

main();
