import { accessSync, closeSync, constants, fstatSync, openSync, statfsSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** statfs(2) magic numbers of the kernel's pseudo file systems. */
const PSEUDO_FILE_SYSTEMS: Readonly<Record<number, string>> = { 0x9fa0: '/proc', 0x62656572: '/sys' };

const ERRNO: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENXIO: 'no process reads it',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

const why = (err: unknown): string => {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return `${code}: ${ERRNO[code] ?? (err as Error).message}`;
};

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return undefined;
    throw err;
  }
}

function pseudoFileSystem(path: string): string | undefined {
  try {
    return PSEUDO_FILE_SYSTEMS[statfsSync(path).type];
  } catch {
    return undefined;
  }
}

/**
 * Why `path` cannot be a file that log lines are appended to, or `undefined` when it can
 * (as far as can be told without writing: a full disk shows only when a write fails).
 * Nothing is created: a missing file needs an existing, writable directory on the way to
 * it. Relative paths resolve against the working directory, as the file's opener does.
 */
export function appendableFileProblem(path: string): string | undefined {
  const full = resolve(path);
  try {
    let existing = full;
    let st = statOrUndefined(existing);
    while (!st && dirname(existing) !== existing) {
      existing = dirname(existing);
      st = statOrUndefined(existing);
    }
    const pseudo = pseudoFileSystem(existing);
    if (pseudo) return `is on ${pseudo}, a kernel file system, not a place for a log file`;
    if (existing === full && st) {
      if (st.isDirectory()) return 'is a directory; name a file in it';
      if (st.isFIFO() || st.isSocket()) return `is a ${st.isFIFO() ? 'FIFO' : 'socket'}, not a file`;
      // Non-blocking, so a FIFO swapped in meanwhile cannot hang the boot.
      const fd = openSync(full, constants.O_WRONLY | constants.O_APPEND | constants.O_NONBLOCK);
      try {
        if (fstatSync(fd).isDirectory()) return 'is a directory; name a file in it';
      } finally {
        closeSync(fd);
      }
      return undefined;
    }
    if (!st?.isDirectory()) return `cannot be created: ${existing} is not a directory`;
    try {
      accessSync(existing, constants.W_OK | constants.X_OK);
    } catch (err) {
      return `cannot be created in ${existing} (${why(err)})`;
    }
    return undefined;
  } catch (err) {
    return `cannot be opened for appending (${why(err)})`;
  }
}

/**
 * Problems with the paths a config names, found on this host: today `audit.file`. Takes
 * the raw (possibly invalid) config, so they are reported with the schema's problems.
 */
export function pathProblems(raw: unknown): string[] {
  const audit = (raw as { audit?: { file?: unknown } } | undefined)?.audit;
  const file = audit && typeof audit === 'object' ? audit.file : undefined;
  if (typeof file !== 'string' || file.length === 0) return [];
  const problem = appendableFileProblem(file);
  return problem ? [`audit.file: ${JSON.stringify(file)} ${problem}`] : [];
}
