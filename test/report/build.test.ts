import * as fs from 'fs';
import { App, aws_kms as kms, aws_s3 as s3, Stack } from 'aws-cdk-lib';
import { evaluate } from '../../src/engine/evaluate';
import { CfnTemplate } from '../../src/engine/template';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { templateLineOf } from '../../src/assembly';
import { buildReport, REPORT_FORMAT_VERSION } from '../../src/report';
import { ruleOf } from '../../src/rules';
import {
  catalogue,
  engineEvaluations,
  engineReport,
  handReport,
  record,
  reportSchemaValidator,
  TEMPLATE_FILE,
} from './helpers';

const validate = reportSchemaValidator();

function expectValid(report: unknown): void {
  const valid = validate(JSON.parse(JSON.stringify(report)));
  expect(validate.errors ?? []).toEqual([]);
  expect(valid).toBe(true);
}

describe('buildReport', () => {
  const report = engineReport();
  const byLogicalId = Object.fromEntries(report.evaluations.map((e) => [e.logicalId, e]));

  test('records every evaluation, whatever its status', () => {
    expect(Object.fromEntries(report.evaluations.map((e) => [e.logicalId, e.status]))).toEqual({
      Rotating: 'compliant',
      NotRotating: 'non-compliant',
      FromParameter: 'unverifiable',
      Hmac: 'not-applicable',
      Waived: 'waived',
      Fixed: 'remediated',
    });
  });

  test('each record says where, what, how it was rated, and why', () => {
    expect(byLogicalId.NotRotating).toEqual({
      stackId: 'App/Keys',
      logicalId: 'NotRotating',
      resourceType: 'AWS::KMS::Key',
      controlId: 'KMS.1',
      findingId: 'Enterprise-KMS.1',
      ruleId: 'key-rotation',
      severity: 'error',
      status: 'non-compliant',
      property: 'EnableKeyRotation',
      message: 'EnableKeyRotation is not set (it defaults to false)',
      rating: 'C3I3A3',
      ratingSource: 'props',
      source: { file: 'lib/keys-stack.ts', line: 12 },
      template: { file: TEMPLATE_FILE, line: 17 },
    });
    expect(byLogicalId.Rotating.constructPath).toBe('App/Keys/Rotating/Resource');
    expect(byLogicalId.Fixed.changes).toEqual(['set EnableKeyRotation to true']);
  });

  test('the waiver of a waived finding with its fields, its reason with credentials masked', () => {
    expect(byLogicalId.Waived.waiver).toEqual({
      id: 'Enterprise::Enterprise-KMS.1',
      form: 'qualified',
      reason: 'legacy key, see https://***@tickets.example.com/SEC-1',
      ticket: 'SEC-1',
      expires: '2026-12-31',
      acknowledgedAt: 'App/Keys',
    });
  });

  test('the controls with their rules help, and the catalogue with its baseline', () => {
    expect(report.formatVersion).toBe(REPORT_FORMAT_VERSION);
    expect(report.tool).toEqual({ name: 'cdk-catalogue-checks', version: '0.1.0' });
    expect(report.catalogue).toMatchObject({ packName: 'Enterprise', minimumScore: 95 });
    expect(report.controls.map((c) => c.id)).toEqual(catalogue.controls.map((c) => c.id));
    expect(report.controls.find((c) => c.id === 'KMS.1')).toMatchObject({
      findingId: 'Enterprise-KMS.1',
      title: 'KMS keys rotate',
      securityHub: ['KMS.4'],
      compliantWhen: expect.stringContaining('EnableKeyRotation true'),
      remediation: 'sets EnableKeyRotation to true on the key',
    });
  });

  test('drops a source or template line that is not a 1-based line number', () => {
    const [evaluation] = engineEvaluations();
    const built = buildReport({
      evaluations: [evaluation],
      catalogue,
      stacks: [{ stackId: 'App/Keys', rating: 'C3I3A3', ratingSource: 'props', templateFile: 'x.json' }],
      toolVersion: '0.1.0',
      locate: () => ({ file: 'a.ts', line: 0 }),
      templateLine: () => 2.5,
    });
    expect(built.evaluations[0].source).toBeUndefined();
    expect(built.evaluations[0].template).toEqual({ file: 'x.json' });
    expectValid(built);
  });

  test('without rule metadata or locations, the report still says everything else', () => {
    const built = buildReport({
      evaluations: engineEvaluations(),
      catalogue,
      stacks: [{ stackId: 'App/Keys', rating: 'C3I3A3', ratingSource: 'props' }],
      toolVersion: '0.1.0',
    });
    expect(built.controls[0].compliantWhen).toBeUndefined();
    expect(built.evaluations.every((e) => e.source === undefined && e.template === undefined)).toBe(true);
    expectValid(built);
  });
});

