import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, aws_dynamodb as dynamodb, CfnCondition, CfnParameter, Fn, Stack } from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, EnterpriseCatalogueRemediations, loadCatalogue, waive } from '../../src';
import { renderCatalogueMarkdown } from '../../src/catalogue/docs';
import { silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

/**
 * A control that exists only in a YAML file, with no TypeScript: it is checked, fixed, waived,
 * reported and documented as a library rule's control is.
 */

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'declarative-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const NOW = '2026-06-01';

const CONTROL = `  - id: Tables.1
    title: Tables can be restored to any second of the last 35 days
    check:
      resourceTypes: [AWS::DynamoDB::Table]
      require:
        path: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled
        equals: true
    severity: error
    appliesFrom: { availability: 2 }
    remediation:
      set:
        PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled: true
`;

function writeCatalogue(controls = CONTROL): string {
  const file = path.join(dir, `catalogue-${Math.random().toString(36).slice(2)}.yaml`);
  fs.writeFileSync(
    file,
    `apiVersion: cdk-catalogue-checks/v1
metadata: { name: Test, owner: Test, version: '1', packName: Corp }
baseline: { minimumScore: 95 }
controls:
${controls}`,
  );
  return file;
}

function newApp(validate = false): App {
  return new App({
    builtinCloudFormationValidation: validate,
    outdir: fs.mkdtempSync(path.join(dir, 'out-')),
  });
}

function synth(app: App, catalogue: string, rating = 'C1I1A2') {
  const pack = new EnterpriseCatalogueChecks({ catalogue, rating, now: NOW, reportOnly: true });
  Aspects.of(app).add(pack);
  const error = synthError(app);
  return { pack, error };
}

describe('a control written only in YAML', () => {
  it.each([
    ['PITR on', { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }, 'compliant', ''],
    [
      'PITR off',
      { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: false } },
      'non-compliant',
      /PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is false \(it must be true\)/,
    ],
    [
      'PITR not set',
      {},
      'non-compliant',
      /PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is not set \(it must be true\)/,
    ],
  ])('judges a real table with %s: %s', (_name, props, status, reason) => {
    const app = newApp();
    new dynamodb.CfnTable(new Stack(app, 'Data'), 'Table', {
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
      ...props,
    });
    const { pack } = synth(app, writeCatalogue());
    expect(pack.evaluations).toHaveLength(1);
    expect(pack.evaluations[0]).toMatchObject({ controlId: 'Tables.1', ruleId: 'declarative', status });
    if (reason) expect(pack.evaluations[0].reason).toMatch(reason);
  });

  it('does not apply below its rating, nor to other resource types', () => {
    const app = newApp();
    new dynamodb.Table(new Stack(app, 'Data'), 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    expect(synth(app, writeCatalogue(), 'C3I3A1').pack.evaluations).toEqual([]);
  });

  it('reads intrinsics as the engine does: every Fn::If branch, parameters as unverifiable', () => {
    const app = newApp();
    const stack = new Stack(app, 'Data');
    const isProd = new CfnCondition(stack, 'IsProd', {
      expression: Fn.conditionEquals(new CfnParameter(stack, 'Env').valueAsString, 'prod'),
    });
    const base = {
      keySchema: [{ attributeName: 'id', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'id', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
    };
    new dynamodb.CfnTable(stack, 'Branches', {
      ...base,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: Fn.conditionIf(isProd.logicalId, true, false) as unknown as boolean,
      },
    });
    new dynamodb.CfnTable(stack, 'FromParameter', {
      ...base,
      pointInTimeRecoverySpecification: {
        pointInTimeRecoveryEnabled: new CfnParameter(stack, 'Pitr').valueAsString as unknown as boolean,
      },
    });
    const { pack } = synth(app, writeCatalogue());
    const [branches, fromParameter] = pack.evaluations;
    expect(branches).toMatchObject({ status: 'non-compliant' });
    expect(branches.reason).toMatch(/when condition IsProd is false: .* is false/);
    expect(fromParameter).toMatchObject({ status: 'unverifiable' });
    expect(fromParameter.reason).toMatch(/parameter Pitr/);
  });

  it('is fixed by EnterpriseCatalogueRemediations with typed L1 properties, once, keeping what the user set; the template deploys', () => {
    const app = newApp(true);
    const stack = new Stack(app, 'Data');
    const table = new dynamodb.Table(stack, 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      contributorInsightsSpecification: { enabled: true },
    });
    const catalogue = writeCatalogue();
    const remediations = new EnterpriseCatalogueRemediations({ catalogue, rating: 'C1I1A2' });
    Aspects.of(app).add(remediations);
    Aspects.of(app).add(remediations);
    const { pack, error } = synth(app, catalogue);
    expect(error).toBeUndefined();
    expect(pack.evaluations[0]).toMatchObject({ status: 'remediated' });
    const cfn = table.node.defaultChild as dynamodb.CfnTable;
    // cdk-nag's rules read the typed property.
    expect(cfn.pointInTimeRecoverySpecification).toMatchObject({ pointInTimeRecoveryEnabled: true });
    const template = JSON.parse(fs.readFileSync(path.join(app.outdir, 'Data.template.json'), 'utf8'))
      .Resources[stack.getLogicalId(cfn)].Properties;
    expect(template.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(template.ContributorInsightsSpecification).toEqual({ Enabled: true });
  });

  it('is waived with waive(), listed by CDK, and refused on a control that cannot be waived', () => {
    for (const suppressible of [true, false]) {
      const app = newApp();
      const table = new dynamodb.Table(new Stack(app, 'Data'), 'Table', {
        partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      });
      waive(table, {
        control: 'Tables.1',
        packName: 'Corp',
        reason: 'A cache rebuilt from the source every hour',
        ticket: 'SEC-7',
        expires: '2026-09-30',
      });
      const controls = suppressible
        ? CONTROL
        : CONTROL.replace('severity: error', 'severity: error\n    suppressible: false');
      const { pack } = synth(app, writeCatalogue(controls));
      expect(pack.evaluations[0].status).toBe(suppressible ? 'waived' : 'non-compliant');
    }
  });

  it('is in the report with its words, and in the docs', () => {
    const app = newApp();
    new dynamodb.Table(new Stack(app, 'Data'), 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    const catalogue = writeCatalogue();
    synth(app, catalogue);
    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'catalogue-report.json'), 'utf8'));
    expect(report.controls[0]).toMatchObject({
      id: 'Tables.1',
      ruleId: 'declarative',
      compliantWhen: 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is true',
      remediation: 'sets PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled to true',
    });
    expect(report.evaluations[0]).toMatchObject({ status: 'non-compliant', findingId: 'Corp-Tables.1' });
    const docs = renderCatalogueMarkdown(loadCatalogue(catalogue));
    expect(docs).toContain('- Declarative check on `AWS::DynamoDB::Table`');
    expect(docs).toContain(
      '- Compliant when PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled is true.',
    );
  });
});

