import type { AssemblyAcknowledgement, SourceLocation } from '../assembly';
import { Catalogue, CentralWaiver, DEFAULT_WAIVER_POLICY, WaiverScope } from '../catalogue/model';
import { targetedFindingId } from '../engine/acknowledgement-ids';
import { isoDateValue, waiverRefusals } from './policy';
import { formatWaiverText, parseWaiverText, WaiverText } from './text';
import { compileConstructPathGlob } from './glob';
import { centralWaiverId, isAimedAt, NAMES_NO_STACK, namedStackOf } from '../engine/central-waivers';

/**
 * The review of every waiver in a cloud assembly, for `cdk-catalogue suppressions`: each one judged
 * against the catalogue's policy on a given day, with the findings it covers, and what changed
 * since another assembly. Pure: the CLI reads the assembly and judges it, this decides.
 */

/**
 * `refused`: the policy refuses it, its control cannot be waived, or it names no control (a typo);
 * `expired`: past its date and otherwise in order; `stale`: covers no finding; else `active`.
 */
export type WaiverStatus = 'active' | 'expired' | 'refused' | 'stale';

export interface ReviewedWaiver {
  /** The control id (`S3.1`), as the acknowledged id names it, even when the catalogue has no such control. */
  readonly control: string;
  readonly stackId: string;
  readonly constructPath: string;
  /** What it is made on: a construct in a stack (`resource`), a stack, a Stage, the App, or `central` (the catalogue's file). */
  readonly scope: WaiverScope | 'central';
  /** The id as acknowledged (`Enterprise::Enterprise-S3.1`, `Annotation::Enterprise-S3.1`). */
  readonly id: string;
  /** The acknowledgement's whole text, as written. */
  readonly text: string;
  readonly reason: string;
  readonly ticket?: string;
  readonly expires?: string;
  readonly approvedBy?: string;
  readonly status: WaiverStatus;
  /** Every way it breaks the policy, in words (empty when it keeps it). */
  readonly refusedBecause: readonly string[];
  readonly source?: SourceLocation;
  /** How many evaluations it waives, or would waive if the policy allowed it. */
  readonly resourcesCovered: number;
}

/** Which waiver covered an evaluation: the construct path it was made on and its id as acknowledged. */
export interface CoveringWaiver {
  readonly acknowledgedAt: string;
  readonly id: string;
}

export interface ReviewInput {
  readonly catalogue: Catalogue;
  /** The stacks of the assembly, by construct path: which central waivers aim at it, and whether each names a stack. */
  readonly stackIds: readonly string[];
  /** Every acknowledgement of the assembly; those aimed at other plugins are left out of the review. */
  readonly acknowledgements: readonly AssemblyAcknowledgement[];
  /** For each evaluation a waiver covered (waived, or acknowledged and refused), that waiver. */
  readonly covering: readonly CoveringWaiver[];
  /** The day waivers are judged on, `YYYY-MM-DD` in UTC. */
  readonly today: string;
}

const UNKNOWN_CONTROL = 'it names no control of the catalogue';

/** Every waiver aimed at the catalogue's pack, in a stable order (stack, construct path, id). */
export function reviewWaivers(input: ReviewInput): ReviewedWaiver[] {
  const packName = input.catalogue.metadata.packName;
  const coverage = new Map<string, number>();
  for (const { acknowledgedAt, id } of input.covering) {
    const key = keyOf(acknowledgedAt, id);
    coverage.set(key, (coverage.get(key) ?? 0) + 1);
  }
  const acknowledged = input.acknowledgements.flatMap((acknowledgement) => {
    const findingId = targetedFindingId(acknowledgement.id, packName);
    if (findingId === undefined) return [];
    const control = findingId.startsWith(`${packName}-`) ? findingId.slice(packName.length + 1) : findingId;
    const covered = coverage.get(keyOf(acknowledgement.constructPath, acknowledgement.id)) ?? 0;
    return [judge(acknowledgement, control, covered, input)];
  });
  const central = (input.catalogue.centralWaivers ?? [])
    .filter((entry) => isAimedAt(entry, input.stackIds))
    .map((entry) => judgeCentral(entry, coverage.get(keyOf(entry.path, centralWaiverId(entry))) ?? 0, input));
  return [...acknowledged.sort(compareWaivers), ...central];
}

