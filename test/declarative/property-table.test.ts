import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parsePath } from '../../src/declarative/path';
import { pathProblem, resourceShape } from '../../src/declarative/property-table';

/**
 * The property table read from aws-cdk-lib's generated L1 parsers, and paths against it: a path
 * that no resource of the control's types can have is named with the step that fails and a
 * did-you-mean; one that some type can have, or a type the table does not know, passes.
 */

const ROOT = path.join(__dirname, '..', '..');

function problemOf(types: readonly string[], text: string): string | undefined {
  const parsed = parsePath(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return pathProblem(types, parsed.steps);
}

const SOURCE = `(by the CloudFormation types of aws-cdk-lib ${
  (JSON.parse(fs.readFileSync(require.resolve('aws-cdk-lib/package.json'), 'utf8')) as { version: string })
    .version
})`;

describe('pathProblem', () => {
  it.each<[string, string[], string]>([
    ['a property', ['AWS::RDS::DBInstance'], 'PubliclyAccessible'],
    [
      'a property of a property type',
      ['AWS::DynamoDB::Table'],
      'PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled',
    ],
    ['every element of a list', ['AWS::EC2::SecurityGroup'], 'SecurityGroupIngress[*].CidrIp'],
    ['one element of a list', ['AWS::S3::Bucket'], 'LifecycleConfiguration.Rules[0].Status'],
    ['a tag', ['AWS::S3::Bucket'], 'Tags[*].Key'],
    ['a list of strings', ['AWS::CloudTrail::Trail'], 'EventSelectors[*].ExcludeManagementEventSources[*]'],
    ['into a JSON document (a policy)', ['AWS::IAM::Role'], 'AssumeRolePolicyDocument.Statement[*].Effect'],
    [
      'into a JSON document in a list',
      ['AWS::IAM::Role'],
      'Policies[*].PolicyDocument.Statement[0].Action[*]',
    ],
    ['any name of a map', ['AWS::Lambda::Function'], 'Environment.Variables.NODE_OPTIONS'],
    [
      'property types that nest themselves',
      ['AWS::WAFv2::WebACL'],
      'Rules[*].Statement.AndStatement.Statements[*].NotStatement.Statement.ByteMatchStatement.SearchString',
    ],
    ['the object member of a union (a string or an object)', ['AWS::Serverless::Api'], 'Cors.AllowOrigin'],
    [
      'a path that one of the types has',
      ['AWS::ApiGateway::Stage', 'AWS::ApiGateway::Deployment'],
      'StageDescription.LoggingLevel',
    ],
    [
      'any path of a type aws-cdk-lib has no L1 for (a registry type)',
      ['Acme::Billing::Ledger'],
      'Any.Path[*]',
    ],
    [
      'a path one type lacks, when the other type is not known',
      ['AWS::S3::Bucket', 'Acme::Billing::Ledger'],
      'NoSuchProperty',
    ],
    ['a resource type that is not a type name', ['AWS::S3::Bucket"'], 'NoSuchProperty'],
  ])('accepts %s', (_name, types, text) => {
    expect(problemOf(types, text)).toBeUndefined();
  });

  it.each<[string, string[], string, string]>([
    [
      'a misspelt property of a property type, with a did-you-mean',
      ['AWS::DynamoDB::Table'],
      'PointInTimeRecoverySpecification.PointInTimeRecoveryEnable',
      "no AWS::DynamoDB::Table has a property at 'PointInTimeRecoverySpecification.PointInTimeRecoveryEnable': PointInTimeRecoverySpecification has no property 'PointInTimeRecoveryEnable' (did you mean 'PointInTimeRecoveryEnabled'?)",
    ],
    [
      'a property in the wrong case',
      ['AWS::RDS::DBCluster'],
      'publiclyAccessible',
      "no AWS::RDS::DBCluster has a property at 'publiclyAccessible': the resource has no property 'publiclyAccessible' (did you mean 'PubliclyAccessible'?)",
    ],
    [
      'a property of another type, with no near name',
      ['AWS::RDS::DBInstance'],
      'DBClusterInstanceClass.Size',
      "no AWS::RDS::DBInstance has a property at 'DBClusterInstanceClass.Size': the resource has no property 'DBClusterInstanceClass'",
    ],
    [
      "a list's element without [*] or [N]",
      ['AWS::EC2::SecurityGroup'],
      'SecurityGroupIngress.CidrIp',
      "no AWS::EC2::SecurityGroup has a property at 'SecurityGroupIngress.CidrIp': SecurityGroupIngress is a list, so 'CidrIp' cannot follow it: write SecurityGroupIngress[*].CidrIp for every element, or SecurityGroupIngress[N].CidrIp for one",
    ],
    [
      'a misspelt property of an element',
      ['AWS::EC2::SecurityGroup'],
      'SecurityGroupIngress[0].CidrIpv',
      "no AWS::EC2::SecurityGroup has a property at 'SecurityGroupIngress[0].CidrIpv': SecurityGroupIngress[0] has no property 'CidrIpv' (did you mean 'CidrIp'?)",
    ],
    [
      '[*] after an object',
      ['AWS::S3::Bucket'],
      'VersioningConfiguration[*].Status',
      "no AWS::S3::Bucket has a property at 'VersioningConfiguration[*].Status': VersioningConfiguration is an object, not a list, so [*] cannot follow it",
    ],
    [
      '[*] after a map',
      ['AWS::Lambda::Function'],
      'Environment.Variables[*]',
      "no AWS::Lambda::Function has a property at 'Environment.Variables[*]': Environment.Variables is a map (named entries), not a list, so [*] cannot follow it",
    ],
    [
      'a property of a string',
      ['AWS::S3::Bucket'],
      'BucketName.Length',
      "no AWS::S3::Bucket has a property at 'BucketName.Length': BucketName is a String, so it has no property 'Length'",
    ],
    [
      '[N] after a boolean',
      ['AWS::RDS::DBInstance'],
      'PubliclyAccessible[0]',
      "no AWS::RDS::DBInstance has a property at 'PubliclyAccessible[0]': PubliclyAccessible is a Boolean, so [0] cannot follow it (it is not a list)",
    ],
    [
      'a misspelt tag key',
      ['AWS::S3::Bucket'],
      'Tags[*].Kee',
      "no AWS::S3::Bucket has a property at 'Tags[*].Kee': Tags[*] has no property 'Kee' (did you mean 'Key'?)",
    ],
    [
      'a misspelt property of the object member of a union',
      ['AWS::Serverless::Api'],
      'Cors.AllowOrigins',
      "no AWS::Serverless::Api has a property at 'Cors.AllowOrigins': Cors has no property 'AllowOrigins' (did you mean 'AllowOrigin'?)",
    ],
    [
      'a path neither type has, each named',
      ['AWS::ApiGateway::Stage', 'AWS::ApiGateway::Deployment'],
      'MethodSetting[*].LoggingLevel',
      "no AWS::ApiGateway::Stage or AWS::ApiGateway::Deployment has a property at 'MethodSetting[*].LoggingLevel': AWS::ApiGateway::Stage: the resource has no property 'MethodSetting' (did you mean 'MethodSettings'?); AWS::ApiGateway::Deployment: the resource has no property 'MethodSetting'",
    ],
  ])('refuses %s', (_name, types, text, message) => {
    expect(problemOf(types, text)).toBe(`${message} ${SOURCE}`);
  });

  it('has nothing to say of no types or no steps', () => {
    expect(pathProblem([], [{ kind: 'property', name: 'Anything' }])).toBeUndefined();
    expect(pathProblem(['AWS::S3::Bucket'], [])).toBeUndefined();
  });
});

describe('the table', () => {
  it('reads every resource type aws-cdk-lib has an L1 for', () => {
    const classes = fs.readFileSync(
      path.join(
        path.dirname(require.resolve('aws-cdk-lib/package.json')),
        'cloudformation-include',
        'cfn-types-2-classes.json',
      ),
      'utf8',
    );
    const types = Object.keys(JSON.parse(classes) as Record<string, string>);
    expect(types.length).toBeGreaterThan(1500);
    expect(types.filter((type) => resourceShape(type)?.properties() === undefined)).toEqual([]);
  });

  it('is read lazily: a resource type reads its module only', () => {
    // The module object itself: the table calls through it, so its reads are seen.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the mutable module, not a namespace copy
    const nodeFs = require('fs') as { readFileSync: typeof fs.readFileSync };
    const original = nodeFs.readFileSync;
    const files: string[] = [];
    nodeFs.readFileSync = ((file: fs.PathOrFileDescriptor, ...rest: unknown[]) => {
      files.push(path.relative(ROOT, String(file)));
      return (original as (...args: unknown[]) => unknown)(file, ...rest);
    }) as typeof fs.readFileSync;
    try {
      jest.isolateModules(() => {
        type Table = typeof import('../../src/declarative/property-table');
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- a fresh table, to count what it reads
        const fresh = require('../../src/declarative/property-table') as Table;
        fresh.resourceShape('AWS::SQS::Queue')?.properties();
      });
    } finally {
      nodeFs.readFileSync = original;
    }
    expect(files.filter((file) => file.includes('aws-cdk-lib'))).toEqual([
      path.join('node_modules', 'aws-cdk-lib', 'cloudformation-include', 'cfn-types-2-classes.json'),
      path.join('node_modules', 'aws-cdk-lib', 'aws-sqs', 'lib', 'sqs.generated.js'),
    ]);
  });

  it('accepts every path when aws-cdk-lib is not installed', () => {
    const script = `
      const { pathProblem } = require('./src/declarative/property-table');
      process.stdout.write(JSON.stringify(pathProblem(['AWS::DynamoDB::Table'], [{ kind: 'property', name: 'NoSuchProperty' }]) ?? null));`;
    const result = spawnSync(
      process.execPath,
      [
        '-r',
        'ts-node/register/transpile-only',
        '-r',
        path.join(ROOT, 'test', 'fixtures', 'without-cdk', 'forbid-cdk.ts'),
        '-e',
        script,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000 },
    );
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe('null');
  });
});
