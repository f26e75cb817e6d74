import type {
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_s3 as s3,
  aws_sns as sns,
  aws_sqs as sqs,
  CfnResource,
  Stack,
} from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import type { IConstruct } from 'constructs';
import { isDeepStrictEqual } from 'node:util';
import { isIntrinsic, isPlainObject, prop } from '../engine/intrinsics';
import { CfnResourceJson } from '../engine/template';
import { describe } from '../engine/resolve';
import { matchesWildcard } from '../rules/pattern';
import { allOf, KeyFixScope, KeyPlan, KeyStep } from './key-properties';
import { renderedStackOf } from './rendered-stack';
import { roleInStack } from './roles';

/**
 * Who must be able to use the key once a resource is encrypted with it, so that the stack still
 * works: the principals the stack allows to use the resource (IAM policies, roles), the AWS services
 * its resource policies allow to write to it, the role a function or project runs as, and CloudWatch
 * Logs. Grants go to the principals' IAM policies through the L2 (`iam.Policy.addStatements`,
 * `iam.Role.addToPrincipalPolicy`); services are allowed in the key policy, which only a key the
 * fix creates can get.
 */

/** What principals allowed some of `actions` on a resource need on its key (IAM wildcards match). */
export interface KeyUse {
  readonly actions: readonly string[];
  readonly keyActions: readonly string[];
}

/** What CodeBuild, CodePipeline and S3 writers need: the L2 `grantEncryptDecrypt`. */
export const ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'];

type Statement = Record<string, unknown>;

/** An IAM policy document of the stack, and how to add to it. */
interface IdentityDocument {
  /** The construct path, from the stack. */
  readonly path: string;
  /** What it allows. */
  readonly statements: () => readonly Statement[];
  /** Absent for a raw L1 (no L2 to keep the policy consistent), which the fix does not edit. */
  readonly add?: (statement: iam.PolicyStatement) => void;
  /** Where `add` puts statements, to see a grant is there already: a role's DefaultPolicy. @default statements */
  readonly added?: () => readonly Statement[];
}

/** The construct path from the stack; an L1 by its L2's (`Queue`, not `Queue/Resource`). */
function pathIn(stack: Stack, construct: IConstruct): string {
  const named = construct instanceof cdk.CfnResource ? (ownerOf(construct) ?? construct) : construct;
  return named.node.path.slice(stack.node.path.length + 1);
}

