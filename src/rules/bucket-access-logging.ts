import { aws_s3 as s3, Stack, Token, Tokenization } from 'aws-cdk-lib';
import { intrinsicName, isPlainObject, prop, propertyVariants } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationContext, RemediationResult } from '../remediations/context';
import { overriddenReason, renderStack, rendersAs } from '../remediations/rendered';
import { compliant, defineRule, nonCompliant, unverifiable, Verdict } from './rule';
import { knownAtDeployTime } from './values';

const BUCKET = 'AWS::S3::Bucket';
const PROPERTY = 'LoggingConfiguration';

/**
 * A bucket is named by keys: `bucket:<stack>/<logicalId>` when referenced, `name:<name>` for a name
 * known at synth time, and `deploy-time:<stack>:<rendering>` for a name computed at deploy time (the
 * same expression in the same stack, e.g. one parameter, gives the same name).
 */
function nameKey(name: unknown, stack: StackTemplate, resolver: TemplateResolver): string | undefined {
  const resolved = resolver.resolve(name, stack);
  if (resolved.kind === 'absent' || (resolved.kind === 'literal' && resolved.value === '')) return undefined;
  if (resolved.kind === 'literal') return `name:${resolved.value}`;
  return `deploy-time:${stack.stackId}:${resolver.text(name, stack).text}`;
}

/** The keys a bucket answers to: its logical id and its BucketName. */
function identityKeys(
  logicalId: string,
  stack: StackTemplate,
  bucketName: unknown,
  resolver: TemplateResolver,
): string[] {
  const keys = [`bucket:${stack.stackId}/${logicalId}`];
  const name = nameKey(bucketName, stack, resolver);
  return name ? [...keys, name] : keys;
}

/** The key of the bucket a `DestinationBucketName` names: a `Ref` to a bucket (imports followed), or a name. */
function destinationKey(destination: unknown, stack: StackTemplate, resolver: TemplateResolver) {
  const resolved = resolver.resolve(destination, stack);
  if (resolved.kind === 'resource' && resolved.resource.Type === BUCKET && resolved.attribute === undefined) {
    return `bucket:${resolved.stack.stackId}/${resolved.logicalId}`;
  }
  return nameKey(destination, stack, resolver);
}

/**
 * The keys of every bucket that another bucket delivers its access logs to, across all templates,
 * built once per run. Every `Fn::If` branch counts: a bucket that receives logs in any branch is
 * built as a log bucket.
 */
function logDestinations(resolver: TemplateResolver): ReadonlySet<string> {
  return resolver.memoize('bucket-access-logging:destinations', () => {
    const destinations = new Set<string>();
    for (const { logicalId, resource, stack } of resolver.resourcesOfType(BUCKET)) {
      const properties = isPlainObject(resource.Properties) ? resource.Properties : {};
      for (const { properties: variant } of propertyVariants(properties)) {
        const destination = prop(prop(variant, PROPERTY), 'DestinationBucketName');
        const key = destinationKey(destination, stack, resolver);
        const ownKeys = identityKeys(logicalId, stack, variant.BucketName, resolver);
        if (key && !ownKeys.includes(key)) destinations.add(key);
      }
    }
    return destinations;
  });
}

/**
 * A bucket that logs into itself keeps its audit trail where an intruder changes the data, and each
 * delivery of logs is logged again, an endless loop the S3 documentation recommends against.
 */
const SELF_LOGGING = 'which is no separate audit trail';

function judgeDestination(
  destination: unknown,
  ownKeys: readonly string[],
  stack: StackTemplate,
  resolver: TemplateResolver,
): Verdict {
  const resolved = resolver.resolve(destination, stack);
  if (resolved.kind === 'absent' || (resolved.kind === 'literal' && resolved.value === '')) {
    // Without DestinationBucketName, S3 stores the logs in the bucket being logged.
    return nonCompliant(
      PROPERTY,
      `LoggingConfiguration has no DestinationBucketName, so the bucket logs into itself, ${SELF_LOGGING}`,
    );
  }
  // Beyond the conditions the engine expands, a Fn::If may pick AWS::NoValue: the bucket would log into itself.
  if (intrinsicName(destination) === 'Fn::If') {
    return unverifiable(
      PROPERTY,
      'LoggingConfiguration DestinationBucketName is chosen by Fn::If, so where the logs go is only known at deploy time',
    );
  }
  if (resolved.kind === 'structure' || (resolved.kind === 'literal' && typeof resolved.value !== 'string')) {
    return nonCompliant(
      PROPERTY,
      `LoggingConfiguration DestinationBucketName is ${describe(destination)}, not a bucket name`,
    );
  }
  if (resolved.kind === 'resource' && resolved.resource.Type === BUCKET && resolved.attribute !== undefined) {
    return nonCompliant(
      PROPERTY,
      `LoggingConfiguration DestinationBucketName is ${describe(destination)}, the bucket's ${resolved.attribute} rather than its name`,
    );
  }
  const key = destinationKey(destination, stack, resolver);
  if (key !== undefined && ownKeys.includes(key)) {
    return nonCompliant(
      PROPERTY,
      `LoggingConfiguration DestinationBucketName is the bucket itself, ${SELF_LOGGING}`,
    );
  }
  // A name from a parameter, an import or a computed string still names a destination bucket.
  return compliant;
}

