import { intrinsicName, isIntrinsic, prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
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
      'sets the registry variables in the project environment to the internal repository endpoints',
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