function listOf(value: unknown): unknown[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

/** The statements of a policy document, rendered; an L2 document is read without freezing it. */
function statementsOf(stack: Stack, document: unknown): Statement[] {
  const json = document instanceof cdk.aws_iam.PolicyDocument ? document.toJSON() : document;
  const rendered: unknown = stack.resolve(json);
  return listOf(isPlainObject(rendered) ? rendered.Statement : undefined).filter(isPlainObject);
}

function inlineStatementsOf(stack: Stack, role: iam.CfnRole): Statement[] {
  const policies = cdk.Token.isUnresolved(role.policies) ? [] : listOf(role.policies);
  return policies.flatMap((policy) =>
    isPlainObject(policy) && 'policyDocument' in policy ? statementsOf(stack, policy.policyDocument) : [],
  );
}

/** The L2 that owns an L1, when the L1 is its default child. */
function ownerOf(l1: CfnResource): IConstruct | undefined {
  const parent = l1.node.scope;
  return parent?.node.defaultChild === l1 ? parent : undefined;
}

/** An L2 role: its inline policies, and its DefaultPolicy, where `addToPrincipalPolicy` adds. */
function roleDocument(stack: Stack, role: iam.Role, cfnRole: iam.CfnRole): IdentityDocument {
  return {
    path: pathIn(stack, role),
    statements: () => inlineStatementsOf(stack, cfnRole),
    add: (statement) => role.addToPrincipalPolicy(statement),
    added: () => {
      const policy = role.node.tryFindChild('DefaultPolicy');
      return policy instanceof cdk.aws_iam.Policy ? statementsOf(stack, policy.document) : [];
    },
  };
}

/**
 * The IAM policies (standalone, managed, and roles' inline policies) defined in the stack. What
 * they allow is read once per pass of the fixes: the fixes only add statements on keys, never on
 * what the policies are searched for; where a grant goes (`added`) is always read as it stands.
 */
function identityDocuments(stack: Stack): readonly IdentityDocument[] {
  const rendered = renderedStackOf(stack);
  // Read once: each read of `cdk.X` goes through aws-cdk-lib's lazy exports.
  const { Role, CfnRole, CfnPolicy, CfnManagedPolicy, Policy, ManagedPolicy } = cdk.aws_iam;
  const isL2Policy = (c: IConstruct | undefined): c is iam.Policy | iam.ManagedPolicy =>
    c instanceof Policy || c instanceof ManagedPolicy;
  // `select` is asked once per construct for the pass: statements read `once` are read once a pass.
  return rendered.selected<IdentityDocument>('identity documents', (construct) => {
    if (isL2Policy(construct)) {
      return {
        path: pathIn(stack, construct),
        statements: once(() => statementsOf(stack, construct.document)),
        add: (statement) => construct.addStatements(statement),
        added: () => statementsOf(stack, construct.document),
      };
    }
    if (construct instanceof Role && construct.node.defaultChild instanceof CfnRole) {
      const cfnRole = construct.node.defaultChild;
      return {
        ...roleDocument(stack, construct, cfnRole),
        statements: once(() => inlineStatementsOf(stack, cfnRole)),
      };
    }
    if (
      (construct instanceof CfnPolicy || construct instanceof CfnManagedPolicy) &&
      !isL2Policy(ownerOf(construct))
    ) {
      return {
        path: pathIn(stack, construct),
        statements: once(() => statementsOf(stack, construct.policyDocument)),
      };
    }
    if (construct instanceof CfnRole && !(ownerOf(construct) instanceof Role)) {
      return {
        path: pathIn(stack, construct),
        statements: once(() => inlineStatementsOf(stack, construct)),
      };
    }
    return undefined;
  });
}

/** `compute`, called the first time it is asked for, its answer kept. */
function once<T>(compute: () => T): () => T {
  let answer: { readonly value: T } | undefined;
  return () => (answer ??= { value: compute() }).value;
}

/** The logical ids a value refers to by `{ Ref: id }` or `{ 'Fn::GetAtt': [id, ...] }` anywhere (an ARN join, a list). */
function referencedIds(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {
    for (const item of value) referencedIds(item, found);
    return found;
  }
  if (!isPlainObject(value)) return found;
  if (typeof value.Ref === 'string') found.add(value.Ref);
  const getAtt = value['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') found.add(getAtt[0]);
  if (typeof getAtt === 'string') {
    // `Id.Attribute`: the id is the text before a dot.
    found.add(getAtt);
    for (let dot = getAtt.indexOf('.'); dot >= 0; dot = getAtt.indexOf('.', dot + 1)) {
      found.add(getAtt.slice(0, dot));
    }
  }
  for (const child of Object.values(value)) referencedIds(child, found);
  return found;
}

function refersTo(value: unknown, logicalId: string): boolean {
  return referencedIds(value).has(logicalId);
}

/** The logical ids the resources of a document's Allow statements refer to, once per document's statements. */
const allowedIdsByStatements = new WeakMap<readonly Statement[], ReadonlySet<string>>();

function idsAllowedIn(statements: readonly Statement[]): ReadonlySet<string> {
  let ids = allowedIdsByStatements.get(statements);
  if (!ids) {
    const found = new Set<string>();
    for (const statement of statements) {
      if (statement.Effect === 'Allow') referencedIds(statement.Resource, found);
    }
    ids = found;
    allowedIdsByStatements.set(statements, ids);
  }
  return ids;
}

/** What an Allow statement on the resource means its principals need on the key. */
function keyActionsFor(statement: Statement, logicalId: string, uses: readonly KeyUse[]): string[] {
  if (statement.Effect !== 'Allow' || !refersTo(statement.Resource, logicalId)) return [];
  const granted = listOf(statement.Action).filter((action): action is string => typeof action === 'string');
  const needed = uses.filter((use) =>
    use.actions.some((action) => granted.some((wildcard) => matchesWildcard(wildcard, action))),
  );
  return unique(needed.flatMap((use) => use.keyActions));
}

/** True when an Allow statement without conditions already grants `keyActions` on the key. */
function alreadyAllowed(
  statements: readonly Statement[],
  keyArn: unknown,
  keyActions: readonly string[],
): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === 'Allow' &&
      statement.Condition === undefined &&
      listOf(statement.Resource).some((resource) => isDeepStrictEqual(resource, keyArn)) &&
      keyActions.every((action) => listOf(statement.Action).includes(action)),
  );
}