/** S3 buckets log server access to a separate bucket, or are themselves such a log bucket. */
export default defineRule({
  meta: {
    id: 'bucket-access-logging',
    description: 'S3 buckets log server access',
    resourceTypes: [BUCKET],
    compliantWhen:
      'LoggingConfiguration names a DestinationBucketName other than the bucket itself (a literal name, a Ref to a bucket, an import or a parameter), or the bucket has no LoggingConfiguration and another bucket in the templates delivers its access logs to it (by Ref or by BucketName); a LoggingConfiguration without DestinationBucketName logs into the bucket itself and does not comply',
    remediation:
      "sets LoggingConfiguration DestinationBucketName to the central access-log bucket (prop accessLogsBucketName or context key 'cdk-catalogue:access-logs-bucket', ${AWS::AccountId} and ${AWS::Region} filled in) and LogFilePrefix to '<stack name>/<construct path>/' unless the user set one, keeping the user's LogFilePrefix and TargetObjectKeyFormat and replacing a destination that is the bucket itself; the central bucket and buckets that other buckets log into are left as they are. The central bucket is the platform team's, outside the app: it must be in the same account and Region and its bucket policy must let logging.s3.amazonaws.com write",
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    const raw = resource.properties[PROPERTY];
    const logging = resolver.resolve(raw, resource.stack);
    const ownKeys = identityKeys(
      resource.logicalId,
      resource.stack,
      resource.properties.BucketName,
      resolver,
    );
    switch (logging.kind) {
      case 'absent':
        // A log bucket complies without logging: logging into itself would log every delivery of logs.
        return ownKeys.some((key) => logDestinations(resolver).has(key))
          ? compliant
          : nonCompliant(
              PROPERTY,
              'LoggingConfiguration is not set, so server access is not logged (and no other bucket logs into this one)',
            );
      case 'unknown':
        return knownAtDeployTime(PROPERTY, logging.description);
      case 'structure':
        if (isPlainObject(logging.value)) {
          return judgeDestination(logging.value.DestinationBucketName, ownKeys, resource.stack, resolver);
        }
    }
    return nonCompliant(PROPERTY, `LoggingConfiguration is ${describe(raw)}, not a logging configuration`);
  },
  remediate(resource, _params, context) {
    if (!(resource instanceof s3.CfnBucket)) {
      return notApplied('the bucket is not an s3.CfnBucket, so its LoggingConfiguration cannot be set');
    }
    const central = context.accessLogsBucketName();
    if (central === undefined) return notApplied(NO_CENTRAL_BUCKET);
    return logToCentralBucket(resource, central, context);
  },
});

const NO_CENTRAL_BUCKET =
  "no central access-log bucket was given: set the remediations' accessLogsBucketName prop or the context key 'cdk-catalogue:access-logs-bucket'";

/**
 * The stack's buckets as they render while the fix runs, read with the check's own notion of
 * which bucket a name or a reference means. The framework judges a bucket on its own, so a log
 * bucket that other buckets deliver to reaches the fix even though the check, seeing the whole
 * template, finds it compliant.
 */
class StackBuckets {
  private readonly template: StackTemplate;
  private readonly resolver: TemplateResolver;

  constructor(stack: Stack) {
    this.template = renderStack(stack, (resource) => resource.cfnResourceType === BUCKET);
    this.resolver = new TemplateResolver([this.template]);
  }

  properties(logicalId: string): Record<string, unknown> {
    return this.template.template.Resources?.[logicalId]?.Properties ?? {};
  }

  /** `name` (rendered) is the bucket's BucketName. */
  isNamed(logicalId: string, name: unknown): boolean {
    const key = nameKey(name, this.template, this.resolver);
    return key !== undefined && this.keysOf(logicalId).includes(key);
  }

  /** `destination` (a rendered DestinationBucketName) is the bucket itself, by Ref or by name. */
  isItself(logicalId: string, destination: unknown): boolean {
    const key = destinationKey(destination, this.template, this.resolver);
    return key !== undefined && this.keysOf(logicalId).includes(key);
  }

