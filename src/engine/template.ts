import { CiaRating } from '../catalogue/rating';

/** A CloudFormation resource as it appears in a rendered template. */
export interface CfnResourceJson {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly Condition?: string;
  readonly DependsOn?: string | string[];
}

export interface CfnOutputJson {
  readonly Value: unknown;
  readonly Export?: { readonly Name: unknown };
}

/** The parts of a CloudFormation template the engine reads. */
export interface CfnTemplate {
  /** `AWS::Serverless-2016-10-31`, a macro name, or a list of them. */
  readonly Transform?: unknown;
  readonly Mappings?: Record<string, unknown>;
  readonly Parameters?: Record<string, { readonly Type?: string; readonly Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
  readonly Resources?: Record<string, CfnResourceJson>;
  readonly Outputs?: Record<string, CfnOutputJson>;
}

/**
 * Where the workload's rating for a stack came from: the pack's (or the CLI's) `rating`, the context
 * key `cdk-catalogue:rating`, the strictest by default, or the catalogue, which raised a rating its
 * `rating` section refuses.
 */
export type RatingSource = 'props' | 'context' | 'default' | 'catalogue';

/** One stack to evaluate: its template and the workload rating it is held to. */
export interface StackTemplate {
  /** The stack's construct path (`Pipeline/UAT/AppStack`) or, outside CDK, the template's file name. */
  readonly stackId: string;
  readonly template: CfnTemplate;
  readonly rating: CiaRating;
  readonly ratingSource: RatingSource;
  /** For a rating from context: the construct path the key is set on (`''` for the App). */
  readonly ratingSetAt?: string;
  /** When the catalogue refused the rating the stack was given: what was asked for and what it breaks. */
  readonly ratingRefused?: string;
  /** The account the stack deploys to, when known at synth time (undefined: environment-agnostic). */
  readonly account?: string;
  /** The region the stack deploys to, when known at synth time (undefined: environment-agnostic). */
  readonly region?: string;
  /** For a nested stack: its parent and the logical id of the parent's `AWS::CloudFormation::Stack` resource. */
  readonly parent?: NestedStackLink;
  /** The file the template was read from, when it was read from one (a synth's cdk.out). */
  readonly templateFile?: string;
}

export interface NestedStackLink {
  readonly stackId: string;
  readonly logicalId: string;
  /**
   * The S3 object keys CDK published this template under (from the assembly's asset manifests).
   * When given, the parent's `TemplateURL` must point at one of them: an overridden URL deploys
   * some other template, so this one does not count as opened. Undefined: not known (a tree
   * rendered before synthesis).
   */
  readonly objectKeys?: readonly string[];
}

/** CDK writes each resource's construct path into its metadata unless path metadata is turned off. */
export function constructPathOf(resource: CfnResourceJson): string | undefined {
  const path = resource.Metadata?.['aws:cdk:path'];
  return typeof path === 'string' ? path : undefined;
}
