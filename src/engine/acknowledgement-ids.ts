import type { Waiver } from './evaluate';

/**
 * How acknowledgements cover findings, shared by the pack (reading the construct tree) and the
 * `check` command (reading the same metadata from a cloud assembly): no CDK import here.
 */

/** The metadata type CDK stores `Validations.of(x).acknowledge(...)` under, per construct path. */
export const ACKNOWLEDGED_RULES_METADATA_TYPE = 'aws:cdk:acknowledged-rules';

/** CDK writes `annotation::` (before 2.262.1) or `Annotation::` for ids acknowledged without a namespace. */
const ANNOTATION_NAMESPACE = /^annotation$/i;

/** The acknowledgements made on one construct: the data of its acknowledged-rules metadata entries. */
export interface AcknowledgingScope {
  /** The construct path (`Pipeline/UAT/AppStack/Bucket`). */
  readonly path: string;
  /** Each entry maps acknowledged ids to reasons, as CDK writes them; other shapes are ignored. */
  readonly entries: readonly unknown[];
}

/**
 * The first acknowledgement that covers a finding id, searching `scopes` in order (the construct
 * itself first, then its ancestors), in either form users write it: CDK's qualified
 * `Pack::Pack-Rule` or the bare `Pack-Rule`.
 */
export function firstAcknowledgement(
  scopes: Iterable<AcknowledgingScope>,
  findingId: string,
  packNamespace: string,
): Waiver | undefined {
  for (const scope of scopes) {
    for (const entry of scope.entries) {
      if (typeof entry !== 'object' || !entry) continue;
      for (const [id, reason] of Object.entries(entry as Record<string, unknown>)) {
        if (acknowledges(id, findingId, packNamespace)) {
          return { id, reason: String(reason ?? ''), acknowledgedAt: scope.path };
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
