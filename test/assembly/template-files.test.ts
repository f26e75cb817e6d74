import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { InputError, readTemplateFiles, templateLineOf } from '../../src/assembly';
import { loadCatalogue } from '../../src/catalogue/load';
import { STRICTEST_RATING } from '../../src/catalogue/rating';
import { evaluate } from '../../src/engine/evaluate';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'templates-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const OPTIONS = { rating: STRICTEST_RATING, ratingSource: 'props' as const, packName: 'Enterprise' };

function write(name: string, text: string): string {
  const file = path.join(fs.mkdtempSync(path.join(dir, 't-')), name);
  fs.writeFileSync(file, text);
  return file;
}

/** The Properties of resource `R` in a YAML template whose only resource has `properties` (YAML text). */
function propertiesOf(properties: string): unknown {
  const file = write(
    't.yaml',
    `Resources:\n  R:\n    Type: AWS::S3::Bucket\n    Properties:\n      P: ${properties}\n`,
  );
  return readTemplateFiles([file], OPTIONS).stacks[0].template.Resources!.R.Properties!.P;
}

describe('YAML short-form intrinsics become their long JSON form', () => {
  it.each<[string, unknown]>([
    ['!Ref Param', { Ref: 'Param' }],
    ['!GetAtt Key.Arn', { 'Fn::GetAtt': ['Key', 'Arn'] }],
    ['!GetAtt Nested.Outputs.KeyArn', { 'Fn::GetAtt': ['Nested', 'Outputs.KeyArn'] }],
    ['!GetAtt [Key, Arn]', { 'Fn::GetAtt': ['Key', 'Arn'] }],
    ['!Sub "arn:${AWS::Partition}:s3:::${Name}"', { 'Fn::Sub': 'arn:${AWS::Partition}:s3:::${Name}' }],
    ['!Sub ["${A}-x", {A: !Ref B}]', { 'Fn::Sub': ['${A}-x', { A: { Ref: 'B' } }] }],
    ['!If [IsProd, true, !Ref AWS::NoValue]', { 'Fn::If': ['IsProd', true, { Ref: 'AWS::NoValue' }] }],
    ['!Equals [!Ref Env, prod]', { 'Fn::Equals': [{ Ref: 'Env' }, 'prod'] }],
    ['!Join ["", [a, !Ref B]]', { 'Fn::Join': ['', ['a', { Ref: 'B' }]] }],
    ['!Select [0, !GetAZs ""]', { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] }],
    ['!Split [",", !ImportValue Shared]', { 'Fn::Split': [',', { 'Fn::ImportValue': 'Shared' }] }],
    ['!FindInMap [M, !Ref AWS::Region, Key]', { 'Fn::FindInMap': ['M', { Ref: 'AWS::Region' }, 'Key'] }],
    ['!Base64 "#!/bin/sh"', { 'Fn::Base64': '#!/bin/sh' }],
    ['!Base64 { "Fn::Sub": "x${Y}" }', { 'Fn::Base64': { 'Fn::Sub': 'x${Y}' } }],
    ['!Cidr [10.0.0.0/16, 4, 8]', { 'Fn::Cidr': ['10.0.0.0/16', 4, 8] }],
    [
      '!And [!Or [!Condition A, !Not [!Condition B]], !Condition C]',
      {
        'Fn::And': [
          { 'Fn::Or': [{ Condition: 'A' }, { 'Fn::Not': [{ Condition: 'B' }] }] },
          { Condition: 'C' },
        ],
      },
    ],
    [
      '!Transform {Name: AWS::Include, Parameters: {Location: s3://b/k}}',
      {
        'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: 's3://b/k' } },
      },
    ],
  ])('%s', (yaml, expected) => {
    expect(propertiesOf(yaml)).toEqual(expected);
  });
});

