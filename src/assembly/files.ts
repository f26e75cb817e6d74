import * as fs from 'fs';
import { InputError } from './input-error';

/**
 * Reads input files as `check` needs them: regular files only (a FIFO or device could hang the
 * read), UTF-8 text, and every failure an InputError naming the file.
 */

function nonRegularKind(stat: fs.Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

function refuseUnlessRegular(file: string, stat: fs.Stats): void {
  const kind = nonRegularKind(stat);
  if (kind) throw new InputError(`${file}: this is ${kind}, not a regular file`);
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read it (${code ?? (error as Error).message})`;
}

/**
 * The text of a regular file. Checked before opening, so a FIFO or device is never opened, and again
 * on the open file, which is opened non-blocking: a path swapped for a FIFO in between cannot hang.
 */
export function readTextFile(file: string): string {
  let fd: number | undefined;
  let bytes: Buffer;
  try {
    refuseUnlessRegular(file, fs.statSync(file));
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    refuseUnlessRegular(file, fs.fstatSync(fd));
    bytes = fs.readFileSync(fd);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${file}: ${reason(e)}`);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
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
