import {
  App,
  AspectPriority,
  Aspects,
  aws_codebuild as codebuild,
  aws_codecommit as codecommit,
  aws_ec2 as ec2,
  aws_iam as iam,
  IAspect,
  pipelines,
  Stack,
} from 'aws-cdk-lib';
import { parse as parseYaml } from 'yaml';
import rule from '../../src/rules/codebuild-internal-registry';
import { withParamDefaults } from '../../src/catalogue/params';
import { CfnResourceJson, CfnTemplate } from '../../src/engine/template';
import { CodeBuildInternalRegistry, CodeBuildInVpc } from '../../src/remediations/aspects';
import {
  evaluateRule,
  logicalIdOf,
  remediationRecords,
  resources,
  singleRuleCatalogue,
  statementsOf,
  synthStack,
  synthWithAspects,
  templateWith,
} from '../helpers';

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

describe('codebuild-internal-registry remediation (CodeBuildInternalRegistry)', () => {
  const FINDING = 'Enterprise-CodeBuild.2';
  const CODE_ARTIFACT = { domain: 'corp', repository: 'main' };
  const HOST = 'corp-111111111111.d.codeartifact.eu-west-1.amazonaws.com';
  const NPM_URL = `https://${HOST}/npm/main/`;
  const PIP_URL = `https://${HOST}/pypi/main/simple/`;
  const TOKEN =
    'export CODEARTIFACT_AUTH_TOKEN=$(aws codeartifact get-authorization-token --domain corp --domain-owner ' +
    '111111111111 --region eu-west-1 --query authorizationToken --output text)';
  const NPM_TOKEN = `npm config set //${HOST}/npm/main/:_authToken=$CODEARTIFACT_AUTH_TOKEN`;
  const PIP_TOKEN = `export PIP_INDEX_URL=https://aws:$CODEARTIFACT_AUTH_TOKEN@${HOST}/pypi/main/simple/`;
  const buildSpec = codebuild.BuildSpec.fromObject({
    version: '0.2',
    phases: { build: { commands: ['npm ci'] } },
  });
  const codeArtifactArn = (resource: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:codeartifact:eu-west-1:111111111111:${resource}`]],
  });
  const READ_STATEMENTS = [
    {
      Effect: 'Allow',
      Action: 'codeartifact:GetAuthorizationToken',
      Resource: codeArtifactArn('domain/corp'),
    },
    {
      Effect: 'Allow',
      Action: ['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository'],
      Resource: codeArtifactArn('repository/corp/main'),
    },
    {
      Effect: 'Allow',
      Action: 'sts:GetServiceBearerToken',
      Resource: '*',
      Condition: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
    },
  ];

  const statuses = (template: CfnTemplate, params: Record<string, unknown> = {}) =>
    Object.values(evaluateRule(rule, template, params)).map((e) => e.status);
  const variablesOf = (project: CfnResourceJson) =>
    (project.Properties?.Environment as { EnvironmentVariables?: unknown[] }).EnvironmentVariables;
  const buildSpecOf = (project: CfnResourceJson) =>
    (project.Properties?.Source as { BuildSpec: string }).BuildSpec;
  const plaintext = (Name: string, Value: string) => ({ Name, Type: 'PLAINTEXT', Value });

  describe('a default codebuild.Project with a variable of its own, and the codeArtifact setting', () => {
    let project!: codebuild.Project;
    let template: CfnTemplate;
    beforeAll(() => {
      ({ template } = synthWithAspects(
        (stack) => {
          project = new codebuild.Project(stack, 'Build', {
            buildSpec,
            environmentVariables: { CI: { value: 'true' } },
          });
        },
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      ));
    });

    it('passes the rule and records what it changed', () => {
      expect(statuses(template)).toEqual(['compliant']);
      expect(remediationRecords(project)).toEqual([
        {
          findingId: FINDING,
          changes: [
            `set Environment.EnvironmentVariables NPM_CONFIG_REGISTRY to ${NPM_URL}`,
            `set Environment.EnvironmentVariables PIP_INDEX_URL to ${PIP_URL}`,
            'added the CodeArtifact token step at the start of the install phase of Source.BuildSpec',
            'granted role Stack/Build/Role codeartifact:GetAuthorizationToken, codeartifact:GetRepositoryEndpoint, ' +
              'codeartifact:ReadFromRepository and sts:GetServiceBearerToken in policy Stack/Build/RegistryPolicy, ' +
              'which the project depends on',
          ],
        },
      ]);
    });

    it("appends the registry variables after the user's", () => {
      expect(variablesOf(resources(template).Build)).toEqual([
        plaintext('CI', 'true'),
        plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
        plaintext('PIP_INDEX_URL', PIP_URL),
      ]);
    });

    it('adds the token step at the start of a new install phase, keeping the JSON build spec', () => {
      expect(JSON.parse(buildSpecOf(resources(template).Build))).toEqual({
        version: '0.2',
        phases: { install: { commands: [TOKEN, NPM_TOKEN, PIP_TOKEN] }, build: { commands: ['npm ci'] } },
      });
    });

    it('grants the role read access to the repository, in a policy the project depends on', () => {
      const { Build, BuildRegistryPolicy } = resources(template);
      expect(BuildRegistryPolicy.Properties?.Roles).toEqual([{ Ref: logicalIdOf(template, 'BuildRole') }]);
      expect(statementsOf(BuildRegistryPolicy)).toEqual(READ_STATEMENTS);
      expect(Build.DependsOn).toEqual([logicalIdOf(template, 'BuildRegistryPolicy')]);
    });
  });

  it('changes nothing when applied twice (two instances)', () => {
    const build = (stack: Stack) =>
      new codebuild.Project(stack, 'Build', { buildSpec, environmentVariables: { CI: { value: 'true' } } });
    const aspect = () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT });
    const once = synthWithAspects(build, aspect()).template;
    const twice = synthWithAspects(build, aspect(), aspect()).template;
    expect(twice).toEqual(once);
  });

  it('replaces only a required variable that does not match, in place, and authenticates only for it', () => {
    let project!: codebuild.Project;
    const { template } = synthWithAspects(
      (stack) => {
        project = new codebuild.Project(stack, 'Build', {
          buildSpec,
          environmentVariables: {
            NPM_CONFIG_REGISTRY: { value: 'https://registry.npmjs.org/' },
            CI: { value: 'true' },
            PIP_INDEX_URL: {
              value: 'https://corp-222222222222.d.codeartifact.eu-west-1.amazonaws.com/pypi/other/simple/',
            },
          },
        });
      },
      new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
    );
    const { Build } = resources(template);
    expect(statuses(template)).toEqual(['compliant']);
    expect(variablesOf(Build)).toEqual([
      plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
      plaintext('CI', 'true'),
      plaintext(
        'PIP_INDEX_URL',
        'https://corp-222222222222.d.codeartifact.eu-west-1.amazonaws.com/pypi/other/simple/',
      ),
    ]);
    expect(JSON.parse(buildSpecOf(Build)).phases.install.commands).toEqual([TOKEN, NPM_TOKEN]);
    expect((remediationRecords(project)[0] as { changes: string[] }).changes[0]).toBe(
      `set Environment.EnvironmentVariables NPM_CONFIG_REGISTRY to ${NPM_URL}`,
    );
  });

  it('keeps a variable read from Parameter Store, which only deploy time can judge', () => {
    const { template } = synthWithAspects(
      (stack) => {
        new codebuild.Project(stack, 'Build', {
          buildSpec,
          environmentVariables: {
            NPM_CONFIG_REGISTRY: {
              value: '/build/npm',
              type: codebuild.BuildEnvironmentVariableType.PARAMETER_STORE,
            },
          },
        });
      },
      new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
    );
    const { Build } = resources(template);
    expect(variablesOf(Build)).toEqual([
      { Name: 'NPM_CONFIG_REGISTRY', Type: 'PARAMETER_STORE', Value: '/build/npm' },
      plaintext('PIP_INDEX_URL', PIP_URL),
    ]);
    expect(JSON.parse(buildSpecOf(Build)).phases.install.commands).toEqual([TOKEN, PIP_TOKEN]);
    expect(statuses(template)).toEqual(['unverifiable']);
  });

  it('uses the URLs of the registries setting, authenticating to the CodeArtifact domain they name', () => {
    const other = 'https://shared-333333333333.d.codeartifact.us-east-1.amazonaws.com/npm/public/';
    const { template } = synthWithAspects(
      (stack) => {
        new codebuild.Project(stack, 'Build', { buildSpec });
      },
      new CodeBuildInternalRegistry({
        registries: { NPM_CONFIG_REGISTRY: other, PIP_INDEX_URL: PIP_URL },
        codeArtifact: { domain: 'ignored', repository: 'ignored' },
      }),
    );
    const { Build, BuildRegistryPolicy } = resources(template);
    expect(variablesOf(Build)).toEqual([
      plaintext('NPM_CONFIG_REGISTRY', other),
      plaintext('PIP_INDEX_URL', PIP_URL),
    ]);
    expect(JSON.parse(buildSpecOf(Build)).phases.install.commands).toEqual([
      'export CODEARTIFACT_AUTH_TOKEN=$(aws codeartifact get-authorization-token --domain shared --domain-owner ' +
        '333333333333 --region us-east-1 --query authorizationToken --output text)',
      TOKEN.replace('CODEARTIFACT_AUTH_TOKEN=', 'CODEARTIFACT_AUTH_TOKEN_2='),
      'npm config set //shared-333333333333.d.codeartifact.us-east-1.amazonaws.com/npm/public/:_authToken=$CODEARTIFACT_AUTH_TOKEN',
      PIP_TOKEN.replace('$CODEARTIFACT_AUTH_TOKEN@', '$CODEARTIFACT_AUTH_TOKEN_2@'),
    ]);
    expect(statementsOf(BuildRegistryPolicy)[0]).toEqual({
      Effect: 'Allow',
      Action: 'codeartifact:GetAuthorizationToken',
      Resource: [
        {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':codeartifact:us-east-1:333333333333:domain/shared'],
          ],
        },
        codeArtifactArn('domain/corp'),
      ],
    });
  });

  it('sets a registry that is not CodeArtifact without a token step or permissions (custom params)', () => {
    const params = { requiredVariables: ['GOPROXY'], allowedUrlPattern: '^https://proxy\\.corp/' };
    let project!: codebuild.Project;
    const build = (stack: Stack) => {
      project = new codebuild.Project(stack, 'Build', { buildSpec });
    };
    const untouched = synthWithAspects(build).template;
    const { template } = synthWithAspects(
      build,
      new CodeBuildInternalRegistry({
        catalogue: singleRuleCatalogue(rule, params),
        registries: { GOPROXY: 'https://proxy.corp/go' },
      }),
    );
    expect(statuses(template, params)).toEqual(['compliant']);
    const { Build } = resources(template);
    expect(variablesOf(Build)).toEqual([plaintext('GOPROXY', 'https://proxy.corp/go')]);
    expect(buildSpecOf(Build)).toBe(buildSpecOf(resources(untouched).Build));
    expect(Object.keys(template.Resources ?? {})).toEqual(Object.keys(untouched.Resources ?? {}));
    expect(remediationRecords(project)).toEqual([
      {
        findingId: 'Test-Rule.1',
        changes: ['set Environment.EnvironmentVariables GOPROXY to https://proxy.corp/go'],
      },
    ]);
  });

  it('edits a YAML build spec, keeping its install commands after the token step', () => {
    const { template } = synthWithAspects(
      (stack) => {
        const role = new iam.Role(stack, 'Role', {
          assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
        });
        new codebuild.CfnProject(stack, 'Build', {
          serviceRole: role.roleArn,
          source: {
            type: 'NO_SOURCE',
            buildSpec: [
              'version: 0.2',
              'phases:',
              '  install:',
              '    runtime-versions:',
              '      nodejs: 22',
              '    commands:',
              '      - npm ci',
              '  build:',
              '    commands:',
              '      - npm test',
            ].join('\n'),
          },
          artifacts: { type: 'NO_ARTIFACTS' },
          environment: {
            type: 'LINUX_CONTAINER',
            image: 'aws/codebuild/standard:7.0',
            computeType: 'BUILD_GENERAL1_SMALL',
            environmentVariables: [{ name: 'CI', value: 'true' }],
          },
        });
      },
      new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
    );
    const { Build } = resources(template);
    expect(statuses(template)).toEqual(['compliant']);
    expect(variablesOf(Build)).toEqual([
      { Name: 'CI', Value: 'true' },
      plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
      plaintext('PIP_INDEX_URL', PIP_URL),
    ]);
    expect(parseYaml(buildSpecOf(Build))).toEqual({
      version: 0.2,
      phases: {
        install: { 'runtime-versions': { nodejs: 22 }, commands: [TOKEN, NPM_TOKEN, PIP_TOKEN, 'npm ci'] },
        build: { commands: ['npm test'] },
      },
    });
    expect(Build.DependsOn).toEqual([logicalIdOf(template, 'BuildRegistryPolicy')]);
  });

  it('leaves a compliant project untouched and records nothing', () => {
    let project!: codebuild.Project;
    const build = (stack: Stack) => {
      project = new codebuild.Project(stack, 'Build', {
        buildSpec,
        environmentVariables: { NPM_CONFIG_REGISTRY: { value: NPM_URL }, PIP_INDEX_URL: { value: PIP_URL } },
      });
    };
    const untouched = synthWithAspects(build).template;
    const { template } = synthWithAspects(
      build,
      new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
    );
    expect(template).toEqual(untouched);
    expect(remediationRecords(project)).toEqual([]);
  });

  describe('not applied, with the reason recorded and the project left as it was', () => {
    const expectNotApplied = (
      build: (stack: Stack) => codebuild.Project | codebuild.CfnProject,
      aspect: () => IAspect,
      reason: string,
      synth = synthWithAspects,
    ) => {
      let project!: codebuild.Project | codebuild.CfnProject;
      const untouched = synth((stack) => build(stack)).template;
      const { template } = synth((stack) => {
        project = build(stack);
      }, aspect());
      expect(template).toEqual(untouched);
      expect(remediationRecords(project)).toEqual([{ findingId: FINDING, notApplied: reason }]);
    };
    const defaultProject = (stack: Stack) => new codebuild.Project(stack, 'Build', { buildSpec });
    const yourself = (variables: string, commands: string[]) =>
      `add these commands at the start of the install phase of the build spec and set ${variables} yourself: ${commands.join(' ; ')}`;

    it('without registries or a CodeArtifact repository', () => {
      expectNotApplied(
        defaultProject,
        () => new CodeBuildInternalRegistry(),
        "no internal registry was given: set the remediations' registries prop (context key " +
          "'cdk-catalogue:registries') or codeArtifact prop (context key 'cdk-catalogue:code-artifact')",
      );
    });

    it('in an environment-agnostic stack without a domain owner', () => {
      const synthEnvAgnostic = (build: (stack: Stack) => void, ...aspects: IAspect[]) => {
        const app = new App({ builtinCloudFormationValidation: false });
        const stack = new Stack(app, 'Stack');
        build(stack);
        for (const aspect of aspects) Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
        return { template: app.synth().getStackByName('Stack').template as CfnTemplate, stack };
      };
      expectNotApplied(
        defaultProject,
        () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
        'the stack is environment-agnostic, so the CodeArtifact domain owner cannot default to its account: set ' +
          "codeArtifact.domainOwner (context key 'cdk-catalogue:code-artifact') or give the stack an env",
        synthEnvAgnostic,
      );
    });

    it('when a configured URL does not match the control pattern', () => {
      expectNotApplied(
        defaultProject,
        () =>
          new CodeBuildInternalRegistry({
            registries: { NPM_CONFIG_REGISTRY: 'https://registry.npmjs.org/' },
          }),
        "the URL for NPM_CONFIG_REGISTRY, 'https://registry.npmjs.org/', does not match the control's " +
          `allowedUrlPattern ${DEFAULT_PATTERN}: configure one that does`,
      );
    });

    it('when a required variable has no configured URL', () => {
      expectNotApplied(
        defaultProject,
        () => new CodeBuildInternalRegistry({ registries: { NPM_CONFIG_REGISTRY: NPM_URL } }),
        "no registry URL is configured for PIP_INDEX_URL: add it to the registries prop (context key 'cdk-catalogue:registries')",
      );
    });

    it('when the build spec is a file in the source, naming the commands to add', () => {
      expectNotApplied(
        (stack) => {
          const role = new iam.Role(stack, 'Role', {
            assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com'),
          });
          return new codebuild.CfnProject(stack, 'Build', {
            serviceRole: role.roleArn,
            source: { type: 'CODEPIPELINE' },
            artifacts: { type: 'CODEPIPELINE' },
            environment: {
              type: 'LINUX_CONTAINER',
              image: 'aws/codebuild/standard:7.0',
              computeType: 'BUILD_GENERAL1_SMALL',
            },
          });
        },
        () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
        'CodeArtifact needs a token step in the build spec, and the build spec is the buildspec.yml file in the ' +
          'source, which the fix cannot edit: ' +
          yourself('NPM_CONFIG_REGISTRY and PIP_INDEX_URL', [TOKEN, NPM_TOKEN, PIP_TOKEN]),
      );
    });

    it('for a version 0.1 build spec, whose commands share no shell', () => {
      expectNotApplied(
        (stack) =>
          new codebuild.Project(stack, 'Build', {
            buildSpec: codebuild.BuildSpec.fromObject({
              version: '0.1',
              phases: { build: { commands: ['make'] } },
            }),
          }),
        () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
        'CodeArtifact needs a token step in the build spec, and the build spec is version 0.1, whose commands ' +
          'share no shell: ' +
          yourself('NPM_CONFIG_REGISTRY and PIP_INDEX_URL', [TOKEN, NPM_TOKEN, PIP_TOKEN]),
      );
    });

    it('for a Windows build, whose shell the token step is not written for', () => {
      expectNotApplied(
        (stack) =>
          new codebuild.Project(stack, 'Build', {
            buildSpec,
            environment: { buildImage: codebuild.WindowsBuildImage.WIN_SERVER_CORE_2019_BASE },
          }),
        () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
        'CodeArtifact needs a token step, which the fix writes for Linux shells, and the project builds on ' +
          'WINDOWS_SERVER_2019_CONTAINER: ' +
          yourself('NPM_CONFIG_REGISTRY and PIP_INDEX_URL', [TOKEN, NPM_TOKEN, PIP_TOKEN]),
      );
    });

    it('when the role is imported, saying what to grant', () => {
      expectNotApplied(
        (stack) =>
          new codebuild.Project(stack, 'Build', {
            buildSpec,
            role: iam.Role.fromRoleArn(stack, 'Shared', 'arn:aws:iam::111111111111:role/build', {
              mutable: false,
            }),
          }),
        () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
        "the service role 'arn:aws:iam::111111111111:role/build' is not defined in this stack, so the fix cannot " +
          'let it read from CodeArtifact: grant it codeartifact:GetAuthorizationToken on the domain, ' +
          'codeartifact:GetRepositoryEndpoint and codeartifact:ReadFromRepository on the repository and ' +
          'sts:GetServiceBearerToken (condition sts:AWSServiceName codeartifact.amazonaws.com), then ' +
          yourself('NPM_CONFIG_REGISTRY and PIP_INDEX_URL', [TOKEN, NPM_TOKEN, PIP_TOKEN]),
      );
    });
  });

  describe('a CDK Pipelines CodePipeline, with the VPC fix too', () => {
    const buildPipeline = (stack: Stack) => {
      const repository = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      new pipelines.CodePipeline(stack, 'Pipeline', {
        synth: new pipelines.ShellStep('Synth', {
          input: pipelines.CodePipelineSource.codeCommit(repository, 'main'),
          commands: ['npm ci', 'npx cdk synth'],
        }),
      });
    };
    const settings = {
      codeArtifact: CODE_ARTIFACT,
      vpcIds: { '*': { vpcId: 'vpc-0a1b2c3d4e5f6a700', subnetIds: ['subnet-0a1b2c3d4e5f6a710'] } },
    };

    it('reaches the synth and self-mutation projects the pipeline builds in its MUTATING Aspect', () => {
      const { template } = synthWithAspects(
        buildPipeline,
        new CodeBuildInVpc(settings),
        new CodeBuildInternalRegistry(settings),
      );
      const synth = logicalIdOf(template, 'PipelineBuildSynthCdkBuildProject');
      const selfMutation = logicalIdOf(template, 'PipelineUpdatePipelineSelfMutation');
      const evaluations = evaluateRule(rule, template);
      expect(Object.keys(evaluations).sort()).toEqual([synth, selfMutation].sort());
      expect(Object.values(evaluations).map((e) => e.status)).toEqual(['compliant', 'compliant']);

      const projects = template.Resources ?? {};
      expect(JSON.parse(buildSpecOf(projects[synth])).phases).toEqual({
        install: { commands: [TOKEN, NPM_TOKEN, PIP_TOKEN] },
        build: { commands: ['npm ci', 'npx cdk synth'] },
      });
      expect(JSON.parse(buildSpecOf(projects[selfMutation])).phases.install.commands).toEqual([
        TOKEN,
        NPM_TOKEN,
        PIP_TOKEN,
        'npm install -g aws-cdk@2',
      ]);
      for (const [project, prefix] of [
        [synth, 'PipelineBuildSynthCdkBuildProject'],
        [selfMutation, 'PipelineUpdatePipelineSelfMutation'],
      ]) {
        expect(variablesOf(projects[project])).toEqual([
          plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
          plaintext('PIP_INDEX_URL', PIP_URL),
        ]);
        expect(statementsOf(projects[logicalIdOf(template, `${prefix}RegistryPolicy`)])).toEqual(
          READ_STATEMENTS,
        );
        expect([...(projects[project].DependsOn ?? [])].sort()).toEqual(
          [
            logicalIdOf(template, `${prefix}RegistryPolicy`),
            logicalIdOf(template, `${prefix}VpcPolicy`),
          ].sort(),
        );
      }
    });

    it('gives a template that passes the bundled CloudFormation validator', () => {
      const app = new App({ context: { '@aws-cdk/core:validateAgainstDefaultRules': true } });
      buildPipeline(new Stack(app, 'Stack', { env: { account: '111111111111', region: 'eu-west-1' } }));
      for (const aspect of [new CodeBuildInVpc(settings), new CodeBuildInternalRegistry(settings)]) {
        Aspects.of(app).add(aspect, { priority: AspectPriority.MUTATING });
      }
      let assembly!: ReturnType<App['synth']>;
      expect(() => (assembly = app.synth())).not.toThrow();
      expect(statuses(assembly.getStackByName('Stack').template as CfnTemplate)).toEqual([
        'compliant',
        'compliant',
      ]);
    });
  });
});
