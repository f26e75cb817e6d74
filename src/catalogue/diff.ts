import { isDeepStrictEqual } from 'node:util';
import { Catalogue, Control, RatingPolicy, WAIVER_SCOPES, WaiverPolicy } from './model';
import { markdownTable } from '../report/render/markdown';
import { CIA_DIMENSIONS, CiaRating, formatApplicability, formatRating } from './rating';

/**
 * What a catalogue change does, for the CISO office's own pull requests: the controls it adds and
 * removes, and each setting it changes, marked `tightens` (more is required or checked), `loosens`
 * (less is), or `changes` (neither: a title, params, a check rewritten). Pure: the CLI loads, this compares.
 */

export type Direction = 'tightens' | 'loosens' | 'changes';

export interface SettingChange {
  /** The control id, or the section (`baseline`, `waivers`, `rating`). */
  readonly subject: string;
  readonly setting: string;
  readonly before: string;
  readonly after: string;
  readonly direction: Direction;
}

export interface CatalogueDiff {
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly changes: readonly SettingChange[];
}

export function diffCatalogues(before: Catalogue, after: Catalogue): CatalogueDiff {
  const old = new Map(before.controls.map((c) => [c.id, c]));
  const now = new Map(after.controls.map((c) => [c.id, c]));
  return {
    added: [...now.keys()].filter((id) => !old.has(id)),
    removed: [...old.keys()].filter((id) => !now.has(id)),
    changes: [
      ...sectionChanges(before, after),
      ...[...now.values()].flatMap((control) => {
        const previous = old.get(control.id);
        return previous ? controlChanges(previous, control) : [];
      }),
    ],
  };
}

/** `tightens` when `after` is stricter than `before` by `stricter`, `loosens` the other way round. */
function compare<T>(
  subject: string,
  setting: string,
  before: T,
  after: T,
  show: (value: T) => string,
  stricter?: (a: T, b: T) => boolean,
): SettingChange[] {
  if (isDeepStrictEqual(before, after)) return [];
  const direction: Direction = !stricter
    ? 'changes'
    : stricter(after, before)
      ? 'tightens'
      : stricter(before, after)
        ? 'loosens'
        : 'changes';
  return [{ subject, setting, before: show(before), after: show(after), direction }];
}

const text = (value: unknown) => (value === undefined ? '(none)' : JSON.stringify(value));

function controlChanges(before: Control, after: Control): SettingChange[] {
  const id = after.id;
  return [
    ...compare(
      id,
      'severity',
      before.severity,
      after.severity,
      String,
      (a, b) => a === 'error' && b === 'warning',
    ),
    ...compare(
      id,
      'appliesFrom',
      before.appliesFrom,
      after.appliesFrom,
      formatApplicability,
      appliesMoreOften,
    ),
    ...compare(id, 'suppressible', before.suppressible, after.suppressible, String, (a, b) => !a && b),
    ...compare(id, 'remediation.enabled', before.remediation.enabled, after.remediation.enabled, String),
    ...compare(id, 'rule', before.rule, after.rule, String),
    ...compare(id, 'check', before.check, after.check, text),
    ...compare(id, 'params', before.params, after.params, text),
    ...compare(id, 'title', before.title, after.title, String),
  ];
}

/**
 * True when `a` applies at every rating `b` applies at, and at more: a control applies when ANY
 * listed dimension reaches its minimum, so listing a dimension, or lowering its minimum, widens it;
 * listing none applies always.
 */
function appliesMoreOften(a: Control['appliesFrom'], b: Control['appliesFrom']): boolean {
  const always = (x: Control['appliesFrom']) => CIA_DIMENSIONS.every((d) => x[d] === undefined);
  if (always(b)) return false;
  if (always(a)) return true;
  return CIA_DIMENSIONS.every((d) => b[d] === undefined || (a[d] !== undefined && a[d]! <= b[d]!));
}

function sectionChanges(before: Catalogue, after: Catalogue): SettingChange[] {
  const higher = (a: number, b: number) => a > b;
  const lower = (a: number, b: number) => a < b;
  const w = (c: Catalogue) => c.waivers;
  return [
    ...compare(
      'baseline',
      'minimumScore',
      before.baseline.minimumScore,
      after.baseline.minimumScore,
      String,
      higher,
    ),
    ...(w(before) && w(after) ? waiverChanges(w(before)!, w(after)!, higher, lower) : []),
    ...ratingChanges(before.rating, after.rating),
  ];
}

function waiverChanges(
  before: WaiverPolicy,
  after: WaiverPolicy,
  higher: (a: number, b: number) => boolean,
  lower: (a: number, b: number) => boolean,
): SettingChange[] {
  const narrower = (a: string, b: string) =>
    WAIVER_SCOPES.indexOf(a as never) < WAIVER_SCOPES.indexOf(b as never);
  return [
    ...compare(
      'waivers',
      'minimumReasonLength',
      before.minimumReasonLength,
      after.minimumReasonLength,
      String,
      higher,
    ),
    ...compare(
      'waivers',
      'maximumValidityDays',
      before.maximumValidityDays,
      after.maximumValidityDays,
      String,
      lower,
    ),
    ...compare('waivers', 'ticketPattern', before.ticketPattern, after.ticketPattern, String),
    ...compare('waivers', 'widestScope', before.widestScope, after.widestScope, String, narrower),
    ...compare(
      'waivers',
      'reportOnlyAppliesToUnsuppressible',
      before.reportOnlyAppliesToUnsuppressible,
      after.reportOnlyAppliesToUnsuppressible,
      String,
      (a, b) => !a && b,
    ),
    ...compare('waivers', 'file', before.file, after.file, text),
  ];
}

function ratingChanges(before: RatingPolicy | undefined, after: RatingPolicy | undefined): SettingChange[] {
  if (!before || !after) return [];
  const show = (rating: CiaRating | undefined) => (rating ? formatRating(rating) : '(none)');
  const atLeast = (a: CiaRating | undefined, b: CiaRating | undefined) =>
    a !== undefined && (b === undefined || CIA_DIMENSIONS.every((d) => a[d] >= b[d]));
  const accounts = new Set([...Object.keys(before.accounts), ...Object.keys(after.accounts)]);
  return [
    ...compare('rating', 'minimum', before.minimum, after.minimum, show, atLeast),
    ...[...accounts]
      .sort()
      .flatMap((account) =>
        compare(
          'rating',
          `accounts.${account}`,
          before.accounts[account],
          after.accounts[account],
          show,
          atLeast,
        ),
      ),
    ...compare(
      'rating',
      'perStackRatings',
      before.perStackRatings,
      after.perStackRatings,
      String,
      (a, b) => !a && b,
    ),
  ];
}

/** The diff as a pull-request comment. */
export function renderCatalogueDiff(diff: CatalogueDiff): string {
  const count = (direction: Direction) => diff.changes.filter((c) => c.direction === direction).length;
  const lines = [
    '## Catalogue changes',
    '',
    `${diff.added.length} control(s) added, ${diff.removed.length} removed; ${count('tightens')} setting(s) tightened, ${count('loosens')} loosened, ${count('changes')} changed otherwise.`,
    '',
  ];
  if (diff.added.length > 0) lines.push(`Added: ${diff.added.join(', ')}`, '');
  if (diff.removed.length > 0) lines.push(`Removed: ${diff.removed.join(', ')}`, '');
  if (diff.changes.length > 0) {
    lines.push(
      ...markdownTable(
        ['Control or section', 'Setting', 'Before', 'After', 'Effect'],
        diff.changes.map((c) => [c.subject, c.setting, c.before, c.after, c.direction]),
      ),
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}
