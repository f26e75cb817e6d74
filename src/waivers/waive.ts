import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { formatWaiverText, parseWaiverText } from './text';

/** The construct metadata type a waiver's fields travel under into the cloud assembly. */
export const WAIVER_METADATA_TYPE = 'cdk-catalogue:waiver';

/** A governed waiver of one control's findings on a construct and everything under it. */
export interface WaiverProps {
  /** The control id of the catalogue, e.g. `S3.1`. */
  readonly control: string;
  /** Why the finding is accepted, in words (the catalogue sets the minimum length). */
  readonly reason: string;
  /** The ticket that records the decision, e.g. `SEC-1234` (the catalogue sets its pattern). */
  readonly ticket: string;
  /** The last day the waiver holds, an ISO date `YYYY-MM-DD` (UTC). */
  readonly expires: string;
  /** Who approved it. @default none */
  readonly approvedBy?: string;
  /** The catalogue's packName. @default 'Enterprise', the shipped catalogue's */
  readonly packName?: string;
}

/**
 * Waives a control's findings on `scope` and below: CDK's acknowledgement in the qualified form
 * (`Enterprise::Enterprise-S3.1`, so CDK's own report lists it) with the text form of `parseWaiverText`,
 * plus the fields as construct metadata. The pack judges it against the catalogue's waiver policy at
 * synth; a waiver that breaks it waives nothing and is a finding. Throws only when the fields cannot
 * be written in the text form (a tag or a bracket inside a field).
 */
export function waive(scope: IConstruct, props: WaiverProps): void {
  const packName = props.packName ?? 'Enterprise';
  const id = `${packName}::${packName}-${props.control}`;
  const fields = {
    reason: props.reason,
    ticket: props.ticket,
    expires: props.expires,
    ...(props.approvedBy !== undefined && { approvedBy: props.approvedBy }),
  };
  const text = formatWaiverText(fields);
  const read = parseWaiverText(text);
  const expected = {
    reason: props.reason.replace(/\s+/g, ' ').trim(),
    ticket: props.ticket.trim(),
    expires: props.expires.trim(),
    approvedBy: props.approvedBy?.trim(),
  };
  const unreadable = (Object.keys(expected) as (keyof typeof expected)[]).filter(
    (key) => read[key] !== expected[key],
  );
  if (unreadable.length > 0 || read.problems) {
    throw new Error(
      `waive(${scope.node.path}, ${props.control}): ${unreadable.join(', ') || 'the text'} cannot be written as a waiver (no '[' or ']' in the fields, and no tag in the reason)`,
    );
  }
  Validations.of(scope).acknowledge({ id, reason: text });
  scope.node.addMetadata(WAIVER_METADATA_TYPE, { id, control: props.control, ...fields });
}

/** `waive` for jsii languages (Python, Java, .NET, Go): the same governed waiver. */
export class Waivers {
  /** Waives a control's findings on `scope` and below; see `waive`. */
  public static waive(scope: IConstruct, props: WaiverProps): void {
    waive(scope, props);
  }
}
