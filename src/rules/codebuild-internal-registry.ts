import type { aws_codebuild as codebuild, IResolvable } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { isPlainObject, prop } from '../engine/intrinsics';
import {
  InlineBuildSpec,
  readInlineBuildSpec,
  withInstallCommands,
  writeInlineBuildSpec,
} from '../remediations/build-spec';
import {
  CODEARTIFACT_FORMATS,
  endpointUrl,
  EndpointVariable,
  parseEndpointUrl,
  readStatements,
  tokenStep,
} from '../remediations/codeartifact';
import { changed, notApplied, RemediationContext, RemediationResult } from '../remediations/context';
import { grantInOwnPolicy, roleInStack, StackRole } from '../remediations/roles';
import {
  buildEnvironment,
  BuildVariable,
  documentValue,
  projectText,
  VariableOrigin,
  VariableValue,
} from './build-environment';
import { compliant, defineRule, nonCompliant, unverifiable, Verdict } from './rule';
import { compilePattern, Pattern } from './pattern';
import { allOf, knownAtDeployTime } from './values';

interface Params {
  readonly requiredVariables: readonly string[];
  readonly allowedUrlPattern: string;
  readonly allowedCodeArtifactDomainOwners: readonly string[];
  readonly trustBuildSpecFiles: boolean;
}

const VARIABLES = 'Environment.EnvironmentVariables';
const CODEARTIFACT_ENDPOINT =
  '^https://[a-z0-9-]+-[0-9]{12}\\.d\\.codeartifact\\.[a-z0-9-]+\\.amazonaws\\.com/';

/**
 * What a variable's value must be: `url` one URL the control allows, `urls` a list of them separated
 * by whitespace, `config-file` a configuration file (which can name registries and cannot be read:
 * only `/dev/null` passes), `replace-registry-host` npm's choice of which lockfile hosts to swap for
 * the registry (only `npmjs`, its default, and `always` keep npm on the registry).
 */
type Values = 'url' | 'urls' | 'config-file' | 'replace-registry-host';

/**
 * Every setting through which npm and pip take packages from somewhere, as each tool reads it from an
 * environment variable. npm reads `npm_config_<key>` in any case, `_` standing for `-` except a
 * leading one (`NPM_CONFIG_@Corp:Registry` is the registry of scope @corp); pnpm reads the same
 * variables. pip reads `PIP_` in upper case followed by an option name in any case, `_` standing for
 * `-` (`PIP_extra_index_url`). A custom required variable (GOPROXY) is a `url`, spelt exactly.
 */
const REGISTRY_SETTINGS: ReadonlyArray<{
  readonly manager: 'npm' | 'pip';
  readonly key: RegExp;
  readonly values: Values;
}> = [
  { manager: 'npm', key: /^registry$/, values: 'url' },
  { manager: 'npm', key: /:registry$/, values: 'url' },
  { manager: 'npm', key: /^(userconfig|globalconfig)$/, values: 'config-file' },
  { manager: 'npm', key: /^replace-registry-host$/, values: 'replace-registry-host' },
  { manager: 'pip', key: /^index-url$/, values: 'url' },
  { manager: 'pip', key: /^(extra-index-url|find-links)$/, values: 'urls' },
  { manager: 'pip', key: /^config-file$/, values: 'config-file' },
];

const KEEPS_NPM_ON_THE_REGISTRY = ['npmjs', 'registry.npmjs.org', 'always'];
const NO_CONFIG_FILE = '/dev/null';

interface RegistrySetting {
  /** One id per setting, however a variable spells it: `npm registry`, `pip index-url`, `GOPROXY`. */
  readonly id: string;
  readonly values: Values;
}

/** How the variables of one project are read: which setting a name sets, and which settings are required. */
interface RegistryScheme {
  settingOf(name: string): RegistrySetting | undefined;
  readonly required: ReadonlyArray<{ readonly name: string; readonly id: string }>;
}

function registryScheme(requiredVariables: readonly string[], windows: boolean): RegistryScheme {
  // Windows reads environment variable names in any case.
  const spelt = (name: string) => (windows ? name.toUpperCase() : name);
  const custom = new Set(requiredVariables.map(spelt));
  const settingOf = (name: string): RegistrySetting | undefined => {
    const read = toolSetting(spelt(name));
    const listed = read && REGISTRY_SETTINGS.find((s) => s.manager === read.manager && s.key.test(read.key));
    if (read && listed) return { id: `${read.manager} ${read.key}`, values: listed.values };
    return custom.has(spelt(name)) ? { id: spelt(name), values: 'url' } : undefined;
  };
  const required = requiredVariables.map((name) => ({ name, id: settingOf(name)?.id ?? name }));
  return { settingOf, required };
}

