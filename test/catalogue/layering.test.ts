import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Aspects, aws_dynamodb as dynamodb, Stack } from 'aws-cdk-lib';
import { EnterpriseCatalogueChecks, loadCatalogue } from '../../src';
import { renderCatalogueMarkdown } from '../../src/catalogue/docs';
import { silenceCdkReports, synthError } from '../helpers';

silenceCdkReports();

/**
 * A business unit's overlay on the enterprise's base: it extends a catalogue (the shipped one, or a
 * file), inherits its sections and controls, changes controls by id, disables one, adds its own, and
 * each setting it changes says which file set it.
 */

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'layering-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
}

const TABLES = `  - id: Tables.1
    title: Tables can be restored to any second of the last 35 days
    check:
      resourceTypes: [AWS::DynamoDB::Table]
      require: { path: PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, equals: true }
    severity: error
`;

const OVERLAY = `apiVersion: cdk-catalogue-checks/v1
extends: cdk-catalogue-checks
overrides:
  - id: S3.1
    severity: warning
    appliesFrom: { integrity: 3 }
  - id: Lambda.1
    disabled: true
  - id: Encryption.1
    params: { resourceTypes: [AWS::S3::Bucket] }
controls:
${TABLES}`;

describe('a catalogue that extends the shipped one', () => {
  it('inherits its sections and controls, applies the overrides, and adds its own', () => {
    write({ 'bu.yaml': OVERLAY });
    const shipped = loadCatalogue();
    const overlay = loadCatalogue(path.join(dir, 'bu.yaml'));
    expect(overlay.metadata).toEqual(shipped.metadata);
    expect(overlay.baseline).toEqual(shipped.baseline);
    expect(overlay.waivers).toEqual(shipped.waivers);
    expect(overlay.extends).toBe(path.resolve(__dirname, '..', '..', 'catalogue'));
    const ids = overlay.controls.map((c) => c.id);
    expect(ids).not.toContain('Lambda.1');
    expect(ids).toEqual([...shipped.controls.map((c) => c.id).filter((id) => id !== 'Lambda.1'), 'Tables.1']);
    const s3 = overlay.controls.find((c) => c.id === 'S3.1')!;
    expect(s3).toMatchObject({
      severity: 'warning',
      appliesFrom: { integrity: 3 },
      rule: 'bucket-access-logging',
    });
    expect(s3.origins).toEqual({
      severity: expect.objectContaining({ file: path.join(dir, 'bu.yaml'), line: 5 }),
      appliesFrom: expect.objectContaining({ file: path.join(dir, 'bu.yaml'), line: 6 }),
    });
    // The base is left as it is.
    expect(shipped.controls.find((c) => c.id === 'S3.1')!.severity).toBe('error');
    const encryption = overlay.controls.find((c) => c.id === 'Encryption.1')!;
    expect(encryption.params.resourceTypes).toEqual(['AWS::S3::Bucket']);
    expect(renderCatalogueMarkdown(overlay)).toContain(
      '- Changed by this catalogue over the one it extends: severity (bu.yaml:5), appliesFrom (bu.yaml:6)',
    );
  });

  it('judges its own YAML control and the overridden ones at synth', () => {
    write({ 'bu.yaml': OVERLAY });
    const app = new App({ builtinCloudFormationValidation: false, outdir: path.join(dir, 'out') });
    new dynamodb.Table(new Stack(app, 'Data'), 'Table', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
    });
    const pack = new EnterpriseCatalogueChecks({
      catalogue: path.join(dir, 'bu.yaml'),
      rating: 'C3I2A3',
      reportOnly: true,
    });
    Aspects.of(app).add(pack);
    synthError(app);
    const judged = pack.evaluations.map((e) => `${e.controlId} ${e.status}`);
    expect(judged).toContain('Tables.1 non-compliant');
    expect(judged).toContain('DynamoDB.1 non-compliant');
    // Encryption.1 is narrowed to buckets by the overlay's params: a table is not its business.
    expect(judged).toContain('Encryption.1 not-applicable');
  });
});

