import {
  App,
  AspectPriority,
  Aspects,
  aws_codebuild as codebuild,
  aws_codecommit as codecommit,
  aws_codepipeline as codepipeline,
  aws_codepipeline_actions as actions,
  aws_ec2 as ec2,
  aws_iam as iam,
  IAspect,
  pipelines,
  Stack,
} from 'aws-cdk-lib';
import { parse as parseYaml } from 'yaml';
import rule from '../../src/rules/codebuild-internal-registry';
import { withParamDefaults } from '../../src/catalogue/params';
import { evaluate, Evaluation } from '../../src/engine/evaluate';
import { CfnResourceJson, CfnTemplate } from '../../src/engine/template';
import { CodeBuildInternalRegistry, CodeBuildInVpc } from '../../src/remediations/aspects';
import {
  logicalIdOf,
  remediationRecords,
  resources,
  singleRuleCatalogue,
  stackTemplate,
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

const ACCOUNT = '111122223333';
/** An inline build spec that sets no variables. */
const INLINE_SOURCE = { Type: 'NO_SOURCE', BuildSpec: JSON.stringify({ version: '0.2' }) };

const npm = (value: unknown, extra: Record<string, unknown> = {}) => ({
  Name: 'NPM_CONFIG_REGISTRY',
  Value: value,
  Type: 'PLAINTEXT',
  ...extra,
});
const pip = (value: unknown) => ({ Name: 'PIP_INDEX_URL', Value: value });

/**
 * The rule through the real engine, each stack deployed to `account` (null: an environment-agnostic
 * stack), and its evaluation of each resource by logical id.
 */
function evaluateIn(
  templates: CfnTemplate | CfnTemplate[],
  params: Record<string, unknown> = {},
  account: string | null = ACCOUNT,
): Record<string, Evaluation> {
  const list = Array.isArray(templates) ? templates : [templates];
  const evaluations = evaluate({
    catalogue: singleRuleCatalogue(rule, params),
    stacks: list.map((template, i) => ({
      ...stackTemplate(template, `Stack${i}`),
      account: account ?? undefined,
    })),
  });
  return Object.fromEntries(evaluations.map((e) => [e.logicalId, e]));
}

/** A project with these variables and, unless `source` says otherwise, an inline build spec that sets none. */
function projectWith(variables: unknown, source: unknown = INLINE_SOURCE, extra: Partial<CfnTemplate> = {}) {
  return templateWith(
    PROJECT,
    { Environment: { Type: 'LINUX_CONTAINER', EnvironmentVariables: variables }, Source: source },
    extra,
  );
}

function evaluateVariables(
  variables: unknown,
  {
    params = {},
    extra = {},
    others = [],
    source = INLINE_SOURCE,
    account = ACCOUNT,
  }: {
    params?: Record<string, unknown>;
    extra?: Partial<CfnTemplate>;
    others?: CfnTemplate[];
    source?: unknown;
    account?: string;
  } = {},
) {
  return evaluateIn([projectWith(variables, source, extra), ...others], params, account).Subject;
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
        allowedCodeArtifactDomainOwners: [],
        trustBuildSpecFiles: false,
      });
    });

    it.each([
      ['no variables', { requiredVariables: [] }],
      ['an invalid regex', { allowedUrlPattern: '^https://(' }],
      ['an unknown param', { registry: 'x' }],
      ['a domain owner that is not a 12-digit account', { allowedCodeArtifactDomainOwners: ['1111'] }],
      ['a domain owner that is not a string', { allowedCodeArtifactDomainOwners: [111122223333] }],
      ['trustBuildSpecFiles that is not a boolean', { trustBuildSpecFiles: 'yes' }],
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
      const template = templateWith(PROJECT, { Environment: 'LINUX_CONTAINER', Source: INLINE_SOURCE });
      expect(evaluateIn(template).Subject.reason).toBe(
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
        `NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/\${AWS::Region}' has parts only known at deploy time`,
      );
    });

    // Catalogue patterns are RE2 (no lookaround, bounded repeats): `$` and `\b` are what can look past a match.
    it('does not trust a matching prefix when the pattern looks past its match ($, \\b)', () => {
      const evaluateWith = (allowedUrlPattern: string) =>
        evaluateVariables([{ Name: 'REGISTRY', Value: sub('https://proxy.corp/npm/${Rest}') }], {
          params: { requiredVariables: ['REGISTRY'], allowedUrlPattern },
        }).status;
      expect(evaluateWith('^https://proxy\\.corp/npm/')).toBe('compliant');
      for (const pattern of ['^https://proxy\\.corp/npm/$', '^https://proxy\\.corp/npm\\b']) {
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
          'a word boundary, which the prefix check refuses',
          '^https://a\\.corp\\b',
          sub('https://a.corp${Rest}'),
          'unverifiable',
        ],
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
      const byId = Object.entries(evaluateIn(template));
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
      expect(Object.values(evaluateIn(template))[0]).toMatchObject({
        status: 'unverifiable',
        reason:
          "NPM_CONFIG_REGISTRY is a PARAMETER_STORE variable ('/build/npm'), whose content is only known at deploy time",
      });
    });
  });
});

