import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Waiver } from '../engine/evaluate';

/** CDK writes `annotation::` (before 2.262.1) or `Annotation::` for ids acknowledged without a namespace. */
const ANNOTATION_NAMESPACE = /^annotation$/i;

/**
 * Finds the acknowledgement closest to a construct (itself, then its ancestors) for a finding id,
 * in either form users write it: CDK's qualified `Pack::Pack-Rule` or the bare `Pack-Rule`.
 */
export function findAcknowledgement(
  construct: IConstruct,
  findingId: string,
  packNamespace: string,
): Waiver | undefined {
  for (const scope of [...construct.node.scopes].reverse()) {
    for (const entry of scope.node.metadata) {
      if (
        entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY ||
        typeof entry.data !== 'object' ||
        !entry.data
      )
        continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        if (acknowledges(id, findingId, packNamespace)) {
          return { id, reason: String(reason ?? ''), acknowledgedAt: scope.node.path };
        }
      }
    }
  }
  return undefined;
}

function acknowledges(acknowledgedId: string, findingId: string, packNamespace: string): boolean {
  const separator = acknowledgedId.indexOf('::');
  if (separator === -1) return acknowledgedId === findingId;
  const namespace = acknowledgedId.slice(0, separator);
  const rule = acknowledgedId.slice(separator + 2);
  return rule === findingId && (namespace === packNamespace || ANNOTATION_NAMESPACE.test(namespace));
}

/** True when CDK itself will match this acknowledgement to our violation and list it as suppressed. */
export function isQualifiedFor(waiver: Waiver, packNamespace: string): boolean {
  return waiver.id.startsWith(`${packNamespace}::`);
}
