import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Thrown when another live process holds the embedded database. */
export class DatabaseHeldError extends Error {
  override readonly name = 'DatabaseHeldError';
  constructor(
    readonly dir: string,
    readonly pid: number,
    readonly holder: string,
  ) {
    super(`the embedded database in ${dir} is held by ${holder} (pid ${pid}); PGlite serves one process at a time. Stop that process first, or, while a server runs, use its admin API (POST /v1/admin/keys with an admin key) instead`);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Takes `ccp.lock` in `dir` for this process (its pid and what it is), or throws
 * {@link DatabaseHeldError} while a live process has it; a lock left by a process that died
 * is taken over. Resolves with the function that gives it back.
 */
export async function holdDirectory(dir: string, holder: string): Promise<() => Promise<void>> {
  const file = join(dir, 'ccp.lock');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx', 0o600);
      await handle.writeFile(JSON.stringify({ pid: process.pid, holder }));
      await handle.close();
      let released = false;
      return async () => {
        if (released) return;
        released = true;
        await rm(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = await readFile(file, 'utf8').then((t) => JSON.parse(t) as { pid?: number; holder?: string }).catch(() => ({}) as { pid?: number; holder?: string });
      if (typeof owner.pid === 'number' && owner.pid !== process.pid && alive(owner.pid)) throw new DatabaseHeldError(dir, owner.pid, owner.holder ?? 'another process');
      if (owner.pid === process.pid) throw new DatabaseHeldError(dir, owner.pid, owner.holder ?? 'this process');
      await rm(file, { force: true });
    }
  }
  throw new Error(`could not take the lock ${file}`);
}
