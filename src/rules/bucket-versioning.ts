import type { aws_s3 as s3 } from 'aws-cdk-lib';
import { cdk } from './cdk';
import { isPlainObject, prop } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { CfnResourceJson, StackTemplate } from '../engine/template';
import { changed, notApplied, RemediationResult } from '../remediations/context';
import { overriddenReason, renderResource, rendersAs } from '../remediations/rendered';
import { compliant, defineRule, nonCompliant, Verdict } from './rule';
import { knownAtDeployTime } from './values';

const PROPERTY = 'VersioningConfiguration';
const ENABLED = 'Enabled';

/** `Enabled` is the only status that versions new writes; `Suspended` keeps old versions but makes no new ones. */
function judgeStatus(status: unknown, stack: StackTemplate, resolver: TemplateResolver): Verdict {
  const resolved = resolver.resolve(status, stack);
  switch (resolved.kind) {
    case 'absent':
      return nonCompliant(PROPERTY, 'VersioningConfiguration has no Status');
    case 'literal':
      return resolved.value === ENABLED
        ? compliant
        : nonCompliant(
            PROPERTY,
            `VersioningConfiguration Status is ${describe(resolved.value)}, not 'Enabled'`,
          );
    case 'unknown':
      return knownAtDeployTime(PROPERTY, resolved.description, `VersioningConfiguration Status`);
    default:
      return nonCompliant(PROPERTY, `VersioningConfiguration Status is ${describe(status)}, not 'Enabled'`);
  }
}

/** What the fix did, read from the configuration as it rendered before: `set ...` or `changed ... from X`. */
function describeFix(before: unknown): string {
  if (before === undefined) return 'set VersioningConfiguration Status to Enabled';
  if (!isPlainObject(before))
    return `replaced VersioningConfiguration ${describe(before)} with Status Enabled`;
  const status = before.Status;
  if (status === undefined || status === null) return 'set VersioningConfiguration Status to Enabled';
  const from = typeof status === 'string' ? status : describe(status);
  return `changed VersioningConfiguration Status from ${from} to Enabled`;
}

/** S3 buckets keep every version of their objects, so an overwrite or a deletion can be undone. */
export default defineRule({
  meta: {
    id: 'bucket-versioning',
    fix: {
      manually: 'turn versioning on (s3.Bucket versioned: true)',
      aspect: 'BucketVersioning',
      settings: [],
      onlyItsOwnProperties: true,
    },
    description: 'S3 buckets are versioned',
    resourceTypes: ['AWS::S3::Bucket'],
    compliantWhen:
      "VersioningConfiguration Status is 'Enabled'; a bucket without VersioningConfiguration, or with Status 'Suspended', does not comply",
    remediation:
      "sets VersioningConfiguration Status to 'Enabled' on the bucket (a 'Suspended' status too); noncurrent versions are then kept until a lifecycle rule expires them",
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    const raw = resource.properties[PROPERTY];
    const configuration = resolver.resolve(raw, resource.stack);
    switch (configuration.kind) {
      case 'absent':
        return nonCompliant(
          PROPERTY,
          'VersioningConfiguration is not set (buckets are unversioned by default)',
        );
      case 'unknown':
        return knownAtDeployTime(PROPERTY, configuration.description);
      case 'structure':
        if (isPlainObject(configuration.value)) {
          return judgeStatus(configuration.value.Status, resource.stack, resolver);
        }
    }
    return nonCompliant(
      PROPERTY,
      `VersioningConfiguration is ${describe(raw)}, not a versioning configuration`,
    );
  },
  remediate(resource, _params, context) {
    if (!(resource instanceof cdk.aws_s3.CfnBucket)) {
      return notApplied('the bucket is not an s3.CfnBucket, so its VersioningConfiguration cannot be set');
    }
    return enableVersioning(resource, context.judged ?? renderResource(resource)?.json);
  },
});

/**
 * VersioningConfiguration holds nothing but Status, so setting it whole drops no user value.
 * `rendered`: the bucket as it renders before the fix, for the words of what changed.
 */
function enableVersioning(bucket: s3.CfnBucket, rendered: CfnResourceJson | undefined): RemediationResult {
  const before = prop(rendered?.Properties, PROPERTY);
  const previous = bucket.versioningConfiguration;
  bucket.versioningConfiguration = { status: ENABLED };
  if (!rendersAs(bucket, [PROPERTY, 'Status'], ENABLED)) {
    bucket.versioningConfiguration = previous;
    return notApplied(overriddenReason('VersioningConfiguration', "Status 'Enabled'"));
  }
  return changed(describeFix(before));
}
