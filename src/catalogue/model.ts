import type { Condition } from '../declarative/condition';
import { Applicability, CiaRating } from './rating';

/** A place in a catalogue file, 1-based, for error messages and reports. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export type Severity = 'error' | 'warning';

export interface ControlReferences {
  /** AWS Security Hub control ids, e.g. `KMS.4`. */
  readonly securityHub: readonly string[];
  /** AWS Config managed rule identifiers, e.g. `CMK_BACKING_KEY_ROTATION_ENABLED`. */
  readonly config: readonly string[];
}

export interface ControlRemediation {
  readonly enabled: boolean;
  readonly params: Readonly<Record<string, unknown>>;
  /** A declarative control's fix: property paths (`A.B`) and the values to set. */
  readonly set?: Readonly<Record<string, unknown>>;
  /** A declarative control's fix that adds a resource (or a statement) from a fixed template: `tlsOnlyPolicy`. */
  readonly add?: string;
}

/** A check written in the catalogue instead of a library rule: the types it reads and what they must satisfy. */
export interface DeclarativeCheck {
  readonly resourceTypes: readonly string[];
  readonly require: Condition;
}

/** The `rule` of a control that has a `check` instead of a library rule. */
export const DECLARATIVE_RULE = 'declarative';

/** One control of the catalogue: a rule of our library (or a declarative check), its params and where it applies. */
export interface Control {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** The library rule's id, or `declarative` for a control with a `check`. */
  readonly rule: string;
  /** A declarative control's check (its `rule` is `declarative`). */
  readonly check?: DeclarativeCheck;
  /** The rule's params with the rule's defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly severity: Severity;
  readonly appliesFrom: Applicability;
  readonly references: ControlReferences;
  readonly suppressible: boolean;
  readonly remediation: ControlRemediation;
  readonly source: SourceLocation;
  /** In a catalogue that extends another: where an overlay set each setting it changed (`severity`, `params`, ...). */
  readonly origins?: Readonly<Record<string, SourceLocation>>;
}

export interface CatalogueMetadata {
  readonly name: string;
  readonly owner: string;
  readonly version: string;
  /** Prefix of finding ids: `<packName>-<controlId>`. */
  readonly packName: string;
}

export interface Baseline {
  /** The CISO's minimum compliance score, in percent. */
  readonly minimumScore: number;
}

/**
 * Where in the construct tree an acknowledgement is made, narrowest first: on a construct inside a
 * stack (`resource`), on a Stack, on a Stage, on the App.
 */
export type WaiverScope = 'resource' | 'stack' | 'stage' | 'app';

/** Every waiver scope, narrowest first. */
export const WAIVER_SCOPES: readonly WaiverScope[] = ['resource', 'stack', 'stage', 'app'];

/** What a waiver must carry to waive a finding; a waiver that breaks it is refused with a finding. */
export interface WaiverPolicy {
  /** Fewest characters of the reason in words (tags not counted). */
  readonly minimumReasonLength: number;
  /** The ticket must match this pattern (RE2 syntax, searched like `RegExp.test`; anchor it). */
  readonly ticketPattern: string;
  /** Most days from today to the expiry date. */
  readonly maximumValidityDays: number;
  /** The widest construct an acknowledgement may be made on; one made higher up is refused. */
  readonly widestScope: WaiverScope;
  /** Whether `reportOnly` may turn findings of controls with `suppressible: false` into warnings. */
  readonly reportOnlyAppliesToUnsuppressible: boolean;
  /** The central waivers file, as an absolute path, when the catalogue references one. */
  readonly file?: string;
}

/** The policy of a catalogue that states none. */
export const DEFAULT_WAIVER_POLICY: WaiverPolicy = {
  minimumReasonLength: 20,
  ticketPattern: '^[A-Z][A-Z0-9]+-[0-9]+$',
  maximumValidityDays: 365,
  widestScope: 'stack',
  reportOnlyAppliesToUnsuppressible: false,
};

/**
 * A waiver the security team keeps in the central waivers file: one control's findings on every
 * construct whose path (or an ancestor's) matches `path`.
 */
export interface CentralWaiver {
  readonly control: string;
  /** A construct-path glob that begins with a stack's path: `*` is any text in a segment, `**` any segments. */
  readonly path: string;
  readonly reason: string;
  readonly ticket: string;
  /** The last day the waiver holds, `YYYY-MM-DD` (UTC). */
  readonly expires: string;
  readonly approvedBy?: string;
  /** Where the entry is written in the central waivers file. */
  readonly source: SourceLocation;
}

/** How the catalogue governs the workload's rating; a rating that breaks it is refused with a finding. */
export interface RatingPolicy {
  /** No stack is judged below this, in any dimension. */
  readonly minimum?: CiaRating;
  /** By account id: no stack that deploys to the account is judged below its rating. */
  readonly accounts: Readonly<Record<string, CiaRating>>;
  /** Whether a Stage or Stack may be rated, through context on it, below the App it belongs to. */
  readonly perStackRatings: boolean;
}

/** The rating policy of a catalogue that states none: only the App's own rating counts. */
export const DEFAULT_RATING_POLICY: RatingPolicy = { accounts: {}, perStackRatings: false };

export interface Catalogue {
  readonly apiVersion: string;
  readonly metadata: CatalogueMetadata;
  readonly baseline: Baseline;
  /** Filled in by `loadCatalogue`; a model built by hand without it gets `DEFAULT_WAIVER_POLICY`. */
  readonly waivers?: WaiverPolicy;
  /** The entries of the central waivers file (`waivers.file`), in file order. @default none */
  readonly centralWaivers?: readonly CentralWaiver[];
  /** Filled in by `loadCatalogue`; a model built by hand without it gets `DEFAULT_RATING_POLICY`. */
  readonly rating?: RatingPolicy;
  readonly controls: readonly Control[];
  /** The files the catalogue was read from, in merge order. */
  readonly files: readonly string[];
  /** The catalogue this one extends (its path), when it is an overlay. */
  readonly extends?: string;
}

export const CATALOGUE_API_VERSION = 'cdk-catalogue-checks/v1';
