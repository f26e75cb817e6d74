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
export { EnterpriseCatalogueChecks, NOW_CONTEXT_KEY } from './packs/enterprise-catalogue-checks';
export type { EnterpriseCatalogueChecksProps } from './packs/enterprise-catalogue-checks';
export * from './waivers';
export { EnterpriseCatalogueRemediations } from './packs/enterprise-catalogue-remediations';
export type { EnterpriseCatalogueRemediationsProps } from './packs/enterprise-catalogue-remediations';
export {
  ControlRemediation,
  CodeBuildInVpc,
  CodeBuildInternalRegistry,
  LambdaInVpc,
  EncryptWithCustomerManagedKey,
  BucketAccessLogging,
  BucketVersioning,
  KeyRotation,
  ManualApprovalBeforeProduction,
} from './remediations/aspects';
export type { RemediationAspectProps } from './remediations/aspects';
export { REMEDIATION_CONTEXT_KEYS } from './remediations/context';
export type {
  RemediationSettings,
  VpcIds,
  CodeArtifactRepository,
  RemediationResult,
} from './remediations/context';
export { REMEDIATION_METADATA } from './remediations/records';
