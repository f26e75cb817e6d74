import type Ajv from 'ajv';
import { patternProblem } from '../rules/pattern';
import { CIA_SHORT_FORM } from './rating';

/**
 * The ajv setup shared by the catalogue loader and params defaults: defaults filled in, and `regex`
 * meaning a pattern the rules' linear-time matcher accepts (RE2 syntax), so none is refused only at synth;
 * `cia-rating` the short form of a rating (`C3I2A1`). ajv is loaded on the first call: loading the
 * shipped catalogue (prebuilt, see `prebuilt.ts`) and judging templates never need it.
 */
export function createAjv(): Ajv {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  const AjvClass = (require('ajv') as { default: typeof Ajv }).default;
  const ajv = new AjvClass({ allErrors: true, useDefaults: true, verbose: true, strict: false });
  ajv.addFormat('regex', (source: string) => patternProblem(source) === undefined);
  ajv.addFormat('cia-rating', (text: string) => CIA_SHORT_FORM.test(text));
  return ajv;
}