/** The setting npm or pip reads from a variable, as the tool normalises its name. */
function toolSetting(name: string): { manager: 'npm' | 'pip'; key: string } | undefined {
  const npm = /^npm_config_(.*)$/is.exec(name);
  if (npm) {
    const key = npm[1];
    return { manager: 'npm', key: key.startsWith('//') ? key : key.replace(/(?!^)_/g, '-').toLowerCase() };
  }
  if (name.startsWith('PIP_')) {
    const key = name.slice('PIP_'.length).toLowerCase().replace(/_/g, '-');
    return { manager: 'pip', key: key.startsWith('--') ? key.slice(2) : key };
  }
  return undefined;
}

/** What a URL must be: matched by the pattern and, for CodeArtifact, in a domain of an allowed account. */
interface UrlPolicy {
  readonly pattern: Pattern;
  /** The accounts whose CodeArtifact domains are allowed; empty: only the stack's own account. */
  readonly owners: readonly string[];
  /** The stack's account, when known at synth time. */
  readonly account: string | undefined;
}

/**
 * CodeBuild points npm and pip at the internal repository through environment variables. Every
 * value any of the places that set variables for the project's builds gives a variable npm or pip
 * reads a package source from must be allowed: the project's environment, its inline build spec,
 * and the CodePipeline actions that run it.
 */
