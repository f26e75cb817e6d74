import * as fs from 'fs';
import * as path from 'path';

/** This package's version, read once from its package.json (two levels up from src/ and lib/). */
export const PACKAGE_VERSION: string = (
  JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
