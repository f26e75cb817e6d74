import { intrinsicName, isPlainObject, prop, propertyVariants } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
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
    remediation: 'sets LoggingConfiguration to deliver server access logs to a separate log bucket',
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
});
