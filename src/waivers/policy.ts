import { WAIVER_SCOPES, WaiverPolicy, WaiverScope } from '../catalogue/model';
import { compilePattern } from '../rules/pattern';
import type { WaiverText } from './text';

/**
 * Whether a waiver may waive a finding, under the catalogue's policy, on `today` (UTC, `YYYY-MM-DD`).
 * No CDK import here: the pack and the CLI judge waivers the same way.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Milliseconds since the epoch of a `YYYY-MM-DD` calendar date at UTC midnight, or undefined. */
export function isoDateValue(text: string): number | undefined {
  const match = ISO_DATE.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const value = Date.UTC(year, month - 1, day);
  const date = new Date(value);
  const exact =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  return exact ? value : undefined;
}

/** Today's date in UTC, `YYYY-MM-DD`. */
export function utcToday(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * The UTC day of an ISO date (`2027-03-31`) or date-time (`2027-03-31T23:00:00Z`), as `YYYY-MM-DD`;
 * throws an Error naming `label` for anything else.
 */
export function parseClock(value: unknown, label: string): string {
  if (typeof value === 'string') {
    if (isoDateValue(value) !== undefined) return value;
    if (/^\d{4}-\d{2}-\d{2}T/.test(value) && !Number.isNaN(Date.parse(value)))
      return new Date(Date.parse(value)).toISOString().slice(0, 10);
  }
  throw new Error(`${label} ${JSON.stringify(value)} is not an ISO date (YYYY-MM-DD)`);
}

/** Why the waiver may not waive the finding, each breach in words; empty when it may. */
export function waiverRefusals(
  waiver: WaiverText & { readonly scope?: WaiverScope },
  policy: WaiverPolicy,
  suppressible: boolean,
  today: string,
): string[] {
  if (!suppressible) return ['the control cannot be waived'];
  return [
    ...scopeRefusals(waiver.scope, policy),
    ...(waiver.problems ?? []),
    ...reasonRefusals(waiver.reason, policy),
    ...ticketRefusals(waiver.ticket, policy),
    ...expiryRefusals(waiver.expires, policy, today),
  ];
}

function scopeRefusals(scope: WaiverScope | undefined, policy: WaiverPolicy): string[] {
  if (scope === undefined || WAIVER_SCOPES.indexOf(scope) <= WAIVER_SCOPES.indexOf(policy.widestScope))
    return [];
  const allowed = WAIVER_SCOPES.slice(0, WAIVER_SCOPES.indexOf(policy.widestScope) + 1);
  return [
    `it is made on ${SCOPE_WORDS[scope]}, wider than the catalogue's widestScope '${policy.widestScope}' allows: make it on ${allowed.map((s) => SCOPE_WORDS[s]).join(' or ')}`,
  ];
}

const SCOPE_WORDS: Record<WaiverScope, string> = {
  resource: 'a construct inside a stack',
  stack: 'a stack',
  stage: 'a Stage',
  app: 'the App',
};

function reasonRefusals(reason: string, policy: WaiverPolicy): string[] {
  const length = [...reason].length;
  return length < policy.minimumReasonLength
    ? [`the reason is shorter than ${policy.minimumReasonLength} characters (${length}, tags not counted)`]
    : [];
}

function ticketRefusals(ticket: string | undefined, policy: WaiverPolicy): string[] {
  if (ticket === undefined) return ['it has no ticket ([ticket: …])'];
  return compilePattern(policy.ticketPattern).test(ticket)
    ? []
    : [`the ticket '${ticket}' does not match the catalogue's ticketPattern ${policy.ticketPattern}`];
}

function expiryRefusals(expires: string | undefined, policy: WaiverPolicy, today: string): string[] {
  if (expires === undefined) return ['it has no expiry date ([expires: YYYY-MM-DD])'];
  const end = isoDateValue(expires);
  if (end === undefined) return [`its expiry '${expires}' is not a date (YYYY-MM-DD)`];
  const days = Math.round((end - (isoDateValue(today) ?? Date.now())) / DAY_MS);
  // Valid through its expiry day, in UTC.
  if (days < 0) return [`it expired on ${expires}`];
  return days > policy.maximumValidityDays
    ? [
        `it is valid for ${days} days (until ${expires}), more than the maximum of ${policy.maximumValidityDays}`,
      ]
    : [];
}
