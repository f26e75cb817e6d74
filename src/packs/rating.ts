import { Stack } from 'aws-cdk-lib';
import { CiaRating, parseRating, RATING_CONTEXT_KEY, STRICTEST_RATING } from '../catalogue/rating';
import { RatingSource } from '../engine/template';

/** The rating a stack is held to: the prop, else its context `cdk-catalogue:rating`, else the strictest. */
export function ratingOf(
  stack: Stack | undefined,
  fromProps: CiaRating | undefined,
): { rating: CiaRating; ratingSource: RatingSource } {
  if (fromProps) return { rating: fromProps, ratingSource: 'props' };
  const fromContext = stack?.node.tryGetContext(RATING_CONTEXT_KEY);
  if (fromContext !== undefined) {
    return {
      rating: parseRating(fromContext, `context '${RATING_CONTEXT_KEY}' of ${stack!.node.path}`),
      ratingSource: 'context',
    };
  }
  return { rating: STRICTEST_RATING, ratingSource: 'default' };
}
