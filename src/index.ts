export { loadCatalogue, DEFAULT_CATALOGUE_PATH } from './catalogue/load';
export { CatalogueError, formatProblem } from './catalogue/errors';
export type { CatalogueProblem } from './catalogue/errors';
export * from './catalogue/model';
export {
  parseRating,
  formatRating,
  InvalidRatingError,
  RATING_CONTEXT_KEY,
  appliesAt,
} from './catalogue/rating';
export type { CiaRating, CiaLevel, CiaDimension, RatingInput, Applicability } from './catalogue/rating';
export { evaluate, isFinding } from './engine/evaluate';
export type {
  Evaluation,
  EvaluationStatus,
  Waiver,
  EvaluateOptions,
  FindingSubject,
} from './engine/evaluate';
export type { StackTemplate, CfnTemplate, RatingSource } from './engine/template';
export { RULES, findRule } from './rules';
export type { RuleModule, Verdict } from './rules';
export { EnterpriseCatalogueChecks } from './packs/enterprise-catalogue-checks';
export type { EnterpriseCatalogueChecksProps } from './packs/enterprise-catalogue-checks';