describe('codebuild-internal-registry: the values the build really gets', () => {
  const PUBLIC_NPM = 'https://registry.npmjs.org/';
  const PUBLIC_PYPI = 'https://pypi.org/simple/';
  const STRANGER = NPM.replace('111122223333', '999999999999');
  const COMPLIANT = [npm(NPM), pip(PIP)];
  const NOT_MATCHING = `does not match the internal registry pattern ${DEFAULT_PATTERN}`;
  const ACTION = 'in the EnvironmentVariables of action Build/Compile of pipeline Pipeline (stack Stack0)';
  const FILE_HINT =
    ', which can set any variable and which the rule cannot read: write the build spec inline ' +
    '(codebuild.BuildSpec.fromObject), or have the catalogue set trustBuildSpecFiles';

  /** An inline JSON build spec, as CDK renders one. */
  const inline = (spec: Record<string, unknown>) => ({
    Type: 'NO_SOURCE',
    BuildSpec: JSON.stringify({ version: '0.2', ...spec }, null, 2),
  });
  const yamlSource = (...lines: string[]) => ({ Type: 'NO_SOURCE', BuildSpec: lines.join('\n') });
  const override = (name: string, value: unknown, type = 'PLAINTEXT') => ({ name, value, type });
  /** A CodeBuild action; its EnvironmentVariables are a JSON string, as CodePipeline takes them. */
  const codeBuildAction = (environmentVariables: unknown, projectName: unknown = { Ref: 'Subject' }) => ({
    Name: 'Compile',
    ActionTypeId: { Category: 'Build', Owner: 'AWS', Provider: 'CodeBuild', Version: '1' },
    Configuration: {
      ProjectName: projectName,
      EnvironmentVariables: Array.isArray(environmentVariables)
        ? JSON.stringify(environmentVariables)
        : environmentVariables,
    },
  });
  const pipeline = (actions: unknown[], extra: Record<string, unknown> = {}): CfnTemplate => ({
    Parameters: { Project: { Type: 'String' }, Vars: { Type: 'String' } },
    Resources: {
      Pipeline: {
        Type: 'AWS::CodePipeline::Pipeline',
        ...extra,
        Properties: { Stages: [{ Name: 'Build', Actions: actions }] },
      },
    },
  });
  const overriding = (variables: unknown, projectName?: unknown) =>
    pipeline([codeBuildAction(variables, projectName)]);
  const withResources = (template: CfnTemplate, resources: CfnTemplate['Resources']): CfnTemplate => ({
    ...template,
    Resources: { ...template.Resources, ...resources },
  });

  interface Case {
    readonly variables?: unknown;
    /** The project's Source; an inline build spec that sets no variables by default. */
    readonly source?: unknown;
    /** Other project properties (Name). */
    readonly project?: Record<string, unknown>;
    readonly windows?: boolean;
    /** Parameters and resources beside the project (pipelines). */
    readonly extra?: Partial<CfnTemplate>;
    readonly others?: CfnTemplate[];
    readonly params?: Record<string, unknown>;
    /** The stack's account; null for an environment-agnostic stack. */
    readonly account?: string | null;
  }
  const judge = (c: Case) => {
    const environment = {
      Type: c.windows ? 'WINDOWS_SERVER_2019_CONTAINER' : 'LINUX_CONTAINER',
      EnvironmentVariables: c.variables ?? COMPLIANT,
    };
    const template = templateWith(
      PROJECT,
      { Environment: environment, Source: c.source ?? INLINE_SOURCE, ...c.project },
      {
        ...c.extra,
        Parameters: { Repo: { Type: 'String' }, VarName: { Type: 'String' }, ...c.extra?.Parameters },
      },
    );
    return evaluateIn([template, ...(c.others ?? [])], c.params, c.account).Subject;
  };

  describe('bypasses that used to pass, now non-compliant', () => {
    it.each<[string, Case, string, string]>([
      [
        "a build spec's env.variables (JSON, as CDK renders it), which take precedence over the project's",
        { source: inline({ env: { variables: { NPM_CONFIG_REGISTRY: PUBLIC_NPM } } }) },
        'Source.BuildSpec',
        `NPM_CONFIG_REGISTRY in the build spec's env.variables '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        "a YAML build spec's env.variables",
        { source: yamlSource('version: 0.2', 'env:', '  variables:', `    PIP_INDEX_URL: ${PUBLIC_PYPI}`) },
        'Source.BuildSpec',
        `PIP_INDEX_URL in the build spec's env.variables '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        'a YAML merge key in the env.variables of a build spec',
        {
          source: yamlSource(
            'version: 0.2',
            'env:',
            '  variables:',
            `    <<: { NPM_CONFIG_REGISTRY: "${PUBLIC_NPM}" }`,
          ),
        },
        'Source.BuildSpec',
        `NPM_CONFIG_REGISTRY in the build spec's env.variables '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        "the env of a batch build, which overrides the build spec's",
        {
          source: inline({
            batch: {
              'build-list': [
                { identifier: 'linux', env: { variables: { NPM_CONFIG_REGISTRY: PUBLIC_NPM } } },
              ],
            },
          }),
        },
        'Source.BuildSpec',
        `NPM_CONFIG_REGISTRY in the build spec's batch.build-list[0].env.variables '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'one value of a batch build matrix',
        {
          source: inline({
            batch: {
              'build-matrix': { dynamic: { env: { variables: { PIP_INDEX_URL: [PIP, PUBLIC_PYPI] } } } },
            },
          }),
        },
        'Source.BuildSpec',
        `PIP_INDEX_URL in the build spec's batch.build-matrix.dynamic.env.variables '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        "a CodePipeline action's EnvironmentVariables, which override both",
        { extra: overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)]) },
        VARIABLES,
        `NPM_CONFIG_REGISTRY ${ACTION} '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'an action list that CDK renders as a Fn::Join around a reference to a resource',
        {
          extra: overriding({
            'Fn::Join': [
              '',
              [
                `[{"name":"PIP_INDEX_URL","type":"PLAINTEXT","value":"${PUBLIC_PYPI}"},` +
                  '{"name":"PROJECT","type":"PLAINTEXT","value":"',
                { Ref: 'Subject' },
                '"}]',
              ],
            ],
          }),
        },
        VARIABLES,
        `PIP_INDEX_URL ${ACTION} '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        'an action of a pipeline with a Condition (evidence against counts whether it deploys or not)',
        {
          extra: pipeline([codeBuildAction([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)])], {
            Condition: 'WithPipeline',
          }),
        },
        VARIABLES,
        `NPM_CONFIG_REGISTRY ${ACTION} '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'an action in one Fn::If branch of a pipeline',
        {
          extra: pipeline([
            {
              'Fn::If': [
                'Override',
                codeBuildAction([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)]),
                { Ref: 'AWS::NoValue' },
              ],
            },
          ]),
        },
        VARIABLES,
        `NPM_CONFIG_REGISTRY ${ACTION} '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'an action of a pipeline in another stack, naming the project by its Name',
        {
          project: { Name: 'app-build' },
          others: [overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], 'app-build')],
        },
        VARIABLES,
        `NPM_CONFIG_REGISTRY in the EnvironmentVariables of action Build/Compile of pipeline Pipeline (stack Stack1) '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'a lower-case npm_config_registry beside a compliant NPM_CONFIG_REGISTRY (npm reads names in any case)',
        { variables: [...COMPLIANT, { Name: 'npm_config_registry', Value: PUBLIC_NPM }] },
        VARIABLES,
        `npm_config_registry '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'a mixed-case Npm_Config_Registry',
        { variables: [{ Name: 'Npm_Config_Registry', Value: PUBLIC_NPM }, ...COMPLIANT] },
        VARIABLES,
        `Npm_Config_Registry '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        "a scope's registry (NPM_CONFIG_@corp:registry)",
        { variables: [...COMPLIANT, { Name: 'NPM_CONFIG_@corp:registry', Value: PUBLIC_NPM }] },
        VARIABLES,
        `NPM_CONFIG_@corp:registry '${PUBLIC_NPM}' ${NOT_MATCHING}`,
      ],
      [
        'npm_config_replace_registry_host=never, which makes npm fetch lockfile URLs from registry.npmjs.org',
        { variables: [...COMPLIANT, { Name: 'npm_config_replace_registry_host', Value: 'never' }] },
        VARIABLES,
        "npm_config_replace_registry_host 'never' makes npm download the packages of a lockfile from the hosts " +
          'it names instead of the registry (allowed: npmjs, registry.npmjs.org, always)',
      ],
      [
        'PIP_EXTRA_INDEX_URL pointing at a public index',
        { variables: [...COMPLIANT, { Name: 'PIP_EXTRA_INDEX_URL', Value: PUBLIC_PYPI }] },
        VARIABLES,
        `PIP_EXTRA_INDEX_URL '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        'a public index second in the whitespace-separated PIP_EXTRA_INDEX_URL',
        { variables: [...COMPLIANT, { Name: 'PIP_EXTRA_INDEX_URL', Value: `${PIP}\n  ${PUBLIC_PYPI}` }] },
        VARIABLES,
        `PIP_EXTRA_INDEX_URL '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        'PIP_FIND_LINKS pointing at a public page',
        { variables: [...COMPLIANT, { Name: 'PIP_FIND_LINKS', Value: 'https://download.pytorch.org/whl/' }] },
        VARIABLES,
        `PIP_FIND_LINKS 'https://download.pytorch.org/whl/' ${NOT_MATCHING}`,
      ],
      [
        'PIP_ then the option name in lower case (pip reads PIP___index_url as index-url)',
        { variables: [...COMPLIANT, { Name: 'PIP___index_url', Value: PUBLIC_PYPI }] },
        VARIABLES,
        `PIP___index_url '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        'a lower-case pip_index_url on Windows, whose variable names have no case',
        { variables: [...COMPLIANT, { Name: 'pip_index_url', Value: PUBLIC_PYPI }], windows: true },
        VARIABLES,
        `pip_index_url '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
      ],
      [
        "a CodeArtifact endpoint in a stranger's account",
        { variables: [npm(STRANGER), pip(PIP)] },
        VARIABLES,
        `NPM_CONFIG_REGISTRY '${STRANGER}' is in the CodeArtifact domain corp of account 999999999999, not of the ` +
          "stack's account 111122223333 (allowedCodeArtifactDomainOwners is empty: only the stack's own account)",
      ],
      [
        "a stranger's CodeArtifact endpoint followed by deploy-time parts",
        { variables: [npm({ 'Fn::Join': ['', [STRANGER, { Ref: 'Repo' }]] }), pip(PIP)] },
        VARIABLES,
        `NPM_CONFIG_REGISTRY '${STRANGER}...' is in the CodeArtifact domain corp of account 999999999999`,
      ],
      [
        'a CodeArtifact account outside allowedCodeArtifactDomainOwners',
        { params: { allowedCodeArtifactDomainOwners: ['999999999999'] } },
        VARIABLES,
        `NPM_CONFIG_REGISTRY '${NPM}' is in the CodeArtifact domain corp of account 111122223333, which is not in ` +
          `allowedCodeArtifactDomainOwners (999999999999); PIP_INDEX_URL '${PIP}' is in the CodeArtifact domain`,
      ],
      [
        "a stranger's CodeArtifact host written with percent escapes, under a looser allowedUrlPattern",
        {
          variables: [
            npm('https://corp-999999999999%2Ed%2Ecodeartifact%2Eeu-west-1%2Eamazonaws%2Ecom/npm/main/'),
            pip(PIP),
          ],
          params: { allowedUrlPattern: '^https://' },
        },
        VARIABLES,
        'is in the CodeArtifact domain corp of account 999999999999',
      ],
      [
        "a stranger's CodeArtifact domain under a looser allowedUrlPattern",
        { variables: [npm(STRANGER), pip(PIP)], params: { allowedUrlPattern: '^https://' } },
        VARIABLES,
        'is in the CodeArtifact domain corp of account 999999999999',
      ],
    ])('%s', (_name, testCase, property, reason) => {
      const Subject = judge(testCase);
      expect(Subject).toMatchObject({ status: 'non-compliant', property });
      expect(Subject.reason).toContain(reason);
    });

    it('reports every place at fault together', () => {
      const Subject = judge({
        variables: [...COMPLIANT, { Name: 'PIP_EXTRA_INDEX_URL', Value: PUBLIC_PYPI }],
        source: inline({ env: { variables: { NPM_CONFIG_REGISTRY: PUBLIC_NPM } } }),
        extra: overriding([override('npm_config_registry', PUBLIC_NPM)]),
      });
      expect(Subject).toMatchObject({ status: 'non-compliant', property: VARIABLES });
      expect(Subject.reason).toBe(
        [
          `PIP_EXTRA_INDEX_URL '${PUBLIC_PYPI}' ${NOT_MATCHING}`,
          `NPM_CONFIG_REGISTRY in the build spec's env.variables '${PUBLIC_NPM}' ${NOT_MATCHING}`,
          `npm_config_registry ${ACTION} '${PUBLIC_NPM}' ${NOT_MATCHING}`,
        ].join('; '),
      );
    });
  });

  describe('what cannot be read is unverifiable, never compliant', () => {
    it.each<[string, Case, string, string]>([
      [
        'a build spec in the source (no Source.BuildSpec): buildspec.yml',
        { source: { Type: 'CODEPIPELINE' } },
        'Source.BuildSpec',
        `the build spec is the buildspec.yml file in the source${FILE_HINT}`,
      ],
      [
        'a build spec file named in Source.BuildSpec',
        { source: { Type: 'CODECOMMIT', Location: 'x', BuildSpec: 'ci/buildspec.yml' } },
        'Source.BuildSpec',
        `the build spec is the file 'ci/buildspec.yml'${FILE_HINT}`,
      ],
      [
        'a build spec in S3',
        { source: { Type: 'NO_SOURCE', BuildSpec: 'arn:aws:s3:::specs/build.yml' } },
        'Source.BuildSpec',
        `the build spec is the file 'arn:aws:s3:::specs/build.yml'${FILE_HINT}`,
      ],
      [
        'a batch build that names another build spec',
        { source: inline({ batch: { 'build-list': [{ identifier: 'x', buildspec: 'other.yml' }] } }) },
        'Source.BuildSpec',
        "the build spec's batch.build-list[0].buildspec names another build spec ('other.yml'), which the rule " +
          `cannot read${FILE_HINT}`,
      ],
      [
        'a build spec from a parameter',
        { source: { Type: 'NO_SOURCE', BuildSpec: { Ref: 'Repo' } } },
        'Source.BuildSpec',
        'Source.BuildSpec has a value from parameter Repo, which is only known at deploy time',
      ],
      [
        'a build spec with a part chosen at deploy time, which could add variables',
        {
          source: {
            Type: 'NO_SOURCE',
            BuildSpec: {
              'Fn::Join': ['', ['{"version":"0.2","env":{"variables":{"STAGE":"', { Ref: 'Repo' }, '"}}}']],
            },
          },
        },
        'Source.BuildSpec',
        'Source.BuildSpec has parts whose text is chosen at deploy time (parameter Repo), which could add entries to it',
      ],
      [
        'a build spec with a dynamic reference',
        { source: inline({ env: { variables: { STAGE: '{{resolve:ssm:/build/stage}}' } } }) },
        'Source.BuildSpec',
        'Source.BuildSpec has a dynamic reference ({{resolve:...}}), whose text CloudFormation fills in at deploy time',
      ],
      [
        'a JSON build spec that repeats a key',
        {
          source: {
            Type: 'NO_SOURCE',
            BuildSpec: `{"env":{"variables":{"NPM_CONFIG_REGISTRY":"${NPM}","NPM_CONFIG_REGISTRY":"${PUBLIC_NPM}"}}}`,
          },
        },
        'Source.BuildSpec',
        'Source.BuildSpec cannot be parsed as YAML or JSON (or repeats a key)',
      ],
      [
        "a build spec's env.parameter-store",
        { source: inline({ env: { 'parameter-store': { NPM_CONFIG_REGISTRY: '/build/npm' } } }) },
        'Source.BuildSpec',
        "NPM_CONFIG_REGISTRY in the build spec's env.parameter-store is a PARAMETER_STORE variable ('/build/npm'), " +
          'whose content is only known at deploy time',
      ],
      [
        "a build spec's env.secrets-manager",
        { source: inline({ env: { 'secrets-manager': { PIP_EXTRA_INDEX_URL: 'build:index' } } }) },
        'Source.BuildSpec',
        "PIP_EXTRA_INDEX_URL in the build spec's env.secrets-manager is a SECRETS_MANAGER variable ('build:index')",
      ],
      [
        'a value the shell expands when the build runs',
        { source: inline({ env: { variables: { NPM_CONFIG_REGISTRY: '$REGISTRY' } } }) },
        'Source.BuildSpec',
        "NPM_CONFIG_REGISTRY in the build spec's env.variables '$REGISTRY' has parts only known at deploy or run time",
      ],
      [
        'an action value from a CodePipeline variable',
        { extra: overriding([override('NPM_CONFIG_REGISTRY', '#{Vars.Registry}')]) },
        VARIABLES,
        `NPM_CONFIG_REGISTRY ${ACTION} '#{Vars.Registry}' has parts only known at deploy or run time`,
      ],
      [
        'an action list with a parameter in it, which could add entries',
        {
          extra: overriding({
            'Fn::Join': ['', ['[{"name":"STAGE","value":"', { Ref: 'Vars' }, '"}]']],
          }),
        },
        VARIABLES,
        'the EnvironmentVariables of action Build/Compile of pipeline Pipeline (stack Stack0), which runs this ' +
          'project, has parts whose text is chosen at deploy time (parameter Vars), which could add entries to it',
      ],
      [
        'an action whose ProjectName is only known at deploy time, setting a public registry',
        { extra: overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], { Ref: 'Project' }) },
        VARIABLES,
        `NPM_CONFIG_REGISTRY ${ACTION} '${PUBLIC_NPM}' ${NOT_MATCHING}, if that action runs this project (its ` +
          'ProjectName comes from parameter Project)',
      ],
      [
        'an action whose ProjectName is a CodePipeline variable, setting a public registry',
        { extra: overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], '#{Vars.Project}') },
        VARIABLES,
        "if that action runs this project (its ProjectName '#{Vars.Project}' holds a CodePipeline variable, " +
          'only known when the pipeline runs)',
      ],
      [
        "an action whose ProjectName is a nested stack's output, setting a public registry",
        {
          extra: withResources(
            overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], {
              'Fn::GetAtt': ['Builds', 'Outputs.ProjectName'],
            }),
            { Builds: { Type: 'AWS::CloudFormation::Stack', Properties: { TemplateURL: 'https://x' } } },
          ),
        },
        VARIABLES,
        'if that action runs this project (its ProjectName comes from output ProjectName of nested stack Builds)',
      ],
      [
        "an action whose ProjectName is an SSM parameter's value, setting a public registry",
        {
          extra: withResources(
            overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], { 'Fn::GetAtt': ['Name', 'Value'] }),
            { Name: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'x' } } },
          ),
        },
        VARIABLES,
        'if that action runs this project (its ProjectName comes from Fn::GetAtt Name.Value)',
      ],
      [
        'a pipeline whose stages are only known at deploy time',
        {
          extra: {
            Resources: {
              P: { Type: 'AWS::CodePipeline::Pipeline', Properties: { Stages: { Ref: 'Repo' } } },
            },
          },
        },
        VARIABLES,
        'pipeline P (stack Stack0) has stages only known at deploy time (Ref Repo): its actions may run this project ' +
          'with any variables',
      ],
      [
        'a CodeArtifact domain in an environment-agnostic stack, whose account is not known',
        { account: null },
        VARIABLES,
        `NPM_CONFIG_REGISTRY '${NPM}' is in the CodeArtifact domain corp of account 111122223333, and only domains ` +
          "of the stack's own account are allowed (allowedCodeArtifactDomainOwners is empty), which is not known at " +
          'synth time: give the stack an env, or list the domain owners in allowedCodeArtifactDomainOwners',
      ],
      [
        'NPM_CONFIG_USERCONFIG, an npmrc elsewhere',
        { variables: [...COMPLIANT, { Name: 'NPM_CONFIG_USERCONFIG', Value: './ci/npmrc' }] },
        VARIABLES,
        "NPM_CONFIG_USERCONFIG names a configuration file ('./ci/npmrc'), which can name registries and which the " +
          'rule cannot read',
      ],
      [
        'PIP_CONFIG_FILE',
        { variables: [...COMPLIANT, { Name: 'PIP_CONFIG_FILE', Value: 'pip.conf' }] },
        VARIABLES,
        "PIP_CONFIG_FILE names a configuration file ('pip.conf')",
      ],
      [
        'an entry whose name is only known at deploy time',
        { variables: [...COMPLIANT, { Name: { Ref: 'VarName' }, Value: PUBLIC_NPM }] },
        VARIABLES,
        `${VARIABLES} has entries only known at deploy time (Ref VarName), which may set a registry variable to a ` +
          'value the rule cannot judge',
      ],
      [
        'a list of extra indexes with deploy-time parts, which could add URLs',
        {
          variables: [...COMPLIANT, { Name: 'PIP_EXTRA_INDEX_URL', Value: { 'Fn::Sub': `${PIP} \${Repo}` } }],
        },
        VARIABLES,
        `PIP_EXTRA_INDEX_URL '${PIP} \${Repo}' has parts only known at deploy time`,
      ],
    ])('%s', (_name, testCase, property, reason) => {
      const Subject = judge(testCase);
      expect(Subject).toMatchObject({ status: 'unverifiable', property });
      expect(Subject.reason).toContain(reason);
    });
  });

  describe('compliant', () => {
    it.each<[string, Case]>([
      [
        'the required variables set in the build spec alone',
        {
          variables: [],
          source: inline({ env: { variables: { NPM_CONFIG_REGISTRY: NPM, PIP_INDEX_URL: PIP } } }),
        },
      ],
      [
        'a YAML build spec with allowed values and variables of its own',
        {
          source: yamlSource(
            'version: 0.2',
            'env:',
            '  shell: bash',
            '  variables:',
            `    npm_config_registry: ${NPM}`,
            '    CI: "true"',
            '    PATH_SUFFIX: $HOME/bin',
          ),
        },
      ],
      [
        'a build spec with a reference to a resource in a command, which cannot add variables',
        {
          source: {
            Type: 'NO_SOURCE',
            BuildSpec: {
              'Fn::Join': [
                '',
                [
                  '{"version":"0.2","phases":{"build":{"commands":["aws s3 sync . s3://',
                  { Ref: 'Bucket' },
                  '"]}}}',
                ],
              ],
            },
          },
          extra: { Resources: { Bucket: { Type: 'AWS::S3::Bucket' } } },
        },
      ],
      [
        'a build spec in the source, when the catalogue trusts build spec files',
        { source: { Type: 'CODEPIPELINE' }, params: { trustBuildSpecFiles: true } },
      ],
      [
        'an action that overrides other variables, as CDK Pipelines does',
        {
          extra: overriding([override('_PROJECT_CONFIG_HASH', 'abc'), override('NPM_CONFIG_REGISTRY', NPM)]),
        },
      ],
      [
        'an action that runs another project',
        {
          extra: withResources(overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], { Ref: 'Other' }), {
            Other: { Type: PROJECT },
          }),
        },
      ],
      [
        "an action that names another project by a literal that is not this project's Name",
        {
          project: { Name: 'app-build' },
          extra: overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], 'other-build'),
        },
      ],
      [
        'a pipeline in another stack naming a project of the same name there is not, when this one has no Name',
        { others: [overriding([override('NPM_CONFIG_REGISTRY', PUBLIC_NPM)], 'app-build')] },
      ],
      [
        'allowed values of every registry variable',
        {
          variables: [
            ...COMPLIANT,
            { Name: 'npm_config_@corp:registry', Value: NPM },
            { Name: 'npm_config_replace_registry_host', Value: 'always' },
            { Name: 'PIP_EXTRA_INDEX_URL', Value: `${PIP} ${PIP.replace('main', 'ml')}` },
            { Name: 'PIP_FIND_LINKS', Value: '' },
            { Name: 'PIP_CONFIG_FILE', Value: '/dev/null' },
            { Name: 'pip_extra_index_url', Value: PUBLIC_PYPI }, // not read by pip on Linux: PIP_ is upper case
            { Name: 'NPM_TOKEN', Value: 'x' },
          ],
        },
      ],
      [
        'a CodeArtifact account in allowedCodeArtifactDomainOwners',
        {
          variables: [npm(STRANGER), pip(PIP)],
          params: { allowedCodeArtifactDomainOwners: ['999999999999', ACCOUNT] },
        },
      ],
      [
        'a listed CodeArtifact account in an environment-agnostic stack',
        { account: null, params: { allowedCodeArtifactDomainOwners: [ACCOUNT] } },
      ],
      [
        "a Fn::Sub of the stack's account, known from its environment",
        {
          variables: [
            npm({
              'Fn::Sub': 'https://corp-${AWS::AccountId}.d.codeartifact.eu-west-1.amazonaws.com/npm/main/',
            }),
            pip(PIP),
          ],
        },
      ],
      [
        'an internal registry that is not CodeArtifact (custom pattern)',
        {
          variables: [
            npm('https://artifactory.corp/api/npm/npm/'),
            pip('https://artifactory.corp/api/pypi/pypi/simple'),
          ],
          params: { allowedUrlPattern: '^https://artifactory\\.corp/' },
          account: null,
        },
      ],
    ])('%s', (_name, testCase) => {
      expect(judge(testCase)).toMatchObject({ status: 'compliant' });
    });
  });

  describe('odd shapes of build specs and pipelines do not throw', () => {
    it.each<[string, Case, string]>([
      [
        'a build spec whose env is a list',
        { source: inline({ env: ['NPM_CONFIG_REGISTRY=x'] }) },
        'compliant',
      ],
      [
        'a build spec whose env.variables is a list',
        { source: inline({ env: { variables: ['NPM_CONFIG_REGISTRY=x'] } }) },
        'unverifiable',
      ],
      ['a build spec that is a YAML list', { source: yamlSource('- a', '- b') }, 'unverifiable'],
      ['a Source that is a parameter', { source: { Ref: 'Repo' } }, 'unverifiable'],
      [
        'variables that are not text',
        {
          source: inline({
            env: { variables: { NPM_CONFIG_REGISTRY: null, PIP_INDEX_URL: { a: 1 }, N: 1 } },
          }),
        },
        'non-compliant',
      ],
      [
        'a pipeline without stages',
        { extra: { Resources: { P: { Type: 'AWS::CodePipeline::Pipeline' } } } },
        'compliant',
      ],
      [
        'a pipeline whose stages are a parameter',
        {
          extra: {
            Resources: {
              P: { Type: 'AWS::CodePipeline::Pipeline', Properties: { Stages: { Ref: 'Repo' } } },
            },
          },
        },
        'unverifiable',
      ],
      [
        'an action list that is not JSON',
        { extra: overriding('NPM_CONFIG_REGISTRY=https://registry.npmjs.org/') },
        'unverifiable',
      ],
      ['an action list that is an object', { extra: overriding('{"name":"x"}') }, 'unverifiable'],
      [
        'junk entries in an action list',
        { extra: overriding([1, null, { value: 'x' }, { name: 5, value: PUBLIC_NPM }]) },
        'unverifiable',
      ],
    ])('%s', (_name, testCase, status) => {
      expect(judge(testCase).status).toBe(status);
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
    Object.values(evaluateIn(template, params, '111111111111')).map((e) => e.status);
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

  it('replaces only a required variable that is not allowed, in place, and authenticates only for it', () => {
    const own = 'https://corp-111111111111.d.codeartifact.eu-west-1.amazonaws.com/pypi/other/simple/';
    let project!: codebuild.Project;
    const { template } = synthWithAspects(
      (stack) => {
        project = new codebuild.Project(stack, 'Build', {
          buildSpec,
          environmentVariables: {
            NPM_CONFIG_REGISTRY: { value: 'https://registry.npmjs.org/' },
            CI: { value: 'true' },
            PIP_INDEX_URL: { value: own },
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
      plaintext('PIP_INDEX_URL', own),
    ]);
    expect(JSON.parse(buildSpecOf(Build)).phases.install.commands).toEqual([TOKEN, NPM_TOKEN]);
    expect((remediationRecords(project)[0] as { changes: string[] }).changes[0]).toBe(
      `set Environment.EnvironmentVariables NPM_CONFIG_REGISTRY to ${NPM_URL}`,
    );
  });

  it("replaces a CodeArtifact URL in a stranger's domain (the stack's account is 111111111111)", () => {
    const stranger = 'https://corp-222222222222.d.codeartifact.eu-west-1.amazonaws.com/pypi/other/simple/';
    const { template } = synthWithAspects(
      (stack) => {
        new codebuild.Project(stack, 'Build', {
          buildSpec,
          environmentVariables: {
            NPM_CONFIG_REGISTRY: { value: NPM_URL },
            PIP_INDEX_URL: { value: stranger },
          },
        });
      },
      new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
    );
    const { Build } = resources(template);
    expect(statuses(template)).toEqual(['compliant']);
    expect(variablesOf(Build)).toEqual([
      plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
      plaintext('PIP_INDEX_URL', PIP_URL),
    ]);
    expect(JSON.parse(buildSpecOf(Build)).phases.install.commands).toEqual([TOKEN, PIP_TOKEN]);
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
    const params = { allowedCodeArtifactDomainOwners: ['333333333333', '111111111111'] };
    const { template } = synthWithAspects(
      (stack) => {
        new codebuild.Project(stack, 'Build', { buildSpec });
      },
      new CodeBuildInternalRegistry({
        catalogue: singleRuleCatalogue(rule, params),
        registries: { NPM_CONFIG_REGISTRY: other, PIP_INDEX_URL: PIP_URL },
        codeArtifact: { domain: 'ignored', repository: 'ignored' },
      }),
    );
    expect(statuses(template, params)).toEqual(['compliant']);
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
        "the URL configured for NPM_CONFIG_REGISTRY 'https://registry.npmjs.org/' does not match the internal " +
          `registry pattern ${DEFAULT_PATTERN}: configure one the control allows`,
      );
    });

    it("when the configured CodeArtifact domain is a stranger's", () => {
      expectNotApplied(
        defaultProject,
        () =>
          new CodeBuildInternalRegistry({ codeArtifact: { ...CODE_ARTIFACT, domainOwner: '999999999999' } }),
        "the URL configured for NPM_CONFIG_REGISTRY 'https://corp-999999999999.d.codeartifact.eu-west-1." +
          "amazonaws.com/npm/main/' is in the CodeArtifact domain corp of account 999999999999, not of the stack's " +
          "account 111111111111 (allowedCodeArtifactDomainOwners is empty: only the stack's own account): " +
          'configure one the control allows',
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

  describe('registry variables beyond the required ones, and the inline build spec', () => {
    const PUBLIC_NPM = 'https://registry.npmjs.org/';
    const PUBLIC_PYPI = 'https://pypi.org/simple/';
    const specOf = (project: CfnResourceJson) => JSON.parse(buildSpecOf(project));

    it('removes other spellings and extra indexes that are not allowed, keeping allowed ones', () => {
      let project!: codebuild.Project;
      const build = (stack: Stack) => {
        project = new codebuild.Project(stack, 'Build', {
          buildSpec,
          environmentVariables: {
            NPM_CONFIG_REGISTRY: { value: NPM_URL },
            npm_config_registry: { value: PUBLIC_NPM },
            PIP_INDEX_URL: { value: PIP_URL },
            PIP_EXTRA_INDEX_URL: { value: PUBLIC_PYPI },
            'NPM_CONFIG_@corp:registry': { value: NPM_URL },
          },
        });
      };
      const untouched = synthWithAspects(build).template;
      const { template } = synthWithAspects(
        build,
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      );
      expect(statuses(untouched)).toEqual(['non-compliant']);
      expect(statuses(template)).toEqual(['compliant']);
      const { Build } = resources(template);
      expect(variablesOf(Build)).toEqual([
        plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
        plaintext('PIP_INDEX_URL', PIP_URL),
        plaintext('NPM_CONFIG_@corp:registry', NPM_URL),
      ]);
      // Nothing was pointed at CodeArtifact, so no token step and no permissions.
      expect(buildSpecOf(Build)).toBe(buildSpecOf(resources(untouched).Build));
      expect(remediationRecords(project)).toEqual([
        {
          findingId: FINDING,
          changes: [
            `removed Environment.EnvironmentVariables npm_config_registry ('${PUBLIC_NPM}'), which is not allowed`,
            `removed Environment.EnvironmentVariables PIP_EXTRA_INDEX_URL ('${PUBLIC_PYPI}'), which is not allowed`,
          ],
        },
      ]);
    });

    const withSpecVariables = (stack: Stack) =>
      new codebuild.Project(stack, 'Build', {
        buildSpec: codebuild.BuildSpec.fromObject({
          version: '0.2',
          env: {
            variables: { NPM_CONFIG_REGISTRY: PUBLIC_NPM, CI: 'true', PIP_EXTRA_INDEX_URL: PUBLIC_PYPI },
          },
          phases: { build: { commands: ['npm ci'] } },
        }),
        environmentVariables: {
          NPM_CONFIG_REGISTRY: { value: NPM_URL },
          PIP_INDEX_URL: { value: PIP_URL },
        },
      });

    it("fixes the build spec's env.variables in place, keeping the user's other variables", () => {
      let project!: codebuild.Project;
      const { template } = synthWithAspects(
        (stack) => {
          project = withSpecVariables(stack);
        },
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      );
      const { Build } = resources(template);
      expect(statuses(template)).toEqual(['compliant']);
      expect(specOf(Build)).toEqual({
        version: '0.2',
        env: { variables: { NPM_CONFIG_REGISTRY: NPM_URL, CI: 'true' } },
        phases: { install: { commands: [TOKEN, NPM_TOKEN] }, build: { commands: ['npm ci'] } },
      });
      expect(variablesOf(Build)).toEqual([
        plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
        plaintext('PIP_INDEX_URL', PIP_URL),
      ]);
      expect((remediationRecords(project)[0] as { changes: string[] }).changes.slice(0, 3)).toEqual([
        `set NPM_CONFIG_REGISTRY in env.variables of Source.BuildSpec to ${NPM_URL}`,
        `removed PIP_EXTRA_INDEX_URL ('${PUBLIC_PYPI}') from env.variables of Source.BuildSpec, which is not allowed`,
        'added the CodeArtifact token step at the start of the install phase of Source.BuildSpec',
      ]);
    });

    it('changes nothing more when applied twice (two instances)', () => {
      const aspect = () => new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT });
      const once = synthWithAspects(withSpecVariables, aspect()).template;
      expect(synthWithAspects(withSpecVariables, aspect(), aspect()).template).toEqual(once);
    });

    it('sets only the required variables that neither the project nor its build spec sets', () => {
      const { template } = synthWithAspects(
        (stack) =>
          new codebuild.Project(stack, 'Build', {
            buildSpec: codebuild.BuildSpec.fromObject({
              version: '0.2',
              env: { variables: { NPM_CONFIG_REGISTRY: NPM_URL } },
            }),
          }),
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      );
      const { Build } = resources(template);
      expect(statuses(template)).toEqual(['compliant']);
      expect(variablesOf(Build)).toEqual([plaintext('PIP_INDEX_URL', PIP_URL)]);
      expect(specOf(Build).env).toEqual({ variables: { NPM_CONFIG_REGISTRY: NPM_URL } });
      expect(specOf(Build).phases.install.commands).toEqual([TOKEN, PIP_TOKEN]);
    });
  });

  describe('a CDK Pipelines CodeBuildStep whose partialBuildSpec overrides buildEnvironment', () => {
    const buildPipeline = (stack: Stack) => {
      const repository = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      new pipelines.CodePipeline(stack, 'Pipeline', {
        synth: new pipelines.CodeBuildStep('Synth', {
          input: pipelines.CodePipelineSource.codeCommit(repository, 'main'),
          commands: ['npm ci', 'npx cdk synth'],
          buildEnvironment: {
            environmentVariables: {
              NPM_CONFIG_REGISTRY: { value: NPM_URL },
              PIP_INDEX_URL: { value: PIP_URL },
            },
          },
          partialBuildSpec: codebuild.BuildSpec.fromObject({
            env: { variables: { NPM_CONFIG_REGISTRY: 'https://registry.npmjs.org/' } },
          }),
        }),
      });
    };
    const synthProject = (template: CfnTemplate) =>
      logicalIdOf(template, 'PipelineBuildSynthCdkBuildProject');

    it('fails the synth project on the build spec value, though its environment complies', () => {
      const { template } = synthWithAspects(buildPipeline);
      const project = resources(template).PipelineBuildSynthCdkBuildProject;
      expect(variablesOf(project)).toEqual([
        plaintext('NPM_CONFIG_REGISTRY', NPM_URL),
        plaintext('PIP_INDEX_URL', PIP_URL),
      ]);
      expect(evaluateIn(template, {}, '111111111111')[synthProject(template)]).toMatchObject({
        status: 'non-compliant',
        property: 'Source.BuildSpec',
        reason:
          "NPM_CONFIG_REGISTRY in the build spec's env.variables 'https://registry.npmjs.org/' does not match the " +
          `internal registry pattern ${DEFAULT_PATTERN}`,
      });
    });

    it('is fixed in the build spec, where the value wins', () => {
      const { template } = synthWithAspects(
        buildPipeline,
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      );
      const project = resources(template).PipelineBuildSynthCdkBuildProject;
      expect(evaluateIn(template, {}, '111111111111')[synthProject(template)].status).toBe('compliant');
      const spec = JSON.parse(buildSpecOf(project));
      expect(spec.env).toEqual({ variables: { NPM_CONFIG_REGISTRY: NPM_URL } });
      expect(spec.phases.install.commands).toEqual([TOKEN, NPM_TOKEN]);
    });
  });

  describe('a codepipeline_actions.CodeBuildAction whose environmentVariables override a compliant project', () => {
    let project!: codebuild.PipelineProject;
    const buildPipeline = (stack: Stack) => {
      project = new codebuild.PipelineProject(stack, 'Build', {
        buildSpec,
        environmentVariables: { NPM_CONFIG_REGISTRY: { value: NPM_URL }, PIP_INDEX_URL: { value: PIP_URL } },
      });
      const source = new codepipeline.Artifact();
      const repository = new codecommit.Repository(stack, 'Repo', { repositoryName: 'app' });
      new codepipeline.Pipeline(stack, 'Pipeline', {
        stages: [
          {
            stageName: 'Source',
            actions: [
              new actions.CodeCommitSourceAction({ actionName: 'Checkout', repository, output: source }),
            ],
          },
          {
            stageName: 'Build',
            actions: [
              new actions.CodeBuildAction({
                actionName: 'Compile',
                project,
                input: source,
                environmentVariables: {
                  NPM_CONFIG_REGISTRY: { value: 'https://registry.npmjs.org/' },
                  STAGE: { value: stack.stackName },
                },
              }),
            ],
          },
        ],
      });
    };

    it('fails the project on the action override', () => {
      const { template } = synthWithAspects(buildPipeline);
      const pipeline = logicalIdOf(template, 'Pipeline');
      expect(evaluateIn(template, {}, '111111111111')[logicalIdOf(template, 'Build')]).toMatchObject({
        status: 'non-compliant',
        property: VARIABLES,
        reason:
          `NPM_CONFIG_REGISTRY in the EnvironmentVariables of action Build/Compile of pipeline ${pipeline} ` +
          `(stack Stack0) 'https://registry.npmjs.org/' does not match the internal registry pattern ${DEFAULT_PATTERN}`,
      });
    });

    it('is not fixed in the project, whose variables the action overrides: the record says where to fix it', () => {
      const untouched = synthWithAspects(buildPipeline).template;
      const { template } = synthWithAspects(
        buildPipeline,
        new CodeBuildInternalRegistry({ codeArtifact: CODE_ARTIFACT }),
      );
      expect(template).toEqual(untouched);
      expect(remediationRecords(project)).toEqual([
        {
          findingId: FINDING,
          notApplied:
            `no variable in ${VARIABLES} or in the inline build spec has a value the fix can change: values read ` +
            'from Parameter Store or Secrets Manager or known only at deploy time are kept, and a CodePipeline ' +
            "action's EnvironmentVariables or a build spec file must be fixed where they are",
        },
      ]);
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
      const evaluations = evaluateIn(template, {}, '111111111111');
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