/** A central waiver as the review lists it: its glob as the construct path, its file and line as the source. */
function judgeCentral(entry: CentralWaiver, resourcesCovered: number, input: ReviewInput): ReviewedWaiver {
  const named = namedStackOf(compileConstructPathGlob(entry.path).literalSegments, (path) =>
    input.stackIds.includes(path),
  );
  const fields = {
    reason: entry.reason,
    ticket: entry.ticket,
    expires: entry.expires,
    ...(entry.approvedBy !== undefined && { approvedBy: entry.approvedBy }),
    ...(named === undefined && { problems: [NAMES_NO_STACK] }),
  };
  return {
    ...verdictOf(fields, entry.control, resourcesCovered, input),
    stackId: named ?? '(names no stack)',
    constructPath: entry.path,
    scope: 'central',
    id: centralWaiverId(entry),
    text: formatWaiverText(fields),
    source: { file: entry.source.file, line: entry.source.line },
  };
}

function judge(
  acknowledgement: AssemblyAcknowledgement,
  control: string,
  resourcesCovered: number,
  input: ReviewInput,
): ReviewedWaiver {
  const fields = { ...parseWaiverText(acknowledgement.text), scope: acknowledgement.scope };
  return {
    ...verdictOf(fields, control, resourcesCovered, input),
    stackId: acknowledgement.stackId,
    constructPath: acknowledgement.constructPath,
    scope: acknowledgement.scope,
    id: acknowledgement.id,
    text: textOf(acknowledgement.text),
    ...(acknowledgement.source && { source: acknowledgement.source }),
  };
}

/** The fields, status and refusals of a waiver of `control`, whatever form it was written in. */
function verdictOf(
  fields: WaiverText & { readonly scope?: WaiverScope },
  control: string,
  resourcesCovered: number,
  input: ReviewInput,
) {
  const found = input.catalogue.controls.find((c) => c.id === control);
  const policy = input.catalogue.waivers ?? DEFAULT_WAIVER_POLICY;
  const refusedBecause = found
    ? waiverRefusals(fields, policy, found.suppressible, input.today)
    : [UNKNOWN_CONTROL];
  const expired = isPast(fields.expires, input.today);
  // An expired waiver has exactly one refusal for its date; any other makes it refused.
  const refused = refusedBecause.length > (expired ? 1 : 0);
  const status: WaiverStatus = refused
    ? 'refused'
    : expired
      ? 'expired'
      : resourcesCovered === 0
        ? 'stale'
        : 'active';
  return {
    control,
    reason: fields.reason,
    ...defined({ ticket: fields.ticket, expires: fields.expires, approvedBy: fields.approvedBy }),
    status,
    refusedBecause,
    resourcesCovered,
  };
}

/** Whether the waiver's expiry date is a valid date before `today` (it holds through its day, UTC). */
function isPast(expires: string | undefined, today: string): boolean {
  const end = expires === undefined ? undefined : isoDateValue(expires);
  const now = isoDateValue(today);
  return end !== undefined && now !== undefined && end < now;
}

/** The policy holds when no waiver is refused or expired; a stale one is only a warning. */
export function policyHolds(waivers: readonly ReviewedWaiver[]): boolean {
  return waivers.every((w) => w.status === 'active' || w.status === 'stale');
}

export interface WaiverDiff {
  readonly added: readonly ReviewedWaiver[];
  readonly removed: readonly ReviewedWaiver[];
  /** Same stack, construct path and id; another text. */
  readonly changed: readonly { readonly before: ReviewedWaiver; readonly after: ReviewedWaiver }[];
}

/** What the head assembly adds, removes and changes among the base's waivers. */
export function diffWaivers(base: readonly ReviewedWaiver[], head: readonly ReviewedWaiver[]): WaiverDiff {
  const identity = (w: ReviewedWaiver) => JSON.stringify([w.stackId, w.constructPath, w.id]);
  const before = new Map(base.map((w) => [identity(w), w]));
  const after = new Map(head.map((w) => [identity(w), w]));
  return {
    added: head.filter((w) => !before.has(identity(w))),
    removed: base.filter((w) => !after.has(identity(w))),
    changed: head.flatMap((w) => {
      const old = before.get(identity(w));
      return old && old.text !== w.text ? [{ before: old, after: w }] : [];
    }),
  };
}

/** Metadata is the app's to write: a text that is no string is shown as its JSON. */
function textOf(text: unknown): string {
  return typeof text === 'string' ? text : (JSON.stringify(text) ?? '');
}

function defined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function keyOf(constructPath: string, id: string): string {
  return JSON.stringify([constructPath, id]);
}

function compareWaivers(a: ReviewedWaiver, b: ReviewedWaiver): number {
  return (
    a.stackId.localeCompare(b.stackId) ||
    a.constructPath.localeCompare(b.constructPath) ||
    a.id.localeCompare(b.id)
  );
}
