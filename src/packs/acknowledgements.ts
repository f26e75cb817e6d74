import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  AcknowledgingScope,
  acknowledgementsOf,
  firstAcknowledgement,
  targetedFindingId,
} from '../engine/acknowledgement-ids';
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
  const scopes = [...construct.node.scopes].reverse().map(acknowledgingScope);
  return firstAcknowledgement(scopes, findingId, packNamespace);
}

function acknowledgingScope(scope: IConstruct): AcknowledgingScope {
  return {
    path: scope.node.path,
    entries: scope.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .map((entry) => entry.data as unknown),
  };
}

/** Every acknowledgement made in the tree under `root` (itself included) that aims at this pack. */
export function packAcknowledgementsUnder(
  root: IConstruct,
  packNamespace: string,
): { readonly id: string; readonly path: string; readonly findingId: string }[] {
  return acknowledgementsOf(root.node.findAll().map(acknowledgingScope)).flatMap(({ id, path }) => {
    const findingId = targetedFindingId(id, packNamespace);
    return findingId === undefined ? [] : [{ id, path, findingId }];
  });
}

/** True when CDK itself will match this acknowledgement to our violation and list it as suppressed. */
export function isQualifiedFor(waiver: Waiver, packNamespace: string): boolean {
  return waiver.id.startsWith(`${packNamespace}::`);
}
