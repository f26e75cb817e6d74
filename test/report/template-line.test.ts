import { templateLineOf } from '../../src/assembly';

const TEMPLATE = {
  Parameters: { Key: { Type: 'String' } },
  Resources: {
    Bucket: { Type: 'AWS::S3::Bucket', Properties: { Tags: [{ Key: 'Key', Value: { Key: {} } }] } },
    Key: { Type: 'AWS::KMS::Key', Properties: { Description: '"Key": {' } },
  },
  Outputs: { Key: { Value: { Ref: 'Key' } } },
};

/** The text of the line `line` (1-based), trimmed. */
function lineText(json: string, line: number | undefined): string | undefined {
  return line === undefined ? undefined : json.split('\n')[line - 1].trim();
}

describe('templateLineOf', () => {
  test.each([
    ['as cdk.out writes it (indent 1)', JSON.stringify(TEMPLATE, undefined, 1)],
    ['indented by 2', JSON.stringify(TEMPLATE, undefined, 2)],
    ['with CRLF line ends', JSON.stringify(TEMPLATE, undefined, 2).replace(/\n/g, '\r\n')],
  ])(
    'finds the resource key, not a parameter, an output, a tag or a string of that name: %s',
    (_name, json) => {
      const line = templateLineOf(json, 'Key');
      expect(lineText(json, line)).toBe('"Key": {');
      // The parameter named Key comes first; the line found is inside Resources.
      const resourcesLine = json.split(/\r?\n/).findIndex((l) => l.trim().startsWith('"Resources"')) + 1;
      expect(line).toBeGreaterThan(resourcesLine);
      expect(lineText(json, templateLineOf(json, 'Bucket'))).toBe('"Bucket": {');
    },
  );

  test('a template on one line: line 1', () => {
    expect(templateLineOf(JSON.stringify(TEMPLATE), 'Key')).toBe(1);
  });

  test('escaped characters in strings do not derail it', () => {
    const json = JSON.stringify({ Resources: { A: { Properties: { X: 'a\\"}{[' } }, B: {} } }, undefined, 1);
    expect(lineText(json, templateLineOf(json, 'B'))).toBe('"B": {}');
  });

  test.each([
    ['a logical id not in the template', JSON.stringify(TEMPLATE, undefined, 1), 'Missing'],
    [
      'an id only among the outputs',
      JSON.stringify({ Resources: {}, Outputs: { Out: {} } }, undefined, 1),
      'Out',
    ],
    ['text that is not JSON', 'not json', 'Key'],
    ['an empty text', '', 'Key'],
  ])('undefined for %s', (_name, json, logicalId) => {
    expect(templateLineOf(json, logicalId)).toBeUndefined();
  });
});
