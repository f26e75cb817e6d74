import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aspects } from 'aws-cdk-lib';
import { buildExampleApp } from '../../examples/pipeline-app/app';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations, isFinding } from '../../src';
import { REMEDIATION_SETTINGS } from '../../examples/pipeline-app/remediation-settings';
import { silenceCdkReports } from '../helpers';

silenceCdkReports();

/**
 * The acceptance test of the remediations: the real example CDK Pipelines app, remediated as the
 * README says, synthesized with aws-cdk-lib's bundled CloudFormation validator turned into errors.
 */
describe.each([true, false])(
  'the example app with remediations, crossAccountKeys: %s, at C3I3A3',
  (crossAccountKeys) => {
    let pack: EnterpriseCatalogueChecks;
    let validationReport: {
      pluginReports: Array<{
        pluginName: string;
        violations: Array<{ severity: string; description: string }>;
      }>;
    };

    beforeAll(() => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'remediated-'));
      const { app } = buildExampleApp({
        crossAccountKeys,
        remediate: true,
        rating: 'C3I3A3',
        appProps: { outdir, context: { '@aws-cdk/core:validateAgainstDefaultRules': true } },
      });
      pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3' });
      Aspects.of(app).add(pack);
      app.synth(); // throws on any error: a finding of the pack or of the CloudFormation validator
      validationReport = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    });

    it('leaves zero findings', () => {
      expect(
        pack.evaluations
          .filter(isFinding)
          .map((e) => `${e.findingId} ${e.constructPath ?? e.logicalId}: ${e.reason}`),
      ).toEqual([]);
    });

    it('remediated every control the stock app broke', () => {
      const remediated = new Set(
        pack.evaluations.filter((e) => e.status === 'remediated').map((e) => e.controlId),
      );
      expect([...remediated].sort()).toEqual(
        [
          'CodeBuild.1',
          'CodeBuild.2',
          'CodePipeline.1',
          'DynamoDB.1',
          'DynamoDB.2',
          'Encryption.1',
          'Lambda.1',
          'Logs.1',
          'S3.1',
          'S3.2',
          'S3.3',
          'S3.4',
          'SNS.1',
          'SQS.1',
          ...(crossAccountKeys ? ['KMS.1'] : []),
        ].sort(),
      );
    });

    it('produces templates the bundled CloudFormation validator accepts without errors', () => {
      const errors = validationReport.pluginReports
        .filter((report) => report.pluginName !== 'Enterprise')
        .flatMap((report) => report.violations)
        .filter((violation) => violation.severity === 'error' || violation.severity === 'fatal');
      expect(errors).toEqual([]);
    });
  },
);

describe('the example app with remediations added to the App only (the mistake the README warns about)', () => {
  it('fixes the pipeline stack, and every finding inside the pipeline Stages says the remediations never reached it', () => {
    const { app } = buildExampleApp({
      appProps: {
        builtinCloudFormationValidation: false,
        outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'missed-')),
      },
    });
    EnterpriseCatalogueRemediations.applyTo(app, { ...REMEDIATION_SETTINGS, rating: 'C3I3A3' });
    const pack = new EnterpriseCatalogueChecks({ rating: 'C3I3A3' });
    Aspects.of(app).add(pack);
    expect(() => app.synth()).toThrow(
      /EnterpriseCatalogueRemediations was added to the App but never reached this stack/,
    );
    const findings = pack.evaluations.filter(isFinding);
    // The note is in every such finding's reason too, so reports and the CLI carry it.
    expect(findings.every((e) => e.reason?.includes('never reached this stack'))).toBe(true);
    expect(new Set(findings.map((e) => e.stackId))).toEqual(
      new Set(['Pipeline/UAT/AppStack', 'Pipeline/Prod/AppStack']),
    );
  });
});
