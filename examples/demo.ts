/**
 * `npm run demo`: synthesizes the example CDK Pipelines app with the shipped catalogue in
 * report-only mode and prints what the pack finds, grouped by control.
 *
 * `npm run demo -- --remediate`: the same app with EnterpriseCatalogueRemediations applied as the
 * README says; prints the findings before and after, and what each fix changed.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, Evaluation, isFinding } from '../src';
import { buildExampleApp } from './pipeline-app/app';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const rating = process.env.CATALOGUE_RATING ?? 'C3I3A3';
const crossAccountKeys = process.argv.includes('--cross-account-keys');

function synthesize(remediate: boolean): { pack: EnterpriseCatalogueChecks; outdir: string } {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-catalogue-demo-'));
  const { app } = buildExampleApp({
    crossAccountKeys,
    remediate,
    rating,
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
  return { pack, outdir };
}

function groupBy(evaluations: readonly Evaluation[]): Map<string, Evaluation[]> {
  const groups = new Map<string, Evaluation[]>();
  for (const e of evaluations) groups.set(e.findingId, [...(groups.get(e.findingId) ?? []), e]);
  return groups;
}

function where(evaluation: Evaluation): string {
  return evaluation.constructPath ?? `${evaluation.stackId}/${evaluation.logicalId}`;
}

function printFindings(pack: EnterpriseCatalogueChecks): void {
  const findings = groupBy(pack.evaluations.filter(isFinding));
  const checked = groupBy(pack.evaluations);
  const unused: string[] = [];
  for (const control of pack.catalogue.controls) {
    const findingId = `${pack.catalogue.metadata.packName}-${control.id}`;
    const own = findings.get(findingId) ?? [];
    const total = checked.get(findingId)?.length ?? 0;
    if (total === 0) {
      unused.push(control.id);
      continue;
    }
    console.log(
      `\n${bold(findingId)}  ${control.title}  (${control.severity}; ${own.length} of ${total} resources fail)`,
    );
    for (const finding of own) {
      console.log(`  ${where(finding)}`);
      console.log(`      ${finding.status === 'unverifiable' ? 'cannot verify: ' : ''}${finding.reason}`);
    }
  }
  if (unused.length > 0)
    console.log(`\nNo resource of the app is of a type these controls check: ${unused.join(', ')}.`);
}

function printChanges(pack: EnterpriseCatalogueChecks): void {
  const remediated = groupBy(pack.evaluations.filter((e) => e.status === 'remediated'));
  console.log(`\n${bold('What the fixes changed')}`);
  for (const [findingId, evaluations] of remediated) {
    console.log(`\n${bold(findingId)}`);
    for (const evaluation of evaluations)
      console.log(`  ${where(evaluation)}: ${evaluation.changes?.join('; ')}`);
  }
}

function summary(pack: EnterpriseCatalogueChecks): string {
  const count = (status: string) => pack.evaluations.filter((e) => e.status === status).length;
  const findings = pack.evaluations.filter(isFinding);
  const controls = new Set(findings.map((e) => e.findingId)).size;
  return (
    `${findings.length} findings in ${controls} of ${pack.catalogue.controls.length} controls; ` +
    `${count('compliant')} compliant, ${count('remediated')} remediated, ${count('not-applicable')} not applicable, ${count('waived')} waived`
  );
}

function main(): void {
  const remediate = process.argv.includes('--remediate');
  const before = synthesize(false);
  console.log(
    `${before.pack.catalogue.metadata.name} ${before.pack.catalogue.metadata.version} against the example CDK Pipelines app ` +
      `(UAT + Prod, crossAccountKeys: ${crossAccountKeys}), rating ${rating}, report-only`,
  );
  if (!remediate) {
    printFindings(before.pack);
    console.log(`\n${bold(summary(before.pack))}.`);
    console.log(`\nCloud assembly: ${before.outdir} (CDK's own report: validation-report.json)`);
    console.log(
      `Every evaluation and the score: npx cdk-catalogue report ${before.outdir} --format markdown`,
    );
    console.log('Run `npm run demo -- --remediate` to apply the paired fixes.');
    return;
  }
  const after = synthesize(true);
  console.log(`\n${bold('Before remediation')}: ${summary(before.pack)}.`);
  console.log(`${bold('After remediation')}:  ${summary(after.pack)}.`);
  printChanges(after.pack);
  console.log(`\n${bold('Findings after remediation')}`);
  printFindings(after.pack);
  console.log(`\nCloud assembly: ${after.outdir}`);
}

main();
