import { lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { unsafePathReason, type WorkspaceFile } from '@ccp/plugin-api';
import type { TreeMaterialiser, WorkspaceTree } from '../../types';

/** A repository commit a workspace holds, and what checks it out. */
export interface TreeCheckout {
  readonly tree: WorkspaceTree;
  readonly materialiser: TreeMaterialiser;
}

/** A query's private directories: `dir` is the agent's working directory. */
export interface Workspace {
  readonly dir: string;
  /** The CLI's own CLAUDE_CONFIG_DIR for this query, beside `dir`, never shared. */
  readonly configDir: string;
  /** Files created or changed since the workspace was made (text files, within limits). */
  changedFiles(): Promise<WorkspaceFile[]>;
  /**
   * Empties `dir` (keeping the folder itself, which a live process has as its cwd) and
   * fills it with the next call's tree and `files`: the start of the next call in a reused process.
   */
  reset(files: readonly WorkspaceFile[], tree?: TreeCheckout): Promise<void>;
  remove(): Promise<void>;
}

/** Limits on what is read back from a workspace, so an agent cannot flood a response. */
export const COLLECT_LIMITS = { maxFiles: 100, maxFileBytes: 512 * 1024 } as const;

/** True when `target` (absolute, or relative to `root`) is `root` or inside it. */
export function isInside(root: string, target: string): boolean {
  const rel = relative(root, resolve(root, target));
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
}

/**
 * Makes sure the workspace root is a real directory owned by this user and closed to
 * others, so nobody else on the host can plant or read query files there.
 */
export async function prepareWorkspaceRoot(root: string, key = 'claude.workspaceRoot'): Promise<void> {
  await mkdir(root, { recursive: true, mode: 0o700 });
  const st = await lstat(root);
  const problems: string[] = [];
  if (st.isSymbolicLink() || !st.isDirectory()) problems.push('is not a plain directory');
  if (typeof process.getuid === 'function' && st.uid !== process.getuid()) problems.push('is owned by another user');
  if ((st.mode & 0o077) !== 0) problems.push(`is open to other users (mode ${(st.mode & 0o777).toString(8)}; chmod 700 it)`);
  if (problems.length > 0) throw new Error(`${key} ${root} ${problems.join(' and ')}`);
}

async function walk(dir: string, base = dir): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(full, base)));
    else if (entry.isFile()) out.push(relative(base, full).split(sep).join('/'));
  }
  return out.sort();
}

/** Writes files under `dir`, checking every path again whatever the plugin's schema did. */
async function writeFiles(dir: string, files: readonly WorkspaceFile[]): Promise<void> {
  for (const file of files) {
    const reason = unsafePathReason(file.path);
    const target = resolve(dir, file.path);
    if (reason || !isInside(dir, target) || target === dir) {
      throw new Error(`refused workspace path ${JSON.stringify(file.path)}: ${reason ?? 'escapes the workspace'}`);
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.content, { flag: 'wx', mode: 0o600 });
  }
}

const originalOf = (dir: string, files: readonly WorkspaceFile[]) => new Map(files.map((f) => [relative(dir, resolve(dir, f.path)).split(sep).join('/'), f.content]));

/** Fills an empty workspace directory: the tree first (when there is one), then the files. */
async function fill(dir: string, files: readonly WorkspaceFile[], tree: TreeCheckout | undefined): Promise<void> {
  if (tree) await tree.materialiser.materialise(tree.tree, dir);
  await writeFiles(dir, files);
}

/**
 * Makes a fresh directory under `root` holding only the given files (named `name`, or
 * random), on top of a repository commit when `tree` is given. Nothing is written outside.
 */
export async function createWorkspace(root: string, files: readonly WorkspaceFile[], name?: string, tree?: TreeCheckout): Promise<Workspace> {
  // A session's turns share one path (its transcript names it); a one-off query gets a random one.
  const home = name ? join(root, name) : await mkdtemp(join(root, 'q-'));
  if (name) await mkdir(home, { mode: 0o700 });
  const dir = join(home, 'work');
  const configDir = join(home, 'config');
  try {
    await mkdir(dir, { mode: 0o700 });
    await mkdir(configDir, { mode: 0o700 });
    await fill(dir, files, tree);
  } catch (err) {
    await rm(home, { recursive: true, force: true });
    throw err;
  }
  let original = originalOf(dir, files);
  return {
    dir,
    configDir,
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
    reset: async (next, nextTree) => {
      await Promise.all((await readdir(dir)).map((entry) => rm(join(dir, entry), { recursive: true, force: true })));
      await fill(dir, next, nextTree);
      original = originalOf(dir, next);
    },
    remove: () => rm(home, { recursive: true, force: true, maxRetries: 3 }),
  };
}
