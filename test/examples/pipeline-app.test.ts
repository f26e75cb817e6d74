import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { buildExampleApp } from '../../examples/pipeline-app/app';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueChecksProps, isFinding } from '../../src';
import { silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

/** Synthesizes the real example CDK Pipelines app (CodeCommit, synth step, UAT + Prod) with the pack. */
function synthExample(crossAccountKeys: boolean, props: EnterpriseCatalogueChecksProps) {
  const { app } = buildExampleApp({
    crossAccountKeys,
    appProps: {
      builtinCloudFormationValidation: false,
      outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'example-')),
    },
  });
  const pack = new EnterpriseCatalogueChecks(props);
  Aspects.of(app).add(pack);
  return { pack, error: synthError(app) };
}

function findingsPerControl(pack: EnterpriseCatalogueChecks): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const finding of pack.evaluations.filter(isFinding))
    counts[finding.controlId] = (counts[finding.controlId] ?? 0) + 1;
  return counts;
}

describe('the example CDK Pipelines app, stock CDK defaults', () => {
  // Per control: the pipeline side (artifact bucket, pipeline, synth and self-mutation projects, the
  // artifact key) plus two app stacks (bucket, queue, topic, table, log group, function) in UAT and
  // Prod.
  it.each([
    [
      'crossAccountKeys: true',
      true,
      {
        'CodeBuild.1': 2,
        'CodeBuild.2': 2,
        'CodePipeline.1': 1,
        // Per app stack: the table's point-in-time recovery and deletion protection, and the log
        // group's month of retention.
        'DynamoDB.1': 2,
        'DynamoDB.2': 2,
        'Encryption.1': 12,
        'KMS.1': 1,
        'Lambda.1': 2,
        'Logs.1': 2,
        'S3.1': 3,
        'S3.2': 3,
        // The app stacks' buckets; CDK Pipelines blocks public access on its artifact bucket.
        'S3.3': 2,
        // The app stacks' buckets, queues and topics; CDK Pipelines enforces TLS on its artifact bucket.
        'S3.4': 2,
        'SNS.1': 2,
        'SQS.1': 2,
      },
    ],
    [
      // No key: the pipeline side fails Encryption.1 too (artifact bucket, pipeline, two projects).
      'crossAccountKeys: false',
      false,
      {
        'CodeBuild.1': 2,
        'CodeBuild.2': 2,
        'CodePipeline.1': 1,
        'DynamoDB.1': 2,
        'DynamoDB.2': 2,
        'Encryption.1': 16,
        'Lambda.1': 2,
        'Logs.1': 2,
        'S3.1': 3,
        'S3.2': 3,
        // The app stacks' buckets; CDK Pipelines blocks public access on its artifact bucket.
        'S3.3': 2,
        // The app stacks' buckets, queues and topics; CDK Pipelines enforces TLS on its artifact bucket.
        'S3.4': 2,
        'SNS.1': 2,
        'SQS.1': 2,
      },
    ],
  ])('at C3I3A3 with %s breaks the controls this many times', (_name, crossAccountKeys, expected) => {
    const { pack, error } = synthExample(crossAccountKeys, { rating: 'C3I3A3', reportOnly: true });
    expect(error).toBeUndefined();
    expect(findingsPerControl(pack)).toEqual(expected);
  });

  it('sees inside the pipeline Stages', () => {
    const { pack } = synthExample(true, { rating: 'C3I3A3', reportOnly: true });
    const stacks = new Set(pack.evaluations.filter(isFinding).map((e) => e.stackId));
    expect([...stacks].sort()).toEqual(['Pipeline', 'Pipeline/Prod/AppStack', 'Pipeline/UAT/AppStack']);
  });

  it('fails synthesis without report-only, naming the missing approval before Prod', () => {
    const { error } = synthExample(true, { rating: 'C3I3A3' });
    expect(error?.message).toContain(
      "[Enterprise-CodePipeline.1] A manual approval precedes every production deployment: stage 'Prod' deploys without a manual approval",
    );
    expect(error?.message).toContain('Pipeline/UAT/AppStack/Uploads/Resource');
  });

  it('at C1I1A1 holds the app only to the controls that always apply', () => {
    const { pack } = synthExample(true, { rating: 'C1I1A1', reportOnly: true });
    expect(findingsPerControl(pack)).toEqual({ 'KMS.1': 1 });
  });
});