describe('a YAML template is judged as its JSON equivalent', () => {
  const yaml = `AWSTemplateFormatVersion: '2010-09-09'
Parameters:
  Rotate: { Type: String, AllowedValues: ['true', 'false'] }
Conditions:
  IsProd: !Equals [!Ref 'AWS::AccountId', '333333333333']
Resources:
  Rotating:
    Type: AWS::KMS::Key
    Properties: { EnableKeyRotation: true }
  ByParameter:
    Type: AWS::KMS::Key
    Properties: { EnableKeyRotation: !Ref Rotate }
  ByCondition:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !If [IsProd, true, false]
  Bucket:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: !If [IsProd, { Status: Enabled }, !Ref 'AWS::NoValue']
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !GetAtt Rotating.Arn
      LoggingConfiguration:
        DestinationBucketName: !ImportValue SharedLogBucket
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      KmsMasterKeyId: !Sub 'arn:\${AWS::Partition}:kms:\${AWS::Region}:\${AWS::AccountId}:key/abc'
`;
  const json = {
    AWSTemplateFormatVersion: '2010-09-09',
    Parameters: { Rotate: { Type: 'String', AllowedValues: ['true', 'false'] } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '333333333333'] } },
    Resources: {
      Rotating: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } },
      ByParameter: { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: { Ref: 'Rotate' } } },
      ByCondition: {
        Type: 'AWS::KMS::Key',
        Properties: { EnableKeyRotation: { 'Fn::If': ['IsProd', true, false] } },
      },
      Bucket: {
        Type: 'AWS::S3::Bucket',
        Properties: {
          VersioningConfiguration: { 'Fn::If': ['IsProd', { Status: 'Enabled' }, { Ref: 'AWS::NoValue' }] },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              {
                ServerSideEncryptionByDefault: {
                  SSEAlgorithm: 'aws:kms',
                  KMSMasterKeyID: { 'Fn::GetAtt': ['Rotating', 'Arn'] },
                },
              },
            ],
          },
          LoggingConfiguration: { DestinationBucketName: { 'Fn::ImportValue': 'SharedLogBucket' } },
        },
      },
      Queue: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          KmsMasterKeyId: { 'Fn::Sub': 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/abc' },
        },
      },
    },
  };

  it('reads to the same template and the same evaluations', () => {
    const catalogue = loadCatalogue();
    const fromYaml = readTemplateFiles([write('app.yaml', yaml)], OPTIONS);
    const fromJson = readTemplateFiles([write('app.template.json', JSON.stringify(json, null, 2))], OPTIONS);
    expect(fromYaml.stacks[0].template).toEqual(json);
    expect(fromYaml.stacks[0].stackId).toBe('app');
    expect(fromJson.stacks[0].stackId).toBe('app');
    const judged = (input: typeof fromYaml) =>
      evaluate({ catalogue, stacks: input.stacks }).map(({ logicalId, controlId, status, reason }) => ({
        logicalId,
        controlId,
        status,
        reason,
      }));
    const evaluations = judged(fromYaml);
    expect(evaluations).toEqual(judged(fromJson));
    expect(new Set(evaluations.map((e) => e.status))).toEqual(
      new Set(['compliant', 'non-compliant', 'unverifiable']),
    );
  });
});

