import type { aws_ec2 as ec2, aws_kms as kms, Stack } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import type { IConstruct } from 'constructs';
import type { CfnResourceJson } from '../engine/template';

/** A VPC given by ids, as platform teams publish them per account. */
export interface VpcIds {
  readonly vpcId: string;
  /** Private subnets with egress (CodeBuild and Lambda need them to reach AWS APIs and the registry). */
  readonly subnetIds: string[];
  /** Security groups to attach; when absent, each fixed resource gets its own egress-only group. */
  readonly securityGroupIds?: string[];
}

export interface CodeArtifactRepository {
  readonly domain: string;
  readonly repository: string;
  /** The account that owns the domain. @default the stack's account */
  readonly domainOwner?: string;
}

/**
 * The environment-specific inputs of the fixes. They come from the props of the remediation
 * Aspects or from CDK context (`cdk-catalogue:<name>`), never from the CISO's catalogue.
 */
export interface RemediationSettings {
  /** The VPC for CodeBuild projects and Lambda functions. */
  readonly vpc?: ec2.IVpc;
  /** The VPC by ids, one entry per account id (or `'*'` for every account); context `cdk-catalogue:vpc`. */
  readonly vpcIds?: Readonly<Record<string, VpcIds>>;
  /** The central access-log bucket; `${AWS::AccountId}` and `${AWS::Region}` are substituted. Context `cdk-catalogue:access-logs-bucket`. */
  readonly accessLogsBucketName?: string;
  /** Encrypt with this key instead of creating one rotating key per stack. Context `cdk-catalogue:encryption-key-arn`. */
  readonly encryptionKeyArn?: string;
  /** Environment variable name -> registry URL for CodeBuild. Context `cdk-catalogue:registries`. */
  readonly registries?: Readonly<Record<string, string>>;
  /** The internal CodeArtifact repository CodeBuild reads packages from. Context `cdk-catalogue:code-artifact`. */
  readonly codeArtifact?: CodeArtifactRepository;
}

export const REMEDIATION_CONTEXT_KEYS: Readonly<Record<keyof RemediationSettings, string | undefined>> = {
  vpc: undefined, // an IVpc cannot be given in context; use vpcIds
  vpcIds: 'cdk-catalogue:vpc',
  accessLogsBucketName: 'cdk-catalogue:access-logs-bucket',
  encryptionKeyArn: 'cdk-catalogue:encryption-key-arn',
  registries: 'cdk-catalogue:registries',
  codeArtifact: 'cdk-catalogue:code-artifact',
};

/** What a fix did: the changes it made, or why it could not be applied. */
export type RemediationResult = { readonly changes: readonly string[] } | { readonly notApplied: string };

export function changed(...changes: string[]): RemediationResult {
  return { changes };
}

export function notApplied(reason: string): RemediationResult {
  return { notApplied: reason };
}

/** The network a fix puts a resource in. */
export interface ResolvedVpc {
  readonly vpcId: string;
  readonly subnetIds: string[];
  readonly securityGroupIds?: string[];
  /** Present when the VPC was given as an `IVpc`. */
  readonly vpc?: ec2.IVpc;
}

const createdKeys = new WeakMap<Stack, kms.IKey>();

/** Everything a rule's fix may need, for the stack of the resource being fixed. */
export class RemediationContext {
  public readonly stack: Stack;
  private readonly describers: Array<(after: CfnResourceJson | undefined) => readonly string[]> = [];

  constructor(
    scope: IConstruct,
    public readonly settings: RemediationSettings,
    /** The control's `remediation.params` from the catalogue. */
    public readonly remediationParams: Readonly<Record<string, unknown>> = {},
    /**
     * The resource as its check judged it just before the fix (rendered, see `renderResource`):
     * what it is when the fix starts, so that the fix need not render it again to read it.
     */
    public readonly judged?: CfnResourceJson,
  ) {
    this.stack = cdk.Stack.of(scope);
  }

  /**
   * Has `describe` say what the fix changed on the resource once the fix is done, from the resource
   * as rendered then (the rendering that confirms the fix), so that the fix need not render the
   * resource again only to compare. Its words come before those the fix returns.
   */
  public describeAfterFix(describe: (after: CfnResourceJson | undefined) => readonly string[]): void {
    this.describers.push(describe);
  }

