import { aws_codebuild as codebuild, aws_ec2 as ec2 } from 'aws-cdk-lib';
import rule from '../../src/rules/codebuild-internal-registry';
import { withParamDefaults } from '../../src/catalogue/params';
import { CfnTemplate } from '../../src/engine/template';
import { evaluateRule, synthStack, templateWith } from '../helpers';

const PROJECT = 'AWS::CodeBuild::Project';
const VARIABLES = 'Environment.EnvironmentVariables';
const NPM = 'https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/npm/main/';
const PIP = 'https://corp-111122223333.d.codeartifact.eu-west-1.amazonaws.com/pypi/main/simple/';
const DEFAULT_PATTERN = '^https://[a-z0-9-]+-[0-9]{12}\\.d\\.codeartifact\\.[a-z0-9-]+\\.amazonaws\\.com/';

const npm = (value: unknown, extra: Record<string, unknown> = {}) => ({
  Name: 'NPM_CONFIG_REGISTRY',
  Value: value,
  Type: 'PLAINTEXT',
  ...extra,
});
const pip = (value: unknown) => ({ Name: 'PIP_INDEX_URL', Value: value });

function evaluateVariables(
  variables: unknown,
  {
    params = {},
    extra = {},
    others = [],
  }: { params?: Record<string, unknown>; extra?: Partial<CfnTemplate>; others?: CfnTemplate[] } = {},
) {
  const template = templateWith(
    PROJECT,
    { Environment: { Type: 'LINUX_CONTAINER', EnvironmentVariables: variables } },
    extra,
  );
  return evaluateRule(rule, [template, ...others], params).Subject;
}

/** NPM_CONFIG_REGISTRY set to `value`, PIP_INDEX_URL compliant. */
const evaluateNpm = (value: unknown, extra: Partial<CfnTemplate> = {}, others: CfnTemplate[] = []) =>
  evaluateVariables([npm(value), pip(PIP)], { extra, others });