function grantStep(stack: Stack, document: IdentityDocument, keyActions: readonly string[]): KeyStep {
  return (key) => {
    const added = (document.added ?? document.statements)();
    if (alreadyAllowed(added, stack.resolve(key.keyArn), keyActions)) return [];
    document.add?.(new cdk.aws_iam.PolicyStatement({ actions: [...keyActions], resources: [key.keyArn] }));
    return [`granted ${keyActions.join(', ')} on the key to ${document.path}`];
  };
}

/**
 * Grants the key to every IAM policy of the stack that allows `uses` actions on `target` (senders
 * of a queue, readers of a bucket...). Policies outside the stack, and statements on `*`, are not seen.
 */
export function grantsToUsersOf(scope: KeyFixScope, target: CfnResource, uses: readonly KeyUse[]): KeyPlan {
  const { stack } = scope;
  const logicalId = stack.resolve(target.logicalId) as string;
  const steps: KeyStep[] = [];
  for (const document of identityDocuments(stack)) {
    const statements = document.statements();
    // Most documents name other resources: the ids their Allow statements name are read once.
    if (!idsAllowedIn(statements).has(logicalId)) continue;
    const keyActions = unique(statements.flatMap((s) => keyActionsFor(s, logicalId, uses)));
    if (keyActions.length === 0) continue;
    if (!document.add) {
      return (
        `${document.path} allows access to ${pathIn(stack, target)} but is a raw L1 policy, which the fix does not ` +
        `edit: add ${keyActions.join(', ')} on the key to it, or define it with iam.Policy or iam.Role`
      );
    }
    steps.push(grantStep(stack, document, keyActions));
  }
  return steps;
}

/**
 * Grants the key to the role a resource runs as (a function's role, a project's service role), found
 * through its typed role property, a token for `Fn::GetAtt <Role>.Arn` in the same stack.
 */
export function grantToRole(
  scope: KeyFixScope,
  roleArn: unknown,
  whose: string,
  keyActions: readonly string[],
): KeyPlan {
  const { stack } = scope;
  const found = roleInStack(stack, roleArn);
  const role = typeof found === 'string' ? undefined : found.role;
  if (!role) {
    return (
      `${whose} (${describe(stack.resolve(roleArn))}) is not an iam.Role of this stack, so the fix cannot let it use the key: ` +
      `set the key yourself and grant the role ${keyActions.join(', ')} on it`
    );
  }
  const document = roleDocument(stack, role, role.node.defaultChild as iam.CfnRole);
  return [grantStep(stack, document, keyActions)];
}

/** Adds `statement` to a created key's policy unless it is there already. */
function keyPolicyStep(statement: (stack: Stack) => iam.PolicyStatement, description: string): KeyStep {
  return (key) => {
    const cfnKey = key.node.defaultChild;
    if (!(key instanceof cdk.aws_kms.Key) || !(cfnKey instanceof cdk.aws_kms.CfnKey)) return [];
    const stack = cdk.Stack.of(key);
    const wanted = statement(stack);
    const rendered: unknown = stack.resolve(wanted.toStatementJson());
    if (statementsOf(stack, cfnKey.keyPolicy).some((existing) => isDeepStrictEqual(existing, rendered)))
      return [];
    key.addToResourcePolicy(wanted);
    return [description];
  };
}

/** A readable form of a statement for a reason: the key owner adds it by hand. */
function statementText(stack: Stack, statement: iam.PolicyStatement): string {
  return JSON.stringify(stack.resolve(statement.toStatementJson()));
}

/**
 * CloudWatch Logs encrypts a log group with the key itself, as the service, so the key policy must
 * allow it, limited to the account's log groups (as the CloudWatch Logs guide documents).
 */
