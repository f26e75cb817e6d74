import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { firstAcknowledgement } from '../engine/acknowledgement-ids';
import { Waiver } from '../engine/evaluate';

/**
 * Finds the acknowledgement closest to a construct (itself, then its ancestors) for a finding id,
 * in either form users write it: CDK's qualified `Pack::Pack-Rule` or the bare `Pack-Rule`.
 */
export function findAcknowledgement(
  construct: IConstruct,
  findingId: string,
  packNamespace: string,
): Waiver | undefined {
  const scopes = [...construct.node.scopes].reverse().map((scope) => ({
    path: scope.node.path,
    entries: scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => entry.data as unknown),
  }));
  return firstAcknowledgement(scopes, findingId, packNamespace);
}

/** True when CDK itself will match this acknowledgement to our violation and list it as suppressed. */
export function isQualifiedFor(waiver: Waiver, packNamespace: string): boolean {
  return waiver.id.startsWith(`${packNamespace}::`);
}