describe('codebuild-internal-registry', () => {
  describe('params', () => {
    it('defaults to npm and pip and a CodeArtifact endpoint', () => {
      expect(withParamDefaults(rule, {})).toEqual({
        requiredVariables: ['NPM_CONFIG_REGISTRY', 'PIP_INDEX_URL'],
        allowedUrlPattern: DEFAULT_PATTERN,
      });
    });

    it.each([
      ['no variables', { requiredVariables: [] }],
      ['an invalid regex', { allowedUrlPattern: '^https://(' }],
      ['an unknown param', { registry: 'x' }],
    ])('rejects %s', (_name, params) => {
      expect(() => withParamDefaults(rule, params)).toThrow(
        /invalid params for rule codebuild-internal-registry/,
      );
    });
  });

  it.each([
    ['both variables, PLAINTEXT or without a Type', [npm(NPM), pip(PIP)], {}],
    ['other variables alongside', [{ Name: 'CI', Value: 'true' }, npm(NPM), pip(PIP)], {}],
    [
      'a Fn::Join whose parts are all known',
      [npm({ 'Fn::Join': ['', [NPM.slice(0, 20), NPM.slice(20)]] }), pip(PIP)],
      {},
    ],
    [
      'custom params',
      [{ Name: 'GOPROXY', Value: 'https://proxy.corp/go' }],
      { requiredVariables: ['GOPROXY'], allowedUrlPattern: '^https://proxy\\.corp/' },
    ],
  ])('compliant: %s', (_name, variables, params) => {
    expect(evaluateVariables(variables, { params }).status).toBe('compliant');
  });

  it.each([
    ['no variables', undefined, `${VARIABLES} has no NPM_CONFIG_REGISTRY or PIP_INDEX_URL`],
    ['only npm', [npm(NPM)], `${VARIABLES} has no PIP_INDEX_URL`],
    [
      'a name in the wrong case',
      [npm(NPM), { Name: 'pip_index_url', Value: PIP }],
      `${VARIABLES} has no PIP_INDEX_URL`,
    ],
    [
      'the public npm registry',
      [npm('https://registry.npmjs.org/'), pip(PIP)],
      `NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/' does not match the internal registry pattern ${DEFAULT_PATTERN}`,
    ],
    [
      'plain http',
      [npm(NPM.replace('https', 'http')), pip(PIP)],
      `NPM_CONFIG_REGISTRY '${NPM.replace('https', 'http')}' does not match`,
    ],
    [
      'a look-alike that only mentions CodeArtifact',
      [npm(`https://evil.example/?next=${NPM}`), pip(PIP)],
      'does not match the internal registry pattern',
    ],
    ['no Value', [npm(undefined), pip(PIP)], 'NPM_CONFIG_REGISTRY has no Value'],
    [
      'one of two entries with the same name',
      [npm(NPM), npm('https://registry.npmjs.org/'), pip(PIP)],
      "NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/' does not match",
    ],
    [
      'a missing variable and a public one, reported together',
      [pip('https://pypi.org/simple/')],
      `${VARIABLES} has no NPM_CONFIG_REGISTRY; PIP_INDEX_URL 'https://pypi.org/simple/' does not match`,
    ],
  ])('non-compliant: %s', (_name, variables, reason) => {
    const Subject = evaluateVariables(variables);
    expect(Subject).toMatchObject({ status: 'non-compliant', property: VARIABLES });
    expect(Subject.reason).toContain(reason);
  });

  it.each([
    ['PARAMETER_STORE', "NPM_CONFIG_REGISTRY is a PARAMETER_STORE variable ('/build/npm-registry')"],
    ['SECRETS_MANAGER', "NPM_CONFIG_REGISTRY is a SECRETS_MANAGER variable ('/build/npm-registry')"],
  ])('unverifiable: a %s variable names where the URL is stored', (type, reason) => {
    const Subject = evaluateVariables([npm('/build/npm-registry', { Type: type }), pip(PIP)]);
    expect(Subject).toMatchObject({
      status: 'unverifiable',
      property: VARIABLES,
      reason: `${reason}, whose content is only known at deploy time`,
    });
  });

  it('reports a public URL before a variable it cannot verify', () => {
    const Subject = evaluateVariables([
      npm('/build/npm', { Type: 'PARAMETER_STORE' }),
      pip('https://pypi.org/simple/'),
    ]);
    expect(Subject).toMatchObject({
      status: 'non-compliant',
      reason: `PIP_INDEX_URL 'https://pypi.org/simple/' does not match the internal registry pattern ${DEFAULT_PATTERN}`,
    });
  });

  describe('odd shapes do not throw', () => {
    it.each([
      [
        'a string list',
        'NPM_CONFIG_REGISTRY=x',
        'non-compliant',
        `${VARIABLES} has no NPM_CONFIG_REGISTRY or PIP_INDEX_URL`,
      ],
      [
        'junk entries',
        [1, null, 'x', [], { Name: 5 }],
        'non-compliant',
        'has no NPM_CONFIG_REGISTRY or PIP_INDEX_URL',
      ],
      [
        'a list as Value',
        [npm(['https://a']), pip(PIP)],
        'non-compliant',
        'NPM_CONFIG_REGISTRY is ["https://a"], not a URL',
      ],
      [
        'an object as Type',
        [npm(NPM, { Type: { Kind: 'x' } }), pip(PIP)],
        'unverifiable',
        'is a {"Kind":"x"} variable',
      ],
      [
        'an unknown intrinsic as the list',
        { 'Fn::Nonsense': 1 },
        'unverifiable',
        `${VARIABLES} comes from Fn::Nonsense`,
      ],
      [
        'a malformed Fn::Join as Value',
        [npm({ 'Fn::Join': 'x' }), pip(PIP)],
        'unverifiable',
        'has parts only known',
      ],
    ])('%s', (_name, variables, status, reason) => {
      const Subject = evaluateVariables(variables);
      expect(Subject).toMatchObject({ status, property: VARIABLES });
      expect(Subject.reason).toContain(reason);
    });

    it('handles an Environment that is not an object', () => {
      const template = templateWith(PROJECT, { Environment: 'LINUX_CONTAINER' });
      expect(evaluateRule(rule, template).Subject.reason).toBe(
        `${VARIABLES} has no NPM_CONFIG_REGISTRY or PIP_INDEX_URL`,
      );
    });
  });

  describe('intrinsics', () => {
    const EXTRA: Partial<CfnTemplate> = {
      Parameters: {
        Registry: { Type: 'String' },
        Repo: { Type: 'String' },
        VariableType: { Type: 'String' },
      },
      Resources: {
        Endpoint: { Type: 'Custom::RepositoryEndpoint' },
        Repository: { Type: 'AWS::CodeArtifact::Repository' },
      },
    };

    it.each([
      ['a Ref to a parameter', { Ref: 'Registry' }, 'NPM_CONFIG_REGISTRY comes from parameter Registry'],
      [
        'a Fn::GetAtt of a custom resource',
        { 'Fn::GetAtt': ['Endpoint', 'RepositoryEndpoint'] },
        'NPM_CONFIG_REGISTRY comes from attribute RepositoryEndpoint of custom resource Endpoint',
      ],
      ['a Ref to a resource', { Ref: 'Repository' }, 'NPM_CONFIG_REGISTRY comes from Ref Repository'],
      [
        'an import that does not resolve',
        { 'Fn::ImportValue': 'npm-registry' },
        'NPM_CONFIG_REGISTRY comes from import of export npm-registry',
      ],
    ])('cannot verify %s', (_name, value, reason) => {
      expect(evaluateNpm(value, EXTRA)).toMatchObject({
        status: 'unverifiable',
        property: VARIABLES,
        reason: `${reason}, which is only known at deploy time`,
      });
    });

    it('cannot verify a Type from a parameter', () => {
      expect(evaluateNpm(NPM).status).toBe('compliant');
      const Subject = evaluateVariables([npm(NPM, { Type: { Ref: 'VariableType' } }), pip(PIP)], {
        extra: EXTRA,
      });
      expect(Subject).toMatchObject({
        status: 'unverifiable',
        reason:
          'the Type of NPM_CONFIG_REGISTRY comes from parameter VariableType, which is only known at deploy time',
      });
    });

    describe("Fn::ImportValue of another stack's export", () => {
      const exporting = (value: unknown): CfnTemplate => ({
        Resources: { Endpoint: { Type: 'Custom::RepositoryEndpoint' } },
        Outputs: { Npm: { Value: value, Export: { Name: 'npm-registry' } } },
      });
      const imported = { 'Fn::ImportValue': 'npm-registry' };

      it('judges an exported literal URL', () => {
        expect(evaluateNpm(imported, {}, [exporting(NPM)]).status).toBe('compliant');
        expect(evaluateNpm(imported, {}, [exporting('https://registry.npmjs.org/')])).toMatchObject({
          status: 'non-compliant',
          reason: `NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/' does not match the internal registry pattern ${DEFAULT_PATTERN}`,
        });
      });

      it('cannot verify an exported attribute', () => {
        const other = exporting({ 'Fn::GetAtt': ['Endpoint', 'RepositoryEndpoint'] });
        expect(evaluateNpm(imported, {}, [other])).toMatchObject({
          status: 'unverifiable',
          reason:
            'NPM_CONFIG_REGISTRY comes from attribute RepositoryEndpoint of custom resource Endpoint, which is only known at deploy time',
        });
      });
    });

    it('fails Fn::If when one branch uses the public registry, naming the branch', () => {
      const Subject = evaluateNpm({ 'Fn::If': ['Internal', NPM, 'https://registry.npmjs.org/'] });
      expect(Subject).toMatchObject({ status: 'non-compliant', property: VARIABLES });
      expect(Subject.reason).toBe(
        `when condition Internal is false: NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/' does not match the internal registry pattern ${DEFAULT_PATTERN}`,
      );
    });

    it('fails Fn::If when one branch drops the variable', () => {
      const Subject = evaluateVariables([
        { 'Fn::If': ['Internal', npm(NPM), { Ref: 'AWS::NoValue' }] },
        pip(PIP),
      ]);
      expect(Subject.reason).toBe(
        `when condition Internal is false: ${VARIABLES} has no NPM_CONFIG_REGISTRY`,
      );
    });

    it('passes Fn::If when both branches use the internal repository', () => {
      const other = NPM.replace('eu-west-1', 'eu-central-1');
      expect(evaluateNpm({ 'Fn::If': ['Frankfurt', other, NPM] }).status).toBe('compliant');
    });

    it('cannot tell a variable is missing while an entry is a Fn::If left in place', () => {
      const sixExpanded = [1, 2, 3, 4, 5, 6].map((n) => ({
        Name: `V${n}`,
        Value: { 'Fn::If': [`C${n}`, 'a', 'b'] },
      }));
      const leftover = { 'Fn::If': ['C7', npm(NPM), { Ref: 'AWS::NoValue' }] };
      const Subject = evaluateVariables([...sixExpanded, leftover, pip(PIP)]);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: VARIABLES });
      expect(Subject.reason).toMatch(
        /: Environment.EnvironmentVariables has entries only known at deploy time \(Fn::If\), which may set NPM_CONFIG_REGISTRY$/,
      );
    });
  });

  describe('values with deploy-time parts, judged by the text before the first one', () => {
    const sub = (text: string) => ({ 'Fn::Sub': text });
    const join = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });

    it.each([
      ['a known prefix that already matches', sub(`${NPM}\${Repo}/`)],
      ['a Fn::Join whose known prefix already matches', join(NPM, { Ref: 'Repo' }, '/')],
    ])('compliant: %s', (_name, value) => {
      expect(evaluateNpm(value).status).toBe('compliant');
    });

    it.each([
      ['the public npm registry', join('https://registry.npmjs.org/', { Ref: 'Scope' })],
      [
        'plain http',
        sub('http://${Domain}-111122223333.d.codeartifact.${AWS::Region}.amazonaws.com/npm/main/'),
      ],
      ['a 14-digit account', sub('https://corp-11112222333344.d.codeartifact.${AWS::Region}.amazonaws.com/')],
      ['another AWS service', sub('https://corp-111122223333.s3.${AWS::Region}.amazonaws.com/')],
    ])('unverifiable, never guessed, even when no deploy-time value could match: %s', (_name, value) => {
      const Subject = evaluateNpm(value);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: VARIABLES });
      expect(Subject.reason).toMatch(/^NPM_CONFIG_REGISTRY '.*\$\{.*' has parts only known at deploy time$/);
    });

    it('names the known text and the placeholders in the reason', () => {
      expect(evaluateNpm(join('https://registry.npmjs.org/', { Ref: 'AWS::Region' })).reason).toBe(
        `NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/\${Ref AWS::Region}' has parts only known at deploy time`,
      );
    });

    it('does not trust a matching prefix when the pattern looks past its match ($, \\b, lookahead)', () => {
      const evaluateWith = (allowedUrlPattern: string) =>
        evaluateVariables([{ Name: 'REGISTRY', Value: sub('https://proxy.corp/npm/${Rest}') }], {
          params: { requiredVariables: ['REGISTRY'], allowedUrlPattern },
        }).status;
      expect(evaluateWith('^https://proxy\\.corp/npm/')).toBe('compliant');
      for (const pattern of [
        '^https://proxy\\.corp/npm/$',
        '^https://proxy\\.corp/npm\\b',
        '^https://proxy\\.corp/(?!npm)',
      ]) {
        expect(evaluateWith(pattern)).toBe('unverifiable');
      }
    });

    it.each([
      [
        'the account and region',
        sub('https://corp-${AWS::AccountId}.d.codeartifact.${AWS::Region}.amazonaws.com/npm/main/'),
      ],
      [
        'the domain',
        join('https://', { Ref: 'Domain' }, '-111122223333.d.codeartifact.eu-west-1.amazonaws.com/npm/main/'),
      ],
      ['part of the account', sub('https://corp-1111${Rest}.d.codeartifact.eu-west-1.amazonaws.com/')],
    ])('unverifiable: a URL that could still match, depending on %s', (_name, value) => {
      const Subject = evaluateNpm(value);
      expect(Subject).toMatchObject({ status: 'unverifiable', property: VARIABLES });
      expect(Subject.reason).toMatch(
        /^NPM_CONFIG_REGISTRY 'https:\/\/.*\$\{.*' has parts only known at deploy time$/,
      );
    });

    describe('with other patterns', () => {
      const evaluateWith = (allowedUrlPattern: string, value: unknown) =>
        evaluateVariables([{ Name: 'REGISTRY', Value: value }], {
          params: { requiredVariables: ['REGISTRY'], allowedUrlPattern },
        }).status;

      it.each([
        ['an alternation', '^https://(npm|pypi)\\.corp/', sub('https://pypi.corp/${Repo}'), 'compliant'],
        ['an alternation', '^https://(npm|pypi)\\.corp/', sub('https://maven.corp/${Repo}'), 'unverifiable'],
        [
          'a named group and a lazy repeat',
          '^https://(?<host>[a-z]+?)\\.corp/',
          sub('https://npm.corp${Path}'),
          'unverifiable',
        ],
        [
          'a named group and a lazy repeat',
          '^https://(?<host>[a-z]+?)\\.corp/',
          sub('https://npm.org/${Path}'),
          'unverifiable',
        ],
        ['a counted repeat', '^https://[0-9]{2,3}\\.corp/', sub('https://1234${Rest}'), 'unverifiable'],
        ['a counted repeat', '^https://[0-9]{2,3}\\.corp/', sub('https://123${Rest}'), 'unverifiable'],
        ['a huge count, past the text', '^https://a{1000000000}/', sub('https://aa${Rest}'), 'unverifiable'],
        ['a huge count, past the text', '^https://a{1000000000}/', sub('https://ab${Rest}'), 'unverifiable'],
        ['nested repeats', '^https://(?:[a-z]+-?)*\\.corp/', sub('https://a-b-c_${Rest}'), 'unverifiable'],
        [
          'a class with escapes',
          '^https://[\\w.-]+\\.corp/',
          sub('https://a_b.c-d.corp/${Path}'),
          'compliant',
        ],
        [
          'a class with escapes',
          '^https://[\\w.-]+\\.corp/',
          sub('https://a b.corp/${Path}'),
          'unverifiable',
        ],
        [
          'an end anchor, with an empty rest possible',
          '^https://proxy\\.corp/npm/$',
          sub('https://proxy.corp/npm/${Rest}'),
          'unverifiable',
        ],
        [
          'an end anchor, passed',
          '^https://proxy\\.corp/npm/$',
          sub('https://proxy.corp/npm/x${Rest}'),
          'unverifiable',
        ],
        [
          'an unanchored pattern, matched in the known part',
          'codeartifact',
          sub('https://x.codeartifact.aws/${Rest}'),
          'compliant',
        ],
        [
          'an unanchored pattern, possibly in the deploy-time part',
          'codeartifact',
          sub('https://npmjs.org/${Rest}'),
          'unverifiable',
        ],
        [
          'an anchor on one alternative only',
          '^https://a\\.corp/|b\\.corp',
          sub('https://x.org/${Rest}'),
          'unverifiable',
        ],
        [
          'a lookahead, which the prefix check refuses',
          '^(?=https)https://a\\.corp/',
          sub('http://a.corp/${Rest}'),
          'unverifiable',
        ],
        [
          'a word boundary, which the prefix check refuses',
          '^https://a\\.corp\\b',
          sub('https://a.corp${Rest}'),
          'unverifiable',
        ],
        ['a lookahead, on a literal', '^(?=https)https://a\\.corp/', 'http://a.corp/', 'non-compliant'],
      ])('%s: %s → %s', (_name, pattern, value, status) => {
        expect(evaluateWith(pattern, value)).toBe(status);
      });
    });
  });

  describe('with real CDK constructs', () => {
    it('flags a default codebuild.Project and passes one with the registry variables', () => {
      const template = synthStack((stack) => {
        const buildSpec = codebuild.BuildSpec.fromObject({ version: '0.2' });
        new codebuild.Project(stack, 'Plain', { buildSpec });
        new codebuild.Project(stack, 'Internal', {
          buildSpec,
          vpc: new ec2.Vpc(stack, 'Vpc'),
          environmentVariables: { NPM_CONFIG_REGISTRY: { value: NPM }, PIP_INDEX_URL: { value: PIP } },
        });
      });
      const byId = Object.entries(evaluateRule(rule, template));
      expect(
        byId.map(([logicalId, e]) => [logicalId.replace(/[0-9A-F]{8}$/, ''), e.status, e.reason]),
      ).toEqual([
        ['Plain', 'non-compliant', `${VARIABLES} has no NPM_CONFIG_REGISTRY or PIP_INDEX_URL`],
        ['Internal', 'compliant', undefined],
      ]);
    });

    it('cannot verify a variable read from Parameter Store', () => {
      const template = synthStack((stack) => {
        new codebuild.Project(stack, 'FromSsm', {
          buildSpec: codebuild.BuildSpec.fromObject({ version: '0.2' }),
          environmentVariables: {
            NPM_CONFIG_REGISTRY: {
              value: '/build/npm',
              type: codebuild.BuildEnvironmentVariableType.PARAMETER_STORE,
            },
            PIP_INDEX_URL: { value: PIP },
          },
        });
      });
      expect(Object.values(evaluateRule(rule, template))[0]).toMatchObject({
        status: 'unverifiable',
        reason:
          "NPM_CONFIG_REGISTRY is a PARAMETER_STORE variable ('/build/npm'), whose content is only known at deploy time",
      });
    });
  });
});
