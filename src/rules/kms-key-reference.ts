import { isPlainObject, prop } from '../engine/intrinsics';
import { describe, Resolved, TemplateResolver } from '../engine/resolve';
import { StackTemplate } from '../engine/template';
import { compliant, nonCompliant, unverifiable, Verdict } from './rule';

/** Resources whose `Ref` or `Fn::GetAtt` names a key the customer manages (a replica key is one too). */
const CUSTOMER_MANAGED_KEY_TYPES = new Set(['AWS::KMS::Key', 'AWS::KMS::ReplicaKey', 'AWS::KMS::Alias']);

/**
 * AWS reserves `alias/aws/` for the keys it manages for a service (`alias/aws/sns`), as an alias or
 * at the end of an alias ARN. Applied to partly rendered text, so parts before it may be `${...}`.
 */
const AWS_MANAGED_ALIAS = /(^|:)alias\/aws\//;

/**
 * The ways a KMS key is named: a key id (a UUID, or `mrk-` and hex for a multi-Region key), an alias
 * (`alias/...`), or the ARN of either. Anything else (`'TestKey'`) names no key at all.
 */
const KMS_KEY_NAME =
  /^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?(key\/)?([0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$|^(arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:)?alias\/[\w/-]+$/;

/**
 * `arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/app`, or with only the partition
 * unknown (`arn:${AWS::Partition}:kms:us-east-1:111111111111:alias/app`, as CDK Pipelines renders for
 * cross-region replication buckets): when the alias or key id after the last unknown part is known,
 * the key is known whatever partition, region or account.
 */
function namesKeyAfterUnknownParts(partialText: string): boolean {
  const afterLastUnknown = partialText.slice(partialText.lastIndexOf('}') + 1);
  return /^(:kms:[a-z0-9-]+:\d{12})?:(alias|key)\/[\w/-]+$/.test(afterLastUnknown);
}

/** What `Ref` returns for each key resource, as it ends a key or alias ARN: a key id after `key/`, an alias name. */
const ARN_FIELD = '(\\$\\{[^}]*\\}|[^:$]*)';
const ARN_BEFORE_REF: Readonly<Record<string, RegExp>> = {
  'AWS::KMS::Key': new RegExp(`(^|:)kms:${ARN_FIELD}:${ARN_FIELD}:key/$`),
  'AWS::KMS::ReplicaKey': new RegExp(`(^|:)kms:${ARN_FIELD}:${ARN_FIELD}:key/$`),
  'AWS::KMS::Alias': new RegExp(`(^|:)kms:${ARN_FIELD}:${ARN_FIELD}:$`),
};

/**
 * A key ARN built as `Fn::Join` (or `Fn::Sub`) of an ARN prefix and a `Ref` to a key or alias of
 * the templates (`arn:${AWS::Partition}:kms:us-west-2:111111111111:${Alias}`, as CDK Pipelines
 * renders for cross-region replication buckets): the resource it ends with.
 */
function keyResourceEndingArn(
  value: unknown,
  stack: StackTemplate,
  resolver: TemplateResolver,
): Extract<Resolved, { kind: 'resource' }> | undefined {
  const parts = arnParts(value);
  if (!parts) return undefined;
  const last = resolver.resolve(parts.last, stack);
  if (last.kind !== 'resource' || last.attribute !== undefined) return undefined;
  const before = ARN_BEFORE_REF[String(last.resource.Type)];
  const prefix = resolver.text(parts.before, stack).text;
  return before?.test(prefix) ? last : undefined;
}

/** A Join or Sub split into its last part (a `Ref`) and what comes before it. */
function arnParts(value: unknown): { before: unknown; last: unknown } | undefined {
  const join = prop(value, 'Fn::Join');
  if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1]) && join[1].length > 1) {
    const parts = join[1];
    return { before: { 'Fn::Join': [join[0], [...parts.slice(0, -1), '']] }, last: parts[parts.length - 1] };
  }
  const sub = prop(value, 'Fn::Sub');
  const template = Array.isArray(sub) ? sub[0] : sub;
  const variables = Array.isArray(sub) && isPlainObject(sub[1]) ? sub[1] : {};
  const ending = typeof template === 'string' ? /\$\{([^!}][^}]*)\}$/.exec(template) : null;
  if (!ending || ending[1].includes('.')) return undefined;
  const name = ending[1];
  const last = Object.prototype.hasOwnProperty.call(variables, name) ? variables[name] : { Ref: name };
  const before = (template as string).slice(0, ending.index);
  return { before: Array.isArray(sub) ? { 'Fn::Sub': [before, variables] } : { 'Fn::Sub': before }, last };
}

function judgeReferencedResource(
  property: string,
  target: Extract<Resolved, { kind: 'resource' }>,
  from: StackTemplate,
): Verdict {
  const type = String(target.resource.Type);
  if (CUSTOMER_MANAGED_KEY_TYPES.has(type)) return compliant;
  const name = target.attribute ? `${target.logicalId}.${target.attribute}` : target.logicalId;
  const where = target.stack === from ? '' : ` in stack ${target.stack.stackId}`;
  return nonCompliant(property, `${property} refers to ${name}${where} (${type}), not a KMS key or alias`);
}

/**
 * Judges a value given for a KMS key property (a key id, key ARN, alias or alias ARN): compliant
 * when it names a customer-managed key. The caller decides what an unset key means, as the
 * fallback differs by service (an AWS-managed key, an AWS-owned key, no encryption).
 */
export function judgeKmsKeyReference(
  value: unknown,
  property: string,
  stack: StackTemplate,
  resolver: TemplateResolver,
): Verdict {
  const resolved = resolver.resolve(value, stack);
  if (resolved.kind === 'resource') return judgeReferencedResource(property, resolved, stack);
  if (
    resolved.kind === 'literal' &&
    typeof resolved.value === 'string' &&
    KMS_KEY_NAME.test(resolved.value)
  ) {
    return AWS_MANAGED_ALIAS.test(resolved.value)
      ? nonCompliant(property, `${property} '${resolved.value}' is an AWS-managed key`)
      : compliant;
  }
  if (resolved.kind === 'unknown') {
    const endsWithKey = keyResourceEndingArn(value, stack, resolver);
    if (endsWithKey) return judgeReferencedResource(property, endsWithKey, stack);
    // A Fn::Join/Fn::Sub ARN with a pseudo parameter in it is still known to name an AWS-managed key.
    const partial = resolver.text(value, stack);
    if (AWS_MANAGED_ALIAS.test(partial.text)) {
      return nonCompliant(property, `${property} '${partial.text}' is an AWS-managed key`);
    }
    if (namesKeyAfterUnknownParts(partial.text)) return compliant;
    return unverifiable(
      property,
      `${property} comes from ${resolved.description}, so whether the key is customer-managed is only known at deploy time`,
    );
  }
  return nonCompliant(property, `${property} is ${describe(value)}, not a KMS key id, ARN or alias`);
}
