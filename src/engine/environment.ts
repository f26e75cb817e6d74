import { StackTemplate } from './template';

/**
 * Whether two stacks deploy into the same account and region. Each of the two is compared on its
 * own: equal when both are known and equal, or when neither stack names it (CDK deploys an app's
 * environment-agnostic stacks with one set of credentials, into one account and region);
 * undecided when only one stack names it.
 */
export type EnvironmentMatch = 'same' | 'different' | 'undecided';

export function compareEnvironments(a: StackTemplate, b: StackTemplate): EnvironmentMatch {
  const parts = [compareParts(a.account, b.account), compareParts(a.region, b.region)];
  if (parts.includes('different')) return 'different';
  return parts.includes('undecided') ? 'undecided' : 'same';
}

function compareParts(a: string | undefined, b: string | undefined): EnvironmentMatch {
  if (a === undefined && b === undefined) return 'same';
  if (a === undefined || b === undefined) return 'undecided';
  return a === b ? 'same' : 'different';
}

/** `account 111111111111, region eu-west-1`, or what is not known of it. */
export function describeEnvironment(stack: StackTemplate): string {
  return `account ${stack.account ?? '(environment-agnostic)'}, region ${stack.region ?? '(environment-agnostic)'}`;
}

/** Why two stacks' environments do not match, for a message. */
export function environmentMismatch(match: EnvironmentMatch, from: StackTemplate, to: StackTemplate): string {
  return match === 'different'
    ? `stack ${to.stackId} deploys to ${describeEnvironment(to)}, not ${describeEnvironment(from)} like stack ${from.stackId}`
    : `stack ${to.stackId} (${describeEnvironment(to)}) and stack ${from.stackId} (${describeEnvironment(from)}) may deploy to different accounts or regions`;
}

/** The partition of a region: `aws-cn` for China, `aws-us-gov` for GovCloud, `aws` elsewhere. */
function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  if (region.startsWith('us-iso-')) return 'aws-iso';
  if (region.startsWith('us-isob-')) return 'aws-iso-b';
  return 'aws';
}

const URL_SUFFIX: Record<string, string> = {
  'aws-cn': 'amazonaws.com.cn',
  'aws-iso': 'c2s.ic.gov',
  'aws-iso-b': 'sc2s.sgov.gov',
};

/** The value of a pseudo parameter when the stack's environment says it at synth time. */
export function pseudoParameterValue(name: string, stack: StackTemplate): string | undefined {
  switch (name) {
    case 'AWS::AccountId':
      return stack.account;
    case 'AWS::Region':
      return stack.region;
    case 'AWS::Partition':
      return stack.region === undefined ? undefined : partitionOf(stack.region);
    case 'AWS::URLSuffix':
      return stack.region === undefined
        ? undefined
        : (URL_SUFFIX[partitionOf(stack.region)] ?? 'amazonaws.com');
    default:
      return undefined;
  }
}
