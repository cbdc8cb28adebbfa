import { lstat, readdir, readFile, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { WorkspaceView } from '@ccp/plugin-api';
import { isInside } from '../process/workspace';

/** The largest file a defined tool may read. */
export const VIEW_MAX_FILE_BYTES = 1024 * 1024;
/** The most files `list()` returns. */
export const VIEW_MAX_FILES = 5_000;

async function walk(dir: string, base: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (out.length >= VIEW_MAX_FILES) return;
    const full = join(dir, entry.name);
    // Symbolic links are not followed: a tool never sees past the workspace through one.
    if (entry.isDirectory()) await walk(full, base, out);
    else if (entry.isFile()) out.push(relative(base, full).split(sep).join('/'));
  }
}

/**
 * A read-only view of a query's workspace for a defined tool: it lists and reads regular
 * files inside `dir` only (no symbolic link, nothing outside, at most 1 MiB a file), and
 * has no way to write.
 */
export function workspaceView(dir: string): WorkspaceView {
  return {
    list: async () => {
      const out: string[] = [];
      await walk(dir, dir, out);
      return out.sort();
    },
    readFile: async (path: string) => {
      if (typeof path !== 'string' || path === '' || path.includes('\0') || !isInside(dir, path)) throw new Error(`"${String(path)}" is not a path inside the workspace`);
      const full = join(dir, path);
      const st = await lstat(full).catch(() => undefined);
      if (!st || !st.isFile()) throw new Error(`"${path}" is not a file in the workspace`);
      // The directories on the way may be links: the file's real place must still be inside.
      if (!isInside(await realpath(dir), await realpath(full))) throw new Error(`"${path}" is not a path inside the workspace`);
      if (st.size > VIEW_MAX_FILE_BYTES) throw new Error(`"${path}" is larger than ${VIEW_MAX_FILE_BYTES} bytes`);
      return readFile(full, 'utf8');
    },
  };
}
