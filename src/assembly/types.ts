import type { CiaRating } from '../catalogue/rating';
import type { FindingSubject, Waiver } from '../engine/evaluate';
import type { RatingSource, StackTemplate } from '../engine/template';

export interface SourceLocation {
  readonly file: string;
  readonly line: number;
}

/** What `check` judges, read from a cloud assembly or from template files. */
export interface JudgedInput {
  readonly stacks: StackTemplate[];
  /** The acknowledgement covering a finding: on the resource's construct path or an ancestor's. */
  readonly waiverFor: (subject: FindingSubject) => Waiver | undefined;
  /** Per stackId: template file relative to the input root, for report locations. */
  readonly templateFiles: Map<string, string>;
  /** User source file:line per construct path when the assembly metadata has a stack trace. */
  readonly sourceOf: (constructPath: string) => SourceLocation | undefined;
  /** A resource's construct path, when the template or the assembly metadata names it (as the pack's tree does). */
  readonly constructPathOf: (stackId: string, logicalId: string) => string | undefined;
}

export interface ReadOptions {
  /** The rating every stack is held to (the CLI has no per-stack context). */
  readonly rating: CiaRating;
  readonly ratingSource: RatingSource;
  /** The catalogue's pack name: acknowledgements read `<packName>::<findingId>` or the bare finding id. */
  readonly packName: string;
}