  /** Another bucket of the stack delivers its access logs to this one. */
  receivesLogs(logicalId: string): boolean {
    const destinations = logDestinations(this.resolver);
    return this.keysOf(logicalId).some((key) => destinations.has(key));
  }

  private keysOf(logicalId: string): string[] {
    return identityKeys(logicalId, this.template, this.properties(logicalId).BucketName, this.resolver);
  }
}

/**
 * Points the bucket's LoggingConfiguration at the central bucket, unless that would make a bucket
 * log into itself or replace a destination the user chose. The central bucket is the platform
 * team's, outside the app: S3 delivers logs only to a bucket in the same account and Region whose
 * bucket policy lets logging.s3.amazonaws.com write, which is theirs to grant, so nothing is added here.
 */
function logToCentralBucket(
  bucket: s3.CfnBucket,
  central: string,
  context: RemediationContext,
): RemediationResult {
  const { stack } = context;
  const logicalId = stack.resolve(bucket.logicalId) as string;
  const buckets = new StackBuckets(stack);
  // The configured name, placeholders and all, when the stack's account or Region is not known.
  const shown = Token.isUnresolved(central) ? (context.settings.accessLogsBucketName as string) : central;
  if (buckets.isNamed(logicalId, stack.resolve(central))) {
    return notApplied(
      `the bucket is the central access-log bucket named by accessLogsBucketName (${shown}), which must not deliver its access logs to itself`,
    );
  }
  if (buckets.properties(logicalId)[PROPERTY] === undefined && buckets.receivesLogs(logicalId)) {
    return notApplied(
      'other buckets in the stack deliver their access logs to this bucket: as their log bucket it complies without logging of its own, so it is left as it is',
    );
  }
  const merged = mergeDestination(bucket, central, shown, (destination) =>
    buckets.isItself(logicalId, stack.resolve(destination)),
  );
  if (typeof merged === 'string') return notApplied(merged);
  const previous = bucket.loggingConfiguration;
  bucket.loggingConfiguration = merged.configuration;
  if (!rendersAs(bucket, [PROPERTY, 'DestinationBucketName'], central)) {
    bucket.loggingConfiguration = previous;
    return notApplied(overriddenReason(PROPERTY, 'DestinationBucketName to the central log bucket'));
  }
  return changed(...merged.changes);
}

/**
 * The user's LoggingConfiguration with the central bucket as destination: their LogFilePrefix and
 * TargetObjectKeyFormat are kept. Only a missing destination, or the bucket itself, is replaced;
 * any other destination was the user's choice (an Arn by mistake, a Fn::If), so the reason to fix
 * it by hand is given instead.
 */
function mergeDestination(
  bucket: s3.CfnBucket,
  central: string,
  shown: string,
  isItself: (destination: string) => boolean,
): { configuration: s3.CfnBucket.LoggingConfigurationProperty; changes: string[] } | string {
  const current = bucket.loggingConfiguration;
  if (Tokenization.isResolvable(current)) {
    return `LoggingConfiguration is ${describe(Stack.of(bucket).resolve(current))}, computed as a whole, so the fix cannot merge a DestinationBucketName into it; give one in each of its branches`;
  }
  const changes: string[] = [];
  const destination = current?.destinationBucketName;
  if (destination === undefined || destination === '') {
    changes.push(`set LoggingConfiguration DestinationBucketName to ${shown}`);
  } else if (isItself(destination)) {
    changes.push(`changed LoggingConfiguration DestinationBucketName from the bucket itself to ${shown}`);
  } else {
    return `LoggingConfiguration DestinationBucketName is ${describe(Stack.of(bucket).resolve(destination))}, which the fix does not replace: name the log bucket by its name (Ref or bucketName)`;
  }
  const logFilePrefix = current?.logFilePrefix ?? logFilePrefixFor(bucket);
  if (current?.logFilePrefix === undefined)
    changes.push(`set LoggingConfiguration LogFilePrefix to ${logFilePrefix}`);
  return { configuration: { ...current, destinationBucketName: central, logFilePrefix }, changes };
}

/** `<stack name>/<construct path in the stack>/`: each bucket's logs apart in the shared bucket. */
function logFilePrefixFor(bucket: s3.CfnBucket): string {
  const stack = Stack.of(bucket);
  const scope = bucket.node.scope;
  // An L2 bucket's path without its `/Resource` child, as the user named it.
  const owner = scope && scope !== stack && scope.node.defaultChild === bucket ? scope : bucket;
  return `${stack.stackName}/${owner.node.path.slice(stack.node.path.length + 1)}/`;
}
