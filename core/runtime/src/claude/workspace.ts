import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { unsafePathReason, type WorkspaceFile } from '@ccp/plugin-api';

/** A query's private working directory. */
export interface Workspace {
  readonly dir: string;
  /** Files created or changed since the workspace was made (text files, within limits). */
  changedFiles(): Promise<WorkspaceFile[]>;
  remove(): Promise<void>;
}

/** Limits on what is read back from a workspace, so an agent cannot flood a response. */
export const COLLECT_LIMITS = { maxFiles: 100, maxFileBytes: 512 * 1024 } as const;

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, base)));
    else if (entry.isFile()) out.push(relative(base, full).split(sep).join('/'));
  }
  return out.sort();
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
  const original = new Map(files.map((f) => [relative(dir, resolve(dir, f.path)).split(sep).join('/'), f.content]));
  return {
    dir,
    changedFiles: async () => {
      const changed: WorkspaceFile[] = [];
      for (const path of await walk(dir)) {
        if (changed.length >= COLLECT_LIMITS.maxFiles) break;
        const full = join(dir, path);
        if ((await stat(full)).size > COLLECT_LIMITS.maxFileBytes) continue;
        const content = await readFile(full, 'utf8');
        if (original.get(path) !== content) changed.push({ path, content });
      }
      return changed;
    },
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}
