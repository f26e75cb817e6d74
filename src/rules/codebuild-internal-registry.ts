import { aws_codebuild as codebuild, IResolvable, Token, Tokenization, Stack } from 'aws-cdk-lib';
import { intrinsicName, isIntrinsic, prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { readInlineBuildSpec, withInstallCommands, writeInlineBuildSpec } from '../remediations/build-spec';
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
import { compliant, defineRule, nonCompliant, unverifiable, Verdict } from './rule';
import { allOf, knownAtDeployTime } from './values';

interface Params {
  readonly requiredVariables: readonly string[];
  readonly allowedUrlPattern: string;
}

const VARIABLES = 'Environment.EnvironmentVariables';
const CODEARTIFACT_ENDPOINT =
  '^https://[a-z0-9-]+-[0-9]{12}\\.d\\.codeartifact\\.[a-z0-9-]+\\.amazonaws\\.com/';

/**
 * CodeBuild points npm and pip at the internal repository through environment variables. Only the
 * project's environment is checked: a build spec (CDK Pipelines put theirs in `Source.BuildSpec`)
 * could still override the variables.
 */
export default defineRule<Params>({
  meta: {
    id: 'codebuild-internal-registry',
    description: 'CodeBuild installs packages only from the internal repository',
    resourceTypes: ['AWS::CodeBuild::Project'],
    compliantWhen:
      'every variable in requiredVariables is set in Environment.EnvironmentVariables as a PLAINTEXT value (Type absent or ' +
      'PLAINTEXT) matching allowedUrlPattern; PARAMETER_STORE and SECRETS_MANAGER values are unverifiable; a value with ' +
      'deploy-time parts complies when the text before its first one already matches a pattern that cannot look past ' +
      'its match (no $, \\b or lookahead), and is unverifiable otherwise',
    remediation:
      'sets each required variable that is missing or does not match allowedUrlPattern (other variables, and values ' +
      'only known at deploy time, are kept) to its URL from the registries setting (context cdk-catalogue:registries) ' +
      'or, for NPM_CONFIG_REGISTRY and PIP_INDEX_URL, to the endpoint of the codeArtifact repository (context ' +
      'cdk-catalogue:code-artifact); for CodeArtifact URLs it also adds the token step (aws codeartifact ' +
      'get-authorization-token, npm config for the token, PIP_INDEX_URL with the token) at the start of the install ' +
      'phase of the inline build spec, and grants the project role codeartifact:GetAuthorizationToken on the domain, ' +
      'codeartifact:GetRepositoryEndpoint and codeartifact:ReadFromRepository on the repository and ' +
      'sts:GetServiceBearerToken for CodeArtifact, in a policy the project depends on',
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
            'A regular expression every required variable must match (default: a CodeArtifact endpoint)',
          default: CODEARTIFACT_ENDPOINT,
        },
      },
    },
  },
  check(resource, params, resolver) {
    const environment = resource.properties.Environment;
    const declared = prop(environment, 'EnvironmentVariables');
    for (const value of [environment, declared]) {
      const resolved = resolver.resolve(value, resource.stack);
      if (resolved.kind === 'unknown') {
        return knownAtDeployTime(VARIABLES, resolved.description);
      }
    }
    const variables = Array.isArray(declared) ? declared : [];
    const pattern = compiledPattern(params.allowedUrlPattern, resolver);
    const named = (name: string) => variables.filter((variable) => prop(variable, 'Name') === name);
    const missing = params.requiredVariables.filter((name) => named(name).length === 0);
    return allOf(VARIABLES, [
      judgeMissing(missing, variables),
      ...params.requiredVariables.flatMap((name) =>
        named(name).map((variable) => judgeVariable(name, variable, pattern, resource.stack, resolver)),
      ),
    ]);
  },
  remediate(resource, params, context) {
    if (!(resource instanceof codebuild.CfnProject)) {
      return notApplied(
        'the project is not a codebuild.CfnProject, so its environment variables cannot be set',
      );
    }
    return pointAtInternalRegistry(resource, params, context);
  },
});

function judgeMissing(missing: readonly string[], variables: readonly unknown[]): Verdict {
  if (missing.length === 0) return compliant;
  const deployTime = variables.filter(
    (variable) => isIntrinsic(variable) || isIntrinsic(prop(variable, 'Name')),
  );
  return deployTime.length > 0
    ? unverifiable(
        VARIABLES,
        `${VARIABLES} has entries only known at deploy time (${deployTime.map(describe).join(', ')}), which may set ${missing.join(' or ')}`,
      )
    : nonCompliant(VARIABLES, `${VARIABLES} has no ${missing.join(' or ')}`);
}

