import Ajv from 'ajv';

/** The ajv setup shared by the catalogue loader and params defaults: defaults filled in, `regex` format known. */
export function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
  ajv.addFormat('regex', (source: string) => {
    try {
      new RegExp(source);
      return true;
    } catch {
      return false;
    }
  });
  return ajv;
}