export default defineRule<Params>({
  meta: {
    id: 'codebuild-internal-registry',
    fix: {
      manually:
        "point every registry variable of the build at the internal repository (buildEnvironment environmentVariables, the build spec's env and pipeline action overrides)",
      aspect: 'CodeBuildInternalRegistry',
      settings: ['registries', 'codeArtifact'],
    },
    description: 'CodeBuild installs packages only from the internal repository',
    resourceTypes: ['AWS::CodeBuild::Project'],
    compliantWhen:
      'every value given to a registry variable by any of (1) Environment.EnvironmentVariables, (2) the inline ' +
      'build spec in Source.BuildSpec (JSON or YAML, merge keys read): env.variables, env.parameter-store, ' +
      'env.secrets-manager and the env of each build of its batch section, (3) the EnvironmentVariables (a JSON ' +
      'list) of every CodePipeline action in the templates whose ProjectName is this project (a Ref to it, an ' +
      'import of it, its literal Name), whether its pipeline deploys or not, each Fn::If branch considered, is ' +
      'allowed; and every requiredVariable is set in (1) or (2). Registry variables: npm registry, ' +
      '@scope:registry, userconfig, globalconfig and replace-registry-host (npm_config_<key> in any case, _ for ' +
      '-), pip index-url, extra-index-url and find-links (PIP_ in upper case, then any case) and PIP_CONFIG_FILE, ' +
      'and the requiredVariables (on Windows, names in any case). Allowed: a URL that matches allowedUrlPattern ' +
      'and whose host, when it is a CodeArtifact domain (<domain>-<12-digit owner>.d.codeartifact.<region>...), ' +
      "has its owner in allowedCodeArtifactDomainOwners or, when that list is empty, is the stack's own account " +
      '(unverifiable when the stack is environment-agnostic); for extra-index-url and find-links, each URL of the ' +
      'whitespace-separated list; for a configuration file, only /dev/null (any other is unverifiable); for ' +
      'replace-registry-host, npmjs, registry.npmjs.org or always. Unverifiable: PARAMETER_STORE and ' +
      'SECRETS_MANAGER values; a value with deploy-time parts (in a build spec or an action also $ and #{ ' +
      'expansions and {{resolve:}} references) unless the text before the first one already matches a pattern ' +
      'that cannot look past its match (no $, \\b or lookahead) and holds the whole host; an action whose ' +
      'ProjectName is only known at deploy time, when its values would fail; an entry whose name is only known ' +
      'at deploy time; a build spec or action list with parts whose text is chosen at deploy time (a parameter, ' +
      'an import, a custom resource, a dynamic reference), which could add entries; a build spec in a file (the ' +
      'buildspec.yml of the source, an S3 object, one a batch build names), which can set any variable, unless ' +
      'trustBuildSpecFiles is true. Not judged: the commands of the build spec (npm config set, --registry, ' +
      '--index-url) and builds started outside CodePipeline (StartBuild overrides from EventBridge, Step ' +
      'Functions or the CLI)',
    remediation:
      'replaces the value of each required variable that is not allowed, in Environment.EnvironmentVariables and ' +
      'in env.variables of the inline build spec, with its URL from the registries setting (context ' +
      'cdk-catalogue:registries) or, for NPM_CONFIG_REGISTRY and PIP_INDEX_URL, the endpoint of the codeArtifact ' +
      'repository (context cdk-catalogue:code-artifact); removes there every other registry variable whose value ' +
      'is not allowed (another spelling of a required variable, a scope registry, PIP_EXTRA_INDEX_URL, ' +
      'PIP_FIND_LINKS, replace-registry-host); adds to Environment.EnvironmentVariables each required variable ' +
      'that neither sets; keeps ' +
      'allowed values and values only known at deploy time (tokens, Parameter Store, Secrets Manager). For ' +
      'CodeArtifact URLs it also adds the token step (aws codeartifact get-authorization-token, npm config for ' +
      'the token, PIP_INDEX_URL with the token) at the start of the install phase of the inline build spec, and ' +
      'grants the project role codeartifact:GetAuthorizationToken on the domain, ' +
      'codeartifact:GetRepositoryEndpoint and codeartifact:ReadFromRepository on the repository and ' +
      'sts:GetServiceBearerToken for CodeArtifact, in a policy the project depends on. A CodePipeline action ' +
      'that overrides a variable and a build spec in a file are not changed: the fix is recorded as not applied ' +
      'and the finding says what to fix',
    paramsSchema: {
      type: 'object',
      additionalProperties: false,
      properties: {
        requiredVariables: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          minItems: 1,
          description: 'Environment variables that must point at the internal repository',
          default: ['NPM_CONFIG_REGISTRY', 'PIP_INDEX_URL'],
        },
        allowedUrlPattern: {
          type: 'string',
          format: 'regex',
          description:
            'A regular expression (RE2 syntax: no lookaround or backreferences) every registry variable must match (default: a CodeArtifact endpoint)',
          default: CODEARTIFACT_ENDPOINT,
        },
        allowedCodeArtifactDomainOwners: {
          type: 'array',
          items: { type: 'string', pattern: '^[0-9]{12}$' },
          uniqueItems: true,
          description:
            "The accounts (12-digit ids) whose CodeArtifact domains registry URLs may point at; empty (the default): only the account of the project's stack, and unverifiable when the stack is environment-agnostic",
          default: [],
        },
        trustBuildSpecFiles: {
          type: 'boolean',
          description:
            'Whether a build spec the rule cannot read (the buildspec.yml file in the source, an S3 object) is trusted to set no registry variables; false (the default): such a project is unverifiable',
          default: false,
        },
      },
    },
  },
  check(resource, params, resolver) {
    const environment = resource.properties.Environment;
    for (const value of [environment, prop(environment, 'EnvironmentVariables')]) {
      const resolved = resolver.resolve(value, resource.stack);
      if (resolved.kind === 'unknown') {
        return knownAtDeployTime(VARIABLES, resolved.description);
      }
    }
    const scheme = registryScheme(params.requiredVariables, isWindows(prop(environment, 'Type')));
    const policy: UrlPolicy = {
      pattern: compilePattern(params.allowedUrlPattern),
      owners: params.allowedCodeArtifactDomainOwners,
      account: resource.stack.account,
    };
    const { variables, unreadable } = buildEnvironment(resource, resolver);
    const judged = variables.flatMap((variable) => {
      const setting = variable.name === undefined ? undefined : scheme.settingOf(variable.name);
      return setting ? [judgeVariable(variable, setting, policy)] : [];
    });
    return allOf(VARIABLES, [
      ...judgeMissingAndUnnamed(variables, missingSettings(variables, scheme), policy),
      ...judged,
      ...unreadable
        .filter((source) => !(source.buildSpecFile && params.trustBuildSpecFiles))
        .map((source) =>
          unverifiable(
            source.property,
            source.buildSpecFile
              ? `${source.description}, which can set any variable and which the rule cannot read: write the ` +
                  'build spec inline (codebuild.BuildSpec.fromObject), or have the catalogue set trustBuildSpecFiles'
              : source.description,
          ),
        ),
    ]);
  },
  remediate(resource, params, context) {
    if (!(resource instanceof cdk.aws_codebuild.CfnProject)) {
      return notApplied(
        'the project is not a codebuild.CfnProject, so its environment variables cannot be set',
      );
    }
    return pointAtInternalRegistry(resource, params, context);
  },
});

function isWindows(type: unknown): boolean {
  return typeof type === 'string' && type.startsWith('WINDOWS');
}

/** The required variables that neither the project nor its build spec sets (under any spelling). */
function missingSettings(variables: readonly BuildVariable[], scheme: RegistryScheme): string[] {
  const set = new Set(
    variables
      .filter((v) => v.origin.everyBuild && v.name !== undefined)
      .map((v) => scheme.settingOf(v.name as string)?.id),
  );
  return scheme.required.filter(({ id }) => !set.has(id)).map(({ name }) => name);
}