function judgeVariable(
  name: string,
  variable: unknown,
  pattern: UrlPattern,
  stack: StackTemplate,
  resolver: TemplateResolver,
): Verdict {
  const type = resolver.resolve(prop(variable, 'Type'), stack);
  if (type.kind === 'unknown') {
    return knownAtDeployTime(VARIABLES, type.description, `the Type of ${name}`);
  }
  if (type.kind === 'absent' || (type.kind === 'literal' && type.value === 'PLAINTEXT')) {
    return judgeUrl(name, prop(variable, 'Value'), pattern, stack, resolver);
  }
  // PARAMETER_STORE and SECRETS_MANAGER values name where the URL is stored, not the URL.
  const typeName = type.kind === 'literal' ? type.value : describe(prop(variable, 'Type'));
  return unverifiable(
    VARIABLES,
    `${name} is a ${typeName} variable (${describe(prop(variable, 'Value'))}), whose content is only known at deploy time`,
  );
}

function judgeUrl(
  name: string,
  value: unknown,
  pattern: UrlPattern,
  stack: StackTemplate,
  resolver: TemplateResolver,
): Verdict {
  const resolved = resolver.resolve(value, stack);
  switch (resolved.kind) {
    case 'absent':
      return nonCompliant(VARIABLES, `${name} has no Value`);
    case 'literal':
      return pattern.regex.test(String(resolved.value))
        ? compliant
        : nonCompliant(
            VARIABLES,
            `${name} '${resolved.value}' does not match the internal registry pattern ${pattern.source}`,
          );
    case 'structure':
      return nonCompliant(VARIABLES, `${name} is ${describe(value)}, not a URL`);
  }
  // Parts known only at deploy time render as `${...}`: the text before the first one is certain.
  const { text } = resolver.text(value, stack);
  if (matchesWhateverFollows(text.split('${')[0], pattern)) return compliant;
  const templated = intrinsicName(value) === 'Fn::Join' || intrinsicName(value) === 'Fn::Sub';
  const source = resolved.kind === 'unknown' ? resolved.description : describe(value);
  return templated
    ? unverifiable(VARIABLES, `${name} '${text}' has parts only known at deploy time`)
    : knownAtDeployTime(VARIABLES, source, name);
}

interface UrlPattern {
  readonly source: string;
  readonly regex: RegExp;
  /** False when the pattern looks at what follows its match (`$`, `\b`, lookahead), so appended text could undo it. */
  readonly keepsMatchWhenExtended: boolean;
}

