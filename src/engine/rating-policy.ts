import { DEFAULT_RATING_POLICY, RatingPolicy } from '../catalogue/model';
import { CIA_DIMENSIONS, CiaRating, formatRating } from '../catalogue/rating';
import { RatingSource } from './template';

/**
 * The catalogue's governance of the workload's rating (its `rating` section), shared by the pack and
 * the CLI: a rating below what the catalogue allows is refused, and the stack is judged at the
 * allowed rating instead, so lowering a rating can never remove a control unseen. No CDK import here.
 */

/** The rating a stack was given, before the catalogue's policy. */
export interface RequestedRating {
  readonly rating: CiaRating;
  readonly ratingSource: RatingSource;
  /** For a rating from context: the construct path the context key is set on (`''` for the App). */
  readonly ratingSetAt?: string;
}

/** What the stack is judged at: the requested rating, or, when the catalogue refused it, the allowed one. */
export interface GovernedRating {
  readonly rating: CiaRating;
  /** Where the rating came from; `catalogue` when the catalogue raised a refused one. */
  readonly ratingSource: RatingSource;
  readonly ratingSetAt?: string;
  /** On a refused rating: what was asked for, where, and every rule of the catalogue it breaks. */
  readonly ratingRefused?: string;
}

export interface RatingFacts {
  /** The account the stack deploys to; undefined when environment-agnostic. */
  readonly account?: string;
  /**
   * The App's own rating, when the stack's rating comes from context set below the App (on a Stage
   * or a Stack): without `perStackRatings`, a stack may not be rated below it.
   */
  readonly appRating?: CiaRating;
}

/** A floor the catalogue sets, and why it applies to this stack. */
interface Floor {
  readonly rating: CiaRating;
  readonly because: string;
}

/** The rating a stack is judged at under the catalogue's policy, and why a lower one was refused. */
export function governRating(
  requested: RequestedRating,
  facts: RatingFacts,
  policy: RatingPolicy = DEFAULT_RATING_POLICY,
): GovernedRating {
  const broken = floorsOf(requested, facts, policy).filter((floor) =>
    isBelow(requested.rating, floor.rating),
  );
  const { rating, ratingSource, ratingSetAt } = requested;
  const base = { rating, ratingSource, ...(ratingSetAt !== undefined && { ratingSetAt }) };
  if (broken.length === 0) return base;
  return {
    ...base,
    rating: broken.reduce((raised, floor) => atLeast(raised, floor.rating), rating),
    ratingSource: 'catalogue',
    ratingRefused: `${describeRequest(requested)} is below ${broken.map((f) => f.because).join(', and ')}`,
  };
}

function floorsOf(requested: RequestedRating, facts: RatingFacts, policy: RatingPolicy): Floor[] {
  const floors: Floor[] = [];
  if (policy.minimum) {
    floors.push({
      rating: policy.minimum,
      because: `the catalogue's minimum ${formatRating(policy.minimum)}`,
    });
  }
  const pinned = Object.entries(policy.accounts);
  const pin = facts.account === undefined ? undefined : policy.accounts[facts.account];
  if (pin) {
    floors.push({
      rating: pin,
      because: `the rating ${formatRating(pin)} the catalogue pins for account ${facts.account}`,
    });
  } else if (facts.account === undefined && pinned.length > 0) {
    // An environment-agnostic stack can be deployed to any account, the pinned ones included.
    const strictest = pinned.reduce((all, [, rating]) => atLeast(all, rating), pinned[0][1]);
    floors.push({
      rating: strictest,
      because: `${formatRating(strictest)}, the strictest the catalogue pins for an account (${pinned.map(([account, rating]) => `${account}: ${formatRating(rating)}`).join(', ')}), since the stack is environment-agnostic and may deploy to any of them`,
    });
  }
  const setBelowApp = requested.ratingSource === 'context' && requested.ratingSetAt;
  if (setBelowApp && facts.appRating && !policy.perStackRatings) {
    floors.push({
      rating: facts.appRating,
      because: `the App's rating ${formatRating(facts.appRating)} (the catalogue does not allow a Stage or Stack to be rated below its App: rating.perStackRatings)`,
    });
  }
  return floors;
}

function describeRequest(requested: RequestedRating): string {
  const rating = formatRating(requested.rating);
  switch (requested.ratingSource) {
    case 'context':
      return `the rating ${rating} from context 'cdk-catalogue:rating' on ${requested.ratingSetAt || 'the App'}`;
    case 'props':
      return `the rating ${rating} of the rating prop (or --rating)`;
    default:
      return `the rating ${rating}`;
  }
}

/** True when `rating` is lower than `floor` in any dimension. */
function isBelow(rating: CiaRating, floor: CiaRating): boolean {
  return CIA_DIMENSIONS.some((dimension) => rating[dimension] < floor[dimension]);
}

/** The higher level of the two in each dimension. */
function atLeast(rating: CiaRating, floor: CiaRating): CiaRating {
  return {
    confidentiality: Math.max(rating.confidentiality, floor.confidentiality),
    integrity: Math.max(rating.integrity, floor.integrity),
    availability: Math.max(rating.availability, floor.availability),
  } as CiaRating;
}
