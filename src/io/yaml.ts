import type * as Yaml from 'yaml';

let loaded: typeof Yaml | undefined;

/**
 * The yaml library, loaded on first use: requiring the package and loading the shipped catalogue
 * (prebuilt, see `catalogue/prebuilt.ts`) parse no YAML, and loading yaml was a third of the
 * package's require time.
 */
export function yaml(): typeof Yaml {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred on purpose, see above
  return (loaded ??= require('yaml') as typeof Yaml);
}
