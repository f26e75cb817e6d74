import { isPlainObject } from '../engine/intrinsics';
import { describe, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
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

/** S3 buckets keep every version of their objects, so an overwrite or a deletion can be undone. */
export default defineRule({
  meta: {
    id: 'bucket-versioning',
    description: 'S3 buckets are versioned',
    resourceTypes: ['AWS::S3::Bucket'],
    compliantWhen:
      "VersioningConfiguration Status is 'Enabled'; a bucket without VersioningConfiguration, or with Status 'Suspended', does not comply",
    remediation: "sets VersioningConfiguration Status to 'Enabled' on the bucket",
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
});
