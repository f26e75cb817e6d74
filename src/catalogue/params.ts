import type Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import { RuleModule } from '../rules/rule';
import { createAjv } from './ajv';

let ajv: Ajv | undefined;
const validators = new WeakMap<RuleModule, ValidateFunction>();

/**
 * A rule's params with the defaults of its params schema filled in (for models built in code;
 * `loadCatalogue` fills them in while it validates). Invalid params throw.
 */
export function withParamDefaults(
  rule: RuleModule,
  params: Record<string, unknown>,
): Record<string, unknown> {
  ajv ??= createAjv();
  let validate = validators.get(rule);
  if (!validate) {
    validate = ajv.compile(rule.meta.paramsSchema);
    validators.set(rule, validate);
  }
  const copy = structuredClone(params);
  if (!validate(copy)) {
    throw new Error(`invalid params for rule ${rule.meta.id}: ${ajv.errorsText(validate.errors)}`);
  }
  return copy;
}
