import { Applicability } from './rating';

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
}

/** One control of the catalogue: a rule of our library, its params and where it applies. */
export interface Control {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly rule: string;
  /** The rule's params with the rule's defaults filled in. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly severity: Severity;
  readonly appliesFrom: Applicability;
  readonly references: ControlReferences;
  readonly suppressible: boolean;
  readonly remediation: ControlRemediation;
  readonly source: SourceLocation;
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

/** What a waiver must carry to waive a finding; a waiver that breaks it is refused with a finding. */
export interface WaiverPolicy {
  /** Fewest characters of the reason in words (tags not counted). */
  readonly minimumReasonLength: number;
  /** The ticket must match this pattern (RE2 syntax, searched like `RegExp.test`; anchor it). */
  readonly ticketPattern: string;
  /** Most days from today to the expiry date. */
  readonly maximumValidityDays: number;
}

/** The policy of a catalogue that states none. */
export const DEFAULT_WAIVER_POLICY: WaiverPolicy = {
  minimumReasonLength: 20,
  ticketPattern: '^[A-Z][A-Z0-9]+-[0-9]+$',
  maximumValidityDays: 365,
};

export interface Catalogue {
  readonly apiVersion: string;
  readonly metadata: CatalogueMetadata;
  readonly baseline: Baseline;
  /** Filled in by `loadCatalogue`; a model built by hand without it gets `DEFAULT_WAIVER_POLICY`. */
  readonly waivers?: WaiverPolicy;
  readonly controls: readonly Control[];
  /** The files the catalogue was read from, in merge order. */
  readonly files: readonly string[];
}

export const CATALOGUE_API_VERSION = 'cdk-catalogue-checks/v1';
