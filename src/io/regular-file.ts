import * as fs from 'fs';

/** Why a path could not be read as a regular file, in words for a one-line message. */
export class RegularFileError extends Error {
  constructor(
    message: string,
    readonly kind: 'not-regular' | 'too-large' | 'unreadable',
    /** For `too-large`: the file's size in bytes. */
    readonly size?: number,
  ) {
    super(message);
  }
}

function nonRegularKind(stat: fs.Stats): string | undefined {
  if (stat.isFile()) return undefined;
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'a special file';
}

function refuseUnlessRegular(stat: fs.Stats, maxBytes: number): void {
  const kind = nonRegularKind(stat);
  if (kind) throw new RegularFileError(`this is ${kind}, not a regular file`, 'not-regular');
  if (stat.size > maxBytes)
    throw new RegularFileError(
      `the file has ${stat.size} bytes, more than ${maxBytes}`,
      'too-large',
      stat.size,
    );
}

/** Why a file operation failed, in words: `no such file`, `permission denied`... */
export function fileErrorReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return `cannot read it (${code ?? (error as Error).message})`;
}

/**
 * The bytes of a regular file. Checked before opening, so a FIFO or device is never opened (reading
 * one could block for ever), and again on the open file, which is opened non-blocking: a path
 * swapped for a FIFO in between cannot hang either. Every failure is a `RegularFileError`.
 */
export function readRegularFile(file: string, maxBytes = Number.MAX_SAFE_INTEGER): Buffer {
  let fd: number | undefined;
  try {
    refuseUnlessRegular(fs.statSync(file), maxBytes);
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    refuseUnlessRegular(fs.fstatSync(fd), maxBytes);
    return fs.readFileSync(fd);
  } catch (e) {
    if (e instanceof RegularFileError) throw e;
    throw new RegularFileError(fileErrorReason(e), 'unreadable');
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
