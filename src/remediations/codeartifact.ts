import type { aws_iam as iam, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';

/** The variables whose URL the `codeArtifact` setting gives, and the repository format each reads. */
export const CODEARTIFACT_FORMATS: Readonly<Record<string, 'npm' | 'pypi'>> = {
  NPM_CONFIG_REGISTRY: 'npm',
  PIP_INDEX_URL: 'pypi',
};

/** A CodeArtifact repository endpoint, as its URL spells it. */
export interface CodeArtifactEndpoint {
  readonly domain: string;
  /** The account that owns the domain. */
  readonly owner: string;
  readonly region: string;
  /** `npm`, `pypi`, `maven`... */
  readonly format: string;
  readonly repository: string;
}

/** `https://<domain>-<owner>.d.codeartifact.<region>.amazonaws.com/<format>/<repository>/` (pip's index adds `simple/`). */
export function endpointUrl(endpoint: CodeArtifactEndpoint): string {
  const { format, repository } = endpoint;
  return `https://${host(endpoint)}/${format}/${repository}/${format === 'pypi' ? 'simple/' : ''}`;
}

const ENDPOINT_URL =
  /^https:\/\/([a-z0-9-]+)-([0-9]{12})\.d\.codeartifact\.([a-z0-9-]+)\.amazonaws\.com\/([a-z]+)\/([^/]+)\//;

/** The endpoint a URL points at, or undefined when it is not a CodeArtifact repository URL. */
export function parseEndpointUrl(url: string): CodeArtifactEndpoint | undefined {
  const match = ENDPOINT_URL.exec(url);
  if (!match) return undefined;
  const [, domain, owner, region, format, repository] = match;
  return { domain, owner, region, format, repository };
}

function host({ domain, owner, region }: CodeArtifactEndpoint): string {
  return `${domain}-${owner}.d.codeartifact.${region}.amazonaws.com`;
}

/** A variable the fix sets to a CodeArtifact endpoint. */
export interface EndpointVariable {
  readonly name: string;
  readonly url: string;
  readonly endpoint: CodeArtifactEndpoint;
}

/**
 * The build commands that let npm and pip read from CodeArtifact, which answers only with a token:
 * one token per domain (`CODEARTIFACT_AUTH_TOKEN`), then per variable
 * - npm: the token for the registry path in npm's user config (what `aws codeartifact login` writes);
 *   the NPM_CONFIG_REGISTRY variable keeps choosing the registry;
 * - pip: the variable exported again with the token in the URL. Not `pip config set global.index-url`:
 *   pip reads PIP_INDEX_URL before its config files, so the variable without a token would win.
 * Other formats only get the token. Buildspec 0.2 runs a build's commands in one shell, so the
 * exports last for the later phases.
 */
export function tokenStep(variables: readonly EndpointVariable[]): string[] {
  const domains = new Map(variables.map(({ endpoint }) => [domainKey(endpoint), endpoint]));
  const keys = [...domains.keys()];
  const tokenVariable = (endpoint: CodeArtifactEndpoint) => {
    const index = keys.indexOf(domainKey(endpoint));
    return index === 0 ? 'CODEARTIFACT_AUTH_TOKEN' : `CODEARTIFACT_AUTH_TOKEN_${index + 1}`;
  };
  const tokens = [...domains.values()].map(
    (endpoint) =>
      `export ${tokenVariable(endpoint)}=$(aws codeartifact get-authorization-token --domain ${endpoint.domain} ` +
      `--domain-owner ${endpoint.owner} --region ${endpoint.region} --query authorizationToken --output text)`,
  );
  const configuration = variables.flatMap(({ name, url, endpoint }) => {
    const token = `$${tokenVariable(endpoint)}`;
    if (endpoint.format === 'npm') {
      return [`npm config set //${host(endpoint)}/npm/${endpoint.repository}/:_authToken=${token}`];
    }
    if (endpoint.format === 'pypi')
      return [`export ${name}=https://aws:${token}@${url.slice('https://'.length)}`];
    return [];
  });
  return [...tokens, ...configuration];
}

function domainKey({ domain, owner, region }: CodeArtifactEndpoint): string {
  return `${domain}/${owner}/${region}`;
}

/** What a build needs to read these repositories: a token for their domains and read access to them. */
export function readStatements(
  stack: Stack,
  endpoints: readonly CodeArtifactEndpoint[],
): iam.PolicyStatement[] {
  const arn = ({ region, owner }: CodeArtifactEndpoint, resource: string, resourceName: string) =>
    stack.formatArn({ service: 'codeartifact', region, account: owner, resource, resourceName });
  const unique = (arns: string[]) => [...new Set(arns)];
  return [
    new cdk.aws_iam.PolicyStatement({
      actions: ['codeartifact:GetAuthorizationToken'],
      resources: unique(endpoints.map((e) => arn(e, 'domain', e.domain))),
    }),
    new cdk.aws_iam.PolicyStatement({
      actions: ['codeartifact:GetRepositoryEndpoint', 'codeartifact:ReadFromRepository'],
      resources: unique(endpoints.map((e) => arn(e, 'repository', `${e.domain}/${e.repository}`))),
    }),
    // GetAuthorizationToken is called with a bearer token from STS.
    new cdk.aws_iam.PolicyStatement({
      actions: ['sts:GetServiceBearerToken'],
      resources: ['*'],
      conditions: { StringEquals: { 'sts:AWSServiceName': 'codeartifact.amazonaws.com' } },
    }),
  ];
}
