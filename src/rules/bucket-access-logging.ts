import type { aws_s3 as s3, Stack } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { compareEnvironments, environmentMismatch, EnvironmentMatch } from '../engine/environment';
import { Assumptions, conjoin, deploysWhenever } from '../engine/evidence';
import {
  describeAssumptions,
  intrinsicName,
  isPlainObject,
  prop,
  propertyVariants,
} from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationContext, RemediationResult } from '../remediations/context';
import { overriddenReason, rendersAs } from '../remediations/rendered';
import { renderedStackOf } from '../remediations/rendered-stack';
import { compliant, defineRule, nonCompliant, ResourceUnderCheck, unverifiable, Verdict } from './rule';
import { matchesWildcard, matchesWithGaps } from './pattern';
import { knownAtDeployTime } from './values';

const BUCKET = 'AWS::S3::Bucket';
const BUCKET_POLICY = 'AWS::S3::BucketPolicy';
const PROPERTY = 'LoggingConfiguration';
const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

type Text = { readonly text: string; readonly exact: boolean };

/** `${Name}` placeholders in a rendered name (`resolver.text`), as `Fn::Sub` writes them. */
const PLACEHOLDER = /\$\{([^}]*)\}/g;

/**
 * A bucket is named by keys: `bucket:<stack>/<logicalId>` when referenced (by `Ref`, or by `${Id}`
 * in `Fn::Sub`/`Fn::Join`), `name:<name>` for a name known at synth time, and
 * `deploy-time:<stack>:<rendering>` for a name computed at deploy time: the canonical rendering,
 * so the same expression in the same stack (one parameter, the same `Fn::Sub` or `Fn::Join`) gives
 * the same name however it is spelt.
 */
function nameKey(name: unknown, stack: StackTemplate, resolver: TemplateResolver): string | undefined {
  const resolved = resolver.resolve(name, stack);
  if (resolved.kind === 'absent' || (resolved.kind === 'literal' && resolved.value === '')) return undefined;
  if (resolved.kind === 'literal') return `name:${resolved.value}`;
  const { text } = resolver.text(name, stack);
  const referenced = /^\$\{([^}.]+)\}$/.exec(text)?.[1];
  if (referenced !== undefined && stack.template.Resources?.[referenced]?.Type === BUCKET) {
    return `bucket:${stack.stackId}/${referenced}`;
  }
  return `deploy-time:${stack.stackId}:${text}`;
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

/** The key of the bucket a `DestinationBucketName` (or a policy's `Bucket`) names: a `Ref` to a bucket (imports followed), or a name. */
function destinationKey(destination: unknown, stack: StackTemplate, resolver: TemplateResolver) {
  const resolved = resolver.resolve(destination, stack);
  if (resolved.kind === 'resource' && resolved.resource.Type === BUCKET && resolved.attribute === undefined) {
    return `bucket:${resolved.stack.stackId}/${resolved.logicalId}`;
  }
  return nameKey(destination, stack, resolver);
}

/** Something another resource says of a bucket, and the conditions under which that resource deploys. */
interface Evidence {
  /** The key of the bucket it is about. */
  readonly key: string;
  readonly logicalId: string;
  readonly stack: StackTemplate;
  readonly assumptions: Assumptions;
}

/** Each way every resource of a type can deploy, across all templates. */
function variantsOfType(type: string, resolver: TemplateResolver) {
  return resolver
    .resourcesOfType(type)
    .flatMap(({ logicalId, resource, stack }) =>
      propertyVariants(isPlainObject(resource.Properties) ? resource.Properties : {}, resource.Condition).map(
        ({ properties, assumptions }) => ({ logicalId, stack, properties, assumptions }),
      ),
    );
}

