import type { aws_iam as iam, CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { isDeepStrictEqual } from 'node:util';
import { isPlainObject } from '../engine/intrinsics';
import { changed, notApplied, RemediationResult } from '../remediations/context';
import { renderResource } from '../remediations/rendered';
import { renderedStackOf } from '../remediations/rendered-stack';
import { cdk } from '../rules/cdk';

/**
 * The resources a declarative fix may add (`remediation.add`), from a small fixed set of templates:
 * the YAML names one, the code here knows how to make it for each resource type it covers. Each
 * does what the L2 construct's own option does (`enforceSSL: true`), through the L2 API when the
 * resource is an L2's, and otherwise into the one resource policy the resource has, or a new one.
 */

/** A resource type a template covers: its policy type and how to make and attach the statement. */
interface PolicyTarget {
  /** The resource policy's CloudFormation type, and the property that names the resource in it. */
  readonly policyType: string;
  readonly linkProperty: string;
  /** The L2 of the resource (whose `addToResourcePolicy` the fix prefers), and of its policy. */
  readonly l2: () => abstract new (...args: never[]) => {
    addToResourcePolicy(s: iam.PolicyStatement): unknown;
  };
  readonly l2Policy: () => abstract new (...args: never[]) => { readonly document: iam.PolicyDocument };
  readonly statement: (resource: CfnResource) => iam.PolicyStatement;
  readonly newPolicy: (
    scope: IConstruct,
    id: string,
    resource: CfnResource,
    document: iam.PolicyDocument,
  ) => void;
}

/** The statement of `enforceSSL`: deny every principal these actions when the request is not over TLS. */
function denyWithoutTls(actions: string[], resources: string[]): iam.PolicyStatement {
  return new cdk.aws_iam.PolicyStatement({
    sid: 'DenyRequestsWithoutTls',
    effect: cdk.aws_iam.Effect.DENY,
    principals: [new cdk.aws_iam.AnyPrincipal()],
    actions,
    resources,
    conditions: { Bool: { 'aws:SecureTransport': 'false' } },
  });
}

const TLS_ONLY_POLICY: Readonly<Record<string, PolicyTarget>> = {
  'AWS::S3::Bucket': {
    policyType: 'AWS::S3::BucketPolicy',
    linkProperty: 'Bucket',
    l2: () => cdk.aws_s3.Bucket,
    l2Policy: () => cdk.aws_s3.BucketPolicy,
    statement: (bucket) => {
      const arn = (bucket as CfnResource & { attrArn: string }).attrArn;
      return denyWithoutTls(['s3:*'], [arn, `${arn}/*`]);
    },
    newPolicy: (scope, id, bucket, document) =>
      new cdk.aws_s3.CfnBucketPolicy(scope, id, { bucket: bucket.ref, policyDocument: document }),
  },
  'AWS::SQS::Queue': {
    policyType: 'AWS::SQS::QueuePolicy',
    linkProperty: 'Queues',
    l2: () => cdk.aws_sqs.Queue,
    l2Policy: () => cdk.aws_sqs.QueuePolicy,
    statement: (queue) => denyWithoutTls(['sqs:*'], [(queue as CfnResource & { attrArn: string }).attrArn]),
    newPolicy: (scope, id, queue, document) =>
      new cdk.aws_sqs.CfnQueuePolicy(scope, id, { queues: [queue.ref], policyDocument: document }),
  },
  'AWS::SNS::Topic': {
    policyType: 'AWS::SNS::TopicPolicy',
    linkProperty: 'Topics',
    l2: () => cdk.aws_sns.Topic,
    l2Policy: () => cdk.aws_sns.TopicPolicy,
    // The Ref of a topic is its ARN.
    statement: (topic) => denyWithoutTls(['sns:Publish'], [topic.ref]),
    newPolicy: (scope, id, topic, document) =>
      new cdk.aws_sns.CfnTopicPolicy(scope, id, { topics: [topic.ref], policyDocument: document }),
  },
};

/** The templates by the name a control's `remediation.add` gives, with the resource types each covers. */
const TEMPLATES: Readonly<Record<string, Readonly<Record<string, PolicyTarget>>>> = {
  tlsOnlyPolicy: TLS_ONLY_POLICY,
};

export const TEMPLATE_NAMES: readonly string[] = Object.keys(TEMPLATES);

/** What the template adds, in words, for the docs. */
export const TEMPLATE_WORDS: Readonly<Record<string, string>> = {
  tlsOnlyPolicy:
    "adds the statement enforceSSL adds (Deny, Principal AWS '*', the service's actions, aws:SecureTransport false) to the resource policy: through the L2's addToResourcePolicy, else into the one policy the resource has, else a new policy",
};

/** The change the template makes, as a developer would make it by hand. */
export const TEMPLATE_MANUALLY: Readonly<Record<string, string>> = {
  tlsOnlyPolicy: 'deny requests without TLS in the resource policy (enforceSSL: true on the L2 construct)',
};

/** Why a control cannot name the template for these resource types, or undefined when it can. */
export function templateProblem(name: string, resourceTypes: readonly string[]): string | undefined {
  const template = TEMPLATES[name];
  if (!template) return undefined; // the schema names the templates
  const uncovered = resourceTypes.filter((type) => !template[type]);
  return uncovered.length === 0
    ? undefined
    : `${name} covers ${Object.keys(template).join(', ')}, not ${uncovered.join(', ')}`;
}

/** Adds the template's resource (or statement) for a non-compliant resource. */
export function applyTemplate(resource: CfnResource, name: string): RemediationResult {
  const target = TEMPLATES[name]?.[resource.cfnResourceType];
  if (!target) return notApplied(`the template ${name} does not cover ${resource.cfnResourceType}`);
  const logicalId = cdk.Stack.of(resource).resolve(resource.logicalId) as string;
  const policies = policiesNaming(resource, logicalId, target);
  if (policies.length > 1)
    return notApplied(
      `${policies.length} ${target.policyType} resources name this resource (${policies.map((p) => p.node.path).join(', ')}); merge them into one and add the statement there`,
    );
  const statement = target.statement(resource);
  if (policies.length === 1) return addToPolicy(policies[0], statement, target);
  const owner = resource.node.scope;
  if (owner && owner.node.defaultChild === resource && owner instanceof target.l2()) {
    owner.addToResourcePolicy(statement);
    return changed(
      `added a TLS-only statement to the resource policy of ${owner.node.path} (addToResourcePolicy)`,
    );
  }
  const scope = owner ?? cdk.Stack.of(resource);
  const id = `${resource.node.id}TlsOnlyPolicy`;
  target.newPolicy(scope, id, resource, new cdk.aws_iam.PolicyDocument({ statements: [statement] }));
  return changed(`added ${target.policyType} ${id} with a statement that denies requests without TLS`);
}

/** The stack's policies of the target's type that name the resource by `Ref`, as they render now. */
function policiesNaming(resource: CfnResource, logicalId: string, target: PolicyTarget): CfnResource[] {
  const ref = { Ref: logicalId };
  const stack = renderedStackOf(cdk.Stack.of(resource));
  const policies = stack.selected(`resources of type ${target.policyType}`, (construct) =>
    cdk.CfnResource.isCfnResource(construct) && construct.cfnResourceType === target.policyType
      ? construct
      : undefined,
  );
  return policies.filter((construct) => {
    // The kept rendering: a policy is rendered again only after a fix that may have changed it.
    const rendered = stack.renderingOf(construct) ?? renderResource(construct)?.json;
    const link = rendered?.Properties?.[target.linkProperty];
    const links = Array.isArray(link) ? link : [link];
    return links.some((value) => isDeepStrictEqual(value, ref));
  });
}

/** The statement added to the policy's document: the L2 policy's, or the L1's own when it is not a token. */
function addToPolicy(
  policy: CfnResource,
  statement: iam.PolicyStatement,
  target: PolicyTarget,
): RemediationResult {
  const owner = policy.node.scope;
  if (owner && owner.node.defaultChild === policy && owner instanceof target.l2Policy()) {
    owner.document.addStatements(statement);
    return changed(`added a TLS-only statement to ${owner.node.path}`);
  }
  const l1 = policy as CfnResource & { policyDocument: unknown };
  const document = l1.policyDocument;
  if (document instanceof cdk.aws_iam.PolicyDocument) {
    document.addStatements(statement);
    return changed(`added a TLS-only statement to ${policy.node.path}`);
  }
  const statements = isPlainObject(document) ? document.Statement : undefined;
  if (!isPlainObject(document) || cdk.Token.isUnresolved(document) || cdk.Token.isUnresolved(statements))
    return notApplied(
      `the PolicyDocument of ${policy.node.path} is computed (a token), so the fix cannot add a statement to it; add the TLS-only statement in code`,
    );
  const list = statements === undefined ? [] : Array.isArray(statements) ? statements : [statements];
  l1.policyDocument = { ...document, Statement: [...list, statement.toStatementJson()] };
  return changed(`added a TLS-only statement to ${policy.node.path}`);
}