describe('mistakes in a declarative control', () => {
  it.each([
    [
      'an unknown operator',
      CONTROL.replace('equals: true', 'equal: true'),
      /catalogue-\w+\.yaml:\d+:\d+: .*'equal'.*did you mean 'equals'/,
    ],
    [
      'neither rule nor check',
      CONTROL.replace(/ {4}check:[\s\S]*?equals: true\n/, ''),
      /needs a rule \(of the library\) or a check/,
    ],
    [
      'both a rule and a check',
      CONTROL.replace('    check:', '    rule: key-rotation\n    check:'),
      /has both a rule and a check; give one/,
    ],
    [
      'a regex RE2 refuses',
      CONTROL.replace('equals: true', "matches: '(?=x)'"),
      /check\.require: .*lookahead/,
    ],
    [
      'a list operator given a word',
      CONTROL.replace('equals: true', 'in: yes'),
      /catalogue-\w+\.yaml:\d+:\d+: .*in/,
    ],
    [
      'params on a check',
      CONTROL.replace('    severity: error', '    params: { x: 1 }\n    severity: error'),
      /params are for a library rule; a check has none/,
    ],
  ])('%s is refused with file:line:column', (_name, controls, message) => {
    expect(() => loadCatalogue(writeCatalogue(controls))).toThrow(message);
  });
});