describe('the report validates against schema/catalogue-report.schema.json', () => {
  test('built from the real engine', () => expectValid(engineReport()));

  test('made by hand with every optional field', () => {
    expectValid(
      handReport([
        record('A.1', 'non-compliant', {
          constructPath: 'Stack/Key/Resource',
          property: 'EnableKeyRotation',
          message: 'not set',
          refusedWaiver: { id: 'Test::Test-A.1', reason: 'no', acknowledgedAt: 'Stack' },
          source: { file: 'lib/a.ts', line: 3 },
          template: { file: 'Stack.template.json', line: 9 },
        }),
        record('A.1', 'remediated', { logicalId: 'K2', changes: ['set it'] }),
        record('B.1', 'waived'),
      ]),
    );
  });

  test('an empty app', () => expectValid(handReport([])));

  test('the schema refuses a record the format does not define', () => {
    const report = handReport([record('A.1', 'compliant')]);
    expect(validate({ ...report, evaluations: [{ ...report.evaluations[0], secret: 'x' }] })).toBe(false);
    expect(validate({ ...report, formatVersion: '2.0' })).toBe(false);
  });

  test('on a real synthesized CDK app, with template lines from the synthesized template file', () => {
    const app = new App({ builtinCloudFormationValidation: false });
    const stack = new Stack(app, 'Keys');
    new kms.Key(stack, 'Rotating', { enableKeyRotation: true });
    new kms.Key(stack, 'Plain');
    new s3.Bucket(stack, 'Bucket');
    const assembly = app.synth();
    const artifact = assembly.getStackByName('Keys');
    const templateJson = fs.readFileSync(artifact.templateFullPath, 'utf8');
    const evaluations = evaluate({
      catalogue,
      stacks: [
        {
          stackId: 'Keys',
          template: artifact.template as CfnTemplate,
          rating: STRICTEST_RATING,
          ratingSource: 'default',
        },
      ],
    });
    const report = buildReport({
      evaluations,
      catalogue,
      stacks: [
        { stackId: 'Keys', rating: 'C3I3A3', ratingSource: 'default', templateFile: artifact.templateFile },
      ],
      toolVersion: '0.1.0',
      ruleHelpOf: (control) => ruleOf(control)?.meta,
      templateLine: (e) => templateLineOf(templateJson, e.logicalId),
    });
    expectValid(report);
    const plain = report.evaluations.find((e) => e.logicalId.startsWith('Plain') && e.controlId === 'KMS.1')!;
    expect(plain.status).toBe('non-compliant');
    expect(plain.template).toEqual({ file: 'Keys.template.json', line: expect.any(Number) });
    expect(templateJson.split('\n')[plain.template!.line! - 1].trim()).toBe(`"${plain.logicalId}": {`);
    expect(report.stacks[0].ratingSource).toBe('default');
    expect(new Set(report.evaluations.map((e) => e.controlId))).toEqual(
      new Set(['KMS.1', 'S3.1', 'S3.2', 'S3.3', 'S3.4', 'Encryption.1']),
    );
  });
});