export function allowCloudWatchLogs(scope: KeyFixScope): KeyPlan {
  const statement = (stack: Stack) =>
    new cdk.aws_iam.PolicyStatement({
      principals: [new cdk.aws_iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: {
          'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
            service: 'logs',
            resource: '*',
            arnFormat: cdk.ArnFormat.NO_RESOURCE_NAME,
          }),
        },
      },
    });
  if (scope.keyIsImported) {
    return (
      'CloudWatch Logs can only use the key given by encryptionKeyArn (context cdk-catalogue:encryption-key-arn) ' +
      `if its key policy has this statement, which only the key owner can add: ${statementText(scope.stack, statement(scope.stack))}; ` +
      'then set the log group key yourself, or leave encryptionKeyArn unset so that the fix creates a key'
    );
  }
  return [keyPolicyStep(statement, 'allowed CloudWatch Logs to use the key in its key policy')];
}

type ResourcePolicy = sqs.CfnQueuePolicy | sns.CfnTopicPolicy | s3.CfnBucketPolicy;

/** Resource policies that can let an AWS service write to the resource. */
function resourcePolicies(stack: Stack): readonly ResourcePolicy[] {
  return renderedStackOf(stack).selected('resource policies', (construct) => {
    const types = [cdk.aws_sqs.CfnQueuePolicy, cdk.aws_sns.CfnTopicPolicy, cdk.aws_s3.CfnBucketPolicy];
    return types.some((type) => construct instanceof type) ? (construct as ResourcePolicy) : undefined;
  });
}

type Conditions = Record<string, Record<string, unknown>>;

/*
 * Deployable key policies. The created key is the root of its stack: every resource it encrypts
 * depends on it. A key-policy statement that names a resource (aws:SourceArn = the topic's ARN) makes
 * the key depend on that resource, hence a cycle (F3004) as soon as the resource, or anything that
 * depends on it (the queue a rule targets), is encrypted with the key; and one that names a resource of
 * another stack renders as a Ref to a resource the template does not have (F1020), since the Aspects
 * run before CDK turns references across stacks into imports. So a key policy names no resource at
 * all, whatever the order in which the fixes run: a source condition of the resource policy is kept
 * when it is known before deployment (literals and pseudo parameters), rebuilt from the literal name
 * of the topic or bucket it refers to, or else replaced by aws:SourceAccount, the stack's account (a
 * reference in a template can only be to the same account: this stack or an export of the same
 * environment). The statement is also scoped to what the target's service encrypts, by the
 * encryption context SQS and SNS pass to KMS: the account's queues, or topics, in the stack's region.
 */

const SOURCE_ARN = 'aws:sourcearn';
const SOURCE_ACCOUNT = 'aws:sourceaccount';

/** True for values fixed before deployment: literals and pseudo parameters, no resource, parameter or import. */
function knownBeforeDeployment(value: unknown): boolean {
  if (Array.isArray(value)) return value.every(knownBeforeDeployment);
  if (!isPlainObject(value)) return true;
  if ('Ref' in value) return typeof value.Ref === 'string' && value.Ref.startsWith('AWS::');
  if ('Fn::GetAtt' in value || 'Fn::ImportValue' in value) return false;
  if ('Fn::Sub' in value) {
    const [text, variables] = listOf(value['Fn::Sub']);
    const names =
      typeof text === 'string' ? [...text.matchAll(/\$\{(?!!)([^}]*)\}/g)].map((m) => m[1]) : [''];
    return names.every((name) => name.startsWith('AWS::')) && knownBeforeDeployment(variables);
  }
  return Object.values(value).every(knownBeforeDeployment);
}

/** The construct an unresolved value stands for when it is one reference (`topic.topicArn`). */
function referencedConstruct(value: unknown): IConstruct | undefined {
  const token = cdk.Tokenization.reverse(value, { failConcat: false });
  return token instanceof cdk.Reference ? token.target : undefined;
}

function sameEnvironment(stack: Stack, other: Stack): boolean {
  return (
    isDeepStrictEqual(stack.resolve(stack.account), stack.resolve(other.account)) &&
    isDeepStrictEqual(stack.resolve(stack.region), stack.resolve(other.region))
  );
}

