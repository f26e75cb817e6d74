import type { IAspect } from 'aws-cdk-lib';
import { cdk } from '../rules/cdk';
import type { IConstruct } from 'constructs';
import { loadCatalogue } from '../catalogue/load';
import { Catalogue } from '../catalogue/model';
import { withParamDefaults } from '../catalogue/params';
import { CompiledControl, compiledControls } from '../engine/controls';
import { findRule } from '../rules';
import { remediateResource } from './apply';
import { RemediationSettings } from './context';

export interface RemediationAspectProps extends RemediationSettings {
  /** The catalogue whose control (params, finding id) the fix serves. @default the shipped catalogue */
  readonly catalogue?: string | Catalogue;
}

/**
 * One rule's fix as an Aspect of its own, for teams that want some fixes and not others. It uses
 * the catalogue's control for that rule (its params and finding id) and applies whatever the rating.
 */
export abstract class ControlRemediation implements IAspect {
  private readonly compiledControl: CompiledControl;

  protected constructor(
    ruleId: string,
    private readonly props: RemediationAspectProps,
  ) {
    const catalogue = typeof props.catalogue === 'object' ? props.catalogue : loadCatalogue(props.catalogue);
    this.compiledControl = compiledControls(catalogue).find((c) => c.rule.meta.id === ruleId) ?? {
      // The catalogue has no control for this rule: the fix still runs, with the rule's defaults.
      rule: findRule(ruleId)!,
      findingId: `${catalogue.metadata.packName}-${ruleId}`,
      control: {
        id: ruleId,
        title: findRule(ruleId)!.meta.description,
        description: '',
        rule: ruleId,
        params: withParamDefaults(findRule(ruleId)!, {}),
        severity: 'error',
        appliesFrom: {},
        references: { securityHub: [], config: [] },
        suppressible: true,
        remediation: { enabled: true, params: {} },
        source: { file: '(none)', line: 1, column: 1 },
      },
    };
  }

  public visit(node: IConstruct): void {
    if (cdk.CfnResource.isCfnResource(node)) remediateResource(this.compiledControl, node, this.props);
  }
}

/** Puts CodeBuild projects in the VPC, with the network-interface permissions CodeBuild needs (CodeBuild.1). */
export class CodeBuildInVpc extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('codebuild-in-vpc', props);
  }
}

/** Points CodeBuild's package managers at the internal CodeArtifact repository (CodeBuild.2). */
export class CodeBuildInternalRegistry extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('codebuild-internal-registry', props);
  }
}

/** Puts Lambda functions in the VPC, with the VPC access managed policy (Lambda.1). */
export class LambdaInVpc extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('lambda-in-vpc', props);
  }
}

/** Encrypts data at rest with a customer-managed key, created per stack unless one is given (Encryption.1). */
export class EncryptWithCustomerManagedKey extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('customer-managed-key-encryption', props);
  }
}

/** Sends S3 server access logs to the central log bucket (S3.1). */
export class BucketAccessLogging extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('bucket-access-logging', props);
  }
}

/** Turns on S3 bucket versioning (S3.2). */
export class BucketVersioning extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('bucket-versioning', props);
  }
}

/** Turns on automatic rotation of symmetric KMS keys (KMS.1). */
export class KeyRotation extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('key-rotation', props);
  }
}

/** Adds a manual approval before every production deployment of a pipeline (CodePipeline.1). */
export class ManualApprovalBeforeProduction extends ControlRemediation {
  constructor(props: RemediationAspectProps = {}) {
    super('manual-approval-before-production', props);
  }
}
