import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { unsafePathReason, type WorkspaceFile } from '@ccp/plugin-api';

/** A query's private working directory. */
export interface Workspace {
  readonly dir: string;
  remove(): Promise<void>;
}

/**
 * Makes a fresh directory under `root` holding only the given files. Paths are
 * checked again here, whatever the plugin's schema did: nothing is written outside.
 */
export async function createWorkspace(root: string, files: readonly WorkspaceFile[]): Promise<Workspace> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(root, 'q-'));
  try {
    for (const file of files) {
      const reason = unsafePathReason(file.path);
      const target = resolve(dir, file.path);
      if (reason || relative(dir, target).startsWith('..') || !target.startsWith(dir + sep)) {
        throw new Error(`refused workspace path ${JSON.stringify(file.path)}: ${reason ?? 'escapes the workspace'}`);
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, file.content, { flag: 'wx', mode: 0o600 });
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }) };
}