/** The ARN of a topic or bucket with a literal name, built without referring to it. */
function arnFromLiteralName(stack: Stack, construct: IConstruct): string | undefined {
  const name =
    construct instanceof cdk.aws_sns.CfnTopic
      ? construct.topicName
      : construct instanceof cdk.aws_s3.CfnBucket
        ? construct.bucketName
        : undefined;
  if (typeof name !== 'string' || cdk.Token.isUnresolved(name)) return undefined;
  const global = construct instanceof cdk.aws_s3.CfnBucket ? { region: '', account: '' } : {};
  const service = construct instanceof cdk.aws_s3.CfnBucket ? 's3' : 'sns';
  return stack.formatArn({ service, ...global, resource: name, arnFormat: cdk.ArnFormat.NO_RESOURCE_NAME });
}

/** One source value as a key policy can hold it, rendered; undefined when it can only name a resource. */
function deployableSource(stack: Stack, value: unknown): unknown {
  const rendered: unknown = stack.resolve(value);
  if (knownBeforeDeployment(rendered)) return rendered;
  const source = referencedConstruct(value);
  const arn =
    source && sameEnvironment(stack, cdk.Stack.of(source)) ? arnFromLiteralName(stack, source) : undefined;
  return arn === undefined ? undefined : stack.resolve(arn);
}

function entriesOf(stack: Stack, value: unknown): Array<[string, unknown]> {
  const object: unknown = cdk.Token.isUnresolved(value) ? stack.resolve(value) : value;
  return isPlainObject(object) ? Object.entries(object) : [];
}

function withCondition(conditions: Conditions, operator: string, key: string, value: unknown): Conditions {
  return { ...conditions, [operator]: { ...conditions[operator], [key]: value } };
}

/** What the key policy keeps of the resource policy's source conditions, and what it had to leave out. */
interface SourceConditions {
  readonly conditions: Conditions;
  /** `aws:SourceArn Fn::GetAtt Uploads.Arn`: conditions replaced by the stack's account. */
  readonly replaced: readonly string[];
}

/**
 * The resource policy's `aws:SourceArn`/`aws:SourceAccount` conditions (unresolved, so that a reference
 * can be followed to the name of what it refers to), made deployable in a key policy. A list of
 * sources is kept or replaced whole: dropping one source would stop its deliveries.
 */
function sourceConditions(stack: Stack, condition: unknown): SourceConditions {
  let conditions: Conditions = {};
  const replaced: string[] = [];
  for (const [operator, keys] of entriesOf(stack, condition)) {
    for (const [key, value] of entriesOf(stack, keys)) {
      const name = key.toLowerCase();
      if (name !== SOURCE_ARN && name !== SOURCE_ACCOUNT) continue;
      const values = Array.isArray(value) ? value : [value];
      const deployable = values.map((v) => deployableSource(stack, v));
      if (deployable.some((v) => v === undefined)) replaced.push(`${key} ${describe(stack.resolve(value))}`);
      else
        conditions = withCondition(
          conditions,
          operator,
          key,
          Array.isArray(value) ? deployable : deployable[0],
        );
    }
  }
  const keptAccount = Object.values(conditions).some((keys) =>
    Object.keys(keys).some((key) => key.toLowerCase() === SOURCE_ACCOUNT),
  );
  if (replaced.length > 0 && !keptAccount) {
    conditions = withCondition(conditions, 'StringEquals', 'aws:SourceAccount', stack.resolve(stack.account));
  }
  return { conditions, replaced };
}

/** The encryption context SQS and SNS pass to KMS, limited to the account's queues or topics in the region. */
function encryptionContextOf(stack: Stack, target: CfnResource): Conditions {
  const context =
    target instanceof cdk.aws_sqs.CfnQueue
      ? { service: 'sqs', key: 'kms:EncryptionContext:aws:sqs:arn' }
      : target instanceof cdk.aws_sns.CfnTopic
        ? { service: 'sns', key: 'kms:EncryptionContext:aws:sns:topicArn' }
        : undefined;
  if (!context) return {};
  const pattern = stack.formatArn({
    service: context.service,
    resource: '*',
    arnFormat: cdk.ArnFormat.NO_RESOURCE_NAME,
  });
  return { StringLike: { [context.key]: stack.resolve(pattern) } };
}

/** A service that writes to the resource: its principal, what it needs and the sources it writes from. */
interface ServiceWriter {
  readonly service: string;
  readonly keyActions: readonly string[];
  readonly sources?: SourceConditions;
}