describe('layering mistakes, each with its place', () => {
  it.each([
    [
      'an override of a control the base does not have',
      `apiVersion: cdk-catalogue-checks/v1\nextends: cdk-catalogue-checks\noverrides:\n  - id: S3.9\n    severity: warning\n`,
      /bu\.yaml:4:\d+: overrides\[0\] names 'S3\.9', which is no control of the catalogue it extends \(did you mean 'S3\.\d'\?\)/,
    ],
    [
      'a control that the base already defines',
      `apiVersion: cdk-catalogue-checks/v1\nextends: cdk-catalogue-checks\ncontrols:\n${TABLES.replace('Tables.1', 'KMS.1')}`,
      /bu\.yaml:4:\d+: duplicate control id 'KMS\.1': already defined at .*kms\.yaml:\d+ in the catalogue this one extends; change it under overrides/,
    ],
    [
      'overrides without extends',
      `apiVersion: cdk-catalogue-checks/v1\nmetadata: { name: T, owner: T, version: '1', packName: T }\nbaseline: { minimumScore: 90 }\noverrides:\n  - id: S3.1\n    severity: warning\n`,
      /bu\.yaml:\d+:\d+: overrides change the controls of the catalogue this one extends: add extends/,
    ],
    [
      'a base that does not exist',
      `apiVersion: cdk-catalogue-checks/v1\nextends: ./missing\n`,
      /bu\.yaml:2:10: extends names .*missing: no such file or directory/,
    ],
    [
      'a package that is not installed',
      `apiVersion: cdk-catalogue-checks/v1\nextends: '@corp/no-such-catalogue'\n`,
      /extends names '@corp\/no-such-catalogue', which is neither a path .* nor an installed package/,
    ],
    [
      'params the rule does not accept',
      `apiVersion: cdk-catalogue-checks/v1\nextends: cdk-catalogue-checks\noverrides:\n  - id: Encryption.1\n    params: { resourceTypes: nope }\n`,
      /bu\.yaml:5:\d+: Encryption\.1: invalid params for rule customer-managed-key-encryption/,
    ],
    [
      'params on a declarative control',
      `apiVersion: cdk-catalogue-checks/v1\nextends: cdk-catalogue-checks\noverrides:\n  - id: DynamoDB.1\n    params: { x: 1 }\n`,
      /DynamoDB\.1 is a declarative control: it has no params to override/,
    ],
  ])('%s', (_name, text, message) => {
    write({ 'bu.yaml': text });
    expect(() => loadCatalogue(path.join(dir, 'bu.yaml'))).toThrow(message);
  });

  it('a cycle of extends', () => {
    write({
      'a.yaml': `apiVersion: cdk-catalogue-checks/v1\nextends: ./b.yaml\n`,
      'b.yaml': `apiVersion: cdk-catalogue-checks/v1\nextends: ./a.yaml\n`,
    });
    expect(() => loadCatalogue(path.join(dir, 'a.yaml'))).toThrow(
      /extends makes a cycle: .*a\.yaml -> .*b\.yaml -> .*a\.yaml/,
    );
  });

  it('problems of the base are reported with their own places', () => {
    write({
      'base.yaml': `apiVersion: cdk-catalogue-checks/v1\nmetadata: { name: B, owner: B, version: '1', packName: B }\nbaseline: { minimumScore: 90 }\ncontrols:\n  - { id: K.1, title: Keys, rule: key-rotaton, severity: error }\n`,
      'bu.yaml': `apiVersion: cdk-catalogue-checks/v1\nextends: ./base.yaml\n`,
    });
    expect(() => loadCatalogue(path.join(dir, 'bu.yaml'))).toThrow(
      /bu\.yaml:2:10: the catalogue it extends, .*base\.yaml, has 1 problem\(s\):[\s\S]*base\.yaml:5:\d+: unknown rule 'key-rotaton'/,
    );
  });
});

it('sees a change of the base it extends in the same process', () => {
  const base = `apiVersion: cdk-catalogue-checks/v1\nmetadata: { name: B, owner: B, version: '1', packName: B }\nbaseline: { minimumScore: 90 }\ncontrols:\n  - { id: K.1, title: Keys, rule: key-rotation, severity: error }\n`;
  write({ 'base.yaml': base, 'bu.yaml': `apiVersion: cdk-catalogue-checks/v1\nextends: ./base.yaml\n` });
  expect(loadCatalogue(path.join(dir, 'bu.yaml')).controls.map((c) => c.severity)).toEqual(['error']);
  write({ 'base.yaml': base.replace('severity: error', 'severity: warning') + '\n' });
  expect(loadCatalogue(path.join(dir, 'bu.yaml')).controls.map((c) => c.severity)).toEqual(['warning']);
});