describe('bad template files are refused with one line naming the file', () => {
  it.each<[string, () => string, RegExp]>([
    ['a missing path', () => path.join(dir, 'missing.yaml'), /missing\.yaml: no such file$/],
    [
      'a directory',
      () => fs.mkdtempSync(path.join(dir, 'd-')),
      /d-\w+: this is a directory, not a regular file$/,
    ],
    [
      'a named pipe',
      () => {
        const fifo = path.join(fs.mkdtempSync(path.join(dir, 'f-')), 'pipe.yaml');
        execFileSync('mkfifo', [fifo]);
        return fifo;
      },
      /pipe\.yaml: this is a named pipe \(FIFO\), not a regular file$/,
    ],
    [
      'a YAML document that is not a template',
      () => write('config.yaml', 'name: app\nsettings:\n  debug: true\n'),
      /config\.yaml: not a CloudFormation template: it has no Resources mapping$/,
    ],
    [
      'corrupt JSON',
      () => write('app.json', '{\n  "Resources": {\n    "A": ,\n'),
      /app\.json(:3)?: not valid JSON: /,
    ],
    [
      'a JSON key given twice',
      () =>
        write(
          'app.json',
          '{"Resources": {"K": {"Type": "AWS::KMS::Key",\n "Properties": {"EnableKeyRotation": true,\n "EnableKeyRotation": false}}}}',
        ),
      /app\.json:3: the key 'EnableKeyRotation' appears twice in one object$/,
    ],
    [
      'a YAML key given twice',
      () => write('app.yaml', 'Resources:\n  K:\n    Type: AWS::KMS::Key\n    Type: AWS::S3::Bucket\n'),
      /app\.yaml:4: YAML syntax: Map keys must be unique/,
    ],
    [
      'an unknown tag',
      () =>
        write(
          'app.yaml',
          'Resources:\n  K:\n    Type: AWS::KMS::Key\n    Properties: { EnableKeyRotation: !Whatever x }\n',
        ),
      /app\.yaml:4: YAML: Unresolved tag: !Whatever/,
    ],
    [
      'a YAML alias',
      () =>
        write(
          'app.yaml',
          'Props: &p { EnableKeyRotation: true }\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties: *p\n',
        ),
      /app\.yaml:5: YAML alias \*p: CloudFormation does not accept aliases$/,
    ],
    [
      'a resource without a Type',
      () => write('app.yaml', 'Resources:\n  K:\n    Properties: {}\n'),
      /app\.yaml: resource 'K' is not a mapping with a Type$/,
    ],
    [
      'bytes that are not UTF-8',
      () => write('app.yaml', 'Resources: \xff'),
      /app\.yaml: the file is not UTF-8 text$/,
    ],
  ])('%s', (_name, file, message) => {
    const target = file();
    if (message.source.includes('UTF-8')) fs.writeFileSync(target, Buffer.from([0x52, 0x3a, 0x20, 0xff]));
    let error: unknown;
    try {
      readTemplateFiles([target], OPTIONS);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses two files that would be the same stack', () => {
    const a = write('app.yaml', 'Resources: {}\n');
    const b = write('app.template.json', '{"Resources": {}}');
    expect(() => readTemplateFiles([a, b], OPTIONS)).toThrow(
      new InputError(`${b}: its stack id 'app' (the file name) is taken by ${a}; rename one`),
    );
  });
});

describe('size', () => {
  it('reads a 10,000-resource template', () => {
    const resources = Object.fromEntries(
      Array.from({ length: 10_000 }, (_, i) => [
        `Key${i}`,
        { Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: i % 2 === 0 } },
      ]),
    );
    const file = write('big.json', JSON.stringify({ Resources: resources }, null, 1));
    const started = Date.now();
    const input = readTemplateFiles([file], OPTIONS);
    expect(Object.keys(input.stacks[0].template.Resources!)).toHaveLength(10_000);
    expect(templateLineOf(fs.readFileSync(file, 'utf8'), 'Key9999')).toBe(3 + 9999 * 6);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('templateLineOf', () => {
  it.each([
    [
      'JSON',
      '{\n "Outputs": {"Key": {"Value": 1}},\n "Resources": {\n  "Other": {"Type": "X", "Properties": {"Key": 1}},\n  "Key": {\n   "Type": "AWS::KMS::Key"\n  }\n }\n}',
      5,
    ],
    [
      'YAML',
      'Outputs:\n  Key: { Value: 1 }\nResources:\n  Other: { Type: X, Properties: { Key: 1 } }\n  Key:\n    Type: AWS::KMS::Key\n',
      5,
    ],
  ])('finds the logical id under Resources only (%s)', (_name, text, line) => {
    expect(templateLineOf(text, 'Key')).toBe(line);
    expect(templateLineOf(text, 'Missing')).toBeUndefined();
  });

  it('gives nothing for text that does not parse', () => {
    expect(templateLineOf('{"Resources": ', 'Key')).toBeUndefined();
  });
});
