import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { Catalogue } from '../catalogue/model';
import { CiaRating, parseRating, RATING_CONTEXT_KEY, STRICTEST_RATING } from '../catalogue/rating';
import { GovernedRating, governRating, RequestedRating } from '../engine/rating-policy';
import { environmentOf } from '../remediations/rendered';

/**
 * The rating a stack is judged at: the prop, else its context `cdk-catalogue:rating`, else the
 * strictest; then the catalogue's `rating` section, which raises (and reports) a rating it refuses.
 */
export function governedRatingOf(
  stack: Stack | undefined,
  fromProps: CiaRating | undefined,
  catalogue: Catalogue,
): GovernedRating {
  const requested = requestedRatingOf(stack, fromProps);
  const belowApp = requested.ratingSource === 'context' && requested.ratingSetAt;
  return governRating(
    requested,
    {
      account: environmentOf(stack).account,
      ...(belowApp && stack && { appRating: requestedRatingOf(stack.node.root, undefined).rating }),
    },
    catalogue.rating,
  );
}

function requestedRatingOf(scope: IConstruct | undefined, fromProps: CiaRating | undefined): RequestedRating {
  if (fromProps) return { rating: fromProps, ratingSource: 'props' };
  const fromContext: unknown = scope?.node.tryGetContext(RATING_CONTEXT_KEY);
  if (scope && fromContext !== undefined) {
    return {
      rating: parseRating(fromContext, `context '${RATING_CONTEXT_KEY}' of ${scope.node.path || 'the App'}`),
      ratingSource: 'context',
      ratingSetAt: contextSetAt(scope, fromContext),
    };
  }
  return { rating: STRICTEST_RATING, ratingSource: 'default' };
}

/** The construct the rating's context value is set on: the highest ancestor that still reads the same value. */
function contextSetAt(scope: IConstruct, value: unknown): string {
  let setAt = scope;
  for (let parent = scope.node.scope; parent; parent = parent.node.scope) {
    if (parent.node.tryGetContext(RATING_CONTEXT_KEY) !== value) break;
    setAt = parent;
  }
  return setAt.node.path;
}
