import type { CfnResource } from 'aws-cdk-lib';
import { TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import type { RemediationContext, RemediationResult, RemediationSettings } from '../remediations/context';

/** A rule's answer for one resource (for one combination of `Fn::If` branches). */
export type Verdict =
  | { readonly status: 'compliant' }
  | { readonly status: 'non-compliant'; readonly property: string; readonly reason: string }
  /** The value is only known at deploy time (a parameter, an import): reported, never guessed. */
  | { readonly status: 'unverifiable'; readonly property: string; readonly reason: string }
  | { readonly status: 'not-applicable'; readonly reason: string };

export const compliant: Verdict = { status: 'compliant' };

export function nonCompliant(property: string, reason: string): Verdict {
  return { status: 'non-compliant', property, reason };
}

export function unverifiable(property: string, reason: string): Verdict {
  return { status: 'unverifiable', property, reason };
}

export function notApplicable(reason: string): Verdict {
  return { status: 'not-applicable', reason };
}

/** The resource a rule judges: as rendered in the template, with one `Fn::If` branch per condition taken. */
export interface ResourceUnderCheck {
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Record<string, unknown>;
  readonly stack: StackTemplate;
  /**
   * The conditions this variant assumes: the resource's own `Condition` (true) and the branch taken
   * by each `Fn::If`. Evidence from another resource counts only if it holds under these.
   */
  readonly assumptions: ReadonlyArray<readonly [string, boolean]>;
}

/** A JSON Schema (draft-07) object for a rule's params; ajv fills in the defaults. */
export type ParamsSchema = Record<string, unknown> & { readonly type: 'object' };

/**
 * One rule of the library, modelled on ESLint's rule modules: metadata, a params schema and the
 * check side by side. The catalogue's controls name a rule by `meta.id` and give it params.
 */
export interface RuleModule<P extends object = Record<string, unknown>> {
  readonly meta: {
    /** kebab-case, as catalogue controls name it: `key-rotation`. */
    readonly id: string;
    /** What the rule requires, as a short sentence. */
    readonly description: string;
    readonly resourceTypes: readonly string[];
    /** When a resource complies, for the docs. */
    readonly compliantWhen: string;
    /** What the paired remediation does, for the docs. */
    readonly remediation: string;
    /** What a finding advises, in a line: the change to make by hand, and how to let the paired fix make it. */
    readonly fix: {
      /** The change, in the words of the L2 construct where there is one. */
      readonly manually: string;
      /** The exported Aspect that applies this rule's fix alone. */
      readonly aspect: string;
      /** The remediation settings the fix needs, any one of them (none: it needs no setting). */
      readonly settings: ReadonlyArray<keyof RemediationSettings>;
      /**
       * The fix only sets properties of the resource it fixes: it adds no construct and changes no
       * other resource, so the remediations need not look the stack over again after it. @default false
       */
      readonly onlyItsOwnProperties?: boolean;
      /**
       * The resource types the fix may change beside the resource it fixes (the IAM policies it
       * grants in, the key whose policy it edits): after it, the remediations read resources of
       * these types again and take the others as they were. Constructs it adds are found whatever
       * this says. @default IAM policies, roles, users and groups, KMS keys, Lambda permissions,
       * and the resource policies that name the fixed resource
       */
      readonly changesBeside?: readonly string[];
      /**
       * The fix changes only other resources (it adds a statement to the resource policy that names
       * the resource): the resource itself renders as before, so the remediations judge it again on
       * the rendering they have. @default false
       */
      readonly leavesItsOwnResource?: boolean;
    };
    readonly paramsSchema: ParamsSchema;
  };
  check(resource: ResourceUnderCheck, params: P, resolver: TemplateResolver): Verdict;
  /**
   * The paired fix, on the L1 construct of a resource the check found non-compliant: sets typed L1
   * properties (or uses the L2 API) so that cdk-nag's own rules see the fix too, keeps what the
   * user set, and says what it changed or why it could not.
   */
  remediate?(resource: CfnResource, params: P, context: RemediationContext): RemediationResult;
}

/** Identity function that keeps a rule's params type while it is stored as a plain `RuleModule`. */
export function defineRule<P extends object>(rule: RuleModule<P>): RuleModule<Record<string, unknown>> {
  return rule as unknown as RuleModule<Record<string, unknown>>;
}