/** The statements of a policy document as written, tokens unresolved. */
function unresolvedStatementsOf(stack: Stack, document: unknown): unknown[] {
  const json: unknown = document instanceof cdk.aws_iam.PolicyDocument ? document.toJSON() : document;
  const object: unknown = cdk.Token.isUnresolved(json) ? stack.resolve(json) : json;
  return listOf(isPlainObject(object) ? object.Statement : undefined);
}

function isStructure(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && !isIntrinsic(value);
}

/**
 * False only when the policy's kept rendering (see `RenderedStack`, rendered again after any fix
 * that may change it) plainly has no Allow statement that lets anyone use `logicalId` for `uses`:
 * the policy is then not read statement by statement. A policy that cannot be rendered, or whose
 * document or statements are not plain (an `Fn::If`), is read.
 */
function mayLetUse(
  rendered: CfnResourceJson | undefined,
  logicalId: string,
  uses: readonly KeyUse[],
): boolean {
  const document = prop(rendered?.Properties, 'PolicyDocument');
  const statements = prop(document, 'Statement');
  if (!isStructure(document) || !(Array.isArray(statements) || isStructure(statements))) return true;
  const list = listOf(statements);
  if (!list.every(isStructure)) return true;
  // Most policies name other resources: the ids their Allow statements name are read once per rendering.
  return idsAllowedIn(list).has(logicalId) && list.some((s) => keyActionsFor(s, logicalId, uses).length > 0);
}

/** AWS services that the stack's queue, topic and bucket policies allow to use `target`. */
function serviceWriters(stack: Stack, target: CfnResource, uses: readonly KeyUse[]): ServiceWriter[] {
  const logicalId = stack.resolve(target.logicalId) as string;
  const rendered = renderedStackOf(stack);
  return resourcePolicies(stack)
    .filter((policy) => mayLetUse(rendered.renderingOf(policy), logicalId, uses))
    .flatMap((policy) =>
      unresolvedStatementsOf(stack, policy.policyDocument).flatMap((unresolved) => {
        const statement: unknown = stack.resolve(unresolved);
        if (!isPlainObject(statement)) return [];
        const keyActions = keyActionsFor(statement, logicalId, uses);
        const principal = statement.Principal;
        const services = listOf(isPlainObject(principal) ? principal.Service : undefined);
        if (keyActions.length === 0) return [];
        const sources = sourceConditions(stack, prop(unresolved, 'Condition'));
        return services
          .filter((service): service is string => typeof service === 'string')
          .map((service) => ({ service, keyActions, sources }));
      }),
    );
}

/**
 * Allows, in the key policy, the AWS services that the stack's resource policies let write to
 * `target` (S3 event notifications and EventBridge rules to a queue or topic, SNS to a subscribed
 * queue, log delivery to a bucket): they encrypt with the key as the service. `cannotUseKms` names
 * services that do not deliver to a KMS-encrypted resource at all, and why.
 */
export function allowServiceWriters(
  scope: KeyFixScope,
  target: CfnResource,
  uses: readonly KeyUse[],
  cannotUseKms: Readonly<Record<string, string>> = {},
): KeyPlan {
  const writers = serviceWriters(scope.stack, target, uses);
  const refusal = writers.map((writer) => cannotUseKms[writer.service]).find((reason) => reason);
  return refusal ?? allOf(writers.map((writer) => allowServiceInKeyPolicy(scope, target, writer)));
}

/** Allows one service in the key policy; with the given key, says what its owner must add. */
function allowServiceInKeyPolicy(scope: KeyFixScope, target: CfnResource, writer: ServiceWriter): KeyPlan {
  const conditions = { ...writer.sources?.conditions };
  for (const [operator, keys] of Object.entries(encryptionContextOf(scope.stack, target))) {
    conditions[operator] = { ...conditions[operator], ...keys };
  }
  const statement = () =>
    new cdk.aws_iam.PolicyStatement({
      principals: [new cdk.aws_iam.ServicePrincipal(writer.service)],
      actions: [...writer.keyActions],
      resources: ['*'],
      conditions: Object.keys(conditions).length > 0 ? conditions : undefined,
    });
  if (scope.keyIsImported) {
    return (
      `${writer.service} writes to ${pathIn(scope.stack, target)}, so the key given by encryptionKeyArn (context ` +
      `cdk-catalogue:encryption-key-arn) must allow it in its key policy, which only the key owner can change: ` +
      `${statementText(scope.stack, statement())}; then set the key yourself, or leave encryptionKeyArn unset`
    );
  }
  const replaced = writer.sources?.replaced ?? [];
  const scoped =
    replaced.length === 0
      ? ''
      : ` for sources in the stack's account (${replaced.join(', ')} would make the key policy name a resource: ` +
        'a dependency cycle, or a reference to another stack)';
  return [keyPolicyStep(statement, `allowed ${writer.service} to use the key in its key policy${scoped}`)];
}