/** Each bucket that delivers its access logs to another bucket, in each way it can deploy. Built once per run. */
function logClaims(resolver: TemplateResolver): readonly Evidence[] {
  return resolver.memoize('bucket-access-logging:claims', () =>
    variantsOfType(BUCKET, resolver).flatMap(({ logicalId, stack, properties, assumptions }) => {
      const destination = prop(prop(properties, PROPERTY), 'DestinationBucketName');
      const key = destinationKey(destination, stack, resolver);
      const ownKeys = identityKeys(logicalId, stack, properties.BucketName, resolver);
      return key && !ownKeys.includes(key) ? [{ key, logicalId, stack, assumptions }] : [];
    }),
  );
}

/**
 * Each bucket policy that lets the S3 logging service write into its bucket (what CDK renders for
 * `serverAccessLogsBucket`), in each way it can deploy. Built once per run.
 */
function logDeliveryPolicies(resolver: TemplateResolver): readonly Evidence[] {
  return resolver.memoize('bucket-access-logging:log-delivery-policies', () =>
    variantsOfType(BUCKET_POLICY, resolver).flatMap(({ logicalId, stack, properties, assumptions }) => {
      const key = destinationKey(properties.Bucket, stack, resolver);
      return key && allowsLogDelivery(properties.PolicyDocument, stack, resolver)
        ? [{ key, logicalId, stack, assumptions }]
        : [];
    }),
  );
}

/** A statement allows `logging.s3.amazonaws.com` the action `s3:PutObject` (or a wildcard that covers it). */
function allowsLogDelivery(document: unknown, stack: StackTemplate, resolver: TemplateResolver): boolean {
  const exactTexts = (value: unknown) =>
    listOf(value)
      .map((item) => resolver.text(item, stack))
      .filter((text) => text.exact)
      .map((text) => text.text);
  return listOf(prop(document, 'Statement')).some(
    (statement) =>
      exactTexts(prop(statement, 'Effect')).includes('Allow') &&
      exactTexts(prop(prop(statement, 'Principal'), 'Service')).includes(LOG_DELIVERY_SERVICE) &&
      exactTexts(prop(statement, 'Action')).some((action) => matchesWildcard(action, 's3:PutObject')),
  );
}