const LOOKS_PAST_MATCH = /\$|\\[bB]|\(\?<?[=!]/;

function compiledPattern(source: string, resolver: TemplateResolver): UrlPattern {
  return resolver.memoize(`codebuild-internal-registry:${source}`, () => ({
    source,
    regex: new RegExp(source),
    keepsMatchWhenExtended: !LOOKS_PAST_MATCH.test(source),
  }));
}

/**
 * A value known only up to `prefix` (the text before its first deploy-time part) complies when the
 * prefix alone already matches a pattern that cannot look past its match: whatever the deploy-time
 * part becomes, the match stays. Anything else is left unverifiable rather than guessed.
 */
function matchesWhateverFollows(prefix: string, pattern: UrlPattern): boolean {
  return pattern.keepsMatchWhenExtended && pattern.regex.test(prefix);
}

type Variable = codebuild.CfnProject.EnvironmentVariableProperty;

/**
 * Sets the required variables, and for CodeArtifact URLs makes the build able to use them.
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
  if (Tokenization.isResolvable(environment))
    return notApplied('Environment is a token, so variables cannot be set in it');
  const variables = environment.environmentVariables ?? [];
  if (Tokenization.isResolvable(variables))
    return notApplied(`${VARIABLES} is a token, so variables cannot be added to it`);
  const pattern = new RegExp(params.allowedUrlPattern);
  const toSet = params.requiredVariables.filter((name) => needsUrl(variables, name, pattern));
  if (toSet.length === 0) {
    return notApplied(
      'the required variables are set to values the fix keeps: tokens, Parameter Store or Secrets Manager',
    );
  }
  const urls = registryUrls(toSet, context, params.allowedUrlPattern);
  if (typeof urls === 'string') return notApplied(urls);

  const onCodeArtifact = [...urls].flatMap(([name, url]): EndpointVariable[] => {
    const endpoint = parseEndpointUrl(url);
    return endpoint ? [{ name, url, endpoint }] : [];
  });
  const auth = onCodeArtifact.length > 0 ? planCodeArtifactAccess(project, onCodeArtifact) : undefined;
  if (typeof auth === 'string') return notApplied(auth);

  project.environment = { ...environment, environmentVariables: withUrls(variables, urls, pattern) };
  const changes = [...urls].map(([name, url]) => `set ${VARIABLES} ${name} to ${url}`);
  if (auth) changes.push(...grantCodeArtifactAccess(project, auth));
  return changed(...changes);
}

/** Whether the variable is missing, or one of its PLAINTEXT values is a literal that does not match. */
function needsUrl(variables: ReadonlyArray<Variable | IResolvable>, name: string, pattern: RegExp): boolean {
  const named = variables.filter((v): v is Variable => !Tokenization.isResolvable(v) && v.name === name);
  return named.length === 0 || named.some((variable) => isWrong(variable, pattern));
}

/** A literal PLAINTEXT value that does not match; deploy-time values (tokens, Parameter Store, Secrets Manager) are kept. */
function isWrong(variable: Variable, pattern: RegExp): boolean {
  const { type, value } = variable;
  if (Token.isUnresolved(type) || (type ?? 'PLAINTEXT') !== 'PLAINTEXT') return false;
  if (typeof value !== 'string') return true;
  return !Token.isUnresolved(value) && !pattern.test(value);
}

/** The variables with the wrong values replaced in place and the missing ones appended. */
function withUrls(
  variables: ReadonlyArray<Variable | IResolvable>,
  urls: ReadonlyMap<string, string>,
  pattern: RegExp,
): Array<Variable | IResolvable> {
  const plain = (v: Variable | IResolvable): v is Variable => !Tokenization.isResolvable(v);
  const replaced = variables.map((variable) => {
    const url = plain(variable) ? urls.get(variable.name) : undefined;
    return plain(variable) && url !== undefined && isWrong(variable, pattern)
      ? { ...variable, type: 'PLAINTEXT', value: url }
      : variable;
  });
  const present = new Set(variables.filter(plain).map((v) => v.name));
  const appended = [...urls]
    .filter(([name]) => !present.has(name))
    .map(([name, value]): Variable => ({ name, type: 'PLAINTEXT', value }));
  return [...replaced, ...appended];
}

/** The URL of each variable, checked against the control's pattern, or why one cannot be given. */
function registryUrls(
  names: readonly string[],
  context: RemediationContext,
  allowedUrlPattern: string,
): Map<string, string> | string {
  if (!context.settings.registries && !context.settings.codeArtifact) {
    return (
      "no internal registry was given: set the remediations' registries prop (context key " +
      "'cdk-catalogue:registries') or codeArtifact prop (context key 'cdk-catalogue:code-artifact')"
    );
  }
  const pattern = new RegExp(allowedUrlPattern);
  const urls = new Map<string, string>();
  for (const name of names) {
    const url = registryUrl(name, context);
    if ('reason' in url) return url.reason;
    if (!pattern.test(url.url)) {
      return `the URL for ${name}, '${url.url}', does not match the control's allowedUrlPattern ${allowedUrlPattern}: configure one that does`;
    }
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
    return Token.isUnresolved(url)
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
  if (Token.isUnresolved(region)) {
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
  readonly role: StackRole;
}

/** Checks that the token step and the permissions can be added, before anything is changed. */
function planCodeArtifactAccess(
  project: codebuild.CfnProject,
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
  const buildSpec = readInlineBuildSpec(project);
  if (typeof buildSpec === 'string') {
    return `CodeArtifact needs a token step in the build spec, and ${buildSpec}, which the fix cannot edit: ${yourself}`;
  }
  const edited = withInstallCommands(buildSpec.spec, commands);
  if (typeof edited === 'string')
    return `CodeArtifact needs a token step in the build spec, and ${edited}: ${yourself}`;
  const role = roleInStack(Stack.of(project), project.serviceRole);
  if (typeof role === 'string') {
    return (
      `the service role ${role} is not defined in this stack, so the fix cannot let it read from CodeArtifact: ` +
      'grant it codeartifact:GetAuthorizationToken on the domain, codeartifact:GetRepositoryEndpoint and ' +
      'codeartifact:ReadFromRepository on the repository and sts:GetServiceBearerToken (condition ' +
      `sts:AWSServiceName codeartifact.amazonaws.com), then ${yourself}`
    );
  }
  return { variables, spec: edited.spec, syntax: buildSpec.syntax, addedCommands: edited.added, role };
}

function grantCodeArtifactAccess(project: codebuild.CfnProject, access: CodeArtifactAccess): string[] {
  const changes: string[] = [];
  if (access.addedCommands.length > 0) {
    writeInlineBuildSpec(project, access.spec, access.syntax);
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
