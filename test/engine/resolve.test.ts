import { describe as describeValue, TemplateResolver } from '../../src/engine/resolve';
import { stackTemplate } from '../helpers';

const producer = stackTemplate(
  {
    Resources: { Key: { Type: 'AWS::KMS::Key' } },
    Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] }, Export: { Name: 'shared-key-arn' } } },
  },
  'Producer',
);
const consumer = stackTemplate(
  {
    Parameters: { Param: { Type: 'String' } },
    Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
  },
  'Consumer',
);
const resolver = new TemplateResolver([producer, consumer]);

describe('TemplateResolver.resolve', () => {
  it.each([
    ['nothing', undefined, { kind: 'absent' }],
    ['a literal', 'alias/aws/sns', { kind: 'literal', value: 'alias/aws/sns' }],
    ['a structure', { A: 1 }, { kind: 'structure', value: { A: 1 } }],
    ['a Ref to a resource', { Ref: 'Topic' }, { kind: 'resource', logicalId: 'Topic' }],
    [
      'a GetAtt (array form)',
      { 'Fn::GetAtt': ['Topic', 'TopicArn'] },
      { kind: 'resource', logicalId: 'Topic', attribute: 'TopicArn' },
    ],
    [
      'a GetAtt (string form)',
      { 'Fn::GetAtt': 'Topic.TopicArn' },
      { kind: 'resource', logicalId: 'Topic', attribute: 'TopicArn' },
    ],
    [
      'an import of another stack export',
      { 'Fn::ImportValue': 'shared-key-arn' },
      { kind: 'resource', logicalId: 'Key', attribute: 'Arn' },
    ],
    [
      'an unknown import',
      { 'Fn::ImportValue': 'nope' },
      { kind: 'unknown', description: 'import of export nope' },
    ],
    ['a parameter', { Ref: 'Param' }, { kind: 'unknown', description: 'parameter Param' }],
    [
      'a pseudo parameter',
      { Ref: 'AWS::Region' },
      { kind: 'unknown', description: 'pseudo parameter AWS::Region' },
    ],
    ['a Ref to nothing', { Ref: 'Ghost' }, { kind: 'unknown' }],
    ['a GetAtt to nothing', { 'Fn::GetAtt': ['Ghost', 'Arn'] }, { kind: 'unknown' }],
    [
      'an exact Fn::Join',
      { 'Fn::Join': ['/', ['alias', 'aws', 'sns']] },
      { kind: 'literal', value: 'alias/aws/sns' },
    ],
    [
      'a Fn::Join with a token',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }]] },
      { kind: 'unknown' },
    ],
    ['a Fn::Select of a literal list', { 'Fn::Select': [1, ['a', 'b']] }, { kind: 'literal', value: 'b' }],
    [
      'a Fn::Select of a Fn::Split',
      { 'Fn::Select': ['0', { 'Fn::Split': ['/', 'alias/orders'] }] },
      { kind: 'literal', value: 'alias' },
    ],
    [
      'a Fn::Select of a deploy-time list',
      { 'Fn::Select': [0, { 'Fn::GetAZs': '' }] },
      { kind: 'unknown', description: 'Fn::Select' },
    ],
    ['a Fn::Select past the end', { 'Fn::Select': [3, ['a']] }, { kind: 'unknown' }],
    ['AWS::NoValue', { Ref: 'AWS::NoValue' }, { kind: 'absent' }],
    ['odd shapes', { Ref: 42 }, { kind: 'unknown' }],
  ])('%s', (_name, value, expected) => {
    expect(resolver.resolve(value, consumer)).toMatchObject(expected);
  });

  it('resolves an import to the exporting stack', () => {
    const resolved = resolver.resolve({ 'Fn::ImportValue': 'shared-key-arn' }, consumer);
    expect(resolved.kind === 'resource' && resolved.stack.stackId).toBe('Producer');
  });
});

describe('TemplateResolver.text', () => {
  it.each([
    ['a string', 'abc', { text: 'abc', exact: true }],
    [
      'a Join of tokens',
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kms:alias/aws/sns']] },
      { text: 'arn:${AWS::Partition}:kms:alias/aws/sns', exact: false },
    ],
    ['a Sub with variables', { 'Fn::Sub': ['${A}-x', { A: 'a' }] }, { text: 'a-x', exact: true }],
    [
      'a Sub with pseudo parameters',
      { 'Fn::Sub': 'arn:${AWS::Partition}:kms' },
      { text: 'arn:${AWS::Partition}:kms', exact: false },
    ],
    ['a Sub writing a literal ${!x}', { 'Fn::Sub': 'a${!x}' }, { text: 'a${x}', exact: true }],
    [
      'a Join of a Ref and a GetAtt',
      { 'Fn::Join': ['-', [{ Ref: 'Param' }, { 'Fn::GetAtt': 'Topic.TopicName' }]] },
      { text: '${Param}-${Topic.TopicName}', exact: false },
    ],
    [
      'the same as a Sub',
      { 'Fn::Sub': '${Param}-${Topic.TopicName}' },
      { text: '${Param}-${Topic.TopicName}', exact: false },
    ],
    ['a malformed Join', { 'Fn::Join': 'x' }, { exact: false }],
  ])('%s', (_name, value, expected) => {
    expect(resolver.text(value, consumer)).toMatchObject(expected);
  });
});

describe('describe', () => {
  it('renders values briefly for messages', () => {
    expect(describeValue({ Ref: 'X' })).toBe('Ref X');
    expect(describeValue({ 'Fn::GetAtt': ['A', 'Arn'] })).toBe('Fn::GetAtt A.Arn');
    expect(describeValue('s')).toBe("'s'");
    expect(describeValue({ long: 'x'.repeat(100) })).toMatch(/\.\.\.$/);
  });
});

describe('describe never throws', () => {
  it.each([
    ['a Ref to an object without a prototype', { Ref: Object.create(null) }],
    ['a GetAtt of an object without a prototype', { 'Fn::GetAtt': [Object.create(null), 'Arn'] }],
    ['a symbol', Symbol('x')],
  ])('%s', (_name, value) => {
    expect(typeof describeValue(value)).toBe('string');
  });
});
