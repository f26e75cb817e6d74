import * as fs from 'fs';
import { readRegularFile } from '../io/regular-file';
import { InputError } from './input-error';

/**
 * Reads input files as `check` needs them: regular files only (a FIFO or device could hang the
 * read), UTF-8 text, and every failure an InputError naming the file.
 */

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read it (${code ?? (error as Error).message})`;
}

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
    throw new InputError(`${dir}: ${reason(e) === 'no such file' ? 'no such directory' : reason(e)}`);
  }
  if (!stat.isDirectory()) throw new InputError(`${dir}: this is not a directory; ${what}`);
}