const ELB_LOG_DELIVERY = 'logdelivery.elasticloadbalancing.amazonaws.com';
const S3_LOG_DELIVERY = 'logging.s3.amazonaws.com';

function elbAccessLogsRefusal(stack: Stack, bucket: CfnResource, source: string): string {
  return (
    `${source} delivers Elastic Load Balancing access logs to ${pathIn(stack, bucket)}, and ELB only delivers ` +
    'them to buckets encrypted with SSE-S3: keep this bucket on SSE-S3 and acknowledge the finding for it'
  );
}

/** Services that never deliver to a bucket encrypted with a KMS key, and why. */
export function servicesThatCannotUseKmsFor(stack: Stack, bucket: CfnResource): Record<string, string> {
  return { [ELB_LOG_DELIVERY]: elbAccessLogsRefusal(stack, bucket, ELB_LOG_DELIVERY) };
}

function accessLogBucketAttribute(stack: Stack, loadBalancer: elbv2.CfnLoadBalancer): unknown[] {
  const attributes = listOf(stack.resolve(loadBalancer.loadBalancerAttributes));
  return attributes.filter((a) => isPlainObject(a) && a.key === 'access_logs.s3.bucket').map(attributeValue);
}

function attributeValue(attribute: unknown): unknown {
  return isPlainObject(attribute) ? attribute.value : undefined;
}

/**
 * Log delivery to a bucket of the stack. Load balancers whose access logs go to it make the fix
 * impossible (ELB delivers to SSE-S3 buckets only). Buckets that send their server access logs to
 * it (LoggingConfiguration, or the LogDeliveryWrite ACL) need logging.s3.amazonaws.com allowed in
 * the key policy, as the L2 `serverAccessLogsBucket` does, unless a bucket policy already names it.
 */
export function allowLogDelivery(scope: KeyFixScope, bucket: CfnResource, uses: readonly KeyUse[]): KeyPlan {
  const { stack } = scope;
  const logicalId = stack.resolve(bucket.logicalId) as string;
  const rendered = renderedStackOf(stack);
  const { CfnLoadBalancer } = cdk.aws_elasticloadbalancingv2;
  const loadBalancer = rendered
    .selected('load balancers', (c) => (c instanceof CfnLoadBalancer ? c : undefined))
    .find((c) => refersTo(accessLogBucketAttribute(stack, c), logicalId));
  if (loadBalancer) return elbAccessLogsRefusal(stack, bucket, pathIn(stack, loadBalancer));
  const { CfnBucket } = cdk.aws_s3;
  // Each bucket's LoggingConfiguration as last rendered (again after a fix of it), not resolved anew per bucket fixed.
  const logSource = rendered
    .selected('buckets', (c) => (c instanceof CfnBucket ? c : undefined))
    .some((c) => {
      const json = rendered.renderingOf(c);
      return refersTo(
        json ? json.Properties?.LoggingConfiguration : stack.resolve(c.loggingConfiguration),
        logicalId,
      );
    });
  const logTarget = bucket instanceof cdk.aws_s3.CfnBucket && bucket.accessControl === 'LogDeliveryWrite';
  const allowedByBucketPolicy = serviceWriters(stack, bucket, uses).some(
    (w) => w.service === S3_LOG_DELIVERY,
  );
  if ((!logSource && !logTarget) || allowedByBucketPolicy) return [];
  return allowServiceInKeyPolicy(scope, bucket, { service: S3_LOG_DELIVERY, keyActions: ENCRYPT_DECRYPT });
}