/**
 * Required variables that are missing, and entries whose name is only known at deploy time (which
 * may be a registry variable): one verdict per place that sets variables.
 */
function judgeMissingAndUnnamed(
  variables: readonly BuildVariable[],
  missing: readonly string[],
  policy: UrlPolicy,
): Verdict[] {
  const unnamed = variables.filter((v) => v.name === undefined);
  const places = [...new Set(unnamed.map((v) => v.origin.where))];
  const mayBeMissing = missing.length > 0 && unnamed.some((v) => v.origin.everyBuild);
  const verdicts = places.flatMap((where): Verdict[] => {
    const entries = unnamed.filter((v) => v.origin.where === where);
    const place = where === '' ? VARIABLES : where.replace(/^ in /, '');
    const which = (list: readonly BuildVariable[]) => list.map((v) => v.unknownName).join(', ');
    if (mayBeMissing && entries[0].origin.everyBuild) {
      return [
        unverifiable(
          entries[0].origin.property,
          `${place} has entries only known at deploy time (${which(entries)}), which may set ${missing.join(' or ')}`,
        ),
      ];
    }
    const unproven = entries.filter(
      (v) => judgeVariable(v, { id: '', values: 'url' }, policy).status !== 'compliant',
    );
    return unproven.length === 0
      ? []
      : [
          unverifiable(
            entries[0].origin.property,
            `${place} has entries only known at deploy time (${which(unproven)}), which may set a registry variable to a value the rule cannot judge`,
          ),
        ];
  });
  if (missing.length > 0 && !mayBeMissing) {
    verdicts.unshift(nonCompliant(VARIABLES, `${VARIABLES} has no ${missing.join(' or ')}`));
  }
  return verdicts;
}

function judgeVariable(variable: BuildVariable, setting: RegistrySetting, policy: UrlPolicy): Verdict {
  const verdict = judgeValue(
    `${variable.name}${variable.origin.where}`,
    variable.value,
    variable.origin,
    setting,
    policy,
  );
  const { uncertainProject } = variable.origin;
  if (!uncertainProject || verdict.status !== 'non-compliant') return verdict;
  return unverifiable(
    verdict.property,
    `${verdict.reason}, if that action runs this project (${uncertainProject})`,
  );
}

function judgeValue(
  subject: string,
  value: VariableValue,
  origin: VariableOrigin,
  setting: RegistrySetting,
  policy: UrlPolicy,
): Verdict {
  const { property } = origin;
  switch (value.kind) {
    case 'absent':
      return nonCompliant(property, `${subject} has no Value`);
    case 'not-text':
      return nonCompliant(property, `${subject} is ${value.shown}, not a URL`);
    case 'stored':
      // PARAMETER_STORE and SECRETS_MANAGER values name where the URL is stored, not the URL.
      return unverifiable(
        property,
        `${subject} is a ${value.store} variable (${value.reference}), whose content is only known at deploy time`,
      );
    case 'deploy-time-type':
      return knownAtDeployTime(property, value.source, `the Type of ${subject}`);
  }
  const later = () =>
    value.reference !== undefined
      ? knownAtDeployTime(property, value.reference, subject)
      : unverifiable(
          property,
          `${subject} '${value.shown}' has parts only known at ${origin.where === '' ? 'deploy time' : 'deploy or run time'}`,
        );
  switch (setting.values) {
    case 'url':
      return value.complete
        ? judgeUrl(subject, value.known, policy, property)
        : (judgePrefix(value.known, policy, property, subject) ?? later());
    case 'urls':
      // Deploy-time parts could add URLs to the list.
      if (!value.complete) return later();
      return allOf(
        property,
        value.known
          .split(/\s+/)
          .filter((url) => url !== '')
          .map((url) => judgeUrl(subject, url, policy, property)),
      );
    case 'config-file':
      return value.complete && value.known === NO_CONFIG_FILE
        ? compliant
        : unverifiable(
            property,
            `${subject} names a configuration file ('${value.shown}'), which can name registries and which the rule cannot read`,
          );
    case 'replace-registry-host':
      if (!value.complete) return later();
      return KEEPS_NPM_ON_THE_REGISTRY.includes(value.known.trim().toLowerCase())
        ? compliant
        : nonCompliant(
            property,
            `${subject} '${value.known}' makes npm download the packages of a lockfile from the hosts it names ` +
              `instead of the registry (allowed: ${KEEPS_NPM_ON_THE_REGISTRY.join(', ')})`,
          );
  }
}

