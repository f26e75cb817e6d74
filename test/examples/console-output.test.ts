/**
 * What a developer reads on `cdk synth` of the example pipeline app: every finding a few short lines
 * (what is wrong where, what to do), nothing said per finding that could be said once, and one
 * summary at the end.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { buildExampleApp } from '../../examples/pipeline-app/app';
import { EnterpriseCatalogueChecks, isFinding } from '../../src';
import { silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

/** The report CDK prints, one block per finding, without the closing line that names the report file. */
function consoleReport(): { blocks: string[]; findings: number } {
  const { app } = buildExampleApp({
    crossAccountKeys: true,
    appProps: {
      builtinCloudFormationValidation: false,
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'console-')),
    },
  });
  const pack = new EnterpriseCatalogueChecks();
  Aspects.of(app).add(pack);
  const message = synthError(app)?.message ?? '';
  const blocks = message.split(/\n\n/).filter((block) => !block.startsWith('A copy of this report'));
  return { blocks, findings: pack.evaluations.filter(isFinding).length };
}

const { blocks, findings } = consoleReport();
const findingBlocks = blocks.filter((block) => /\bERROR\b|\bWARN/.test(block));

it('prints one block per finding and a closing summary', () => {
  expect(findingBlocks).toHaveLength(findings);
  expect(blocks[blocks.length - 1]).toMatch(/^[^\n]*INFO \[Enterprise\] \d+ findings in \d+ evaluations\./m);
  expect(blocks[blocks.length - 1]).toMatch(
    /Encryption\.1 .*: 12 \(12 fixable by EnterpriseCatalogueRemediations\)/,
  );
});

it('keeps every finding to a few short lines', () => {
  for (const block of findingBlocks) {
    expect(block.split('\n').length).toBeLessThanOrEqual(7);
    expect(block.length).toBeLessThan(900);
  }
});

it('says the rating note once, not per finding', () => {
  expect(blocks.join('\n').match(/No workload rating was set/g)).toHaveLength(1);
});

it('leaves the long remediation texts to the docs', () => {
  expect(blocks.join('\n')).not.toMatch(/one rotating customer-managed key per stack, created on first use/);
  expect(findingBlocks.every((block) => /Details: README, control Enterprise-/.test(block))).toBe(true);
});