  /** The words of `describeAfterFix`, given the resource as rendered after the fix. */
  public describedAfterFix(after: CfnResourceJson | undefined): string[] {
    return this.describers.flatMap((describe) => describe(after));
  }

  /** The stack's account when it is known at synth time (not an environment-agnostic stack). */
  public get account(): string | undefined {
    return cdk.Token.isUnresolved(this.stack.account) ? undefined : this.stack.account;
  }

  /** The VPC to use, or the reason there is none for this stack. */
  public vpc(): ResolvedVpc | string {
    const { vpc, vpcIds } = this.settings;
    if (vpc) {
      const subnets = vpc.selectSubnets({ subnetType: privateSubnetType(vpc) });
      return { vpcId: vpc.vpcId, subnetIds: subnets.subnetIds, vpc };
    }
    if (!vpcIds) {
      return "no VPC was given: set the remediations' vpc prop or the context key 'cdk-catalogue:vpc'";
    }
    const forAccount = this.account ? vpcIds[this.account] : undefined;
    const ids = forAccount ?? vpcIds['*'];
    if (ids) return ids;
    return this.account
      ? `the context key 'cdk-catalogue:vpc' has no VPC for account ${this.account}`
      : "the stack is environment-agnostic, so the VPC ids per account in 'cdk-catalogue:vpc' cannot be chosen; give the stack an env or a '*' entry";
  }

  /**
   * The key to encrypt with: the given key, or one rotating customer-managed key per stack, created
   * the first time a fix asks for it.
   */
  public encryptionKey(): kms.IKey {
    const arn = this.settings.encryptionKeyArn;
    let key = createdKeys.get(this.stack);
    if (!key) {
      key = arn
        ? cdk.aws_kms.Key.fromKeyArn(this.stack, 'CatalogueEncryptionKey', arn)
        : new cdk.aws_kms.Key(this.stack, 'CatalogueEncryptionKey', {
            enableKeyRotation: true,
            description: `Customer-managed key for data at rest in ${this.stack.stackName} (cdk-catalogue-checks)`,
          });
      createdKeys.set(this.stack, key);
    }
    return key;
  }

  /** The central access-log bucket's name for this stack, placeholders filled in, or undefined when not given. */
  public accessLogsBucketName(): string | undefined {
    const name = this.settings.accessLogsBucketName;
    return name === undefined ? undefined : this.substitute(name);
  }

  /** Fills `${AWS::AccountId}` and `${AWS::Region}` with the stack's values, or leaves them to `Fn::Sub` when unknown. */
  public substitute(text: string): string {
    const concrete = text
      .replace(
        /\$\{AWS::AccountId\}/g,
        cdk.Token.isUnresolved(this.stack.account) ? '${AWS::AccountId}' : this.stack.account,
      )
      .replace(
        /\$\{AWS::Region\}/g,
        cdk.Token.isUnresolved(this.stack.region) ? '${AWS::Region}' : this.stack.region,
      );
    return /\$\{AWS::/.test(concrete) ? cdk.Fn.sub(concrete) : concrete;
  }
}

function privateSubnetType(vpc: ec2.IVpc): ec2.SubnetType {
  return vpc.privateSubnets.length > 0
    ? cdk.aws_ec2.SubnetType.PRIVATE_WITH_EGRESS
    : cdk.aws_ec2.SubnetType.PRIVATE_ISOLATED;
}

/** Props win over context; context is read where the resource is, so a Stage or Stack can set its own. */
export function resolveSettings(props: RemediationSettings, scope: IConstruct): RemediationSettings {
  const fromContext = (key: keyof RemediationSettings) => {
    const contextKey = REMEDIATION_CONTEXT_KEYS[key];
    return contextKey === undefined ? undefined : scope.node.tryGetContext(contextKey);
  };
  return Object.fromEntries(
    (Object.keys(REMEDIATION_CONTEXT_KEYS) as Array<keyof RemediationSettings>).map((key) => [
      key,
      props[key] ?? fromContext(key),
    ]),
  ) as RemediationSettings;
}
