import * as fs from 'fs';
import { fileErrorReason, readRegularFile } from '../io/regular-file';
import { InputError } from './input-error';

/**
 * Reads input files as `check` needs them: regular files only (a FIFO or device could hang the
 * read), UTF-8 text, and every failure an InputError naming the file.
 */

/** The text of a regular file (see `readRegularFile`), UTF-8; every failure an InputError naming the file. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file);
  } catch (e) {
    throw new InputError(`${file}: ${(e as Error).message}`);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${file}: the file is not UTF-8 text`);
  }
}

/** Whether a regular file exists at the path (no error for anything else). */
export function isRegularFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Refuses a path that is not an existing directory. */
export function requireDirectory(dir: string, what: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (e) {
    throw new InputError(
      `${dir}: ${fileErrorReason(e) === 'no such file' ? 'no such directory' : fileErrorReason(e)}`,
    );
  }
  if (!stat.isDirectory()) throw new InputError(`${dir}: this is not a directory; ${what}`);
}