function judgeUrl(subject: string, url: string, policy: UrlPolicy, property: string): Verdict {
  if (!policy.pattern.test(url)) {
    return nonCompliant(
      property,
      `${subject} '${url}' does not match the internal registry pattern ${policy.pattern.source}`,
    );
  }
  return judgeOwners(subject, url, hostsOf(url, true) ?? [], policy, property);
}

/**
 * A value known only up to `prefix` (the text before its first deploy-time part) complies when the
 * prefix alone already matches a pattern that cannot look past its match, and holds the whole host:
 * whatever the deploy-time part becomes, the match and the host stay. Undefined when that is not so.
 */
function judgePrefix(
  prefix: string,
  policy: UrlPolicy,
  property: string,
  subject: string,
): Verdict | undefined {
  if (!policy.pattern.keepsMatchWhenExtended || !policy.pattern.test(prefix)) return undefined;
  const hosts = hostsOf(prefix, false);
  return hosts === undefined ? undefined : judgeOwners(subject, `${prefix}...`, hosts, policy, property);
}

/** `scheme://authority` followed by the end of the authority. */
const AUTHORITY = /^[a-z][a-z0-9+.-]*:[/\\]{2}([^/?#\\]*)([/?#\\])?/i;

/**
 * The hosts a URL may reach, lower case: as a URL parser reads it (percent escapes decoded) and as
 * written between `//` and the first `/` (without user and port), lest two parsers disagree. Empty
 * when the text is not a URL; undefined when text only known later may still follow the host.
 */
function hostsOf(text: string, complete: boolean): string[] | undefined {
  const authority = AUTHORITY.exec(text);
  if (!complete && authority?.[2] === undefined) return undefined;
  const written = authority?.[1].replace(/^.*@/, '').replace(/:[0-9]*$/, '');
  let parsed: string | undefined;
  try {
    parsed = new URL(text).hostname;
  } catch {
    parsed = undefined;
  }
  return [
    ...new Set([written, parsed].flatMap((host) => (host ? [host.toLowerCase().replace(/\.$/, '')] : []))),
  ];
}

const CODEARTIFACT_HOST = /^(.+)-([0-9]{12})\.d\.codeartifact\./;

/** A CodeArtifact domain must belong to an allowed account: by default the stack's own. */
function judgeOwners(
  subject: string,
  shown: string,
  hosts: readonly string[],
  policy: UrlPolicy,
  property: string,
): Verdict {
  return allOf(
    property,
    hosts.map((host) => judgeOwner(subject, shown, host, policy, property)),
  );
}

function judgeOwner(
  subject: string,
  shown: string,
  host: string,
  policy: UrlPolicy,
  property: string,
): Verdict {
  const domain = CODEARTIFACT_HOST.exec(host);
  if (!domain) return compliant;
  const [, name, owner] = domain;
  const where = `${subject} '${shown}' is in the CodeArtifact domain ${name} of account ${owner}`;
  if (policy.owners.length > 0) {
    return policy.owners.includes(owner)
      ? compliant
      : nonCompliant(
          property,
          `${where}, which is not in allowedCodeArtifactDomainOwners (${policy.owners.join(', ')})`,
        );
  }
  if (policy.account === undefined) {
    return unverifiable(
      property,
      `${where}, and only domains of the stack's own account are allowed (allowedCodeArtifactDomainOwners is ` +
        'empty), which is not known at synth time: give the stack an env, or list the domain owners in ' +
        'allowedCodeArtifactDomainOwners',
    );
  }
  return owner === policy.account
    ? compliant
    : nonCompliant(
        property,
        `${where}, not of the stack's account ${policy.account} (allowedCodeArtifactDomainOwners is empty: only the stack's own account)`,
      );
}

// ---------------------------------------------------------------------------------------------
// The fix

type Variable = codebuild.CfnProject.EnvironmentVariableProperty;

/** What the fix does to one variable: keep it, give it the URL of a required variable, or remove it. */
type Edit =
  | { readonly action: 'keep' }
  | { readonly action: 'set'; readonly required: string }
  | { readonly action: 'remove' };

/** Decides the fix's edits with the check's own judgement of each literal value. */
interface FixPlanner {
  edit(name: string, value: VariableValue): Edit;
  /** The required variables none of `names` sets. */
  missing(names: readonly string[]): string[];
  readonly policy: UrlPolicy;
}

function fixPlanner(params: Params, windows: boolean, account: string | undefined): FixPlanner {
  const scheme = registryScheme(params.requiredVariables, windows);
  const policy: UrlPolicy = {
    pattern: compilePattern(params.allowedUrlPattern),
    owners: params.allowedCodeArtifactDomainOwners,
    account,
  };
  const origin: VariableOrigin = { property: VARIABLES, where: '', everyBuild: true };
  return {
    policy,
    edit(name, value) {
      const setting = scheme.settingOf(name);
      if (!setting || judgeValue(name, value, origin, setting, policy).status !== 'non-compliant') {
        return { action: 'keep' };
      }
      // Another spelling of a required variable is removed: pip and npm would read both.
      const required = scheme.required.find((r) => r.id === setting.id && r.name === name);
      return required ? { action: 'set', required: required.name } : { action: 'remove' };
    },
    missing(names) {
      const set = new Set(names.map((name) => scheme.settingOf(name)?.id));
      return scheme.required.filter(({ id }) => !set.has(id)).map(({ name }) => name);
    },
  };
}

/** A project variable as the check would read it, or undefined when it is a token the fix keeps. */
function projectVariableValue(variable: Variable): VariableValue | undefined {
  const { type, value } = variable;
  if (cdk.Token.isUnresolved(type) || (type ?? 'PLAINTEXT') !== 'PLAINTEXT') return undefined;
  if (value === undefined || value === null) return { kind: 'absent' };
  if (typeof value === 'number' || typeof value === 'boolean') return projectText(String(value));
  if (typeof value !== 'string') return { kind: 'not-text', shown: JSON.stringify(value) };
  return cdk.Token.isUnresolved(value) ? undefined : projectText(value);
}

/**
 * Points the registry variables of the project and its inline build spec at the internal registry,
 * and for CodeArtifact URLs makes the build able to use them.
 *
 * CodeArtifact answers only with a token, so its URLs come with a token step in the build spec and
 * read permissions for the role. When the build spec cannot be edited (a buildspec.yml file in the
 * source, a Windows build, a build spec with deploy-time parts) the fix is not applied at all,
 * rather than set variables that would make every `npm install` fail with 401: the reason lists the
 * commands to add to the build spec and the variables to set.
 */
function pointAtInternalRegistry(
  project: codebuild.CfnProject,
  params: Params,
  context: RemediationContext,
): RemediationResult {
  const environment = project.environment;
  if (cdk.Tokenization.isResolvable(environment))
    return notApplied('Environment is a token, so variables cannot be set in it');
  const variables = environment.environmentVariables ?? [];
  if (cdk.Tokenization.isResolvable(variables))
    return notApplied(`${VARIABLES} is a token, so variables cannot be added to it`);
  const planner = fixPlanner(params, isWindows(environment.type), context.account);
  const buildSpec = readInlineBuildSpec(project);
  const specVariables = typeof buildSpec === 'string' ? undefined : specVariablesOf(buildSpec.spec);

  const plain = (v: Variable | IResolvable): v is Variable => !cdk.Tokenization.isResolvable(v);
  const projectEdits = variables.map((v): Edit => {
    const value = plain(v) ? projectVariableValue(v) : undefined;
    return value ? planner.edit((v as Variable).name, value) : { action: 'keep' };
  });
  const specEdits = Object.entries(specVariables?.variables ?? {}).map(([name, value]) =>
    planner.edit(name, documentValue(value)),
  );
  const stillSet = [
    ...variables
      .filter((v, i) => plain(v) && projectEdits[i].action !== 'remove')
      .map((v) => (v as Variable).name),
    ...Object.keys(specVariables?.variables ?? {}).filter((_, i) => specEdits[i].action !== 'remove'),
    ...(specVariables?.stored ?? []),
  ];
  const missing = planner.missing(stillSet);
  const edits = [...projectEdits, ...specEdits];
  const toSet = [...new Set([...edits.flatMap((e) => (e.action === 'set' ? [e.required] : [])), ...missing])];
  if (toSet.length === 0 && !edits.some((e) => e.action === 'remove')) {
    return notApplied(
      `no variable in ${VARIABLES} or in the inline build spec has a value the fix can change: values read ` +
        'from Parameter Store or Secrets Manager or known only at deploy time are kept, and a CodePipeline ' +
        "action's EnvironmentVariables or a build spec file must be fixed where they are",
    );
  }
  const urls = toSet.length > 0 ? registryUrls(toSet, context, planner.policy) : new Map<string, string>();
  if (typeof urls === 'string') return notApplied(urls);

  const onCodeArtifact = [...urls].flatMap(([name, url]): EndpointVariable[] => {
    const endpoint = parseEndpointUrl(url);
    return endpoint ? [{ name, url, endpoint }] : [];
  });
  const editedSpec =
    specVariables && typeof buildSpec !== 'string' && specEdits.some((e) => e.action !== 'keep')
      ? withSpecVariables(buildSpec.spec, specVariables.variables, specEdits, urls)
      : undefined;
  const auth =
    onCodeArtifact.length > 0
      ? planCodeArtifactAccess(project, buildSpec, editedSpec, onCodeArtifact)
      : undefined;
  if (typeof auth === 'string') return notApplied(auth);

  const changes: string[] = [];
  project.environment = {
    ...environment,
    environmentVariables: withEdits(variables, projectEdits, missing, urls, changes),
  };
  if (editedSpec) {
    changes.push(...editedSpec.changes);
    if (!auth) writeInlineBuildSpec(project, editedSpec.spec, (buildSpec as InlineBuildSpec).syntax);
  }
  if (auth) changes.push(...grantCodeArtifactAccess(project, auth));
  return changed(...changes);
}

/** The build spec's env.variables (when it is a map) and the names its env.parameter-store and env.secrets-manager set. */
function specVariablesOf(
  spec: Readonly<Record<string, unknown>>,
): { variables: Record<string, unknown>; stored: string[] } | undefined {
  const env = prop(spec, 'env');
  const variables = prop(env, 'variables') ?? {};
  if (!isPlainObject(variables)) return undefined;
  const stored = ['parameter-store', 'secrets-manager'].flatMap((key) => {
    const section = prop(env, key);
    return isPlainObject(section) ? Object.keys(section) : [];
  });
  return { variables, stored };
}

/** The project variables with the edits made, the missing ones appended; what changed is pushed to `changes`. */
function withEdits(
  variables: ReadonlyArray<Variable | IResolvable>,
  edits: readonly Edit[],
  missing: readonly string[],
  urls: ReadonlyMap<string, string>,
  changes: string[],
): Array<Variable | IResolvable> {
  const kept = variables.flatMap((variable, i): Array<Variable | IResolvable> => {
    const edit = edits[i];
    const { name, value } = variable as Variable;
    if (edit.action === 'remove') {
      changes.push(`removed ${VARIABLES} ${name} ('${String(value)}'), which is not allowed`);
      return [];
    }
    if (edit.action === 'keep') return [variable];
    const url = urls.get(edit.required) as string;
    changes.push(`set ${VARIABLES} ${name} to ${url}`);
    return [{ ...(variable as Variable), type: 'PLAINTEXT', value: url }];
  });
  const appended = missing.map((name): Variable => {
    const value = urls.get(name) as string;
    changes.push(`set ${VARIABLES} ${name} to ${value}`);
    return { name, type: 'PLAINTEXT', value };
  });
  return [...kept, ...appended];
}

/** The build spec with its env.variables edited, and what changed. */
function withSpecVariables(
  spec: Readonly<Record<string, unknown>>,
  variables: Readonly<Record<string, unknown>>,
  edits: readonly Edit[],
  urls: ReadonlyMap<string, string>,
): { spec: Record<string, unknown>; changes: string[] } {
  const changes: string[] = [];
  const edited = Object.entries(variables).flatMap(([name, value], i): Array<[string, unknown]> => {
    const edit = edits[i];
    if (edit.action === 'keep') return [[name, value]];
    if (edit.action === 'remove') {
      changes.push(
        `removed ${name} ('${String(value)}') from env.variables of Source.BuildSpec, which is not allowed`,
      );
      return [];
    }
    const url = urls.get(edit.required) as string;
    changes.push(`set ${name} in env.variables of Source.BuildSpec to ${url}`);
    return [[name, url]];
  });
  const env = { ...(prop(spec, 'env') as Record<string, unknown>), variables: Object.fromEntries(edited) };
  return { spec: { ...spec, env }, changes };
}

/** The URL of each variable, checked against the control, or why one cannot be given. */
function registryUrls(
  names: readonly string[],
  context: RemediationContext,
  policy: UrlPolicy,
): Map<string, string> | string {
  if (!context.settings.registries && !context.settings.codeArtifact) {
    return (
      "no internal registry was given: set the remediations' registries prop (context key " +
      "'cdk-catalogue:registries') or codeArtifact prop (context key 'cdk-catalogue:code-artifact')"
    );
  }
  const urls = new Map<string, string>();
  for (const name of names) {
    const url = registryUrl(name, context);
    if ('reason' in url) return url.reason;
    const verdict = judgeUrl(`the URL configured for ${name}`, url.url, policy, VARIABLES);
    if (verdict.status === 'non-compliant') return `${verdict.reason}: configure one the control allows`;
    urls.set(name, url.url);
  }
  return urls;
}

/**
 * A variable's URL: its entry in `registries` (`${AWS::AccountId}` and `${AWS::Region}` filled in),
 * or for npm and pip the endpoint of the `codeArtifact` repository in the stack's region.
 */
function registryUrl(name: string, context: RemediationContext): { url: string } | { reason: string } {
  const { registries, codeArtifact } = context.settings;
  const given = registries?.[name];
  if (given !== undefined) {
    const url = context.substitute(given);
    return cdk.Token.isUnresolved(url)
      ? {
          reason: `the registry URL for ${name} needs the account or region of the stack, which is environment-agnostic: give the stack an env`,
        }
      : { url };
  }
  const format = CODEARTIFACT_FORMATS[name];
  if (!codeArtifact || !format) {
    return {
      reason: `no registry URL is configured for ${name}: add it to the registries prop (context key 'cdk-catalogue:registries')`,
    };
  }
  const owner = codeArtifact.domainOwner ?? context.account;
  if (owner === undefined) {
    return {
      reason:
        'the stack is environment-agnostic, so the CodeArtifact domain owner cannot default to its account: set ' +
        "codeArtifact.domainOwner (context key 'cdk-catalogue:code-artifact') or give the stack an env",
    };
  }
  const region = context.stack.region;
  if (cdk.Token.isUnresolved(region)) {
    return {
      reason:
        'the stack is environment-agnostic, so the region of the CodeArtifact endpoint is unknown: give the stack ' +
        "an env, or set the URLs in the registries prop (context key 'cdk-catalogue:registries')",
    };
  }
  const { domain, repository } = codeArtifact;
  return { url: endpointUrl({ domain, owner: String(owner), region, format, repository }) };
}

interface CodeArtifactAccess {
  readonly variables: readonly EndpointVariable[];
  readonly spec: Record<string, unknown>;
  readonly syntax: 'json' | 'yaml';
  readonly addedCommands: readonly string[];
  readonly specChanged: boolean;
  readonly role: StackRole;
}

/** Checks that the token step and the permissions can be added, before anything is changed. */
function planCodeArtifactAccess(
  project: codebuild.CfnProject,
  buildSpec: InlineBuildSpec | string,
  editedSpec: { spec: Record<string, unknown> } | undefined,
  variables: readonly EndpointVariable[],
): CodeArtifactAccess | string {
  const commands = tokenStep(variables);
  const yourself =
    'add these commands at the start of the install phase of the build spec and set ' +
    `${variables.map((v) => v.name).join(' and ')} yourself: ${commands.join(' ; ')}`;
  const type = (project.environment as codebuild.CfnProject.EnvironmentProperty).type;
  if (typeof type === 'string' && type.startsWith('WINDOWS')) {
    return `CodeArtifact needs a token step, which the fix writes for Linux shells, and the project builds on ${type}: ${yourself}`;
  }
  if (typeof buildSpec === 'string') {
    return `CodeArtifact needs a token step in the build spec, and ${buildSpec}, which the fix cannot edit: ${yourself}`;
  }
  const edited = withInstallCommands(editedSpec?.spec ?? buildSpec.spec, commands);
  if (typeof edited === 'string')
    return `CodeArtifact needs a token step in the build spec, and ${edited}: ${yourself}`;
  const role = roleInStack(cdk.Stack.of(project), project.serviceRole);
  if (typeof role === 'string') {
    return (
      `the service role ${role} is not defined in this stack, so the fix cannot let it read from CodeArtifact: ` +
      'grant it codeartifact:GetAuthorizationToken on the domain, codeartifact:GetRepositoryEndpoint and ' +
      'codeartifact:ReadFromRepository on the repository and sts:GetServiceBearerToken (condition ' +
      `sts:AWSServiceName codeartifact.amazonaws.com), then ${yourself}`
    );
  }
  return {
    variables,
    spec: edited.spec,
    syntax: buildSpec.syntax,
    addedCommands: edited.added,
    specChanged: editedSpec !== undefined,
    role,
  };
}

function grantCodeArtifactAccess(project: codebuild.CfnProject, access: CodeArtifactAccess): string[] {
  const changes: string[] = [];
  if (access.addedCommands.length > 0 || access.specChanged) {
    writeInlineBuildSpec(project, access.spec, access.syntax);
  }
  if (access.addedCommands.length > 0) {
    changes.push('added the CodeArtifact token step at the start of the install phase of Source.BuildSpec');
  }
  const statements = readStatements(
    project.stack,
    access.variables.map((v) => v.endpoint),
  );
  const policy = grantInOwnPolicy(project, access.role, 'RegistryPolicy', statements);
  changes.push(
    `granted role ${access.role.path} codeartifact:GetAuthorizationToken, codeartifact:GetRepositoryEndpoint, ` +
      `codeartifact:ReadFromRepository and sts:GetServiceBearerToken in policy ${policy.node.path}, which the project depends on`,
  );
  return changes;
}
