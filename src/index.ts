export { loadCatalogue, DEFAULT_CATALOGUE_PATH } from './catalogue/load';
export { CatalogueError, CatalogueProblem, formatProblem } from './catalogue/errors';
export * from './catalogue/model';
export {
  CiaRating,
  CiaLevel,
  CiaDimension,
  RatingInput,
  parseRating,
  formatRating,
  InvalidRatingError,
  RATING_CONTEXT_KEY,
  appliesAt,
} from './catalogue/rating';
export { evaluate, Evaluation, EvaluationStatus, Waiver, isFinding } from './engine/evaluate';
export { StackTemplate, CfnTemplate } from './engine/template';
export { RULES, findRule, RuleModule, Verdict } from './rules';
export {
  EnterpriseCatalogueChecks,
  EnterpriseCatalogueChecksProps,
} from './packs/enterprise-catalogue-checks';
