import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { Catalogue } from './model';

/**
 * The shipped catalogue, loaded and validated when the package is built and kept as JSON beside the
 * loader, so that every synth does not parse its YAML and compile the JSON Schema again (the
 * largest part of loading it). It is used only while the YAML files are byte for byte those it was
 * built from; an edited file is read and validated as any catalogue is.
 */

/** The file `npm run build` writes beside the compiled loader. */
export const PREBUILT_FILE = path.join(__dirname, 'shipped-catalogue.json');

/** Stands for the catalogue's directory in the file: the package is installed elsewhere than it is built. */
const DIRECTORY = '<catalogue>';

interface Prebuilt {
  readonly contentHash: string;
  readonly catalogue: Catalogue;
}

/** The hash of the directory's YAML files, their names and their bytes. */
export function catalogueContentHash(directory: string): string {
  const hash = createHash('sha256');
  for (const name of fs
    .readdirSync(directory)
    .filter((n) => /\.ya?ml$/i.test(n))
    .sort()) {
    hash.update(`${name}\0`);
    hash.update(fs.readFileSync(path.join(directory, name)));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** The prebuilt catalogue of `directory`, when it was built from these very files; else undefined. */
export function readPrebuiltCatalogue(directory: string, file = PREBUILT_FILE): Catalogue | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const prebuilt = JSON.parse(text, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(DIRECTORY)
      ? directory + value.slice(DIRECTORY.length)
      : value,
  ) as Prebuilt;
  return prebuilt.contentHash === catalogueContentHash(directory) ? prebuilt.catalogue : undefined;
}

/** Writes the catalogue loaded from `directory` for `readPrebuiltCatalogue`. */
export function writePrebuiltCatalogue(directory: string, catalogue: Catalogue, file = PREBUILT_FILE): void {
  const prebuilt: Prebuilt = { contentHash: catalogueContentHash(directory), catalogue };
  const text = JSON.stringify(prebuilt, (_key, value: unknown) =>
    typeof value === 'string' && (value === directory || value.startsWith(`${directory}${path.sep}`))
      ? DIRECTORY + value.slice(directory.length)
      : value,
  );
  fs.writeFileSync(file, `${text}\n`);
}

// `npm run build` runs this module after compiling: the shipped catalogue, read from its YAML.
if (require.main === module) {
  fs.rmSync(PREBUILT_FILE, { force: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the loader imports this module
  const { DEFAULT_CATALOGUE_PATH, loadCatalogue } = require('./load') as typeof import('./load');
  writePrebuiltCatalogue(path.resolve(DEFAULT_CATALOGUE_PATH), loadCatalogue());
}
