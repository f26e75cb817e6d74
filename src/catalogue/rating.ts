/** The three CIA dimensions, in the order the short form writes them. */
export const CIA_DIMENSIONS = ['confidentiality', 'integrity', 'availability'] as const;
export type CiaDimension = (typeof CIA_DIMENSIONS)[number];
export type CiaLevel = 1 | 2 | 3;

/** A workload's CIA rating: 1 = low ... 3 = high in each dimension. */
export interface CiaRating {
  readonly confidentiality: CiaLevel;
  readonly integrity: CiaLevel;
  readonly availability: CiaLevel;
}

/** A rating as users write it: the object form or the short form `'C3I2A1'`. */
export type RatingInput = CiaRating | string;

/** The CDK context key that sets the rating for an App, Stage or Stack. */
export const RATING_CONTEXT_KEY = 'cdk-catalogue:rating';

/** Used when no rating is given anywhere: every control applies. */
export const STRICTEST_RATING: CiaRating = { confidentiality: 3, integrity: 3, availability: 3 };

export class InvalidRatingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidRatingError';
  }
}

/** `C3I2A1`, in any case. */
export const CIA_SHORT_FORM = /^C([123])I([123])A([123])$/i;

/** Parses either form of a rating; throws `InvalidRatingError` with a plain message otherwise. */
export function parseRating(input: unknown, origin = 'rating'): CiaRating {
  if (typeof input === 'string') {
    const match = CIA_SHORT_FORM.exec(input.trim());
    if (!match) {
      throw new InvalidRatingError(
        `${origin} '${input}' is not a CIA rating: write it as 'C<1-3>I<1-3>A<1-3>', e.g. 'C3I2A1'`,
      );
    }
    return {
      confidentiality: Number(match[1]) as CiaLevel,
      integrity: Number(match[2]) as CiaLevel,
      availability: Number(match[3]) as CiaLevel,
    };
  }
  if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
    const record = input as Record<string, unknown>;
    const unknownKeys = Object.keys(record).filter((k) => !(CIA_DIMENSIONS as readonly string[]).includes(k));
    if (unknownKeys.length > 0) {
      throw new InvalidRatingError(
        `${origin} has unknown key '${unknownKeys[0]}': use confidentiality, integrity and availability`,
      );
    }
    for (const dimension of CIA_DIMENSIONS) {
      const level = record[dimension];
      if (level !== 1 && level !== 2 && level !== 3) {
        throw new InvalidRatingError(
          `${origin}.${dimension} must be 1, 2 or 3 (got ${level === undefined ? 'nothing' : JSON.stringify(level)})`,
        );
      }
    }
    return record as unknown as CiaRating;
  }
  throw new InvalidRatingError(
    `${origin} must be an object { confidentiality, integrity, availability } or a string like 'C3I2A1' (got ${JSON.stringify(input)})`,
  );
}

export function formatRating(rating: CiaRating): string {
  return `C${rating.confidentiality}I${rating.integrity}A${rating.availability}`;
}

/** Minimum levels per dimension; a control applies when ANY listed dimension reaches its minimum. */
export type Applicability = Partial<Record<CiaDimension, CiaLevel>>;

export function appliesAt(appliesFrom: Applicability, rating: CiaRating): boolean {
  const listed = CIA_DIMENSIONS.filter((d) => appliesFrom[d] !== undefined);
  return listed.length === 0 || listed.some((d) => rating[d] >= (appliesFrom[d] as CiaLevel));
}

export function formatApplicability(appliesFrom: Applicability): string {
  const listed = CIA_DIMENSIONS.filter((d) => appliesFrom[d] !== undefined);
  if (listed.length === 0) return 'always';
  return listed.map((d) => `${d[0].toUpperCase()}${appliesFrom[d]}`).join(' or ');
}
