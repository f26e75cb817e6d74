import bucketAccessLogging from './bucket-access-logging';
import bucketVersioning from './bucket-versioning';
import codebuildInVpc from './codebuild-in-vpc';
import codebuildInternalRegistry from './codebuild-internal-registry';
import customerManagedKeyEncryption from './customer-managed-key-encryption';
import keyRotation from './key-rotation';
import lambdaInVpc from './lambda-in-vpc';
import manualApprovalBeforeProduction from './manual-approval-before-production';
import type { Control } from '../catalogue/model';
import { declarativeRuleOf } from '../declarative/rule';
import { RuleModule } from './rule';

/** Every rule of the library. A catalogue control names one of these by `meta.id`. */
export const RULES: readonly RuleModule[] = [
  codebuildInVpc,
  codebuildInternalRegistry,
  lambdaInVpc,
  customerManagedKeyEncryption,
  bucketAccessLogging,
  bucketVersioning,
  keyRotation,
  manualApprovalBeforeProduction,
];

const RULES_BY_ID = new Map(RULES.map((rule) => [rule.meta.id, rule]));

export function findRule(id: string): RuleModule | undefined {
  return RULES_BY_ID.get(id);
}

/** The rule that checks a control: its library rule, or its declarative check compiled into one. */
export function ruleOf(control: Control): RuleModule | undefined {
  return control.check ? declarativeRuleOf(control) : findRule(control.rule);
}

export * from './rule';
