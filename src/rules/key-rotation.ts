import { cdk } from './cdk';
import { changed, notApplied } from '../remediations/context';
import { defineRule, notApplicable, unverifiable } from './rule';
import { requireTrue } from './values';

const SYMMETRIC = 'SYMMETRIC_DEFAULT';

/**
 * KMS keys rotate. Only symmetric encryption keys can rotate automatically; asymmetric and HMAC
 * keys are not applicable.
 */
export default defineRule({
  meta: {
    id: 'key-rotation',
    fix: {
      manually: 'turn rotation on (kms.Key enableKeyRotation: true)',
      aspect: 'KeyRotation',
      settings: [],
      onlyItsOwnProperties: true,
    },
    description: 'KMS keys rotate their key material automatically',
    resourceTypes: ['AWS::KMS::Key'],
    compliantWhen:
      'symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT, the default) have EnableKeyRotation true; other key specs are not applicable',
    remediation: 'sets EnableKeyRotation to true on the key',
    paramsSchema: { type: 'object', additionalProperties: false, properties: {} },
  },
  check(resource, _params, resolver) {
    const rotation = requireTrue(resource, 'EnableKeyRotation', resolver);
    if (rotation.status === 'compliant') return rotation;
    const keySpec = resolver.resolve(resource.properties.KeySpec, resource.stack);
    if (keySpec.kind === 'literal' && keySpec.value !== SYMMETRIC) {
      return notApplicable(`KeySpec ${keySpec.value} keys cannot rotate automatically`);
    }
    if (keySpec.kind === 'unknown') {
      return unverifiable(
        'KeySpec',
        `KeySpec comes from ${keySpec.description}, so whether the key can rotate is only known at deploy time`,
      );
    }
    return rotation;
  },
  remediate(resource) {
    if (!(resource instanceof cdk.aws_kms.CfnKey))
      return notApplied('the key is not a kms.CfnKey, so its rotation cannot be set');
    resource.enableKeyRotation = true;
    return changed('set EnableKeyRotation to true');
  },
});
