import type { WaiverScope } from '../catalogue/model';
import type { Waiver } from './evaluate';
import { parseWaiverText } from '../waivers/text';

/**
 * How acknowledgements cover findings, shared by the pack (reading the construct tree) and the
 * `check` command (reading the same metadata from a cloud assembly): no CDK import here.
 */

/** The metadata type CDK stores `Validations.of(x).acknowledge(...)` under, per construct path. */
export const ACKNOWLEDGED_RULES_METADATA_TYPE = 'aws:cdk:acknowledged-rules';

/** CDK writes `annotation::` (before 2.262.1) or `Annotation::` for ids acknowledged without a namespace. */
const ANNOTATION_NAMESPACE = /^annotation$/i;

/** One acknowledged-rules metadata entry: its data, and the user's line that wrote it. */
export interface AcknowledgementEntry {
  /** Maps acknowledged ids to reasons, as CDK writes it; other shapes are ignored. */
  readonly data: unknown;
  /** From the entry's creation trace, when CDK recorded one. */
  readonly source?: { readonly file: string; readonly line: number };
}

/** The acknowledgements made on one construct: its acknowledged-rules metadata entries. */
export interface AcknowledgingScope {
  /** The construct path (`Pipeline/UAT/AppStack/Bucket`). */
  readonly path: string;
  readonly entries: readonly AcknowledgementEntry[];
  /** What the construct is (a resource in a stack, a stack, a Stage, the App), for the policy's widestScope. */
  readonly scope: WaiverScope;
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
      if (typeof entry.data !== 'object' || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        if (acknowledges(id, findingId, packNamespace))
          return waiverOf(id, reason, scope, entry.source, packNamespace);
      }
    }
  }
  return undefined;
}

/** The waiver an acknowledgement makes, its text read for the governed fields. */
function waiverOf(
  id: string,
  text: unknown,
  at: AcknowledgingScope,
  source: AcknowledgementEntry['source'],
  packNamespace: string,
): Waiver {
  return {
    id,
    form: id.startsWith(`${packNamespace}::`) ? 'qualified' : 'bare',
    ...parseWaiverText(text),
    acknowledgedAt: at.path,
    scope: at.scope,
    ...(source && { source }),
  };
}

/**
 * What a construct path is, from what a cloud assembly knows (its stacks' and Stages' paths): the App
 * (the empty path), a Stage, a stack, in a stack (`resource`), else a construct that groups stacks,
 * which is as wide as a Stage.
 */
export function waiverScopeOfPath(
  path: string,
  known: { isStack(path: string): boolean; isStage(path: string): boolean },
): WaiverScope {
  if (path === '') return 'app';
  if (known.isStage(path)) return 'stage';
  if (known.isStack(path)) return 'stack';
  const segments = path.split('/');
  for (let depth = segments.length - 1; depth > 0; depth--) {
    const ancestor = segments.slice(0, depth).join('/');
    // The closest ancestor decides: a construct under a Stage that is not under one of its stacks groups them.
    if (known.isStack(ancestor)) return 'resource';
    if (known.isStage(ancestor)) return 'stage';
  }
  return 'stage';
}

/**
 * The finding id an acknowledgement aims at in this pack (`Pack::X` -> `X`; a bare or `annotation::`
 * id only when it reads `Pack-…`), or undefined when it belongs to another plugin.
 */
export function targetedFindingId(acknowledgedId: string, packNamespace: string): string | undefined {
  const separator = acknowledgedId.indexOf('::');
  const namespace = separator === -1 ? undefined : acknowledgedId.slice(0, separator);
  const rule = separator === -1 ? acknowledgedId : acknowledgedId.slice(separator + 2);
  if (namespace === packNamespace) return rule;
  const ours = rule.startsWith(`${packNamespace}-`);
  return ours && (namespace === undefined || ANNOTATION_NAMESPACE.test(namespace)) ? rule : undefined;
}

function acknowledges(acknowledgedId: string, findingId: string, packNamespace: string): boolean {
  const separator = acknowledgedId.indexOf('::');
  if (separator === -1) return acknowledgedId === findingId;
  const namespace = acknowledgedId.slice(0, separator);
  const rule = acknowledgedId.slice(separator + 2);
  return rule === findingId && (namespace === packNamespace || ANNOTATION_NAMESPACE.test(namespace));
}