function listOf(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/**
 * The bucket's own ACL grants the S3 log delivery group write access: what CDK renders for
 * `serverAccessLogsBucket` unless `@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy` is set, and the
 * way S3 documented log buckets before bucket policies. It holds only while ACLs are enabled
 * (ObjectOwnership BucketOwnerEnforced disables them).
 */
function hasLogDeliveryAcl(
  properties: Record<string, unknown>,
  stack: StackTemplate,
  resolver: TemplateResolver,
) {
  const acl = resolver.text(properties.AccessControl, stack);
  const ownership = listOf(prop(properties.OwnershipControls, 'Rules')).map((rule) =>
    resolver.text(prop(rule, 'ObjectOwnership'), stack),
  );
  return (
    acl.exact &&
    acl.text === 'LogDeliveryWrite' &&
    ownership.every((rule) => rule.exact && rule.text !== 'BucketOwnerEnforced')
  );
}

/** A condition as seen from the target's stack: conditions are named per template, others told apart by their stack's id. */
function conditionName(name: string, of: StackTemplate, target: StackTemplate): string {
  return of.stackId === target.stackId ? name : `${name} (stack ${of.stackId})`;
}

/**
 * The conditions under which a stack deploys at all: a nested stack deploys only when the
 * `Condition` of its `AWS::CloudFormation::Stack` resource (and of each one above) holds.
 */
function stackConditions(
  stack: StackTemplate,
  target: StackTemplate,
  resolver: TemplateResolver,
): Assumptions {
  const conditions: Array<readonly [string, boolean]> = [];
  const seen = new Set<string>();
  for (let child = stack; child.parent && !seen.has(child.stackId);) {
    seen.add(child.stackId);
    const { stackId, logicalId } = child.parent;
    const parent = resolver.stacks.find((candidate) => candidate.stackId === stackId);
    if (!parent) break;
    const condition = parent.template.Resources?.[logicalId]?.Condition;
    if (typeof condition === 'string') conditions.push([conditionName(condition, parent, target), true]);
    child = parent;
  }
  return conditions;
}

/** The conditions under which a piece of evidence deploys, as seen from the target's stack. */
function conditionsAsSeenFrom(
  target: StackTemplate,
  evidence: Evidence,
  resolver: TemplateResolver,
): Assumptions {
  return [
    ...evidence.assumptions.map(
      ([name, outcome]) => [conditionName(name, evidence.stack, target), outcome] as const,
    ),
    ...stackConditions(evidence.stack, target, resolver),
  ];
}

const NOT_LOGGED = 'LoggingConfiguration is not set, so server access is not logged';
const NOT_LOGGING = `${NOT_LOGGED} (and no other bucket logs into this one)`;

/**
 * A bucket without logging complies as a log bucket: logging into itself would log every delivery
 * of logs. It must evidently be one: another bucket that deploys in the same account and region
 * delivers its logs to it, and its ACL or a bucket policy that deploys with it lets S3 deliver.
 */
function judgeLogBucket(
  resource: ResourceUnderCheck,
  ownKeys: readonly string[],
  resolver: TemplateResolver,
): Verdict {
  const { stack } = resource;
  const about = (evidence: readonly Evidence[]) =>
    evidence
      .filter((item) => ownKeys.includes(item.key))
      .map((item) => ({ ...item, match: compareEnvironments(stack, item.stack) }));
  const claims = about(logClaims(resolver));
  const policies = about(logDeliveryPolicies(resolver));
  const reachable = claims.filter((claim) => claim.match !== 'different');
  if (reachable.length === 0) {
    const elsewhere = claims[0];
    return nonCompliant(
      PROPERTY,
      elsewhere
        ? `${NOT_LOGGED} (bucket ${elsewhere.logicalId} logs into this one, but S3 delivers access logs only within one account and region: ${environmentMismatch('different', stack, elsewhere.stack)})`
        : NOT_LOGGING,
    );
  }
  const acl: Assumptions[] = hasLogDeliveryAcl(resource.properties, stack, resolver) ? [[]] : [];
  /** The conditions under which a claim and a permission deploy together, from stacks whose match is allowed. */
  const together = (allowed: readonly EnvironmentMatch[]) => {
    const permissions = [
      ...acl,
      ...policies
        .filter((p) => allowed.includes(p.match))
        .map((p) => conditionsAsSeenFrom(stack, p, resolver)),
    ];
    return claims
      .filter((claim) => allowed.includes(claim.match))
      .flatMap((claim) => permissions.map((p) => conjoin(conditionsAsSeenFrom(stack, claim, resolver), p)))
      .filter((both): both is Assumptions => both !== undefined);
  };
  const deploys = [...resource.assumptions, ...stackConditions(stack, stack, resolver)];
  const loggers = `bucket ${[...new Set(reachable.map((c) => c.logicalId))].join(', ')} logs into this one`;
  const sure = deploysWhenever(together(['same']), deploys);
  if (sure.holds) return compliant;
  if (deploysWhenever(together(['same', 'undecided']), deploys).holds) {
    const undecided = [...claims, ...policies].find(
      (item) => item.match === 'undecided',
    ) as (typeof claims)[0];
    return unverifiable(
      PROPERTY,
      `${NOT_LOGGED}; ${loggers}, but S3 delivers access logs only within one account and region and ${environmentMismatch('undecided', stack, undecided.stack)}`,
    );
  }
  if (acl.length === 0 && !policies.some((p) => p.match !== 'different')) {
    return nonCompliant(
      PROPERTY,
      `${NOT_LOGGED}; ${loggers}, but nothing shows it is a log bucket: no bucket policy allows ${LOG_DELIVERY_SERVICE} s3:PutObject into it and its AccessControl is not LogDeliveryWrite`,
    );
  }
  return nonCompliant(
    PROPERTY,
    sure.when.length > 0
      ? `when ${describeAssumptions(sure.when)}: ${NOT_LOGGED}; ${loggers}, but no such bucket deploys then together with a bucket policy or ACL that lets S3 deliver its logs`
      : `${NOT_LOGGED}; ${loggers}, but never together with a bucket policy or ACL that lets S3 deliver its logs`,
  );
}

/**
 * A bucket that logs into itself keeps its audit trail where an intruder changes the data, and each
 * delivery of logs is logged again, an endless loop the S3 documentation recommends against.
 */
const SELF_LOGGING = 'which is no separate audit trail';

function isParameter(name: string, stack: StackTemplate): boolean {
  return Object.prototype.hasOwnProperty.call(stack.template.Parameters ?? {}, name);
}

/** The parameters of the stack that a rendered name holds as `${Name}` placeholders. */
function parametersIn(name: Text, stack: StackTemplate): string[] {
  return [...name.text.matchAll(PLACEHOLDER)].map((match) => match[1]).filter((p) => isParameter(p, stack));
}

/** The name as it deploys when the deployer passes no parameter values: each top-level parameter's Default filled in. */
function byDefault(name: Text, stack: StackTemplate, resolver: TemplateResolver): Text {
  if (stack.parent) return name; // a nested stack's parameters are what its parent passes
  let exact = true;
  const text = name.text.replace(PLACEHOLDER, (placeholder, variable: string) => {
    const fallback = isParameter(variable, stack) ? resolver.parameterDefault(variable, stack) : undefined;
    const filled = fallback === undefined ? undefined : resolver.text(fallback, stack);
    exact &&= filled?.exact === true;
    return filled?.exact ? filled.text : placeholder;
  });
  return { text, exact };
}

/**
 * Whether two rendered names may be the same name at deploy time: each placeholder may stand for
 * any text, so only literal text that differs (at the start or end) tells them apart.
 */
function mayBeSameName(a: Text, b: Text): boolean {
  if (a.exact && b.exact) return a.text === b.text;
  const [pa, pb] = [a, b].map((name) =>
    name.exact ? [name.text] : name.text.split(PLACEHOLDER).filter((_, i) => i % 2 === 0),
  );
  // Bucket names hold no `$`, `{` or `}`: a rendering that leaves them is not understood, so anything may match.
  if ([...pa, ...pb].some((segment) => /[${}]/.test(segment))) return true;
  if (a.exact || b.exact) {
    const [literal, parts] = a.exact ? [a.text, pb] : [b.text, pa];
    return matchesWithGaps(parts, literal);
  }
  const [startA, startB, endA, endB] = [pa[0], pb[0], pa[pa.length - 1], pb[pb.length - 1]];
  return (
    (startA.startsWith(startB) || startB.startsWith(startA)) && (endA.endsWith(endB) || endB.endsWith(endA))
  );
}

/**
 * A destination that names the bucket itself, by meaning: by `Ref` or `${Id}`, by the same name
 * however spelt, by the parameter Defaults a deployer gets unless they pass other values; and a
 * destination only known at deploy time that may be the bucket's own name.
 */
function judgeSelfLogging(
  destination: unknown,
  bucketName: unknown,
  ownKeys: readonly string[],
  stack: StackTemplate,
  resolver: TemplateResolver,
): Verdict {
  const key = destinationKey(destination, stack, resolver);
  if (key !== undefined && ownKeys.includes(key)) {
    return nonCompliant(
      PROPERTY,
      `LoggingConfiguration DestinationBucketName is the bucket itself, ${SELF_LOGGING}`,
    );
  }
  const target = resolver.text(destination, stack);
  const own =
    nameKey(bucketName, stack, resolver) === undefined ? undefined : resolver.text(bucketName, stack);
  const deployerChosen = parametersIn(target, stack);
  if (own) {
    const [targetByDefault, ownByDefault] = [
      byDefault(target, stack, resolver),
      byDefault(own, stack, resolver),
    ];
    if (targetByDefault.exact && ownByDefault.exact && targetByDefault.text === ownByDefault.text) {
      return nonCompliant(
        PROPERTY,
        `LoggingConfiguration DestinationBucketName is ${target.text} and the bucket's BucketName ${own.text}: with the parameters' defaults both are ${ownByDefault.text}, so unless the deployer passes other values the bucket logs into itself, ${SELF_LOGGING}`,
      );
    }
  }
  // Without a BucketName, CloudFormation generates the name: only a value the deployer types in can repeat it.
  const mayBeItself = own ? mayBeSameName(target, own) : deployerChosen.length > 0;
  if (!mayBeItself) return compliant;
  const source =
    deployerChosen.length > 0
      ? `parameter ${deployerChosen.join(', ')}, chosen at deploy time,`
      : 'values only known at deploy time';
  return unverifiable(
    PROPERTY,
    `LoggingConfiguration DestinationBucketName is ${target.text}, which depends on ${source} and may be the bucket's own name (${own ? `BucketName ${own.text}` : 'the name CloudFormation generates for it'}), so the bucket may log into itself`,
  );
}

function judgeDestination(
  destination: unknown,
  bucketName: unknown,
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
  // A name from an import or a computed string names another bucket unless it may be this one's.
  return judgeSelfLogging(destination, bucketName, ownKeys, stack, resolver);
}

/** S3 buckets log server access to a separate bucket, or are themselves such a log bucket. */
export default defineRule({
  meta: {
    id: 'bucket-access-logging',
    fix: {
      manually:
        'log server access to a separate bucket (s3.Bucket serverAccessLogsBucket, or LoggingConfiguration on the CfnBucket)',
      aspect: 'BucketAccessLogging',
      onlyItsOwnProperties: true,
      settings: ['accessLogsBucketName'],
    },
    description: 'S3 buckets log server access',
    resourceTypes: [BUCKET],
    compliantWhen:
      "LoggingConfiguration names a DestinationBucketName that is not the bucket itself, or the bucket is evidently a log bucket. Not the bucket itself: names are compared by meaning (a Ref, `${LogicalId}`, and the same name written as a literal, Fn::Join or Fn::Sub, pseudo parameters filled in where the stack's account and region are known, are one name); a destination that equals the bucket's own name once each template parameter takes its Default is self-logging (non-compliant); a destination that depends on a parameter (or, when the bucket has a BucketName, on any deploy-time value) and may still equal the bucket's own name is unverifiable, while one whose literal text rules that out (or, without a BucketName, an import or custom-resource value) complies; a LoggingConfiguration without DestinationBucketName logs into the bucket itself and does not comply. Evidently a log bucket (only with no LoggingConfiguration at all): another bucket delivers its access logs to it (DestinationBucketName by Ref, `${LogicalId}`, import or the same name) AND S3 is allowed to deliver them, by an AWS::S3::BucketPolicy on this bucket (Bucket by Ref or name) with an Allow statement for Principal Service logging.s3.amazonaws.com and an Action covering s3:PutObject (what CDK renders for serverAccessLogsBucket with @aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy), or by the bucket's own AccessControl LogDeliveryWrite with ACLs enabled (what CDK renders for it otherwise). Both must deploy whenever the bucket does: a claiming bucket or policy with a Condition, or inside a Fn::If branch, counts only for the condition outcomes the bucket itself assumes (otherwise non-compliant, naming the outcome that fails; conditions are taken as independent); and they must be in a stack of the same account and region (S3 delivers access logs only there): another account or region never counts, and a stack whose environment cannot be compared (one environment-agnostic, the other not) makes the verdict unverifiable",
    remediation:
      "sets LoggingConfiguration DestinationBucketName to the central access-log bucket (prop accessLogsBucketName or context key 'cdk-catalogue:access-logs-bucket', ${AWS::AccountId} and ${AWS::Region} filled in) and LogFilePrefix to '<stack name>/<construct path>/' unless the user set one, keeping the user's LogFilePrefix and TargetObjectKeyFormat and replacing a destination that is the bucket itself; the central bucket and buckets the check exempts as evident log buckets are left as they are (a bucket that others log into without the log-delivery permission gets its own logging to the central bucket, which is no loop). The central bucket is the platform team's, outside the app: it must be in the same account and Region and its bucket policy must let logging.s3.amazonaws.com write",
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
        return judgeLogBucket(resource, ownKeys, resolver);
      case 'unknown':
        return knownAtDeployTime(PROPERTY, logging.description);
      case 'structure':
        if (isPlainObject(logging.value)) {
          return judgeDestination(
            logging.value.DestinationBucketName,
            resource.properties.BucketName,
            ownKeys,
            resource.stack,
            resolver,
          );
        }
    }
    return nonCompliant(PROPERTY, `LoggingConfiguration is ${describe(raw)}, not a logging configuration`);
  },
  remediate(resource, _params, context) {
    if (!(resource instanceof cdk.aws_s3.CfnBucket)) {
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
 * The stack's buckets and bucket policies as they render while the fix runs, read with the check's
 * own notion of which bucket a name or a reference means. The framework judges a bucket on its
 * own, so a log bucket that other buckets deliver to reaches the fix even though the check, seeing
 * the whole template, finds it compliant.
 */
class StackBuckets {
  private readonly template: StackTemplate;
  private readonly resolver: TemplateResolver;

  constructor(stack: Stack) {
    // The remediations' kept rendering: rendering every bucket again for each bucket's fix would cost
    // the square of the buckets.
    this.template = renderedStackOf(stack).template();
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

  /** The check exempts the bucket, in every way it can deploy, as an evident log bucket of the stack. */
  isEvidentLogBucket(logicalId: string): boolean {
    const resource = this.template.template.Resources?.[logicalId];
    return propertyVariants(this.properties(logicalId), resource?.Condition).every(
      ({ properties, assumptions }) =>
        properties[PROPERTY] === undefined &&
        judgeLogBucket(
          { logicalId, type: BUCKET, properties, assumptions, stack: this.template },
          identityKeys(logicalId, this.template, properties.BucketName, this.resolver),
          this.resolver,
        ).status === 'compliant',
    );
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
  const shown = cdk.Token.isUnresolved(central) ? (context.settings.accessLogsBucketName as string) : central;
  if (buckets.isNamed(logicalId, stack.resolve(central))) {
    return notApplied(
      `the bucket is the central access-log bucket named by accessLogsBucketName (${shown}), which must not deliver its access logs to itself`,
    );
  }
  if (buckets.isEvidentLogBucket(logicalId)) {
    return notApplied(
      'other buckets in the stack deliver their access logs to this bucket, which lets S3 deliver them: as their log bucket it complies without logging of its own, so it is left as it is',
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
  if (cdk.Tokenization.isResolvable(current)) {
    return `LoggingConfiguration is ${describe(cdk.Stack.of(bucket).resolve(current))}, computed as a whole, so the fix cannot merge a DestinationBucketName into it; give one in each of its branches`;
  }
  const changes: string[] = [];
  const destination = current?.destinationBucketName;
  if (destination === undefined || destination === '') {
    changes.push(`set LoggingConfiguration DestinationBucketName to ${shown}`);
  } else if (isItself(destination)) {
    changes.push(`changed LoggingConfiguration DestinationBucketName from the bucket itself to ${shown}`);
  } else {
    return `LoggingConfiguration DestinationBucketName is ${describe(cdk.Stack.of(bucket).resolve(destination))}, which the fix does not replace: name the log bucket by its name (Ref or bucketName)`;
  }
  const logFilePrefix = current?.logFilePrefix ?? logFilePrefixFor(bucket);
  if (current?.logFilePrefix === undefined)
    changes.push(`set LoggingConfiguration LogFilePrefix to ${logFilePrefix}`);
  return { configuration: { ...current, destinationBucketName: central, logFilePrefix }, changes };
}

/** `<stack name>/<construct path in the stack>/`: each bucket's logs apart in the shared bucket. */
function logFilePrefixFor(bucket: s3.CfnBucket): string {
  const stack = cdk.Stack.of(bucket);
  const scope = bucket.node.scope;
  // An L2 bucket's path without its `/Resource` child, as the user named it.
  const owner = scope && scope !== stack && scope.node.defaultChild === bucket ? scope : bucket;
  return `${stack.stackName}/${owner.node.path.slice(stack.node.path.length + 1)}/`;
}
